//! The one HTTP client: connection reuse and HTTP/2 (reqwest), a bound on concurrent requests,
//! retries with exponential backoff, and a `-v` log line per request.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::debug;
use url::Url;

use super::IndexError;

/// Requests in flight at once: enough to hide latency, few enough not to look like an attack to
/// an index or a proxy (uv uses 50 as well).
const CONCURRENCY: usize = 50;

/// Retries after the first attempt, for connection failures, timeouts, 5xx, 408 and 429.
const RETRIES: u32 = 3;

/// The first backoff; it doubles on each retry.
const BACKOFF: Duration = Duration::from_millis(100);

/// Why an attempt failed: worth another try, or not.
pub(crate) enum Failure {
    Transient(IndexError),
    Fatal(IndexError),
}

impl From<IndexError> for Failure {
    fn from(err: IndexError) -> Self {
        Self::Fatal(err)
    }
}

/// A response and the permit it holds until its body has been read.
pub(crate) struct Fetch {
    pub(crate) response: Response,
    _permit: OwnedSemaphorePermit,
}

/// Built on the first request: setting up TLS costs more than a whole warm-cache compile, which
/// makes no request at all.
#[derive(Debug, Clone)]
pub(crate) struct HttpClient {
    client: Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>,
    permits: Arc<Semaphore>,
}

/// A transport error that a new attempt may not meet: the connection failed or broke, or timed out.
fn transient_error(err: &reqwest::Error) -> bool {
    err.is_connect() || err.is_timeout() || err.is_request() || err.is_body()
}

/// Statuses that say "try again later" (RFC 9110): server errors, Request Timeout, Too Many Requests.
fn transient_status(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
}

pub(crate) fn network_error(url: &Url, err: reqwest::Error) -> Failure {
    let transient = transient_error(&err);
    let err = IndexError::Network {
        url: url.clone(),
        source: err.without_url(),
    };
    if transient {
        Failure::Transient(err)
    } else {
        Failure::Fatal(err)
    }
}

impl HttpClient {
    pub(crate) fn new() -> Result<Self, IndexError> {
        Ok(Self {
            client: Arc::default(),
            permits: Arc::new(Semaphore::new(CONCURRENCY)),
        })
    }

    fn client(&self, url: &Url) -> Result<&reqwest::Client, Failure> {
        let client = self.client.get_or_init(|| {
            reqwest::Client::builder()
                .user_agent(concat!("pinion/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(10))
                .read_timeout(Duration::from_secs(30))
                .dns_resolver(Arc::new(super::dns::HedgedResolver::default()))
                .build()
                .map_err(|err| err.to_string())
        });
        client.as_ref().map_err(|reason| {
            Failure::Fatal(IndexError::Client {
                url: url.clone(),
                reason: reason.clone(),
            })
        })
    }

    /// Sends `GET url`, once. 5xx, 408 and 429 are transient failures; any other status is the
    /// caller's to interpret (404 is an empty project, 304 a confirmed cache entry, ...).
    pub(crate) async fn get(&self, url: &Url, headers: HeaderMap) -> Result<Fetch, Failure> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let range = headers
            .get(reqwest::header::RANGE)
            .and_then(|r| r.to_str().ok())
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let client = self.client(url)?;
        let response = match client.get(url.clone()).headers(headers).send().await {
            Ok(response) => response,
            Err(err) => {
                debug!("GET {url}{range}: {err}");
                return Err(network_error(url, err));
            }
        };
        let status = response.status();
        debug!("GET {url}{range} -> {status}");
        if transient_status(status) {
            return Err(Failure::Transient(IndexError::Status {
                url: url.clone(),
                status,
            }));
        }
        Ok(Fetch {
            response,
            _permit: permit,
        })
    }

    /// Runs `attempt` until it succeeds, fails for good, or has failed transiently `RETRIES` + 1
    /// times; waits 100 ms, 200 ms, 400 ms between attempts.
    pub(crate) async fn retry<T, F, Fut>(&self, url: &Url, mut attempt: F) -> Result<T, IndexError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let mut backoff = BACKOFF;
        for retry in 1..=RETRIES + 1 {
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(Failure::Fatal(err)) => return Err(err),
                Err(Failure::Transient(err)) if retry > RETRIES => return Err(err),
                Err(Failure::Transient(err)) => {
                    debug!(
                        "retry {retry}/{RETRIES} of `{url}` in {} ms: {err}",
                        backoff.as_millis()
                    );
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
            }
        }
        unreachable!("the last attempt returns")
    }
}
