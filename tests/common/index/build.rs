//! Wheels and sdists built in memory from a [`ReleaseSpec`]. Bytes are deterministic (fixed
//! timestamps, sorted entries, fixed permissions) so hashes in lockfile snapshots never move.

use std::collections::BTreeMap;
use std::io::{Cursor, Write};
use std::path::Path;
use std::str::FromStr;

use base64::Engine;
use pep440_rs::Version;
use sha2::{Digest, Sha256};

use super::spec::{BuildBackend, PackageUniverse, ReleaseSpec, normalize_name};

/// Every file of a universe, grouped by project: what the index serves.
#[derive(Debug, Clone, Default)]
pub struct BuiltIndex {
    /// PEP 503 normalized name -> project.
    pub projects: BTreeMap<String, BuiltProject>,
}

#[derive(Debug, Clone)]
pub struct BuiltProject {
    /// The name as the spec spells it (also the METADATA `Name`).
    pub name: String,
    /// Normalized versions, ascending.
    pub versions: Vec<String>,
    /// Ascending by version; per release the sdist first, then wheels in tag order.
    pub files: Vec<DistFile>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistKind {
    Wheel,
    Sdist,
}

/// One distribution file with what an index says about it.
#[derive(Debug, Clone)]
pub struct DistFile {
    pub filename: String,
    pub kind: DistKind,
    /// Normalized version.
    pub version: String,
    pub bytes: Vec<u8>,
    /// Lowercase hex.
    pub sha256: String,
    pub requires_python: Option<String>,
    pub yanked: bool,
    pub yanked_reason: Option<String>,
    /// PEP 700 `upload-time` (RFC 3339), served on JSON pages only.
    pub upload_time: Option<String>,
    /// The wheel's `.dist-info/METADATA` (served as PEP 658 metadata); None for sdists.
    pub metadata: Option<Vec<u8>>,
}

impl DistFile {
    pub fn metadata_sha256(&self) -> Option<String> {
        self.metadata.as_deref().map(sha256_hex)
    }
}

impl BuiltIndex {
    /// Builds every artifact; panics on an invalid version (a bug in the test's spec).
    pub fn build(universe: &PackageUniverse) -> Self {
        let mut projects = BTreeMap::new();
        for (name, package) in &universe.packages {
            let mut releases: Vec<(Version, &ReleaseSpec)> = package
                .versions
                .iter()
                .map(|(v, release)| {
                    let version = Version::from_str(v)
                        .unwrap_or_else(|e| panic!("{name} {v}: invalid version: {e}"));
                    (version, release)
                })
                .collect();
            releases.sort_by(|a, b| a.0.cmp(&b.0));
            let files = releases
                .iter()
                .flat_map(|(version, release)| dist_files(name, &version.to_string(), release))
                .collect();
            let project = BuiltProject {
                name: name.clone(),
                versions: releases.iter().map(|(v, _)| v.to_string()).collect(),
                files,
            };
            projects.insert(normalize_name(name), project);
        }
        for path in &universe.files {
            let file = prebuilt_file(path);
            let filename = file.filename.clone();
            let name = filename.split('-').next().unwrap().to_string();
            let project = projects
                .entry(normalize_name(&name))
                .or_insert_with(|| BuiltProject {
                    name: name.clone(),
                    versions: Vec::new(),
                    files: Vec::new(),
                });
            if !project.versions.contains(&file.version) {
                project.versions.push(file.version.clone());
            }
            project.files.push(file);
        }
        Self { projects }
    }

    /// Looks a project up by any spelling of its name.
    pub fn project(&self, name: &str) -> Option<&BuiltProject> {
        self.projects.get(&normalize_name(name))
    }

    pub fn files(&self) -> impl Iterator<Item = &DistFile> {
        self.projects.values().flat_map(|p| &p.files)
    }

    pub fn file(&self, filename: &str) -> Option<&DistFile> {
        self.files().find(|f| f.filename == filename)
    }

