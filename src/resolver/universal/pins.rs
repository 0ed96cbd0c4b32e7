//! A universal resolution's pins: each fork's versions with the marker under which each is
//! needed, joined across forks (UNIVERSAL.md, "A pin's marker").

use std::collections::{BTreeMap, HashMap};

use pep440_rs::Version;
use pep508_rs::{MarkerTree, PackageName};

use super::super::fetch::{IndexFetcher, MetadataResult};
use super::super::fork::kept_requirements;
use super::super::marker::{self, and};
use super::super::package::ResolverPackage;
use super::super::{
    DirectReferences, InputKind, InputRequirement, ResolveError, ResolvedPackage, Via,
};
use super::tags::wheel_marker;
use super::{SolvedFork, Universe, in_fork};
use crate::metadata::DistFilename;

/// One edge of a fork's graph: `from` requires `to` where `marker` holds.
struct Edge {
    from: ResolverPackage,
    to: ResolverPackage,
    marker: MarkerTree,
    /// What `# via` says for it.
    via: Via,
}

/// The pins of every fork: per fork, each package's marker is the union over its paths from
/// the roots of the conjunction of the edge markers along each (a fixpoint: the graph may
/// have cycles), within the fork's marker; across forks, the markers of one `name==version`
/// are joined. A package no path reaches in any environment is not pinned.
pub(super) async fn pins(
    forks: &[SolvedFork],
    fetcher: &IndexFetcher,
    direct: &DirectReferences,
    requirements: &[InputRequirement],
) -> Result<Vec<ResolvedPackage>, ResolveError> {
    let mut pins: BTreeMap<(PackageName, Version), ResolvedPackage> = BTreeMap::new();
    for fork in forks {
        let edges = edges(fork, fetcher, requirements).await?;
        let markers = fixpoint(&fork.marker, &edges);
        let reached = |package: &ResolverPackage| {
            markers
                .get(package)
                .cloned()
                .filter(|marker| !marker.is_false())
        };
        for (package, version) in &fork.solution {
            let ResolverPackage::Package(name) = package else {
                continue;
            };
            let Some(marker) = reached(package) else {
                continue;
            };
            let key = (name.clone(), version.clone());
            if !pins.contains_key(&key) {
                pins.insert(
                    key.clone(),
                    super::super::new_pin(name, version, fetcher, direct, MarkerTree::FALSE)
                        .await?,
                );
            }
            let pin = pins.get_mut(&key).expect("inserted above");
            pin.marker.or(marker);
            for edge in edges.iter().filter(|e| e.to == *package) {
                if reached(&edge.from).is_some_and(|from| !and(&from, &edge.marker).is_false()) {
                    pin.via.insert(edge.via.clone());
                }
            }
            // Constraints name the pins they constrain (`# via -c constraints.txt`).
            for input in requirements.iter().filter(|r| {
                r.kind == InputKind::Constraint
                    && r.requirement.name == *name
                    && in_fork(r, &fork.marker)
            }) {
                pin.via
                    .insert(Via::File(InputKind::Constraint, input.origin.file.clone()));
            }
        }
        for (package, version) in &fork.solution {
            if let ResolverPackage::Extra(name, extra) = package
                && reached(package).is_some()
                && let Some(pin) = pins.get_mut(&(name.clone(), version.clone()))
            {
                pin.extras.insert(extra.clone());
            }
        }
    }
    Ok(pins.into_values().collect())
}

