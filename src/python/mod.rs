//! STUB until the python branch lands: interpreter discovery and target environments.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum PythonError {
    #[error("python stub")]
    Stub,
}

#[derive(Debug, Clone)]
pub(crate) struct Tags;

impl Tags {
    pub(crate) fn compatibility(
        &self,
        _python_tags: &[String],
        _abi_tags: &[String],
        _platform_tags: &[String],
    ) -> Option<u32> {
        Some(1)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Interpreter {
    pub(crate) executable: PathBuf,
}

impl Interpreter {
    pub(crate) fn probe(_executable: &Path, _cache: Option<&Path>) -> Result<Self, PythonError> {
        Err(PythonError::Stub)
    }
    pub(crate) fn target(&self) -> TargetEnvironment {
        unimplemented!()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct TargetEnvironment {
    pub(crate) markers: pep508_rs::MarkerEnvironment,
    pub(crate) tags: Tags,
    pub(crate) python_version: pep440_rs::Version,
    pub(crate) interpreter: Option<Interpreter>,
}

pub(crate) fn find_interpreter(_explicit: Option<&Path>, _cwd: &Path) -> Result<PathBuf, PythonError> {
    Err(PythonError::Stub)
}

pub(crate) fn target_from_version(
    _version: &str,
    _platform: Option<&str>,
    _base: Option<&TargetEnvironment>,
) -> Result<TargetEnvironment, PythonError> {
    Err(PythonError::Stub)
}
