//! `RECORD` files (PEP 376, PEP 427): one CSV row per installed file, `path,algorithm=digest,size`,
//! the digest in URL-safe base64 without padding.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::InstallError;

/// One row of a `RECORD` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RecordEntry {
    /// Relative to the folder holding the `.dist-info` (`site-packages`), `/`-separated; may
    /// climb out with `../` (scripts, data).
    pub(crate) path: String,
    /// `algorithm=digest`, empty for `RECORD` itself.
    pub(crate) hash: Option<String>,
    pub(crate) size: Option<u64>,
}

/// Parse the content of the `RECORD` at `path` (named in errors).
pub(crate) fn parse(content: &[u8], path: &Path) -> Result<Vec<RecordEntry>, InstallError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(content);
    let mut entries = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|source| InstallError::RecordCsv {
            path: path.to_path_buf(),
            source,
        })?;
        let Some(entry_path) = row.get(0).filter(|p| !p.is_empty()) else {
            continue;
        };
        let hash = row.get(1).filter(|h| !h.is_empty()).map(str::to_string);
        let size = match row.get(2).filter(|s| !s.is_empty()) {
            None => None,
            Some(size) => Some(size.parse().map_err(|_| InstallError::RecordRow {
                path: path.to_path_buf(),
                entry: entry_path.to_string(),
                reason: format!("size `{size}` is not a number"),
            })?),
        };
        entries.push(RecordEntry {
            path: entry_path.to_string(),
            hash,
            size,
        });
    }
    Ok(entries)
}

/// The content of a `RECORD` at `path` (named in errors) listing `entries`, sorted by path as
/// pip writes them. Writing it is the installer's: this module stays below it.
pub(crate) fn render(path: &Path, mut entries: Vec<RecordEntry>) -> Result<Vec<u8>, InstallError> {
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for entry in &entries {
        let size = entry.size.map(|size| size.to_string());
        writer
            .write_record([
                entry.path.as_str(),
                entry.hash.as_deref().unwrap_or(""),
                size.as_deref().unwrap_or(""),
            ])
            .map_err(|source| InstallError::RecordCsv {
                path: path.to_path_buf(),
                source,
            })?;
    }
    Ok(writer.into_inner().expect("writing to a Vec does not fail"))
}

/// A running hash in one of the algorithms PEP 427 accepts for `RECORD`.
pub(crate) enum Hasher {
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl Hasher {
    /// A hasher for `algorithm` (`sha256`, `sha384`, `sha512`); `None` for any other.
    pub(crate) fn new(algorithm: &str) -> Option<Self> {
        match algorithm {
            "sha256" => Some(Hasher::Sha256(Sha256::new())),
            "sha384" => Some(Hasher::Sha384(Sha384::new())),
            "sha512" => Some(Hasher::Sha512(Sha512::new())),
            _ => None,
        }
    }

    /// `algorithm=digest`, as `RECORD` spells it.
    pub(crate) fn finish(self) -> String {
        let (algorithm, digest) = match self {
            Hasher::Sha256(h) => ("sha256", h.finalize().to_vec()),
            Hasher::Sha384(h) => ("sha384", h.finalize().to_vec()),
            Hasher::Sha512(h) => ("sha512", h.finalize().to_vec()),
        };
        format!("{algorithm}={}", URL_SAFE_NO_PAD.encode(digest))
    }
}

impl Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Hasher::Sha256(h) => h.update(buf),
            Hasher::Sha384(h) => h.update(buf),
            Hasher::Sha512(h) => h.update(buf),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `sha256=<digest>` of `content`, for the files pinion writes itself.
pub(crate) fn sha256(content: &[u8]) -> String {
    format!("sha256={}", URL_SAFE_NO_PAD.encode(Sha256::digest(content)))
}

/// Whether the file at `path` has the `RECORD` hash `expected` (`algorithm=digest`); an
/// algorithm PEP 427 does not accept never matches.
pub(crate) fn file_matches(path: &Path, expected: &str) -> Result<bool, InstallError> {
    let algorithm = expected.split_once('=').map_or(expected, |(alg, _)| alg);
    let Some(mut hasher) = Hasher::new(algorithm) else {
        return Ok(false);
    };
    let mut file = std::fs::File::open(path).map_err(InstallError::io("read", path))?;
    std::io::copy(&mut file, &mut hasher).map_err(InstallError::io("read", path))?;
    Ok(same_hash(expected, &hasher.finish()))
}

/// Whether two `algorithm=digest` strings are the same hash; some tools pad the base64.
pub(crate) fn same_hash(expected: &str, actual: &str) -> bool {
    expected.trim_end_matches('=') == actual.trim_end_matches('=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_with_quotes_and_empty_fields() {
        let content = b"pkg/__init__.py,sha256=abc,12\n\"pkg/a,b.py\",sha256=def,3\npkg-1.0.dist-info/RECORD,,\n";
        let entries = parse(content, Path::new("RECORD")).unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[1].path, "pkg/a,b.py");
        assert_eq!(entries[2].hash, None);
        assert_eq!(entries[2].size, None);
        assert_eq!(entries[0].size, Some(12));
    }

    #[test]
    fn bad_size_names_the_entry() {
        let err = parse(b"a.py,sha256=x,big\n", Path::new("RECORD")).unwrap_err();
        assert!(err.to_string().contains("`a.py`"), "{err}");
    }

    #[test]
    fn sha256_is_urlsafe_without_padding() {
        // The digest of the empty string, as pip writes it.
        assert_eq!(
            sha256(b""),
            "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
        );
        assert!(same_hash(
            "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=",
            &sha256(b"")
        ));
    }
}
