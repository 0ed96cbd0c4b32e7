//! Reading a wheel (PEP 427): validate the whole archive before writing anything, then extract
//! it, verifying every file against `RECORD`, into the unpacked-wheel cache.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::PackageName;
use tracing::debug;

use super::InstallError;
use super::positioned::PositionedReader;
use super::record::{self, Hasher, RecordEntry};
use super::scripts::{EntryPoint, parse_entry_points};
use crate::metadata::{CoreMetadata, WheelFilename};

/// Extract `wheel` once into `cache_dir` and return the extracted tree.
///
/// The tree is `<cache_dir>/<wheel file stem>-<sha256 of the file, 16 hex digits>`, so one
/// file name with different contents (a rebuilt local wheel) never shares an entry;
/// `known_sha256` is the file's digest when the caller already computed it. It is extracted
/// into a temporary folder of `cache_dir` and renamed into place: a tree that exists is
/// complete and validated, and two processes unpacking at once both end up with one tree.
#[cfg(test)]
pub(crate) fn unpack_to_cache(
    wheel: &Path,
    cache_dir: &Path,
    known_sha256: Option<&str>,
) -> Result<PathBuf, InstallError> {
    unpack_to_cache_fresh(wheel, cache_dir, known_sha256).map(|(tree, _)| tree)
}

/// [`unpack_to_cache`], and whether this call unpacked the tree (every file then hashed
/// against `RECORD` while it was written) rather than finding it in the cache.
pub(crate) fn unpack_to_cache_fresh(
    wheel: &Path,
    cache_dir: &Path,
    known_sha256: Option<&str>,
) -> Result<(PathBuf, bool), InstallError> {
    let stem = wheel_filename(wheel)?.1;
    let digest = match known_sha256 {
        Some(digest) => digest.to_string(),
        None => crate::fsutil::sha256_file(wheel).map_err(InstallError::io("read", wheel))?,
    };
    let target = cache_dir.join(format!("{stem}-{}", digest.get(..16).unwrap_or(&digest)));
    if target.is_dir() {
        debug!(
            "using unpacked `{}` from `{}`",
            wheel.display(),
            target.display()
        );
        return Ok((target, false));
    }
    let (temp, lock, lock_path) = locked_temp(cache_dir)?;
    let result = unpack(wheel, temp.path());
    let temp = temp.keep();
    let result = result.and_then(|()| match std::fs::rename(&temp, &target) {
        Ok(()) => Ok((target.clone(), true)),
        // Another process unpacked the same wheel first; its tree is as good as ours, but was
        // not verified by this call.
        Err(_) if target.is_dir() => {
            let _ = std::fs::remove_dir_all(&temp);
            Ok((target.clone(), false))
        }
        Err(source) => Err(InstallError::io("move into place", &target)(source)),
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&temp);
    }
    drop(lock);
    let _ = std::fs::remove_file(&lock_path);
    result
}

/// A temporary folder of `cache_dir` and its lock, taken: a folder whose lock can be taken was
/// abandoned by a killed process ([`clean_abandoned`]).
fn locked_temp(cache_dir: &Path) -> Result<(tempfile::TempDir, File, PathBuf), InstallError> {
    std::fs::create_dir_all(cache_dir).map_err(InstallError::io("create", cache_dir))?;
    clean_abandoned(cache_dir);
    let temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempdir_in(cache_dir)
        .map_err(InstallError::io(
            "create a temporary directory in",
            cache_dir,
        ))?;
    let lock_path = sibling_lock(temp.path());
    let lock = File::create(&lock_path).map_err(InstallError::io("create", &lock_path))?;
    lock.lock().map_err(InstallError::io("lock", &lock_path))?;
    Ok((temp, lock, lock_path))
}

