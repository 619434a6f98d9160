//! Rate limiting of anonymous requests, per client address: a token bucket that lets a
//! person click around freely (the burst) while holding a scraper to a steady rate.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets idle this long are forgotten, so the table cannot grow without bound.
const FORGET_AFTER: Duration = Duration::from_secs(600);
/// Forgetting is done when the table passes this many clients.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// `per_minute` = 0 turns limiting off.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `client`; `Err(wait)` when there is none yet.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.per_second == 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > SWEEP_ABOVE {
            buckets.retain(|_, bucket| now.duration_since(bucket.updated) < FORGET_AFTER);
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_second,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_steady_rate_holds() {
        let limiter = RateLimiter::new(60, 5);
        let client: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let start = Instant::now();
        for _ in 0..5 {
            assert!(limiter.check(client, start).is_ok());
        }
        let wait = limiter.check(client, start).unwrap_err();
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert!(limiter.check(other, start).is_ok(), "clients are apart");
        assert!(
            limiter
                .check(client, start + Duration::from_secs(1))
                .is_ok()
        );
        assert!(
            limiter
                .check(client, start + Duration::from_secs(1))
                .is_err()
        );
    }

    #[test]
    fn zero_turns_limiting_off() {
        let limiter = RateLimiter::new(0, 1);
        let client: IpAddr = "10.0.0.1".parse().unwrap();
        let now = Instant::now();
        assert!((0..1000).all(|_| limiter.check(client, now).is_ok()));
    }
}