    /// Writes every wheel and sdist into `dir` (a `--find-links` directory).
    pub fn write_to_dir(&self, dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        for file in self.files() {
            std::fs::write(dir.join(&file.filename), &file.bytes).unwrap();
        }
    }
}

/// A distribution file from disk, served as it is.
fn prebuilt_file(path: &Path) -> DistFile {
    let filename = path.file_name().unwrap().to_str().unwrap().to_string();
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (kind, version) = if let Some(stem) = filename.strip_suffix(".whl") {
        (DistKind::Wheel, stem.split('-').nth(1).unwrap().to_string())
    } else {
        let stem = filename.strip_suffix(".tar.gz").unwrap();
        (
            DistKind::Sdist,
            stem.rsplit('-').next().unwrap().to_string(),
        )
    };
    let metadata = (kind == DistKind::Wheel).then(|| {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
        let name = (0..zip.len())
            .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
            .find(|n| n.ends_with(".dist-info/METADATA") && n.matches('/').count() == 1)
            .unwrap();
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name(&name).unwrap(), &mut out).unwrap();
        out
    });
    DistFile {
        filename,
        kind,
        version,
        sha256: sha256_hex(&bytes),
        bytes,
        requires_python: None,
        yanked: false,
        yanked_reason: None,
        upload_time: None,
        metadata,
    }
}

/// The sdist and wheels of one release, as the spec asks.
fn dist_files(name: &str, version: &str, release: &ReleaseSpec) -> Vec<DistFile> {
    let file = |filename: String, kind, bytes: Vec<u8>, metadata| DistFile {
        filename,
        kind,
        version: version.to_string(),
        sha256: sha256_hex(&bytes),
        bytes,
        requires_python: release.requires_python.clone(),
        yanked: release.yanked,
        yanked_reason: release.yanked_reason.clone(),
        upload_time: release.upload_time.clone(),
        metadata,
    };
    let mut files = Vec::new();
    if release.sdist {
        let bytes = build_sdist(name, version, release);
        files.push(file(
            sdist_filename(name, version),
            DistKind::Sdist,
            bytes,
            None,
        ));
    }
    if release.wheel {
        let metadata = core_metadata(name, version, release, "2.1").into_bytes();
        for tag in wheel_tags(release) {
            let bytes = build_wheel(name, version, release, tag);
            let filename = wheel_filename(name, version, tag);
            files.push(file(
                filename,
                DistKind::Wheel,
                bytes,
                Some(metadata.clone()),
            ));
        }
    }
    files
}

fn wheel_tags(release: &ReleaseSpec) -> Vec<&str> {
    // packse publishes a pure-Python wheel when a scenario lists no tags.
    if release.wheel_tags.is_empty() {
        vec!["py3-none-any"]
    } else {
        release.wheel_tags.iter().map(String::as_str).collect()
    }
}

/// The distribution name as file names spell it: normalized, with `_` for `-` (binary
/// distribution format spec; PEP 625 for sdists).
pub fn dist_name(name: &str) -> String {
    normalize_name(name).replace('-', "_")
}

/// The top-level import package the fixture ships: `charset-normalizer` -> `charset_normalizer`.
pub fn module_name(name: &str) -> String {
    dist_name(name)
}

pub fn wheel_filename(name: &str, version: &str, tag: &str) -> String {
    format!("{}-{version}-{tag}.whl", dist_name(name))
}

pub fn sdist_filename(name: &str, version: &str) -> String {
    format!("{}-{version}.tar.gz", dist_name(name))
}

/// Core metadata (`METADATA` in a wheel, `PKG-INFO` in an sdist).
pub fn core_metadata(
    name: &str,
    version: &str,
    release: &ReleaseSpec,
    metadata_version: &str,
) -> String {
    let mut out =
        format!("Metadata-Version: {metadata_version}\nName: {name}\nVersion: {version}\n");
    if let Some(requires_python) = &release.requires_python {
        out += &format!("Requires-Python: {requires_python}\n");
    }
    for req in &release.requires {
        out += &format!("Requires-Dist: {req}\n");
    }
    for (extra, reqs) in &release.extras {
        out += &format!("Provides-Extra: {extra}\n");
        for req in reqs {
            out += &format!("Requires-Dist: {}\n", with_extra_marker(req, extra));
        }
    }
    out
}

