use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pep440_rs::Version;
use pep508_rs::PackageName;
use serde_json::json;

use crate::build::{BuildKind, Builder, SourceRef};
use crate::cli::SyncArgs;
use crate::commands::CommandError;
use crate::index::{CacheSettings, DistFile, IndexClient, Refresh, default_cache_dir};
use crate::install::{self, DesiredDist, InstallOptions, InstallPlan, InstalledDist, SitePackages};
use crate::lockfile::{self, Pin, SourcePin};
use crate::metadata::DistFilename;
use crate::python::{self, Interpreter, Tags};
use crate::requirements::{self, IndexOptions};
use crate::resolver::FormatPolicies;
use crate::{settings, ui};

fn started_runtime(slot: &mut Option<super::Runtime>) -> Result<&super::Runtime, CommandError> {
    if slot.is_none() {
        *slot = Some(super::runtime()?);
    }
    Ok(slot.as_ref().expect("just set"))
}

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

    let sources = lockfile::sources(&parsed, &target.markers)?;
    let mut remote = None;
    // Started only when there is something to fetch or build: a no-op sync needs no threads.
    let mut runtime = None;
    // Direct references and editables: their names and versions are in their files, or their
    // builds' metadata (cached, so an unchanged project costs a walk of its tree).
    let mut resolved_sources = Vec::new();
    if !sources.is_empty() {
        let remote = connect(
            &mut remote,
            args,
            &parsed,
            &interpreter,
            cache_dir.as_deref(),
        )?;
        let all = sources.iter().map(|source| resolve_source(source, remote));
        let runtime = started_runtime(&mut runtime)?;
        for resolved in runtime.block_on(futures::future::join_all(all)) {
            let resolved = resolved?;
            // Two lockfiles may both say `-e .`: install it once.
            if !resolved_sources
                .iter()
                .any(|s: &ResolvedSource| s.name == resolved.name)
            {
                resolved_sources.push(resolved);
            }
        }
    }
    let mut pins = lockfile::pins(&parsed, &target.markers)?;
    pins.retain(|pin| !resolved_sources.iter().any(|s| s.name == pin.name));
    let desired: Vec<DesiredDist> = pins
        .iter()
        .map(|pin| DesiredDist {
            name: pin.name.clone(),
            version: pin.version.clone(),
            requested: true,
            direct_url: None,
        })
        .chain(resolved_sources.iter().map(|source| DesiredDist {
            name: source.name.clone(),
            version: source.version.clone(),
            requested: true,
            direct_url: Some(source.direct_url.clone()),
        }))
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

    // Prepare: choose, download, verify and build every wheel first.
    let remote = connect(
        &mut remote,
        args,
        &parsed,
        &interpreter,
        cache_dir.as_deref(),
    )?;
    let changing: Vec<&PackageName> = plan
        .install
        .iter()
        .chain(plan.upgrade.iter().map(|(_, d)| d))
        .chain(plan.downgrade.iter().map(|(_, d)| d))
        .map(|d| &d.name)
        .collect();
    let wanted: Vec<&Pin> = pins
        .iter()
        .filter(|p| changing.contains(&&p.name))
        .collect();
    let wanted_sources: Vec<&ResolvedSource> = resolved_sources
        .iter()
        .filter(|s| changing.contains(&&s.name))
        .collect();
    let bar = ui::counter(
        "Downloading",
        (wanted.len() + wanted_sources.len()) as u64,
        quiet,
    );
    let wheels = started_runtime(&mut runtime)?.block_on(async {
        let mut wheels = fetch_all(remote, &wanted, &target.tags, &bar).await?;
        for source in &wanted_sources {
            wheels.push(prepare_source(source, remote).await?);
            bar.inc(1);
        }
        Ok::<_, CommandError>(wheels)
    })?;
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
    let changes = wheels.len();
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
                changes + plan.remove.len(),
                if changes + plan.remove.len() == 1 {
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

/// The index client and the build frontend, made only when a sync needs them.
struct Remote {
    client: Arc<IndexClient>,
    /// None under `--no-build`.
    builder: Option<Builder>,
    /// `--only-binary`/`--no-binary`, from the lockfiles and the command line.
    policies: settings::BinaryPolicies,
}

impl Remote {
    fn builder(
        &self,
        what: String,
        origin: &requirements::Origin,
    ) -> Result<&Builder, CommandError> {
        self.builder
            .as_ref()
            .ok_or_else(|| CommandError::BuildDisabled {
                what,
                origin: origin.clone(),
            })
    }
}

fn connect<'a>(
    remote: &'a mut Option<Remote>,
    args: &SyncArgs,
    lockfiles: &[requirements::RequirementsTxt],
    interpreter: &Interpreter,
    cache_dir: Option<&Path>,
) -> Result<&'a Remote, CommandError> {
    if let Some(remote) = remote {
        return Ok(remote);
    }
    let mut file_options = IndexOptions::default();
    for lockfile in lockfiles {
        file_options.merge(&lockfile.options);
    }
    let locations = settings::index_locations(
        &args.index,
        &file_options,
        None,
        Some(&interpreter.executable),
        cache_dir,
    )?;
    let client = Arc::new(IndexClient::new(
        locations,
        CacheSettings {
            dir: cache_dir.map(Path::to_path_buf),
            refresh: if args.index.refresh {
                Refresh::All
            } else {
                Refresh::None
            },
            offline: args.index.offline,
            heuristic_freshness: Duration::from_secs(600),
        },
    )?);
    let builder = if args.formats.no_build {
        None
    } else {
        Some(Builder::new(
            interpreter.clone(),
            client.clone(),
            cache_dir.map(Path::to_path_buf),
        ))
    };
    let policies = settings::BinaryPolicies::new(
        &file_options,
        &args.formats.only_binary,
        &args.formats.no_binary,
        args.formats.no_build,
    )?;
    Ok(remote.insert(Remote {
        client,
        builder,
        policies,
    }))
}

