//! prometheus_client 0.26's wording for each core error, built from the error's fields.
//!
//! The neutral [`Error`] says what went wrong in its own words; Python users and tests
//! match on prometheus_client's exception types and texts, so the Python face renders
//! them here. A handful of texts keep prometheus_client's oddities on purpose (the
//! `methe fric` typo, the `%d` it never fills in), because code in the wild compares them.

use super::repr::{dict_repr, list_repr, str_repr, tuple_repr};
use crate::error::{BucketProblem, Error, Reserved};

/// The Python exception class prometheus_client raises for an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exception {
    /// `ValueError`, for nearly everything.
    ValueError,
    /// `KeyError` (unregistering a collector that is not registered).
    KeyError,
    /// `OverflowError` (`int()` of an infinite timestamp).
    OverflowError,
}

/// The exception class for `e`.
pub fn exception(e: &Error) -> Exception {
    match e {
        Error::NotRegistered => Exception::KeyError,
        Error::TimestampNotFinite { value } if !value.is_nan() => Exception::OverflowError,
        _ => Exception::ValueError,
    }
}

/// prometheus_client's message for `e`.
///
/// ```
/// use fastprom::compat::python::message;
/// use fastprom::Error;
///
/// let e = Error::DuplicateTimeseries { names: vec!["a".into(), "a_total".into()] };
/// assert_eq!(message(&e), "Duplicated timeseries in CollectorRegistry: {'a', 'a_total'}");
/// ```
pub fn message(e: &Error) -> String {
    match e {
        Error::MissingName => "Metric name should not be empty".to_owned(),
        Error::InvalidMetricName { name } if name.is_empty() => "metric name cannot be empty".to_owned(),
        Error::InvalidMetricName { name } => format!("invalid metric name {name}"),
        Error::InvalidLabelName { name } => format!("Invalid label metric name: {name}"),
        Error::ReservedLabelName { name, reason: Reserved::Prefix } => format!("Reserved label metric name: {name}"),
        Error::ReservedLabelName { name, reason: Reserved::ForType } => {
            format!("Reserved label methe fric name: {name}")
        }
        Error::ReservedLabelName { name, reason: Reserved::EnumName } => {
            format!("Overlapping labels for Enum metric: {name}")
        }
        Error::DuplicateLabelName { name } => format!("Duplicate label name: {name}"),
        Error::TooManyLabels { given, max } => format!("Too many label names ({given}), at most {max}"),
        Error::UnitNotAllowed { name } => format!("Metric name is of a type that cannot have a unit: {name}"),
        Error::UnknownMetricType { given } => format!("Invalid metric type: {given}"),
        Error::LabelCount { .. } => "Incorrect label count".to_owned(),
        Error::LabelNames { .. } => "Incorrect label names".to_owned(),
        Error::UnknownLabelNames { unknown, expected } => {
            format!("Unknown label names: {}; expected {}", list_repr(unknown), tuple_repr(expected))
        }
        Error::NotLabelled { metric_type, name } => {
            format!("No label names were set when constructing {metric_type}:{name}")
        }
        Error::MissingLabelValues { metric_type, .. } => format!("{metric_type} metric is missing label values"),
        Error::NegativeIncrement { .. } => "Counters can only be incremented by non-negative amounts.".to_owned(),
        Error::DuplicateTimeseries { names } => {
            let set: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
            format!("Duplicated timeseries in CollectorRegistry: {{{}}}", set.join(", "))
        }
        Error::TargetInfoTaken => "CollectorRegistry already contains a target_info metric".to_owned(),
        Error::InvalidBuckets { problem } => buckets_message(problem),
        Error::BucketIndex { index, .. } => format!("bucket index {index} out of range"),
        Error::ExemplarTooLong { .. } => {
            "Exemplar labels have %d UTF-8 characters, exceeding the limit of 128".to_owned()
        }
        Error::ExemplarNotAllowed { name } => {
            format!("Metric {name} has exemplars, but is not a histogram bucket or counter")
        }
        Error::UnknownState { state } => format!("{} is not in list", str_repr(state)),
        Error::NoStates { name } => format!("No states provided for Enum metric: {name}"),
        Error::InfoOverlap { label_names, given } => format!(
            "Overlapping labels for Info metric, metric: {} child: {}",
            tuple_repr(label_names),
            dict_repr(given)
        ),
        Error::TimestampNotFinite { value } if value.is_nan() => "cannot convert float NaN to integer".to_owned(),
        Error::TimestampNotFinite { .. } => "cannot convert float infinity to integer".to_owned(),
        Error::Compression(m) => format!("gzip compression failed: {m}"),
        Error::NotRegistered => "Collector is not registered".to_owned(),
        Error::InvalidArgument(m) | Error::Io(m) | Error::Collect(m) | Error::Parse { msg: m, .. } => m.clone(),
    }
}

/// The message `remove()` raises for a wrong number of label values, which, unlike
/// `labels()`, names the expected count and the values given.
pub fn remove_label_count_message(expected: usize, given: &[String]) -> String {
    format!("Incorrect label count (expected {expected}, got {})", tuple_repr(given))
}

fn buckets_message(p: &BucketProblem) -> String {
    match p {
        BucketProblem::Unsorted | BucketProblem::NotANumber => "Buckets not in sorted order".to_owned(),
        BucketProblem::TooFew => "Must have at least two buckets".to_owned(),
        BucketProblem::Empty => "list index out of range".to_owned(),
        BucketProblem::BadBound(b) => format!("could not convert string to float: {}", str_repr(b)),
        other => Error::InvalidBuckets { problem: other.clone() }.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MetricType;

    #[test]
    fn texts_and_classes() {
        let cases = [
            (Error::InvalidMetricName { name: String::new() }, "metric name cannot be empty"),
            (Error::InvalidMetricName { name: "a b".into() }, "invalid metric name a b"),
            (
                Error::ReservedLabelName { name: "le".into(), reason: Reserved::ForType },
                "Reserved label methe fric name: le",
            ),
            (
                Error::NotLabelled { metric_type: MetricType::Counter, name: "c".into() },
                "No label names were set when constructing counter:c",
            ),
            (Error::UnknownState { state: "x'y".into() }, "\"x'y\" is not in list"),
            (Error::InvalidBuckets { problem: BucketProblem::NotANumber }, "Buckets not in sorted order"),
        ];
        for (e, want) in cases {
            assert_eq!(message(&e), want);
            assert_eq!(exception(&e), Exception::ValueError);
        }
        assert_eq!(exception(&Error::TimestampNotFinite { value: f64::INFINITY }), Exception::OverflowError);
        assert_eq!(exception(&Error::NotRegistered), Exception::KeyError);
        assert_eq!(remove_label_count_message(2, &["a".into()]), "Incorrect label count (expected 2, got ('a',))");
    }
}
