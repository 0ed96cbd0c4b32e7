//! The resolver: pubgrub over the package index, with the user's pins as preferences.

mod build_context;
mod candidates;
mod fetch;
mod fork;
mod marker;
mod package;
mod pin_markers;
mod provider;
mod range;
mod report;
mod rewrites;
#[cfg(test)]
mod tests;
mod universal;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{ExtraName, PackageName, Requirement, VerbatimUrl, VersionOrUrl};
use pubgrub::{PubGrubError, Ranges};

pub(crate) use build_context::{BuildFailure, MetadataBuilder};
pub(crate) use fetch::{FetchError, FormatPolicies};
use fetch::{IndexFetcher, Lookahead, MetadataResult, PackageFetcher};
// Where the settings layer has always found it; the rule itself lives with the index's files.
pub(crate) use crate::index::FormatPolicy;
use package::ResolverPackage;
use provider::{Deps, PrereleasePolicy, Provider};
// The one marker algebra, for the lockfile graph of a universal lockfile too.
pub(crate) use marker::decide_extras;
pub(crate) use range::specifiers_range;
pub(crate) use rewrites::{ResolutionStrategy, Rewrites};
pub(crate) use universal::Universe;

/// A universal pin's marker as the lockfile writes it, simplified against the universe's
/// lowest Python; None when it holds everywhere.
pub(crate) fn marker_text(
    marker: &pep508_rs::MarkerTree,
    python_floor: &Version,
) -> Option<String> {
    marker::display(marker, python_floor)
}

use crate::index::{DistFile, IndexClient};
use crate::metadata::CoreMetadata;
use crate::python::TargetEnvironment;
use crate::requirements::Origin;

/// Why a resolution failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum ResolveError {
    /// No set of versions satisfies the requirements; the report explains why.
    #[error("no set of versions satisfies the requirements:\n\n{report}")]
    #[diagnostic(code(pinion::resolve::no_solution))]
    NoSolution {
        report: String,
        #[help]
        hint: Option<String>,
    },
    /// The index could not be asked, or a build for metadata failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Fetch(Arc<FetchError>),
    /// `--required-environment`: a pinned release has no file for an environment that must
    /// be served.
    #[error(
        "`{name}=={version}` has no wheel or source distribution usable where `{environment}` (a required environment)"
    )]
    #[diagnostic(code(pinion::resolve::required_environment))]
    RequiredEnvironment {
        name: PackageName,
        version: Version,
        environment: String,
    },
    /// The solver thread stopped unexpectedly.
    #[error("the resolver stopped unexpectedly: {0}")]
    Internal(String),
}

/// Where a requirement came from: an input (`-r file`) or a constraints file (`-c file`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum InputKind {
    Requirement,
    Constraint,
}

/// One requirement of the user's, with where it was written.
#[derive(Debug, Clone)]
pub(crate) struct InputRequirement {
    pub(crate) requirement: Requirement<VerbatimUrl>,
    pub(crate) origin: Origin,
    pub(crate) kind: InputKind,
}

/// Everything the resolver needs besides the index.
pub(crate) struct ResolveRequest {
    pub(crate) requirements: Vec<InputRequirement>,
    /// Pins from the existing lockfile (already filtered by `--upgrade`/`--upgrade-package`).
    pub(crate) preferences: HashMap<PackageName, Version>,
    pub(crate) pre: bool,
    pub(crate) policies: Box<dyn FormatPolicies>,
    /// Direct references.
    pub(crate) direct: DirectReferences,
    /// Builds sdists whose metadata is not static; None: such releases are unusable.
    pub(crate) builder: Option<Arc<dyn MetadataBuilder>>,
    /// Told what the resolver is on ([`NoProgress`]: nothing).
    pub(crate) progress: Arc<dyn ResolveProgress>,
    /// `--override` and `--exclude`.
    pub(crate) rewrites: Rewrites,
    /// `--resolution`.
    pub(crate) strategy: ResolutionStrategy,
    /// `--universal`: every environment of the universe at once; None resolves for the target.
    pub(crate) universe: Option<Universe>,
    /// With a universe: the existing lockfile's pins with their markers (`preferences` is then
    /// unused).
    pub(crate) marked_preferences: Vec<(PackageName, Version, pep508_rs::MarkerTree)>,
    /// `--no-strip-markers`: a single-target resolution gives each pin the markers under which
    /// it is needed (a universal one always does).
    pub(crate) keep_markers: bool,
}

