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
    /// Show every path from an input line to a pin, offline
    Why(WhyArgs),
    /// Show the dependency graph of a lockfile, from its input lines, offline
    Tree(TreeArgs),
    /// List what changed between two lockfiles, one line per package
    Diff(DiffArgs),
}

/// Verbosity, progress and colour, shared by every command.
#[derive(Debug, Args)]
#[command(next_help_heading = "Terminal")]
pub(crate) struct OutputArgs {
    /// Show less output
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// Show more output: -v what was decided, -vv also every request
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,

    /// Colour on the terminal: auto (a terminal without NO_COLOR), always, never; a bare
    /// `--color` is pip-tools' `always`
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        num_args = 0..=1,
        default_missing_value = "always",
        require_equals = false
    )]
    pub(crate) color: Option<ColorChoice>,

    /// Never colour (pip-tools' spelling of `--color never`)
    #[arg(long, global = true, conflicts_with = "color")]
    pub(crate) no_color: bool,

    /// Hide the spinner and progress bars (they are only ever shown on a terminal)
    #[arg(long, global = true)]
    pub(crate) no_progress: bool,
}

/// `--color WHEN`, as uv spells it.
#[derive(Debug, ValueEnum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColorChoice {
    // Colour when stderr is a terminal and NO_COLOR is not set
    Auto,
    // Always colour
    Always,
    // Never colour
    Never,
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

    /// Path to a PEM bundle of certificate authorities, instead of the system's
    #[arg(long, value_name = "PATH")]
    pub(crate) cert: Option<PathBuf>,

    /// Path to a PEM file holding a client certificate and its private key
    #[arg(long, value_name = "PATH")]
    pub(crate) client_cert: Option<PathBuf>,

    /// Trust this host (HOST or HOST:PORT) without a valid certificate; may be repeated
    #[arg(long, value_name = "HOST")]
    pub(crate) trusted_host: Vec<String>,

    /// Ask a keyring for index passwords: `subprocess` runs `keyring get URL USERNAME`
    #[arg(long, value_enum, value_name = "PROVIDER")]
    pub(crate) keyring_provider: Option<KeyringProvider>,
}

/// pip's and uv's `--keyring-provider` values that pinion has. (Plain comments on the
/// variants: documented values would switch every `--help` to the long layout.)
#[derive(Debug, ValueEnum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyringProvider {
    // Never ask a keyring.
    Disabled,
    // Run the `keyring` command found on PATH.
    Subprocess,
}

/// `--newline`, as pip-compile spells it.
#[derive(Debug, ValueEnum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Newline {
    // `\n`
    Lf,
    // `\r\n`
    Crlf,
    // This system's: `\r\n` on Windows, `\n` elsewhere
    Native,
    // The existing output file's (else the first input's; else `\n`)
    Preserve,
}

/// `--format`: the lockfile format compile writes.
#[derive(Debug, ValueEnum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputFormat {
    // pip-compile's requirements.txt
    #[value(name = "requirements.txt")]
    RequirementsTxt,
    // PEP 751's standard lockfile
    #[value(name = "pylock.toml")]
    PylockToml,
}

/// pip-compile's `--resolver`: pinion has one resolver, a backtracking one.
#[derive(Debug, ValueEnum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolver {
    Backtracking,
    Legacy,
}

/// uv's `--resolution`: which end of the allowed versions is tried first.
#[derive(Debug, ValueEnum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolution {
    /// The newest allowed release (the default)
    Highest,
    /// The oldest allowed release of every package
    Lowest,
    /// The oldest allowed release of direct requirements, the newest of the rest
    LowestDirect,
}

