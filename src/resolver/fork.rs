//! One fork of a universal resolution as the provider sees it: which requirements belong to the
//! fork (by marker, not by evaluating one environment), and when the fork must split.
//!
//! pubgrub 0.4's state is private, so a fork cannot be cloned mid-run as uv's pubgrub fork
//! does: a run that finds a split ends with [`FetchError::Fork`], and the driver
//! (`universal.rs`) queues the parts as forks of their own (UNIVERSAL.md, "On pubgrub 0.4").

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{ExtraName, MarkerTree, PackageName, Requirement, VerbatimUrl};
use pubgrub::{Dependencies, Ranges};

use super::candidates::{Unusable, requires_python_range};
use super::fetch::{FetchError, MetadataResult};
use super::marker::{self, and, decide_extras};
use super::package::ResolverPackage;
use super::provider::{Deps, Provider};
use super::range::display_range;
use super::rewrites::Rewrites;
use crate::metadata::CoreMetadata;

type FetchResult<T> = Result<T, Arc<FetchError>>;

/// The requirements of `name` `[extra]` that belong to the fork `fork`, each with the marker
/// its edge carries (its `extra` clauses decided). A requirement whose marker is disjoint from
/// the fork is not part of it; one only partly inside it is kept, with its marker. An extra's
/// package gets the requirements the extra adds (those whose marker changes with it).
/// `--override` and `--exclude` apply first, by marker ([`Rewrites::apply_marked`]).
pub(crate) fn kept_requirements<'a>(
    metadata: &'a CoreMetadata,
    name: &PackageName,
    extra: Option<&ExtraName>,
    fork: &MarkerTree,
    rewrites: &'a Rewrites,
) -> Vec<(Cow<'a, Requirement<VerbatimUrl>>, MarkerTree)> {
    let active: Vec<ExtraName> = extra.cloned().into_iter().collect();
    metadata
        .requires_dist
        .iter()
        .flat_map(|requirement| rewrites.apply_marked(requirement))
        .filter_map(|requirement| {
            let marker = decide_extras(&requirement.marker, &active);
            if extra.is_some() && marker == decide_extras(&requirement.marker, &[]) {
                return None;
            }
            if requirement.name == *name && extra.is_none() {
                return None;
            }
            (!marker.is_disjoint(fork)).then_some((requirement, marker))
        })
        .collect()
}

/// The parts `fork` must split into so that requirements on one package that ask for different
/// things each hold in all or none of every part; None when no split is needed. Requirements
/// that differ only in their markers (or extras) never split a fork: pubgrub takes them as one.
pub(crate) fn needed_split(
    fork: &MarkerTree,
    requirements: &[(&Requirement<VerbatimUrl>, MarkerTree)],
) -> Option<Vec<MarkerTree>> {
    let mut by_name: BTreeMap<&PackageName, Vec<&(&Requirement<VerbatimUrl>, MarkerTree)>> =
        BTreeMap::new();
    for entry in requirements {
        by_name.entry(&entry.0.name).or_default().push(entry);
    }
    for entries in by_name.values() {
        let first = &entries[0].0.version_or_url;
        if entries.iter().all(|(r, _)| r.version_or_url == *first) {
            continue;
        }
        let mut markers: Vec<MarkerTree> = entries.iter().map(|(_, m)| m.clone()).collect();
        markers.sort_by_key(marker::key);
        markers.dedup();
        let parts = marker::partition(fork, &markers);
        if parts.len() > 1 {
            return Some(parts);
        }
    }
    None
}

/// How a release's Requires-Python meets the fork: fine for all of it, for none of it (the
/// release cannot be used here), or for a part (the fork splits on those Python versions, so
/// that the part it excludes gets an older release and the rest this one, as uv does for lower
/// bounds). Exclusions count as lower bounds do (`>=3.7,!=3.9.0,!=3.9.1` splits off
/// `python_full_version == '3.9.0' or python_full_version == '3.9.1'`), so that the lockfile
/// never pins a release on a Python it refuses, which pip would not install.
enum PythonFit {
    All,
    None(Unusable),
    Part(Vec<MarkerTree>),
}

