//! Remote write for the JS package, as a module of its own: only programs that import
//! `fastprom/remote-write` download it, so the main .wasm keeps its size.
//!
//! The two modules share no memory, so this one does not see the registry's metrics. It
//! takes what the registry already hands out, its OpenMetrics exposition, parses it with the
//! core's parser and feeds the families to the core's remote-write builder: the same
//! series, labels, metadata and size split as the Python and C faces send. The JS wrapper
//! (`js/remote-write-api.js`) sends the bodies with `fetch`.

use fastprom::names::ValidationScheme;
use fastprom::parse::openmetrics;
use fastprom::remote_write::{Builder, RemoteWriteConfig, HEADERS};
use wasm_bindgen::prelude::*;

/// A JS `Error` with `message` and a `code` property (as the main module's errors).
fn error(message: &str, code: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    // Setting a property on a fresh, ordinary Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &"code".into(), &code.into());
    err.into()
}

/// A core error as a JS `Error`: the parser's refusals and bad options are the caller's
/// input (`ERR_INVALID_ARGUMENT`); anything else is `ERR_FASTPROM`.
fn core_error(e: &fastprom::Error) -> JsValue {
    let code = match e {
        fastprom::Error::Parse { .. } | fastprom::Error::InvalidArgument(_) => "ERR_INVALID_ARGUMENT",
        _ => "ERR_FASTPROM",
    };
    error(&e.to_string(), code)
}

/// One request body, snappy-compressed protobuf, and how many series it holds.
#[wasm_bindgen]
pub struct RawWriteBody {
    body: Vec<u8>,
    series: usize,
}

#[wasm_bindgen]
impl RawWriteBody {
    /// The body, a copy in JS memory (POST it as it is).
    #[wasm_bindgen(getter)]
    pub fn body(&self) -> js_sys::Uint8Array {
        js_sys::Uint8Array::from(self.body.as_slice())
    }

    /// How many series the body holds.
    #[wasm_bindgen(getter)]
    pub fn series(&self) -> usize {
        self.series
    }
}

/// The request bodies for an OpenMetrics exposition (ending in `# EOF`), stamped `now_ms`
/// where a sample has no timestamp of its own.
///
/// `label_names` and `label_values` are the external labels (added to every series that
/// lacks them); `metadata` adds a `MetricMetadata` per family; `created` keeps `_created`
/// series; `max_request_bytes` (0 for 1 MiB) caps each request's protobuf size.
#[wasm_bindgen(js_name = buildRemoteWrite)]
pub fn build_remote_write(
    text: &str,
    now_ms: f64,
    label_names: Vec<String>,
    label_values: Vec<String>,
    metadata: bool,
    created: bool,
    max_request_bytes: usize,
) -> Result<Vec<RawWriteBody>, JsValue> {
    if label_names.len() != label_values.len() {
        return Err(error(
            &format!("{} external label names but {} values", label_names.len(), label_values.len()),
            "ERR_INVALID_ARGUMENT",
        ));
    }
    if !now_ms.is_finite() || now_ms.abs() > 9.0e15 {
        return Err(error(&format!("not a time in milliseconds: {now_ms}"), "ERR_INVALID_ARGUMENT"));
    }
    let families = openmetrics::parse_str(text, ValidationScheme::Utf8).map_err(|e| core_error(&e))?;
    let mut config = RemoteWriteConfig::new()
        .external_labels(label_names.into_iter().zip(label_values).collect::<Vec<_>>())
        .metadata(metadata)
        .created(created);
    if max_request_bytes != 0 {
        config = config.max_request_bytes(max_request_bytes);
    }
    let mut builder = Builder::new(now_ms as i64, config);
    for family in &families {
        family.visit(&mut builder).map_err(|e| core_error(&e))?;
    }
    let bodies = builder.finish_compressed().map_err(|e| core_error(&e))?;
    Ok(bodies.into_iter().map(|b| RawWriteBody { body: b.body, series: b.series }).collect())
}

/// The protocol's request headers, as `[name, value]` pairs.
#[wasm_bindgen(js_name = remoteWriteHeaders)]
pub fn remote_write_headers() -> js_sys::Array {
    HEADERS
        .iter()
        .map(|(name, value)| {
            let pair = js_sys::Array::new();
            pair.push(&(*name).into());
            pair.push(&(*value).into());
            JsValue::from(pair)
        })
        .collect()
}
