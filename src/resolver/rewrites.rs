//! What the user changes in the graph itself: `--override` (every requirement on a package
//! replaced, wherever it appears, as uv's `--overrides`), `--exclude` (a package dropped, with
//! what only it needs), and `--resolution` (which end of the versions is tried first).

use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

use pep508_rs::{MarkerEnvironment, MarkerTree, PackageName, Requirement, VerbatimUrl};

use super::InputRequirement;

/// `--resolution`: which release of a package is tried first (after the lockfile's pin, which
/// is tried first under every strategy, as uv does with its preferences).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum ResolutionStrategy {
    /// The newest release the requirements allow (pip's and uv's default).
    #[default]
    Highest,
    /// The oldest release the requirements allow, for every package.
    Lowest,
    /// The oldest for the direct requirements, the newest for everything else: how library
    /// authors test the lower bounds they declare.
    LowestDirect,
}

impl ResolutionStrategy {
    /// Whether `name` is tried oldest first; `direct` says it is one of the user's own
    /// requirements.
    pub(crate) fn lowest_first(self, direct: bool) -> bool {
        match self {
            Self::Highest => false,
            Self::Lowest => true,
            Self::LowestDirect => direct,
        }
    }
}

/// Overrides and excludes, applied to every requirement the resolver reads: the user's own
/// and each package's `Requires-Dist`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rewrites {
    /// The lines of the `--override` files, with where each was written.
    pub(crate) overrides: Vec<InputRequirement>,
    /// `--exclude`: never pinned, and never asked for.
    pub(crate) excludes: HashSet<PackageName>,
}

impl Rewrites {
    pub(crate) fn is_empty(&self) -> bool {
        self.overrides.is_empty() && self.excludes.is_empty()
    }

    /// The override lines for `name` whose markers hold for the target.
    fn overrides_of<'a>(
        &'a self,
        name: &'a PackageName,
        markers: &'a MarkerEnvironment,
    ) -> impl Iterator<Item = &'a InputRequirement> + 'a {
        self.overrides.iter().filter(move |o| {
            o.requirement.name == *name && o.requirement.evaluate_markers(markers, &[])
        })
    }

    /// What stands for `requirement` (whose own markers already hold): nothing when its package
    /// is excluded; the override lines for its package whose markers hold, keeping the extras
    /// it asked for; else the requirement itself. An override whose marker does not hold for
    /// the target leaves the requirement as it is. Like a constraint, an override never adds a
    /// package that nothing requires.
    pub(crate) fn apply<'a>(
        &'a self,
        requirement: &'a Requirement<VerbatimUrl>,
        markers: &'a MarkerEnvironment,
    ) -> Vec<Cow<'a, Requirement<VerbatimUrl>>> {
        if self.excludes.contains(&requirement.name) {
            return Vec::new();
        }
        let replaced: Vec<Cow<'a, Requirement<VerbatimUrl>>> = self
            .overrides_of(&requirement.name, markers)
            .map(|line| Cow::Owned(with_extras_of(&line.requirement, requirement)))
            .collect();
        if replaced.is_empty() {
            vec![Cow::Borrowed(requirement)]
        } else {
            replaced
        }
    }

    /// [`Rewrites::apply`] for a universal resolution, where no single environment decides the
    /// markers: each override line of the package stands where its marker and the
    /// requirement's both hold (the requirement's `extra` clauses kept, so an optional
    /// dependency stays optional, as in uv's `Overrides::apply`), and the requirement itself
    /// where none of the lines' markers holds. uv drops the requirement there instead; pinion
    /// keeps it, as it does for a single target, so that `numpy<2; python_version < "3.10"`
    /// only holds numpy back on the old Pythons. An excluded package yields nothing.
    pub(crate) fn apply_marked<'a>(
        &'a self,
        requirement: &'a Requirement<VerbatimUrl>,
    ) -> Vec<Cow<'a, Requirement<VerbatimUrl>>> {
        if self.excludes.contains(&requirement.name) {
            return Vec::new();
        }
        let lines: Vec<&InputRequirement> = self
            .overrides
            .iter()
            .filter(|o| o.requirement.name == requirement.name)
            .collect();
        if lines.is_empty() {
            return vec![Cow::Borrowed(requirement)];
        }
        let mut rewritten = Vec::new();
        let mut covered = MarkerTree::FALSE;
        for line in lines {
            covered.or(line.requirement.marker.clone());
            let mut marker = requirement.marker.clone();
            marker.and(line.requirement.marker.clone());
            if marker.is_false() {
                continue;
            }
            let mut merged = with_extras_of(&line.requirement, requirement);
            merged.marker = marker;
            rewritten.push(Cow::Owned(merged));
        }
        let mut rest = requirement.marker.clone();
        rest.and(covered.negate());
        if !rest.is_false() {
            let mut kept = requirement.clone();
            kept.marker = rest;
            rewritten.push(Cow::Owned(kept));
        }
        rewritten
    }

    /// The override files with a line for `name` whose marker meets `marker` (where a
    /// universal pin is needed), for `# via`.
    pub(crate) fn overridden_within(
        &self,
        name: &PackageName,
        marker: &MarkerTree,
    ) -> BTreeSet<PathBuf> {
        self.overrides
            .iter()
            .filter(|o| o.requirement.name == *name && !o.requirement.marker.is_disjoint(marker))
            .map(|o| o.origin.file.clone())
            .collect()
    }

    /// The override files that replaced the requirements on `name`, for `# via`.
    pub(crate) fn overridden_by(
        &self,
        name: &PackageName,
        markers: &MarkerEnvironment,
    ) -> BTreeSet<PathBuf> {
        self.overrides_of(name, markers)
            .map(|o| o.origin.file.clone())
            .collect()
    }
}

