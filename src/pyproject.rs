//! pyproject.toml: the project's requirements as a compile input (PEP 621 dependencies and
//! optional dependencies, PEP 735 dependency groups) and pinion's own `[tool.pinion]` settings.
//! Read with toml_edit so every error points at the exact text.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use miette::{NamedSource, SourceSpan};
use pep508_rs::{ExtraName, MarkerTree, PackageName};
use toml_edit::{Document, Item, Table, Value};

use crate::requirements::{LineIndex, Origin, RequirementEntry, RequirementSpec};

/// Why a pyproject.toml (or a `--config` file) cannot be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum PyprojectError {
    /// The file cannot be read.
    #[error("cannot read `{}`", path.display())]
    #[diagnostic(code(pinion::pyproject::read))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("`{}` is not valid TOML: {message}", src.name())]
    #[diagnostic(code(pinion::pyproject::toml))]
    Toml {
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("here")]
        span: Option<SourceSpan>,
    },
    /// A value has the wrong type or an impossible value.
    #[error("invalid `{key}` in `{}`: {expected}", src.name())]
    #[diagnostic(code(pinion::pyproject::invalid_value))]
    InvalidValue {
        key: String,
        expected: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("{expected}")]
        span: Option<SourceSpan>,
    },
    /// A `[tool.pinion]` key pinion does not know.
    #[error("unknown setting `{key}` in `{}`", src.name())]
    #[diagnostic(
        code(pinion::pyproject::unknown_setting),
        help("known settings: {known}")
    )]
    UnknownSetting {
        key: String,
        known: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("not a pinion setting")]
        span: Option<SourceSpan>,
    },
    /// A dependency string is not PEP 508.
    #[error("invalid requirement `{requirement}` in `{}`: {message}", src.name())]
    #[diagnostic(code(pinion::pyproject::invalid_requirement))]
    InvalidRequirement {
        requirement: String,
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("{message}")]
        span: Option<SourceSpan>,
    },
    /// `--extra` names an extra the project does not define.
    #[error("`{}` has no extra `{extra}`", path.display())]
    #[diagnostic(
        code(pinion::pyproject::unknown_extra),
        help("{}", known("extras", known_names))
    )]
    UnknownExtra {
        path: PathBuf,
        extra: String,
        known_names: Vec<String>,
    },
    /// `--group` names a group the project does not define.
    #[error("`{}` has no dependency group `{group}`", path.display())]
    #[diagnostic(
        code(pinion::pyproject::unknown_group),
        help("{}", known("groups", known_names))
    )]
    UnknownGroup {
        path: PathBuf,
        group: String,
        known_names: Vec<String>,
    },
    /// A dependency group includes itself.
    #[error("dependency group `{group}` of `{}` includes itself", src.name())]
    #[diagnostic(code(pinion::pyproject::group_cycle))]
    GroupCycle {
        group: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("this include closes the cycle")]
        span: Option<SourceSpan>,
    },
}

fn known(what: &str, names: &[String]) -> String {
    if names.is_empty() {
        format!("it defines no {what}")
    } else {
        format!("it defines: {}", names.join(", "))
    }
}

/// Which optional dependencies to add to `[project.dependencies]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    pub(crate) extras: Vec<String>,
    pub(crate) all_extras: bool,
    pub(crate) groups: Vec<String>,
    /// `--build-deps-for`/`--all-build-deps`: the build targets whose build requirements are
    /// pinned too (pip-tools 7).
    pub(crate) build_deps: Vec<crate::build::BuildTarget>,
    /// `--only-build-deps`: the build requirements alone, not the project's own.
    pub(crate) only_build_deps: bool,
}

/// A parsed pyproject.toml.
pub(crate) struct Pyproject {
    path: PathBuf,
    doc: Document<String>,
    lines: LineIndex,
}

impl Pyproject {
    pub(crate) fn read(path: &Path) -> Result<Self, PyprojectError> {
        let text = crate::fsutil::read_input(path).map_err(|source| PyprojectError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, text)
    }

    pub(crate) fn parse(path: &Path, text: String) -> Result<Self, PyprojectError> {
        match Document::parse(text.clone()) {
            Ok(doc) => Ok(Self {
                path: path.to_path_buf(),
                lines: LineIndex::new(doc.raw()),
                doc,
            }),
            Err(err) => Err(PyprojectError::Toml {
                message: err.message().to_string(),
                span: err.span().map(Into::into),
                src: NamedSource::new(path.display().to_string(), text),
            }),
        }
    }

