//! Pushgateway requests built by the core (URL with the `@base64` grouping-key encoding,
//! headers, body); the JS wrapper sends them with `fetch`.

use fastprom::push::{push_request, PushMethod};
use wasm_bindgen::prelude::*;

use crate::error::{js, to_js, JsResult};

/// A Pushgateway request, ready for `fetch`.
#[wasm_bindgen(js_name = RawPushRequest, getter_with_clone)]
pub struct RawPushRequest {
    /// `"PUT"`, `"POST"` or `"DELETE"`.
    pub method: String,
    /// The full URL, grouping key included.
    pub url: String,
    /// The `Content-Type` header.
    #[wasm_bindgen(js_name = contentType)]
    pub content_type: String,
    /// The body (empty for `DELETE`).
    pub body: String,
}

/// Builds the request for `method` (`"PUT"`, `"POST"`, `"DELETE"`) of `job` with the
/// grouping key given as parallel name and value arrays.
#[wasm_bindgen(js_name = buildPushRequest)]
pub fn build_push_request(
    method: &str,
    gateway: &str,
    job: &str,
    names: Vec<String>,
    values: Vec<String>,
    body: String,
) -> JsResult<RawPushRequest> {
    let method = match method {
        "PUT" => PushMethod::Put,
        "POST" => PushMethod::Post,
        "DELETE" => PushMethod::Delete,
        other => return Err(to_js(fastprom::Error::InvalidArgument(format!("unknown push method {other:?}")))),
    };
    let key: Vec<(&str, &str)> = names.iter().map(String::as_str).zip(values.iter().map(String::as_str)).collect();
    let req = js(push_request(method, gateway, job, &key, body.into_bytes(), None))?;
    let content_type = req
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    Ok(RawPushRequest {
        method: req.method.as_str().to_owned(),
        url: req.url,
        content_type,
        body: String::from_utf8_lossy(&req.body).into_owned(),
    })
}