/// A wheel unpacked into a folder of its own, whose files an install may move rather than
/// link: removed, with whatever is left in it, when dropped. One in the cache folder (the
/// venv's file system, usually, so a move is a `rename`) keeps its lock until then, so that
/// another process does not take it for abandoned.
pub(crate) struct PrivateTree {
    dir: Option<tempfile::TempDir>,
    lock: Option<(File, PathBuf)>,
}

impl PrivateTree {
    pub(crate) fn path(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new(""), |dir| dir.path())
    }
}

impl From<tempfile::TempDir> for PrivateTree {
    fn from(dir: tempfile::TempDir) -> Self {
        PrivateTree {
            dir: Some(dir),
            lock: None,
        }
    }
}

impl Drop for PrivateTree {
    fn drop(&mut self) {
        drop(self.dir.take());
        if let Some((lock, path)) = self.lock.take() {
            drop(lock);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Unpack and validate `wheel` (as [`unpack_to_cache_fresh`] does) into a [`PrivateTree`] of
/// `cache_dir`, which is never a cached tree.
pub(crate) fn unpack_private(wheel: &Path, cache_dir: &Path) -> Result<PrivateTree, InstallError> {
    let (temp, lock, lock_path) = locked_temp(cache_dir)?;
    let tree = PrivateTree {
        dir: Some(temp),
        lock: Some((lock, lock_path)),
    };
    unpack(wheel, tree.path())?;
    Ok(tree)
}

/// Replace the cached tree `stale` of `wheel` (found altered) by a fresh extraction.
pub(crate) fn unpack_again(
    wheel: &Path,
    cache_dir: &Path,
    stale: &Path,
) -> Result<(PathBuf, bool), InstallError> {
    // Renamed away first, so that no other process links from it while it is removed.
    let trash = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempdir_in(cache_dir)
        .map_err(InstallError::io(
            "create a temporary directory in",
            cache_dir,
        ))?;
    let moved = trash.path().join("stale");
    std::fs::rename(stale, &moved).map_err(InstallError::io("move away", stale))?;
    drop(trash);
    let _ = std::fs::remove_file(super::link::stamp_path(stale));
    unpack_to_cache_fresh(wheel, cache_dir, None)
}

/// Temporary folders in the unpacked-wheel cache start with this.
const TEMP_PREFIX: &str = ".tmp-";

fn sibling_lock(dir: &Path) -> PathBuf {
    let mut name = dir.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Remove the temporary folders of unpacks that were killed: their lock file can be taken (or,
/// for one without a lock file, it is more than an hour old). Once per process.
fn clean_abandoned(cache_dir: &Path) {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(|| {
        let Ok(entries) = std::fs::read_dir(cache_dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !name.starts_with(TEMP_PREFIX) || name.ends_with(".lock") {
                continue;
            }
            let lock_path = sibling_lock(&path);
            let abandoned = match File::open(&lock_path) {
                Ok(lock) => lock.try_lock().is_ok(),
                Err(_) => entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > std::time::Duration::from_secs(3600)),
            };
            if abandoned {
                debug!("removing the abandoned `{}`", path.display());
                let _ = std::fs::remove_dir_all(&path);
                let _ = std::fs::remove_file(&lock_path);
            }
        }
    });
}

/// The content of the entry `name` of the zip archive `wheel`, if it has one.
pub(crate) fn read_entry(wheel: &Path, name: &str) -> Result<Option<Vec<u8>>, InstallError> {
    let zip_error = |source| InstallError::Zip {
        wheel: wheel.to_path_buf(),
        source,
    };
    let file = File::open(wheel).map_err(InstallError::io("open", wheel))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(zip_error)?;
    match archive.index_for_name(name) {
        Some(index) => entry_bytes(&mut archive, index)
            .map(Some)
            .map_err(zip_error),
        None => Ok(None),
    }
}

/// The decompressed bytes of entry `index`.
fn entry_bytes<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    index: usize,
) -> zip::result::ZipResult<Vec<u8>> {
    let mut content = Vec::new();
    archive
        .by_index(index)
        .and_then(|mut entry| Ok(entry.read_to_end(&mut content)?))?;
    Ok(content)
}

/// The most a wheel may unpack to: 512 MiB, or 100 times the archive's size when that is more,
/// and never more than 32 GiB. Real wheels stay far below: the largest on the package index
/// (CUDA libraries, a few GiB unpacked) compress about 2:1, text-heavy ones (botocore's JSON)
/// about 8:1; a zip bomb compresses 1000:1 and more.
fn size_limit(archive_size: u64) -> u64 {
    const FLOOR: u64 = 512 << 20;
    const CEILING: u64 = 32 << 30;
    archive_size.saturating_mul(100).clamp(FLOOR, CEILING)
}

/// The raw names of the central directory, read by hand: the zip crate keeps one entry per
/// name, so a second entry of the same name (which another tool would extract instead of the
/// first) is invisible through it.
fn central_directory_names<R: Read + std::io::Seek>(file: &mut R) -> std::io::Result<Vec<Vec<u8>>> {
    use std::io::SeekFrom;
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]) as u64;
    let u32_at =
        |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as u64;
    let u64_at = |b: &[u8], i: usize| {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(bytes)
    };
    let len = file.seek(SeekFrom::End(0))?;
    let tail_len = len.min(22 + 65535);
    let mut tail = vec![0; tail_len as usize];
    file.seek(SeekFrom::Start(len - tail_len))?;
    file.read_exact(&mut tail)?;
    if tail.len() < 22 {
        return Err(invalid("too short for a zip archive"));
    }
    let eocd = (0..=tail.len() - 22)
        .rev()
        .find(|&i| tail[i..i + 4] == *b"PK\x05\x06")
        .ok_or_else(|| invalid("no end of central directory"))?;
    let (mut count, mut size, mut offset) = (
        u16_at(&tail, eocd + 10),
        u32_at(&tail, eocd + 12),
        u32_at(&tail, eocd + 16),
    );
    if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
        // ZIP64: the locator just before the end record points at the real one.
        let locator = eocd
            .checked_sub(20)
            .filter(|&i| tail[i..i + 4] == *b"PK\x06\x07")
            .ok_or_else(|| invalid("no ZIP64 locator"))?;
        let record_offset = u64_at(&tail, locator + 8);
        let mut record = [0; 56];
        file.seek(SeekFrom::Start(record_offset))?;
        file.read_exact(&mut record)?;
        if record[..4] != *b"PK\x06\x06" {
            return Err(invalid("no ZIP64 end of central directory"));
        }
        (count, size, offset) = (
            u64_at(&record, 32),
            u64_at(&record, 40),
            u64_at(&record, 48),
        );
    }
    if offset.checked_add(size).is_none_or(|end| end > len) {
        return Err(invalid("the central directory lies outside the file"));
    }
    let mut directory = vec![0; size as usize];
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(&mut directory)?;
    let mut names = Vec::new();
    let mut at = 0usize;
    while names.len() as u64 != count {
        let header = directory
            .get(at..at + 46)
            .filter(|h| h[..4] == *b"PK\x01\x02")
            .ok_or_else(|| invalid("a central directory record is cut short"))?;
        let name_len = u16_at(header, 28) as usize;
        let rest = name_len + u16_at(header, 30) as usize + u16_at(header, 32) as usize;
        let name = directory
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(|| invalid("a central directory name is cut short"))?;
        names.push(name.to_vec());
        at += 46 + rest;
    }
    Ok(names)
}

