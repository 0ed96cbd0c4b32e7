//! Which file of each release the resolver can use on the target, and why not when none.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use pep440_rs::{Operator, Version, VersionSpecifiers};
use pubgrub::Ranges;

use crate::index::{DistFile, ProjectFiles};
use crate::metadata::DistFilename;
use crate::python::Tags;

/// Whether wheels or sdists may be used for one package (`--only-binary`, `--no-binary`,
/// `--no-build`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FormatPolicy {
    pub(crate) no_binary: bool,
    pub(crate) only_binary: bool,
}

/// Why a release cannot be used on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// Wheels exist but none matches the target's tags, and there is no sdist.
    NoCompatibleWheel,
    /// Only wheels exist and `--no-binary` asks for a source build.
    NoSdistForNoBinary,
    /// Only an sdist exists and `--only-binary`/`--no-build` forbid building it.
    NoWheelForOnlyBinary,
    /// The release publishes no files at all.
    NoFiles,
    /// Its sdist must be built for its metadata (PEP 643), and there is no interpreter to build
    /// with (`--python-version` alone).
    NeedsBuild,
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoCompatibleWheel => "it has no wheel for this platform and no source distribution",
            Self::NoSdistForNoBinary => "it has only wheels, and --no-binary asks for a source build",
            Self::NoWheelForOnlyBinary => {
                "it has only a source distribution, and building is disabled (--only-binary or --no-build)"
            }
            Self::NoFiles => "it has no files on the index",
            Self::NeedsBuild => {
                "its source distribution must be built for its metadata, and there is no interpreter to build with (--python-version without --python)"
            }
        })
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
    // PEP 592: when some files of a release are not yanked, use those.
    let live: Vec<usize> = release
        .files
        .iter()
        .copied()
        .filter(|&i| release.yanked || all[i].yanked.is_none())
        .collect();
    let best_wheel = live
        .iter()
        .filter_map(|&i| match all[i].dist()? {
            DistFilename::Wheel(w) => tags
                .compatibility(&w.python_tags, &w.abi_tags, &w.platform_tags)
                .map(|priority| (priority, i)),
            DistFilename::Sdist(_) => None,
        })
        .max_by_key(|(priority, _)| *priority)
        .map(|(_, i)| i);
    let is_sdist = |i: &usize| matches!(all[*i].dist(), Some(DistFilename::Sdist(_)));
    let sdist = live
        .iter()
        .copied()
        .find(
            |&i| matches!(all[i].dist(), Some(DistFilename::Sdist(s)) if s.extension == ".tar.gz"),
        )
        .or_else(|| live.iter().copied().find(is_sdist));
    let best = match (best_wheel, sdist) {
        _ if live.is_empty() => Err(Unusable::NoFiles),
        (Some(wheel), _) if !policy.no_binary => Ok(wheel),
        (_, Some(sdist)) if !policy.only_binary => Ok(sdist),
        (_, Some(_)) => Err(Unusable::NoWheelForOnlyBinary),
        (Some(_), None) => Err(Unusable::NoSdistForNoBinary),
        (None, None) if policy.no_binary => Err(Unusable::NoSdistForNoBinary),
        (None, None) => Err(Unusable::NoCompatibleWheel),
    };
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

/// Requires-Python as a range over Python versions. As uv does, only lower bounds count (an upper
/// bound such as `<3.11` is a guess by the author that would block every newer Python), and
/// versions compare on their release segments.
pub(crate) fn requires_python_range(specifiers: &VersionSpecifiers) -> Ranges<Version> {
    specifiers.iter().fold(Ranges::full(), |range, specifier| {
        let version = Version::new(specifier.version().release().iter().copied());
        let lower = match specifier.operator() {
            Operator::GreaterThan => Ranges::strictly_higher_than(version),
            Operator::GreaterThanEqual
            | Operator::TildeEqual
            | Operator::Equal
            | Operator::EqualStar
            | Operator::ExactEqual => Ranges::higher_than(version),
            _ => Ranges::full(),
        };
        range.intersection(&lower)
    })
}
