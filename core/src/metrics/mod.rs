//! The metric types, each a [`MetricCore`] living in a labelled [`Family`].

pub mod counter;
#[path = "enum.rs"]
pub mod enum_;
pub mod family;
pub mod gauge;
pub mod histogram;
pub mod info;
pub mod quantile;
pub mod standalone;
pub mod summary;

pub use crate::sync::atomic_f64::AtomicF64;
pub use counter::Counter;
pub use enum_::{Enum, States};
pub use family::{Base, Child, Family, MetricCore, Opts};
pub use gauge::{Gauge, GaugeFn};
pub use histogram::{Buckets, Histogram, DEFAULT_BUCKETS};
pub use info::{Info, InfoConfig};
pub use quantile::{Objective, WindowedQuantiles};
pub use standalone::Standalone;
pub use summary::{Summary, SummaryConfig};