/// `b>1 ; os_name == 'nt'` in extra `x` -> `b>1; (os_name == 'nt') and extra == "x"`: the
/// parentheses keep an `or` in the original marker from escaping the extra condition.
fn with_extra_marker(requirement: &str, extra: &str) -> String {
    match requirement.split_once(';') {
        Some((req, marker)) => {
            format!(
                "{}; ({}) and extra == \"{extra}\"",
                req.trim_end(),
                marker.trim()
            )
        }
        None => format!("{}; extra == \"{extra}\"", requirement.trim_end()),
    }
}

/// Expands a compressed tag set: `py2.py3-none-any` -> `py2-none-any`, `py3-none-any`.
fn expand_tag(tag: &str) -> Vec<String> {
    let parts: Vec<&str> = tag.splitn(3, '-').collect();
    let [python, abi, platform] = parts[..] else {
        panic!("invalid wheel tag {tag:?}");
    };
    let mut tags = Vec::new();
    for p in python.split('.') {
        for a in abi.split('.') {
            for pl in platform.split('.') {
                tags.push(format!("{p}-{a}-{pl}"));
            }
        }
    }
    tags
}

fn entry_points_txt(release: &ReleaseSpec) -> Option<String> {
    let mut groups = release.entry_points.clone();
    if !release.console_scripts.is_empty() {
        let scripts = groups.entry("console_scripts".to_string()).or_default();
        scripts.extend(release.console_scripts.clone());
    }
    if groups.is_empty() {
        return None;
    }
    let mut out = String::new();
    for (group, entries) in &groups {
        out += &format!("[{group}]\n");
        for (name, target) in entries {
            out += &format!("{name} = {target}\n");
        }
        out += "\n";
    }
    Some(out)
}

/// The importable files, shared by wheel and sdist: `<module>/__init__.py` plus the spec's files.
fn module_files(name: &str, version: &str, release: &ReleaseSpec) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let init = format!("__version__ = \"{version}\"\n");
    files.insert(
        format!("{}/__init__.py", module_name(name)),
        init.into_bytes(),
    );
    for (path, contents) in &release.files {
        files.insert(path.clone(), contents.clone().into_bytes());
    }
    files
}

