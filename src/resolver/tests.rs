//! The provider against an index in memory: no runtime, no HTTP, no interpreter.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use pep440_rs::Version;
use pep508_rs::{PackageName, Requirement, VerbatimUrl};
use pubgrub::{DerivationTree, External, PubGrubError, Ranges};

use super::candidates::{Candidates, Unusable, VersionMap};
use super::fetch::{FetchResult, MetadataResult, PackageFetcher};
use super::package::ResolverPackage;
use super::provider::{Deps, PrereleasePolicy, Provider};
use crate::index::{DistFile, FormatPolicy, NoUsableFile, ProjectFiles};
use crate::metadata::CoreMetadata;
use crate::python::TargetEnvironment;

fn name(text: &str) -> PackageName {
    PackageName::from_str(text).unwrap()
}

fn version(text: &str) -> Version {
    Version::from_str(text).unwrap()
}

fn target() -> TargetEnvironment {
    crate::python::target_from_version("3.12", Some("linux"), None).unwrap()
}

/// An index in memory, published to as cargo's test registry is:
/// `FakeIndex::default().wheel("a", "1.0", &["b>=1"])`.
#[derive(Default)]
struct FakeIndex {
    files: HashMap<PackageName, Vec<DistFile>>,
    metadata: HashMap<(PackageName, Version), Arc<CoreMetadata>>,
    policies: HashMap<PackageName, FormatPolicy>,
    /// The releases the provider asked to prefetch, in order.
    prefetched: Mutex<Vec<(PackageName, Version)>>,
}

impl FakeIndex {
    /// A release with one pure-Python wheel.
    fn wheel(self, package: &str, release: &str, requires: &[&str]) -> Self {
        self.file(
            package,
            release,
            // Wheel names write `-` as `_` (the binary distribution format).
            &format!("{}-{release}-py3-none-any.whl", package.replace('-', "_")),
            requires,
        )
    }

    /// A release with one sdist only.
    fn sdist(self, package: &str, release: &str, requires: &[&str]) -> Self {
        self.file(
            package,
            release,
            &format!("{package}-{release}.tar.gz"),
            requires,
        )
    }

    fn file(mut self, package: &str, release: &str, filename: &str, requires: &[&str]) -> Self {
        let url = url::Url::parse(&format!("https://example.invalid/{filename}")).unwrap();
        let file = DistFile::from_url(&name(package), &url).unwrap();
        self.files.entry(name(package)).or_default().push(file);
        let mut text = format!("Metadata-Version: 2.2\nName: {package}\nVersion: {release}\n");
        for requirement in requires {
            text.push_str(&format!("Requires-Dist: {requirement}\n"));
        }
        let metadata = CoreMetadata::parse(text.as_bytes()).unwrap();
        self.metadata
            .insert((name(package), version(release)), Arc::new(metadata));
        self
    }

    /// Yank every file of a release (PEP 592).
    fn yank(mut self, package: &str, release: &str) -> Self {
        for file in self.files.entry(name(package)).or_default() {
            if *file.version() == version(release) {
                file.yanked = Some("broken".to_string());
            }
        }
        self
    }

    fn only_binary(mut self, package: &str) -> Self {
        let policy = FormatPolicy {
            only_binary: true,
            no_binary: false,
        };
        self.policies.insert(name(package), policy);
        self
    }

    fn prefetched(&self) -> Vec<(PackageName, Version)> {
        self.prefetched.lock().unwrap().clone()
    }
}

impl PackageFetcher for FakeIndex {
    fn versions(&self, package: &PackageName) -> FetchResult<Arc<VersionMap>> {
        let files = self.files.get(package).cloned().unwrap_or_default();
        let tags = Arc::new(target().tags);
        let policy = self.policies.get(package).copied().unwrap_or_default();
        let project = Arc::new(ProjectFiles {
            files,
            excluded: None,
        });
        Ok(Arc::new(VersionMap::build(project, tags, policy)))
    }

    fn metadata(&self, package: &PackageName, release: &Version) -> FetchResult<MetadataResult> {
        // As the index fetcher does: the release's best file first, then its metadata.
        let versions = self.versions(package)?;
        let Some(entry) = versions.releases.get(release) else {
            return Ok(MetadataResult::Unusable(Unusable::NotOnIndex));
        };
        if let Err(reason) = versions.best(entry) {
            return Ok(MetadataResult::Unusable(reason));
        }
        let metadata = &self.metadata[&(package.clone(), release.clone())];
        Ok(MetadataResult::Found(metadata.clone()))
    }

    fn known_versions(&self, package: &PackageName) -> Option<Arc<VersionMap>> {
        self.versions(package).ok()
    }

    fn prefetch_metadata(&self, package: &PackageName, candidates: Candidates) {
        if let Ok(versions) = self.versions(package)
            && let Some(release) = candidates.pick(&versions)
        {
            self.prefetched
                .lock()
                .unwrap()
                .push((package.clone(), release));
        }
    }
}

