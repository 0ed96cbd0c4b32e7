//! Credentials for private indexes, found the way pip and uv find them, and kept out of every
//! URL a person sees.
//!
//! For a request to `scheme://host:port`, in this order:
//!
//! 1. the userinfo of the request's own URL (a link or direct reference that carries it);
//! 2. the userinfo of an index or find-links URL with the same scheme, host and port: a page
//!    and its files, `.metadata` and range requests share them, and no other host ever sees
//!    them (reqwest drops `Authorization` on a redirect to another host or port);
//! 3. the `.netrc` file (`NETRC`, else `~/.netrc`): the entry of the host, else `default`,
//!    when its login matches the username the URL names (if it names one);
//! 4. the keyring, with `--keyring-provider subprocess` (uv's provider of that name, pip's
//!    `keyring` CLI provider): `keyring get <index URL> <username>`, then
//!    `keyring get <host> <username>`, once per host and run. Like pip's, it needs the
//!    username, from the URL (`https://user@example.invalid/simple`) or the netrc entry.
//!
//! Secrets never leave this module except inside an `Authorization` header: URLs are stripped
//! of their userinfo before anything else sees them, and [`redacted`] is how a URL that may
//! still hold one is shown.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use tracing::{debug, warn};
use url::Url;

use super::OnceMap;

/// How to ask a keyring for a password (pip's and uv's `--keyring-provider`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum KeyringProvider {
    /// Never ask (the default, as in uv; pip's `auto` would import the keyring module).
    #[default]
    Disabled,
    /// Run the `keyring` command found on PATH: `keyring get SERVICE USERNAME`.
    Subprocess,
}

/// Where the credentials sent with a request came from, for the 401/403 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CredentialSource {
    /// The userinfo of the index, find-links or file URL.
    Url,
    /// An entry of this netrc file.
    Netrc(PathBuf),
    /// The `keyring` command.
    Keyring,
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url => f.write_str("the URL"),
            Self::Netrc(path) => write!(f, "the netrc file `{}`", path.display()),
            Self::Keyring => f.write_str("the keyring (`keyring get`)"),
        }
    }
}

/// A username and maybe a password, as an `Authorization: Basic` header carries them.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) username: String,
    pub(crate) password: Option<String>,
}

/// Never the password, not even under `{:?}`.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "****"))
            .finish()
    }
}

impl Credentials {
    /// The userinfo of `url`, percent-decoded; None when it has no username.
    fn from_url(url: &Url) -> Option<Self> {
        if url.username().is_empty() {
            return None;
        }
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8_lossy()
                .into_owned()
        };
        Some(Self {
            username: decode(url.username()),
            password: url.password().map(decode),
        })
    }
}

/// The credentials a request is sent with, and where they came from.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    pub(crate) credentials: Credentials,
    pub(crate) source: CredentialSource,
}

/// `scheme`, host and port (the default one when the URL has none): the unit credentials are
/// shared within.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    pub(crate) fn of(url: &Url) -> Option<Self> {
        Some(Self {
            scheme: url.scheme().to_string(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default()?,
        })
    }
}

/// `https://me:secret@example.invalid/...` without its password: a lockfile is committed.
pub(crate) fn without_password(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// `url` without its userinfo: what is requested, cached, logged and reported.
pub(crate) fn strip(url: &Url) -> Url {
    let mut url = url.clone();
    if !url.username().is_empty() || url.password().is_some() {
        let _ = url.set_password(None);
        let _ = url.set_username("");
    }
    url
}

/// `url` as a person may see it: a password becomes `****` (pip's and uv's redaction); the
/// username stays, so the message still says whose credentials were meant.
pub(crate) fn redacted(url: &Url) -> Url {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("****"));
    }
    url
}

/// What an index location said about one origin.
#[derive(Debug, Clone)]
struct Known {
    credentials: Option<Credentials>,
    /// The index URL (without userinfo): the keyring's first service name.
    index: Url,
}

/// The credential store of one index client.
pub(crate) struct Auth {
    known: HashMap<Origin, Known>,
    netrc: Option<(PathBuf, netrc::Netrc)>,
    keyring: KeyringProvider,
    /// One keyring answer per origin (None: it had none), for the whole run.
    keyring_answers: OnceMap<Origin, Option<Arc<str>>, ()>,
}

