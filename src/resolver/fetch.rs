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
use crate::build::{BuildError, Builder};
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

/// Why the fetcher could not answer: the index failed, or a build it needed did.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum FetchError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Build(#[from] BuildError),
}

pub(crate) type FetchResult<T> = Result<T, Arc<FetchError>>;

/// Fetch errors are shared between the tasks that waited for one answer.
fn shared(error: impl Into<FetchError>) -> Arc<FetchError> {
    Arc::new(error.into())
}

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
    /// Local projects and git checkouts, with the metadata their build backend computed; each
    /// is one release standing for the source tree.
    sources: HashMap<PackageName, Arc<CoreMetadata>>,
    /// Builds the metadata of sdists whose PKG-INFO cannot be trusted; None when there is no
    /// interpreter to build with.
    builder: Option<Arc<Builder>>,
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
        sources: HashMap<PackageName, Arc<CoreMetadata>>,
        builder: Option<Arc<Builder>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            client,
            handle,
            tags: Arc::new(tags),
            policies,
            direct,
            sources,
            builder,
            versions: OnceMap::new(),
            metadata: OnceMap::new(),
        })
    }

    pub(crate) async fn versions(&self, name: &PackageName) -> FetchResult<Arc<VersionMap>> {
        let cell = self.versions.cell(name);
        cell.get_or_init(|| async {
            let policy = self.policies.policy(name);
            if let Some(metadata) = self.sources.get(name) {
                let file = DistFile::source_tree(
                    name,
                    &metadata.version,
                    metadata.requires_python.clone(),
                );
                let project = Arc::new(ProjectFiles { files: vec![file] });
                // The tree is built whatever the format policy says.
                let policy = FormatPolicy::default();
                return Ok(Arc::new(VersionMap::build(
                    project,
                    self.tags.clone(),
                    policy,
                )));
            }
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
            let project = self.client.project(name).await.map_err(shared)?;
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
            if let Some(metadata) = self.sources.get(name) {
                return Ok(MetadataResult::Found(metadata.clone()));
            }
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
                    let metadata = self.client.sdist_metadata(file).await.map_err(shared)?;
                    if metadata.is_static() {
                        Ok(metadata)
                    } else {
                        let Some(builder) = &self.builder else {
                            return Ok(MetadataResult::Unusable(Unusable::NeedsBuild));
                        };
                        return self.build_metadata(builder, name, file).await;
                    }
                }
            };
            metadata.map(MetadataResult::Found).map_err(shared)
        })
        .await
        .clone()
    }

    /// PEP 643: an sdist whose PKG-INFO is older than 2.2 or marks its dependencies dynamic is
    /// built for its metadata, as pip does.
    async fn build_metadata(
        &self,
        builder: &Builder,
        name: &PackageName,
        file: &DistFile,
    ) -> FetchResult<MetadataResult> {
        let path = self.client.download(file).await.map_err(shared)?;
        let sha256 = self.client.file_sha256(file).await.map_err(shared)?;
        let package = format!("{name}=={}", file.version());
        let metadata = builder
            .sdist_metadata(&path, &sha256, &package)
            .await
            .map_err(shared)?;
        Ok(MetadataResult::Found(metadata))
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
