//! pubgrub's DependencyProvider: candidate order, dependencies, extras and Python as virtual
//! packages.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{
    ExtraName, MarkerEnvironment, PackageName, Requirement, VerbatimUrl, VersionOrUrl,
};
use pubgrub::{
    Dependencies, DependencyConstraints, DependencyProvider, PackageResolutionStatistics, Ranges,
};

use super::candidates::{Candidates, Unusable, VersionMap, requires_python_range};
use super::fetch::{FetchError, MetadataResult, PackageFetcher};
use super::package::ResolverPackage;
use super::range::specifiers_range;

/// When pre-releases may be chosen (uv's `if-necessary-or-explicit`, which the conformance
/// scenarios expect): everywhere with `--pre`, for packages whose first-party specifiers name a
/// pre-release, and for packages that publish nothing but pre-releases.
#[derive(Debug, Clone, Default)]
pub(crate) struct PrereleasePolicy {
    pub(crate) global: bool,
    pub(crate) explicit: HashSet<PackageName>,
}

impl PrereleasePolicy {
    /// The user opted into pre-releases of `name`.
    fn opted_in(&self, name: &PackageName) -> bool {
        self.global || self.explicit.contains(name)
    }
}

/// Dependencies in discovery order; a package named twice gets the intersection.
#[derive(Debug, Clone, Default)]
pub(crate) struct Deps(Vec<(ResolverPackage, Ranges<Version>)>);

impl Deps {
    pub(crate) fn add(&mut self, package: ResolverPackage, range: Ranges<Version>) {
        match self.0.iter_mut().find(|(p, _)| *p == package) {
            Some((_, existing)) => *existing = existing.intersection(&range),
            None => self.0.push((package, range)),
        }
    }

    pub(crate) fn packages(&self) -> impl Iterator<Item = &ResolverPackage> {
        self.0.iter().map(|(p, _)| p)
    }

    /// Each package with its range.
    pub(crate) fn ranges(&self) -> impl Iterator<Item = &(ResolverPackage, Ranges<Version>)> {
        self.0.iter()
    }

    pub(crate) fn into_pubgrub(self) -> Dependencies<ResolverPackage, Ranges<Version>, Unusable> {
        Dependencies::Available(DependencyConstraints::from_iter(self.0))
    }
}

/// A universal run's request that its fork split.
#[derive(Debug, Clone)]
pub(crate) struct SplitRequest {
    /// The parts, disjoint, covering the fork.
    pub(crate) parts: Vec<pep508_rs::MarkerTree>,
    /// The release whose requirements or Requires-Python differ across the parts.
    pub(crate) cause: (PackageName, Version),
}

pub(crate) struct Provider {
    pub(crate) fetcher: Arc<dyn PackageFetcher>,
    pub(crate) root: Deps,
    pub(crate) constraints: HashMap<PackageName, Ranges<Version>>,
    pub(crate) prereleases: PrereleasePolicy,
    /// Exact first-party pins, which may choose a yanked release (PEP 592).
    pub(crate) exact_pins: HashMap<PackageName, Vec<Version>>,
    pub(crate) preferences: HashMap<PackageName, Version>,
    pub(crate) python: Version,
    pub(crate) markers: MarkerEnvironment,
    /// Packages a previous attempt found highly conflicting: decided early from the start.
    pub(crate) promoted: HashSet<PackageName>,
    /// How many more times this resolution may start over with more packages promoted.
    pub(crate) restarts_left: u32,
    /// Told each version chosen.
    pub(crate) progress: Arc<dyn super::ResolveProgress>,
    /// `--override` and `--exclude`, applied to every `Requires-Dist`.
    pub(crate) rewrites: Arc<super::Rewrites>,
    /// `--resolution`, and the user's own requirements it may treat apart.
    pub(crate) strategy: super::ResolutionStrategy,
    pub(crate) direct: HashSet<PackageName>,
    /// In a universal resolution, the marker of the fork this run solves: requirements are
    /// kept by marker rather than evaluated in one environment (see `fork.rs`).
    pub(crate) fork: Option<pep508_rs::MarkerTree>,
    /// In a universal resolution, the releases whose split of a fork was dropped because no
    /// part kept them: their requirements apply together, unsplit (see `universal.rs`).
    pub(crate) unsplit: Arc<HashSet<(PackageName, Version)>>,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    /// Discovery order, for stable tie-breaking.
    order: HashMap<ResolverPackage, usize>,
    /// The version last chosen for each package, which its extras prefer.
    chosen: HashMap<PackageName, Version>,
    /// Extras asked for that a release does not provide, warned about once.
    missing_extras: HashSet<(PackageName, ExtraName)>,
    /// The most conflicts pubgrub has counted for each package.
    conflicts: HashMap<PackageName, u32>,
    /// Set when [`Provider::should_cancel`] stops the run: the packages to promote next time.
    restart_with: Vec<PackageName>,
    /// For each package, how many of its releases asked for a range of another package that
    /// excludes the version already chosen for it: uv's "affected" side of a conflict.
    clashes: HashMap<PackageName, u32>,
    /// Set when a universal run stops because its fork must split: the parts, and the release
    /// whose requirements (or Requires-Python) asked for it.
    split: Option<SplitRequest>,
}

