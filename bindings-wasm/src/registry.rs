//! A registry: the families registered in it and their exposition.

use std::cell::RefCell;

use fastprom::expose::negotiate::{CONTENT_TYPE_OPENMETRICS_1_0_0, CONTENT_TYPE_PLAIN_0_0_4};
use fastprom::{expose, CollectorId, EscapingScheme, Registry};
use wasm_bindgen::prelude::*;

use crate::error::{js, JsResult};
use crate::metrics::Metric;

/// A set of metric families, exposed together.
#[wasm_bindgen(js_name = RawRegistry)]
pub struct RawRegistry {
    inner: Registry,
    ids: RefCell<Vec<CollectorId>>,
}

impl Default for RawRegistry {
    fn default() -> Self {
        Self::new()
    }
}

#[wasm_bindgen(js_class = RawRegistry)]
impl RawRegistry {
    /// An empty registry; `_created` samples are off, as prom-client has none.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Self {
        let inner = Registry::new();
        inner.set_created(false);
        Self { inner, ids: RefCell::new(Vec::new()) }
    }

    /// Registers a metric; fails with `ERR_DUPLICATE_TIMESERIES` when its series clash
    /// with a registered one.
    pub fn register(&self, metric: &Metric) -> JsResult<()> {
        let id = js(metric.register_in(&self.inner))?;
        self.ids.borrow_mut().push(id);
        Ok(())
    }

    /// Unregisters every metric.
    pub fn clear(&self) {
        for id in self.ids.borrow_mut().drain(..) {
            let _ = self.inner.unregister(id);
        }
    }

    /// The exposition in the Prometheus text format 0.0.4.
    #[wasm_bindgen(js_name = metricsText)]
    pub fn metrics_text(&self) -> JsResult<String> {
        let bytes = js(expose::encode_text(&self.inner, EscapingScheme::Underscores))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The exposition in OpenMetrics 1.0.0 (ending in `# EOF`).
    #[wasm_bindgen(js_name = metricsOpenMetrics)]
    pub fn metrics_openmetrics(&self) -> JsResult<String> {
        let bytes = js(expose::encode_openmetrics(&self.inner, EscapingScheme::Underscores, "1.0.0"))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The `Content-Type` of [`metrics_text`](Self::metrics_text).
    #[wasm_bindgen(js_name = contentTypeText)]
    pub fn content_type_text() -> String {
        CONTENT_TYPE_PLAIN_0_0_4.to_owned()
    }

    /// The `Content-Type` of [`metrics_openmetrics`](Self::metrics_openmetrics).
    #[wasm_bindgen(js_name = contentTypeOpenMetrics)]
    pub fn content_type_openmetrics() -> String {
        CONTENT_TYPE_OPENMETRICS_1_0_0.to_owned()
    }
}
