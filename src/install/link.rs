//! Installing an unpacked wheel into an environment: files are hard-linked (or reflinked, or
//! copied) from the unpacked tree; scripts and the files pinion generates are written.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use tracing::debug;
use walkdir::WalkDir;

use super::record::{self, RecordEntry};
use super::scripts::{launcher, rewrite_shebang};
use super::uninstall::PARTIAL_RECORD;
use super::wheel::{
    DataKey, Placement, PrivateTree, WheelInfo, find_dist_info, unpack, unpack_again,
    unpack_private, unpack_to_cache_fresh,
};
use super::{InstallError, InstalledDist, SitePackages};
use crate::fsutil::AtomicFile;
use crate::python::Interpreter;

/// How files get from the unpacked tree into the environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkMode {
    /// A hard link: no copy at all; the default on Linux. Falls back to copying when the tree
    /// and the environment are on different file systems.
    Hardlink,
    /// A copy-on-write clone (reflink: APFS, Btrfs, XFS); the default on macOS. Copies where the
    /// file system cannot clone.
    Clone,
    /// A plain copy.
    Copy,
}

impl Default for LinkMode {
    fn default() -> Self {
        if cfg!(target_os = "macos") {
            LinkMode::Clone
        } else {
            LinkMode::Hardlink
        }
    }
}

/// What an install records besides the files.
#[derive(Clone, Debug, Default)]
pub(crate) struct InstallOptions {
    /// A direct requirement: write `REQUESTED`.
    pub(crate) requested: bool,
    /// The content of `direct_url.json` (PEP 610), for a wheel from a URL or path.
    pub(crate) direct_url: Option<String>,
    pub(crate) link_mode: LinkMode,
    /// Where [`install_wheel`] keeps unpacked wheels ([`unpack_to_cache`]); without one the wheel
    /// is unpacked into a temporary folder and dropped after.
    pub(crate) cache_dir: Option<PathBuf>,
    /// The wheel was downloaded in this run. Its tree is then not kept in the cache but
    /// unpacked into a private folder there and moved into the environment, a folder at a
    /// time where the environment has none of that name: a cold sync creates a third fewer
    /// inodes and makes almost no links (on ext4, the most of its time; benches/RESULTS.md).
    /// A wheel's tree is cached on its second use, when a sync finds the archive cached.
    pub(crate) first_use: bool,
}

/// Install one wheel file into the environment of `interpreter` (PEP 427): [`prepare_wheel`],
/// then [`LinkPlan::apply`].
pub(crate) fn install_wheel(
    wheel: &Path,
    interpreter: &Interpreter,
    options: &InstallOptions,
) -> Result<InstalledDist, InstallError> {
    let installed = SitePackages::read(interpreter)?;
    prepare_wheel(wheel, None, interpreter, options, &installed)?.apply()
}