    fn src(&self) -> NamedSource<String> {
        NamedSource::new(self.path.display().to_string(), self.doc.raw().to_string())
    }

    fn project(&self) -> Option<&Table> {
        self.doc.get("project").and_then(Item::as_table)
    }

    /// `[project] name`, normalized.
    pub(crate) fn name(&self) -> Option<PackageName> {
        let name = self.project()?.get("name")?.as_str()?;
        PackageName::from_str(name).ok()
    }

    /// `[project] requires-python`, when it parses (PEP 621); the lower bound of a universal
    /// resolution.
    pub(crate) fn requires_python(&self) -> Option<pep440_rs::VersionSpecifiers> {
        let text = self.project()?.get("requires-python")?.as_str()?;
        pep440_rs::VersionSpecifiers::from_str(text).ok()
    }

    /// Whether `field` of `[project]` is listed in `dynamic` (or there is no `[project]` at all,
    /// as with a setuptools project configured in setup.py): then only a build can tell.
    pub(crate) fn is_dynamic(&self, field: &str) -> bool {
        let Some(project) = self.project() else {
            return true;
        };
        project
            .get("dynamic")
            .and_then(Item::as_array)
            .is_some_and(|dynamic| dynamic.iter().any(|v| v.as_str() == Some(field)))
    }

    fn invalid(&self, key: &str, expected: &str, span: Option<Range<usize>>) -> PyprojectError {
        PyprojectError::InvalidValue {
            key: key.to_string(),
            expected: expected.to_string(),
            src: self.src(),
            span: span.map(Into::into),
        }
    }

    fn origin(&self, span: Option<Range<usize>>) -> Origin {
        let offset = span.map_or(0, |s| s.start);
        self.lines.origin(&self.path, self.doc.raw(), offset)
    }

    /// A TOML array of PEP 508 strings as requirement entries.
    fn requirement_array(
        &self,
        key: &str,
        item: &Item,
    ) -> Result<Vec<RequirementEntry>, PyprojectError> {
        let array = item
            .as_array()
            .ok_or_else(|| self.invalid(key, "expected an array of strings", item.span()))?;
        array
            .iter()
            .map(|value| self.requirement(key, value))
            .collect()
    }

    fn requirement(&self, key: &str, value: &Value) -> Result<RequirementEntry, PyprojectError> {
        let text = value
            .as_str()
            .ok_or_else(|| self.invalid(key, "expected a string", value.span()))?;
        let dir = self
            .path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let requirement = crate::pep508::requirement(text, &dir).map_err(|err| {
            PyprojectError::InvalidRequirement {
                requirement: text.to_string(),
                message: err.message.to_string(),
                src: self.src(),
                span: value.span().map(Into::into),
            }
        })?;
        Ok(RequirementEntry {
            spec: RequirementSpec::Named(requirement),
            editable: false,
            hashes: Vec::new(),
            origin: self.origin(value.span()),
        })
    }

