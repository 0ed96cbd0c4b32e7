use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pep440_rs::Version;
use pep508_rs::{ExtraName, PackageName, Requirement, VerbatimUrl, VersionOrUrl};

use clap::Parser;

use crate::build::{Builder, GitReference, SourceRef};
use crate::cli::{self, Cli, Command, CompileArgs};
use crate::commands::CommandError;
use crate::index::{CacheSettings, DistFile, IndexClient, Refresh, default_cache_dir};
use crate::lockfile::{self, AnnotationStyle, HeaderInfo, LockfileOptions};
use crate::metadata::CoreMetadata;
use crate::pyproject::{self, Pyproject, ToolSettings};
use crate::python::{self, TargetEnvironment};
use crate::requirements::{self, IndexOptions, Origin, RequirementSpec, RequirementsTxt};
use crate::resolver::{
    self, DirectReferences, InputKind, InputRequirement, ResolveRequest, SourcePackage,
};
use crate::{settings, ui};

/// `pinion compile`: read the inputs, resolve, write the lockfiles (or, with `--check`, compare
/// with them).
pub(crate) fn run(args: &CompileArgs, quiet: bool) -> Result<(), CommandError> {
    let sources = if args.src_files.is_empty() {
        default_sources(Path::new("."))
    } else {
        args.src_files.clone()
    };
    let config = config_for(args, &sources)?;
    if let Some(config) = &config {
        tracing::info!("settings from `{}`", config.file.display());
    }
    let args = settings::apply_config(args, config.as_ref());
    // With -o every input goes into one lockfile (pip-compile); without, each into its own.
    let jobs: Vec<Job> = match &args.output_file {
        Some(output) => vec![Job {
            sources: sources.clone(),
            output: Some(output.clone()),
        }],
        None => order(
            sources
                .iter()
                .map(|source| Job {
                    sources: vec![source.clone()],
                    output: default_output(source),
                })
                .collect(),
        ),
    };
    let mut stale = Vec::new();
    for job in &jobs {
        let others: Vec<&PathBuf> = sources
            .iter()
            .filter(|s| !job.sources.contains(s))
            .collect();
        let context = Context {
            args: &args,
            config: config.as_ref(),
            others: &others,
            quiet,
        };
        if let Some(path) = compile_one(&context, &job.sources, job.output.as_deref())? {
            stale.push(path);
        }
    }
    if !stale.is_empty() {
        return Err(CommandError::Stale(stale));
    }
    Ok(())
}

/// The `pinion compile` command a lockfile's header records, its paths found beside the lockfile
/// (or else in the working directory).
pub(crate) fn recorded_args(lockfile: &Path, text: &str) -> Option<CompileArgs> {
    let dir = parent_dir(lockfile);
    let locate = |path: &PathBuf| -> PathBuf {
        if dir == Path::new(".") {
            return path.clone();
        }
        let beside = dir.join(path);
        if path.is_relative() && beside.exists() {
            beside
        } else {
            path.clone()
        }
    };
    let words = shlex::split(lockfile::header_command(text)?)?;
    let Command::Compile(mut args) = Cli::try_parse_from(&words).ok()?.command else {
        return None;
    };
    args.src_files = args.src_files.iter().map(locate).collect();
    args.constraint = args.constraint.iter().map(locate).collect();
    Some(args)
}

/// `--check` compiles as the lockfile says it was compiled: the flags its header records fill in
/// what the command line leaves unset, so a pre-commit hook needs no copy of them.
fn with_recorded_flags(args: &CompileArgs, output: &Path) -> CompileArgs {
    let mut args = args.clone();
    let Some(recorded) = std::fs::read_to_string(output)
        .ok()
        .and_then(|text| recorded_args(output, &text))
    else {
        return args;
    };
    args.generate_hashes |= recorded.generate_hashes && !args.no_generate_hashes;
    args.allow_unsafe |= recorded.allow_unsafe && !args.no_allow_unsafe;
    args.strip_extras |= recorded.strip_extras && !args.no_strip_extras;
    args.pre |= recorded.pre;
    args.no_annotate |= recorded.no_annotate;
    args.all_extras |= recorded.all_extras;
    args.index.no_index |= recorded.index.no_index;
    fn fill<T>(ours: &mut Vec<T>, theirs: Vec<T>) {
        if ours.is_empty() {
            *ours = theirs;
        }
    }
    fill(&mut args.extra, recorded.extra);
    fill(&mut args.formats.only_binary, recorded.formats.only_binary);
    fill(&mut args.formats.no_binary, recorded.formats.no_binary);
    args.formats.no_build |= recorded.formats.no_build;
    fill(&mut args.group, recorded.group);
    fill(&mut args.constraint, recorded.constraint);
    fill(
        &mut args.index.extra_index_url,
        recorded.index.extra_index_url,
    );
    fill(&mut args.index.find_links, recorded.index.find_links);
    args.annotation_style = args.annotation_style.or(recorded.annotation_style);
    args.index.index_url = args.index.index_url.or(recorded.index.index_url);
    if args.python.is_none() {
        args.python_version = args.python_version.or(recorded.python_version);
    }
    args.python_platform = args.python_platform.or(recorded.python_platform);
    args
}

