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

use super::candidates::{VersionMap, requires_python_range};
use super::fetch::FetchError;
use super::fetch::{Fetcher, MetadataResult};
use super::package::ResolverPackage;
use super::range::specifiers_range;

/// When pre-releases may be chosen (uv's `if-necessary-or-explicit`, which the conformance
/// scenarios expect): everywhere with `--pre`, for packages whose first-party specifiers name a
/// pre-release, and for packages that publish nothing but pre-releases.
#[derive(Debug, Default)]
pub(crate) struct PrereleasePolicy {
    pub(crate) global: bool,
    pub(crate) explicit: HashSet<PackageName>,
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

    fn into_pubgrub(self) -> Dependencies<ResolverPackage, Ranges<Version>, String> {
        Dependencies::Available(DependencyConstraints::from_iter(self.0))
    }
}

pub(crate) struct Provider {
    pub(crate) fetcher: Arc<Fetcher>,
    pub(crate) root: Deps,
    pub(crate) constraints: HashMap<PackageName, Ranges<Version>>,
    pub(crate) prereleases: PrereleasePolicy,
    /// Exact first-party pins, which may choose a yanked release (PEP 592).
    pub(crate) exact_pins: HashSet<(PackageName, Version)>,
    pub(crate) preferences: HashMap<PackageName, Version>,
    pub(crate) python: Version,
    pub(crate) markers: MarkerEnvironment,
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
}

/// Decide pins first, then constrained packages in discovery order; extras after their base;
/// packages that keep conflicting move up (uv's `pubgrub/priority.rs`).
pub(crate) type Priority = (u8, u32, Reverse<usize>);

impl Provider {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        fetcher: Arc<Fetcher>,
        root: Deps,
        constraints: HashMap<PackageName, Ranges<Version>>,
        prereleases: PrereleasePolicy,
        exact_pins: HashSet<(PackageName, Version)>,
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
            state: RefCell::default(),
        }
    }

    /// Whether `name` may resolve to a pre-release.
    pub(crate) fn allows_prerelease(&self, name: &PackageName, versions: &VersionMap) -> bool {
        self.prereleases.global
            || self.prereleases.explicit.contains(name)
            || versions.releases.keys().all(Version::any_prerelease)
    }

    /// The newest acceptable release in `range`, the preferred pin first.
    fn pick(
        &self,
        name: &PackageName,
        range: &Ranges<Version>,
        versions: &VersionMap,
    ) -> Option<Version> {
        let pre_ok = self.allows_prerelease(name, versions);
        let acceptable = |version: &Version| {
            let release = &versions.releases[version];
            range.contains(version)
                && (pre_ok || !version.any_prerelease())
                && (!release.yanked || self.exact_pins.contains(&(name.clone(), version.clone())))
        };
        if let Some(preferred) = self.preferences.get(name)
            && versions.releases.contains_key(preferred)
            && acceptable(preferred)
        {
            return Some(preferred.clone());
        }
        versions
            .releases
            .keys()
            .rev()
            .find(|v| acceptable(v))
            .cloned()
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
    ) -> Result<Dependencies<ResolverPackage, Ranges<Version>, String>, Arc<FetchError>> {
        let versions = self.fetcher.versions_blocking(name)?;
        let Some(release) = versions.releases.get(version) else {
            return Ok(Dependencies::Unavailable("it is not on the index".into()));
        };
        let mut deps = Deps::default();
        let requires_python = versions.requires_python(release);
        if !requires_python.contains(&self.python) {
            // Known from the index page: no need for the metadata to know it cannot be used.
            deps.add(ResolverPackage::Python, requires_python.clone());
            return Ok(deps.into_pubgrub());
        }
        let metadata = match self.fetcher.metadata_blocking(name, version)? {
            MetadataResult::Found(metadata) => metadata,
            MetadataResult::Unusable(reason) => {
                return Ok(Dependencies::Unavailable(reason.to_string()));
            }
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
                        Self::add_requirement(&mut deps, &self.constraints, requirement);
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
                            Self::add_requirement(&mut deps, &self.constraints, requirement);
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
        Ok(deps.into_pubgrub())
    }
}

impl DependencyProvider for Provider {
    type P = ResolverPackage;
    type V = Version;
    type VS = Ranges<Version>;
    type M = String;
    type Priority = Priority;
    type Err = Arc<FetchError>;

    fn prioritize(
        &self,
        package: &ResolverPackage,
        range: &Ranges<Version>,
        stats: &PackageResolutionStatistics,
    ) -> Priority {
        let order = {
            let mut state = self.state.borrow_mut();
            let next = state.order.len();
            *state.order.entry(package.clone()).or_insert(next)
        };
        let class = match package {
            ResolverPackage::Root => 9,
            ResolverPackage::Python => 8,
            ResolverPackage::Package(name) => {
                // Start on the metadata of the release this package will most likely get.
                let range_for_pick = range.clone();
                let preferred = self.preferences.get(name).cloned();
                let global_pre =
                    self.prereleases.global || self.prereleases.explicit.contains(name);
                self.fetcher.prefetch_metadata(name, move |versions| {
                    if let Some(p) = preferred.filter(|p| range_for_pick.contains(p)) {
                        return Some(p);
                    }
                    versions
                        .releases
                        .keys()
                        .rev()
                        .find(|v| range_for_pick.contains(v) && (global_pre || !v.any_prerelease()))
                        .cloned()
                });
                if range.as_singleton().is_some() {
                    6
                } else if stats.conflict_count() > 4 {
                    5
                } else {
                    4
                }
            }
            ResolverPackage::Extra(..) => 2,
        };
        (class, stats.conflict_count(), Reverse(order))
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
                let versions = self.fetcher.versions_blocking(name)?;
                let picked = self.pick(name, range, &versions);
                if let Some(version) = &picked {
                    self.state
                        .borrow_mut()
                        .chosen
                        .insert(name.clone(), version.clone());
                }
                Ok(picked)
            }
            ResolverPackage::Extra(name, _) => {
                let chosen = self.state.borrow().chosen.get(name).cloned();
                if let Some(version) = chosen.filter(|v| range.contains(v)) {
                    return Ok(Some(version));
                }
                let versions = self.fetcher.versions_blocking(name)?;
                Ok(self.pick(name, range, &versions))
            }
        }
    }

    fn get_dependencies(
        &self,
        package: &ResolverPackage,
        version: &Version,
    ) -> Result<Dependencies<ResolverPackage, Ranges<Version>, String>, Arc<FetchError>> {
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
