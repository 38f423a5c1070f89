//! What fastprom's Python face needs to behave as prometheus_client 0.26: Python's string
//! rules ([`strings`]: `str.isspace()`, `str.strip()`, the digits `int()` reads) and its
//! `repr()` of strings and containers ([`repr`]), used where prometheus_client's parsers and
//! messages depend on them.

pub mod repr;
pub mod strings;
