//! What fastprom's Python face needs to behave as prometheus_client 0.26: Python's string
//! rules ([`strings`]: `str.isspace()`, `str.strip()`, the digits `int()` reads), its
//! `repr()` of strings and containers ([`repr`]), and the parsers' record of which values
//! prometheus_client holds as a Python `int` ([`kinds`], produced by [`parse`]).

pub mod kinds;
pub mod parse;
pub mod repr;
pub mod strings;

pub use kinds::SampleKinds;
