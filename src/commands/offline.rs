//! What `check`, `why` and `tree` read of a lockfile offline: its pins, the inputs its header
//! names, the target it was compiled for, and whatever metadata of its pins the cache holds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pep508_rs::PackageName;

use crate::cache::{CacheSettings, Refresh};
use crate::commands::{CommandError, Services};
use crate::index::{FormatPolicy, best_file, metadata_file};
use crate::inputs::{offline_rewrites, read_input};
use crate::lockfile;
use crate::lockfile::verify::{self, LockedPin};
use crate::metadata::CoreMetadata;
use crate::python::{self, TargetEnvironment};
use crate::requirements::{self, IndexOptions, Origin, RequirementEntry, RequirementsTxt};
use crate::resolver::Rewrites;
use crate::settings::{CompileSettings, FormatSettings, recorded_compile, recorded_universe};

/// A lockfile with its inputs and the cached metadata of its pins.
pub(crate) struct OfflineLockfile {
    /// The lockfile's text.
    pub(crate) text: String,
    pub(crate) locked: RequirementsTxt,
    /// The settings its header records.
    pub(crate) compile: CompileSettings,
    pub(crate) target: TargetEnvironment,
    /// The input requirements, each with the line it comes from.
    pub(crate) inputs: Vec<RequirementEntry>,
    pub(crate) constraints: Vec<RequirementEntry>,
    /// The pins whose markers hold for the target.
    pub(crate) pins: Vec<LockedPin>,
    pub(crate) metadata: HashMap<PackageName, Arc<CoreMetadata>>,
    /// Inputs whose dependencies only a build can tell.
    pub(crate) built_inputs: Vec<String>,
    /// Each included input file with the `-r`/`-c` line that included it.
    pub(crate) included_from: HashMap<PathBuf, Origin>,
    /// A universal lockfile's universe (its header has `--universal`): `check` evaluates pins
    /// and inputs across it rather than for `target` alone.
    pub(crate) universe: Option<pep508_rs::MarkerTree>,
    /// The cached metadata of every pinned version, whatever its markers (a universal lockfile
    /// may pin one name twice).
    pub(crate) all_metadata: Vec<Arc<CoreMetadata>>,
    /// The header's `--override` files and `--exclude` names, applied to every requirement
    /// as compile applied them.
    pub(crate) rewrites: Rewrites,
}

/// Read `lockfile`, the inputs its header names and the cached metadata of its pins. Nothing
/// goes to the network.
pub(crate) fn load(lockfile: &Path, cache_dir: &Path) -> Result<OfflineLockfile, CommandError> {
    let text = crate::fsutil::read_input(lockfile).map_err(|source| {
        requirements::RequirementsError::Read {
            path: lockfile.to_path_buf(),
            source,
        }
    })?;
    let locked = crate::lockfile::read_locked(lockfile, text.clone())?;
    let recorded = recorded_compile(lockfile, &text)?;
    let compile = recorded.settings;
    let names: Vec<String> = recorded
        .sources
        .iter()
        .map(|s| format!("`{}`", s.display()))
        .collect();
    tracing::info!("`{}`: inputs {}", lockfile.display(), names.join(", "));

    let target = target_of(&compile, &text)?;
    let mut inputs = Vec::new();
    let mut constraints = Vec::new();
    let mut options = locked.options.clone();
    // Projects whose dependencies only a build can tell: offline commands cannot build, so they
    // say they could not follow them.
    let mut built_inputs = Vec::new();
    let mut included_from = HashMap::new();
    for source in &recorded.sources {
        let input = read_input(source, &compile.selection)?;
        // Build requirements (`--build-deps-for`) come from the backend's hooks, which only a
        // build environment can run.
        if input.needs_build.is_some() || !compile.selection.build_deps.is_empty() {
            built_inputs.push(source.display().to_string());
        }
        let input = input.requirements;
        included_from.extend(input.included_from);
        inputs.extend(input.requirements);
        constraints.extend(input.constraints);
        options.merge(&input.options);
    }
    for file in &compile.constraints {
        let input = requirements::read(file)?;
        constraints.extend(input.requirements);
        constraints.extend(input.constraints);
    }
    let rewrites = offline_rewrites(&compile.graph)?;
    let pins = verify::locked_pins(&locked, &target.markers);
    let universe = universe_of(lockfile, &text, &target)?;
    // Universal: every pin's metadata, whatever its markers; else the target's pins'.
    let wanted = match universe {
        Some(_) => verify::all_locked_pins(&locked),
        None => pins.clone(),
    };
    // The file compile read the metadata of: for a universal lockfile, chosen as a universal
    // resolution chooses it (a wheel of any platform is as good as this one's).
    let tags = match universe {
        Some(_) => target.tags.clone().any_platform(),
        None => target.tags.clone(),
    };
    let all_metadata = cached_metadata(&compile, &options, &wanted, cache_dir, &tags);
    let metadata: HashMap<PackageName, Arc<CoreMetadata>> = all_metadata
        .iter()
        .filter(|m| {
            let pin = pins.iter().find(|p| p.name == m.name);
            pin.is_some_and(|p| p.version.as_ref().is_none_or(|v| *v == m.version))
        })
        .map(|m| (m.name.clone(), m.clone()))
        .collect();
    tracing::info!(
        "`{}`: {} pins, metadata of {} in the cache, markers for Python {}",
        lockfile.display(),
        pins.len(),
        metadata.len(),
        target.python_version
    );
    Ok(OfflineLockfile {
        text,
        locked,
        compile,
        target,
        inputs,
        constraints,
        pins,
        metadata,
        built_inputs,
        included_from,
        universe,
        all_metadata,
        rewrites,
    })
}