/// pip-compile's `--build-deps-for`.
#[derive(Debug, ValueEnum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BuildTarget {
    Editable,
    Sdist,
    Wheel,
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

    // ---- Inputs ----
    /// Constrain versions using the given constraints file; may be repeated
    #[arg(short = 'c', long, value_name = "FILENAME", help_heading = "Inputs")]
    pub(crate) constraint: Vec<PathBuf>,

    /// Name of an extra to install from a pyproject.toml input; may be repeated
    #[arg(long, value_name = "EXTRA", help_heading = "Inputs")]
    pub(crate) extra: Vec<String>,

    /// Install all extras of a pyproject.toml input
    #[arg(long, conflicts_with = "extra", help_heading = "Inputs")]
    pub(crate) all_extras: bool,

    /// Name of a PEP 735 dependency group of a pyproject.toml input; may be repeated
    #[arg(long, value_name = "GROUP", help_heading = "Inputs")]
    pub(crate) group: Vec<String>,

    /// Also pin the project inputs' build requirements for this build target: build-system.requires
    /// and what the backend's get_requires_for_build_TARGET returns; may be repeated
    #[arg(long, value_enum, value_name = "TARGET", help_heading = "Inputs")]
    pub(crate) build_deps_for: Vec<BuildTarget>,

    /// Also pin the project inputs' build requirements for every build target
    #[arg(long, help_heading = "Inputs")]
    pub(crate) all_build_deps: bool,

    /// Pin only the build requirements (of --build-deps-for or --all-build-deps), not the
    /// project's own dependencies
    #[arg(long, help_heading = "Inputs")]
    pub(crate) only_build_deps: bool,

    /// Replace every requirement on a package named in this requirements file, wherever it
    /// appears in the graph (uv's --overrides); may be repeated
    ///
    /// An override line with a marker applies where the marker holds. Like a constraint, an
    /// override never adds a package that nothing requires.
    #[arg(long = "override", value_name = "FILENAME", help_heading = "Inputs")]
    pub(crate) overrides: Vec<PathBuf>,

    /// Leave this package, and what only it needs, out of the lockfile; may be repeated
    #[arg(long, value_name = "NAME", help_heading = "Inputs")]
    pub(crate) exclude: Vec<String>,

    /// Read settings from this TOML file: its [tool.pinion] or [tool.pip-tools] table
    /// (default: .pip-tools.toml or pyproject.toml beside the inputs)
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "no_config",
        help_heading = "Inputs"
    )]
    pub(crate) config: Option<PathBuf>,

    /// Read no configuration file
    #[arg(long, help_heading = "Inputs")]
    pub(crate) no_config: bool,

    // ---- Resolution ----
    /// Try to upgrade all dependencies to their latest versions
    #[arg(
        short = 'U',
        long,
        overrides_with = "no_upgrade",
        help_heading = "Resolution"
    )]
    pub(crate) upgrade: bool,

    /// Keep the existing pins (the default)
    #[arg(long, help_heading = "Resolution")]
    pub(crate) no_upgrade: bool,

    /// Specify a particular package to upgrade (NAME or NAME==VERSION); may be repeated
    #[arg(short = 'P', long, value_name = "PACKAGE", help_heading = "Resolution")]
    pub(crate) upgrade_package: Vec<String>,

    /// Allow resolving to pre-releases
    #[arg(short = 'p', long, help_heading = "Resolution")]
    pub(crate) pre: bool,

    /// Resolve for the environment of this Python interpreter (the header records its version)
    #[arg(long, value_name = "PATH", help_heading = "Resolution")]
    pub(crate) python: Option<PathBuf>,

    /// Resolve for this Python version (3.X or 3.X.Y) instead of an interpreter's
    ///
    /// Without --python-platform the target is this machine's platform (on Linux, its own
    /// glibc or musl version). Sdists that must be built for their metadata are built with
    /// the interpreter pinion would find (the active or project venv, else python3).
    #[arg(long, value_name = "VERSION", help_heading = "Resolution")]
    pub(crate) python_version: Option<String>,

    /// Resolve for this platform (linux, macos, windows, x86_64-manylinux_2_28, ...)
    ///
    /// As in uv: linux and x86_64-unknown-linux-gnu mean x86_64-manylinux_2_28,
    /// aarch64-unknown-linux-gnu means aarch64-manylinux_2_28, macos means arm64 macOS 13.0
    /// (or MACOSX_DEPLOYMENT_TARGET), windows means win_amd64. Without this option the target
    /// is this machine's platform.
    #[arg(long, value_name = "PLATFORM", help_heading = "Resolution")]
    pub(crate) python_platform: Option<String>,

    /// Resolve for every platform and every Python version from the lowest one up at once
    ///
    /// The lowest Python is --python-version when given, else the requires-python of a
    /// pyproject.toml input, else the interpreter's minor version. Pins carry PEP 508 markers,
    /// and one package may be pinned twice under disjoint markers (uv's --universal).
    #[arg(long, help_heading = "Resolution")]
    pub(crate) universal: bool,

    /// With --universal: resolve only for the environments this marker describes; may be
    /// repeated (uv's `environments`)
    #[arg(
        long = "environment",
        value_name = "MARKER",
        help_heading = "Resolution"
    )]
    pub(crate) environment: Vec<String>,

    /// With --universal: fail when a pinned release has no file usable in the environments this
    /// marker describes; may be repeated (uv's `required-environments`)
    #[arg(
        long = "required-environment",
        value_name = "MARKER",
        help_heading = "Resolution"
    )]
    pub(crate) required_environment: Vec<String>,

    /// Leave out files uploaded at or after this time (a cooldown): an RFC 3339 timestamp, a
    /// date (through its end, UTC), or a duration before now (`7 days`, `P7D`)
    ///
    /// Judged on each file's upload time (PEP 700), which only an index's JSON API gives. The
    /// header records a duration as the time it stood for, so `compile --check` resolves with
    /// the same cutoff later.
    #[arg(
        long,
        value_name = "DATE|DURATION",
        conflicts_with = "uploaded_prior_to",
        help_heading = "Resolution"
    )]
    pub(crate) exclude_newer: Option<String>,

    /// --exclude-newer for one package: NAME=DATE|DURATION; may be repeated
    #[arg(long, value_name = "NAME=DATE|DURATION", help_heading = "Resolution")]
    pub(crate) exclude_newer_package: Vec<String>,

    /// pip's name for --exclude-newer
    #[arg(long, value_name = "DATE|DURATION", help_heading = "Resolution")]
    pub(crate) uploaded_prior_to: Option<String>,

    /// Which versions to try first: highest, lowest, or lowest-direct (lowest for direct
    /// requirements, highest for the rest)
    #[arg(long, value_enum, value_name = "STRATEGY", help_heading = "Resolution")]
    pub(crate) resolution: Option<Resolution>,

    /// Accepted for pip-compile; pinion's resolver always backtracks (PubGrub)
    #[arg(long, value_enum, value_name = "RESOLVER", help_heading = "Resolution")]
    pub(crate) resolver: Option<Resolver>,

    /// Accepted for pip-compile; pinion's resolver has no rounds
    #[arg(long, value_name = "N", help_heading = "Resolution")]
    pub(crate) max_rounds: Option<u32>,

    // ---- Index and cache (flattened IndexArgs, plus compile's own) ----
    #[command(flatten, next_help_heading = "Index and cache")]
    pub(crate) index: IndexArgs,

    /// Clear the cache's view of the index upfront: revalidate every page and file
    #[arg(short = 'r', long, help_heading = "Index and cache")]
    pub(crate) rebuild: bool,

    /// pip options as one string (`--pip-args "--no-binary=:all: -i URL"`); pinion maps the
    /// ones it understands and rejects the rest by name
    #[arg(
        long,
        value_name = "ARGS",
        allow_hyphen_values = true,
        help_heading = "Index and cache"
    )]
    pub(crate) pip_args: Option<String>,

    #[command(flatten, next_help_heading = "Builds")]
    pub(crate) formats: FormatArgs,

    // ---- Output file ----
    /// Output file name (default: the input's name with .txt; - for standard output)
    #[arg(
        short = 'o',
        long,
        value_name = "FILENAME",
        help_heading = "Output file"
    )]
    pub(crate) output_file: Option<PathBuf>,

    /// Write nothing: exit 1 with a diff when the output file is missing or would change
    #[arg(long, conflicts_with = "dry_run", help_heading = "Output file")]
    pub(crate) check: bool,

    /// Print the result, write nothing
    #[arg(short = 'n', long, help_heading = "Output file")]
    pub(crate) dry_run: bool,

    /// Generate pip 8 style hashes in the resulting requirements file
    #[arg(
        long,
        overrides_with = "no_generate_hashes",
        help_heading = "Lockfile contents"
    )]
    pub(crate) generate_hashes: bool,

    /// Do not generate hashes (overrides the configuration)
    #[arg(long, hide = true)]
    pub(crate) no_generate_hashes: bool,

    /// Accepted for pip-compile; pinion reads hashes from the index or its cache
    #[arg(
        long,
        overrides_with = "no_reuse_hashes",
        help_heading = "Lockfile contents"
    )]
    pub(crate) reuse_hashes: bool,

    /// Accepted for pip-compile (see --reuse-hashes)
    #[arg(long, help_heading = "Lockfile contents")]
    pub(crate) no_reuse_hashes: bool,

    /// Pin packages considered unsafe in a requirements file: pip, setuptools, wheel
    #[arg(
        long,
        overrides_with = "no_allow_unsafe",
        help_heading = "Lockfile contents"
    )]
    pub(crate) allow_unsafe: bool,

    /// Write unsafe packages commented out (the default)
    #[arg(long, help_heading = "Lockfile contents")]
    pub(crate) no_allow_unsafe: bool,

    /// Consider this package unsafe; may be repeated; replaces the default list
    #[arg(long, value_name = "PACKAGE", help_heading = "Lockfile contents")]
    pub(crate) unsafe_package: Vec<String>,

    /// Leave this package out of the output file (its dependencies stay); may be repeated
    #[arg(long, value_name = "PACKAGE", help_heading = "Lockfile contents")]
    pub(crate) no_emit_package: Vec<String>,

    /// Leave extras out of the pins in the output file
    #[arg(
        long,
        overrides_with = "no_strip_extras",
        help_heading = "Lockfile contents"
    )]
    pub(crate) strip_extras: bool,

    /// Keep extras in the pins (the default)
    #[arg(long, help_heading = "Lockfile contents")]
    pub(crate) no_strip_extras: bool,

    /// Write the environment markers under which each pin is needed (uv)
    #[arg(long, help_heading = "Lockfile contents")]
    pub(crate) no_strip_markers: bool,

    /// Write `# via` annotations (the default)
    #[arg(
        long,
        overrides_with = "no_annotate",
        help_heading = "Lockfile contents"
    )]
    pub(crate) annotate: bool,

    /// Leave the `# via` annotations out of the output file
    #[arg(long, help_heading = "Lockfile contents")]
    pub(crate) no_annotate: bool,

    /// How to write `# via` annotations [default: split]
    #[arg(long, value_enum, help_heading = "Lockfile contents")]
    pub(crate) annotation_style: Option<AnnotationStyle>,

    /// Write `# from INDEX` under each pin: the index it was found on
    #[arg(long, help_heading = "Lockfile contents")]
    pub(crate) emit_index_annotation: bool,

    /// Write the header (the default)
    #[arg(long, overrides_with = "no_header", help_heading = "Lockfile contents")]
    pub(crate) header: bool,

    /// Leave the header out of the output file
    #[arg(long, help_heading = "Lockfile contents")]
    pub(crate) no_header: bool,

    /// The command the header says to run again (also CUSTOM_COMPILE_COMMAND,
    /// UV_CUSTOM_COMPILE_COMMAND)
    #[arg(long, value_name = "COMMAND", help_heading = "Lockfile contents")]
    pub(crate) custom_compile_command: Option<String>,

    /// Line endings of the output file
    #[arg(long, value_enum, value_name = "NEWLINE", help_heading = "Output file")]
    pub(crate) newline: Option<Newline>,

    /// The lockfile format (default: pylock.toml for an output file named `pylock.toml` or
    /// `pylock.NAME.toml`, else requirements.txt)
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = "Output file")]
    pub(crate) format: Option<OutputFormat>,

    /// Write non-default `--index-url` and `--extra-index-url` lines (the default)
    #[arg(
        long,
        overrides_with = "no_emit_index_url",
        help_heading = "Lockfile contents"
    )]
    pub(crate) emit_index_url: bool,

    /// Leave `--index-url` and `--extra-index-url` out of the output file
    #[arg(long, help_heading = "Lockfile contents")]
    pub(crate) no_emit_index_url: bool,

    /// Write `--find-links` lines (the default)
    #[arg(
        long,
        overrides_with = "no_emit_find_links",
        help_heading = "Lockfile contents"
    )]
    pub(crate) emit_find_links: bool,

    /// Leave `--find-links` out of the output file
    #[arg(long, help_heading = "Lockfile contents")]
    pub(crate) no_emit_find_links: bool,

    /// Write `--trusted-host` lines (the default)
    #[arg(
        long,
        overrides_with = "no_emit_trusted_host",
        help_heading = "Lockfile contents"
    )]
    pub(crate) emit_trusted_host: bool,

    /// Leave `--trusted-host` out of the output file
    #[arg(long, help_heading = "Lockfile contents")]
    pub(crate) no_emit_trusted_host: bool,

    /// Write the option lines: index, find-links, trusted hosts, --no-binary/--only-binary
    /// (the default)
    #[arg(
        long,
        overrides_with = "no_emit_options",
        help_heading = "Lockfile contents"
    )]
    pub(crate) emit_options: bool,

    /// Write no option lines at all
    #[arg(long, help_heading = "Lockfile contents")]
    pub(crate) no_emit_options: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// Lockfiles to sync (default: requirements.txt)
    #[arg(value_name = "SRC_FILES")]
    pub(crate) src_files: Vec<PathBuf>,

    /// Show what would be done, change nothing; exit 1 when the venv differs from the lockfiles
    #[arg(short = 'n', long)]
    pub(crate) dry_run: bool,

    /// Sync even when the lockfiles pin nothing, removing every package
    #[arg(long)]
    pub(crate) allow_empty: bool,

    /// Show what would be done and ask before doing it
    #[arg(short = 'a', long)]
    pub(crate) ask: bool,

    /// Accepted for pip-sync; pinion installs exactly the lockfile's pins, which cannot conflict
    #[arg(long)]
    pub(crate) force: bool,

    /// The Python of the virtualenv to sync (default: $VIRTUAL_ENV, ./.venv, ./venv)
    #[arg(long, alias = "python-executable", value_name = "PATH")]
    pub(crate) python: Option<PathBuf>,

    /// Allow syncing an interpreter that is not a virtualenv
    #[arg(long)]
    pub(crate) break_system_packages: bool,

    /// Sync the interpreter's user site-packages (site.USER_BASE, as pip's --user), touching
    /// only the distributions installed there
    #[arg(long)]
    pub(crate) user: bool,

    /// Byte-compile installed Python files
    #[arg(long)]
    pub(crate) compile: bool,

    /// Read settings from this TOML file's [tool.pinion] or [tool.pip-tools] table
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub(crate) config: Option<PathBuf>,

    /// Read no configuration file
    #[arg(long)]
    pub(crate) no_config: bool,

    #[command(flatten, next_help_heading = "Index and cache")]
    pub(crate) index: IndexArgs,

    /// pip options as one string; pinion maps the ones it understands and rejects the rest
    #[arg(
        long,
        value_name = "ARGS",
        allow_hyphen_values = true,
        help_heading = "Index and cache"
    )]
    pub(crate) pip_args: Option<String>,

    #[command(flatten, next_help_heading = "Builds")]
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

    /// Build in an isolated environment (the default; pinion always does)
    #[arg(long, overrides_with = "no_build_isolation")]
    pub(crate) build_isolation: bool,

    /// Accepted for pip-tools; pinion still builds in an isolated environment holding the
    /// project's build requirements, which are resolved from the same index
    #[arg(long)]
    pub(crate) no_build_isolation: bool,
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

