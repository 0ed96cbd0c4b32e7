//! The on-disk cache: simple-API pages (parsed, with their HTTP freshness policy), core metadata
//! (immutable once fetched) and downloaded files.
//!
//! Layout under the cache directory; the `-v1` suffixes change when a format changes, so an old
//! pinion and a new one can share a directory:
//!
//! ```text
//! simple-v2/<digest of the page URL>     postcard: CachedPage { policy, data }
//! metadata-v1/<file sha256 or url-digest>  the METADATA / PKG-INFO bytes
//! files-v1/<file sha256 or url-digest>/<filename>
//! site-packages-v1/<digest of a venv's purelib>.bin   what the last full RECORD check found (install)
//! ```
//!
//! Every write goes to a temporary file in the target directory and is renamed into place, so a
//! concurrent pinion process sees either the old entry or the new one, never half of one.

mod policy;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use pep508_rs::PackageName;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::{debug, warn};

use crate::fsutil::{AtomicFile, write_atomic};

pub(crate) use policy::CachePolicy;

/// What a run may reuse from the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Refresh {
    /// Reuse whatever is still fresh.
    #[default]
    None,
    /// `--refresh`: revalidate every page and refetch everything not pinned by a hash.
    All,
    /// `--upgrade`: revalidate every page (a 304 still reuses it).
    Revalidate,
    /// `--upgrade-package`: revalidate these projects' pages only.
    Packages(Vec<PackageName>),
}

/// How the cache is used, as the settings layer decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CacheSettings {
    /// `None` is `--no-cache`: results live in memory for this run only.
    pub(crate) dir: Option<PathBuf>,
    pub(crate) refresh: Refresh,
    /// `--offline`: answer from the cache only; stale entries are fine, missing ones an error.
    pub(crate) offline: bool,
    /// How long a page without any freshness information is reused without asking.
    pub(crate) heuristic_freshness: Duration,
}

impl CacheSettings {
    /// How long a page whose server says nothing about freshness is reused: pip's HTTP cache
    /// revalidates such pages, uv keeps them for its whole run; ten minutes is between.
    pub(crate) const DEFAULT_HEURISTIC_FRESHNESS: Duration = Duration::from_secs(600);

    /// pinion's defaults for tests; the settings layer builds the real ones.
    #[cfg(test)]
    pub(crate) fn new(dir: Option<PathBuf>) -> Self {
        Self {
            dir,
            refresh: Refresh::None,
            offline: false,
            heuristic_freshness: Self::DEFAULT_HEURISTIC_FRESHNESS,
        }
    }
}

impl Refresh {
    /// Whether the page of project `name` (`None`: a find-links page shared by all projects)
    /// must be revalidated even when it is fresh.
    pub(crate) fn revalidate_page(&self, name: Option<&PackageName>) -> bool {
        match self {
            Self::None => false,
            Self::All | Self::Revalidate => true,
            Self::Packages(names) => name.is_none_or(|name| names.contains(name)),
        }
    }

    /// Whether an entry that no hash pins (its content may have changed behind the same URL)
    /// must be fetched again.
    pub(crate) fn refetch_unpinned(&self, name: &PackageName) -> bool {
        match self {
            Self::All => true,
            Self::Packages(names) => names.contains(name),
            Self::None | Self::Revalidate => false,
        }
    }
}

/// The platform's cache directory plus `pinion` (`~/.cache/pinion`, `~/Library/Caches/pinion`,
/// `%LOCALAPPDATA%\pinion`); `$PINION_CACHE_DIR` is the settings layer's business.
pub(crate) fn default_cache_dir() -> PathBuf {
    use etcetera::BaseStrategy;
    match etcetera::base_strategy::choose_native_strategy() {
        Ok(strategy) => strategy.cache_dir().join("pinion"),
        // No home directory (a bare container user): a per-machine directory still beats none.
        Err(_) => std::env::temp_dir().join("pinion-cache"),
    }
}

/// Which part of the cache an entry lives in.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Bucket {
    Simple,
    Metadata,
    Files,
}

impl Bucket {
    fn dir(self) -> &'static str {
        match self {
            Self::Simple => "simple-v2",
            Self::Metadata => "metadata-v1",
            Self::Files => "files-v1",
        }
    }
}

/// A stored simple-API page: the parsed files and when they may be reused.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CachedPage<T> {
    pub(crate) policy: CachePolicy,
    pub(crate) data: T,
}

