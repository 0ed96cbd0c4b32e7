//! File primitives every module shares: the atomic write and a file's sha256.
//!
//! One place owns "write next to the destination, then rename over it", so that no output
//! file (a lockfile, a cache entry, a file in a venv) is ever seen half-written. Errors are
//! plain `io::Error`s: callers wrap them into their own module's error, naming the path.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

/// A file being written in the folder of its destination; [`AtomicFile::persist`] renames it
/// over the destination in one step, so readers see the old content or the new, never half.
/// Dropped without `persist`, it is deleted.
///
/// On Unix it is created with mode `0o600` (tempfile's default); callers that want other
/// permissions set them through [`AtomicFile::as_file`] before persisting.
pub(crate) struct AtomicFile(tempfile::NamedTempFile);

impl AtomicFile {
    /// A temporary file in `dir`, which must exist. It has to be the destination's folder: a
    /// rename is atomic only within one file system.
    pub(crate) fn new_in(dir: &Path) -> io::Result<Self> {
        tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(dir)
            .map(Self)
    }

    /// A temporary file in the folder of `path` (the current one for a bare file name).
    pub(crate) fn for_path(path: &Path) -> io::Result<Self> {
        Self::new_in(parent_dir(path))
    }

    /// Where the content goes until [`AtomicFile::persist`].
    pub(crate) fn path(&self) -> &Path {
        self.0.path()
    }

    pub(crate) fn as_file(&self) -> &File {
        self.0.as_file()
    }

    /// Rename the file to `path`, replacing what is there.
    pub(crate) fn persist(self, path: &Path) -> io::Result<()> {
        self.0.persist(path).map_err(|err| err.error)?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Write `bytes` to `path` through a temporary file in the same folder and a rename. The
/// folder must exist.
///
/// Not flushed to disk before the rename: a flush per cache entry and per installed script
/// would cost every run, for the rare power loss. Files the user keeps (the lockfile) go
/// through [`write_atomic_synced`].
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::for_path(path)?;
    file.write_all(bytes)?;
    file.persist(path)
}

/// [`write_atomic`], with the content on disk before the rename: after a crash the file holds
/// the old content or the new one, not an empty file.
pub(crate) fn write_atomic_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::for_path(path)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path)
}

/// The sha256 of the file at `path`, as lowercase hex (the form of `--hash=sha256:` and of the
/// index's digests). Read in chunks: wheels can be large.
pub(crate) fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return Ok(hex::encode(hasher.finalize())),
            Ok(read) => hasher.update(&buffer[..read]),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomic(&path, b"old").unwrap();
        write_atomic_synced(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_unpersisted_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = AtomicFile::new_in(dir.path()).unwrap();
        file.write_all(b"partial").unwrap();
        drop(file);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn sha256_of_a_file_is_lowercase_hex() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            sha256_file(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
