//! The OpenMetrics parser (in progress).