/// Refuse a wheel whose central directory names one entry twice.
fn refuse_duplicates<R: Read + std::io::Seek>(
    wheel: &Path,
    file: &mut R,
) -> Result<(), InstallError> {
    let names = central_directory_names(file).map_err(|err| InstallError::InvalidWheel {
        wheel: wheel.to_path_buf(),
        reason: format!("its zip central directory cannot be read: {err}"),
    })?;
    let mut seen = HashSet::new();
    for name in &names {
        if !seen.insert(name.as_slice()) {
            return Err(InstallError::UnsafeEntry {
                wheel: wheel.to_path_buf(),
                entry: String::from_utf8_lossy(name).into_owned(),
                reason: "the archive has two entries of this name",
            });
        }
    }
    Ok(())
}

/// Validate `wheel` and extract it into the empty directory `dest`.
///
/// Every entry is checked before the first byte is written: its path must stay inside its
/// target folder (no absolute path, `..`, drive letter, or symlink entry), the layout must be
/// PEP 427's, and every file must have a hash in `RECORD`. The hashes are then checked while
/// extracting; on a mismatch the caller discards `dest`.
pub(crate) fn unpack(wheel: &Path, dest: &Path) -> Result<(), InstallError> {
    use std::io::{Seek, SeekFrom};
    let (filename, _) = wheel_filename(wheel)?;
    let file = File::open(wheel).map_err(InstallError::io("open", wheel))?;
    // No system call per seek: the zip reader seeks to every entry it opens.
    let mut reader =
        PositionedReader::new(file, READ_BUFFER).map_err(InstallError::io("read", wheel))?;
    let archive_size = reader.len();
    refuse_duplicates(wheel, &mut reader)?;
    reader
        .seek(SeekFrom::Start(0))
        .map_err(InstallError::io("read", wheel))?;
    unpack_from(wheel, &filename, archive_size, reader, dest)
}

