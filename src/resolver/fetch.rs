//! The resolver's view of the index: version maps and metadata, fetched once each, in parallel,
//! on the async runtime while the solver runs on a blocking thread.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use pep440_rs::Version;
use pep508_rs::PackageName;
use tokio::runtime::Handle;
use tokio::sync::OnceCell;

use super::candidates::{FormatPolicy, Unusable, VersionMap};
use crate::index::{DistFile, IndexClient, IndexError, ProjectFiles};
use crate::metadata::{CoreMetadata, DistFilename};
use crate::python::Tags;

/// A map whose values are computed once: the first asker computes, the others wait for it.
struct OnceMap<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> OnceMap<K, V> {
    fn new() -> Self {
        Self {
            cells: Mutex::new(HashMap::new()),
        }
    }

    fn cell(&self, key: &K) -> Arc<OnceCell<V>> {
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        cells.entry(key.clone()).or_default().clone()
    }

    fn get(&self, key: &K) -> Option<V> {
        let cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        cells.get(key).and_then(|cell| cell.get().cloned())
    }
}

/// What the resolver gets when metadata is asked for.
#[derive(Debug, Clone)]
pub(crate) enum MetadataResult {
    Found(Arc<CoreMetadata>),
    Unusable(Unusable),
}

pub(crate) type FetchResult<T> = Result<T, Arc<IndexError>>;

/// Policy for choosing files, per package.
pub(crate) trait FormatPolicies: Send + Sync {
    fn policy(&self, name: &PackageName) -> FormatPolicy;
}

pub(crate) struct Fetcher {
    client: Arc<IndexClient>,
    handle: Handle,
    tags: Arc<Tags>,
    policies: Box<dyn FormatPolicies>,
    /// Packages pinned to one file by a direct reference (`name @ url`).
    direct: HashMap<PackageName, DistFile>,
    versions: OnceMap<PackageName, FetchResult<Arc<VersionMap>>>,
    metadata: OnceMap<(PackageName, Version), FetchResult<MetadataResult>>,
}

impl Fetcher {
    pub(crate) fn new(
        client: Arc<IndexClient>,
        handle: Handle,
        tags: Tags,
        policies: Box<dyn FormatPolicies>,
        direct: HashMap<PackageName, DistFile>,
    ) -> Arc<Self> {
        Arc::new(Self {
            client,
            handle,
            tags: Arc::new(tags),
            policies,
            direct,
            versions: OnceMap::new(),
            metadata: OnceMap::new(),
        })
    }

    pub(crate) async fn versions(&self, name: &PackageName) -> FetchResult<Arc<VersionMap>> {
        let cell = self.versions.cell(name);
        cell.get_or_init(|| async {
            let policy = self.policies.policy(name);
            if let Some(file) = self.direct.get(name) {
                let project = Arc::new(ProjectFiles {
                    files: vec![file.clone()],
                });
                return Ok(Arc::new(VersionMap::build(
                    project,
                    self.tags.clone(),
                    policy,
                )));
            }
            let project = self.client.project(name).await.map_err(Arc::new)?;
            Ok(Arc::new(VersionMap::build(
                project,
                self.tags.clone(),
                policy,
            )))
        })
        .await
        .clone()
    }

    pub(crate) async fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> FetchResult<MetadataResult> {
        let cell = self.metadata.cell(&(name.clone(), version.clone()));
        cell.get_or_init(|| async {
            let versions = self.versions(name).await?;
            let Some(release) = versions.releases.get(version) else {
                return Ok(MetadataResult::Unusable(Unusable::NoFiles));
            };
            let file = match versions.best(release) {
                Ok(file) => file,
                Err(reason) => return Ok(MetadataResult::Unusable(reason)),
            };
            let metadata = match file.dist() {
                Some(DistFilename::Wheel(_)) | None => self.client.wheel_metadata(file).await,
                Some(DistFilename::Sdist(_)) => {
                    let metadata = self.client.sdist_metadata(file).await.map_err(Arc::new)?;
                    if !metadata.is_static() {
                        return Ok(MetadataResult::Unusable(Unusable::NeedsBuild));
                    }
                    Ok(metadata)
                }
            };
            metadata.map(MetadataResult::Found).map_err(Arc::new)
        })
        .await
        .clone()
    }

    /// The version map, waiting for it when it is not there yet (called from the solver thread).
    pub(crate) fn versions_blocking(&self, name: &PackageName) -> FetchResult<Arc<VersionMap>> {
        self.versions
            .get(name)
            .unwrap_or_else(|| self.handle.block_on(self.versions(name)))
    }

    pub(crate) fn metadata_blocking(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> FetchResult<MetadataResult> {
        self.metadata
            .get(&(name.clone(), version.clone()))
            .unwrap_or_else(|| self.handle.block_on(self.metadata(name, version)))
    }

    /// Start fetching a project's versions without waiting.
    pub(crate) fn prefetch_versions(self: &Arc<Self>, name: &PackageName) {
        if self.versions.get(name).is_some() {
            return;
        }
        let this = self.clone();
        let name = name.clone();
        self.handle.spawn(async move {
            let _ = this.versions(&name).await;
        });
    }

    /// Start fetching the metadata of the release `pick` chooses once the versions are known.
    pub(crate) fn prefetch_metadata(
        self: &Arc<Self>,
        name: &PackageName,
        pick: impl FnOnce(&VersionMap) -> Option<Version> + Send + 'static,
    ) {
        let this = self.clone();
        let name = name.clone();
        self.handle.spawn(async move {
            if let Ok(versions) = this.versions(&name).await
                && let Some(version) = pick(&versions)
            {
                let _ = this.metadata(&name, &version).await;
            }
        });
    }

    /// The versions already fetched, for the report (never blocks).
    pub(crate) fn known_versions(&self, name: &PackageName) -> Option<Arc<VersionMap>> {
        self.versions.get(name).and_then(Result::ok)
    }
}
