//! `pinion sync`: make the venv hold exactly what the lockfiles pin, in the install module's
//! three stages: plan, prepare (everything downloaded and verified), install. A no-op sync
//! starts no runtime and no client, and parses no lockfile whose pins `install::RememberedPins`
//! holds for files that have not changed.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use pep508_rs::{MarkerEnvironment, PackageName};

use crate::commands::{CommandError, Runtime, Services, runtime};
use crate::install::{
    self, DesiredDist, InstallOptions, InstallPlan, Preparer, ResolvedSource, SitePackages,
};
use crate::lockfile::{self, Pin};
use crate::python::{self, Interpreter};
use crate::requirements::{IndexOptions, RequirementsTxt};
use crate::settings::SyncSettings;
use crate::ui;

pub(crate) fn run(settings: &SyncSettings) -> Result<(), CommandError> {
    let started = Instant::now();
    let quiet = settings.output.quiet;
    let parse_started = SystemTime::now();
    // The pins an earlier parse found, while none of the files it read changed: a no-op is
    // then decided without parsing (most of a no-op sync's instructions).
    let remembered = (settings.cache.dir.as_deref())
        .and_then(|dir| install::RememberedPins::load(dir, &settings.lockfiles));
    let (parsed, venv) = parse_and_open(settings, remembered.is_none())?;
    let interpreter = venv.interpreter;
    // Held until the sync ends: a second sync plans only once this one is done.
    let _lock = match venv.lock {
        Some(lock) => lock,
        None => install::lock_environment(&interpreter, quiet)?,
    };
    let markers = &interpreter.markers;
    let site_packages = match venv.site_packages {
        Some(site_packages) => site_packages,
        None => SitePackages::read_cached(&interpreter, settings.cache.dir.as_deref())?,
    };
    let remembered = remembered.and_then(|pins| pins.desired(markers));
    if let Some(desired) = &remembered
        && InstallPlan::new(desired, &site_packages).is_empty()
    {
        up_to_date(started, desired.len(), quiet);
        return Ok(());
    }
    let parsed = match parsed {
        Some(parsed) => parsed,
        None => parse_lockfiles(settings)?,
    };
    // Made only when there is something to fetch or build: a no-op sync needs neither, nor the
    // wheel tags (computing them was a tenth of a no-op sync's instructions).
    let mut remote: Option<(Services, Runtime)> = None;
    let wheel_tags = std::cell::OnceCell::new();
    let tags = || wheel_tags.get_or_init(|| interpreter.tags());

    // Direct references and editables: their names and versions are in their files, or their
    // builds' metadata.
    let sources = lockfile::sources(&parsed, markers)?;
    let resolved_sources = if sources.is_empty() {
        Vec::new()
    } else {
        let (services, runtime) = connect(&mut remote, settings, &parsed, &interpreter)?;
        resolve_sources(&preparer(services, tags()), runtime, &sources)?
    };
    let mut pins = lockfile::pins(&parsed, markers)?;
    pins.retain(|pin| !resolved_sources.iter().any(|s| s.name == pin.name));

    // Plan.
    let desired = desired(&pins, &resolved_sources);
    if remembered.is_none() && sources.is_empty() {
        remember(settings, &parsed, markers, &desired, parse_started);
    }
    let plan = InstallPlan::new(&desired, &site_packages);
    if plan.is_empty() {
        up_to_date(started, desired.len(), quiet);
        return Ok(());
    }
    if desired.is_empty() && !settings.allow_empty {
        return Err(CommandError::EmptyLockfile(settings.lockfiles.clone()));
    }
    if settings.dry_run {
        // pip-sync's rule: a dry run with changes to make exits 1, so CI can ask.
        println!("Would make these changes:\n{}", plan.render());
        return Err(CommandError::SyncPending);
    }
    if settings.ask && !confirm(&plan)? {
        eprintln!("Nothing was changed");
        return Ok(());
    }

    // Prepare: choose, download, verify and build every wheel first.
    let (wanted, wanted_sources) = changing(&plan, &pins, &resolved_sources);
    let (services, runtime) = connect(&mut remote, settings, &parsed, &interpreter)?;
    let bar = ui::DownloadBar::new((wanted.len() + wanted_sources.len()) as u64, quiet);
    services.client.observe_downloads(bar.clone());
    let wheels = runtime.block_on(preparer(services, tags()).prepare_all(
        &wanted,
        &wanted_sources,
        &|_| bar.done(),
    ))?;
    bar.finish();
    let (downloaded, bytes) = bar.downloaded();
    tracing::info!(
        "{} wheels ready: {downloaded} downloaded ({bytes}), {} from the cache or built",
        wheels.len(),
        wheels.len().saturating_sub(downloaded)
    );

    // Install: remove what goes, then link in what comes.
    let applied = Instant::now();
    let installed = install_wheels(settings, &plan, &wheels, &site_packages, &interpreter)?;
    finish(
        settings,
        &plan,
        wheels.len(),
        &installed,
        &interpreter,
        started,
        applied,
    )
}