/// Validate `wheel` completely, unpack it (into the cache, or a temporary folder) and plan its
/// install into `interpreter`'s environment, whose current distributions are `installed`. The
/// environment is not touched.
///
/// With `verified_sha256` (the archive's digest, checked against the lockfile in this run), a
/// cached unpacked tree is linked only once it is known to be the archive's: unpacked by this
/// call (every file hashed against `RECORD` as it was written), or unchanged since it was last
/// verified (its stamp, [`stamp_path`], lists the size, mtime and inode every file had then),
/// or, failing both, each of its files hashed against the archive's own `RECORD` now. A tree
/// that differs is unpacked afresh from the archive.
pub(crate) fn prepare_wheel(
    wheel: &Path,
    verified_sha256: Option<&str>,
    interpreter: &Interpreter,
    options: &InstallOptions,
    installed: &SitePackages,
) -> Result<LinkPlan, InstallError> {
    if let Some(cache_dir) = &options.cache_dir
        && options.first_use
    {
        let tree = unpack_private(wheel, cache_dir)?;
        let mut plan = plan_link(tree.path(), interpreter, options, installed)?;
        plan.temp = Some(tree);
        return Ok(plan);
    }
    if let Some(cache_dir) = &options.cache_dir {
        let (unpacked, fresh) = unpack_to_cache_fresh(wheel, cache_dir, verified_sha256)?;
        let mut plan = plan_link(&unpacked, interpreter, options, installed)?;
        let Some(digest) = verified_sha256 else {
            return Ok(plan);
        };
        let stamp = stamp_path(&unpacked);
        if fresh {
            plan.write_stamp(&stamp, digest);
            return Ok(plan);
        }
        if plan.stamp_matches(&stamp, digest) {
            debug!("`{}` unchanged since verified", unpacked.display());
            return Ok(plan);
        }
        // Stat data taken before hashing: a change made while hashing fails the next check.
        let stats = plan.tree_stats();
        if plan.tree_matches(wheel)? {
            if let Some(stats) = stats {
                write_stamp_file(&stamp, digest, &stats);
            }
            return Ok(plan);
        }
        tracing::warn!(
            "the unpacked copy of `{}` in the cache was altered; unpacking it again",
            wheel.display()
        );
        let (unpacked, fresh) = unpack_again(wheel, cache_dir, &unpacked)?;
        plan = plan_link(&unpacked, interpreter, options, installed)?;
        if fresh {
            plan.write_stamp(&stamp, digest);
        }
        return Ok(plan);
    }
    let temp = tempfile::Builder::new()
        .prefix("pinion-unpack-")
        .tempdir()
        .map_err(InstallError::io(
            "create a temporary directory in",
            std::env::temp_dir(),
        ))?;
    unpack(wheel, temp.path())?;
    let mut plan = plan_link(temp.path(), interpreter, options, installed)?;
    plan.temp = Some(temp.into());
    Ok(plan)
}

/// Install a tree made by [`unpack`] into the environment of `interpreter`.
#[cfg(test)]
pub(crate) fn link_into(
    unpacked: &Path,
    interpreter: &Interpreter,
    options: &InstallOptions,
) -> Result<InstalledDist, InstallError> {
    plan_link(
        unpacked,
        interpreter,
        options,
        &SitePackages::read(interpreter)?,
    )?
    .apply()
}

/// A wheel whose install is decided: every file's place, checked against the environment.
pub(crate) struct LinkPlan {
    unpacked: PathBuf,
    info: WheelInfo,
    ops: Vec<Op>,
    site_packages: PathBuf,
    dist_info_dir: PathBuf,
    python: PathBuf,
    mode: LinkMode,
    direct_url: Option<serde_json::Value>,
    /// The unpacked tree when it is this install's own (not a cached tree): its folders may be
    /// moved into the environment, and what is left is removed after the install.
    temp: Option<PrivateTree>,
}