/// What a resolution gets besides the index.
#[derive(Default)]
struct Options {
    preferences: Vec<(&'static str, &'static str)>,
    exact_pins: Vec<(&'static str, &'static str)>,
    pre: bool,
}

fn provider(index: Arc<FakeIndex>, requirements: &[&str], options: Options) -> Provider {
    let constraints = HashMap::new();
    let mut root = Deps::default();
    for text in requirements {
        let requirement = Requirement::<VerbatimUrl>::from_str(text).unwrap();
        Provider::add_requirement(&mut root, &constraints, &requirement);
    }
    let mut exact_pins: HashMap<PackageName, Vec<Version>> = HashMap::new();
    for (package, release) in options.exact_pins {
        exact_pins
            .entry(name(package))
            .or_default()
            .push(version(release));
    }
    let preferences = options
        .preferences
        .iter()
        .map(|(package, release)| (name(package), version(release)))
        .collect();
    let prereleases = PrereleasePolicy {
        global: options.pre,
        ..PrereleasePolicy::default()
    };
    Provider::new(
        index,
        root,
        constraints,
        prereleases,
        exact_pins,
        preferences,
        version("3.12"),
        target().markers,
    )
}

type Outcome = Result<BTreeMap<String, String>, PubGrubError<Provider>>;

fn resolve_with(provider: &Provider) -> Outcome {
    let solution = pubgrub::resolve(provider, ResolverPackage::Root, Version::new([0]))?;
    Ok(solution
        .iter()
        .filter_map(|(package, release)| match package {
            ResolverPackage::Package(name) => Some((name.to_string(), release.to_string())),
            _ => None,
        })
        .collect())
}

fn resolve(index: FakeIndex, requirements: &[&str], options: Options) -> Outcome {
    resolve_with(&provider(Arc::new(index), requirements, options))
}