/// How much of an archive is read at once.
const READ_BUFFER: usize = 256 << 10;

/// The buffer each file is decompressed into before it is written: a file that fits is
/// written with one `write`, instead of one per 8 KiB of `std::io::copy`.
const COPY_BUFFER: usize = 1 << 20;

/// [`unpack`] from the archive's bytes, `archive_size` of them.
fn unpack_from<R: Read + std::io::Seek>(
    wheel: &Path,
    filename: &WheelFilename,
    archive_size: u64,
    reader: R,
    dest: &Path,
) -> Result<(), InstallError> {
    let zip_error = |source| InstallError::Zip {
        wheel: wheel.to_path_buf(),
        source,
    };
    let mut archive = zip::ZipArchive::new(reader).map_err(zip_error)?;

    // Pass 1: names only.
    let entries = list_entries(wheel, &mut archive)?;
    let declared: u64 = entries.iter().map(|e| e.size).sum();
    let limit = size_limit(archive_size);
    if declared > limit {
        return Err(InstallError::TooLarge {
            wheel: wheel.to_path_buf(),
            size: declared,
            limit,
        });
    }
    let by_path: HashMap<&str, usize> = entries
        .iter()
        .map(|entry| (entry.path.as_str(), entry.index))
        .collect();

    let dist_info = find_dist_info(
        wheel,
        entries.iter().map(|entry| entry.path.as_str()),
        Some(filename),
    )?;
    let info = WheelInfo::read(wheel, dist_info, Some(filename), |path| {
        match by_path.get(path) {
            Some(&index) => entry_bytes(&mut archive, index)
                .map(Some)
                .map_err(zip_error),
            None => Ok(None),
        }
    })?;

    // Every file has a place and a hash, before anything is written.
    let plan = plan_files(wheel, &info, &entries)?;

    // Pass 2: extract and verify. Each folder is created once: a `create_dir_all` per file was
    // half of a cold sync's system calls (strace, benches/RESULTS.md "Sync, round 3").
    let mut created: HashSet<PathBuf> = HashSet::new();
    let mut create = |dir: &Path| -> Result<(), InstallError> {
        if !created.contains(dir) {
            std::fs::create_dir_all(dir).map_err(InstallError::io("create", dir))?;
            created.insert(dir.to_path_buf());
        }
        Ok(())
    };
    for entry in entries.iter().filter(|entry| entry.is_dir) {
        create(&dest.join(&entry.path))?;
    }
    let mut buffer = vec![0; COPY_BUFFER];
    for (entry, expected) in plan {
        let path = dest.join(&entry.path);
        if let Some(parent) = path.parent() {
            create(parent)?;
        }
        let out = File::create_new(&path).map_err(InstallError::io("create", &path))?;
        let algorithm = expected
            .as_deref()
            .and_then(|hash| hash.split_once('='))
            .map_or("sha256", |(alg, _)| alg);
        let mut writer = HashingWriter {
            file: out,
            hasher: Hasher::new(algorithm).expect("checked in pass 1"),
        };
        let zip_file = archive.by_index(entry.index).map_err(zip_error)?;
        // Never more than the entry declares (which the size limit counted).
        let mut zip_file = zip_file.take(entry.size.saturating_add(1));
        let written = copy_filled(&mut zip_file, &mut writer, &mut buffer).map_err(|source| {
            // The zip reader reports a CRC mismatch as an I/O error too.
            InstallError::Io {
                action: "extract",
                path: wheel.join(&entry.path),
                source,
            }
        })?;
        drop(zip_file);
        if written > entry.size {
            return Err(InstallError::TooLarge {
                wheel: wheel.to_path_buf(),
                size: written,
                limit: entry.size,
            });
        }
        let actual = writer.hasher.finish();
        if let Some(expected) = expected
            && !record::same_hash(&expected, &actual)
        {
            return Err(InstallError::HashMismatch {
                wheel: wheel.to_path_buf(),
                entry: entry.path.clone(),
                expected,
                actual,
            });
        }
        if entry.executable || info.is_script(&entry.path) {
            set_executable(&path)?;
        }
    }
    Ok(())
}