/// A wheel to install, with its PEP 610 `direct_url.json` when it came from a direct reference.
struct Prepared {
    wheel: PathBuf,
    direct_url: Option<String>,
}

/// A direct reference or editable of the lockfile, with the name and version it turned out to
/// have.
struct ResolvedSource {
    pin: SourcePin,
    name: PackageName,
    version: Version,
    /// What `direct_url.json` will say; also how sync tells whether the installed copy came from
    /// the same place.
    direct_url: serde_json::Value,
    artifact: Artifact,
}

enum Artifact {
    /// A wheel or sdist file.
    File(Box<DistFile>),
    /// A local project or git checkout.
    Tree(PathBuf),
}

async fn resolve_source(pin: &SourcePin, remote: &Remote) -> Result<ResolvedSource, CommandError> {
    let unusable = || {
        CommandError::Pins(lockfile::PinError::Unsupported {
            url: pin.source.to_string(),
            origin: pin.origin.clone(),
        })
    };
    let (tree, direct_url) = match &pin.source {
        SourceRef::File(url) => {
            let filename = url.path_segments().and_then(|mut s| s.next_back());
            let name = match &pin.name {
                Some(name) => name.clone(),
                None => filename
                    .and_then(|f| DistFilename::parse(f, None))
                    .map(|d| d.name().clone())
                    .ok_or_else(unusable)?,
            };
            let file = DistFile::from_url(&name, url).ok_or_else(unusable)?;
            let mut plain = url.clone();
            plain.set_fragment(None);
            return Ok(ResolvedSource {
                pin: pin.clone(),
                name,
                version: file.version().clone(),
                direct_url: json!({"url": plain.as_str(), "archive_info": {}}),
                artifact: Artifact::File(Box::new(file)),
            });
        }
        SourceRef::Directory(dir) => {
            let url = url::Url::from_directory_path(dir).map_err(|()| unusable())?;
            let url = url.as_str().trim_end_matches('/').to_string();
            let dir_info = if pin.editable {
                json!({"editable": true})
            } else {
                json!({})
            };
            (dir.clone(), json!({"url": url, "dir_info": dir_info}))
        }
        SourceRef::Git(git) => {
            let builder = remote.builder(format!("`{git}`"), &pin.origin)?;
            let (dir, commit) = builder.checkout(git).await?;
            let direct_url = if pin.editable {
                let url = url::Url::from_directory_path(&dir).map_err(|()| unusable())?;
                let url = url.as_str().trim_end_matches('/').to_string();
                json!({"url": url, "dir_info": {"editable": true}})
            } else {
                let mut vcs_info = json!({"vcs": "git", "commit_id": commit});
                if let Some(reference) = &git.reference {
                    vcs_info["requested_revision"] = json!(reference);
                }
                let mut direct_url = json!({"url": git.repository, "vcs_info": vcs_info});
                if let Some(subdirectory) = &git.subdirectory {
                    direct_url["subdirectory"] = json!(subdirectory);
                }
                direct_url
            };
            (dir, direct_url)
        }
    };
    let builder = remote.builder(format!("`{}`", tree.display()), &pin.origin)?;
    let metadata = builder.project_metadata(&tree).await?;
    if let Some(given) = pin.name.clone().filter(|given| *given != metadata.name) {
        return Err(CommandError::NameMismatch {
            given,
            built: metadata.name.clone(),
            origin: pin.origin.clone(),
        });
    }
    Ok(ResolvedSource {
        pin: pin.clone(),
        name: metadata.name.clone(),
        version: metadata.version.clone(),
        direct_url,
        artifact: Artifact::Tree(tree),
    })
}

