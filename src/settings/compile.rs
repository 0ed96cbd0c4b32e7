//! `pinion compile`'s settings: each source is read into one [`CompileOptions`] layer, the
//! layers are combined by precedence (command line, lockfile header under `--check`,
//! `[tool.pinion]`), and defaults fill the rest. The same shape as uv's
//! `PipCompileSettings::resolve` over its `PipOptions::combine`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::{MarkerTree, PackageName, Requirement, VerbatimUrl};

use super::config::{self, Config};
use super::cooldown;
use super::header::{self, HeaderCommand};
use super::index::IndexSettings;
use super::network::NetworkOptions;
use super::pip_args::{self, PipArgs};
use super::{FormatSettings, OutputSettings, SettingsError, cache_settings};
use crate::build::BuildTarget;
use crate::cache::{CacheSettings, Refresh};
use crate::cli::{self, CompileArgs, OutputArgs};
use crate::index::Cooldown;
use crate::inputs::{Selection, default_sources, parent_dir};
use crate::lockfile::{AnnotationStyle, Format, Newline};
use crate::resolver::ResolutionStrategy;

/// One source's say about compile: `None` (or empty) where it says nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct CompileOptions {
    pub(super) generate_hashes: Option<bool>,
    pub(super) allow_unsafe: Option<bool>,
    pub(super) strip_extras: Option<bool>,
    /// uv's `--no-strip-markers` (only ever switched on).
    pub(super) no_strip_markers: Option<bool>,
    pub(super) pre: Option<bool>,
    pub(super) header: Option<bool>,
    pub(super) annotate: Option<bool>,
    pub(super) annotation_style: Option<AnnotationStyle>,
    pub(super) emit_index_url: Option<bool>,
    pub(super) emit_find_links: Option<bool>,
    pub(super) emit_trusted_host: Option<bool>,
    pub(super) emit_options: Option<bool>,
    pub(super) emit_index_annotation: Option<bool>,
    pub(super) unsafe_packages: Vec<String>,
    pub(super) no_emit_packages: Vec<String>,
    pub(super) newline: Option<NewlineChoice>,
    /// `--format`: None lets the output file's name decide.
    pub(super) pylock: Option<bool>,
    pub(super) custom_compile_command: Option<String>,
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
    pub(super) build_deps_for: Vec<BuildTarget>,
    pub(super) all_build_deps: Option<bool>,
    pub(super) only_build_deps: Option<bool>,
    /// `--exclude-newer` (or `--uploaded-prior-to`) as written: a duration is counted from
    /// now only once the layers are combined (see `cooldown::decide`).
    pub(super) exclude_newer: Option<String>,
    /// `--exclude-newer-package NAME=...` as written.
    pub(super) exclude_newer_packages: Vec<String>,
    pub(super) overrides: Vec<PathBuf>,
    pub(super) excludes: Vec<String>,
    pub(super) resolution: Option<ResolutionStrategy>,
    /// `--universal`.
    pub(super) universal: Option<bool>,
    /// `--environment`: marker text, parsed when the settings are decided.
    pub(super) environments: Vec<String>,
    /// `--required-environment`.
    pub(super) required_environments: Vec<String>,
}

/// `--newline` before `native` and `preserve` are decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NewlineChoice {
    Lf,
    Crlf,
    Native,
    Preserve,
}

