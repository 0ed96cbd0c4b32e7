//! The resolver's view of the index: version maps and metadata, fetched once each, in parallel,
//! on the async runtime while the solver runs on a blocking thread.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, PackageName, VersionOrUrl};
use pubgrub::Ranges;
use tokio::runtime::Handle;

use super::build_context::{BuildFailure, MetadataBuilder};
use super::candidates::{Candidates, Unusable, VersionMap};
use super::range::specifiers_range;
use super::rewrites::ResolutionStrategy;
use crate::index::{
    DistFile, FormatPolicy, IndexClient, IndexError, OnceMap, ProjectFiles, metadata_file,
};
use crate::metadata::{CoreMetadata, DistFilename};
use crate::python::Tags;

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
    Build(#[from] BuildFailure),
    /// Not a failure: the provider stopped pubgrub to start over with a better order (see
    /// `Provider::should_cancel`); never reaches the user.
    #[error("the resolution restarts with a new decision order")]
    Restart,
    /// Not a failure: a universal run stopped because its fork must split (see
    /// `Provider::request_split`); never reaches the user.
    #[error("the resolution forks")]
    Fork,
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

/// What the provider asks while pubgrub runs, from the solver's thread: the versions of a
/// package and the metadata of a release, waiting for them when needed, and hints to start on
/// them early. The index stands behind it in a resolution, a map in memory in the provider's
/// tests.
pub(crate) trait PackageFetcher: Send + Sync {
    /// Every release of `name`.
    fn versions(&self, name: &PackageName) -> FetchResult<Arc<VersionMap>>;

    /// The metadata of `name` `version`, or why that release cannot be used.
    fn metadata(&self, name: &PackageName, version: &Version) -> FetchResult<MetadataResult>;

    /// The versions already fetched, for the report; never waits.
    fn known_versions(&self, name: &PackageName) -> Option<Arc<VersionMap>>;

    /// Names this fetcher has heard of without asking the index again (the projects fetched in
    /// this run, and those the cache holds): candidates for "did you mean".
    fn known_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// Start on `name`'s versions without waiting.
    fn prefetch_versions(&self, _name: &PackageName) {}

    /// Start on the metadata of the release `candidates` picks once the versions are known.
    fn prefetch_metadata(&self, _name: &PackageName, _candidates: Candidates) {}
}

/// The fetcher of a real resolution: the index client, direct references, local projects, and
/// the builder for sdists whose metadata is not static.
pub(crate) struct IndexFetcher {
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
    builder: Option<Arc<dyn MetadataBuilder>>,
    versions: OnceMap<PackageName, Arc<VersionMap>, Arc<FetchError>>,
    metadata: OnceMap<(PackageName, Version), MetadataResult, Arc<FetchError>>,
    /// What to guess from when fetching ahead of the solver; unset: no lookahead.
    lookahead: OnceLock<Lookahead>,
    /// Packages whose likely release has been asked for, by the solver or by the lookahead:
    /// each is guessed at most once.
    followed: Mutex<HashSet<PackageName>>,
}

/// What the fetcher guesses from to fetch ahead of the solver. pubgrub asks for a package's
/// page only when it decides its parent, and for its metadata only when it decides the
/// package itself: one package at a time, so every round trip on the way (page, then range
/// requests for METADATA) lies on the critical path, and a slow one (a wheel whose central
/// directory needs a second range request) holds up every package decided after it. With a
/// lookahead, the metadata of a release is followed as soon as it arrives: the page of each
/// dependency it names, and the metadata of the release the solver will most likely choose,
/// and so on down, at the network's pace rather than the solver's. A wrong guess costs a
/// request, never a different answer: the solver asks again for what it decides.
#[derive(Debug, Default)]
pub(crate) struct Lookahead {
    /// The target's markers; None in a universal resolution, which follows every requirement
    /// that needs no extra.
    pub(crate) markers: Option<MarkerEnvironment>,
    /// The target Python: a release whose Requires-Python excludes it is not followed.
    pub(crate) python: Option<Version>,
    /// What the user's own requirements and constraints allow, intersected with each
    /// `Requires-Dist` (an exact pin of the user's is what the solver will choose).
    pub(crate) ranges: HashMap<PackageName, Ranges<Version>>,
    /// The existing lockfile's pins: tried first, as the solver does.
    pub(crate) preferences: HashMap<PackageName, Version>,
    /// `--pre`.
    pub(crate) prereleases: bool,
    pub(crate) strategy: ResolutionStrategy,
}

impl Lookahead {
    /// The release the solver would most likely choose for a requirement on `name` with `range`.
    fn candidates(&self, name: &PackageName, range: Ranges<Version>) -> Candidates {
        let direct = self.ranges.get(name);
        Candidates {
            range: direct.map_or(range.clone(), |direct| range.intersection(direct)),
            preferred: self.preferences.get(name).cloned(),
            prereleases: self.prereleases,
            exact_pins: Vec::new(),
            lowest_first: self.strategy.lowest_first(direct.is_some()),
        }
    }

    /// Whether the solver will need `requirement` (a guess in a universal resolution: every
    /// requirement an extra does not bring).
    fn follows(&self, requirement: &pep508_rs::Requirement<pep508_rs::VerbatimUrl>) -> bool {
        match &self.markers {
            Some(markers) => requirement.evaluate_markers(markers, &[]),
            None => !super::marker::decide_extras(&requirement.marker, &[]).is_false(),
        }
    }
}

impl IndexFetcher {
    pub(crate) fn new(
        client: Arc<IndexClient>,
        handle: Handle,
        tags: Tags,
        policies: Box<dyn FormatPolicies>,
        direct: HashMap<PackageName, DistFile>,
        sources: HashMap<PackageName, Arc<CoreMetadata>>,
        builder: Option<Arc<dyn MetadataBuilder>>,
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
            lookahead: OnceLock::new(),
            followed: Mutex::new(HashSet::new()),
        })
    }

    /// Fetch ahead of the solver from now on (see [`Lookahead`]), starting with the existing
    /// lockfile's pins: their pages and metadata are wanted whatever the solver decides first.
    pub(crate) fn look_ahead(self: &Arc<Self>, lookahead: Lookahead) {
        let pins: Vec<(PackageName, Version)> = lookahead
            .preferences
            .iter()
            .map(|(name, version)| (name.clone(), version.clone()))
            .collect();
        if self.lookahead.set(lookahead).is_err() {
            return;
        }
        for (name, version) in pins {
            if self.follow_once(&name) {
                self.speculate(name, Candidates::exactly(version));
            }
        }
    }

    /// True the first time `name` is followed (by the solver's prefetch or the lookahead).
    fn follow_once(&self, name: &PackageName) -> bool {
        self.followed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.clone())
    }

    /// Follow the requirements of `metadata` (of a release of `name`) ahead of the solver.
    fn follow(self: &Arc<Self>, name: &PackageName, metadata: &CoreMetadata) {
        let Some(lookahead) = self.lookahead.get() else {
            return;
        };
        for requirement in &metadata.requires_dist {
            if requirement.name == *name
                || self.direct.contains_key(&requirement.name)
                || self.sources.contains_key(&requirement.name)
                || !lookahead.follows(requirement)
                || !self.follow_once(&requirement.name)
            {
                continue;
            }
            let range = match &requirement.version_or_url {
                Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers_range(specifiers),
                _ => Ranges::full(),
            };
            let candidates = lookahead.candidates(&requirement.name, range);
            self.speculate(requirement.name.clone(), candidates);
        }
    }

    /// Fetch `name`'s page and the metadata of the release `candidates` picks, then follow it.
    fn speculate(self: &Arc<Self>, name: PackageName, candidates: Candidates) {
        let this = self.clone();
        self.handle.spawn(async move {
            let Ok(versions) = this.fetch_versions(&name).await else {
                return;
            };
            let Some(version) = candidates.pick(&versions) else {
                return;
            };
            let python = this.lookahead.get().and_then(|l| l.python.as_ref());
            if let (Some(python), Some(release)) = (python, versions.releases.get(&version))
                && !versions.requires_python(release).contains(python)
            {
                return;
            }
            if let Ok(MetadataResult::Found(metadata)) = this.fetch_metadata(&name, &version).await
            {
                this.follow(&name, &metadata);
            }
        });
    }

    pub(crate) async fn fetch_versions(&self, name: &PackageName) -> FetchResult<Arc<VersionMap>> {
        self.versions
            .get_or_try_init(name.clone(), || async {
                let policy = self.policies.policy(name);
                if let Some(metadata) = self.sources.get(name) {
                    let file = DistFile::source_tree(
                        name,
                        &metadata.version,
                        metadata.requires_python.clone(),
                    );
                    let project = Arc::new(ProjectFiles {
                        files: vec![file],
                        excluded: None,
                    });
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
                        excluded: None,
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
    }

    pub(crate) async fn fetch_metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> FetchResult<MetadataResult> {
        self.metadata
            .get_or_try_init((name.clone(), version.clone()), || async {
                if let Some(metadata) = self.sources.get(name) {
                    return Ok(MetadataResult::Found(metadata.clone()));
                }
                let versions = self.fetch_versions(name).await?;
                let Some(release) = versions.releases.get(version) else {
                    return Ok(MetadataResult::Unusable(Unusable::NotOnIndex));
                };
                let file = match versions.best(release) {
                    Ok(file) => file,
                    Err(reason) => return Ok(MetadataResult::Unusable(reason)),
                };
                // The sdist is what installs, but any wheel of the release says the same.
                let file = metadata_file(versions.files(release), file, self.policies.policy(name));
                let metadata = match file.dist() {
                    Some(DistFilename::Wheel(_)) | None => self.client.wheel_metadata(file).await,
                    Some(DistFilename::Sdist(_)) => {
                        let metadata = self.client.sdist_metadata(file).await;
                        if let Err(error) = &metadata
                            && let Some(reason) = invalid_metadata(error)
                        {
                            return Ok(MetadataResult::Unusable(Unusable::InvalidMetadata(reason)));
                        }
                        let metadata = metadata.map_err(shared)?;
                        if metadata.is_static() {
                            Ok(metadata)
                        } else {
                            let Some(builder) = &self.builder else {
                                // Never in silence: the report names it only when it mattered.
                                tracing::warn!(
                                    "skipping `{name}` {version}: its source distribution must be built for its metadata, and no build can run (no interpreter, or `--no-build`)"
                                );
                                return Ok(MetadataResult::Unusable(Unusable::NeedsBuild));
                            };
                            return self.build_metadata(&**builder, name, file).await;
                        }
                    }
                };
                match metadata {
                    Ok(metadata) => Ok(MetadataResult::Found(metadata)),
                    Err(error) => match invalid_metadata(&error) {
                        // Bad metadata makes one release unusable, never the whole run.
                        Some(reason) => {
                            tracing::debug!("`{name}` {version}: {reason}");
                            Ok(MetadataResult::Unusable(Unusable::InvalidMetadata(reason)))
                        }
                        None => Err(shared(error)),
                    },
                }
            })
            .await
    }

    /// PEP 643: an sdist whose PKG-INFO is older than 2.2 or marks its dependencies dynamic is
    /// built for its metadata, as pip does.
    async fn build_metadata(
        &self,
        builder: &dyn MetadataBuilder,
        name: &PackageName,
        file: &DistFile,
    ) -> FetchResult<MetadataResult> {
        let path = self.client.download(file).await.map_err(shared)?;
        let sha256 = self.client.file_sha256(file).await.map_err(shared)?;
        let package = format!("{name}=={}", file.version());
        let metadata = builder
            .metadata_from_sdist(&path, &sha256, &package)
            .await
            .map_err(shared)?;
        Ok(MetadataResult::Found(metadata))
    }
}

/// The reason when `error` is metadata that does not parse (which makes one release unusable),
/// None for every other failure (which stops the run).
fn invalid_metadata(error: &IndexError) -> Option<String> {
    match error {
        IndexError::Metadata { source, .. } => Some(source.to_string()),
        IndexError::Shared(inner) => invalid_metadata(inner),
        _ => None,
    }
}

/// The solver's side: answers from the maps when they are there, else waits on the runtime; the
/// prefetches run as tasks on it. A failure is not kept (the [`OnceMap`] rule): a prefetch that
/// failed before the solver asked is tried once more when it does.
impl PackageFetcher for Arc<IndexFetcher> {
    fn versions(&self, name: &PackageName) -> FetchResult<Arc<VersionMap>> {
        match self.versions.get(name) {
            Some(versions) => Ok(versions),
            None => self.handle.block_on(self.fetch_versions(name)),
        }
    }

    fn metadata(&self, name: &PackageName, version: &Version) -> FetchResult<MetadataResult> {
        match self.metadata.get(&(name.clone(), version.clone())) {
            Some(metadata) => Ok(metadata),
            None => {
                let result = self.handle.block_on(self.fetch_metadata(name, version));
                if let Ok(MetadataResult::Found(metadata)) = &result {
                    self.follow(name, metadata);
                }
                result
            }
        }
    }

    fn known_versions(&self, name: &PackageName) -> Option<Arc<VersionMap>> {
        self.versions.get(name)
    }

    fn known_names(&self) -> Vec<String> {
        let mut names = self.client.cached_names();
        names.extend(self.versions.keys().into_iter().map(|n| n.to_string()));
        names
    }

    fn prefetch_versions(&self, name: &PackageName) {
        if self.versions.get(name).is_some() {
            return;
        }
        let this = self.clone();
        let name = name.clone();
        self.handle.spawn(async move {
            let _ = this.fetch_versions(&name).await;
        });
    }

    fn prefetch_metadata(&self, name: &PackageName, candidates: Candidates) {
        // The solver's own guess: the lookahead need not guess this package again.
        self.follow_once(name);
        let this = self.clone();
        let name = name.clone();
        self.handle.spawn(async move {
            if let Ok(versions) = this.fetch_versions(&name).await
                && let Some(version) = candidates.pick(&versions)
                && let Ok(MetadataResult::Found(metadata)) =
                    this.fetch_metadata(&name, &version).await
            {
                this.follow(&name, &metadata);
            }
        });
    }
}