/// Plan installing a tree made by [`unpack`]: files go to `purelib` or `platlib`
/// (`Root-Is-Purelib`) and `.data/<key>/` to the scheme's folders; `.data/scripts` get their
/// `#!python` shebang rewritten and `entry_points.txt` its launchers. A file may replace one
/// outside site-packages only when an installed distribution owns it (never the interpreter,
/// `pyvenv.cfg` or an activation script), and no script may take such a name.
fn plan_link(
    unpacked: &Path,
    interpreter: &Interpreter,
    options: &InstallOptions,
    installed: &SitePackages,
) -> Result<LinkPlan, InstallError> {
    let top_level: Vec<String> = std::fs::read_dir(unpacked)
        .map_err(InstallError::io("read the directory", unpacked))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    let dist_info = find_dist_info(unpacked, top_level.iter().map(String::as_str), None)?;
    let info = WheelInfo::read(unpacked, dist_info, None, |path| {
        let path = unpacked.join(path);
        match std::fs::read(&path) {
            Ok(content) => Ok(Some(content)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(InstallError::io("read", path)(source)),
        }
    })?;
    let direct_url = options
        .direct_url
        .as_deref()
        .map(serde_json::from_str::<serde_json::Value>)
        .transpose()
        .map_err(|source| InstallError::DirectUrl {
            wheel: unpacked.to_path_buf(),
            source,
        })?;
    let scheme = &interpreter.scheme;
    let site_packages = if info.root_is_purelib {
        scheme.purelib.clone()
    } else {
        scheme.platlib.clone()
    };
    let dist_info_dir = site_packages.join(&info.dist_info);
    let ops = plan_ops(unpacked, &info, interpreter, &dist_info_dir, options)?;
    guard(&ops, unpacked, interpreter, installed)?;
    Ok(LinkPlan {
        unpacked: unpacked.to_path_buf(),
        info,
        ops,
        site_packages,
        dist_info_dir,
        python: interpreter.executable.clone(),
        mode: options.link_mode,
        direct_url,
        temp: None,
    })
}

/// Script names that would shadow the environment's own: the interpreter and the activation
/// scripts of `venv` and virtualenv.
fn shadows_environment(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let name = name.strip_suffix(".exe").unwrap_or(&name);
    let python = name
        .strip_prefix("python")
        .map(|rest| rest.strip_prefix('w').unwrap_or(rest))
        .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '.'));
    python || name == "activate" || name.starts_with("activate.") || name == "activate_this.py"
}

/// Refuse what would break the environment: a script named like its interpreter or activation
/// scripts, and a file outside site-packages that exists and that no installed distribution
/// owns (`bin/python3`, `pyvenv.cfg`).
fn guard(
    ops: &[Op],
    unpacked: &Path,
    interpreter: &Interpreter,
    installed: &SitePackages,
) -> Result<(), InstallError> {
    let scheme = &interpreter.scheme;
    for op in ops {
        let target = op.target();
        let refuse = |reason: &'static str| InstallError::UnsafeEntry {
            wheel: unpacked.to_path_buf(),
            entry: target.display().to_string(),
            reason,
        };
        if target.parent() == Some(scheme.scripts.as_path())
            && target
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(shadows_environment)
        {
            return Err(refuse(
                "a script may not take the name of the environment's interpreter or activation scripts",
            ));
        }
        let inside = target.starts_with(&scheme.purelib) || target.starts_with(&scheme.platlib);
        if !inside && std::fs::symlink_metadata(target).is_ok() && !installed.owns(target) {
            return Err(refuse(
                "it would replace a file of the environment that no installed distribution owns",
            ));
        }
    }
    Ok(())
}

/// The verification stamp of an unpacked tree in the cache: `<tree>.verified`, next to it.
pub(crate) fn stamp_path(tree: &Path) -> PathBuf {
    let mut name = tree.as_os_str().to_owned();
    name.push(".verified");
    PathBuf::from(name)
}

const STAMP_HEADER: &str = "pinion-verified-tree-v1";

/// What a stamp remembers of one file: size, mtime (ns since the epoch) and inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    size: u64,
    mtime_ns: i128,
    inode: u64,
}

impl FileStamp {
    fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::symlink_metadata(path).ok()?;
        if !meta.file_type().is_file() {
            return None;
        }
        #[cfg(unix)]
        let (mtime_ns, inode) = {
            use std::os::unix::fs::MetadataExt;
            (
                i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
                meta.ino(),
            )
        };
        #[cfg(not(unix))]
        let (mtime_ns, inode) = (
            meta.modified()
                .ok()?
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?
                .as_nanos() as i128,
            0,
        );
        Some(FileStamp {
            size: meta.len(),
            mtime_ns,
            inode,
        })
    }
}

/// Write a stamp (best effort: without one, the next sync hashes the tree again). One line
/// of header with the archive's digest, then `size mtime_ns inode path` per file.
fn write_stamp_file(stamp: &Path, digest: &str, stats: &[(String, FileStamp)]) {
    let mut content = format!("{STAMP_HEADER} {digest}\n");
    for (path, file) in stats {
        content.push_str(&format!(
            "{} {} {} {path}\n",
            file.size, file.mtime_ns, file.inode
        ));
    }
    let write = || -> std::io::Result<()> {
        let mut temp = AtomicFile::for_path(stamp)?;
        temp.write_all(content.as_bytes())?;
        temp.persist(stamp)
    };
    if let Err(err) = write() {
        debug!("cannot write `{}`: {err}", stamp.display());
    }
}

