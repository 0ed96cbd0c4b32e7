use std::path::{Path, PathBuf};

use miette::Diagnostic;

use crate::index::IndexError;
use crate::install::InstallError;
use crate::metadata::MetadataError;
use crate::resolver::ResolveError;

/// Why a build failed. `package` names the sdist, project directory or package being built.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub(crate) enum BuildError {
    /// A file or directory could not be read or written.
    #[error("cannot {action} `{}`", path.display())]
    #[diagnostic(code(pinion::build::io))]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// `pyproject.toml` does not parse or has a malformed `[build-system]` table.
    #[error("invalid `{}`: {reason}", path.display())]
    #[diagnostic(code(pinion::build::pyproject))]
    Pyproject { path: PathBuf, reason: String },

    /// The directory holds no Python project.
    #[error("`{}` is not a Python project: it has no `pyproject.toml`, `setup.py` or `setup.cfg`", .0.display())]
    #[diagnostic(code(pinion::build::not_a_project))]
    NotAProject(PathBuf),

    /// The build environment's venv could not be made.
    #[error("cannot create a build environment with `{}`:\n{output}", python.display())]
    #[diagnostic(code(pinion::build::venv))]
    Venv { python: PathBuf, output: String },

    /// The build requirements do not resolve.
    #[error("cannot resolve the build requirements of `{package}`")]
    #[diagnostic(
        code(pinion::build::requirements),
        help("build requirements (`build-system.requires`) are installed from wheels only")
    )]
    Requirements {
        package: String,
        #[source]
        source: Box<ResolveError>,
    },

    /// A build requirement could not be downloaded.
    #[error("cannot download the build requirements of `{package}`")]
    #[diagnostic(code(pinion::build::download))]
    Download {
        package: String,
        #[source]
        source: IndexError,
    },

    /// A build requirement has no wheel for the interpreter (build requirements are never built).
    #[error(
        "the build requirement `{requirement}` of `{package}` has no wheel for this interpreter"
    )]
    #[diagnostic(code(pinion::build::no_wheel))]
    RequirementWheel {
        package: String,
        requirement: String,
    },

    /// A build requirement could not be installed into the build environment.
    #[error("cannot install the build requirements of `{package}`")]
    #[diagnostic(code(pinion::build::install))]
    Install {
        package: String,
        #[source]
        source: InstallError,
    },

    /// The build backend failed; its whole output is shown.
    #[error(
        "failed to build `{package}`: the backend `{backend}` failed in `{hook}` ({status})\n\n{output}"
    )]
    #[diagnostic(
        code(pinion::build::backend),
        help("the output above is the build backend's; nothing was changed")
    )]
    Backend {
        package: String,
        backend: String,
        hook: &'static str,
        status: String,
        output: String,
    },

    /// The backend lacks a mandatory hook; for `build_editable`, it predates PEP 660.
    #[error("the build backend `{backend}` of `{package}` has no `{hook}` hook")]
    #[diagnostic(
        code(pinion::build::missing_hook),
        help(
            "an editable install needs a backend that supports PEP 660 (setuptools 64 or later, hatchling, flit-core 3.4 or later, ...)"
        )
    )]
    MissingHook {
        package: String,
        backend: String,
        hook: &'static str,
    },

    /// The backend said it built a wheel but named none.
    #[error("the build backend of `{package}` returned no wheel from `{hook}`")]
    #[diagnostic(code(pinion::build::no_output))]
    NoWheel { package: String, hook: &'static str },

    /// Built metadata that does not parse.
    #[error("the metadata built for `{package}` is invalid")]
    #[diagnostic(code(pinion::build::metadata))]
    Metadata {
        package: String,
        #[source]
        source: MetadataError,
    },

    /// An sdist or wheel that cannot be read.
    #[error("cannot read the archive `{}`: {reason}", path.display())]
    #[diagnostic(code(pinion::build::archive))]
    Archive { path: PathBuf, reason: String },

    /// A git command failed.
    #[error("`git {command}` failed for `{url}`:\n{output}")]
    #[diagnostic(
        code(pinion::build::git),
        help("pinion clones with the `git` on the PATH; check the URL and the reference")
    )]
    Git {
        url: String,
        command: String,
        output: String,
    },

    /// A background task stopped unexpectedly.
    #[error("a build task stopped unexpectedly: {0}")]
    Internal(String),
}

impl BuildError {
    pub(crate) fn io(
        action: &'static str,
        path: impl AsRef<Path>,
    ) -> impl FnOnce(std::io::Error) -> BuildError {
        let path = path.as_ref().to_path_buf();
        move |source| BuildError::Io {
            action,
            path,
            source,
        }
    }
}

/// `name @ path` (or `#egg=name`) where the project built from `path` is another package.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("`{given}` (`{origin}`) points at a project named `{built}`")]
#[diagnostic(
    code(pinion::name_mismatch),
    help("write the project's own name before `@`")
)]
pub(crate) struct NameMismatch {
    pub(crate) given: pep508_rs::PackageName,
    pub(crate) built: pep508_rs::PackageName,
    pub(crate) origin: crate::requirements::Origin,
}

impl NameMismatch {
    /// An error when the input named the project (`given`) and its metadata says otherwise.
    pub(crate) fn check(
        given: Option<&pep508_rs::PackageName>,
        built: &pep508_rs::PackageName,
        origin: &crate::requirements::Origin,
    ) -> Result<(), Self> {
        match given {
            Some(given) if given != built => Err(Self {
                given: given.clone(),
                built: built.clone(),
                origin: origin.clone(),
            }),
            _ => Ok(()),
        }
    }
}

/// Something must be built (a local project, a git checkout, an sdist) and building is off.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{what} must be built, and building is disabled (`{origin}`)")]
#[diagnostic(code(pinion::build_disabled))]
pub(crate) struct BuildDisabled {
    pub(crate) what: String,
    pub(crate) origin: crate::requirements::Origin,
    /// What turns building on here.
    #[help]
    pub(crate) hint: &'static str,
}
