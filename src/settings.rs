//! Where packages come from, resolved by precedence: the command line, then the options inside
//! requirement files, then PIP_* environment variables, then pip's own configuration files and
//! default index (asked of pip once, and cached).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::cli::{AnnotationStyle, CompileArgs, IndexArgs};
use crate::index::{FindLinks, IndexLocations};
use crate::pyproject::ToolSettings;
use crate::requirements::{BinaryChoice, IndexOptions};
use crate::resolver::{FormatPolicies, FormatPolicy};
use pep508_rs::PackageName;

/// Why the index settings could not be decided.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum SettingsError {
    /// An index or find-links URL does not parse.
    #[error("invalid {what} `{value}`: {source}")]
    #[diagnostic(code(pinion::settings::invalid_url))]
    InvalidUrl {
        what: &'static str,
        value: String,
        #[source]
        source: url::ParseError,
    },
    /// `--only-binary`/`--no-binary` with a value that is not `:all:`, `:none:` or names.
    #[error("invalid `{option}` value `{value}`: {reason}")]
    #[diagnostic(code(pinion::binary_option))]
    InvalidBinaryOption {
        option: &'static str,
        value: String,
        reason: String,
    },
    /// No index was given and pip could not be asked for its default.
    #[error("cannot find the default package index: asking `{}` for pip's configuration failed: {reason}", python.display())]
    #[diagnostic(
        code(pinion::settings::default_index),
        help("pass the index with `--index-url URL` (or set PIP_INDEX_URL)")
    )]
    NoDefaultIndex { python: PathBuf, reason: String },
}

/// `[tool.pinion]` defaults under the command line: a flag given wins, a setting fills in what
/// the command line left out.
pub(crate) fn apply_config(args: &CompileArgs, config: Option<&ToolSettings>) -> CompileArgs {
    let mut args = args.clone();
    let Some(config) = config else {
        return args;
    };
    let pick = |on: bool, off: bool, setting: Option<bool>| on || (!off && setting == Some(true));
    args.generate_hashes = pick(
        args.generate_hashes,
        args.no_generate_hashes,
        config.generate_hashes,
    );
    args.allow_unsafe = pick(args.allow_unsafe, args.no_allow_unsafe, config.allow_unsafe);
    args.strip_extras = pick(args.strip_extras, args.no_strip_extras, config.strip_extras);
    args.pre |= config.pre == Some(true);
    args.no_header |= config.header == Some(false);
    args.no_annotate |= config.annotate == Some(false);
    if args.annotation_style.is_none() {
        args.annotation_style = match config.annotation_style.as_deref() {
            Some("line") => Some(AnnotationStyle::Line),
            Some(_) => Some(AnnotationStyle::Split),
            None => None,
        };
    }
    if args.python_version.is_none() && args.python.is_none() {
        args.python_version.clone_from(&config.python_version);
    }
    args
}

