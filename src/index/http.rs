//! The one HTTP client: connection reuse and HTTP/2 (reqwest), a bound on concurrent requests,
//! credentials ([`super::auth`]), pip's certificate, proxy and trusted-host settings, retries
//! with exponential backoff and jitter within a time budget, and a `-vv` log line per request.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{self, HeaderMap};
use reqwest::{Response, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::debug;
use url::Url;

use super::IndexError;
use super::auth::{Applied, Auth, KeyringProvider, redacted, strip};
use super::first_request::FirstRequests;

/// Requests in flight at once: enough to hide latency, few enough not to look like an attack to
/// an index or a proxy (uv uses 50 as well).
const CONCURRENCY: usize = 50;

/// The first backoff; it doubles on each retry, up to [`MAX_BACKOFF`].
const BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Which certificate authorities verify a TLS server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Roots {
    /// The system's (rustls-platform-verifier).
    #[default]
    System,
    /// Only those of this PEM bundle (pip's `--cert` replaces the default bundle too).
    Bundle {
        path: PathBuf,
        /// Which setting named it: `--cert`, `PIP_CERT`, `REQUESTS_CA_BUNDLE`, ...
        from: String,
    },
}

impl std::fmt::Display for Roots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::System => f.write_str("the system's certificate authorities"),
            Self::Bundle { path, from } => write!(
                f,
                "the certificate authorities of `{}` (from {from})",
                path.display()
            ),
        }
    }
}

/// How the client talks to the network, as the settings stage decided (pip's names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NetworkSettings {
    /// `--cert`, `PIP_CERT`, pip's `cert`, `REQUESTS_CA_BUNDLE`, `SSL_CERT_FILE`.
    pub(crate) roots: Roots,
    /// `--client-cert`: one PEM file with the client's certificate and private key.
    pub(crate) client_cert: Option<PathBuf>,
    /// `--trusted-host HOST[:PORT]`: no certificate verification for these.
    pub(crate) trusted_hosts: Vec<String>,
    /// pip's `proxy` (`PIP_PROXY`) for every scheme; `http_proxy`, `https_proxy` and
    /// `no_proxy` are honoured without it (and `no_proxy` with it).
    pub(crate) proxy: Option<String>,
    pub(crate) keyring: KeyringProvider,
    /// How long one request may keep being retried (`PINION_HTTP_RETRY_BUDGET`).
    pub(crate) retry_budget: Duration,
    /// How long a connection may stay silent (pip's `timeout`, `PIP_TIMEOUT`).
    pub(crate) timeout: Duration,
}

impl NetworkSettings {
    /// About ten seconds of retries per request, as the design asks.
    pub(crate) const DEFAULT_RETRY_BUDGET: Duration = Duration::from_secs(10);
    /// pip's default socket timeout is 15 s; a loaded index may take longer to start a page.
    pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
}

