//! Preferences: the pins of the existing lockfile, which compile keeps unless the inputs
//! changed or `-U`/`-P` release them (pip-compile's behaviour).

use std::path::{Path, PathBuf};

use pep440_rs::Version;
use pep508_rs::{MarkerTree, PackageName};

use crate::lockfile::pinned_version;
use crate::requirements::{Origin, RequirementSpec};
use crate::resolver::{InputKind, InputRequirement};
use crate::settings::Upgrade;

/// Pins of the existing `lockfile`, minus what `upgrade` releases, each with its marker (a
/// universal lockfile may pin one name twice, under disjoint markers; each fork prefers the
/// pin whose marker meets it). `-P NAME==VER` also becomes a constraint in `requirements`, so
/// the pin moves exactly there.
pub(crate) fn marked_preferences(
    upgrade: &Upgrade,
    lockfile: Option<&Path>,
    requirements: &mut Vec<InputRequirement>,
) -> Vec<(PackageName, Version, MarkerTree)> {
    for requirement in upgrade
        .packages
        .iter()
        .filter(|r| r.version_or_url.is_some())
    {
        requirements.push(InputRequirement {
            requirement: requirement.clone(),
            origin: Origin {
                file: PathBuf::from("--upgrade-package"),
                line: 0,
                column: 0,
            },
            kind: InputKind::Constraint,
        });
    }
    let mut preferences = Vec::new();
    let Some(lockfile) = lockfile.filter(|path| !upgrade.all && path.is_file()) else {
        return preferences;
    };
    // An unreadable old lockfile only costs the preferences; the new one replaces it.
    let Ok(existing) = crate::lockfile::read_locked_file(lockfile) else {
        tracing::warn!(
            "ignoring the pins of `{}`: it does not parse",
            lockfile.display()
        );
        return preferences;
    };
    for entry in existing.requirements {
        let RequirementSpec::Named(requirement) = entry.spec else {
            continue;
        };
        if upgrade.releases(&requirement.name) {
            continue;
        }
        if let Some(version) = pinned_version(&requirement) {
            preferences.push((requirement.name, version, requirement.marker));
        }
    }
    preferences
}