/// What pubgrub decides next: the highest priority. Like pip (`_get_preference` in
/// `pip/_internal/resolution/resolvelib/provider.py`) and uv (`uv-resolver/src/pubgrub/priority.rs`),
/// packages with fewer choices go first: a decision with one possible outcome costs no
/// backtracking, and deciding it early shrinks the choices of everything after it.
///
/// Declared from last decided to first: the derived order is the decision order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum PriorityClass {
    /// A package with a range: the usual case, in discovery order (see [`Priority`]).
    Ranged,
    /// A package that has conflicted more than [`CONFLICTS_BEFORE_EARLY`] times: deciding it
    /// before the ranged packages makes pubgrub backtrack on it once rather than rediscover
    /// the same conflict through each of them (uv's `ConflictEarly`).
    Conflicted,
    /// Pinned to one version (`==`): one choice, so nothing to backtrack over (pip's and uv's
    /// "pinned" class).
    Singleton,
    /// The target Python: one version, known before anything is fetched.
    Python,
    /// The user's requirements: where every resolution starts.
    Root,
}

/// Conflicts after which a package moves up to [`PriorityClass::Conflicted`].
const CONFLICTS_BEFORE_EARLY: u32 = 4;

/// Conflicts after which a package not yet decided early restarts the resolution with it
/// promoted (see [`Provider::should_cancel`]).
const CONFLICTS_BEFORE_RESTART: u32 = 20;

/// Releases of one package rejected by a version already chosen for another, after which the
/// resolution restarts with the rejected package decided first (uv's `CONFLICT_THRESHOLD`):
/// `b` 2.0.9 down to 2.0.0 all needing `a==1` while `a` 2.0 was chosen first must not walk `b`
/// back to an ancient release that needs no `a` (the `wrong-backtracking` scenarios).
const CLASHES_BEFORE_RESTART: u32 = 5;

/// The class first; within a class, the package that conflicted more; then the one discovered
/// first, which keeps the order stable from run to run (pubgrub breaks ties arbitrarily); last,
/// a base package before its extras. `name[extra]` takes its base package's class and
/// discovery order, so it is decided right next to `name` (and its `choose_version` takes the
/// version chosen for `name`) rather than after every other package, where a conflict in the
/// extra's requirements would make pubgrub walk back unrelated packages first.
pub(crate) type Priority = (PriorityClass, u32, Reverse<usize>, bool);