impl Default for NetworkSettings {
    fn default() -> Self {
        Self {
            roots: Roots::System,
            client_cert: None,
            trusted_hosts: Vec::new(),
            proxy: None,
            keyring: KeyringProvider::Disabled,
            retry_budget: Self::DEFAULT_RETRY_BUDGET,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }
}

/// Why an attempt failed: worth another try (after the server's `Retry-After`, if it said),
/// or not.
pub(crate) enum Failure {
    Transient(IndexError, Option<Duration>),
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

type Built = OnceLock<Result<reqwest::Client, String>>;

/// Built on the first request: setting up TLS costs more than a whole warm-cache compile, which
/// makes no request at all.
#[derive(Clone)]
pub(crate) struct HttpClient {
    /// The verifying client, and the one for `--trusted-host`s.
    client: Arc<Built>,
    trusting: Arc<Built>,
    settings: Arc<NetworkSettings>,
    auth: Arc<Auth>,
    permits: Arc<Semaphore>,
    /// One HTTP/2 connection per origin rather than one per request of the first burst.
    first_requests: Arc<FirstRequests>,
}

/// A transport error that a new attempt may not meet: the connection failed, broke or timed
/// out, before or in the middle of a body (a reset, a truncated body, a wrong Content-Length:
/// reqwest reports the last two as body or decode errors).
fn transient_error(err: &reqwest::Error) -> bool {
    err.is_connect() || err.is_timeout() || err.is_request() || err.is_body() || err.is_decode()
}

/// Statuses that say "try again later" (RFC 9110): server errors, Request Timeout, Too Many Requests.
fn transient_status(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
}

/// Whether a transport error is a failed TLS handshake (the certificate, mostly): rustls says
/// so only in the text of the error chain.
fn is_tls(err: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(err) = source {
        let text = err.to_string().to_ascii_lowercase();
        // A TLS alert from the server ("received fatal alert: UnknownCA") is TLS too, and
        // never transient: it refused this client.
        if text.contains("certificate")
            || text.contains("tls")
            || text.contains("handshake")
            || text.contains("fatal alert")
        {
            return true;
        }
        source = err.source();
    }
    false
}

const ROOTS_HELP: &str = "name your company's CA bundle with `--cert FILE` (or PIP_CERT, REQUESTS_CA_BUNDLE, SSL_CERT_FILE), or skip verification for this host with `--trusted-host HOST`";

/// What to do about a failed handshake. A server that wants a client certificate (mutual TLS)
/// ends the handshake with an alert: `certificate_required` when none was sent (TLS 1.3), or
/// one of the certificate alerts when it does not trust the one sent; anything else is most
/// often a server certificate no root vouches for.
fn tls_help(err: &reqwest::Error, client_cert: Option<&std::path::Path>) -> String {
    let mut alert = None;
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(err) = source {
        let text = err.to_string();
        if let Some((_, name)) = text.split_once("received fatal alert: ") {
            alert = Some(name.trim().to_string());
        }
        source = err.source();
    }
    let refused_certificate = matches!(
        alert.as_deref(),
        Some("BadCertificate" | "UnknownCA" | "CertificateUnknown" | "AccessDenied")
    );
    match (alert.as_deref(), client_cert) {
        (Some("CertificateRequired"), None) => {
            "the server asks for a client certificate: name a PEM file with your certificate and its private key with `--client-cert FILE` (or PIP_CLIENT_CERT, or pip's `client-cert` setting)".to_string()
        }
        (Some("CertificateRequired"), Some(path)) => format!(
            "the server asks for a client certificate and was not offered the one in `{}`",
            path.display()
        ),
        (_, Some(path)) if refused_certificate => format!(
            "the server did not accept the client certificate in `{}` (`--client-cert`): ask its administrators which authority it must be issued by",
            path.display()
        ),
        // TLS 1.2 servers end a handshake without the certificate they require this way.
        (Some("HandshakeFailure"), None) => format!("{ROOTS_HELP}; if the server requires a client certificate, name it with `--client-cert FILE`"),
        _ => ROOTS_HELP.to_string(),
    }
}

/// A transport error of `url`'s request or body; `url` has no userinfo (see [`strip`]).
pub(crate) fn network_error(url: &Url, err: reqwest::Error) -> Failure {
    let transient = transient_error(&err);
    let err = IndexError::Network {
        url: redacted(url),
        source: err.without_url(),
    };
    if transient {
        Failure::Transient(err, None)
    } else {
        Failure::Fatal(err)
    }
}

/// `Retry-After: <seconds>` or `Retry-After: <HTTP date>` (RFC 9110 10.2.3).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(SystemTime::now()).unwrap_or_default())
}

/// Between half of `backoff` and all of it ("equal jitter"): clients that failed together do
/// not come back together.
fn jitter(backoff: Duration) -> Duration {
    backoff / 2 + backoff.mul_f64(fastrand::f64() / 2.0)
}

impl HttpClient {
    pub(crate) fn new(settings: NetworkSettings, auth: Auth) -> Self {
        Self {
            client: Arc::default(),
            trusting: Arc::default(),
            settings: Arc::new(settings),
            auth: Arc::new(auth),
            permits: Arc::new(Semaphore::new(CONCURRENCY)),
            first_requests: Arc::default(),
        }
    }

