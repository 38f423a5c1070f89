//! The data model as serde data (`--features serde`): what a face hands out when it gives
//! metrics as data rather than exposition text.
#![cfg(feature = "serde")]
#![allow(clippy::unwrap_used)]

use fastprom::{Collector, Counter, Family, Histogram, MetricFamily, Opts, Registry};

fn families() -> Vec<MetricFamily> {
    let registry = Registry::new();
    registry.set_created(false);
    let jobs = Family::<Counter>::new(Opts::new("jobs", "Jobs run.").labels(["queue"]), ()).unwrap();
    jobs.labels(&["mail"]).unwrap().inc_by(3.0).unwrap();
    registry.register(jobs).unwrap();
    let lat =
        Family::<Histogram>::new(Opts::new("lat", "Latency.").unit("seconds"), fastprom::Buckets::new(&[0.5]).unwrap())
            .unwrap();
    lat.unlabelled().unwrap().observe(0.25);
    registry.register(lat).unwrap();
    registry.collect().unwrap()
}

#[test]
fn families_serialize_with_their_samples() {
    let json: serde_json::Value = serde_json::to_value(families()).unwrap();
    let jobs = &json[0];
    assert_eq!(jobs["name"], "jobs");
    assert_eq!(jobs["help"], "Jobs run.");
    assert_eq!(jobs["metric_type"], "counter");
    assert_eq!(jobs["samples"][0]["name"], "jobs_total");
    assert_eq!(jobs["samples"][0]["labels"], serde_json::json!([["queue", "mail"]]));
    assert_eq!(jobs["samples"][0]["value"], 3.0);
    let lat = &json[1];
    assert_eq!(lat["metric_type"], "histogram");
    assert_eq!(lat["unit"], "seconds");
    let names: Vec<&str> = lat["samples"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["lat_seconds_bucket", "lat_seconds_bucket", "lat_seconds_count", "lat_seconds_sum"]);
}

#[test]
fn families_round_trip() {
    let before = families();
    let text = serde_json::to_string(&before).unwrap();
    let after: Vec<MetricFamily> = serde_json::from_str(&text).unwrap();
    assert_eq!(before, after);
}
