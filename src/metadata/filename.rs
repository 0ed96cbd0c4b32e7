//! Wheel (PEP 427 / 491) and sdist (PEP 625, and legacy) file names.

use std::fmt;
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::PackageName;

/// `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`, tags possibly `.`-compressed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct WheelFilename {
    pub(crate) name: PackageName,
    pub(crate) version: Version,
    pub(crate) build: Option<String>,
    pub(crate) python_tags: Vec<String>,
    pub(crate) abi_tags: Vec<String>,
    pub(crate) platform_tags: Vec<String>,
}

impl WheelFilename {
    pub(crate) fn parse(filename: &str) -> Option<Self> {
        let stem = filename.strip_suffix(".whl")?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, tags) = match parts.as_slice() {
            [name, version, python, abi, platform] => {
                (name, version, None, [python, abi, platform])
            }
            [name, version, build, python, abi, platform] => (
                name,
                version,
                Some(build.to_string()),
                [python, abi, platform],
            ),
            _ => return None,
        };
        let split = |s: &str| s.split('.').map(str::to_string).collect::<Vec<_>>();
        Some(Self {
            name: PackageName::from_str(name).ok()?,
            version: Version::from_str(version).ok()?,
            build,
            python_tags: split(tags[0]),
            abi_tags: split(tags[1]),
            platform_tags: split(tags[2]),
        })
    }
}

/// Whether `raw` (a name as a file name spells it) is `name` under PEP 503 normalization,
/// without allocating: lower case, and every run of `-`, `_` and `.` is one `-`.
pub(crate) fn same_name(raw: &str, name: &PackageName) -> bool {
    let mut normalized = raw.bytes().filter_map({
        let mut in_separator = false;
        move |b| {
            if matches!(b, b'-' | b'_' | b'.') {
                let first = !in_separator;
                in_separator = true;
                first.then_some(b'-')
            } else {
                in_separator = false;
                Some(b.to_ascii_lowercase())
            }
        }
    });
    let mut expected = name.as_ref().bytes();
    loop {
        match (normalized.next(), expected.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

impl WheelFilename {
    /// The version of a wheel of project `name`, checking the name and the shape of the file name
    /// but leaving the tags unparsed.
    pub(crate) fn version_of(filename: &str, name: &PackageName) -> Option<Version> {
        let stem = filename.strip_suffix(".whl")?;
        let mut parts = stem.split('-');
        let (raw_name, version) = (parts.next()?, parts.next()?);
        let rest = parts.count();
        if !(rest == 3 || rest == 4) || !same_name(raw_name, name) {
            return None;
        }
        Version::from_str(version).ok()
    }
}

/// A source distribution's name: `{name}-{version}.tar.gz` (PEP 625) or a legacy archive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SdistFilename {
    pub(crate) name: PackageName,
    pub(crate) version: Version,
    pub(crate) extension: &'static str,
}

const SDIST_EXTENSIONS: [&str; 5] = [".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz"];

impl SdistFilename {
    /// Names may contain `-`, so the split is found by the expected package name when there is
    /// one, else at the last `-` followed by a valid version.
    pub(crate) fn parse(filename: &str, expected: Option<&PackageName>) -> Option<Self> {
        let extension = SDIST_EXTENSIONS
            .into_iter()
            .find(|ext| filename.ends_with(ext))?;
        let stem = &filename[..filename.len() - extension.len()];
        let candidates = stem.match_indices('-').map(|(i, _)| i).collect::<Vec<_>>();
        for &at in candidates.iter().rev() {
            let (name, version) = (&stem[..at], &stem[at + 1..]);
            let Ok(name) = PackageName::from_str(name) else {
                continue;
            };
            if expected.is_some_and(|e| *e != name) {
                continue;
            }
            if let Ok(version) = Version::from_str(version) {
                return Some(Self {
                    name,
                    version,
                    extension,
                });
            }
        }
        None
    }
}

/// A file a package index lists.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum DistFilename {
    Wheel(WheelFilename),
    Sdist(SdistFilename),
}

impl DistFilename {
    pub(crate) fn parse(filename: &str, expected: Option<&PackageName>) -> Option<Self> {
        if filename.ends_with(".whl") {
            WheelFilename::parse(filename)
                .filter(|w| expected.is_none_or(|e| *e == w.name))
                .map(Self::Wheel)
        } else {
            SdistFilename::parse(filename, expected).map(Self::Sdist)
        }
    }

    pub(crate) fn name(&self) -> &PackageName {
        match self {
            Self::Wheel(w) => &w.name,
            Self::Sdist(s) => &s.name,
        }
    }

    pub(crate) fn version(&self) -> &Version {
        match self {
            Self::Wheel(w) => &w.version,
            Self::Sdist(s) => &s.version,
        }
    }
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name.as_ref().replace('-', "_");
        write!(f, "{name}-{}", self.version)?;
        if let Some(build) = &self.build {
            write!(f, "-{build}")?;
        }
        write!(
            f,
            "-{}-{}-{}.whl",
            self.python_tags.join("."),
            self.abi_tags.join("."),
            self.platform_tags.join(".")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_names() {
        let w = WheelFilename::parse(
            "numpy-2.1.0-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        )
        .unwrap();
        assert_eq!(w.name.as_ref(), "numpy");
        assert_eq!(w.build.as_deref(), Some("1"));
        assert_eq!(w.platform_tags.len(), 2);
        assert!(WheelFilename::parse("bad.whl").is_none());
        assert_eq!(
            WheelFilename::parse("Foo_Bar-1.0-py3-none-any.whl")
                .unwrap()
                .to_string(),
            "foo_bar-1.0-py3-none-any.whl"
        );
    }

    #[test]
    fn sdist_names_split_on_the_expected_name() {
        let name = PackageName::from_str("foo-bar").unwrap();
        let s = SdistFilename::parse("foo-bar-1.0.tar.gz", Some(&name)).unwrap();
        assert_eq!(s.version.to_string(), "1.0");
        let s = SdistFilename::parse("foo_bar-2.0rc1.zip", None).unwrap();
        assert_eq!(
            (s.name.as_ref(), s.version.to_string().as_str()),
            ("foo-bar", "2.0rc1")
        );
        assert!(
            SdistFilename::parse(
                "foo-bar-1.0.tar.gz",
                Some(&PackageName::from_str("baz").unwrap())
            )
            .is_none()
        );
    }
}
