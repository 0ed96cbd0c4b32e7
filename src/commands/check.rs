//! `pinion check`: offline and fast, do the pins of lockfiles still satisfy their inputs?

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use pep508_rs::PackageName;

use crate::cache::{CacheSettings, Refresh};
use crate::commands::{CommandError, Services};
use crate::index::{FormatPolicy, best_file};
use crate::inputs::read_input;
use crate::lockfile::verify::{self, LockedPin};
use crate::metadata::CoreMetadata;
use crate::python::{self, TargetEnvironment};
use crate::requirements::{self, IndexOptions};
use crate::settings::{CheckSettings, CompileSettings, FormatSettings, recorded_compile};
use crate::{lockfile, ui};

/// Check every lockfile; print one line per problem; fail when there is any.
pub(crate) fn run(settings: &CheckSettings) -> Result<(), CommandError> {
    let started = Instant::now();
    let quiet = settings.output.quiet;
    let lockfiles = &settings.lockfiles;
    let cache_dir = &settings.cache_dir;
    let mut problems = 0;
    let mut failed = Vec::new();
    for lockfile in lockfiles {
        let found = check_one(lockfile, cache_dir, quiet)?;
        if found > 0 {
            problems += found;
            failed.push(lockfile.clone());
        }
    }
    if problems > 0 {
        return Err(CommandError::CheckFailed {
            count: problems,
            files: failed,
        });
    }
    if !quiet {
        let names: Vec<String> = lockfiles
            .iter()
            .map(|l| format!("`{}`", l.display()))
            .collect();
        let (names, verb) = match names.as_slice() {
            [one] => (one.clone(), "matches its inputs"),
            _ => (names.join(", "), "match their inputs"),
        };
        eprintln!(
            "{}",
            ui::dim(&format!(
                "{names} {verb} (checked in {}ms)",
                started.elapsed().as_millis()
            ))
        );
    }
    Ok(())
}

/// The number of problems found in one lockfile, each printed on its own line.
fn check_one(lockfile: &Path, cache_dir: &Path, quiet: bool) -> Result<usize, CommandError> {
    let text = crate::fsutil::read_input(lockfile).map_err(|source| {
        requirements::RequirementsError::Read {
            path: lockfile.to_path_buf(),
            source,
        }
    })?;
    let locked = lockfile::read_locked(lockfile, text.clone())?;
    let recorded = recorded_compile(lockfile, &text)?;
    let compile = &recorded.settings;
    let names: Vec<String> = recorded
        .sources
        .iter()
        .map(|s| format!("`{}`", s.display()))
        .collect();
    tracing::info!("`{}`: inputs {}", lockfile.display(), names.join(", "));

    let target = target_of(compile, &text)?;
    let mut inputs = Vec::new();
    let mut constraints = Vec::new();
    let mut options = locked.options.clone();
    // Projects whose dependencies only a build can tell: check cannot build, so it checks the
    // rest and says it could not follow them.
    let mut built_inputs = Vec::new();
    for source in &recorded.sources {
        let input = read_input(source, &compile.selection)?;
        if input.needs_build.is_some() {
            built_inputs.push(source.display().to_string());
        }
        let input = input.requirements;
        inputs.extend(input.requirements);
        constraints.extend(input.constraints);
        options.merge(&input.options);
    }
    for file in &compile.constraints {
        let input = requirements::read(file)?;
        constraints.extend(input.requirements);
        constraints.extend(input.constraints);
    }
    let pins = verify::locked_pins(&locked, &target.markers);
    let metadata = cached_metadata(compile, &options, &pins, cache_dir, &target);
    tracing::info!(
        "`{}`: {} pins, metadata of {} in the cache, markers for Python {}",
        lockfile.display(),
        pins.len(),
        metadata.len(),
        target.python_version
    );
    let mut report = verify::check(
        &verify::locked_urls(&locked),
        &inputs,
        &constraints,
        &pins,
        &target.markers,
        &metadata,
        // With `generate-hashes` from `[tool.pinion]` the header does not say so; pip's rule
        // holds anyway: once one pin has hashes, all need them.
        compile.lockfile.generate_hashes
            || text.contains("--hash=")
            || lockfile::pylock::reads_as_pylock(lockfile),
    );
    if !built_inputs.is_empty() {
        report
            .problems
            .retain(|p| !matches!(p, verify::Problem::Unreached { .. }));
        report.unchecked.extend(built_inputs);
    }
    for problem in &report.problems {
        println!("{problem}");
    }
    if !report.unchecked.is_empty() && !quiet {
        let names: Vec<String> = report
            .unchecked
            .iter()
            .map(|text| format!("`{text}`"))
            .collect();
        eprintln!(
            "warning: `{}`: what {} depend{} on is not in the cache (or only a build can tell), so unneeded pins were not looked for\n\nhint: run `pinion compile` once with the network to fill the cache",
            lockfile.display(),
            names.join(", "),
            if names.len() == 1 { "s" } else { "" }
        );
    }
    Ok(report.problems.len())
}

/// The environment the lockfile was compiled for: the header's Python version (or
/// `--python-version`) and `--python-platform`, on this platform otherwise. No interpreter is
/// run: check stays fast and offline.
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
    target: &TargetEnvironment,
) -> HashMap<PackageName, Arc<CoreMetadata>> {
    let mut found = HashMap::new();
    // Without an index named anywhere, pip's default is asked of `python3` (cached); when that
    // fails the lockfile cannot be checked deeper than its inputs.
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
            let file = best_file(
                &files.files,
                &version,
                &target.tags,
                FormatPolicy::default(),
                &[],
            )
            .ok()
            .or_else(|| files.files.iter().find(|f| *f.version() == version))?;
            let metadata = client.wheel_metadata(file).await.ok()?;
            Some((pin.name.clone(), metadata))
        })
    });
    for (name, metadata) in runtime
        .block_on(futures::future::join_all(jobs))
        .into_iter()
        .flatten()
    {
        found.insert(name, metadata);
    }
    found
}
