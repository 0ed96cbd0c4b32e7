//! Project inputs: pyproject.toml read statically (PEP 621, PEP 735), and the Requires-Dist of
//! projects only a build can describe.

use std::path::Path;
use std::str::FromStr;

use pep508_rs::ExtraName;

use super::{Input, InputsError, Selection, parent_dir};
use crate::build::{BuildError, BuildRequirements};
use crate::metadata::CoreMetadata;
use crate::pyproject::{self, Pyproject};
use crate::requirements::{Origin, RequirementEntry, RequirementSpec, RequirementsTxt};

/// `[project] dependencies` (with the selected extras and groups) of a pyproject.toml, read
/// statically; dynamic dependencies and setup.py/setup.cfg projects are left to a build, except
/// for dependency groups, which PEP 735 keeps static.
pub(super) fn read(path: &Path, selection: Selection) -> Result<Input, InputsError> {
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let project = if is_pyproject {
        Some(Pyproject::read(path)?)
    } else {
        let pyproject = parent_dir(path).join("pyproject.toml");
        pyproject
            .is_file()
            .then(|| Pyproject::read(&pyproject))
            .transpose()?
    };
    let static_project = project.as_ref().filter(|project| {
        is_pyproject
            && !project.is_dynamic("dependencies")
            && !((selection.all_extras || !selection.extras.is_empty())
                && project.is_dynamic("optional-dependencies"))
    });
    if let Some(project) = static_project {
        // `--only-build-deps`: the project is read for its name only.
        let requirements = if selection.only_build_deps {
            Vec::new()
        } else {
            project.requirements(&selection)?
        };
        return Ok(Input {
            requirements: RequirementsTxt {
                requirements,
                files: vec![path.to_path_buf()],
                ..RequirementsTxt::default()
            },
            project_name: project.name().map(|n| n.to_string()),
            needs_build: None,
            requires_python: project.requires_python(),
        });
    }
    let groups = Selection {
        groups: selection.groups.clone(),
        ..Selection::default()
    };
    let requirements = match &project {
        Some(project) if !groups.groups.is_empty() && !selection.only_build_deps => {
            project.requirements(&groups)?
        }
        _ => Vec::new(),
    };
    Ok(Input {
        requirements: RequirementsTxt {
            requirements,
            files: vec![path.to_path_buf()],
            ..RequirementsTxt::default()
        },
        project_name: None,
        needs_build: Some(selection),
        requires_python: project.as_ref().and_then(Pyproject::requires_python),
    })
}

/// The Requires-Dist of a built project, with the selected extras switched on.
pub(super) fn built_requirements(
    source: &Path,
    metadata: &CoreMetadata,
    selection: &Selection,
) -> Result<Vec<RequirementEntry>, InputsError> {
    let known = || {
        metadata
            .provides_extras
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    let mut extras = Vec::new();
    if selection.all_extras {
        extras.clone_from(&metadata.provides_extras);
    }
    for extra in &selection.extras {
        let name = ExtraName::from_str(extra)
            .ok()
            .filter(|name| metadata.provides_extras.contains(name))
            .ok_or_else(|| pyproject::PyprojectError::UnknownExtra {
                path: source.to_path_buf(),
                extra: extra.clone(),
                known_names: known(),
            })?;
        extras.push(name);
    }
    // `all = ["me[a]"]`: a self-reference switches its extras on too, until nothing new is.
    loop {
        let more: Vec<ExtraName> = metadata
            .requires_dist
            .iter()
            .filter(|r| r.name == metadata.name)
            .filter(|r| r.marker.clone().simplify_extras(&extras).is_true())
            .flat_map(|r| r.extras.iter().cloned())
            .filter(|e| !extras.contains(e))
            .collect();
        if more.is_empty() {
            break;
        }
        extras.extend(more);
    }
    Ok(metadata
        .requires_dist
        .iter()
        .filter(|r| r.name != metadata.name)
        .map(|r| {
            let mut requirement = r.clone();
            requirement.marker = requirement.marker.simplify_extras(&extras);
            RequirementEntry {
                spec: RequirementSpec::Named(requirement),
                editable: false,
                hashes: Vec::new(),
                origin: Origin {
                    file: source.to_path_buf(),
                    line: 1,
                    column: 1,
                },
            }
        })
        .collect())
}

/// A project's build requirements as input lines, each from where pip-compile says it comes
/// from (`piptools/build.py`): `pyproject.toml::build-system.requires` for the static ones,
/// `pyproject.toml::build-system.backend::<target>` for what a `get_requires_for_build_*` hook
/// returned, with the pyproject.toml beside the project input even when the input is setup.py.
/// Each of those names is added to `project_names` with the project's `name`, which is how the
/// lockfile writes `# via name (pyproject.toml::build-system.requires)`.
pub(super) fn build_requirement_entries(
    source: &Path,
    found: &BuildRequirements,
    name: &str,
    project_names: &mut Vec<(std::path::PathBuf, String)>,
) -> Result<Vec<RequirementEntry>, InputsError> {
    let dir = parent_dir(source);
    let pyproject = |what: &str| {
        let file = format!("pyproject.toml::{what}");
        if dir == Path::new(".") {
            std::path::PathBuf::from(file)
        } else {
            dir.join(file)
        }
    };
    let groups = std::iter::once((pyproject("build-system.requires"), &found.requires)).chain(
        found.by_target.iter().map(|(target, requires)| {
            (
                pyproject(&format!("build-system.backend::{}", target.name())),
                requires,
            )
        }),
    );
    let mut entries = Vec::new();
    for (file, requires) in groups {
        if !project_names.iter().any(|(path, _)| *path == file) {
            project_names.push((file.clone(), name.to_string()));
        }
        for text in requires {
            let requirement =
                crate::pep508::requirement_from_str(text).map_err(|e| BuildError::Pyproject {
                    path: dir.join("pyproject.toml"),
                    reason: format!("invalid build requirement `{text}`: {}", e.message),
                })?;
            entries.push(RequirementEntry {
                spec: RequirementSpec::Named(requirement),
                editable: false,
                hashes: Vec::new(),
                origin: Origin {
                    file: file.clone(),
                    line: 1,
                    column: 1,
                },
            });
        }
    }
    Ok(entries)
}
