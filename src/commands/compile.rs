use std::path::{Path, PathBuf};

use crate::cli::CompileArgs;
use crate::commands::CommandError;
use crate::requirements;

/// `pinion compile`: read the inputs, resolve, write the lockfile.
pub(crate) fn run(args: &CompileArgs) -> Result<(), CommandError> {
    let default = [PathBuf::from("requirements.in")];
    let sources = if args.src_files.is_empty() {
        &default[..]
    } else {
        &args.src_files[..]
    };
    for source in sources {
        read_input(source)?;
    }
    for constraint in &args.constraint {
        requirements::read(constraint)?;
    }
    Err(CommandError::NotSupported("compile"))
}

fn read_input(path: &Path) -> Result<requirements::RequirementsTxt, CommandError> {
    if path == Path::new("-") {
        let content = std::io::read_to_string(std::io::stdin()).map_err(|source| {
            requirements::RequirementsError::Read {
                path: path.to_path_buf(),
                source,
            }
        })?;
        return Ok(requirements::read_str(path, content)?);
    }
    Ok(requirements::read(path)?)
}
