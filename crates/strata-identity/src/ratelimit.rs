//! Counting failed sign-ins per key (a user's email, a source address) in a sliding window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    window: Duration,
    limit: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(limit: usize, window: Duration) -> Self {
        Self {
            window,
            limit,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(wait)` when `key` has used up its failures in the window.
    pub fn blocked(&self, key: &str, now: Instant) -> Option<Duration> {
        let mut failures = self.failures.lock().expect("rate limiter lock poisoned");
        let times = self.within_window(&mut failures, key, now)?;
        (times.len() >= self.limit).then(|| self.window - now.duration_since(times[0]))
    }

    /// How many failures `key` has within the window (at most the limit).
    pub fn recent(&self, key: &str, now: Instant) -> usize {
        let mut failures = self.failures.lock().expect("rate limiter lock poisoned");
        self.within_window(&mut failures, key, now)
            .map_or(0, |times| times.len())
    }

    /// `key`'s failures within the window, forgetting older ones (and the key, when none is
    /// left).
    fn within_window<'a>(
        &self,
        failures: &'a mut HashMap<String, VecDeque<Instant>>,
        key: &str,
        now: Instant,
    ) -> Option<&'a VecDeque<Instant>> {
        let times = failures.get_mut(key)?;
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.is_empty() {
            failures.remove(key);
            return None;
        }
        failures.get(key)
    }

    pub fn record_failure(&self, key: &str, now: Instant) {
        let mut failures = self.failures.lock().expect("rate limiter lock poisoned");
        // Bound memory under a flood of distinct keys: forget the quietest ones.
        if failures.len() > 100_000 {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        let times = failures.entry(key.to_string()).or_default();
        times.push_back(now);
        if times.len() > self.limit {
            times.pop_front();
        }
    }

    pub fn clear(&self, key: &str) {
        self.failures
            .lock()
            .expect("rate limiter lock poisoned")
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_window_passes() {
        let limiter = RateLimiter::new(3, Duration::from_secs(60));
        let t = Instant::now();
        for i in 0..3 {
            assert!(limiter.blocked("a", t).is_none(), "attempt {i}");
            limiter.record_failure("a", t + Duration::from_secs(i));
        }
        let wait = limiter.blocked("a", t + Duration::from_secs(10)).unwrap();
        assert_eq!(wait, Duration::from_secs(50));
        assert!(limiter.blocked("b", t).is_none(), "keys are independent");
        assert!(limiter.blocked("a", t + Duration::from_secs(61)).is_none());
        limiter.record_failure("c", t);
        limiter.clear("c");
        assert!(limiter.blocked("c", t).is_none());
    }

    #[test]
    fn counts_recent_failures_up_to_the_limit() {
        let limiter = RateLimiter::new(3, Duration::from_secs(60));
        let t = Instant::now();
        assert_eq!(limiter.recent("a", t), 0);
        for i in 0..5 {
            limiter.record_failure("a", t + Duration::from_secs(i));
        }
        assert_eq!(limiter.recent("a", t + Duration::from_secs(5)), 3);
        assert_eq!(limiter.recent("a", t + Duration::from_secs(63)), 1);
    }
}
