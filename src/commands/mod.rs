//! The commands: orchestration only. Each asks the modules to do the work.

pub(crate) mod check;
pub(crate) mod compile;
pub(crate) mod sync;

use std::process::ExitCode;

use miette::Diagnostic;

use crate::requirements::RequirementsError;

/// Everything a command can fail with; `main` renders it and picks the exit code.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub(crate) enum CommandError {
    /// An input file could not be read or parsed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Requirements(#[from] RequirementsError),

    /// The command's work is not built yet; say so rather than pretend.
    #[error("`pinion {0}` is not supported yet")]
    #[diagnostic(code(pinion::not_supported))]
    NotSupported(&'static str),
}

impl CommandError {
    /// 1 when the user must act on the result, 2 for usage and input errors.
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Self::Requirements(_) | Self::NotSupported(_) => ExitCode::from(2),
        }
    }
}
