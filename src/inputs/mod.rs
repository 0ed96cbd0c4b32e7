//! What the user asked for, read once for compile and check: requirement files and project
//! files (pyproject.toml, setup.cfg, setup.py), constraints, direct references (files, local
//! projects, git) and the requirements of projects only a build can describe, plus the
//! preferences an existing lockfile gives. This layer reads files and asks the builder; it
//! never resolves.

mod direct;
mod overrides;
mod preferences;
mod project;

use std::path::{Path, PathBuf};

pub(crate) use crate::pyproject::Selection;
pub(crate) use overrides::{offline_rewrites, rewrites};
pub(crate) use preferences::marked_preferences;

use crate::build::{BuildTarget, Builder};
use crate::requirements::{self, IndexOptions, Origin, RequirementsTxt};
use crate::resolver::{DirectReferences, InputKind, InputRequirement};
use direct::DirectInputs;

/// Why the inputs could not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum InputsError {
    /// A requirement file could not be read or parsed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Requirements(#[from] requirements::RequirementsError),

    /// A pyproject.toml cannot be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Pyproject(#[from] crate::pyproject::PyprojectError),

    /// A build for a project's metadata failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Build(#[from] crate::build::BuildError),

    /// An input uses something pinion does not handle yet.
    #[error("{what} are not supported yet (`{origin}`)")]
    #[diagnostic(code(pinion::unsupported))]
    Unsupported { what: String, origin: Origin },

    /// A local project or git reference, and building is off (`--no-build`, or no interpreter).
    #[error(transparent)]
    #[diagnostic(transparent)]
    BuildDisabled(#[from] crate::build::BuildDisabled),

    /// `name @ path` where the project at `path` is another package.
    #[error(transparent)]
    #[diagnostic(transparent)]
    NameMismatch(#[from] crate::build::NameMismatch),

    /// `--extra`/`--group` with a requirements file.
    #[error("`--extra`, `--all-extras` and `--group` apply to project inputs, not to `{}`", .0.display())]
    #[diagnostic(
        code(pinion::compile::extras_need_project),
        help("compile pyproject.toml (or setup.cfg, setup.py) to select its extras and groups")
    )]
    ExtrasNeedProject(PathBuf),

    /// `--build-deps-for` where nothing can run the project's build backend.
    #[error("only the build backend of `{}` can tell its build dependencies, and building is off here", .0.display())]
    #[diagnostic(
        code(pinion::compile::build_deps_need_build),
        help(
            "drop `--no-build` (to run the backend, compile needs an interpreter, not only `--python-version`)"
        )
    )]
    BuildDepsNeedBuild(PathBuf),

    /// A project whose requirements only a build can tell.
    #[error("only a build of the project can tell the dependencies of `{}`, and building is off here", .0.display())]
    #[diagnostic(
        code(pinion::compile::project_needs_build),
        help(
            "drop `--no-build` (to build, compile needs an interpreter, not only `--python-version`), or list the dependencies statically in `[project] dependencies`"
        )
    )]
    ProjectNeedsBuild(PathBuf),
}

impl InputsError {
    /// Whether the user must act on the result (1) rather than fix an input (2).
    pub(crate) fn is_failure(&self) -> bool {
        matches!(self, Self::Build(_) | Self::BuildDisabled(_))
    }
}

/// pip-compile's default input in `dir`: the first of `requirements.in`, `setup.py`,
/// `pyproject.toml` and `setup.cfg` that exists (its `DEFAULT_REQUIREMENTS_FILES`), else
/// `requirements.in` (which then cannot be read).
pub(crate) fn default_sources(dir: &Path) -> Vec<PathBuf> {
    let default = dir.join("requirements.in");
    let chosen = ["requirements.in", "setup.py", "pyproject.toml", "setup.cfg"]
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.exists())
        .unwrap_or(default);
    // `./requirements.in` reads worse in headers and messages than `requirements.in`.
    vec![
        chosen
            .strip_prefix(".")
            .map(Path::to_path_buf)
            .unwrap_or(chosen),
    ]
}