impl LinkPlan {
    /// The files a verification covers, relative to the tree: its `RECORD` and every file
    /// linked or written from it with a hash in `RECORD`.
    fn verified_files(&self) -> Vec<(String, &Path)> {
        let mut files = Vec::new();
        for op in &self.ops {
            let (Op::Link { source, record, .. } | Op::Script { source, record, .. }) = op else {
                continue;
            };
            if record.as_ref().and_then(|r| r.hash.as_deref()).is_none() {
                continue;
            }
            let relative = relative_string(source.strip_prefix(&self.unpacked).unwrap_or(source));
            files.push((relative, source.as_path()));
        }
        files
    }

    /// The stat data of [`LinkPlan::verified_files`] and the tree's `RECORD`; None if one is
    /// missing or not a regular file.
    fn tree_stats(&self) -> Option<Vec<(String, FileStamp)>> {
        let record_name = format!("{}/RECORD", self.info.dist_info);
        let record = self.unpacked.join(&record_name);
        let mut stats = vec![(record_name, FileStamp::of(&record)?)];
        for (relative, source) in self.verified_files() {
            if relative.contains('\n') {
                return None;
            }
            stats.push((relative, FileStamp::of(source)?));
        }
        Some(stats)
    }

    fn write_stamp(&self, stamp: &Path, digest: &str) {
        if let Some(stats) = self.tree_stats() {
            write_stamp_file(stamp, digest, &stats);
        }
    }