fn pins(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn picks_the_newest_release_of_each_package() {
    let index = FakeIndex::default()
        .wheel("a", "1.0", &[])
        .wheel("a", "2.0", &["b>=1"])
        .wheel("b", "1.0", &[])
        .wheel("b", "1.5", &[]);
    let outcome = resolve(index, &["a"], Options::default()).unwrap();
    assert_eq!(outcome, pins(&[("a", "2.0"), ("b", "1.5")]));
}

#[test]
fn backtracks_to_an_older_release_when_the_newest_conflicts() {
    let index = FakeIndex::default()
        .wheel("a", "1.0", &["b"])
        .wheel("a", "2.0", &["b>=2"])
        .wheel("b", "1.0", &[])
        .wheel("b", "2.0", &[]);
    let outcome = resolve(index, &["a", "b<2"], Options::default()).unwrap();
    assert_eq!(outcome, pins(&[("a", "1.0"), ("b", "1.0")]));
}

#[test]
fn keeps_the_lockfile_pin_while_it_satisfies_the_requirements() {
    let index = || {
        FakeIndex::default()
            .wheel("a", "1.0", &[])
            .wheel("a", "2.0", &[])
            .wheel("a", "3.0", &[])
    };
    let preferring = |release| Options {
        preferences: vec![("a", release)],
        ..Options::default()
    };
    let kept = resolve(index(), &["a"], preferring("1.0")).unwrap();
    assert_eq!(kept, pins(&[("a", "1.0")]));
    // A pin the requirements exclude gives way to the newest release they allow.
    let moved = resolve(index(), &["a>=2"], preferring("1.0")).unwrap();
    assert_eq!(moved, pins(&[("a", "3.0")]));
}

#[test]
fn skips_a_yanked_release_unless_pinned_exactly() {
    let index = || {
        FakeIndex::default()
            .wheel("a", "1.0", &[])
            .wheel("a", "2.0", &[])
            .yank("a", "2.0")
    };
    let skipped = resolve(index(), &["a"], Options::default()).unwrap();
    assert_eq!(skipped, pins(&[("a", "1.0")]));
    // PEP 592: `==2.0` may still choose it.
    let pinned = Options {
        exact_pins: vec![("a", "2.0")],
        ..Options::default()
    };
    let chosen = resolve(index(), &["a==2.0"], pinned).unwrap();
    assert_eq!(chosen, pins(&[("a", "2.0")]));
}

#[test]
fn pre_releases_need_opting_in_unless_nothing_else_exists() {
    let index = || {
        FakeIndex::default()
            .wheel("a", "1.0", &["b"])
            .wheel("a", "2.0b1", &["b"])
            .wheel("b", "1.0a1", &[])
    };
    let stable = resolve(index(), &["a"], Options::default()).unwrap();
    assert_eq!(stable, pins(&[("a", "1.0"), ("b", "1.0a1")]));
    let pre = Options {
        pre: true,
        ..Options::default()
    };
    let opted_in = resolve(index(), &["a"], pre).unwrap();
    assert_eq!(opted_in, pins(&[("a", "2.0b1"), ("b", "1.0a1")]));
}

#[test]
fn prefetch_asks_the_same_rule_as_the_solver() {
    // Regression: the prefetch used to ignore yanked releases and the pre-release rule, and
    // built or downloaded metadata the solver would never ask for.
    let index = Arc::new(
        FakeIndex::default()
            .wheel("a", "1.0", &[])
            .wheel("a", "2.0", &[])
            .yank("a", "2.0")
            .wheel("a", "3.0rc1", &[]),
    );
    let provider = provider(index.clone(), &["a"], Options::default());
    let outcome = resolve_with(&provider).unwrap();
    assert_eq!(outcome, pins(&[("a", "1.0")]));
    let prefetched = index.prefetched();
    assert!(!prefetched.is_empty());
    assert!(
        prefetched
            .iter()
            .all(|(_, release)| *release == version("1.0")),
        "{prefetched:?}"
    );
}

#[test]
fn an_unusable_release_is_reported_with_its_reason() {
    let index = FakeIndex::default().sdist("a", "1.0", &[]).only_binary("a");
    let provider = provider(Arc::new(index), &["a"], Options::default());
    let Err(PubGrubError::NoSolution(mut tree)) = resolve_with(&provider) else {
        panic!("a release with only an sdist resolved under --only-binary");
    };
    let mut reasons = Vec::new();
    collect_unusable(&tree, &mut reasons);
    assert_eq!(
        reasons,
        [Unusable::NoUsableFile(NoUsableFile::NoWheelForOnlyBinary)]
    );
    tree.collapse_no_versions();
    let (report, _) = super::report::explain(&tree, &provider, &[]);
    assert!(
        report.contains(
            "`a==1.0` cannot be used because it has only a source distribution, and building is disabled"
        ),
        "{report}"
    );
}

fn collect_unusable(
    tree: &DerivationTree<ResolverPackage, Ranges<Version>, Unusable>,
    found: &mut Vec<Unusable>,
) {
    match tree {
        DerivationTree::External(External::Custom(_, _, reason)) => found.push(reason.clone()),
        DerivationTree::External(_) => {}
        DerivationTree::Derived(derived) => {
            collect_unusable(&derived.cause1, found);
            collect_unusable(&derived.cause2, found);
        }
    }
}

/// `cloud` 2.0 needs `sdk-core<=5`; every `sdk` release pins its own `sdk-core`. `cloud` is
/// decided first, so `sdk` meets the conflict one release at a time under `cloud` 2.0.
fn highly_conflicting_index() -> FakeIndex {
    let mut index =
        FakeIndex::default()
            .wheel("cloud", "1.0", &[])
            .wheel("cloud", "2.0", &["sdk-core<=5"]);
    for release in 1..=30 {
        let pin = format!("sdk-core=={release}");
        index = index
            .wheel("sdk", &format!("{release}"), &[pin.as_str()])
            .wheel("sdk-core", &format!("{release}"), &[]);
    }
    index
}

/// Runs pubgrub as `resolve` does: restarting with the packages the provider names promoted.
fn resolve_restarting(
    index: Arc<FakeIndex>,
    requirements: &[&str],
    restarts: u32,
) -> (Outcome, Vec<Vec<String>>) {
    let mut promoted = std::collections::HashSet::new();
    let mut rounds = Vec::new();
    loop {
        let mut provider = provider(index.clone(), requirements, Options::default());
        provider.promoted = promoted.clone();
        provider.restarts_left = restarts.saturating_sub(rounds.len() as u32);
        match resolve_with(&provider) {
            Err(PubGrubError::ErrorInShouldCancel(err))
                if matches!(*err, super::FetchError::Restart) =>
            {
                let more = provider.restart_with();
                let mut names: Vec<String> = more.iter().map(ToString::to_string).collect();
                names.sort();
                rounds.push(names);
                promoted.extend(more);
            }
            outcome => return (outcome, rounds),
        }
    }
}

/// Issue 14's "highly conflicting pair" (uv's heuristic): without a restart, `sdk` is walked
/// back 25 releases under the `cloud` 2.0 decided before it; after 20 conflicts the resolution
/// starts over with `sdk` decided first, keeping it newest and moving `cloud` back one release.
#[test]
fn a_highly_conflicting_package_is_decided_first_after_a_restart() {
    let index = Arc::new(highly_conflicting_index());
    let (walked, rounds) = resolve_restarting(index.clone(), &["cloud", "sdk"], 0);
    assert!(rounds.is_empty());
    assert_eq!(
        walked.unwrap(),
        pins(&[("cloud", "2.0"), ("sdk", "5"), ("sdk-core", "5")])
    );
    let (restarted, rounds) = resolve_restarting(index, &["cloud", "sdk"], 3);
    assert_eq!(rounds, [["sdk"]]);
    assert_eq!(
        restarted.unwrap(),
        pins(&[("cloud", "1.0"), ("sdk", "30"), ("sdk-core", "30")])
    );
}
