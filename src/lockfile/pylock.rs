//! PEP 751's standard lockfile, `pylock.toml`: written by compile (`-o pylock.toml`,
//! `-o pylock.NAME.toml` or `--format pylock.toml`) and read by sync, check and compile's
//! preferences as the same pins a requirements.txt gives.
//!
//! What compile records to run again (the command and the Python version) is the same leading
//! comment block a requirements.txt starts with: TOML comments, ignored by every other reader,
//! and read back by [`super::header_command`] and [`super::header_python`].

use std::path::{Path, PathBuf};

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value, value};

use super::LockfileOptions;
use crate::requirements::{
    FileHash, HashAlgorithm, IndexOptions, LineIndex, Origin, RequirementEntry, RequirementSpec,
    RequirementsTxt,
};
use crate::resolver::{Resolution, ResolvedPackage};

/// The lock-version pinion writes; it reads every 1.x.
const LOCK_VERSION: &str = "1.0";

/// Why a pylock.toml cannot be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum PylockError {
    #[error("cannot read `{}`", path.display())]
    #[diagnostic(code(pinion::pylock::read))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not valid TOML: {message}", path.display())]
    #[diagnostic(code(pinion::pylock::toml))]
    Toml { path: PathBuf, message: String },
    #[error("`{}` has lock-version `{version}`; pinion reads lock-version 1.x", path.display())]
    #[diagnostic(
        code(pinion::pylock::version),
        help("PEP 751 says an installer must refuse a major version it does not know")
    )]
    Version { path: PathBuf, version: String },
    #[error("`{origin}`: {message}")]
    #[diagnostic(code(pinion::pylock::package))]
    Package { origin: Origin, message: String },
}

/// Whether `path` names a PEP 751 lockfile: `pylock.toml` or `pylock.NAME.toml` (the PEP's
/// `^pylock\.([^.]+)\.toml$`).
pub(crate) fn is_pylock_path(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name == "pylock.toml"
        || name
            .strip_prefix("pylock.")
            .and_then(|rest| rest.strip_suffix(".toml"))
            .is_some_and(|middle| !middle.is_empty() && !middle.contains('.'))
}

/// Whether sync, check and compile's preferences read `path` as a pylock.toml: a PEP 751 name,
/// or any `.toml` file (a requirements file never is one).
pub(crate) fn reads_as_pylock(path: &Path) -> bool {
    is_pylock_path(path) || path.extension().is_some_and(|e| e == "toml")
}

/// Render the pylock.toml text: the header comment, the top-level keys, one `[[packages]]`
/// per pin (sorted by name) with every file of its release. Deterministic byte for byte.
pub(crate) fn render(resolution: &Resolution, options: &LockfileOptions) -> String {
    let mut doc = DocumentMut::new();
    doc["lock-version"] = value(LOCK_VERSION);
    // A universal lockfile serves every Python from its lowest one up.
    doc["requires-python"] = match &resolution.python_floor {
        Some(floor) => value(format!(">={floor}")),
        None => value(format!("=={}.*", options.header.python)),
    };
    doc["extras"] = value(Array::new());
    doc["dependency-groups"] = value(Array::new());
    doc["default-groups"] = value(Array::new());
    doc["created-by"] = value("pinion");
    let mut packages = ArrayOfTables::new();
    let mut pins: Vec<&ResolvedPackage> = resolution
        .packages
        .iter()
        .filter(|p| !options.format.no_emit_packages.contains(&p.name))
        .collect();
    pins.sort_by(|a, b| a.name.cmp(&b.name));
    for pin in pins {
        let mut table = package(pin, options);
        // PEP 751's `marker`: where a universal lockfile's pin is needed (or a single
        // target's, with `--no-strip-markers`).
        if let Some(marker) = resolution.marker_of(pin) {
            table.insert("marker", value(marker));
        }
        packages.push(table);
    }
    if !packages.is_empty() {
        doc["packages"] = Item::ArrayOfTables(packages);
    }
    let mut out = String::new();
    if options.format.header {
        out.push_str(&super::header_text(&options.header));
    }
    out.push_str(&doc.to_string());
    options.format.newline.apply(&out)
}