/// A stored page as [`Cache::open_page`] found it.
pub(crate) struct StoredPage {
    pub(crate) policy: CachePolicy,
    bytes: memmap2::Mmap,
    data_at: usize,
}

impl StoredPage {
    /// The page's data; `None` when it does not decode (written by another version, or
    /// damaged: it is fetched again and overwritten).
    pub(crate) fn data<T: DeserializeOwned>(&self, path: &Path) -> Option<T> {
        match postcard::from_bytes(&self.bytes[self.data_at..]) {
            Ok(data) => Some(data),
            Err(err) => {
                debug!(
                    "ignoring unreadable cache entry `{}`: {err}",
                    path.display()
                );
                None
            }
        }
    }
}

/// The cache directory, or nothing under `--no-cache` (then downloads go to a directory that is
/// removed when the client is dropped).
#[derive(Debug)]
pub(crate) struct Cache {
    root: Option<PathBuf>,
    scratch: OnceLock<tempfile::TempDir>,
}

/// A file-name-safe key for anything identified by a URL: 128 bits of its sha256.
pub(crate) fn url_key(url: &str) -> String {
    let digest = Sha256::digest(url.as_bytes());
    format!("url-{}", hex::encode(&digest[..16]))
}

impl Cache {
    pub(crate) fn new(root: Option<PathBuf>) -> io::Result<Self> {
        if let Some(root) = &root {
            fs_err::create_dir_all(root)?;
            // Backup and sync tools skip directories carrying this tag (the Cache Directory Tagging
            // Specification).
            let tag = root.join("CACHEDIR.TAG");
            if !tag.exists() {
                let _ = write_atomic(
                    &tag,
                    b"Signature: 8a477f597d28d172789f06886806bc55\n\
                      # This file is a cache directory tag created by pinion.\n",
                );
            }
        }
        Ok(Self {
            root,
            scratch: OnceLock::new(),
        })
    }