    /// Whether the stamp at `stamp` was written for the archive `digest` and every file it
    /// covers still has the size, mtime and inode it had when it was verified, and no file was
    /// added to what it covers.
    fn stamp_matches(&self, stamp: &Path, digest: &str) -> bool {
        let Ok(content) = std::fs::read_to_string(stamp) else {
            return false;
        };
        let mut lines = content.lines();
        if lines.next() != Some(&format!("{STAMP_HEADER} {digest}")) {
            return false;
        }
        let mut recorded = std::collections::HashMap::new();
        for line in lines {
            let mut fields = line.splitn(4, ' ');
            let (Some(size), Some(mtime), Some(inode), Some(path)) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return false;
            };
            let (Ok(size), Ok(mtime_ns), Ok(inode)) = (size.parse(), mtime.parse(), inode.parse())
            else {
                return false;
            };
            recorded.insert(
                path,
                FileStamp {
                    size,
                    mtime_ns,
                    inode,
                },
            );
        }
        let Some(stats) = self.tree_stats() else {
            return false;
        };
        stats.len() == recorded.len()
            && stats
                .iter()
                .all(|(path, file)| recorded.get(path.as_str()) == Some(file))
    }

    /// Whether every file of the unpacked tree is the archive's: its `RECORD` is the archive's
    /// and each file hashes to its row. Reads every file: only in hash-checking mode.
    fn tree_matches(&self, wheel: &Path) -> Result<bool, InstallError> {
        let record_name = format!("{}/RECORD", self.info.dist_info);
        let Some(archived) = super::wheel::read_entry(wheel, &record_name)? else {
            return Ok(false);
        };
        let unpacked = self.unpacked.join(&record_name);
        if std::fs::read(&unpacked).ok().as_deref() != Some(archived.as_slice()) {
            return Ok(false);
        }
        for op in &self.ops {
            let (Op::Link { source, record, .. } | Op::Script { source, record, .. }) = op else {
                continue;
            };
            let Some(expected) = record.as_ref().and_then(|r| r.hash.as_deref()) else {
                continue;
            };
            if !record::file_matches(source, expected)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Link, write and record every planned file; `RECORD` last, as the commit point. Before
    /// the first file, the list of every path goes into the `.dist-info` ([`PARTIAL_RECORD`]):
    /// an install stopped halfway is found broken, and removable, by the next sync. If a step
    /// fails, the files and folders created so far are removed again.
    pub(crate) fn apply(self) -> Result<InstalledDist, InstallError> {
        let mut installer = Installer {
            mode: self.mode,
            site_packages: &self.site_packages,
            python: &self.python,
            created_files: Vec::new(),
            created_dirs: Vec::new(),
            known_dirs: HashSet::new(),
            rows: BTreeMap::new(),
            moved: Vec::new(),
        };
        let record_path = self.dist_info_dir.join("RECORD");
        let partial = self.dist_info_dir.join(PARTIAL_RECORD);
        let result = installer
            .write_partial(&partial, &self.ops, &record_path)
            .and_then(|()| match self.temp {
                Some(_) => installer.move_folders(&self.unpacked, &self.info.dist_info, &self.ops),
                None => Ok(()),
            })
            .and_then(|()| self.ops.iter().try_for_each(|op| installer.apply(op)))
            .and_then(|()| installer.write_record(&record_path));
        if let Err(err) = result {
            installer.roll_back();
            return Err(err);
        }
        let _ = std::fs::remove_file(&partial);
        debug!(
            "installed {} {} into `{}`",
            self.info.name,
            self.info.version,
            self.site_packages.display()
        );
        Ok(InstalledDist {
            name: self.info.name,
            version: self.info.version,
            dist_info: self.dist_info_dir,
            direct_url: self.direct_url,
            broken: None,
        })
    }
}

/// Every file of the unpacked wheel, its entry-point launchers and the `.dist-info` files this
/// install writes, each with its place in `interpreter`'s scheme.
fn plan_ops(
    unpacked: &Path,
    info: &WheelInfo,
    interpreter: &Interpreter,
    dist_info_dir: &Path,
    options: &InstallOptions,
) -> Result<Vec<Op>, InstallError> {
    let scheme = &interpreter.scheme;
    let python = &interpreter.executable;
    let site_packages = if info.root_is_purelib {
        &scheme.purelib
    } else {
        &scheme.platlib
    };
    let mut ops = Vec::new();
    for entry in WalkDir::new(unpacked).min_depth(1).sort_by_file_name() {
        let entry = entry.map_err(|err| {
            let path = err.path().unwrap_or(unpacked).to_path_buf();
            InstallError::io("read", path)(err.into())
        })?;
        if entry.file_type().is_dir() {
            continue;
        }
        let relative = relative_string(entry.path().strip_prefix(unpacked).unwrap_or(entry.path()));
        if !entry.file_type().is_file() {
            return Err(InstallError::InvalidWheel {
                wheel: unpacked.to_path_buf(),
                reason: format!("`{relative}` is not a regular file"),
            });
        }
        if let Some(file) = relative
            .strip_prefix(info.dist_info.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            && matches!(
                file,
                "RECORD" | "INSTALLER" | "REQUESTED" | "direct_url.json"
            )
        {
            // Written below, for this install.
            continue;
        }
        let placement = info
            .placement(&relative)
            .map_err(|reason| InstallError::InvalidWheel {
                wheel: unpacked.to_path_buf(),
                reason,
            })?;
        let source = entry.path().to_path_buf();
        let op = match placement {
            Placement::Root(path) => Op::Link {
                target: site_packages.join(path),
                source,
                record: info.record.get(&relative).cloned(),
            },
            Placement::Data(DataKey::Scripts, path) => Op::Script {
                target: scheme.scripts.join(path),
                source,
                record: info.record.get(&relative).cloned(),
            },
            Placement::Data(key, path) => {
                let base = match key {
                    DataKey::Purelib => scheme.purelib.clone(),
                    DataKey::Platlib => scheme.platlib.clone(),
                    // pip: `<include>/<distribution name>`.
                    DataKey::Headers => scheme.include.join(&info.dist_name),
                    DataKey::Data => scheme.data.clone(),
                    DataKey::Scripts => unreachable!("matched above"),
                };
                Op::Link {
                    target: base.join(path),
                    source,
                    record: info.record.get(&relative).cloned(),
                }
            }
        };
        ops.push(op);
    }
    for entry_point in &info.entry_points {
        ops.push(Op::Write {
            target: scheme.scripts.join(&entry_point.name),
            content: launcher(entry_point, python),
            executable: true,
        });
    }
    ops.push(Op::Write {
        target: dist_info_dir.join("INSTALLER"),
        content: b"pinion\n".to_vec(),
        executable: false,
    });
    if options.requested {
        ops.push(Op::Write {
            target: dist_info_dir.join("REQUESTED"),
            content: Vec::new(),
            executable: false,
        });
    }
    if let Some(direct_url) = &options.direct_url {
        ops.push(Op::Write {
            target: dist_info_dir.join("direct_url.json"),
            content: direct_url.as_bytes().to_vec(),
            executable: false,
        });
    }

    Ok(ops)
}

impl Op {
    fn target(&self) -> &Path {
        match self {
            Op::Link { target, .. } | Op::Script { target, .. } | Op::Write { target, .. } => {
                target
            }
        }
    }
}

/// One file to put into the environment.
enum Op {
    /// Link (or copy) a file of the tree unchanged; its `RECORD` row is the wheel's.
    Link {
        source: PathBuf,
        target: PathBuf,
        record: Option<RecordEntry>,
    },
    /// A `.data/scripts` file: written, with its `#!python` shebang rewritten.
    Script {
        source: PathBuf,
        target: PathBuf,
        /// The wheel's `RECORD` row of the source, for checking a cached tree.
        record: Option<RecordEntry>,
    },
    /// A file pinion generates.
    Write {
        target: PathBuf,
        content: Vec<u8>,
        executable: bool,
    },
}

struct Installer<'a> {
    mode: LinkMode,
    site_packages: &'a Path,
    python: &'a Path,
    /// For rolling back: what this install created, in order.
    created_files: Vec<PathBuf>,
    created_dirs: Vec<PathBuf>,
    /// Folders known to exist, to stat each one once.
    known_dirs: HashSet<PathBuf>,
    /// `RECORD` rows by path; a launcher replacing a same-named script keeps one row.
    rows: BTreeMap<String, RecordEntry>,
    /// Folders of a private tree moved into the environment whole: (from, to).
    moved: Vec<(PathBuf, PathBuf)>,
}

impl Installer<'_> {
    fn apply(&mut self, op: &Op) -> Result<(), InstallError> {
        match op {
            Op::Link {
                source,
                target,
                record,
            } => {
                self.created_files.push(target.clone());
                if !self.moved.iter().any(|(from, _)| source.starts_with(from)) {
                    self.create_parents(target)?;
                    self.link(source, target)?;
                }
                let row = match record.as_ref().filter(|row| row.hash.is_some()) {
                    Some(row) => RecordEntry {
                        path: self.record_path(target),
                        hash: row.hash.clone(),
                        size: match row.size {
                            Some(size) => Some(size),
                            None => Some(file_size(target)?),
                        },
                    },
                    // `RECORD.jws` and the like, which the wheel's RECORD cannot hash.
                    None => {
                        let content =
                            std::fs::read(target).map_err(InstallError::io("read", target))?;
                        RecordEntry {
                            path: self.record_path(target),
                            hash: Some(record::sha256(&content)),
                            size: Some(content.len() as u64),
                        }
                    }
                };
                self.rows.insert(row.path.clone(), row);
            }
            Op::Script { source, target, .. } => {
                let content = std::fs::read(source).map_err(InstallError::io("read", source))?;
                let content = rewrite_shebang(&content, self.python).unwrap_or(content);
                self.write(target, &content, true)?;
            }
            Op::Write {
                target,
                content,
                executable,
            } => self.write(target, content, *executable)?,
        }
        Ok(())
    }

    fn write(
        &mut self,
        target: &Path,
        content: &[u8],
        executable: bool,
    ) -> Result<(), InstallError> {
        self.create_parents(target)?;
        self.created_files.push(target.to_path_buf());
        write_file(target, content, executable)?;
        let row = RecordEntry {
            path: self.record_path(target),
            hash: Some(record::sha256(content)),
            size: Some(content.len() as u64),
        };
        self.rows.insert(row.path.clone(), row);
        Ok(())
    }

    /// The paths this install will write, relative to site-packages, before it writes any.
    fn write_partial(
        &mut self,
        partial: &Path,
        ops: &[Op],
        record_path: &Path,
    ) -> Result<(), InstallError> {
        let entries = ops
            .iter()
            .map(Op::target)
            .chain([record_path])
            .map(|target| RecordEntry {
                path: self.record_path(target),
                hash: None,
                size: None,
            })
            .collect();
        let content = record::render(partial, entries)?;
        self.create_parents(partial)?;
        self.created_files.push(partial.to_path_buf());
        write_file(partial, &content, false)
    }

    fn write_record(&mut self, record_path: &Path) -> Result<(), InstallError> {
        let own = RecordEntry {
            path: self.record_path(record_path),
            hash: None,
            size: None,
        };
        self.rows.insert(own.path.clone(), own);
        self.created_files.push(record_path.to_path_buf());
        let content = record::render(
            record_path,
            std::mem::take(&mut self.rows).into_values().collect(),
        )?;
        write_file(record_path, &content, false)
    }

    /// Put `source` at `target`, replacing a file there (as pip does). Never writes into an
    /// existing `target`: it may be a hard link into the cache.
    fn link(&mut self, source: &Path, target: &Path) -> Result<(), InstallError> {
        if self.mode == LinkMode::Hardlink {
            let mut result = std::fs::hard_link(source, target);
            if matches!(&result, Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists) {
                remove_existing(target)?;
                result = std::fs::hard_link(source, target);
            }
            match result {
                Ok(()) => return Ok(()),
                Err(err) => {
                    // Typically another file system (EXDEV); decided once per wheel.
                    debug!(
                        "cannot hard-link `{}` to `{}` ({err}); copying instead",
                        source.display(),
                        target.display()
                    );
                    self.mode = LinkMode::Copy;
                }
            }
        }
        remove_existing(target)?;
        let result = match self.mode {
            LinkMode::Clone => reflink_copy::reflink_or_copy(source, target).map(|_| ()),
            _ => std::fs::copy(source, target).map(|_| ()),
        };
        result.map_err(InstallError::io("copy into place", target))
    }

    /// Move into site-packages each top-level folder of the private tree `unpacked` whose files
    /// all go, unchanged, to the same path there, where site-packages has nothing of that
    /// name: one `rename` instead of a folder and a link per file. A folder that cannot be
    /// moved (another file system, a name taken) is linked file by file as usual.
    fn move_folders(
        &mut self,
        unpacked: &Path,
        dist_info: &str,
        ops: &[Op],
    ) -> Result<(), InstallError> {
        let mut movable: BTreeMap<&std::ffi::OsStr, bool> = BTreeMap::new();
        for op in ops {
            let (source, same_place) = match op {
                Op::Link { source, target, .. } => {
                    let relative = source.strip_prefix(unpacked).unwrap_or(source);
                    (source, *target == self.site_packages.join(relative))
                }
                Op::Script { source, .. } => (source, false),
                Op::Write { .. } => continue,
            };
            let mut parts = source.strip_prefix(unpacked).unwrap_or(source).components();
            if let (Some(Component::Normal(top)), Some(_)) = (parts.next(), parts.next()) {
                *movable.entry(top).or_insert(true) &= same_place;
            }
        }
        for (top, _) in movable
            .into_iter()
            .filter(|(top, all)| *all && *top != dist_info)
        {
            let (from, to) = (unpacked.join(top), self.site_packages.join(top));
            if std::fs::symlink_metadata(&to).is_ok() {
                continue;
            }
            self.create_parents(&to)?;
            match std::fs::rename(&from, &to) {
                Ok(()) => self.moved.push((from, to)),
                Err(err) => debug!("cannot move `{}` into place ({err})", from.display()),
            }
        }
        Ok(())
    }

    /// Create the missing folders above `path`, remembering them for a roll-back.
    fn create_parents(&mut self, path: &Path) -> Result<(), InstallError> {
        let Some(parent) = path.parent() else {
            return Ok(());
        };
        if self.known_dirs.contains(parent) {
            return Ok(());
        }
        let mut missing = Vec::new();
        let mut dir = parent;
        while !dir.is_dir() {
            missing.push(dir.to_path_buf());
            match dir.parent() {
                Some(up) => dir = up,
                None => break,
            }
        }
        for dir in missing.into_iter().rev() {
            match std::fs::create_dir(&dir) {
                Ok(()) => self.created_dirs.push(dir.clone()),
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(source) => return Err(InstallError::io("create", dir)(source)),
            }
            self.known_dirs.insert(dir);
        }
        self.known_dirs.insert(parent.to_path_buf());
        Ok(())
    }

    /// `target` relative to `site-packages`, `/`-separated, as `RECORD` lists it.
    fn record_path(&self, target: &Path) -> String {
        relative_string(&relative_to(target, self.site_packages))
    }

    /// Best effort: remove what this install created. A file it replaced stays replaced.
    fn roll_back(&mut self) {
        for file in self.created_files.drain(..).rev() {
            let _ = std::fs::remove_file(&file);
        }
        // Folder by folder, only the empty ones: another wheel may have linked files into a
        // moved folder since (a namespace package's).
        for (_, to) in self.moved.drain(..) {
            for dir in WalkDir::new(&to).contents_first(true).into_iter().flatten() {
                if dir.file_type().is_dir() {
                    let _ = std::fs::remove_dir(dir.path());
                }
            }
        }
        for dir in self.created_dirs.drain(..).rev() {
            let _ = std::fs::remove_dir(&dir);
        }
    }
}

