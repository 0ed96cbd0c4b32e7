//! Probing an interpreter: run it once with `probe.py`, keep what it says on disk.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::UNIX_EPOCH;

use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::{debug, warn};

use super::platform::{self, Platform};
use super::tags::{AbiInfo, Tags};
use super::{PythonError, TargetEnvironment};

/// The script the interpreter runs to describe itself.
const PROBE_SCRIPT: &str = include_str!("probe.py");

/// A Python interpreter as it described itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Interpreter {
    /// `sys.executable`: the venv's `bin/python` for a venv, the real binary behind a shim.
    pub(crate) executable: PathBuf,
    /// `sys.prefix`.
    pub(crate) prefix: PathBuf,
    /// `sys.base_prefix`: the prefix of the interpreter a venv was made from.
    pub(crate) base_prefix: PathBuf,
    /// Whether this is a virtual environment (PEP 405, or virtualenv's `sys.real_prefix`).
    pub(crate) is_venv: bool,
    /// Where a wheel's files go.
    pub(crate) scheme: InstallScheme,
    /// The PEP 508 marker environment.
    pub(crate) markers: MarkerEnvironment,
    /// The platform that decides the platform tags.
    pub(crate) platform: Platform,
    /// What decides the interpreter and ABI tags.
    pub(crate) abi: AbiInfo,
    /// The interpreter's pointer size in bits: 32 or 64.
    pub(crate) pointer_size: u8,
}

/// The install scheme of an environment, as pip installs into it (the `sysconfig` paths of the
/// default scheme).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InstallScheme {
    /// Pure-Python packages (`site-packages`).
    pub(crate) purelib: PathBuf,
    /// Packages with extension modules; the same directory in most environments.
    pub(crate) platlib: PathBuf,
    /// Console scripts and a wheel's `.data/scripts`.
    pub(crate) scripts: PathBuf,
    /// A wheel's `.data/data`: relative to the prefix.
    pub(crate) data: PathBuf,
    /// A wheel's `.data/headers` go to `<include>/<distribution name>`; in a venv this is
    /// `<prefix>/include/site/pythonX.Y`, as pip does.
    pub(crate) include: PathBuf,
}

impl Interpreter {
    /// Describe the interpreter at `executable`, from the cache under
    /// `<cache_dir>/interpreters/` when the executable has not changed since.
    ///
    /// The cache key is the absolute path *without* resolving symlinks: a venv's `bin/python`
    /// links to its base interpreter, and two venvs of one base must not share an entry. The
    /// entry is valid while the resolved executable's path, size and mtime, and the probe
    /// script, are unchanged. A wrapper script that runs another interpreter is probed every
    /// time.
    pub(crate) fn probe(executable: &Path, cache_dir: Option<&Path>) -> Result<Self, PythonError> {
        let absolute = std::path::absolute(executable).map_err(|source| PythonError::Spawn {
            executable: executable.to_path_buf(),
            source,
        })?;
        let stamp = Stamp::of(&absolute)?;
        let cache_file = cache_dir.map(|dir| cache_file(dir, &absolute));
        if let Some(cache_file) = &cache_file
            && let Some(interpreter) = read_cache(cache_file, &absolute, &stamp)
        {
            debug!(
                "using cached description of `{}` from `{}`",
                absolute.display(),
                cache_file.display()
            );
            return Ok(interpreter);
        }
        let interpreter = run_probe(&absolute)?;
        // A wrapper such as a pyenv shim can start another interpreter tomorrow without changing
        // itself, so only an executable that is the interpreter (`sys.executable`, through
        // symlinks) is cached.
        let is_wrapper =
            fs_err::canonicalize(&interpreter.executable).is_ok_and(|real| real != stamp.canonical);
        if is_wrapper {
            debug!(
                "not caching the description of `{}`: it runs `{}`",
                absolute.display(),
                interpreter.executable.display()
            );
        } else if let Some(cache_file) = &cache_file {
            let entry = CacheEntry {
                probe: probe_hash(),
                path: absolute.clone(),
                stamp,
                interpreter: interpreter.clone(),
            };
            if let Err(err) = write_cache(cache_file, &entry) {
                warn!(
                    "cannot cache the description of `{}` in `{}`: {err}",
                    absolute.display(),
                    cache_file.display()
                );
            }
        }
        Ok(interpreter)
    }

    /// The wheel tags this interpreter installs, best first. Not cheap (hundreds of tags): a
    /// no-op sync never asks.
    pub(crate) fn tags(&self) -> Tags {
        let python_version = &self.markers.python_full_version().version;
        Tags::new(
            super::major_minor(python_version),
            &self.abi,
            &self.platform,
        )
    }