/// The archive's entries, each name checked: no symlink, no path escaping the target, no
/// path twice.
fn list_entries<R: std::io::Read + std::io::Seek>(
    wheel: &Path,
    archive: &mut zip::ZipArchive<R>,
) -> Result<Vec<ArchiveEntry>, InstallError> {
    let zip_error = |source| InstallError::Zip {
        wheel: wheel.to_path_buf(),
        source,
    };
    let mut entries = Vec::with_capacity(archive.len());
    let mut seen = HashSet::new();
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(zip_error)?;
        let name = entry.name().map_err(zip_error)?.into_owned();
        let unsafe_entry = |reason| InstallError::UnsafeEntry {
            wheel: wheel.to_path_buf(),
            entry: name.clone(),
            reason,
        };
        if entry.is_symlink() {
            return Err(unsafe_entry("wheels cannot contain symlinks"));
        }
        let path = safe_path(&name).map_err(unsafe_entry)?;
        if !seen.insert(path.clone()) {
            return Err(unsafe_entry("the archive has this path twice"));
        }
        entries.push(ArchiveEntry {
            index,
            path,
            size: entry.size(),
            is_dir: entry.is_dir(),
            executable: entry.unix_mode().is_some_and(|mode| mode & 0o111 != 0),
        });
    }
    Ok(entries)
}

/// Each file entry with the `RECORD` hash it must have (None for `RECORD` itself and its
/// signatures), after checking that it has a place in the install scheme.
fn plan_files<'e>(
    wheel: &Path,
    info: &WheelInfo,
    entries: &'e [ArchiveEntry],
) -> Result<Vec<(&'e ArchiveEntry, Option<String>)>, InstallError> {
    let mut plan = Vec::with_capacity(entries.len());
    for entry in entries {
        if entry.is_dir {
            continue;
        }
        info.placement(&entry.path)
            .map_err(|reason| InstallError::InvalidWheel {
                wheel: wheel.to_path_buf(),
                reason,
            })?;
        if info.is_unhashed_record_file(&entry.path) {
            plan.push((entry, None));
            continue;
        }
        let not_in_record = || InstallError::NotInRecord {
            wheel: wheel.to_path_buf(),
            entry: entry.path.clone(),
        };
        let expected = info
            .record
            .get(&entry.path)
            .and_then(|row| row.hash.as_deref())
            .ok_or_else(not_in_record)?;
        let algorithm = expected.split_once('=').map_or(expected, |(alg, _)| alg);
        if Hasher::new(algorithm).is_none() {
            return Err(InstallError::UnsupportedHash {
                wheel: wheel.to_path_buf(),
                entry: entry.path.clone(),
                algorithm: algorithm.to_string(),
            });
        }
        plan.push((entry, Some(expected.to_string())));
    }

    Ok(plan)
}

