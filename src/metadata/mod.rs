//! Core metadata (METADATA, PKG-INFO) and distribution file names (wheels, sdists).

mod filename;
mod lenient;

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, PackageName, Requirement, VerbatimUrl};

pub(crate) use filename::{DistFilename, WheelFilename};
pub(crate) use lenient::specifiers as lenient_specifiers;

/// Why metadata or a file name could not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum MetadataError {
    /// The header block is not RFC 822.
    #[error("metadata is not in the email header format")]
    Headers(#[source] mailparse::MailParseError),
    /// A required field is absent.
    #[error("metadata has no `{0}` field")]
    MissingField(&'static str),
    /// A field's value does not parse.
    #[error("metadata field `{field}` has an invalid value `{value}`: {reason}")]
    InvalidField {
        field: &'static str,
        value: String,
        reason: String,
    },
}

/// The parts of core metadata (PEP 566/643) a resolver needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CoreMetadata {
    pub(crate) metadata_version: String,
    pub(crate) name: PackageName,
    pub(crate) version: Version,
    pub(crate) requires_dist: Vec<Requirement<VerbatimUrl>>,
    pub(crate) requires_python: Option<VersionSpecifiers>,
    pub(crate) provides_extras: Vec<ExtraName>,
    /// Fields a PEP 643 sdist declares as computed at build time.
    pub(crate) dynamic: Vec<String>,
}

