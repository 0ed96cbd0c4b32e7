//! `[tool.pinion]`, pip-tools' `[tool.pip-tools]` / `.pip-tools.toml`, or a `--config` file:
//! what each key means. pyproject.rs reads the TOML with spans; this is where a key becomes a
//! [`CompileOptions`] layer. Keys are named as pip-compile's flags are.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::PackageName;

use super::SettingsError;
use super::compile::{CompileOptions, NewlineChoice};
use super::cooldown;
use super::index::ConfigIndex;
use crate::build::BuildTarget;
use crate::lockfile::AnnotationStyle;
use crate::pyproject::{self, ConfigKind, ToolTable};
use crate::resolver::ResolutionStrategy;

/// The keys `[tool.pinion]` knows; any other is an error that lists these.
const KEYS: &[&str] = &[
    "generate-hashes",
    "index-url",
    "extra-index-url",
    "find-links",
    "allow-unsafe",
    "annotation-style",
    "strip-extras",
    "no-strip-markers",
    "pre",
    "header",
    "annotate",
    "python-version",
    "emit-index-url",
    "emit-find-links",
    "emit-trusted-host",
    "emit-options",
    "emit-index-annotation",
    "unsafe-package",
    "no-emit-package",
    "newline",
    "custom-compile-command",
    "exclude-newer",
    "exclude-newer-package",
    "overrides",
    "excludes",
    "resolution",
    "universal",
    "environments",
    "required-environments",
];

/// `[tool.pip-tools]` keys that pinion applies (pip-compile's long options; `no-X = true` is
/// `X = false`).
const PIP_TOOLS_KEYS: &[&str] = &[
    "generate-hashes",
    "index-url",
    "extra-index-url",
    "find-links",
    "no-index",
    "allow-unsafe",
    "annotation-style",
    "strip-extras",
    "pre",
    "header",
    "annotate",
    "emit-index-url",
    "emit-find-links",
    "emit-trusted-host",
    "emit-options",
    "unsafe-package",
    "newline",
    "extra",
    "all-extras",
    "constraint",
    "output-file",
    "upgrade",
    "dry-run",
    "rebuild",
    "pip-args",
    "only-binary",
    "no-binary",
    "build-deps-for",
    "all-build-deps",
    "only-build-deps",
];

/// `[tool.pip-tools]` keys that change nothing in pinion (said with `-v`), or that belong to
/// the other command (pip-sync's in a compile, pip-compile's in a sync) or to the terminal.
const PIP_TOOLS_IGNORED: &[&str] = &[
    "resolver",
    "max-rounds",
    "reuse-hashes",
    "build-isolation",
    "cache-dir",
    "verbose",
    "quiet",
    "color",
    "config",
    "ask",
    "force",
    "python-executable",
    "user",
    "upgrade-package",
    "cert",
    "client-cert",
    "trusted-host",
    "src-files",
];

/// A configuration file's layer; empty when there is none.
#[derive(Debug, Clone, Default)]
pub(super) struct Config {
    pub(super) options: CompileOptions,
    /// The index keys of `[tool.pinion]`, which rank below PIP_* and pip's own files (see
    /// [`super::IndexSettings`]). pip-tools' index keys rank as its command line's defaults
    /// (in `options`), as they do in pip-tools.
    pub(super) index: ConfigIndex,
    /// pip-tools' `output-file`, `upgrade`, `dry-run`, `rebuild`, `pip-args`: defaults for what
    /// pinion otherwise only takes from the command line.
    pub(super) output_file: Option<PathBuf>,
    pub(super) upgrade: bool,
    pub(super) dry_run: bool,
    pub(super) rebuild: bool,
    pub(super) pip_args: Option<String>,
}

/// `key`'s spelling as pip-tools normalizes it: `--no_header` -> `no-header`.
fn normalize(key: &str) -> String {
    key.trim_start_matches('-').replace('_', "-").to_lowercase()
}

/// The configuration for inputs in `dirs` (see [`pyproject::find_config`]), for `command`
/// (`compile` or `sync`: pip-tools' section names).
pub(super) fn read(
    file: Option<&Path>,
    dirs: &[PathBuf],
    command: &str,
) -> Result<Config, SettingsError> {
    let Some((pyproject, kind, explicit)) = pyproject::find_config(file, dirs)? else {
        return Ok(Config::default());
    };
    match kind {
        ConfigKind::Pinion => {
            let Some(table) = pyproject.tool_table(explicit) else {
                return Ok(Config::default());
            };
            tracing::info!("settings from `{}`", pyproject.path().display());
            table.check_keys(KEYS)?;
            read_pinion(&table, crate::inputs::parent_dir(pyproject.path()))
        }
        ConfigKind::PipTools => {
            let Some(table) = pyproject.pip_tools_table(command) else {
                return Ok(Config::default());
            };
            tracing::info!(
                "settings from `{}` ([tool.pip-tools])",
                pyproject.path().display()
            );
            read_pip_tools(&table, pyproject.path())
        }
    }
}

