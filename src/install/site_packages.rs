//! The distributions installed in an environment, read from their `.dist-info` folders
//! (PEP 376 / the "Recording installed projects" specification).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::SystemTime;

use pep440_rs::Version;
use pep508_rs::PackageName;
use tracing::{debug, warn};

use super::checked::{Base, Checked, Entry};
use super::uninstall::{PARTIAL_RECORD, normalize};
use super::{InstallError, record};
use crate::metadata::CoreMetadata;
use crate::python::Interpreter;

/// A distribution installed in `site-packages`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InstalledDist {
    /// The normalized name.
    pub(crate) name: PackageName,
    pub(crate) version: Version,
    /// The `.dist-info` folder (or a legacy `.egg-info` folder).
    pub(crate) dist_info: PathBuf,
    /// `direct_url.json` (PEP 610): installed from a URL, a path, or as editable.
    pub(crate) direct_url: Option<serde_json::Value>,
    /// Why the install is incomplete, when it is: a sync reinstalls or removes it.
    pub(crate) broken: Option<Broken>,
}

/// How an installed distribution is incomplete. `RECORD` is an install's commit point: it is
/// written after every file it lists, and removed after them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Broken {
    /// A `.dist-info` without `RECORD`: an install was stopped before it finished.
    NoRecord,
    /// `RECORD` lists files that are gone: an uninstall was stopped, or files were deleted.
    MissingFiles(usize),
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoRecord => f.write_str("no RECORD"),
            Self::MissingFiles(1) => f.write_str("1 file of its RECORD is missing"),
            Self::MissingFiles(n) => write!(f, "{n} files of its RECORD are missing"),
        }
    }
}

impl InstalledDist {
    /// The first line of `INSTALLER`: `pip`, `uv`, `pinion`, ... Read when asked: a no-op sync
    /// must not open a file per distribution.
    #[cfg(test)]
    pub(crate) fn installer(&self) -> Option<String> {
        read_small(&self.dist_info.join("INSTALLER")).and_then(|content| {
            let first = content.lines().next()?.trim();
            (!first.is_empty()).then(|| first.to_string())
        })
    }

    /// Whether `REQUESTED` exists: the user asked for it, it is not only a dependency.
    #[cfg(test)]
    pub(crate) fn requested(&self) -> bool {
        self.dist_info.join("REQUESTED").exists()
    }

    /// Whether this is a legacy setuptools `.egg-info` folder rather than a `.dist-info`.
    pub(crate) fn is_egg_info(&self) -> bool {
        self.dist_info
            .extension()
            .is_some_and(|extension| extension == "egg-info")
    }
}

/// The distributions of an environment's `purelib` and `platlib`, sorted by name.
#[derive(Clone, Debug, Default)]
pub(crate) struct SitePackages {
    dists: Vec<InstalledDist>,
    /// Indices into `dists`; more than one when a broken environment holds two copies.
    by_name: HashMap<PackageName, Vec<usize>>,
    /// Every file outside site-packages that some distribution's `RECORD` (or an interrupted
    /// install's partial list) names, lexically normalized: an install may replace these, and
    /// no other file outside site-packages (the interpreter, `pyvenv.cfg`, activation scripts).
    owned: HashSet<PathBuf>,
}

impl SitePackages {
    /// Read the environment's distributions.
    ///
    /// This is on the path of every no-op sync, so it reads directory listings and, per
    /// distribution, `direct_url.json` (small, and absent for most: looked for only when the
    /// cache does not know), and checks that the files its `RECORD` lists are there (to find
    /// interrupted installs and uninstalls) without reading them. Name and version come from the folder name; `METADATA` is read only when
    /// the folder name's version does not parse.
    pub(crate) fn read(interpreter: &Interpreter) -> Result<SitePackages, InstallError> {
        Self::read_cached(interpreter, None)
    }