impl Provider {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        fetcher: Arc<dyn PackageFetcher>,
        root: Deps,
        constraints: HashMap<PackageName, Ranges<Version>>,
        prereleases: PrereleasePolicy,
        exact_pins: HashMap<PackageName, Vec<Version>>,
        preferences: HashMap<PackageName, Version>,
        python: Version,
        markers: MarkerEnvironment,
    ) -> Self {
        Self {
            fetcher,
            root,
            constraints,
            prereleases,
            exact_pins,
            preferences,
            python,
            markers,
            promoted: HashSet::new(),
            restarts_left: 0,
            progress: Arc::new(super::NoProgress),
            rewrites: Arc::default(),
            strategy: super::ResolutionStrategy::default(),
            direct: HashSet::new(),
            fork: None,
            unsplit: Arc::default(),
            state: RefCell::default(),
        }
    }

    /// Count a clash when the dependencies of a release of `name` exclude the version already
    /// chosen for one of them (see [`CLASHES_BEFORE_RESTART`]).
    pub(crate) fn note_clashes(&self, name: &PackageName, deps: &Deps) {
        let mut state = self.state.borrow_mut();
        let clashes = deps.0.iter().any(|(package, range)| match package {
            ResolverPackage::Package(dep) => {
                state.chosen.get(dep).is_some_and(|v| !range.contains(v))
            }
            _ => false,
        });
        if clashes {
            *state.clashes.entry(name.clone()).or_default() += 1;
        }
    }

    /// Stop this run: its fork must split into `parts` because of `name` `version` (a
    /// universal resolution only).
    pub(crate) fn request_split(
        &self,
        parts: Vec<pep508_rs::MarkerTree>,
        name: &PackageName,
        version: &Version,
    ) -> Arc<FetchError> {
        self.state.borrow_mut().split = Some(SplitRequest {
            parts,
            cause: (name.clone(), version.clone()),
        });
        Arc::new(FetchError::Fork)
    }

    /// What a stopped universal run asks of its fork.
    pub(crate) fn split_request(&self) -> Option<SplitRequest> {
        self.state.borrow().split.clone()
    }

    /// The packages a cancelled run asks to promote on the restart.
    pub(crate) fn restart_with(&self) -> Vec<PackageName> {
        self.state.borrow().restart_with.clone()
    }

    /// Whether `name` may resolve to a pre-release.
    pub(crate) fn allows_prerelease(&self, name: &PackageName, versions: &VersionMap) -> bool {
        self.candidates(name, &Ranges::full())
            .prereleases_ok(versions)
    }

    /// What the user's own requirements (and constraints) allow for `name`: everything when
    /// it is not a direct requirement.
    pub(crate) fn root_range(&self, name: &PackageName) -> Ranges<Version> {
        let package = ResolverPackage::Package(name.clone());
        self.root
            .0
            .iter()
            .find(|(p, _)| *p == package)
            .map_or_else(Ranges::full, |(_, range)| range.clone())
    }

    /// The rule for choosing among `name`'s releases within `range`, for the solver and the
    /// prefetch alike.
    pub(crate) fn candidates(&self, name: &PackageName, range: &Ranges<Version>) -> Candidates {
        Candidates {
            range: range.clone(),
            preferred: self.preferences.get(name).cloned(),
            prereleases: self.prereleases.opted_in(name),
            exact_pins: self.exact_pins.get(name).cloned().unwrap_or_default(),
            lowest_first: self.strategy.lowest_first(self.direct.contains(name)),
        }
    }

    /// `requirement` as `--override` and `--exclude` leave it, added to `deps`.
    fn add_rewritten(&self, deps: &mut Deps, requirement: &Requirement<VerbatimUrl>) {
        for requirement in self.rewrites.apply(requirement, &self.markers) {
            Self::add_requirement(deps, &self.constraints, &requirement);
        }
    }

    /// Add a requirement to a dependency map, intersecting with what is there and with the
    /// constraints.
    pub(crate) fn add_requirement(
        deps: &mut Deps,
        constraints: &HashMap<PackageName, Ranges<Version>>,
        requirement: &Requirement<VerbatimUrl>,
    ) {
        let mut range = match &requirement.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers_range(specifiers),
            _ => Ranges::full(),
        };
        if let Some(constraint) = constraints.get(&requirement.name) {
            range = range.intersection(constraint);
        }
        deps.add(
            ResolverPackage::Package(requirement.name.clone()),
            range.clone(),
        );
        for extra in &requirement.extras {
            deps.add(
                ResolverPackage::Extra(requirement.name.clone(), extra.clone()),
                range.clone(),
            );
        }
    }

    fn dependencies_of(
        &self,
        name: &PackageName,
        extra: Option<&ExtraName>,
        version: &Version,
    ) -> Result<Dependencies<ResolverPackage, Ranges<Version>, Unusable>, Arc<FetchError>> {
        if let Some(fork) = &self.fork {
            return self.fork_dependencies(fork, name, extra, version);
        }
        let versions = self.fetcher.versions(name)?;
        let Some(release) = versions.releases.get(version) else {
            return Ok(Dependencies::Unavailable(Unusable::NotOnIndex));
        };
        let mut deps = Deps::default();
        let requires_python = versions.requires_python(release);
        if !requires_python.contains(&self.python) {
            // Known from the index page: no need for the metadata to know it cannot be used.
            deps.add(ResolverPackage::Python, requires_python.clone());
            return Ok(deps.into_pubgrub());
        }
        let metadata = match self.fetcher.metadata(name, version)? {
            MetadataResult::Found(metadata) => metadata,
            MetadataResult::Unusable(reason) => return Ok(Dependencies::Unavailable(reason)),
        };
        if let Some(requires_python) = &metadata.requires_python {
            let range = requires_python_range(requires_python);
            if range != Ranges::full() {
                deps.add(ResolverPackage::Python, range);
            }
        }
        match extra {
            None => {
                for requirement in &metadata.requires_dist {
                    if requirement.name != *name && requirement.evaluate_markers(&self.markers, &[])
                    {
                        self.add_rewritten(&mut deps, requirement);
                    }
                }
            }
            Some(extra) => {
                deps.add(
                    ResolverPackage::Package(name.clone()),
                    Ranges::singleton(version.clone()),
                );
                if !metadata.provides_extras.contains(extra)
                    && self
                        .state
                        .borrow_mut()
                        .missing_extras
                        .insert((name.clone(), extra.clone()))
                {
                    tracing::warn!("`{name}` {version} does not provide the extra `{extra}`");
                }
                let extras = std::slice::from_ref(extra);
                for requirement in &metadata.requires_dist {
                    if requirement.evaluate_markers(&self.markers, extras)
                        && !requirement.evaluate_markers(&self.markers, &[])
                    {
                        if requirement.name == *name {
                            // `foo[a]` needing `foo[b]`: only the extras matter.
                            for other in &requirement.extras {
                                deps.add(
                                    ResolverPackage::Extra(name.clone(), other.clone()),
                                    Ranges::singleton(version.clone()),
                                );
                            }
                        } else {
                            self.add_rewritten(&mut deps, requirement);
                        }
                    }
                }
            }
        }
        for package in deps.packages() {
            if let Some(name) = package.name() {
                self.fetcher.prefetch_versions(name);
            }
        }
        self.note_clashes(name, &deps);
        Ok(deps.into_pubgrub())
    }
}