    /// The resolution and install target this interpreter is.
    pub(crate) fn target(&self) -> TargetEnvironment {
        TargetEnvironment {
            markers: self.markers.clone(),
            tags: self.tags(),
            python_version: self.markers.python_full_version().version.clone(),
            platform: self.platform.clone(),
            interpreter: Some(self.clone()),
        }
    }
}

/// What identifies one build of an executable on disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    canonical: PathBuf,
    size: u64,
    mtime_secs: u64,
    mtime_nanos: u32,
}

impl Stamp {
    fn of(absolute: &Path) -> Result<Self, PythonError> {
        let not_found = |source: std::io::Error| {
            if source.kind() == std::io::ErrorKind::NotFound {
                PythonError::NotFound {
                    path: absolute.to_path_buf(),
                }
            } else {
                PythonError::Spawn {
                    executable: absolute.to_path_buf(),
                    source,
                }
            }
        };
        let canonical = fs_err::canonicalize(absolute).map_err(not_found)?;
        let metadata = fs_err::metadata(&canonical).map_err(not_found)?;
        // A file system without mtimes gets a constant one; size and path still count.
        let mtime = metadata
            .modified()
            .ok()
            .and_then(|modified| modified.duration_since(UNIX_EPOCH).ok())
            .unwrap_or_default();
        Ok(Stamp {
            canonical,
            size: metadata.len(),
            mtime_secs: mtime.as_secs(),
            mtime_nanos: mtime.subsec_nanos(),
        })
    }
}

/// One file of the interpreter cache.
#[derive(Debug, Serialize, Deserialize)]
struct CacheEntry {
    /// A hash of the probe script (and pinion's version): a new script means a new probe.
    probe: String,
    path: PathBuf,
    stamp: Stamp,
    interpreter: Interpreter,
}

fn probe_hash() -> String {
    format!("{PROBE_HASH:016x}")
}

/// FNV-1a of pinion's version and the probe script, computed at compile time: hashing the
/// script with SHA-256 on every run cost each no-op sync 420,000 instructions (callgrind).
const PROBE_HASH: u64 = {
    const fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
            i += 1;
        }
        hash
    }
    let hash = fnv1a(0xcbf2_9ce4_8422_2325, env!("CARGO_PKG_VERSION").as_bytes());
    fnv1a(hash, PROBE_SCRIPT.as_bytes())
};

/// `<cache_dir>/interpreters/<hash of the absolute path>.json`.
pub(super) fn cache_file(cache_dir: &Path, absolute: &Path) -> PathBuf {
    let digest = Sha256::digest(absolute.as_os_str().as_encoded_bytes());
    cache_dir
        .join("interpreters")
        .join(format!("{}.json", hex::encode(&digest[..16])))
}

/// The cached description, if there is one and it is still valid. A missing, unreadable or
/// outdated entry is only a reason to probe again.
fn read_cache(cache_file: &Path, absolute: &Path, stamp: &Stamp) -> Option<Interpreter> {
    let content = match fs_err::read(cache_file) {
        Ok(content) => content,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
        Err(err) => {
            debug!("{err}");
            return None;
        }
    };
    let entry: CacheEntry = match serde_json::from_slice(&content) {
        Ok(entry) => entry,
        Err(err) => {
            debug!(
                "ignoring unreadable cache file `{}`: {err}",
                cache_file.display()
            );
            return None;
        }
    };
    if entry.probe != probe_hash() || entry.path != absolute || entry.stamp != *stamp {
        debug!(
            "cached description of `{}` is stale, probing again",
            absolute.display()
        );
        return None;
    }
    Some(entry.interpreter)
}

/// Write through a temporary file and a rename, so a reader never sees half an entry.
fn write_cache(cache_file: &Path, entry: &CacheEntry) -> std::io::Result<()> {
    let dir = cache_file
        .parent()
        .expect("cache files live in a directory");
    fs_err::create_dir_all(dir)?;
    crate::fsutil::write_atomic(cache_file, &serde_json::to_vec(entry)?)
}

/// What `probe.py` prints.
#[derive(Debug, Deserialize)]
struct ProbeOutput {
    executable: Option<String>,
    prefix: PathBuf,
    base_prefix: PathBuf,
    is_venv: bool,
    scheme: InstallScheme,
    markers: ProbeMarkers,
    sysconfig_platform: String,
    pointer_size: u8,
    glibc_version: Option<String>,
    musl_version: Option<String>,
    mac: Option<ProbeMac>,
    cpython: Option<ProbeCPython>,
    generic: Option<ProbeGeneric>,
}