impl NewlineChoice {
    /// `native` is this system's; `preserve` is the existing output file's line ending, else
    /// the first input's, else `\n` (pip-compile's `_determine_linesep`).
    fn decide(self, output: Option<&Path>, sources: &[PathBuf]) -> Newline {
        match self {
            Self::Lf => Newline::Lf,
            Self::Crlf => Newline::Crlf,
            Self::Native if cfg!(windows) => Newline::Crlf,
            Self::Native => Newline::Lf,
            Self::Preserve => output
                .into_iter()
                .chain(sources.iter().map(PathBuf::as_path))
                .filter_map(|path| std::fs::read_to_string(path).ok())
                .find_map(|text| Newline::of(&text))
                .unwrap_or(Newline::Lf),
        }
    }
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
            no_strip_markers: on(args.no_strip_markers),
            pre: on(args.pre),
            header: flag(args.header, args.no_header),
            annotate: flag(args.annotate, args.no_annotate),
            annotation_style: args.annotation_style.map(|style| match style {
                cli::AnnotationStyle::Split => AnnotationStyle::Split,
                cli::AnnotationStyle::Line => AnnotationStyle::Line,
            }),
            emit_index_url: flag(args.emit_index_url, args.no_emit_index_url),
            emit_find_links: flag(args.emit_find_links, args.no_emit_find_links),
            emit_trusted_host: flag(args.emit_trusted_host, args.no_emit_trusted_host),
            emit_options: flag(args.emit_options, args.no_emit_options),
            emit_index_annotation: on(args.emit_index_annotation),
            unsafe_packages: args.unsafe_package.clone(),
            no_emit_packages: args.no_emit_package.clone(),
            newline: args.newline.map(|newline| match newline {
                cli::Newline::Lf => NewlineChoice::Lf,
                cli::Newline::Crlf => NewlineChoice::Crlf,
                cli::Newline::Native => NewlineChoice::Native,
                cli::Newline::Preserve => NewlineChoice::Preserve,
            }),
            pylock: args
                .format
                .map(|format| format == cli::OutputFormat::PylockToml),
            custom_compile_command: args.custom_compile_command.clone(),
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
            build_deps_for: args
                .build_deps_for
                .iter()
                .map(|target| match target {
                    cli::BuildTarget::Editable => BuildTarget::Editable,
                    cli::BuildTarget::Sdist => BuildTarget::Sdist,
                    cli::BuildTarget::Wheel => BuildTarget::Wheel,
                })
                .collect(),
            all_build_deps: on(args.all_build_deps),
            only_build_deps: on(args.only_build_deps),
            exclude_newer: args
                .exclude_newer
                .clone()
                .or_else(|| args.uploaded_prior_to.clone()),
            exclude_newer_packages: args.exclude_newer_package.clone(),
            overrides: args.overrides.clone(),
            excludes: args.exclude.clone(),
            resolution: args.resolution.map(|resolution| match resolution {
                cli::Resolution::Highest => ResolutionStrategy::Highest,
                cli::Resolution::Lowest => ResolutionStrategy::Lowest,
                cli::Resolution::LowestDirect => ResolutionStrategy::LowestDirect,
            }),
            universal: on(args.universal),
            environments: args.environment.clone(),
            required_environments: args.required_environment.clone(),
        }
    }

    /// `--pip-args`' layer: under the command line's own flags.
    fn from_pip_args(pip: &PipArgs) -> Self {
        Self {
            pre: on(pip.pre),
            constraints: pip.constraints.clone(),
            index_url: pip.index_url.clone(),
            extra_index_urls: pip.extra_index_urls.clone(),
            find_links: pip.find_links.clone(),
            no_index: on(pip.no_index),
            only_binary: pip.only_binary.clone(),
            no_binary: pip.no_binary.clone(),
            ..Self::default()
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
            no_strip_markers: self.no_strip_markers.or(lower.no_strip_markers),
            pre: self.pre.or(lower.pre),
            header: self.header.or(lower.header),
            annotate: self.annotate.or(lower.annotate),
            annotation_style: self.annotation_style.or(lower.annotation_style),
            emit_index_url: self.emit_index_url.or(lower.emit_index_url),
            emit_find_links: self.emit_find_links.or(lower.emit_find_links),
            emit_trusted_host: self.emit_trusted_host.or(lower.emit_trusted_host),
            emit_options: self.emit_options.or(lower.emit_options),
            emit_index_annotation: self.emit_index_annotation.or(lower.emit_index_annotation),
            unsafe_packages: first(self.unsafe_packages, lower.unsafe_packages),
            no_emit_packages: first(self.no_emit_packages, lower.no_emit_packages),
            newline: self.newline.or(lower.newline),
            pylock: self.pylock.or(lower.pylock),
            custom_compile_command: self.custom_compile_command.or(lower.custom_compile_command),
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
            build_deps_for: first(self.build_deps_for, lower.build_deps_for),
            all_build_deps: self.all_build_deps.or(lower.all_build_deps),
            only_build_deps: self.only_build_deps.or(lower.only_build_deps),
            exclude_newer: self.exclude_newer.or(lower.exclude_newer),
            exclude_newer_packages: first(
                self.exclude_newer_packages,
                lower.exclude_newer_packages,
            ),
            overrides: first(self.overrides, lower.overrides),
            excludes: first(self.excludes, lower.excludes),
            resolution: self.resolution.or(lower.resolution),
            universal: self.universal.or(lower.universal),
            environments: first(self.environments, lower.environments),
            required_environments: first(self.required_environments, lower.required_environments),
        }
    }
}