impl DependencyProvider for Provider {
    type P = ResolverPackage;
    type V = Version;
    type VS = Ranges<Version>;
    type M = Unusable;
    type Priority = Priority;
    type Err = Arc<FetchError>;

    fn prioritize(
        &self,
        package: &ResolverPackage,
        range: &Ranges<Version>,
        stats: &PackageResolutionStatistics,
    ) -> Priority {
        // An extra shares its base package's place in the discovery order.
        let ordered = match package {
            ResolverPackage::Extra(name, _) => ResolverPackage::Package(name.clone()),
            other => other.clone(),
        };
        let order = {
            let mut state = self.state.borrow_mut();
            let next = state.order.len();
            *state.order.entry(ordered).or_insert(next)
        };
        let promoted = package
            .name()
            .is_some_and(|name| self.promoted.contains(name));
        let ranged = |conflicts: u32| {
            if promoted || conflicts > CONFLICTS_BEFORE_EARLY {
                PriorityClass::Conflicted
            } else {
                PriorityClass::Ranged
            }
        };
        let class = match package {
            ResolverPackage::Root => PriorityClass::Root,
            ResolverPackage::Python => PriorityClass::Python,
            ResolverPackage::Package(name) => {
                // Start on the metadata of the release this package will most likely get.
                self.fetcher
                    .prefetch_metadata(name, self.candidates(name, range));
                if range.as_singleton().is_some() {
                    PriorityClass::Singleton
                } else {
                    ranged(stats.conflict_count())
                }
            }
            ResolverPackage::Extra(..) => ranged(stats.conflict_count()),
        };
        if let Some(name) = package.name()
            && stats.conflict_count() > 0
        {
            let mut state = self.state.borrow_mut();
            let count = state.conflicts.entry(name.clone()).or_default();
            *count = (*count).max(stats.conflict_count());
        }
        let is_base = !matches!(package, ResolverPackage::Extra(..));
        (class, stats.conflict_count(), Reverse(order), is_base)
    }

