//! The one error type of the core.
//!
//! Every fallible operation returns [`Result`]. Each [`Error`] variant names one cause and
//! carries its facts as fields (the offending name or value, the expected and given
//! counts, the line and column of a parse error), so every face can react to the cause:
//! C maps variants to status codes, JS to `Error` codes, and the Python face formats
//! prometheus_client's own messages from the fields
//! ([`compat::python::message`](crate::compat::python::message)). `Display` is a neutral,
//! self-contained English sentence.

use std::fmt;

use crate::model::MetricType;

/// Why a label name is reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reserved {
    /// Names starting with `__` belong to Prometheus itself.
    Prefix,
    /// The metric type adds this label itself (`le` on histograms, `quantile` on summaries).
    ForType,
    /// An enum (stateset) uses its own name as the label of its states.
    EnumName,
}

/// What is wrong with a set of histogram buckets.
#[derive(Debug, Clone, PartialEq)]
pub enum BucketProblem {
    /// The bounds are not in increasing order.
    Unsorted,
    /// Fewer than two bounds (counting the `+Inf` bound that is always added).
    TooFew,
    /// A bound is NaN.
    NotANumber,
    /// `linear` buckets need a count of at least 1 and a positive width.
    Linear,
    /// `exponential` buckets need a count of at least 1, a positive start and a factor above 1.
    Exponential,
    /// A bucket list handed over as data (a custom collector's histogram) has no entries.
    Empty,
    /// A bucket bound handed over as text is not a number.
    BadBound(String),
}

