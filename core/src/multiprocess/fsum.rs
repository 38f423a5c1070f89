//! Exactly rounded sums.
//!
//! [`ExactSum`] keeps a running sum as a list of non-overlapping partials whose exact
//! mathematical sum is the exact sum of everything added (Shewchuk's method, the one behind
//! Python's `math.fsum`), and rounds once when read. So the result does not depend on the
//! order of the additions, and a sum can be handed on as its partials ([`ExactSum::partials`])
//! and continued elsewhere without a rounding step in between: that is what lets compaction
//! fold many files into one without changing a total.

use smallvec::SmallVec;

/// A sum of `f64` values, rounded once, when read.
#[derive(Debug, Clone, Default)]
pub struct ExactSum {
    partials: SmallVec<[f64; 2]>,
    /// The plain running sum: used when it is not finite (infinities, NaN, overflow), where
    /// partials mean nothing and IEEE addition already has the answer.
    naive: f64,
}

impl ExactSum {
    /// An empty sum (0.0).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `x`.
    pub fn add(&mut self, x: f64) {
        self.naive += x;
        if !x.is_finite() {
            return;
        }
        let mut x = x;
        let mut kept = 0;
        for i in 0..self.partials.len() {
            let mut y = self.partials[i];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                self.partials[kept] = lo;
                kept += 1;
            }
            x = hi;
        }
        self.partials.truncate(kept);
        self.partials.push(x);
    }

    /// The partials: non-overlapping, smallest magnitude first, summing exactly to the sum
    /// of the finite values added.
    pub fn partials(&self) -> &[f64] {
        &self.partials
    }

    /// The sum, correctly rounded (plain IEEE addition when it is not finite). A zero sum
    /// is `0.0`, never `-0.0`, as a sum started from `0.0` is in Python.
    pub fn value(&self) -> f64 {
        if !self.naive.is_finite() {
            return self.naive;
        }
        let p = &self.partials;
        let mut n = p.len();
        if n == 0 {
            return 0.0;
        }
        n -= 1;
        let mut hi = p[n];
        let mut lo = 0.0;
        while n > 0 {
            let x = hi;
            n -= 1;
            let y = p[n];
            hi = x + y;
            let y_rounded = hi - x;
            lo = y - y_rounded;
            if lo != 0.0 {
                break;
            }
        }
        // Round half to even across the partials still unread: when `lo` is exactly half an
        // ulp and the next partial pushes the same way, round away.
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            if y == x - hi {
                hi = x;
            }
        }
        hi + 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sum(xs: &[f64]) -> f64 {
        let mut s = ExactSum::new();
        xs.iter().for_each(|x| s.add(*x));
        s.value()
    }

    #[test]
    fn known_sums() {
        assert_eq!(sum(&[]), 0.0);
        assert_eq!(sum(&[0.1; 10]), 1.0);
        assert_eq!(sum(&[1e100, 1.0, -1e100, 1e-100]), 1.0 + 1e-100);
        assert_eq!(sum(&[1.0, 1e-16, 1e-16]), 1.0000000000000002);
        assert!(sum(&[-0.0]).is_sign_positive());
        assert_eq!(sum(&[f64::INFINITY, 1.0]), f64::INFINITY);
        assert!(sum(&[f64::INFINITY, f64::NEG_INFINITY]).is_nan());
        assert!(sum(&[f64::NAN, 1.0]).is_nan());
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            (-1000i32..1000).prop_map(|i| i as f64 / 10.0),
            (-1e6f64..1e6),
            (-30i32..30, -1.0f64..1.0).prop_map(|(e, m)| m * 10f64.powi(e)),
        ]
    }

    proptest! {
        #[test]
        fn order_and_splitting_do_not_matter(xs in prop::collection::vec(value(), 0..60), cut in 0usize..60) {
            let total = sum(&xs);
            let mut rev = xs.clone();
            rev.reverse();
            prop_assert_eq!(total.to_bits(), sum(&rev).to_bits());
            // Summing a prefix, handing on its partials, and adding the rest.
            let cut = cut.min(xs.len());
            let mut first = ExactSum::new();
            xs[..cut].iter().for_each(|x| first.add(*x));
            let mut carried: Vec<f64> = first.partials().to_vec();
            carried.extend_from_slice(&xs[cut..]);
            prop_assert_eq!(total.to_bits(), sum(&carried).to_bits());
        }

        #[test]
        fn integers_add_exactly(xs in prop::collection::vec(-1_000_000i64..1_000_000, 0..100)) {
            let floats: Vec<f64> = xs.iter().map(|x| *x as f64).collect();
            prop_assert_eq!(sum(&floats), xs.iter().sum::<i64>() as f64);
        }
    }
}
