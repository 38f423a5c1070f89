//! Sliding-window quantiles with bounded rank error, for Summary metrics.
//!
//! A [`WindowedQuantiles`] answers "what is the φ-quantile of the observations of the last
//! `max_age` seconds" for a fixed set of [`Objective`]s, in memory that grows only
//! logarithmically with the number of observations. It follows the Prometheus Go client's
//! summary:
//!
//! * The window is made of `age_buckets` streams. Every observation goes into all of them.
//!   The *head* stream, the one that is queried, is the oldest. Every
//!   `max_age / age_buckets` seconds the head stream is cleared and becomes the newest, so a
//!   query sees between `max_age - max_age / age_buckets` and `max_age` seconds of data.
//! * Each stream is a CKMS "targeted quantiles" summary (Cormode, Korn, Muthukrishnan,
//!   Srivastava, *Effective Computation of Biased Quantiles over Data Streams*, ICDE 2005), as
//!   in beorn7/perks: observations are buffered, the sorted buffer is merged into a sorted list
//!   of `(value, g, Δ)` tuples, and the list is compressed under the invariant `f(r, n)` derived
//!   from the objectives.
//!
//! # Accuracy
//!
//! For an objective `(φ, ε)` over a window holding `n` observations, the returned value `v`
//! has a position `R` (1-based) in the sorted observations with `φn − εn ≤ R ≤ φn + εn + 1`.
//! While a stream has too few observations to need any compression, the answer is exact: the
//! nearest-rank quantile, the observation at position `max(1, ⌈φn⌉)`.
//!
//! Compared with perks, two details differ, both to make that bound hold for every input:
//! a new tuple gets the rank uncertainty of its successor (`Δ = g + Δ − 1` of the next tuple,
//! as in Greenwald–Khanna) rather than `f(r, n) − 1`, and two tuples are merged only if the
//! merged tuple satisfies the invariant over every rank it may stand for, not just at one rank.
//! The smallest and the largest observation are always kept exactly. A query returns the
//! tuple whose guaranteed rank interval is closest to the target (one pass over the tuples).
//!
//! Memory is small: with the Go-style objectives {0.5: 0.05, 0.9: 0.01, 0.99: 0.001}, a stream
//! holds about 40 tuples after a million observations, plus a 500-value insert buffer shared by
//! all streams.
//!
//! # Time
//!
//! The core has no clock: every call takes `now` in (fractional) Unix seconds. Long idle gaps
//! cost O(`age_buckets`) at most. A clock that steps back a little is ignored; one that steps
//! back before the last rotation re-anchors the rotation schedule at the new time (the data is
//! kept). A non-finite `now` passed to [`WindowedQuantiles::observe`],
//! [`WindowedQuantiles::query`] or [`WindowedQuantiles::reset`] never rotates anything.
//!
//! # NaN
//!
//! NaN observations are skipped: they have no rank. (The Summary's `_sum` and `_count` are kept
//! by the caller, which decides what NaN does to them.) Infinities are ordinary values.

use std::cmp::Ordering;

use crate::error::{Error, Result};

/// One quantile objective: the quantile (0..=1) and its allowed absolute rank error.
///
/// `Objective { quantile: 0.9, error: 0.01 }` asks for a value whose rank lies within
/// `0.01 · n` (plus one for rounding) of `0.9 · n`, like the Go client's `{0.9: 0.01}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Objective {
    /// The quantile φ to estimate, in `[0, 1]`.
    pub quantile: f64,
    /// The allowed absolute rank error ε, in `(0, 1)`, as a fraction of the observation count.
    pub error: f64,
}

impl Objective {
    /// Builds an objective; [`WindowedQuantiles::new`] validates it.
    pub const fn new(quantile: f64, error: f64) -> Self {
        Self { quantile, error }
    }
}

/// Observations buffered before they are sorted and merged into the streams.
const BUFFER_CAP: usize = 500;

/// One tuple of a CKMS summary.
///
/// The tuples are sorted by `value`; `g` is the number of observations this tuple stands for,
/// so the sum of `g` up to and including a tuple (`r_min`) is a lower bound of its value's rank,
/// and `r_min + delta` is an upper bound.
#[derive(Debug, Clone, Copy)]
struct Sample {
    value: f64,
    g: u64,
    delta: u64,
}

/// One CKMS targeted-quantiles summary.
#[derive(Debug, Clone, Default)]
struct Stream {
    samples: Vec<Sample>,
    /// Number of observations merged in (the sum of all `g`).
    n: u64,
}

