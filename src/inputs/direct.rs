//! Direct references: wheel and sdist files (named by their file names), local projects and
//! git URLs (named by their built metadata).

use std::path::{Path, PathBuf};

use pep508_rs::{PackageName, Requirement, VersionOrUrl};

use super::InputsError;
use crate::build::{BuildDisabled, Builder, GitReference, NameMismatch, SourceRef};
use crate::index::DistFile;
use crate::requirements::{Origin, RequirementEntry, RequirementSpec};
use crate::resolver::{DirectReferences, InputKind, InputRequirement, SourcePackage};

/// Direct references as read from the inputs. Local projects and git URLs are built for their
/// metadata (and so their name) once the target interpreter is known: [`DirectInputs::prepare`].
#[derive(Default)]
pub(super) struct DirectInputs {
    references: DirectReferences,
    sources: Vec<PendingSource>,
}

/// A local project or git reference, before its metadata is built.
struct PendingSource {
    source: Tree,
    /// The name before `@` (`mylib @ ./libs/mylib`), checked against the built metadata.
    name: Option<PackageName>,
    extras: Vec<pep508_rs::ExtraName>,
    marker: pep508_rs::MarkerTree,
    /// The path or URL as written in the input.
    given: String,
    editable: bool,
    origin: Origin,
    kind: InputKind,
}

/// A source tree to build.
enum Tree {
    Directory(PathBuf),
    Git(GitReference),
}

/// Named requirements and direct references: wheel and sdist files (local or remote) are
/// resolved from the file; local projects and git URLs are kept for [`DirectInputs::prepare`].
impl DirectInputs {
    pub(super) fn collect(
        &mut self,
        into: &mut Vec<InputRequirement>,
        entries: &[RequirementEntry],
        kind: InputKind,
    ) -> Result<(), InputsError> {
        let direct = self;
        for entry in entries {
            let unsupported = || InputsError::Unsupported {
                what: "URLs of this kind".into(),
                origin: entry.origin.clone(),
            };
            let (url, extras, marker, named) = match &entry.spec {
                RequirementSpec::Named(requirement) => match &requirement.version_or_url {
                    Some(VersionOrUrl::Url(url)) => (
                        url,
                        &requirement.extras,
                        &requirement.marker,
                        Some(requirement),
                    ),
                    _ if entry.editable => return Err(unsupported()),
                    _ => {
                        into.push(InputRequirement {
                            requirement: requirement.clone(),
                            origin: entry.origin.clone(),
                            kind: kind.clone(),
                        });
                        continue;
                    }
                },
                RequirementSpec::Unnamed(unnamed) => {
                    (&unnamed.url, &unnamed.extras, &unnamed.marker, None)
                }
            };
            let source = SourceRef::from_url(url.raw()).ok_or_else(unsupported)?;
            let given = url.given().map_or_else(|| url.to_string(), str::to_string);
            let tree = match source {
                SourceRef::Directory(dir) => Tree::Directory(dir),
                SourceRef::Git(git) => Tree::Git(git),
                SourceRef::File(file_url) => {
                    if entry.editable {
                        return Err(InputsError::Unsupported {
                            what: "editable archives".into(),
                            origin: entry.origin.clone(),
                        });
                    }
                    // A wheel or sdist file: its name is in its file name.
                    let name = match named {
                        Some(requirement) => requirement.name.clone(),
                        None => archive_name(&file_url).ok_or_else(unsupported)?,
                    };
                    let file = DistFile::from_url(&name, &file_url).ok_or_else(unsupported)?;
                    let written = match named {
                        Some(_) => given,
                        None => file_url.to_string(),
                    };
                    direct
                        .references
                        .files
                        .insert(name.clone(), (file, written));
                    let requirement = match named {
                        Some(requirement) => requirement.clone(),
                        None => Requirement {
                            name,
                            extras: extras.clone(),
                            version_or_url: None,
                            marker: marker.clone(),
                            origin: None,
                        },
                    };
                    into.push(InputRequirement {
                        requirement,
                        origin: entry.origin.clone(),
                        kind: kind.clone(),
                    });
                    continue;
                }
            };
            direct.sources.push(PendingSource {
                source: tree,
                name: named.map(|r| r.name.clone()),
                extras: extras.clone(),
                marker: marker.clone(),
                given,
                editable: entry.editable,
                origin: entry.origin.clone(),
                kind: kind.clone(),
            });
        }
        Ok(())
    }
}

/// The project name in a wheel or sdist file name.
fn archive_name(url: &url::Url) -> Option<PackageName> {
    let filename = url.path_segments()?.next_back()?;
    let dist = crate::metadata::DistFilename::parse(filename, None)?;
    Some(dist.name().clone())
}

impl DirectInputs {
    /// Check out git references and build every local project's metadata, then add them to
    /// the requirements under the names their metadata gives.
    pub(super) async fn prepare(
        self,
        builder: Option<&Builder>,
        lockfile: Option<&Path>,
        into: &mut Vec<InputRequirement>,
    ) -> Result<DirectReferences, InputsError> {
        let mut references = self.references;
        if self.sources.is_empty() {
            return Ok(references);
        }
        let lockfile_dir = lockfile
            .and_then(|o| std::path::absolute(o).ok())
            .and_then(|o| o.parent().map(Path::to_path_buf))
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        for pending in self.sources {
            let Some(builder) = builder else {
                return Err(BuildDisabled {
                    what: format!("`{}`", pending.given),
                    origin: pending.origin,
                    hint: "drop `--no-build`; compile also needs an interpreter to build with (`--python`, not `--python-version` alone)",
                }
                .into());
            };
            let (project, written, requested_revision) = match &pending.source {
                Tree::Git(git) => {
                    let (dir, commit) = builder.checkout(git).await?;
                    (dir, git.pinned(&commit), git.reference.clone())
                }
                Tree::Directory(dir) => {
                    let written = if is_relative(&pending.given) {
                        relative_path(&lockfile_dir, dir)
                    } else {
                        url::Url::from_directory_path(dir)
                            .map_or_else(|()| pending.given.clone(), |u| u.to_string())
                            .trim_end_matches('/')
                            .to_string()
                    };
                    (dir.clone(), written, None)
                }
            };
            let metadata = builder.project_metadata(&project).await?;
            let name = metadata.name.clone();
            NameMismatch::check(pending.name.as_ref(), &name, &pending.origin)?;
            references.sources.insert(
                name.clone(),
                SourcePackage {
                    metadata,
                    written,
                    editable: pending.editable,
                    requested_revision,
                },
            );
            into.push(InputRequirement {
                requirement: Requirement {
                    name,
                    extras: pending.extras,
                    version_or_url: None,
                    marker: pending.marker,
                    origin: None,
                },
                origin: pending.origin,
                kind: pending.kind,
            });
        }
        Ok(references)
    }
}

/// Whether the input wrote a path relative to itself (`.`, `./libs/mylib`, `file:libs/x`).
fn is_relative(given: &str) -> bool {
    let path = given.strip_prefix("file:").unwrap_or(given);
    !(path.starts_with('/') || path.contains("://") || Path::new(path).is_absolute())
}

/// `dir` relative to the lockfile's folder, as pip reads it back: `.`, `./libs/mylib`, `../x`.
fn relative_path(base: &Path, dir: &Path) -> String {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    match pathdiff::diff_paths(&dir, base) {
        Some(relative) if relative.as_os_str().is_empty() => ".".to_string(),
        Some(relative) if relative.starts_with("..") => relative.display().to_string(),
        Some(relative) => format!("./{}", relative.display()),
        None => dir.display().to_string(),
    }
}
