//! The settings stage: clap's argument structs stop here. Every source is read and ranked once,
//! in one documented order, into plain typed values (`CompileSettings`, `SyncSettings`,
//! `CheckSettings`) that the commands use without ever seeing `crate::cli`:
//!
//! 1. the command line;
//! 2. for `compile --check` and `check`, the flags the lockfile's header records ([`header`]);
//! 3. options inside requirement files (`--index-url`, `--only-binary`, ... : [`IndexSettings`]
//!    and [`BinaryPolicies`] fold them in once the files are read);
//! 4. `PIP_*` environment variables;
//! 5. pip's configuration files (asked of pip, cached);
//! 6. `[tool.pinion]` in pyproject.toml or a `--config` file ([`config`]);
//! 7. defaults.
//!
//! A flag is added in three places: `cli.rs`, the layer in [`compile::CompileOptions`] (or the
//! sync/check equivalent here), and the module that uses the typed value.

mod binary;
mod compile;
mod config;
mod cooldown;
mod header;
mod index;
mod inspect;
mod network;
mod pip_args;

use std::path::PathBuf;

pub(crate) use binary::{BinaryPolicies, FormatSettings};
pub(crate) use compile::{CompileJob, CompileRun, CompileSettings, GraphSettings, Upgrade};
pub(crate) use header::{recorded_compile, recorded_universe};
pub(crate) use index::{IndexSettings, warm_pip_answer};
pub(crate) use inspect::{DiffSettings, GraphFormat, TreeSettings, WhySettings};

use crate::cache::{CacheSettings, Refresh, default_cache_dir};
use crate::cli::{self, CheckArgs, IndexArgs, OutputArgs, SyncArgs};
use crate::pyproject::PyprojectError;

/// Why the settings could not be decided.
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
    /// A network setting (`PIP_TIMEOUT`, `PIP_KEYRING_PROVIDER`, ...) with a value it cannot have.
    #[error("invalid {key} value `{value}`: expected {expected}")]
    #[diagnostic(code(pinion::settings::network))]
    InvalidNetworkSetting {
        key: String,
        value: String,
        expected: &'static str,
    },
    /// `-P` with something that is not `NAME` or `NAME==VERSION`.
    #[error("invalid `--upgrade-package` value `{value}`: {reason}")]
    #[diagnostic(code(pinion::upgrade_package))]
    InvalidUpgradePackage { value: String, reason: String },
    /// `--environment` or `--required-environment` (or their `[tool.pinion]` keys) with text
    /// that is not a PEP 508 marker.
    #[error("invalid marker `{value}` for `{flag}`: {reason}")]
    #[diagnostic(code(pinion::environment_marker))]
    InvalidMarker {
        flag: &'static str,
        value: String,
        reason: String,
    },
    /// pyproject.toml or a `--config` file cannot be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] PyprojectError),
    /// `--pip-args` holds pip options pinion has no equivalent for.
    #[error("{}", pip_args_message(value, unsupported, reason))]
    #[diagnostic(
        code(pinion::pip_args),
        help(
            "pinion maps -i/--index-url, --extra-index-url, -f/--find-links, --no-index, --pre, --only-binary, --no-binary, -c/--constraint, --cache-dir and --no-cache-dir, and ignores pip's output and network tuning options; pass the others to pinion as its own flags, or drop them"
        )
    )]
    PipArgs {
        value: String,
        unsupported: Vec<String>,
        reason: String,
    },
    /// `--build-deps-for`, `--all-build-deps` or `--only-build-deps` used where pip-compile
    /// refuses them; the message is pip-compile's own.
    #[error("{0}")]
    #[diagnostic(code(pinion::compile::build_deps))]
    BuildDeps(&'static str),
    /// `pinion check` cannot tell which inputs a lockfile was compiled from.
    #[error("cannot find the inputs of `{}`: {reason}", lockfile.display())]
    #[diagnostic(
        code(pinion::check::no_inputs),
        help(
            "compile it with `pinion compile`, whose header records the command, or put its `.in` file beside it"
        )
    )]
    NoInputs { lockfile: PathBuf, reason: String },
    /// A flag or `[tool.pinion]` value that does not parse (`--exclude-newer`, `--exclude`).
    #[error("invalid `{option}` value `{value}`: {reason}")]
    #[diagnostic(code(pinion::settings::invalid_value))]
    InvalidValue {
        option: String,
        value: String,
        reason: String,
    },
    /// `pinion why` with something that is not a package name.
    #[error("invalid package name `{value}`: {reason}")]
    #[diagnostic(code(pinion::settings::package_name))]
    InvalidPackageName { value: String, reason: String },
}

fn pip_args_message(value: &str, unsupported: &[String], reason: &str) -> String {
    if unsupported.is_empty() {
        return format!("invalid `--pip-args` value `{value}`: {reason}");
    }
    let names: Vec<String> = unsupported.iter().map(|u| format!("`{u}`")).collect();
    format!(
        "`--pip-args` holds pip option{} pinion does not understand: {}",
        if names.len() == 1 { "" } else { "s" },
        names.join(", ")
    )
}

/// What every command shares about its output.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OutputSettings {
    /// `-q`: only errors.
    pub(crate) quiet: bool,
}

impl OutputSettings {
    pub(crate) fn resolve(args: &OutputArgs) -> Self {
        Self { quiet: args.quiet }
    }
}

/// How the terminal is used, decided once before anything is printed: `--color WHEN`
/// (`--no-color`), `--no-progress`, `-q`.
pub(crate) fn terminal(args: &OutputArgs) -> crate::ui::Terminal {
    use crate::ui::ColourChoice;
    let colour = match (args.color, args.no_color) {
        (_, true) | (Some(cli::ColorChoice::Never), _) => ColourChoice::Never,
        (Some(cli::ColorChoice::Always), _) => ColourChoice::Always,
        _ => ColourChoice::Auto,
    };
    crate::ui::Terminal {
        colour,
        progress: !args.no_progress && !args.quiet,
    }
}

