//! The command line, spelled as pip-compile and pip-sync spell it. Parsing only: what the flags
//! mean is decided in `settings`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "pinion",
    version,
    about = "Compile loose Python requirements into pinned, hashed lockfiles, and sync virtualenvs to them",
    propagate_version = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,

    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

// Parsed once per process: the size of the largest variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Resolve requirements (.in files) into a pinned lockfile, like pip-compile
    Compile(CompileArgs),
    /// Make a virtualenv hold exactly what lockfiles pin, like pip-sync
    Sync(SyncArgs),
    /// Check offline that lockfiles still satisfy their inputs
    Check(CheckArgs),
}

/// Verbosity, shared by every command.
#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// Show less output
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// Show more output (repeat for more)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// Where packages come from, as pip spells it.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct IndexArgs {
    /// Base URL of the Python package index (default: the one pip uses)
    #[arg(short = 'i', long, value_name = "URL")]
    pub(crate) index_url: Option<String>,

    /// Extra URLs of package indexes to use in addition to --index-url
    #[arg(long, value_name = "URL")]
    pub(crate) extra_index_url: Vec<String>,

    /// Look for archives in this directory or on this HTML page
    #[arg(short = 'f', long, value_name = "URL_OR_DIR")]
    pub(crate) find_links: Vec<String>,

    /// Ignore package indexes (only --find-links)
    #[arg(long)]
    pub(crate) no_index: bool,

    /// Location of the cache directory
    #[arg(long, value_name = "DIR", env = "PINION_CACHE_DIR")]
    pub(crate) cache_dir: Option<PathBuf>,

    /// Use no cache directory at all
    #[arg(long, conflicts_with = "cache_dir")]
    pub(crate) no_cache: bool,

    /// Revalidate every cached index page and file
    #[arg(long)]
    pub(crate) refresh: bool,

    /// Use only the cache, never the network
    #[arg(long)]
    pub(crate) offline: bool,
}

#[derive(Debug, ValueEnum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AnnotationStyle {
    /// `# via` annotations on lines of their own, under the pin
    Split,
    /// `# via` annotations on the pin's line
    Line,
}

#[derive(Debug, Args, Clone, Default)]
pub(crate) struct CompileArgs {
    /// Input files: requirements.in, pyproject.toml, setup.cfg, setup.py, or - for standard input
    #[arg(value_name = "SRC_FILES")]
    pub(crate) src_files: Vec<PathBuf>,

    /// Write nothing: exit 1 with a diff when the output file is missing or would change
    #[arg(long, conflicts_with = "dry_run")]
    pub(crate) check: bool,

    /// Output file name (default: the input's name with .txt; standard output for -)
    #[arg(short = 'o', long, value_name = "FILENAME")]
    pub(crate) output_file: Option<PathBuf>,

    /// Generate pip 8 style hashes in the resulting requirements file
    #[arg(long, overrides_with = "no_generate_hashes")]
    pub(crate) generate_hashes: bool,

    /// Do not generate hashes (overrides the configuration)
    #[arg(long, hide = true)]
    pub(crate) no_generate_hashes: bool,

    /// Try to upgrade all dependencies to their latest versions
    #[arg(short = 'U', long)]
    pub(crate) upgrade: bool,

    /// Specify a particular package to upgrade (NAME or NAME==VERSION); may be repeated
    #[arg(short = 'P', long, value_name = "PACKAGE")]
    pub(crate) upgrade_package: Vec<String>,

    #[command(flatten)]
    pub(crate) index: IndexArgs,

    /// Allow resolving to pre-releases
    #[arg(long)]
    pub(crate) pre: bool,

    /// Constrain versions using the given constraints file; may be repeated
    #[arg(short = 'c', long, value_name = "FILENAME")]
    pub(crate) constraint: Vec<PathBuf>,

    /// Name of an extra to install from a pyproject.toml input; may be repeated
    #[arg(long, value_name = "EXTRA")]
    pub(crate) extra: Vec<String>,

    /// Install all extras of a pyproject.toml input
    #[arg(long, conflicts_with = "extra")]
    pub(crate) all_extras: bool,

    /// Name of a PEP 735 dependency group of a pyproject.toml input; may be repeated
    #[arg(long, value_name = "GROUP")]
    pub(crate) group: Vec<String>,

    /// Pin packages considered unsafe in a requirements file: pip, setuptools, wheel
    #[arg(long, overrides_with = "no_allow_unsafe")]
    pub(crate) allow_unsafe: bool,