fn newline(table: &ToolTable<'_>) -> Result<Option<NewlineChoice>, SettingsError> {
    Ok(table
        .choice("newline", &["lf", "crlf", "native", "preserve"])?
        .map(|value| match value.as_str() {
            "crlf" => NewlineChoice::Crlf,
            "native" => NewlineChoice::Native,
            "preserve" => NewlineChoice::Preserve,
            _ => NewlineChoice::Lf,
        }))
}

fn annotation_style(table: &ToolTable<'_>) -> Result<Option<AnnotationStyle>, SettingsError> {
    Ok(table
        .choice("annotation-style", &["split", "line"])?
        .map(|style| match style.as_str() {
            "line" => AnnotationStyle::Line,
            _ => AnnotationStyle::Split,
        }))
}

/// `exclude-newer`, `exclude-newer-package`, `overrides`, `excludes` and `resolution`: the
/// keys whose values are checked here, so that a bad one is underlined in the file. Override
/// files are found beside the configuration file.
fn graph_options(table: &ToolTable<'_>, dir: &Path) -> Result<CompileOptions, SettingsError> {
    let now = jiff::Timestamp::now();
    let exclude_newer = table.string("exclude-newer")?;
    if let Some(value) = &exclude_newer {
        cooldown::parse(value, now)
            .map_err(|reason| table.invalid_value("exclude-newer", &reason))?;
    }
    let exclude_newer_packages = table
        .string_table("exclude-newer-package", |name, value| {
            cooldown::parse_package(&format!("{name}={value}"), now).map(|_| ())
        })?
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let excludes = table.strings("excludes")?;
    if let Some(bad) = excludes.iter().find(|n| PackageName::from_str(n).is_err()) {
        return Err(table
            .invalid_value("excludes", &format!("`{bad}` is not a package name"))
            .into());
    }
    let overrides = table
        .strings("overrides")?
        .into_iter()
        .map(|path| {
            let path = PathBuf::from(path);
            if path.is_relative() && dir != Path::new(".") {
                dir.join(path)
            } else {
                path
            }
        })
        .collect();
    let resolution = table
        .choice("resolution", &["highest", "lowest", "lowest-direct"])?
        .map(|value| match value.as_str() {
            "lowest" => ResolutionStrategy::Lowest,
            "lowest-direct" => ResolutionStrategy::LowestDirect,
            _ => ResolutionStrategy::Highest,
        });
    Ok(CompileOptions {
        exclude_newer,
        exclude_newer_packages,
        overrides,
        excludes,
        resolution,
        ..CompileOptions::default()
    })
}

fn read_pinion(table: &ToolTable<'_>, dir: &Path) -> Result<Config, SettingsError> {
    let options = CompileOptions {
        generate_hashes: table.bool("generate-hashes")?,
        allow_unsafe: table.bool("allow-unsafe")?,
        strip_extras: table.bool("strip-extras")?,
        no_strip_markers: table.bool("no-strip-markers")?,
        pre: table.bool("pre")?,
        header: table.bool("header")?,
        annotate: table.bool("annotate")?,
        annotation_style: annotation_style(table)?,
        python_version: table.string("python-version")?,
        emit_index_url: table.bool("emit-index-url")?,
        emit_find_links: table.bool("emit-find-links")?,
        emit_trusted_host: table.bool("emit-trusted-host")?,
        emit_options: table.bool("emit-options")?,
        emit_index_annotation: table.bool("emit-index-annotation")?,
        unsafe_packages: table.strings("unsafe-package")?,
        no_emit_packages: table.strings("no-emit-package")?,
        newline: newline(table)?,
        custom_compile_command: table.string("custom-compile-command")?,
        universal: table.bool("universal")?,
        environments: table.strings("environments")?,
        required_environments: table.strings("required-environments")?,
        ..graph_options(table, dir)?
    };
    let index = ConfigIndex {
        index_url: table.string("index-url")?,
        extra_index_urls: table.strings("extra-index-url")?,
        find_links: table.strings("find-links")?,
    };
    Ok(Config {
        options,
        index,
        ..Config::default()
    })
}

/// pip-tools' `build-deps-for = ["wheel", "sdist"]`.
fn build_targets(table: &ToolTable<'_>) -> Result<Vec<BuildTarget>, SettingsError> {
    let names = table.choices("build-deps-for", &["editable", "sdist", "wheel"])?;
    Ok(names
        .iter()
        .filter_map(|name| BuildTarget::ALL.into_iter().find(|t| t.name() == name))
        .collect())
}

/// A boolean of pip-tools' table: `key = true`, or its negative form `no-key = false`.
fn pip_tools_bool(table: &ToolTable<'_>, key: &str) -> Result<Option<bool>, SettingsError> {
    if let Some(value) = table.bool(key)? {
        return Ok(Some(value));
    }
    Ok(table.bool(&format!("no-{key}"))?.map(|value| !value))
}

