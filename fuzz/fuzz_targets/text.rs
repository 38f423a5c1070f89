//! Fuzzes the Prometheus text format parser: any UTF-8 input, in both modes, must give
//! families or an error, never a panic or a hang; the streaming parser must yield what
//! `parse_str` returns (then the same error); whatever strict mode accepts, lenient mode
//! accepts with the same number of samples.
#![no_main]

use fastprom::names::ValidationScheme;
use fastprom::parse::text::{parse_reader, parse_str, Mode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mut samples = [None, None];
    for (k, mode) in [Mode::Lenient, Mode::Strict].into_iter().enumerate() {
        let whole = parse_str(text, mode, ValidationScheme::Utf8);
        let mut streamed = Vec::new();
        let mut stream_err = None;
        for r in parse_reader(text.as_bytes(), mode, ValidationScheme::Utf8) {
            match r {
                Ok(f) => streamed.push(f),
                Err(e) => {
                    stream_err = Some(e);
                    break;
                }
            }
        }
        match &whole {
            Ok(families) => {
                assert!(stream_err.is_none(), "stream failed where parse_str did not: {stream_err:?}");
                assert_eq!(fastprom::parse::canonical(families), fastprom::parse::canonical(&streamed));
                samples[k] = Some(families.iter().map(|f| f.samples.len()).sum::<usize>());
            }
            Err(e) => assert_eq!(Some(e), stream_err.as_ref()),
        }
    }
    if let Some(strict) = samples[1] {
        assert_eq!(samples[0], Some(strict), "strict accepted what lenient rejects, or read other samples");
    }
});
