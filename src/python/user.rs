//! pip's `--user` install scheme (`site.USER_BASE`, `site.USER_SITE`) of an interpreter, for
//! `pinion sync --user`. Asked of the interpreter each time and never cached: PYTHONUSERBASE
//! and HOME decide it, and they belong to the shell, not to the interpreter.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde::Deserialize;
use tracing::debug;

use super::PythonError;
use super::interpreter::{InstallScheme, Interpreter};

const USER_SITE_SCRIPT: &str = include_str!("user_site.py");

/// An interpreter's user scheme, as pip's `--user` sees it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct UserSite {
    /// `site.USER_BASE` (`~/.local`, or PYTHONUSERBASE).
    pub(crate) base: PathBuf,
    /// `site.USER_SITE`.
    pub(crate) site: PathBuf,
    /// Whether the interpreter sees the user site: false in a venv made without
    /// `--system-site-packages` (pip's `virtualenv_no_global`).
    pub(crate) visible: bool,
    /// Whether the interpreter's stdlib holds PEP 668's `EXTERNALLY-MANAGED` marker.
    pub(crate) externally_managed: bool,
    /// Where a `--user` install puts each kind of file.
    pub(crate) scheme: InstallScheme,
}

impl UserSite {
    /// Ask `interpreter` for its user scheme.
    pub(crate) fn probe(interpreter: &Interpreter) -> Result<Self, PythonError> {
        let executable = &interpreter.executable;
        debug!("asking `{}` for its user site", executable.display());
        let output = Command::new(executable)
            .args(["-B", "-c", USER_SITE_SCRIPT])
            .stdin(Stdio::null())
            .output()
            .map_err(|source| PythonError::Spawn {
                executable: executable.clone(),
                source,
            })?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
            return Err(PythonError::ProbeFailed {
                executable: executable.clone(),
                status: output.status.to_string(),
                stderr: (!stderr.is_empty()).then_some(stderr),
            });
        }
        serde_json::from_slice(&output.stdout).map_err(|source| PythonError::ProbeOutput {
            executable: executable.clone(),
            source,
        })
    }

    /// `interpreter` installing into this user scheme: its prefix (what an uninstall may touch,
    /// and what sync locks) is the user base, its scheme the user scheme.
    pub(crate) fn interpreter(&self, interpreter: &Interpreter) -> Interpreter {
        Interpreter {
            prefix: self.base.clone(),
            scheme: self.scheme.clone(),
            ..interpreter.clone()
        }
    }

    /// The user site's folders, made as pip makes them on a first `--user` install.
    pub(crate) fn create_dirs(&self) -> std::io::Result<()> {
        for dir in [&self.scheme.purelib, &self.scheme.platlib] {
            fs_err::create_dir_all(dir)?;
        }
        Ok(())
    }
}