    /// [`SitePackages::read`], with what earlier checks of `RECORD`s found kept under
    /// `cache_dir` (see `checked.rs`): a distribution none of whose directories changed since
    /// is not looked at file by file again.
    pub(crate) fn read_cached(
        interpreter: &Interpreter,
        cache_dir: Option<&Path>,
    ) -> Result<SitePackages, InstallError> {
        // Before anything is looked at: a directory changed after this is not trusted.
        let started = SystemTime::now();
        let mut roots = vec![&interpreter.scheme.purelib];
        // platlib is usually purelib, but may be spelled through a symlink (`lib64 -> lib`).
        if !same_dir(&interpreter.scheme.purelib, &interpreter.scheme.platlib) {
            roots.push(&interpreter.scheme.platlib);
        }
        let state = cache_dir.map(|dir| Checked::path(dir, &interpreter.scheme.purelib));
        let mut before = state.as_deref().map(Checked::read).unwrap_or_default();
        let mut after = Checked::default();
        let mut changed = false;
        let mut dists = Vec::new();
        let mut owned = HashSet::new();
        for root in roots {
            let base = Base::open(normalize(root));
            let cached = before.take(base.path());
            let (entries, changed_here) =
                read_root(root, &base, &mut dists, &mut owned, cached, started)?;
            changed |= changed_here;
            after.roots.push((base.path().to_path_buf(), entries));
        }
        // Entries of a root that is no longer one are dropped.
        changed |= !before.roots.is_empty();
        if let Some(state) = &state
            && changed
        {
            after.write(state);
        }
        let mut site_packages = SitePackages::from_dists(dists);
        site_packages.owned = owned;
        Ok(site_packages)
    }

    /// Whether some installed distribution lists `path` (absolute).
    pub(crate) fn owns(&self, path: &Path) -> bool {
        self.owned.contains(&normalize(path))
    }

    /// A set from distributions found elsewhere (and in tests).
    pub(crate) fn from_dists(mut dists: Vec<InstalledDist>) -> SitePackages {
        dists.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then_with(|| a.dist_info.cmp(&b.dist_info))
        });
        let mut by_name: HashMap<PackageName, Vec<usize>> = HashMap::new();
        for (index, dist) in dists.iter().enumerate() {
            by_name.entry(dist.name.clone()).or_default().push(index);
        }
        SitePackages {
            dists,
            by_name,
            owned: HashSet::new(),
        }
    }

    /// The distribution named `name`; the first of several if the environment is broken that way.
    #[cfg(test)]
    pub(crate) fn get(&self, name: &PackageName) -> Option<&InstalledDist> {
        self.by_name
            .get(name)
            .and_then(|indices| indices.first())
            .map(|&index| &self.dists[index])
    }

    /// Every installed copy of `name`.
    pub(crate) fn get_all(&self, name: &PackageName) -> impl Iterator<Item = &InstalledDist> {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(|&index| &self.dists[index])
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &InstalledDist> {
        self.dists.iter()
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(a), Ok(b)) if a == b
        )
}

/// The distributions of `root`, marked broken when they are, the paths outside `root` their lists
/// name collected into `owned`; and the entries of those found whole, with whether they differ
/// from `cached`'s (then the cache file is written again).
fn read_root(
    root: &Path,
    base: &Base,
    all: &mut Vec<InstalledDist>,
    owned: &mut HashSet<PathBuf>,
    mut cached: HashMap<String, Entry>,
    started: SystemTime,
) -> Result<(HashMap<String, Entry>, bool), InstallError> {
    let mut dists = Vec::new();
    read_dists(root, &mut dists)?;
    let mut paired = Vec::with_capacity(dists.len());
    for dist in &mut dists {
        if dist.is_egg_info() {
            dist.direct_url = read_direct_url(&dist.dist_info);
        } else if let Some(name) = folder_name(&dist.dist_info) {
            let entry = cached.remove(name);
            paired.push((dist, entry, false));
        }
    }
    confirm(base, &mut paired);
    // A distribution whose entry holds is whole.
    let mut entries = HashMap::with_capacity(paired.len());
    let mut unchecked = Vec::new();
    for (dist, entry, holds) in paired {
        match entry {
            Some(entry) if holds => {
                owned.extend(entry.outside.iter().cloned());
                if entry.direct_url {
                    dist.direct_url = read_direct_url(&dist.dist_info);
                }
                let name = folder_name(&dist.dist_info).unwrap_or_default();
                entries.insert(name.to_string(), entry);
            }
            other => unchecked.push((dist, other.is_some())),
        }
    }
    debug!(
        "`{}`: {} distributions as last checked, {} checked file by file",
        root.display(),
        entries.len(),
        unchecked.len()
    );
    // Entries of distributions gone, or no longer holding, are dropped.
    let mut changed = !cached.is_empty() || unchecked.iter().any(|(_, had)| *had);
    for (name, entry) in check_records(root, base, unchecked, owned, started) {
        changed = true;
        entries.insert(name, entry);
    }
    all.extend(dists);
    Ok((entries, changed))
}