/// `f_j(r, n)` of CKMS for one objective: the largest `g + Δ` a tuple standing at rank `r` may
/// have. It is V-shaped with its minimum `2εn` at `r = φn`:
/// `2ε · max(r / φ, (n − r) / (1 − φ))`, with infinite arms where φ is 0 or 1.
///
/// It never decreases when `r` grows by `a` and `n` by `b >= a`, which is what keeps the
/// invariant true as observations arrive.
fn allowed_one(o: &Objective, r: f64, n: f64) -> f64 {
    let t = o.quantile * n;
    if r < t {
        if o.quantile < 1.0 {
            2.0 * o.error * (n - r) / (1.0 - o.quantile)
        } else {
            f64::INFINITY
        }
    } else if r > t {
        if o.quantile > 0.0 {
            2.0 * o.error * r / o.quantile
        } else {
            f64::INFINITY
        }
    } else {
        2.0 * o.error * n
    }
}

/// Minimum of `f(r, n) = min_j f_j(r, n)` over the real interval `[lo, hi]`.
///
/// Each `f_j` is convex with its minimum at `φ_j n`, so its minimum over the interval is at
/// `φ_j n` clamped into it.
fn allowed_over(objectives: &[Objective], lo: f64, hi: f64, n: f64) -> f64 {
    let mut m = f64::INFINITY;
    for o in objectives {
        let r = (o.quantile * n).max(lo).min(hi);
        m = m.min(allowed_one(o, r, n));
    }
    m
}

impl Stream {
    fn clear(&mut self) {
        self.samples.clear();
        self.n = 0;
    }

    /// Merges `sorted` (ascending by `total_cmp`, no NaN) into the summary, then compresses.
    /// `scratch` is reused storage; it comes back holding the old sample list.
    fn merge(&mut self, sorted: &[f64], scratch: &mut Vec<Sample>, objectives: &[Objective]) {
        if sorted.is_empty() {
            return;
        }
        scratch.clear();
        scratch.reserve(self.samples.len() + sorted.len());
        let old = &self.samples;
        let mut j = 0;
        for &v in sorted {
            // Existing tuples with a value <= v come first.
            while j < old.len() && old[j].value.total_cmp(&v) != Ordering::Greater {
                scratch.push(old[j]);
                j += 1;
            }
            // The new observation's rank is at most the successor's upper bound minus one
            // (the successor moves up with it). Below the exact minimum or above the maximum
            // this gives an exact tuple.
            let delta = match old.get(j) {
                Some(s) => (s.g + s.delta).saturating_sub(1),
                None => 0,
            };
            scratch.push(Sample { value: v, g: 1, delta });
        }
        scratch.extend_from_slice(&old[j..]);
        std::mem::swap(&mut self.samples, scratch);
        self.n = self.n.saturating_add(sorted.len() as u64);
        self.compress(objectives);
    }

    /// Merges each tuple into its right neighbour where the merged tuple keeps
    /// `g + Δ <= f(r, n)` for every rank `r` in `[r_min − g, r_max]` it may stand for.
    /// The first tuple (the exact minimum) is never merged away; the last one (the exact
    /// maximum) only absorbs, keeping `Δ = 0`.
    fn compress(&mut self, objectives: &[Objective]) {
        let len = self.samples.len();
        if len < 3 {
            return;
        }
        let n = self.n as f64;
        let s = &mut self.samples;
        let mut x = s[len - 1];
        let mut x_rmin = self.n; // r_min of x: the sum of g up to and including x
        let mut w = len - 1; // slot x will be written to; always > i
        for i in (1..len - 1).rev() {
            let c = s[i];
            let g = c.g + x.g;
            let lo = x_rmin.saturating_sub(g) as f64; // r_min - g of the merged tuple
            let hi = (x_rmin + x.delta) as f64;
            if ((g + x.delta) as f64) <= allowed_over(objectives, lo, hi, n) {
                x.g = g;
            } else {
                s[w] = x;
                w -= 1;
                x_rmin -= x.g;
                x = c;
            }
        }
        s[w] = x;
        // Keep s[0], then the kept tuples s[w..].
        s.copy_within(w..len, 1);
        s.truncate(len - w + 1);
    }

