//! A conflict explained in the user's terms: package names, specifiers, the input lines that
//! asked, and why releases could not be used. Never pubgrub's `root` or raw ranges.

use std::collections::BTreeSet;

use pep440_rs::Version;
use pubgrub::{
    DefaultStringReporter, DerivationTree, Derived, External, Map, Ranges, ReportFormatter,
    Reporter, Term,
};

use super::candidates::Unusable;
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

/// Point at pre-releases the user did not opt into, when they would have helped.
fn hint(tree: &Tree, provider: &Provider) -> Option<String> {
    let mut names = BTreeSet::new();
    collect_no_versions(tree, &mut |package, range| {
        if let ResolverPackage::Package(name) = package
            && let Some(versions) = provider.fetcher.known_versions(name)
        {
            let pre_in_range = versions
                .releases
                .keys()
                .any(|v| v.any_prerelease() && range.contains(v));
            if pre_in_range && !provider.allows_prerelease(name, &versions) {
                names.insert(name.to_string());
            }
        }
    });
    (!names.is_empty()).then(|| {
        let names: Vec<_> = names.into_iter().map(|n| format!("`{n}`")).collect();
        format!(
            "pre-releases of {} would match; pass --pre or name a pre-release in the requirement to allow them",
            names.join(", ")
        )
    })
}

fn collect_no_versions(tree: &Tree, f: &mut impl FnMut(&ResolverPackage, &Ranges<Version>)) {
    match tree {
        DerivationTree::External(External::NoVersions(package, range)) => f(package, range),
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
            ResolverPackage::Package(_) | ResolverPackage::Extra(..) => {
                let shown = display_range(range);
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
            External::NoVersions(package, range) => {
                let Some(name) = package.name() else {
                    return format!("{} cannot be satisfied", self.package(package, range));
                };
                match self.provider.fetcher.known_versions(name) {
                    Some(versions) if versions.is_empty() => {
                        format!("`{name}` was not found in the package index")
                    }
                    Some(versions) => {
                        let matching: Vec<&Version> = versions
                            .releases
                            .keys()
                            .filter(|v| range.contains(v))
                            .collect();
                        if matching.is_empty() {
                            format!("there is no version of {}", self.package(package, range))
                        } else if matching.iter().all(|v| v.any_prerelease())
                            && !self.provider.allows_prerelease(name, &versions)
                        {
                            format!(
                                "only pre-releases of {} exist, and pre-releases are not enabled for it",
                                self.package(package, range)
                            )
                        } else {
                            format!(
                                "no release of {} can be used (yanked, or not allowed)",
                                self.package(package, range)
                            )
                        }
                    }
                    None => format!("there is no version of {}", self.package(package, range)),
                }
            }
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