/// The universe of a universal lockfile (`--universal` in its header): from its Python lower
/// bound (the header's `--python-version`, else the target's version) up, limited by its
/// `--environment` markers. None for a lockfile resolved for one target.
fn universe_of(
    lockfile: &Path,
    text: &str,
    target: &TargetEnvironment,
) -> Result<Option<pep508_rs::MarkerTree>, CommandError> {
    let Some(recorded) = recorded_universe(text) else {
        return Ok(None);
    };
    let python_min = recorded
        .python_min
        .unwrap_or_else(|| target.python_version.to_string());
    let universe = lockfile::universe::universe_marker(&python_min, &recorded.environments)
        .map_err(|reason| CommandError::BadUniverse {
            lockfile: lockfile.to_path_buf(),
            reason,
        })?;
    Ok(Some(universe))
}

/// The environment the lockfile was compiled for: the header's Python version (or
/// `--python-version`) and `--python-platform`, on this platform otherwise. No interpreter is
/// run: offline commands stay fast.
fn target_of(compile: &CompileSettings, text: &str) -> Result<TargetEnvironment, CommandError> {
    let version = compile
        .target
        .python_version
        .clone()
        .or_else(|| lockfile::header_python(text).map(str::to_string))
        .unwrap_or_else(|| "3.12".to_string());
    Ok(python::target_from_version(
        &version,
        compile.target.python_platform.as_deref(),
        None,
    )?)
}

/// The metadata of every pin that the cache holds, read concurrently; what it does not hold is
/// simply missing.
fn cached_metadata(
    compile: &CompileSettings,
    options: &IndexOptions,
    pins: &[LockedPin],
    cache_dir: &Path,
    tags: &crate::python::Tags,
) -> Vec<Arc<CoreMetadata>> {
    let mut found = Vec::new();
    // Without an index named anywhere, pip's default is asked of `python3` (cached); when that
    // fails the lockfile cannot be followed deeper than its inputs.
    let cache = CacheSettings {
        dir: Some(cache_dir.to_path_buf()),
        refresh: Refresh::None,
        offline: true,
        heuristic_freshness: CacheSettings::DEFAULT_HEURISTIC_FRESHNESS,
    };
    let Ok(services) = Services::connect(
        &compile.index,
        options,
        &cache,
        &FormatSettings::default(),
        None,
    ) else {
        return found;
    };
    let client = &services.client;
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return found;
    };
    let jobs = pins.iter().filter_map(|pin| {
        let version = pin.version.clone()?;
        Some(async move {
            let files = client.project(&pin.name).await.ok()?;
            // The file compile would have read: the best for the target, else any.
            let file = best_file(&files.files, &version, tags, FormatPolicy::default(), &[])
                .ok()
                .or_else(|| files.files.iter().find(|f| *f.version() == version))?;
            let release = files.files.iter().filter(|f| *f.version() == version);
            let file = metadata_file(release, file, FormatPolicy::default());
            client.wheel_metadata(file).await.ok()
        })
    });
    found.extend(
        runtime
            .block_on(futures::future::join_all(jobs))
            .into_iter()
            .flatten(),
    );
    found
}
