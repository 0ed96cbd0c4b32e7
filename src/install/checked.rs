//! What the last full check of each `.dist-info` found, kept in the cache so that a no-op sync
//! need not look up every file every `RECORD` names (16,000 for a hundred packages, most of a
//! no-op sync's time).
//!
//! Removing or renaming a file changes its directory's mtime and ctime (POSIX: unlink and rename
//! update the parent's timestamps). So when a `RECORD` is still the file the last check read
//! (inode, size, mtime) and none of the directories holding the files it names has changed
//! since, every file it named then is still there: the check stats those directories (about a
//! tenth as many) instead of every file. Anything else (a changed directory, a new `RECORD`, no
//! cache) falls back to the full check, whose result is cached again.
//!
//! The `.dist-info` folder is one of those directories, so while an entry holds, whether the
//! distribution has a `direct_url.json` is known without looking for it; the stats go through
//! a descriptor of the site-packages folder, with paths relative to it.
//!
//! A directory changed less than [`SETTLE`] before the check is not trusted: a file removed in
//! the same tick of the file system's clock would leave its timestamps as they were (git's
//! "racily clean" entries). Such a distribution is checked in full until it settles.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tracing::debug;

/// How long a directory must have been left alone for its timestamps to be trusted.
const SETTLE: Duration = Duration::from_secs(1);

/// What identifies one state of a file or directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Stamp {
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    /// `path`'s stamp, without following a last symlink; None when it is gone (or off Unix,
    /// where nothing is cached).
    pub(super) fn of(path: &Path) -> Option<Stamp> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::symlink_metadata(path).ok()?;
            Some(Stamp {
                ino: meta.ino(),
                size: meta.size(),
                mtime: (meta.mtime(), meta.mtime_nsec()),
                ctime: (meta.ctime(), meta.ctime_nsec()),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            None
        }
    }

    /// The fields of `stat` (whose types differ between architectures), as `Stamp::of` takes
    /// them from `std::fs::Metadata`.
    #[cfg(target_os = "linux")]
    #[allow(clippy::unnecessary_cast)]
    fn from_stat(stat: &rustix::fs::Stat) -> Stamp {
        Stamp {
            ino: stat.st_ino as u64,
            size: stat.st_size as u64,
            mtime: (stat.st_mtime as i64, stat.st_mtime_nsec as i64),
            ctime: (stat.st_ctime as i64, stat.st_ctime_nsec as i64),
        }
    }

    /// Whether neither timestamp is within [`SETTLE`] of `now` (or after it).
    pub(super) fn settled(&self, now: SystemTime) -> bool {
        let Ok(now) = now.duration_since(UNIX_EPOCH) else {
            return false;
        };
        let limit = now.saturating_sub(SETTLE);
        let at = |(secs, nanos): (i64, i64)| {
            u64::try_from(secs).ok().map(|secs| {
                Duration::from_secs(secs) + Duration::from_nanos(u64::try_from(nanos).unwrap_or(0))
            })
        };
        [self.mtime, self.ctime]
            .into_iter()
            .all(|time| at(time).is_some_and(|time| time < limit))
    }
}

/// The folder a distribution's paths are looked up from (its site-packages), opened once: a
/// stat of `pkg/sub` relative to it walks two path components rather than a dozen, a quarter
/// less time per stat here (2,329 directories: 2.06 ms against 2.73 ms).
pub(super) struct Base {
    /// Lexically normalized, as the paths made relative to it.
    path: PathBuf,
    #[cfg(target_os = "linux")]
    dir: Option<rustix::fd::OwnedFd>,
}

impl Base {
    pub(super) fn open(path: PathBuf) -> Base {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{Mode, OFlags};
            // `O_PATH`: only looked up from, never read; a failure costs only the fast path.
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let dir = rustix::fs::open(&path, flags, Mode::empty()).ok();
            Base { path, dir }
        }
        #[cfg(not(target_os = "linux"))]
        Base { path }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// `path` relative to the base when it is inside it (`.` for the base itself), else as it
    /// is: how [`Entry`] keeps its directories.
    fn relative(&self, path: &Path) -> PathBuf {
        match path.strip_prefix(&self.path) {
            Ok(inside) if inside.as_os_str().is_empty() => PathBuf::from("."),
            Ok(inside) => inside.to_path_buf(),
            Err(_) => path.to_path_buf(),
        }
    }

    /// The stamp of `path`: relative to the base, or absolute.
    pub(super) fn stamp(&self, path: &Path) -> Option<Stamp> {
        #[cfg(target_os = "linux")]
        if let Some(dir) = &self.dir
            && path.is_relative()
        {
            let flags = rustix::fs::AtFlags::SYMLINK_NOFOLLOW;
            return rustix::fs::statat(dir, path, flags)
                .ok()
                .map(|stat| Stamp::from_stat(&stat));
        }
        Stamp::of(&self.path.join(path))
    }
}