/// What a resolution reports as it goes, for a spinner to draw; every method does nothing by
/// default.
pub(crate) trait ResolveProgress: Send + Sync {
    /// The resolver chose a version of `package` (again, after a backtrack); `packages` have a
    /// version chosen so far.
    fn resolving(&self, package: &PackageName, packages: usize) {
        let _ = (package, packages);
    }
}

/// Progress nobody watches.
pub(crate) struct NoProgress;

impl ResolveProgress for NoProgress {}

/// The packages the user pointed at directly rather than by name and version.
#[derive(Debug, Default)]
pub(crate) struct DirectReferences {
    /// Wheel and sdist files (`name @ https://example.invalid/name-1.0.tar.gz`): the file, and the URL as the
    /// lockfile writes it.
    pub(crate) files: HashMap<PackageName, (DistFile, String)>,
    /// Local projects and git checkouts, already built for their metadata.
    pub(crate) sources: HashMap<PackageName, SourcePackage>,
}

/// A local project or git checkout as the resolver takes it.
#[derive(Debug, Clone)]
pub(crate) struct SourcePackage {
    pub(crate) metadata: Arc<CoreMetadata>,
    /// What the lockfile writes: a path (`.`, `./libs/mylib`) or a URL (`git+https://example.invalid/repo.git@<commit>`).
    pub(crate) written: String,
    /// `-e`: installed in editable mode (PEP 660).
    pub(crate) editable: bool,
    /// A git reference's branch, tag or commit as the user asked for it (`written` has the
    /// commit it resolved to): PEP 751's `requested-revision`.
    pub(crate) requested_revision: Option<String>,
}

/// Why a pin is in the lockfile.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Via {
    /// Required by this package.
    Package(PackageName),
    /// Asked for by this input file (`-r`) or constrained by it (`-c`).
    File(InputKind, PathBuf),
}

#[derive(Debug, Clone)]
pub(crate) struct ResolvedPackage {
    pub(crate) name: PackageName,
    pub(crate) version: Version,
    pub(crate) extras: BTreeSet<ExtraName>,
    /// Every file of the release on the index, for hashes.
    pub(crate) files: Vec<DistFile>,
    pub(crate) via: BTreeSet<Via>,
    /// The URL of a direct reference, written as `name @ url`; or the path of a local project,
    /// written as it is.
    pub(crate) url: Option<String>,
    /// Written with `-e`.
    pub(crate) editable: bool,
    /// A git reference's revision as asked for ([`SourcePackage::requested_revision`]).
    pub(crate) requested_revision: Option<String>,
    /// The `--override` files that replaced every requirement on it, for `# via`.
    pub(crate) overridden_by: BTreeSet<PathBuf>,
    /// Where the pin is needed: in a universal resolution; with `--no-strip-markers`, already
    /// simplified against the target's Python (see [`Resolution::marker_of`]). True everywhere
    /// otherwise.
    pub(crate) marker: pep508_rs::MarkerTree,
}

/// The result: one pin per package, sorted by name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolution {
    pub(crate) packages: Vec<ResolvedPackage>,
    /// A universal resolution's lowest Python: markers are written simplified against it.
    pub(crate) python_floor: Option<Version>,
    /// A universal resolution's forks, merged where they ended with the same pins, sorted.
    pub(crate) forks: Vec<pep508_rs::MarkerTree>,
}

impl Resolution {
    /// The marker `pin` is written with: a universal pin's simplified against the universe's
    /// lowest Python, a single-target pin's as the resolver left it; None when it holds
    /// everywhere (always, for a single target without `--no-strip-markers`).
    pub(crate) fn marker_of(&self, pin: &ResolvedPackage) -> Option<String> {
        match &self.python_floor {
            Some(floor) => marker::display(&pin.marker, floor),
            None => pin.marker.try_to_string(),
        }
    }
}

/// Give every file of every pin a sha256, downloading the files the index published none for
/// (find-links folders, direct references), for `--generate-hashes`.
pub(crate) async fn complete_hashes(
    resolution: &mut Resolution,
    client: &IndexClient,
) -> Result<(), ResolveError> {
    let missing = resolution
        .packages
        .iter_mut()
        .flat_map(|p| p.files.iter_mut())
        .filter(|f| f.sha256.is_none());
    let jobs = missing.map(|file| async move {
        let sha256 = client.file_sha256(file).await?;
        file.sha256 = Some(sha256);
        Ok::<(), crate::index::IndexError>(())
    });
    for result in futures::future::join_all(jobs).await {
        result.map_err(|e| ResolveError::Fetch(Arc::new(e.into())))?;
    }
    Ok(())
}