fn package(pin: &ResolvedPackage, options: &LockfileOptions) -> Table {
    let mut table = Table::new();
    table["name"] = value(pin.name.to_string());
    if let Some(url) = &pin.url {
        // A direct reference, never with its password: the file is committed.
        direct_source(&mut table, pin, &crate::index::auth::without_password(url));
        return table;
    }
    table["version"] = value(pin.version.to_string());
    let index = pin
        .files
        .iter()
        .filter(|file| options.simple_indexes.get(file.source) == Some(&true))
        .find_map(|file| options.index_names.get(file.source));
    if let Some(index) = index {
        table["index"] = value(index.as_str());
    }
    let mut files: Vec<_> = pin.files.iter().collect();
    files.sort_by(|a, b| a.filename.cmp(&b.filename));
    files.dedup_by(|a, b| a.filename == b.filename);
    // PEP 751 has one sdist per package: the `.tar.gz` (the standard's form) when there are
    // several.
    let sdist = files
        .iter()
        .filter(|f| !f.filename.ends_with(".whl"))
        .min_by_key(|f| (!f.filename.ends_with(".tar.gz"), f.filename.clone()));
    if let Some(sdist) = sdist {
        table["sdist"] = value(file_table(sdist));
    }
    let mut wheels = Array::new();
    for wheel in files.iter().filter(|f| f.filename.ends_with(".whl")) {
        let mut entry = Value::InlineTable(file_table(wheel));
        entry.decor_mut().set_prefix("\n    ");
        wheels.push_formatted(entry);
    }
    if !wheels.is_empty() {
        wheels.set_trailing("\n");
        wheels.set_trailing_comma(true);
        table["wheels"] = value(wheels);
    }
    table
}

/// PEP 751's source of a direct reference: `vcs` for a git URL (the commit it resolved to as
/// the required `commit-id`, the branch or tag asked for as `requested-revision`), `directory`
/// for a local project, `archive` for a wheel or sdist file (`path` when local, else `url`).
/// A source tree has no `version`: PEP 751 says to leave it out when it cannot be guaranteed
/// to match the code (uv does the same).
fn direct_source(table: &mut Table, pin: &ResolvedPackage, url: &str) {
    let git = url::Url::parse(url)
        .ok()
        .filter(|u| u.scheme().starts_with("git+"))
        .and_then(|u| crate::build::GitReference::parse(&u));
    if let Some(git) = git {
        let mut vcs = InlineTable::new();
        vcs.insert("type", "git".into());
        vcs.insert("url", git.repository.as_str().into());
        if let Some(requested) = &pin.requested_revision {
            vcs.insert("requested-revision", requested.as_str().into());
        }
        // The pinned URL's reference is the commit the checkout resolved to.
        if let Some(commit) = &git.reference {
            vcs.insert("commit-id", commit.as_str().into());
        }
        if let Some(subdirectory) = &git.subdirectory {
            vcs.insert("subdirectory", subdirectory.as_str().into());
        }
        table["vcs"] = value(vcs);
        return;
    }
    let local = local_path(url);
    // A pin without files is a source tree (its metadata was built); one with a file is that
    // wheel or sdist.
    if pin.files.is_empty() {
        let mut directory = InlineTable::new();
        directory.insert("path", local.unwrap_or_else(|| url.to_string()).into());
        directory.insert("editable", pin.editable.into());
        table["directory"] = value(directory);
        return;
    }
    table["version"] = value(pin.version.to_string());
    let mut archive = InlineTable::new();
    match local {
        Some(path) => archive.insert("path", path.into()),
        None => archive.insert("url", url.into()),
    };
    if let Some(file) = pin.files.first() {
        if let Some(size) = file.size.and_then(|s| i64::try_from(s).ok()) {
            archive.insert("size", size.into());
        }
        archive.insert("hashes", hashes(file.sha256.as_deref()).into());
    }
    table["archive"] = value(archive);
}

/// A local direct reference as PEP 751's `path`: as written when it is a path (`./libs/x`,
/// relative to the lockfile like the PEP's paths), the file path of a `file:` URL; None for a
/// remote URL.
fn local_path(url: &str) -> Option<String> {
    if url.starts_with('.') || url.starts_with('/') {
        return Some(url.to_string());
    }
    let parsed = url::Url::parse(url).ok().filter(|u| u.scheme() == "file")?;
    let path = parsed.to_file_path().ok()?;
    Some(path.display().to_string())
}

fn file_table(file: &crate::index::DistFile) -> InlineTable {
    let mut table = InlineTable::new();
    table.insert("name", file.filename.as_str().into());
    table.insert("url", file.url.to_string().into());
    if let Some(time) = upload_time(file.upload_time) {
        table.insert("upload-time", time.into());
    }
    if let Some(size) = file.size.and_then(|s| i64::try_from(s).ok()) {
        table.insert("size", size.into());
    }
    table.insert("hashes", hashes(file.sha256.as_deref()).into());
    table
}

