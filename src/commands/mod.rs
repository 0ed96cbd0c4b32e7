//! The commands: orchestration only. Each asks the modules to do the work.

pub(crate) mod check;
pub(crate) mod compile;
pub(crate) mod diff;
pub(crate) mod offline;
pub(crate) mod sync;
pub(crate) mod why;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use miette::Diagnostic;

use crate::build::Builder;
use crate::cache::CacheSettings;
use crate::index::IndexClient;
use crate::index::IndexError;
use crate::lockfile::LockfileError;
use crate::python::Interpreter;
use crate::python::PythonError;
use crate::requirements::IndexOptions;
use crate::requirements::RequirementsError;
use crate::resolver::ResolveError;
use crate::settings::{BinaryPolicies, FormatSettings, IndexSettings, SettingsError};

/// Everything a command can fail with; `main` renders it and picks the exit code.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub(crate) enum CommandError {
    /// An input file could not be read or parsed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Requirements(#[from] RequirementsError),

    /// No interpreter, or a bad target description.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Python(#[from] PythonError),

    /// Index settings that cannot be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Settings(#[from] SettingsError),

    /// The package index failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Index(#[from] IndexError),

    /// No resolution, or the index failed during it.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Resolve(#[from] ResolveError),

    /// The lockfile could not be written.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Lockfile(#[from] LockfileError),

    /// A lockfile (a pylock.toml or a requirements file) cannot be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    LockedFile(#[from] crate::lockfile::ReadError),

    /// The pins of the lockfiles cannot be synced.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Pins(#[from] crate::lockfile::PinError),

    /// What a command reads as its inputs cannot be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Inputs(#[from] crate::inputs::InputsError),

    /// A wheel could not be made ready for a sync.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Prepare(#[from] crate::install::PrepareError),

    /// Installing or removing a distribution failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Install(#[from] crate::install::InstallError),

    /// sync would change an interpreter's own packages.
    #[error("`{}` is not a virtualenv; syncing it would change the system's packages", .0.display())]
    #[diagnostic(
        code(pinion::sync::not_a_venv),
        help("create one with `python3 -m venv .venv`, or pass `--break-system-packages`")
    )]
    NotAVirtualenv(PathBuf),

    /// `sync --user` with a venv that hides the user site; pip's own message.
    #[error(
        "Can not perform a '--user' install. User site-packages are not visible in this virtualenv."
    )]
    #[diagnostic(
        code(pinion::sync::user_site_not_visible),
        help(
            "`{}` is a virtualenv: sync it without `--user`, or pass `--python` with an interpreter outside it",
            .0.display()
        )
    )]
    UserSiteNotVisible(PathBuf),

    /// `sync --user` (or outside a venv) on a PEP 668 externally managed Python.
    #[error("`{}` is externally managed (PEP 668): its user site belongs to the system's package manager too", .0.display())]
    #[diagnostic(
        code(pinion::sync::externally_managed),
        help("use a virtualenv, or pass `--break-system-packages`")
    )]
    ExternallyManaged(PathBuf),

    /// `pinion why` names a package the lockfile does not pin (for its target).
    #[error("`{package}` is not pinned in `{}`", lockfile.display())]
    #[diagnostic(
        code(pinion::why::not_pinned),
        help(
            "`pinion tree` shows every pin; a pin whose markers do not hold for the lockfile's Python is left out"
        )
    )]
    NotPinned { package: String, lockfile: PathBuf },

    /// A universal lockfile's header records a universe that is not one (`--environment` that
    /// is not a marker, a `--python-version` that is not a version).
    #[error("the universe `{}` records is not valid: {reason}", lockfile.display())]
    #[diagnostic(
        code(pinion::check::universe),
        help("fix the `--python-version` and `--environment` values in its header command")
    )]
    BadUniverse { lockfile: PathBuf, reason: String },

    /// The async runtime could not start.
    #[error("cannot start the async runtime")]
    #[diagnostic(code(pinion::runtime))]
    Runtime(#[source] std::io::Error),

    /// `--ask` could not read the answer.
    #[error("cannot read the answer from standard input")]
    #[diagnostic(code(pinion::sync::prompt))]
    Prompt(#[source] std::io::Error),

    /// The output file is one of the inputs.
    #[error("the output file is the input file `{}`", .0.display())]
    #[diagnostic(
        code(pinion::output_is_input),
        help("name the lockfile with `-o`, or name the input `.in`")
    )]
    OutputIsInput(PathBuf),

    /// `compile --check`: lockfiles that are missing or would change.
    #[error("{} {} out of date", names(.0), if .0.len() == 1 { "is" } else { "are" })]
    #[diagnostic(
        code(pinion::compile::stale),
        help("run the same `pinion compile` without `--check` to update, and commit the result")
    )]
    Stale(Vec<PathBuf>),

    /// `compile --check` with no output file to compare with.
    #[error("`--check` needs an output file to compare with")]
    #[diagnostic(
        code(pinion::compile::check_without_output),
        help("name it with `-o FILE`")
    )]
    CheckWithoutOutput,

    /// `sync --dry-run` found changes to make.
    #[error("the environment differs from the lockfiles")]
    #[diagnostic(
        code(pinion::sync::pending),
        help("run `pinion sync` without `--dry-run` to apply the changes above")
    )]
    SyncPending,

    /// The lockfiles pin nothing, and syncing would remove everything installed.
    #[error("{} pin{} nothing; syncing would remove every installed package", names(.0), if .0.len() == 1 { "s" } else { "" })]
    #[diagnostic(
        code(pinion::sync::empty),
        help("pass `--allow-empty` if an empty environment is what you want")
    )]
    EmptyLockfile(Vec<PathBuf>),

    /// `pinion check` found problems; each was printed.
    #[error("{count} problem{} in {}", if *.count == 1 { "" } else { "s" }, names(.files))]
    #[diagnostic(
        code(pinion::check::failed),
        help("recompile with `pinion compile` and commit the result")
    )]
    CheckFailed { count: usize, files: Vec<PathBuf> },
}

