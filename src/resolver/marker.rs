//! Marker algebra for universal resolution, only through pep508_rs's [`MarkerTree`] (a
//! canonical decision diagram: equal markers compare equal, `is_disjoint` is exact).

use std::ops::Bound;

use pep440_rs::{Version, VersionSpecifier};
use pep508_rs::{
    ExtraName, ExtraOperator, MarkerExpression, MarkerTree, MarkerValueExtra, MarkerValueVersion,
};
use pubgrub::Ranges;

/// `marker` with its `extra` clauses decided: `extra == 'x'` holds for the `active` extras and
/// for no other. What remains speaks of the environment only, so it can be compared with a
/// fork's marker and carried on an edge (UNIVERSAL.md: extras' requirements contribute their
/// markers with `extra == '...'` removed).
pub(crate) fn decide_extras(marker: &MarkerTree, active: &[ExtraName]) -> MarkerTree {
    if marker.is_true() || marker.is_false() {
        return marker.clone();
    }
    // The DNF is exact, so rebuilding it with the extras replaced by constants is too.
    let mut result = MarkerTree::FALSE;
    for clause in marker.to_dnf() {
        let mut conjunction = MarkerTree::TRUE;
        let mut holds = true;
        for expression in clause {
            match &expression {
                MarkerExpression::Extra { operator, name } => {
                    let on = match name {
                        MarkerValueExtra::Extra(extra) => active.contains(extra),
                        MarkerValueExtra::Arbitrary(_) => false,
                    };
                    if on != (*operator == ExtraOperator::Equal) {
                        holds = false;
                        break;
                    }
                }
                _ => conjunction.and(MarkerTree::expression(expression.clone())),
            }
        }
        if holds {
            result.or(conjunction);
        }
    }
    result
}

/// `python_full_version >= 'version'`.
pub(crate) fn python_at_least(version: &Version) -> MarkerTree {
    MarkerTree::expression(MarkerExpression::Version {
        key: MarkerValueVersion::PythonFullVersion,
        specifier: VersionSpecifier::greater_than_equal_version(version.clone()),
    })
}

/// The part of a release's Requires-Python that narrows a universal resolution: its lower
/// bound only, as a marker (upper bounds are not propagated, as uv does not); None when it has
/// none.
pub(crate) fn requires_python_floor(range: &Ranges<Version>) -> Option<(MarkerTree, Version)> {
    let (lower, _) = range.bounding_range()?;
    let (specifier, version) = match lower {
        Bound::Included(version) => (
            VersionSpecifier::greater_than_equal_version(version.clone()),
            version,
        ),
        Bound::Excluded(version) => (
            VersionSpecifier::greater_than_version(version.clone()),
            version,
        ),
        Bound::Unbounded => return None,
    };
    let marker = MarkerTree::expression(MarkerExpression::Version {
        key: MarkerValueVersion::PythonFullVersion,
        specifier,
    });
    Some((marker, version.clone()))
}

/// A release's Requires-Python (as `candidates::requires_python_range` reads it: lower bounds
/// and exclusions, no upper bounds) as a `python_full_version` marker: the environments where
/// the release may be installed. None when it holds everywhere. The range's edges for
/// `!=3.9.0` and `!=3.0.*` (`3.9.0.post0.dev0`, `3.0.dev0`) are written as the releases they
/// stand for (`> '3.9.0'`, `< '3.0'`): Python's own versions have no post or dev releases, and
/// the lockfile reads `python_full_version != '3.9.0'` rather than pubgrub's edges.
pub(crate) fn requires_python_marker(range: &Ranges<Version>) -> Option<MarkerTree> {
    if range == &Ranges::full() {
        return None;
    }
    let python = |specifier: VersionSpecifier| {
        MarkerTree::expression(MarkerExpression::Version {
            key: MarkerValueVersion::PythonFullVersion,
            specifier,
        })
    };
    let mut marker = MarkerTree::FALSE;
    for (lower, upper) in range.iter() {
        let mut segment = MarkerTree::TRUE;
        match edge(lower.as_ref()) {
            Bound::Included(v) => {
                segment.and(python(VersionSpecifier::greater_than_equal_version(v)))
            }
            Bound::Excluded(v) => segment.and(python(VersionSpecifier::greater_than_version(v))),
            Bound::Unbounded => {}
        }
        match edge(upper.as_ref()) {
            Bound::Included(v) => segment.and(python(VersionSpecifier::less_than_equal_version(v))),
            Bound::Excluded(v) => segment.and(python(VersionSpecifier::less_than_version(v))),
            Bound::Unbounded => {}
        }
        marker.or(segment);
    }
    Some(marker)
}