/// Resolve `request` for `target` against the index.
pub(crate) async fn resolve(
    request: ResolveRequest,
    client: Arc<IndexClient>,
    target: &TargetEnvironment,
) -> Result<Resolution, ResolveError> {
    if request.universe.is_some() {
        return universal::resolve(request, client, target).await;
    }
    let lookahead = target_lookahead(&request, target);
    let ResolveRequest {
        requirements,
        mut preferences,
        pre,
        policies,
        direct,
        builder,
        progress,
        rewrites,
        strategy,
        ..
    } = request;
    let rewrites = Arc::new(rewrites);
    let markers = target.markers.clone();
    let python = Version::new(target.python_version.release().iter().copied());
    let fetcher = fetcher_for(client, target.tags.clone(), policies, &direct, builder);
    let Roots {
        root,
        constraints,
        prereleases,
        exact_pins,
    } = roots(
        &rewritten_roots(&requirements, &markers, &rewrites),
        |r| r.requirement.evaluate_markers(&markers, &[]),
        pre,
    );
    let direct_names: HashSet<PackageName> =
        root.packages().filter_map(|p| p.name().cloned()).collect();
    fetcher.look_ahead(lookahead);
    let fetcher_arc: Arc<dyn PackageFetcher> = Arc::new(fetcher.clone());
    let attempt = |preferences: HashMap<PackageName, Version>, promoted: HashSet<PackageName>| {
        let mut provider = Provider::new(
            // The trait is implemented on the `Arc`: its prefetches hand a clone to each task.
            fetcher_arc.clone(),
            root.clone(),
            constraints.clone(),
            prereleases.clone(),
            exact_pins.clone(),
            preferences,
            python.clone(),
            markers.clone(),
        );
        provider.promoted = promoted;
        provider.rewrites = rewrites.clone();
        provider.strategy = strategy;
        provider.direct = direct_names.clone();
        provider.progress = progress.clone();
        provider
    };
    let mut promoted = HashSet::new();
    let mut restarts = 0;
    let mut dropped_preferences = false;
    let (provider, solution) = loop {
        let mut provider = attempt(preferences.clone(), promoted.clone());
        provider.restarts_left = MAX_RESTARTS.saturating_sub(restarts);
        let (provider, result) = solve_once(provider).await?;
        let solution = match result {
            Ok(solution) => solution,
            Err(PubGrubError::NoSolution(mut tree)) => {
                tree.collapse_no_versions();
                let (report, hint) = report::explain(&tree, &provider, &requirements);
                return Err(ResolveError::NoSolution { report, hint });
            }
            Err(PubGrubError::ErrorInShouldCancel(source))
                if matches!(*source, FetchError::Restart) =>
            {
                let more = provider.restart_with();
                log_restart(&more);
                promoted.extend(more);
                restarts += 1;
                continue;
            }
            Err(PubGrubError::ErrorRetrievingDependencies { source, .. })
            | Err(PubGrubError::ErrorChoosingVersion { source, .. })
            | Err(PubGrubError::ErrorInShouldCancel(source)) => {
                return Err(ResolveError::Fetch(source));
            }
        };
        let solution: Vec<(ResolverPackage, Version)> = solution.into_iter().collect();
        // pip-tools keeps the lockfile's pins, but not at the price of a direct requirement: a
        // preference that held one of them back is dropped (with those of everything that
        // requirement pulls in) and the resolution runs once more.
        if !dropped_preferences && !preferences.is_empty() {
            let dropped =
                preferences_holding_back(&provider, &solution, &direct_names, &preferences);
            if !dropped.is_empty() {
                for name in &dropped {
                    preferences.remove(name);
                }
                dropped_preferences = true;
                continue;
            }
        }
        break (provider, solution);
    };
    log_walk_backs(&provider, &solution);
    let mut pins = pins_of(&solution, &fetcher, &direct, &requirements, &markers).await?;
    let scope = pin_markers::Scope::Target(&markers, &rewrites);
    let keep = request.keep_markers;
    with_markers(&mut pins, &scope, keep, &solution, &fetcher, &requirements).await?;
    // The version maps hold every file of every project seen; freeing them one by one costs
    // more than the whole warm resolution, and the process ends soon after.
    std::mem::forget(provider);
    std::mem::forget(fetcher);
    Ok(Resolution {
        packages: pins,
        ..Resolution::default()
    })
}

