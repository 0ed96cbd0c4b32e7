//! Where packages come from, resolved by precedence: the command line, then the options inside
//! requirement files, then PIP_* environment variables, then pip's own configuration files,
//! `[tool.pinion]`, and pip's default index (asked of pip once, and cached).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::index::auth::without_password;
use crate::index::{FindLinks, IndexLocations};
use crate::lockfile::OptionLines;
use crate::requirements::IndexOptions;

use super::SettingsError;

/// The index options of the command line (and, under `compile --check`, of the lockfile's
/// header), with `[tool.pinion]`'s kept apart: they rank below PIP_* and pip's own files.
#[derive(Debug, Clone, Default)]
pub(crate) struct IndexSettings {
    pub(crate) index_url: Option<String>,
    pub(crate) extra_index_urls: Vec<String>,
    pub(crate) find_links: Vec<String>,
    pub(crate) no_index: bool,
    /// `[tool.pinion]` `index-url`, `extra-index-url`, `find-links`.
    pub(crate) config: ConfigIndex,
    /// `--cert`, `--client-cert`, `--trusted-host`, `--keyring-provider` (see
    /// [`IndexSettings::network`]).
    pub(crate) network: super::network::NetworkOptions,
    /// `--exclude-newer` and `--exclude-newer-package`, decided (compile only).
    pub(crate) cooldown: crate::index::Cooldown,
}

/// The index options of a configuration file.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConfigIndex {
    pub(crate) index_url: Option<String>,
    pub(crate) extra_index_urls: Vec<String>,
    pub(crate) find_links: Vec<String>,
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

impl IndexSettings {
    /// Where to look, by precedence: the command line, the requirement files, PIP_* variables,
    /// pip's configuration files, `[tool.pinion]`, and last pip's built-in default (asked of
    /// `python`'s pip, cached in `cache_dir`). Lists add up in that order.
    ///
    /// With them, the lines a lockfile repeats of them: every index, extra
    /// index and find-links location whatever set it (flag, requirement file, PIP_*, pip's
    /// configuration, `[tool.pinion]`), the index only when it is not pip's built-in default
    /// (pip-compile's rule), passwords never. Trusted hosts and format controls are the
    /// requirement files'.
    pub(crate) fn resolve(
        &self,
        files: &IndexOptions,
        python: Option<&Path>,
        cache_dir: Option<&Path>,
    ) -> Result<ResolvedIndex, SettingsError> {
        let env_list = |key: &str| -> Vec<String> {
            env(key)
                .map(|v| v.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default()
        };
        let no_index = self.no_index
            || files.no_index
            || env("PIP_NO_INDEX").is_some_and(|v| {
                matches!(
                    v.to_ascii_lowercase().as_str(),
                    "1" | "true" | "yes" | "on" | "y" | "t"
                )
            });

        let mut extra: Vec<String> = self.extra_index_urls.clone();
        extra.extend(files.extra_index_urls.iter().cloned());
        extra.extend(env_list("PIP_EXTRA_INDEX_URL"));
        let mut find_links: Vec<String> = self.find_links.clone();
        find_links.extend(files.find_links.iter().cloned());
        find_links.extend(env_list("PIP_FIND_LINKS"));
        extra.extend(self.config.extra_index_urls.iter().cloned());
        find_links.extend(self.config.find_links.iter().cloned());

        let explicit = self
            .index_url
            .clone()
            .or_else(|| files.index_url.clone())
            .or_else(|| env("PIP_INDEX_URL"));
        // pip's built-in default (PyPI's simple URL, asked of pip): not written to lockfiles.
        let mut default_index = None;
        let index = if no_index {
            None
        } else if let Some(url) = explicit {
            default_index = cached_default_index(python, cache_dir);
            Some(url)
        } else {
            let pip = ask_pip(python, cache_dir)?;
            extra.extend(pip.extra_index_urls);
            find_links.extend(pip.find_links);
            default_index.clone_from(&pip.default_index_url);
            match self.config.index_url.clone() {
                Some(url) if !pip.configured => Some(url),
                _ => Some(pip.index_url),
            }
        };
        let is_default = |url: &str| {
            default_index
                .as_deref()
                .is_some_and(|d| d.trim_end_matches('/') == url.trim_end_matches('/'))
        };
        let lines = OptionLines {
            no_index,
            index_url: index
                .as_deref()
                .filter(|url| !is_default(url))
                .map(without_password),
            extra_index_urls: if no_index {
                Vec::new()
            } else {
                dedup(extra.iter().map(|u| without_password(u)).collect())
            },
            find_links: dedup(find_links.iter().map(|l| without_password(l)).collect()),
            // pip-compile writes them too, so that `pip install -r` trusts the same hosts.
            trusted_hosts: dedup(
                self.network
                    .trusted_hosts
                    .iter()
                    .chain(&files.trusted_hosts)
                    .cloned()
                    .collect(),
            ),
            no_binary: Vec::new(),
            only_binary: Vec::new(),
        };
        let parse = |what, value: &str| {
            Url::parse(value).map_err(|source| SettingsError::InvalidUrl {
                what,
                value: redact_text(value),
                source,
            })
        };
        let mut extra_index_urls = Vec::new();
        for url in dedup(extra) {
            extra_index_urls.push(parse("extra index URL", &url)?);
        }
        let mut links = Vec::new();
        for link in dedup(find_links) {
            if link.contains("://") {
                let url = parse("find-links URL", &link)?;
                match url.to_file_path() {
                    Ok(path) if url.scheme() == "file" => links.push(FindLinks::Dir(path)),
                    _ => links.push(FindLinks::Url(url)),
                }
            } else {
                links.push(FindLinks::Dir(PathBuf::from(link)));
            }
        }
        let locations = IndexLocations {
            index_url: index.map(|url| parse("index URL", &url)).transpose()?,
            extra_index_urls: if no_index {
                Vec::new()
            } else {
                extra_index_urls
            },
            find_links: links,
        };
        Ok(ResolvedIndex { locations, lines })
    }
}

/// Where to look, and how the lockfile says it.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedIndex {
    pub(crate) locations: IndexLocations,
    pub(crate) lines: OptionLines,
}

