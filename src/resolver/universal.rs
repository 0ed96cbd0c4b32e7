//! Universal resolution (`--universal`): one answer for every environment of a universe (every
//! platform, every Python from a lowest one up). The universe is split into forks over
//! disjoint marker regions; each fork is one pubgrub run with its own provider, all sharing the
//! fetcher and its caches, so a restart costs CPU only (UNIVERSAL.md).
//!
//! A run that finds its fork must split ends early (`fork.rs`); its parts are queued, sorted by
//! marker so that the order never depends on anything but the inputs. A fork's solution gives
//! each pin a marker: the union over the paths from the roots of the conjunction of the markers
//! along each path, computed as a fixpoint (`pins.rs`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{MarkerTree, PackageName, Requirement, VerbatimUrl};
use pubgrub::PubGrubError;

use super::fetch::{FetchError, PackageFetcher};
use super::fork::needed_split;
use super::marker::{self, decide_extras};
use super::package::ResolverPackage;
use super::provider::Provider;
use super::{
    InputKind, InputRequirement, MAX_RESTARTS, Resolution, ResolveError, ResolveRequest, Roots,
    fetcher_for, names_list, report, roots,
};
use crate::index::IndexClient;
use crate::python::TargetEnvironment;

mod pins;

/// The environments a universal resolution answers for.
#[derive(Debug, Clone)]
pub(crate) struct Universe {
    /// The lowest Python version: `--python-version`, else a project's `requires-python`, else
    /// the interpreter's.
    pub(crate) floor: Version,
    /// Every environment: Python from `floor` up, within `--environment`'s markers if given.
    pub(crate) marker: MarkerTree,
    /// `--required-environment`: each pinned release must have a file usable there.
    pub(crate) required: Vec<MarkerTree>,
    /// The forks a previous resolution ended with (from the lockfile's header): tried first, so
    /// that compiling again forks as before.
    pub(crate) previous_forks: Vec<MarkerTree>,
}

impl Universe {
    pub(crate) fn new(floor: Version, environments: &[MarkerTree]) -> Self {
        let mut marker = marker::python_at_least(&floor);
        if !environments.is_empty() {
            let mut any = MarkerTree::FALSE;
            for environment in environments {
                any.or(environment.clone());
            }
            marker.and(any);
        }
        Self {
            floor,
            marker,
            required: Vec::new(),
            previous_forks: Vec::new(),
        }
    }

    /// The lowest Python a project's `requires-python` allows (its lower bound).
    pub(crate) fn floor_of(requires_python: &pep440_rs::VersionSpecifiers) -> Option<Version> {
        let range = super::candidates::requires_python_range(requires_python);
        marker::requires_python_floor(&range).map(|(_, version)| version)
    }

    /// The forks to start with: the previous ones within the universe, and the rest of it.
    fn first_forks(&self) -> Vec<MarkerTree> {
        let mut forks = Vec::new();
        let mut rest = self.marker.clone();
        for previous in &self.previous_forks {
            let part = marker::and(previous, &rest);
            if !part.is_false() {
                rest.and(part.negate());
                forks.push(part);
            }
        }
        if !rest.is_false() {
            forks.push(rest);
        }
        forks
    }
}

/// What one run of one fork ended with.
enum ForkOutcome {
    /// pubgrub found versions for every package the fork needs.
    Solved(Vec<(ResolverPackage, Version)>),
    /// The fork must split into these parts first.
    Split(Vec<MarkerTree>),
}

/// One fork's answer: its marker and its versions.
pub(super) struct SolvedFork {
    pub(super) marker: MarkerTree,
    pub(super) solution: Vec<(ResolverPackage, Version)>,
}