/// `-v`: which packages a restart decides first, and why.
fn log_restart(more: &[PackageName]) {
    tracing::info!(
        "deciding {} earlier: {} kept conflicting; starting the resolution over",
        names_list(more),
        if more.len() == 1 { "it" } else { "they" }
    );
}

/// What one pubgrub run answers.
type Solved =
    Result<pubgrub::SelectedDependencies<ResolverPackage, Version>, PubGrubError<Provider>>;

/// One pubgrub run on a blocking thread (it blocks on fetches), handing the provider back for
/// the report or a restart.
async fn solve_once(provider: Provider) -> Result<(Provider, Solved), ResolveError> {
    tokio::task::spawn_blocking(move || {
        let result = pubgrub::resolve(&provider, ResolverPackage::Root, Version::new([0]));
        (provider, result)
    })
    .await
    .map_err(|err| ResolveError::Internal(err.to_string()))
}

/// The fetcher over the index, with the direct references' files and built metadata.
fn fetcher_for(
    client: Arc<IndexClient>,
    tags: crate::python::Tags,
    policies: Box<dyn FormatPolicies>,
    direct: &DirectReferences,
    builder: Option<Arc<dyn MetadataBuilder>>,
) -> Arc<IndexFetcher> {
    let direct_files = direct
        .files
        .iter()
        .map(|(name, (file, _))| (name.clone(), file.clone()))
        .collect();
    let sources = direct
        .sources
        .iter()
        .map(|(name, source)| (name.clone(), source.metadata.clone()))
        .collect();
    IndexFetcher::new(
        client,
        tokio::runtime::Handle::current(),
        tags,
        policies,
        direct_files,
        sources,
        builder,
    )
}

/// What the fetcher guesses from to fetch ahead of the solver: the ranges of the user's
/// requirements (all of them when `markers` is None: a universal resolution) and constraints,
/// and the existing lockfile's pins.
fn lookahead_for(
    requirements: &[InputRequirement],
    markers: Option<&pep508_rs::MarkerEnvironment>,
    python: Option<Version>,
    preferences: HashMap<PackageName, Version>,
    pre: bool,
    strategy: ResolutionStrategy,
) -> Lookahead {
    let applies =
        |r: &InputRequirement| markers.is_none_or(|m| r.requirement.evaluate_markers(m, &[]));
    let Roots {
        root,
        mut constraints,
        ..
    } = roots(requirements, applies, pre);
    for (package, range) in root.ranges() {
        if let ResolverPackage::Package(name) = package {
            constraints.insert(name.clone(), range.clone());
        }
    }
    Lookahead {
        markers: markers.cloned(),
        python,
        ranges: constraints,
        preferences,
        prereleases: pre,
        strategy,
    }
}

/// The lookahead of a resolution for one target: the requirements as `--override` and
/// `--exclude` leave them, markers evaluated for it.
fn target_lookahead(request: &ResolveRequest, target: &TargetEnvironment) -> Lookahead {
    let markers = &target.markers;
    lookahead_for(
        &rewritten_roots(&request.requirements, markers, &request.rewrites),
        Some(markers),
        Some(Version::new(
            target.python_version.release().iter().copied(),
        )),
        request.preferences.clone(),
        request.pre,
        request.strategy,
    )
}

/// The lookahead of a universal resolution: every requirement, every lockfile pin (the last
/// of a name pinned in several forks).
fn universal_lookahead(request: &ResolveRequest) -> Lookahead {
    let preferences = request
        .marked_preferences
        .iter()
        .map(|(name, version, _)| (name.clone(), version.clone()))
        .collect();
    lookahead_for(
        &request.requirements,
        None,
        None,
        preferences,
        request.pre,
        request.strategy,
    )
}

/// What the user's requirements say before any metadata is read: the root's dependencies,
/// the constraints, who opted into pre-releases, and exact pins (which may select yanked
/// releases).
struct Roots {
    root: Deps,
    constraints: HashMap<PackageName, Ranges<Version>>,
    prereleases: PrereleasePolicy,
    exact_pins: HashMap<PackageName, Vec<Version>>,
}