/// Every index option, from all places, before precedence is applied: the command line, the
/// requirement files, PIP_* variables, pip's configuration files, `[tool.pinion]`, and last
/// pip's built-in default.
pub(crate) fn index_locations(
    cli: &IndexArgs,
    files: &IndexOptions,
    config: Option<&ToolSettings>,
    python: Option<&Path>,
    cache_dir: Option<&Path>,
) -> Result<IndexLocations, SettingsError> {
    let env = |key: &str| std::env::var(key).ok().filter(|v| !v.trim().is_empty());
    let env_list = |key: &str| -> Vec<String> {
        env(key)
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let no_index = cli.no_index
        || files.no_index
        || env("PIP_NO_INDEX").is_some_and(|v| {
            matches!(
                v.to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on" | "y" | "t"
            )
        });

    let mut extra: Vec<String> = cli.extra_index_url.clone();
    extra.extend(files.extra_index_urls.iter().cloned());
    extra.extend(env_list("PIP_EXTRA_INDEX_URL"));
    let mut find_links: Vec<String> = cli.find_links.clone();
    find_links.extend(files.find_links.iter().cloned());
    find_links.extend(env_list("PIP_FIND_LINKS"));
    if let Some(config) = config {
        extra.extend(config.extra_index_urls.iter().cloned());
        find_links.extend(config.find_links.iter().cloned());
    }

    let explicit = cli
        .index_url
        .clone()
        .or_else(|| files.index_url.clone())
        .or_else(|| env("PIP_INDEX_URL"));
    let index = if no_index {
        None
    } else if let Some(url) = explicit {
        Some(url)
    } else {
        let pip = ask_pip(python, cache_dir)?;
        extra.extend(pip.extra_index_urls);
        find_links.extend(pip.find_links);
        match config.and_then(|c| c.index_url.clone()) {
            Some(url) if !pip.configured => Some(url),
            _ => Some(pip.index_url),
        }
    };
    let parse = |what, value: &str| {
        Url::parse(value).map_err(|source| SettingsError::InvalidUrl {
            what,
            value: value.to_string(),
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
    Ok(IndexLocations {
        index_url: index.map(|url| parse("index URL", &url)).transpose()?,
        extra_index_urls: if no_index {
            Vec::new()
        } else {
            extra_index_urls
        },
        find_links: links,
    })
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
struct PipDefaults {
    index_url: String,
    /// The index comes from pip's configuration, not its built-in default.
    #[serde(default)]
    configured: bool,
    extra_index_urls: Vec<String>,
    find_links: Vec<String>,
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

const PIP_SCRIPT: &str = r#"
import json
from pip._internal.configuration import Configuration
from pip._internal.models.index import PyPI
c = Configuration(isolated=False)
c.load()
items = dict(c.items())
def values(key):
    out = []
    for section in ("global", "install", "download"):
        v = items.get(section + "." + key)
        if v:
            out.extend(v.split())
    return out
index = values("index-url")
files = [f for _, fs in c.iter_config_files() for f in fs]
print(json.dumps({
    "defaults": {
        "index_url": index[-1] if index else PyPI.simple_url,
        "configured": bool(index),
        "extra_index_urls": values("extra-index-url"),
        "find_links": values("find-links"),
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

fn run_pip_script(python: &Path) -> Result<Answer, String> {
    let mut command = Command::new(python);
    command.args(["-c", PIP_SCRIPT]);
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

/// Ask pip (of the target interpreter, else `python3`) for its configured and default index.
fn ask_pip(python: Option<&Path>, cache_dir: Option<&Path>) -> Result<PipDefaults, SettingsError> {
    let python = python.map_or_else(|| PathBuf::from("python3"), Path::to_path_buf);
    let cache_file = cache_dir.map(|dir| dir.join("pip-defaults.json"));
    let python_mtime = mtime(&python);
    if let Some(entry) = cache_file
        .as_ref()
        .and_then(|f| std::fs::read(f).ok())
        .and_then(|bytes| serde_json::from_slice::<PipCacheEntry>(&bytes).ok())
    {
        let fresh = entry.python == python
            && entry.pip_config_file == std::env::var("PIP_CONFIG_FILE").ok()
            && entry.python_mtime == python_mtime
            && entry.files.iter().all(|(path, time)| mtime(path) == *time);
        if fresh {
            return Ok(entry.defaults);
        }
    }
    // A venv made `--without-pip` cannot answer; its base interpreter's pip can.
    let answer = match run_pip_script(&python) {
        Ok(answer) => answer,
        Err(first) => {
            run_pip_script(Path::new("python3")).map_err(|_| SettingsError::NoDefaultIndex {
                python: python.clone(),
                reason: first,
            })?
        }
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
            let _ = crate::lockfile::write(&cache_file, &String::from_utf8_lossy(&bytes));
        }
    }
    Ok(answer.defaults)
}

/// `--only-binary` / `--no-binary` per package.
pub(crate) struct BinaryPolicies {
    only_binary: BinaryChoice,
    no_binary: BinaryChoice,
}

impl BinaryPolicies {
    /// The requirement files' choices, then the command line's over them (pip's order);
    /// `--no-build` is `--only-binary :all:`.
    pub(crate) fn new(
        files: &IndexOptions,
        only_binary: &[String],
        no_binary: &[String],
        no_build: bool,
    ) -> Result<Self, SettingsError> {
        let mut policies = Self {
            only_binary: files.only_binary.clone(),
            no_binary: files.no_binary.clone(),
        };
        let parse = |option: &'static str, value: &String| {
            BinaryChoice::parse(value).map_err(|reason| SettingsError::InvalidBinaryOption {
                option,
                value: value.clone(),
                reason,
            })
        };
        for value in only_binary {
            policies.only_binary.update(parse("--only-binary", value)?);
        }
        for value in no_binary {
            policies.no_binary.update(parse("--no-binary", value)?);
        }
        if no_build {
            policies.only_binary = BinaryChoice::All;
        }
        Ok(policies)
    }
}

impl FormatPolicies for BinaryPolicies {
    /// pip's `FormatControl.get_allowed_formats`: a package named in either option wins over
    /// `:all:` (`--only-binary :all: --no-binary foo` builds foo), `--only-binary` names first.
    fn policy(&self, name: &PackageName) -> FormatPolicy {
        let named = |choice: &BinaryChoice| matches!(choice, BinaryChoice::Packages(names) if names.contains(name));
        let all = |choice: &BinaryChoice| matches!(choice, BinaryChoice::All);
        let (only_binary, no_binary) = if named(&self.only_binary) {
            (true, false)
        } else if named(&self.no_binary) {
            (false, true)
        } else if all(&self.only_binary) {
            (true, false)
        } else {
            (false, all(&self.no_binary))
        };
        FormatPolicy {
            only_binary,
            no_binary,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn policy(only: &[&str], no: &[&str], name: &str) -> (bool, bool) {
        let to_vec = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        let policies =
            BinaryPolicies::new(&IndexOptions::default(), &to_vec(only), &to_vec(no), false)
                .unwrap();
        let p = policies.policy(&PackageName::from_str(name).unwrap());
        (p.only_binary, p.no_binary)
    }

    #[test]
    fn a_named_package_wins_over_all_as_in_pip() {
        assert_eq!(policy(&[":all:"], &["foo"], "foo"), (false, true));
        assert_eq!(policy(&[":all:"], &["foo"], "bar"), (true, false));
        assert_eq!(policy(&["foo"], &[":all:"], "foo"), (true, false));
        assert_eq!(policy(&[], &[], "foo"), (false, false));
    }

    #[test]
    fn a_file_without_binary_options_keeps_the_earlier_ones() {
        let mut merged = IndexOptions {
            only_binary: BinaryChoice::All,
            ..IndexOptions::default()
        };
        merged.merge(&IndexOptions::default());
        assert_eq!(merged.only_binary, BinaryChoice::All);
    }
}
