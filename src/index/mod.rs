//! The package index client: which files a project has (PEP 503 HTML and PEP 691 JSON simple
//! APIs, find-links directories and pages) and what their core metadata says (PEP 658 `.metadata`
//! files first, then a range request into the wheel, then the whole file), all through the HTTP
//! cache of `crate::cache`.
//!
//! Everything is async and deduplicated: two tasks asking for the same project, metadata or file
//! at once share one request.

mod archive;
pub(crate) mod auth;
mod choice;
mod cooldown;
mod dns;
mod first_request;
mod http;
mod once_map;
mod simple;
// Crate-visible for its fuzz target (`fuzz::zip_ranges`).
pub(crate) mod zip_entry;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use pep440_rs::VersionSpecifiers;
use pep508_rs::PackageName;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};
use std::io::Write as _;
use tracing::{debug, trace, warn};
use url::Url;

use crate::cache::{self, Bucket, Cache, CachePolicy, CachedPage};
use crate::metadata::{CoreMetadata, DistFilename, MetadataError, WheelFilename};
use pep440_rs::Version;

// Part of this module's interface: the settings layer builds these for `IndexClient::new`.
#[allow(unused_imports)]
pub(crate) use crate::cache::{CacheSettings, Refresh, default_cache_dir};
pub(crate) use archive::ArchiveError;
pub(crate) use auth::KeyringProvider;
pub(crate) use choice::{FormatPolicy, NoUsableFile, best_file, metadata_file};
pub(crate) use cooldown::{Cooldown, Excluded};
pub(crate) use http::{NetworkSettings, Roots};
pub(crate) use once_map::OnceMap;

use http::{Failure, HttpClient, network_error};
use simple::IndexFile;
use zip_entry::{Step, ZipEntryReader};

/// Why the index could not answer.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum IndexError {
    /// A wheel's file name whose tags do not parse.
    #[error("`{filename}` at `{url}` is not a valid wheel or sdist file name", url = auth::redacted(.url))]
    #[diagnostic(code(pinion::index::invalid_filename))]
    InvalidFilename { url: Url, filename: String },

    /// The HTTP client could not be set up (its TLS configuration).
    #[error("could not set up the HTTP client to fetch `{url}`: {reason}", url = auth::redacted(.url))]
    Client { url: Url, reason: String },
    /// No usable response: connection refused, DNS, TLS, a timeout or a broken transfer
    /// (retried first when it may pass).
    #[error("`GET {url}` failed", url = auth::redacted(.url))]
    #[diagnostic(help("check that the index is reachable from this machine"))]
    Network {
        url: Url,
        #[source]
        source: reqwest::Error,
    },
    /// An error status; 5xx, 408 and 429 only after the retries.
    #[error("`GET {url}` failed with status {status}", url = auth::redacted(.url))]
    Status { url: Url, status: StatusCode },
    /// `--offline`, and the cache does not hold it.
    #[error("`{url}` is not in the cache and `--offline` forbids fetching it", url = auth::redacted(.url))]
    #[diagnostic(help("drop `--offline` to fetch it"))]
    Offline { url: Url },
    /// A download or a PEP 658 metadata file does not have the hash the index published.
    #[error("hash mismatch for `{url}`: expected sha256:{expected}, got sha256:{actual}", url = auth::redacted(.url))]
    HashMismatch {
        url: Url,
        expected: String,
        actual: String,
    },
    /// A simple-API or find-links page that does not parse (JSON that does not parse, HTML
    /// with no markup): said as such, never as a project with no files.
    #[error("`{url}` is not a valid simple API page: {reason}", url = auth::redacted(.url))]
    #[diagnostic(help(
        "the index (or a proxy in front of it) answered with something else than a page of links"
    ))]
    InvalidPage { url: Url, reason: String },
    /// 401 or 403: which URL, what was sent, how to send something else.
    #[error("`GET {url}` failed with status {status}: {sent}", url = auth::redacted(.url))]
    #[diagnostic(code(pinion::index::unauthorized))]
    Unauthorized {
        url: Url,
        status: StatusCode,
        sent: String,
        #[help]
        help: String,
    },
    /// The TLS handshake failed (most often: a certificate no root vouches for).
    #[error("TLS connection to `{host}` failed for `{url}`, verifying with {roots}", url = auth::redacted(.url))]
    #[diagnostic(code(pinion::index::tls))]
    Tls {
        url: Url,
        host: String,
        roots: String,
        #[source]
        source: reqwest::Error,
        /// What to change: the CA bundle, or the client certificate the server asked for.
        #[help]
        help: String,
    },
    /// A body shorter or longer than the index said (its listed size).
    #[error("`GET {url}` gave {actual} bytes where the index lists {expected}", url = auth::redacted(.url))]
    WrongSize {
        url: Url,
        expected: u64,
        actual: u64,
    },
    /// Core metadata that does not parse.
    #[error("invalid core metadata in `{url}`", url = auth::redacted(.url))]
    Metadata {
        url: Url,
        #[source]
        source: MetadataError,
    },
    /// The metadata could not be taken out of a wheel or an sdist.
    #[error("could not read the metadata of `{url}`", url = auth::redacted(.url))]
    Archive {
        url: Url,
        #[source]
        source: ArchiveError,
    },
    /// A local file or directory (a download in the cache, a `file://` URL) failed.
    #[error("could not access `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A cooldown is set and a source lists a project's files without PEP 700 upload times: never
    /// a silent pass.
    #[error(
        "`{option}` needs the upload time of each file, and `{location}` gives none for `{project}`"
    )]
    #[diagnostic(
        code(pinion::index::no_upload_times),
        help(
            "upload times (PEP 700) come from an index's JSON API (PEP 691); find-links locations and HTML-only indexes have none. Drop that location (or PIP_FIND_LINKS) for this compile, or the cooldown"
        )
    )]
    NoUploadTimes {
        option: &'static str,
        location: String,
        project: String,
    },
    /// A failure another task was waiting for too (see [`OnceMap`]): the same error, shared.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Shared(Arc<IndexError>),
}

