//! The registry: collectors, duplicate-timeseries detection, collection (whole or
//! restricted to names), sample look-up and target info, as prometheus_client's
//! `CollectorRegistry`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::model::{FamilyCollector, FamilyHeader, MetricFamily, MetricType, SampleRef, Visitor, WithoutCreated};

/// A family a collector will expose, declared up front for duplicate detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desc {
    /// Family name.
    pub name: String,
    /// Family type (decides the suffixes that are reserved with the name).
    pub metric_type: MetricType,
}

/// Anything that yields metric families at scrape time: native families, registries, and
/// custom collectors that bridge third-party systems (exporters).
pub trait Collector: Send + Sync {
    /// The families, built now.
    fn collect(&self) -> Result<Vec<MetricFamily>>;

    /// The families this collector will expose, if it can say without collecting
    /// (prometheus_client's `describe()`); `None` means "unknown".
    fn describe(&self) -> Option<Vec<Desc>> {
        None
    }

    /// Streams the families to a visitor. The default goes through [`Collector::collect`];
    /// native families stream borrowed samples instead.
    fn visit(&self, v: &mut dyn Visitor) -> Result<()> {
        for f in self.collect()? {
            f.visit(v)?;
        }
        Ok(())
    }
}

impl<C: Collector + ?Sized> Collector for Arc<C> {
    fn collect(&self) -> Result<Vec<MetricFamily>> {
        (**self).collect()
    }
    fn describe(&self) -> Option<Vec<Desc>> {
        (**self).describe()
    }
    fn visit(&self, v: &mut dyn Visitor) -> Result<()> {
        (**self).visit(v)
    }
}

/// Identifies a registered collector, for [`Registry::unregister`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CollectorId(u64);

impl CollectorId {
    /// The id as a number, for handing across an FFI boundary.
    pub fn into_raw(self) -> u64 {
        self.0
    }

    /// An id from [`CollectorId::into_raw`]; a number the registry never gave out only
    /// makes [`Registry::unregister`] fail.
    pub fn from_raw(raw: u64) -> Self {
        Self(raw)
    }
}

struct Entry {
    id: CollectorId,
    collector: Arc<dyn Collector>,
    names: Vec<String>,
}

#[derive(Default)]
struct Inner {
    entries: Vec<Entry>,
    /// Time-series name -> owner (`None`: reserved by target info).
    names: HashMap<String, Option<CollectorId>>,
    target_info: Option<Vec<(String, String)>>,
    next: u64,
}

/// A set of collectors exposed together.
pub struct Registry {
    inner: Mutex<Inner>,
    auto_describe: bool,
    without_names: bool,
    created: AtomicBool,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("collectors", &self.inner.lock().entries.len()).finish()
    }
}

impl Registry {
    /// An empty registry (`CollectorRegistry()`).
    pub fn new() -> Self {
        Self::with_options(false, false)
    }

    /// `CollectorRegistry(auto_describe, support_collectors_without_names)`: with
    /// `auto_describe`, collectors that cannot describe themselves are collected once at
    /// registration to find their names; with `without_names`, collectors that end up with
    /// no names still take part in restricted collection.
    pub fn with_options(auto_describe: bool, without_names: bool) -> Self {
        Self { inner: Mutex::new(Inner::default()), auto_describe, without_names, created: AtomicBool::new(true) }
    }

    /// Turns the `_created` samples of the registry's native families on (the default) or
    /// off for every scrape from now on; a family built with `_created` off stays off.
    /// Custom collectors' samples are not touched.
    pub fn set_created(&self, on: bool) {
        self.created.store(on, Ordering::Relaxed);
    }

    /// Whether scrapes of this registry include native families' `_created` samples.
    pub fn created(&self) -> bool {
        self.created.load(Ordering::Relaxed)
    }

    fn names_of(&self, c: &dyn Collector) -> Result<Vec<String>> {
        let descs = match c.describe() {
            Some(d) => d,
            None if self.auto_describe => {
                c.collect()?.into_iter().map(|f| Desc { name: f.name, metric_type: f.metric_type }).collect()
            }
            None => Vec::new(),
        };
        let mut names = Vec::new();
        for d in descs {
            for s in d.metric_type.suffixes() {
                names.push(format!("{}{}", d.name, s));
            }
            names.push(d.name);
        }
        Ok(names)
    }