/// The user's requirements as `--override` and `--exclude` leave them, for a single target
/// (constraints stay as written).
fn rewritten_roots<'a>(
    requirements: &'a [InputRequirement],
    markers: &pep508_rs::MarkerEnvironment,
    rewrites: &Rewrites,
) -> std::borrow::Cow<'a, [InputRequirement]> {
    if rewrites.is_empty() {
        return std::borrow::Cow::Borrowed(requirements);
    }
    requirements
        .iter()
        .filter(|r| r.requirement.evaluate_markers(markers, &[]))
        .flat_map(|input| match input.kind {
            InputKind::Constraint => vec![input.clone()],
            InputKind::Requirement => rewrites
                .apply(&input.requirement, markers)
                .into_iter()
                .map(|requirement| InputRequirement {
                    requirement: requirement.into_owned(),
                    ..input.clone()
                })
                .collect(),
        })
        .collect()
}

fn roots(
    requirements: &[InputRequirement],
    applies: impl Fn(&InputRequirement) -> bool,
    pre: bool,
) -> Roots {
    let applies = |r: &&InputRequirement| applies(r);
    let mut constraints: HashMap<PackageName, Ranges<Version>> = HashMap::new();
    let mut prereleases = PrereleasePolicy {
        global: pre,
        ..PrereleasePolicy::default()
    };
    let mut exact_pins: HashMap<PackageName, Vec<Version>> = HashMap::new();
    for input in requirements.iter().filter(applies) {
        let requirement = &input.requirement;
        if let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &requirement.version_or_url {
            if specifiers.iter().any(|s| s.version().any_prerelease()) {
                prereleases.explicit.insert(requirement.name.clone());
            }
            for specifier in specifiers.iter() {
                if matches!(
                    specifier.operator(),
                    pep440_rs::Operator::Equal | pep440_rs::Operator::ExactEqual
                ) {
                    exact_pins
                        .entry(requirement.name.clone())
                        .or_default()
                        .push(specifier.version().clone());
                }
            }
            if input.kind == InputKind::Constraint {
                let range = specifiers_range(specifiers);
                let entry = constraints
                    .entry(requirement.name.clone())
                    .or_insert_with(Ranges::full);
                *entry = entry.intersection(&range);
            }
        }
    }
    let mut root = Deps::default();
    for input in requirements
        .iter()
        .filter(applies)
        .filter(|r| r.kind == InputKind::Requirement)
    {
        Provider::add_requirement(&mut root, &constraints, &input.requirement);
    }
    Roots {
        root,
        constraints,
        prereleases,
        exact_pins,
    }
}

/// The lockfile pins to drop before resolving again: those of everything a direct requirement
/// pulls in, when a pin held that requirement below its newest allowed release.
fn preferences_holding_back(
    provider: &Provider,
    solution: &[(ResolverPackage, Version)],
    direct_names: &HashSet<PackageName>,
    preferences: &HashMap<PackageName, Version>,
) -> Vec<PackageName> {
    let held = held_back(provider, solution, direct_names, preferences);
    if held.is_empty() {
        return Vec::new();
    }
    let graph = dependency_graph(provider, solution);
    let reach = reachable(&graph, held.iter().map(|(name, _, _)| name));
    let dropped: Vec<PackageName> = preferences
        .keys()
        .filter(|name| reach.contains(*name))
        .cloned()
        .collect();
    if !dropped.is_empty() {
        for (name, pinned, newest) in &held {
            tracing::info!(
                "the lockfile's pins held `{name}` back at {pinned} (newest allowed: {newest}); dropping the pins of {}",
                names_list(&dropped)
            );
        }
    }
    dropped
}

/// How many times one resolution may start over with more packages decided early.
const MAX_RESTARTS: u32 = 3;

/// `a`, `b` and `c`, in backticks.
fn names_list(names: &[PackageName]) -> String {
    let mut names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    names.sort();
    match names.as_slice() {
        [init @ .., last] if !init.is_empty() => format!("{} and {last}", init.join(", ")),
        _ => names.join(""),
    }
}

/// The newest release the candidate rule allows for `name` within `range`, preferences aside.
fn newest_allowed(
    provider: &Provider,
    name: &PackageName,
    range: &Ranges<Version>,
) -> Option<Version> {
    let versions = provider.fetcher.known_versions(name)?;
    let mut candidates = provider.candidates(name, range);
    candidates.preferred = None;
    candidates.pick(&versions)
}

