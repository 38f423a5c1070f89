//! Info: constant key/value metadata exposed as labels of a `_info` sample.

use std::sync::Arc;

use parking_lot::RwLock;
use smallvec::SmallVec;

use super::family::{Base, MetricCore};
use crate::error::{Error, Result};
use crate::model::{MetricType, SampleRef, Visitor};

/// Settings of an info family; the family fills in its label names.
#[derive(Debug, Clone, Default)]
pub struct InfoConfig {
    label_names: Vec<String>,
}

/// One info child.
#[derive(Debug)]
pub struct Info {
    config: Arc<InfoConfig>,
    value: RwLock<Vec<(String, String)>>,
}

impl Info {
    /// Replaces the key/value pairs. Keys may not repeat the family's label names; like
    /// prometheus_client, keys are not otherwise checked (encoders escape them).
    ///
    /// ```
    /// use fastprom::{Info, Registry};
    ///
    /// let registry = Registry::new();
    /// let build = Info::new("build", "Build of this binary.")?;
    /// registry.register(build.clone())?;
    /// build.set(vec![("version".into(), "1.2.3".into())])?;
    /// assert_eq!(registry.get_sample_value("build_info", &[("version", "1.2.3")])?, Some(1.0));
    /// # Ok::<(), fastprom::Error>(())
    /// ```
    pub fn set(&self, pairs: Vec<(String, String)>) -> Result<()> {
        if pairs.iter().any(|(k, _)| self.config.label_names.iter().any(|n| n == k)) {
            return Err(Error::InfoOverlap { label_names: self.config.label_names.clone(), given: pairs });
        }
        let mut dedup: Vec<(String, String)> = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            crate::model::dict_insert(&mut dedup, k, v);
        }
        *self.value.write() = dedup;
        Ok(())
    }

    /// The current key/value pairs.
    pub fn get(&self) -> Vec<(String, String)> {
        self.value.read().clone()
    }
}

impl MetricCore for Info {
    type Config = InfoConfig;
    const TYPE: MetricType = MetricType::Info;

    fn prepare(_: &str, label_names: &[String], _: InfoConfig) -> Result<InfoConfig> {
        Ok(InfoConfig { label_names: label_names.to_vec() })
    }

    fn new_child(config: &Arc<InfoConfig>, _: &Arc<crate::Settings>, _now: f64) -> Self {
        Self { config: Arc::clone(config), value: RwLock::new(Vec::new()) }
    }

    fn visit_child(&self, _: &InfoConfig, base: &Base<'_>, v: &mut dyn Visitor) -> Result<()> {
        // Copy the pairs out so no lock is held while the visitor runs.
        let value = self.value.read().clone();
        let mut labels: SmallVec<[(&str, &str); 8]> = SmallVec::from_slice(base.labels);
        labels.extend(value.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        v.sample(&SampleRef {
            name: base.name,
            suffix: "_info",
            labels: &labels,
            sorted: None,
            extra: None,
            series: 0,
            value: 1.0,
            timestamp: None,
            exemplar: None,
            native_histogram: None,
        })
    }
}