/// A multi-threaded runtime that is shut down without waiting for its blocking threads: a DNS
/// lookup nobody needs any more (hyper runs getaddrinfo on one) can otherwise hold the exit for
/// the system resolver's 5 s timeout.
pub(crate) struct Runtime(Option<tokio::runtime::Runtime>);

impl std::ops::Deref for Runtime {
    type Target = tokio::runtime::Runtime;

    fn deref(&self) -> &Self::Target {
        self.0.as_ref().expect("taken only on drop")
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

pub(crate) fn runtime() -> Result<Runtime, CommandError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map(|runtime| Runtime(Some(runtime)))
        .map_err(CommandError::Runtime)
}

impl CommandError {
    /// 1 when the user must act on the result, 2 for usage and input errors.
    pub(crate) fn exit_code(&self) -> ExitCode {
        let input_error = match self {
            // Core metadata an index serves is input too: one that does not parse is exit 2.
            Self::Resolve(_) | Self::Index(_) => caused_by_bad_metadata(self),
            Self::Lockfile(_)
            | Self::Runtime(_)
            | Self::Prompt(_)
            | Self::Install(_)
            | Self::Stale(_)
            | Self::SyncPending
            | Self::NotPinned { .. }
            | Self::CheckFailed { .. } => false,
            Self::Inputs(err) => !err.is_failure(),
            Self::Prepare(err) => err.is_input_error(),
            Self::Pins(_)
            | Self::LockedFile(_)
            | Self::NotAVirtualenv(_)
            | Self::UserSiteNotVisible(_)
            | Self::ExternallyManaged(_)
            | Self::Requirements(_)
            | Self::Python(_)
            | Self::Settings(_)
            | Self::OutputIsInput(_)
            | Self::EmptyLockfile(_)
            | Self::CheckWithoutOutput
            | Self::BadUniverse { .. } => true,
        };
        ExitCode::from(if input_error { 2 } else { 1 })
    }
}

/// Whether invalid core metadata (from an index, an archive or a build) is among the causes of
/// `err`.
fn caused_by_bad_metadata(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(err) = cause {
        if err.is::<crate::metadata::MetadataError>() {
            return true;
        }
        cause = err.source();
    }
    false
}

/// The index client, the build frontend and the format policies of one lockfile's work, made
/// once by [`Services::connect`] for compile, sync and check alike.
pub(crate) struct Services {
    pub(crate) client: Arc<IndexClient>,
    /// None under `--no-build`, or without an interpreter to build with.
    pub(crate) builder: Option<Arc<Builder>>,
    /// `--only-binary`/`--no-binary` from the settings and the requirement files.
    pub(crate) policies: BinaryPolicies,
    /// The option lines a lockfile compiled with these services repeats.
    pub(crate) option_lines: crate::lockfile::OptionLines,
}

impl Services {
    /// `files` are the options the requirement files (or lockfiles) set; `interpreter` is the
    /// one builds run with and whose pip is asked for its default index.
    pub(crate) fn connect(
        index: &IndexSettings,
        files: &IndexOptions,
        cache: &CacheSettings,
        formats: &FormatSettings,
        interpreter: Option<&Interpreter>,
    ) -> Result<Self, CommandError> {
        let python = interpreter.map(|i| i.executable.as_path());
        // First: it asks pip (once, cached), whose answer also tells `resolve` which index is
        // pip's built-in default.
        let network = index.network(files, python, cache.dir.as_deref())?;
        let resolved = index.resolve(files, python, cache.dir.as_deref())?;
        let mut option_lines = resolved.lines;
        (option_lines.no_binary, option_lines.only_binary) =
            BinaryPolicies::lockfile_values(files, formats);
        let client = Arc::new(
            IndexClient::new(resolved.locations, cache.clone(), network)?
                .with_cooldown(index.cooldown.clone()),
        );
        let builder = interpreter
            .filter(|_| !formats.no_build)
            .map(|i| Arc::new(Builder::new(i.clone(), client.clone(), cache.dir.clone())));
        let policies = BinaryPolicies::new(files, formats)?;
        Ok(Self {
            client,
            builder,
            policies,
            option_lines,
        })
    }
}

/// `a.txt`, or `a.txt` and `b.txt`, in backticks.
fn names(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
    match names.as_slice() {
        [init @ .., last] if !init.is_empty() => format!("{} and {last}", init.join(", ")),
        _ => names.join(""),
    }
}
