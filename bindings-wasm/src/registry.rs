//! A registry: the families registered in it and their exposition.

use std::cell::RefCell;

use fastprom::expose::negotiate::{CONTENT_TYPE_OPENMETRICS_1_0_0, CONTENT_TYPE_PLAIN_0_0_4};
use fastprom::model::{FamilyCollector, WithLabels};
use fastprom::{expose, Collector, CollectorId, EscapingScheme, MetricFamily, Registry, Visitor};
use wasm_bindgen::prelude::*;

use crate::error::{js, JsResult};
use crate::metrics::Metric;

/// A set of metric families, exposed together.
#[wasm_bindgen(js_name = RawRegistry)]
pub struct RawRegistry {
    inner: Registry,
    ids: RefCell<Vec<CollectorId>>,
    /// Labels added to every series at exposition (prom-client's `setDefaultLabels`).
    defaults: RefCell<Vec<(String, String)>>,
}

/// The registry as exposed: its families with the default labels added.
struct Exposed<'a> {
    registry: &'a Registry,
    defaults: &'a [(String, String)],
}

impl Collector for Exposed<'_> {
    fn collect(&self) -> fastprom::Result<Vec<MetricFamily>> {
        let mut c = FamilyCollector::default();
        self.visit(&mut c)?;
        Ok(c.families)
    }

    fn visit(&self, v: &mut dyn Visitor) -> fastprom::Result<()> {
        self.registry.visit(&mut WithLabels::new(v, self.defaults))
    }
}

/// The encoders' output as a `String`: it is UTF-8 (built from `str`s), so this only checks,
/// without the copy `from_utf8_lossy(..).into_owned()` makes.
fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
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
        Self { inner, ids: RefCell::new(Vec::new()), defaults: RefCell::new(Vec::new()) }
    }

    /// Registers a metric and returns its registration id (for [`unregister`](Self::unregister));
    /// fails with `ERR_DUPLICATE_TIMESERIES` when its series clash with a registered one.
    pub fn register(&self, metric: &Metric) -> JsResult<f64> {
        let id = js(metric.register_in(&self.inner))?;
        self.ids.borrow_mut().push(id);
        // Ids count up from 1: far below 2^53, so exact as a JS number.
        Ok(id.into_raw() as f64)
    }

    /// Unregisters the metric [`register`](Self::register) gave `id` for; an unknown id
    /// does nothing.
    pub fn unregister(&self, id: f64) {
        let id = CollectorId::from_raw(id as u64);
        let mut ids = self.ids.borrow_mut();
        if let Some(pos) = ids.iter().position(|i| *i == id) {
            ids.remove(pos);
            let _ = self.inner.unregister(id);
        }
    }

    /// Unregisters every metric.
    pub fn clear(&self) {
        for id in self.ids.borrow_mut().drain(..) {
            let _ = self.inner.unregister(id);
        }
    }

    /// Sets the labels added to every series from now on (replacing any set before); a
    /// series' own label of the same name wins. Names are checked as label names.
    #[wasm_bindgen(js_name = setDefaultLabels)]
    pub fn set_default_labels(&self, names: Vec<String>, values: Vec<String>) -> JsResult<()> {
        let mut seen = std::collections::HashSet::new();
        for n in &names {
            js(fastprom::names::validate_label_name(n, fastprom::ValidationScheme::Legacy))?;
            if n.starts_with("__") {
                return Err(crate::error::to_js(fastprom::Error::ReservedLabelName {
                    name: n.clone(),
                    reason: fastprom::error::Reserved::Prefix,
                }));
            }
            if !seen.insert(n.as_str()) {
                return Err(crate::error::to_js(fastprom::Error::DuplicateLabelName { name: n.clone() }));
            }
        }
        *self.defaults.borrow_mut() = names.into_iter().zip(values).collect();
        Ok(())
    }

    fn exposed<R>(&self, f: impl FnOnce(&Exposed<'_>) -> R) -> R {
        let defaults = self.defaults.borrow();
        f(&Exposed { registry: &self.inner, defaults: &defaults })
    }

    /// The exposition in the Prometheus text format 0.0.4.
    #[wasm_bindgen(js_name = metricsText)]
    pub fn metrics_text(&self) -> JsResult<String> {
        let bytes = js(self.exposed(|e| expose::encode_text(e, EscapingScheme::Underscores)))?;
        Ok(utf8(bytes))
    }

    /// The exposition in OpenMetrics 1.0.0 (ending in `# EOF`).
    #[wasm_bindgen(js_name = metricsOpenMetrics)]
    pub fn metrics_openmetrics(&self) -> JsResult<String> {
        let bytes = js(self.exposed(|e| expose::encode_openmetrics(e, EscapingScheme::Underscores, "1.0.0")))?;
        Ok(utf8(bytes))
    }

    /// The families as data: an array of
    /// `{ name, help, metric_type, unit, samples: [{ name, labels: [[k, v], ...], value }] }`
    /// (see [`json::families`](crate::json::families); NaN and infinite values come as the
    /// strings `"NaN"`, `"Infinity"`, `"-Infinity"`), default labels included. The JS
    /// wrapper turns it into prom-client's `getMetricsAsJSON()` shape.
    pub fn families(&self) -> JsResult<JsValue> {
        let families = js(self.exposed(|e| e.collect()))?;
        js_sys::JSON::parse(&crate::json::families(&families))
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
