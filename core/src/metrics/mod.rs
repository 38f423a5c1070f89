//! The metric types, each a [`MetricCore`] living in a labelled [`Family`].

mod atomic;
pub mod counter;
#[path = "enum.rs"]
pub mod enum_;
mod exemplar_slot;
pub mod family;
pub mod gauge;
pub mod histogram;
pub mod info;
pub mod quantile;
mod shard;
pub mod standalone;
pub mod summary;

pub use atomic::AtomicF64;
pub use counter::Counter;
pub use enum_::{Enum, States};
pub use family::{Base, Child, Family, MetricCore, Opts};
pub use gauge::{Gauge, GaugeFn};
pub use histogram::{Buckets, Histogram, DEFAULT_BUCKETS};
pub use info::{Info, InfoConfig};
pub use quantile::{Objective, WindowedQuantiles};
pub use standalone::Standalone;
pub use summary::{Summary, SummaryConfig};