    /// The value whose rank is surely closest to the nearest-rank target of `q`.
    ///
    /// Each tuple's rank lies in `[r_min, r_min + Δ]`; pick the tuple whose worst case is
    /// nearest to `qn + 1/2` (ties to the lower tuple), which for exact tuples is the
    /// observation at position `⌈qn⌉`.
    fn query(&self, q: f64) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let target = q * self.n as f64 + 0.5;
        let mut best = f64::NAN;
        let mut best_err = f64::INFINITY;
        let mut r_min: u64 = 0;
        for s in &self.samples {
            r_min += s.g;
            let lo = r_min as f64;
            if lo - target >= best_err {
                break; // r_min only grows from here on
            }
            let hi = (r_min + s.delta) as f64;
            let err = (target - lo).max(hi - target);
            if err < best_err {
                best_err = err;
                best = s.value;
            }
        }
        best
    }
}

/// `now + period`, kept finite (saturating at `f64::MAX`) so the schedule can always move on.
fn next_rotation(now: f64, period: f64) -> f64 {
    let t = now + period;
    if t.is_finite() {
        t
    } else {
        f64::MAX
    }
}

/// Quantiles over a sliding time window, with bounded rank error and bounded memory.
///
/// Plain data (`Send + Sync`); the caller wraps it in a lock. See the [module
/// documentation](self) for the algorithm, the accuracy guarantee and how time is handled.
#[derive(Debug, Clone)]
pub struct WindowedQuantiles {
    /// Sorted by quantile, no duplicates.
    objectives: Vec<Objective>,
    /// `age_buckets` streams; `streams[head]` is the oldest and is the one queried.
    streams: Vec<Stream>,
    head: usize,
    /// `max_age / age_buckets`: how long each stream stays head.
    period: f64,
    /// When the head stream is next cleared (and the previous rotation was `period` earlier).
    head_exp: f64,
    /// Observations not yet merged into the streams (never NaN).
    buffer: Vec<f64>,
    /// Reused merge storage.
    scratch: Vec<Sample>,
}

impl WindowedQuantiles {
    /// Default window length in seconds (10 minutes), as in the Go client.
    pub const DEFAULT_MAX_AGE: f64 = 600.0;
    /// Default number of streams the window is split into, as in the Go client.
    pub const DEFAULT_AGE_BUCKETS: usize = 5;
    /// Largest accepted `age_buckets`: each observation is merged into every stream, so the
    /// cost of an observation grows with it.
    pub const MAX_AGE_BUCKETS: usize = 1000;

    /// Creates an empty window of `max_age_secs` seconds split into `age_buckets` streams,
    /// whose clock starts at `now` (Unix seconds).
    ///
    /// The objectives may come in any order; they are kept (and reported) sorted by quantile.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `objectives` is empty, a quantile is outside `[0, 1]`
    /// (or NaN), an error is outside `(0, 1)` (or NaN), two objectives have the same quantile,
    /// `max_age_secs` is not a positive finite number, `age_buckets` is 0 or above
    /// [`Self::MAX_AGE_BUCKETS`], or `now` is not finite.
    pub fn new(objectives: &[Objective], max_age_secs: f64, age_buckets: usize, now: f64) -> Result<Self> {
        if objectives.is_empty() {
            return Err(Error::InvalidArgument("Summary quantile objectives must not be empty".to_owned()));
        }
        for o in objectives {
            if !(0.0..=1.0).contains(&o.quantile) {
                return Err(Error::InvalidArgument(format!(
                    "Summary quantile must be between 0 and 1 inclusive, got {}",
                    o.quantile
                )));
            }
            if !(o.error > 0.0 && o.error < 1.0) {
                return Err(Error::InvalidArgument(format!(
                    "Summary quantile error must be between 0 and 1 exclusive, got {} for quantile {}",
                    o.error, o.quantile
                )));
            }
        }
        let mut sorted = objectives.to_vec();
        sorted.sort_by(|a, b| a.quantile.total_cmp(&b.quantile));
        if let Some(pair) = sorted.windows(2).find(|p| p[0].quantile == p[1].quantile) {
            return Err(Error::InvalidArgument(format!("Duplicate Summary quantile objective: {}", pair[0].quantile)));
        }
        if !(max_age_secs > 0.0 && max_age_secs.is_finite()) {
            return Err(Error::InvalidArgument(format!(
                "Summary max age must be a positive, finite number of seconds, got {max_age_secs}"
            )));
        }
        if age_buckets == 0 || age_buckets > Self::MAX_AGE_BUCKETS {
            return Err(Error::InvalidArgument(format!(
                "Summary age buckets must be between 1 and {}, got {age_buckets}",
                Self::MAX_AGE_BUCKETS
            )));
        }
        let period = max_age_secs / age_buckets as f64;
        if period <= 0.0 {
            return Err(Error::InvalidArgument(format!(
                "Summary max age {max_age_secs} is too small for {age_buckets} age buckets"
            )));
        }
        if !now.is_finite() {
            return Err(Error::InvalidArgument(format!("Summary current time must be finite, got {now}")));
        }
        Ok(Self {
            objectives: sorted,
            streams: vec![Stream::default(); age_buckets],
            head: 0,
            period,
            head_exp: next_rotation(now, period),
            buffer: Vec::with_capacity(BUFFER_CAP),
            scratch: Vec::new(),
        })
    }