impl Auth {
    /// The store for these index and find-links URLs (with their userinfo, which is kept here
    /// and nowhere else), the netrc file, and `keyring`.
    pub(crate) fn new<'a>(
        locations: impl IntoIterator<Item = &'a Url>,
        keyring: KeyringProvider,
    ) -> Self {
        let mut known: HashMap<Origin, Known> = HashMap::new();
        for url in locations {
            let Some(origin) = Origin::of(url) else {
                continue;
            };
            let credentials = Credentials::from_url(url);
            let entry = known.entry(origin).or_insert_with(|| Known {
                credentials: None,
                index: strip(url),
            });
            // The first URL of an origin that names credentials wins (the index before extras).
            if entry.credentials.is_none() && credentials.is_some() {
                entry.credentials = credentials;
                entry.index = strip(url);
            }
        }
        Self {
            known,
            netrc: read_netrc(),
            keyring,
            keyring_answers: OnceMap::new(),
        }
    }

    /// Whether a keyring may be asked at all.
    pub(crate) fn keyring(&self) -> KeyringProvider {
        self.keyring
    }

    /// The credentials for a request to `url` (see the module's order), or None to send none.
    pub(crate) async fn credentials(&self, url: &Url) -> Option<Applied> {
        let origin = Origin::of(url)?;
        let from_url = Credentials::from_url(url);
        let known = self.known.get(&origin);
        let named = from_url
            .clone()
            .or_else(|| known.and_then(|k| k.credentials.clone()));
        if let Some(credentials) = &named
            && credentials.password.is_some()
        {
            return Some(Applied {
                credentials: credentials.clone(),
                source: CredentialSource::Url,
            });
        }
        let username = named.as_ref().map(|c| c.username.as_str());
        if let Some(applied) = self.netrc_entry(&origin.host, username) {
            return Some(applied);
        }
        let username = username.or_else(|| {
            // A netrc entry without a password still names the user for the keyring.
            self.netrc.as_ref().and_then(|(_, netrc)| {
                let entry = netrc.hosts.get(&origin.host)?;
                (!entry.login.is_empty()).then_some(entry.login.as_str())
            })
        });
        if self.keyring == KeyringProvider::Subprocess
            && let Some(username) = username
        {
            let service = known.map_or_else(
                || format!("{}://{}", origin.scheme, url.authority()),
                |k| k.index.to_string(),
            );
            if let Some(password) = self.ask_keyring(&origin, &service, username).await {
                return Some(Applied {
                    credentials: Credentials {
                        username: username.to_string(),
                        password: Some(password.to_string()),
                    },
                    source: CredentialSource::Keyring,
                });
            }
        }
        // A username alone is still sent (some indexes take a token as the username).
        named.map(|credentials| Applied {
            credentials,
            source: CredentialSource::Url,
        })
    }

    /// The netrc entry for `host` (else its `default`), when it is for `username` (if any).
    fn netrc_entry(&self, host: &str, username: Option<&str>) -> Option<Applied> {
        let (path, netrc) = self.netrc.as_ref()?;
        let entry = netrc
            .hosts
            .get(host)
            .or_else(|| netrc.hosts.get("default"))?;
        if entry.password.is_empty() || username.is_some_and(|u| u != entry.login) {
            return None;
        }
        Some(Applied {
            credentials: Credentials {
                username: entry.login.clone(),
                password: Some(entry.password.clone()),
            },
            source: CredentialSource::Netrc(path.clone()),
        })
    }

    async fn ask_keyring(
        &self,
        origin: &Origin,
        service: &str,
        username: &str,
    ) -> Option<Arc<str>> {
        let host = match origin.port {
            80 | 443 => origin.host.clone(),
            port => format!("{}:{port}", origin.host),
        };
        let services = [service.to_string(), host];
        let username = username.to_string();
        self.keyring_answers
            .get_or_try_init(origin.clone(), || async move {
                let answer = tokio::task::spawn_blocking(move || {
                    services
                        .iter()
                        .find_map(|service| keyring_get(service, &username))
                })
                .await
                .unwrap_or(None);
                Ok(answer.map(Arc::from))
            })
            .await
            .unwrap_or(None)
    }
}

/// `keyring get SERVICE USERNAME`: its first line, when it exits 0 with one.
fn keyring_get(service: &str, username: &str) -> Option<String> {
    debug!("asking `keyring` for the password of `{username}` at `{service}`");
    let output = Command::new("keyring")
        .args(["get", service, username])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    match output {
        Ok(output) if output.status.success() => {
            let text = String::from_utf8_lossy(&output.stdout);
            let password = text.lines().next().unwrap_or_default().to_string();
            (!password.is_empty()).then_some(password)
        }
        Ok(_) => {
            debug!("`keyring get {service} {username}` has no password");
            None
        }
        Err(err) => {
            warn!("`--keyring-provider subprocess` cannot run `keyring`: {err}");
            None
        }
    }
}

/// The netrc file pip and uv read: `NETRC`, else `~/.netrc`. One that does not parse is
/// ignored with a warning that names it (and never its text, which holds passwords).
fn read_netrc() -> Option<(PathBuf, netrc::Netrc)> {
    let path = netrc::Netrc::get_file()?;
    match netrc::Netrc::from_file(&path) {
        Ok(netrc) => Some((path, netrc)),
        Err(netrc::Error::Io(err)) => {
            debug!("cannot read `{}`: {err}", path.display());
            None
        }
        Err(netrc::Error::Parsing { .. }) => {
            warn!(
                "ignoring `{}`: it is not a valid netrc file",
                path.display()
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn redaction_keeps_the_user_and_hides_the_password() {
        let secret = url("https://me:s3cr%40t@example.invalid/simple/");
        assert_eq!(
            redacted(&secret).as_str(),
            "https://me:****@example.invalid/simple/"
        );
        assert_eq!(strip(&secret).as_str(), "https://example.invalid/simple/");
        let creds = Credentials::from_url(&secret).unwrap();
        assert_eq!(creds.password.as_deref(), Some("s3cr@t"));
        assert!(!format!("{creds:?}").contains("s3cr"));
    }

    #[tokio::test]
    async fn url_credentials_apply_to_their_origin_only() {
        let index = url("https://me:pw@example.invalid/simple/");
        let auth = Auth::new([&index], KeyringProvider::Disabled);
        let file = url("https://example.invalid/files/a-1.0-py3-none-any.whl");
        let applied = auth.credentials(&file).await.unwrap();
        assert_eq!(applied.credentials.password.as_deref(), Some("pw"));
        assert_eq!(applied.source, CredentialSource::Url);
        for other in [
            "https://files.example.invalid/a.whl",
            "http://example.invalid/a.whl",
            "https://example.invalid:8443/a.whl",
        ] {
            assert!(auth.credentials(&url(other)).await.is_none(), "{other}");
        }
    }
}
