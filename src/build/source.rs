//! What a direct reference points at, and the source trees builds run in: unpacked sdists and
//! local directories (with a fingerprint that says when one changed).

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use url::Url;

use super::{BuildError, GitReference};

/// Where a direct reference (`name @ url`, a bare URL or path, `-e ...`) points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SourceRef {
    /// A wheel or sdist file, local or remote.
    File(Url),
    /// A local project directory.
    Directory(PathBuf),
    /// A git repository at a reference (`git+https://example.invalid/repo.git@v1.2`).
    Git(GitReference),
}

impl SourceRef {
    /// None for a scheme pinion cannot fetch (other VCS, ftp, ...).
    pub(crate) fn from_url(url: &Url) -> Option<SourceRef> {
        match url.scheme() {
            "file" => {
                let path = url.to_file_path().ok()?;
                if path.is_dir() {
                    Some(SourceRef::Directory(path))
                } else {
                    Some(SourceRef::File(url.clone()))
                }
            }
            "http" | "https" => Some(SourceRef::File(url.clone())),
            scheme if scheme.starts_with("git+") => GitReference::parse(url).map(SourceRef::Git),
            _ => None,
        }
    }
}

impl std::fmt::Display for SourceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(url) => write!(f, "{url}"),
            Self::Directory(path) => write!(f, "{}", path.display()),
            Self::Git(git) => write!(f, "{git}"),
        }
    }
}

/// Folders that never change what a build makes of a tree, but change all the time.
const IGNORED_DIRS: [&str; 13] = [
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    "__pycache__",
    "build",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
];

/// The files that decide a project's metadata in all but the most unusual setups (uv keys its
/// cache on the same ones): editing a module does not change the metadata, nor what an editable
/// install holds.
const BUILD_CONFIG: [&str; 3] = ["pyproject.toml", "setup.py", "setup.cfg"];

/// What a fingerprint covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coverage {
    /// Only the build configuration ([`BUILD_CONFIG`]): for metadata and editable wheels.
    BuildConfig,
    /// Every file: for regular wheels, which copy the sources.
    Tree,
}

/// A cache key for a local project tree: its path and the path, size and modification time of
/// the files `coverage` names (VCS folders, venvs, build outputs and `.egg-info` left out).
pub(crate) fn fingerprint(root: &Path, coverage: Coverage) -> Result<String, BuildError> {
    let root = std::path::absolute(root).map_err(BuildError::io("resolve", root))?;
    if !root.is_dir() {
        return Err(BuildError::NotAProject(root));
    }
    let mut hasher = Sha256::new();
    hasher.update(root.as_os_str().as_encoded_bytes());
    let walk = walkdir::WalkDir::new(&root)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            let name = entry.file_name().to_string_lossy();
            !(entry.file_type().is_dir()
                && (IGNORED_DIRS.contains(&name.as_ref()) || name.ends_with(".egg-info")))
        });
    for entry in walk {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(&root).to_path_buf();
            BuildError::io("read", path)(e.into())
        })?;
        if entry.file_type().is_dir() {
            continue;
        }
        if coverage == Coverage::BuildConfig
            && (entry.depth() > 1
                || !BUILD_CONFIG.contains(&entry.file_name().to_string_lossy().as_ref()))
        {
            continue;
        }
        let meta = entry
            .metadata()
            .map_err(|e| BuildError::io("read", entry.path())(e.into()))?;
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let relative = entry.path().strip_prefix(&root).unwrap_or(entry.path());
        hasher.update(relative.as_os_str().as_encoded_bytes());
        hasher.update([0]);
        hasher.update(meta.len().to_le_bytes());
        hasher.update(modified.to_le_bytes());
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Unpack an sdist into `dest` and return its top folder (`name-version/`).
pub(crate) fn unpack_sdist(sdist: &Path, dest: &Path) -> Result<PathBuf, BuildError> {
    let name = sdist
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let archive = |reason: String| BuildError::Archive {
        path: sdist.to_path_buf(),
        reason,
    };
    let file = fs_err::File::open(sdist).map_err(BuildError::io("open", sdist))?;
    if name.ends_with(".zip") {
        let mut zip = zip::ZipArchive::new(file).map_err(|e| archive(e.to_string()))?;
        // `extract` refuses entries that would land outside `dest`.
        zip.extract(dest).map_err(|e| archive(e.to_string()))?;
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
        tar.set_preserve_permissions(false);
        // `unpack` skips entries with `..` or an absolute path.
        tar.unpack(dest).map_err(|e| archive(e.to_string()))?;
    } else {
        return Err(archive("not a `.tar.gz` or `.zip` sdist".to_string()));
    }
    let entries: Vec<PathBuf> = fs_err::read_dir(dest)
        .map_err(BuildError::io("read", dest))?
        .flatten()
        .map(|e| e.path())
        .collect();
    match entries.as_slice() {
        [one] if one.is_dir() => Ok(one.clone()),
        _ => Ok(dest.to_path_buf()),
    }
}

