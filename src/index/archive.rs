//! Core metadata out of a distribution file on disk: a wheel's `.dist-info/METADATA`, an sdist's
//! `PKG-INFO` (from a `.tar.gz` or a `.zip`).

use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Component, Path};

use crate::metadata::DistFilename;

use super::zip_entry::{self, CentralEntry, Step, ZipEntryReader, ZipError};

/// Why the metadata could not be taken out of an archive.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ArchiveError {
    /// Reading the file failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The zip is damaged or lacks the entry.
    #[error(transparent)]
    Zip(#[from] ZipError),
    /// The tarball has no `<name>-<version>/PKG-INFO`.
    #[error("no `PKG-INFO` at the top of the sdist")]
    NoPkgInfo,
    /// `.tar.bz2`, `.tar.xz`: legacy formats pip still accepts but no index has served in years.
    #[error("reading `{0}` sdists is not supported")]
    Unsupported(&'static str),
}

/// PKG-INFO and METADATA are a few KiB; anything this large is not one.
const MAX_METADATA: u64 = 64 * 1024 * 1024;

/// Reads the metadata of the distribution at `path`; blocking.
pub(crate) fn read_metadata(path: &Path, dist: &DistFilename) -> Result<Vec<u8>, ArchiveError> {
    match dist {
        DistFilename::Wheel(wheel) => {
            read_zip_entry(path, zip_entry::select_wheel_metadata(wheel.name.as_ref()))
        }
        DistFilename::Sdist(sdist) => match sdist.extension {
            ".zip" => read_zip_entry(path, zip_entry::select_sdist_pkg_info),
            ".tar.gz" | ".tgz" => read_tar_gz_pkg_info(path),
            other => Err(ArchiveError::Unsupported(other)),
        },
    }
}

/// Drives the range reader with reads from a local file.
fn read_zip_entry(
    path: &Path,
    select: impl FnMut(&[CentralEntry]) -> Result<usize, String>,
) -> Result<Vec<u8>, ArchiveError> {
    let mut file = fs_err::File::open(path)?;
    let len = file.metadata()?.len();
    let mut reader = ZipEntryReader::new(len, select);
    let mut need = zip_entry::tail(len);
    // Tail, directory, entry: a well-formed file never needs more reads than this.
    for _ in 0..8 {
        let mut buffer = vec![0; (need.end - need.start) as usize];
        file.seek(SeekFrom::Start(need.start))?;
        file.read_exact(&mut buffer)?;
        reader.add(need.start, buffer);
        match reader.step()? {
            Step::Done(bytes) => return Ok(bytes),
            Step::Need(range) => need = range,
        }
    }
    Err(ZipError::Corrupt("structure").into())
}

/// `<name>-<version>/PKG-INFO`, the first file at depth two with that name (a `.egg-info` copy
/// deeper down may be stale).
fn read_tar_gz_pkg_info(path: &Path) -> Result<Vec<u8>, ArchiveError> {
    let file = BufReader::new(fs_err::File::open(path)?);
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in archive.entries()? {
        let entry = entry?;
        let entry_path = entry.path()?;
        let parts: Vec<Component> = entry_path
            .components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect();
        if let [Component::Normal(_), Component::Normal(name)] = parts.as_slice()
            && *name == "PKG-INFO"
            && entry.header().entry_type().is_file()
        {
            let mut bytes = Vec::new();
            entry.take(MAX_METADATA).read_to_end(&mut bytes)?;
            return Ok(bytes);
        }
    }
    Err(ArchiveError::NoPkgInfo)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn sdist(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("foo-1.0.tar.gz");
        let gz = flate2::write::GzEncoder::new(
            fs_err::File::create(&path).unwrap(),
            flate2::Compression::default(),
        );
        let mut tar = tar::Builder::new(gz);
        for (name, body) in [
            ("foo-1.0/src/foo.egg-info/PKG-INFO", "stale"),
            ("foo-1.0/setup.py", ""),
            (
                "foo-1.0/PKG-INFO",
                "Metadata-Version: 2.2\nName: foo\nVersion: 1.0\n",
            ),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_size(body.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, name, body.as_bytes()).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
        path
    }

    #[test]
    fn tar_gz_sdist_top_level_pkg_info() {
        let dir = tempfile::tempdir().unwrap();
        let path = sdist(dir.path());
        let dist = DistFilename::parse("foo-1.0.tar.gz", None).unwrap();
        let bytes = read_metadata(&path, &dist).unwrap();
        assert!(bytes.starts_with(b"Metadata-Version: 2.2"));
    }

    #[test]
    fn unsupported_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let dist = DistFilename::parse("foo-1.0.tar.bz2", None).unwrap();
        assert!(matches!(
            read_metadata(dir.path(), &dist),
            Err(ArchiveError::Unsupported(".tar.bz2"))
        ));
        let dist = DistFilename::parse("foo-1.0-py3-none-any.whl", None).unwrap();
        assert!(matches!(
            read_metadata(&dir.path().join("missing.whl"), &dist),
            Err(ArchiveError::Io(_))
        ));
    }
}
