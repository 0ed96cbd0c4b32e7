//! Isolated build environments (PEP 517/518): a venv made by the target interpreter, holding
//! exactly the build requirements, and the subprocess that runs one backend hook in it.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::Arc;

use pep508_rs::PackageName;
use tracing::{debug, info};

use super::BuildError;
use crate::index::{IndexClient, best_file};
use crate::install::{self, InstallOptions};
use crate::python::Interpreter;
use crate::requirements::Origin;
use crate::resolver::{
    self, FormatPolicies, FormatPolicy, InputKind, InputRequirement, ResolveRequest,
};

/// The hook runner, run by the build environment's interpreter.
const HOOKS_SCRIPT: &str = include_str!("hooks.py");

/// setuptools' legacy backend: what pip uses for a project without `[build-system]` (PEP 517's
/// fallback).
const LEGACY_BACKEND: &str = "setuptools.build_meta:__legacy__";
const LEGACY_REQUIRES: &str = "setuptools>=40.8.0";

/// A project's `[build-system]` (PEP 518), defaults filled in.
#[derive(Debug, Clone)]
pub(crate) struct BuildSystem {
    /// The project directory.
    pub(crate) root: PathBuf,
    /// `pyproject.toml`, or the directory when there is none: named in resolution errors.
    pub(crate) origin: PathBuf,
    pub(crate) requires: Vec<String>,
    pub(crate) backend: String,
    pub(crate) backend_path: Vec<String>,
}

impl BuildSystem {
    pub(crate) fn read(root: &Path) -> Result<Self, BuildError> {
        let path = root.join("pyproject.toml");
        let legacy = |origin: PathBuf| BuildSystem {
            root: root.to_path_buf(),
            origin,
            requires: vec![LEGACY_REQUIRES.to_string()],
            backend: LEGACY_BACKEND.to_string(),
            backend_path: Vec::new(),
        };
        let text = match fs_err::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                if root.join("setup.py").is_file() || root.join("setup.cfg").is_file() {
                    return Ok(legacy(root.to_path_buf()));
                }
                return Err(BuildError::NotAProject(root.to_path_buf()));
            }
            Err(err) => return Err(BuildError::io("read", &path)(err)),
        };
        let invalid = |reason: String| BuildError::Pyproject {
            path: path.clone(),
            reason,
        };
        let doc = toml_edit::DocumentMut::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let Some(table) = doc.get("build-system") else {
            return Ok(legacy(path.clone()));
        };
        let strings = |key: &str| -> Result<Option<Vec<String>>, BuildError> {
            let Some(item) = table.get(key) else {
                return Ok(None);
            };
            let array = item
                .as_array()
                .ok_or_else(|| invalid(format!("`build-system.{key}` is not an array")))?;
            array
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| invalid(format!("`build-system.{key}` holds a non-string")))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
        };
        let requires = strings("requires")?
            .ok_or_else(|| invalid("`build-system.requires` is missing".to_string()))?;
        let backend_path = strings("backend-path")?.unwrap_or_default();
        let backend = match table.get("build-backend") {
            None => LEGACY_BACKEND.to_string(),
            Some(item) => item
                .as_str()
                .ok_or_else(|| invalid("`build-system.build-backend` is not a string".into()))?
                .to_string(),
        };
        Ok(BuildSystem {
            root: root.to_path_buf(),
            origin: path,
            requires,
            backend,
            backend_path,
        })
    }
}

/// A venv for one build.
pub(crate) struct BuildEnv {
    interpreter: Interpreter,
    dir: PathBuf,
    installed: HashSet<PackageName>,
    cache_dir: Option<PathBuf>,
}

/// Build requirements are only ever installed from wheels: building a build requirement would
/// need a build environment of its own, which pip allows but no common backend needs.
struct OnlyBinary;

impl FormatPolicies for OnlyBinary {
    fn policy(&self, _: &PackageName) -> FormatPolicy {
        FormatPolicy {
            only_binary: true,
            no_binary: false,
        }
    }
}

