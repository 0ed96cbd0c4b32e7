//! Settings of the commands that read lockfiles for people: `why`, `tree` and `diff`.

use std::path::PathBuf;

use pep508_rs::PackageName;

use super::{OutputSettings, SettingsError};
use crate::cache::default_cache_dir;
use crate::cli::{self, DiffArgs, OutputArgs, TreeArgs, WhyArgs};

/// How `why` and `tree` print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum GraphFormat {
    #[default]
    Text,
    Json,
}

impl From<cli::GraphFormat> for GraphFormat {
    fn from(format: cli::GraphFormat) -> Self {
        match format {
            cli::GraphFormat::Text => Self::Text,
            cli::GraphFormat::Json => Self::Json,
        }
    }
}

fn lockfile_or_default(lockfile: Option<PathBuf>) -> PathBuf {
    lockfile.unwrap_or_else(|| PathBuf::from("requirements.txt"))
}

#[derive(Debug)]
pub(crate) struct WhySettings {
    pub(crate) package: PackageName,
    pub(crate) lockfile: PathBuf,
    pub(crate) format: GraphFormat,
    /// Where compile cached the pins' metadata.
    pub(crate) cache_dir: PathBuf,
    pub(crate) output: OutputSettings,
}

impl WhySettings {
    pub(crate) fn resolve(args: WhyArgs, output: &OutputArgs) -> Result<Self, SettingsError> {
        let package = PackageName::new(args.package.clone()).map_err(|err| {
            SettingsError::InvalidPackageName {
                value: args.package.clone(),
                reason: err.to_string(),
            }
        })?;
        Ok(Self {
            package,
            lockfile: lockfile_or_default(args.lockfile),
            format: args.format.into(),
            cache_dir: args.cache_dir.unwrap_or_else(default_cache_dir),
            output: OutputSettings::resolve(output),
        })
    }
}

#[derive(Debug)]
pub(crate) struct TreeSettings {
    pub(crate) lockfile: PathBuf,
    pub(crate) invert: bool,
    pub(crate) depth: Option<usize>,
    pub(crate) format: GraphFormat,
    pub(crate) cache_dir: PathBuf,
    pub(crate) output: OutputSettings,
}

impl TreeSettings {
    pub(crate) fn resolve(args: TreeArgs, output: &OutputArgs) -> Self {
        Self {
            lockfile: lockfile_or_default(args.lockfile),
            invert: args.invert,
            depth: args.depth,
            format: args.format.into(),
            cache_dir: args.cache_dir.unwrap_or_else(default_cache_dir),
            output: OutputSettings::resolve(output),
        }
    }
}

#[derive(Debug)]
pub(crate) struct DiffSettings {
    pub(crate) old: PathBuf,
    pub(crate) new: PathBuf,
    /// `-q`: no line when nothing changed.
    pub(crate) quiet: bool,
}

impl DiffSettings {
    pub(crate) fn resolve(args: DiffArgs, output: &OutputArgs) -> Self {
        Self {
            old: args.old,
            new: args.new,
            quiet: output.quiet,
        }
    }
}