/// A range edge as the Python release it stands for: `X.post0.dev0` (just past `X` and its
/// local versions) flips to the other side of `X`, `X.dev0` (just before `X`'s pre-releases)
/// becomes `X`.
fn edge(bound: Bound<&Version>) -> Bound<Version> {
    let release = |v: &Version| Version::new(v.release().iter().copied());
    match bound {
        Bound::Included(v) if v.post() == Some(0) && v.dev() == Some(0) => {
            Bound::Excluded(release(v))
        }
        Bound::Excluded(v) if v.post() == Some(0) && v.dev() == Some(0) => {
            Bound::Included(release(v))
        }
        Bound::Included(v) if v.dev() == Some(0) && v.post().is_none() => {
            Bound::Included(release(v))
        }
        Bound::Excluded(v) if v.dev() == Some(0) && v.post().is_none() => {
            Bound::Excluded(release(v))
        }
        Bound::Included(v) => Bound::Included(v.clone()),
        Bound::Excluded(v) => Bound::Excluded(v.clone()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// `a and b`.
pub(crate) fn and(a: &MarkerTree, b: &MarkerTree) -> MarkerTree {
    let mut result = a.clone();
    result.and(b.clone());
    result
}

/// `marker` as the lockfile writes it: simplified against the universe's lowest Python (no
/// `python_full_version >= '3.9'` when 3.9 is the lowest); None when it always holds there.
pub(crate) fn display(marker: &MarkerTree, floor: &Version) -> Option<String> {
    above(marker, floor).try_to_string()
}

/// `marker` where Python is `floor` or newer: what it says of older Pythons left out. Only the
/// lower bound, as uv simplifies against its requires-python.
pub(crate) fn above(marker: &MarkerTree, floor: &Version) -> MarkerTree {
    marker
        .clone()
        .simplify_python_versions(Bound::Included(floor), Bound::Unbounded)
}

/// A sort key for markers that is stable from run to run: their text.
pub(crate) fn key(marker: &MarkerTree) -> String {
    marker.try_to_string().unwrap_or_default()
}

/// Split `region` until each of `markers` holds in all or none of each part: the forks over
/// disjoint parts of the marker space, the rest of it included (uv's `Forks::new`). One part
/// when no marker cuts it.
pub(crate) fn partition(region: &MarkerTree, markers: &[MarkerTree]) -> Vec<MarkerTree> {
    let mut parts = vec![region.clone()];
    for marker in markers {
        let mut next = Vec::new();
        for part in parts {
            let inside = and(&part, marker);
            let outside = and(&part, &marker.negate());
            if inside.is_false() || outside.is_false() {
                next.push(part);
            } else {
                next.push(inside);
                next.push(outside);
            }
        }
        parts = next;
    }
    parts
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn m(text: &str) -> MarkerTree {
        MarkerTree::from_str(text).unwrap()
    }

    /// Requires-Python as the environments it allows: pubgrub's range edges come back as
    /// the Python releases they stand for, and upper bounds were dropped before.
    #[test]
    fn requires_python_as_a_marker() {
        let marker = |specifiers: &str| {
            let specifiers = pep440_rs::VersionSpecifiers::from_str(specifiers).unwrap();
            requires_python_marker(&super::super::candidates::requires_python_range(
                &specifiers,
            ))
        };
        assert_eq!(marker(""), None);
        assert_eq!(
            marker(">=3.7,!=3.9.0,!=3.9.1"),
            Some(m(
                "python_full_version >= '3.7' and python_full_version != '3.9.0' \
                    and python_full_version != '3.9.1'"
            ))
        );
        assert_eq!(
            marker(">=2.7,!=3.0.*,<4"),
            Some(m(
                "python_full_version >= '2.7' and python_version != '3.0'"
            ))
        );
    }

    #[test]
    fn extras_are_decided() {
        let marker = m("extra == 'socks' and sys_platform == 'win32' or python_version < '3.10'");
        let socks = ExtraName::from_str("socks").unwrap();
        assert_eq!(
            decide_extras(&marker, &[socks]),
            m("sys_platform == 'win32' or python_version < '3.10'")
        );
        assert_eq!(decide_extras(&marker, &[]), m("python_version < '3.10'"));
        assert_eq!(decide_extras(&m("extra == 'a'"), &[]), MarkerTree::FALSE);
    }

    #[test]
    fn a_partition_covers_the_region_with_disjoint_parts() {
        let universe = python_at_least(&Version::from_str("3.9").unwrap());
        let parts = partition(
            &universe,
            &[m("sys_platform == 'linux'"), m("sys_platform == 'darwin'")],
        );
        assert_eq!(parts.len(), 3);
        let mut union = MarkerTree::FALSE;
        for (i, a) in parts.iter().enumerate() {
            union.or(a.clone());
            for b in &parts[i + 1..] {
                assert!(a.is_disjoint(b));
            }
        }
        assert_eq!(union, universe);
    }

    #[test]
    fn the_lowest_python_is_not_written() {
        let floor = Version::from_str("3.9").unwrap();
        let marker = and(&python_at_least(&floor), &m("python_version >= '3.10'"));
        assert_eq!(
            display(&marker, &floor).as_deref(),
            Some("python_full_version >= '3.10'")
        );
        assert_eq!(display(&python_at_least(&floor), &floor), None);
    }
}