    /// `[project.dependencies]` plus the selected extras and groups. A requirement on the
    /// project itself (`me[test]` inside an extra) is expanded in place, as pip does when it
    /// installs the project.
    pub(crate) fn requirements(
        &self,
        selection: &Selection,
    ) -> Result<Vec<RequirementEntry>, PyprojectError> {
        let me = self.name();
        let optional = self
            .project()
            .and_then(|p| p.get("optional-dependencies"))
            .and_then(Item::as_table);
        let known_extras: Vec<String> = optional
            .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
            .unwrap_or_default();
        // Each wanted extra with the condition it is wanted under (`me[win]; sys_platform ==
        // "win32"` wants `win` on Windows only).
        let mut wanted: Vec<(String, MarkerTree)> = if selection.all_extras {
            known_extras.clone()
        } else {
            selection.extras.clone()
        }
        .into_iter()
        .map(|extra| (extra, MarkerTree::TRUE))
        .collect();
        let mut out: Vec<RequirementEntry> = Vec::new();
        // Self-references add their extras to the selection instead of being resolved.
        let mut add = |entries: Vec<RequirementEntry>,
                       condition: &MarkerTree,
                       wanted: &mut Vec<(String, MarkerTree)>| {
            for mut entry in entries {
                if let RequirementSpec::Named(r) = &mut entry.spec {
                    r.marker.and(condition.clone());
                }
                match (&entry.spec, &me) {
                    (RequirementSpec::Named(r), Some(me)) if &r.name == me => {
                        wanted.extend(r.extras.iter().map(|e| (e.to_string(), r.marker.clone())));
                    }
                    _ if out.iter().any(|e| e.spec == entry.spec) => {}
                    _ => out.push(entry),
                }
            }
        };
        if let Some(deps) = self.project().and_then(|p| p.get("dependencies")) {
            add(
                self.requirement_array("project.dependencies", deps)?,
                &MarkerTree::TRUE,
                &mut wanted,
            );
        }
        for group in &selection.groups {
            let mut entries = Vec::new();
            self.group(group, &mut Vec::new(), &mut entries)?;
            add(entries, &MarkerTree::TRUE, &mut wanted);
        }
        // An extra is expanded once per condition it is wanted under.
        let mut done: Vec<(ExtraName, MarkerTree)> = Vec::new();
        while !wanted.is_empty() {
            let (extra, condition) = wanted.remove(0);
            let unknown = || PyprojectError::UnknownExtra {
                path: self.path.clone(),
                extra: extra.clone(),
                known_names: known_extras.clone(),
            };
            let name = ExtraName::from_str(&extra).map_err(|_| unknown())?;
            if done
                .iter()
                .any(|(n, c)| *n == name && (c.is_true() || *c == condition))
            {
                continue;
            }
            done.push((name.clone(), condition.clone()));
            let (key, item) = optional
                .and_then(|t| {
                    t.iter()
                        .find(|(k, _)| ExtraName::from_str(k).ok().as_ref() == Some(&name))
                })
                .ok_or_else(unknown)?;
            let key = format!("project.optional-dependencies.{key}");
            add(self.requirement_array(&key, item)?, &condition, &mut wanted);
        }
        Ok(out)
    }

    /// PEP 735: a group's strings, with `{include-group = "..."}` tables expanded.
    fn group(
        &self,
        group: &str,
        stack: &mut Vec<String>,
        out: &mut Vec<RequirementEntry>,
    ) -> Result<(), PyprojectError> {
        let groups = self.doc.get("dependency-groups").and_then(Item::as_table);
        let known_names: Vec<String> = groups
            .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
            .unwrap_or_default();
        let normalized = normalize(group);
        let Some((key, item)) =
            groups.and_then(|t| t.iter().find(|(k, _)| normalize(k) == normalized))
        else {
            return Err(PyprojectError::UnknownGroup {
                path: self.path.clone(),
                group: group.to_string(),
                known_names,
            });
        };
        stack.push(normalized);
        let key = format!("dependency-groups.{key}");
        let array = item
            .as_array()
            .ok_or_else(|| self.invalid(&key, "expected an array", item.span()))?;
        for value in array {
            if let Some(table) = value.as_inline_table() {
                let include = table
                    .get("include-group")
                    .and_then(Value::as_str)
                    .filter(|_| table.len() == 1)
                    .ok_or_else(|| {
                        self.invalid(
                            &key,
                            "expected a requirement string or {include-group = \"NAME\"}",
                            value.span(),
                        )
                    })?;
                if stack.contains(&normalize(include)) {
                    return Err(PyprojectError::GroupCycle {
                        group: include.to_string(),
                        src: self.src(),
                        span: value.span().map(Into::into),
                    });
                }
                self.group(include, stack, out)?;
            } else {
                out.push(self.requirement(&key, value)?);
            }
        }
        stack.pop();
        Ok(())
    }

