//! The PEP 517 build frontend: an isolated build environment per build (a fresh venv of the
//! target interpreter holding the PEP 518 `build-system.requires`, resolved and installed by
//! pinion itself), then one backend hook per subprocess: metadata
//! (`prepare_metadata_for_build_wheel`, falling back to `build_wheel`), wheels and PEP 660
//! editables. What a build produces is cached by the hash of its source, so a second compile
//! or sync builds nothing.

mod env;
mod error;
mod git;
mod source;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tracing::info;

pub(crate) use error::{BuildDisabled, BuildError, NameMismatch};
pub(crate) use git::GitReference;
pub(crate) use source::SourceRef;

use crate::index::{DistFile, FormatPolicy, IndexClient, best_file};
use crate::metadata::{CoreMetadata, DistFilename};
use crate::python::{Interpreter, Tags};
use crate::resolver::{BuildFailure, MetadataBuilder};
use env::{BuildEnv, BuildSystem};
use source::{Coverage, fingerprint};

/// What a build makes of a source tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BuildKind {
    /// A regular wheel (`build_wheel`).
    Wheel,
    /// A PEP 660 editable wheel (`build_editable`).
    Editable,
}

impl BuildKind {
    fn hook(self) -> &'static str {
        match self {
            Self::Wheel => "build_wheel",
            Self::Editable => "build_editable",
        }
    }

    fn requires_hook(self) -> &'static str {
        match self {
            Self::Wheel => "get_requires_for_build_wheel",
            Self::Editable => "get_requires_for_build_editable",
        }
    }
}

/// A PEP 517 build target whose build requirements pip-compile's `--build-deps-for` pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum BuildTarget {
    Editable,
    Sdist,
    Wheel,
}

impl BuildTarget {
    /// Every target, in pip-tools' order (`--all-build-deps`).
    pub(crate) const ALL: [Self; 3] = [Self::Editable, Self::Sdist, Self::Wheel];

    /// The name pip-tools gives it (`pyproject.toml::build-system.backend::wheel`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Editable => "editable",
            Self::Sdist => "sdist",
            Self::Wheel => "wheel",
        }
    }

    fn requires_hook(self) -> &'static str {
        match self {
            Self::Editable => "get_requires_for_build_editable",
            Self::Sdist => "get_requires_for_build_sdist",
            Self::Wheel => "get_requires_for_build_wheel",
        }
    }
}

/// A project's build requirements, as pip-tools' `--build-deps-for` collects them.
#[derive(Debug, Clone, Default)]
pub(crate) struct BuildRequirements {
    /// `build-system.requires` (setuptools' legacy default without one).
    pub(crate) requires: Vec<String>,
    /// What each target's `get_requires_for_build_*` hook returned (nothing when the backend
    /// lacks the optional hook).
    pub(crate) by_target: Vec<(BuildTarget, Vec<String>)>,
}

/// Builds source trees for one target interpreter, asking `client` for build requirements.
///
/// Hooks run through `tokio::task::block_in_place`: call it from a multi-threaded runtime.
pub(crate) struct Builder {
    interpreter: Interpreter,
    /// The interpreter's wheel tags: a cached wheel is reused only where it fits.
    tags: Tags,
    client: Arc<IndexClient>,
    /// The cache root (`--cache-dir`); None under `--no-cache`.
    cache_dir: Option<PathBuf>,
    /// Under `--no-cache`, what outlives one build (wheels, git checkouts); made on first use,
    /// removed on drop.
    scratch: std::sync::Mutex<Option<tempfile::TempDir>>,
}

impl Builder {
    pub(crate) fn new(
        interpreter: Interpreter,
        client: Arc<IndexClient>,
        cache_dir: Option<PathBuf>,
    ) -> Self {
        Self {
            tags: interpreter.target().tags,
            interpreter,
            client,
            cache_dir,
            scratch: std::sync::Mutex::new(None),
        }
    }

    /// The core metadata of the local project at `project` (a directory with a
    /// `pyproject.toml`, or a `setup.py`/`setup.cfg` only), as its build backend computes it:
    /// the PEP 517 `prepare_metadata_for_build_wheel` hook, or `build_wheel` when the backend
    /// lacks it, in an isolated build environment made from the target interpreter.
    ///
    /// Cached under the cache directory by the project's path and the size and modification
    /// time of its `pyproject.toml`, `setup.py` and `setup.cfg`: asking again runs nothing
    /// until one of them changes.
    pub(crate) async fn project_metadata(
        &self,
        project: &Path,
    ) -> Result<Arc<CoreMetadata>, BuildError> {
        let key = fingerprint(project, Coverage::BuildConfig)?;
        self.metadata_for(project, &key, &project.display().to_string())
            .await
    }