/// `why` and `tree` output.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub(crate) enum GraphFormat {
    /// Lines for people
    #[default]
    Text,
    /// One JSON document for tools
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct WhyArgs {
    /// The package whose pin to explain
    #[arg(value_name = "NAME")]
    pub(crate) package: String,

    /// The lockfile (default: requirements.txt)
    #[arg(value_name = "LOCKFILE")]
    pub(crate) lockfile: Option<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
    pub(crate) format: GraphFormat,

    /// Location of the cache directory (for the metadata of the pins)
    #[arg(long, value_name = "DIR", env = "PINION_CACHE_DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct TreeArgs {
    /// The lockfile (default: requirements.txt)
    #[arg(value_name = "LOCKFILE")]
    pub(crate) lockfile: Option<PathBuf>,

    /// Show each pin with what requires it, down to the input lines
    #[arg(long)]
    pub(crate) invert: bool,

    /// Show at most N levels below the top pins
    #[arg(long, value_name = "N")]
    pub(crate) depth: Option<usize>,

    /// Output format
    #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
    pub(crate) format: GraphFormat,

    /// Location of the cache directory (for the metadata of the pins)
    #[arg(long, value_name = "DIR", env = "PINION_CACHE_DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The lockfile before
    #[arg(value_name = "OLD")]
    pub(crate) old: PathBuf,

    /// The lockfile after
    #[arg(value_name = "NEW")]
    pub(crate) new: PathBuf,
}
