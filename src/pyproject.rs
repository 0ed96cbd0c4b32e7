//! pyproject.toml: the project's requirements as a compile input (PEP 621 dependencies and
//! optional dependencies, PEP 735 dependency groups) and pinion's own `[tool.pinion]` settings.
//! Read with toml_edit so every error points at the exact text.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use miette::{NamedSource, SourceSpan};
use pep508_rs::{ExtraName, MarkerTree, PackageName, Requirement, VerbatimUrl};
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
        help("known settings: {}", SETTINGS.join(", "))
    )]
    UnknownSetting {
        key: String,
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

/// The `[tool.pinion]` keys, as pip-compile's flags are named.
const SETTINGS: &[&str] = &[
    "generate-hashes",
    "index-url",
    "extra-index-url",
    "find-links",
    "allow-unsafe",
    "annotation-style",
    "strip-extras",
    "pre",
    "header",
    "annotate",
    "python-version",
];

/// Defaults from `[tool.pinion]`; `None` where the file says nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ToolSettings {
    /// The file they came from.
    pub(crate) file: PathBuf,
    pub(crate) generate_hashes: Option<bool>,
    pub(crate) index_url: Option<String>,
    pub(crate) extra_index_urls: Vec<String>,
    pub(crate) find_links: Vec<String>,
    pub(crate) allow_unsafe: Option<bool>,
    /// `split` or `line`.
    pub(crate) annotation_style: Option<String>,
    pub(crate) strip_extras: Option<bool>,
    pub(crate) pre: Option<bool>,
    pub(crate) header: Option<bool>,
    pub(crate) annotate: Option<bool>,
    pub(crate) python_version: Option<String>,
}

/// Which optional dependencies to add to `[project.dependencies]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    pub(crate) extras: Vec<String>,
    pub(crate) all_extras: bool,
    pub(crate) groups: Vec<String>,
}

/// A parsed pyproject.toml.
pub(crate) struct Pyproject {
    path: PathBuf,
    doc: Document<String>,
    lines: LineIndex,
}

impl Pyproject {
    pub(crate) fn read(path: &Path) -> Result<Self, PyprojectError> {
        let text = fs_err::read_to_string(path).map_err(|source| PyprojectError::Read {
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
        let requirement = Requirement::<VerbatimUrl>::parse(text, &dir).map_err(|err| {
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
    pub(crate) fn settings(&self, top_level: bool) -> Result<Option<ToolSettings>, PyprojectError> {
        let table = match self
            .doc
            .get("tool")
            .and_then(|t| t.get("pinion"))
            .and_then(Item::as_table_like)
        {
            Some(table) => table,
            None if top_level => self.doc.as_table(),
            None => return Ok(None),
        };
        let mut settings = ToolSettings {
            file: self.path.clone(),
            ..ToolSettings::default()
        };
        for (key, item) in table.iter() {
            let canonical = key.replace('_', "-");
            let span = item.span();
            let boolean = || {
                item.as_bool()
                    .ok_or_else(|| self.invalid(key, "expected true or false", span.clone()))
            };
            let string = || {
                item.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| self.invalid(key, "expected a string", span.clone()))
            };
            let strings = || -> Result<Vec<String>, PyprojectError> {
                if let Some(s) = item.as_str() {
                    return Ok(vec![s.to_string()]);
                }
                let array = item.as_array().ok_or_else(|| {
                    self.invalid(
                        key,
                        "expected a string or an array of strings",
                        span.clone(),
                    )
                })?;
                array
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| self.invalid(key, "expected a string", v.span()))
                    })
                    .collect()
            };
            match canonical.as_str() {
                "generate-hashes" => settings.generate_hashes = Some(boolean()?),
                "index-url" => settings.index_url = Some(string()?),
                "extra-index-url" => settings.extra_index_urls = strings()?,
                "find-links" => settings.find_links = strings()?,
                "allow-unsafe" => settings.allow_unsafe = Some(boolean()?),
                "annotation-style" => {
                    let style = string()?;
                    if !matches!(style.as_str(), "split" | "line") {
                        return Err(self.invalid(key, "expected \"split\" or \"line\"", span));
                    }
                    settings.annotation_style = Some(style);
                }
                "strip-extras" => settings.strip_extras = Some(boolean()?),
                "pre" => settings.pre = Some(boolean()?),
                "header" => settings.header = Some(boolean()?),
                "annotate" => settings.annotate = Some(boolean()?),
                "python-version" => settings.python_version = Some(string()?),
                _ => {
                    // The key's own span: a table-like's iterator has none, so find it.
                    let key_span = table.key(key).and_then(toml_edit::Key::span);
                    return Err(PyprojectError::UnknownSetting {
                        key: key.to_string(),
                        src: self.src(),
                        span: key_span.or(span).map(Into::into),
                    });
                }
            }
        }
        Ok(Some(settings))
    }
}

/// PEP 735 group names are normalized as package names are.
fn normalize(name: &str) -> String {
    PackageName::from_str(name).map_or_else(|_| name.to_lowercase(), |n| n.to_string())
}

/// The configuration for inputs in `dirs`: `--config FILE`, else the first pyproject.toml with
/// a `[tool.pinion]` table in those directories (pip-tools looks beside the inputs, then in the
/// working directory).
pub(crate) fn find_settings(
    config: Option<&Path>,
    dirs: &[PathBuf],
) -> Result<Option<ToolSettings>, PyprojectError> {
    if let Some(config) = config {
        return Pyproject::read(config)?.settings(true);
    }
    for dir in dirs {
        let candidate = if dir == Path::new(".") {
            PathBuf::from("pyproject.toml")
        } else {
            dir.join("pyproject.toml")
        };
        if candidate.is_file()
            && let Some(settings) = Pyproject::read(&candidate)?.settings(false)?
        {
            return Ok(Some(settings));
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
    fn settings_are_typed_and_checked() {
        let p = parse(
            "[tool.pinion]\ngenerate-hashes = true\nextra_index_url = \"http://127.0.0.1/x\"\nannotation-style = \"line\"\n",
        );
        let s = p.settings(false).unwrap().unwrap();
        assert_eq!(s.generate_hashes, Some(true));
        assert_eq!(s.extra_index_urls, ["http://127.0.0.1/x"]);
        assert_eq!(s.annotation_style.as_deref(), Some("line"));
        let bad = parse("[tool.pinion]\ngenerate-hashes = \"yes\"\n");
        assert!(matches!(
            bad.settings(false),
            Err(PyprojectError::InvalidValue { .. })
        ));
        let unknown = parse("[tool.pinion]\nhashes = true\n");
        assert!(matches!(
            unknown.settings(false),
            Err(PyprojectError::UnknownSetting { .. })
        ));
        assert!(
            parse("[project]\nname = \"x\"\n")
                .settings(false)
                .unwrap()
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
