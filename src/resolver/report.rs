//! A conflict explained in the user's terms: package names, specifiers, the input lines that
//! asked, and why releases could not be used. Never pubgrub's `root` or raw ranges.

use std::collections::BTreeSet;

use pep440_rs::Version;
use pep508_rs::PackageName;
use pubgrub::{
    DefaultStringReporter, DerivationTree, Derived, External, Map, Ranges, ReportFormatter,
    Reporter, Term,
};

use super::candidates::{Unusable, VersionMap};
use super::package::ResolverPackage;
use super::provider::Provider;
use super::range::display_range;
use super::{InputKind, InputRequirement};

type Tree = DerivationTree<ResolverPackage, Ranges<Version>, Unusable>;

/// The explanation and an optional hint.
pub(super) fn explain(
    tree: &Tree,
    provider: &Provider,
    inputs: &[InputRequirement],
) -> (String, Option<String>) {
    let merged = merge_dependency_chains(tree);
    let tree = &merged;
    let formatter = Formatter { provider, inputs };
    let report = match tree {
        // Collapsing "no versions" nodes can leave only the user's requirement; say why it fails.
        DerivationTree::External(root @ External::FromDependencyOf(_, _, dep, range)) => formatter
            .explain_both_external(
                &External::NoVersions(dep.clone(), range.clone()),
                root,
                &Map::default(),
            ),
        _ => DefaultStringReporter::report_with_formatter(tree, &formatter),
    };
    (report, hint(tree, provider))
}

/// A derived fact built only from "`p` depends on `d`" facts of one pair of packages is itself
/// one such fact: `{p in R, d not in S}` reads "`p` R depends on `d` S". pubgrub explains how
/// it combined forty releases of `aiobotocore`, one line pair per release; a person wants the
/// conclusion, so the chain is replaced with the external fact it proves.
fn merge_dependency_chains(tree: &Tree) -> Tree {
    let DerivationTree::Derived(derived) = tree else {
        return tree.clone();
    };
    let cause1 = merge_dependency_chains(&derived.cause1);
    let cause2 = merge_dependency_chains(&derived.cause2);
    let terms: Vec<_> = derived.terms.iter().collect();
    if let [(a, ta), (b, tb)] = terms.as_slice() {
        let pair = match (ta, tb) {
            (Term::Positive(r), Term::Negative(s)) => Some((*a, r, *b, s)),
            (Term::Negative(s), Term::Positive(r)) => Some((*b, r, *a, s)),
            _ => None,
        };
        if let Some((package, range, dep, dep_range)) = pair
            && only_dependencies_between(&cause1, package, dep)
            && only_dependencies_between(&cause2, package, dep)
        {
            return DerivationTree::External(External::FromDependencyOf(
                package.clone(),
                range.clone(),
                dep.clone(),
                dep_range.clone(),
            ));
        }
    }
    let mut derived = derived.clone();
    derived.cause1 = std::sync::Arc::new(cause1);
    derived.cause2 = std::sync::Arc::new(cause2);
    DerivationTree::Derived(derived)
}

fn only_dependencies_between(
    tree: &Tree,
    package: &ResolverPackage,
    dep: &ResolverPackage,
) -> bool {
    match tree {
        DerivationTree::External(External::FromDependencyOf(p, _, d, _)) => {
            p == package && d == dep
        }
        DerivationTree::External(_) => false,
        DerivationTree::Derived(derived) => {
            only_dependencies_between(&derived.cause1, package, dep)
                && only_dependencies_between(&derived.cause2, package, dep)
        }
    }
}