/// [`without_password`](crate::index::auth::without_password) for text that does not even parse as a URL: whatever stands between
/// `scheme://user:` and the last `@` of the authority becomes `****`.
fn redact_text(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:****@{host}{path}")
        }
        _ => text.to_string(),
    }
}

fn dedup(items: Vec<String>) -> Vec<String> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// What pip itself would use when nothing else says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct PipDefaults {
    index_url: String,
    /// The index comes from pip's configuration, not its built-in default.
    #[serde(default)]
    configured: bool,
    extra_index_urls: Vec<String>,
    find_links: Vec<String>,
    /// pip's `cert`, `client-cert`, `trusted-host`, `proxy`, `keyring-provider`, `timeout`.
    pub(super) network: PipNetwork,
    /// pip's built-in default index (`PyPI.simple_url`); None in entries cached before pinion
    /// asked for it, which are asked again.
    #[serde(default)]
    default_index_url: Option<String>,
}

/// The network settings of pip's configuration files.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct PipNetwork {
    pub(super) cert: Option<String>,
    pub(super) client_cert: Option<String>,
    pub(super) trusted_hosts: Vec<String>,
    pub(super) proxy: Option<String>,
    pub(super) keyring_provider: Option<String>,
    pub(super) timeout: Option<String>,
}

/// The cache entry: valid while the interpreter and pip's configuration files are unchanged.
#[derive(Serialize, Deserialize)]
struct PipCacheEntry {
    python: PathBuf,
    /// PIP_CONFIG_FILE when pip was asked.
    #[serde(default)]
    pip_config_file: Option<String>,
    python_mtime: Option<SystemTime>,
    files: Vec<(PathBuf, Option<SystemTime>)>,
    defaults: PipDefaults,
}

