//! `pinion compile`'s settings: each source is read into one [`CompileOptions`] layer, the
//! layers are combined by precedence (command line, lockfile header under `--check`,
//! `[tool.pinion]`), and defaults fill the rest. The same shape as uv's
//! `PipCompileSettings::resolve` over its `PipOptions::combine`.

use std::path::{Path, PathBuf};

use pep508_rs::{PackageName, Requirement, VerbatimUrl};

use super::config::{self, Config};
use super::header;
use super::index::IndexSettings;
use super::network::NetworkOptions;
use super::{FormatSettings, OutputSettings, SettingsError, cache_settings};
use crate::cache::{CacheSettings, Refresh};
use crate::cli::{self, CompileArgs, OutputArgs};
use crate::inputs::{Selection, default_sources, parent_dir};
use crate::lockfile::{AnnotationStyle, Format};

/// One source's say about compile: `None` (or empty) where it says nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct CompileOptions {
    pub(super) generate_hashes: Option<bool>,
    pub(super) allow_unsafe: Option<bool>,
    pub(super) strip_extras: Option<bool>,
    pub(super) pre: Option<bool>,
    pub(super) header: Option<bool>,
    pub(super) annotate: Option<bool>,
    pub(super) annotation_style: Option<AnnotationStyle>,
    pub(super) emit_index_url: Option<bool>,
    pub(super) extras: Vec<String>,
    pub(super) all_extras: Option<bool>,
    pub(super) groups: Vec<String>,
    pub(super) constraints: Vec<PathBuf>,
    pub(super) index_url: Option<String>,
    pub(super) extra_index_urls: Vec<String>,
    pub(super) find_links: Vec<String>,
    pub(super) no_index: Option<bool>,
    pub(super) python: Option<PathBuf>,
    pub(super) python_version: Option<String>,
    pub(super) python_platform: Option<String>,
    pub(super) no_build: Option<bool>,
    pub(super) only_binary: Vec<String>,
    pub(super) no_binary: Vec<String>,
}

/// `--flag` / `--no-flag`: what the command line said, if anything.
fn flag(on: bool, off: bool) -> Option<bool> {
    if on {
        Some(true)
    } else if off {
        Some(false)
    } else {
        None
    }
}

/// A flag that only switches something on.
fn on(set: bool) -> Option<bool> {
    set.then_some(true)
}

/// A list from a higher layer replaces a lower one's (it does not add to it).
fn first<T>(higher: Vec<T>, lower: Vec<T>) -> Vec<T> {
    if higher.is_empty() { lower } else { higher }
}

impl CompileOptions {
    /// The command line's layer (also a lockfile header's, which is a command line).
    pub(super) fn from_args(args: &CompileArgs) -> Self {
        Self {
            generate_hashes: flag(args.generate_hashes, args.no_generate_hashes),
            allow_unsafe: flag(args.allow_unsafe, args.no_allow_unsafe),
            strip_extras: flag(args.strip_extras, args.no_strip_extras),
            pre: on(args.pre),
            header: args.no_header.then_some(false),
            annotate: args.no_annotate.then_some(false),
            annotation_style: args.annotation_style.map(|style| match style {
                cli::AnnotationStyle::Split => AnnotationStyle::Split,
                cli::AnnotationStyle::Line => AnnotationStyle::Line,
            }),
            emit_index_url: flag(args.emit_index_url, args.no_emit_index_url),
            extras: args.extra.clone(),
            all_extras: on(args.all_extras),
            groups: args.group.clone(),
            constraints: args.constraint.clone(),
            index_url: args.index.index_url.clone(),
            extra_index_urls: args.index.extra_index_url.clone(),
            find_links: args.index.find_links.clone(),
            no_index: on(args.index.no_index),
            python: args.python.clone(),
            python_version: args.python_version.clone(),
            python_platform: args.python_platform.clone(),
            no_build: on(args.formats.no_build),
            only_binary: args.formats.only_binary.clone(),
            no_binary: args.formats.no_binary.clone(),
        }
    }