    /// Do not pin unsafe packages (overrides the configuration)
    #[arg(long, hide = true)]
    pub(crate) no_allow_unsafe: bool,

    /// Leave extras out of the pins in the output file
    #[arg(long, overrides_with = "no_strip_extras")]
    pub(crate) strip_extras: bool,

    /// Keep extras in the pins (overrides the configuration)
    #[arg(long, hide = true)]
    pub(crate) no_strip_extras: bool,

    /// How to write `# via` annotations [default: split]
    #[arg(long, value_enum)]
    pub(crate) annotation_style: Option<AnnotationStyle>,

    /// Leave the header out of the output file
    #[arg(long)]
    pub(crate) no_header: bool,

    /// Leave the `# via` annotations out of the output file
    #[arg(long)]
    pub(crate) no_annotate: bool,

    /// Write the index URLs into the output file [default]
    #[arg(long, overrides_with = "no_emit_index_url")]
    pub(crate) emit_index_url: bool,

    /// Leave `--index-url` and `--extra-index-url` out of the output file
    #[arg(long)]
    pub(crate) no_emit_index_url: bool,

    /// Print the result, write nothing
    #[arg(short = 'n', long)]
    pub(crate) dry_run: bool,

    /// Resolve for the environment of this Python interpreter
    #[arg(long, value_name = "PATH")]
    pub(crate) python: Option<PathBuf>,

    /// Resolve for this Python version (3.X or 3.X.Y) instead of an interpreter's
    ///
    /// Without --python-platform the target is this machine's platform (on Linux, its own
    /// glibc or musl version). Sdists that must be built for their metadata are built with
    /// the interpreter pinion would find (the active or project venv, else python3).
    #[arg(long, value_name = "VERSION")]
    pub(crate) python_version: Option<String>,

    /// Resolve for this platform (linux, macos, windows, x86_64-manylinux_2_28, ...)
    ///
    /// As in uv: linux and x86_64-unknown-linux-gnu mean x86_64-manylinux_2_28,
    /// aarch64-unknown-linux-gnu means aarch64-manylinux_2_28, macos means arm64 macOS 13.0
    /// (or MACOSX_DEPLOYMENT_TARGET), windows means win_amd64. Without this option the target
    /// is this machine's platform.
    #[arg(long, value_name = "PLATFORM")]
    pub(crate) python_platform: Option<String>,

    /// Read defaults from this file's [tool.pinion] table (default: the nearest pyproject.toml)
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub(crate) config: Option<PathBuf>,

    /// Read no configuration file
    #[arg(long)]
    pub(crate) no_config: bool,

    #[command(flatten)]
    pub(crate) formats: FormatArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// Lockfiles to sync (default: requirements.txt)
    #[arg(value_name = "SRC_FILES")]
    pub(crate) src_files: Vec<PathBuf>,

    /// Show what would be done, change nothing
    #[arg(short = 'n', long)]
    pub(crate) dry_run: bool,

    /// Show what would be done and ask before doing it
    #[arg(short = 'a', long)]
    pub(crate) ask: bool,

    /// The Python of the virtualenv to sync (default: $VIRTUAL_ENV, ./.venv, ./venv)
    #[arg(long, alias = "python-executable", value_name = "PATH")]
    pub(crate) python: Option<PathBuf>,

    /// Allow syncing an interpreter that is not a virtualenv
    #[arg(long)]
    pub(crate) break_system_packages: bool,

    /// Byte-compile installed Python files
    #[arg(long)]
    pub(crate) compile: bool,

    #[command(flatten)]
    pub(crate) index: IndexArgs,

    #[command(flatten)]
    pub(crate) formats: FormatArgs,
}

/// Wheels or source distributions, as pip spells it; shared by compile and sync.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct FormatArgs {
    /// Use only wheels: never build a source distribution, a local project or a git checkout
    #[arg(long)]
    pub(crate) no_build: bool,

    /// Use only wheels for these packages (:all:, :none: or comma-separated names)
    #[arg(long, value_name = "PACKAGES")]
    pub(crate) only_binary: Vec<String>,

    /// Build these packages from their source distributions (:all:, :none: or comma-separated names)
    #[arg(long, value_name = "PACKAGES")]
    pub(crate) no_binary: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Lockfiles to check (default: requirements.txt)
    #[arg(value_name = "LOCKFILES")]
    pub(crate) lockfiles: Vec<PathBuf>,

    /// Location of the cache directory (for the metadata of the pins)
    #[arg(long, value_name = "DIR", env = "PINION_CACHE_DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
}
