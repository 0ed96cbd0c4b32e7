use std::path::PathBuf;

use miette::Diagnostic;

use crate::metadata::MetadataError;

/// Why a wheel could not be installed, a distribution uninstalled, or an environment read.
///
/// `wheel` names the wheel file, or the unpacked tree of one when installing from the cache.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub(crate) enum InstallError {
    /// A file or directory could not be read, written, linked or removed.
    #[error("cannot {action} `{}`", path.display())]
    #[diagnostic(code(pinion::install::io))]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file name is not `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`.
    #[error("`{}` is not a valid wheel file name", wheel.display())]
    #[diagnostic(code(pinion::install::wheel_filename))]
    InvalidFilename { wheel: PathBuf },

    /// The wheel is not a zip archive pinion can read.
    #[error("cannot read the wheel `{}` as a zip archive", wheel.display())]
    #[diagnostic(code(pinion::install::zip))]
    Zip {
        wheel: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },

    /// An entry would land outside its target directory (absolute, `..`, a drive letter) or is
    /// a symlink, which could redirect later writes.
    #[error("the wheel `{}` has an unsafe entry `{entry}`: {reason}", wheel.display())]
    #[diagnostic(
        code(pinion::install::unsafe_entry),
        help("the wheel is corrupt or malicious; nothing was installed")
    )]
    UnsafeEntry {
        wheel: PathBuf,
        entry: String,
        reason: &'static str,
    },

    /// The wheel does not have PEP 427's layout: one `.dist-info` folder matching its name,
    /// with `WHEEL`, `METADATA` and `RECORD`, and known `.data` folders.
    #[error("the wheel `{}` is invalid: {reason}", wheel.display())]
    #[diagnostic(code(pinion::install::invalid_wheel))]
    InvalidWheel { wheel: PathBuf, reason: String },

    /// The wheel's `METADATA` does not parse.
    #[error("the wheel `{}` has invalid metadata in `{file}`", wheel.display())]
    #[diagnostic(code(pinion::install::metadata))]
    Metadata {
        wheel: PathBuf,
        file: String,
        #[source]
        source: MetadataError,
    },

    /// A `RECORD` file is not CSV.
    #[error("cannot parse `{}` as a RECORD file", path.display())]
    #[diagnostic(code(pinion::install::record))]
    RecordCsv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },

    /// A `RECORD` row is malformed.
    #[error("`{}` has an invalid row for `{entry}`: {reason}", path.display())]
    #[diagnostic(code(pinion::install::record))]
    RecordRow {
        path: PathBuf,
        entry: String,
        reason: String,
    },

    /// A file's content does not match its hash in the wheel's `RECORD` (PEP 427: installers
    /// verify every hash).
    #[error("the wheel `{}` is corrupt: `{entry}` does not match its hash in RECORD (expected `{expected}`, got `{actual}`)", wheel.display())]
    #[diagnostic(
        code(pinion::install::hash_mismatch),
        help("download the wheel again; nothing was installed")
    )]
    HashMismatch {
        wheel: PathBuf,
        entry: String,
        expected: String,
        actual: String,
    },

    /// A file of the archive is not listed with a hash in `RECORD` (PEP 427: installation fails).
    #[error("the wheel `{}` has `{entry}`, which its RECORD does not list with a hash", wheel.display())]
    #[diagnostic(code(pinion::install::not_in_record))]
    NotInRecord { wheel: PathBuf, entry: String },

    /// `RECORD` uses a hash other than sha256, sha384 or sha512.
    #[error("the wheel `{}` hashes `{entry}` with `{algorithm}`, which pinion does not accept", wheel.display())]
    #[diagnostic(
        code(pinion::install::unsupported_hash),
        help("PEP 427 requires sha256 or a stronger hash")
    )]
    UnsupportedHash {
        wheel: PathBuf,
        entry: String,
        algorithm: String,
    },

    /// An `entry_points.txt` script cannot be turned into a launcher safely.
    #[error("the wheel `{}` has an invalid `[{group}]` entry point `{entry_point}`: {reason}", wheel.display())]
    #[diagnostic(code(pinion::install::entry_point))]
    InvalidEntryPoint {
        wheel: PathBuf,
        group: String,
        entry_point: String,
        reason: &'static str,
    },

    /// The `direct_url.json` content given for an install is not JSON.
    #[error("the `direct_url.json` given for `{}` is not valid JSON", wheel.display())]
    #[diagnostic(code(pinion::install::direct_url))]
    DirectUrl {
        wheel: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    /// An installed distribution has no `RECORD` (nor, for `.egg-info`, `installed-files.txt`),
    /// so there is no list of its files to remove; pip refuses too.
    #[error("cannot uninstall `{name}` {version}: `{}` has no list of installed files", dist_info.display())]
    #[diagnostic(
        code(pinion::install::no_record),
        help("it was not installed by a standard installer; remove it by hand, then sync again")
    )]
    NoRecord {
        name: String,
        version: String,
        dist_info: PathBuf,
    },

    /// A wheel that unpacks to more than real wheels ever do (a zip bomb), or an entry that
    /// holds more than it declares.
    #[error("the wheel `{}` unpacks to {size} bytes, more than the {limit} pinion allows", wheel.display())]
    #[diagnostic(
        code(pinion::install::too_large),
        help("the wheel is corrupt or malicious; nothing was installed")
    )]
    TooLarge {
        wheel: PathBuf,
        size: u64,
        limit: u64,
    },

    /// Another sync held the environment's lock for longer than pinion waits.
    #[error("another sync still holds the lock on `{}` after {waited} s", path.display())]
    #[diagnostic(
        code(pinion::install::lock_timeout),
        help("wait for it to finish, or raise PINION_LOCK_TIMEOUT (seconds)")
    )]
    LockTimeout { path: PathBuf, waited: u64 },

    /// The interpreter could not be started to byte-compile.
    #[error("cannot run `{}` to byte-compile", executable.display())]
    #[diagnostic(code(pinion::install::compile))]
    CompileSpawn {
        executable: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// `python -m compileall` crashed (not: some file did not compile, which only warns).
    #[error("byte-compiling with `{}` failed ({status})", executable.display())]
    #[diagnostic(code(pinion::install::compile))]
    CompileFailed {
        executable: PathBuf,
        status: String,
        #[help]
        output: Option<String>,
    },
}

impl InstallError {
    /// A closure for `map_err` that turns an I/O error about `path` into [`InstallError::Io`].
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> InstallError {
        let path = path.into();
        move |source| InstallError::Io {
            action,
            path,
            source,
        }
    }
}
