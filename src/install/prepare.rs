//! The prepare stage of a sync: for each distribution the plan installs, choose the file
//! (the best wheel for the venv's tags, else the sdist), download it, check it against the
//! lockfile's hashes, and build it when it is not a wheel. Nothing here touches the venv: the
//! install stage only starts once every wheel is ready.

use std::path::{Path, PathBuf};

use pep440_rs::Version;
use pep508_rs::PackageName;
use serde_json::json;

use crate::build::{BuildDisabled, BuildKind, Builder, NameMismatch, SourceRef};
use crate::index::{DistFile, IndexClient, best_file};
use crate::lockfile::{Pin, PinError, SourcePin};
use crate::metadata::DistFilename;
use crate::python::Tags;
use crate::requirements::Origin;
use crate::resolver::FormatPolicies;

/// Why a wheel could not be made ready.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum PrepareError {
    /// The index failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Index(#[from] crate::index::IndexError),

    /// A build (of an sdist, a local project or a git checkout) failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Build(#[from] crate::build::BuildError),

    /// A lockfile line that names something sync cannot install.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Pin(#[from] PinError),

    /// No wheel of a pinned release fits the venv.
    #[error("`{name}=={version}` (`{origin}`) has no wheel for this environment")]
    #[diagnostic(
        code(pinion::sync::no_wheel),
        help(
            "the release has no source distribution either, or `--no-build`/`--only-binary` forbids building it"
        )
    )]
    NoWheel {
        name: PackageName,
        version: Version,
        origin: Origin,
    },

    /// A downloaded file does not match the lockfile's hashes.
    #[error(
        "hash mismatch for `{name}` (`{origin}`): `{url}` has sha256 {actual}, the lockfile allows {expected}"
    )]
    #[diagnostic(
        code(pinion::sync::hash_mismatch),
        help("nothing was changed; if the index changed the file, recompile the lockfile")
    )]
    HashMismatch {
        name: PackageName,
        origin: Origin,
        url: String,
        expected: String,
        actual: String,
    },

    /// A downloaded file could not be read back to hash it.
    #[error("cannot read the downloaded file `{}`", path.display())]
    #[diagnostic(code(pinion::sync::read_download))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A local project, git reference or sdist, and building is off (`--no-build`).
    #[error(transparent)]
    #[diagnostic(transparent)]
    BuildDisabled(#[from] BuildDisabled),

    /// `name @ path` where the project at `path` is another package.
    #[error(transparent)]
    #[diagnostic(transparent)]
    NameMismatch(#[from] NameMismatch),
}

impl PrepareError {
    /// Whether the lockfile itself is at fault (exit 2) rather than what it points at (exit 1).
    pub(crate) fn is_input_error(&self) -> bool {
        matches!(self, Self::Pin(_) | Self::NameMismatch(_))
    }
}

/// A wheel ready to install, with its PEP 610 `direct_url.json` when it came from a direct
/// reference.
pub(crate) struct Prepared {
    pub(crate) wheel: PathBuf,
    pub(crate) direct_url: Option<String>,
    /// The wheel's sha256, hashed from its bytes in this run and found among the lockfile's
    /// hashes: the install stage then re-verifies what it links from the cache.
    pub(crate) sha256: Option<String>,
    /// Downloaded in this run, not found in the cache: its first use (see
    /// [`super::InstallOptions::first_use`]).
    pub(crate) first_use: bool,
}

/// A direct reference or editable of the lockfile, with the name and version it turned out to
/// have.
pub(crate) struct ResolvedSource {
    pin: SourcePin,
    pub(crate) name: PackageName,
    pub(crate) version: Version,
    /// What `direct_url.json` will say; also how sync tells whether the installed copy came from
    /// the same place.
    pub(crate) direct_url: serde_json::Value,
    artifact: Artifact,
}

enum Artifact {
    /// A wheel or sdist file.
    File(Box<DistFile>),
    /// A local project or git checkout.
    Tree(PathBuf),
}

/// What the prepare stage fetches and builds with.
pub(crate) struct Preparer<'a> {
    pub(crate) client: &'a IndexClient,
    /// None under `--no-build`.
    pub(crate) builder: Option<&'a Builder>,
    /// `--only-binary`/`--no-binary`, from the lockfiles and the command line.
    pub(crate) policies: &'a dyn FormatPolicies,
    /// The venv's wheel tags.
    pub(crate) tags: &'a Tags,
}

