//! The Prometheus text format parser (in progress).