/// pip's `Configuration(isolated=False).load()` and `iter_config_files()`, done without
/// importing `pip._internal.configuration`, which imports most of pip (half a second on a cold
/// cache, where every compile and sync asks): the same files in the same order
/// (`get_configuration_files`: global, user unless `PIP_CONFIG_FILE` names an existing file,
/// site, then `PIP_CONFIG_FILE`; none when it is `os.devnull`), parsed the same way
/// (`RawConfigParser` in the locale's encoding, keys lower-cased with `_` as `-`), later files
/// overriding earlier ones. Only pip's small `appdirs` and `models.index` modules are imported.
const PIP_SCRIPT: &str = r#"
import configparser
import json
import locale
import os
import sys
from pip._internal.models.index import PyPI
from pip._internal.utils.appdirs import site_config_dirs, user_config_dir
WINDOWS = sys.platform.startswith("win")
BASENAME = "pip.ini" if WINDOWS else "pip.conf"
env_file = os.environ.get("PIP_CONFIG_FILE")
variants = [[os.path.join(p, BASENAME) for p in site_config_dirs("pip")]]
if not (env_file and os.path.exists(env_file)):
    legacy = os.path.join(os.path.expanduser("~"), "pip" if WINDOWS else ".pip", BASENAME)
    variants.append([legacy, os.path.join(user_config_dir("pip"), BASENAME)])
variants.append([os.path.join(os.environ.get("PINION_PIP_PREFIX") or sys.prefix, BASENAME)])
variants.append([env_file] if env_file is not None else [])
files = [f for fs in variants for f in fs]
items = {}
if not (env_file is not None and env_file == os.devnull):
    for fname in files:
        if not os.path.exists(fname):
            continue
        parser = configparser.RawConfigParser()
        parser.read(fname, encoding=locale.getpreferredencoding(False))
        for section in parser.sections():
            for name, value in parser.items(section):
                name = name.lower().replace("_", "-")
                if name.startswith("--"):
                    name = name[2:]
                items[section + "." + name] = value
def values(key):
    out = []
    for section in ("global", "install", "download"):
        v = items.get(section + "." + key)
        if v:
            out.extend(v.split())
    return out
index = values("index-url")
def last(key):
    found = values(key)
    return found[-1] if found else None
print(json.dumps({
    "defaults": {
        "index_url": index[-1] if index else PyPI.simple_url,
        "configured": bool(index),
        "extra_index_urls": values("extra-index-url"),
        "find_links": values("find-links"),
        "network": {
            "cert": last("cert"),
            "client_cert": last("client-cert"),
            "trusted_hosts": values("trusted-host"),
            "proxy": last("proxy"),
            "keyring_provider": last("keyring-provider"),
            "timeout": last("timeout"),
        },
        "default_index_url": PyPI.simple_url,
    },
    "files": files,
}))
"#;

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[derive(Deserialize)]
struct Answer {
    defaults: PipDefaults,
    files: Vec<PathBuf>,
}

/// Run [`PIP_SCRIPT`] with `python`; `prefix`, when another interpreter answers for a venv
/// without pip, is the venv's, whose `pip.conf` pip would read there (its site configuration
/// is `sys.prefix/pip.conf`).
fn run_pip_script(python: &Path, prefix: Option<&Path>) -> Result<Answer, String> {
    let mut command = Command::new(python);
    command.args(["-c", PIP_SCRIPT]);
    command.env_remove("PINION_PIP_PREFIX");
    if let Some(prefix) = prefix {
        command.env("PINION_PIP_PREFIX", prefix);
    }
    // PIP_* variables are read by pinion itself and must not be cached.
    // (PIP_CONFIG_FILE says which configuration pip reads: that one stays.)
    for (key, _) in
        std::env::vars().filter(|(k, _)| k.starts_with("PIP_") && k != "PIP_CONFIG_FILE")
    {
        command.env_remove(key);
    }
    let output = command.output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())
}