fn python_fit(fork: &MarkerTree, range: &Ranges<Version>) -> PythonFit {
    let Some(allowed) = marker::requires_python_marker(range) else {
        return PythonFit::All;
    };
    let refused = and(fork, &allowed.negate());
    if refused.is_false() {
        return PythonFit::All;
    }
    let accepted = and(fork, &allowed);
    if accepted.is_false() {
        return PythonFit::None(Unusable::RequiresPython(display_range(range)));
    }
    PythonFit::Part(vec![refused, accepted])
}

/// A release that cannot be used in the whole fork for its Requires-Python.
fn unusable_here(
    range: &Ranges<Version>,
) -> Dependencies<ResolverPackage, Ranges<Version>, Unusable> {
    Dependencies::Unavailable(Unusable::RequiresPython(display_range(range)))
}

impl Provider {
    /// `get_dependencies` of a universal run: [`kept_requirements`] of the fork, or the end of
    /// the run when the fork must split.
    pub(crate) fn fork_dependencies(
        &self,
        fork: &MarkerTree,
        name: &PackageName,
        extra: Option<&ExtraName>,
        version: &Version,
    ) -> FetchResult<Dependencies<ResolverPackage, Ranges<Version>, Unusable>> {
        let versions = self.fetcher.versions(name)?;
        let Some(release) = versions.releases.get(version) else {
            return Ok(Dependencies::Unavailable(Unusable::NotOnIndex));
        };
        // A release whose split was dropped (`universal.rs`) takes the fork as a whole: a
        // Requires-Python that refuses part of it refuses it.
        let unsplit = self.unsplit.contains(&(name.clone(), version.clone()));
        let split = |parts| Err(self.request_split(parts, name, version));
        let range = versions.requires_python(release);
        match python_fit(fork, range) {
            PythonFit::All => {}
            PythonFit::None(reason) => return Ok(Dependencies::Unavailable(reason)),
            PythonFit::Part(_) if unsplit => return Ok(unusable_here(range)),
            PythonFit::Part(parts) => return split(parts),
        }
        let metadata = match self.fetcher.metadata(name, version)? {
            MetadataResult::Found(metadata) => metadata,
            MetadataResult::Unusable(reason) => return Ok(Dependencies::Unavailable(reason)),
        };
        if let Some(requires_python) = &metadata.requires_python {
            let range = requires_python_range(requires_python);
            match python_fit(fork, &range) {
                PythonFit::All => {}
                PythonFit::None(reason) => return Ok(Dependencies::Unavailable(reason)),
                PythonFit::Part(_) if unsplit => return Ok(unusable_here(&range)),
                PythonFit::Part(parts) => return split(parts),
            }
        }
        let kept = kept_requirements(&metadata, name, extra, fork, &self.rewrites);
        let kept: Vec<(&Requirement<VerbatimUrl>, MarkerTree)> =
            kept.iter().map(|(r, m)| (r.as_ref(), m.clone())).collect();
        // Unsplit, the kept requirements all apply together (`Deps::add` intersects them).
        if !unsplit && let Some(parts) = needed_split(fork, &kept) {
            return split(parts);
        }
        let mut deps = Deps::default();
        if extra.is_some() {
            deps.add(
                ResolverPackage::Package(name.clone()),
                Ranges::singleton(version.clone()),
            );
        }
        for (requirement, _) in &kept {
            if requirement.name == *name {
                // `foo[a]` needing `foo[b]`: only the extras matter.
                for other in &requirement.extras {
                    deps.add(
                        ResolverPackage::Extra(name.clone(), other.clone()),
                        Ranges::singleton(version.clone()),
                    );
                }
            } else {
                Self::add_requirement(&mut deps, &self.constraints, requirement);
                self.fetcher.prefetch_versions(&requirement.name);
            }
        }
        self.note_clashes(name, &deps);
        Ok(deps.into_pubgrub())
    }
}
