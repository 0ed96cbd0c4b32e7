//! Universal resolution (`--universal`): one answer for every environment of a universe (every
//! platform, every Python from a lowest one up). The universe is split into forks over
//! disjoint marker regions; each fork is one pubgrub run with its own provider, all sharing the
//! fetcher and its caches, so a restart costs CPU only (UNIVERSAL.md).
//!
//! A run that finds its fork must split ends early (`fork.rs`); its parts are solved in turn,
//! sorted by marker so that the order never depends on anything but the inputs, and the split
//! is undone when their solutions do not need it (`ForkContext::solve_region`). A fork's solution gives
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
    InputKind, InputRequirement, MAX_RESTARTS, Resolution, ResolutionStrategy, ResolveError,
    ResolveRequest, Rewrites, Roots, fetcher_for, names_list, report, roots,
};
use crate::index::IndexClient;
use crate::python::TargetEnvironment;

mod pins;
mod split;
mod tags;

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
    /// The fork must split into these parts first; the release that asked for it, unless it
    /// was the user's own requirements.
    Split(Vec<MarkerTree>, Option<(PackageName, Version)>),
}

/// Releases whose requirements may no longer split a fork (see [`ForkContext::solve_region`]).
type Unsplit = HashSet<(PackageName, Version)>;

/// One fork's answer: its marker and its versions.
#[derive(Clone)]
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
    let rewrites = Arc::new(request.rewrites);
    let requirements = rewritten_roots(&request.requirements, &rewrites);
    let context = ForkContext {
        fetcher: shared,
        requirements: &requirements,
        rewrites: rewrites.clone(),
        strategy: request.strategy,
        preferences: &request.marked_preferences,
        pre: request.pre,
        progress: request.progress.clone(),
        target,
        floor: &universe.floor,
    };
    let mut solved: Vec<SolvedFork> = Vec::new();
    let mut runs = 0;
    for fork in universe.first_forks() {
        let region = Box::pin(context.solve_region(fork, HashSet::new(), &mut runs)).await?;
        solved.extend(region);
    }
    let forks = merge_equal(solved);
    tracing::info!(
        "universal resolution: {} fork{} in {runs} run{}",
        forks.len(),
        if forks.len() == 1 { "" } else { "s" },
        if runs == 1 { "" } else { "s" }
    );
    let mut packages =
        pins::pins(&forks, &fetcher, &request.direct, &requirements, &rewrites).await?;
    for pin in &mut packages {
        pin.overridden_by = rewrites.overridden_within(&pin.name, &pin.marker);
    }
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