/// `--cache-dir`/`--no-cache`/`--refresh`/`--offline`; `refresh` says what else is revalidated
/// (compile's `-U`/`-P`).
fn cache_settings(args: &IndexArgs, refresh: Refresh) -> CacheSettings {
    CacheSettings {
        dir: (!args.no_cache).then(|| args.cache_dir.clone().unwrap_or_else(default_cache_dir)),
        refresh: if args.refresh { Refresh::All } else { refresh },
        offline: args.offline,
        heuristic_freshness: CacheSettings::DEFAULT_HEURISTIC_FRESHNESS,
    }
}

/// `pinion sync`'s settings.
#[derive(Debug)]
pub(crate) struct SyncSettings {
    /// The lockfiles to sync (default: requirements.txt).
    pub(crate) lockfiles: Vec<PathBuf>,
    /// `--dry-run`: show the plan, change nothing, exit 1 when there is one.
    pub(crate) dry_run: bool,
    /// `--allow-empty`: lockfiles that pin nothing may empty the venv.
    pub(crate) allow_empty: bool,
    /// `--ask`: show the plan and wait for a yes.
    pub(crate) ask: bool,
    /// The venv's interpreter, when given.
    pub(crate) python: Option<PathBuf>,
    pub(crate) break_system_packages: bool,
    /// `--user`: sync the interpreter's user site (pip's `--user` scheme), not a venv.
    pub(crate) user: bool,
    /// `--compile`: byte-compile what was installed.
    pub(crate) compile_bytecode: bool,
    pub(crate) index: IndexSettings,
    pub(crate) cache: CacheSettings,
    pub(crate) formats: FormatSettings,
    pub(crate) output: OutputSettings,
}

impl SyncSettings {
    pub(crate) fn resolve(args: SyncArgs, output: &OutputArgs) -> Result<Self, SettingsError> {
        if args.force {
            tracing::info!(
                "`--force` changes nothing: pinion installs exactly the lockfiles' pins"
            );
        }
        if args.formats.build_isolation || args.formats.no_build_isolation {
            tracing::info!(
                "`--build-isolation`/`--no-build-isolation` change nothing: pinion builds in an isolated environment"
            );
        }
        let lockfiles = if args.src_files.is_empty() {
            vec![PathBuf::from("requirements.txt")]
        } else {
            args.src_files
        };
        let config = if args.no_config {
            config::SyncConfig::default()
        } else {
            config::read_sync(args.config.as_deref(), &compile::config_dirs(&lockfiles))?
        };
        let pip = match args.pip_args.as_deref().or(config.pip_args.as_deref()) {
            Some(text) => pip_args::parse(text)?,
            None => pip_args::PipArgs::default(),
        };
        let mut index = args.index;
        if index.cache_dir.is_none() {
            index.cache_dir.clone_from(&pip.cache_dir);
        }
        index.no_cache |= pip.no_cache && index.cache_dir.is_none();
        // The command line, then `--pip-args`, then the configuration.
        index.index_url = index.index_url.or(pip.index_url).or(config.index_url);
        for list in [
            (
                &mut index.extra_index_url,
                pip.extra_index_urls,
                config.extra_index_urls,
            ),
            (&mut index.find_links, pip.find_links, config.find_links),
        ] {
            if list.0.is_empty() {
                *list.0 = if list.1.is_empty() { list.2 } else { list.1 };
            }
        }
        index.no_index |= pip.no_index || config.no_index;
        let mut formats = args.formats;
        if formats.only_binary.is_empty() {
            formats.only_binary = pip.only_binary;
        }
        if formats.no_binary.is_empty() {
            formats.no_binary = pip.no_binary;
        }
        Ok(Self {
            lockfiles,
            dry_run: args.dry_run || config.dry_run,
            allow_empty: args.allow_empty,
            ask: args.ask || config.ask,
            python: args.python.or(config.python),
            break_system_packages: args.break_system_packages,
            user: args.user || pip.user,
            compile_bytecode: args.compile,
            cache: cache_settings(&index, Refresh::None),
            index: index_settings(index),
            formats: format_settings(formats),
            output: OutputSettings::resolve(output),
        })
    }
}

/// `pinion check`'s settings. What each lockfile was compiled with is read from its header
/// ([`recorded_compile`]).
#[derive(Debug)]
pub(crate) struct CheckSettings {
    pub(crate) lockfiles: Vec<PathBuf>,
    /// Where compile cached the pins' metadata.
    pub(crate) cache_dir: PathBuf,
    pub(crate) output: OutputSettings,
}

impl CheckSettings {
    pub(crate) fn resolve(args: CheckArgs, output: &OutputArgs) -> Self {
        Self {
            lockfiles: if args.lockfiles.is_empty() {
                vec![PathBuf::from("requirements.txt")]
            } else {
                args.lockfiles
            },
            cache_dir: args.cache_dir.unwrap_or_else(default_cache_dir),
            output: OutputSettings::resolve(output),
        }
    }
}

fn index_settings(args: IndexArgs) -> IndexSettings {
    IndexSettings {
        network: network::NetworkOptions::from_args(&args),
        index_url: args.index_url,
        extra_index_urls: args.extra_index_url,
        find_links: args.find_links,
        no_index: args.no_index,
        config: Default::default(),
        cooldown: Default::default(),
    }
}

fn format_settings(args: cli::FormatArgs) -> FormatSettings {
    FormatSettings {
        no_build: args.no_build,
        only_binary: args.only_binary,
        no_binary: args.no_binary,
    }
}
