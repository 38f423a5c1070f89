//! Prometheus remote write 1.0 requests from collected metrics, without I/O.
//!
//! [`build`] walks a collector (a registry, a family, a custom collector) once and turns
//! every sample it exposes into a `TimeSeries` of the protobuf `WriteRequest`
//! (`prometheus/prompb`, encoded by prost): `__name__` and the labels sorted by name, one
//! sample with the sample's own timestamp or else `now_ms`. Histograms and summaries go as
//! their classic series (`_bucket` with `le`, `_sum`, `_count`, quantiles), as a scrape of
//! the text format would ingest them; `_created` series follow the collector's own setting
//! unless [`RemoteWriteConfig::created`] leaves them out. External labels are added to
//! every series that does not already have a label of that name (as Prometheus adds its
//! `external_labels`). A series that repeats one already written is dropped, so the
//! series of one request batch are unique. Each family can add a `MetricMetadata` entry.
//!
//! The series are cut into requests whose uncompressed protobuf stays within
//! [`RemoteWriteConfig::max_request_bytes`] (a series larger than that goes alone), each
//! then compressed with snappy's block format. What to send is the body with
//! [`HEADERS`].

use std::hash::BuildHasher;

use prost::encoding::{encode_key, encode_varint, encoded_len_varint, WireType};
use prost::Message;
use smallvec::SmallVec;

use crate::model::{FamilyHeader, MetricType, SampleRef, Visitor};
use crate::registry::Collector;
use crate::{Error, Result};

/// The headers every remote-write 1.0 request carries.
pub const HEADERS: [(&str, &str); 3] = [
    ("Content-Encoding", "snappy"),
    ("Content-Type", "application/x-protobuf"),
    ("X-Prometheus-Remote-Write-Version", "0.1.0"),
];

/// The protobuf messages of remote write 1.0 (`prometheus/prompb/remote.proto` and
/// `types.proto`), the fields a writer sets.
pub mod proto {
    /// One request: series and optional metadata.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct WriteRequest {
        /// The series, each with its samples.
        #[prost(message, repeated, tag = "1")]
        pub timeseries: Vec<TimeSeries>,
        /// Per-family metadata.
        #[prost(message, repeated, tag = "3")]
        pub metadata: Vec<MetricMetadata>,
    }

    /// A label set and its samples.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TimeSeries {
        /// Sorted by name, `__name__` among them.
        #[prost(message, repeated, tag = "1")]
        pub labels: Vec<Label>,
        /// Samples in time order.
        #[prost(message, repeated, tag = "2")]
        pub samples: Vec<Sample>,
    }

    /// One label.
    #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Message)]
    pub struct Label {
        /// The name.
        #[prost(string, tag = "1")]
        pub name: String,
        /// The value.
        #[prost(string, tag = "2")]
        pub value: String,
    }

    /// One value at one time.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Sample {
        /// The value.
        #[prost(double, tag = "1")]
        pub value: f64,
        /// Milliseconds since the epoch.
        #[prost(int64, tag = "2")]
        pub timestamp: i64,
    }

    /// What a family is.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct MetricMetadata {
        /// A [`MetricType`] value.
        #[prost(enumeration = "MetricType", tag = "1")]
        pub r#type: i32,
        /// The family's name as the text format's `# TYPE` line gives it.
        #[prost(string, tag = "2")]
        pub metric_family_name: String,
        /// The HELP text.
        #[prost(string, tag = "4")]
        pub help: String,
        /// The unit, or empty.
        #[prost(string, tag = "5")]
        pub unit: String,
    }

    /// `MetricMetadata.MetricType`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum MetricType {
        /// Untyped.
        Unknown = 0,
        /// Counter.
        Counter = 1,
        /// Gauge.
        Gauge = 2,
        /// Histogram.
        Histogram = 3,
        /// Gauge histogram.
        Gaugehistogram = 4,
        /// Summary.
        Summary = 5,
        /// Info.
        Info = 6,
        /// State set.
        Stateset = 7,
    }
}

/// How [`build`] shapes the requests.
#[derive(Debug, Clone)]
pub struct RemoteWriteConfig {
    external_labels: Vec<(String, String)>,
    metadata: bool,
    created: bool,
    max_request_bytes: usize,
}

impl Default for RemoteWriteConfig {
    fn default() -> Self {
        Self { external_labels: Vec::new(), metadata: true, created: true, max_request_bytes: 1 << 20 }
    }
}