/// An override line with the extras the requirement it replaces asked for.
fn with_extras_of(
    line: &Requirement<VerbatimUrl>,
    replaced: &Requirement<VerbatimUrl>,
) -> Requirement<VerbatimUrl> {
    let mut merged = line.clone();
    for extra in &replaced.extras {
        if !merged.extras.contains(extra) {
            merged.extras.push(extra.clone());
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::requirements::Origin;
    use crate::resolver::InputKind;

    fn given(overrides: &[&str], excludes: &[&str]) -> Rewrites {
        Rewrites {
            overrides: overrides
                .iter()
                .map(|line| InputRequirement {
                    requirement: Requirement::from_str(line).unwrap(),
                    origin: Origin {
                        file: PathBuf::from("overrides.txt"),
                        line: 1,
                        column: 1,
                    },
                    kind: InputKind::Requirement,
                })
                .collect(),
            excludes: excludes
                .iter()
                .map(|n| PackageName::from_str(n).unwrap())
                .collect(),
        }
    }

    fn marked(rewrites: &Rewrites, requirement: &str) -> Vec<String> {
        let requirement = Requirement::from_str(requirement).unwrap();
        rewrites
            .apply_marked(&requirement)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_marked_override_replaces_the_requirement_only_where_its_marker_holds() {
        let rewrites = given(&["numpy<2 ; python_full_version < '3.10'"], &[]);
        assert_eq!(
            marked(&rewrites, "numpy[extra]>=1.22 ; sys_platform == 'linux'"),
            [
                "numpy[extra]<2 ; python_full_version < '3.10' and sys_platform == 'linux'",
                "numpy[extra]>=1.22 ; python_full_version >= '3.10' and sys_platform == 'linux'",
            ]
        );
        // Disjoint from the override's marker: the requirement as it is.
        assert_eq!(
            marked(&rewrites, "numpy>=2 ; python_full_version >= '3.11'"),
            ["numpy>=2 ; python_full_version >= '3.11'"]
        );
        // An optional dependency stays optional.
        assert_eq!(
            marked(&given(&["lib>=2"], &[]), "lib<2 ; extra == 'cli'"),
            ["lib>=2 ; extra == 'cli'"]
        );
    }

    #[test]
    fn an_excluded_package_is_never_required() {
        let rewrites = given(&["lib>=2"], &["lib"]);
        assert!(marked(&rewrites, "lib<2").is_empty());
        assert_eq!(marked(&rewrites, "other"), ["other"]);
    }
}