    /// These options over `lower`'s. A `--python` interpreter given above also hides a lower
    /// `python-version`: the interpreter's own version is meant.
    pub(super) fn combine(self, lower: Self) -> Self {
        let python_version = self.python_version.or(if self.python.is_none() {
            lower.python_version
        } else {
            None
        });
        Self {
            generate_hashes: self.generate_hashes.or(lower.generate_hashes),
            allow_unsafe: self.allow_unsafe.or(lower.allow_unsafe),
            strip_extras: self.strip_extras.or(lower.strip_extras),
            pre: self.pre.or(lower.pre),
            header: self.header.or(lower.header),
            annotate: self.annotate.or(lower.annotate),
            annotation_style: self.annotation_style.or(lower.annotation_style),
            emit_index_url: self.emit_index_url.or(lower.emit_index_url),
            extras: first(self.extras, lower.extras),
            all_extras: self.all_extras.or(lower.all_extras),
            groups: first(self.groups, lower.groups),
            constraints: first(self.constraints, lower.constraints),
            index_url: self.index_url.or(lower.index_url),
            extra_index_urls: first(self.extra_index_urls, lower.extra_index_urls),
            find_links: first(self.find_links, lower.find_links),
            no_index: self.no_index.or(lower.no_index),
            python: self.python.or(lower.python),
            python_version,
            python_platform: self.python_platform.or(lower.python_platform),
            no_build: self.no_build.or(lower.no_build),
            only_binary: first(self.only_binary, lower.only_binary),
            no_binary: first(self.no_binary, lower.no_binary),
        }
    }
}

/// What to resolve for: an interpreter, or a Python version (and platform) without one.
#[derive(Debug, Clone, Default)]
pub(crate) struct TargetSettings {
    pub(crate) python: Option<PathBuf>,
    pub(crate) python_version: Option<String>,
    pub(crate) python_platform: Option<String>,
}

/// `-U` and `-P`: which existing pins stop being preferences.
#[derive(Debug, Clone, Default)]
pub(crate) struct Upgrade {
    /// `-U`: every pin.
    pub(crate) all: bool,
    /// `-P NAME` or `-P NAME==VERSION` (then also a constraint, so the pin moves exactly there).
    pub(crate) packages: Vec<Requirement<VerbatimUrl>>,
}

impl Upgrade {
    pub(crate) fn releases(&self, name: &PackageName) -> bool {
        self.all || self.packages.iter().any(|r| r.name == *name)
    }
}

/// Everything one lockfile is compiled with.
#[derive(Debug, Clone)]
pub(crate) struct CompileSettings {
    /// `--check`: compare with the lockfile instead of writing it.
    pub(crate) check: bool,
    /// `--dry-run`: print, write nothing.
    pub(crate) dry_run: bool,
    pub(crate) upgrade: Upgrade,
    pub(crate) pre: bool,
    /// The extras and groups of project inputs.
    pub(crate) selection: Selection,
    pub(crate) constraints: Vec<PathBuf>,
    pub(crate) target: TargetSettings,
    pub(crate) index: IndexSettings,
    pub(crate) cache: CacheSettings,
    pub(crate) formats: FormatSettings,
    /// How the lockfile is written.
    pub(crate) lockfile: Format,
}

impl CompileSettings {
    /// Defaults under the combined layers.
    fn new(options: CompileOptions, config: &Config, cli: &CliOnly) -> Self {
        Self {
            check: cli.check,
            dry_run: cli.dry_run,
            upgrade: cli.upgrade.clone(),
            pre: options.pre.unwrap_or(false),
            selection: Selection {
                extras: options.extras,
                all_extras: options.all_extras.unwrap_or(false),
                groups: options.groups,
            },
            constraints: options.constraints,
            target: TargetSettings {
                python: options.python,
                python_version: options.python_version,
                python_platform: options.python_platform,
            },
            index: IndexSettings {
                index_url: options.index_url,
                extra_index_urls: options.extra_index_urls,
                find_links: options.find_links,
                no_index: options.no_index.unwrap_or(false),
                config: config.index.clone(),
                network: cli.network.clone(),
            },
            cache: cli.cache.clone(),
            formats: FormatSettings {
                no_build: options.no_build.unwrap_or(false),
                only_binary: options.only_binary,
                no_binary: options.no_binary,
            },
            lockfile: Format {
                header: options.header.unwrap_or(true),
                annotate: options.annotate.unwrap_or(true),
                annotation_style: options.annotation_style.unwrap_or(AnnotationStyle::Split),
                generate_hashes: options.generate_hashes.unwrap_or(false),
                strip_extras: options.strip_extras.unwrap_or(false),
                allow_unsafe: options.allow_unsafe.unwrap_or(false),
                emit_index_url: options.emit_index_url.unwrap_or(true),
            },
        }
    }
}