    /// The metadata of the sdist at `sdist` (downloaded; `sha256` is its hash), built because its
    /// PKG-INFO cannot be trusted (PEP 643).
    pub(crate) async fn sdist_metadata(
        &self,
        sdist: &Path,
        sha256: &str,
        package: &str,
    ) -> Result<Arc<CoreMetadata>, BuildError> {
        if let Some(metadata) = self.cached_metadata(sha256) {
            return Ok(metadata);
        }
        let work = self.work_dir()?;
        let tree = unpack(sdist, work.path()).await?;
        if let Some(metadata) = static_metadata(&tree, package) {
            info!("`{package}`: metadata from the static `[project]` table of its pyproject.toml");
            return Ok(metadata);
        }
        self.metadata_for(&tree, sha256, package).await
    }

    /// The build requirements of the local project at `project` for `targets`: its
    /// `build-system.requires`, and what the backend's `get_requires_for_build_<target>` hooks
    /// return, run in an isolated environment holding `build-system.requires` (as pypa/build,
    /// which pip-tools uses, runs them).
    pub(crate) async fn build_requirements(
        &self,
        project: &Path,
        targets: &[BuildTarget],
    ) -> Result<BuildRequirements, BuildError> {
        let system = BuildSystem::read(project)?;
        let package = project.display().to_string();
        let mut found = BuildRequirements {
            requires: system.requires.clone(),
            by_target: Vec::new(),
        };
        if targets.is_empty() {
            return Ok(found);
        }
        info!("asking the build backend of `{package}` for its build requirements");
        let work = self.work_dir()?;
        let dir = output_dir(work.path(), "env")?;
        let mut env = BuildEnv::create(&self.interpreter, &dir, self.cache_dir.as_deref()).await?;
        env.install(&self.client, &system.requires, &system.origin, &package)
            .await?;
        for &target in targets {
            let out = output_dir(work.path(), "requires")?;
            let hook = target.requires_hook();
            let requires = match env.run_hook(&system.root, &system, hook, &out, &package)? {
                Some(serde_json::Value::Array(values)) => values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            };
            info!("`{package}`: `{hook}` asks for {requires:?}");
            found.by_target.push((target, requires));
        }
        Ok(found)
    }

    /// A wheel built from the sdist at `sdist`, cached by the sdist's hash.
    pub(crate) async fn sdist_wheel(
        &self,
        sdist: &Path,
        sha256: &str,
        package: &str,
    ) -> Result<PathBuf, BuildError> {
        if let Some(wheel) = self.cached_wheel(sha256, BuildKind::Wheel) {
            return Ok(wheel);
        }
        let work = self.work_dir()?;
        let tree = unpack(sdist, work.path()).await?;
        self.wheel_for(&tree, sha256, package, BuildKind::Wheel)
            .await
    }

    /// A wheel (or PEP 660 editable wheel) of the local project at `project`, cached by a
    /// fingerprint of the whole tree (of its build configuration only, for an editable).
    pub(crate) async fn project_wheel(
        &self,
        project: &Path,
        kind: BuildKind,
    ) -> Result<PathBuf, BuildError> {
        let coverage = match kind {
            BuildKind::Wheel => Coverage::Tree,
            BuildKind::Editable => Coverage::BuildConfig,
        };
        let key = fingerprint(project, coverage)?;
        if let Some(wheel) = self.cached_wheel(&key, kind) {
            return Ok(wheel);
        }
        self.wheel_for(project, &key, &project.display().to_string(), kind)
            .await
    }

    /// A git reference checked out at its commit, with the commit's full hash.
    pub(crate) async fn checkout(
        &self,
        reference: &GitReference,
    ) -> Result<(PathBuf, String), BuildError> {
        let root = match &self.cache_dir {
            Some(dir) => dir.join("git-v1"),
            None => self.scratch()?.join("git"),
        };
        let reference = reference.clone();
        tokio::task::spawn_blocking(move || git::checkout(&reference, &root))
            .await
            .map_err(|e| BuildError::Internal(e.to_string()))?
    }