impl IndexError {
    /// The error itself when no other task holds it, else shared.
    fn unshare(error: Arc<IndexError>) -> IndexError {
        Arc::try_unwrap(error).unwrap_or_else(IndexError::Shared)
    }
}

/// A `--find-links` location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FindLinks {
    /// A local directory of distribution files.
    Dir(PathBuf),
    /// An HTML page of links (a `file://` URL of a directory is read as a directory).
    Url(Url),
}

/// Where to look for files, as the settings layer resolved it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IndexLocations {
    /// `None` is `--no-index`.
    pub(crate) index_url: Option<Url>,
    pub(crate) extra_index_urls: Vec<Url>,
    pub(crate) find_links: Vec<FindLinks>,
}

/// Where a file was found; [`DistFile::source`] indexes [`IndexClient::sources`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IndexSource {
    /// A simple-API index (`--index-url`, `--extra-index-url`).
    Index(Url),
    /// A `--find-links` location.
    FindLinks(FindLinks),
}

impl fmt::Display for IndexSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Index(url) | Self::FindLinks(FindLinks::Url(url)) => write!(f, "{url}"),
            Self::FindLinks(FindLinks::Dir(path)) => write!(f, "{}", path.display()),
        }
    }
}

/// One distribution file of a project.
/// A file's URL, parsed on first use: a project page lists thousands of files and the resolver
/// looks at a handful, so parsing every URL when a cached page is loaded would dominate a warm
/// compile.
#[derive(Clone)]
pub(crate) struct FileUrl {
    text: Arc<str>,
    // Boxed: a page holds thousands of these and a `Url` is 88 bytes.
    parsed: std::sync::OnceLock<Box<Url>>,
}

impl FileUrl {
    /// A URL text that was valid when the page was read (it came from `Url::join`).
    fn from_text(text: &str) -> Self {
        Self {
            text: Arc::from(text),
            parsed: std::sync::OnceLock::new(),
        }
    }

    pub(crate) fn get(&self) -> &Url {
        self.parsed.get_or_init(|| {
            Box::new(Url::parse(&self.text).unwrap_or_else(|err| {
                warn!("invalid file URL `{}` in the cache: {err}", self.text);
                Url::parse("file:///invalid-url-in-cache").expect("a constant URL parses")
            }))
        })
    }
}

impl From<Url> for FileUrl {
    fn from(url: Url) -> Self {
        let text = Arc::from(url.as_str());
        let parsed = std::sync::OnceLock::new();
        let _ = parsed.set(Box::new(url));
        Self { text, parsed }
    }
}

impl std::ops::Deref for FileUrl {
    type Target = Url;

    fn deref(&self) -> &Url {
        self.get()
    }
}

impl fmt::Debug for FileUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Display for FileUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for FileUrl {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for FileUrl {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DistFile {
    pub(crate) filename: String,
    version: Version,
    /// The parsed file name; a wheel's is parsed on first use (see [`FileUrl`] for why).
    dist: std::sync::OnceLock<Box<DistFilename>>,
    /// Absolute, without the hash fragment.
    pub(crate) url: FileUrl,
    /// Lower-case hex, from the JSON `hashes` or the `#sha256=` fragment.
    pub(crate) sha256: Option<String>,
    /// `data-requires-python` / `requires-python`; an unparseable value is dropped, as pip does.
    /// Shared by the files that repeat the same text.
    pub(crate) requires_python: Option<Arc<VersionSpecifiers>>,
    /// PEP 592: `Some(reason)` when yanked; the reason may be empty.
    pub(crate) yanked: Option<String>,
    /// PEP 658/714: `Some(sha256)` when the index serves `<url>.metadata`, with its hash if given.
    pub(crate) core_metadata: Option<Option<String>>,
    pub(crate) size: Option<u64>,
    /// PEP 700 upload time, microseconds since the Unix epoch (JSON pages only).
    pub(crate) upload_time: Option<i64>,
    /// Index into [`IndexClient::sources`].
    pub(crate) source: usize,
}

impl DistFile {
    /// A file of project `name`; None when the file name is not a wheel or sdist of it.
    fn new(filename: String, name: &PackageName, url: FileUrl) -> Option<DistFile> {
        let (version, dist) = Self::identify(&filename, name)?;
        Some(DistFile {
            filename,
            version,
            dist,
            url,
            sha256: None,
            requires_python: None,
            yanked: None,
            core_metadata: None,
            size: None,
            upload_time: None,
            source: 0,
        })
    }

    /// The version of a file named `filename` of project `name`, and its parsed name when that
    /// came for free (an sdist's); None when it is no wheel or sdist of `name`.
    fn identify(
        filename: &str,
        name: &PackageName,
    ) -> Option<(Version, std::sync::OnceLock<Box<DistFilename>>)> {
        let dist = std::sync::OnceLock::new();
        let version = if filename.ends_with(".whl") {
            WheelFilename::version_of(filename, name)?
        } else {
            let sdist = DistFilename::parse(filename, Some(name))?;
            let version = sdist.version().clone();
            let _ = dist.set(Box::new(sdist));
            version
        };
        Some((version, dist))
    }

    pub(crate) fn version(&self) -> &Version {
        &self.version
    }

    /// The parsed file name; None for a wheel whose tags do not parse.
    pub(crate) fn dist(&self) -> Option<&DistFilename> {
        if let Some(dist) = self.dist.get() {
            return Some(dist);
        }
        let parsed = DistFilename::parse(&self.filename, None)?;
        Some(self.dist.get_or_init(|| Box::new(parsed)))
    }