impl Preparer<'_> {
    fn builder(&self, what: String, origin: &Origin) -> Result<&Builder, PrepareError> {
        self.builder.ok_or_else(|| {
            BuildDisabled {
                what,
                origin: origin.clone(),
                hint: "drop `--no-build`",
            }
            .into()
        })
    }

    /// `file` downloaded (or found in the cache) and checked against `hashes`: a copy whose
    /// bytes no longer match the index's own digest (a cached file altered since) is fetched
    /// again once before the mismatch is an error.
    async fn download_checked(
        &self,
        file: &DistFile,
        name: &PackageName,
        hashes: &[String],
        origin: &Origin,
    ) -> Result<(PathBuf, String, bool), PrepareError> {
        let path = self.client.download(file).await?;
        match check_hashes(file, &path, name, hashes, origin) {
            Ok((sha256, verified)) => Ok((path, sha256, verified)),
            Err(PrepareError::HashMismatch { actual, .. })
                if file.url.scheme() != "file"
                    && file.sha256.as_ref().is_some_and(|index| *index != actual) =>
            {
                tracing::warn!(
                    "`{}` in the cache is not the file the index serves; downloading it again",
                    file.filename
                );
                let path = self.client.download_again(file).await?;
                let (sha256, verified) = check_hashes(file, &path, name, hashes, origin)?;
                Ok((path, sha256, verified))
            }
            Err(err) => Err(err),
        }
    }

    /// The name and version of a direct reference: from its file name, or its build's
    /// metadata (cached, so an unchanged project costs a walk of its tree).
    pub(crate) async fn resolve_source(
        &self,
        pin: &SourcePin,
    ) -> Result<ResolvedSource, PrepareError> {
        let unusable = || PinError::Unsupported {
            url: pin.source.to_string(),
            origin: pin.origin.clone(),
        };
        let (tree, direct_url) = match &pin.source {
            SourceRef::File(url) => {
                let filename = url.path_segments().and_then(|mut s| s.next_back());
                let name = match &pin.name {
                    Some(name) => name.clone(),
                    None => filename
                        .and_then(|f| DistFilename::parse(f, None))
                        .map(|d| d.name().clone())
                        .ok_or_else(unusable)?,
                };
                let file = DistFile::from_url(&name, url).ok_or_else(unusable)?;
                let mut plain = url.clone();
                plain.set_fragment(None);
                return Ok(ResolvedSource {
                    pin: pin.clone(),
                    name,
                    version: file.version().clone(),
                    direct_url: json!({"url": plain.as_str(), "archive_info": {}}),
                    artifact: Artifact::File(Box::new(file)),
                });
            }
            SourceRef::Directory(dir) => {
                let url = directory_url(dir).ok_or_else(unusable)?;
                let dir_info = if pin.editable {
                    json!({"editable": true})
                } else {
                    json!({})
                };
                (dir.clone(), json!({"url": url, "dir_info": dir_info}))
            }
            SourceRef::Git(git) => {
                let builder = self.builder(format!("`{git}`"), &pin.origin)?;
                let (dir, commit) = builder.checkout(git).await?;
                let direct_url = if pin.editable {
                    let url = directory_url(&dir).ok_or_else(unusable)?;
                    json!({"url": url, "dir_info": {"editable": true}})
                } else {
                    let mut vcs_info = json!({"vcs": "git", "commit_id": commit});
                    if let Some(reference) = &git.reference {
                        vcs_info["requested_revision"] = json!(reference);
                    }
                    let mut direct_url = json!({"url": git.repository, "vcs_info": vcs_info});
                    if let Some(subdirectory) = &git.subdirectory {
                        direct_url["subdirectory"] = json!(subdirectory);
                    }
                    direct_url
                };
                (dir, direct_url)
            }
        };
        let builder = self.builder(format!("`{}`", tree.display()), &pin.origin)?;
        let metadata = builder.project_metadata(&tree).await?;
        NameMismatch::check(pin.name.as_ref(), &metadata.name, &pin.origin)?;
        Ok(ResolvedSource {
            pin: pin.clone(),
            name: metadata.name.clone(),
            version: metadata.version.clone(),
            direct_url,
            artifact: Artifact::Tree(tree),
        })
    }

    /// The wheel of a direct reference: downloaded and checked, or built.
    pub(crate) async fn prepare_source(
        &self,
        source: &ResolvedSource,
    ) -> Result<Prepared, PrepareError> {
        let direct_url = Some(source.direct_url.to_string());
        let package = format!("{}=={}", source.name, source.version);
        let pin = &source.pin;
        let (wheel, verified) = match &source.artifact {
            Artifact::File(file) => {
                let (path, sha256, verified) = self
                    .download_checked(file, &source.name, &pin.hashes, &pin.origin)
                    .await?;
                if matches!(file.dist(), Some(DistFilename::Sdist(_))) {
                    let builder = self.builder(format!("`{package}`"), &pin.origin)?;
                    (builder.sdist_wheel(&path, &sha256, &package).await?, None)
                } else {
                    (path, verified.then_some(sha256))
                }
            }
            Artifact::Tree(tree) => {
                let kind = if pin.editable {
                    BuildKind::Editable
                } else {
                    BuildKind::Wheel
                };
                let builder = self.builder(format!("`{}`", tree.display()), &pin.origin)?;
                (builder.project_wheel(tree, kind).await?, None)
            }
        };
        Ok(Prepared {
            wheel,
            direct_url,
            sha256: verified,
            first_use: false,
        })
    }

    /// The wheel of `pin` for the venv's tags, downloaded and checked against the lockfile's
    /// hashes; built from the release's sdist when no wheel fits.
    pub(crate) async fn prepare_pin(&self, pin: &Pin) -> Result<Prepared, PrepareError> {
        let client = self.client;
        let policy = self.policies.policy(&pin.name);
        let project = client.project(&pin.name).await?;
        let no_wheel = || PrepareError::NoWheel {
            name: pin.name.clone(),
            version: pin.version.clone(),
            origin: pin.origin.clone(),
        };
        // A file the lockfile vouches for first; otherwise the best one, which verification
        // will then report as a mismatch.
        let file = best_file(&project.files, &pin.version, self.tags, policy, &pin.hashes)
            .map_err(|_| no_wheel())?;
        let is_sdist = matches!(file.dist(), Some(DistFilename::Sdist(_)));
        // No wheel fits: build the sdist, cached by its hash.
        let builder = match (is_sdist, self.builder) {
            (false, _) => None,
            (true, Some(builder)) => Some(builder),
            (true, None) => return Err(no_wheel()),
        };
        let (path, sha256, verified) = self
            .download_checked(file, &pin.name, &pin.hashes, &pin.origin)
            .await?;
        // A wheel built from the sdist is not what the lockfile hashes: its cached tree is
        // keyed by the built file's own digest instead.
        let first_use = builder.is_none() && client.fetched(file);
        let (wheel, sha256) = match builder {
            Some(builder) => {
                let package = format!("{}=={}", pin.name, pin.version);
                (builder.sdist_wheel(&path, &sha256, &package).await?, None)
            }
            None => (path, verified.then_some(sha256)),
        };
        Ok(Prepared {
            wheel,
            direct_url: None,
            sha256,
            first_use,
        })
    }

    /// Every wheel the plan needs, pins and direct references, concurrently; `progress` is
    /// called once per finished one, with the wheel (per file: the index client reports no
    /// bytes while it downloads).
    pub(crate) async fn prepare_all(
        &self,
        pins: &[&Pin],
        sources: &[&ResolvedSource],
        progress: &(dyn Fn(&Prepared) + Sync),
    ) -> Result<Vec<Prepared>, PrepareError> {
        let pins = pins.iter().map(|pin| async move {
            let result = self.prepare_pin(pin).await;
            if let Ok(prepared) = &result {
                progress(prepared);
            }
            result
        });
        let mut wheels = futures::future::join_all(pins)
            .await
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        for source in sources {
            let prepared = self.prepare_source(source).await?;
            progress(&prepared);
            wheels.push(prepared);
        }
        Ok(wheels)
    }
}