/// pip-compile's default input in `dir`, `requirements.in`, else the project's pyproject.toml.
pub(crate) fn default_sources(dir: &Path) -> Vec<PathBuf> {
    let default = dir.join("requirements.in");
    let project = dir.join("pyproject.toml");
    let chosen = if !default.exists() && project.is_file() {
        project
    } else {
        default
    };
    // `./requirements.in` reads worse in headers and messages than `requirements.in`.
    vec![
        chosen
            .strip_prefix(".")
            .map(Path::to_path_buf)
            .unwrap_or(chosen),
    ]
}

/// The `[tool.pinion]` settings for these inputs (`--config`, else beside them, else in the
/// working directory), unless `--no-config`.
pub(crate) fn config_for(
    args: &CompileArgs,
    sources: &[PathBuf],
) -> Result<Option<ToolSettings>, CommandError> {
    if args.no_config {
        return Ok(None);
    }
    let mut dirs: Vec<PathBuf> = sources
        .iter()
        .filter(|s| *s != Path::new("-"))
        .map(|s| parent_dir(s).to_path_buf())
        .collect();
    dirs.push(PathBuf::from("."));
    dirs.dedup();
    Ok(pyproject::find_settings(args.config.as_deref(), &dirs)?)
}

/// One lockfile to write, from its inputs.
struct Job {
    sources: Vec<PathBuf>,
    output: Option<PathBuf>,
}

/// What every job of one call shares.
struct Context<'a> {
    args: &'a CompileArgs,
    config: Option<&'a ToolSettings>,
    /// The inputs of the other jobs, left out of this job's header command.
    others: &'a [&'a PathBuf],
    quiet: bool,
}

pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Jobs whose inputs `-r`/`-c` include another job's output run after it (`requirements-dev.in`
/// saying `-r requirements.txt`); otherwise in the order given.
fn order(jobs: Vec<Job>) -> Vec<Job> {
    let key = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let needs: Vec<Vec<usize>> = jobs
        .iter()
        .map(|job| {
            let included: Vec<PathBuf> = job
                .sources
                .iter()
                .flat_map(|s| requirements::includes(s))
                .map(|p| key(&p))
                .collect();
            jobs.iter()
                .enumerate()
                .filter(|(_, other)| {
                    other
                        .output
                        .as_ref()
                        .is_some_and(|out| included.contains(&key(out)))
                })
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    let mut done = vec![false; jobs.len()];
    let mut sequence = Vec::new();
    while sequence.len() < jobs.len() {
        // The first job whose needs are met; on a cycle, the first left, as given.
        let next = (0..jobs.len())
            .find(|&i| !done[i] && needs[i].iter().all(|&n| done[n] || n == i))
            .or_else(|| (0..jobs.len()).find(|&i| !done[i]));
        let Some(next) = next else { break };
        done[next] = true;
        sequence.push(next);
    }
    let mut slots: Vec<Option<Job>> = jobs.into_iter().map(Some).collect();
    sequence
        .into_iter()
        .filter_map(|i| slots[i].take())
        .collect()
}

/// `requirements.in` -> `requirements.txt`; a project file -> `requirements.txt` beside it (as
/// pip-compile does); standard input -> standard output.
fn default_output(source: &Path) -> Option<PathBuf> {
    if source == Path::new("-") {
        return None;
    }
    if project_file(source) {
        return Some(parent_dir(source).join("requirements.txt"));
    }
    Some(source.with_extension("txt"))
}

/// pyproject.toml, setup.cfg and setup.py inputs describe a project rather than list
/// requirements.
fn project_file(source: &Path) -> bool {
    matches!(
        source.file_name().and_then(|n| n.to_str()),
        Some("pyproject.toml" | "setup.cfg" | "setup.py")
    )
}

/// Resolve one job; with `--check`, the output file's path when it is stale.
fn compile_one(
    context: &Context<'_>,
    sources: &[PathBuf],
    output: Option<&Path>,
) -> Result<Option<PathBuf>, CommandError> {
    let recorded;
    let args = match output {
        Some(output) if context.args.check => {
            recorded = with_recorded_flags(context.args, output);
            &recorded
        }
        _ => context.args,
    };
    let quiet = context.quiet;
    let started = Instant::now();
    if let Some(output) = output
        && let Some(source) = sources.iter().find(|s| same_file(s, output))
    {
        // pip-compile refuses too: the input would be lost.
        return Err(CommandError::OutputIsInput(source.clone()));
    }
    if args.check && output.is_none() {
        return Err(CommandError::CheckWithoutOutput);
    }
    let mut inputs = Vec::new();
    let mut project_names = Vec::new();
    let mut to_build = Vec::new();
    for source in sources {
        let input = read_input(args, source)?;
        if let Some(name) = input.project_name {
            project_names.push((source.clone(), name));
        }
        if let Some(selection) = input.needs_build {
            to_build.push((source.clone(), selection));
        }
        inputs.push(input.requirements);
    }
    let mut constraint_files = Vec::new();
    for constraint in &args.constraint {
        constraint_files.push(requirements::read(constraint)?);
    }

    let mut file_options = IndexOptions::default();
    let mut requirements = Vec::new();
    let mut direct = DirectInputs::default();
    for input in inputs.iter().chain(&constraint_files) {
        file_options.merge(&input.options);
    }
    for input in &inputs {
        collect(
            &mut requirements,
            &mut direct,
            &input.requirements,
            InputKind::Requirement,
        )?;
        collect(
            &mut requirements,
            &mut direct,
            &input.constraints,
            InputKind::Constraint,
        )?;
    }
    for file in &constraint_files {
        collect(
            &mut requirements,
            &mut direct,
            &file.requirements,
            InputKind::Constraint,
        )?;
        collect(
            &mut requirements,
            &mut direct,
            &file.constraints,
            InputKind::Constraint,
        )?;
    }

    let preferences = preferences(args, output, &mut requirements)?;

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
    let target = target_environment(args, cache_dir.as_deref())?;
    let interpreter = target.interpreter.as_ref().map(|i| i.executable.clone());
    let locations = settings::index_locations(
        &args.index,
        &file_options,
        context.config,
        interpreter.as_deref(),
        cache_dir.as_deref(),
    )?;
    let index_lines = index_lines(&args.index, &file_options, context.config);
    let refresh = if args.index.refresh {
        Refresh::All
    } else if args.upgrade {
        Refresh::Revalidate
    } else if !args.upgrade_package.is_empty() {
        Refresh::Packages(
            args.upgrade_package
                .iter()
                .filter_map(|p| upgrade_name(p).ok())
                .collect(),
        )
    } else {
        Refresh::None
    };
    let client = Arc::new(IndexClient::new(
        locations,
        CacheSettings {
            dir: cache_dir.clone(),
            refresh,
            offline: args.index.offline,
            heuristic_freshness: Duration::from_secs(600),
        },
    )?);
    let runtime = super::runtime()?;
    let builder = match &target.interpreter {
        Some(interpreter) if !args.formats.no_build => Some(Arc::new(Builder::new(
            interpreter.clone(),
            client.clone(),
            cache_dir,
        ))),
        _ => None,
    };
    // Projects whose dependencies only a build can tell (setup.py, setup.cfg, dynamic).
    for (source, selection) in &to_build {
        let Some(builder) = &builder else {
            return Err(CommandError::ProjectNeedsBuild(source.clone()));
        };
        let metadata = runtime.block_on(builder.project_metadata(parent_dir(source)))?;
        project_names.push((source.clone(), metadata.name.to_string()));
        let entries = built_requirements(source, &metadata, selection)?;
        collect(
            &mut requirements,
            &mut direct,
            &entries,
            InputKind::Requirement,
        )?;
    }
    let direct = direct.prepare(builder.as_deref(), output, &runtime, &mut requirements)?;

    let request = ResolveRequest {
        requirements,
        preferences,
        pre: args.pre || file_options.pre,
        policies: Box::new(settings::BinaryPolicies::new(
            &file_options,
            &args.formats.only_binary,
            &args.formats.no_binary,
            args.formats.no_build,
        )?),
        direct,
        builder: builder.map(|builder| builder as _),
    };
    let spinner = ui::spinner("Resolving dependencies", quiet);
    let resolution = runtime.block_on(async {
        let mut resolution = resolver::resolve(request, client.clone(), &target).await?;
        if args.generate_hashes {
            resolver::complete_hashes(&mut resolution, &client).await?;
        }
        Ok::<_, resolver::ResolveError>(resolution)
    });
    spinner.finish_and_clear();
    let resolution = resolution?;
    // The client caches every project page it read: leave it to the process exit (see
    // `resolver::resolve`).
    std::mem::forget(client);

    let python = target.python_version.release();
    let options = LockfileOptions {
        header: (!args.no_header).then(|| HeaderInfo {
            command: header_command(context.others),
            python: format!("{}.{}", python[0], python.get(1).copied().unwrap_or(0)),
        }),
        annotate: !args.no_annotate,
        annotation_style: match args.annotation_style {
            Some(cli::AnnotationStyle::Line) => AnnotationStyle::Line,
            _ => AnnotationStyle::Split,
        },
        generate_hashes: args.generate_hashes,
        strip_extras: args.strip_extras,
        allow_unsafe: args.allow_unsafe,
        index_lines,
        base_dir: output.map(|o| parent_dir(o).to_path_buf()),
        project_names,
    };
    let text = lockfile::render(&resolution, &options);
    if args.check {
        let output = output.unwrap_or(Path::new("-"));
        return Ok(check_output(output, &text, quiet));
    }
    match output {
        Some(path) if !args.dry_run => lockfile::write(path, &text)?,
        _ => print!("{text}"),
    }
    if !quiet {
        let elapsed = started.elapsed();
        let count = resolution.packages.len();
        let what = if args.dry_run {
            "would be written"
        } else {
            "written"
        };
        let place = match output {
            Some(path) if !args.dry_run => format!("`{}` {what}", path.display()),
            _ => "lockfile printed".to_string(),
        };
        let plural = if count == 1 { "" } else { "s" };
        eprintln!(
            "{}",
            ui::dim(&format!(
                "Resolved {count} package{plural} in {}ms: {place}",
                elapsed.as_millis()
            ))
        );
    }
    Ok(None)
}

/// `--check`: compare with the existing lockfile and print a diff when they differ. The command
/// line in the header is not compared: the same inputs may be named from another directory (a
/// pre-commit hook runs at the repository's root).
fn check_output(output: &Path, text: &str, quiet: bool) -> Option<PathBuf> {
    let existing = std::fs::read_to_string(output).ok();
    let expected = match &existing {
        Some(existing) => lockfile::with_header_command_of(text, existing),
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

/// What one input asks for.
pub(crate) struct Input {
    pub(crate) requirements: RequirementsTxt,
    /// For a project file with static dependencies: the project's name, for `# via`.
    pub(crate) project_name: Option<String>,
    /// For a project whose dependencies only a build can tell: the extras and groups wanted.
    pub(crate) needs_build: Option<pyproject::Selection>,
}

/// An input's requirements.
pub(crate) fn read_input(args: &CompileArgs, path: &Path) -> Result<Input, CommandError> {
    let selection = pyproject::Selection {
        extras: args.extra.clone(),
        all_extras: args.all_extras,
        groups: args.group.clone(),
    };
    if project_file(path) {
        return read_project(path, selection);
    }
    if !selection.extras.is_empty() || selection.all_extras || !selection.groups.is_empty() {
        return Err(CommandError::ExtrasNeedProject(path.to_path_buf()));
    }
    let requirements = if path == Path::new("-") {
        let content = std::io::read_to_string(std::io::stdin()).map_err(|source| {
            requirements::RequirementsError::Read {
                path: path.to_path_buf(),
                source,
            }
        })?;
        requirements::read_str(path, content)?
    } else {
        requirements::read(path)?
    };
    Ok(Input {
        requirements,
        project_name: None,
        needs_build: None,
    })
}

/// `[project] dependencies` (with the selected extras and groups) of a pyproject.toml, read
/// statically; dynamic dependencies and setup.py/setup.cfg projects are left to a build, except
/// for dependency groups, which PEP 735 keeps static.
fn read_project(path: &Path, selection: pyproject::Selection) -> Result<Input, CommandError> {
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let project = if is_pyproject {
        Some(Pyproject::read(path)?)
    } else {
        let pyproject = parent_dir(path).join("pyproject.toml");
        pyproject
            .is_file()
            .then(|| Pyproject::read(&pyproject))
            .transpose()?
    };
    let static_project = project.as_ref().filter(|project| {
        is_pyproject
            && !project.is_dynamic("dependencies")
            && !((selection.all_extras || !selection.extras.is_empty())
                && project.is_dynamic("optional-dependencies"))
    });
    if let Some(project) = static_project {
        return Ok(Input {
            requirements: RequirementsTxt {
                requirements: project.requirements(&selection)?,
                files: vec![path.to_path_buf()],
                ..RequirementsTxt::default()
            },
            project_name: project.name().map(|n| n.to_string()),
            needs_build: None,
        });
    }
    let groups = pyproject::Selection {
        groups: selection.groups.clone(),
        ..pyproject::Selection::default()
    };
    let requirements = match &project {
        Some(project) if !groups.groups.is_empty() => project.requirements(&groups)?,
        _ => Vec::new(),
    };
    Ok(Input {
        requirements: RequirementsTxt {
            requirements,
            files: vec![path.to_path_buf()],
            ..RequirementsTxt::default()
        },
        project_name: None,
        needs_build: Some(selection),
    })
}

/// The Requires-Dist of a built project, with the selected extras switched on.
fn built_requirements(
    source: &Path,
    metadata: &CoreMetadata,
    selection: &pyproject::Selection,
) -> Result<Vec<requirements::RequirementEntry>, CommandError> {
    let known = || {
        metadata
            .provides_extras
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    let mut extras = Vec::new();
    if selection.all_extras {
        extras.clone_from(&metadata.provides_extras);
    }
    for extra in &selection.extras {
        let name = ExtraName::from_str(extra)
            .ok()
            .filter(|name| metadata.provides_extras.contains(name))
            .ok_or_else(|| pyproject::PyprojectError::UnknownExtra {
                path: source.to_path_buf(),
                extra: extra.clone(),
                known_names: known(),
            })?;
        extras.push(name);
    }
    // `all = ["me[a]"]`: a self-reference switches its extras on too, until nothing new is.
    loop {
        let more: Vec<ExtraName> = metadata
            .requires_dist
            .iter()
            .filter(|r| r.name == metadata.name)
            .filter(|r| r.marker.clone().simplify_extras(&extras).is_true())
            .flat_map(|r| r.extras.iter().cloned())
            .filter(|e| !extras.contains(e))
            .collect();
        if more.is_empty() {
            break;
        }
        extras.extend(more);
    }
    Ok(metadata
        .requires_dist
        .iter()
        .filter(|r| r.name != metadata.name)
        .map(|r| {
            let mut requirement = r.clone();
            requirement.marker = requirement.marker.simplify_extras(&extras);
            requirements::RequirementEntry {
                spec: RequirementSpec::Named(requirement),
                editable: false,
                hashes: Vec::new(),
                origin: Origin {
                    file: source.to_path_buf(),
                    line: 1,
                    column: 1,
                },
            }
        })
        .collect())
}

/// Direct references as read from the inputs. Local projects and git URLs are built for their
/// metadata (and so their name) once the target interpreter is known: [`DirectInputs::prepare`].
#[derive(Default)]
struct DirectInputs {
    references: DirectReferences,
    sources: Vec<PendingSource>,
}

/// A local project or git reference, before its metadata is built.
struct PendingSource {
    source: Tree,
    /// The name before `@` (`mylib @ ./libs/mylib`), checked against the built metadata.
    name: Option<PackageName>,
    extras: Vec<pep508_rs::ExtraName>,
    marker: pep508_rs::MarkerTree,
    /// The path or URL as written in the input.
    given: String,
    editable: bool,
    origin: Origin,
    kind: InputKind,
}

/// A source tree to build.
enum Tree {
    Directory(PathBuf),
    Git(GitReference),
}

/// Named requirements and direct references: wheel and sdist files (local or remote) are
/// resolved from the file; local projects and git URLs are kept for [`DirectInputs::prepare`].
fn collect(
    into: &mut Vec<InputRequirement>,
    direct: &mut DirectInputs,
    entries: &[requirements::RequirementEntry],
    kind: InputKind,
) -> Result<(), CommandError> {
    for entry in entries {
        let unsupported = || CommandError::Unsupported {
            what: "URLs of this kind".into(),
            origin: entry.origin.clone(),
        };
        let (url, extras, marker, named) = match &entry.spec {
            RequirementSpec::Named(requirement) => match &requirement.version_or_url {
                Some(VersionOrUrl::Url(url)) => (
                    url,
                    &requirement.extras,
                    &requirement.marker,
                    Some(requirement),
                ),
                _ if entry.editable => return Err(unsupported()),
                _ => {
                    into.push(InputRequirement {
                        requirement: requirement.clone(),
                        origin: entry.origin.clone(),
                        kind: kind.clone(),
                    });
                    continue;
                }
            },
            RequirementSpec::Unnamed(unnamed) => {
                (&unnamed.url, &unnamed.extras, &unnamed.marker, None)
            }
        };
        let source = SourceRef::from_url(url.raw()).ok_or_else(unsupported)?;
        let given = url.given().map_or_else(|| url.to_string(), str::to_string);
        let tree = match source {
            SourceRef::Directory(dir) => Tree::Directory(dir),
            SourceRef::Git(git) => Tree::Git(git),
            SourceRef::File(file_url) => {
                if entry.editable {
                    return Err(CommandError::Unsupported {
                        what: "editable archives".into(),
                        origin: entry.origin.clone(),
                    });
                }
                // A wheel or sdist file: its name is in its file name.
                let name = match named {
                    Some(requirement) => requirement.name.clone(),
                    None => archive_name(&file_url).ok_or_else(unsupported)?,
                };
                let file = DistFile::from_url(&name, &file_url).ok_or_else(unsupported)?;
                let written = match named {
                    Some(_) => given,
                    None => file_url.to_string(),
                };
                direct
                    .references
                    .files
                    .insert(name.clone(), (file, written));
                let requirement = match named {
                    Some(requirement) => requirement.clone(),
                    None => Requirement {
                        name,
                        extras: extras.clone(),
                        version_or_url: None,
                        marker: marker.clone(),
                        origin: None,
                    },
                };
                into.push(InputRequirement {
                    requirement,
                    origin: entry.origin.clone(),
                    kind: kind.clone(),
                });
                continue;
            }
        };
        direct.sources.push(PendingSource {
            source: tree,
            name: named.map(|r| r.name.clone()),
            extras: extras.clone(),
            marker: marker.clone(),
            given,
            editable: entry.editable,
            origin: entry.origin.clone(),
            kind: kind.clone(),
        });
    }
    Ok(())
}

/// The project name in a wheel or sdist file name.
fn archive_name(url: &url::Url) -> Option<PackageName> {
    let filename = url.path_segments()?.next_back()?;
    let dist = crate::metadata::DistFilename::parse(filename, None)?;
    Some(dist.name().clone())
}

impl DirectInputs {
    /// Check out git references and build every local project's metadata, then add them to
    /// the requirements under the names their metadata gives.
    fn prepare(
        self,
        builder: Option<&Builder>,
        output: Option<&Path>,
        runtime: &tokio::runtime::Runtime,
        into: &mut Vec<InputRequirement>,
    ) -> Result<DirectReferences, CommandError> {
        let mut references = self.references;
        if self.sources.is_empty() {
            return Ok(references);
        }
        let lockfile_dir = output
            .and_then(|o| std::path::absolute(o).ok())
            .and_then(|o| o.parent().map(Path::to_path_buf))
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        for pending in self.sources {
            let Some(builder) = builder else {
                return Err(CommandError::BuildDisabled {
                    what: format!("`{}`", pending.given),
                    origin: pending.origin,
                });
            };
            let (project, written) = match &pending.source {
                Tree::Git(git) => {
                    let (dir, commit) = runtime.block_on(builder.checkout(git))?;
                    (dir, git.pinned(&commit))
                }
                Tree::Directory(dir) => {
                    let written = if is_relative(&pending.given) {
                        relative_path(&lockfile_dir, dir)
                    } else {
                        url::Url::from_directory_path(dir)
                            .map_or_else(|()| pending.given.clone(), |u| u.to_string())
                            .trim_end_matches('/')
                            .to_string()
                    };
                    (dir.clone(), written)
                }
            };
            let metadata = runtime.block_on(builder.project_metadata(&project))?;
            let name = metadata.name.clone();
            if let Some(given) = pending.name.filter(|given| *given != name) {
                return Err(CommandError::NameMismatch {
                    given,
                    built: name,
                    origin: pending.origin,
                });
            }
            references.sources.insert(
                name.clone(),
                SourcePackage {
                    metadata,
                    written,
                    editable: pending.editable,
                },
            );
            into.push(InputRequirement {
                requirement: Requirement {
                    name,
                    extras: pending.extras,
                    version_or_url: None,
                    marker: pending.marker,
                    origin: None,
                },
                origin: pending.origin,
                kind: pending.kind,
            });
        }
        Ok(references)
    }
}

/// Whether the input wrote a path relative to itself (`.`, `./libs/mylib`, `file:libs/x`).
fn is_relative(given: &str) -> bool {
    let path = given.strip_prefix("file:").unwrap_or(given);
    !(path.starts_with('/') || path.contains("://") || Path::new(path).is_absolute())
}

/// `dir` relative to the lockfile's folder, as pip reads it back: `.`, `./libs/mylib`, `../x`.
fn relative_path(base: &Path, dir: &Path) -> String {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    match pathdiff::diff_paths(&dir, base) {
        Some(relative) if relative.as_os_str().is_empty() => ".".to_string(),
        Some(relative) if relative.starts_with("..") => relative.display().to_string(),
        Some(relative) => format!("./{}", relative.display()),
        None => dir.display().to_string(),
    }
}

/// The name of `-P NAME` or `-P NAME==VERSION`.
fn upgrade_name(value: &str) -> Result<PackageName, CommandError> {
    let requirement = Requirement::<VerbatimUrl>::from_str(value).map_err(|e| {
        CommandError::InvalidUpgradePackage {
            value: value.to_string(),
            reason: e.message.to_string(),
        }
    })?;
    Ok(requirement.name)
}

/// Pins of the existing output file, minus what `-U`/`-P` release. `-P NAME==VER` also becomes a
/// constraint, so the pin moves exactly there.
fn preferences(
    args: &CompileArgs,
    output: Option<&Path>,
    requirements: &mut Vec<InputRequirement>,
) -> Result<HashMap<PackageName, Version>, CommandError> {
    let mut released = Vec::new();
    for value in &args.upgrade_package {
        let requirement = Requirement::<VerbatimUrl>::from_str(value).map_err(|e| {
            CommandError::InvalidUpgradePackage {
                value: value.to_string(),
                reason: e.message.to_string(),
            }
        })?;
        released.push(requirement.name.clone());
        if requirement.version_or_url.is_some() {
            requirements.push(InputRequirement {
                requirement,
                origin: Origin {
                    file: PathBuf::from("--upgrade-package"),
                    line: 0,
                    column: 0,
                },
                kind: InputKind::Constraint,
            });
        }
    }
    let mut preferences = HashMap::new();
    let Some(output) = output.filter(|path| !args.upgrade && path.is_file()) else {
        return Ok(preferences);
    };
    // An unreadable old lockfile only costs the preferences; the new one replaces it.
    let Ok(existing) = requirements::read(output) else {
        tracing::warn!(
            "ignoring the pins of `{}`: it does not parse",
            output.display()
        );
        return Ok(preferences);
    };
    for entry in existing.requirements {
        let RequirementSpec::Named(requirement) = entry.spec else {
            continue;
        };
        if released.contains(&requirement.name) {
            continue;
        }
        if let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &requirement.version_or_url
            && let [specifier] = specifiers.iter().as_slice()
            && *specifier.operator() == pep440_rs::Operator::Equal
        {
            preferences.insert(requirement.name.clone(), specifier.version().clone());
        }
    }
    Ok(preferences)
}

fn target_environment(
    args: &CompileArgs,
    cache_dir: Option<&Path>,
) -> Result<TargetEnvironment, CommandError> {
    if let (Some(version), None) = (&args.python_version, &args.python) {
        return Ok(python::target_from_version(
            version,
            args.python_platform.as_deref(),
            None,
        )?);
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let executable = python::find_interpreter(args.python.as_deref(), &cwd)?;
    let interpreter = python::Interpreter::probe(&executable, cache_dir)?;
    let base = interpreter.target();
    if args.python_version.is_some() || args.python_platform.is_some() {
        let version = args
            .python_version
            .clone()
            .unwrap_or_else(|| base.python_version.to_string());
        let mut target =
            python::target_from_version(&version, args.python_platform.as_deref(), Some(&base))?;
        target.interpreter = Some(interpreter);
        return Ok(target);
    }
    Ok(base)
}

/// The index options worth repeating in the lockfile, so `pip install -r` and `pinion sync` look
/// in the same places. Passwords are never written.
fn index_lines(
    cli: &cli::IndexArgs,
    files: &IndexOptions,
    config: Option<&ToolSettings>,
) -> Vec<String> {
    // PIP_INDEX_URL ranks above `[tool.pinion]`: then the lockfile names neither (as for pip's
    // own configuration), rather than an index that was not used.
    let config_index = config
        .and_then(|c| c.index_url.as_ref())
        .filter(|_| std::env::var_os("PIP_INDEX_URL").is_none());
    let config_extra = config
        .map(|c| c.extra_index_urls.as_slice())
        .unwrap_or_default();
    let config_links = config.map(|c| c.find_links.as_slice()).unwrap_or_default();
    let redact = |url: &str| match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => url.to_string(),
    };
    let mut lines = Vec::new();
    if cli.no_index || files.no_index {
        lines.push("--no-index".to_string());
    } else if let Some(url) = cli
        .index_url
        .as_ref()
        .or(files.index_url.as_ref())
        .or(config_index)
    {
        lines.push(format!("--index-url {}", redact(url)));
    }
    let extras = cli
        .extra_index_url
        .iter()
        .chain(&files.extra_index_urls)
        .chain(config_extra);
    for url in extras {
        let line = format!("--extra-index-url {}", redact(url));
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    for link in cli
        .find_links
        .iter()
        .chain(&files.find_links)
        .chain(config_links)
    {
        let line = format!("--find-links {link}");
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    lines
}

/// The command for the header, without the flags that do not change the result.
fn header_command(others: &[&PathBuf]) -> String {
    const DROP_WITH_VALUE: &[&str] = &["--cache-dir", "-P", "--upgrade-package"];
    const DROP: &[&str] = &[
        "-q",
        "--quiet",
        "-v",
        "-vv",
        "-vvv",
        "--verbose",
        "-n",
        "--dry-run",
        "--check",
        "-U",
        "--upgrade",
        "--no-cache",
        "--refresh",
        "--offline",
    ];
    let mut words = vec!["pinion".to_string()];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if DROP.contains(&arg.as_str()) || others.iter().any(|o| o.as_os_str() == arg.as_str()) {
            continue;
        }
        if DROP_WITH_VALUE.contains(&arg.as_str()) {
            args.next();
            continue;
        }
        if DROP_WITH_VALUE
            .iter()
            .any(|flag| arg.starts_with(&format!("{flag}=")))
        {
            continue;
        }
        words.push(redact_url_password(&arg));
    }
    // Quoted so that `check` and `--check` read the same words back.
    shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
}

/// `https://me:secret@example.invalid/...` (alone or as `--flag=URL`) without its password: a lockfile
/// is committed.
fn redact_url_password(word: &str) -> String {
    let (prefix, value) = match word.split_once('=') {
        Some((flag, value)) if flag.starts_with("--") => (format!("{flag}="), value),
        _ => (String::new(), word),
    };
    match url::Url::parse(value) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(None);
            format!("{prefix}{url}")
        }
        _ => word.to_string(),
    }
}
