//! Host conventions the neutral API does not carry.
//!
//! Everything here exists so one binding can reproduce its host library's behaviour
//! exactly; nothing in the rest of the core's public API depends on it. Today there is one
//! host with such needs: Python, whose `prometheus_client` fixes whitespace rules, `repr()`
//! forms and error wording that fastprom's Python face must match byte for byte.

pub mod python;
