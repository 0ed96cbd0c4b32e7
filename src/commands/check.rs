use std::path::PathBuf;

use crate::cli::CheckArgs;
use crate::commands::CommandError;
use crate::requirements;

/// `pinion check`: offline, do the pins still satisfy their inputs?
pub(crate) fn run(args: &CheckArgs) -> Result<(), CommandError> {
    let default = [PathBuf::from("requirements.txt")];
    let lockfiles = if args.lockfiles.is_empty() {
        &default[..]
    } else {
        &args.lockfiles[..]
    };
    for lockfile in lockfiles {
        requirements::read(lockfile)?;
    }
    Err(CommandError::NotSupported("check"))
}
