//! Which file of a release to use on a target: the one rule the resolver (to read metadata and
//! check Requires-Python), the build environments and sync (to install) share.

use std::fmt;

use pep440_rs::Version;

use super::DistFile;
use crate::metadata::DistFilename;
use crate::python::Tags;

/// Whether wheels or sdists may be used for one package (`--only-binary`, `--no-binary`,
/// `--no-build`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FormatPolicy {
    pub(crate) no_binary: bool,
    pub(crate) only_binary: bool,
}

/// Why no file of a release can be used on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NoUsableFile {
    /// The release publishes no files at all.
    Empty,
    /// Wheels exist but none matches the target's tags, and there is no sdist.
    NoCompatibleWheel,
    /// Only wheels exist and `--no-binary` asks for a source build.
    NoSdistForNoBinary,
    /// Only an sdist exists and `--only-binary`/`--no-build` forbid building it.
    NoWheelForOnlyBinary,
}

impl fmt::Display for NoUsableFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "it has no files on the index",
            Self::NoCompatibleWheel => {
                "it has no wheel for this platform and no source distribution"
            }
            Self::NoSdistForNoBinary => {
                "it has only wheels, and --no-binary asks for a source build"
            }
            Self::NoWheelForOnlyBinary => {
                "it has only a source distribution, and building is disabled (--only-binary or --no-build)"
            }
        })
    }
}

/// The file of release `version` among `files` to install or read metadata from.
///
/// As pip does: the wheel whose tags rank highest for `tags` (the last of equals), else an
/// sdist (a `.tar.gz` first), within what `policy` allows; of a release some of whose files
/// are yanked, only the others count (PEP 592). Files whose sha256 is in `vouched` (a
/// lockfile's `--hash` digests, lower-case hex) win over the others of their kind, so that an
/// install picks a file hash-checking mode accepts; pass `&[]` for no such preference.
pub(crate) fn best_file<'a>(
    files: impl IntoIterator<Item = &'a DistFile>,
    version: &Version,
    tags: &Tags,
    policy: FormatPolicy,
    vouched: &[String],
) -> Result<&'a DistFile, NoUsableFile> {
    let release: Vec<&DistFile> = files
        .into_iter()
        .filter(|f| f.version() == version)
        .collect();
    let all_yanked = release.iter().all(|f| f.yanked.is_some());
    let live: Vec<&DistFile> = release
        .into_iter()
        .filter(|f| all_yanked || f.yanked.is_none())
        .collect();
    if live.is_empty() {
        return Err(NoUsableFile::Empty);
    }
    let is_vouched = |f: &DistFile| f.sha256.as_ref().is_some_and(|h| vouched.contains(h));

    let wheels: Vec<(u32, &DistFile)> = live
        .iter()
        .filter_map(|&f| match f.dist()? {
            DistFilename::Wheel(w) => tags
                .compatibility(&w.python_tags, &w.abi_tags, &w.platform_tags)
                .map(|priority| (priority, f)),
            DistFilename::Sdist(_) => None,
        })
        .collect();
    let best_wheel = wheels
        .iter()
        .filter(|(_, f)| is_vouched(f))
        .max_by_key(|(priority, _)| *priority)
        .or_else(|| wheels.iter().max_by_key(|(priority, _)| *priority))
        .map(|(_, f)| *f);

    let sdists: Vec<&DistFile> = live
        .iter()
        .copied()
        .filter(|f| matches!(f.dist(), Some(DistFilename::Sdist(_))))
        .collect();
    // pip prefers `.tar.gz`, the format PEP 625 standardises, over legacy `.zip` sdists.
    let sdist = sdists
        .iter()
        .find(|f| is_vouched(f))
        .or_else(|| {
            sdists.iter().find(
                |f| matches!(f.dist(), Some(DistFilename::Sdist(s)) if s.extension == ".tar.gz"),
            )
        })
        .or_else(|| sdists.first())
        .copied();

    match (best_wheel, sdist) {
        (Some(wheel), _) if !policy.no_binary => Ok(wheel),
        (_, Some(sdist)) if !policy.only_binary => Ok(sdist),
        (_, Some(_)) => Err(NoUsableFile::NoWheelForOnlyBinary),
        (Some(_), None) => Err(NoUsableFile::NoSdistForNoBinary),
        (None, None) if policy.no_binary => Err(NoUsableFile::NoSdistForNoBinary),
        (None, None) => Err(NoUsableFile::NoCompatibleWheel),
    }
}