/// One `.dist-info` found whole by a full check.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Entry {
    /// Its `RECORD`.
    record: Stamp,
    /// Every directory holding a file the `RECORD` names, and the `.dist-info` itself:
    /// relative to the site-packages when inside it.
    dirs: Vec<(PathBuf, Stamp)>,
    /// The files it names outside the folder holding the `.dist-info` (scripts, data): what
    /// `SitePackages::owns` answers for.
    pub(super) outside: Vec<PathBuf>,
    /// Whether the `.dist-info` held a `direct_url.json`. Adding or removing one changes the
    /// `.dist-info`'s timestamps, so while the entry holds only those that had one read it.
    pub(super) direct_url: bool,
}

impl Entry {
    /// The entry for a `RECORD` (`<name>.dist-info/RECORD`, relative to `base`) just found
    /// whole: None when a directory changed too recently to be trusted (or a stamp cannot be
    /// taken). `dirs` are lexically normalized absolute paths.
    pub(super) fn new(
        base: &Base,
        record: &Path,
        dirs: impl IntoIterator<Item = PathBuf>,
        outside: Vec<PathBuf>,
        direct_url: bool,
        started: SystemTime,
    ) -> Option<Entry> {
        let record = base.stamp(record)?;
        let dirs = dirs
            .into_iter()
            .map(|dir| {
                let dir = base.relative(&dir);
                let stamp = base.stamp(&dir).filter(|stamp| stamp.settled(started))?;
                Some((dir, stamp))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Entry {
            record,
            dirs,
            outside,
            direct_url,
        })
    }

    /// How many stats [`Entry::still_holds`] takes.
    pub(super) fn size(&self) -> usize {
        self.dirs.len() + 1
    }

    /// Whether `record` (relative to `base`) and every directory are as they were.
    pub(super) fn still_holds(&self, base: &Base, record: &Path) -> bool {
        base.stamp(record) == Some(self.record)
            && self
                .dirs
                .iter()
                .all(|(dir, stamp)| base.stamp(dir) == Some(*stamp))
    }
}

/// The entries of one environment: for each of its roots (purelib, and platlib when it is
/// another folder), by `.dist-info` folder name.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Checked {
    pub(super) roots: Vec<(PathBuf, HashMap<String, Entry>)>,
}

/// Bumped when [`Checked`] changes shape: older files are then ignored.
const VERSION: u32 = 2;

impl Checked {
    /// The cache file of the environment whose `purelib` is `site_packages`.
    pub(super) fn path(cache_dir: &Path, site_packages: &Path) -> PathBuf {
        use sha2::{Digest, Sha256};
        let digest = hex::encode(Sha256::digest(site_packages.as_os_str().as_encoded_bytes()));
        cache_dir
            .join("site-packages-v1")
            .join(format!("{}.bin", &digest[..16]))
    }

    /// Take the entries of `root` out (empty when there are none).
    pub(super) fn take(&mut self, root: &Path) -> HashMap<String, Entry> {
        match self.roots.iter().position(|(path, _)| path == root) {
            Some(at) => self.roots.swap_remove(at).1,
            None => HashMap::new(),
        }
    }

    /// What the file says; empty when it is missing or unreadable.
    pub(super) fn read(path: &Path) -> Checked {
        let Ok(bytes) = std::fs::read(path) else {
            return Checked::default();
        };
        match postcard::from_bytes::<(u32, Checked)>(&bytes) {
            Ok((VERSION, checked)) => checked,
            _ => {
                debug!(
                    "ignoring `{}`: not a cache file of this version",
                    path.display()
                );
                Checked::default()
            }
        }
    }

    /// Write it (atomically); a failure only costs the next sync a full check.
    pub(super) fn write(&self, path: &Path) {
        let written = postcard::to_stdvec(&(VERSION, self))
            .map_err(std::io::Error::other)
            .and_then(|bytes| {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                crate::fsutil::write_atomic(path, &bytes)
            });
        if let Err(err) = written {
            debug!("cannot write `{}`: {err}", path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removed_file_changes_its_directory_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let package = dir.path().join("pkg");
        std::fs::create_dir(&package).unwrap();
        std::fs::write(package.join("a.py"), "").unwrap();
        std::fs::write(package.join("b.py"), "").unwrap();
        std::fs::write(dir.path().join("RECORD"), "pkg/a.py,,\npkg/b.py,,\n").unwrap();
        let base = Base::open(dir.path().to_path_buf());
        let record = Path::new("RECORD");
        // As if checked a while after the install.
        let later = SystemTime::now() + Duration::from_secs(5);
        let entry = Entry::new(&base, record, [package.clone()], Vec::new(), false, later).unwrap();
        assert_eq!(entry.dirs[0].0, Path::new("pkg"));
        assert!(entry.still_holds(&base, record));
        std::fs::remove_file(package.join("b.py")).unwrap();
        assert!(!entry.still_holds(&base, record));
    }

    #[test]
    fn a_directory_changed_just_now_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("RECORD"), "").unwrap();
        let base = Base::open(dir.path().to_path_buf());
        let entry = Entry::new(
            &base,
            Path::new("RECORD"),
            [dir.path().to_path_buf()],
            Vec::new(),
            false,
            SystemTime::now(),
        );
        assert!(entry.is_none());
    }
}