    async fn metadata_for(
        &self,
        tree: &Path,
        key: &str,
        package: &str,
    ) -> Result<Arc<CoreMetadata>, BuildError> {
        if let Some(metadata) = self.cached_metadata(key) {
            return Ok(metadata);
        }
        info!("building the metadata of `{package}`");
        let work = self.work_dir()?;
        let system = BuildSystem::read(tree)?;
        let env = self
            .environment(&system, package, BuildKind::Wheel, work.path())
            .await?;
        let out = output_dir(work.path(), "metadata")?;
        let hook = "prepare_metadata_for_build_wheel";
        let bytes = match env.run_hook(tree, &system, hook, &out, package)? {
            Some(serde_json::Value::String(dist_info)) => {
                let path = out.join(&dist_info).join("METADATA");
                fs_err::read(&path).map_err(BuildError::io("read", &path))?
            }
            // No such hook (or a backend that returned nothing usable): build the wheel.
            _ => {
                let out = output_dir(work.path(), "wheel")?;
                let wheel = run_build(&env, tree, &system, package, BuildKind::Wheel, &out)?;
                source::wheel_metadata(&wheel)?
            }
        };
        let metadata = CoreMetadata::parse(&bytes).map_err(|source| BuildError::Metadata {
            package: package.to_string(),
            source,
        })?;
        self.store(&self.metadata_path(key), &bytes);
        Ok(Arc::new(metadata))
    }

    async fn wheel_for(
        &self,
        tree: &Path,
        key: &str,
        package: &str,
        kind: BuildKind,
    ) -> Result<PathBuf, BuildError> {
        info!("building a wheel of `{package}`");
        let work = self.work_dir()?;
        let system = BuildSystem::read(tree)?;
        let env = self
            .environment(&system, package, kind, work.path())
            .await?;
        let out = output_dir(work.path(), "wheel")?;
        let wheel = run_build(&env, tree, &system, package, kind, &out)?;
        let name = wheel
            .file_name()
            .ok_or_else(|| BuildError::NoWheel {
                package: package.to_string(),
                hook: kind.hook(),
            })?
            .to_owned();
        // The build's folder goes when this returns: the wheel moves to the cache, or under
        // `--no-cache` to the scratch folder that lives as long as the builder.
        let dir = match self.wheel_dir(key, kind) {
            Some(dir) => dir,
            None => output_dir(&self.scratch()?, "wheel")?,
        };
        let target = dir.join(&name);
        // Copied under a temporary name and renamed: another pinion may be storing the same wheel.
        let stored = (|| {
            fs_err::create_dir_all(&dir)?;
            let mut part = crate::fsutil::AtomicFile::new_in(&dir)?;
            std::io::copy(&mut fs_err::File::open(&wheel)?, &mut part)?;
            part.persist(&target)
        })();
        stored.map_err(BuildError::io("store the built wheel in", &dir))?;
        Ok(target)
    }

    /// A build environment holding `build-system.requires` and what the backend's
    /// `get_requires_for_build_*` hook adds.
    async fn environment(
        &self,
        system: &BuildSystem,
        package: &str,
        kind: BuildKind,
        work: &Path,
    ) -> Result<BuildEnv, BuildError> {
        let dir = output_dir(work, "env")?;
        let mut env = BuildEnv::create(&self.interpreter, &dir, self.cache_dir.as_deref()).await?;
        env.install(&self.client, &system.requires, &system.origin, package)
            .await?;
        let out = output_dir(work, "requires")?;
        let hook = kind.requires_hook();
        if let Some(serde_json::Value::Array(extra)) =
            env.run_hook(&system.root, system, hook, &out, package)?
        {
            let extra: Vec<String> = extra
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            if !extra.is_empty() {
                let mut all = system.requires.clone();
                all.extend(extra);
                env.install(&self.client, &all, &system.origin, package)
                    .await?;
            }
        }
        Ok(env)
    }

    fn scratch(&self) -> Result<PathBuf, BuildError> {
        let mut scratch = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(dir) = scratch.as_ref() {
            return Ok(dir.path().to_path_buf());
        }
        let dir = tempfile::Builder::new()
            .prefix("pinion-builds-")
            .tempdir()
            .map_err(BuildError::io(
                "create a directory in",
                std::env::temp_dir(),
            ))?;
        let path = dir.path().to_path_buf();
        *scratch = Some(dir);
        Ok(path)
    }

    /// A folder for one build's environment, unpacked sdist and outputs; removed when dropped.
    fn work_dir(&self) -> Result<tempfile::TempDir, BuildError> {
        tempfile::Builder::new()
            .prefix("pinion-build-")
            .tempdir()
            .map_err(BuildError::io(
                "create a directory in",
                std::env::temp_dir(),
            ))
    }

    /// Per interpreter too (its most specific tag): a `setup.py` may compute its requirements
    /// from the Python it runs on.
    fn metadata_path(&self, key: &str) -> Option<PathBuf> {
        let dir = self.cache_dir.as_ref()?;
        let tag = self.tags.iter().next().map(ToString::to_string);
        let tag = tag.unwrap_or_else(|| "none".to_string());
        Some(
            dir.join("built-metadata-v1")
                .join(format!("{key}-{tag}.METADATA")),
        )
    }

