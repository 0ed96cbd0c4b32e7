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
];

/// The command for the header: this process's arguments, without the flags that do not change
/// the result, the inputs of other lockfiles compiled by the same call (`others`), and URL
/// passwords.
pub(super) fn command(others: &[&PathBuf]) -> String {
    let mut words = vec!["pinion".to_string()];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if DROP.contains(&arg.as_str()) || others.iter().any(|o| o.as_os_str() == arg.as_str()) {
            continue;
        }
        if DROP_WITH_VALUE.contains(&arg.as_str()) {
            args.next();
            continue;
        }
        if DROP_WITH_VALUE
            .iter()
            .any(|flag| arg.starts_with(&format!("{flag}=")))
        {
            continue;
        }
        words.push(redact_word(&arg));
    }
    // Quoted so that `check` and `--check` read the same words back.
    shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
}

/// A URL argument (alone or as `--flag=URL`) without its password: a lockfile is committed.
fn redact_word(word: &str) -> String {
    match word.split_once('=') {
        Some((flag, value)) if flag.starts_with("--") && value.contains("://") => {
            format!("{flag}={}", super::redact_password(value))
        }
        _ => super::redact_password(word),
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
    Some(args)
}

/// The header's layer for `compile --check`, without what is machine-specific (`--python`'s
/// path).
pub(super) fn recorded_options(lockfile: &Path) -> Option<CompileOptions> {
    let text = crate::fsutil::read_input(lockfile).ok()?;
    let mut options = CompileOptions::from_args(&recorded_args(lockfile, &text)?);
    options.python = None;
    // The header's inputs are this call's own; a header without `--no-header` says nothing.
    options.header = None;
    Some(options)
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
