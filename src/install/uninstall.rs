//! Uninstalling by `RECORD`, as pip does.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use tracing::{debug, warn};

use super::{InstallError, InstalledDist, record};
use crate::python::Interpreter;

/// The name of the list an install writes into its `.dist-info` before its first file: every
/// path it will write, relative to site-packages as `RECORD` spells them. `RECORD` replaces it
/// at the end (the commit point); a killed install leaves it, and it tells what to remove.
pub(crate) const PARTIAL_RECORD: &str = "RECORD.pinion-partial";

/// What uninstalling one distribution removes, decided before anything is removed.
pub(crate) struct Uninstall {
    dist: InstalledDist,
    /// Files to remove (absolute, inside the environment).
    files: Vec<PathBuf>,
}

/// Plan removing exactly the files `RECORD` lists (relative to the folder holding the
/// `.dist-info`, possibly climbing out with `../` for scripts and data), the `__pycache__`
/// `.pyc` files of the listed `.py` files, the `.dist-info` folder itself, and then the folders
/// left empty.
///
/// Nothing outside the environment's prefix is touched: pip skips such `RECORD` entries too. A
/// legacy `.egg-info` folder is uninstalled by its `installed-files.txt`, relative to itself.
/// A `.dist-info` that a killed install left without `RECORD` is uninstalled by the list that
/// install wrote first ([`PARTIAL_RECORD`]), else as the folder alone. Without any list a dist
/// cannot be uninstalled safely, and this is an error naming it.
pub(crate) fn plan(
    dist: &InstalledDist,
    interpreter: &Interpreter,
) -> Result<Uninstall, InstallError> {
    let base = if dist.is_egg_info() {
        dist.dist_info.clone()
    } else {
        dist.dist_info
            .parent()
            .map_or_else(|| dist.dist_info.clone(), Path::to_path_buf)
    };
    let lists: &[&str] = if dist.is_egg_info() {
        &["installed-files.txt"]
    } else {
        &["RECORD", PARTIAL_RECORD]
    };
    let mut found = None;
    for name in lists {
        let list = dist.dist_info.join(name);
        match std::fs::read(&list) {
            Ok(content) => {
                found = Some((list, content));
                break;
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(InstallError::io("read", list)(source)),
        }
    }
    let relative_paths: Vec<String> = match found {
        Some((list, content)) if !dist.is_egg_info() => record::parse(&content, &list)?
            .into_iter()
            .map(|entry| entry.path)
            .collect(),
        Some((_, content)) => String::from_utf8_lossy(&content)
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_string)
            .collect(),
        None if dist.broken.is_some() && !dist.is_egg_info() => {
            warn!(
                "`{}` has no RECORD: removing the folder alone; files it installed may remain",
                dist.dist_info.display()
            );
            Vec::new()
        }
        None => {
            return Err(InstallError::NoRecord {
                name: dist.name.to_string(),
                version: dist.version.to_string(),
                dist_info: dist.dist_info.clone(),
            });
        }
    };
    let prefix = normalize(&interpreter.prefix);
    let mut files = Vec::new();
    for relative in &relative_paths {
        let path = normalize(&base.join(relative));
        if !path.starts_with(&prefix) {
            warn!(
                "not removing `{}` of `{}`: it is outside the environment `{}`",
                path.display(),
                dist.name,
                prefix.display()
            );
            continue;
        }
        // The `.dist-info` folder goes as a whole, last.
        if !path.starts_with(&dist.dist_info) {
            files.push(path);
        }
    }
    Ok(Uninstall {
        dist: dist.clone(),
        files,
    })
}