/// Point at pre-releases the user did not opt into, and at releases a cooldown hid, when they
/// would have helped.
fn hint(tree: &Tree, provider: &Provider) -> Option<String> {
    let mut names = BTreeSet::new();
    let mut cooled = BTreeSet::new();
    collect_no_versions(tree, &mut |package, range| {
        if let ResolverPackage::Package(name) = package
            && let Some(versions) = provider.fetcher.known_versions(name)
        {
            if let Some(excluded) = versions.excluded()
                && cooled_off(&versions, name, range).is_some()
            {
                cooled.insert((name.clone(), excluded.option));
            }
            let pre_in_range: Vec<&Version> = versions
                .releases
                .iter()
                .filter(|(v, r)| v.any_prerelease() && !r.yanked && range.contains(v))
                .map(|(v, _)| v)
                .collect();
            let final_in_range = versions
                .releases
                .iter()
                .any(|(v, r)| !v.any_prerelease() && !r.yanked && range.contains(v));
            if !pre_in_range.is_empty()
                && !final_in_range
                && !provider.allows_prerelease(name, &versions)
            {
                names.insert(format!("`{name}` ({})", newest(&pre_in_range, 5)));
            }
        }
    });
    let mut hints = Vec::new();
    if !names.is_empty() {
        let names: Vec<_> = names.into_iter().collect();
        hints.push(format!(
            "pre-releases of {} would match; pass --pre or name a pre-release in the requirement to allow them",
            names.join(", ")
        ));
    }
    for (name, option) in cooled {
        hints.push(if option == "--exclude-newer-package" {
            format!("a later `--exclude-newer-package {name}=DATE` would let its newer releases in")
        } else {
            format!(
                "a later cutoff ({option}) or one of `{name}`'s own (--exclude-newer-package {name}=DATE) would let its newer releases in"
            )
        });
    }
    (!hints.is_empty()).then(|| hints.join("\n"))
}

/// `3.0, 2.1, 2.0` (newest first), at most `limit` of them, then `and N more`.
fn newest(versions: &[&Version], limit: usize) -> String {
    let mut shown: Vec<String> = versions
        .iter()
        .rev()
        .take(limit)
        .map(ToString::to_string)
        .collect();
    if versions.len() > limit {
        shown.push(format!("and {} more", versions.len() - limit));
    }
    shown.join(", ")
}

/// The known name closest to `name` by edit distance, when it is close enough to be a typo
/// (at most a third of the name's length, and at most 3 edits).
fn did_you_mean(name: &str, known: &[String]) -> Option<String> {
    let normalized = |n: &str| n.to_ascii_lowercase().replace(['_', '.'], "-");
    let name = normalized(name);
    let limit = (name.len() / 3).clamp(1, 3);
    known
        .iter()
        .map(|k| normalized(k))
        .filter(|k| *k != name)
        .map(|k| (edit_distance(&name, &k), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k)
}

/// Damerau-Levenshtein (optimal string alignment): a swapped pair (`reqeusts`) is one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// `range` rewritten against the versions that exist, as a person would write it: runs of
/// consecutive existing versions inside the range become one `>=first, <next` segment, so a
/// union of a hundred single versions reads `>=1.2, <1.9` (uv's `simplify_range`). A range that
/// holds no existing version is left as it was.
pub(super) fn simplify(range: &Ranges<Version>, versions: &[&Version]) -> Ranges<Version> {
    use std::ops::Bound;
    let mut out = Ranges::empty();
    let mut lower: Option<Bound<Version>> = None;
    for (i, version) in versions.iter().enumerate() {
        if range.contains(version) {
            if lower.is_none() {
                lower = Some(if i == 0 {
                    Bound::Unbounded
                } else {
                    Bound::Included((*version).clone())
                });
            }
        } else if let Some(start) = lower.take() {
            let segment = Ranges::from_range_bounds((start, Bound::Excluded((*version).clone())));
            out = out.union(&segment);
        }
    }
    if let Some(start) = lower {
        out = out.union(&Ranges::from_range_bounds((start, Bound::Unbounded)));
    }
    if out.is_empty() { range.clone() } else { out }
}

/// Every range a package was required in or found empty in: where a pre-release might have
/// been the answer.
fn collect_no_versions(tree: &Tree, f: &mut impl FnMut(&ResolverPackage, &Ranges<Version>)) {
    match tree {
        DerivationTree::External(External::NoVersions(package, range)) => f(package, range),
        DerivationTree::External(External::FromDependencyOf(_, _, dep, range)) => f(dep, range),
        DerivationTree::External(_) => {}
        DerivationTree::Derived(derived) => {
            collect_no_versions(&derived.cause1, f);
            collect_no_versions(&derived.cause2, f);
        }
    }
}

struct Formatter<'a> {
    provider: &'a Provider,
    inputs: &'a [InputRequirement],
}