/// `file:///abs/dir` without the trailing slash, as pip writes it in `direct_url.json`.
fn directory_url(dir: &Path) -> Option<String> {
    let url = url::Url::from_directory_path(dir).ok()?;
    Some(url.as_str().trim_end_matches('/').to_string())
}

/// The file's sha256 and whether the lockfile's hashes vouched for it. With hashes, the bytes
/// on disk are hashed in this run, wherever they came from (the cache may have been altered
/// since the index's digest was checked); without, the index's digest is enough.
fn check_hashes(
    file: &DistFile,
    path: &Path,
    name: &PackageName,
    hashes: &[String],
    origin: &Origin,
) -> Result<(String, bool), PrepareError> {
    if hashes.is_empty()
        && let Some(sha256) = &file.sha256
    {
        return Ok((sha256.clone(), false));
    }
    // A downloaded file's digest is remembered next to it (with its size, mtime and inode);
    // a `file://` path is the user's own file, hashed every time.
    let hashed = if file.url.scheme() == "file" {
        crate::fsutil::sha256_file(path)
    } else {
        crate::fsutil::sha256_file_remembered(path)
    };
    let actual = hashed.map_err(|source| PrepareError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if hashes.is_empty() {
        return Ok((actual, false));
    }
    if hashes.contains(&actual) {
        return Ok((actual, true));
    }
    Err(PrepareError::HashMismatch {
        name: name.clone(),
        origin: origin.clone(),
        url: file.url.to_string(),
        expected: hashes.join(", "),
        actual,
    })
}
