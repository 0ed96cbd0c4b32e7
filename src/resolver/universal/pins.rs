//! A universal resolution's pins: each fork's versions with the marker under which each is
//! needed, joined across forks (UNIVERSAL.md, "A pin's marker").

use std::collections::BTreeMap;

use pep440_rs::Version;
use pep508_rs::{MarkerTree, PackageName};

use super::super::fetch::IndexFetcher;
use super::super::marker::and;
use super::super::package::ResolverPackage;
use super::super::pin_markers::{Scope, markers};
use super::super::{
    DirectReferences, InputKind, InputRequirement, ResolveError, ResolvedPackage, Rewrites, Via,
};
use super::tags::wheel_marker;
use super::{SolvedFork, Universe, in_fork};
use crate::metadata::DistFilename;

/// The pins of every fork: per fork, each package's marker is the union over its paths from
/// the roots of the conjunction of the edge markers along each (a fixpoint: the graph may
/// have cycles), within the fork's marker; across forks, the markers of one `name==version`
/// are joined. A package no path reaches in any environment is not pinned.
pub(super) async fn pins(
    forks: &[SolvedFork],
    fetcher: &IndexFetcher,
    direct: &DirectReferences,
    requirements: &[InputRequirement],
    rewrites: &Rewrites,
) -> Result<Vec<ResolvedPackage>, ResolveError> {
    let mut pins: BTreeMap<(PackageName, Version), ResolvedPackage> = BTreeMap::new();
    for fork in forks {
        let scope = Scope::Fork(&fork.marker, rewrites);
        let (edges, markers) = markers(&scope, &fork.solution, fetcher, requirements).await?;
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