/// Set the flag of each distribution whose entry still holds: a stat per directory, a couple
/// of thousand for a hundred packages, so split in two halves of about as many directories, one
/// on another thread: the critical path of a no-op sync (9.0 ms against 9.95 ms with one
/// thread, both under load).
fn confirm(base: &Base, paired: &mut [(&mut InstalledDist, Option<Entry>, bool)]) {
    let check = |(dist, entry, holds): &mut (&mut InstalledDist, Option<Entry>, bool)| {
        let record = folder_name(&dist.dist_info).map(|name| Path::new(name).join("RECORD"));
        *holds = matches!((entry, record), (Some(entry), Some(record)) if entry.still_holds(base, &record));
    };
    let weight = |entry: &Option<Entry>| entry.as_ref().map_or(0, Entry::size);
    let total: usize = paired.iter().map(|(_, entry, _)| weight(entry)).sum();
    // Below this a thread costs more than it saves.
    if total < 256 {
        paired.iter_mut().for_each(check);
        return;
    }
    let mut sum = 0;
    let half = paired
        .iter()
        .position(|(_, entry, _)| {
            sum += weight(entry);
            sum >= total / 2
        })
        .map_or(paired.len(), |at| at + 1);
    let (first, second) = paired.split_at_mut(half);
    std::thread::scope(|scope| {
        scope.spawn(|| first.iter_mut().for_each(check));
        second.iter_mut().for_each(check);
    });
}

/// The name of a `.dist-info` folder, as the cache keys it.
fn folder_name(dist_info: &Path) -> Option<&str> {
    dist_info.file_name().and_then(|name| name.to_str())
}

fn read_dists(root: &Path, dists: &mut Vec<InstalledDist>) -> Result<(), InstallError> {
    let entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        // A fresh or foreign environment may not have created it yet: nothing installed.
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            debug!("`{}` does not exist", root.display());
            return Ok(());
        }
        Err(source) => return Err(InstallError::io("read the directory", root)(source)),
    };
    for entry in entries {
        let entry = entry.map_err(InstallError::io("read the directory", root))?;
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let (stem, egg) = if let Some(stem) = file_name.strip_suffix(".dist-info") {
            (stem, false)
        } else if let Some(stem) = file_name.strip_suffix(".egg-info") {
            (stem, true)
        } else {
            continue;
        };
        let path = entry.path();
        // `DirEntry::file_type` comes with the listing; only a symlink costs a stat. A
        // distutils `.egg-info` *file* has nothing to uninstall by and is skipped.
        let is_dir = match entry.file_type() {
            Ok(file_type) if file_type.is_symlink() => path.is_dir(),
            Ok(file_type) => file_type.is_dir(),
            Err(_) => false,
        };
        if !is_dir {
            debug!("skipping `{}`: not a directory", path.display());
            continue;
        }
        if let Some(dist) = read_dist(&path, stem, egg) {
            dists.push(dist);
        }
    }
    Ok(())
}

/// Check the files of each of `dists`' lists one by one (16,000 for a hundred packages), on
/// every core: mark the broken ones, collect the paths outside `root` their lists name into
/// `owned`, and return the entries of those found whole.
fn check_records(
    root: &Path,
    base: &Base,
    dists: Vec<(&mut InstalledDist, bool)>,
    owned: &mut HashSet<PathBuf>,
    started: SystemTime,
) -> Vec<(String, Entry)> {
    if dists.is_empty() {
        return Vec::new();
    }
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(dists.len());
    let checks = std::sync::Mutex::new(dists.into_iter().map(|(dist, _)| dist));
    let found = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut mine = HashSet::new();
                let mut entries = Vec::new();
                loop {
                    let next = checks.lock().unwrap_or_else(|e| e.into_inner()).next();
                    let Some(dist) = next else { break };
                    let Some(name) = folder_name(&dist.dist_info).map(str::to_string) else {
                        continue;
                    };
                    dist.direct_url = read_direct_url(&dist.dist_info);
                    let direct_url = dist.direct_url.is_some();
                    let checked = check_record(root, base, &name, &mut mine, direct_url, started);
                    dist.broken = checked.0;
                    if let Some(entry) = checked.1 {
                        entries.push((name, entry));
                    }
                }
                found
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((mine, entries));
            });
        }
    });
    let mut all = Vec::new();
    for (paths, entries) in found.into_inner().unwrap_or_else(|e| e.into_inner()) {
        owned.extend(paths);
        all.extend(entries);
    }
    all
}