/// The `METADATA` of a wheel file.
pub(crate) fn wheel_metadata(wheel: &Path) -> Result<Vec<u8>, BuildError> {
    let archive = |reason: String| BuildError::Archive {
        path: wheel.to_path_buf(),
        reason,
    };
    let file = fs_err::File::open(wheel).map_err(BuildError::io("open", wheel))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| archive(e.to_string()))?;
    let name = zip
        .file_names()
        .filter_map(Result::ok)
        .find(|n| {
            n.split_once('/')
                .is_some_and(|(dir, file)| dir.ends_with(".dist-info") && file == "METADATA")
        })
        .map(|n| n.into_owned())
        .ok_or_else(|| archive("no `.dist-info/METADATA`".to_string()))?;
    let mut entry = zip.by_name(&name).map_err(|e| archive(e.to_string()))?;
    let mut bytes = Vec::new();
    entry
        .read_to_end(&mut bytes)
        .map_err(|e| archive(e.to_string()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_config_fingerprint_ignores_modules_tree_fingerprint_does_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyproject.toml"), "[project]\n").unwrap();
        std::fs::create_dir(dir.path().join("pkg")).unwrap();
        std::fs::write(dir.path().join("pkg/__init__.py"), "").unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let config = fingerprint(dir.path(), Coverage::BuildConfig).unwrap();
        let tree = fingerprint(dir.path(), Coverage::Tree).unwrap();

        std::fs::write(dir.path().join("pkg/__init__.py"), "x = 1\n").unwrap();
        std::fs::write(dir.path().join(".git/HEAD"), "ref").unwrap();
        assert_eq!(
            fingerprint(dir.path(), Coverage::BuildConfig).unwrap(),
            config
        );
        assert_ne!(fingerprint(dir.path(), Coverage::Tree).unwrap(), tree);

        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"a\"\n",
        )
        .unwrap();
        assert_ne!(
            fingerprint(dir.path(), Coverage::BuildConfig).unwrap(),
            config
        );
    }

    #[test]
    fn sources_by_scheme() {
        let dir = tempfile::tempdir().unwrap();
        let url = Url::from_directory_path(dir.path()).unwrap();
        assert_eq!(
            SourceRef::from_url(&url),
            Some(SourceRef::Directory(dir.path().to_path_buf()))
        );
        let wheel = Url::parse("https://example.invalid/a-1.0-py3-none-any.whl").unwrap();
        assert_eq!(SourceRef::from_url(&wheel), Some(SourceRef::File(wheel)));
        let git = Url::parse("git+https://example.invalid/a.git@v1").unwrap();
        assert!(matches!(SourceRef::from_url(&git), Some(SourceRef::Git(_))));
        let hg = Url::parse("hg+https://example.invalid/a").unwrap();
        assert_eq!(SourceRef::from_url(&hg), None);
    }
}