impl Formatter<'_> {
    /// `name`, `name==1.0`, `name>=1.0, <2.0`, with the range simplified against the versions
    /// that exist.
    fn package(&self, package: &ResolverPackage, range: &Ranges<Version>) -> String {
        match package {
            ResolverPackage::Root => "your requirements".to_string(),
            ResolverPackage::Python => format!("Python {}", display_range(range)),
            ResolverPackage::Package(name) | ResolverPackage::Extra(name, _) => {
                // Only unions need it: one segment already reads as the user wrote it.
                let simplified = match self.provider.fetcher.known_versions(name) {
                    Some(versions) if !versions.is_empty() && range.iter().count() > 1 => {
                        let all: Vec<&Version> = versions.releases.keys().collect();
                        simplify(range, &all)
                    }
                    _ => range.clone(),
                };
                let shown = display_range(&simplified);
                let spec = if shown == "*" {
                    String::new()
                } else if shown.starts_with(['=', '!', '<', '>', '~']) {
                    shown
                } else {
                    format!(" {shown}")
                };
                format!("`{package}{spec}`")
            }
        }
    }

    /// Where the user asked for `package` within `range`: `requirements.in:3`. A range derived
    /// from several requirements names them all.
    fn origins(&self, package: &ResolverPackage, range: &Ranges<Version>) -> String {
        let Some(name) = package.name() else {
            return String::new();
        };
        let places: Vec<String> = self
            .inputs
            .iter()
            .filter(|input| input.requirement.name == *name)
            .filter(|input| match &input.requirement.version_or_url {
                Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) => {
                    !super::range::specifiers_range(specifiers).is_disjoint(range)
                }
                _ => true,
            })
            .map(|input| {
                let kind = match input.kind {
                    InputKind::Requirement => "",
                    InputKind::Constraint => "constraint ",
                };
                format!(
                    "{kind}{}:{}",
                    input.origin.file.display(),
                    input.origin.line
                )
            })
            .collect();
        if places.is_empty() {
            String::new()
        } else {
            format!(" ({})", places.join(", "))
        }
    }
}

impl Formatter<'_> {
    /// Why no release of `name` within `range` can be used: not on the index, none in the
    /// range (naming those that exist), only pre-releases, or none usable; and, under a
    /// cooldown, the releases in the range it left out.
    fn no_versions(
        &self,
        package: &ResolverPackage,
        name: &PackageName,
        range: &Ranges<Version>,
    ) -> String {
        let Some(versions) = self.provider.fetcher.known_versions(name) else {
            return format!("there is no version of {}", self.package(package, range));
        };
        let cooled = cooled_off(&versions, name, range);
        if versions.is_empty() && cooled.is_none() {
            return match did_you_mean(name.as_ref(), &self.provider.fetcher.known_names()) {
                Some(close) => {
                    format!("`{name}` was not found in the package index (did you mean `{close}`?)")
                }
                None => format!("`{name}` was not found in the package index"),
            };
        }
        let matching: Vec<&Version> = versions
            .releases
            .keys()
            .filter(|v| range.contains(v))
            .collect();
        let all: Vec<&Version> = versions.releases.keys().collect();
        let mut notes: Vec<String> = cooled.into_iter().collect();
        if matching.is_empty() && range.iter().count() == 1 {
            // A version or one range the user may have mistyped: name those that exist (a
            // derived `!=1.0` would only repeat them).
            if !all.is_empty() {
                notes.push(format!("`{name}` has {}", newest(&all, 8)));
            }
            return format!(
                "there is no version of {}{}",
                self.package(package, range),
                parenthesised(&notes)
            );
        }
        let notes = parenthesised(&notes);
        if matching.is_empty() {
            format!(
                "there is no version of {}{notes}",
                self.package(package, range)
            )
        } else if matching.iter().all(|v| v.any_prerelease())
            && !self.provider.allows_prerelease(name, &versions)
        {
            format!(
                "only pre-releases of {} exist, and pre-releases are not enabled for it{notes}",
                self.package(package, range)
            )
        } else {
            format!(
                "no release of {} can be used (yanked, or not allowed){notes}",
                self.package(package, range)
            )
        }
    }
}

/// ` (a; b)`, or nothing without notes.
fn parenthesised(notes: &[String]) -> String {
    if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    }
}

