//! What fastprom's Python face needs to behave as prometheus_client 0.26: Python's string
//! rules ([`strings`]: `str.isspace()`, `str.strip()`, the digits `int()` reads), its
//! `repr()` of strings and containers ([`repr`]), the parsers' record of which values
//! prometheus_client holds as a Python `int` ([`kinds`], produced by [`parse`]), and
//! prometheus_client's exception class and text for each core error
//! ([`message`](mod@message)).

pub mod kinds;
pub mod message;
pub mod parse;
pub mod repr;
pub mod strings;

pub use kinds::SampleKinds;
pub use message::{exception, message, Exception};