impl RemoteWriteConfig {
    /// Defaults: no external labels, metadata on, `_created` series as the collector
    /// gives them, requests of at most 1 MiB before compression.
    pub fn new() -> Self {
        Self::default()
    }

    /// Labels added to every series that lacks them (such as `instance` or an edge
    /// isolate's id). An empty value is no label and is skipped, as are an empty name and
    /// `__name__`.
    pub fn external_labels<K: Into<String>, V: Into<String>>(
        mut self,
        labels: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.external_labels = labels.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        self
    }

    /// Send a `MetricMetadata` entry per family with its series (on by default).
    pub fn metadata(mut self, on: bool) -> Self {
        self.metadata = on;
        self
    }

    /// Leave out native families' `_created` series when `false`.
    pub fn created(mut self, on: bool) -> Self {
        self.created = on;
        self
    }

    /// The most protobuf bytes (before compression) per request, from 1 KiB to 1 GiB.
    pub fn max_request_bytes(mut self, n: usize) -> Self {
        self.max_request_bytes = n.clamp(1024, 1 << 30);
        self
    }
}

/// One request to send: its snappy-compressed body, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteBody {
    /// The `WriteRequest`, protobuf-encoded and snappy-compressed (block format).
    pub body: Vec<u8>,
    /// How many series (one sample each) it carries.
    pub series: usize,
}

/// The `WriteRequest`s, decoded, for everything `collector` exposes now, cut to the size
/// limit (what [`build`] sends, before compression).
pub fn requests(
    collector: &dyn Collector,
    now_ms: i64,
    config: &RemoteWriteConfig,
) -> Result<Vec<proto::WriteRequest>> {
    let mut builder = Builder::new(now_ms, config.clone());
    collector.visit(&mut builder)?;
    builder
        .finish()
        .into_iter()
        .map(|(bytes, _)| {
            proto::WriteRequest::decode(bytes.as_slice()).map_err(|e| Error::InvalidArgument(e.to_string()))
        })
        .collect()
}

/// The compressed request bodies for everything `collector` exposes now (see the module
/// docs). An empty collector gives no request.
pub fn build(collector: &dyn Collector, now_ms: i64, config: &RemoteWriteConfig) -> Result<Vec<WriteBody>> {
    let mut builder = Builder::new(now_ms, config.clone());
    collector.visit(&mut builder)?;
    builder.finish_compressed()
}

/// Milliseconds since the epoch of a sample timestamp, as the text format writes it
/// (truncated); `None` when it does not fit an `i64`.
fn millis(ts: crate::model::Timestamp) -> Option<i64> {
    let ms = ts.as_f64() * 1000.0;
    (ms.is_finite() && ms.abs() < 9.2e18).then(|| ms.trunc() as i64)
}

/// Where a series' encoded labels are: request (an index into the finished ones, or the
/// one being filled when equal to their count), offset and length.
type Place = (u32, u32, u32);

/// The [`Visitor`] behind [`build`]: feed it families (several collectors in turn, as a
/// binding walks its registry), then take the requests.
///
/// Series are written straight into the request's protobuf bytes with prost's field
/// encoders (no message value per series), and a series is known again by a hash of its
/// encoded labels checked against the bytes already written.
#[derive(Debug)]
pub struct Builder {
    now_ms: i64,
    config: RemoteWriteConfig,
    /// The request being filled: `WriteRequest.timeseries` entries only.
    buf: Vec<u8>,
    /// Its series count, and the families it holds series of (in order, no repeats).
    count: usize,
    families_in_buf: Vec<usize>,
    /// The metadata bytes `flush` will add to it.
    metadata_bytes: usize,
    /// Finished requests (protobuf) and their series counts.
    done: Vec<(Vec<u8>, usize)>,
    /// Each family's `MetricMetadata`, encoded.
    metadata: Vec<Vec<u8>>,
    current: usize,
    seen: hashbrown::HashMap<u64, SmallVec<[Place; 1]>, foldhash::fast::FixedState>,
    labels: Vec<u8>,
}

/// The series table of a [`Builder`]: encoded-labels hash to where those labels are.
type Seen = hashbrown::HashMap<u64, SmallVec<[Place; 1]>, foldhash::fast::FixedState>;

