//! `[tool.pinion]` (or a `--config` file): what each key means. pyproject.rs reads the TOML
//! with spans; this is where a key becomes a [`CompileOptions`] layer. Keys are named as
//! pip-compile's flags are.

use std::path::{Path, PathBuf};

use super::SettingsError;
use super::compile::CompileOptions;
use super::index::ConfigIndex;
use crate::lockfile::AnnotationStyle;
use crate::pyproject;

/// The keys pinion knows; any other is an error that lists these.
const KEYS: &[&str] = &[
    "generate-hashes",
    "index-url",
    "extra-index-url",
    "find-links",
    "allow-unsafe",
    "annotation-style",
    "strip-extras",
    "pre",
    "header",
    "annotate",
    "python-version",
];

/// A configuration file's layer; empty when there is none.
#[derive(Debug, Clone, Default)]
pub(super) struct Config {
    pub(super) options: CompileOptions,
    /// The index keys, which rank below PIP_* and pip's own files (see [`super::IndexSettings`]).
    pub(super) index: ConfigIndex,
}

/// The configuration for inputs in `dirs` (see [`pyproject::find_config`]).
pub(super) fn read(file: Option<&Path>, dirs: &[PathBuf]) -> Result<Config, SettingsError> {
    let Some((pyproject, explicit)) = pyproject::find_config(file, dirs)? else {
        return Ok(Config::default());
    };
    let Some(table) = pyproject.tool_table(explicit) else {
        return Ok(Config::default());
    };
    tracing::info!("settings from `{}`", pyproject.path().display());
    table.check_keys(KEYS)?;
    let options = CompileOptions {
        generate_hashes: table.bool("generate-hashes")?,
        allow_unsafe: table.bool("allow-unsafe")?,
        strip_extras: table.bool("strip-extras")?,
        pre: table.bool("pre")?,
        header: table.bool("header")?,
        annotate: table.bool("annotate")?,
        annotation_style: table
            .choice("annotation-style", &["split", "line"])?
            .map(|style| match style.as_str() {
                "line" => AnnotationStyle::Line,
                _ => AnnotationStyle::Split,
            }),
        python_version: table.string("python-version")?,
        ..CompileOptions::default()
    };
    let index = ConfigIndex {
        index_url: table.string("index-url")?,
        extra_index_urls: table.strings("extra-index-url")?,
        find_links: table.strings("find-links")?,
    };
    Ok(Config { options, index })
}
