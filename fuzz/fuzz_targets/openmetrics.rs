//! Fuzzes the OpenMetrics parser: any UTF-8 input must produce families or an error,
//! never a panic or a hang, and the streaming parser must agree with `parse_str`.
#![no_main]

use fastprom::names::ValidationScheme;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let whole = fastprom::parse::openmetrics::parse_str(text, ValidationScheme::Utf8);
    let streamed: Vec<_> = fastprom::parse::openmetrics::parse_reader(text.as_bytes(), ValidationScheme::Utf8).collect();
    assert_eq!(whole.is_ok(), streamed.iter().all(Result::is_ok));
    if let Ok(families) = whole {
        assert_eq!(families.len(), streamed.len());
        let _ = fastprom::parse::canonical(&families);
    }
});