/// PEP 751's `upload-time`, a TOML datetime, from the index's PEP 700 time (microseconds).
fn upload_time(microseconds: Option<i64>) -> Option<toml_edit::Datetime> {
    let time = jiff::Timestamp::from_microsecond(microseconds?).ok()?;
    time.to_string().parse().ok()
}

fn hashes(sha256: Option<&str>) -> InlineTable {
    let mut hashes = InlineTable::new();
    if let Some(sha256) = sha256 {
        hashes.insert("sha256", sha256.into());
    }
    hashes
}

/// Read a pylock.toml as the pins sync, check and compile's preferences use: each package
/// becomes `name==version ; marker` with the sha256 of every one of its files; the packages'
/// indexes become the index options (the first one `--index-url`, the others
/// `--extra-index-url`). A direct reference (`archive`, `directory`, `vcs`) becomes `name @ url`.
pub(crate) fn read(path: &Path) -> Result<RequirementsTxt, PylockError> {
    let text = crate::fsutil::read_input(path).map_err(|source| PylockError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    read_str(path, &text)
}

/// [`read`] of `text`, as if read from `path`.
pub(crate) fn read_str(path: &Path, text: &str) -> Result<RequirementsTxt, PylockError> {
    let doc = toml_edit::Document::parse(text.to_string()).map_err(|e| PylockError::Toml {
        path: path.to_path_buf(),
        message: e.message().to_string(),
    })?;
    let root = doc.as_table();
    let version = root
        .get("lock-version")
        .and_then(Item::as_str)
        .unwrap_or("");
    if version.split('.').next() != Some("1") {
        return Err(PylockError::Version {
            path: path.to_path_buf(),
            version: version.to_string(),
        });
    }
    let lines = LineIndex::new(text);
    let mut out = RequirementsTxt {
        requirements: Vec::new(),
        constraints: Vec::new(),
        options: IndexOptions::default(),
        files: vec![path.to_path_buf()],
        included_from: Vec::new(),
    };
    let packages = match root.get("packages") {
        None => None,
        Some(item) => Some(
            item.as_array_of_tables()
                .ok_or_else(|| PylockError::Package {
                    origin: lines.origin(path, text, item.span().map_or(0, |s| s.start)),
                    message: "`packages` is not an array of tables".to_string(),
                })?,
        ),
    };
    let base = crate::inputs::parent_dir(path).to_path_buf();
    let mut indexes: Vec<String> = Vec::new();
    for package in packages.into_iter().flatten() {
        let origin = lines.origin(path, text, package.span().map_or(0, |s| s.start));
        let fail = |message: String| PylockError::Package {
            origin: origin.clone(),
            message,
        };
        let string = |key: &str| -> Result<Option<&str>, PylockError> {
            match package.get(key) {
                None => Ok(None),
                Some(item) => item
                    .as_str()
                    .map(Some)
                    .ok_or_else(|| fail(format!("`{key}` is not a string"))),
            }
        };
        let name = string("name")?.ok_or_else(|| fail("a package has no `name`".to_string()))?;
        let version = string("version")?;
        let marker = string("marker")?;
        if let Some(index) = string("index")?
            && !indexes.iter().any(|i| i == index)
        {
            indexes.push(index.to_string());
        }
        let mut hashes = package_hashes(package).map_err(fail)?;
        let (direct, editable) = direct_reference(package, &base).map_err(fail)?;
        let mut requirement = match (&direct, version) {
            (Some(url), _) => format!("{name} @ {url}"),
            (None, Some(version)) => format!("{name}=={version}"),
            (None, None) => {
                return Err(fail(format!(
                    "`{name}` has no `version` and no `archive`, `directory` or `vcs`"
                )));
            }
        };
        if let Some(marker) = marker {
            // A space before `;` so that a URL ends before it (PEP 508).
            requirement.push_str(" ; ");
            requirement.push_str(marker);
        }
        let parsed = crate::pep508::requirement(&requirement, &base)
            .map_err(|e| fail(format!("`{requirement}`: {}", e.message)))?;
        hashes.sort();
        hashes.dedup();
        out.requirements.push(RequirementEntry {
            spec: RequirementSpec::Named(parsed),
            editable,
            hashes,
            origin: origin.clone(),
        });
    }
    let mut indexes = indexes.into_iter();
    out.options.index_url = indexes.next();
    out.options.extra_index_urls = indexes.collect();
    Ok(out)
}

/// The hashes of every file a package lists: its sdist, wheels and archive.
fn package_hashes(package: &toml_edit::Table) -> Result<Vec<FileHash>, String> {
    let mut hashes = Vec::new();
    let mut file_hashes = |item: &Item| {
        if let Some(table) = item.get("hashes").and_then(Item::as_table_like) {
            for (algorithm, digest) in table.iter() {
                if let (Some(algorithm), Some(digest)) =
                    (HashAlgorithm::parse(algorithm), digest.as_str())
                {
                    hashes.push(FileHash {
                        algorithm,
                        digest: digest.to_ascii_lowercase(),
                    });
                }
            }
        }
    };
    if let Some(sdist) = package.get("sdist") {
        file_hashes(sdist);
    }
    if let Some(archive) = package.get("archive") {
        file_hashes(archive);
    }
    match package.get("wheels") {
        None => {}
        Some(Item::Value(Value::Array(array))) => {
            for wheel in array.iter() {
                file_hashes(&Item::Value(wheel.clone()));
            }
        }
        Some(Item::ArrayOfTables(tables)) => {
            for wheel in tables.iter() {
                file_hashes(&Item::Table(wheel.clone()));
            }
        }
        Some(_) => return Err("`wheels` is not an array".to_string()),
    }
    Ok(hashes)
}

/// The URL of a package given as an `archive`, a `directory` (and whether it is editable) or
/// a git `vcs` checkout; None for a package from an index.
fn direct_reference(
    package: &toml_edit::Table,
    base: &Path,
) -> Result<(Option<String>, bool), String> {
    if let Some(archive) = package.get("archive") {
        let url = archive
            .get("url")
            .and_then(Item::as_str)
            .map(str::to_string)
            .or_else(|| {
                let path = archive.get("path").and_then(Item::as_str)?;
                file_url(&base.join(path))
            })
            .ok_or_else(|| "`archive` has neither `url` nor `path`".to_string())?;
        return Ok((Some(with_subdirectory(url, archive)), false));
    }
    if let Some(directory) = package.get("directory") {
        let editable = directory
            .get("editable")
            .and_then(Item::as_bool)
            .unwrap_or(false);
        let dir = directory
            .get("path")
            .and_then(Item::as_str)
            .ok_or_else(|| "`directory` has no `path`".to_string())?;
        // A directory's `subdirectory` is where its project is, inside it.
        let dir = match directory.get("subdirectory").and_then(Item::as_str) {
            Some(sub) => base.join(dir).join(sub),
            None => base.join(dir),
        };
        let url =
            file_url(&dir).ok_or_else(|| format!("`{}` is not a usable path", dir.display()))?;
        return Ok((Some(url), editable));
    }
    let Some(vcs) = package.get("vcs") else {
        return Ok((None, false));
    };
    let kind = vcs.get("type").and_then(Item::as_str).unwrap_or("");
    if kind != "git" {
        return Err(format!(
            "`vcs` of type `{kind}`: pinion installs git repositories only"
        ));
    }
    let repository = match (vcs.get("url"), vcs.get("path")) {
        (Some(url), _) => url
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| "`vcs.url` is not a string".to_string())?,
        (None, Some(path)) => {
            let path = path
                .as_str()
                .ok_or_else(|| "`vcs.path` is not a string".to_string())?;
            file_url(&base.join(path)).ok_or_else(|| format!("`{path}` is not a usable path"))?
        }
        (None, None) => return Err("`vcs` has neither `url` nor `path`".to_string()),
    };
    // PEP 751 requires the commit: it, not `requested-revision` (a branch may have moved since),
    // is what is installed.
    let commit = vcs.get("commit-id").and_then(Item::as_str).ok_or_else(|| {
        "`vcs` has no `commit-id` (PEP 751 requires the commit to install)".to_string()
    })?;
    let url = with_subdirectory(format!("git+{repository}@{commit}"), vcs);
    Ok((Some(url), false))
}