/// A wheel with one tag: the module, METADATA, WHEEL, entry_points.txt and a RECORD that
/// hashes every other entry (as pip verifies on install).
pub fn build_wheel(name: &str, version: &str, release: &ReleaseSpec, tag: &str) -> Vec<u8> {
    let dist_info = format!("{}-{version}.dist-info", dist_name(name));
    let mut files = module_files(name, version, release);
    let metadata = core_metadata(name, version, release, "2.1");
    files.insert(format!("{dist_info}/METADATA"), metadata.into_bytes());
    let mut wheel =
        "Wheel-Version: 1.0\nGenerator: pinion-tests\nRoot-Is-Purelib: true\n".to_string();
    for tag in expand_tag(tag) {
        wheel += &format!("Tag: {tag}\n");
    }
    files.insert(format!("{dist_info}/WHEEL"), wheel.into_bytes());
    if let Some(entry_points) = entry_points_txt(release) {
        files.insert(
            format!("{dist_info}/entry_points.txt"),
            entry_points.into_bytes(),
        );
    }

    let mut record = String::new();
    for (path, bytes) in &files {
        let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(bytes));
        record += &format!("{path},sha256={digest},{}\n", bytes.len());
    }
    let record_path = format!("{dist_info}/RECORD");
    record += &format!("{record_path},,\n");

    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    // RECORD goes last, as wheel builders write it.
    let entries = files.iter().map(|(p, b)| (p.as_str(), b.as_slice()));
    for (path, bytes) in entries.chain([(record_path.as_str(), record.as_bytes())]) {
        zip.start_file(path, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// An sdist with static PKG-INFO (Metadata-Version 2.2, no `Dynamic`), a setuptools
/// pyproject.toml carrying the same metadata, a minimal setup.py and the module.
pub fn build_sdist(name: &str, version: &str, release: &ReleaseSpec) -> Vec<u8> {
    let base = format!("{}-{version}", dist_name(name));
    let mut files = module_files(name, version, release);
    let metadata_version = if release.dynamic_sdist { "2.1" } else { "2.2" };
    let pkg_info = core_metadata(name, version, release, metadata_version);
    files.insert("PKG-INFO".to_string(), pkg_info.into_bytes());
    files.insert(
        "pyproject.toml".to_string(),
        pyproject_toml(name, version, release).into_bytes(),
    );
    let setuptools_dynamic = release.dynamic_sdist
        && !release.static_pyproject
        && release.build_backend == BuildBackend::Setuptools;
    let setup_py = if setuptools_dynamic {
        // `dynamic = ["dependencies", ...]`: setup.py supplies them, as legacy projects do.
        let extras: BTreeMap<&String, &Vec<String>> = release.extras.iter().collect();
        format!(
            "from setuptools import setup\n\nsetup(install_requires={}, extras_require={})\n",
            serde_json::to_string(&release.requires).unwrap(),
            serde_json::to_string(&extras).unwrap()
        )
    } else {
        "from setuptools import setup\n\nsetup()\n".to_string()
    };
    files.insert("setup.py".to_string(), setup_py.as_bytes().to_vec());

    let mut tar = tar::Builder::new(Vec::new());
    for (path, bytes) in &files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, format!("{base}/{path}"), bytes.as_slice())
            .unwrap();
    }
    let tar = tar.into_inner().unwrap();
    // mtime 0 and no file name in the gzip header: the same input gives the same bytes.
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

fn pyproject_toml(name: &str, version: &str, release: &ReleaseSpec) -> String {
    let strings = |items: &[String]| toml::Value::from(items.to_vec());
    let map = |m: &BTreeMap<String, String>| -> toml::Table {
        m.iter()
            .map(|(k, v)| (k.clone(), v.as_str().into()))
            .collect()
    };
    let mut project = toml::Table::new();
    project.insert("name".into(), name.into());
    project.insert("version".into(), version.into());
    if let Some(requires_python) = &release.requires_python {
        project.insert("requires-python".into(), requires_python.as_str().into());
    }
    let dynamic = release.dynamic_sdist && !release.static_pyproject;
    // setuptools refuses a field both stated and dynamic; the test backend reads it regardless.
    if !(dynamic && release.build_backend == BuildBackend::Setuptools) {
        project.insert("dependencies".into(), strings(&release.requires));
    }
    if dynamic {
        // What a PKG-INFO 2.1 sdist usually means: the backend computes the dependencies.
        project.insert(
            "dynamic".into(),
            vec!["dependencies", "optional-dependencies"].into(),
        );
    }
    let extras: toml::Table = release
        .extras
        .iter()
        .map(|(e, reqs)| (e.clone(), strings(reqs)))
        .collect();
    let entry_points: toml::Table = release
        .entry_points
        .iter()
        .map(|(g, m)| (g.clone(), map(m).into()))
        .collect();
    let tables = [
        ("optional-dependencies", extras),
        ("scripts", map(&release.console_scripts)),
        ("entry-points", entry_points),
    ];
    for (key, table) in tables.into_iter().filter(|(_, t)| !t.is_empty()) {
        if key == "optional-dependencies"
            && dynamic
            && release.build_backend == BuildBackend::Setuptools
        {
            continue;
        }
        project.insert(key.into(), table.into());
    }

    let mut build_system = toml::Table::new();
    let mut tool = toml::Table::new();
    match release.build_backend {
        BuildBackend::Setuptools => {
            build_system.insert("requires".into(), vec!["setuptools>=61"].into());
            build_system.insert("build-backend".into(), "setuptools.build_meta".into());
            let mut setuptools = toml::Table::new();
            setuptools.insert("packages".into(), vec![module_name(name)].into());
            tool.insert("setuptools".into(), setuptools.into());
        }
        BuildBackend::Test => {
            build_system.insert("requires".into(), vec!["pinion-test-backend"].into());
            build_system.insert("build-backend".into(), "pinion_test_backend".into());
            let mut backend = toml::Table::new();
            if let Some(message) = &release.build_failure {
                backend.insert("fail".into(), message.as_str().into());
            }
            if release.needs_build_env_on_path {
                backend.insert("needs-build-env-on-path".into(), true.into());
            }
            if !backend.is_empty() {
                tool.insert("pinion-test-backend".into(), backend.into());
            }
        }
    }

    let mut doc = toml::Table::new();
    doc.insert("build-system".into(), build_system.into());
    doc.insert("project".into(), project.into());
    doc.insert("tool".into(), tool.into());
    toml::to_string(&doc).unwrap()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
