//! `--override` files and `--exclude` names, read into the resolver's [`Rewrites`].

use crate::requirements::{self, RequirementSpec};
use crate::resolver::{InputKind, InputRequirement, Rewrites};
use crate::settings::GraphSettings;

use super::InputsError;

/// The override files' lines (requirements-file format, `-r` included) and the excluded
/// names. An override names a package and its versions: a direct reference or an editable
/// line is refused where it stands.
pub(crate) fn rewrites(graph: &GraphSettings) -> Result<Rewrites, InputsError> {
    let mut overrides = Vec::new();
    for path in &graph.overrides {
        let file = requirements::read(path)?;
        for entry in file.requirements.iter().chain(&file.constraints) {
            let requirement = match &entry.spec {
                RequirementSpec::Named(requirement)
                    if !entry.editable
                        && !matches!(
                            requirement.version_or_url,
                            Some(pep508_rs::VersionOrUrl::Url(_))
                        ) =>
                {
                    requirement.clone()
                }
                _ => {
                    return Err(InputsError::Unsupported {
                        what: "direct references and editables in override files".into(),
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