impl BuildEnv {
    /// `python -m venv --without-pip DIR`: milliseconds, and nothing in it but the stdlib.
    pub(crate) async fn create(
        base: &Interpreter,
        dir: &Path,
        cache_dir: Option<&Path>,
    ) -> Result<Self, BuildError> {
        let python = base.executable.clone();
        let venv = dir.join("venv");
        tokio::task::block_in_place(|| {
            let output = Command::new(&python)
                .args(["-m", "venv", "--without-pip"])
                .arg(&venv)
                .stdin(Stdio::null())
                .output()
                .map_err(BuildError::io("run", &python))?;
            if !output.status.success() {
                return Err(BuildError::Venv {
                    python: python.clone(),
                    output: String::from_utf8_lossy(&output.stderr).into_owned(),
                });
            }
            let executable = if cfg!(windows) {
                venv.join("Scripts").join("python.exe")
            } else {
                venv.join("bin").join("python")
            };
            let interpreter =
                Interpreter::probe(&executable, None).map_err(|e| BuildError::Venv {
                    python: python.clone(),
                    output: e.to_string(),
                })?;
            fs_err::write(dir.join("hooks.py"), HOOKS_SCRIPT)
                .map_err(BuildError::io("write", dir.join("hooks.py")))?;
            Ok(BuildEnv {
                interpreter,
                dir: dir.to_path_buf(),
                installed: HashSet::new(),
                cache_dir: cache_dir.map(Path::to_path_buf),
            })
        })
    }

