//! `pinion compile`: read the inputs, resolve, write the lockfiles (or, with `--check`, compare
//! with them).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use pep440_rs::Version;
use pep508_rs::PackageName;

use crate::commands::{CommandError, Services, runtime};
use crate::inputs::{self, Inputs, parent_dir};
use crate::lockfile::{self, HeaderInfo, LockfileOptions};
use crate::python::{self, TargetEnvironment};
use crate::resolver::{self, Resolution, ResolveRequest, Universe};
use crate::settings::{CompileJob, CompileRun, CompileSettings};
use crate::ui;

pub(crate) fn run(run: &CompileRun) -> Result<(), CommandError> {
    let quiet = run.output.quiet;
    let jobs: Vec<(&[PathBuf], Option<&Path>)> = run
        .jobs
        .iter()
        .map(|job| (job.sources.as_slice(), job.output_file.as_deref()))
        .collect();
    let mut stale = Vec::new();
    for i in inputs::order(&jobs) {
        if let Some(path) = compile_one(&run.jobs[i], quiet)? {
            stale.push(path);
        }
    }
    if !stale.is_empty() {
        return Err(CommandError::Stale(stale));
    }
    Ok(())
}

/// Resolve one lockfile; with `--check`, the output file's path when it is stale.
fn compile_one(job: &CompileJob, quiet: bool) -> Result<Option<PathBuf>, CommandError> {
    let settings = &job.settings;
    let output = job.output_file.as_deref();
    let started = Instant::now();
    if let Some(output) = output
        && let Some(source) = job.sources.iter().find(|s| same_file(s, output))
    {
        // pip-compile refuses too: the input would be lost.
        return Err(CommandError::OutputIsInput(source.clone()));
    }
    if settings.check && output.is_none() {
        return Err(CommandError::CheckWithoutOutput);
    }
    let mut inputs = Inputs::read(&job.sources, &settings.constraints, &settings.selection)?;
    let marked_preferences =
        inputs::marked_preferences(&settings.upgrade, output, &mut inputs.requirements);
    if let Some(output) = output
        && !marked_preferences.is_empty()
    {
        tracing::info!(
            "keeping {} pin{} of `{}` unless the inputs need another",
            marked_preferences.len(),
            if marked_preferences.len() == 1 {
                ""
            } else {
                "s"
            },
            output.display()
        );
    }
    let target = target_for(settings)?;
    let universe = universe_for(settings, &inputs, &target, output);
    let (resolution, options) = resolve_job(
        job,
        &mut inputs,
        marked_preferences,
        &target,
        universe,
        quiet,
    )?;
    let text = lockfile::render(&resolution, &options);
    if lockfile::rejected_by_pip(&resolution, &options) {
        // pip-tools' warning, on stderr as well as in the file.
        tracing::warn!(
            "the generated lockfile may be rejected by `pip install`: it has hashes and leaves unsafe packages unpinned; see the `# WARNING` lines, or pass `--allow-unsafe`"
        );
    }
    if settings.check {
        let output = output.unwrap_or(Path::new("-"));
        return Ok(check_output(output, &text, quiet));
    }
    match output {
        Some(path) if !settings.dry_run => replace_lockfile(path, &text, quiet)?,
        _ => print!("{text}"),
    }
    if !quiet {
        summary(&resolution, output, settings.dry_run, started);
    }
    Ok(None)
}

/// The environment to resolve for: the header's recorded version under `--check` (with the
/// local interpreter for builds), else the interpreter or version the settings name.
fn target_for(settings: &CompileSettings) -> Result<TargetEnvironment, CommandError> {
    let target = if settings.target.version_from_header {
        python::resolve_recorded_target(
            settings
                .target
                .python_version
                .as_deref()
                .unwrap_or_default(),
            settings.target.python_platform.as_deref(),
            settings.cache.dir.as_deref(),
        )?
    } else {
        // pip's configuration is asked of the same interpreter: both starts at once.
        let cache_dir = settings.cache.dir.as_deref();
        python::resolve_target(
            settings.target.python.as_deref(),
            settings.target.python_version.as_deref(),
            settings.target.python_platform.as_deref(),
            cache_dir,
            |python| crate::settings::warm_pip_answer(python, cache_dir),
        )?
    };
    let release = target.python_version.release();
    tracing::info!(
        "resolving for Python {}.{}{}",
        release[0],
        release.get(1).copied().unwrap_or(0),
        if settings.target.version_from_header {
            " (the version the lockfile's header names)"
        } else {
            ""
        }
    );
    Ok(target)
}