    /// The file a direct reference (`name @ https://example.invalid/name-1.0-py3-none-any.whl#sha256=...`)
    /// points at; None when the URL does not end in a wheel or sdist file name of `name`.
    pub(crate) fn from_url(name: &PackageName, url: &Url) -> Option<DistFile> {
        let mut url = url.clone();
        let sha256 = simple::take_fragment_hash(&mut url);
        let filename = url.path_segments()?.next_back()?.to_string();
        let filename = percent_encoding::percent_decode_str(&filename)
            .decode_utf8()
            .ok()?
            .into_owned();
        let mut file = DistFile::new(filename, name, url.into())?;
        file.sha256 = sha256;
        Some(file)
    }

    /// A stand-in for a local project or git checkout in the resolver's version maps: an sdist
    /// named `name-version.tar.gz` that is never fetched (its metadata was built from the tree).
    pub(crate) fn source_tree(
        name: &PackageName,
        version: &Version,
        requires_python: Option<VersionSpecifiers>,
    ) -> DistFile {
        let filename = format!("{}-{version}.tar.gz", name.as_dist_info_name());
        let dist = DistFilename::parse(&filename, Some(name));
        let url = Url::parse("file:///source-tree").expect("a constant URL parses");
        DistFile {
            filename,
            version: version.clone(),
            dist: dist
                .map(|d| std::sync::OnceLock::from(Box::new(d)))
                .unwrap_or_default(),
            url: url.into(),
            sha256: None,
            requires_python: requires_python.map(Arc::new),
            yanked: None,
            core_metadata: None,
            size: None,
            upload_time: None,
            source: 0,
        }
    }

    /// The cache key of everything derived from this file: its sha256 when the index gave a
    /// well-formed one (the content can then never change), else its URL.
    fn cache_key(&self) -> String {
        match &self.sha256 {
            Some(hash) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
                hash.clone()
            }
            _ => cache::url_key(self.url.as_str()),
        }
    }
}

/// Every file of a project across all sources, in source order (find-links first, then the
/// index, then the extra indexes, as pip lists candidates), each in the order its source lists it.
/// The same file name from two sources appears twice: pip treats all indexes as equals, and
/// pip-compile's `--generate-hashes` hashes every copy.
#[derive(Debug, Default)]
pub(crate) struct ProjectFiles {
    pub(crate) files: Vec<DistFile>,
    /// What a cooldown left out, when one applies to the project.
    pub(crate) excluded: Option<Excluded>,
}

/// The package index client. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub(crate) struct IndexClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: HttpClient,
    cache: Cache,
    refresh: Refresh,
    offline: bool,
    heuristic_freshness: Duration,
    sources: Vec<IndexSource>,
    projects: OnceMap<PackageName, Arc<ProjectFiles>, Arc<IndexError>>,
    /// Find-links directories and pages, read once and shared by every project.
    listings: OnceMap<usize, Arc<Vec<IndexFile>>, Arc<IndexError>>,
    metadata: OnceMap<Url, Arc<CoreMetadata>, Arc<IndexError>>,
    downloads: OnceMap<Url, PathBuf, Arc<IndexError>>,
    /// The files downloaded over the network by this client (not found in the cache).
    fetched: Mutex<HashSet<Url>>,
    /// Hosts that answered a range request with the whole file: their wheels are downloaded.
    no_range_hosts: Mutex<HashSet<String>>,
    stats: Counters,
    /// `--exclude-newer`: files uploaded since are not listed (see [`IndexClient::with_cooldown`]).
    cooldown: Cooldown,
    /// Told of every downloaded chunk ([`IndexClient::observe_downloads`]).
    observer: std::sync::RwLock<Option<Arc<dyn DownloadObserver>>>,
}

/// What a download reports as its body arrives, for a progress bar (sync's).
pub(crate) trait DownloadObserver: Send + Sync {
    /// `bytes` more of `filename` arrived (again from the start after a retry).
    fn received(&self, filename: &str, bytes: u64);
}

/// What the cache saved, counted for `-v`.
#[derive(Default)]
struct Counters {
    pages_cached: AtomicUsize,
    pages_revalidated: AtomicUsize,
    pages_fetched: AtomicUsize,
    metadata_cached: AtomicUsize,
    metadata_fetched: AtomicUsize,
}

/// [`IndexClient::stats`]: index pages and core metadata read from the cache (a page the
/// index answered "not modified" for is revalidated) or fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CacheStats {
    pub(crate) pages_cached: usize,
    pub(crate) pages_revalidated: usize,
    pub(crate) pages_fetched: usize,
    pub(crate) metadata_cached: usize,
    pub(crate) metadata_fetched: usize,
}