    /// The `[tool.pinion]` table, or for a `--config` file without one, its top level.
    pub(crate) fn tool_table(&self, top_level: bool) -> Option<ToolTable<'_>> {
        let table = match self
            .doc
            .get("tool")
            .and_then(|t| t.get("pinion"))
            .and_then(Item::as_table_like)
        {
            Some(table) => table,
            None if top_level => self.doc.as_table(),
            None => return None,
        };
        Some(ToolTable {
            pyproject: self,
            table,
            section: None,
        })
    }

    /// pip-tools' `[tool.pip-tools]` table, with `[tool.pip-tools.<command>]` (`compile` or
    /// `sync`) over it, as pip-tools reads it.
    pub(crate) fn pip_tools_table(&self, command: &str) -> Option<ToolTable<'_>> {
        let table = self
            .doc
            .get("tool")
            .and_then(|t| t.get("pip-tools"))
            .and_then(Item::as_table_like)?;
        let section = table.get(command).and_then(Item::as_table_like);
        Some(ToolTable {
            pyproject: self,
            table,
            section,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// A settings table whose values are read with their spans, so a bad one is underlined where
/// it stands. Keys are matched with `_` and `-` alike, as pip-tools does. What each key means
/// is the settings stage's business.
pub(crate) struct ToolTable<'a> {
    pyproject: &'a Pyproject,
    table: &'a dyn toml_edit::TableLike,
    /// pip-tools' per-command section, read before `table`.
    section: Option<&'a dyn toml_edit::TableLike>,
}

impl ToolTable<'_> {
    /// The keys as written (the per-command section's, then the table's own, without the
    /// `compile` and `sync` sections of a pip-tools table).
    pub(crate) fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .section
            .iter()
            .flat_map(|s| s.iter().map(|(k, _)| k.to_string()))
            .collect();
        let sectioned = self.section.is_some() || self.pyproject.has_pip_tools_sections();
        for (key, item) in self.table.iter() {
            if sectioned && matches!(key, "compile" | "sync") && item.is_table_like() {
                continue;
            }
            if !keys.iter().any(|k| k == key) {
                keys.push(key.to_string());
            }
        }
        keys
    }

    /// An error for the first key that is not one of `known`.
    pub(crate) fn check_keys(&self, known: &[&str]) -> Result<(), PyprojectError> {
        for (key, item) in self.table.iter() {
            if !known.contains(&key.replace('_', "-").as_str()) {
                // The key's own span: a table-like's iterator has none, so find it.
                let key_span = self.table.key(key).and_then(toml_edit::Key::span);
                return Err(PyprojectError::UnknownSetting {
                    key: key.to_string(),
                    known: known.join(", "),
                    src: self.pyproject.src(),
                    span: key_span.or(item.span()).map(Into::into),
                });
            }
        }
        Ok(())
    }

    fn item(&self, key: &str) -> Option<(&str, &Item)> {
        let same = |k: &str| k.trim_start_matches('-').replace('_', "-").to_lowercase() == key;
        self.section
            .and_then(|s| s.iter().find(|(k, _)| same(k)))
            .or_else(|| self.table.iter().find(|(k, _)| same(k)))
    }

    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, PyprojectError> {
        let Some((written, item)) = self.item(key) else {
            return Ok(None);
        };
        item.as_bool().map(Some).ok_or_else(|| {
            self.pyproject
                .invalid(written, "expected true or false", item.span())
        })
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, PyprojectError> {
        let Some((written, item)) = self.item(key) else {
            return Ok(None);
        };
        item.as_str().map(|s| Some(s.to_string())).ok_or_else(|| {
            self.pyproject
                .invalid(written, "expected a string", item.span())
        })
    }

    /// `key`'s value is none of `allowed`: underlined, naming them.
    fn not_one_of(
        &self,
        written: &str,
        item: &toml_edit::Item,
        allowed: &[&str],
    ) -> PyprojectError {
        let expected: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
        self.pyproject.invalid(
            written,
            &format!("expected {}", expected.join(" or ")),
            item.span(),
        )
    }

    /// A string that must be one of `allowed`.
    pub(crate) fn choice(
        &self,
        key: &str,
        allowed: &[&str],
    ) -> Result<Option<String>, PyprojectError> {
        let value = self.string(key)?;
        match (&value, self.item(key)) {
            (Some(v), Some((written, item))) if !allowed.contains(&v.as_str()) => {
                Err(self.not_one_of(written, item, allowed))
            }
            _ => Ok(value),
        }
    }

    /// A string or an array of strings, each one of `allowed`.
    pub(crate) fn choices(
        &self,
        key: &str,
        allowed: &[&str],
    ) -> Result<Vec<String>, PyprojectError> {
        let values = self.strings(key)?;
        match (
            values.iter().find(|v| !allowed.contains(&v.as_str())),
            self.item(key),
        ) {
            (Some(_), Some((written, item))) => Err(self.not_one_of(written, item, allowed)),
            _ => Ok(values),
        }
    }

    /// An error about `key`'s value (which must be there), underlined where it stands: for
    /// values whose meaning the settings stage checks.
    pub(crate) fn invalid_value(&self, key: &str, expected: &str) -> PyprojectError {
        let (written, span) = self
            .item(key)
            .map_or((key, None), |(written, item)| (written, item.span()));
        self.pyproject.invalid(written, expected, span)
    }

    /// A table of strings (`exclude-newer-package = { foo = "7 days" }`), as `(key, value)`
    /// pairs in the order written; each pair's check failing is underlined at its value.
    pub(crate) fn string_table(
        &self,
        key: &str,
        check: impl Fn(&str, &str) -> Result<(), String>,
    ) -> Result<Vec<(String, String)>, PyprojectError> {
        let Some((written, item)) = self.item(key) else {
            return Ok(Vec::new());
        };
        let table = item.as_table_like().ok_or_else(|| {
            self.pyproject
                .invalid(written, "expected a table of strings", item.span())
        })?;
        let mut pairs = Vec::new();
        for (name, value) in table.iter() {
            let text = value.as_str().ok_or_else(|| {
                self.pyproject
                    .invalid(written, "expected a string", value.span())
            })?;
            check(name, text).map_err(|reason| {
                self.pyproject
                    .invalid(&format!("{written}.{name}"), &reason, value.span())
            })?;
            pairs.push((name.to_string(), text.to_string()));
        }
        Ok(pairs)
    }

    /// A string or an array of strings.
    pub(crate) fn strings(&self, key: &str) -> Result<Vec<String>, PyprojectError> {
        let Some((written, item)) = self.item(key) else {
            return Ok(Vec::new());
        };
        if let Some(s) = item.as_str() {
            return Ok(vec![s.to_string()]);
        }
        let array = item.as_array().ok_or_else(|| {
            self.pyproject.invalid(
                written,
                "expected a string or an array of strings",
                item.span(),
            )
        })?;
        array
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    self.pyproject
                        .invalid(written, "expected a string", v.span())
                })
            })
            .collect()
    }
}