/// What one build leaves for the next ([`Builder::with_scratch`],
/// [`Builder::finish_compressed_into`]): the request buffer, the series table and the
/// snappy encoder, emptied but with their sizes. A sender that builds the same registry
/// every interval then grows no buffer, rehashes no table and touches no fresh page:
/// for 10,000 series that is a sizeable part of the build.
#[derive(Default)]
pub struct Scratch {
    buf: Vec<u8>,
    seen: Option<Seen>,
    encoder: Option<snap::raw::Encoder>,
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scratch")
            .field("buf_capacity", &self.buf.capacity())
            .field("seen_capacity", &self.seen.as_ref().map_or(0, Seen::capacity))
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// A builder stamping samples without a timestamp of their own with `now_ms`.
    pub fn new(now_ms: i64, config: RemoteWriteConfig) -> Self {
        Self::with_scratch(now_ms, config, &mut Scratch::default())
    }

    /// [`new`](Self::new), taking its buffers from `scratch` (left empty; give them back
    /// with [`finish_compressed_into`](Self::finish_compressed_into)).
    pub fn with_scratch(now_ms: i64, config: RemoteWriteConfig, scratch: &mut Scratch) -> Self {
        let mut buf = std::mem::take(&mut scratch.buf);
        buf.clear();
        // Room for a typical request up front: growing a large buffer copies it.
        buf.reserve(config.max_request_bytes.min(256 * 1024));
        let mut seen = scratch.seen.take().unwrap_or_else(|| {
            hashbrown::HashMap::with_capacity_and_hasher(1024, foldhash::fast::FixedState::with_seed(0x5eed))
        });
        seen.clear();
        Self {
            now_ms,
            config,
            buf,
            count: 0,
            families_in_buf: Vec::new(),
            metadata_bytes: 0,
            done: Vec::new(),
            metadata: Vec::new(),
            current: 0,
            seen,
            labels: Vec::new(),
        }
    }

    /// Closes the request being filled: its families' metadata go after its series. `more`:
    /// series follow, so the next request starts with this one's room.
    fn flush(&mut self, more: bool) {
        if self.count == 0 {
            return;
        }
        // The next request, if more series come, starts with room for as much as this one.
        let room = if more { self.buf.capacity() } else { 0 };
        let mut bytes = std::mem::replace(&mut self.buf, Vec::with_capacity(room));
        if self.config.metadata {
            for &family in &self.families_in_buf {
                let meta = &self.metadata[family];
                encode_key(3, WireType::LengthDelimited, &mut bytes);
                encode_varint(meta.len() as u64, &mut bytes);
                bytes.extend_from_slice(meta);
            }
        }
        self.done.push((bytes, self.count));
        self.count = 0;
        self.families_in_buf.clear();
        self.metadata_bytes = 0;
    }

    /// The requests as protobuf bytes (not compressed), with their series counts.
    pub fn finish(mut self) -> Vec<(Vec<u8>, usize)> {
        self.flush(false);
        self.done
    }

    /// The requests, protobuf-encoded and snappy-compressed.
    pub fn finish_compressed(self) -> Result<Vec<WriteBody>> {
        self.finish_compressed_into(&mut Scratch::default())
    }

    /// [`finish_compressed`](Self::finish_compressed), leaving the buffers for the next
    /// build in `scratch` (see [`Scratch`]).
    pub fn finish_compressed_into(mut self, scratch: &mut Scratch) -> Result<Vec<WriteBody>> {
        let mut seen = std::mem::take(&mut self.seen);
        seen.clear();
        scratch.seen = Some(seen);
        let mut encoder = scratch.encoder.take().unwrap_or_else(snap::raw::Encoder::new);
        let mut bodies = Vec::new();
        let mut largest = Vec::new();
        for (bytes, series) in self.finish() {
            let body = encoder.compress_vec(&bytes).map_err(|e| Error::Compression(e.to_string()))?;
            bodies.push(WriteBody { body, series });
            if bytes.capacity() > largest.capacity() {
                largest = bytes;
            }
        }
        largest.clear();
        scratch.buf = largest;
        scratch.encoder = Some(encoder);
        Ok(bodies)
    }

    /// The bytes of a series' labels written earlier.
    fn labels_at(&self, (request, start, len): Place) -> &[u8] {
        let bytes = if request as usize == self.done.len() { &self.buf } else { &self.done[request as usize].0 };
        &bytes[start as usize..(start + len) as usize]
    }
}

/// Bytes a length-delimited field of `len` bytes takes (tags here are all below 16).
fn field_len(len: usize) -> usize {
    1 + encoded_len_varint(len as u64) + len
}

