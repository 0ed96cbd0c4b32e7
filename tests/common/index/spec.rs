//! Declarative package universes: the packse scenario format (TOML, JSON or YAML), the
//! `testdata/indexes/*.toml` specs in the same format, and a fluent builder for inline tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The Requires-Python that packse gives every release and root when a scenario names none.
pub const SCENARIO_REQUIRES_PYTHON: &str = ">=3.12";

/// Every package on an index: name -> its releases. The file format is a top-level
/// `[packages.NAME.versions."VER"]` table, exactly as in the scenario files.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct PackageUniverse {
    #[serde(default)]
    pub packages: BTreeMap<String, PackageSpec>,
    /// Prebuilt distribution files served as they are (e.g. the setuptools wheel of ensurepip).
    #[serde(skip)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct PackageSpec {
    #[serde(default)]
    pub versions: BTreeMap<String, ReleaseSpec>,
}

/// One release of a package. Unknown keys are ignored so that scenario files held out of the
/// development set still load.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct ReleaseSpec {
    /// PEP 508 requirements (Requires-Dist without an extra marker).
    pub requires: Vec<String>,
    /// extra name -> its requirements (Provides-Extra + `extra == "..."` markers).
    pub extras: BTreeMap<String, Vec<String>>,
    /// None means no Requires-Python at all (scenarios get `>=3.12`, see [`Scenario::universe`]).
    pub requires_python: Option<String>,
    pub sdist: bool,
    pub wheel: bool,
    /// One wheel per tag; a tag may be compressed (`py2.py3-none-any`).
    pub wheel_tags: Vec<String>,
    /// PEP 592: the release's files are yanked.
    pub yanked: bool,
    /// Served as the yank reason (`data-yanked="..."`, `"yanked": "..."`) when yanked.
    pub yanked_reason: Option<String>,
    /// `console_scripts` entry points: script name -> `module:function`.
    pub console_scripts: BTreeMap<String, String>,
    /// Other entry-point groups: group -> name -> object reference.
    pub entry_points: BTreeMap<String, BTreeMap<String, String>>,
    /// Extra files shipped in both the wheel and the sdist: path (e.g. `pkg/cli.py`) -> text.
    pub files: BTreeMap<String, String>,
    /// PKG-INFO at Metadata 2.1: a resolver must build the sdist for its metadata.
    pub dynamic_sdist: bool,
    /// With `dynamic_sdist`: pyproject.toml's `[project]` still states the dependencies
    /// (nothing in `dynamic`), so PEP 621 makes them authoritative and no build is needed.
    pub static_pyproject: bool,
    /// `[tool.pinion-test-backend] needs-build-env-on-path`: hooks fail unless the build env's
    /// scripts are first on PATH and VIRTUAL_ENV is set.
    pub needs_build_env_on_path: bool,
    /// The sdist's `[build-system]`.
    pub build_backend: BuildBackend,
    /// `[tool.pinion-test-backend] fail`: the build prints this and fails.
    pub build_failure: Option<String>,
    /// PEP 700 `upload-time` of every file of the release (RFC 3339), served on JSON pages
    /// only; None: no upload time at all.
    #[serde(alias = "upload-time")]
    pub upload_time: Option<String>,
}

/// Which backend an sdist's pyproject.toml names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BuildBackend {
    /// `setuptools.build_meta`, requiring `setuptools>=61`.
    #[default]
    Setuptools,
    /// `pinion_test_backend` (testdata/build/pinion_test_backend.py).
    Test,
}

impl Default for ReleaseSpec {
    fn default() -> Self {
        Self {
            requires: Vec::new(),
            extras: BTreeMap::new(),
            requires_python: None,
            sdist: true,
            wheel: true,
            wheel_tags: vec!["py3-none-any".to_string()],
            yanked: false,
            yanked_reason: None,
            console_scripts: BTreeMap::new(),
            entry_points: BTreeMap::new(),
            files: BTreeMap::new(),
            dynamic_sdist: false,
            static_pyproject: false,
            needs_build_env_on_path: false,
            build_backend: BuildBackend::Setuptools,
            build_failure: None,
            upload_time: None,
        }
    }
}

impl PackageUniverse {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a universe from a `.toml`, `.json` or `.yaml` file; panics with the path on error.
    pub fn load(path: &Path) -> Self {
        parse_file(path)
    }

    /// `testdata/indexes/<name>.toml`.
    pub fn testdata(name: &str) -> Self {
        Self::load(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("testdata/indexes")
                .join(format!("{name}.toml")),
        )
    }

    /// Adds (or replaces) one release.
    pub fn add(&mut self, package: Package) -> &mut Self {
        self.packages
            .entry(package.name)
            .or_default()
            .versions
            .insert(package.version, package.release);
        self
    }

    /// Owned form of [`Self::add`], for chaining: `PackageUniverse::new().with(..).with(..)`.
    pub fn with(mut self, package: Package) -> Self {
        self.add(package);
        self
    }