    /// Resolve `requires` with pinion's resolver and install what is not installed yet.
    ///
    /// A boxed future of a named type: resolving may build and building resolves, and the
    /// compiler can only prove such a cycle `Send` through a type it can name.
    pub(crate) fn install<'a>(
        &'a mut self,
        client: &'a Arc<IndexClient>,
        requires: &'a [String],
        origin: &'a Path,
        package: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), BuildError>> + Send + 'a>> {
        Box::pin(self.install_inner(client, requires, origin, package))
    }

    async fn install_inner(
        &mut self,
        client: &Arc<IndexClient>,
        requires: &[String],
        origin: &Path,
        package: &str,
    ) -> Result<(), BuildError> {
        if requires.is_empty() {
            return Ok(());
        }
        let mut requirements = Vec::new();
        for text in requires {
            let requirement =
                crate::pep508::requirement_from_str(text).map_err(|e| BuildError::Pyproject {
                    path: origin.to_path_buf(),
                    reason: format!("invalid build requirement `{text}`: {}", e.message),
                })?;
            requirements.push(InputRequirement {
                requirement,
                origin: Origin {
                    file: origin.to_path_buf(),
                    line: 0,
                    column: 0,
                },
                kind: InputKind::Requirement,
            });
        }
        let request = ResolveRequest {
            requirements,
            preferences: HashMap::new(),
            pre: false,
            policies: Box::new(OnlyBinary),
            direct: Default::default(),
            builder: None,
            progress: Arc::new(resolver::NoProgress),
            rewrites: Default::default(),
            strategy: Default::default(),
            universe: None,
            marked_preferences: Vec::new(),
            keep_markers: false,
        };
        let target = self.interpreter.target();
        let resolution = resolver::resolve(request, client.clone(), &target)
            .await
            .map_err(|source| BuildError::Requirements {
                package: package.to_string(),
                source: Box::new(source),
            })?;
        for pin in &resolution.packages {
            if self.installed.contains(&pin.name) {
                continue;
            }
            let wheels_only = OnlyBinary.policy(&pin.name);
            let Ok(file) = best_file(&pin.files, &pin.version, &target.tags, wheels_only, &[])
            else {
                return Err(BuildError::RequirementWheel {
                    package: package.to_string(),
                    requirement: format!("{}=={}", pin.name, pin.version),
                });
            };
            let path = client
                .download(file)
                .await
                .map_err(|source| BuildError::Download {
                    package: package.to_string(),
                    source,
                })?;
            let options = InstallOptions {
                cache_dir: self.cache_dir.as_ref().map(|dir| dir.join("wheels-v1")),
                ..InstallOptions::default()
            };
            tokio::task::block_in_place(|| {
                install::install_wheel(&path, &self.interpreter, &options)
            })
            .map_err(|source| BuildError::Install {
                package: package.to_string(),
                source,
            })?;
            debug!("build environment of `{package}`: installed {}", pin.name);
            self.installed.insert(pin.name.clone());
        }
        Ok(())
    }

    /// Run `hook` of the backend in `tree`; its return value, or None when the backend does not
    /// have this (optional) hook. The backend's output goes to the log (`-v`), and into the error
    /// when the hook fails.
    pub(crate) fn run_hook(
        &self,
        tree: &Path,
        system: &BuildSystem,
        hook: &'static str,
        out: &Path,
        package: &str,
    ) -> Result<Option<serde_json::Value>, BuildError> {
        tokio::task::block_in_place(|| self.run_hook_blocking(tree, system, hook, out, package))
    }

    fn run_hook_blocking(
        &self,
        tree: &Path,
        system: &BuildSystem,
        hook: &'static str,
        out: &Path,
        package: &str,
    ) -> Result<Option<serde_json::Value>, BuildError> {
        let log_path = out.join(format!("{hook}.log"));
        let result_path = out.join(format!("{hook}.json"));
        let log = fs_err::File::create(&log_path).map_err(BuildError::io("create", &log_path))?;
        let log = log.into_parts().0;
        let log_err = log.try_clone().map_err(BuildError::io("open", &log_path))?;
        let backend_path =
            serde_json::to_string(&system.backend_path).unwrap_or_else(|_| "[]".into());
        debug!(
            "running `{hook}` of `{}` in `{}`",
            system.backend,
            tree.display()
        );
        // As pip and uv do: the build env's scripts first on PATH and VIRTUAL_ENV set, so a
        // backend that runs a tool it asked for (`meson`, `ninja`, `cmake`) finds that one.
        let scripts = &self.interpreter.scheme.scripts;
        let path = std::env::var_os("PATH").unwrap_or_default();
        let path = std::env::join_paths(
            std::iter::once(scripts.clone()).chain(std::env::split_paths(&path)),
        )
        .unwrap_or(path);
        let status = Command::new(&self.interpreter.executable)
            .arg(self.dir.join("hooks.py"))
            .arg(&system.backend)
            .arg(backend_path)
            .arg(hook)
            .arg(out)
            .arg(&result_path)
            .current_dir(tree)
            .env_remove("PYTHONPATH")
            .env("PATH", path)
            .env("VIRTUAL_ENV", &self.interpreter.prefix)
            .env("PYTHONNOUSERSITE", "1")
            // Unbuffered, so the log interleaves stdout and stderr as the backend wrote them.
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .status()
            .map_err(BuildError::io("run", &self.interpreter.executable))?;
        let output = fs_err::read(&log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        for line in output.lines() {
            info!("[{package}] {line}");
        }
        if !status.success() {
            return Err(BuildError::Backend {
                package: package.to_string(),
                backend: system.backend.clone(),
                hook,
                status: status.to_string(),
                output: output.trim_end().to_string(),
            });
        }
        let result = fs_err::read(&result_path).map_err(BuildError::io("read", &result_path))?;
        let mut result: serde_json::Value =
            serde_json::from_slice(&result).map_err(|e| BuildError::Internal(e.to_string()))?;
        if result.get("missing").is_some() {
            return Ok(None);
        }
        Ok(result.get_mut("value").map(serde_json::Value::take))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in files {
            std::fs::write(dir.path().join(name), content).unwrap();
        }
        dir
    }

    #[test]
    fn setup_py_alone_builds_with_the_legacy_backend() {
        let dir = project(&[("setup.py", "from setuptools import setup\nsetup()\n")]);
        let system = BuildSystem::read(dir.path()).unwrap();
        assert_eq!(system.backend, LEGACY_BACKEND);
        assert_eq!(system.requires, [LEGACY_REQUIRES]);
    }

    #[test]
    fn pyproject_without_build_system_builds_with_the_legacy_backend() {
        let dir = project(&[("pyproject.toml", "[project]\nname = \"a\"\n")]);
        assert_eq!(
            BuildSystem::read(dir.path()).unwrap().backend,
            LEGACY_BACKEND
        );
    }

    #[test]
    fn build_system_is_read() {
        let dir = project(&[(
            "pyproject.toml",
            "[build-system]\nrequires = [\"flit_core>=3.2\"]\nbuild-backend = \"flit_core.buildapi\"\nbackend-path = [\".\"]\n",
        )]);
        let system = BuildSystem::read(dir.path()).unwrap();
        assert_eq!(system.requires, ["flit_core>=3.2"]);
        assert_eq!(system.backend, "flit_core.buildapi");
        assert_eq!(system.backend_path, ["."]);
    }

    #[test]
    fn malformed_build_system_names_the_file() {
        let dir = project(&[(
            "pyproject.toml",
            "[build-system]\nrequires = \"setuptools\"\n",
        )]);
        let err = BuildSystem::read(dir.path()).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("pyproject.toml`: `build-system.requires` is not an array"),
            "{err}"
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            BuildSystem::read(empty.path()),
            Err(BuildError::NotAProject(_))
        ));
    }
}