/// The interpreter a venv was made from, as its `pyvenv.cfg` (PEP 405: next to the
/// executable or one folder up) names it: `executable` (venv, Python 3.11+), `base-executable`
/// (virtualenv), else an interpreter of the same name in `home` (every tool writes `home`).
fn base_interpreter(python: &Path) -> Option<PathBuf> {
    let bin = python.parent()?;
    let config = [bin.join("pyvenv.cfg"), bin.parent()?.join("pyvenv.cfg")]
        .into_iter()
        .find_map(|path| std::fs::read_to_string(path).ok())?;
    let value = |key: &str| {
        config.lines().find_map(|line| {
            let (name, value) = line.split_once('=')?;
            (name.trim() == key).then(|| PathBuf::from(value.trim()))
        })
    };
    let named = ["executable", "base-executable"]
        .into_iter()
        .filter_map(value)
        .find(|path| path.is_absolute() && path.is_file());
    named.or_else(|| {
        let home = value("home")?;
        let name = python.file_name()?;
        [name, "python3".as_ref()]
            .into_iter()
            .map(|name| home.join(name))
            .find(|path| path.is_file())
    })
}

/// A venv (a `pyvenv.cfg` above its interpreter) whose site-packages holds no `pip`, as one
/// made `--without-pip` or by uv: its interpreter would start only to fail to import pip, so
/// [`ask_pip`] goes to the base interpreter straight away.
fn venv_without_pip(python: &Path) -> bool {
    let Some(prefix) = venv_prefix(python) else {
        return false;
    };
    let unix = std::fs::read_dir(prefix.join("lib"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("site-packages").join("pip"));
    let windows = std::iter::once(prefix.join("Lib").join("site-packages").join("pip"));
    !unix.chain(windows).any(|pip| pip.is_dir())
}

/// The venv `python` belongs to: the folder above its `bin`, when a `pyvenv.cfg` is there.
fn venv_prefix(python: &Path) -> Option<&Path> {
    python
        .parent()
        .and_then(Path::parent)
        .filter(|prefix| prefix.join("pyvenv.cfg").is_file())
}

/// pip's built-in default index as an earlier [`ask_pip`] cached it, without running pip: an
/// explicit index needs no answer from pip, only this comparison for the lockfile.
fn cached_default_index(python: Option<&Path>, cache_dir: Option<&Path>) -> Option<String> {
    let python = python.map_or_else(|| PathBuf::from("python3"), Path::to_path_buf);
    let bytes = std::fs::read(cache_dir?.join("pip-defaults-v2.json")).ok()?;
    let entry: PipCacheEntry = serde_json::from_slice(&bytes).ok()?;
    (entry.python == python)
        .then_some(entry.defaults.default_index_url)
        .flatten()
}

/// Ask `python`'s pip now, so that the settings stage finds its answer in the cache: compile
/// runs this while the target interpreter is probed (`python::resolve_target`). Nothing
/// to gain without a cache, or when pip's configuration is `os.devnull` (not asked then).
pub(crate) fn warm_pip_answer(python: &Path, cache_dir: Option<&Path>) {
    if cache_dir.is_none()
        || std::env::var_os("PIP_CONFIG_FILE").is_some_and(|f| f == "/dev/null" || f == "nul")
    {
        return;
    }
    if let Err(err) = ask_pip(Some(python), cache_dir) {
        tracing::debug!("asking pip ahead of time failed (asked again later): {err}");
    }
}

/// Ask pip (of the target interpreter, else `python3`) for its configured and default index.
pub(super) fn ask_pip(
    python: Option<&Path>,
    cache_dir: Option<&Path>,
) -> Result<PipDefaults, SettingsError> {
    let python = python.map_or_else(|| PathBuf::from("python3"), Path::to_path_buf);
    // v2: with pip's network settings.
    let cache_file = cache_dir.map(|dir| dir.join("pip-defaults-v2.json"));
    let python_mtime = mtime(&python);
    if let Some(entry) = cache_file
        .as_ref()
        .and_then(|f| std::fs::read(f).ok())
        .and_then(|bytes| serde_json::from_slice::<PipCacheEntry>(&bytes).ok())
    {
        let fresh = entry.defaults.default_index_url.is_some()
            && entry.python == python
            && entry.pip_config_file == std::env::var("PIP_CONFIG_FILE").ok()
            && entry.python_mtime == python_mtime
            && entry.files.iter().all(|(path, time)| mtime(path) == *time);
        if fresh {
            return Ok(entry.defaults);
        }
    }
    // A venv made `--without-pip` cannot answer; its base interpreter's pip can (named by
    // its `pyvenv.cfg`: `python3` on PATH may be a pyenv shim, three tenths of a second of
    // shell scripts before Python starts), else `python3`.
    let own = if venv_without_pip(&python) {
        Err("the venv has no pip".to_string())
    } else {
        run_pip_script(&python, None)
    };
    // The venv's own `pip.conf` still counts, as it would for its own pip.
    let venv = venv_prefix(&python);
    let answer = match own {
        Ok(answer) => answer,
        Err(first) => base_interpreter(&python)
            .and_then(|base| run_pip_script(&base, venv).ok())
            .map_or_else(|| run_pip_script(Path::new("python3"), venv), Ok)
            .map_err(|_| SettingsError::NoDefaultIndex {
                python: python.clone(),
                reason: first,
            })?,
    };
    if let Some(cache_file) = cache_file {
        let entry = PipCacheEntry {
            python: python.clone(),
            pip_config_file: std::env::var("PIP_CONFIG_FILE").ok(),
            python_mtime,
            files: answer.files.iter().map(|f| (f.clone(), mtime(f))).collect(),
            defaults: answer.defaults.clone(),
        };
        if let (Some(dir), Ok(bytes)) = (cache_file.parent(), serde_json::to_vec(&entry)) {
            let _ = std::fs::create_dir_all(dir);
            let _ = crate::fsutil::write_atomic(&cache_file, &bytes);
        }
    }
    Ok(answer.defaults)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_venv_without_pip_is_not_asked() {
        let root = tempfile::tempdir().unwrap();
        let python = root.path().join("bin/python");
        let site = root.path().join("lib/python3.11/site-packages");
        std::fs::create_dir_all(&site).unwrap();
        // Not a venv: its own interpreter is asked.
        assert!(!venv_without_pip(&python));
        std::fs::write(root.path().join("pyvenv.cfg"), "home = /usr/bin\n").unwrap();
        assert!(venv_without_pip(&python));
        std::fs::create_dir(site.join("pip")).unwrap();
        assert!(!venv_without_pip(&python));
    }

    #[test]
    fn a_venv_names_its_base_interpreter_in_pyvenv_cfg() {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("base/bin");
        let venv = root.path().join("venv");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(venv.join("bin")).unwrap();
        for name in ["python3", "python3.11"] {
            std::fs::write(home.join(name), "").unwrap();
        }
        let python = venv.join("bin/python");
        let cfg = venv.join("pyvenv.cfg");
        // `home` alone (uv, older venv): the same name, else python3.
        std::fs::write(
            &cfg,
            format!("home = {}\nversion = 3.11.7\n", home.display()),
        )
        .unwrap();
        assert_eq!(base_interpreter(&python), Some(home.join("python3")));
        assert_eq!(
            base_interpreter(&venv.join("bin/python3.11")),
            Some(home.join("python3.11"))
        );
        // `executable` wins when it exists; a missing one falls back to `home`.
        let exe = home.join("python3.11");
        std::fs::write(
            &cfg,
            format!(
                "home = {}\nexecutable = {}\n",
                home.display(),
                exe.display()
            ),
        )
        .unwrap();
        assert_eq!(base_interpreter(&python), Some(exe));
        std::fs::write(
            &cfg,
            format!(
                "home = {}\nexecutable = /nonexistent/python\n",
                home.display()
            ),
        )
        .unwrap();
        assert_eq!(base_interpreter(&python), Some(home.join("python3")));
        std::fs::remove_file(&cfg).unwrap();
        assert_eq!(base_interpreter(&python), None);
    }

    #[test]
    fn unparsable_urls_are_shown_without_their_password() {
        assert_eq!(
            redact_text("https://me:p@ss word@example.invalid:x/simple"),
            "https://me:****@example.invalid:x/simple"
        );
        assert_eq!(redact_text("not a url"), "not a url");
        assert_eq!(
            without_password("https://me:pw@example.invalid/simple"),
            "https://me@example.invalid/simple"
        );
    }
}
