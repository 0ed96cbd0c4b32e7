//! Whether a split of a fork is justified by the releases its parts end with (see
//! `ForkContext::solve_region`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{MarkerTree, PackageName, Requirement, VerbatimUrl};

use super::super::fetch::{FetchError, MetadataResult, PackageFetcher};
use super::super::fork::kept_requirements;
use super::super::marker::and;
use super::super::package::ResolverPackage;
use super::super::rewrites::Rewrites;
use super::SolvedFork;

/// The package on which the releases the parts pin (and the roots) have two requirements
/// that ask for different versions under markers disjoint within `fork` and that the split
/// separates (a part meets one and not the other): the issue's forking rule ("requirements on
/// one package carry markers that select different version ranges") applied to the solution's
/// releases taken together. None when there is none: the split only hid a conflict.
pub(super) fn separating_package(
    fetcher: &dyn PackageFetcher,
    fork: &MarkerTree,
    parts: &[MarkerTree],
    solved: &[SolvedFork],
    roots: Vec<(Requirement<VerbatimUrl>, MarkerTree)>,
    rewrites: &Rewrites,
) -> Result<Option<PackageName>, Arc<FetchError>> {
    let releases: BTreeSet<&(ResolverPackage, Version)> =
        solved.iter().flat_map(|fork| &fork.solution).collect();
    let mut by_name: BTreeMap<PackageName, Vec<(Requirement<VerbatimUrl>, MarkerTree)>> =
        BTreeMap::new();
    for (requirement, marker) in roots {
        by_name
            .entry(requirement.name.clone())
            .or_default()
            .push((requirement, marker));
    }
    for (package, version) in releases {
        let (name, extra) = match package {
            ResolverPackage::Package(name) => (name, None),
            ResolverPackage::Extra(name, extra) => (name, Some(extra)),
            _ => continue,
        };
        let MetadataResult::Found(metadata) = fetcher.metadata(name, version)? else {
            continue;
        };
        for (requirement, marker) in kept_requirements(&metadata, name, extra, fork, rewrites) {
            by_name
                .entry(requirement.name.clone())
                .or_default()
                .push((requirement.into_owned(), marker));
        }
    }
    let separated = |a: &MarkerTree, b: &MarkerTree| {
        parts.iter().any(|part| {
            let (meets_a, meets_b) = (!a.is_disjoint(part), !b.is_disjoint(part));
            meets_a != meets_b
        })
    };
    for (name, requirements) in by_name {
        for (i, (first, first_marker)) in requirements.iter().enumerate() {
            for (second, second_marker) in &requirements[i + 1..] {
                if first.version_or_url != second.version_or_url
                    && and(first_marker, second_marker).is_disjoint(fork)
                    && separated(first_marker, second_marker)
                {
                    return Ok(Some(name));
                }
            }
        }
    }
    Ok(None)
}
