//! PEP 440 specifiers as pubgrub ranges, and ranges shown back to people as specifiers.

use std::fmt::Write;
use std::ops::Bound;

use pep440_rs::{Operator, Version, VersionSpecifier, VersionSpecifiers};
use pubgrub::Ranges;

/// The range of versions a set of specifiers admits.
pub(crate) fn specifiers_range(specifiers: &VersionSpecifiers) -> Ranges<Version> {
    specifiers.iter().fold(Ranges::full(), |range, s| {
        range.intersection(&specifier_range(s))
    })
}

/// pep440_rs's conversion, except for local versions: PEP 440 ignores the candidate's local label
/// when the specifier has none, so `==1.0` and `<=1.0` admit `1.0+cpu` and `!=1.0` rejects it.
pub(crate) fn specifier_range(specifier: &VersionSpecifier) -> Ranges<Version> {
    let version = specifier.version();
    let local_free = version.local().is_empty();
    match specifier.operator() {
        Operator::Equal if local_free => with_locals(version),
        Operator::NotEqual if local_free => with_locals(version).complement(),
        Operator::LessThanEqual if local_free => Ranges::strictly_lower_than(past_locals(version)),
        _ => Ranges::from(specifier.clone()),
    }
}

/// `version` and every local version of it.
fn with_locals(version: &Version) -> Ranges<Version> {
    Ranges::from_range_bounds(version.clone()..past_locals(version))
}

/// The smallest version greater than `version+anything`: the next dev, or else post, release.
fn past_locals(version: &Version) -> Version {
    if let Some(dev) = version.dev() {
        version.clone().with_dev(Some(dev + 1))
    } else {
        let post = version.post().map_or(0, |post| post + 1);
        version.clone().with_post(Some(post)).with_dev(Some(0))
    }
}

/// Show a range as specifiers people read: `>=1.0, <2.0`, `==1.2`, `!=1.5`; pubgrub's internal
/// edges (`1.0.dev0`, `1.0.post0.dev0`, `1.0max0`) are shown as the release they stand for.
pub(crate) fn display_range(range: &Ranges<Version>) -> String {
    if range.is_empty() {
        return "(no version)".to_string();
    }
    if range == &Ranges::full() {
        return "*".to_string();
    }
    // A range that is everything but a few points reads best as `!=`.
    let complement = range.complement();
    let points: Vec<_> = complement.iter().filter_map(point).collect();
    if !complement.is_empty() && points.len() == complement.iter().count() {
        return points
            .iter()
            .map(|v| format!("!={v}"))
            .collect::<Vec<_>>()
            .join(", ");
    }
    let mut parts = Vec::new();
    for segment in range.iter() {
        if let Some(v) = point(segment) {
            parts.push(format!("=={v}"));
            continue;
        }
        let mut text = String::new();
        match segment.0 {
            Bound::Included(v) => write!(text, ">={}", shown(v)).unwrap(),
            Bound::Excluded(v) => write!(text, ">{}", shown(v)).unwrap(),
            Bound::Unbounded => {}
        }
        let upper = match segment.1 {
            Bound::Included(v) => Some(format!("<={}", shown(v))),
            Bound::Excluded(v) if is_past_locals_edge(v) => Some(format!("<={}", shown(v))),
            Bound::Excluded(v) => Some(format!("<{}", shown(v))),
            Bound::Unbounded => None,
        };
        if let Some(upper) = upper {
            if !text.is_empty() {
                text.push_str(", ");
            }
            text.push_str(&upper);
        }
        parts.push(text);
    }
    parts.join(" | ")
}

/// A segment that stands for one version: `[v, v]` or `[v, past_locals(v))`.
fn point((lower, upper): (&Bound<Version>, &Bound<Version>)) -> Option<Version> {
    match (lower, upper) {
        (Bound::Included(a), Bound::Included(b)) if a == b => Some(a.clone()),
        (Bound::Included(a), Bound::Excluded(b)) if *b == past_locals(a) => Some(a.clone()),
        _ => None,
    }
}

/// An exclusive edge made by `past_locals`, which reads as `<=` of the version before it.
fn is_past_locals_edge(v: &Version) -> bool {
    v.dev() == Some(0) && v.post().is_some() && v.pre().is_none()
}