impl Pyproject {
    fn has_pip_tools_sections(&self) -> bool {
        self.doc
            .get("tool")
            .and_then(|t| t.get("pip-tools"))
            .is_some_and(|t| t.get("compile").is_some() || t.get("sync").is_some())
    }
}

/// Whose keys a configuration file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConfigKind {
    /// `[tool.pinion]` (or the top level of a `--config` file).
    Pinion,
    /// `[tool.pip-tools]` of a pyproject.toml or a `.pip-tools.toml`.
    PipTools,
}

/// PEP 735 group names are normalized as package names are.
fn normalize(name: &str) -> String {
    PackageName::from_str(name).map_or_else(|_| name.to_lowercase(), |n| n.to_string())
}

/// The configuration file for inputs in `dirs`: `--config FILE` (its `[tool.pinion]`, else its
/// `[tool.pip-tools]`, else its top level as pinion's), else the first pyproject.toml with a
/// `[tool.pinion]` table in those directories; only when none has one, pip-tools' files in
/// pip-tools' order (per directory `.pip-tools.toml`, then pyproject.toml with
/// `[tool.pip-tools]`). pip-tools looks beside the inputs; pinion then in the working
/// directory. The boolean says whether the file was named explicitly.
pub(crate) fn find_config(
    config: Option<&Path>,
    dirs: &[PathBuf],
) -> Result<Option<(Pyproject, ConfigKind, bool)>, PyprojectError> {
    if let Some(config) = config {
        let file = Pyproject::read(config)?;
        let kind = if file.tool_table(false).is_none() && file.pip_tools_table("compile").is_some()
        {
            ConfigKind::PipTools
        } else {
            ConfigKind::Pinion
        };
        return Ok(Some((file, kind, true)));
    }
    let in_dir = |dir: &Path, name: &str| {
        if dir == Path::new(".") {
            PathBuf::from(name)
        } else {
            dir.join(name)
        }
    };
    for dir in dirs {
        let candidate = in_dir(dir, "pyproject.toml");
        if candidate.is_file() {
            let pyproject = Pyproject::read(&candidate)?;
            if pyproject.tool_table(false).is_some() {
                return Ok(Some((pyproject, ConfigKind::Pinion, false)));
            }
        }
    }
    for dir in dirs {
        for name in [".pip-tools.toml", "pyproject.toml"] {
            let candidate = in_dir(dir, name);
            if candidate.is_file() {
                let file = Pyproject::read(&candidate)?;
                if file.pip_tools_table("compile").is_some() {
                    return Ok(Some((file, ConfigKind::PipTools, false)));
                }
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Pyproject {
        Pyproject::parse(Path::new("pyproject.toml"), text.to_string()).unwrap()
    }

    fn names(entries: &[RequirementEntry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match &e.spec {
                RequirementSpec::Named(r) => r.to_string(),
                RequirementSpec::Unnamed(_) => "?".into(),
            })
            .collect()
    }

    const PROJECT: &str = r#"[project]
name = "My_App"
dependencies = ["requests>=2", "click"]

[project.optional-dependencies]
test = ["pytest"]
all = ["my-app[test]", "rich"]

[dependency-groups]
lint = ["ruff"]
Dev = [{include-group = "lint"}, "mypy"]
"#;

    #[test]
    fn dependencies_extras_and_groups() {
        let p = parse(PROJECT);
        let selection = Selection {
            extras: vec!["all".into()],
            groups: vec!["dev".into()],
            ..Selection::default()
        };
        assert_eq!(
            names(&p.requirements(&selection).unwrap()),
            ["requests>=2", "click", "ruff", "mypy", "rich", "pytest"]
        );
        let entries = p.requirements(&Selection::default()).unwrap();
        assert_eq!(entries[1].origin.line, 3);
        assert_eq!(entries[1].origin.column, 32);
    }

    #[test]
    fn a_self_reference_with_a_marker_wants_its_extra_under_that_marker() {
        let p = parse(
            "[project]\nname = \"me\"\n\n[project.optional-dependencies]\nwin = [\"pywin\"]\nall = [\"me[win]; sys_platform == 'win32'\", \"rich\"]\n",
        );
        let selection = Selection {
            extras: vec!["all".into()],
            ..Selection::default()
        };
        assert_eq!(
            names(&p.requirements(&selection).unwrap()),
            ["rich", "pywin ; sys_platform == 'win32'"]
        );
    }

    #[test]
    fn unknown_extra_and_group_are_errors() {
        let p = parse(PROJECT);
        let extra = Selection {
            extras: vec!["docs".into()],
            ..Selection::default()
        };
        assert!(matches!(
            p.requirements(&extra),
            Err(PyprojectError::UnknownExtra { .. })
        ));
        let group = Selection {
            groups: vec!["docs".into()],
            ..Selection::default()
        };
        assert!(matches!(
            p.requirements(&group),
            Err(PyprojectError::UnknownGroup { .. })
        ));
    }

    #[test]
    fn group_cycles_are_refused() {
        let p = parse(
            "[dependency-groups]\na = [{include-group = \"b\"}]\nb = [{include-group = \"a\"}]\n",
        );
        let selection = Selection {
            groups: vec!["a".into()],
            ..Selection::default()
        };
        assert!(matches!(
            p.requirements(&selection),
            Err(PyprojectError::GroupCycle { .. })
        ));
    }

    #[test]
    fn tool_table_values_are_typed_and_checked() {
        let p = parse(
            "[tool.pinion]\ngenerate-hashes = true\nextra_index_url = \"http://127.0.0.1/x\"\nannotation-style = \"line\"\n",
        );
        let t = p.tool_table(false).unwrap();
        assert_eq!(t.bool("generate-hashes").unwrap(), Some(true));
        assert_eq!(
            t.strings("extra-index-url").unwrap(),
            ["http://127.0.0.1/x"]
        );
        assert_eq!(
            t.choice("annotation-style", &["split", "line"])
                .unwrap()
                .as_deref(),
            Some("line")
        );
        assert!(
            t.check_keys(&["generate-hashes", "extra-index-url", "annotation-style"])
                .is_ok()
        );
        assert!(matches!(
            t.check_keys(&["generate-hashes"]),
            Err(PyprojectError::UnknownSetting { .. })
        ));
        let bad = parse("[tool.pinion]\ngenerate-hashes = \"yes\"\n");
        assert!(matches!(
            bad.tool_table(false).unwrap().bool("generate-hashes"),
            Err(PyprojectError::InvalidValue { .. })
        ));
        assert!(
            parse("[project]\nname = \"x\"\n")
                .tool_table(false)
                .is_none()
        );
    }

    #[test]
    fn dynamic_dependencies_need_a_build() {
        assert!(
            parse("[project]\nname = \"x\"\ndynamic = [\"dependencies\"]\n")
                .is_dynamic("dependencies")
        );
        assert!(!parse(PROJECT).is_dynamic("dependencies"));
        assert!(parse("[build-system]\nrequires = []\n").is_dynamic("dependencies"));
    }
}