/// Writes one `Label` message as field 1 of a `TimeSeries`; the value may come in parts
/// (`__name__`'s family name and suffix).
fn encode_label(out: &mut Vec<u8>, name: &str, value: &[&str]) {
    let value_len: usize = value.iter().map(|v| v.len()).sum();
    encode_key(1, WireType::LengthDelimited, out);
    encode_varint((field_len(name.len()) + field_len(value_len)) as u64, out);
    encode_key(1, WireType::LengthDelimited, out);
    encode_varint(name.len() as u64, out);
    out.extend_from_slice(name.as_bytes());
    encode_key(2, WireType::LengthDelimited, out);
    encode_varint(value_len as u64, out);
    for part in value {
        out.extend_from_slice(part.as_bytes());
    }
}

impl Visitor for Builder {
    fn family(&mut self, h: &FamilyHeader<'_>) -> Result<()> {
        let (suffix, kind) = match h.metric_type {
            MetricType::Counter => ("_total", proto::MetricType::Counter),
            MetricType::Gauge => ("", proto::MetricType::Gauge),
            MetricType::Summary => ("", proto::MetricType::Summary),
            MetricType::Histogram => ("", proto::MetricType::Histogram),
            MetricType::GaugeHistogram => ("", proto::MetricType::Gaugehistogram),
            MetricType::Unknown => ("", proto::MetricType::Unknown),
            MetricType::Info => ("_info", proto::MetricType::Info),
            MetricType::StateSet => ("", proto::MetricType::Stateset),
        };
        self.current = self.metadata.len();
        let meta = proto::MetricMetadata {
            r#type: kind as i32,
            metric_family_name: format!("{}{suffix}", h.name),
            help: h.help.to_owned(),
            unit: h.unit.to_owned(),
        };
        self.metadata.push(meta.encode_to_vec());
        Ok(())
    }

    fn sample(&mut self, s: &SampleRef<'_>) -> Result<()> {
        if s.native_histogram.is_some() {
            return Ok(()); // remote write 1.0 has classic series only
        }
        // The labels, `__name__` (whose value is written from its two parts) among them,
        // then the external labels the series lacks; sorted by name.
        // A label with an empty value is no label (as a scrape stores it).
        let mut pairs: SmallVec<[(&str, &str); 8]> = SmallVec::new();
        // So is one without a name, and a sample's own `__name__` gives way to its name.
        let keep = |(n, v): &(&str, &str)| !v.is_empty() && !n.is_empty() && *n != "__name__";
        pairs.extend(s.labels.iter().copied().filter(keep));
        // The extra label is pushed on its own: chained into the iterator above, it made
        // the optimised code test a `None`'s unset fields before its tag, which valgrind
        // reports.
        if let Some(extra) = s.extra.filter(keep) {
            pairs.push(extra);
        }
        pairs.push(("__name__", ""));
        let own = pairs.len();
        for (name, value) in &self.config.external_labels {
            if !value.is_empty() && !name.is_empty() && !pairs[..own].iter().any(|(n, _)| n == name) {
                pairs.push((name, value));
            }
        }
        pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
        self.labels.clear();
        for &(name, value) in &pairs {
            if value.is_empty() {
                // The `__name__` entry: its value is the sample's name in two parts.
                encode_label(&mut self.labels, name, &[s.name, s.suffix]);
            } else {
                encode_label(&mut self.labels, name, &[value]);
            }
        }
        drop(pairs);
        let hash = foldhash::fast::FixedState::with_seed(0x1abe1).hash_one(&self.labels[..]);
        if let Some(places) = self.seen.get(&hash) {
            if places.iter().any(|&p| self.labels_at(p) == self.labels.as_slice()) {
                return Ok(()); // the same series again
            }
        }
        let timestamp = match s.timestamp {
            Some(ts) => millis(ts).ok_or_else(|| {
                Error::InvalidArgument(format!("the timestamp of {}{} does not fit in milliseconds", s.name, s.suffix))
            })?,
            None => self.now_ms,
        };
        // Sample { double value = 1; int64 timestamp = 2; }
        let sample_len = 1 + 8 + 1 + encoded_len_varint(timestamp as u64);
        let series_len = self.labels.len() + field_len(sample_len);
        // The family's metadata goes once into each request that holds its series.
        let metadata_len = if self.config.metadata { field_len(self.metadata[self.current].len()) } else { 0 };
        let new_family = self.families_in_buf.last() != Some(&self.current);
        let size = field_len(series_len) + if new_family { metadata_len } else { 0 };
        if self.buf.len() + self.metadata_bytes + size > self.config.max_request_bytes && self.count > 0 {
            self.flush(true);
        }
        if self.families_in_buf.last() != Some(&self.current) {
            self.families_in_buf.push(self.current);
            self.metadata_bytes += metadata_len;
        }
        encode_key(1, WireType::LengthDelimited, &mut self.buf);
        encode_varint(series_len as u64, &mut self.buf);
        let place = (self.done.len() as u32, self.buf.len() as u32, self.labels.len() as u32);
        self.buf.extend_from_slice(&self.labels);
        encode_key(2, WireType::LengthDelimited, &mut self.buf);
        encode_varint(sample_len as u64, &mut self.buf);
        encode_key(1, WireType::SixtyFourBit, &mut self.buf);
        self.buf.extend_from_slice(&s.value.to_le_bytes());
        encode_key(2, WireType::Varint, &mut self.buf);
        encode_varint(timestamp as u64, &mut self.buf);
        self.seen.entry(hash).or_default().push(place);
        self.count += 1;
        Ok(())
    }

