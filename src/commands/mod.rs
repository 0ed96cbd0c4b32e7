//! The commands: orchestration only. Each asks the modules to do the work.

pub(crate) mod check;
pub(crate) mod compile;
pub(crate) mod sync;

use std::path::PathBuf;
use std::process::ExitCode;

use miette::Diagnostic;

use crate::index::IndexError;
use crate::lockfile::LockfileError;
use crate::python::PythonError;
use crate::requirements::{Origin, RequirementsError};
use crate::resolver::ResolveError;
use crate::settings::SettingsError;

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

    /// The pins of the lockfiles cannot be synced.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Pins(#[from] crate::lockfile::PinError),

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

    /// No wheel of a pinned release fits the venv.
    #[error("`{name}=={version}` (`{origin}`) has no wheel for this environment")]
    #[diagnostic(
        code(pinion::sync::no_wheel),
        help(
            "the release has no source distribution either, or `--no-build`/`--only-binary` forbids building it"
        )
    )]
    NoWheel {
        name: String,
        version: String,
        origin: Origin,
    },

    /// A downloaded file does not match the lockfile's hashes.
    #[error(
        "hash mismatch for `{name}` (`{origin}`): `{url}` has sha256 {actual}, the lockfile allows {expected}"
    )]
    #[diagnostic(
        code(pinion::sync::hash_mismatch),
        help("nothing was changed; if the index changed the file, recompile the lockfile")
    )]
    HashMismatch {
        name: String,
        origin: Origin,
        url: String,
        expected: String,
        actual: String,
    },

    /// A build (of an sdist, a local project or a git checkout) failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Build(#[from] crate::build::BuildError),

    /// A local project or git reference, and building is off (`--no-build`, or no interpreter).
    #[error("{what} must be built, and building is disabled (`{origin}`)")]
    #[diagnostic(
        code(pinion::build_disabled),
        help(
            "drop `--no-build`; compile also needs an interpreter to build with (`--python`, not `--python-version` alone)"
        )
    )]
    BuildDisabled { what: String, origin: Origin },

    /// `name @ path` where the project at `path` is another package.
    #[error("`{given}` (`{origin}`) points at a project named `{built}`")]
    #[diagnostic(
        code(pinion::name_mismatch),
        help("write the project's own name before `@`")
    )]
    NameMismatch {
        given: pep508_rs::PackageName,
        built: pep508_rs::PackageName,
        origin: Origin,
    },

    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(String),

    /// An input uses something pinion does not handle yet.
    #[error("{what} are not supported yet (`{origin}`)")]
    #[diagnostic(code(pinion::unsupported))]
    Unsupported { what: String, origin: Origin },

    /// `-P` with something that is not `NAME` or `NAME==VERSION`.
    #[error("invalid `--upgrade-package` value `{value}`: {reason}")]
    #[diagnostic(code(pinion::upgrade_package))]
    InvalidUpgradePackage { value: String, reason: String },

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

    /// `--extra`/`--group` with a requirements file.
    #[error("`--extra`, `--all-extras` and `--group` apply to project inputs, not to `{}`", .0.display())]
    #[diagnostic(
        code(pinion::compile::extras_need_project),
        help("compile pyproject.toml (or setup.cfg, setup.py) to select its extras and groups")
    )]
    ExtrasNeedProject(PathBuf),

    /// A project whose requirements only a build can tell.
    #[error("only a build of the project can tell the dependencies of `{}`, and building is off here", .0.display())]
    #[diagnostic(
        code(pinion::compile::project_needs_build),
        help(
            "drop `--no-build` (to build, compile needs an interpreter, not only `--python-version`), or list the dependencies statically in `[project] dependencies`"
        )
    )]
    ProjectNeedsBuild(PathBuf),

    /// pyproject.toml or a `--config` file cannot be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Pyproject(#[from] crate::pyproject::PyprojectError),

    /// `pinion check` found problems; each was printed.
    #[error("{count} problem{} in {}", if *.count == 1 { "" } else { "s" }, names(.files))]
    #[diagnostic(
        code(pinion::check::failed),
        help("recompile with `pinion compile` and commit the result")
    )]
    CheckFailed { count: usize, files: Vec<PathBuf> },

    /// `pinion check` cannot tell which inputs a lockfile was compiled from.
    #[error("cannot find the inputs of `{}`: {reason}", lockfile.display())]
    #[diagnostic(
        code(pinion::check::no_inputs),
        help(
            "compile it with `pinion compile`, whose header records the command, or put its `.in` file beside it"
        )
    )]
    NoInputs { lockfile: PathBuf, reason: String },
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
        .map_err(|e| CommandError::Runtime(e.to_string()))
}

impl CommandError {
    /// 1 when the user must act on the result, 2 for usage and input errors.
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Self::Resolve(_)
            | Self::Index(_)
            | Self::Lockfile(_)
            | Self::Runtime(_)
            | Self::Install(_)
            | Self::Build(_)
            | Self::BuildDisabled { .. }
            | Self::NoWheel { .. }
            | Self::HashMismatch { .. }
            | Self::Stale(_)
            | Self::CheckFailed { .. } => ExitCode::from(1),
            Self::Pins(_) | Self::NotAVirtualenv(_) => ExitCode::from(2),
            Self::Requirements(_)
            | Self::Python(_)
            | Self::Settings(_)
            | Self::Unsupported { .. }
            | Self::InvalidUpgradePackage { .. }
            | Self::NameMismatch { .. }
            | Self::OutputIsInput(_)
            | Self::CheckWithoutOutput
            | Self::ExtrasNeedProject(_)
            | Self::ProjectNeedsBuild(_)
            | Self::Pyproject(_)
            | Self::NoInputs { .. } => ExitCode::from(2),
        }
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
