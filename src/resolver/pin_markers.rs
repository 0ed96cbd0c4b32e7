//! Each pin's marker: the union over its paths from the roots of the conjunction of the edge
//! markers along each path (UNIVERSAL.md, "A pin's marker"). One computation for both places
//! that write markers: a universal resolution's forks (`universal/pins.rs`), and a
//! single-target resolution under `--no-strip-markers` (uv's flag: the single target is a
//! universe of one environment, so only the edges that hold there count).

use std::borrow::Cow;
use std::collections::HashMap;

use pep508_rs::{ExtraName, MarkerEnvironment, MarkerTree, PackageName, Requirement, VerbatimUrl};

use super::fetch::{IndexFetcher, MetadataResult};
use super::fork::kept_requirements;
use super::marker::{and, decide_extras};
use super::package::ResolverPackage;
use super::rewrites::Rewrites;
use super::universal::in_fork;
use super::{InputKind, InputRequirement, ResolveError, Via};
use crate::metadata::CoreMetadata;

/// One edge of a solution's graph: `from` requires `to` where `marker` holds.
pub(super) struct Edge {
    pub(super) from: ResolverPackage,
    pub(super) to: ResolverPackage,
    pub(super) marker: MarkerTree,
    /// What `# via` says for it.
    pub(super) via: Via,
}

/// Which requirements are edges of the graph, mirroring what each provider asked pubgrub for.
pub(super) enum Scope<'a> {
    /// A universal fork: every requirement whose marker meets the fork's, with that marker, as
    /// `--override` and `--exclude` leave it (the roots come rewritten already).
    Fork(&'a MarkerTree, &'a Rewrites),
    /// One target environment: every requirement whose marker holds there, as `--override`
    /// and `--exclude` leave it, with its marker (`--no-strip-markers`).
    Target(&'a MarkerEnvironment, &'a Rewrites),
}

impl Scope<'_> {
    /// Where the roots hold: the fork's marker; everywhere for one target (its edges already
    /// hold there, and uv writes the edges' markers, not the target's).
    fn root_marker(&self) -> MarkerTree {
        match self {
            Self::Fork(fork, _) => (*fork).clone(),
            Self::Target(..) => MarkerTree::TRUE,
        }
    }

    /// The target's Python, which its markers are written against (None for a fork).
    pub(super) fn python(&self) -> Option<pep440_rs::Version> {
        match self {
            Self::Fork(..) => None,
            Self::Target(markers, _) => Some(markers.python_full_version().version.clone()),
        }
    }

    /// Whether an input requirement is a root of the graph.
    fn is_root(&self, input: &InputRequirement) -> bool {
        input.kind == InputKind::Requirement
            && match self {
                Self::Fork(fork, _) => in_fork(input, fork),
                Self::Target(markers, _) => input.requirement.evaluate_markers(markers, &[]),
            }
    }

    /// `requirement` as the edges to its package carry it: rewritten for one target (an
    /// override's marker narrows the original's, as uv joins them), each with its marker
    /// (`extra` clauses decided for `active`).
    fn rewritten<'r>(
        &'r self,
        requirement: &'r Requirement<VerbatimUrl>,
        active: &[ExtraName],
    ) -> Vec<(Cow<'r, Requirement<VerbatimUrl>>, MarkerTree)> {
        let marker = decide_extras(&requirement.marker, active);
        match self {
            Self::Fork(..) => vec![(Cow::Borrowed(requirement), marker)],
            Self::Target(markers, rewrites) => rewrites
                .apply(requirement, markers)
                .into_iter()
                .map(|rewritten| {
                    let narrowed = and(&marker, &decide_extras(&rewritten.marker, active));
                    (rewritten, narrowed)
                })
                .collect(),
        }
    }

    /// The requirements of `name` `[extra]` at a version whose metadata is `metadata` that the
    /// provider kept, rewritten, each with the marker its edge carries.
    fn kept<'m>(
        &'m self,
        metadata: &'m CoreMetadata,
        name: &PackageName,
        extra: Option<&ExtraName>,
    ) -> Vec<(Cow<'m, Requirement<VerbatimUrl>>, MarkerTree)> {
        match self {
            Self::Fork(fork, rewrites) => kept_requirements(metadata, name, extra, fork, rewrites),
            Self::Target(markers, _) => {
                let active: Vec<ExtraName> = extra.cloned().into_iter().collect();
                let held = metadata.requires_dist.iter().filter(|r| match extra {
                    None => r.name != *name && r.evaluate_markers(markers, &[]),
                    // What the extra adds: what holds with it and not without it.
                    Some(_) => {
                        r.evaluate_markers(markers, &active) && !r.evaluate_markers(markers, &[])
                    }
                });
                held.flat_map(|requirement| self.rewritten(requirement, &active))
                    .collect()
            }
        }
    }
}

/// Each reached package's marker in a solution's graph (absent or false: no path reaches it).
pub(super) async fn markers(
    scope: &Scope<'_>,
    solution: &[(ResolverPackage, pep440_rs::Version)],
    fetcher: &IndexFetcher,
    requirements: &[InputRequirement],
) -> Result<(Vec<Edge>, HashMap<ResolverPackage, MarkerTree>), ResolveError> {
    let edges = edges(scope, solution, fetcher, requirements).await?;
    let markers = fixpoint(&scope.root_marker(), &edges);
    Ok((edges, markers))
}

/// The edges of a solution: from the roots (the input requirements in scope), from each
/// release to the requirements it keeps in scope, from `name[extra]` to `name`.
async fn edges(
    scope: &Scope<'_>,
    solution: &[(ResolverPackage, pep440_rs::Version)],
    fetcher: &IndexFetcher,
    requirements: &[InputRequirement],
) -> Result<Vec<Edge>, ResolveError> {
    let mut edges = Vec::new();
    for input in requirements.iter().filter(|r| scope.is_root(r)) {
        let via = Via::File(input.kind.clone(), input.origin.file.clone());
        for (requirement, marker) in scope.rewritten(&input.requirement, &[]) {
            push_requirement(
                &mut edges,
                &ResolverPackage::Root,
                &requirement,
                &marker,
                &via,
            );
        }
    }
    for (package, version) in solution {
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
        for (requirement, marker) in scope.kept(&metadata, name, extra) {
            push_requirement(&mut edges, package, &requirement, &marker, &via);
        }
    }
    Ok(edges)
}

/// `from` -> `name` and `from` -> `name[extra]` for each extra of `requirement`.
fn push_requirement(
    edges: &mut Vec<Edge>,
    from: &ResolverPackage,
    requirement: &Requirement<VerbatimUrl>,
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

/// Each node's marker: the root's is `root`; a node's grows by its parents' markers conjoined
/// with the edges' until nothing changes. Markers are canonical, so equality ends the loop,
/// and they only grow within a finite set of combinations, so it ends.
fn fixpoint(root: &MarkerTree, edges: &[Edge]) -> HashMap<ResolverPackage, MarkerTree> {
    let mut markers: HashMap<ResolverPackage, MarkerTree> =
        HashMap::from([(ResolverPackage::Root, root.clone())]);
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
