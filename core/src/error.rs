//! The one error type of the core.
//!
//! Every fallible operation returns [`Result`]. The `Display` text of each variant is the
//! message prometheus_client 0.26 raises for the same mistake, so bindings can pass it through
//! unchanged (Python users and tests match on these strings).

use std::fmt;

/// Everything that can go wrong in fastprom's core. No user input makes the core panic;
/// it returns one of these instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A metric name is empty or not valid under the active validation scheme.
    #[error("{0}")]
    InvalidMetricName(String),
    /// A label name is not valid under the active validation scheme.
    #[error("{0}")]
    InvalidLabelName(String),
    /// A label name is reserved (`__` prefix, or `le` / `quantile` on histograms and
    /// summaries, or the name of an enum).
    #[error("{0}")]
    ReservedLabelName(String),
    /// Label values do not match the family's label names (count, names, or missing).
    #[error("{0}")]
    LabelMismatch(String),
    /// A counter was asked to go down.
    #[error("Counters can only be incremented by non-negative amounts.")]
    NegativeIncrement,
    /// Registering a collector would expose a time series another collector already exposes.
    #[error("Duplicated timeseries in CollectorRegistry: {}", PySet(.0))]
    DuplicateTimeseries(Vec<String>),
    /// Histogram buckets are unsorted or too few.
    #[error("{0}")]
    InvalidBuckets(String),
    /// An exemplar is malformed or too long.
    #[error("{0}")]
    InvalidExemplar(String),
    /// Any other invalid argument (unit on an info metric, empty enum states, unknown
    /// state, bad quantile, bad grouping key, ...).
    #[error("{0}")]
    InvalidArgument(String),
    /// A metric family cannot be encoded in the requested format.
    #[error("{0}")]
    Encode(String),
    /// Input text could not be parsed; `line` is 1-based.
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
    /// The collector handle is not (or no longer) registered.
    #[error("Collector is not registered")]
    NotRegistered,
    /// A custom collector failed while collecting.
    #[error("{0}")]
    Collect(String),
}

/// Result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Formats names as Python formats a `set` of strings: `{'a', 'b'}`.
struct PySet<'a>(&'a [String]);

impl fmt::Display for PySet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "'{s}'")?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_message_matches_prometheus_client() {
        let e = Error::DuplicateTimeseries(vec!["a".into(), "a_total".into()]);
        assert_eq!(e.to_string(), "Duplicated timeseries in CollectorRegistry: {'a', 'a_total'}");
    }

    #[test]
    fn negative_increment_message() {
        assert_eq!(Error::NegativeIncrement.to_string(), "Counters can only be incremented by non-negative amounts.");
    }
}
