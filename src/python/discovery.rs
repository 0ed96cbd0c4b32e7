//! Which interpreter a command works with, when the user does not say exactly.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use tracing::debug;

use super::PythonError;

/// What the search reads from the process environment; separate so tests can set it.
#[derive(Debug, Default)]
pub(super) struct SearchEnv {
    /// `$VIRTUAL_ENV`.
    pub(super) virtual_env: Option<PathBuf>,
    /// `$PATH`.
    pub(super) path: Option<OsString>,
}

impl SearchEnv {
    fn from_process() -> Self {
        SearchEnv {
            virtual_env: std::env::var_os("VIRTUAL_ENV")
                .filter(|value| !value.is_empty())
                .map(PathBuf::from),
            path: std::env::var_os("PATH"),
        }
    }
}

/// Find the interpreter, in pip-tools' and uv's order: the explicit `--python` (an executable,
/// a venv directory, or a name to look up on `PATH`), else the active venv (`$VIRTUAL_ENV`), else
/// `.venv` or `venv` in `cwd`, else `python3` and then `python` on `PATH`.
pub(crate) fn find_interpreter(
    explicit: Option<&Path>,
    cwd: &Path,
) -> Result<PathBuf, PythonError> {
    find_with(explicit, cwd, &SearchEnv::from_process())
}

pub(super) fn find_with(
    explicit: Option<&Path>,
    cwd: &Path,
    env: &SearchEnv,
) -> Result<PathBuf, PythonError> {
    if let Some(explicit) = explicit {
        return find_explicit(explicit, cwd, env);
    }
    if let Some(venv) = &env.virtual_env {
        debug!("using the active venv `{}`", venv.display());
        return venv_python(&cwd.join(venv));
    }
    for name in [".venv", "venv"] {
        let venv = cwd.join(name);
        if venv.is_dir()
            && let Ok(python) = venv_python(&venv)
        {
            debug!("using the venv `{}`", venv.display());
            return Ok(python);
        }
    }
    for name in ["python3", "python"] {
        if let Ok(python) = which::which_in(name, env.path.as_ref(), cwd) {
            debug!("using `{}` from `PATH`", python.display());
            return Ok(python);
        }
    }
    Err(PythonError::NoInterpreter {
        cwd: cwd.to_path_buf(),
    })
}

fn find_explicit(explicit: &Path, cwd: &Path, env: &SearchEnv) -> Result<PathBuf, PythonError> {
    let path = cwd.join(explicit);
    if path.is_dir() {
        return venv_python(&path);
    }
    if path.is_file() {
        return Ok(path);
    }
    // A bare name such as `python3.12`: look it up like a shell would.
    if explicit.components().count() == 1
        && let Ok(python) = which::which_in(explicit, env.path.as_ref(), cwd)
    {
        return Ok(python);
    }
    Err(PythonError::NotFound {
        path: explicit.to_path_buf(),
    })
}

/// The interpreter of a venv directory (PEP 405 layout).
fn venv_python(venv: &Path) -> Result<PathBuf, PythonError> {
    let candidates: &[&str] = if cfg!(windows) {
        &["Scripts/python.exe"]
    } else {
        &["bin/python", "bin/python3"]
    };
    candidates
        .iter()
        .map(|candidate| venv.join(candidate))
        .find(|python| python.is_file())
        .ok_or_else(|| PythonError::NotAVenv {
            path: venv.to_path_buf(),
            expected: PathBuf::from(candidates[0]),
        })
}