/// The user's requirements as `--override` and `--exclude` leave them, each rewritten line
/// carrying the marker where it stands (constraints stay as written).
fn rewritten_roots(
    requirements: &[InputRequirement],
    rewrites: &Rewrites,
) -> Vec<InputRequirement> {
    requirements
        .iter()
        .flat_map(|input| match input.kind {
            InputKind::Constraint => vec![input.clone()],
            InputKind::Requirement => rewrites
                .apply_marked(&input.requirement)
                .into_iter()
                .map(|requirement| InputRequirement {
                    requirement: requirement.into_owned(),
                    ..input.clone()
                })
                .collect(),
        })
        .collect()
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
    /// `--override` and `--exclude`, applied to each `Requires-Dist` by marker (`fork.rs`).
    rewrites: Arc<Rewrites>,
    /// `--resolution`.
    strategy: ResolutionStrategy,
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
        provider.rewrites = self.rewrites.clone();
        provider.strategy = self.strategy;
        provider.direct = roots
            .root
            .packages()
            .filter_map(|p| p.name().cloned())
            .collect();
        provider.promoted = promoted.clone();
        provider.restarts_left = MAX_RESTARTS.saturating_sub(restarts);
        provider.progress = self.progress.clone();
        provider
    }

    /// Solve `fork`, splitting it as its runs ask, into the forks that cover it.
    ///
    /// A split is kept only when the solution needs it. The rule is that requirements
    /// on one package selecting different version ranges by marker split the resolution; but
    /// pubgrub may ask for a split while trying a release it later rejects in every part
    /// (`cleaver` 2.0.0 in the `preferences-dependent-forking` scenarios), and the parts then
    /// solve apart what nothing in the solution asked to be apart. So after the parts are
    /// solved, the split stands when a part pins the release that asked for it, or when the
    /// releases the parts pin have two requirements on one package that ask for different
    /// versions under markers the split separates ([`split::separating_package`]: the issue's
    /// rule applied to the solution's releases taken together; `reject-cleaver1==1` on Linux
    /// and `==2` elsewhere in `preferences-dependent-forking-bistable`, which no single
    /// release asks for). Requirements that contradict on overlapping markers do not justify
    /// it: the split only hid a conflict (`bar==1` elsewhere than Linux against `foo` 1's
    /// unconditional `bar==2` in `preferences-dependent-forking-conflicting`).
    ///
    /// The first rule alone ("a split is justified only by a release the solution keeps")
    /// answers "no solution" for the bistable scenario, which expects one; the second alone
    /// keeps every split. An unjustified split is dropped: the fork is solved again with that
    /// release in `unsplit`, its requirements taken together as one universal requirement set
    /// (two disjoint ranges on one package then intersect to nothing, so pubgrub rejects it
    /// there too). Whether a resolution forks then depends on the releases it ends with, not on
    /// what was tried on the way, so a second run from the lockfile's pins agrees with the
    /// first. `unsplit` only grows along a fork's lineage and each dropped split adds a release
    /// to it, so this ends; parts are solved in marker order, so it is deterministic. The
    /// user's own requirements always split (they have no release to reject).
    async fn solve_region(
        &self,
        fork: MarkerTree,
        mut unsplit: Unsplit,
        runs: &mut usize,
    ) -> Result<Vec<SolvedFork>, ResolveError> {
        loop {
            *runs += 1;
            let (mut parts, cause) = match self.solve(&fork, &unsplit).await? {
                ForkOutcome::Solved(solution) => {
                    return Ok(vec![SolvedFork {
                        marker: fork,
                        solution,
                    }]);
                }
                ForkOutcome::Split(parts, cause) => (parts, cause),
            };
            let shown = marker::display(&fork, self.floor)
                .map_or_else(|| "the universe".to_string(), |m| format!("the fork `{m}`"));
            tracing::debug!("{shown} splits into {} parts", parts.len());
            parts.retain(|part| !part.is_false());
            parts.sort_by_key(marker::key);
            let mut solved = Vec::new();
            for part in &parts {
                let region = self.solve_region(part.clone(), unsplit.clone(), runs);
                solved.extend(Box::pin(region).await?);
            }
            let Some((name, version)) = cause else {
                return Ok(solved);
            };
            let package = ResolverPackage::Package(name.clone());
            let kept = solved
                .iter()
                .any(|fork| fork.solution.contains(&(package.clone(), version.clone())));
            if kept {
                return Ok(solved);
            }
            if let Some(separated) = self.separating_package(&fork, &parts, &solved).await? {
                tracing::debug!(
                    "keeping the split of {shown} that `{name}` {version} asked for \
                     though no part pins it: the pinned releases' requirements on \
                     `{separated}` differ across it"
                );
                return Ok(solved);
            }
            tracing::info!(
                "dropping the split of {shown} that `{name}` {version} asked for: no \
                 part pins `{name}` {version} and no two requirements of the pinned releases \
                 need it; solving the fork again with that release's requirements taken together"
            );
            unsplit.insert((name, version));
        }
    }

    /// [`split::separating_package`] of the releases `solved` pins, off the async threads (the
    /// fetcher blocks; their metadata is cached by now).
    async fn separating_package(
        &self,
        fork: &MarkerTree,
        parts: &[MarkerTree],
        solved: &[SolvedFork],
    ) -> Result<Option<PackageName>, ResolveError> {
        let roots: Vec<_> = self
            .root_requirements(fork)
            .into_iter()
            .map(|(requirement, marker)| (requirement.clone(), marker))
            .collect();
        let fetcher = self.fetcher.clone();
        let (fork, parts) = (fork.clone(), parts.to_vec());
        let (solved, rewrites) = (solved.to_vec(), self.rewrites.clone());
        tokio::task::spawn_blocking(move || {
            split::separating_package(fetcher.as_ref(), &fork, &parts, &solved, roots, &rewrites)
        })
        .await
        .map_err(|err| ResolveError::Internal(err.to_string()))?
        .map_err(ResolveError::Fetch)
    }

    /// Run pubgrub on `fork` (again with a better order when it keeps conflicting).
    async fn solve(
        &self,
        fork: &MarkerTree,
        unsplit: &Unsplit,
    ) -> Result<ForkOutcome, ResolveError> {
        if let Some(parts) = needed_split(fork, &self.root_requirements(fork)) {
            return Ok(ForkOutcome::Split(parts, None));
        }
        let roots = roots(self.requirements, |r| in_fork(r, fork), self.pre);
        let mut promoted = HashSet::new();
        let mut restarts = 0;
        loop {
            let mut provider = self.provider(fork, &roots, &promoted, restarts);
            provider.unsplit = Arc::new(unsplit.clone());
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
                    let request = provider.split_request().ok_or_else(|| {
                        ResolveError::Internal("a fork split without its parts".into())
                    })?;
                    return Ok(ForkOutcome::Split(request.parts, Some(request.cause)));
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