impl CoreMetadata {
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, MetadataError> {
        let (headers, _) = mailparse::parse_headers(bytes).map_err(MetadataError::Headers)?;
        let all = |key: &str| -> Vec<String> {
            headers
                .iter()
                .filter(|h| h.get_key_ref().eq_ignore_ascii_case(key))
                .map(|h| h.get_value().trim().to_string())
                .collect()
        };
        let one = |key: &'static str| all(key).into_iter().next();
        let invalid =
            |field: &'static str, value: &str, reason: String| MetadataError::InvalidField {
                field,
                value: value.to_string(),
                reason,
            };
        let name = one("Name").ok_or(MetadataError::MissingField("Name"))?;
        let name =
            PackageName::from_str(&name).map_err(|e| invalid("Name", &name, e.to_string()))?;
        let version = one("Version").ok_or(MetadataError::MissingField("Version"))?;
        let version =
            Version::from_str(&version).map_err(|e| invalid("Version", &version, e.to_string()))?;
        let requires_dist = all("Requires-Dist")
            .iter()
            .map(|r| lenient::requirement(r).map_err(|e| invalid("Requires-Dist", r, e)))
            .collect::<Result<_, _>>()?;
        let requires_python = match one("Requires-Python").filter(|s| !s.is_empty()) {
            Some(s) => {
                Some(lenient::specifiers(&s).map_err(|e| invalid("Requires-Python", &s, e))?)
            }
            None => None,
        };
        // A malformed extra name is skipped, as pip does, rather than failing the release.
        let provides_extras = all("Provides-Extra")
            .iter()
            .filter_map(|e| ExtraName::from_str(e).ok())
            .collect();
        Ok(Self {
            metadata_version: one("Metadata-Version").unwrap_or_default(),
            name,
            version,
            requires_dist,
            requires_python,
            provides_extras,
            dynamic: all("Dynamic"),
        })
    }

    /// The metadata an sdist's `pyproject.toml` states (PEP 621), when it is authoritative:
    /// a `[project]` table with a name whose `dependencies`, `optional-dependencies` and
    /// `requires-python` are not listed in `dynamic`. A dynamic version is taken from the sdist's
    /// file name (`version`), which the index vouches for. None when a build must decide.
    pub(crate) fn from_pyproject(text: &str, version: &Version) -> Option<Self> {
        let doc: toml_edit::DocumentMut = text.parse().ok()?;
        let project = doc.get("project")?.as_table_like()?;
        let dynamic: Vec<String> = project
            .get("dynamic")
            .and_then(|d| d.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_ascii_lowercase))
                    .collect()
            })
            .unwrap_or_default();
        let decided_by_build = ["dependencies", "optional-dependencies", "requires-python"];
        if decided_by_build
            .iter()
            .any(|f| dynamic.iter().any(|d| d == f))
        {
            return None;
        }
        let name = PackageName::from_str(project.get("name")?.as_str()?).ok()?;
        let version = match project.get("version").and_then(|v| v.as_str()) {
            Some(text) => Version::from_str(text).ok()?,
            None => version.clone(),
        };
        let strings = |item: Option<&toml_edit::Item>| -> Option<Vec<String>> {
            match item {
                None => Some(Vec::new()),
                Some(item) => item
                    .as_array()?
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect(),
            }
        };
        let mut requires_dist = Vec::new();
        for text in strings(project.get("dependencies"))? {
            requires_dist.push(lenient::requirement(&text).ok()?);
        }
        let mut provides_extras = Vec::new();
        if let Some(extras) = project.get("optional-dependencies") {
            for (extra, requirements) in extras.as_table_like()?.iter() {
                let extra = ExtraName::from_str(extra).ok()?;
                for text in strings(Some(requirements))? {
                    // The marker PEP 621 says the extra's requirements get in core metadata.
                    let with_marker = match text.split_once(';') {
                        Some((head, marker)) => {
                            format!("{head} ; ({marker}) and extra == \"{extra}\"")
                        }
                        None => format!("{text} ; extra == \"{extra}\""),
                    };
                    requires_dist.push(lenient::requirement(&with_marker).ok()?);
                }
                provides_extras.push(extra);
            }
        }
        let requires_python = match project.get("requires-python") {
            Some(item) => Some(lenient::specifiers(item.as_str()?).ok()?),
            None => None,
        };
        Some(Self {
            metadata_version: "2.2".to_string(),
            name,
            version,
            requires_dist,
            requires_python,
            provides_extras,
            dynamic: Vec::new(),
        })
    }

    /// PEP 643: an sdist's PKG-INFO can be trusted when it is Metadata 2.2 or later and does not
    /// mark the dependency fields as dynamic.
    pub(crate) fn is_static(&self) -> bool {
        let version: Vec<u32> = self
            .metadata_version
            .split('.')
            .map(|p| p.parse().unwrap_or(0))
            .collect();
        let at_least_2_2 = version.as_slice() >= [2, 2].as_slice();
        let dynamic = |field: &str| self.dynamic.iter().any(|d| d.eq_ignore_ascii_case(field));
        at_least_2_2 && !dynamic("Requires-Dist") && !dynamic("Requires-Python")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wheel_metadata() {
        let text = "Metadata-Version: 2.1\nName: Requests\nVersion: 2.32.3\nRequires-Python: >=3.8\n\
Requires-Dist: charset-normalizer (<4,>=2)\nRequires-Dist: PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'\n\
Provides-Extra: socks\nProvides-Extra: use_chardet_on_py3\n\nLong description\nRequires-Dist: not-a-header\n";
        let metadata = CoreMetadata::parse(text.as_bytes()).unwrap();
        assert_eq!(metadata.name.as_ref(), "requests");
        assert_eq!(metadata.version.to_string(), "2.32.3");
        assert_eq!(metadata.requires_dist.len(), 2);
        assert_eq!(
            metadata.requires_dist[0].to_string(),
            "charset-normalizer>=2,<4"
        );
        assert_eq!(metadata.provides_extras.len(), 2);
        assert_eq!(metadata.requires_python.unwrap().to_string(), ">=3.8");
        assert!(!CoreMetadata::parse(text.as_bytes()).unwrap().is_static());
    }

    #[test]
    fn pkg_info_2_2_is_static_unless_dynamic() {
        let stat = "Metadata-Version: 2.2\nName: a\nVersion: 1.0\nRequires-Dist: b\n";
        assert!(CoreMetadata::parse(stat.as_bytes()).unwrap().is_static());
        let dynamic = format!("{stat}Dynamic: Requires-Dist\n");
        assert!(!CoreMetadata::parse(dynamic.as_bytes()).unwrap().is_static());
    }

    #[test]
    fn trailing_comma_in_requires_python_is_read_as_packaging_reads_it() {
        let text = "Metadata-Version: 2.1\nName: kombu\nVersion: 3.0.37\nRequires-Python: >=3.7,\n\
Requires-Dist: amqp (>=1.4.9,)\n";
        let metadata = CoreMetadata::parse(text.as_bytes()).unwrap();
        assert_eq!(metadata.requires_python.unwrap().to_string(), ">=3.7");
        assert_eq!(metadata.requires_dist[0].to_string(), "amqp>=1.4.9");
    }

    #[test]
    fn static_pyproject_metadata_unless_dynamic() {
        let text = "[project]\nname = \"Static_Only\"\ndynamic = [\"version\"]\n\
requires-python = \">=3.8\"\ndependencies = [\"six>=1\"]\n\
[project.optional-dependencies]\nfast = [\"ujson; os_name == 'posix'\"]\n";
        let version = Version::from_str("1.2").unwrap();
        let metadata = CoreMetadata::from_pyproject(text, &version).unwrap();
        assert_eq!(metadata.name.as_ref(), "static-only");
        assert_eq!(metadata.version, version);
        assert_eq!(metadata.requires_dist.len(), 2);
        assert_eq!(
            metadata.requires_dist[1].to_string(),
            "ujson ; os_name == 'posix' and extra == 'fast'"
        );
        let dynamic = text.replace("[\"version\"]", "[\"version\", \"dependencies\"]");
        assert!(CoreMetadata::from_pyproject(&dynamic, &version).is_none());
        assert!(CoreMetadata::from_pyproject("[tool.x]\n", &version).is_none());
    }

    #[test]
    fn missing_name_is_an_error() {
        let err = CoreMetadata::parse(b"Version: 1.0\n").unwrap_err();
        assert_eq!(err.to_string(), "metadata has no `Name` field");
    }
}