/// `foo 2.0 and 2.1 were uploaded after the cutoff 2024-06-01T00:00:00Z set by --exclude-newer`:
/// the releases within `range` a cooldown left out entirely (a release with an older file left
/// is still listed), and how many of their files it left out. None when there are none.
fn cooled_off(
    versions: &VersionMap,
    name: &PackageName,
    range: &Ranges<Version>,
) -> Option<String> {
    let excluded = versions.excluded()?;
    let files: Vec<_> = excluded
        .files
        .iter()
        .filter(|f| range.contains(f.version()) && !versions.releases.contains_key(f.version()))
        .collect();
    let hidden: BTreeSet<&Version> = files.iter().map(|f| f.version()).collect();
    if hidden.is_empty() {
        return None;
    }
    let hidden: Vec<&Version> = hidden.into_iter().collect();
    let shown = oldest_first(&hidden, 5);
    let verb = if hidden.len() == 1 { "was" } else { "were" };
    let files = match files.len() {
        1 => "1 file".to_string(),
        n => format!("{n} files"),
    };
    Some(format!(
        "{name} {shown} {verb} uploaded after the cutoff {} set by {}, which left out {files}",
        excluded.cutoff, excluded.option
    ))
}

/// `2.0, 2.1 and 3.0` (oldest first), at most `limit` of them, then `and N more`.
fn oldest_first(versions: &[&Version], limit: usize) -> String {
    let mut shown: Vec<String> = versions
        .iter()
        .take(limit)
        .map(ToString::to_string)
        .collect();
    if versions.len() > limit {
        shown.push(format!("{} more", versions.len() - limit));
    }
    match shown.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => shown.join(""),
    }
}