    /// The project names this cache has seen: the `Name:` of every stored metadata file and the
    /// names in stored distribution file names. For "did you mean" in a report: it reads the
    /// disk only, never the network, and only when a resolution has already failed.
    pub(crate) fn known_names(&self) -> Vec<String> {
        let Some(root) = &self.root else {
            return Vec::new();
        };
        let mut names = Vec::new();
        let entries = |dir: PathBuf| {
            fs_err::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path())
        };
        for path in entries(root.join(Bucket::Metadata.dir())) {
            let Ok(text) = fs_err::read(&path) else {
                continue;
            };
            let head = String::from_utf8_lossy(&text[..text.len().min(2048)]).into_owned();
            if let Some(name) = head.lines().find_map(|line| line.strip_prefix("Name:")) {
                names.push(name.trim().to_string());
            }
        }
        for dir in entries(root.join(Bucket::Files.dir())) {
            for file in entries(dir) {
                let Some(file) = file.file_name().and_then(|f| f.to_str()) else {
                    continue;
                };
                // `name-1.0-py3-none-any.whl`, `name-1.0.tar.gz`: the name ends before the
                // first `-<digit>`.
                let end = file
                    .match_indices('-')
                    .find(|(i, _)| file[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
                    .map(|(i, _)| i);
                if let Some(end) = end {
                    names.push(file[..end].to_string());
                }
            }
        }
        names
    }

    /// Where a persistent entry lives; `None` under `--no-cache`.
    pub(crate) fn entry(&self, bucket: Bucket, key: &str) -> Option<PathBuf> {
        Some(self.root.as_ref()?.join(bucket.dir()).join(key))
    }

    /// The directory a downloaded file goes into: in the cache, or in this run's scratch space.
    pub(crate) fn file_dir(&self, key: &str) -> io::Result<PathBuf> {
        if let Some(path) = self.entry(Bucket::Files, key) {
            return Ok(path);
        }
        let scratch = match self.scratch.get() {
            Some(scratch) => scratch,
            None => {
                let dir = tempfile::Builder::new().prefix("pinion-").tempdir()?;
                // A racing thread may have set it first; its directory wins and ours is removed.
                let _ = self.scratch.set(dir);
                self.scratch.get().expect("just set")
            }
        };
        Ok(scratch.path().join(key))
    }

    /// A stored page, its freshness facts decoded and its data not yet: a page that is stale
    /// and has no validators is fetched again whole, so decoding (and holding) its thousands of
    /// files first would be wasted.
    pub(crate) fn open_page(path: &Path) -> Option<StoredPage> {
        let file = std::fs::File::open(path).ok()?;
        // SAFETY: entries are only ever replaced by renaming a new file over them
        // (`write_atomic`), never written in place, so the mapped bytes cannot change under us.
        // Mapping instead of reading saves copying megabytes of pages on every warm compile.
        let bytes = unsafe { memmap2::Mmap::map(&file) }.ok()?;
        // postcard writes a struct's fields one after another: `policy`, then `data`.
        match postcard::take_from_bytes::<CachePolicy>(&bytes) {
            Ok((policy, rest)) => Some(StoredPage {
                policy,
                data_at: bytes.len() - rest.len(),
                bytes,
            }),
            Err(err) => {
                debug!(
                    "ignoring unreadable cache entry `{}`: {err}",
                    path.display()
                );
                None
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn read_page<T: DeserializeOwned>(path: &Path) -> Option<CachedPage<T>> {
        let page = Self::open_page(path)?;
        let data = page.data(path)?;
        Some(CachedPage {
            policy: page.policy,
            data,
        })
    }

    /// Encodes the page straight into the entry's temporary file: a large project's page is
    /// megabytes, which a buffer grown to hold it first copied over and over.
    pub(crate) fn write_page<T: Serialize>(path: &Path, page: &CachedPage<T>) {
        let write = || -> Result<(), Box<dyn std::error::Error>> {
            fs_err::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
            let mut out = io::BufWriter::with_capacity(1 << 16, AtomicFile::for_path(path)?);
            postcard::to_io(page, &mut out)?;
            out.into_inner()
                .map_err(io::IntoInnerError::into_error)?
                .persist(path)?;
            Ok(())
        };
        if let Err(err) = write() {
            warn!("could not write cache entry `{}`: {err}", path.display());
        }
    }
}

/// The bytes of a cache entry; a missing or unreadable entry is a miss.
pub(crate) fn read(path: &Path) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(err) => {
            debug!(
                "ignoring unreadable cache entry `{}`: {err}",
                path.display()
            );
            None
        }
    }
}

/// Write a cache entry atomically, creating its folder; a cache that cannot be written only
/// costs speed: say so and carry on.
pub(crate) fn write_or_warn(path: &Path, bytes: &[u8]) {
    let dir = path.parent().unwrap_or(Path::new("."));
    let written = fs_err::create_dir_all(dir).and_then(|()| write_atomic(path, bytes));
    if let Err(err) = written {
        warn!("could not write cache entry `{}`: {err}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn pages_round_trip_and_garbage_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(Some(dir.path().to_path_buf())).unwrap();
        let path = cache.entry(Bucket::Simple, "page").unwrap();
        let policy = CachePolicy::from_response(
            &reqwest::header::HeaderMap::new(),
            std::time::SystemTime::now(),
        );
        let page = CachedPage {
            policy: policy.clone(),
            data: vec!["a".to_string()],
        };
        Cache::write_page(&path, &page);
        let read: CachedPage<Vec<String>> = Cache::read_page(&path).unwrap();
        assert_eq!((read.policy, read.data), (policy, vec!["a".to_string()]));
        write_atomic(&path, b"\xff\xff\xff").unwrap();
        assert!(Cache::read_page::<Vec<String>>(&path).is_none());
        assert!(dir.path().join("CACHEDIR.TAG").exists());
    }

    #[test]
    fn without_a_directory_files_go_to_scratch_space() {
        let cache = Cache::new(None).unwrap();
        assert!(cache.entry(Bucket::Metadata, "k").is_none());
        let dir = cache.file_dir("k").unwrap();
        assert!(dir.starts_with(std::env::temp_dir()));
    }

    #[test]
    fn refresh_scopes() {
        let foo = PackageName::from_str("foo").unwrap();
        let bar = PackageName::from_str("bar").unwrap();
        let packages = Refresh::Packages(vec![foo.clone()]);
        assert!(packages.revalidate_page(Some(&foo)));
        assert!(!packages.revalidate_page(Some(&bar)));
        assert!(packages.refetch_unpinned(&foo));
        assert!(Refresh::Revalidate.revalidate_page(Some(&bar)));
        assert!(!Refresh::Revalidate.refetch_unpinned(&bar));
        assert!(!Refresh::None.revalidate_page(None));
    }
}
