//! STUB until the index branch lands: the package index client.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pep440_rs::VersionSpecifiers;
use pep508_rs::PackageName;
use url::Url;

use crate::metadata::{CoreMetadata, DistFilename};

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum IndexError {
    #[error("index stub")]
    Stub,
}

pub(crate) enum FindLinks {
    Dir(PathBuf),
    Url(Url),
}

pub(crate) struct IndexLocations {
    pub(crate) index_url: Option<Url>,
    pub(crate) extra_index_urls: Vec<Url>,
    pub(crate) find_links: Vec<FindLinks>,
}

pub(crate) enum Refresh {
    None,
    All,
    Revalidate,
    Packages(Vec<PackageName>),
}

pub(crate) struct CacheSettings {
    pub(crate) dir: Option<PathBuf>,
    pub(crate) refresh: Refresh,
    pub(crate) offline: bool,
    pub(crate) heuristic_freshness: Duration,
}

pub(crate) fn default_cache_dir() -> PathBuf {
    PathBuf::new()
}

#[derive(Debug, Clone)]
pub(crate) struct DistFile {
    pub(crate) filename: String,
    pub(crate) dist: DistFilename,
    pub(crate) url: Url,
    pub(crate) sha256: Option<String>,
    pub(crate) requires_python: Option<VersionSpecifiers>,
    pub(crate) yanked: Option<String>,
    pub(crate) core_metadata: Option<Option<String>>,
    pub(crate) size: Option<u64>,
    pub(crate) source: usize,
}

#[derive(Debug, Default)]
pub(crate) struct ProjectFiles {
    pub(crate) files: Vec<DistFile>,
}

pub(crate) struct IndexClient;

impl IndexClient {
    pub(crate) fn new(_l: IndexLocations, _c: CacheSettings) -> Result<Self, IndexError> {
        Err(IndexError::Stub)
    }
    pub(crate) async fn project(
        &self,
        _name: &PackageName,
    ) -> Result<Arc<ProjectFiles>, IndexError> {
        Err(IndexError::Stub)
    }
    pub(crate) async fn wheel_metadata(
        &self,
        _f: &DistFile,
    ) -> Result<Arc<CoreMetadata>, IndexError> {
        Err(IndexError::Stub)
    }
    pub(crate) async fn sdist_metadata(
        &self,
        _f: &DistFile,
    ) -> Result<Arc<CoreMetadata>, IndexError> {
        Err(IndexError::Stub)
    }
}