impl ReportFormatter<ResolverPackage, Ranges<Version>, Unusable> for Formatter<'_> {
    type Output = String;

    fn format_external(
        &self,
        external: &External<ResolverPackage, Ranges<Version>, Unusable>,
    ) -> String {
        match external {
            External::NotRoot(..) => "the requirements were not chosen".to_string(),
            External::NoVersions(ResolverPackage::Python, range) => format!(
                "the target Python is {}, which is not {}",
                self.provider.python,
                display_range(range)
            ),
            External::NoVersions(package, range) => match package.name() {
                Some(name) => self.no_versions(package, name, range),
                None => format!("{} cannot be satisfied", self.package(package, range)),
            },
            External::FromDependencyOf(ResolverPackage::Root, _, dep, dep_range) => format!(
                "you require {}{}",
                self.package(dep, dep_range),
                self.origins(dep, dep_range)
            ),
            External::FromDependencyOf(package, range, ResolverPackage::Python, dep_range) => {
                let target = if dep_range.contains(&self.provider.python) {
                    String::new()
                } else {
                    format!(" (the target is Python {})", self.provider.python)
                };
                format!(
                    "{} requires Python {}{target}",
                    self.package(package, range),
                    display_range(dep_range)
                )
            }
            External::FromDependencyOf(package, range, dep, dep_range) => format!(
                "{} depends on {}",
                self.package(package, range),
                self.package(dep, dep_range)
            ),
            External::Custom(package, range, reason) => format!(
                "{} cannot be used because {reason}",
                self.package(package, range)
            ),
        }
    }

    fn format_terms(&self, terms: &Map<ResolverPackage, Term<Ranges<Version>>>) -> String {
        let terms: Vec<_> = terms.iter().collect();
        match terms.as_slice() {
            [] => "the requirements cannot be satisfied".to_string(),
            [(ResolverPackage::Root, Term::Positive(_))] => {
                "the requirements cannot be satisfied".to_string()
            }
            [(package, Term::Positive(range))] => {
                format!("{} cannot be used", self.package(package, range))
            }
            [(package, Term::Negative(range))] => {
                format!("{} is required", self.package(package, range))
            }
            [(p1, Term::Positive(r1)), (p2, Term::Negative(r2))]
            | [(p2, Term::Negative(r2)), (p1, Term::Positive(r1))] => self.format_external(
                &External::FromDependencyOf((*p1).clone(), r1.clone(), (*p2).clone(), r2.clone()),
            ),
            many => {
                let parts: Vec<String> = many
                    .iter()
                    .map(|(package, term)| match term {
                        Term::Positive(range) => self.package(package, range),
                        Term::Negative(range) => format!("not {}", self.package(package, range)),
                    })
                    .collect();
                format!("{} are incompatible", parts.join(", "))
            }
        }
    }

    fn explain_both_external(
        &self,
        external1: &External<ResolverPackage, Ranges<Version>, Unusable>,
        external2: &External<ResolverPackage, Ranges<Version>, Unusable>,
        current_terms: &Map<ResolverPackage, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "Because {} and {}, {}.",
            self.format_external(external1),
            self.format_external(external2),
            self.format_terms(current_terms)
        )
    }

    fn explain_both_ref(
        &self,
        ref_id1: usize,
        derived1: &Derived<ResolverPackage, Ranges<Version>, Unusable>,
        ref_id2: usize,
        derived2: &Derived<ResolverPackage, Ranges<Version>, Unusable>,
        current_terms: &Map<ResolverPackage, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "Because {} ({ref_id1}) and {} ({ref_id2}), {}.",
            self.format_terms(&derived1.terms),
            self.format_terms(&derived2.terms),
            self.format_terms(current_terms)
        )
    }

    fn explain_ref_and_external(
        &self,
        ref_id: usize,
        derived: &Derived<ResolverPackage, Ranges<Version>, Unusable>,
        external: &External<ResolverPackage, Ranges<Version>, Unusable>,
        current_terms: &Map<ResolverPackage, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "Because {} ({ref_id}) and {}, {}.",
            self.format_terms(&derived.terms),
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_external(
        &self,
        external: &External<ResolverPackage, Ranges<Version>, Unusable>,
        current_terms: &Map<ResolverPackage, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "And because {}, {}.",
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_ref(
        &self,
        ref_id: usize,
        derived: &Derived<ResolverPackage, Ranges<Version>, Unusable>,
        current_terms: &Map<ResolverPackage, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "And because {} ({ref_id}), {}.",
            self.format_terms(&derived.terms),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_prior_and_external(
        &self,
        prior_external: &External<ResolverPackage, Ranges<Version>, Unusable>,
        external: &External<ResolverPackage, Ranges<Version>, Unusable>,
        current_terms: &Map<ResolverPackage, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "And because {} and {}, {}.",
            self.format_external(prior_external),
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn a_typo_is_one_edit_away() {
        assert_eq!(edit_distance("reqeusts", "requests"), 1);
        let known = vec!["requests".to_string(), "urllib3".to_string()];
        assert_eq!(
            did_you_mean("reqeusts", &known).as_deref(),
            Some("requests")
        );
        assert_eq!(did_you_mean("numpy", &known), None);
    }

    #[test]
    fn hidden_releases_read_as_a_list() {
        let versions: Vec<Version> = ["1.0", "1.1", "2.0", "2.1", "3.0", "3.1", "4.0"]
            .iter()
            .map(|v| Version::from_str(v).unwrap())
            .collect();
        let refs: Vec<&Version> = versions.iter().collect();
        assert_eq!(oldest_first(&refs[..1], 5), "1.0");
        assert_eq!(oldest_first(&refs[..2], 5), "1.0 and 1.1");
        assert_eq!(oldest_first(&refs[..3], 5), "1.0, 1.1 and 2.0");
        assert_eq!(oldest_first(&refs, 5), "1.0, 1.1, 2.0, 2.1, 3.0 and 2 more");
    }

    #[test]
    fn unions_of_versions_read_as_ranges() {
        let versions: Vec<Version> = ["1.0", "1.1", "1.2", "1.3", "2.0", "2.1"]
            .iter()
            .map(|v| Version::from_str(v).unwrap())
            .collect();
        let refs: Vec<&Version> = versions.iter().collect();
        let union = ["1.1", "1.2", "2.1"]
            .iter()
            .map(|v| Ranges::singleton(Version::from_str(v).unwrap()))
            .fold(Ranges::empty(), |acc, r| acc.union(&r));
        assert_eq!(
            display_range(&simplify(&union, &refs)),
            ">=1.1, <1.3 | >=2.1"
        );
        let low = Ranges::strictly_lower_than(Version::from_str("1.3").unwrap());
        assert_eq!(display_range(&simplify(&low, &refs)), "<1.3");
    }
}
