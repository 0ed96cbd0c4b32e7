//! Cooldowns (`--exclude-newer`, uv's flag; pip's `--uploaded-prior-to`): a file uploaded at or
//! after the cutoff is not listed, so a release published in the last days never reaches a
//! lockfile. Judged on each file's PEP 700 `upload-time`, which only JSON pages (PEP 691) carry.

use std::collections::BTreeMap;

use pep508_rs::PackageName;
use tracing::trace;

use super::{DistFile, IndexError, IndexSource};

/// The cutoffs of one compile, as absolute times: a duration (`7 days`) was turned into one by
/// the settings stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Cooldown {
    /// `--exclude-newer`: for every package without a cutoff of its own.
    pub(crate) global: Option<jiff::Timestamp>,
    /// `--exclude-newer-package NAME=...`: wins over the global one.
    pub(crate) packages: BTreeMap<PackageName, jiff::Timestamp>,
    /// The option named in errors (`--exclude-newer` or `--uploaded-prior-to`).
    pub(crate) option: &'static str,
}

/// What a cooldown left out of one project's listing, kept for the conflict report: a
/// resolution that fails for want of a release the cooldown hid must say so, or the user is
/// told the release does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Excluded {
    pub(crate) cutoff: jiff::Timestamp,
    /// The option that set the cutoff: `--exclude-newer-package` for a package's own, else
    /// [`Cooldown::option`].
    pub(crate) option: &'static str,
    /// The files left out, uploaded at or after the cutoff (or at an unknown time).
    pub(crate) files: Vec<DistFile>,
}

impl Cooldown {
    /// The cutoff for `name`, if any.
    pub(crate) fn cutoff(&self, name: &PackageName) -> Option<jiff::Timestamp> {
        self.packages.get(name).copied().or(self.global)
    }

    /// The option a user set `name`'s cutoff with.
    fn option_of(&self, name: &PackageName) -> &'static str {
        if self.packages.contains_key(name) {
            "--exclude-newer-package"
        } else {
            self.option
        }
    }

    /// `files` (of project `name`, from `sources`) without those uploaded at or after the
    /// cutoff, as uv excludes them, and what was left out (None without a cutoff). A file
    /// without an upload time is left out too; a source that lists files but no upload time at
    /// all is an error naming it, since every one of its files would silently disappear.
    pub(crate) fn apply(
        &self,
        name: &PackageName,
        files: Vec<DistFile>,
        sources: &[IndexSource],
    ) -> Result<(Vec<DistFile>, Option<Excluded>), IndexError> {
        let Some(cutoff) = self.cutoff(name) else {
            return Ok((files, None));
        };
        for (index, source) in sources.iter().enumerate() {
            let mut listed = files.iter().filter(|f| f.source == index).peekable();
            if listed.peek().is_some() && listed.all(|f| f.upload_time.is_none()) {
                return Err(IndexError::NoUploadTimes {
                    option: self.option,
                    // Sources are kept without their credentials (`IndexClient::new`).
                    location: source.to_string().trim_end_matches('/').to_string(),
                    project: name.to_string(),
                });
            }
        }
        let before = cutoff.as_microsecond();
        let (kept, left_out): (Vec<DistFile>, Vec<DistFile>) =
            files.into_iter().partition(|file| match file.upload_time {
                Some(time) if time < before => true,
                Some(_) => {
                    trace!("`{}`: uploaded after the cooldown's cutoff", file.filename);
                    false
                }
                None => {
                    trace!("`{}`: no upload time under a cooldown", file.filename);
                    false
                }
            });
        let excluded = Excluded {
            cutoff,
            option: self.option_of(name),
            files: left_out,
        };
        Ok((kept, Some(excluded)))
    }
}