/// Direct requirements pinned below the newest release their own requirement allows while a
/// lockfile preference was in force: `(name, pinned, newest)`. A direct requirement that is
/// itself preferred at its pin is the user's earlier choice, not held back.
fn held_back(
    provider: &Provider,
    solution: &[(ResolverPackage, Version)],
    direct: &HashSet<PackageName>,
    preferences: &HashMap<PackageName, Version>,
) -> Vec<(PackageName, Version, Version)> {
    solution
        .iter()
        .filter_map(|(package, version)| match package {
            ResolverPackage::Package(name) if direct.contains(name) => Some((name, version)),
            _ => None,
        })
        .filter(|(name, version)| preferences.get(*name) != Some(*version))
        .filter_map(|(name, version)| {
            let range = provider.root_range(name);
            let newest = newest_allowed(provider, name, &range)?;
            (newest > *version).then(|| (name.clone(), version.clone(), newest))
        })
        .collect()
}

/// Who requires whom in a solution, with the requirement: parent -> [(child, requirement)].
fn dependency_graph(
    provider: &Provider,
    solution: &[(ResolverPackage, Version)],
) -> HashMap<PackageName, Vec<(PackageName, String)>> {
    let mut graph: HashMap<PackageName, Vec<(PackageName, String)>> = HashMap::new();
    for (package, version) in solution {
        let (name, extra) = match package {
            ResolverPackage::Package(name) => (name, None),
            ResolverPackage::Extra(name, extra) => (name, Some(extra.clone())),
            _ => continue,
        };
        let Ok(MetadataResult::Found(metadata)) = provider.fetcher.metadata(name, version) else {
            continue;
        };
        let extras: Vec<ExtraName> = extra.into_iter().collect();
        for requirement in &metadata.requires_dist {
            if requirement.name != *name && requirement.evaluate_markers(&provider.markers, &extras)
            {
                let text = match &requirement.version_or_url {
                    Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
                        format!("{}{specifiers}", requirement.name)
                    }
                    _ => requirement.name.to_string(),
                };
                graph.entry(name.clone()).or_default().push((
                    requirement.name.clone(),
                    format!("{name} {version} requires {text}"),
                ));
            }
        }
    }
    graph
}

/// Every package reachable from `start` in `graph`, `start` included.
fn reachable<'a>(
    graph: &HashMap<PackageName, Vec<(PackageName, String)>>,
    start: impl Iterator<Item = &'a PackageName>,
) -> HashSet<PackageName> {
    let mut seen: HashSet<PackageName> = HashSet::new();
    let mut stack: Vec<PackageName> = start.cloned().collect();
    while let Some(name) = stack.pop() {
        if seen.insert(name.clone()) {
            for (child, _) in graph.get(&name).into_iter().flatten() {
                stack.push(child.clone());
            }
        }
    }
    seen
}

/// `-v`: every package pinned below the newest release it could have had, and the requirements
/// that kept it there, so a walk-back is never silent.
fn log_walk_backs(provider: &Provider, solution: &[(ResolverPackage, Version)]) {
    if !tracing::enabled!(tracing::Level::INFO) {
        return;
    }
    let graph = dependency_graph(provider, solution);
    for (package, version) in solution {
        let ResolverPackage::Package(name) = package else {
            continue;
        };
        let Some(newest) = newest_allowed(provider, name, &Ranges::full()) else {
            continue;
        };
        if newest <= *version {
            continue;
        }
        let mut why: Vec<&str> = graph
            .values()
            .flatten()
            .filter(|(child, _)| child == name)
            .map(|(_, text)| text.as_str())
            .collect();
        let root = provider.root_range(name);
        let root_text;
        if root != Ranges::full() {
            root_text = format!("you require {name}{}", range::display_range(&root));
            why.push(&root_text);
        }
        if provider.preferences.get(name) == Some(version) {
            why.push("the lockfile pins it");
        }
        why.sort();
        tracing::info!(
            "`{name}` walked back to {version} (newest: {newest}): {}",
            if why.is_empty() {
                "newer releases cannot be used here".to_string()
            } else {
                why.join("; ")
            }
        );
    }
}