/// Everything that can go wrong in fastprom's core. No user input makes the core panic;
/// it returns one of these instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No metric name was given.
    #[error("a metric needs a name")]
    MissingName,
    /// A metric name is empty or not valid under the family's validation scheme.
    #[error("invalid metric name {name:?}")]
    InvalidMetricName {
        /// The name as given (may be empty).
        name: String,
    },
    /// A label name is not valid under the validation scheme.
    #[error("invalid label name {name:?}")]
    InvalidLabelName {
        /// The label name.
        name: String,
    },
    /// A label name is reserved.
    #[error("label name {name:?} is reserved ({})", match reason {
        Reserved::Prefix => "names starting with __ are Prometheus' own",
        Reserved::ForType => "the metric type adds it itself",
        Reserved::EnumName => "an enum labels its states with its own name",
    })]
    ReservedLabelName {
        /// The label name.
        name: String,
        /// Why it is reserved.
        reason: Reserved,
    },
    /// A label name appears twice in a family's label names.
    #[error("label name {name:?} is given twice")]
    DuplicateLabelName {
        /// The repeated name.
        name: String,
    },
    /// A family declares more label names than the core supports.
    #[error("{given} label names, at most {max} are supported")]
    TooManyLabels {
        /// How many were given.
        given: usize,
        /// The limit.
        max: usize,
    },
    /// A unit was given to a type that cannot have one (info, stateset).
    #[error("metric {name:?} cannot have a unit")]
    UnitNotAllowed {
        /// The full name, unit applied.
        name: String,
    },
    /// A metric type name is not one the core knows.
    #[error("unknown metric type {given:?}")]
    UnknownMetricType {
        /// The type as given.
        given: String,
    },
    /// The number of label values differs from the number of label names.
    #[error("expected {expected} label values, got {}", given.len())]
    LabelCount {
        /// How many label names the family has.
        expected: usize,
        /// The values given.
        given: Vec<String>,
    },
    /// Label values given by name do not name exactly the family's labels.
    #[error("expected the labels {expected:?}, got {given:?}")]
    LabelNames {
        /// The family's label names.
        expected: Vec<String>,
        /// The names given.
        given: Vec<String>,
    },
    /// A label filter names labels the family does not have.
    #[error("unknown label names {unknown:?}; the family has {expected:?}")]
    UnknownLabelNames {
        /// The names not in the family.
        unknown: Vec<String>,
        /// The family's label names.
        expected: Vec<String>,
    },
    /// Label values were given to a family declared without label names.
    #[error("{metric_type} {name:?} has no label names")]
    NotLabelled {
        /// The family's type.
        metric_type: MetricType,
        /// The family's name.
        name: String,
    },
    /// A labelled family was used as if it had no labels.
    #[error("{metric_type} {name:?} needs label values")]
    MissingLabelValues {
        /// The family's type.
        metric_type: MetricType,
        /// The family's name.
        name: String,
    },
    /// A counter was asked to go down (or set to a negative or NaN total).
    #[error("counters only go up, got {amount}")]
    NegativeIncrement {
        /// The amount given.
        amount: f64,
    },
    /// Registering a collector would expose time series another collector already exposes.
    #[error("time series already registered: {}", names.join(", "))]
    DuplicateTimeseries {
        /// The clashing series names, sorted.
        names: Vec<String>,
    },
    /// A registry already has a `target_info` metric of another collector.
    #[error("the registry already has a target_info metric")]
    TargetInfoTaken,
    /// Histogram buckets are unusable.
    #[error("invalid histogram buckets: {}", match problem {
        BucketProblem::Unsorted => "bounds not in increasing order".to_owned(),
        BucketProblem::TooFew => "fewer than two bounds".to_owned(),
        BucketProblem::NotANumber => "a bound is NaN".to_owned(),
        BucketProblem::Linear => "linear buckets need count >= 1 and width > 0".to_owned(),
        BucketProblem::Exponential => "exponential buckets need count >= 1, start > 0 and factor > 1".to_owned(),
        BucketProblem::Empty => "no buckets".to_owned(),
        BucketProblem::BadBound(b) => format!("bound {b:?} is not a number"),
    })]
    InvalidBuckets {
        /// What is wrong.
        problem: BucketProblem,
    },
    /// A bucket index is past the last bucket.
    #[error("bucket index {index} out of range (the histogram has {len} buckets)")]
    BucketIndex {
        /// The index given.
        index: usize,
        /// How many buckets there are.
        len: usize,
    },
    /// Exemplar labels are longer than OpenMetrics allows.
    #[error("exemplar labels have {runes} characters, at most {max} are allowed")]
    ExemplarTooLong {
        /// Characters in the names and values together.
        runes: usize,
        /// The limit (128).
        max: usize,
    },
    /// An exemplar on a sample that cannot carry one (only counters and histogram buckets can).
    #[error("metric {name:?} has exemplars, but only counters and histogram buckets may")]
    ExemplarNotAllowed {
        /// The family's name.
        name: String,
    },
    /// An enum was set to a state it does not declare.
    #[error("unknown state {state:?}")]
    UnknownState {
        /// The state given.
        state: String,
    },
    /// An enum was declared without states.
    #[error("enum {name:?} has no states")]
    NoStates {
        /// The enum's name.
        name: String,
    },
    /// An info value uses one of the family's own label names.
    #[error("info value labels overlap the family's label names {label_names:?}")]
    InfoOverlap {
        /// The family's label names.
        label_names: Vec<String>,
        /// The pairs given.
        given: Vec<(String, String)>,
    },
    /// A timestamp cannot be written because it is NaN or infinite.
    #[error("timestamp {value} is not finite")]
    TimestampNotFinite {
        /// The value.
        value: f64,
    },
    /// Any other invalid argument, described in the message.
    #[error("{0}")]
    InvalidArgument(String),
    /// Writing an exposition to an `io::Write` failed.
    #[error("write failed: {0}")]
    Io(String),
    /// Compressing a body failed.
    #[error("compression failed: {0}")]
    Compression(String),
    /// Input text could not be parsed.
    #[error("line {line}, column {column}: {msg}")]
    Parse {
        /// 1-based line number where the problem was found.
        line: usize,
        /// 1-based column (in characters) of the offending part of the line; 1 when the
        /// line as a whole is at fault.
        column: usize,
        /// What is wrong.
        msg: String,
    },
    /// The collector is not (or no longer) registered.
    #[error("collector is not registered")]
    NotRegistered,
    /// A custom collector failed while collecting.
    #[error("collector failed: {0}")]
    Collect(String),
}

/// Result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_neutral_and_carry_the_fields() {
        let e = Error::DuplicateTimeseries { names: vec!["a".into(), "a_total".into()] };
        assert_eq!(e.to_string(), "time series already registered: a, a_total");
        let e = Error::LabelCount { expected: 2, given: vec!["x".into()] };
        assert_eq!(e.to_string(), "expected 2 label values, got 1");
        let e = Error::ReservedLabelName { name: "le".into(), reason: Reserved::ForType };
        assert_eq!(e.to_string(), "label name \"le\" is reserved (the metric type adds it itself)");
        let e = Error::Parse { line: 3, column: 7, msg: "bad value".into() };
        assert_eq!(e.to_string(), "line 3, column 7: bad value");
    }
}