#[derive(Debug, Deserialize)]
struct ProbeMarkers {
    implementation_name: String,
    implementation_version: String,
    os_name: String,
    platform_machine: String,
    platform_python_implementation: String,
    platform_release: String,
    platform_system: String,
    platform_version: String,
    python_full_version: String,
    python_version: String,
    sys_platform: String,
}

#[derive(Debug, Deserialize)]
struct ProbeMac {
    version: String,
    arch: String,
}

#[derive(Debug, Deserialize)]
struct ProbeCPython {
    debug: bool,
    free_threaded: bool,
    pymalloc: bool,
}

#[derive(Debug, Deserialize)]
struct ProbeGeneric {
    interpreter: String,
    abis: Vec<String>,
    compatible_interpreter: Option<String>,
}

/// Probe answer of an interpreter older than the script supports.
#[derive(Debug, Deserialize)]
struct ProbeUnsupported {
    unsupported: String,
}

fn run_probe(executable: &Path) -> Result<Interpreter, PythonError> {
    debug!("probing the Python interpreter `{}`", executable.display());
    // -I: ignore PYTHON* variables, the user site and the working directory, so the answer
    // describes the interpreter and not this shell. -B: write no .pyc files.
    let output = Command::new(executable)
        .args(["-I", "-B", "-c", PROBE_SCRIPT])
        .stdin(Stdio::null())
        .output()
        .map_err(|source| PythonError::Spawn {
            executable: executable.to_path_buf(),
            source,
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
        return Err(PythonError::ProbeFailed {
            executable: executable.to_path_buf(),
            status: output.status.to_string(),
            stderr: (!stderr.is_empty()).then_some(stderr),
        });
    }
    let output_error = |source| PythonError::ProbeOutput {
        executable: executable.to_path_buf(),
        source,
    };
    if let Ok(old) = serde_json::from_slice::<ProbeUnsupported>(&output.stdout) {
        return Err(PythonError::Unsupported {
            executable: executable.to_path_buf(),
            version: old.unsupported,
        });
    }
    let probed: ProbeOutput = serde_json::from_slice(&output.stdout).map_err(output_error)?;
    interpreter_from_probe(executable, probed)
}

fn interpreter_from_probe(
    executable: &Path,
    probed: ProbeOutput,
) -> Result<Interpreter, PythonError> {
    let m = &probed.markers;
    // A CPython built from a git checkout says `3.13.0+`, which is not PEP 440.
    let python_full_version = m.python_full_version.trim_end_matches('+');
    let markers = MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: &m.implementation_name,
        implementation_version: &m.implementation_version,
        os_name: &m.os_name,
        platform_machine: &m.platform_machine,
        platform_python_implementation: &m.platform_python_implementation,
        platform_release: &m.platform_release,
        platform_system: &m.platform_system,
        platform_version: &m.platform_version,
        python_full_version,
        python_version: &m.python_version,
        sys_platform: &m.sys_platform,
    })
    .map_err(|source| PythonError::InvalidMarkers {
        executable: executable.to_path_buf(),
        source,
    })?;
    let platform = platform::from_probe(
        &probed.sysconfig_platform,
        probed.pointer_size,
        probed.glibc_version.as_deref(),
        probed.musl_version.as_deref(),
        probed
            .mac
            .as_ref()
            .map(|mac| (mac.version.as_str(), mac.arch.as_str())),
    );
    let abi = match (probed.cpython, probed.generic) {
        (Some(cpython), _) => AbiInfo::CPython {
            debug: cpython.debug,
            free_threaded: cpython.free_threaded,
            pymalloc: cpython.pymalloc,
        },
        (None, Some(generic)) => AbiInfo::Generic {
            interpreter: generic.interpreter,
            abis: generic.abis,
            compatible_interpreter: generic.compatible_interpreter,
        },
        (None, None) => AbiInfo::cpython(),
    };
    let executable = probed
        .executable
        .filter(|sys_executable| !sys_executable.is_empty())
        .map_or_else(|| executable.to_path_buf(), PathBuf::from);
    Ok(Interpreter {
        executable,
        prefix: probed.prefix,
        base_prefix: probed.base_prefix,
        is_venv: probed.is_venv,
        scheme: probed.scheme,
        markers,
        platform,
        abi,
        pointer_size: probed.pointer_size,
    })
}
