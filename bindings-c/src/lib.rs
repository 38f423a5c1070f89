//! fastprom for C and C++.
//!
//! A C API over the `fastprom` core, declared in `include/fastprom.h` (generated from these
//! doc comments and signatures by cbindgen; never edit it by hand). The built libraries are
//! `libfastprom_c.so` and `libfastprom_c.a`.
//!
//! Rules every function follows:
//!
//! - A fallible function returns a [`fastprom_status`]: `FASTPROM_OK` (0) or the cause of the
//!   failure. Results come back through out-parameters, written only on success; a failed
//!   call changes nothing. [`fastprom_last_error`] describes the last call on this thread.
//! - A NULL handle, string or out-pointer gives `FASTPROM_NULL_ARGUMENT`; a string that is not
//!   UTF-8 gives `FASTPROM_INVALID_ARGUMENT`. Every `*_free` accepts NULL.
//! - No Rust panic crosses into C: one would come back as `FASTPROM_PANIC`.
//! - Every handle may be used from any number of threads at once; only its `*_free` must not
//!   race with other uses of the same handle.

#![allow(non_camel_case_types)]
// Every exported function checks its pointers before it reads through them; the safety
// contract of each is in its doc comment, which cbindgen copies into the header.
#![allow(clippy::missing_safety_doc)]

mod args;
pub mod collector;
pub mod counter;
pub mod encode;
pub mod enumset;
pub mod exposer;
pub mod family;
pub mod gauge;
pub mod histogram;
pub mod info;
pub mod push;
pub mod registry;
pub mod remote_write;
pub mod remote_write_sender;
pub mod status;
pub mod summary;

pub use collector::{fastprom_collect_fn, fastprom_collection, fastprom_free_fn, fastprom_metric_type};
pub use counter::{fastprom_counter, fastprom_counter_family};
pub use enumset::{fastprom_enum, fastprom_enum_family};
pub use exposer::fastprom_exposer;
pub use family::fastprom_family_opts;
pub use gauge::{fastprom_gauge, fastprom_gauge_family};
pub use histogram::{fastprom_histogram, fastprom_histogram_family};
pub use info::{fastprom_info, fastprom_info_family};
pub use push::{fastprom_push_method, fastprom_push_opts, fastprom_push_request};
pub use registry::fastprom_registry;
pub use status::{fastprom_last_error, fastprom_status};
pub use summary::{fastprom_summary, fastprom_summary_family};
