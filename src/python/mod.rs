//! Python environments: finding and probing interpreters, the PEP 508 marker environment, the
//! wheel tags (PEP 425) an environment accepts, and where an install puts files.
//!
//! A [`TargetEnvironment`] is what the resolver resolves for and the installer installs into.
//! It comes from a real interpreter ([`Interpreter::target`]) or, for `--python-version` and
//! `--python-platform`, from a description alone ([`target_from_version`]).

mod discovery;
mod error;
mod interpreter;
mod platform;
mod tags;
#[cfg(all(test, unix))]
mod tests;
mod user;

use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, StringVersion};

pub(crate) use discovery::find_interpreter;
pub(crate) use error::PythonError;
pub(crate) use interpreter::Interpreter;
pub(crate) use platform::Platform;
pub(crate) use tags::{AbiInfo, Tags};
pub(crate) use user::UserSite;

use platform::TargetPlatform;

/// What a resolution or an install targets.
#[derive(Clone, Debug)]
pub(crate) struct TargetEnvironment {
    /// The PEP 508 marker environment.
    pub(crate) markers: MarkerEnvironment,
    /// The wheel tags it accepts.
    pub(crate) tags: Tags,
    /// `python_full_version` as a version (e.g. 3.12.1), for `Requires-Python`.
    pub(crate) python_version: Version,
    /// The platform the tags were derived from; kept so a `--python-version` target can be
    /// built on this one.
    pub(crate) platform: Platform,
    /// `Some` when built from a real interpreter.
    pub(crate) interpreter: Option<Interpreter>,
}

/// What compile resolves for: `--python-version` (and `--python-platform`) alone describe a
/// target without running anything; otherwise the interpreter found (`python`, else the active
/// or project venv, else `python3`) is probed, and a version or platform given with it
/// overrides its own.
///
/// `alongside` runs with the interpreter found, on another thread, while it is probed. On a
/// cold cache the probe is an interpreter start (0.1 s on a loaded 2-core machine, most of it
/// Python's own start-up and `site`); work that needs the same interpreter (asking its pip for
/// its configuration) then adds no wall time.
pub(crate) fn resolve_target(
    python: Option<&std::path::Path>,
    version: Option<&str>,
    platform: Option<&str>,
    cache_dir: Option<&std::path::Path>,
    alongside: impl FnOnce(&std::path::Path) + Send,
) -> Result<TargetEnvironment, PythonError> {
    if let (Some(version), None) = (version, python) {
        return target_from_version(version, platform, None);
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| std::path::PathBuf::from("."));
    let executable = find_interpreter(python, &cwd)?;
    let interpreter = std::thread::scope(|scope| {
        scope.spawn(|| alongside(&executable));
        Interpreter::probe(&executable, cache_dir)
    })?;
    let base = interpreter.target();
    if version.is_none() && platform.is_none() {
        return Ok(base);
    }
    let version = version.map_or_else(|| base.python_version.to_string(), str::to_string);
    let mut target = target_from_version(&version, platform, Some(&base))?;
    target.interpreter = Some(interpreter);
    Ok(target)
}

/// What `compile --check` resolves for when the lockfile's header names the Python version it
/// was compiled with (`with Python 3.11`) and nothing else: that version, on the local
/// interpreter's platform, with the local interpreter kept for builds and pip's configuration.
/// When the local interpreter is that version, it is the target as it stands; without one, the
/// version alone describes the target.
pub(crate) fn resolve_recorded_target(
    version: &str,
    platform: Option<&str>,
    cache_dir: Option<&std::path::Path>,
) -> Result<TargetEnvironment, PythonError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| std::path::PathBuf::from("."));
    let Ok(executable) = find_interpreter(None, &cwd) else {
        return target_from_version(version, platform, None);
    };
    let interpreter = Interpreter::probe(&executable, cache_dir)?;
    let base = interpreter.target();
    let release = base.python_version.release();
    let same = format!("{}.{}", release[0], release.get(1).copied().unwrap_or(0)) == version;
    if same && platform.is_none() {
        return Ok(base);
    }
    let mut target = target_from_version(version, platform, Some(&base))?;
    target.interpreter = Some(interpreter);
    Ok(target)
}