    fn end_family(&mut self) -> Result<()> {
        Ok(())
    }

    fn created(&self) -> bool {
        self.config.created
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::model::{MetricFamily, Sample};
    use crate::{Counter, Family, Histogram, Opts, Registry};

    fn decode(body: &WriteBody) -> proto::WriteRequest {
        let raw = snap::raw::Decoder::new().decompress_vec(&body.body).expect("snappy");
        proto::WriteRequest::decode(raw.as_slice()).expect("protobuf")
    }

    fn names(ts: &proto::TimeSeries) -> Vec<(&str, &str)> {
        ts.labels.iter().map(|l| (l.name.as_str(), l.value.as_str())).collect()
    }

    #[test]
    fn series_are_sorted_stamped_and_labelled() {
        let registry = Registry::new();
        let requests =
            Family::<Counter>::new(Opts::new("requests", "Requests.").labels(["zone", "code"]), ()).expect("family");
        registry.register(requests.clone()).expect("register");
        requests.labels(&["eu", "200"]).expect("child").inc_by(3.0).expect("inc");
        let config = RemoteWriteConfig::new().created(false).external_labels([("instance", "edge-1"), ("zone", "x")]);
        let bodies = build(&registry, 1_700_000_000_123, &config).expect("build");
        assert_eq!(bodies.len(), 1);
        let request = decode(&bodies[0]);
        assert_eq!(request.timeseries.len(), 1);
        let ts = &request.timeseries[0];
        // Sorted by name; the series' own zone wins over the external one.
        assert_eq!(
            names(ts),
            [("__name__", "requests_total"), ("code", "200"), ("instance", "edge-1"), ("zone", "eu")]
        );
        assert_eq!(ts.samples, [proto::Sample { value: 3.0, timestamp: 1_700_000_000_123 }]);
        assert_eq!(request.metadata.len(), 1);
        assert_eq!(request.metadata[0].metric_family_name, "requests_total");
        assert_eq!(request.metadata[0].r#type, proto::MetricType::Counter as i32);
        assert_eq!(request.metadata[0].help, "Requests.");
    }

    #[test]
    fn histograms_go_as_classic_series_and_requests_are_cut_to_size() {
        let registry = Registry::new();
        let latency = Family::<Histogram>::new(
            Opts::new("latency_seconds", "Latency.").labels(["route"]),
            crate::Buckets::new(&[0.1, 1.0]).expect("buckets"),
        )
        .expect("family");
        registry.register(latency.clone()).expect("register");
        for i in 0..200 {
            latency.labels(&[&format!("/r{i}")]).expect("child").observe(0.5);
        }
        let config = RemoteWriteConfig::new().created(false).max_request_bytes(4096);
        let bodies = build(&registry, 1, &config).expect("build");
        assert!(bodies.len() > 1, "one request for 1000 series under 4 KiB");
        let mut all = Vec::new();
        for body in &bodies {
            let raw = snap::raw::Decoder::new().decompress_vec(&body.body).expect("snappy");
            assert!(raw.len() <= 4096, "{}", raw.len());
            let request = decode(body);
            assert_eq!(request.metadata.len(), 1);
            assert_eq!(body.series, request.timeseries.len());
            all.extend(request.timeseries);
        }
        // 200 children x (3 buckets + _count + _sum).
        assert_eq!(all.len(), 1000);
        let unique: HashSet<_> = all.iter().map(|t| t.labels.clone()).collect();
        assert_eq!(unique.len(), 1000);
        let r7: Vec<_> = all.iter().filter(|t| t.labels.iter().any(|l| l.value == "/r7")).map(names).collect();
        assert!(r7.contains(&vec![("__name__", "latency_seconds_bucket"), ("le", "0.1"), ("route", "/r7")]));
        assert!(r7.contains(&vec![("__name__", "latency_seconds_bucket"), ("le", "+Inf"), ("route", "/r7")]));
        assert!(r7.contains(&vec![("__name__", "latency_seconds_sum"), ("route", "/r7")]));
        assert!(r7.contains(&vec![("__name__", "latency_seconds_count"), ("route", "/r7")]));
    }

    /// A custom collector that repeats a series and stamps one sample itself.
    struct Repeats;
    impl Collector for Repeats {
        fn collect(&self) -> Result<Vec<MetricFamily>> {
            let mut f = MetricFamily::new("dup", "Repeated.", MetricType::Gauge, "")?;
            let sample = |labels: &[(&str, &str)], value, timestamp| Sample {
                name: "dup".to_owned(),
                labels: labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
                value,
                timestamp,
                exemplar: None,
                native_histogram: None,
            };
            f.samples.push(sample(&[("b", "2"), ("a", "1")], 1.0, None));
            f.samples.push(sample(&[("b", "2"), ("a", "1")], 2.0, None));
            // An empty value is no label.
            let stamped = Some(crate::model::Timestamp::Float(1_700_000_000.5));
            f.samples.push(sample(&[("a", "other"), ("c", ""), ("__name__", "x"), ("", "v")], 3.0, stamped));
            Ok(vec![f])
        }
    }

    #[test]
    fn a_repeated_series_goes_once_and_own_timestamps_are_kept() {
        let requests = requests(&Repeats, 42, &RemoteWriteConfig::new()).expect("requests");
        assert_eq!(requests.len(), 1);
        let series: Vec<_> = requests[0].timeseries.iter().map(|t| (names(t), t.samples.clone())).collect();
        assert_eq!(
            series,
            [
                (vec![("__name__", "dup"), ("a", "1"), ("b", "2")], vec![proto::Sample { value: 1.0, timestamp: 42 }]),
                (
                    vec![("__name__", "dup"), ("a", "other")],
                    vec![proto::Sample { value: 3.0, timestamp: 1_700_000_000_500 }]
                ),
            ]
        );
    }

    #[test]
    fn an_empty_registry_gives_no_request() {
        assert!(build(&Registry::new(), 1, &RemoteWriteConfig::new()).expect("build").is_empty());
    }

    #[test]
    fn builds_that_reuse_a_scratch_give_the_same_bytes_as_fresh_ones() {
        let registry = Registry::new();
        let wide = Family::<Counter>::new(Opts::new("wide", "Many series.").labels(["i"]), ()).expect("family");
        registry.register(wide.clone()).expect("register");
        registry.register(Repeats).expect("register");
        for i in 0..3000 {
            wide.labels(&[&i.to_string()]).expect("child").inc_by(f64::from(i)).expect("inc");
        }
        let mut scratch = Scratch::default();
        // Several requests, then one, then several again, through the same scratch: each
        // build's bodies are those of a fresh builder, and no series of a build leaks
        // into the next one's table (the repeated series would be dropped otherwise).
        for max in [16 * 1024, 1 << 20, 8 * 1024] {
            let config = RemoteWriteConfig::new().max_request_bytes(max);
            let fresh = build(&registry, 7, &config).expect("fresh");
            let mut builder = Builder::with_scratch(7, config.clone(), &mut scratch);
            registry.visit(&mut builder).expect("visit");
            let reused = builder.finish_compressed_into(&mut scratch).expect("reused");
            assert_eq!(reused, fresh, "max_request_bytes {max}");
            assert_eq!(reused.iter().map(|b| b.series).sum::<usize>(), 2 * 3000 + 2);
            assert!(scratch.buf.is_empty() && scratch.buf.capacity() > 0);
            assert!(scratch.seen.as_ref().is_some_and(|s| s.is_empty() && s.capacity() >= 6000));
        }
    }
}