/// What only the command line says (never a header or a configuration file).
#[derive(Debug, Clone)]
struct CliOnly {
    check: bool,
    dry_run: bool,
    upgrade: Upgrade,
    cache: CacheSettings,
    /// `--cert` and friends: this machine's, never recorded in a header.
    network: NetworkOptions,
}

/// One lockfile to write, from its inputs.
#[derive(Debug)]
pub(crate) struct CompileJob {
    pub(crate) sources: Vec<PathBuf>,
    /// None: standard output.
    pub(crate) output_file: Option<PathBuf>,
    /// The command the header records.
    pub(crate) header_command: String,
    pub(crate) settings: CompileSettings,
}

/// A whole `pinion compile` call: one job per lockfile.
#[derive(Debug)]
pub(crate) struct CompileRun {
    pub(crate) jobs: Vec<CompileJob>,
    pub(crate) output: OutputSettings,
}

impl CompileRun {
    pub(crate) fn resolve(args: &CompileArgs, output: &OutputArgs) -> Result<Self, SettingsError> {
        let sources = if args.src_files.is_empty() {
            default_sources(Path::new("."))
        } else {
            args.src_files.clone()
        };
        let config = config_for(args.config.as_deref(), args.no_config, &sources)?;
        let cli_only = CliOnly {
            check: args.check,
            dry_run: args.dry_run,
            upgrade: upgrade(args)?,
            cache: cache_settings(&args.index, refresh(args)),
            network: NetworkOptions::from_args(&args.index),
        };
        let cli = CompileOptions::from_args(args);
        // With -o every input goes into one lockfile (pip-compile); without, each into its own.
        let outputs: Vec<(Vec<PathBuf>, Option<PathBuf>)> = match &args.output_file {
            Some(output) => vec![(sources.clone(), Some(output.clone()))],
            None => sources
                .iter()
                .map(|source| (vec![source.clone()], default_output(source)))
                .collect(),
        };
        let jobs = outputs
            .into_iter()
            .map(|(job_sources, output_file)| {
                // `--check` compiles as the lockfile says it was compiled: the flags its
                // header records rank under the command line's, so a hook needs no copy.
                let recorded = output_file
                    .as_deref()
                    .filter(|_| args.check)
                    .and_then(header::recorded_options)
                    .unwrap_or_default();
                let options = cli
                    .clone()
                    .combine(recorded)
                    .combine(config.options.clone());
                let others: Vec<&PathBuf> = sources
                    .iter()
                    .filter(|s| !job_sources.contains(s))
                    .collect();
                CompileJob {
                    header_command: header::command(&others),
                    settings: CompileSettings::new(options, &config, &cli_only),
                    sources: job_sources,
                    output_file,
                }
            })
            .collect();
        Ok(Self {
            jobs,
            output: OutputSettings::resolve(output),
        })
    }
}

/// The settings a lockfile's recorded command compiles with, `defaults` under its
/// configuration (for a lockfile without a header); `check` reads the inputs with them.
pub(super) fn settings_of_recorded(
    args: &CompileArgs,
    sources: &[PathBuf],
    defaults: CompileOptions,
) -> Result<CompileSettings, SettingsError> {
    let config = config_for(args.config.as_deref(), args.no_config, sources)?;
    let options = CompileOptions::from_args(args)
        .combine(config.options.clone())
        .combine(defaults);
    let cli_only = CliOnly {
        check: false,
        dry_run: false,
        upgrade: Upgrade::default(),
        cache: cache_settings(&args.index, Refresh::None),
        network: NetworkOptions::from_args(&args.index),
    };
    Ok(CompileSettings::new(options, &config, &cli_only))
}

