//! Which file of each release the resolver can use on the target, and why not when none.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use pep440_rs::{Operator, Version, VersionSpecifier, VersionSpecifiers};
use pubgrub::Ranges;

use crate::index::{DistFile, FormatPolicy, NoUsableFile, ProjectFiles, best_file};
use crate::python::Tags;

/// Why a release cannot be used: pubgrub's `DependencyProvider::M`, which the report shows as
/// "`name==1.0` cannot be used because {reason}".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// pubgrub asked about a version the index does not list.
    NotOnIndex,
    /// No file of the release fits the target and the format policy.
    NoUsableFile(NoUsableFile),
    /// Its sdist must be built for its metadata (PEP 643), and there is no interpreter to build
    /// with (`--python-version` alone).
    NeedsBuild,
    /// Its metadata does not parse even read as leniently as `packaging` reads it; the text
    /// says which field and why.
    InvalidMetadata(String),
    /// Its Requires-Python excludes every Python of the fork (a universal resolution).
    RequiresPython(String),
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotOnIndex => f.write_str("it is not on the index"),
            Self::NoUsableFile(reason) => write!(f, "{reason}"),
            Self::NeedsBuild => f.write_str(
                "its source distribution must be built for its metadata, and there is no interpreter to build with (--python-version without --python)",
            ),
            Self::InvalidMetadata(reason) => write!(f, "its metadata is invalid: {reason}"),
            Self::RequiresPython(specifiers) => write!(f, "it requires Python {specifiers}"),
        }
    }
}

/// One release of a package as the resolver sees it; files are indices into the project's list,
/// so building the map copies nothing, and which file to use is decided on first use: the
/// resolver looks at a few releases of each package, pages list thousands.
#[derive(Debug)]
pub(crate) struct Release {
    files: Vec<usize>,
    /// Every file is yanked (PEP 592).
    pub(crate) yanked: bool,
    /// Boxed: most releases are never looked at, and a `Choice` is 56 bytes.
    choice: OnceLock<Box<Choice>>,
}

#[derive(Debug)]
struct Choice {
    /// The file to read metadata from and to install: the best wheel, else the sdist.
    best: Result<usize, Unusable>,
    /// The best file's Requires-Python, as a range over Python versions.
    requires_python: Ranges<Version>,
}

/// Every release of a package, newest last.
#[derive(Debug)]
pub(crate) struct VersionMap {
    project: Arc<ProjectFiles>,
    tags: Arc<Tags>,
    policy: FormatPolicy,
    pub(crate) releases: BTreeMap<Version, Release>,
}

impl VersionMap {
    pub(crate) fn build(project: Arc<ProjectFiles>, tags: Arc<Tags>, policy: FormatPolicy) -> Self {
        let mut by_version: BTreeMap<&Version, Vec<usize>> = BTreeMap::new();
        for (index, file) in project.files.iter().enumerate() {
            by_version.entry(file.version()).or_default().push(index);
        }
        let releases = by_version
            .into_iter()
            .map(|(version, files)| {
                let yanked = files.iter().all(|&i| project.files[i].yanked.is_some());
                let release = Release {
                    files,
                    yanked,
                    choice: OnceLock::new(),
                };
                (version.clone(), release)
            })
            .collect();
        Self {
            project,
            tags,
            policy,
            releases,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.releases.is_empty()
    }

    /// What a cooldown left out of the project's listing, for the report.
    pub(crate) fn excluded(&self) -> Option<&crate::index::Excluded> {
        self.project.excluded.as_ref()
    }

    /// The package publishes nothing but pre-releases, yanked releases aside: then they are
    /// allowed without opting in (PEP 440: "accept pre-releases ... if no final release
    /// satisfies"; uv's `if-necessary-or-explicit`). A yanked final release does not count: a
    /// placeholder `0.0.1` yanked beside a line of betas must not hide the betas, and neither
    /// pip nor uv lets it.
    pub(crate) fn only_prereleases(&self) -> bool {
        self.releases
            .iter()
            .all(|(version, release)| version.any_prerelease() || release.yanked)
    }

    /// Every file of `release`.
    pub(crate) fn files<'a>(&'a self, release: &'a Release) -> impl Iterator<Item = &'a DistFile> {
        release.files.iter().map(|&i| &self.project.files[i])
    }

    /// The file of `release` to use, or why there is none.
    pub(crate) fn best(&self, release: &Release) -> Result<&DistFile, Unusable> {
        match &self.choice(release).best {
            Ok(i) => Ok(&self.project.files[*i]),
            Err(reason) => Err(reason.clone()),
        }
    }

    /// The Pythons the release's best file supports.
    pub(crate) fn requires_python<'a>(&self, release: &'a Release) -> &'a Ranges<Version> {
        &self.choice(release).requires_python
    }

    fn choice<'a>(&self, release: &'a Release) -> &'a Choice {
        release.choice.get_or_init(|| {
            Box::new(choose(
                &self.project.files,
                release,
                &self.tags,
                self.policy,
            ))
        })
    }
}

fn choose(all: &[DistFile], release: &Release, tags: &Tags, policy: FormatPolicy) -> Choice {
    let files = release.files.iter().map(|&i| &all[i]);
    let version = release.files.first().map(|&i| all[i].version());
    let best = version
        .ok_or(NoUsableFile::Empty)
        .and_then(|version| best_file(files, version, tags, policy, &[]))
        // Back to its index: the map keeps indices into the project's list, not references.
        .and_then(|chosen| {
            release
                .files
                .iter()
                .copied()
                .find(|&i| std::ptr::eq(&all[i], chosen))
                .ok_or(NoUsableFile::Empty)
        })
        .map_err(Unusable::NoUsableFile);
    let requires_python = best
        .as_ref()
        .ok()
        .and_then(|&i| all[i].requires_python.as_deref())
        .map_or_else(Ranges::full, requires_python_range);
    Choice {
        best,
        requires_python,
    }
}

