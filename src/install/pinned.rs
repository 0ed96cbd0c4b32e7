//! The pins a sync last found in its lockfiles, remembered by the stat data of every file it
//! read, so that a no-op sync need not parse them again: a hash-pinned lockfile of 110 pins is
//! 244 KB, 10.6 million instructions to parse, more than half of such a sync.
//!
//! Kept only for lockfiles without direct references or editables (their names and versions
//! come from elsewhere) and without `${VAR}` (its expansion depends on the environment), and
//! only for the marker environment they were evaluated in. Any change to a file it read
//! (inode, size, mtime, ctime: ctime cannot be set back) means a full parse. Only a no-op is
//! decided from them: when anything is to change, sync parses the lockfiles as always.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, PackageName};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::debug;

use super::DesiredDist;
use super::checked::Stamp;

/// Bumped when [`Remembered`] changes shape.
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Remembered {
    /// Every file the lockfiles' parse read, absolute, with its stamp then.
    files: Vec<(PathBuf, Stamp)>,
    /// A digest of the marker environment the pins were evaluated in.
    markers: String,
    /// Name and version of each pin, as `DesiredDist`s of index pins.
    pins: Vec<(String, String)>,
}

/// What the cache holds for these lockfiles, while every file it read is unchanged.
pub(crate) struct RememberedPins {
    remembered: Remembered,
}

/// `<cache>/sync-pins-v1/<digest of the lockfiles' absolute paths>.bin`; None for standard
/// input.
fn cache_file(cache_dir: &Path, lockfiles: &[PathBuf]) -> Option<PathBuf> {
    let mut hasher = Sha256::new();
    for lockfile in lockfiles {
        if lockfile == Path::new("-") {
            return None;
        }
        let absolute = std::path::absolute(lockfile).ok()?;
        hasher.update(absolute.as_os_str().as_encoded_bytes());
        hasher.update([0]);
    }
    let digest = hex::encode(&hasher.finalize()[..16]);
    Some(cache_dir.join("sync-pins-v1").join(format!("{digest}.bin")))
}

fn markers_digest(markers: &MarkerEnvironment) -> Option<String> {
    let json = serde_json::to_vec(markers).ok()?;
    Some(hex::encode(&Sha256::digest(json)[..16]))
}

impl RememberedPins {
    /// The remembered pins of `lockfiles`, if every file they were read from is unchanged.
    pub(crate) fn load(cache_dir: &Path, lockfiles: &[PathBuf]) -> Option<RememberedPins> {
        let bytes = std::fs::read(cache_file(cache_dir, lockfiles)?).ok()?;
        let (VERSION, remembered) = postcard::from_bytes::<(u32, Remembered)>(&bytes).ok()? else {
            return None;
        };
        let unchanged = remembered
            .files
            .iter()
            .all(|(path, stamp)| Stamp::of(path) == Some(*stamp));
        if !unchanged {
            debug!("a lockfile changed since its pins were remembered");
            return None;
        }
        Some(RememberedPins { remembered })
    }

    /// The pins, when they were evaluated in `markers`.
    pub(crate) fn desired(&self, markers: &MarkerEnvironment) -> Option<Vec<DesiredDist>> {
        if markers_digest(markers)? != self.remembered.markers {
            return None;
        }
        self.remembered
            .pins
            .iter()
            .map(|(name, version)| {
                Some(DesiredDist {
                    name: PackageName::from_str(name).ok()?,
                    version: Version::from_str(version).ok()?,
                    requested: true,
                    direct_url: None,
                })
            })
            .collect()
    }

    /// Remember `desired` (index pins only) for `lockfiles`, read from `files` by a parse that
    /// started at `started`, under `markers`. Not when a file holds `${`, or changed within a
    /// second of the parse (its stamp might then be of a later content than the pins: the
    /// settling rule of `checked.rs`); a failure only costs the next sync a parse. A symlink
    /// is stamped with what it points to.
    pub(crate) fn save(
        cache_dir: &Path,
        lockfiles: &[PathBuf],
        files: &[PathBuf],
        markers: &MarkerEnvironment,
        desired: &[DesiredDist],
        started: std::time::SystemTime,
    ) {
        let (Some(path), Some(markers)) =
            (cache_file(cache_dir, lockfiles), markers_digest(markers))
        else {
            return;
        };
        if desired.iter().any(|d| d.direct_url.is_some()) {
            return;
        }
        let mut stamped: Vec<(PathBuf, Stamp)> = Vec::new();
        for file in lockfiles.iter().chain(files) {
            let Ok(absolute) = std::path::absolute(file) else {
                return;
            };
            let Ok(canonical) = std::fs::canonicalize(&absolute) else {
                return;
            };
            for path in [absolute, canonical] {
                if stamped.iter().any(|(seen, _)| *seen == path) {
                    continue;
                }
                match Stamp::of(&path) {
                    Some(stamp) if stamp.settled(started) => stamped.push((path, stamp)),
                    _ => return,
                }
            }
            match std::fs::read_to_string(file) {
                Ok(content) if !content.contains("${") => {}
                _ => return,
            }
        }
        let remembered = Remembered {
            files: stamped,
            markers,
            pins: desired
                .iter()
                .map(|d| (d.name.to_string(), d.version.to_string()))
                .collect(),
        };
        let written = postcard::to_stdvec(&(VERSION, &remembered))
            .map_err(std::io::Error::other)
            .and_then(|bytes| {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                crate::fsutil::write_atomic(&path, &bytes)
            });
        if let Err(err) = written {
            debug!("cannot write `{}`: {err}", path.display());
        }
    }
}