impl Uninstall {
    /// Remove the planned files, then the `.dist-info` folder, then emptied folders.
    pub(crate) fn apply(self, interpreter: &Interpreter) -> Result<(), InstallError> {
        let dist = &self.dist;
        // RECORD is demoted to the partial list first: a sync killed from here on finds the
        // distribution broken (no RECORD) and removes the rest by that list.
        let record = dist.dist_info.join("RECORD");
        if !dist.is_egg_info() && record.is_file() {
            let partial = dist.dist_info.join(PARTIAL_RECORD);
            std::fs::rename(&record, &partial).map_err(InstallError::io("move", &record))?;
        }
        let prefix = normalize(&interpreter.prefix);
        let mut parents = BTreeSet::new();
        for path in &self.files {
            if remove_file(path)? {
                debug!("removed `{}`", path.display());
            }
            let Some(parent) = path.parent() else {
                continue;
            };
            parents.insert(parent.to_path_buf());
            if path.extension().is_some_and(|extension| extension == "py") {
                remove_bytecode(path, &mut parents)?;
            }
        }
        match std::fs::remove_dir_all(&dist.dist_info) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(InstallError::io("remove", dist.dist_info.clone())(source)),
        }
        if let Some(parent) = dist.dist_info.parent() {
            parents.insert(parent.to_path_buf());
        }
        let keep = layout_dirs(interpreter);
        // Deepest first, so a folder emptied by removing its subfolder goes too.
        for dir in parents.iter().rev() {
            let mut dir = dir.as_path();
            while dir.starts_with(&prefix) && !keep.contains(dir) {
                // Fails on a non-empty folder, which is where this stops.
                if std::fs::remove_dir(dir).is_err() {
                    break;
                }
                debug!("removed empty `{}`", dir.display());
                match dir.parent() {
                    Some(up) => dir = up,
                    None => break,
                }
            }
        }
        Ok(())
    }
}

/// Plan and remove one distribution (see [`plan`]).
#[cfg(test)]
pub(crate) fn uninstall(
    dist: &InstalledDist,
    interpreter: &Interpreter,
) -> Result<(), InstallError> {
    plan(dist, interpreter)?.apply(interpreter)
}

/// Remove a file or symlink; `false` when there was none. A listed folder is left alone.
fn remove_file(path: &Path) -> Result<bool, InstallError> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => Ok(false),
        Ok(_) => std::fs::remove_file(path)
            .map(|()| true)
            .map_err(InstallError::io("remove", path)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(InstallError::io("remove", path)(source)),
    }
}

/// Remove `__pycache__/<stem>.*.pyc` (every interpreter and optimization level) and a legacy
/// `<stem>.pyc` next to the source, which `compileall` or Python itself may have written.
fn remove_bytecode(source: &Path, parents: &mut BTreeSet<PathBuf>) -> Result<(), InstallError> {
    let (Some(dir), Some(stem)) = (source.parent(), source.file_stem()) else {
        return Ok(());
    };
    let stem = stem.to_string_lossy();
    remove_file(&source.with_extension("pyc"))?;
    let cache = dir.join("__pycache__");
    let entries = match std::fs::read_dir(&cache) {
        Ok(entries) => entries,
        Err(_) => return Ok(()),
    };
    let prefix = format!("{stem}.");
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(".pyc") {
            remove_file(&entry.path())?;
        }
    }
    parents.insert(cache);
    Ok(())
}

/// The scheme's folders and every folder above them up to the prefix: the layout of the
/// environment, kept even when empty.
fn layout_dirs(interpreter: &Interpreter) -> BTreeSet<PathBuf> {
    let scheme = &interpreter.scheme;
    let mut keep = BTreeSet::new();
    for dir in [
        &scheme.purelib,
        &scheme.platlib,
        &scheme.scripts,
        &scheme.data,
        &scheme.include,
        &interpreter.prefix,
    ] {
        let mut dir = normalize(dir);
        loop {
            keep.insert(dir.clone());
            if !dir.pop() {
                break;
            }
        }
    }
    keep
}

/// Resolve `.` and `..` lexically, as Python's `os.path.normpath`; the file system is not
/// consulted, so a symlink in the path is not followed.
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}