/// The version a range edge stands for, without pubgrub's internal suffixes.
fn shown(v: &Version) -> Version {
    let mut v = v.clone();
    if Version::min(&v).is_some() || Version::max(&v).is_some() {
        v = v.with_min(None).with_max(None);
    }
    if is_past_locals_edge(&v) {
        let post = v.post().unwrap_or(0);
        v = v.with_dev(None).with_post(post.checked_sub(1));
    } else if v.dev() == Some(0) && v.pre().is_none() && v.post().is_none() {
        // `>=1.0.dev0` is how ranges include pre-releases of 1.0; people wrote `>=1.0`.
        v = v.with_dev(None);
    }
    v
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;

    use super::*;

    fn range(s: &str) -> Ranges<Version> {
        specifiers_range(&VersionSpecifiers::from_str(s).unwrap())
    }

    fn v(s: &str) -> Version {
        Version::from_str(s).unwrap()
    }

    #[test]
    fn local_versions_follow_pep_440() {
        assert!(range("==1.0").contains(&v("1.0+cpu")));
        assert!(range("<=1.0").contains(&v("1.0+cpu")));
        assert!(!range("!=1.0").contains(&v("1.0+cpu")));
        assert!(!range("==1.0").contains(&v("1.0.post1")));
        assert!(range("==1.0+cpu").contains(&v("1.0+cpu")));
        assert!(!range("==1.0+cpu").contains(&v("1.0+gpu")));
    }

    #[test]
    fn ranges_read_as_specifiers() {
        assert_eq!(display_range(&range(">=1.0,<2.0")), ">=1.0, <2.0");
        assert_eq!(display_range(&range("==1.2")), "==1.2");
        assert_eq!(display_range(&range("!=1.5")), "!=1.5");
        assert_eq!(display_range(&range("<=1.5")), "<=1.5");
        assert_eq!(display_range(&range(">1.5")), ">1.5");
        assert_eq!(display_range(&Ranges::full()), "*");
    }

    fn version_strategy() -> impl Strategy<Value = Version> {
        let release = prop::collection::vec(0u64..4, 1..4);
        let pre = prop::option::of((0usize..3, 0u64..3));
        let post = prop::option::of(0u64..3);
        let dev = prop::option::of(0u64..3);
        let local = prop::option::of(prop::sample::select(vec!["cpu", "1", "abc.2"]));
        let epoch = prop::sample::select(vec![0u64, 0, 0, 1]);
        (epoch, release, pre, post, dev, local).prop_map(
            |(epoch, release, pre, post, dev, local)| {
                let mut s = format!("{epoch}!");
                s.push_str(
                    &release
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join("."),
                );
                if let Some((kind, n)) = pre {
                    s.push_str(&format!("{}{n}", ["a", "b", "rc"][kind]));
                }
                if let Some(n) = post {
                    s.push_str(&format!(".post{n}"));
                }
                if let Some(n) = dev {
                    s.push_str(&format!(".dev{n}"));
                }
                if let Some(l) = local {
                    s.push_str(&format!("+{l}"));
                }
                Version::from_str(&s).unwrap()
            },
        )
    }

    fn specifier_strategy() -> impl Strategy<Value = VersionSpecifier> {
        let ops = prop::sample::select(vec![
            "==", "!=", "<=", ">=", "<", ">", "~=", "===", "==*", "!=*",
        ]);
        (ops, version_strategy()).prop_filter_map("valid specifier", |(op, version)| {
            let text = match op {
                "==*" | "!=*" => {
                    let release = version.release();
                    let base = release
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(".");
                    format!("{}{base}.*", &op[..2])
                }
                "===" => format!("==={version}"),
                _ => format!("{op}{}", version),
            };
            VersionSpecifier::from_str(&text).ok()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// The range contains exactly the versions the specifier contains.
        #[test]
        fn range_agrees_with_specifier(spec in specifier_strategy(), version in version_strategy()) {
            // Exclusive comparisons against a pre-, post- or dev-release specifier have holes
            // (packaging rejects post and local releases of the same base version) that no real
            // requirement relies on; pep440_rs's ranges close them.
            let edge = matches!(spec.operator(), Operator::GreaterThan | Operator::LessThan)
                && (spec.version().any_prerelease() || spec.version().is_post())
                && spec.version().only_release() == version.only_release();
            prop_assume!(!edge);
            // `<1!3` and `3a0`: pep440_rs excludes a pre-release of the same release segments
            // whatever the epoch; packaging compares base versions, epoch included, and admits
            // it, as the range does.
            let trimmed = |v: &Version| {
                let mut release = v.release().to_vec();
                while release.last() == Some(&0) {
                    release.pop();
                }
                release
            };
            let epochs = matches!(spec.operator(), Operator::GreaterThan | Operator::LessThan)
                && spec.version().epoch() != version.epoch()
                && trimmed(spec.version()) == trimmed(&version);
            prop_assume!(!epochs);
            // `===` compares strings (PEP 440 arbitrary equality), which no version range can
            // express; as a range it is the version itself.
            prop_assume!(
                *spec.operator() != Operator::ExactEqual
                    || spec.version().to_string() == version.to_string()
            );
            // PEP 440 pads the candidate's release with zeros for prefix matching; pep440_rs's
            // `contains` compares only the common prefix (`0` would match `==0.1.*`).
            let expected = if matches!(spec.operator(), Operator::EqualStar | Operator::NotEqualStar) {
                let mut release = version.release().to_vec();
                release.resize(release.len().max(spec.version().release().len()), 0);
                spec.contains(&version.clone().with_release(release))
            } else {
                spec.contains(&version)
            };
            prop_assert_eq!(
                specifier_range(&spec).contains(&version),
                expected,
                "{} vs {}", spec, version
            );
        }
    }
}