/// `url` with the source's `subdirectory` as pip's `#subdirectory=` fragment.
fn with_subdirectory(mut url: String, source: &Item) -> String {
    if let Some(subdirectory) = source.get("subdirectory").and_then(Item::as_str) {
        url.push_str("#subdirectory=");
        url.push_str(subdirectory);
    }
    url
}

fn file_url(path: &Path) -> Option<String> {
    let absolute = std::path::absolute(path).ok()?;
    url::Url::from_file_path(absolute).ok().map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pylock_names() {
        assert!(is_pylock_path(Path::new("pylock.toml")));
        assert!(is_pylock_path(Path::new("a/pylock.dev.toml")));
        assert!(!is_pylock_path(Path::new("pylock.a.b.toml")));
        assert!(!is_pylock_path(Path::new("pylock..toml")));
        assert!(!is_pylock_path(Path::new("requirements.txt")));
        assert!(reads_as_pylock(Path::new("locked.toml")));
    }

    #[test]
    fn reads_the_shape_uv_writes() {
        let text = r#"# This file was autogenerated by uv via the following command:
#    uv pip compile requirements.in -o pylock.toml
lock-version = "1.0"
created-by = "uv"
requires-python = ">=3.12"

[[packages]]
name = "idna"
version = "3.10"
index = "https://example.invalid/simple"
sdist = { url = "https://example.invalid/idna-3.10.tar.gz", upload-time = 2024-09-15T18:07:39Z, size = 190490, hashes = { sha256 = "AA" } }
wheels = [{ url = "https://example.invalid/idna-3.10-py3-none-any.whl", upload-time = 2024-09-15T18:07:37Z, size = 70442, hashes = { sha256 = "bb" } }]

[[packages]]
name = "colorama"
version = "0.4.6"
marker = "sys_platform == 'win32'"
index = "https://example.invalid/simple"
wheels = [{ url = "https://example.invalid/colorama-0.4.6-py2.py3-none-any.whl", hashes = { sha256 = "cc" } }]
"#;
        let read = read_str(Path::new("pylock.toml"), text).unwrap();
        assert_eq!(read.requirements.len(), 2);
        assert_eq!(
            read.options.index_url.as_deref(),
            Some("https://example.invalid/simple")
        );
        let idna = &read.requirements[0];
        assert_eq!(idna.origin.line, 7);
        let digests: Vec<&str> = idna.hashes.iter().map(|h| h.digest.as_str()).collect();
        assert_eq!(digests, ["aa", "bb"]);
        let RequirementSpec::Named(colorama) = &read.requirements[1].spec else {
            panic!("named");
        };
        assert!(format!("{colorama}").contains("win32"));
    }

    #[test]
    fn reads_vcs_directory_and_archive_sources() {
        let text = r#"lock-version = "1.0"

[[packages]]
name = "gitlib"
vcs = { type = "git", path = "repo", requested-revision = "main", commit-id = "0123456789abcdef0123456789abcdef01234567", subdirectory = "pkg" }

[[packages]]
name = "mylib"
directory = { path = "libs", subdirectory = "mylib", editable = true }

[[packages]]
name = "lib"
version = "2.0"
archive = { path = "dist/lib-2.0-py3-none-any.whl", hashes = { sha256 = "AB" } }
"#;
        let read = read_str(Path::new("/work/pylock.toml"), text).unwrap();
        let shown: Vec<String> = read
            .requirements
            .iter()
            .map(|r| match &r.spec {
                RequirementSpec::Named(named) => named.to_string(),
                RequirementSpec::Unnamed(_) => panic!("named"),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "gitlib @ git+file:///work/repo@0123456789abcdef0123456789abcdef01234567#subdirectory=pkg",
                "mylib @ file:///work/libs/mylib",
                "lib @ file:///work/dist/lib-2.0-py3-none-any.whl",
            ]
        );
        assert!(read.requirements[1].editable);
        assert_eq!(read.requirements[2].hashes[0].digest, "ab");
        // PEP 751 requires the commit: a branch alone could have moved since.
        let err = read_str(
            Path::new("pylock.toml"),
            "lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\nvcs = { type = \"git\", url = \"https://example.invalid/a.git\", requested-revision = \"main\" }\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("commit-id"), "{err}");
    }

    #[test]
    fn refuses_other_major_versions_and_bad_packages() {
        let err = read_str(Path::new("pylock.toml"), "lock-version = \"2.0\"\n").unwrap_err();
        assert!(matches!(err, PylockError::Version { .. }));
        let err = read_str(
            Path::new("pylock.toml"),
            "lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("no `version`"), "{err}");
        assert!(read_str(Path::new("pylock.toml"), "lock-version = [").is_err());
    }
}