/// One entry of the archive, its name validated.
struct ArchiveEntry {
    index: usize,
    /// Normal components joined by `/`.
    path: String,
    /// The uncompressed size the archive declares.
    size: u64,
    is_dir: bool,
    executable: bool,
}

struct HashingWriter {
    file: File,
    hasher: Hasher,
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.file.write(buf)?;
        self.hasher.write_all(&buf[..written])?;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Copy `reader` to `writer` through `buffer`, each write a full buffer (or the rest): the
/// bytes written.
fn copy_filled(
    reader: &mut impl Read,
    writer: &mut impl Write,
    buffer: &mut [u8],
) -> std::io::Result<u64> {
    let mut written = 0u64;
    loop {
        let mut filled = 0;
        while filled < buffer.len() {
            match reader.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(read) => filled += read,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        if filled == 0 {
            return Ok(written);
        }
        writer.write_all(&buffer[..filled])?;
        written += filled as u64;
        if filled < buffer.len() {
            return Ok(written);
        }
    }
}

#[cfg(unix)]
pub(super) fn set_executable(path: &Path) -> Result<(), InstallError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(InstallError::io("make executable", path))
}

#[cfg(not(unix))]
pub(super) fn set_executable(_path: &Path) -> Result<(), InstallError> {
    Ok(())
}

/// The parsed file name and the file stem.
fn wheel_filename(wheel: &Path) -> Result<(WheelFilename, String), InstallError> {
    let invalid = || InstallError::InvalidFilename {
        wheel: wheel.to_path_buf(),
    };
    let name = wheel
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(invalid)?;
    let filename = WheelFilename::parse(name).ok_or_else(invalid)?;
    let stem = name.strip_suffix(".whl").ok_or_else(invalid)?.to_string();
    Ok((filename, stem))
}

/// An entry name as `/`-joined normal components, or why writing it could escape the target
/// folder. Backslashes count as separators (they are on Windows); `.` and empty components
/// are dropped.
pub(crate) fn safe_path(name: &str) -> Result<String, &'static str> {
    if name.contains('\0') {
        return Err("the path contains a NUL byte");
    }
    if name.starts_with(['/', '\\']) {
        return Err("the path is absolute");
    }
    let mut parts = Vec::new();
    for part in name.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err("the path has a `..` component"),
            _ if parts.is_empty() && is_drive(part) => {
                return Err("the path starts with a drive letter");
            }
            _ => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Err("the path is empty");
    }
    Ok(parts.join("/"))
}

fn is_drive(part: &str) -> bool {
    let bytes = part.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// The one `<name>-<version>.dist-info` folder among the archive's top-level folders; with the
/// wheel's file name, its name part must match (pip checks the same).
pub(crate) fn find_dist_info<'a>(
    wheel: &Path,
    paths: impl Iterator<Item = &'a str>,
    filename: Option<&WheelFilename>,
) -> Result<String, InstallError> {
    let invalid = |reason: String| InstallError::InvalidWheel {
        wheel: wheel.to_path_buf(),
        reason,
    };
    let mut found: Vec<&str> = paths
        .filter_map(|path| path.split('/').next())
        .filter(|top| top.ends_with(".dist-info"))
        .collect();
    found.sort_unstable();
    found.dedup();
    let dist_info = match found.as_slice() {
        [one] => one.to_string(),
        [] => return Err(invalid("it has no `.dist-info` folder".to_string())),
        several => {
            return Err(invalid(format!(
                "it has several `.dist-info` folders: `{}`",
                several.join("`, `")
            )));
        }
    };
    if let Some(filename) = filename {
        let name = dist_info
            .strip_suffix(".dist-info")
            .and_then(|stem| stem.split_once('-'))
            .and_then(|(name, _)| PackageName::from_str(name).ok());
        if name.as_ref() != Some(&filename.name) {
            return Err(invalid(format!(
                "its `{dist_info}` folder does not belong to `{}`",
                filename.name
            )));
        }
    }
    Ok(dist_info)
}