/// The interpreter builds run with: the target's own, or else (`--python-version` alone) the one
/// pinion would find without `--python` (the active or project venv, else `python3`), as uv
/// does. Metadata built by another minor version is what pip's `--python-version` gives too.
/// None when there is none: sdists that need a build are then skipped, with a warning.
pub(crate) fn build_interpreter(
    target: &TargetEnvironment,
    cache_dir: Option<&std::path::Path>,
) -> Option<Interpreter> {
    if let Some(interpreter) = &target.interpreter {
        return Some(interpreter.clone());
    }
    let cwd = std::env::current_dir().ok()?;
    let found = find_interpreter(None, &cwd)
        .and_then(|executable| Interpreter::probe(&executable, cache_dir));
    match found {
        Ok(interpreter) => {
            tracing::debug!(
                "builds for metadata run with `{}`",
                interpreter.executable.display()
            );
            Some(interpreter)
        }
        Err(err) => {
            tracing::debug!("no interpreter to build with: {err}");
            None
        }
    }
}

/// A target without an interpreter, from `--python-version 3.X[.Y]` and an optional
/// `--python-platform`.
///
/// Without a platform the target keeps the platform of `base` (its markers too, with the
/// Python-version markers replaced), or else takes the machine pinion runs on, as
/// uv does (on Linux its own glibc or musl version, see `platform::host`).
/// The tags are those of a regular CPython build of that version, as uv assumes.
pub(crate) fn target_from_version(
    version: &str,
    platform: Option<&str>,
    base: Option<&TargetEnvironment>,
) -> Result<TargetEnvironment, PythonError> {
    let (major, minor, patch) = parse_python_version(version)?;
    let python_version = format!("{major}.{minor}");
    let python_full_version = format!("{major}.{minor}.{patch}");
    let parse = |value: &str| {
        value
            .parse::<StringVersion>()
            .expect("digits and dots are a version")
    };

    let target_platform = match platform {
        Some(platform) => Some(TargetPlatform::parse(platform)?),
        None if base.is_none() => Some(platform::host()),
        None => None,
    };
    let mut markers = match base {
        Some(base) => base.markers.clone(),
        None => MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: &python_full_version,
            os_name: "",
            platform_machine: "",
            platform_python_implementation: "CPython",
            platform_release: "",
            platform_system: "",
            platform_version: "",
            python_full_version: &python_full_version,
            python_version: &python_version,
            sys_platform: "",
        })
        .expect("digits and dots are a version"),
    };
    markers = markers
        .with_python_version(parse(&python_version))
        .with_python_full_version(parse(&python_full_version));
    if markers.implementation_name() == "cpython" {
        markers = markers.with_implementation_version(parse(&python_full_version));
    }
    let platform = match target_platform {
        Some(target) => {
            // What a target triple cannot know about the machine is left empty, as uv does.
            markers = markers
                .with_os_name(target.markers.os_name)
                .with_sys_platform(target.markers.sys_platform)
                .with_platform_system(target.markers.platform_system)
                .with_platform_machine(target.markers.platform_machine)
                .with_platform_release("")
                .with_platform_version("");
            target.platform
        }
        None => base.expect("no platform means a base").platform.clone(),
    };
    let python_version = parse(&python_full_version).version;
    let tags = Tags::new((major, minor), &AbiInfo::cpython(), &platform);
    Ok(TargetEnvironment {
        markers,
        tags,
        python_version,
        platform,
        interpreter: None,
    })
}

/// `3.X` or `3.X.Y`, the patch defaulting to 0.
fn parse_python_version(value: &str) -> Result<(u64, u64, u64), PythonError> {
    let invalid = || PythonError::InvalidVersion {
        value: value.to_string(),
    };
    let parts = value
        .trim()
        .split('.')
        .map(|part| {
            if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse::<u64>().ok()
            } else {
                None
            }
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(invalid)?;
    match parts[..] {
        [3, minor] => Ok((3, minor, 0)),
        [3, minor, patch] => Ok((3, minor, patch)),
        _ => Err(invalid()),
    }
}

/// `(major, minor)` of a Python version.
fn major_minor(version: &Version) -> (u64, u64) {
    let release = version.release();
    (
        release.first().copied().unwrap_or(3),
        release.get(1).copied().unwrap_or(0),
    )
}
