//! The tutorial's `pushgateway.py` on fastprom's Rust core: set
//! `job_last_success_unixtime` to now and push it for job `batchA`.
//!
//! Usage: tutorial_push [GATEWAY] [JOB] [put|post|delete] [KEY=VALUE ...]
//! (defaults localhost:9091, batchA, put)

use fastprom::push::{push_request, PushMethod};
use fastprom::{EscapingScheme, Gauge, Registry};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let gateway = args.first().map_or("localhost:9091", String::as_str);
    let job = args.get(1).map_or("batchA", String::as_str);
    let method = match args.get(2).map(|m| m.to_ascii_lowercase()).as_deref() {
        None | Some("put") => PushMethod::Put,
        Some("post") => PushMethod::Post,
        Some("delete") => PushMethod::Delete,
        Some(other) => {
            eprintln!("tutorial_push: unknown method {other}");
            std::process::exit(2);
        }
    };
    let grouping: Vec<(&str, &str)> = args.iter().skip(3).filter_map(|kv| kv.split_once('=')).collect();

    let run = || -> Result<u16, String> {
        let registry = Registry::new();
        let g = Gauge::new("job_last_success_unixtime", "Last time a batch job successfully finished")
            .map_err(|e| e.to_string())?;
        registry.register(g.clone()).map_err(|e| e.to_string())?;
        g.set_to_current_time();
        let body = if method == PushMethod::Delete {
            Vec::new()
        } else {
            fastprom::expose::encode_text(&registry, EscapingScheme::Underscores).map_err(|e| e.to_string())?
        };
        let req = push_request(method, gateway, job, &grouping, body, None).map_err(|e| e.to_string())?;
        eprintln!("tutorial_push: {} {}", req.method.as_str(), req.url);
        fastprom_examples::send(&req)
    };
    match run() {
        Ok(code) => eprintln!("tutorial_push: gateway answered {code}"),
        Err(e) => {
            eprintln!("tutorial_push: {e}");
            std::process::exit(1);
        }
    }
}
