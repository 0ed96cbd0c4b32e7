//! The resolver: pubgrub over the package index, with the user's pins as preferences.

mod build_context;
mod candidates;
mod fetch;
mod package;
mod provider;
mod range;
mod report;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{ExtraName, PackageName, Requirement, VerbatimUrl, VersionOrUrl};
use pubgrub::{PubGrubError, Ranges};

pub(crate) use build_context::{BuildFailure, MetadataBuilder};
pub(crate) use fetch::{FetchError, FormatPolicies};
use fetch::{IndexFetcher, MetadataResult};
// Where the settings layer has always found it; the rule itself lives with the index's files.
pub(crate) use crate::index::FormatPolicy;
use package::ResolverPackage;
use provider::{Deps, PrereleasePolicy, Provider};
pub(crate) use range::specifiers_range;

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
}

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
}

/// The result: one pin per package, sorted by name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolution {
    pub(crate) packages: Vec<ResolvedPackage>,
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
    let ResolveRequest {
        requirements,
        preferences,
        pre,
        policies,
        direct,
        builder,
    } = request;
    let markers = target.markers.clone();
    let python = Version::new(target.python_version.release().iter().copied());
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
    let fetcher = IndexFetcher::new(
        client,
        tokio::runtime::Handle::current(),
        target.tags.clone(),
        policies,
        direct_files,
        sources,
        builder,
    );

    let applies = |r: &&InputRequirement| r.requirement.evaluate_markers(&markers, &[]);
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
    let provider = Provider::new(
        // The trait is implemented on the `Arc`: its prefetches hand a clone to each task.
        Arc::new(fetcher.clone()),
        root,
        constraints,
        prereleases,
        exact_pins,
        preferences,
        python.clone(),
        markers.clone(),
    );
    let (provider, result) = tokio::task::spawn_blocking(move || {
        let result = pubgrub::resolve(&provider, ResolverPackage::Root, Version::new([0]));
        (provider, result)
    })
    .await
    .map_err(|err| ResolveError::Internal(err.to_string()))?;

    let solution = match result {
        Ok(solution) => solution,
        Err(PubGrubError::NoSolution(mut tree)) => {
            tree.collapse_no_versions();
            let (report, hint) = report::explain(&tree, &provider, &requirements);
            return Err(ResolveError::NoSolution { report, hint });
        }
        Err(PubGrubError::ErrorRetrievingDependencies { source, .. })
        | Err(PubGrubError::ErrorChoosingVersion { source, .. })
        | Err(PubGrubError::ErrorInShouldCancel(source)) => {
            return Err(ResolveError::Fetch(source));
        }
    };

    let solution: Vec<(ResolverPackage, Version)> = solution.into_iter().collect();
    let pins = pins_of(&solution, &fetcher, &direct, &requirements, &markers).await?;
    // The version maps hold every file of every project seen; freeing them one by one costs
    // more than the whole warm resolution, and the process ends soon after.
    std::mem::forget(provider);
    std::mem::forget(fetcher);
    Ok(Resolution { packages: pins })
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
            pins.insert(
                name.clone(),
                ResolvedPackage {
                    name: name.clone(),
                    version: version.clone(),
                    extras: BTreeSet::new(),
                    files,
                    via: BTreeSet::new(),
                    url,
                    editable: source.is_some_and(|s| s.editable),
                },
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
