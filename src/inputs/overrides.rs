//! `--override` files and `--exclude` names, read into the resolver's [`Rewrites`].

use crate::requirements::{self, RequirementSpec};
use crate::resolver::{InputKind, InputRequirement, Rewrites};
use crate::settings::GraphSettings;

use super::{Inputs, InputsError};

/// The override files' lines (requirements-file format, `-r` included) and the excluded
/// names. An override names a package and its versions, or a direct reference
/// (`foo @ https://example.invalid/foo-1.0-py3-none-any.whl`, `foo @ file:///...`, a git URL
/// or a local project): as uv's overrides, every requirement on `foo` then becomes that
/// reference, which joins `inputs`' direct references (built with them by
/// [`Inputs::build`], so call this first) without adding a requirement of its own. An
/// editable line, or a reference without a name, is refused where it stands.
pub(crate) fn rewrites(
    graph: &GraphSettings,
    inputs: &mut Inputs,
) -> Result<Rewrites, InputsError> {
    read(graph, |entry| {
        // The requirement it would add is dropped: an override never adds a package nothing
        // requires.
        inputs.override_direct.collect(
            &mut Vec::new(),
            std::slice::from_ref(entry),
            InputKind::Requirement,
        )
    })
}

/// The rewrites alone, for the offline commands (`check`), which read a lockfile's
/// requirements as compile did but build nothing.
pub(crate) fn offline_rewrites(graph: &GraphSettings) -> Result<Rewrites, InputsError> {
    read(graph, |_| Ok(()))
}

/// Read the override files and excludes; `direct` is given each override line that is a
/// direct reference.
fn read(
    graph: &GraphSettings,
    mut direct: impl FnMut(&requirements::RequirementEntry) -> Result<(), InputsError>,
) -> Result<Rewrites, InputsError> {
    let mut overrides = Vec::new();
    for path in &graph.overrides {
        let file = requirements::read(path)?;
        for entry in file.requirements.iter().chain(&file.constraints) {
            let requirement = match &entry.spec {
                RequirementSpec::Named(requirement) if !entry.editable => {
                    if let Some(pep508_rs::VersionOrUrl::Url(_)) = requirement.version_or_url {
                        direct(entry)?;
                    }
                    requirement.clone()
                }
                RequirementSpec::Named(_) => {
                    return Err(InputsError::Unsupported {
                        what: "editables in override files".into(),
                        origin: entry.origin.clone(),
                    });
                }
                RequirementSpec::Unnamed(_) => {
                    return Err(InputsError::Unsupported {
                        what: "direct references without a name in override files (write `name @ url`)".into(),
                        origin: entry.origin.clone(),
                    });
                }
            };
            overrides.push(InputRequirement {
                requirement,
                origin: entry.origin.clone(),
                kind: InputKind::Requirement,
            });
        }
    }
    if !overrides.is_empty() {
        tracing::info!(
            "{} override{} replace the requirements on {}",
            overrides.len(),
            if overrides.len() == 1 { "" } else { "s" },
            overrides
                .iter()
                .map(|o| format!("`{}`", o.requirement.name))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(Rewrites {
        overrides,
        excludes: graph.excludes.iter().cloned().collect(),
    })
}
