//! What fastprom's Python face needs to behave as prometheus_client 0.26: Python's string
//! rules ([`strings`]: `str.isspace()`, `str.strip()`, the digits `int()` reads) and its
//! `repr()` of strings and containers ([`repr`]), used where prometheus_client's parsers and
//! messages depend on them, and prometheus_client's exception class and text for each core
//! error ([`message`](mod@message)).

pub mod message;
pub mod repr;
pub mod strings;

pub use message::{exception, message, Exception};
