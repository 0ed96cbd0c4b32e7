//! Byte-compiling installed files (`--compile`), with the environment's own interpreter.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use tracing::{debug, warn};

use super::InstallError;
use crate::python::Interpreter;

/// Run `python -m compileall -q` on `paths` (files or folders).
///
/// A file that does not compile (a Python 2 test file shipped in a wheel, say) is a warning,
/// not an error, as it is for pip; `compileall` exits with 1 then. Any other failure of the
/// interpreter is an error.
pub(crate) fn compile_bytecode(
    paths: &[PathBuf],
    interpreter: &Interpreter,
) -> Result<(), InstallError> {
    if paths.is_empty() {
        return Ok(());
    }
    let executable = &interpreter.executable;
    debug!(
        "byte-compiling {} paths with `{}`",
        paths.len(),
        executable.display()
    );
    // -I: ignore PYTHON* variables and the working directory; -j 0: one worker per CPU.
    let output = Command::new(executable)
        .args(["-I", "-m", "compileall", "-q", "-j", "0", "--"])
        .args(paths)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| InstallError::CompileSpawn {
            executable: executable.clone(),
            source,
        })?;
    let mut text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !stderr.trim().is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(stderr.trim());
    }
    match output.status.code() {
        Some(0) => Ok(()),
        Some(1) => {
            warn!("some files could not be byte-compiled:\n{text}");
            Ok(())
        }
        _ => Err(InstallError::CompileFailed {
            executable: executable.clone(),
            status: output.status.to_string(),
            output: (!text.is_empty()).then_some(text),
        }),
    }
}