/// The edges of a fork's solution: from the roots (the input requirements in the fork), from
/// each release to the requirements it keeps in the fork, from `name[extra]` to `name`.
async fn edges(
    fork: &SolvedFork,
    fetcher: &IndexFetcher,
    requirements: &[InputRequirement],
) -> Result<Vec<Edge>, ResolveError> {
    let mut edges = Vec::new();
    for input in requirements
        .iter()
        .filter(|r| r.kind == InputKind::Requirement && in_fork(r, &fork.marker))
    {
        let requirement = &input.requirement;
        let marker = marker::decide_extras(&requirement.marker, &[]);
        let via = Via::File(input.kind.clone(), input.origin.file.clone());
        push_requirement(
            &mut edges,
            &ResolverPackage::Root,
            requirement,
            &marker,
            &via,
        );
    }
    for (package, version) in &fork.solution {
        let (name, extra) = match package {
            ResolverPackage::Package(name) => (name, None),
            ResolverPackage::Extra(name, extra) => (name, Some(extra)),
            _ => continue,
        };
        let via = Via::Package(name.clone());
        if extra.is_some() {
            edges.push(Edge {
                from: package.clone(),
                to: ResolverPackage::Package(name.clone()),
                marker: MarkerTree::TRUE,
                via: via.clone(),
            });
        }
        let MetadataResult::Found(metadata) = fetcher
            .fetch_metadata(name, version)
            .await
            .map_err(ResolveError::Fetch)?
        else {
            continue;
        };
        for (requirement, marker) in kept_requirements(&metadata, name, extra, &fork.marker) {
            push_requirement(&mut edges, package, requirement, &marker, &via);
        }
    }
    Ok(edges)
}

/// `from` -> `name` and `from` -> `name[extra]` for each extra of `requirement`.
fn push_requirement(
    edges: &mut Vec<Edge>,
    from: &ResolverPackage,
    requirement: &pep508_rs::Requirement<pep508_rs::VerbatimUrl>,
    marker: &MarkerTree,
    via: &Via,
) {
    let name = &requirement.name;
    let mut targets = vec![ResolverPackage::Package(name.clone())];
    targets.extend(
        requirement
            .extras
            .iter()
            .map(|extra| ResolverPackage::Extra(name.clone(), extra.clone())),
    );
    for to in targets {
        if to == *from {
            continue;
        }
        edges.push(Edge {
            from: from.clone(),
            to,
            marker: marker.clone(),
            via: via.clone(),
        });
    }
}

/// Each node's marker: the root's is the fork's; a node's grows by its parents' markers
/// conjoined with the edges' until nothing changes. Markers are canonical, so equality ends
/// the loop, and they only grow within a finite set of combinations, so it ends.
fn fixpoint(fork: &MarkerTree, edges: &[Edge]) -> HashMap<ResolverPackage, MarkerTree> {
    let mut markers: HashMap<ResolverPackage, MarkerTree> =
        HashMap::from([(ResolverPackage::Root, fork.clone())]);
    loop {
        let mut changed = false;
        for edge in edges {
            let Some(from) = markers.get(&edge.from) else {
                continue;
            };
            let add = and(from, &edge.marker);
            if add.is_false() {
                continue;
            }
            let entry = markers.entry(edge.to.clone()).or_insert(MarkerTree::FALSE);
            let mut grown = entry.clone();
            grown.or(add);
            if grown != *entry {
                *entry = grown;
                changed = true;
            }
        }
        if !changed {
            return markers;
        }
    }
}

/// `--required-environment`: every pin needed in a required environment has a file usable
/// there: an sdist, or a wheel whose tags (interpreter, Python version and platform) serve some
/// environment where both the pin's marker and the required one hold.
pub(super) fn check_required(
    pins: &[ResolvedPackage],
    universe: &Universe,
) -> Result<(), ResolveError> {
    for required in &universe.required {
        for pin in pins.iter().filter(|p| p.url.is_none()) {
            let needed = and(&pin.marker, required);
            if needed.is_false() {
                continue;
            }
            let usable = pin.files.iter().any(|file| match file.dist() {
                Some(DistFilename::Sdist(_)) => true,
                Some(DistFilename::Wheel(wheel)) => !needed.is_disjoint(&wheel_marker(wheel)),
                None => false,
            });
            if !usable {
                return Err(ResolveError::RequiredEnvironment {
                    name: pin.name.clone(),
                    version: pin.version.clone(),
                    environment: required.try_to_string().unwrap_or_default(),
                });
            }
        }
    }
    Ok(())
}