/// One distribution, or `None` (with a warning) for a folder that names no valid project, such
/// as the `~ip-23.0.dist-info` pip leaves behind when an upgrade of itself fails; pip ignores
/// those too ("Ignoring invalid distribution").
fn read_dist(path: &Path, stem: &str, egg: bool) -> Option<InstalledDist> {
    let (name, version) = match stem.split_once('-') {
        Some((name, version)) => (name, version),
        None => (stem, ""),
    };
    let Ok(name) = PackageName::from_str(name) else {
        warn!("ignoring invalid distribution `{}`", path.display());
        return None;
    };
    // `.egg-info` folders may carry a Python tag: `name-1.0-py3.11.egg-info`.
    let version = if egg {
        version.split('-').next().unwrap_or_default()
    } else {
        version
    };
    let version = match Version::from_str(version) {
        Ok(version) => version,
        Err(_) => version_from_metadata(path, egg)?,
    };
    Some(InstalledDist {
        name,
        version,
        dist_info: path.to_path_buf(),
        // Read once the cache says whether there is one (`read_root`).
        direct_url: None,
        broken: None,
    })
}

/// `direct_url.json` (PEP 610), when the `.dist-info` has one.
fn read_direct_url(dist_info: &Path) -> Option<serde_json::Value> {
    read_small(&dist_info.join("direct_url.json")).and_then(|content| {
        serde_json::from_str(&content)
            .inspect_err(|err| warn!("ignoring `{}/direct_url.json`: {err}", dist_info.display()))
            .ok()
    })
}

/// Whether the files `RECORD` lists are all there (recording those outside `root` in `owned`),
/// or why not; and, when they are, what to remember of it (see [`Entry`]).
fn check_record(
    root: &Path,
    base: &Base,
    name: &str,
    owned: &mut HashSet<PathBuf>,
    direct_url: bool,
    started: SystemTime,
) -> (Option<Broken>, Option<Entry>) {
    let dist_info = root.join(name);
    let (content, complete) = match std::fs::read(dist_info.join("RECORD")) {
        Ok(content) => (content, true),
        Err(_) => match std::fs::read(dist_info.join(PARTIAL_RECORD)) {
            Ok(partial) => (partial, false),
            Err(_) => return (Some(Broken::NoRecord), None),
        },
    };
    let entries = match record::parse(&content, &dist_info) {
        Ok(entries) => entries,
        Err(err) => {
            warn!("`{}`: {err}", dist_info.display());
            return (Some(Broken::NoRecord), None);
        }
    };
    let root = base.path();
    let mut missing = 0;
    // The `.dist-info` itself too, whether or not its `RECORD` names itself: its timestamps
    // tell whether `direct_url.json` came or went.
    let mut dirs = HashSet::from([root.join(name)]);
    let mut outside = Vec::new();
    for entry in entries {
        let path = normalize(&root.join(&entry.path));
        if complete && std::fs::symlink_metadata(&path).is_err() && !path.ends_with("RECORD") {
            missing += 1;
        }
        if let Some(dir) = path.parent() {
            dirs.insert(dir.to_path_buf());
        }
        if !path.starts_with(root) {
            outside.push(path);
        }
    }
    owned.extend(outside.iter().cloned());
    let record = Path::new(name).join("RECORD");
    match (complete, missing) {
        (false, _) => (Some(Broken::NoRecord), None),
        (true, 0) => (
            None,
            Entry::new(base, &record, dirs, outside, direct_url, started),
        ),
        (true, n) => (Some(Broken::MissingFiles(n)), None),
    }
}

/// The version from `METADATA` (`PKG-INFO` for `.egg-info`), when the folder name lacks one.
fn version_from_metadata(path: &Path, egg: bool) -> Option<Version> {
    let file = path.join(if egg { "PKG-INFO" } else { "METADATA" });
    let parsed = std::fs::read(&file)
        .map_err(|err| err.to_string())
        .and_then(|content| CoreMetadata::parse(&content).map_err(|err| err.to_string()));
    match parsed {
        Ok(metadata) => Some(metadata.version),
        Err(err) => {
            warn!("ignoring invalid distribution `{}`: {err}", path.display());
            None
        }
    }
}

/// A small text file's content; `None` when absent or unreadable (these files are optional).
fn read_small(path: &Path) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(content) => Some(content),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => {
            warn!("cannot read `{}`: {err}", path.display());
            None
        }
    }
}