fn count(counter: &AtomicUsize) {
    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// `Content-Range: bytes <first>-<last>/<length>` as `(first, last, length)`; an unknown length
/// (`*`) is useless for finding the end of a zip.
fn parse_content_range(headers: &HeaderMap) -> Option<(u64, u64, u64)> {
    let value = headers.get(header::CONTENT_RANGE)?.to_str().ok()?;
    let (range, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let (start, end, total) = (start.parse().ok()?, end.parse().ok()?, total.parse().ok()?);
    (start <= end && end < total).then_some((start, end, total))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The local path of a `file://` URL.
fn file_path(url: &Url) -> Result<PathBuf, IndexError> {
    url.to_file_path().map_err(|()| IndexError::Io {
        path: PathBuf::from(url.path()),
        source: io::Error::new(io::ErrorKind::InvalidInput, "not a local path"),
    })
}

/// Ensures the path ends with `/`, so that joining `name/` appends rather than replaces.
fn as_directory(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

/// The files of a local directory, sorted by name (no hashes: pip does not compute them either).
fn list_directory(dir: &Path) -> Result<Vec<IndexFile>, IndexError> {
    let dir = std::path::absolute(dir).map_err(io_error(dir))?;
    let entries = match fs_err::read_dir(&dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            // pip warns and goes on without a missing find-links directory.
            warn!("find-links directory `{}` does not exist", dir.display());
            return Ok(Vec::new());
        }
        Err(source) => return Err(io_error(&dir)(source)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_error(&dir))?;
        let path = entry.path();
        let filename = entry.file_name();
        let (Some(filename), true) = (filename.to_str(), path.is_file()) else {
            continue;
        };
        let Ok(url) = Url::from_file_path(&path) else {
            continue;
        };
        files.push(IndexFile {
            filename: filename.to_string(),
            url: url.into(),
            sha256: None,
            requires_python: None,
            yanked: None,
            core_metadata: None,
            size: entry.metadata().ok().map(|m| m.len()),
            upload_time: None,
        });
    }
    files.sort_by(|a, b| a.filename.cmp(&b.filename));
    Ok(files)
}

/// What [`IndexClient::stored_page`] found.
enum Stored {
    Answer(Vec<IndexFile>),
    Revalidate(CachedPage<Vec<IndexFile>>),
    Fetch,
}

/// A listed file as a file of project `name`, or `None` when it is not one. An index page's
/// files are this project's alone and are moved, not copied; a find-links page's are shared by
/// every project, so only the ones that are this project's are copied.
fn dist_file(
    file: Cow<'_, IndexFile>,
    name: &PackageName,
    source: usize,
    requires_python: &mut HashMap<String, Option<Arc<VersionSpecifiers>>>,
) -> Option<DistFile> {
    // The name becomes a path in the cache: nothing that could leave its directory.
    if file.filename.contains(['/', '\\']) || file.filename.starts_with('.') {
        trace!("skipping `{}`: not a plain file name", file.filename);
        return None;
    }
    let Some((version, dist)) = DistFile::identify(&file.filename, name) else {
        trace!(
            "skipping `{}`: not a wheel or sdist of `{name}`",
            file.filename
        );
        return None;
    };
    let file = file.into_owned();
    // Every file of a release usually repeats the same Requires-Python: parse each text once.
    let requires_python = file.requires_python.and_then(|text| {
        if let Some(parsed) = requires_python.get(&text) {
            return parsed.clone();
        }
        let parsed = crate::metadata::lenient_specifiers(&text)
            .inspect_err(|err| trace!("ignoring Requires-Python `{text}`: {err}"))
            .ok()
            .map(Arc::new);
        requires_python.insert(text, parsed.clone());
        parsed
    });
    Some(DistFile {
        filename: file.filename,
        version,
        dist,
        url: FileUrl::from_text(&file.url),
        sha256: file.sha256,
        requires_python,
        yanked: file.yanked,
        core_metadata: file.core_metadata,
        size: file.size,
        upload_time: file.upload_time,
        source,
    })
}

impl IndexClient {
    /// The client for these locations. Their credentials go to the client's [`auth::Auth`]
    /// and nowhere else: every URL the client keeps, logs or reports is stripped of them.
    pub(crate) fn new(
        locations: IndexLocations,
        cache: CacheSettings,
        network: NetworkSettings,
    ) -> Result<Self, IndexError> {
        let indexes: Vec<Url> = locations
            .index_url
            .into_iter()
            .chain(locations.extra_index_urls)
            .map(as_directory)
            .collect();
        let pages = locations.find_links.iter().filter_map(|link| match link {
            FindLinks::Url(url) => Some(url),
            FindLinks::Dir(_) => None,
        });
        let auth = auth::Auth::new(indexes.iter().chain(pages), network.keyring);
        let mut sources = Vec::new();
        for find_links in locations.find_links {
            let find_links = match find_links {
                FindLinks::Dir(path) => {
                    FindLinks::Dir(std::path::absolute(&path).map_err(io_error(&path))?)
                }
                FindLinks::Url(url) => FindLinks::Url(auth::strip(&url)),
            };
            sources.push(IndexSource::FindLinks(find_links));
        }
        sources.extend(
            indexes
                .iter()
                .map(|url| IndexSource::Index(auth::strip(url))),
        );
        let cache_dir = cache.dir.clone();
        Ok(Self {
            inner: Arc::new(Inner {
                http: HttpClient::new(network, auth),
                cache: Cache::new(cache.dir).map_err(|source| IndexError::Io {
                    path: cache_dir.unwrap_or_default(),
                    source,
                })?,
                refresh: cache.refresh,
                offline: cache.offline,
                heuristic_freshness: cache.heuristic_freshness,
                sources,
                projects: OnceMap::new(),
                listings: OnceMap::new(),
                metadata: OnceMap::new(),
                downloads: OnceMap::new(),
                fetched: Mutex::new(HashSet::new()),
                no_range_hosts: Mutex::new(HashSet::new()),
                stats: Counters::default(),
                observer: std::sync::RwLock::new(None),
                cooldown: Cooldown::default(),
            }),
        })
    }

    /// This client under a cooldown: [`IndexClient::project`] lists only the files uploaded
    /// before it. Called once, right after [`IndexClient::new`].
    pub(crate) fn with_cooldown(mut self, cooldown: Cooldown) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.cooldown = cooldown,
            None => warn!("the index client is already shared: its cooldown is not set"),
        }
        self
    }

    /// The sources files come from, in the order [`ProjectFiles`] lists them (the lockfile's
    /// `# from` annotations name them).
    pub(crate) fn sources(&self) -> &[IndexSource] {
        &self.inner.sources
    }

    /// Every file of project `name` on every source. A project an index does not have (404) has
    /// no files there.
    pub(crate) async fn project(
        &self,
        name: &PackageName,
    ) -> Result<Arc<ProjectFiles>, IndexError> {
        self.inner
            .projects
            .get_or_try_init(name.clone(), || async {
                let lists = futures::future::try_join_all(
                    (0..self.inner.sources.len()).map(|source| self.source_files(source, name)),
                )
                .await?;
                let mut requires_python = HashMap::new();
                let mut files = Vec::new();
                for (source, list) in lists.into_iter().enumerate() {
                    let mut add = |file| dist_file(file, name, source, &mut requires_python);
                    // An index page is this project's alone (moved); find-links are shared.
                    match Arc::try_unwrap(list) {
                        Ok(list) => {
                            files.extend(list.into_iter().filter_map(|f| add(Cow::Owned(f))))
                        }
                        Err(list) => {
                            files.extend(list.iter().filter_map(|f| add(Cow::Borrowed(f))))
                        }
                    }
                }
                let (files, excluded) =
                    self.inner
                        .cooldown
                        .apply(name, files, &self.inner.sources)?;
                Ok(Arc::new(ProjectFiles { files, excluded }))
            })
            .await
            .map_err(IndexError::unshare)
    }

    /// The files source `source` lists; for find-links, all of them (not only `name`'s).
    async fn source_files(
        &self,
        source: usize,
        name: &PackageName,
    ) -> Result<Arc<Vec<IndexFile>>, IndexError> {
        match &self.inner.sources[source] {
            IndexSource::Index(index) => {
                let url = index
                    .join(&format!("{name}/"))
                    .expect("a normalized name is a valid path segment");
                Ok(Arc::new(self.page(&url, Some(name)).await?))
            }
            IndexSource::FindLinks(find_links) => self
                .inner
                .listings
                .get_or_try_init(source, || async {
                    let files = match find_links {
                        FindLinks::Dir(dir) => list_directory(dir)?,
                        FindLinks::Url(url) => self.page(url, None).await?,
                    };
                    Ok(Arc::new(files))
                })
                .await
                .map_err(IndexError::unshare),
        }
    }

    /// A simple-API project page or a find-links page (`project` is `None`), through the cache.
    async fn page(
        &self,
        url: &Url,
        project: Option<&PackageName>,
    ) -> Result<Vec<IndexFile>, IndexError> {
        let inner = &*self.inner;
        if url.scheme() == "file" {
            return local_page(url, project.is_none());
        }
        let path = inner
            .cache
            .entry(Bucket::Simple, &cache::url_key(url.as_str()));
        let cached = match self.stored_page(path.as_deref(), url, project)? {
            Stored::Answer(files) => return Ok(files),
            Stored::Revalidate(cached) => Some(cached),
            Stored::Fetch => None,
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(simple::ACCEPT));
        if let Some(cached) = &cached {
            cached.policy.conditional_headers(&mut headers);
        }
        let http = &inner.http;
        let headers = &headers;
        let (status, response_headers, final_url, body) = http
            .retry(url, || async move {
                let fetch = http.get(url, headers.clone()).await?;
                let status = fetch.response.status();
                let response_headers = fetch.response.headers().clone();
                let final_url = fetch.response.url().clone();
                let body = if status.is_success() {
                    fetch
                        .response
                        .bytes()
                        .await
                        .map_err(|err| network_error(url, err))?
                } else {
                    Default::default()
                };
                Ok((status, response_headers, final_url, body))
            })
            .await?;
        let now = SystemTime::now();
        if status != StatusCode::NOT_MODIFIED {
            count(&inner.stats.pages_fetched);
        }
        let data = match status {
            StatusCode::NOT_MODIFIED if cached.is_some() => {
                let mut cached = cached.expect("checked");
                debug!("{url}: not modified, reusing the cached page");
                count(&inner.stats.pages_revalidated);
                cached.policy.revalidated(&response_headers, now);
                if let Some(path) = &path {
                    Cache::write_page(path, &cached);
                }
                return Ok(cached.data);
            }
            StatusCode::NOT_FOUND => Vec::new(),
            status if status.is_success() => {
                let content_type = response_headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|ct| ct.to_str().ok());
                simple::parse_page(content_type, &body, &final_url).map_err(|reason| {
                    IndexError::InvalidPage {
                        url: url.clone(),
                        reason,
                    }
                })?
            }
            status => {
                return Err(IndexError::Status {
                    url: url.clone(),
                    status,
                });
            }
        };
        if let Some(path) = &path
            && CachePolicy::storable(&response_headers)
        {
            let page = CachedPage {
                policy: CachePolicy::from_response(&response_headers, now),
                data: &data,
            };
            Cache::write_page(path, &page);
        }
        Ok(data)
    }

    /// What the cache holds for a page that this run may use: the answer itself (offline, or
    /// fresh), a page to revalidate, or nothing. A stale page without validators is not decoded:
    /// the server cannot answer "not modified" to it, so it is fetched whole anyway.
    fn stored_page(
        &self,
        path: Option<&Path>,
        url: &Url,
        project: Option<&PackageName>,
    ) -> Result<Stored, IndexError> {
        let inner = &*self.inner;
        let stored = path.and_then(|path| Some((path, Cache::open_page(path)?)));
        if inner.offline {
            return match stored.and_then(|(path, page)| page.data(path)) {
                Some(files) => {
                    debug!("{url}: from the cache (offline)");
                    count(&inner.stats.pages_cached);
                    Ok(Stored::Answer(files))
                }
                None => Err(IndexError::Offline { url: url.clone() }),
            };
        }
        let Some((path, page)) = stored else {
            return Ok(Stored::Fetch);
        };
        let fresh = !inner.refresh.revalidate_page(project)
            && page
                .policy
                .is_fresh(SystemTime::now(), inner.heuristic_freshness);
        if !fresh && !page.policy.has_validators() {
            debug!("{url}: stale in the cache, without validators");
            return Ok(Stored::Fetch);
        }
        let Some(data) = page.data(path) else {
            return Ok(Stored::Fetch);
        };
        if fresh {
            debug!("{url}: fresh in the cache");
            count(&inner.stats.pages_cached);
            return Ok(Stored::Answer(data));
        }
        Ok(Stored::Revalidate(CachedPage {
            policy: page.policy,
            data,
        }))
    }

    /// Core metadata of a wheel (or of any file: this dispatches on the file name).
    pub(crate) async fn wheel_metadata(
        &self,
        file: &DistFile,
    ) -> Result<Arc<CoreMetadata>, IndexError> {
        self.metadata(file).await
    }

    /// An sdist's PKG-INFO (or the index's PEP 658 metadata for it); whether it can be trusted
    /// without a build is the caller's call ([`CoreMetadata::is_static`]).
    /// How many pages and metadata files came from the cache so far, and how many were fetched.
    pub(crate) fn stats(&self) -> CacheStats {
        let stats = &self.inner.stats;
        let get = |c: &AtomicUsize| c.load(std::sync::atomic::Ordering::Relaxed);
        CacheStats {
            pages_cached: get(&stats.pages_cached),
            pages_revalidated: get(&stats.pages_revalidated),
            pages_fetched: get(&stats.pages_fetched),
            metadata_cached: get(&stats.metadata_cached),
            metadata_fetched: get(&stats.metadata_fetched),
        }
    }

    /// Project names the on-disk cache knows (for "did you mean"); reads no page.
    pub(crate) fn cached_names(&self) -> Vec<String> {
        self.inner.cache.known_names()
    }

    pub(crate) async fn sdist_metadata(
        &self,
        file: &DistFile,
    ) -> Result<Arc<CoreMetadata>, IndexError> {
        self.metadata(file).await
    }

    async fn metadata(&self, file: &DistFile) -> Result<Arc<CoreMetadata>, IndexError> {
        self.inner
            .metadata
            .get_or_try_init(file.url.get().clone(), || async {
                let (bytes, url) = self.metadata_bytes(file).await?;
                CoreMetadata::parse(&bytes)
                    .map(Arc::new)
                    .map_err(|source| Arc::new(IndexError::Metadata { url, source }))
            })
            .await
            .map_err(IndexError::unshare)
    }

    /// The raw metadata and the URL it came from.
    async fn metadata_bytes(&self, file: &DistFile) -> Result<(Vec<u8>, Url), IndexError> {
        let inner = &*self.inner;
        if file.url.scheme() == "file" {
            let bytes = read_archive_metadata(file_path(&file.url)?, file).await?;
            return Ok((bytes, file.url.get().clone()));
        }
        let entry = inner.cache.entry(Bucket::Metadata, &file.cache_key());
        let reuse = self.reuse_unpinned(file);
        if reuse && let Some(bytes) = entry.as_deref().and_then(cache::read) {
            debug!(
                "metadata of {}: from the cache",
                auth::redacted(file.url.get())
            );
            count(&inner.stats.metadata_cached);
            return Ok((bytes, file.url.get().clone()));
        }
        let bytes = match self.cached_download(file) {
            // A file downloaded before holds its metadata.
            Some(path) if reuse => {
                count(&inner.stats.metadata_cached);
                (
                    read_archive_metadata(path, file).await?,
                    file.url.get().clone(),
                )
            }
            _ if inner.offline => {
                return Err(IndexError::Offline {
                    url: file.url.get().clone(),
                });
            }
            _ => {
                count(&inner.stats.metadata_fetched);
                self.fetch_metadata(file).await?
            }
        };
        if let Some(entry) = &entry {
            cache::write_or_warn(entry, &bytes.0);
        }
        Ok(bytes)
    }

    /// PEP 658 when advertised, else (for wheels) range requests, else the whole file.
    async fn fetch_metadata(&self, file: &DistFile) -> Result<(Vec<u8>, Url), IndexError> {
        if let Some(hash) = &file.core_metadata
            && let Some(found) = self.pep658_metadata(file, hash.as_deref()).await?
        {
            return Ok(found);
        }
        if let Some(DistFilename::Wheel(wheel)) = file.dist()
            && let Some(bytes) = self.range_metadata(file, wheel.name.as_ref()).await?
        {
            return Ok((bytes, file.url.get().clone()));
        }
        let path = self.download(file).await?;
        let bytes = read_archive_metadata(path, file).await?;
        Ok((bytes, file.url.get().clone()))
    }

    /// `<file url>.metadata`; `None` when the index advertised it but does not serve it.
    async fn pep658_metadata(
        &self,
        file: &DistFile,
        expected: Option<&str>,
    ) -> Result<Option<(Vec<u8>, Url)>, IndexError> {
        let mut url = file.url.get().clone();
        url.set_path(&format!("{}.metadata", file.url.path()));
        let http = &self.inner.http;
        let url_ref = &url;
        let body = http
            .retry(url_ref, || async move {
                let fetch = http.get(url_ref, HeaderMap::new()).await?;
                match fetch.response.status() {
                    StatusCode::NOT_FOUND => Ok(None),
                    status if status.is_success() => fetch
                        .response
                        .bytes()
                        .await
                        .map(Some)
                        .map_err(|err| network_error(url_ref, err)),
                    status => Err(Failure::Fatal(IndexError::Status {
                        url: url_ref.clone(),
                        status,
                    })),
                }
            })
            .await?;
        let Some(body) = body else {
            debug!(
                "{}: advertised but missing, reading the file instead",
                auth::redacted(&url)
            );
            return Ok(None);
        };
        if let Some(expected) = expected {
            let actual = sha256_hex(&body);
            if actual != expected {
                return Err(IndexError::HashMismatch {
                    url,
                    expected: expected.to_string(),
                    actual,
                });
            }
        }
        Ok(Some((body.to_vec(), url)))
    }

    /// A wheel's METADATA through HTTP range requests: the tail of the file (usually holding the
    /// central directory and the `.dist-info` entries), then whatever else the zip reader needs.
    /// `None` when the server does not do ranges (or the ranges do not add up): the caller then
    /// downloads the whole file, which also reports a damaged wheel properly.
    async fn range_metadata(
        &self,
        file: &DistFile,
        project: &str,
    ) -> Result<Option<Vec<u8>>, IndexError> {
        let url = file.url.get();
        let host = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or_default()
        );
        let no_range_hosts = &self.inner.no_range_hosts;
        let lock = || {
            no_range_hosts
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if lock().contains(&host) {
            return Ok(None);
        }
        let tail = format!("bytes=-{}", zip_entry::TAIL_SIZE);
        let (start, bytes, len) = match self.range(url, tail).await? {
            Ok(found) => found,
            Err(status) => {
                if status.is_success() || status == StatusCode::RANGE_NOT_SATISFIABLE {
                    debug!("{host} does not serve byte ranges: downloading whole wheels");
                    lock().insert(host);
                }
                return Ok(None);
            }
        };
        let mut reader = ZipEntryReader::new(len, zip_entry::select_wheel_metadata(project));
        reader.add(start, bytes);
        // Tail, directory, entry: a well-formed wheel never needs more requests than this.
        for _ in 0..4 {
            match reader.step() {
                Ok(Step::Done(bytes)) => return Ok(Some(bytes)),
                Ok(Step::Need(need)) => {
                    let range = format!("bytes={}-{}", need.start, need.end - 1);
                    match self.range(url, range).await? {
                        Ok((start, bytes, _)) if start == need.start => reader.add(start, bytes),
                        _ => return Ok(None),
                    }
                }
                Err(err) => {
                    let url = auth::redacted(url);
                    debug!("{url}: reading the metadata through ranges failed: {err}");
                    return Ok(None);
                }
            }
        }
        Ok(None)
    }

    /// One range request: `Ok((start, bytes, file length))` on a usable 206, else the status.
    async fn range(
        &self,
        url: &Url,
        range: String,
    ) -> Result<Result<(u64, Vec<u8>, u64), StatusCode>, IndexError> {
        let http = &self.inner.http;
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(&range).expect("ASCII"));
        // The byte offsets are those of the file itself, never of a compressed transfer.
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        let headers = &headers;
        http.retry(url, || async move {
            let fetch = http.get(url, headers.clone()).await?;
            let status = fetch.response.status();
            let content_range = parse_content_range(fetch.response.headers());
            let (StatusCode::PARTIAL_CONTENT, Some((start, end, len))) = (status, content_range)
            else {
                // Dropping the response abandons the transfer of a whole wheel.
                return Ok(Err(status));
            };
            let body = fetch
                .response
                .bytes()
                .await
                .map_err(|err| network_error(url, err))?;
            if body.len() as u64 != end - start + 1 {
                return Ok(Err(status));
            }
            Ok(Ok((start, body.to_vec(), len)))
        })
        .await
    }

    /// Whether entries derived from `file` may be reused: always when a hash pins its content,
    /// else unless `--refresh` asks for it again. Offline, whatever is there is used.
    fn reuse_unpinned(&self, file: &DistFile) -> bool {
        self.inner.offline
            || file.sha256.is_some()
            || !file
                .dist()
                .is_some_and(|dist| self.inner.refresh.refetch_unpinned(dist.name()))
    }

    /// The file in the download cache, if it is there.
    fn cached_download(&self, file: &DistFile) -> Option<PathBuf> {
        let path = self
            .inner
            .cache
            .entry(Bucket::Files, &file.cache_key())?
            .join(&file.filename);
        path.is_file().then_some(path)
    }

    /// Downloads `file` into the cache (checking the index's sha256 when there is one) and
    /// returns its path. A `file://` URL is its own path. Under `--no-cache` the file lives in a
    /// directory removed when the last clone of this client is dropped.
    pub(crate) async fn download(&self, file: &DistFile) -> Result<PathBuf, IndexError> {
        self.inner
            .downloads
            .get_or_try_init(file.url.get().clone(), || async {
                self.download_uncached(file).await.map_err(Arc::new)
            })
            .await
            .map_err(IndexError::unshare)
    }

    /// Whether `file` was downloaded over the network by this client, rather than found in the
    /// cache: sync moves such a wheel's unpacked tree into the venv instead of caching it.
    pub(crate) fn fetched(&self, file: &DistFile) -> bool {
        self.inner
            .fetched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(file.url.get())
    }

    /// Report the bytes of every download from now on to `observer`.
    pub(crate) fn observe_downloads(&self, observer: Arc<dyn DownloadObserver>) {
        if let Ok(mut slot) = self.inner.observer.write() {
            *slot = Some(observer);
        }
    }

    /// Download `file` afresh, past the cache: for a cached copy found altered (its bytes no
    /// longer match the lockfile's hash), which is removed first.
    pub(crate) async fn download_again(&self, file: &DistFile) -> Result<PathBuf, IndexError> {
        if let Some(path) = self.cached_download(file) {
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_file(crate::fsutil::sha256_stamp_path(&path));
        }
        self.download_uncached(file).await
    }

    /// The sha256 of `file`: the published one, else that of the downloaded file.
    pub(crate) async fn file_sha256(&self, file: &DistFile) -> Result<String, IndexError> {
        if let Some(sha256) = &file.sha256 {
            return Ok(sha256.clone());
        }
        let path = self.download(file).await?;
        hash_file(path).await
    }

    async fn download_uncached(&self, file: &DistFile) -> Result<PathBuf, IndexError> {
        let inner = &*self.inner;
        let url = file.url.get();
        if url.scheme() == "file" {
            let path = file_path(url)?;
            if let Some(expected) = &file.sha256 {
                let actual = hash_file(path.clone()).await?;
                check_hash(url, expected, actual)?;
            }
            return Ok(path);
        }
        if self.reuse_unpinned(file)
            && let Some(path) = self.cached_download(file)
        {
            debug!("{}: in the cache", auth::redacted(url));
            return Ok(path);
        }
        if inner.offline {
            return Err(IndexError::Offline { url: url.clone() });
        }
        let scratch = std::env::temp_dir();
        let dir = inner
            .cache
            .file_dir(&file.cache_key())
            .map_err(io_error(&scratch))?;
        fs_err::create_dir_all(&dir).map_err(io_error(&dir))?;
        let http = &inner.http;
        let dir = &dir;
        let observer = inner.observer.read().ok().and_then(|slot| slot.clone());
        let observer = &observer;
        let (temp, actual) = http
            .retry(url, || async move {
                let mut headers = HeaderMap::new();
                // Bytes as stored: a server that marks a .tar.gz `Content-Encoding: gzip` must
                // not get it unpacked (pip asks for `identity` for the same reason).
                headers.insert(
                    header::ACCEPT_ENCODING,
                    HeaderValue::from_static("identity"),
                );
                let fetch = http.get(url, headers).await?;
                let status = fetch.response.status();
                if !status.is_success() {
                    return Err(Failure::Fatal(IndexError::Status {
                        url: url.clone(),
                        status,
                    }));
                }
                let mut response = fetch.response;
                let temp = crate::fsutil::AtomicFile::new_in(dir).map_err(io_error(dir))?;
                let std_file = temp.as_file().try_clone().map_err(io_error(temp.path()))?;
                // Written in place, not through tokio::fs (a thread hand-off per write of a
                // 16 KiB frame): a 256 KiB buffer makes a write to the page cache every few
                // frames, briefly.
                let mut out = std::io::BufWriter::with_capacity(DOWNLOAD_BUFFER, std_file);
                let mut hasher = Sha256::new();
                let mut size = 0u64;
                while let Some(chunk) = response
                    .chunk()
                    .await
                    .map_err(|err| network_error(url, err))?
                {
                    hasher.update(&chunk);
                    size += chunk.len() as u64;
                    if let Some(observer) = observer {
                        observer.received(&file.filename, chunk.len() as u64);
                    }
                    out.write_all(&chunk).map_err(io_error(temp.path()))?;
                }
                out.flush().map_err(io_error(temp.path()))?;
                // A body cut short behind a matching Content-Length (a proxy that lost the
                // rest) or a lying length: the index's size says so; try again.
                if let Some(expected) = file.size
                    && expected != size
                {
                    let err = IndexError::WrongSize {
                        url: url.clone(),
                        expected,
                        actual: size,
                    };
                    return Err(Failure::Transient(err, None));
                }
                Ok((temp, hex::encode(hasher.finalize())))
            })
            .await?;
        if let Some(expected) = &file.sha256 {
            check_hash(url, expected, actual.clone())?;
        }
        let path = dir.join(&file.filename);
        temp.persist(&path).map_err(io_error(&path))?;
        // Hashed as it streamed in: verifying it against a lockfile need not read it again.
        crate::fsutil::remember_sha256(&path, &actual);
        inner
            .fetched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(url.clone());
        debug!(
            "{}: downloaded to `{}`",
            auth::redacted(url),
            path.display()
        );
        Ok(path)
    }
}