/// `--universal`'s universe: Python from `--python-version` up (else a project input's
/// `requires-python`, else the interpreter's minor version), within `--environment`; the
/// existing lockfile's forks are tried first.
fn universe_for(
    settings: &CompileSettings,
    inputs: &Inputs,
    target: &TargetEnvironment,
    output: Option<&Path>,
) -> Option<Universe> {
    let universal = &settings.universal;
    if !universal.enabled {
        return None;
    }
    let given = settings
        .target
        .python_version
        .as_deref()
        .filter(|_| !settings.target.version_from_header)
        .and_then(|v| v.parse::<Version>().ok());
    let release = target.python_version.release();
    let floor = given
        .or_else(|| inputs.requires_python.as_ref().and_then(Universe::floor_of))
        .unwrap_or_else(|| Version::new(release.iter().take(2).copied()));
    let mut universe = Universe::new(floor, &universal.environments);
    universe.required = universal.required_environments.clone();
    if let Some(text) = output.and_then(|o| crate::fsutil::read_input(o).ok()) {
        universe.previous_forks = lockfile::header_forks(&text)
            .iter()
            .filter_map(|fork| fork.parse().ok())
            .collect();
    }
    tracing::info!(
        "resolving for every environment with Python {} or newer",
        universe.floor
    );
    Some(universe)
}

/// Resolve one job's inputs for `target` (or, with a universe, for all of it), with hashes when
/// asked, and what the lockfile says besides its pins.
fn resolve_job(
    job: &CompileJob,
    inputs: &mut Inputs,
    marked_preferences: Vec<(PackageName, Version, pep508_rs::MarkerTree)>,
    target: &TargetEnvironment,
    universe: Option<Universe>,
    quiet: bool,
) -> Result<(Resolution, LockfileOptions), CommandError> {
    let settings = &job.settings;
    let output = job.output_file.as_deref();
    let builds_with = python::build_interpreter(target, settings.cache.dir.as_deref());
    let services = Services::connect(
        &settings.index,
        &inputs.file_options,
        &settings.cache,
        &settings.formats,
        builds_with.as_ref(),
    )?;
    let runtime = runtime()?;
    // Before the build: an override's direct reference is built with the inputs' own.
    let rewrites = inputs::rewrites(&settings.graph, inputs)?;
    let direct = runtime.block_on(inputs.build(services.builder.as_deref(), output))?;
    let spinner = ui::spinner("Resolving dependencies", quiet);
    // A name pinned twice (a universal lockfile) keeps its last pin outside universal mode.
    let preferences: HashMap<PackageName, Version> = marked_preferences
        .iter()
        .map(|(name, version, _)| (name.clone(), version.clone()))
        .collect();
    let request = ResolveRequest {
        requirements: std::mem::take(&mut inputs.requirements),
        preferences,
        pre: settings.pre || inputs.file_options.pre,
        policies: Box::new(services.policies.clone()),
        direct,
        builder: services.builder.clone().map(|builder| builder as _),
        progress: Arc::new(ui::ResolveSpinner(spinner.clone())),
        rewrites,
        strategy: settings.graph.strategy,
        universe,
        marked_preferences,
        keep_markers: settings.lockfile.keep_markers,
    };
    let client = services.client.clone();
    let resolution = runtime.block_on(async {
        let mut resolution = resolver::resolve(request, client.clone(), target).await?;
        if settings.lockfile.generate_hashes {
            spinner.set_message(format!("Hashing {} packages", resolution.packages.len()));
            resolver::complete_hashes(&mut resolution, &client).await?;
        }
        Ok::<_, resolver::ResolveError>(resolution)
    });
    spinner.finish_and_clear();
    let stats = client.stats();
    tracing::info!(
        "{} index pages from the cache ({} revalidated), {} fetched; {} metadata files from the \
         cache, {} fetched",
        stats.pages_cached + stats.pages_revalidated,
        stats.pages_revalidated,
        stats.pages_fetched,
        stats.metadata_cached,
        stats.metadata_fetched
    );
    let resolution = resolution?;
    let index_names = client
        .sources()
        .iter()
        .map(|source| {
            crate::index::auth::without_password(&source.to_string())
                .trim_end_matches('/')
                .to_string()
        })
        .collect();
    let simple_indexes = client
        .sources()
        .iter()
        .map(|source| matches!(source, crate::index::IndexSource::Index(_)))
        .collect();
    let option_lines = services.option_lines.clone();
    // The client caches every project page it read: leave it to the process exit (see
    // `resolver::resolve`).
    std::mem::forget(services);
    std::mem::forget(client);

    // A universal lockfile's header names its lowest Python, which `--check` starts from.
    let python = resolution
        .python_floor
        .as_ref()
        .map_or(target.python_version.release(), |floor| floor.release());
    let python = format!("{}.{}", python[0], python.get(1).copied().unwrap_or(0));
    let forks = match (&resolution.python_floor, resolution.forks.len()) {
        (Some(floor), 2..) => resolution
            .forks
            .iter()
            .filter_map(|fork| resolver::marker_text(fork, floor))
            .collect(),
        _ => Vec::new(),
    };
    let options = LockfileOptions {
        format: settings.lockfile.clone(),
        header: HeaderInfo {
            command: job.header_command.render(&python),
            python,
            forks,
        },
        option_lines,
        index_names,
        simple_indexes,
        base_dir: output.map(|o| parent_dir(o).to_path_buf()),
        project_names: std::mem::take(&mut inputs.project_names),
    };
    Ok((resolution, options))
}