    fn should_cancel(&self) -> Result<(), Arc<FetchError>> {
        // uv's "highly conflicting" heuristic, with a restart since pubgrub 0.4's state is
        // private: a package that keeps conflicting though it was not decided early makes the
        // resolution start over with it decided before the ranged packages. Metadata is cached,
        // so a restart costs solver time only.
        if self.restarts_left == 0 {
            return Ok(());
        }
        let state = self.state.borrow();
        let mut culprits: Vec<PackageName> = state
            .conflicts
            .iter()
            .filter(|(_, count)| **count >= CONFLICTS_BEFORE_RESTART)
            .chain(
                state
                    .clashes
                    .iter()
                    .filter(|(_, count)| **count >= CLASHES_BEFORE_RESTART),
            )
            .filter(|(name, _)| !self.promoted.contains(*name))
            .map(|(name, _)| name.clone())
            .collect();
        culprits.sort();
        culprits.dedup();
        if culprits.is_empty() {
            return Ok(());
        }
        drop(state);
        self.state.borrow_mut().restart_with = culprits;
        Err(Arc::new(FetchError::Restart))
    }

    fn choose_version(
        &self,
        package: &ResolverPackage,
        range: &Ranges<Version>,
    ) -> Result<Option<Version>, Arc<FetchError>> {
        match package {
            ResolverPackage::Root => Ok(Some(Version::new([0]))),
            ResolverPackage::Python => {
                Ok(range.contains(&self.python).then(|| self.python.clone()))
            }
            ResolverPackage::Package(name) => {
                let versions = self.fetcher.versions(name)?;
                let picked = self.candidates(name, range).pick(&versions);
                if let Some(version) = &picked {
                    let mut state = self.state.borrow_mut();
                    state.chosen.insert(name.clone(), version.clone());
                    self.progress.resolving(name, state.chosen.len());
                }
                Ok(picked)
            }
            ResolverPackage::Extra(name, _) => {
                let chosen = self.state.borrow().chosen.get(name).cloned();
                if let Some(version) = chosen.filter(|v| range.contains(v)) {
                    return Ok(Some(version));
                }
                let versions = self.fetcher.versions(name)?;
                Ok(self.candidates(name, range).pick(&versions))
            }
        }
    }

    fn get_dependencies(
        &self,
        package: &ResolverPackage,
        version: &Version,
    ) -> Result<Dependencies<ResolverPackage, Ranges<Version>, Unusable>, Arc<FetchError>> {
        match package {
            ResolverPackage::Root => {
                for package in self.root.packages() {
                    if let Some(name) = package.name() {
                        self.fetcher.prefetch_versions(name);
                    }
                }
                Ok(self.root.clone().into_pubgrub())
            }
            ResolverPackage::Python => Ok(Deps::default().into_pubgrub()),
            ResolverPackage::Package(name) => self.dependencies_of(name, None, version),
            ResolverPackage::Extra(name, extra) => self.dependencies_of(name, Some(extra), version),
        }
    }
}