/// The write buffer of a download.
const DOWNLOAD_BUFFER: usize = 256 << 10;

fn check_hash(url: &Url, expected: &str, actual: String) -> Result<(), IndexError> {
    if actual.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(IndexError::HashMismatch {
            url: url.clone(),
            expected: expected.to_string(),
            actual,
        })
    }
}

async fn hash_file(path: PathBuf) -> Result<String, IndexError> {
    tokio::task::spawn_blocking(move || crate::fsutil::sha256_file(&path).map_err(io_error(&path)))
        .await
        .expect("hashing does not panic")
}

async fn read_archive_metadata(path: PathBuf, file: &DistFile) -> Result<Vec<u8>, IndexError> {
    let Some(dist) = file.dist().cloned() else {
        return Err(IndexError::InvalidFilename {
            url: file.url.get().clone(),
            filename: file.filename.clone(),
        });
    };
    tokio::task::spawn_blocking(move || archive::read_metadata(&path, &dist))
        .await
        .expect("reading an archive does not panic")
        .map_err(|source| IndexError::Archive {
            url: file.url.get().clone(),
            source,
        })
}

/// A `file://` index page or find-links location. A directory of an index is read through its
/// `index.html` (as pip does); a find-links directory is listed. A missing page is an empty one.
fn local_page(url: &Url, find_links: bool) -> Result<Vec<IndexFile>, IndexError> {
    let path = file_path(url)?;
    if find_links && path.is_dir() {
        return list_directory(&path);
    }
    let (page, base) = if path.is_dir() {
        (path.join("index.html"), as_directory(url.clone()))
    } else {
        (path, url.clone())
    };
    match fs_err::read(&page) {
        Ok(bytes) => simple::parse_page(Some("text/html"), &bytes, &base).map_err(|reason| {
            IndexError::InvalidPage {
                url: url.clone(),
                reason,
            }
        }),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(io_error(&page)(source)),
    }
}