/// Resolve `request` for every environment of its universe.
pub(super) async fn resolve(
    request: ResolveRequest,
    client: Arc<IndexClient>,
    target: &TargetEnvironment,
) -> Result<Resolution, ResolveError> {
    let universe = request.universe.clone().expect("a universal request");
    let tags = target.tags.clone().any_platform();
    let lookahead = super::universal_lookahead(&request);
    let fetcher = fetcher_for(
        client,
        tags,
        request.policies,
        &request.direct,
        request.builder,
    );
    fetcher.look_ahead(lookahead);
    let shared: Arc<dyn PackageFetcher> = Arc::new(fetcher.clone());
    let context = ForkContext {
        fetcher: shared,
        requirements: &request.requirements,
        preferences: &request.marked_preferences,
        pre: request.pre,
        progress: request.progress.clone(),
        target,
        floor: &universe.floor,
    };
    let mut queue: BTreeMap<String, MarkerTree> = universe
        .first_forks()
        .into_iter()
        .map(|fork| (marker::key(&fork), fork))
        .collect();
    let mut solved: Vec<SolvedFork> = Vec::new();
    let mut runs = 0;
    while let Some((_, fork)) = queue.pop_first() {
        runs += 1;
        match context.solve(&fork).await? {
            ForkOutcome::Solved(solution) => solved.push(SolvedFork {
                marker: fork,
                solution,
            }),
            ForkOutcome::Split(parts) => {
                tracing::debug!(
                    "the fork `{}` splits into {} parts",
                    marker::display(&fork, &universe.floor).unwrap_or_default(),
                    parts.len()
                );
                for part in parts.into_iter().filter(|p| !p.is_false()) {
                    queue.insert(marker::key(&part), part);
                }
            }
        }
    }
    let forks = merge_equal(solved);
    tracing::info!(
        "universal resolution: {} fork{} in {runs} run{}",
        forks.len(),
        if forks.len() == 1 { "" } else { "s" },
        if runs == 1 { "" } else { "s" }
    );
    let packages = pins::pins(&forks, &fetcher, &request.direct, &request.requirements).await?;
    pins::check_required(&packages, &universe)?;
    let mut fork_markers: Vec<MarkerTree> = forks.into_iter().map(|f| f.marker).collect();
    fork_markers.sort_by_key(marker::key);
    // As in `super::resolve`: the caches are left to the process exit.
    std::mem::forget(fetcher);
    Ok(Resolution {
        packages,
        python_floor: Some(universe.floor),
        forks: fork_markers,
    })
}

/// Forks that ended with the same versions are one fork (their markers joined).
fn merge_equal(solved: Vec<SolvedFork>) -> Vec<SolvedFork> {
    let mut by_solution: BTreeMap<Vec<(ResolverPackage, Version)>, MarkerTree> = BTreeMap::new();
    for fork in solved {
        let mut solution = fork.solution;
        solution.sort();
        by_solution
            .entry(solution)
            .or_insert(MarkerTree::FALSE)
            .or(fork.marker);
    }
    by_solution
        .into_iter()
        .map(|(solution, marker)| SolvedFork { marker, solution })
        .collect()
}

/// What every fork's runs share.
struct ForkContext<'a> {
    fetcher: Arc<dyn PackageFetcher>,
    requirements: &'a [InputRequirement],
    preferences: &'a [(PackageName, Version, MarkerTree)],
    pre: bool,
    progress: Arc<dyn super::ResolveProgress>,
    /// Where pinion runs: the report's placeholder environment (a fork has no single one).
    target: &'a TargetEnvironment,
    floor: &'a Version,
}

/// Whether an input requirement belongs to the fork: its marker is not disjoint from it.
pub(super) fn in_fork(input: &InputRequirement, fork: &MarkerTree) -> bool {
    !decide_extras(&input.requirement.marker, &[]).is_disjoint(fork)
}