/// Remember the index pins this parse found, by the stat data of the files it read, so that
/// a no-op sync of the same lockfiles need not parse them (`install/pinned.rs`).
fn remember(
    settings: &SyncSettings,
    parsed: &[RequirementsTxt],
    markers: &MarkerEnvironment,
    desired: &[DesiredDist],
    parse_started: SystemTime,
) {
    if let Some(dir) = settings.cache.dir.as_deref() {
        let files: Vec<PathBuf> = parsed.iter().flat_map(|l| l.files.clone()).collect();
        install::RememberedPins::save(
            dir,
            &settings.lockfiles,
            &files,
            markers,
            desired,
            parse_started,
        );
    }
}

/// After the install: `--compile`, and the summary of what changed.
fn finish(
    settings: &SyncSettings,
    plan: &InstallPlan,
    wheels: usize,
    installed: &[install::InstalledDist],
    interpreter: &Interpreter,
    started: Instant,
    applied: Instant,
) -> Result<(), CommandError> {
    if settings.compile_bytecode {
        let site: Vec<PathBuf> = installed
            .iter()
            .filter_map(|d| d.dist_info.parent().map(Path::to_path_buf))
            .collect();
        install::compile_bytecode(&site, interpreter)?;
    }
    if !settings.output.quiet {
        eprintln!("{}", plan.render());
        let changes = wheels + plan.remove.len();
        eprintln!(
            "{}",
            ui::dim(&format!(
                "Synced {changes} change{} in {}ms (applied in {}ms)",
                if changes == 1 { "" } else { "s" },
                started.elapsed().as_millis(),
                applied.elapsed().as_millis()
            ))
        );
    }
    Ok(())
}

/// Every lockfile, parsed.
fn parse_lockfiles(settings: &SyncSettings) -> Result<Vec<RequirementsTxt>, CommandError> {
    let parsed: Result<Vec<_>, _> = settings
        .lockfiles
        .iter()
        .map(|lockfile| lockfile::read_locked_file(lockfile))
        .collect();
    Ok(parsed?)
}

/// A no-op's one line.
fn up_to_date(started: Instant, count: usize, quiet: bool) {
    if !quiet {
        let plural = if count == 1 { "" } else { "s" };
        let elapsed = started.elapsed().as_millis();
        let message =
            format!("Everything is up to date ({count} package{plural} checked in {elapsed}ms)");
        eprintln!("{}", ui::dim(&message));
    }
}

/// The target's interpreter and, when no other sync holds the venv, its lock and what it holds
/// (read under the lock); otherwise sync waits for the lock and reads it afterwards.
struct Venv {
    interpreter: Interpreter,
    lock: Option<install::EnvironmentLock>,
    site_packages: Option<SitePackages>,
}

/// The lockfiles parsed (when `parse`) and the target opened. The venv is read while the
/// lockfiles are parsed: a few milliseconds each of a no-op sync, one mostly system calls (a
/// stat per directory), the other parsing. A lockfile's error comes first, as when the two were
/// read one after the other; with `--user` the lockfiles are parsed before the target is
/// opened, since opening it makes the user site's folders.
fn parse_and_open(
    settings: &SyncSettings,
    parse: bool,
) -> Result<(Option<Vec<RequirementsTxt>>, Venv), CommandError> {
    if settings.user {
        let parsed = parse.then(|| parse_lockfiles(settings)).transpose()?;
        return Ok((parsed, open_venv(settings)?));
    }
    let (parsed, venv) = std::thread::scope(|scope| {
        let venv = scope.spawn(|| open_venv(settings));
        let parsed = parse.then(|| parse_lockfiles(settings));
        (parsed, venv.join())
    });
    let parsed = parsed.transpose()?;
    let venv = venv.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    Ok((parsed, venv))
}

fn open_venv(settings: &SyncSettings) -> Result<Venv, CommandError> {
    let interpreter = target_interpreter(settings)?;
    let Some(lock) = install::try_lock_environment(&interpreter)? else {
        return Ok(Venv {
            interpreter,
            lock: None,
            site_packages: None,
        });
    };
    let site_packages = SitePackages::read_cached(&interpreter, settings.cache.dir.as_deref())?;
    Ok(Venv {
        interpreter,
        lock: Some(lock),
        site_packages: Some(site_packages),
    })
}