/// Which releases of one package the resolver may choose, and in which order. The one rule
/// behind both `choose_version` and the metadata prefetch, so that the prefetch starts on the
/// release the solver will ask for.
#[derive(Debug, Clone)]
pub(crate) struct Candidates {
    /// What the requirements seen so far allow.
    pub(crate) range: Ranges<Version>,
    /// The existing lockfile's pin, tried first so that compiling again changes nothing.
    pub(crate) preferred: Option<Version>,
    /// The user opted into pre-releases of this package (`--pre`, or a first-party specifier
    /// names one).
    pub(crate) prereleases: bool,
    /// Exact first-party pins (`==`): the only way to choose a yanked release (PEP 592).
    pub(crate) exact_pins: Vec<Version>,
    /// `--resolution lowest` (or `lowest-direct` for a direct requirement): the oldest
    /// acceptable release first.
    pub(crate) lowest_first: bool,
}

impl Candidates {
    /// `version` and nothing else (a lockfile pin the lookahead fetches).
    pub(crate) fn exactly(version: Version) -> Self {
        Self {
            range: Ranges::singleton(version.clone()),
            preferred: Some(version.clone()),
            prereleases: true,
            exact_pins: vec![version],
            lowest_first: false,
        }
    }

    /// Whether `version` may be chosen at all; `prereleases_ok` is
    /// [`Candidates::prereleases_ok`], asked once per pick.
    fn accepts(&self, versions: &VersionMap, version: &Version, prereleases_ok: bool) -> bool {
        let Some(release) = versions.releases.get(version) else {
            return false;
        };
        self.range.contains(version)
            && (prereleases_ok || !version.any_prerelease())
            && (!release.yanked || self.exact_pins.contains(version))
    }

    /// Opted in, or nothing else is published.
    pub(crate) fn prereleases_ok(&self, versions: &VersionMap) -> bool {
        self.prereleases || versions.only_prereleases()
    }

    /// The preferred pin when acceptable, else the newest acceptable release (the oldest with
    /// [`Candidates::lowest_first`]).
    pub(crate) fn pick(&self, versions: &VersionMap) -> Option<Version> {
        let prereleases_ok = self.prereleases_ok(versions);
        if let Some(preferred) = &self.preferred
            && self.accepts(versions, preferred, prereleases_ok)
        {
            return Some(preferred.clone());
        }
        let acceptable = |v: &&Version| self.accepts(versions, v, prereleases_ok);
        let mut keys = versions.releases.keys();
        if self.lowest_first {
            keys.find(acceptable).cloned()
        } else {
            keys.rev().find(acceptable).cloned()
        }
    }
}

/// Requires-Python as a range over Python versions, compared with the target's full version
/// (`3.9.0`, so the patch matters): lower bounds, `==`/`~=` (as the lower bounds they imply) and
/// exclusions (`!=3.9.0`, `!=3.0.*`) hold, as pip holds them. Upper bounds (`<3.11`, `<=3.8`) are
/// ignored, as uv ignores them and the conformance scenarios expect
/// (`requires_python/python-less-than-current`): they are a guess by the author that would
/// block every newer Python. Versions compare on their release segments.
pub(crate) fn requires_python_range(specifiers: &VersionSpecifiers) -> Ranges<Version> {
    specifiers.iter().fold(Ranges::full(), |range, specifier| {
        let version = Version::new(specifier.version().release().iter().copied());
        let clause = match specifier.operator() {
            Operator::GreaterThan => Ranges::strictly_higher_than(version),
            Operator::GreaterThanEqual
            | Operator::TildeEqual
            | Operator::Equal
            | Operator::EqualStar
            | Operator::ExactEqual => Ranges::higher_than(version),
            Operator::NotEqual | Operator::NotEqualStar => {
                match VersionSpecifier::from_version(*specifier.operator(), version) {
                    Ok(exclusion) => super::range::specifier_range(&exclusion),
                    Err(_) => Ranges::full(),
                }
            }
            Operator::LessThan | Operator::LessThanEqual => Ranges::full(),
        };
        range.intersection(&clause)
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn contains(specifiers: &str, python: &str) -> bool {
        let specifiers = VersionSpecifiers::from_str(specifiers).unwrap();
        requires_python_range(&specifiers).contains(&Version::from_str(python).unwrap())
    }

    /// Regression: cryptography 44+ declares `!=3.9.0,!=3.9.1,>=3.9`; the exclusions were
    /// ignored, so `--python-version 3.9` (3.9.0) pinned a release pip refuses there.
    #[test]
    fn exclusions_and_patch_versions_count() {
        assert!(!contains("!=3.9.0,!=3.9.1,>=3.9", "3.9.0"));
        assert!(!contains("!=3.9.0,!=3.9.1,>=3.9", "3.9.1"));
        assert!(contains("!=3.9.0,!=3.9.1,>=3.9", "3.9.2"));
        assert!(!contains(">=3.9.4", "3.9.0"));
        assert!(!contains(">=2.7, !=3.0.*, !=3.1.*", "3.1.4"));
        assert!(contains(">=2.7, !=3.0.*, !=3.1.*", "3.12.0"));
        // Upper bounds are ignored, as uv ignores them.
        assert!(contains(">=3.8,<3.11", "3.12.0"));
    }
}