    /// Records one observation made at `now` (Unix seconds). NaN values are skipped.
    pub fn observe(&mut self, value: f64, now: f64) {
        self.maybe_rotate(now);
        if value.is_nan() {
            return;
        }
        self.buffer.push(value);
        if self.buffer.len() >= BUFFER_CAP {
            self.flush();
        }
    }

    /// Returns `(quantile, value)` for each objective, in ascending quantile order, over the
    /// window ending at `now` (Unix seconds). Values are NaN when the window holds no
    /// observations.
    pub fn query(&mut self, now: f64) -> Vec<(f64, f64)> {
        self.maybe_rotate(now);
        self.flush();
        let head = &self.streams[self.head % self.streams.len().max(1)];
        self.objectives.iter().map(|o| (o.quantile, head.query(o.quantile))).collect()
    }

    /// The objectives, sorted by ascending quantile (the order [`Self::query`] reports).
    pub fn objectives(&self) -> &[Objective] {
        &self.objectives
    }

    /// Drops every observation and restarts the rotation schedule at `now` (Unix seconds;
    /// a non-finite `now` keeps the current schedule).
    pub fn reset(&mut self, now: f64) {
        self.buffer.clear();
        for s in &mut self.streams {
            s.clear();
        }
        self.head = 0;
        if now.is_finite() {
            self.head_exp = next_rotation(now, self.period);
        }
    }

    /// Sorts the buffer and merges it into every stream.
    fn flush(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        self.buffer.sort_unstable_by(f64::total_cmp);
        for s in &mut self.streams {
            s.merge(&self.buffer, &mut self.scratch, &self.objectives);
        }
        self.buffer.clear();
    }

    /// Clears the head stream and moves on as many times as the time since the last call
    /// requires; at most `age_buckets` streams are touched.
    fn maybe_rotate(&mut self, now: f64) {
        if !now.is_finite() {
            return;
        }
        if now < self.head_exp - self.period {
            // The clock went back before the last rotation: restart the schedule from here.
            self.head_exp = next_rotation(now, self.period);
            return;
        }
        if now < self.head_exp {
            return;
        }
        let buckets = self.streams.len();
        // Number of rotations due: every rotation time head_exp + k·period <= now.
        let due = ((now - self.head_exp) / self.period).floor() + 1.0;
        if due >= buckets as f64 {
            // Every stream is cleared, including everything still buffered (it was all
            // observed before head_exp).
            self.buffer.clear();
            for s in &mut self.streams {
                s.clear();
            }
            self.head = (self.head + (due % buckets as f64) as usize) % buckets;
        } else {
            // Buffered observations predate this rotation: they belong in every stream.
            self.flush();
            for _ in 0..due as usize {
                self.streams[self.head].clear();
                self.head = (self.head + 1) % buckets;
            }
        }
        self.head_exp += due * self.period;
        if !(self.head_exp > now && self.head_exp.is_finite()) {
            // Rounding or overflow at huge times: restart the schedule from the clock.
            self.head_exp = next_rotation(now, self.period);
        }
    }

    /// Total number of tuples held across all streams plus buffered observations.
    #[cfg(test)]
    fn stored(&self) -> usize {
        self.streams.iter().map(|s| s.samples.len()).sum::<usize>() + self.buffer.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DEFAULT_OBJ: [Objective; 3] =
        [Objective::new(0.5, 0.05), Objective::new(0.9, 0.01), Objective::new(0.99, 0.001)];

    fn wq(objs: &[Objective]) -> WindowedQuantiles {
        WindowedQuantiles::new(objs, 600.0, 5, 0.0).unwrap()
    }

    /// Small deterministic PRNG (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn f64(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
        fn shuffle<T>(&mut self, v: &mut [T]) {
            for i in (1..v.len()).rev() {
                let j = (self.next() % (i as u64 + 1)) as usize;
                v.swap(i, j);
            }
        }
    }