/// The folder of `path`, `.` for a bare file name.
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// pyproject.toml, setup.cfg and setup.py inputs describe a project rather than list
/// requirements.
pub(crate) fn is_project_file(source: &Path) -> bool {
    matches!(
        source.file_name().and_then(|n| n.to_str()),
        Some("pyproject.toml" | "setup.cfg" | "setup.py")
    )
}

/// The order to compile lockfiles in, given each one's inputs and output: one whose inputs
/// `-r`/`-c` include another's output runs after it (`requirements-dev.in` saying
/// `-r requirements.txt`); otherwise in the order given, and on a cycle as given.
pub(crate) fn order(jobs: &[(&[PathBuf], Option<&Path>)]) -> Vec<usize> {
    let key = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let needs: Vec<Vec<usize>> = jobs
        .iter()
        .map(|(sources, _)| {
            let included: Vec<PathBuf> = sources
                .iter()
                .flat_map(|s| requirements::includes(s))
                .map(|p| key(&p))
                .collect();
            jobs.iter()
                .enumerate()
                .filter(|(_, (_, output))| output.is_some_and(|out| included.contains(&key(out))))
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    let mut done = vec![false; jobs.len()];
    let mut sequence = Vec::new();
    while sequence.len() < jobs.len() {
        let next = (0..jobs.len())
            .find(|&i| !done[i] && needs[i].iter().all(|&n| done[n] || n == i))
            .or_else(|| (0..jobs.len()).find(|&i| !done[i]));
        let Some(next) = next else { break };
        done[next] = true;
        sequence.push(next);
    }
    sequence
}

/// What one input asks for.
pub(crate) struct Input {
    pub(crate) requirements: RequirementsTxt,
    /// For a project file with static dependencies: the project's name, for `# via`.
    pub(crate) project_name: Option<String>,
    /// For a project whose dependencies only a build can tell: the extras and groups wanted.
    pub(crate) needs_build: Option<Selection>,
    /// A pyproject.toml's `requires-python`.
    pub(crate) requires_python: Option<pep440_rs::VersionSpecifiers>,
}

/// One input's requirements: a requirement file, standard input (`-`), or a project file with
/// the `selection`'s extras and groups.
pub(crate) fn read_input(path: &Path, selection: &Selection) -> Result<Input, InputsError> {
    if is_project_file(path) {
        return project::read(path, selection.clone());
    }
    if !selection.extras.is_empty() || selection.all_extras || !selection.groups.is_empty() {
        return Err(InputsError::ExtrasNeedProject(path.to_path_buf()));
    }
    let requirements = if path == Path::new("-") {
        let content = crate::fsutil::read_stdin().map_err(|source| {
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
        requires_python: None,
    })
}

/// Every input of one lockfile, read.
pub(crate) struct Inputs {
    /// Named requirements and constraints, with where each was written.
    pub(crate) requirements: Vec<InputRequirement>,
    /// The index and format options the requirement files set.
    pub(crate) file_options: IndexOptions,
    /// Project inputs and their names, for `# via name (pyproject.toml)`.
    pub(crate) project_names: Vec<(PathBuf, String)>,
    /// The first project input's `requires-python`: where a universal resolution starts.
    pub(crate) requires_python: Option<pep440_rs::VersionSpecifiers>,
    direct: DirectInputs,
    /// The direct references of `--override` lines ([`rewrites`]): they replace every
    /// requirement on their packages, and win over the inputs' own.
    override_direct: DirectInputs,
    /// Projects whose dependencies only a build can tell (setup.py, setup.cfg, dynamic).
    to_build: Vec<(PathBuf, Selection)>,
    /// Projects whose build requirements are pinned too (`--build-deps-for`), with the targets.
    build_deps: Vec<(PathBuf, Vec<BuildTarget>)>,
}

impl Inputs {
    /// Read `sources` (with the `selection` for project files) and the `constraints` files.
    pub(crate) fn read(
        sources: &[PathBuf],
        constraints: &[PathBuf],
        selection: &Selection,
    ) -> Result<Self, InputsError> {
        let mut inputs = Self {
            requirements: Vec::new(),
            file_options: IndexOptions::default(),
            project_names: Vec::new(),
            requires_python: None,
            direct: DirectInputs::default(),
            override_direct: DirectInputs::default(),
            to_build: Vec::new(),
            build_deps: Vec::new(),
        };
        let mut files = Vec::new();
        for source in sources {
            let input = read_input(source, selection)?;
            if let Some(name) = input.project_name {
                inputs.project_names.push((source.clone(), name));
            }
            if inputs.requires_python.is_none() {
                inputs.requires_python = input.requires_python;
            }
            if let Some(selection) = input.needs_build {
                inputs.to_build.push((source.clone(), selection));
            }
            if !selection.build_deps.is_empty() && is_project_file(source) {
                let targets = selection.build_deps.clone();
                inputs.build_deps.push((source.clone(), targets));
            }
            files.push((input.requirements, InputKind::Requirement));
        }
        for constraint in constraints {
            files.push((requirements::read(constraint)?, InputKind::Constraint));
        }
        for (file, _) in &files {
            inputs.file_options.merge(&file.options);
        }
        for (file, kind) in &files {
            inputs.collect(&file.requirements, kind.clone())?;
            inputs.collect(&file.constraints, InputKind::Constraint)?;
        }
        Ok(inputs)
    }

    fn collect(
        &mut self,
        entries: &[requirements::RequirementEntry],
        kind: InputKind,
    ) -> Result<(), InputsError> {
        self.direct.collect(&mut self.requirements, entries, kind)
    }

    /// Build what only a build can describe: projects given as inputs, local projects and git
    /// references (checked out). Their requirements join the others under the names their
    /// metadata gives; the direct references are what the resolver pins them to. `lockfile`
    /// is where relative paths are written from.
    pub(crate) async fn build(
        &mut self,
        builder: Option<&Builder>,
        lockfile: Option<&Path>,
    ) -> Result<DirectReferences, InputsError> {
        for (source, selection) in std::mem::take(&mut self.to_build) {
            let Some(builder) = builder else {
                return Err(InputsError::ProjectNeedsBuild(source));
            };
            let metadata = builder.project_metadata(parent_dir(&source)).await?;
            self.project_names
                .push((source.clone(), metadata.name.to_string()));
            if !selection.only_build_deps {
                let entries = project::built_requirements(&source, &metadata, &selection)?;
                self.collect(&entries, InputKind::Requirement)?;
            }
        }
        for (source, targets) in std::mem::take(&mut self.build_deps) {
            let Some(builder) = builder else {
                return Err(InputsError::BuildDepsNeedBuild(source));
            };
            let known = self.project_names.iter().find(|(path, _)| *path == source);
            let name = match known {
                Some((_, name)) => name.clone(),
                None => {
                    let metadata = builder.project_metadata(parent_dir(&source)).await?;
                    metadata.name.to_string()
                }
            };
            let found = builder
                .build_requirements(parent_dir(&source), &targets)
                .await?;
            let entries = project::build_requirement_entries(
                &source,
                &found,
                &name,
                &mut self.project_names,
            )?;
            self.collect(&entries, InputKind::Requirement)?;
        }
        let mut references = std::mem::take(&mut self.direct)
            .prepare(builder, lockfile, &mut self.requirements)
            .await?;
        // Their requirements are the override lines themselves, already in the `Rewrites`.
        let overriding = std::mem::take(&mut self.override_direct)
            .prepare(builder, lockfile, &mut Vec::new())
            .await?;
        for name in overriding.files.keys().chain(overriding.sources.keys()) {
            references.files.remove(name);
            references.sources.remove(name);
        }
        references.files.extend(overriding.files);
        references.sources.extend(overriding.sources);
        Ok(references)
    }
}
