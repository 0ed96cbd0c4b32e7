//! When a cached HTTP response may be reused without asking the server again (RFC 9111), and how to
//! ask cheaply when it may not (conditional requests with the validators it came with).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{self, HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

/// The freshness facts of one stored response, persisted next to its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CachePolicy {
    /// Unix seconds when the response was received, or last confirmed by a 304.
    stored_at: u64,
    /// The `Age` the response already had when it was received (a CDN's copy may be old).
    age: u64,
    /// Explicit freshness lifetime in seconds: `max-age`, else `Expires` minus `Date`.
    max_age: Option<u64>,
    /// `Cache-Control: no-cache`: store, but revalidate before every use.
    no_cache: bool,
    /// `ETag`, sent back as `If-None-Match`.
    etag: Option<String>,
    /// `Last-Modified`, sent back as `If-Modified-Since`.
    last_modified: Option<String>,
}

/// What a response's `Cache-Control` says, as far as a private cache cares.
#[derive(Debug, Default)]
struct CacheControl {
    max_age: Option<u64>,
    no_cache: bool,
    no_store: bool,
}

impl CacheControl {
    fn parse(headers: &HeaderMap) -> Option<Self> {
        let mut seen = false;
        let mut cc = Self::default();
        for value in headers.get_all(header::CACHE_CONTROL) {
            seen = true;
            let Ok(value) = value.to_str() else { continue };
            for directive in value.split(',') {
                let (name, arg) = match directive.split_once('=') {
                    Some((name, arg)) => (name.trim(), Some(arg.trim().trim_matches('"'))),
                    None => (directive.trim(), None),
                };
                if name.eq_ignore_ascii_case("max-age") {
                    // RFC 9111 4.2.1: an invalid max-age makes the response stale.
                    cc.max_age = Some(arg.and_then(|a| a.parse().ok()).unwrap_or(0));
                } else if name.eq_ignore_ascii_case("no-cache") {
                    cc.no_cache = true;
                } else if name.eq_ignore_ascii_case("no-store") {
                    cc.no_store = true;
                }
            }
        }
        seen.then_some(cc)
    }
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn header_str<'h>(headers: &'h HeaderMap, name: &header::HeaderName) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `Expires` minus `Date` (or minus now, without a `Date`); an unparseable `Expires` means
/// "already expired" (RFC 9111 5.3).
fn expires_lifetime(headers: &HeaderMap, now: SystemTime) -> Option<u64> {
    let expires = header_str(headers, &header::EXPIRES)?;
    let Ok(expires) = httpdate::parse_http_date(expires) else {
        return Some(0);
    };
    let date = header_str(headers, &header::DATE)
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .unwrap_or(now);
    Some(expires.duration_since(date).map_or(0, |d| d.as_secs()))
}

impl CachePolicy {
    /// Whether the response may be stored at all (`Cache-Control: no-store` says no).
    pub(crate) fn storable(headers: &HeaderMap) -> bool {
        !CacheControl::parse(headers).is_some_and(|cc| cc.no_store)
    }

    pub(crate) fn from_response(headers: &HeaderMap, now: SystemTime) -> Self {
        let cc = CacheControl::parse(headers).unwrap_or_default();
        Self {
            stored_at: unix_seconds(now),
            age: header_str(headers, &header::AGE)
                .and_then(|a| a.trim().parse().ok())
                .unwrap_or(0),
            max_age: cc.max_age.or_else(|| expires_lifetime(headers, now)),
            no_cache: cc.no_cache,
            etag: header_str(headers, &header::ETAG).map(str::to_string),
            last_modified: header_str(headers, &header::LAST_MODIFIED).map(str::to_string),
        }
    }

    /// Whether the stored response can be used without contacting the server.
    ///
    /// Explicit freshness (`max-age`, `Expires`, `no-cache`) is honoured. A response with
    /// validators but no explicit lifetime is revalidated on every use, which costs a 304 (this is
    /// what pip's cachecontrol and uv do). A response with neither, which is what many proxies and
    /// static mirrors send, is fresh for `heuristic` after it was fetched: without that, every run
    /// would download every page again.
    pub(crate) fn is_fresh(&self, now: SystemTime, heuristic: Duration) -> bool {
        if self.no_cache {
            return false;
        }
        let lifetime = match self.max_age {
            Some(max_age) => max_age,
            None if self.etag.is_some() || self.last_modified.is_some() => 0,
            None => heuristic.as_secs(),
        };
        let current_age = self.age + unix_seconds(now).saturating_sub(self.stored_at);
        current_age < lifetime
    }

