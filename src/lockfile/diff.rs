//! What changed between two lockfiles, one line per package: `+ name 1.2` added, `- name 1.3`
//! removed, `^ name 1.2 -> 1.3` upgraded, `v name 1.3 -> 1.2` downgraded, `~ name a -> b` for
//! any other change (a direct reference, pins under different markers). Pure logic over the pins
//! of each lockfile; a reader of another lockfile format only has to yield [`Pinned`]s.

use std::collections::BTreeMap;
use std::fmt;

use pep440_rs::Version;
use pep508_rs::{PackageName, VersionOrUrl};

use crate::requirements::{RequirementSpec, RequirementsTxt};

/// One pin of a package: its version, or what it is pinned to when it has none.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pinned {
    pub(crate) version: Option<Version>,
    /// The version, or `@ url` for a direct reference.
    pub(crate) shown: String,
}

/// The pins of a lockfile by package; a universal lockfile may pin a package once per marker.
pub(crate) type Pins = BTreeMap<PackageName, Vec<Pinned>>;

/// The pins of a requirements.txt lockfile (entries without a name are left out).
pub(crate) fn requirements_pins(lockfile: &RequirementsTxt) -> Pins {
    let mut pins = Pins::new();
    for entry in &lockfile.requirements {
        let RequirementSpec::Named(requirement) = &entry.spec else {
            continue;
        };
        let version = super::pinned_version(requirement);
        let shown = match (&version, &requirement.version_or_url) {
            (Some(version), _) => version.to_string(),
            (None, Some(VersionOrUrl::Url(url))) => {
                format!("@ {}", url.given().unwrap_or(url.as_str()))
            }
            (None, Some(VersionOrUrl::VersionSpecifier(specifiers))) => specifiers.to_string(),
            (None, None) => "(unpinned)".to_string(),
        };
        let list = pins.entry(requirement.name.clone()).or_default();
        let pinned = Pinned { version, shown };
        if !list.contains(&pinned) {
            list.push(pinned);
            list.sort();
        }
    }
    pins
}

/// One package's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    Added {
        name: PackageName,
        to: String,
    },
    Removed {
        name: PackageName,
        from: String,
    },
    Upgraded {
        name: PackageName,
        from: String,
        to: String,
    },
    Downgraded {
        name: PackageName,
        from: String,
        to: String,
    },
    Changed {
        name: PackageName,
        from: String,
        to: String,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Added { name, to } => write!(f, "+ {name} {to}"),
            Self::Removed { name, from } => write!(f, "- {name} {from}"),
            Self::Upgraded { name, from, to } => write!(f, "^ {name} {from} -> {to}"),
            Self::Downgraded { name, from, to } => write!(f, "v {name} {from} -> {to}"),
            Self::Changed { name, from, to } => write!(f, "~ {name} {from} -> {to}"),
        }
    }
}

/// The changes from `old` to `new`, by package name.
pub(crate) fn changes(old: &Pins, new: &Pins) -> Vec<Change> {
    let shown = |pins: &[Pinned]| -> String {
        pins.iter()
            .map(|p| p.shown.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut names: Vec<&PackageName> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    let mut changes = Vec::new();
    for name in names {
        let name_owned = name.clone();
        match (old.get(name), new.get(name)) {
            (None, Some(to)) => changes.push(Change::Added {
                name: name_owned,
                to: shown(to),
            }),
            (Some(from), None) => changes.push(Change::Removed {
                name: name_owned,
                from: shown(from),
            }),
            (Some(from), Some(to)) if !same(from, to) => {
                let (old_shown, new_shown) = (shown(from), shown(to));
                changes.push(match (from.as_slice(), to.as_slice()) {
                    (
                        [
                            Pinned {
                                version: Some(a), ..
                            },
                        ],
                        [
                            Pinned {
                                version: Some(b), ..
                            },
                        ],
                    ) if a != b => {
                        if b > a {
                            Change::Upgraded {
                                name: name_owned,
                                from: old_shown,
                                to: new_shown,
                            }
                        } else {
                            Change::Downgraded {
                                name: name_owned,
                                from: old_shown,
                                to: new_shown,
                            }
                        }
                    }
                    _ => Change::Changed {
                        name: name_owned,
                        from: old_shown,
                        to: new_shown,
                    },
                });
            }
            _ => {}
        }
    }
    changes
}

/// The same pins: equal versions (`1.0` is `1.0.0`), or the same text without one.
fn same(a: &[Pinned], b: &[Pinned]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(a, b)| match (&a.version, &b.version) {
                (Some(x), Some(y)) => x == y,
                _ => a.shown == b.shown,
            })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn pins(text: &str) -> Pins {
        let lockfile =
            crate::requirements::read_str(Path::new("requirements.txt"), text.to_string()).unwrap();
        requirements_pins(&lockfile)
    }

    #[test]
    fn one_line_per_package() {
        let old = pins("a==1.0\nb==2.0\nc==3.0\nd==1.0\n");
        let new = pins("a==1.0\nb==2.1\nc==2.9\ne==0.1\n");
        let lines: Vec<String> = changes(&old, &new)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            ["^ b 2.0 -> 2.1", "v c 3.0 -> 2.9", "- d 1.0", "+ e 0.1"]
        );
    }

    #[test]
    fn equal_versions_spelled_differently_are_no_change() {
        assert!(changes(&pins("a==1.0\n"), &pins("A==1.0.0\n")).is_empty());
    }

    #[test]
    fn markers_and_urls_are_other_changes() {
        let old = pins("a==1.0 ; python_version < '3.10'\na==2.0 ; python_version >= '3.10'\n");
        let new = pins("a==2.0\n");
        let lines: Vec<String> = changes(&old, &new)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(lines, ["~ a 1.0, 2.0 -> 2.0"]);
    }
}