    /// Every package renamed `<prefix>-<name>`, including the names inside requirements.
    pub fn prefixed(&self, prefix: &str) -> Self {
        let rename = |reqs: &[String]| -> Vec<String> {
            reqs.iter().map(|r| prefix_requirement(prefix, r)).collect()
        };
        let packages = self.packages.iter().map(|(name, package)| {
            let versions = package.versions.iter().map(|(version, release)| {
                let mut release = release.clone();
                release.requires = rename(&release.requires);
                for reqs in release.extras.values_mut() {
                    *reqs = rename(reqs);
                }
                (version.clone(), release)
            });
            let package = PackageSpec {
                versions: versions.collect(),
            };
            (format!("{prefix}-{name}"), package)
        });
        Self {
            packages: packages.collect(),
            files: self.files.clone(),
        }
    }

    /// Serve a prebuilt wheel or sdist file as it is, under the name and version of its file
    /// name.
    pub fn with_file(mut self, path: &Path) -> Self {
        self.files.push(path.to_path_buf());
        self
    }
}

/// A release under construction, cargo-registry style:
/// `Package::new("a", "1.0.0").dep("b>=1").extra("socks", &["pysocks"])`.
#[derive(Debug, Clone)]
pub struct Package {
    name: String,
    version: String,
    release: ReleaseSpec,
}

impl Package {
    pub fn new(name: &str, version: &str) -> Self {
        Self {
            name: name.to_string(),
            version: version.to_string(),
            release: ReleaseSpec::default(),
        }
    }

    pub fn dep(mut self, requirement: &str) -> Self {
        self.release.requires.push(requirement.to_string());
        self
    }

    pub fn extra(mut self, extra: &str, requirements: &[&str]) -> Self {
        let reqs = self.release.extras.entry(extra.to_string()).or_default();
        reqs.extend(requirements.iter().map(ToString::to_string));
        self
    }

    pub fn requires_python(mut self, specifier: &str) -> Self {
        self.release.requires_python = Some(specifier.to_string());
        self
    }

    /// Publish wheels with these tags instead of `py3-none-any`.
    pub fn tags(mut self, tags: &[&str]) -> Self {
        self.release.wheel_tags = tags.iter().map(ToString::to_string).collect();
        self
    }

    pub fn no_sdist(mut self) -> Self {
        self.release.sdist = false;
        self
    }

    pub fn no_wheel(mut self) -> Self {
        self.release.wheel = false;
        self
    }

    /// Every file of the release was uploaded at `time` (RFC 3339), as JSON pages say (PEP 700).
    pub fn uploaded(mut self, time: &str) -> Self {
        self.release.upload_time = Some(time.to_string());
        self
    }

    pub fn yanked(mut self) -> Self {
        self.release.yanked = true;
        self
    }

    pub fn yanked_reason(mut self, reason: &str) -> Self {
        self.release.yanked = true;
        self.release.yanked_reason = Some(reason.to_string());
        self
    }

    pub fn console_script(mut self, name: &str, target: &str) -> Self {
        let scripts = &mut self.release.console_scripts;
        scripts.insert(name.to_string(), target.to_string());
        self
    }

    /// The sdist's PKG-INFO is Metadata 2.1, so its dependencies are not static (PEP 643) and a
    /// resolver must build it.
    pub fn dynamic_sdist(mut self) -> Self {
        self.release.dynamic_sdist = true;
        self
    }

    /// With [`Self::dynamic_sdist`]: pyproject.toml's `[project]` states the dependencies
    /// statically (PEP 621), so no build is needed for the metadata.
    pub fn static_pyproject(mut self) -> Self {
        self.release.static_pyproject = true;
        self
    }

    /// The sdist's backend fails unless the build env's scripts are first on PATH and
    /// VIRTUAL_ENV is set (implies [`Self::test_backend`]).
    pub fn needs_build_env_on_path(mut self) -> Self {
        self.release.build_backend = BuildBackend::Test;
        self.release.needs_build_env_on_path = true;
        self
    }

    /// The sdist builds with `pinion-test-backend` (testdata/build) instead of setuptools.
    pub fn test_backend(mut self) -> Self {
        self.release.build_backend = BuildBackend::Test;
        self
    }

    /// The sdist's build fails, printing `message` (implies [`Self::test_backend`]).
    pub fn failing_build(mut self, message: &str) -> Self {
        self.release.build_backend = BuildBackend::Test;
        self.release.build_failure = Some(message.to_string());
        self
    }

    /// An extra file in the wheel and the sdist, e.g. `("a/cli.py", "def main(): ...")`.
    pub fn file(mut self, path: &str, contents: &str) -> Self {
        let files = &mut self.release.files;
        files.insert(path.to_string(), contents.to_string());
        self
    }
}

