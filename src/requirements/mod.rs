//! pip's requirements-file format, for `.in` inputs and `.txt` lockfiles alike: comments,
//! continuations, PEP 508 requirements, URLs and paths, editables, `-r`/`-c` includes, per-line
//! `--hash` options and file-level index options. Every item remembers where it was written.

mod error;
mod lines;
mod parse;

use std::fmt;
use std::path::PathBuf;

use pep508_rs::{Requirement, UnnamedRequirement, VerbatimUrl};

pub(crate) use error::RequirementsError;
pub(crate) use parse::{includes, read, read_str};

/// Where something was written: the file as the user would name it, and a 1-based line and
/// column.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Origin {
    pub(crate) file: PathBuf,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// Where each line of a text starts, to turn byte offsets into [`Origin`]s in O(log n): a
/// lockfile with hashes has thousands of lines.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { starts }
    }

    /// The 1-based line and column (in characters) of `offset` in `text`, in `file`.
    pub(crate) fn origin(&self, file: &std::path::Path, text: &str, offset: usize) -> Origin {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&start| start <= offset);
        let line_start = self.starts[line - 1];
        Origin {
            file: file.to_path_buf(),
            line,
            column: text[line_start..offset].chars().count() + 1,
        }
    }
}

/// What a requirement line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RequirementSpec {
    /// A PEP 508 requirement, with a version specifier or a direct `name @ url` reference.
    Named(Requirement<VerbatimUrl>),
    /// A bare URL or local path whose name is known only once it is built or downloaded.
    Unnamed(UnnamedRequirement<VerbatimUrl>),
}

/// A hash a requirement must match (`--hash=sha256:...`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct FileHash {
    pub(crate) algorithm: HashAlgorithm,
    /// Lower-case hex digest.
    pub(crate) digest: String,
}

impl fmt::Display for FileHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.digest)
    }
}

/// The hash algorithms pip's `--hash` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum HashAlgorithm {
    /// SHA-256, what indexes publish and lockfiles carry.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// Length of the hex digest.
    pub(crate) fn hex_len(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Sha384 => 96,
            Self::Sha512 => 128,
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        })
    }
}

/// One requirement line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequirementEntry {
    pub(crate) spec: RequirementSpec,
    /// Written with `-e`/`--editable`.
    pub(crate) editable: bool,
    pub(crate) hashes: Vec<FileHash>,
    pub(crate) origin: Origin,
}

/// `--only-binary` / `--no-binary` values: `:all:`, `:none:` or package names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum BinaryChoice {
    /// No choice was made (pip's default: both sdists and wheels).
    #[default]
    Unset,
    /// `:all:`.
    All,
    /// `:none:`, which also clears earlier names.
    None,
    /// These packages only.
    Packages(Vec<pep508_rs::PackageName>),
}

impl BinaryChoice {
    /// A command-line value: `:all:`, `:none:` or comma-separated package names.
    pub(crate) fn parse(value: &str) -> Result<Self, String> {
        match value {
            ":all:" => return Ok(Self::All),
            ":none:" => return Ok(Self::None),
            _ => {}
        }
        value
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|part| pep508_rs::PackageName::new(part.to_string()).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()
            .map(Self::Packages)
    }

    /// pip's `handle_mutual_excludes`: later values add to earlier ones, `:all:`/`:none:` reset;
    /// a file that says nothing changes nothing, and names add nothing to `:all:`.
    pub(crate) fn update(&mut self, value: BinaryChoice) {
        *self = match (std::mem::take(self), value) {
            (old, Self::Unset) => old,
            (Self::Packages(mut old), Self::Packages(new)) => {
                old.extend(new);
                Self::Packages(old)
            }
            (Self::All, Self::Packages(_)) => Self::All,
            (_, new) => new,
        };
    }
}

/// The index options a requirements file may carry, merged over its includes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IndexOptions {
    pub(crate) index_url: Option<String>,
    pub(crate) extra_index_urls: Vec<String>,
    pub(crate) find_links: Vec<String>,
    pub(crate) no_index: bool,
    pub(crate) pre: bool,
    pub(crate) only_binary: BinaryChoice,
    pub(crate) no_binary: BinaryChoice,
    pub(crate) prefer_binary: bool,
    pub(crate) trusted_hosts: Vec<String>,
}

impl IndexOptions {
    /// Fold the options of another file into these: a later index URL wins, lists add up.
    pub(crate) fn merge(&mut self, from: &IndexOptions) {
        if from.index_url.is_some() {
            self.index_url.clone_from(&from.index_url);
        }
        for url in &from.extra_index_urls {
            if !self.extra_index_urls.contains(url) {
                self.extra_index_urls.push(url.clone());
            }
        }
        for link in &from.find_links {
            if !self.find_links.contains(link) {
                self.find_links.push(link.clone());
            }
        }
        self.no_index |= from.no_index;
        self.pre |= from.pre;
        self.prefer_binary |= from.prefer_binary;
        self.only_binary.update(from.only_binary.clone());
        self.no_binary.update(from.no_binary.clone());
        self.trusted_hosts
            .extend(from.trusted_hosts.iter().cloned());
    }
}

/// Everything read from one top-level requirements file and its includes.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequirementsTxt {
    /// Requirements, in file order, includes expanded in place.
    pub(crate) requirements: Vec<RequirementEntry>,
    /// Requirements from `-c` constraint files.
    pub(crate) constraints: Vec<RequirementEntry>,
    pub(crate) options: IndexOptions,
    /// Every file read, the top-level one first.
    pub(crate) files: Vec<PathBuf>,
    /// Each included file (as `files` names it) with the `-r`/`-c` line that included it.
    pub(crate) included_from: Vec<(PathBuf, Origin)>,
}

#[cfg(test)]
mod tests;