fn file_size(path: &Path) -> Result<u64, InstallError> {
    Ok(std::fs::metadata(path)
        .map_err(InstallError::io("read", path))?
        .len())
}

/// Remove a file (or symlink) at `path` if there is one.
fn remove_existing(path: &Path) -> Result<(), InstallError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(InstallError::io("replace", path)(source)),
    }
}

/// Write `content` to `path` atomically, never through an existing file (which may be a hard
/// link into the cache), with the permissions pip gives installed files.
fn write_file(path: &Path, content: &[u8], executable: bool) -> Result<(), InstallError> {
    let write = || {
        let mut temp = AtomicFile::for_path(path)?;
        temp.write_all(content)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = if executable { 0o755 } else { 0o644 };
            temp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        #[cfg(not(unix))]
        let _ = executable;
        temp.persist(path)
    };
    write().map_err(InstallError::io("write", path))
}

/// `path` relative to `base`, lexically (as Python's `os.path.relpath`); both absolute.
pub(crate) fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let path: Vec<Component> = path.components().collect();
    let base: Vec<Component> = base.components().collect();
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in common..base.len() {
        relative.push("..");
    }
    for component in &path[common..] {
        relative.push(component);
    }
    relative
}

/// A relative path with `/` separators.
fn relative_string(path: &Path) -> String {
    path.components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_paths_climb_out_of_site_packages() {
        let site = Path::new("/venv/lib/python3.12/site-packages");
        assert_eq!(
            relative_string(&relative_to(Path::new("/venv/bin/pkg-cli"), site)),
            "../../../bin/pkg-cli"
        );
        assert_eq!(
            relative_string(&relative_to(
                Path::new("/venv/lib/python3.12/site-packages/pkg/__init__.py"),
                site
            )),
            "pkg/__init__.py"
        );
    }
}
