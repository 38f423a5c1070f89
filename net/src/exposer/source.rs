//! What an exposer serves, and how one scrape of it is rendered.

use std::collections::HashSet;
use std::sync::Arc;

use fastprom::expose::{self, negotiate};
use fastprom::model::{FamilyCollector, MetricFamily, Visitor};
use fastprom::registry::NameFilter;
use fastprom::{Collector, Registry};

use super::respond::Responder;

/// The metrics an [`Exposer`](super::Exposer) serves.
///
/// A [`Registry`] answers the `name[]` query filter through [`Registry::restricted`]
/// (only the collectors that own one of the names are collected, as prometheus_client's
/// `restricted_registry`); any other collector is collected whole and its samples filtered
/// by name.
#[derive(Clone)]
pub enum Source {
    /// A registry.
    Registry(Arc<Registry>),
    /// Any other collector (a family, a custom collector, a binding's own registry).
    Collector(Arc<dyn Collector>),
    /// Not metrics but a face's own answers: every request that passes the exposer's
    /// limits and authentication goes to the [`Responder`].
    Responder(Arc<dyn Responder>),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Registry(r) => f.debug_tuple("Registry").field(r).finish(),
            Self::Collector(_) => f.write_str("Collector(..)"),
            Self::Responder(_) => f.write_str("Responder(..)"),
        }
    }
}

impl Source {
    /// Any collector, taken by value.
    pub fn collector(collector: impl Collector + 'static) -> Self {
        Self::Collector(Arc::new(collector))
    }

    /// A [`Responder`] source, taken by value.
    pub fn responder(responder: impl Responder + 'static) -> Self {
        Self::Responder(Arc::new(responder))
    }

    fn as_collector(&self) -> Option<&dyn Collector> {
        match self {
            Self::Registry(r) => Some(&**r),
            Self::Collector(c) => Some(&**c),
            Self::Responder(_) => None,
        }
    }
}

impl From<Arc<Registry>> for Source {
    fn from(registry: Arc<Registry>) -> Self {
        Self::Registry(registry)
    }
}

impl From<Registry> for Source {
    fn from(registry: Registry) -> Self {
        Self::Registry(Arc::new(registry))
    }
}

impl From<Arc<dyn Collector>> for Source {
    fn from(collector: Arc<dyn Collector>) -> Self {
        Self::Collector(collector)
    }
}

/// A collector seen through a set of sample names.
struct Filtered<'a> {
    inner: &'a dyn Collector,
    names: HashSet<String>,
}

impl Collector for Filtered<'_> {
    fn collect(&self) -> fastprom::Result<Vec<MetricFamily>> {
        let mut families = FamilyCollector::default();
        self.visit(&mut families)?;
        Ok(families.families)
    }

    fn visit(&self, v: &mut dyn Visitor) -> fastprom::Result<()> {
        self.inner.visit(&mut NameFilter::new(&self.names, v))
    }
}

/// One rendered scrape.
#[derive(Debug)]
pub(crate) struct Scrape {
    /// The exposition, gzip-compressed when `gzipped`.
    pub(crate) body: Vec<u8>,
    /// The `Content-Type` answer, as prometheus_client writes it.
    pub(crate) content_type: String,
    /// Whether `body` is gzip-compressed (`Content-Encoding: gzip`).
    pub(crate) gzipped: bool,
}

/// Renders `source` as prometheus_client's `_bake_output` does: the format from `accept`,
/// restricted to `names` when given, gzip-compressed when `compress` and
/// `accept_encoding` allows it.
pub(crate) fn render(
    source: &Source,
    accept: Option<&str>,
    accept_encoding: Option<&str>,
    names: Option<Vec<String>>,
    compress: bool,
) -> fastprom::Result<Scrape> {
    let how = negotiate(accept);
    let Some(collector) = source.as_collector() else {
        return Err(fastprom::Error::InvalidArgument("a responder renders no metrics".to_owned()));
    };
    let body = match (source, names) {
        (Source::Registry(r), Some(names)) => expose::encode(&r.restricted(names), &how)?,
        (_, Some(names)) => expose::encode(&Filtered { inner: collector, names: names.into_iter().collect() }, &how)?,
        (_, None) => expose::encode(collector, &how)?,
    };
    let gzipped = compress && expose::gzip_accepted(accept_encoding);
    let body = if gzipped { expose::gzip(&body) } else { body };
    Ok(Scrape { body, content_type: how.content_type, gzipped })
}
