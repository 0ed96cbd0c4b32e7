//! File primitives every module shares: the atomic write, a file's sha256, and the bounded
//! read of a file a person gave as input.
//!
//! One place owns "write next to the destination, then rename over it", so that no output
//! file (a lockfile, a cache entry, a file in a venv) is ever seen half-written. Errors are
//! plain `io::Error`s: callers wrap them into their own module's error, naming the path.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

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
///
/// The file gets the mode of the file it replaces, or `0o666` less the umask for a new one, as
/// an editor or pip-compile's plain `open(..., "w")` would: a lockfile is for the whole team.
pub(crate) fn write_atomic_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::for_path(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match std::fs::metadata(path) {
            Ok(meta) => meta.permissions().mode() & 0o7777,
            Err(_) => 0o666 & !current_umask(),
        };
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path)
}

/// The process's umask, from `/proc/self/status` (Linux 4.7+): setting it to read it back
/// would race with threads that create cache files. Elsewhere the common `022`.
#[cfg(unix)]
fn current_umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Umask:"))
                .and_then(|mask| u32::from_str_radix(mask.trim(), 8).ok())
        })
        .unwrap_or(0o022)
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

/// [`sha256_file`] for a file of the download cache, remembered: the digest goes into
/// `<path>.sha256-stamp` with the file's size, mtime and inode, and is taken from there while
/// all three are unchanged (the trust pip and uv give their caches, and any change that alters
/// size, mtime or inode is seen). Files outside a writable folder are simply hashed.
pub(crate) fn sha256_file_remembered(path: &Path) -> io::Result<String> {
    let stamp_path = sha256_stamp_path(path);
    let before = std::fs::metadata(path)?;
    let key = stat_key(&before);
    if let (Some(key), Ok(stamp)) = (&key, std::fs::read_to_string(&stamp_path))
        && let Some((stamped, digest)) = stamp.trim_end().rsplit_once(' ')
        && stamped == key
        && digest.len() == 64
    {
        return Ok(digest.to_string());
    }
    let digest = sha256_file(path)?;
    if let Some(key) = key {
        write_sha256_stamp(&stamp_path, &key, &digest);
    }
    Ok(digest)
}

/// Remember `digest` for the file at `path`, as [`sha256_file_remembered`] would after hashing
/// it: for a download hashed while it was written, so that verifying it does not read it
/// again. The caller vouches that `digest` is of the bytes the file holds now.
pub(crate) fn remember_sha256(path: &Path, digest: &str) {
    if let Ok(meta) = std::fs::metadata(path)
        && let Some(key) = stat_key(&meta)
    {
        write_sha256_stamp(&sha256_stamp_path(path), &key, digest);
    }
}

/// `<path>.sha256-stamp`.
pub(crate) fn sha256_stamp_path(path: &Path) -> PathBuf {
    let mut stamp_path = path.as_os_str().to_owned();
    stamp_path.push(".sha256-stamp");
    PathBuf::from(stamp_path)
}

/// Size, mtime (s and ns) and inode: what a stamp compares.
fn stat_key(meta: &std::fs::Metadata) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(format!(
            "{} {} {} {}",
            meta.len(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ino()
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Best effort: a stamp that cannot be written only means hashing again next time.
fn write_sha256_stamp(stamp_path: &Path, key: &str, digest: &str) {
    let _ = (|| -> io::Result<()> {
        let mut temp = AtomicFile::for_path(stamp_path)?;
        temp.write_all(format!("{key} {digest}\n").as_bytes())?;
        temp.persist(stamp_path)
    })();
}

/// The most pinion reads of one input file (a requirements file, a lockfile, pyproject.toml):
/// far more than any real one, far less than what exhausts memory.
pub(crate) const MAX_INPUT_SIZE: u64 = 32 * 1024 * 1024;

/// Read a file a person named as input (a requirements file, an include, a lockfile,
/// pyproject.toml) as UTF-8 text. Only a regular file (after symlinks) of at most
/// [`MAX_INPUT_SIZE`] bytes: `-r /dev/zero` or a FIFO would otherwise read until memory runs
/// out or forever.
pub(crate) fn read_input(path: &Path) -> io::Result<String> {
    let file = File::open(path)?;
    let metadata = file.metadata()?;
    let kind = metadata.file_type();
    if !kind.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "it is {}, not a regular file; pinion reads inputs from regular files or \
                 standard input (`-`)",
                describe(kind)
            ),
        ));
    }
    if metadata.len() > MAX_INPUT_SIZE {
        return Err(too_large());
    }
    // Bounded all the same: the file may grow while it is read. Sized up front, so a large
    // lockfile is read in one call rather than a dozen doubling ones.
    read_bounded(file, metadata.len() as usize)
}

/// Standard input as UTF-8 text, at most [`MAX_INPUT_SIZE`] bytes.
pub(crate) fn read_stdin() -> io::Result<String> {
    read_bounded(io::stdin().lock(), 0)
}

fn read_bounded(reader: impl Read, expected: usize) -> io::Result<String> {
    // One byte more than expected: `read_to_string` stops at the first empty read.
    let mut text = String::with_capacity(expected.saturating_add(1));
    reader.take(MAX_INPUT_SIZE + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_INPUT_SIZE {
        return Err(too_large());
    }
    Ok(text)
}

fn too_large() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "it is larger than {} MiB, the most pinion reads of one input",
            MAX_INPUT_SIZE / (1024 * 1024)
        ),
    )
}

/// What a file that is not a regular file is, for a message.
fn describe(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_fifo() {
            return "a named pipe";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "not a regular file"
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

    #[cfg(unix)]
    #[test]
    fn a_synced_write_keeps_the_mode_it_replaces_and_gives_new_files_the_umask_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("requirements.txt");
        write_atomic_synced(&fresh, b"a==1\n").unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !current_umask());
        std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic_synced(&fresh, b"a==2\n").unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
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
    fn inputs_are_regular_files_of_bounded_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.in");
        std::fs::write(&path, "a==1\n").unwrap();
        assert_eq!(read_input(&path).unwrap(), "a==1\n");
        let err = read_input(dir.path()).unwrap_err();
        assert!(err.to_string().starts_with("it is a directory"), "{err}");
        #[cfg(unix)]
        {
            let err = read_input(Path::new("/dev/zero")).unwrap_err();
            assert!(
                err.to_string().starts_with("it is a character device"),
                "{err}"
            );
        }
        // A sparse file: large, yet costs nothing to make.
        let huge = File::create(&path).unwrap();
        huge.set_len(MAX_INPUT_SIZE + 1).unwrap();
        let err = read_input(&path).unwrap_err();
        assert!(err.to_string().contains("larger than 32 MiB"), "{err}");
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