/// The `.data` subfolders of PEP 427 (the `sysconfig` scheme keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DataKey {
    Purelib,
    Platlib,
    Scripts,
    Headers,
    Data,
}

/// Where one file of a wheel goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement<'a> {
    /// Into `purelib` or `platlib`, per `Root-Is-Purelib`; the path is relative to it.
    Root(&'a str),
    /// From `<name>-<version>.data/<key>/`; the path is relative to the key's folder.
    Data(DataKey, &'a str),
}

/// What the installer needs from a wheel's `.dist-info`, read and checked.
#[derive(Debug)]
pub(crate) struct WheelInfo {
    /// `<name>-<version>.dist-info`, as in the archive.
    pub(crate) dist_info: String,
    /// `<name>-<version>.data`.
    pub(crate) data_dir: String,
    /// `Root-Is-Purelib` from `WHEEL`: the archive root goes to purelib, else to platlib.
    pub(crate) root_is_purelib: bool,
    pub(crate) name: PackageName,
    pub(crate) version: Version,
    /// The name as the `.dist-info` folder spells it, for the headers folder.
    pub(crate) dist_name: String,
    /// `RECORD`'s rows by normalized path.
    pub(crate) record: HashMap<String, RecordEntry>,
    pub(crate) entry_points: Vec<EntryPoint>,
}

impl WheelInfo {
    /// Read `WHEEL`, `METADATA`, `RECORD` and `entry_points.txt` through `read` (a path
    /// relative to the archive root -> its content, `None` when absent). With the wheel's file
    /// name, its name and version must match `METADATA`'s.
    pub(crate) fn read(
        wheel: &Path,
        dist_info: String,
        filename: Option<&WheelFilename>,
        mut read: impl FnMut(&str) -> Result<Option<Vec<u8>>, InstallError>,
    ) -> Result<WheelInfo, InstallError> {
        let invalid = |reason: String| InstallError::InvalidWheel {
            wheel: wheel.to_path_buf(),
            reason,
        };
        let mut required = |file: &str| {
            let path = format!("{dist_info}/{file}");
            read(&path)?.ok_or_else(|| invalid(format!("it has no `{path}`")))
        };
        let wheel_file = required("WHEEL")?;
        let metadata_file = required("METADATA")?;
        let record_file = required("RECORD")?;
        let entry_points_file = read(&format!("{dist_info}/entry_points.txt"))?;

        let root_is_purelib = parse_wheel_file(&wheel_file)
            .map_err(|reason| invalid(format!("`{dist_info}/WHEEL`: {reason}")))?;
        let metadata =
            CoreMetadata::parse(&metadata_file).map_err(|source| InstallError::Metadata {
                wheel: wheel.to_path_buf(),
                file: format!("{dist_info}/METADATA"),
                source,
            })?;
        if let Some(filename) = filename
            && (metadata.name != filename.name || metadata.version != filename.version)
        {
            return Err(invalid(format!(
                "its file name says {} {} but its metadata says {} {}",
                filename.name, filename.version, metadata.name, metadata.version
            )));
        }
        let record_path = wheel.join(&dist_info).join("RECORD");
        let record = record::parse(&record_file, &record_path)?
            .into_iter()
            .filter_map(|row| Some((safe_path(&row.path).ok()?, row)))
            .collect();
        let entry_points = match entry_points_file {
            Some(content) => parse_entry_points(&String::from_utf8_lossy(&content), wheel)?,
            None => Vec::new(),
        };
        let stem = dist_info
            .strip_suffix(".dist-info")
            .expect("found by its suffix");
        let dist_name = stem
            .split_once('-')
            .map_or(stem, |(name, _)| name)
            .to_string();
        Ok(WheelInfo {
            data_dir: format!("{stem}.data"),
            dist_info,
            root_is_purelib,
            name: metadata.name,
            version: metadata.version,
            dist_name,
            record,
            entry_points,
        })
    }

    /// Where the file at `path` (normalized, relative to the archive root) goes.
    pub(crate) fn placement<'a>(&self, path: &'a str) -> Result<Placement<'a>, String> {
        let Some(in_data) = path
            .strip_prefix(self.data_dir.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
        else {
            if path == self.data_dir {
                return Err(format!("`{path}` must be a folder"));
            }
            return Ok(Placement::Root(path));
        };
        let misplaced = || {
            format!(
                "`{path}` is not inside one of `purelib`, `platlib`, `scripts`, `headers` or `data`"
            )
        };
        let (key, rest) = in_data.split_once('/').ok_or_else(misplaced)?;
        let key = match key {
            "purelib" => DataKey::Purelib,
            "platlib" => DataKey::Platlib,
            "scripts" => DataKey::Scripts,
            "headers" => DataKey::Headers,
            "data" => DataKey::Data,
            _ => return Err(misplaced()),
        };
        Ok(Placement::Data(key, rest))
    }

    /// Whether `path` is a `.data/scripts` file.
    pub(crate) fn is_script(&self, path: &str) -> bool {
        matches!(
            self.placement(path),
            Ok(Placement::Data(DataKey::Scripts, _))
        )
    }

    /// `RECORD` and its signatures, which `RECORD` cannot hash.
    pub(crate) fn is_unhashed_record_file(&self, path: &str) -> bool {
        path.strip_prefix(self.dist_info.as_str())
            .is_some_and(|file| matches!(file, "/RECORD" | "/RECORD.jws" | "/RECORD.p7s"))
    }
}

