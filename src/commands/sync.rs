use std::path::PathBuf;

use crate::cli::SyncArgs;
use crate::commands::CommandError;
use crate::requirements;

/// `pinion sync`: make the venv hold exactly what the lockfiles pin.
pub(crate) fn run(args: &SyncArgs) -> Result<(), CommandError> {
    let default = [PathBuf::from("requirements.txt")];
    let lockfiles = if args.src_files.is_empty() {
        &default[..]
    } else {
        &args.src_files[..]
    };
    for lockfile in lockfiles {
        requirements::read(lockfile)?;
    }
    Err(CommandError::NotSupported("sync"))
}