/// Write `text` over the lockfile at `path`, then say what changed in it, one line per package.
fn replace_lockfile(path: &Path, text: &str, quiet: bool) -> Result<(), CommandError> {
    let before = crate::fsutil::read_input(path).ok();
    lockfile::write(path, text)?;
    if let Some(before) = before
        && !quiet
    {
        for change in super::diff::changes_of_rewrite(path, &before, text) {
            eprintln!("{change}");
        }
    }
    Ok(())
}

/// `Resolved 12 packages in 340ms: `requirements.txt` written`.
fn summary(resolution: &Resolution, output: Option<&Path>, dry_run: bool, started: Instant) {
    let count = resolution.packages.len();
    let what = if dry_run {
        "would be written"
    } else {
        "written"
    };
    let place = match output {
        Some(path) if !dry_run => format!("`{}` {what}", path.display()),
        _ => "lockfile printed".to_string(),
    };
    let plural = if count == 1 { "" } else { "s" };
    eprintln!(
        "{}",
        ui::dim(&format!(
            "Resolved {count} package{plural} in {}ms: {place}",
            started.elapsed().as_millis()
        ))
    );
}

/// `--check`: compare with the existing lockfile and print a diff when they differ. The header
/// is not compared: the same inputs may be named from another directory (a pre-commit hook
/// runs at the repository's root), by another pinion version, on another Python patch release.
fn check_output(output: &Path, text: &str, quiet: bool) -> Option<PathBuf> {
    let existing = crate::fsutil::read_input(output).ok();
    let expected = match &existing {
        Some(existing) => lockfile::with_header_of(text, existing),
        None => text.to_string(),
    };
    if existing.as_deref() == Some(expected.as_str()) {
        if !quiet {
            eprintln!(
                "{}",
                ui::dim(&format!("`{}` is up to date", output.display()))
            );
        }
        return None;
    }
    let old = existing.unwrap_or_default();
    print!(
        "{}",
        ui::unified_diff(&old, &expected, &output.display().to_string())
    );
    Some(output.to_path_buf())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