    /// Checks every objective's answer against the sorted (NaN-free) input: some position
    /// `R` (1-based) of the returned value must satisfy `|R - qn| <= εn + 1`.
    fn check_ranks(objs: &[Objective], sorted: &[f64], got: &[(f64, f64)]) -> std::result::Result<(), String> {
        let n = sorted.len() as f64;
        let mut objs = objs.to_vec();
        objs.sort_by(|a, b| a.quantile.total_cmp(&b.quantile));
        if got.len() != objs.len() {
            return Err(format!("got {} answers for {} objectives", got.len(), objs.len()));
        }
        for (o, &(q, v)) in objs.iter().zip(got) {
            if q != o.quantile {
                return Err(format!("quantile order: got {q}, want {}", o.quantile));
            }
            if sorted.is_empty() {
                if !v.is_nan() {
                    return Err(format!("q={q}: want NaN on empty input, got {v}"));
                }
                continue;
            }
            // Positions (1-based) holding v: [first, last].
            let first = sorted.partition_point(|x| x.total_cmp(&v) == Ordering::Less) + 1;
            let last = sorted.partition_point(|x| x.total_cmp(&v) != Ordering::Greater);
            if last < first {
                return Err(format!("q={q}: returned {v}, which was never observed"));
            }
            let (lo, hi) = (q * n - o.error * n - 1.0, q * n + o.error * n + 1.0);
            if (last as f64) < lo || (first as f64) > hi {
                return Err(format!(
                    "q={q} eps={} n={n}: value {v} at positions {first}..={last}, allowed {lo}..={hi}",
                    o.error
                ));
            }
        }
        Ok(())
    }

    fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
        let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[i - 1]
    }

    fn invalid_msg(objs: &[Objective], max_age: f64, buckets: usize, now: f64) -> String {
        match WindowedQuantiles::new(objs, max_age, buckets, now) {
            Err(Error::InvalidArgument(m)) => m,
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn new_rejects_invalid_arguments() {
        let ok = [Objective::new(0.5, 0.05)];
        assert!(invalid_msg(&[], 600.0, 5, 0.0).contains("must not be empty"));
        for q in [-0.1, 1.1, f64::NAN, f64::INFINITY] {
            let m = invalid_msg(&[Objective::new(q, 0.01)], 600.0, 5, 0.0);
            assert!(m.contains("quantile must be between 0 and 1 inclusive"), "{m}");
        }
        for e in [0.0, 1.0, -0.5, 2.0, f64::NAN] {
            let m = invalid_msg(&[Objective::new(0.5, e)], 600.0, 5, 0.0);
            assert!(m.contains("error must be between 0 and 1 exclusive"), "{m}");
        }
        let dup = [Objective::new(0.9, 0.01), Objective::new(0.5, 0.05), Objective::new(0.9, 0.001)];
        assert_eq!(invalid_msg(&dup, 600.0, 5, 0.0), "Duplicate Summary quantile objective: 0.9");
        for age in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let m = invalid_msg(&ok, age, 5, 0.0);
            assert!(m.contains("max age must be a positive, finite number"), "{m}");
        }
        assert!(invalid_msg(&ok, 600.0, 0, 0.0).contains("age buckets must be between 1 and 1000"));
        assert!(invalid_msg(&ok, 600.0, usize::MAX, 0.0).contains("age buckets"));
        assert!(invalid_msg(&ok, 5e-324, 2, 0.0).contains("too small"));
        assert!(invalid_msg(&ok, 600.0, 5, f64::NAN).contains("current time must be finite"));
    }

    #[test]
    fn new_accepts_boundary_quantiles_and_sorts_objectives() {
        let objs = [Objective::new(1.0, 0.01), Objective::new(0.0, 0.01), Objective::new(0.5, 0.5)];
        let w = WindowedQuantiles::new(&objs, 1.0, 1, 1e9).unwrap();
        let qs: Vec<f64> = w.objectives().iter().map(|o| o.quantile).collect();
        assert_eq!(qs, [0.0, 0.5, 1.0]);
        assert_eq!(WindowedQuantiles::DEFAULT_MAX_AGE, 600.0);
        assert_eq!(WindowedQuantiles::DEFAULT_AGE_BUCKETS, 5);
    }

    #[test]
    fn empty_window_is_nan() {
        let mut w = wq(&DEFAULT_OBJ);
        let got = w.query(0.0);
        assert_eq!(got.iter().map(|p| p.0).collect::<Vec<_>>(), [0.5, 0.9, 0.99]);
        assert!(got.iter().all(|p| p.1.is_nan()));
    }

    #[test]
    fn tiny_inputs_are_exact_nearest_rank() {
        let objs = [
            Objective::new(0.0, 0.01),
            Objective::new(0.25, 0.01),
            Objective::new(0.5, 0.05),
            Objective::new(0.6, 0.01),
            Objective::new(0.9, 0.01),
            Objective::new(0.99, 0.001),
            Objective::new(1.0, 0.01),
        ];
        let mut w = wq(&objs);
        w.observe(7.0, 0.0);
        assert!(w.query(0.0).iter().all(|p| p.1 == 7.0));

        let mut w = wq(&objs);
        for v in [3.0, 1.0, 4.0, 2.0] {
            w.observe(v, 0.0);
        }
        let vals: Vec<f64> = w.query(0.0).iter().map(|p| p.1).collect();
        // n = 4: positions max(1, ceil(4q)) = 1, 1, 2, 3, 4, 4, 4.
        assert_eq!(vals, [1.0, 1.0, 2.0, 3.0, 4.0, 4.0, 4.0]);

        let mut w = wq(&objs);
        let mut input: Vec<f64> = (1..=10).map(f64::from).collect();
        Rng(7).shuffle(&mut input);
        for &v in &input {
            w.observe(v, 1.0);
        }
        let vals: Vec<f64> = w.query(1.0).iter().map(|p| p.1).collect();
        assert_eq!(vals, [1.0, 3.0, 5.0, 6.0, 9.0, 10.0, 10.0]);
    }

    #[test]
    fn exact_while_no_compression_is_allowed() {
        // 2εn < 1 for every objective: nothing may be merged, so answers are exact even
        // across several buffer flushes.
        let objs = [Objective::new(0.1, 0.0001), Objective::new(0.5, 0.0001), Objective::new(0.9, 0.0001)];
        let mut w = wq(&objs);
        let mut rng = Rng(42);
        let mut all = Vec::new();
        for i in 0..2000 {
            let v = (rng.f64() * 1e6).round();
            all.push(v);
            w.observe(v, 0.0);
            if i % 700 == 0 {
                w.query(0.0); // interleaved flushes
            }
        }
        all.sort_by(f64::total_cmp);
        for (q, v) in w.query(0.0) {
            assert_eq!(v, nearest_rank(&all, q), "q={q}");
        }
    }

    #[test]
    fn nan_observations_are_skipped() {
        let mut a = wq(&DEFAULT_OBJ);
        let mut b = wq(&DEFAULT_OBJ);
        let mut rng = Rng(3);
        for i in 0..3000 {
            let v = rng.f64();
            a.observe(v, 0.0);
            b.observe(v, 0.0);
            if i % 3 == 0 {
                b.observe(f64::NAN, 0.0);
                b.observe(-f64::NAN, 0.0);
            }
        }
        assert_eq!(a.query(0.0), b.query(0.0));
        let mut only_nan = wq(&DEFAULT_OBJ);
        for _ in 0..1000 {
            only_nan.observe(f64::NAN, 0.0);
        }
        assert!(only_nan.query(0.0).iter().all(|p| p.1.is_nan()));
    }

    #[test]
    fn infinities_are_ordinary_values() {
        let mut w = wq(&[Objective::new(0.0, 0.01), Objective::new(1.0, 0.01)]);
        for v in [1.0, f64::INFINITY, -f64::INFINITY, 2.0] {
            w.observe(v, 0.0);
        }
        assert_eq!(w.query(0.0), [(0.0, f64::NEG_INFINITY), (1.0, f64::INFINITY)]);
    }

    #[test]
    fn window_expiry() {
        // 600 s in 5 buckets: the head rotates every 120 s.
        let objs = [Objective::new(0.0, 0.01), Objective::new(1.0, 0.01)];
        let mut w = wq(&objs);
        w.observe(1.0, 0.0);
        w.observe(5.0, 10.0);
        assert_eq!(w.query(119.0), [(0.0, 1.0), (1.0, 5.0)]);
        w.observe(2.0, 130.0); // the stream cleared at 120 sees only this one
        assert_eq!(w.query(599.9), [(0.0, 1.0), (1.0, 5.0)]);
        // At 600 the stream that held the t=0..120 data has been cleared.
        assert_eq!(w.query(600.0), [(0.0, 2.0), (1.0, 2.0)]);
        w.observe(3.0, 700.0);
        assert_eq!(w.query(719.0), [(0.0, 2.0), (1.0, 3.0)]);
        // Observations older than max_age are gone: 2.0 (t=130) by 720 at the latest.
        assert_eq!(w.query(720.0), [(0.0, 3.0), (1.0, 3.0)]);
        // After a long gap nothing is left.
        assert!(w.query(10_000.0).iter().all(|p| p.1.is_nan()));
        w.observe(4.0, 10_001.0);
        assert_eq!(w.query(10_001.0), [(0.0, 4.0), (1.0, 4.0)]);
    }

    #[test]
    fn buffered_observations_survive_a_rotation() {
        let mut w = WindowedQuantiles::new(&[Objective::new(0.5, 0.01)], 10.0, 2, 0.0).unwrap();
        w.observe(1.0, 0.0); // stays buffered (no query, buffer not full)
        w.observe(2.0, 6.0); // rotation at 5 s: head stream cleared, 1.0 must stay in the other
        let got = w.query(6.0);
        assert_eq!(got, [(0.5, 1.0)]);
        assert_eq!(w.query(10.0), [(0.5, 2.0)]);
        assert!(w.query(15.0)[0].1.is_nan());
    }

    #[test]
    fn window_covers_between_max_age_minus_period_and_max_age() {
        let mut w = WindowedQuantiles::new(&[Objective::new(1.0, 0.01)], 100.0, 4, 0.0).unwrap();
        // One observation per second; the window's oldest value is the max age of the head.
        for t in 0..1000 {
            w.observe(f64::from(t), f64::from(t));
            let n_in_window = {
                let head = &w.streams[w.head];
                head.n as usize + w.buffer.len()
            };
            assert!((75..=100).contains(&n_in_window) || t < 100, "t={t} n={n_in_window}");
        }
        assert_eq!(w.query(999.5)[0].1, 999.0);
    }

    #[test]
    fn long_gaps_are_bounded_work() {
        let mut w = WindowedQuantiles::new(&DEFAULT_OBJ, 0.001, 1000, 0.0).unwrap();
        w.observe(1.0, 0.0);
        let ten_years = 10.0 * 365.25 * 86_400.0;
        assert!(w.query(ten_years).iter().all(|p| p.1.is_nan()));
        w.observe(2.0, ten_years + 0.0000001);
        assert_eq!(w.query(ten_years + 0.0000002)[0].1, 2.0);
        for t in [1e15, 1e300, f64::MAX] {
            w.observe(3.0, t);
            assert_eq!(w.query(t)[0].1, 3.0, "t={t}");
        }
        // Rotation is just as bounded for a few buckets and a mid-size gap.
        let mut w = wq(&DEFAULT_OBJ);
        w.observe(1.0, 0.0);
        assert!(w.query(500.0 * 120.0 + 3.0).iter().all(|p| p.1.is_nan()));
    }

    #[test]
    fn backwards_clock_never_panics_and_keeps_data() {
        let objs = [Objective::new(0.0, 0.01), Objective::new(1.0, 0.01)];
        let mut w = wq(&objs);
        w.observe(1.0, 1000.0); // rotates (all streams empty) to the period ending at 1080
        w.observe(2.0, 990.0); // small step back: ignored
        assert_eq!(w.query(995.0), [(0.0, 1.0), (1.0, 2.0)]);
        // Big step back (before the last rotation): data kept, schedule re-anchored at 500.
        w.observe(3.0, 500.0);
        assert_eq!(w.query(500.0), [(0.0, 1.0), (1.0, 3.0)]);
        assert_eq!(w.query(619.0), [(0.0, 1.0), (1.0, 3.0)]);
        // Everything observed up to 500 is gone max_age after the re-anchoring.
        assert!(w.query(1100.0).iter().all(|p| p.1.is_nan()));
        // Far into the past, even negative time.
        w.observe(4.0, -1e12);
        assert_eq!(w.query(-1e12), [(0.0, 4.0), (1.0, 4.0)]);
    }

    #[test]
    fn non_finite_time_never_rotates() {
        let mut w = wq(&DEFAULT_OBJ);
        w.observe(1.0, 0.0);
        for t in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            w.observe(1.0, t);
            assert_eq!(w.query(t)[0].1, 1.0);
            w.reset(t);
            assert!(w.query(t)[0].1.is_nan());
            w.observe(1.0, t);
        }
        // The schedule is still the one started at 0.
        assert_eq!(w.query(599.0)[0].1, 1.0);
        assert!(w.query(600.0)[0].1.is_nan());
    }

    #[test]
    fn reset_drops_data_and_restarts_schedule() {
        let mut w = wq(&DEFAULT_OBJ);
        for i in 0..2000 {
            w.observe(f64::from(i), 0.0);
        }
        w.reset(300.0);
        assert!(w.query(300.0).iter().all(|p| p.1.is_nan()));
        assert_eq!(w.stored(), 0);
        w.observe(42.0, 300.0);
        assert!(w.query(899.0).iter().all(|p| p.1 == 42.0));
        assert!(w.query(900.0).iter().all(|p| p.1.is_nan()));
        assert_eq!(w.objectives(), DEFAULT_OBJ);
    }

    #[test]
    fn deterministic_accuracy_orders_and_ties() {
        let mut rng = Rng(99);
        let n = 50_000;
        let random: Vec<f64> = (0..n).map(|_| rng.f64() * 1000.0 - 500.0).collect();
        let mut asc = random.clone();
        asc.sort_by(f64::total_cmp);
        let desc: Vec<f64> = asc.iter().rev().copied().collect();
        let ties: Vec<f64> = (0..n).map(|_| (rng.next() % 37) as f64).collect();
        // Zig-zag: alternate from both ends of the sorted input.
        let zigzag: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { asc[i / 2] } else { asc[n - 1 - i / 2] }).collect();
        for input in [&random, &asc, &desc, &ties, &zigzag] {
            let mut w = WindowedQuantiles::new(&DEFAULT_OBJ, 600.0, 2, 0.0).unwrap();
            let mut sorted = Vec::new();
            for (i, &v) in input.iter().enumerate() {
                w.observe(v, 0.0);
                sorted.push(v);
                if i % 9973 == 0 {
                    let mut s = sorted.clone();
                    s.sort_by(f64::total_cmp);
                    check_ranks(&DEFAULT_OBJ, &s, &w.query(0.0)).unwrap();
                }
            }
            sorted.sort_by(f64::total_cmp);
            check_ranks(&DEFAULT_OBJ, &sorted, &w.query(0.0)).unwrap();
        }
    }

    #[test]
    fn memory_is_bounded() {
        let mut w = wq(&DEFAULT_OBJ);
        let mut rng = Rng(0x5eed);
        for _ in 0..1_000_000 {
            w.observe(rng.f64() * 1e6, 0.0);
        }
        let stored = w.stored();
        eprintln!("memory: {stored} tuples across 5 streams after 1e6 random inserts");
        assert!(stored < 2_000, "{stored} tuples");
        let got = w.query(0.0);
        assert!((got[0].1 - 5e5).abs() < 0.05 * 1e6 + 10.0, "{got:?}");

        // Sorted inputs are the worst case for insertion-based summaries.
        for descending in [false, true] {
            let mut w = wq(&DEFAULT_OBJ);
            for i in 0..300_000 {
                let v = f64::from(i);
                w.observe(if descending { -v } else { v }, 0.0);
            }
            let stored = w.stored();
            eprintln!("memory: {stored} tuples after 3e5 sorted inserts (descending: {descending})");
            assert!(stored < 2_000, "{stored} tuples");
        }
    }

    #[test]
    fn is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<WindowedQuantiles>();
        assert_send_sync::<Objective>();
    }

    /// An input order for the property test.
    #[derive(Debug, Clone, Copy)]
    enum Order {
        AsGiven,
        Ascending,
        Descending,
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            3 => -1e9..1e9f64,
            1 => (-40i32..40).prop_map(f64::from), // many ties
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn rank_error_is_bounded(
            values in prop::collection::vec(value(), 0..20_000),
            order in prop_oneof![Just(Order::AsGiven), Just(Order::Ascending), Just(Order::Descending)],
        ) {
            let mut input = values;
            match order {
                Order::AsGiven => {}
                Order::Ascending => input.sort_by(f64::total_cmp),
                Order::Descending => input.sort_by(|a, b| b.total_cmp(a)),
            }
            let mut w = WindowedQuantiles::new(&DEFAULT_OBJ, 600.0, 1, 0.0).unwrap();
            for &v in &input {
                w.observe(v, 0.0);
            }
            let got = w.query(0.0);
            input.sort_by(f64::total_cmp);
            if let Err(e) = check_ranks(&DEFAULT_OBJ, &input, &got) {
                prop_assert!(false, "{}", e);
            }
        }

        #[test]
        fn arbitrary_calls_never_panic(
            ops in prop::collection::vec((0u8..8, any::<f64>(), prop_oneof![any::<f64>(), -1e4..1e4f64]), 0..400),
            buckets in 1usize..8,
        ) {
            let mut w = WindowedQuantiles::new(&DEFAULT_OBJ, 60.0, buckets, 0.0).unwrap();
            for (op, value, now) in ops {
                match op {
                    0 => { let _ = w.query(now); }
                    1 => w.reset(now),
                    _ => w.observe(value, now),
                }
            }
            let got = w.query(0.0);
            prop_assert_eq!(got.len(), 3);
            prop_assert!(got.iter().all(|p| p.1.is_nan() == got[0].1.is_nan()));
        }
    }
}