/// What to resolve for: an interpreter, or a Python version (and platform) without one.
#[derive(Debug, Clone, Default)]
pub(crate) struct TargetSettings {
    pub(crate) python: Option<PathBuf>,
    pub(crate) python_version: Option<String>,
    pub(crate) python_platform: Option<String>,
    /// The version comes from the lockfile's header (`compile --check`): resolve for it, but
    /// with the local interpreter for builds and pip's configuration.
    pub(crate) version_from_header: bool,
}

/// `--universal` and the environments it resolves for (uv's `environments` and
/// `required-environments`).
#[derive(Debug, Clone, Default)]
pub(crate) struct UniversalSettings {
    /// Resolve for every platform and Python version from the target's up at once.
    pub(crate) enabled: bool,
    /// `--environment`: the universe is limited to the union of these markers (empty: all).
    pub(crate) environments: Vec<MarkerTree>,
    /// `--required-environment`: each pinned release must have a file usable in each of these.
    pub(crate) required_environments: Vec<MarkerTree>,
}

/// Marker texts as [`MarkerTree`]s, or the first that does not parse.
fn markers(flag: &'static str, texts: &[String]) -> Result<Vec<MarkerTree>, SettingsError> {
    texts
        .iter()
        .map(|text| {
            MarkerTree::from_str(text).map_err(|err| SettingsError::InvalidMarker {
                flag,
                value: text.clone(),
                reason: err.message.to_string(),
            })
        })
        .collect()
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
    /// `--universal` and its environments.
    pub(crate) universal: UniversalSettings,
    /// `--override`, `--exclude`, `--resolution`.
    pub(crate) graph: GraphSettings,
}

/// How the resolver treats the graph it reads: `--override` files (read by the inputs
/// stage), `--exclude` names and the `--resolution` strategy.
#[derive(Debug, Clone, Default)]
pub(crate) struct GraphSettings {
    pub(crate) overrides: Vec<PathBuf>,
    pub(crate) excludes: Vec<PackageName>,
    pub(crate) strategy: ResolutionStrategy,
}