/// What sync installs with: the venv's interpreter, or with `--user` the interpreter's user
/// scheme, whose distributions alone sync reads, installs and removes (pip-sync's `--user`).
fn target_interpreter(settings: &SyncSettings) -> Result<Interpreter, CommandError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let executable = python::find_interpreter(settings.python.as_deref(), &cwd)?;
    // pip's configuration is asked while the interpreter is probed, as compile does: a sync
    // with work to do needs it, and on a cold cache each is an interpreter start (with a
    // warm one, two cache reads).
    let cache_dir = settings.cache.dir.as_deref();
    let interpreter = std::thread::scope(|scope| {
        scope.spawn(|| crate::settings::warm_pip_answer(&executable, cache_dir));
        Interpreter::probe(&executable, cache_dir)
    })?;
    if !settings.user {
        if !interpreter.is_venv && !settings.break_system_packages {
            return Err(CommandError::NotAVirtualenv(interpreter.executable.clone()));
        }
        return Ok(interpreter);
    }
    let user = python::UserSite::probe(&interpreter)?;
    if !user.visible {
        return Err(CommandError::UserSiteNotVisible(interpreter.prefix.clone()));
    }
    if user.externally_managed && !settings.break_system_packages {
        return Err(CommandError::ExternallyManaged(
            interpreter.executable.clone(),
        ));
    }
    user.create_dirs()
        .map_err(install::InstallError::io("create", &user.site))?;
    tracing::info!("syncing the user site `{}`", user.site.display());
    Ok(user.interpreter(&interpreter))
}

/// The pins and direct references the plan installs or replaces.
fn changing<'a>(
    plan: &InstallPlan,
    pins: &'a [Pin],
    sources: &'a [ResolvedSource],
) -> (Vec<&'a Pin>, Vec<&'a ResolvedSource>) {
    let names: Vec<&PackageName> = plan
        .install
        .iter()
        .chain(plan.upgrade.iter().map(|(_, d)| d))
        .chain(plan.downgrade.iter().map(|(_, d)| d))
        .map(|d| &d.name)
        .collect();
    (
        pins.iter().filter(|p| names.contains(&&p.name)).collect(),
        sources
            .iter()
            .filter(|s| names.contains(&&s.name))
            .collect(),
    )
}

/// The install stage, with its progress bar.
fn install_wheels(
    settings: &SyncSettings,
    plan: &InstallPlan,
    wheels: &[install::Prepared],
    site_packages: &SitePackages,
    interpreter: &Interpreter,
) -> Result<Vec<install::InstalledDist>, CommandError> {
    let options = InstallOptions {
        requested: true,
        cache_dir: settings.cache.dir.as_ref().map(|dir| dir.join("wheels-v1")),
        ..InstallOptions::default()
    };
    let bar = ui::counter("Installing", wheels.len() as u64, settings.output.quiet);
    let installed = install::apply(plan, wheels, site_packages, interpreter, &options, &|| {
        bar.inc(1)
    })?;
    bar.finish_and_clear();
    Ok(installed)
}

/// The name and version of every direct reference, concurrently; one that two lockfiles both
/// name (`-e .`) once.
fn resolve_sources(
    preparer: &Preparer<'_>,
    runtime: &Runtime,
    sources: &[lockfile::SourcePin],
) -> Result<Vec<ResolvedSource>, CommandError> {
    let all = sources.iter().map(|source| preparer.resolve_source(source));
    let mut resolved_sources: Vec<ResolvedSource> = Vec::new();
    for resolved in runtime.block_on(futures::future::join_all(all)) {
        let resolved = resolved?;
        if !resolved_sources.iter().any(|s| s.name == resolved.name) {
            resolved_sources.push(resolved);
        }
    }
    Ok(resolved_sources)
}

/// What the venv should hold: the pins, and the direct references with where they came from.
fn desired(pins: &[Pin], sources: &[ResolvedSource]) -> Vec<DesiredDist> {
    pins.iter()
        .map(|pin| DesiredDist {
            name: pin.name.clone(),
            version: pin.version.clone(),
            requested: true,
            direct_url: None,
        })
        .chain(sources.iter().map(|source| DesiredDist {
            name: source.name.clone(),
            version: source.version.clone(),
            requested: true,
            direct_url: Some(source.direct_url.clone()),
        }))
        .collect()
}

/// `--ask`: show the plan, then wait for a yes.
fn confirm(plan: &InstallPlan) -> Result<bool, CommandError> {
    eprintln!("{}", plan.render());
    eprint!("Proceed? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(CommandError::Prompt)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// The services and the runtime, made on first need.
fn connect<'a>(
    slot: &'a mut Option<(Services, Runtime)>,
    settings: &SyncSettings,
    lockfiles: &[RequirementsTxt],
    interpreter: &Interpreter,
) -> Result<&'a (Services, Runtime), CommandError> {
    if let Some(remote) = slot {
        return Ok(remote);
    }
    let mut file_options = IndexOptions::default();
    for lockfile in lockfiles {
        file_options.merge(&lockfile.options);
    }
    let services = Services::connect(
        &settings.index,
        &file_options,
        &settings.cache,
        &settings.formats,
        Some(interpreter),
    )?;
    Ok(slot.insert((services, runtime()?)))
}

fn preparer<'a>(services: &'a Services, tags: &'a python::Tags) -> Preparer<'a> {
    Preparer {
        client: &services.client,
        builder: services.builder.as_deref(),
        policies: &services.policies,
        tags,
    }
}
