use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::cli::SyncArgs;
use crate::commands::CommandError;
use crate::index::{CacheSettings, DistFile, IndexClient, Refresh, default_cache_dir};
use crate::install::{self, DesiredDist, InstallOptions, InstallPlan, InstalledDist, SitePackages};
use crate::lockfile::{self, Pin};
use crate::metadata::DistFilename;
use crate::python::{self, Interpreter, Tags};
use crate::requirements::{self, IndexOptions};
use crate::{settings, ui};

/// `pinion sync`: make the venv hold exactly what the lockfiles pin. Everything is downloaded
/// and verified before the venv is touched.
pub(crate) fn run(args: &SyncArgs, quiet: bool) -> Result<(), CommandError> {
    let started = Instant::now();
    let lockfiles = if args.src_files.is_empty() {
        vec![PathBuf::from("requirements.txt")]
    } else {
        args.src_files.clone()
    };
    let mut parsed = Vec::new();
    for lockfile in &lockfiles {
        parsed.push(requirements::read(lockfile)?);
    }

    let cache_dir = if args.index.no_cache {
        None
    } else {
        Some(
            args.index
                .cache_dir
                .clone()
                .unwrap_or_else(default_cache_dir),
        )
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let executable = python::find_interpreter(args.python.as_deref(), &cwd)?;
    let interpreter = Interpreter::probe(&executable, cache_dir.as_deref())?;
    if !interpreter.is_venv && !args.break_system_packages {
        return Err(CommandError::NotAVirtualenv(interpreter.executable.clone()));
    }
    let target = interpreter.target();

    let pins = lockfile::pins(&parsed, &target.markers)?;
    let desired: Vec<DesiredDist> = pins
        .iter()
        .map(|pin| DesiredDist {
            name: pin.name.clone(),
            version: pin.version.clone(),
            requested: true,
        })
        .collect();
    let site_packages = SitePackages::read(&interpreter)?;
    let plan = InstallPlan::new(&desired, &site_packages);
    if plan.is_empty() {
        if !quiet {
            eprintln!(
                "{}",
                ui::dim(&format!(
                    "Everything is up to date ({} package{} checked in {}ms)",
                    desired.len(),
                    if desired.len() == 1 { "" } else { "s" },
                    started.elapsed().as_millis()
                ))
            );
        }
        return Ok(());
    }
    if args.dry_run {
        println!("Would make these changes:\n{}", plan.render());
        return Ok(());
    }
    if args.ask && !confirm(&plan)? {
        eprintln!("Nothing was changed");
        return Ok(());
    }

    // Prepare: choose, download and verify every wheel first.
    let mut file_options = IndexOptions::default();
    for lockfile in &parsed {
        file_options.merge(&lockfile.options);
    }
    let locations = settings::index_locations(
        &args.index,
        &file_options,
        None,
        Some(&interpreter.executable),
        cache_dir.as_deref(),
    )?;
    let client = IndexClient::new(
        locations,
        CacheSettings {
            dir: cache_dir.clone(),
            refresh: if args.index.refresh {
                Refresh::All
            } else {
                Refresh::None
            },
            offline: args.index.offline,
            heuristic_freshness: Duration::from_secs(600),
        },
    )?;
    let wanted: Vec<&Pin> = plan
        .install
        .iter()
        .chain(plan.upgrade.iter().map(|(_, d)| d))
        .chain(plan.downgrade.iter().map(|(_, d)| d))
        .filter_map(|d| pins.iter().find(|p| p.name == d.name))
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    let bar = ui::counter("Downloading", wanted.len() as u64, quiet);
    let wheels = runtime.block_on(fetch_all(&client, &wanted, &target.tags, &bar));
    // Not a drop, which would wait for blocking threads (a stalled DNS lookup holds it 5 s).
    runtime.shutdown_background();
    let wheels = wheels?;
    bar.finish_and_clear();

    // Apply: remove what goes, then install in parallel.
    let applied = Instant::now();
    for dist in plan
        .remove
        .iter()
        .chain(plan.upgrade.iter().map(|(old, _)| old))
        .chain(plan.downgrade.iter().map(|(old, _)| old))
    {
        install::uninstall(dist, &interpreter)?;
    }
    let options = InstallOptions {
        requested: true,
        cache_dir: cache_dir.as_ref().map(|dir| dir.join("wheels-v1")),
        ..InstallOptions::default()
    };
    let installed = install_parallel(&wheels, &interpreter, &options, quiet)?;
    if args.compile {
        let paths: Vec<PathBuf> = installed.iter().map(|d| d.dist_info.clone()).collect();
        let site: Vec<PathBuf> = paths
            .iter()
            .filter_map(|p| p.parent().map(Path::to_path_buf))
            .collect();
        install::compile_bytecode(&site, &interpreter)?;
    }
    if !quiet {
        eprintln!("{}", plan.render());
        eprintln!(
            "{}",
            ui::dim(&format!(
                "Synced {} change{} in {}ms (applied in {}ms)",
                wanted.len() + plan.remove.len(),
                if wanted.len() + plan.remove.len() == 1 {
                    ""
                } else {
                    "s"
                },
                started.elapsed().as_millis(),
                applied.elapsed().as_millis()
            ))
        );
    }
    Ok(())
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
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// The wheel of `pin` for the venv's tags, downloaded and checked against the lockfile's hashes.
async fn fetch(
    client: &IndexClient,
    pin: &Pin,
    tags: &Tags,
) -> Result<(PathBuf, Pin), CommandError> {
    let project = client.project(&pin.name).await?;
    let candidates: Vec<(u32, &DistFile)> = project
        .files
        .iter()
        .filter(|f| *f.version() == pin.version)
        .filter_map(|f| match f.dist()? {
            DistFilename::Wheel(w) => tags
                .compatibility(&w.python_tags, &w.abi_tags, &w.platform_tags)
                .map(|priority| (priority, f)),
            DistFilename::Sdist(_) => None,
        })
        .collect();
    // A file the lockfile vouches for first; otherwise the best one, which verification will
    // then report as a mismatch.
    let vouched = |f: &DistFile| f.sha256.as_ref().is_some_and(|h| pin.hashes.contains(h));
    let best = candidates
        .iter()
        .filter(|(_, f)| vouched(f))
        .max_by_key(|(priority, _)| *priority)
        .or_else(|| candidates.iter().max_by_key(|(priority, _)| *priority))
        .map(|(_, f)| (*f).clone());
    let Some(file) = best else {
        return Err(CommandError::NoWheel {
            name: pin.name.to_string(),
            version: pin.version.to_string(),
            origin: pin.origin.clone(),
        });
    };
    let path = client.download(&file).await?;
    verify(&file, &path, pin)?;
    Ok((path, pin.clone()))
}

/// The index's own hash was checked by the download; the lockfile's hashes are checked here.
fn verify(file: &DistFile, path: &Path, pin: &Pin) -> Result<(), CommandError> {
    if pin.hashes.is_empty() {
        return Ok(());
    }
    if let Some(sha256) = &file.sha256
        && pin.hashes.contains(sha256)
    {
        return Ok(());
    }
    let bytes = std::fs::read(path).map_err(|e| CommandError::Runtime(e.to_string()))?;
    let actual = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    if pin.hashes.contains(&actual) {
        return Ok(());
    }
    Err(CommandError::HashMismatch {
        name: pin.name.to_string(),
        origin: pin.origin.clone(),
        url: file.url.to_string(),
        expected: pin.hashes.join(", "),
        actual,
    })
}

async fn fetch_all(
    client: &IndexClient,
    pins: &[&Pin],
    tags: &Tags,
    bar: &indicatif::ProgressBar,
) -> Result<Vec<(PathBuf, Pin)>, CommandError> {
    let futures = pins.iter().map(|pin| async move {
        let result = fetch(client, pin, tags).await;
        bar.inc(1);
        result
    });
    futures::future::join_all(futures)
        .await
        .into_iter()
        .collect()
}

/// Install wheels on a few threads: packages are independent once downloaded.
fn install_parallel(
    wheels: &[(PathBuf, Pin)],
    interpreter: &Interpreter,
    options: &InstallOptions,
    quiet: bool,
) -> Result<Vec<InstalledDist>, CommandError> {
    let queue = Mutex::new(wheels.iter());
    let results = Mutex::new(Vec::new());
    let bar = ui::counter("Installing", wheels.len() as u64, quiet);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(wheels.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                    let Some((path, _pin)) = next else { break };
                    let result = install::install_wheel(path, interpreter, options);
                    bar.inc(1);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(result);
                }
            });
        }
    });
    bar.finish_and_clear();
    let mut installed = Vec::new();
    for result in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
        installed.push(result?);
    }
    Ok(installed)
}