impl CompileSettings {
    /// Defaults under the combined layers; `output` and `sources` decide `--newline preserve`.
    fn new(
        options: CompileOptions,
        config: &Config,
        cli: &CliOnly,
        output: Option<&Path>,
        sources: &[PathBuf],
        cooldown: Cooldown,
    ) -> Result<Self, SettingsError> {
        let names = |names: &[String]| -> Vec<PackageName> {
            names
                .iter()
                .flat_map(|n| n.split(','))
                .filter_map(|n| PackageName::from_str(n.trim()).ok())
                .collect()
        };
        // PEP 751: `pylock.toml` or `pylock.NAME.toml` is a standard lockfile, which always has
        // hashes.
        let pylock = options
            .pylock
            .unwrap_or_else(|| output.is_some_and(crate::lockfile::pylock::is_pylock_path));
        let universal = UniversalSettings {
            enabled: options.universal.unwrap_or(false),
            environments: markers("--environment", &options.environments)?,
            required_environments: markers(
                "--required-environment",
                &options.required_environments,
            )?,
        };
        Ok(Self {
            check: cli.check,
            dry_run: cli.dry_run,
            upgrade: cli.upgrade.clone(),
            pre: options.pre.unwrap_or(false),
            selection: Selection {
                extras: options.extras,
                all_extras: options.all_extras.unwrap_or(false),
                groups: options.groups,
                build_deps: if options.all_build_deps.unwrap_or(false) {
                    BuildTarget::ALL.to_vec()
                } else {
                    let mut targets = options.build_deps_for;
                    targets.sort();
                    targets.dedup();
                    targets
                },
                only_build_deps: options.only_build_deps.unwrap_or(false),
            },
            constraints: options.constraints,
            target: TargetSettings {
                python: options.python,
                python_version: options.python_version,
                python_platform: options.python_platform,
                version_from_header: cli.version_from_header,
            },
            index: IndexSettings {
                index_url: options.index_url,
                extra_index_urls: options.extra_index_urls,
                find_links: options.find_links,
                no_index: options.no_index.unwrap_or(false),
                config: config.index.clone(),
                network: cli.network.clone(),
                cooldown,
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
                generate_hashes: pylock || options.generate_hashes.unwrap_or(false),
                pylock,
                strip_extras: options.strip_extras.unwrap_or(false),
                keep_markers: options.no_strip_markers.unwrap_or(false),
                allow_unsafe: options.allow_unsafe.unwrap_or(false),
                emit_index_url: options.emit_index_url.unwrap_or(true),
                emit_find_links: options.emit_find_links.unwrap_or(true),
                emit_trusted_host: options.emit_trusted_host.unwrap_or(true),
                emit_options: options.emit_options.unwrap_or(true),
                emit_index_annotation: options.emit_index_annotation.unwrap_or(false),
                unsafe_packages: (!options.unsafe_packages.is_empty())
                    .then(|| names(&options.unsafe_packages)),
                no_emit_packages: names(&options.no_emit_packages),
                newline: options
                    .newline
                    .unwrap_or(NewlineChoice::Lf)
                    .decide(output, sources),
            },
            graph: GraphSettings {
                excludes: names(&options.excludes),
                overrides: options.overrides,
                strategy: options.resolution.unwrap_or_default(),
            },
            universal,
        })
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
    version_from_header: bool,
}

/// One lockfile to write, from its inputs.
#[derive(Debug)]
pub(crate) struct CompileJob {
    pub(crate) sources: Vec<PathBuf>,
    /// None: standard output.
    pub(crate) output_file: Option<PathBuf>,
    /// The command the header records.
    pub(crate) header_command: HeaderCommand,
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
        note_no_ops(args);
        let now = cooldown::now()?;
        check_graph_args(args, now)?;
        let sources = if args.src_files.is_empty() {
            default_sources(Path::new("."))
        } else {
            args.src_files.clone()
        };
        let config = config_for(args.config.as_deref(), args.no_config, &sources)?;
        let pip = match args.pip_args.as_deref().or(config.pip_args.as_deref()) {
            Some(text) => pip_args::parse(text)?,
            None => PipArgs::default(),
        };
        let mut index_args = args.index.clone();
        if index_args.cache_dir.is_none() {
            index_args.cache_dir.clone_from(&pip.cache_dir);
        }
        index_args.no_cache |= pip.no_cache && index_args.cache_dir.is_none();
        let upgrade_all = args.upgrade || (config.upgrade && !args.no_upgrade);
        let cli_only = CliOnly {
            check: args.check,
            dry_run: args.dry_run || config.dry_run,
            upgrade: upgrade(args, upgrade_all)?,
            cache: cache_settings(
                &index_args,
                refresh(args, upgrade_all, args.rebuild || config.rebuild),
            ),
            version_from_header: false,
            network: NetworkOptions::from_args(&args.index),
        };
        let cli = CompileOptions::from_args(args).combine(CompileOptions::from_pip_args(&pip));
        check_build_deps(&cli.clone().combine(config.options.clone()), &sources)?;
        // pip-tools reads CUSTOM_COMPILE_COMMAND, uv UV_CUSTOM_COMPILE_COMMAND; the flag wins.
        let custom_command = args
            .custom_compile_command
            .clone()
            .or_else(|| env_value("CUSTOM_COMPILE_COMMAND"))
            .or_else(|| env_value("UV_CUSTOM_COMPILE_COMMAND"))
            .or_else(|| config.options.custom_compile_command.clone());
        // With -o every input goes into one lockfile (pip-compile); without, each into its own.
        // `-o -` is standard output, as in pip-compile.
        let outputs: Vec<(Vec<PathBuf>, Option<PathBuf>)> =
            match args.output_file.as_ref().or(config.output_file.as_ref()) {
                Some(output) => vec![(
                    sources.clone(),
                    (output != Path::new("-")).then(|| output.clone()),
                )],
                None => sources
                    .iter()
                    .map(|source| (vec![source.clone()], default_output(source)))
                    .collect(),
            };
        let jobs = outputs
            .into_iter()
            .map(|(job_sources, output_file)| {
                // `--check` compiles as the lockfile says it was compiled: the flags its
                // header records (and the Python version it names) rank under the command
                // line's, so a hook needs no copy and every machine resolves for the same
                // target.
                let (recorded, version_from_line) = output_file
                    .as_deref()
                    .filter(|_| args.check)
                    .and_then(header::recorded_options)
                    .unwrap_or_default();
                let version_from_header =
                    args.python.is_none() && args.python_version.is_none() && version_from_line;
                let cli = cooldown::prefer_recorded(cli.clone(), &recorded, now);
                let options = cli.combine(recorded).combine(config.options.clone());
                let cooldown = cooldown::decide(&options, now, cooldown_option(args))?;
                let others: Vec<&PathBuf> = sources
                    .iter()
                    .filter(|s| !job_sources.contains(s))
                    .collect();
                let cli_only = CliOnly {
                    version_from_header,
                    ..cli_only.clone()
                };
                Ok(CompileJob {
                    header_command: match &custom_command {
                        Some(command) => HeaderCommand::Custom(command.clone()),
                        None => cooldown::freeze(header::command(&others), &config.options, now),
                    },
                    settings: CompileSettings::new(
                        options,
                        &config,
                        &cli_only,
                        output_file.as_deref(),
                        &job_sources,
                        cooldown,
                    )?,
                    sources: job_sources,
                    output_file,
                })
            })
            .collect::<Result<_, SettingsError>>()?;
        Ok(Self {
            jobs,
            output: OutputSettings::resolve(output),
        })
    }
}