/// A resolver conformance case (packse format, see `../shared/scenarios/README.md`).
#[derive(Debug, Clone, Deserialize)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub root: RootSpec,
    /// Package names here are unprefixed; [`Scenario::universe`] prefixes them.
    #[serde(default)]
    pub packages: BTreeMap<String, PackageSpec>,
    #[serde(default)]
    pub environment: EnvironmentSpec,
    #[serde(default)]
    pub resolver_options: ResolverOptions,
    pub expected: Expected,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RootSpec {
    /// The lines of `requirements.in`, unprefixed.
    pub requires: Vec<String>,
    pub requires_python: String,
}

impl Default for RootSpec {
    fn default() -> Self {
        Self {
            requires: Vec::new(),
            requires_python: SCENARIO_REQUIRES_PYTHON.to_string(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct EnvironmentSpec {
    pub python: String,
    pub additional_python: Vec<String>,
}

impl Default for EnvironmentSpec {
    fn default() -> Self {
        Self {
            python: "3.12".to_string(),
            additional_python: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResolverOptions {
    pub python: Option<String>,
    pub prereleases: bool,
    /// Unprefixed package names.
    pub no_binary: Vec<String>,
    /// Unprefixed package names.
    pub no_build: Vec<String>,
    pub universal: bool,
    pub python_platform: Option<String>,
    pub required_environments: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Expected {
    pub satisfiable: bool,
    /// Unprefixed package name -> pinned version.
    pub packages: BTreeMap<String, String>,
    pub explanation: Option<String>,
}

impl Scenario {
    /// The scenarios in one file (a YAML file holds a list).
    pub fn load(path: &Path) -> Vec<Scenario> {
        match extension(path) {
            "yaml" | "yml" => parse_file(path),
            _ => vec![parse_file(path)],
        }
    }

    /// Every scenario under `dir`, recursively, in path order; other files are skipped.
    pub fn load_all(dir: &Path) -> Vec<(PathBuf, Scenario)> {
        let mut files = Vec::new();
        collect_files(dir, &mut files);
        files.sort();
        files
            .into_iter()
            .filter(|p| matches!(extension(p), "toml" | "json" | "yaml" | "yml"))
            .flat_map(|p| Self::load(&p).into_iter().map(move |s| (p.clone(), s)))
            .collect()
    }

    /// The name a package has on the index: `<scenario>-<package>`.
    pub fn prefixed(&self, package: &str) -> String {
        format!("{}-{package}", self.name)
    }

    /// The universe as served: names prefixed, Requires-Python defaulted to `>=3.12`.
    pub fn universe(&self) -> PackageUniverse {
        let mut universe = PackageUniverse {
            packages: self.packages.clone(),
            files: Vec::new(),
        }
        .prefixed(&self.name);
        for release in universe
            .packages
            .values_mut()
            .flat_map(|p| p.versions.values_mut())
        {
            let requires_python = &mut release.requires_python;
            requires_python.get_or_insert_with(|| SCENARIO_REQUIRES_PYTHON.to_string());
        }
        universe
    }

    /// `root.requires` with prefixed names: the lines of `requirements.in`.
    pub fn root_requirements(&self) -> Vec<String> {
        let reqs = self.root.requires.iter();
        reqs.map(|r| prefix_requirement(&self.name, r)).collect()
    }

    /// `expected.packages` with prefixed names.
    pub fn expected_packages(&self) -> BTreeMap<String, String> {
        let pins = self.expected.packages.iter();
        pins.map(|(name, version)| (self.prefixed(name), version.clone()))
            .collect()
    }
}

/// Renames the project at the start of a PEP 508 requirement to `<prefix>-<name>`, leaving
/// extras, specifiers, URL and markers untouched: `b[x]>1 ; os_name == 'nt'` ->
/// `s-b[x]>1 ; os_name == 'nt'`.
pub fn prefix_requirement(prefix: &str, requirement: &str) -> String {
    let rest = requirement.trim_start();
    let indent = &requirement[..requirement.len() - rest.len()];
    let name_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(rest.len());
    let (name, tail) = rest.split_at(name_len);
    assert!(
        !name.is_empty(),
        "requirement without a name: {requirement:?}"
    );
    format!("{indent}{prefix}-{name}{tail}")
}

/// PEP 503 normalized project name: lowercase, runs of `-`, `_`, `.` become one `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn extension(path: &Path) -> &str {
    path.extension().and_then(|e| e.to_str()).unwrap_or("")
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Test fixtures are trusted input: a malformed file is a bug in the test, so panic loudly.
fn parse_file<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let parsed = match extension(path) {
        "toml" => toml::from_str(&text).map_err(|e| e.to_string()),
        "json" => serde_json::from_str(&text).map_err(|e| e.to_string()),
        "yaml" | "yml" => serde_yaml::from_str(&text).map_err(|e| e.to_string()),
        other => Err(format!("unknown spec format `{other}`")),
    };
    parsed.unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
