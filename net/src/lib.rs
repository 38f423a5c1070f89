//! # fastprom-net
//!
//! The I/O that fastprom's faces share, kept out of the core (which stays free of I/O):
//!
//! * [`Exposer`]: serves a [`Registry`](fastprom::Registry) or any
//!   [`Collector`](fastprom::Collector) over HTTP from a background thread, answering as
//!   prometheus_client's `start_http_server` does (content negotiation, gzip, the `name[]`
//!   filter), plus `HEAD` and optional Basic authentication; bounded in connections and
//!   time, and stopped cleanly by [`Exposer::shutdown`] or by dropping it.
//! * [`ProcessCollector`]: the process's CPU time, memory, file descriptors and start
//!   time from `/proc`, as prometheus_client's `ProcessCollector`.
//! * [`push`] (cargo feature `push`, on by default): sends the core's
//!   [`PushRequest`](fastprom::push::PushRequest)s to a Pushgateway with a timeout, and
//!   prometheus_client's [`push_to_gateway`], [`pushadd_to_gateway`] and
//!   [`delete_from_gateway`]. The `push-tls` feature adds `https` gateways.
//! * `remote_write` (cargo feature `remote-write`): the core's remote-write requests sent
//!   once (`remote_write::remote_write`) or every interval from a background thread with
//!   a bounded queue, retries and its own metrics (`remote_write::RemoteWriteSender`);
//!   over `https` with `push-tls`, trusting the CAs of a PEM file if asked.
//!
//! Errors are one [`Error`] enum whose variants carry the URL, the status code and the
//! server's text, so the C face can map them to status codes.
//!
//! ```
//! use std::time::Duration;
//! use fastprom::{expose, Counter, EscapingScheme, Registry};
//! use fastprom_net::{Exposer, ExposerConfig};
//!
//! let registry = std::sync::Arc::new(Registry::new());
//! let served = Counter::new("served", "Requests served.")?;
//! registry.register(served.clone())?;
//! served.inc_by(3.0);
//!
//! // Port 0: the system picks a free port; the exposer reports it.
//! let mut exposer = Exposer::start(registry.clone(), ExposerConfig::new("127.0.0.1", 0))?;
//! let url = format!("http://{}/metrics", exposer.local_addr());
//!
//! let agent = ureq::Agent::new_with_config(ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).build());
//! let body = agent.get(&url).call().expect("scrape").body_mut().read_to_vec().expect("body");
//! assert_eq!(body, expose::encode_text(&*registry, EscapingScheme::Underscores)?);
//!
//! exposer.shutdown(); // the port is free again
//! # Ok::<(), fastprom_net::Error>(())
//! ```

mod auth;
mod error;
pub mod exposer;
mod process;
#[cfg(feature = "push")]
pub mod push;
#[cfg(feature = "remote-write")]
pub mod remote_write;

pub use auth::BasicAuth;
pub use error::{Error, Result, MAX_ERROR_BODY};
pub use exposer::{Answer, Exposer, ExposerConfig, Request, Responder, Source, TlsConfig, TlsVersion};
pub use process::ProcessCollector;
#[cfg(feature = "push")]
pub use push::{delete_from_gateway, push_to_gateway, pushadd_to_gateway, PushResponse};