    /// Adds a collector: a family or standalone metric (pass a clone and keep updating
    /// yours; clones share their children), a custom collector, or an `Arc` of either.
    /// Fails with [`Error::DuplicateTimeseries`] when one of its time series names (the
    /// family names plus their type's suffixes) is taken.
    ///
    /// ```
    /// use fastprom::{Counter, Error, Registry};
    ///
    /// let registry = Registry::new();
    /// let a = Counter::new("requests", "Requests.")?;
    /// let id = registry.register(a.clone())?;
    /// let b = Counter::new("requests", "The same name again.")?;
    /// assert!(matches!(registry.register(b), Err(Error::DuplicateTimeseries { .. })));
    /// registry.unregister(id)?;
    /// # Ok::<(), fastprom::Error>(())
    /// ```
    pub fn register(&self, collector: impl Collector + 'static) -> Result<CollectorId> {
        let collector: Arc<dyn Collector> = Arc::new(collector);
        let names = self.names_of(&*collector)?;
        let mut inner = self.inner.lock();
        let mut dups: Vec<String> = names.iter().filter(|n| inner.names.contains_key(*n)).cloned().collect();
        if !dups.is_empty() {
            dups.sort();
            dups.dedup();
            return Err(Error::DuplicateTimeseries { names: dups });
        }
        let id = CollectorId(inner.next);
        inner.next += 1;
        for n in &names {
            inner.names.insert(n.clone(), Some(id));
        }
        inner.entries.push(Entry { id, collector, names });
        Ok(id)
    }

    /// Removes a collector.
    pub fn unregister(&self, id: CollectorId) -> Result<()> {
        let collector = {
            let mut inner = self.inner.lock();
            let pos = inner.entries.iter().position(|e| e.id == id).ok_or(Error::NotRegistered)?;
            let e = inner.entries.remove(pos);
            for n in &e.names {
                inner.names.remove(n);
            }
            e.collector
        };
        // Dropped outside the lock: a collector's drop may run foreign code (a C
        // collector's free function) that calls back into this registry.
        drop(collector);
        Ok(())
    }

    /// The registered time-series names (prometheus_client's `_names_to_collectors` keys).
    pub fn names(&self) -> Vec<String> {
        let inner = self.inner.lock();
        let mut v: Vec<String> = inner.names.keys().cloned().collect();
        v.sort();
        v
    }

    /// Sets or clears the target info labels (exposed as `target_info`, first).
    pub fn set_target_info(&self, labels: Option<Vec<(String, String)>>) -> Result<()> {
        let mut inner = self.inner.lock();
        let labels = labels.filter(|l| !l.is_empty());
        match &labels {
            Some(_) => {
                if inner.target_info.is_none() && inner.names.contains_key("target_info") {
                    return Err(Error::TargetInfoTaken);
                }
                inner.names.insert("target_info".into(), None);
            }
            None => {
                if inner.target_info.is_some() {
                    inner.names.remove("target_info");
                }
            }
        }
        inner.target_info = labels;
        Ok(())
    }

    /// The target info labels.
    pub fn target_info(&self) -> Option<Vec<(String, String)>> {
        self.inner.lock().target_info.clone()
    }

    fn target_family(labels: &[(String, String)]) -> MetricFamily {
        let mut m = MetricFamily {
            name: "target".into(),
            help: "Target metadata".into(),
            metric_type: MetricType::Info,
            unit: String::new(),
            samples: Vec::new(),
        };
        m.add_sample("target_info", labels.iter().cloned(), 1.0, None, None);
        m
    }

    fn snapshot(&self) -> (Vec<Arc<dyn Collector>>, Option<MetricFamily>) {
        let inner = self.inner.lock();
        let cs = inner.entries.iter().map(|e| Arc::clone(&e.collector)).collect();
        (cs, inner.target_info.as_deref().map(Self::target_family))
    }

    /// A view that collects only the samples with the given names (what `?name[]=` asks
    /// of an exposer).
    ///
    /// ```
    /// use fastprom::{expose, Counter, Gauge, EscapingScheme, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.register(Counter::new("jobs", "Jobs run.")?)?;
    /// registry.register(Gauge::new("queue", "Jobs waiting.")?)?;
    /// let only_queue = registry.restricted(["queue"]);
    /// let text = String::from_utf8(expose::encode_text(&only_queue, EscapingScheme::Underscores)?).unwrap();
    /// assert_eq!(text, "# HELP queue Jobs waiting.\n# TYPE queue gauge\nqueue 0.0\n");
    /// # Ok::<(), fastprom::Error>(())
    /// ```
    pub fn restricted<I, S>(&self, names: I) -> Restricted<'_>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Restricted { registry: self, names: names.into_iter().map(Into::into).collect() }
    }

    /// The value of the first sample with this name and exactly these labels (in any
    /// order), or `None`. Meant for tests, as prometheus_client's.
    pub fn get_sample_value(&self, name: &str, labels: &[(&str, &str)]) -> Result<Option<f64>> {
        struct Find<'a> {
            name: &'a str,
            labels: &'a [(&'a str, &'a str)],
            found: Option<f64>,
        }
        impl Visitor for Find<'_> {
            fn family(&mut self, _: &FamilyHeader<'_>) -> Result<()> {
                Ok(())
            }
            fn sample(&mut self, s: &SampleRef<'_>) -> Result<()> {
                if self.found.is_none()
                    && s.name_is(self.name, "")
                    && s.label_count() == self.labels.len()
                    && self.labels.iter().all(|(k, v)| s.all_labels().any(|(k2, v2)| *k == k2 && *v == v2))
                {
                    self.found = Some(s.value);
                }
                Ok(())
            }
            fn end_family(&mut self) -> Result<()> {
                Ok(())
            }
        }
        let mut f = Find { name, labels, found: None };
        Collector::visit(self, &mut f)?;
        Ok(f.found)
    }
}