    fn wheel_dir(&self, key: &str, kind: BuildKind) -> Option<PathBuf> {
        let bucket = match kind {
            BuildKind::Wheel => "built-wheels-v1",
            BuildKind::Editable => "built-editables-v1",
        };
        Some(self.cache_dir.as_ref()?.join(bucket).join(key))
    }

    fn cached_metadata(&self, key: &str) -> Option<Arc<CoreMetadata>> {
        let bytes = fs_err::read(self.metadata_path(key)?).ok()?;
        let metadata = CoreMetadata::parse(&bytes).ok()?;
        tracing::debug!("built metadata of `{}` from the cache", metadata.name);
        Some(Arc::new(metadata))
    }

    /// A wheel built before from the same source that fits this interpreter: an sdist with
    /// extension modules builds a different wheel for each Python. Of several that fit, the one
    /// whose tags rank highest, as for a release on the index.
    fn cached_wheel(&self, key: &str, kind: BuildKind) -> Option<PathBuf> {
        let dir = self.wheel_dir(key, kind)?;
        let wheels: Vec<DistFile> = fs_err::read_dir(dir)
            .ok()?
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name();
                let Some(DistFilename::Wheel(wheel)) = DistFilename::parse(name.to_str()?, None)
                else {
                    return None;
                };
                DistFile::from_url(&wheel.name, &url::Url::from_file_path(entry.path()).ok()?)
            })
            .collect();
        let version = wheels.first()?.version().clone();
        let wheels_only = FormatPolicy {
            only_binary: true,
            no_binary: false,
        };
        let best = best_file(&wheels, &version, &self.tags, wheels_only, &[]).ok()?;
        let path = best.url.to_file_path().ok()?;
        tracing::debug!("built wheel `{}` from the cache", path.display());
        Some(path)
    }

    /// Write a cache entry atomically; a failure only costs the next run a build.
    fn store(&self, path: &Option<PathBuf>, bytes: &[u8]) {
        let Some(path) = path else { return };
        let result = (|| {
            let dir = path.parent().unwrap_or(Path::new("."));
            fs_err::create_dir_all(dir)?;
            crate::fsutil::write_atomic(path, bytes)
        })();
        if let Err(err) = result {
            tracing::warn!("cannot cache `{}`: {err}", path.display());
        }
    }
}

/// The resolver asks for builds through its own trait, so that it does not depend on this module.
impl MetadataBuilder for Builder {
    fn metadata_from_sdist<'a>(
        &'a self,
        sdist: &'a Path,
        sha256: &'a str,
        package: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<Arc<CoreMetadata>, BuildFailure>> {
        Box::pin(async move {
            self.sdist_metadata(sdist, sha256, package)
                .await
                .map_err(BuildFailure::new)
        })
    }
}

fn run_build(
    env: &BuildEnv,
    tree: &Path,
    system: &BuildSystem,
    package: &str,
    kind: BuildKind,
    out: &Path,
) -> Result<PathBuf, BuildError> {
    let hook = kind.hook();
    match env.run_hook(tree, system, hook, out, package)? {
        Some(serde_json::Value::String(name)) => Ok(out.join(name)),
        None => Err(BuildError::MissingHook {
            package: package.to_string(),
            backend: system.backend.clone(),
            hook,
        }),
        Some(_) => Err(BuildError::NoWheel {
            package: package.to_string(),
            hook,
        }),
    }
}

/// PEP 621: when `pyproject.toml`'s `[project]` table states the dependencies, the optional
/// dependencies and Requires-Python (none of them in `dynamic`), they are the metadata a build
/// would produce, so no build runs (uv does the same). `package` is `name==version`, the sdist's
/// own version standing in for a dynamic one.
fn static_metadata(tree: &Path, package: &str) -> Option<Arc<CoreMetadata>> {
    let text = fs_err::read_to_string(tree.join("pyproject.toml")).ok()?;
    let version = package.split_once("==")?.1.parse().ok()?;
    let metadata = CoreMetadata::from_pyproject(&text, &version)?;
    Some(Arc::new(metadata))
}

async fn unpack(sdist: &Path, work: &Path) -> Result<PathBuf, BuildError> {
    let dest = output_dir(work, "sdist")?;
    let sdist = sdist.to_path_buf();
    tokio::task::spawn_blocking(move || source::unpack_sdist(&sdist, &dest))
        .await
        .map_err(|e| BuildError::Internal(e.to_string()))?
}

/// A new empty folder `<prefix>-XXXX` under `parent`.
fn output_dir(parent: &Path, prefix: &str) -> Result<PathBuf, BuildError> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("{prefix}-"))
        .tempdir_in(parent)
        .map_err(BuildError::io("create a directory in", parent))?;
    Ok(dir.keep())
}
