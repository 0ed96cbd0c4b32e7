//! The lockfile header's round trip: the command compile records (`#    pinion compile ...`),
//! and that command read back as settings for `compile --check` and `check`.

use std::path::{Path, PathBuf};

use clap::Parser;

use super::SettingsError;
use super::compile::{CompileOptions, CompileSettings, settings_of_recorded};
use crate::cli::{Cli, Command, CompileArgs};
use crate::inputs::{default_sources, parent_dir};
use crate::lockfile;

/// Flags that do not change the result, left out of the header.
const DROP: &[&str] = &[
    "-q",
    "--quiet",
    "-v",
    "-vv",
    "-vvv",
    "--verbose",
    "-n",
    "--dry-run",
    "--check",
    "-U",
    "--upgrade",
    "--no-cache",
    "--refresh",
    "--offline",
    "-r",
    "--rebuild",
    "--no-upgrade",
    "--no-progress",
    "--no-color",
    "--reuse-hashes",
    "--no-reuse-hashes",
];
/// The same, for flags that take a value.
/// `--cert`, `--client-cert` and `--keyring-provider` are this machine's business; the trusted
/// hosts are written as `--trusted-host` lines of the lockfile, as pip-compile writes them.
const DROP_WITH_VALUE: &[&str] = &[
    "--cache-dir",
    "-P",
    "--upgrade-package",
    "--cert",
    "--client-cert",
    "--keyring-provider",
    "--trusted-host",
    "--max-rounds",
    "--resolver",
    "--custom-compile-command",
];

/// What the header says to run again.
#[derive(Debug, Clone)]
pub(crate) enum HeaderCommand {
    /// `--custom-compile-command`, CUSTOM_COMPILE_COMMAND or UV_CUSTOM_COMPILE_COMMAND
    /// (`make requirements.txt`), written as given.
    Custom(String),
    /// This process's command line, cleaned (see [`command`]).
    Recorded {
        words: Vec<String>,
        /// Where a `--python PATH` stood: `--python-version X.Y` of the interpreter goes
        /// there, so the header reproduces the resolution on another machine.
        python_at: Option<usize>,
    },
}

impl HeaderCommand {
    /// The header's command line; `python` is the target's `X.Y`.
    pub(crate) fn render(&self, python: &str) -> String {
        match self {
            Self::Custom(command) => command.clone(),
            Self::Recorded { words, python_at } => {
                let mut words = words.clone();
                if let Some(at) = *python_at {
                    words.insert(at, python.to_string());
                    words.insert(at, "--python-version".to_string());
                }
                join(&words)
            }
        }
    }
}