/// A pin of `name` `version` with its files (none for a direct reference, whose URL it keeps)
/// and `marker`; extras and `# via` are filled in by the caller.
async fn new_pin(
    name: &PackageName,
    version: &Version,
    fetcher: &IndexFetcher,
    direct: &DirectReferences,
    marker: pep508_rs::MarkerTree,
) -> Result<ResolvedPackage, ResolveError> {
    let source = direct.sources.get(name);
    let versions = fetcher
        .fetch_versions(name)
        .await
        .map_err(ResolveError::Fetch)?;
    let files = versions
        .releases
        .get(version)
        .filter(|_| source.is_none())
        .map(|r| versions.files(r).cloned().collect())
        .unwrap_or_default();
    let url = match source {
        Some(source) => Some(source.written.clone()),
        None => direct.files.get(name).map(|(_, given)| given.clone()),
    };
    Ok(ResolvedPackage {
        name: name.clone(),
        version: version.clone(),
        extras: BTreeSet::new(),
        files,
        via: BTreeSet::new(),
        url,
        editable: source.is_some_and(|s| s.editable),
        requested_revision: source.and_then(|s| s.requested_revision.clone()),
        overridden_by: BTreeSet::new(),
        marker,
    })
}

/// Which pins an override replaced, and with `--no-strip-markers` (`keep`) each
/// pin's marker in the target's graph, simplified against the target's Python as uv simplifies
/// against its requires-python (`tomli ; python_full_version < '3.11'` for 3.10; nothing for
/// `python_version >= '3.8'`).
async fn with_markers(
    pins: &mut [ResolvedPackage],
    scope: &pin_markers::Scope<'_>,
    keep: bool,
    solution: &[(ResolverPackage, Version)],
    fetcher: &IndexFetcher,
    requirements: &[InputRequirement],
) -> Result<(), ResolveError> {
    if let pin_markers::Scope::Target(markers, rewrites) = scope {
        for pin in pins.iter_mut() {
            pin.overridden_by = rewrites.overridden_by(&pin.name, markers);
        }
    }
    let Some(python) = scope.python().filter(|_| keep) else {
        return Ok(());
    };
    let (_, reached) = pin_markers::markers(scope, solution, fetcher, requirements).await?;
    for pin in pins {
        // Every pin of the solution is reached by edges that hold for the target.
        if let Some(marker) = reached.get(&ResolverPackage::Package(pin.name.clone())) {
            pin.marker = marker::above(marker, &python);
        }
    }
    Ok(())
}

/// The pins of a solution: extras folded into their packages, each with its files and who asked
/// for it (`# via`).
async fn pins_of(
    solution: &[(ResolverPackage, Version)],
    fetcher: &IndexFetcher,
    direct: &DirectReferences,
    requirements: &[InputRequirement],
    markers: &pep508_rs::MarkerEnvironment,
) -> Result<Vec<ResolvedPackage>, ResolveError> {
    let mut pins: BTreeMap<PackageName, ResolvedPackage> = BTreeMap::new();
    for (package, version) in solution {
        if let ResolverPackage::Package(name) = package {
            pins.insert(
                name.clone(),
                new_pin(name, version, fetcher, direct, pep508_rs::MarkerTree::TRUE).await?,
            );
        }
    }
    for input in requirements
        .iter()
        .filter(|r| r.requirement.evaluate_markers(markers, &[]))
    {
        let name = &input.requirement.name;
        if let Some(pin) = pins.get_mut(name) {
            pin.via
                .insert(Via::File(input.kind.clone(), input.origin.file.clone()));
        }
    }
    for (package, version) in solution {
        let (parent, extra) = match package {
            ResolverPackage::Package(name) => (name, None),
            ResolverPackage::Extra(name, extra) => (name, Some(extra)),
            _ => continue,
        };
        let MetadataResult::Found(metadata) = fetcher
            .fetch_metadata(parent, version)
            .await
            .map_err(ResolveError::Fetch)?
        else {
            continue;
        };
        let extras = extra.map(std::slice::from_ref).unwrap_or(&[]);
        for requirement in &metadata.requires_dist {
            if requirement.name == *parent || !requirement.evaluate_markers(markers, extras) {
                continue;
            }
            if let Some(child) = pins.get_mut(&requirement.name) {
                child.via.insert(Via::Package(parent.clone()));
            }
        }
        if let (Some(extra), Some(pin)) = (extra, pins.get_mut(parent)) {
            pin.extras.insert(extra.clone());
        }
    }
    Ok(pins.into_values().collect())
}
