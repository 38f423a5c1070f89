//! The sender's retry policy: which failures are worth a retry, the backoff between
//! retries, and deadlines that cannot overflow.

use std::hash::BuildHasher;
use std::time::{Duration, Instant};

use crate::Error;

/// The first retry's delay, doubled with each failure in a row.
const FIRST_RETRY: Duration = Duration::from_millis(500);

/// Whether a failed request is worth sending again: the receiver is overloaded or down
/// (5xx, 429), or there was no complete answer (no connection, no answer in time, a broken
/// exchange). Any other refusal will not change.
pub(super) fn retryable(e: &Error) -> bool {
    match e {
        Error::Status { status, .. } => *status == 429 || *status >= 500,
        Error::Connect { .. } | Error::Timeout { .. } | Error::Transport { .. } => true,
        _ => false,
    }
}

/// The wait before retry number `failures` (1 for the first): 0.5 s doubling, within
/// ±20 % jitter, at most `max`; at least the receiver's `Retry-After` (within the same
/// bound).
pub(super) fn backoff(failures: u32, retry_after: Option<Duration>, max: Duration) -> Duration {
    let doubled = FIRST_RETRY.as_secs_f64() * 2f64.powi(failures.saturating_sub(1).min(16) as i32);
    let max = max.as_secs_f64();
    let mut delay = (doubled.min(max) * (0.8 + 0.4 * jitter())).min(max);
    if let Some(asked) = retry_after {
        delay = delay.max(asked.as_secs_f64()).min(max);
    }
    Duration::from_secs_f64(delay)
}

/// A number in [0, 1) from the standard library's per-process random keys, enough to
/// spread the retries of many senders.
fn jitter() -> f64 {
    let bits = std::collections::hash_map::RandomState::new().hash_one(Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// `at + d`, or about a century later when that does not fit an `Instant` (a timeout of
/// `Duration::MAX` means "no deadline", not a panic).
pub(super) fn add_or_far(at: Instant, d: Duration) -> Instant {
    at.checked_add(d).or_else(|| at.checked_add(FAR)).unwrap_or(at)
}

/// What [`add_or_far`] falls back to.
const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The deadline `timeout` from now.
pub(super) fn deadline_after(timeout: Duration) -> Instant {
    add_or_far(Instant::now(), timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_retried() {
        use fastprom::push::PushMethod::Post;
        let status = |status| Error::Status { method: Post, url: "u".into(), status, body: String::new() };
        assert!(retryable(&status(500)));
        assert!(retryable(&status(503)));
        assert!(retryable(&status(429)));
        assert!(!retryable(&status(400)));
        assert!(!retryable(&status(404)));
        assert!(!retryable(&status(308)));
        assert!(retryable(&Error::Connect { method: Post, url: "u".into(), reason: "refused".into() }));
        assert!(retryable(&Error::Timeout { method: Post, url: "u".into(), timeout: Duration::from_secs(1) }));
        assert!(retryable(&Error::Transport { method: Post, url: "u".into(), reason: "reset".into() }));
        assert!(!retryable(&Error::InvalidUrl { url: "u".into(), reason: "bad".into() }));
    }

    #[test]
    fn backoff_doubles_within_its_bounds() {
        let max = Duration::from_secs(30);
        // From the 7th failure the doubling passes the bound: 30 s, jittered down to 24 s.
        for (failures, low, high) in [(1, 0.4, 0.6), (2, 0.8, 1.2), (3, 1.6, 2.4), (6, 12.8, 19.2), (7, 24.0, 30.0)] {
            let d = backoff(failures, None, max).as_secs_f64();
            assert!((low..=high).contains(&d), "{failures}: {d}");
        }
        assert!(backoff(u32::MAX, None, max) <= max);
        // Retry-After lengthens the wait, within the bound.
        let d = backoff(1, Some(Duration::from_secs(5)), max);
        assert_eq!(d, Duration::from_secs(5));
        assert_eq!(backoff(1, Some(Duration::from_secs(3600)), max), max);
        assert!(backoff(3, Some(Duration::ZERO), max) >= Duration::from_millis(1600));
    }

    #[test]
    fn jitter_is_in_range() {
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }
}
