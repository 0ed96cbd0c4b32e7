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

    /// Whether neither timestamp is within [`SETTLE`] of `now` (or after it).
    fn settled(&self, now: SystemTime) -> bool {
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

/// One `.dist-info` found whole by a full check.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Entry {
    /// Its `RECORD`.
    record: Stamp,
    /// Every directory holding a file the `RECORD` names.
    dirs: Vec<(PathBuf, Stamp)>,
    /// The files it names outside the folder holding the `.dist-info` (scripts, data): what
    /// `SitePackages::owns` answers for.
    pub(super) outside: Vec<PathBuf>,
}

impl Entry {
    /// The entry for a `RECORD` just found whole: None when a directory changed too recently
    /// to be trusted (or a stamp cannot be taken).
    pub(super) fn new(
        record: &Path,
        dirs: impl IntoIterator<Item = PathBuf>,
        outside: Vec<PathBuf>,
        started: SystemTime,
    ) -> Option<Entry> {
        let record = Stamp::of(record)?;
        let dirs = dirs
            .into_iter()
            .map(|dir| {
                let stamp = Stamp::of(&dir).filter(|stamp| stamp.settled(started))?;
                Some((dir, stamp))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Entry {
            record,
            dirs,
            outside,
        })
    }

    /// Whether `record` and every directory are as they were.
    pub(super) fn still_holds(&self, record: &Path) -> bool {
        Stamp::of(record) == Some(self.record)
            && self
                .dirs
                .iter()
                .all(|(dir, stamp)| Stamp::of(dir) == Some(*stamp))
    }
}

/// The entries of one environment, by `.dist-info` path.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Checked {
    pub(super) dists: HashMap<PathBuf, Entry>,
    /// Some entry was made by a full check in this run (never stored).
    #[serde(skip)]
    pub(super) refreshed: bool,
}

/// Bumped when [`Checked`] changes shape: older files are then ignored.
const VERSION: u32 = 1;

impl Checked {
    /// The cache file of the environment whose `purelib` is `site_packages`.
    pub(super) fn path(cache_dir: &Path, site_packages: &Path) -> PathBuf {
        use sha2::{Digest, Sha256};
        let digest = hex::encode(Sha256::digest(site_packages.as_os_str().as_encoded_bytes()));
        cache_dir
            .join("site-packages-v1")
            .join(format!("{}.bin", &digest[..16]))
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
        let record = dir.path().join("RECORD");
        std::fs::write(&record, "pkg/a.py,,\npkg/b.py,,\n").unwrap();
        // As if checked a while after the install.
        let later = SystemTime::now() + Duration::from_secs(5);
        let entry = Entry::new(&record, [package.clone()], Vec::new(), later).unwrap();
        assert!(entry.still_holds(&record));
        std::fs::remove_file(package.join("b.py")).unwrap();
        assert!(!entry.still_holds(&record));
    }

    #[test]
    fn a_directory_changed_just_now_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("RECORD");
        std::fs::write(&record, "").unwrap();
        let entry = Entry::new(
            &record,
            [dir.path().to_path_buf()],
            Vec::new(),
            SystemTime::now(),
        );
        assert!(entry.is_none());
    }
}