impl ForkContext<'_> {
    /// The root requirements of `fork`, each with its marker; they too may split it.
    fn root_requirements<'r>(
        &'r self,
        fork: &MarkerTree,
    ) -> Vec<(&'r Requirement<VerbatimUrl>, MarkerTree)> {
        self.requirements
            .iter()
            .filter(|r| r.kind == InputKind::Requirement && in_fork(r, fork))
            .map(|r| {
                let marker = decide_extras(&r.requirement.marker, &[]);
                (&r.requirement, marker)
            })
            .collect()
    }

    /// The lockfile's pins that meet `fork`: for a name pinned twice, the newest that does.
    fn preferences_for(&self, fork: &MarkerTree) -> HashMap<PackageName, Version> {
        let mut preferences: HashMap<PackageName, Version> = HashMap::new();
        for (name, version, marker) in self.preferences {
            if marker.is_disjoint(fork) {
                continue;
            }
            let entry = preferences
                .entry(name.clone())
                .or_insert_with(|| version.clone());
            if version > entry {
                *entry = version.clone();
            }
        }
        preferences
    }

    fn provider(
        &self,
        fork: &MarkerTree,
        roots: &Roots,
        promoted: &HashSet<PackageName>,
        restarts: u32,
    ) -> Provider {
        let mut provider = Provider::new(
            self.fetcher.clone(),
            roots.root.clone(),
            roots.constraints.clone(),
            roots.prereleases.clone(),
            roots.exact_pins.clone(),
            self.preferences_for(fork),
            Version::new(self.target.python_version.release().iter().copied()),
            self.target.markers.clone(),
        );
        provider.fork = Some(fork.clone());
        provider.promoted = promoted.clone();
        provider.restarts_left = MAX_RESTARTS.saturating_sub(restarts);
        provider.progress = self.progress.clone();
        provider
    }

    /// Run pubgrub on `fork` (again with a better order when it keeps conflicting).
    async fn solve(&self, fork: &MarkerTree) -> Result<ForkOutcome, ResolveError> {
        if let Some(parts) = needed_split(fork, &self.root_requirements(fork)) {
            return Ok(ForkOutcome::Split(parts));
        }
        let roots = roots(self.requirements, |r| in_fork(r, fork), self.pre);
        let mut promoted = HashSet::new();
        let mut restarts = 0;
        loop {
            let provider = self.provider(fork, &roots, &promoted, restarts);
            let (provider, result) = tokio::task::spawn_blocking(move || {
                let result = pubgrub::resolve(&provider, ResolverPackage::Root, Version::new([0]));
                (provider, result)
            })
            .await
            .map_err(|err| ResolveError::Internal(err.to_string()))?;
            match result {
                Ok(solution) => return Ok(ForkOutcome::Solved(solution.into_iter().collect())),
                Err(PubGrubError::NoSolution(mut tree)) => {
                    tree.collapse_no_versions();
                    let (report, hint) = report::explain(&tree, &provider, self.requirements);
                    let report = match marker::display(fork, self.floor) {
                        Some(environments) => {
                            format!(
                                "in the fork of the resolution where `{environments}`:\n\n{report}"
                            )
                        }
                        None => report,
                    };
                    return Err(ResolveError::NoSolution { report, hint });
                }
                Err(PubGrubError::ErrorRetrievingDependencies { source, .. })
                    if matches!(*source, FetchError::Fork) =>
                {
                    return Ok(ForkOutcome::Split(provider.split_request()));
                }
                Err(PubGrubError::ErrorInShouldCancel(source))
                    if matches!(*source, FetchError::Restart) =>
                {
                    let more = provider.restart_with();
                    tracing::info!(
                        "deciding {} earlier; starting the fork over",
                        names_list(&more)
                    );
                    promoted.extend(more);
                    restarts += 1;
                }
                Err(PubGrubError::ErrorRetrievingDependencies { source, .. })
                | Err(PubGrubError::ErrorChoosingVersion { source, .. })
                | Err(PubGrubError::ErrorInShouldCancel(source)) => {
                    return Err(ResolveError::Fetch(source));
                }
            }
        }
    }
}