/// The wheel of a direct reference: downloaded and checked, or built.
async fn prepare_source(
    source: &ResolvedSource,
    remote: &Remote,
) -> Result<Prepared, CommandError> {
    let direct_url = Some(source.direct_url.to_string());
    let package = format!("{}=={}", source.name, source.version);
    let wheel = match &source.artifact {
        Artifact::File(file) => {
            let path = remote.client.download(file).await?;
            let sha256 = check_hashes(
                file,
                &path,
                &source.name,
                &source.pin.hashes,
                &source.pin.origin,
            )?;
            if matches!(file.dist(), Some(DistFilename::Sdist(_))) {
                let builder = remote.builder(format!("`{package}`"), &source.pin.origin)?;
                builder.sdist_wheel(&path, &sha256, &package).await?
            } else {
                path
            }
        }
        Artifact::Tree(tree) => {
            let kind = if source.pin.editable {
                BuildKind::Editable
            } else {
                BuildKind::Wheel
            };
            let builder = remote.builder(format!("`{}`", tree.display()), &source.pin.origin)?;
            builder.project_wheel(tree, kind).await?
        }
    };
    Ok(Prepared { wheel, direct_url })
}

/// The wheel of `pin` for the venv's tags, downloaded and checked against the lockfile's hashes;
/// built from the release's sdist when no wheel fits.
async fn fetch(remote: &Remote, pin: &Pin, tags: &Tags) -> Result<Prepared, CommandError> {
    let client = &remote.client;
    let policy = remote.policies.policy(&pin.name);
    let project = client.project(&pin.name).await?;
    let release: Vec<&DistFile> = project
        .files
        .iter()
        .filter(|f| *f.version() == pin.version)
        .collect();
    let candidates: Vec<(u32, &DistFile)> = release
        .iter()
        .filter(|_| !policy.no_binary)
        .filter_map(|f| match f.dist()? {
            DistFilename::Wheel(w) => tags
                .compatibility(&w.python_tags, &w.abi_tags, &w.platform_tags)
                .map(|priority| (priority, *f)),
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
    if let Some(file) = best {
        let path = client.download(&file).await?;
        check_hashes(&file, &path, &pin.name, &pin.hashes, &pin.origin)?;
        return Ok(Prepared {
            wheel: path,
            direct_url: None,
        });
    }
    // No wheel fits: build the sdist (a `.tar.gz` first, as pip prefers), cached by its hash.
    let sdists: Vec<&DistFile> = release
        .iter()
        .copied()
        .filter(|f| matches!(f.dist(), Some(DistFilename::Sdist(_))))
        .collect();
    let sdist = sdists
        .iter()
        .find(|f| vouched(f))
        .or_else(|| sdists.iter().find(|f| f.filename.ends_with(".tar.gz")))
        .or_else(|| sdists.first());
    let builder = remote.builder.as_ref().filter(|_| !policy.only_binary);
    let (Some(sdist), Some(builder)) = (sdist, builder) else {
        return Err(CommandError::NoWheel {
            name: pin.name.to_string(),
            version: pin.version.to_string(),
            origin: pin.origin.clone(),
        });
    };
    let path = client.download(sdist).await?;
    let sha256 = check_hashes(sdist, &path, &pin.name, &pin.hashes, &pin.origin)?;
    let package = format!("{}=={}", pin.name, pin.version);
    let wheel = builder.sdist_wheel(&path, &sha256, &package).await?;
    Ok(Prepared {
        wheel,
        direct_url: None,
    })
}

/// The index's own hash was checked by the download; the lockfile's hashes are checked here.
/// Returns the file's sha256.
fn check_hashes(
    file: &DistFile,
    path: &Path,
    name: &PackageName,
    hashes: &[String],
    origin: &requirements::Origin,
) -> Result<String, CommandError> {
    if let Some(sha256) = &file.sha256
        && (hashes.is_empty() || hashes.contains(sha256))
    {
        return Ok(sha256.clone());
    }
    let bytes = std::fs::read(path).map_err(|e| CommandError::Runtime(e.to_string()))?;
    let actual = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    if hashes.is_empty() || hashes.contains(&actual) {
        return Ok(actual);
    }
    Err(CommandError::HashMismatch {
        name: name.to_string(),
        origin: origin.clone(),
        url: file.url.to_string(),
        expected: hashes.join(", "),
        actual,
    })
}

async fn fetch_all(
    remote: &Remote,
    pins: &[&Pin],
    tags: &Tags,
    bar: &indicatif::ProgressBar,
) -> Result<Vec<Prepared>, CommandError> {
    let futures = pins.iter().map(|pin| async move {
        let result = fetch(remote, pin, tags).await;
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
    wheels: &[Prepared],
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
                    let Some(prepared) = next else { break };
                    let options = InstallOptions {
                        direct_url: prepared.direct_url.clone(),
                        ..options.clone()
                    };
                    let result = install::install_wheel(&prepared.wheel, interpreter, &options);
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
