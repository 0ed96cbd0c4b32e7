//! The first request to an `https` origin goes alone; the others wait for it.
//!
//! reqwest's pool (hyper-util's) multiplexes requests over one HTTP/2 connection, but learns
//! that a connection speaks HTTP/2 only when its TLS handshake has negotiated it (ALPN). Until
//! then every request of a first burst opens a connection of its own: a cold sync of 45 pins
//! made 86 TCP and TLS handshakes for 90 requests, against 28 for uv (benches/RESULTS.md,
//! "Sync, round 3"). Holding the burst until the first request to the origin has its answer
//! (or has failed) lets the others share its connection when it is HTTP/2; with HTTP/1.1 they
//! then open their own connections as before, one request's latency later.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use url::Url;

/// The longest a request waits for the first one to its origin: a handshake and a first answer
/// take well under a second from anywhere.
const MAX_WAIT: Duration = Duration::from_secs(3);

/// One gate per origin (scheme, host and port: what the pool keys connections by).
#[derive(Default)]
pub(crate) struct FirstRequests {
    gates: Mutex<HashMap<String, Arc<Gate>>>,
}

#[derive(Default)]
struct Gate {
    /// Set once the first request has its answer (or failed, or was cancelled).
    open: AtomicBool,
    /// Held by the first request while it is sent.
    first: Arc<tokio::sync::Mutex<()>>,
}

/// Held by the first request to an origin; the gate opens when it is dropped, so a request that
/// fails or is cancelled releases the others as well as one that succeeds.
pub(crate) struct First {
    gate: Arc<Gate>,
    _held: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for First {
    fn drop(&mut self) {
        self.gate.open.store(true, Ordering::Release);
    }
}

impl FirstRequests {
    /// Wait until a request to `url` may be sent. The first request to an `https` origin gets
    /// a [`First`], to be dropped once its response headers have arrived; later ones wait for
    /// that and get `None`. Plain `http` has no ALPN (and reqwest no HTTP/2 for it without
    /// prior knowledge): nothing waits.
    pub(crate) async fn enter(&self, url: &Url) -> Option<First> {
        if url.scheme() != "https" {
            return None;
        }
        let gate = {
            let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
            let origin = url.origin().ascii_serialization();
            Arc::clone(gates.entry(origin).or_default())
        };
        if gate.open.load(Ordering::Acquire) {
            return None;
        }
        // A first answer that is slow to come (a stalled server, until the read timeout) holds
        // the others up no longer than this: they then open connections of their own.
        let held = tokio::time::timeout(MAX_WAIT, Arc::clone(&gate.first).lock_owned()).await;
        let Ok(held) = held else {
            return None;
        };
        if gate.open.load(Ordering::Acquire) {
            return None;
        }
        Some(First { gate, _held: held })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_request_to_an_origin_goes_alone() {
        let gates = FirstRequests::default();
        let url = |text: &str| Url::parse(text).unwrap();
        let first = gates.enter(&url("https://example.invalid/a")).await;
        assert!(first.is_some());
        // Another origin, and plain http, do not wait for it.
        assert!(
            gates
                .enter(&url("https://other.example.invalid/"))
                .await
                .is_some()
        );
        assert!(
            gates
                .enter(&url("http://example.invalid/b"))
                .await
                .is_none()
        );
        let second = url("https://example.invalid/c");
        let waiting = gates.enter(&second);
        tokio::pin!(waiting);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut waiting)
                .await
                .is_err(),
            "the second request went before the first had its answer"
        );
        drop(first);
        assert!(waiting.await.is_none());
        assert!(
            gates
                .enter(&url("https://example.invalid/d"))
                .await
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_slow_first_answer_holds_the_others_up_for_a_while_only() {
        let gates = FirstRequests::default();
        let url = Url::parse("https://example.invalid/").unwrap();
        let _first = gates.enter(&url).await.unwrap();
        let start = std::time::Instant::now();
        assert!(gates.enter(&url).await.is_none());
        assert!(start.elapsed() >= MAX_WAIT);
    }
}