/// Shell words joined, quoted only where a shell needs it (`--output-file=requirements.txt`
/// stays as pip-compile writes it), so that `check` and `--check` read the same words back.
fn join(words: &[String]) -> String {
    let plain = |word: &String| {
        !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_=+/.,:@%^".contains(c))
    };
    words
        .iter()
        .map(|word| {
            if plain(word) {
                word.clone()
            } else {
                shlex::try_quote(word).map_or_else(|_| word.clone(), |q| q.into_owned())
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The command for the header: this process's arguments, without the flags that do not change
/// the result, the inputs of other lockfiles compiled by the same call (`others`), URL
/// passwords, and machine paths (`--python PATH` becomes `--python-version X.Y`).
pub(super) fn command(others: &[&PathBuf]) -> HeaderCommand {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let explicit_version = args
        .iter()
        .any(|a| a == "--python-version" || a.starts_with("--python-version="));
    let mut words = vec!["pinion".to_string()];
    let mut python_at = None;
    let mut args = args.into_iter().peekable();
    while let Some(arg) = args.next() {
        if DROP.contains(&arg.as_str()) || others.iter().any(|o| o.as_os_str() == arg.as_str()) {
            continue;
        }
        if arg == "--color" {
            // Its value is optional.
            args.next_if(|v| matches!(v.as_str(), "auto" | "always" | "never"));
            continue;
        }
        if arg == "--python" || arg.starts_with("--python=") {
            if arg == "--python" {
                args.next();
            }
            if !explicit_version {
                python_at = Some(words.len());
            }
            continue;
        }
        if DROP_WITH_VALUE.contains(&arg.as_str()) {
            args.next();
            continue;
        }
        if DROP_WITH_VALUE
            .iter()
            .chain(&["--color"])
            .any(|flag| arg.starts_with(&format!("{flag}=")))
        {
            continue;
        }
        words.push(redact_word(&arg));
    }
    HeaderCommand::Recorded { words, python_at }
}

/// A URL argument (alone or as `--flag=URL`) without its password: a lockfile is committed.
fn redact_word(word: &str) -> String {
    // `--pip-args "-i https://me:secret@..."`: each of its words.
    if word.contains(' ') && word.contains("://") {
        return word
            .split(' ')
            .map(redact_word)
            .collect::<Vec<_>>()
            .join(" ");
    }
    match word.split_once('=') {
        Some((flag, value)) if flag.starts_with("--") && value.contains("://") => {
            format!("{flag}={}", crate::index::auth::without_password(value))
        }
        _ => crate::index::auth::without_password(word),
    }
}

/// The `pinion compile` command a lockfile's header records, its paths found beside the
/// lockfile (or else in the working directory).
fn recorded_args(lockfile: &Path, text: &str) -> Option<CompileArgs> {
    let dir = parent_dir(lockfile);
    let locate = |path: &PathBuf| -> PathBuf {
        if dir == Path::new(".") {
            return path.clone();
        }
        let beside = dir.join(path);
        if path.is_relative() && beside.exists() {
            beside
        } else {
            path.clone()
        }
    };
    let words = shlex::split(lockfile::header_command(text)?)?;
    let Command::Compile(mut args) = Cli::try_parse_from(&words).ok()?.command else {
        return None;
    };
    args.src_files = args.src_files.iter().map(locate).collect();
    args.constraint = args.constraint.iter().map(locate).collect();
    args.overrides = args.overrides.iter().map(locate).collect();
    Some(args)
}

/// The header's layer for `compile --check`, without what is machine-specific (`--python`'s
/// path), with the Python version the header names (`with Python 3.11`) when its command
/// names none: `--check` resolves for the target the lockfile was compiled for, whatever
/// the local interpreter is. A header whose command is not pinion's (a custom compile
/// command) still names its Python version.
///
/// The boolean says the version came from that line rather than from the command.
pub(super) fn recorded_options(lockfile: &Path) -> Option<(CompileOptions, bool)> {
    let text = crate::fsutil::read_input(lockfile).ok()?;
    let mut options = recorded_args(lockfile, &text)
        .map(|args| CompileOptions::from_args(&args))
        .unwrap_or_default();
    options.python = None;
    // The header's inputs are this call's own; a header without `--no-header` says nothing.
    options.header = None;
    let from_line = options.python_version.is_none();
    if from_line {
        options.python_version = lockfile::header_python(&text).map(str::to_string);
    }
    let from_line = from_line && options.python_version.is_some();
    Some((options, from_line))
}

/// How a lockfile was compiled, for `pinion check`.
#[derive(Debug)]
pub(crate) struct RecordedCompile {
    /// Its inputs, found beside it.
    pub(crate) sources: Vec<PathBuf>,
    pub(crate) settings: CompileSettings,
}

/// The compile command that made `lockfile` (from its header `text`), with its inputs found
/// beside the lockfile or in the working directory; else its sibling `.in` file.
pub(crate) fn recorded_compile(
    lockfile: &Path,
    text: &str,
) -> Result<RecordedCompile, SettingsError> {
    if let Some(args) = recorded_args(lockfile, text) {
        let sources = if args.src_files.is_empty() {
            // A bare `pinion compile`: its default inputs, beside the lockfile.
            default_sources(parent_dir(lockfile))
        } else {
            args.src_files.clone()
        };
        if let Some(missing) = sources.iter().find(|s| !s.exists()) {
            return Err(SettingsError::NoInputs {
                lockfile: lockfile.to_path_buf(),
                reason: format!(
                    "its header names `{}`, which does not exist",
                    missing.display()
                ),
            });
        }
        let settings = settings_of_recorded(&args, &sources, CompileOptions::default())?;
        return Ok(RecordedCompile { sources, settings });
    }
    let sibling = lockfile.with_extension("in");
    if !sibling.exists() {
        return Err(SettingsError::NoInputs {
            lockfile: lockfile.to_path_buf(),
            reason: format!(
                "its header names no `pinion compile` command and `{}` does not exist",
                sibling.display()
            ),
        });
    }
    let sources = vec![sibling];
    let defaults = CompileOptions {
        generate_hashes: Some(text.contains("--hash=")),
        ..CompileOptions::default()
    };
    let settings = settings_of_recorded(&CompileArgs::default(), &sources, defaults)?;
    Ok(RecordedCompile { sources, settings })
}

/// The universe a universal lockfile's header records: `--universal`, the Python lower bound
/// (`--python-version`, else the `with Python X.Y` line) and the `--environment` markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordedUniverse {
    /// `X.Y` or `X.Y.Z`; None when the header names no Python at all.
    pub(crate) python_min: Option<String>,
    /// PEP 508 markers, as written; empty for every environment.
    pub(crate) environments: Vec<String>,
}

/// The universe of a lockfile whose header command has `--universal`; None for any other. Read
/// from the header's words alone (not through the compile settings) so that `check` and sync
/// know a universal lockfile however its other flags parse.
pub(crate) fn recorded_universe(text: &str) -> Option<RecordedUniverse> {
    let words = shlex::split(lockfile::header_command(text)?)?;
    if !words.iter().any(|w| w == "--universal") {
        return None;
    }
    let mut python_min = None;
    let mut environments = Vec::new();
    let mut words = words.iter();
    while let Some(word) = words.next() {
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (word.as_str(), None),
        };
        if !matches!(flag, "--python-version" | "--environment") {
            continue;
        }
        let Some(value) = inline.or_else(|| words.next().cloned()) else {
            break;
        };
        if flag == "--python-version" {
            python_min = Some(value);
        } else {
            environments.push(value);
        }
    }
    let python_min = python_min.or_else(|| lockfile::header_python(text).map(str::to_string));
    Some(RecordedUniverse {
        python_min,
        environments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(command: &str) -> String {
        format!(
            "#\n# This file is autogenerated by pinion 0.1.0 with Python 3.12\n# by the following command:\n#\n#    {command}\n#\nidna==3.10\n"
        )
    }

    #[test]
    fn a_universal_header_names_its_python_lower_bound_and_environments() {
        let text = header(
            "pinion compile --universal --python-version 3.9 --environment \"sys_platform == 'linux'\" --environment=\"sys_platform == 'win32'\" requirements.in",
        );
        assert_eq!(
            recorded_universe(&text),
            Some(RecordedUniverse {
                python_min: Some("3.9".to_string()),
                environments: vec![
                    "sys_platform == 'linux'".to_string(),
                    "sys_platform == 'win32'".to_string()
                ],
            })
        );
    }

    #[test]
    fn without_python_version_the_header_line_is_the_lower_bound() {
        let text = header("pinion compile --universal requirements.in");
        let universe = recorded_universe(&text).unwrap();
        assert_eq!(universe.python_min.as_deref(), Some("3.12"));
        assert!(universe.environments.is_empty());
    }

    #[test]
    fn a_header_without_universal_is_not_universal() {
        let text = header("pinion compile --python-version 3.9 requirements.in");
        assert_eq!(recorded_universe(&text), None);
        assert_eq!(recorded_universe("idna==3.10\n"), None);
    }
}
