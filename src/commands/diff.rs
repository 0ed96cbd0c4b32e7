//! `pinion diff OLD NEW`, and the list of changes compile prints when it replaces a lockfile:
//! one line per package (`lockfile::diff`).

use std::path::Path;

use crate::commands::CommandError;
use crate::lockfile::diff::{self, Change, Pins};
use crate::requirements;
use crate::settings::DiffSettings;

/// Print what changed from one lockfile to another on stdout.
pub(crate) fn run(settings: &DiffSettings) -> Result<(), CommandError> {
    let old = pins_of(&settings.old, &read(&settings.old)?)?;
    let new = pins_of(&settings.new, &read(&settings.new)?)?;
    let changes = diff::changes(&old, &new);
    for change in &changes {
        println!("{change}");
    }
    if changes.is_empty() && !settings.quiet {
        eprintln!(
            "{}",
            crate::ui::dim(&format!(
                "`{}` and `{}` pin the same packages",
                settings.old.display(),
                settings.new.display()
            ))
        );
    }
    Ok(())
}

/// The changes from the lockfile text `old` to `new`, both at `path`; none when the old text
/// cannot be read as a lockfile (it is being replaced anyway).
pub(crate) fn changes_of_rewrite(path: &Path, old: &str, new: &str) -> Vec<Change> {
    match (pins_of(path, old), pins_of(path, new)) {
        (Ok(old), Ok(new)) => diff::changes(&old, &new),
        _ => Vec::new(),
    }
}

fn read(path: &Path) -> Result<String, CommandError> {
    crate::fsutil::read_input(path).map_err(|source| {
        requirements::RequirementsError::Read {
            path: path.to_path_buf(),
            source,
        }
        .into()
    })
}

/// The pins of a lockfile. A reader of another lockfile format plugs in here.
fn pins_of(path: &Path, text: &str) -> Result<Pins, CommandError> {
    let locked = crate::lockfile::read_locked(path, text.to_string())?;
    Ok(diff::requirements_pins(&locked))
}
