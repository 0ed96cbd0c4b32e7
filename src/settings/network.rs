//! How the index client talks to the network, ranked once: the command line (`--cert`,
//! `--client-cert`, `--trusted-host`, `--keyring-provider`), `--trusted-host` lines of the
//! requirement files, `PIP_*` variables, pip's configuration files, then the CA bundles that
//! requests and OpenSSL read (`REQUESTS_CA_BUNDLE`, `SSL_CERT_FILE`), then defaults.
//! `http_proxy`, `https_proxy` and `no_proxy` are reqwest's to read.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tracing::debug;

use super::SettingsError;
use super::index::{IndexSettings, PipNetwork, ask_pip};
use crate::cli;
use crate::index::{KeyringProvider, NetworkSettings, Roots};
use crate::requirements::IndexOptions;

/// What the command line said about the network.
#[derive(Debug, Clone, Default)]
pub(crate) struct NetworkOptions {
    pub(crate) cert: Option<PathBuf>,
    pub(crate) client_cert: Option<PathBuf>,
    pub(crate) trusted_hosts: Vec<String>,
    pub(crate) keyring_provider: Option<KeyringProvider>,
}

impl NetworkOptions {
    pub(super) fn from_args(args: &cli::IndexArgs) -> Self {
        Self {
            cert: args.cert.clone(),
            client_cert: args.client_cert.clone(),
            trusted_hosts: args.trusted_host.clone(),
            keyring_provider: args.keyring_provider.map(|provider| match provider {
                cli::KeyringProvider::Disabled => KeyringProvider::Disabled,
                cli::KeyringProvider::Subprocess => KeyringProvider::Subprocess,
            }),
        }
    }
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

/// pip's `keyring-provider` values: `import` and `auto` mean a keyring module in pip's own
/// interpreter, which pinion reaches through its command.
fn keyring_provider(key: &str, value: &str) -> Result<KeyringProvider, SettingsError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "disabled" => Ok(KeyringProvider::Disabled),
        "subprocess" | "import" | "auto" => Ok(KeyringProvider::Subprocess),
        _ => Err(SettingsError::InvalidNetworkSetting {
            key: key.to_string(),
            value: value.to_string(),
            expected: "`disabled`, `subprocess`, `import` or `auto`",
        }),
    }
}

/// Seconds, as pip's `timeout` and `PINION_HTTP_RETRY_BUDGET` are written.
fn seconds(key: &str, value: &str) -> Result<Duration, SettingsError> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| SettingsError::InvalidNetworkSetting {
            key: key.to_string(),
            value: value.to_string(),
            expected: "a number of seconds",
        })
}

/// pip's configuration files, unless `PIP_CONFIG_FILE` is `os.devnull` (pip then reads none).
/// A pip that cannot be asked leaves them out: the network settings have defaults.
fn pip_network(python: Option<&Path>, cache_dir: Option<&Path>) -> PipNetwork {
    if std::env::var_os("PIP_CONFIG_FILE").is_some_and(|f| f == "/dev/null" || f == "nul") {
        return PipNetwork::default();
    }
    match ask_pip(python, cache_dir) {
        Ok(defaults) => defaults.network,
        Err(err) => {
            debug!("pip's network settings are unknown: {err}");
            PipNetwork::default()
        }
    }
}

impl IndexSettings {
    /// The network settings, by precedence (see the module). `files` are the options of the
    /// requirement files (their `--trusted-host` lines).
    pub(crate) fn network(
        &self,
        files: &IndexOptions,
        python: Option<&Path>,
        cache_dir: Option<&Path>,
    ) -> Result<NetworkSettings, SettingsError> {
        let cli = &self.network;
        let pip = pip_network(python, cache_dir);
        let bundle = |path: String, from: &str| Roots::Bundle {
            path: PathBuf::from(path),
            from: from.to_string(),
        };
        let roots = if let Some(path) = &cli.cert {
            bundle(path.display().to_string(), "`--cert`")
        } else if let Some(path) = env("PIP_CERT") {
            bundle(path, "PIP_CERT")
        } else if let Some(path) = pip.cert {
            bundle(path, "pip's `cert` setting")
        } else if let Some(path) = env("REQUESTS_CA_BUNDLE") {
            bundle(path, "REQUESTS_CA_BUNDLE")
        } else if let Some(path) = env("SSL_CERT_FILE") {
            bundle(path, "SSL_CERT_FILE")
        } else {
            Roots::System
        };
        let client_cert = cli
            .client_cert
            .clone()
            .or_else(|| env("PIP_CLIENT_CERT").map(PathBuf::from))
            .or_else(|| pip.client_cert.map(PathBuf::from));
        // Lists add up, as pip's `trusted-host` does across its sources.
        let mut trusted_hosts = cli.trusted_hosts.clone();
        trusted_hosts.extend(files.trusted_hosts.iter().cloned());
        if let Some(hosts) = env("PIP_TRUSTED_HOST") {
            trusted_hosts.extend(hosts.split_whitespace().map(str::to_string));
        }
        trusted_hosts.extend(pip.trusted_hosts);
        trusted_hosts.dedup();
        let keyring = match (cli.keyring_provider, env("PIP_KEYRING_PROVIDER")) {
            (Some(provider), _) => provider,
            (None, Some(value)) => keyring_provider("PIP_KEYRING_PROVIDER", &value)?,
            (None, None) => match &pip.keyring_provider {
                Some(value) => keyring_provider("pip's `keyring-provider`", value)?,
                None => KeyringProvider::Disabled,
            },
        };
        let timeout = match env("PIP_TIMEOUT")
            .map(|v| ("PIP_TIMEOUT", v))
            .or_else(|| pip.timeout.map(|v| ("pip's `timeout`", v)))
        {
            Some((key, value)) => seconds(key, &value)?,
            None => NetworkSettings::DEFAULT_TIMEOUT,
        };
        let retry_budget = match env("PINION_HTTP_RETRY_BUDGET") {
            Some(value) => seconds("PINION_HTTP_RETRY_BUDGET", &value)?,
            None => NetworkSettings::DEFAULT_RETRY_BUDGET,
        };
        Ok(NetworkSettings {
            roots,
            client_cert,
            trusted_hosts,
            proxy: env("PIP_PROXY").or(pip.proxy),
            keyring,
            retry_budget,
            timeout,
        })
    }
}
