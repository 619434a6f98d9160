//! Request counts and latencies per route, in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<(String, &'static str, u16), Series>>,
}

#[derive(Debug, Default, Clone)]
struct Series {
    /// Cumulative counts per bucket, then +Inf.
    counts: [u64; BUCKETS.len() + 1],
    sum_seconds: f64,
}

impl Metrics {
    pub fn observe(&self, route: &str, method: &'static str, status: u16, took: Duration) {
        let seconds = took.as_secs_f64();
        let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let series = routes
            .entry((route.to_owned(), method, status))
            .or_default();
        for (count, bound) in series.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
        series.counts[BUCKETS.len()] += 1;
        series.sum_seconds += seconds;
    }

    /// The exposition text, with `extra` gauges (name, help, value) appended.
    pub fn render(&self, extra: &[(&str, &str, f64)]) -> String {
        let routes = self
            .routes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut out = String::new();
        out.push_str("# HELP gongxin_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE gongxin_http_requests_total counter\n");
        for ((route, method, status), series) in &routes {
            let _ = writeln!(
                out,
                "gongxin_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {}",
                series.counts[BUCKETS.len()]
            );
        }
        out.push_str("# HELP gongxin_http_request_seconds Time to answer HTTP requests.\n");
        out.push_str("# TYPE gongxin_http_request_seconds histogram\n");
        for ((route, method, status), series) in &routes {
            let labels = format!("route=\"{route}\",method=\"{method}\",status=\"{status}\"");
            for (count, bound) in series.counts.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "gongxin_http_request_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let total = series.counts[BUCKETS.len()];
            let _ = writeln!(
                out,
                "gongxin_http_request_seconds_bucket{{{labels},le=\"+Inf\"}} {total}"
            );
            let _ = writeln!(
                out,
                "gongxin_http_request_seconds_sum{{{labels}}} {}",
                series.sum_seconds
            );
            let _ = writeln!(
                out,
                "gongxin_http_request_seconds_count{{{labels}}} {total}"
            );
        }
        for (name, help, value) in extra {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}