impl Collector for Registry {
    fn collect(&self) -> Result<Vec<MetricFamily>> {
        let mut c = FamilyCollector::default();
        Collector::visit(self, &mut c)?;
        Ok(c.families)
    }

    fn visit(&self, v: &mut dyn Visitor) -> Result<()> {
        if !self.created() && v.created() {
            return self.visit(&mut WithoutCreated(v));
        }
        let (collectors, target) = self.snapshot();
        if let Some(t) = target {
            t.visit(v)?;
        }
        for c in collectors {
            c.visit(v)?;
        }
        Ok(())
    }
}

/// A registry seen through a set of sample names (`restricted_registry`): only those
/// samples, and only families that keep at least one. Restricted families lose their
/// unit, as prometheus_client's do.
pub struct Restricted<'a> {
    registry: &'a Registry,
    names: HashSet<String>,
}

/// A [`Visitor`] that passes on only the samples whose full names are in `names`, and a
/// family only when it keeps at least one sample (without its unit, as
/// prometheus_client's `_restricted_metric`). [`Restricted`] uses it; bindings with
/// registries of their own use it too.
pub struct NameFilter<'a> {
    names: &'a HashSet<String>,
    out: &'a mut dyn Visitor,
    header: Option<(String, String, MetricType)>,
    open: bool,
}

impl<'a> NameFilter<'a> {
    /// Filters what reaches `out` by sample name.
    pub fn new(names: &'a HashSet<String>, out: &'a mut dyn Visitor) -> Self {
        Self { names, out, header: None, open: false }
    }
}

impl Visitor for NameFilter<'_> {
    fn family(&mut self, h: &FamilyHeader<'_>) -> Result<()> {
        self.header = Some((h.name.to_owned(), h.help.to_owned(), h.metric_type));
        self.open = false;
        Ok(())
    }

    fn sample(&mut self, s: &SampleRef<'_>) -> Result<()> {
        if !self.names.contains(&s.full_name()) {
            return Ok(());
        }
        if !self.open {
            if let Some((name, help, t)) = &self.header {
                self.out.family(&FamilyHeader { name, help, metric_type: *t, unit: "" })?;
                self.open = true;
            }
        }
        self.out.sample(s)
    }

    fn end_family(&mut self) -> Result<()> {
        if std::mem::take(&mut self.open) {
            self.out.end_family()?;
        }
        Ok(())
    }

    fn created(&self) -> bool {
        self.out.created()
    }
}

impl Collector for Restricted<'_> {
    fn collect(&self) -> Result<Vec<MetricFamily>> {
        let mut c = FamilyCollector::default();
        self.visit(&mut c)?;
        Ok(c.families)
    }

    fn visit(&self, v: &mut dyn Visitor) -> Result<()> {
        if !self.registry.created() && v.created() {
            return self.visit(&mut WithoutCreated(v));
        }
        let (collectors, target) = {
            let inner = self.registry.inner.lock();
            let target = if self.names.contains("target_info") {
                inner.target_info.as_deref().map(Registry::target_family)
            } else {
                None
            };
            let cs: Vec<Arc<dyn Collector>> = inner
                .entries
                .iter()
                .filter(|e| {
                    (self.registry.without_names && e.names.is_empty())
                        || e.names.iter().any(|n| n != "target_info" && self.names.contains(n))
                })
                .map(|e| Arc::clone(&e.collector))
                .collect();
            (cs, target)
        };
        let mut f = NameFilter::new(&self.names, v);
        if let Some(t) = target {
            t.visit(&mut f)?;
        }
        for c in collectors {
            c.visit(&mut f)?;
        }
        Ok(())
    }
}