    /// Whether a request can be made conditional on this response (an `ETag` or a
    /// `Last-Modified` came with it). Without one the stored body is of no use once stale.
    pub(crate) fn has_validators(&self) -> bool {
        self.etag.is_some() || self.last_modified.is_some()
    }

    /// The headers that make a request conditional on the stored response being outdated.
    pub(crate) fn conditional_headers(&self, headers: &mut HeaderMap) {
        let mut put = |name, value: &Option<String>| {
            if let Some(value) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                headers.insert(name, value);
            }
        };
        put(header::IF_NONE_MATCH, &self.etag);
        put(header::IF_MODIFIED_SINCE, &self.last_modified);
    }

    /// A 304 confirmed the stored response: it is fresh again, with the freshness and validators
    /// the 304 carries replacing the stored ones (RFC 9111 4.3.4).
    pub(crate) fn revalidated(&mut self, headers: &HeaderMap, now: SystemTime) {
        let new = Self::from_response(headers, now);
        self.stored_at = new.stored_at;
        self.age = new.age;
        if headers.contains_key(header::CACHE_CONTROL) || headers.contains_key(header::EXPIRES) {
            self.max_age = new.max_age;
            self.no_cache = new.no_cache;
        }
        self.etag = new.etag.or(self.etag.take());
        self.last_modified = new.last_modified.or(self.last_modified.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    const HEURISTIC: Duration = Duration::from_secs(600);

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    #[test]
    fn max_age_counts_from_the_age_the_response_already_had() {
        let h = headers(&[("cache-control", "max-age=600, public"), ("age", "500")]);
        let policy = CachePolicy::from_response(&h, at(0));
        assert!(policy.is_fresh(at(99), HEURISTIC));
        assert!(!policy.is_fresh(at(100), HEURISTIC));
    }

    #[test]
    fn no_explicit_information_is_fresh_for_the_heuristic_window() {
        let policy = CachePolicy::from_response(&HeaderMap::new(), at(0));
        assert!(policy.is_fresh(at(599), HEURISTIC));
        assert!(!policy.is_fresh(at(600), HEURISTIC));
    }

    #[test]
    fn validators_without_lifetime_revalidate_every_time() {
        let policy = CachePolicy::from_response(&headers(&[("etag", "\"v1\"")]), at(0));
        assert!(!policy.is_fresh(at(0), HEURISTIC));
        let mut conditional = HeaderMap::new();
        policy.conditional_headers(&mut conditional);
        assert_eq!(conditional[header::IF_NONE_MATCH], "\"v1\"");
    }

    #[test]
    fn no_cache_and_no_store() {
        let h = headers(&[("cache-control", "no-cache, max-age=600")]);
        assert!(!CachePolicy::from_response(&h, at(0)).is_fresh(at(0), HEURISTIC));
        assert!(CachePolicy::storable(&h));
        assert!(!CachePolicy::storable(&headers(&[(
            "cache-control",
            "private, no-store"
        )])));
    }

    #[test]
    fn expires_relative_to_date_and_garbage_expires_is_stale() {
        let h = headers(&[
            ("date", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ("expires", "Sun, 06 Nov 1994 08:59:37 GMT"),
        ]);
        let policy = CachePolicy::from_response(&h, at(0));
        assert_eq!(policy.max_age, Some(600));
        let h = headers(&[("expires", "0")]);
        assert!(!CachePolicy::from_response(&h, at(0)).is_fresh(at(0), HEURISTIC));
    }

    #[test]
    fn a_304_refreshes_and_keeps_validators_it_does_not_repeat() {
        let h = headers(&[("etag", "\"v1\""), ("cache-control", "max-age=60")]);
        let mut policy = CachePolicy::from_response(&h, at(0));
        assert!(!policy.is_fresh(at(100), HEURISTIC));
        policy.revalidated(&HeaderMap::new(), at(100));
        assert!(policy.is_fresh(at(159), HEURISTIC));
        assert_eq!(policy.etag.as_deref(), Some("\"v1\""));
    }
}