/// The `[tool.pinion]` settings for these inputs (`--config`, else beside them, else in the
/// working directory), unless `--no-config`.
fn config_for(
    file: Option<&Path>,
    no_config: bool,
    sources: &[PathBuf],
) -> Result<Config, SettingsError> {
    if no_config {
        return Ok(Config::default());
    }
    let mut dirs: Vec<PathBuf> = sources
        .iter()
        .filter(|s| *s != Path::new("-"))
        .map(|s| parent_dir(s).to_path_buf())
        .collect();
    dirs.push(PathBuf::from("."));
    dirs.dedup();
    config::read(file, &dirs)
}

/// What `-U`/`-P` also make the cache revalidate.
fn refresh(args: &CompileArgs) -> Refresh {
    if args.upgrade {
        Refresh::Revalidate
    } else if !args.upgrade_package.is_empty() {
        Refresh::Packages(
            args.upgrade_package
                .iter()
                .filter_map(|p| crate::pep508::requirement_from_str(p).ok())
                .map(|r| r.name)
                .collect(),
        )
    } else {
        Refresh::None
    }
}

fn upgrade(args: &CompileArgs) -> Result<Upgrade, SettingsError> {
    let mut packages = Vec::new();
    for value in &args.upgrade_package {
        let requirement = crate::pep508::requirement_from_str(value).map_err(|e| {
            SettingsError::InvalidUpgradePackage {
                value: value.clone(),
                reason: e.message.to_string(),
            }
        })?;
        packages.push(requirement);
    }
    Ok(Upgrade {
        all: args.upgrade,
        packages,
    })
}

/// `requirements.in` -> `requirements.txt`; a project file -> `requirements.txt` beside it (as
/// pip-compile does); standard input -> standard output.
fn default_output(source: &Path) -> Option<PathBuf> {
    if source == Path::new("-") {
        return None;
    }
    if crate::inputs::is_project_file(source) {
        return Some(parent_dir(source).join("requirements.txt"));
    }
    Some(source.with_extension("txt"))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn options(words: &[&str]) -> CompileOptions {
        let words = std::iter::once("pinion").chain(words.iter().copied());
        match Cli::try_parse_from(words).map(|cli| cli.command) {
            Ok(Command::Compile(args)) => CompileOptions::from_args(&args),
            other => panic!("not a compile command line: {other:?}"),
        }
    }

    fn config(python_version: &str, style: AnnotationStyle) -> CompileOptions {
        CompileOptions {
            python_version: Some(python_version.into()),
            annotation_style: Some(style),
            generate_hashes: Some(true),
            ..CompileOptions::default()
        }
    }

    /// Regression: `[tool.pinion]`'s `python-version` and `annotation-style` used to override
    /// what the lockfile's header recorded under `compile --check`, because the configuration
    /// was applied before the header's flags filled in the gaps.
    #[test]
    fn the_header_ranks_above_the_configuration() {
        let cli = options(&["compile", "--check"]);
        let header = options(&[
            "compile",
            "--python-version",
            "3.12",
            "--annotation-style",
            "split",
        ]);
        let combined = cli
            .combine(header)
            .combine(config("3.11", AnnotationStyle::Line));
        assert_eq!(combined.python_version.as_deref(), Some("3.12"));
        assert_eq!(combined.annotation_style, Some(AnnotationStyle::Split));
        // What the header does not say, the configuration still does.
        assert_eq!(combined.generate_hashes, Some(true));
    }

    #[test]
    fn the_command_line_ranks_above_the_header() {
        let cli = options(&[
            "compile",
            "--python-version",
            "3.13",
            "--no-generate-hashes",
        ]);
        let header = options(&["compile", "--python-version", "3.12", "--generate-hashes"]);
        let combined = cli.combine(header);
        assert_eq!(combined.python_version.as_deref(), Some("3.13"));
        assert_eq!(combined.generate_hashes, Some(false));
    }

    #[test]
    fn an_interpreter_given_above_hides_a_lower_python_version() {
        let cli = options(&["compile", "--python", "/usr/bin/python3"]);
        let combined = cli.combine(config("3.11", AnnotationStyle::Split));
        assert_eq!(combined.python_version, None);
    }

    #[test]
    fn lists_from_above_replace_those_below() {
        let cli = options(&["compile", "--extra", "a"]);
        let header = options(&["compile", "--extra", "b", "--group", "dev"]);
        let combined = cli.combine(header);
        assert_eq!(combined.extras, ["a"]);
        assert_eq!(combined.groups, ["dev"]);
    }
}