fn read_pip_tools(table: &ToolTable<'_>, path: &Path) -> Result<Config, SettingsError> {
    for written in table.keys() {
        let key = normalize(&written);
        let positive = key.strip_prefix("no-").unwrap_or(&key);
        let known = |k: &str| PIP_TOOLS_KEYS.contains(&k) || PIP_TOOLS_IGNORED.contains(&k);
        if known(&key) || known(positive) {
            if PIP_TOOLS_IGNORED.contains(&key.as_str()) || PIP_TOOLS_IGNORED.contains(&positive) {
                tracing::info!(
                    "`{written}` in `{}` changes nothing in this pinion command",
                    path.display()
                );
            }
            continue;
        }
        tracing::warn!(
            "unknown setting `{written}` in `{}` ([tool.pip-tools]) is ignored",
            path.display()
        );
    }
    let strings_or_none =
        |key: &str| -> Result<Vec<String>, SettingsError> { Ok(table.strings(key)?) };
    let options = CompileOptions {
        generate_hashes: pip_tools_bool(table, "generate-hashes")?,
        allow_unsafe: pip_tools_bool(table, "allow-unsafe")?,
        strip_extras: pip_tools_bool(table, "strip-extras")?,
        pre: pip_tools_bool(table, "pre")?,
        header: pip_tools_bool(table, "header")?,
        annotate: pip_tools_bool(table, "annotate")?,
        annotation_style: annotation_style(table)?,
        emit_index_url: pip_tools_bool(table, "emit-index-url")?,
        emit_find_links: pip_tools_bool(table, "emit-find-links")?,
        emit_trusted_host: pip_tools_bool(table, "emit-trusted-host")?,
        emit_options: pip_tools_bool(table, "emit-options")?,
        unsafe_packages: strings_or_none("unsafe-package")?,
        newline: newline(table)?,
        extras: strings_or_none("extra")?,
        all_extras: pip_tools_bool(table, "all-extras")?,
        constraints: strings_or_none("constraint")?
            .into_iter()
            .map(PathBuf::from)
            .collect(),
        index_url: table.string("index-url")?,
        extra_index_urls: strings_or_none("extra-index-url")?,
        find_links: strings_or_none("find-links")?,
        no_index: table.bool("no-index")?,
        only_binary: strings_or_none("only-binary")?,
        no_binary: strings_or_none("no-binary")?,
        build_deps_for: build_targets(table)?,
        all_build_deps: pip_tools_bool(table, "all-build-deps")?,
        only_build_deps: pip_tools_bool(table, "only-build-deps")?,
        ..CompileOptions::default()
    };
    Ok(Config {
        options,
        index: ConfigIndex::default(),
        output_file: table.string("output-file")?.map(PathBuf::from),
        upgrade: pip_tools_bool(table, "upgrade")?.unwrap_or(false),
        dry_run: table.bool("dry-run")?.unwrap_or(false),
        rebuild: table.bool("rebuild")?.unwrap_or(false),
        pip_args: table.string("pip-args")?,
    })
}

/// What a pip-tools configuration says to `pinion sync` (pip-sync's keys).
#[derive(Debug, Clone, Default)]
pub(super) struct SyncConfig {
    pub(super) index_url: Option<String>,
    pub(super) extra_index_urls: Vec<String>,
    pub(super) find_links: Vec<String>,
    pub(super) no_index: bool,
    pub(super) python: Option<PathBuf>,
    pub(super) dry_run: bool,
    pub(super) ask: bool,
    pub(super) pip_args: Option<String>,
}

/// `[tool.pip-tools]` (with `[tool.pip-tools.sync]`) for `pinion sync`: pip-sync reads the same
/// files as pip-compile. `[tool.pinion]` says nothing to sync.
pub(super) fn read_sync(
    file: Option<&Path>,
    dirs: &[PathBuf],
) -> Result<SyncConfig, SettingsError> {
    let Some((pyproject, ConfigKind::PipTools, _)) = pyproject::find_config(file, dirs)? else {
        return Ok(SyncConfig::default());
    };
    let Some(table) = pyproject.pip_tools_table("sync") else {
        return Ok(SyncConfig::default());
    };
    tracing::info!(
        "settings from `{}` ([tool.pip-tools])",
        pyproject.path().display()
    );
    Ok(SyncConfig {
        index_url: table.string("index-url")?,
        extra_index_urls: table.strings("extra-index-url")?,
        find_links: table.strings("find-links")?,
        no_index: table.bool("no-index")?.unwrap_or(false),
        python: table.string("python-executable")?.map(PathBuf::from),
        dry_run: table.bool("dry-run")?.unwrap_or(false),
        ask: table.bool("ask")?.unwrap_or(false),
        pip_args: table.string("pip-args")?,
    })
}
