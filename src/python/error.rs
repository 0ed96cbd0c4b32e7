use std::path::PathBuf;

use miette::Diagnostic;

/// Why pinion could not find, probe or describe a Python environment.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub(crate) enum PythonError {
    /// `--python` names a path that does not exist and no executable of that name is on `PATH`.
    #[error("no Python interpreter at `{}`", path.display())]
    #[diagnostic(
        code(pinion::python::not_found),
        help("pass the path of a Python executable or of a virtual environment")
    )]
    NotFound { path: PathBuf },

    /// A directory was named as an environment but holds no Python executable.
    #[error("`{}` is not a virtual environment: it has no `{}`", path.display(), expected.display())]
    #[diagnostic(
        code(pinion::python::not_a_venv),
        help("create it with `python3 -m venv {}`, or pass the interpreter's path", path.display())
    )]
    NotAVenv { path: PathBuf, expected: PathBuf },

    /// Nothing explicit, no active or local venv, and no Python on `PATH`.
    #[error("no Python interpreter found: no `$VIRTUAL_ENV`, no `.venv` or `venv` in `{}`, and neither `python3` nor `python` on `PATH`", cwd.display())]
    #[diagnostic(
        code(pinion::python::no_interpreter),
        help("pass `--python PATH`, or `--python-version 3.X` to resolve without an interpreter")
    )]
    NoInterpreter { cwd: PathBuf },

    /// The interpreter could not be started.
    #[error("cannot run the Python interpreter `{}`", executable.display())]
    #[diagnostic(code(pinion::python::spawn))]
    Spawn {
        executable: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The interpreter ran the probe script and failed.
    #[error("the Python interpreter `{}` failed to describe itself ({status})", executable.display())]
    #[diagnostic(code(pinion::python::probe_failed))]
    ProbeFailed {
        executable: PathBuf,
        status: String,
        #[help]
        stderr: Option<String>,
    },

    /// The probe script printed something that is not the expected JSON.
    #[error("the Python interpreter `{}` printed an unreadable description of itself", executable.display())]
    #[diagnostic(code(pinion::python::probe_output))]
    ProbeOutput {
        executable: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    /// The interpreter reported marker values that are not valid PEP 440 versions.
    #[error("the Python interpreter `{}` reported an invalid version", executable.display())]
    #[diagnostic(code(pinion::python::invalid_markers))]
    InvalidMarkers {
        executable: PathBuf,
        #[source]
        source: pep440_rs::VersionParseError,
    },

    /// The interpreter is older than what pinion supports.
    #[error("the Python interpreter `{}` is Python {version}; pinion needs Python 3.7 or newer", executable.display())]
    #[diagnostic(code(pinion::python::unsupported))]
    Unsupported {
        executable: PathBuf,
        version: String,
    },

    /// `--python-version` is not of the form `3.X` or `3.X.Y`.
    #[error("invalid Python version `{value}`: expected `3.X` or `3.X.Y`, e.g. `3.12` or `3.12.1`")]
    #[diagnostic(code(pinion::python::invalid_version))]
    InvalidVersion { value: String },

    /// `--python-platform` is not one of the spellings pinion (and uv) accept.
    #[error("unknown Python platform `{value}`")]
    #[diagnostic(code(pinion::python::unknown_platform), help("{accepted}"))]
    UnknownPlatform { value: String, accepted: String },
}