/// The file to read a release's core metadata from: `best`, the file the target installs,
/// unless that is an sdist and the release has a wheel. Downloading a whole sdist (tens of
/// megabytes for numpy or scipy), let alone building it, is the slowest way to learn what any
/// of its wheels states in a few kilobytes. Wheels of one release share their core metadata (uv
/// relies on the same "metadata consistency"; markers, not files, tell platforms apart), so a
/// wheel whose tags do not fit the target (a `manylinux_2_28` wheel for a glibc 2.17 target, a
/// `cp312` wheel for Python 3.11) still answers. Not under `--no-binary`, which asks for the
/// sdist's own word. Preferred: a live wheel, one with PEP 658 metadata, a Python 3 one, then
/// the smallest.
pub(crate) fn metadata_file<'a>(
    files: impl Iterator<Item = &'a DistFile>,
    best: &'a DistFile,
    policy: FormatPolicy,
) -> &'a DistFile {
    if policy.no_binary || !matches!(best.dist(), Some(DistFilename::Sdist(_))) {
        return best;
    }
    files
        .filter_map(|file| match file.dist()? {
            DistFilename::Wheel(wheel) => Some((file, wheel)),
            DistFilename::Sdist(_) => None,
        })
        .min_by_key(|(file, wheel)| {
            let python3 = wheel
                .python_tags
                .iter()
                .any(|tag| tag.starts_with("py3") || tag.starts_with("cp3"));
            (
                file.yanked.is_some(),
                file.core_metadata.is_none(),
                !python3,
                file.size.unwrap_or(u64::MAX),
            )
        })
        .map_or(best, |(file, _)| file)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use pep508_rs::PackageName;

    use super::*;

    fn tags() -> Tags {
        crate::python::target_from_version("3.12", Some("linux"), None)
            .unwrap()
            .tags
    }

    fn file(filename: &str, sha256: &str) -> DistFile {
        let name = PackageName::from_str("a").unwrap();
        let url = url::Url::parse(&format!("https://example.invalid/{filename}")).unwrap();
        let mut file = DistFile::new(filename.to_string(), &name, url.into()).unwrap();
        file.sha256 = Some(sha256.to_string());
        file
    }

    fn pick(
        files: &[DistFile],
        policy: FormatPolicy,
        vouched: &[&str],
    ) -> Result<String, NoUsableFile> {
        let vouched: Vec<String> = vouched.iter().map(ToString::to_string).collect();
        let version = Version::from_str("1.0").unwrap();
        best_file(files, &version, &tags(), policy, &vouched).map(|f| f.filename.clone())
    }

    #[test]
    fn the_most_specific_wheel_wins_over_the_first() {
        let files = [
            file("a-1.0-py3-none-any.whl", "1"),
            file("a-1.0-cp312-cp312-manylinux2014_x86_64.whl", "2"),
            file("a-1.0-cp312-cp312-win_amd64.whl", "3"),
            file("a-1.0.zip", "4"),
            file("a-1.0.tar.gz", "5"),
            file("a-2.0-py3-none-any.whl", "6"),
        ];
        let default = FormatPolicy::default();
        assert_eq!(
            pick(&files, default, &[]).unwrap(),
            "a-1.0-cp312-cp312-manylinux2014_x86_64.whl"
        );
        // A lockfile that vouches only for the pure wheel gets the pure wheel.
        assert_eq!(
            pick(&files, default, &["1"]).unwrap(),
            "a-1.0-py3-none-any.whl"
        );
        let no_binary = FormatPolicy {
            no_binary: true,
            only_binary: false,
        };
        assert_eq!(pick(&files, no_binary, &[]).unwrap(), "a-1.0.tar.gz");
        assert_eq!(pick(&files, no_binary, &["4"]).unwrap(), "a-1.0.zip");
    }

    #[test]
    fn each_reason_for_no_file() {
        let only_binary = FormatPolicy {
            no_binary: false,
            only_binary: true,
        };
        let no_binary = FormatPolicy {
            no_binary: true,
            only_binary: false,
        };
        let sdist = [file("a-1.0.tar.gz", "1")];
        let windows = [file("a-1.0-cp312-cp312-win_amd64.whl", "1")];
        let pure = [file("a-1.0-py3-none-any.whl", "1")];
        assert_eq!(pick(&[], only_binary, &[]), Err(NoUsableFile::Empty));
        assert_eq!(
            pick(&sdist, only_binary, &[]),
            Err(NoUsableFile::NoWheelForOnlyBinary)
        );
        assert_eq!(
            pick(&windows, FormatPolicy::default(), &[]),
            Err(NoUsableFile::NoCompatibleWheel)
        );
        assert_eq!(
            pick(&pure, no_binary, &[]),
            Err(NoUsableFile::NoSdistForNoBinary)
        );
        assert_eq!(
            pick(&windows, no_binary, &[]),
            Err(NoUsableFile::NoSdistForNoBinary)
        );
    }

    #[test]
    fn yanked_files_count_only_when_all_are() {
        let mut yanked = file("a-1.0-cp312-cp312-manylinux2014_x86_64.whl", "1");
        yanked.yanked = Some(String::new());
        let files = [yanked, file("a-1.0-py3-none-any.whl", "2")];
        let default = FormatPolicy::default();
        assert_eq!(
            pick(&files, default, &[]).unwrap(),
            "a-1.0-py3-none-any.whl"
        );
        assert_eq!(
            pick(&files[..1], default, &[]).unwrap(),
            "a-1.0-cp312-cp312-manylinux2014_x86_64.whl"
        );
    }
}
