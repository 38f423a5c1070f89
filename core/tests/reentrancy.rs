#![allow(clippy::unwrap_used)]

//! User code (a `with_labels` closure, a clock) may call back into the family or metric it
//! runs for: none of it runs while the core holds a lock or a read section.
//!
//! Each case runs on a thread of its own and must finish within a generous bound; a
//! deadlock shows up as a failed test instead of a hung run.

use std::sync::{mpsc, Arc, OnceLock};
use std::time::Duration;

use fastprom::{Counter, Family, Objective, Opts, Summary, SummaryConfig};

fn finishes(what: &str, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    assert!(rx.recv_timeout(Duration::from_secs(20)).is_ok(), "{what} did not finish: a deadlock");
}

/// Runs `f` unless this thread is already inside `not_nested` (a clock that calls back
/// into what reads it would otherwise recurse).
fn not_nested(f: impl FnOnce()) {
    thread_local!(static INSIDE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if !INSIDE.with(|i| i.replace(true)) {
        f();
        INSIDE.with(|i| i.set(false));
    }
}

#[test]
fn a_with_labels_closure_may_create_children_of_the_same_family() {
    finishes("with_labels creating children", || {
        let fam = Family::<Counter>::new(Opts::new("reentrant", "h").labels(["k"]), ()).unwrap();
        // 64 other children: some land in the same shard as "a", whatever the hash seed.
        fam.with_labels(&["a"], |c| {
            c.inc();
            for i in 0..64 {
                fam.labels(&[format!("k{i}")]).unwrap().inc();
            }
        })
        .unwrap();
        assert_eq!(fam.len(), 65);
        assert_eq!(fam.labels(&["a"]).unwrap().get(), 1.0);
        // Removing children of the same family from inside the closure works too.
        fam.with_labels(&["a"], |_| {
            for i in 0..64 {
                assert!(fam.remove(&[format!("k{i}")]).unwrap());
            }
        })
        .unwrap();
        assert_eq!(fam.len(), 1);
    });
}

#[test]
fn a_clock_may_use_the_family_it_times() {
    finishes("a clock that creates children", || {
        let cell: Arc<OnceLock<Family<Counter>>> = Arc::new(OnceLock::new());
        let inner = Arc::clone(&cell);
        let clock = move || {
            // Reading the time touches another child of the very family being written
            // (creating it the first time, which reads the clock again: not recursively).
            if let Some(f) = inner.get() {
                not_nested(|| {
                    let _ = f.with_labels(&["from-clock"], |c| c.inc());
                });
            }
            7.0
        };
        let fam = Family::<Counter>::new(Opts::new("clocked", "h").labels(["k"]).clock(Arc::new(clock)), ()).unwrap();
        let _ = cell.set(fam.clone());
        for i in 0..64 {
            assert_eq!(fam.labels(&[format!("k{i}")]).unwrap().created(), 7.0);
        }
        assert!(fam.labels(&["from-clock"]).unwrap().get() >= 1.0);
    });
}

#[test]
fn a_clock_may_use_the_summary_it_times() {
    finishes("a clock that reads the summary's quantiles", || {
        let cell: Arc<OnceLock<fastprom::Standalone<Summary>>> = Arc::new(OnceLock::new());
        let inner = Arc::clone(&cell);
        let clock = move || {
            // Reading the quantiles reads the clock again: not recursively.
            if let Some(s) = inner.get() {
                not_nested(|| {
                    let _ = s.quantiles();
                });
            }
            100.0
        };
        let config = SummaryConfig::quantiles(&[Objective { quantile: 0.5, error: 0.05 }], 600.0, 5).unwrap();
        let s = fastprom::Standalone::<Summary>::with_config(Opts::new("windowed", "h").clock(Arc::new(clock)), config)
            .unwrap();
        let _ = cell.set(s.clone());
        for v in [1.0, 2.0, 3.0] {
            s.observe(v);
        }
        assert_eq!(s.quantiles(), vec![(0.5, 2.0)]);
    });
}