/// The flag a cooldown's errors name: the one the command line used.
fn cooldown_option(args: &CompileArgs) -> &'static str {
    if args.uploaded_prior_to.is_some() {
        "--uploaded-prior-to"
    } else {
        "--exclude-newer"
    }
}

/// The command line's cooldowns and `--exclude` names checked, so a bad one names its flag.
fn check_graph_args(args: &CompileArgs, now: jiff::Timestamp) -> Result<(), SettingsError> {
    let exclude_newer = match (&args.exclude_newer, &args.uploaded_prior_to) {
        (Some(value), _) => Some(("--exclude-newer", value.as_str())),
        (None, Some(value)) => Some(("--uploaded-prior-to", value.as_str())),
        (None, None) => None,
    };
    cooldown::check_args(exclude_newer, &args.exclude_newer_package, now)?;
    for name in &args.exclude {
        PackageName::from_str(name.trim()).map_err(|err| SettingsError::InvalidValue {
            option: "--exclude".to_string(),
            value: name.clone(),
            reason: format!("expected a package name ({err})"),
        })?;
    }
    Ok(())
}

fn env_value(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

/// pip-compile's checks of its build-dependency flags (`piptools/scripts/compile.py`), in its
/// order and with its messages.
fn check_build_deps(options: &CompileOptions, sources: &[PathBuf]) -> Result<(), SettingsError> {
    let all = options.all_build_deps.unwrap_or(false);
    let refuse = |message| Err(SettingsError::BuildDeps(message));
    if all && !options.build_deps_for.is_empty() {
        return refuse("--build-deps-for has no effect when used with --all-build-deps");
    }
    let any = all || !options.build_deps_for.is_empty();
    if options.only_build_deps.unwrap_or(false) {
        if !any {
            return refuse(
                "--only-build-deps requires either --build-deps-for or --all-build-deps",
            );
        }
        if !options.extras.is_empty() || options.all_extras.unwrap_or(false) {
            return refuse("--only-build-deps cannot be used with any of --extra, --all-extras");
        }
    }
    if any && !sources.iter().all(|s| crate::inputs::is_project_file(s)) {
        return refuse(
            "--build-deps-for and --all-build-deps can be used only with the setup.py, setup.cfg and pyproject.toml specs.",
        );
    }
    Ok(())
}

/// Flags pip-compile has that change nothing in pinion: accepted, and said with `-v`.
fn note_no_ops(args: &CompileArgs) {
    if let Some(resolver) = args.resolver {
        let chosen = match resolver {
            cli::Resolver::Backtracking => "",
            cli::Resolver::Legacy => " (the legacy resolver is not available)",
        };
        tracing::info!(
            "`--resolver` changes nothing: pinion's resolver always backtracks (PubGrub){chosen}"
        );
    }
    if args.max_rounds.is_some() {
        tracing::info!("`--max-rounds` changes nothing: pinion's resolver has no rounds");
    }
    if args.reuse_hashes || args.no_reuse_hashes {
        tracing::info!(
            "`--reuse-hashes`/`--no-reuse-hashes` change nothing: hashes come from the index or pinion's cache"
        );
    }
    if args.formats.build_isolation || args.formats.no_build_isolation {
        tracing::info!(
            "`--build-isolation`/`--no-build-isolation` change nothing: pinion builds in an isolated environment holding the project's build requirements"
        );
    }
    if args.no_upgrade {
        tracing::info!("`--no-upgrade` is the default: existing pins are kept");
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
    let cooldown = cooldown::decide(&options, cooldown::now()?, cooldown_option(args))?;
    let cli_only = CliOnly {
        check: false,
        dry_run: false,
        upgrade: Upgrade::default(),
        cache: cache_settings(&args.index, Refresh::None),
        network: NetworkOptions::from_args(&args.index),
        version_from_header: false,
    };
    CompileSettings::new(options, &config, &cli_only, None, sources, cooldown)
}

/// The configuration for these inputs (`--config`, else beside them, else in the working
/// directory), unless `--no-config`.
fn config_for(
    file: Option<&Path>,
    no_config: bool,
    sources: &[PathBuf],
) -> Result<Config, SettingsError> {
    if no_config {
        return Ok(Config::default());
    }
    config::read(file, &config_dirs(sources), "compile")
}

/// Where a configuration file is looked for: beside the inputs, then the working directory.
pub(super) fn config_dirs(sources: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = sources
        .iter()
        .filter(|s| *s != Path::new("-"))
        .map(|s| parent_dir(s).to_path_buf())
        .collect();
    dirs.push(PathBuf::from("."));
    dirs.dedup();
    dirs
}

/// What `-U`/`-P` also make the cache revalidate; `-r/--rebuild` revalidates everything.
fn refresh(args: &CompileArgs, upgrade_all: bool, rebuild: bool) -> Refresh {
    if rebuild {
        Refresh::All
    } else if upgrade_all {
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

fn upgrade(args: &CompileArgs, all: bool) -> Result<Upgrade, SettingsError> {
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
    Ok(Upgrade { all, packages })
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