    /// Whether `url`'s host is one of `--trusted-host` (`HOST` or `HOST:PORT`, as pip has it).
    fn trusted(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        let with_port = url.port().map(|port| format!("{host}:{port}"));
        self.settings
            .trusted_hosts
            .iter()
            .any(|trusted| trusted == host || Some(trusted) == with_port.as_ref())
    }

    fn client(&self, url: &Url) -> Result<&reqwest::Client, Failure> {
        let trusting = self.trusted(url);
        let cell = if trusting {
            &self.trusting
        } else {
            &self.client
        };
        let client = cell.get_or_init(|| build_client(&self.settings, trusting));
        client.as_ref().map_err(|reason| {
            Failure::Fatal(IndexError::Client {
                url: redacted(url),
                reason: reason.clone(),
            })
        })
    }

    /// Sends `GET url`, once, with the credentials of its origin. 5xx, 408 and 429 are
    /// transient failures; 401 and 403 say what was sent; any other status is the caller's to
    /// interpret (404 is an empty project, 304 a confirmed cache entry, ...).
    pub(crate) async fn get(&self, url: &Url, headers: HeaderMap) -> Result<Fetch, Failure> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let range = headers
            .get(header::RANGE)
            .and_then(|r| r.to_str().ok())
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let client = self.client(url)?;
        let applied = self.auth.credentials(url).await;
        let target = strip(url);
        let shown = redacted(url);
        let with = applied
            .as_ref()
            .map(|a| format!(" with credentials from {}", a.source))
            .unwrap_or_default();
        let mut request = client.get(target).headers(headers);
        if let Some(Applied { credentials, .. }) = &applied {
            request = request.basic_auth(&credentials.username, credentials.password.as_ref());
        }
        let first = self.first_requests.enter(url).await;
        let sent = request.send().await;
        drop(first);
        let response = match sent {
            Ok(response) => response,
            Err(err) => {
                debug!("GET {shown}{range}{with}: {err}");
                if is_tls(&err) && url.scheme() == "https" {
                    return Err(Failure::Fatal(IndexError::Tls {
                        host: url.host_str().unwrap_or_default().to_string(),
                        url: shown,
                        roots: self.settings.roots.to_string(),
                        help: tls_help(&err, self.settings.client_cert.as_deref()),
                        source: err.without_url(),
                    }));
                }
                return Err(network_error(url, err));
            }
        };
        let status = response.status();
        debug!("GET {shown}{range}{with} -> {status}");
        if transient_status(status) {
            let after = retry_after(response.headers());
            return Err(Failure::Transient(
                IndexError::Status { url: shown, status },
                after,
            ));
        }
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(Failure::Fatal(self.refused(url, status, applied)));
        }
        Ok(Fetch {
            response,
            _permit: permit,
        })
    }

    /// The 401/403 error: which URL, what was sent, and how to send something else.
    fn refused(&self, url: &Url, status: StatusCode, applied: Option<Applied>) -> IndexError {
        let host = url.host_str().unwrap_or("HOST");
        let sent = match &applied {
            None => "no credentials were sent".to_string(),
            Some(Applied {
                credentials,
                source,
            }) if credentials.password.is_none() => {
                format!(
                    "only the username `{}` (from {source}) was sent",
                    credentials.username
                )
            }
            Some(Applied {
                credentials,
                source,
            }) => format!(
                "credentials of `{}` from {source} were sent",
                credentials.username
            ),
        };
        let help = match (&applied, status) {
            (None, _) => {
                let keyring = if self.auth.keyring() == KeyringProvider::Subprocess {
                    "name the user in the index URL (`https://USER@host/simple`) for the keyring to be asked"
                } else {
                    "use a keyring with `--keyring-provider subprocess` and the user in the URL"
                };
                format!(
                    "give credentials in the index URL (`https://USER:PASSWORD@{host}/simple`), in a netrc file (`NETRC` or `~/.netrc`: `machine {host} login USER password PASSWORD`), or {keyring}"
                )
            }
            (Some(applied), StatusCode::FORBIDDEN) => format!(
                "the index knows the user but refuses it this URL: check its permissions, or the credentials in {}",
                applied.source
            ),
            (Some(applied), _) => format!("check the username and password in {}", applied.source),
        };
        IndexError::Unauthorized {
            url: redacted(url),
            status,
            sent,
            help,
        }
    }

    /// Runs `attempt` until it succeeds or fails for good; transient failures are retried
    /// with exponential backoff and jitter (or after the server's `Retry-After`) while the
    /// next attempt would still start within the retry budget.
    pub(crate) async fn retry<T, F, Fut>(&self, url: &Url, mut attempt: F) -> Result<T, IndexError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let start = Instant::now();
        let budget = self.settings.retry_budget;
        let mut backoff = BACKOFF;
        for attempts in 1.. {
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(Failure::Fatal(err)) => return Err(err),
                Err(Failure::Transient(err, after)) => {
                    let wait = after.unwrap_or_else(|| jitter(backoff));
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    let spent = start.elapsed();
                    if spent + wait > budget {
                        debug!(
                            "giving up on `{}` after {attempts} attempts in {:.1} s: {err}",
                            redacted(url),
                            spent.as_secs_f64()
                        );
                        return Err(err);
                    }
                    debug!(
                        "attempt {attempts} of `{}` failed, retrying in {} ms: {err}",
                        redacted(url),
                        wait.as_millis()
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
        unreachable!("the loop returns")
    }
}

/// The reqwest client for these settings; `trusting` skips certificate verification (for the
/// `--trusted-host`s). Errors name the file that could not be used.
fn build_client(settings: &NetworkSettings, trusting: bool) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("pinion/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(settings.timeout)
        .dns_resolver(Arc::new(super::dns::HedgedResolver::default()));
    if let Roots::Bundle { path, from } = &settings.roots {
        let pem = fs_err::read(path)
            .map_err(|err| format!("cannot read the CA bundle named by {from}: {err}"))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|err| {
            format!(
                "`{}` (from {from}) is not a PEM bundle of certificates: {err}",
                path.display()
            )
        })?;
        builder = builder.tls_certs_only(certs);
    }
    if let Some(path) = &settings.client_cert {
        let pem = fs_err::read(path)
            .map_err(|err| format!("cannot read the client certificate: {err}"))?;
        let identity = reqwest::Identity::from_pem(&pem).map_err(|err| {
            format!(
                "`{}` is not a PEM file with a certificate and its private key: {err}",
                path.display()
            )
        })?;
        builder = builder.identity(identity);
    }
    if trusting {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    if let Some(proxy) = &settings.proxy {
        let proxy = reqwest::Proxy::all(proxy.as_str())
            .map_err(|err| format!("invalid proxy URL: {err}"))?
            .no_proxy(reqwest::NoProxy::from_env());
        builder = builder.proxy(proxy);
    }
    builder.build().map_err(|err| {
        let mut text = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(err) = source {
            text = format!("{text}: {err}");
            source = err.source();
        }
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        headers.insert(header::RETRY_AFTER, later.parse().unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30));
    }

    #[test]
    fn jitter_stays_within_half_and_all_of_the_backoff() {
        for _ in 0..100 {
            let wait = jitter(Duration::from_millis(400));
            assert!(wait >= Duration::from_millis(200) && wait <= Duration::from_millis(400));
        }
    }
}