/// `Root-Is-Purelib` from a `WHEEL` file, after checking `Wheel-Version` is 1.x (PEP 427: an
/// installer must refuse a major version it does not know).
fn parse_wheel_file(content: &[u8]) -> Result<bool, String> {
    let (headers, _) =
        mailparse::parse_headers(content).map_err(|err| format!("not in header format: {err}"))?;
    let get = |key: &str| {
        headers
            .iter()
            .find(|header| header.get_key_ref().eq_ignore_ascii_case(key))
            .map(|header| header.get_value().trim().to_string())
    };
    let version = get("Wheel-Version").ok_or("no `Wheel-Version`")?;
    if version.split('.').next() != Some("1") {
        return Err(format!(
            "`Wheel-Version: {version}` is not supported (only 1.x)"
        ));
    }
    Ok(get("Root-Is-Purelib").is_some_and(|value| value.eq_ignore_ascii_case("true")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_paths_stay_inside() {
        assert_eq!(safe_path("pkg/__init__.py").unwrap(), "pkg/__init__.py");
        assert_eq!(safe_path("./pkg//a.py").unwrap(), "pkg/a.py");
        for bad in [
            "../evil.py",
            "pkg/../../evil.py",
            "/etc/passwd",
            "\\evil",
            "C:/evil.py",
            "c:evil.py",
            "pkg\\..\\..\\evil.py",
            "a\0b",
            "./",
        ] {
            assert!(safe_path(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn wheel_file_version_and_purelib() {
        assert_eq!(
            parse_wheel_file(b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"),
            Ok(true)
        );
        assert_eq!(
            parse_wheel_file(b"Wheel-Version: 1.0\nRoot-Is-Purelib: false\n"),
            Ok(false)
        );
        assert!(parse_wheel_file(b"Wheel-Version: 2.0\n").is_err());
        assert!(parse_wheel_file(b"Root-Is-Purelib: true\n").is_err());
    }
}
