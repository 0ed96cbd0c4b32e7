//! `pinion check`: whether a lockfile's pins still satisfy its inputs, offline. Pure logic: the
//! command hands it the inputs, the pins and whatever metadata the cache holds.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{
    ExtraName, MarkerEnvironment, PackageName, Requirement, VerbatimUrl, VersionOrUrl,
};

use super::is_unsafe;
use crate::metadata::CoreMetadata;
use crate::requirements::{Origin, RequirementEntry, RequirementSpec, RequirementsTxt};

/// One pin of the lockfile under check.
#[derive(Debug, Clone)]
pub(crate) struct LockedPin {
    pub(crate) name: PackageName,
    /// `None` for a direct reference (`name @ url`), which satisfies any version.
    pub(crate) version: Option<Version>,
    pub(crate) extras: BTreeSet<ExtraName>,
    pub(crate) hashes: usize,
    /// The pin as written, without hashes.
    pub(crate) text: String,
    pub(crate) origin: Origin,
}

/// The pins of a lockfile whose markers hold for `markers`.
pub(crate) fn locked_pins(
    lockfile: &RequirementsTxt,
    markers: &MarkerEnvironment,
) -> Vec<LockedPin> {
    let mut pins = Vec::new();
    for entry in &lockfile.requirements {
        let RequirementSpec::Named(requirement) = &entry.spec else {
            continue;
        };
        if !requirement.evaluate_markers(markers, &[]) {
            continue;
        }
        let version = super::pinned_version(requirement);
        let mut text = requirement.clone();
        text.marker = pep508_rs::MarkerTree::TRUE;
        pins.push(LockedPin {
            name: requirement.name.clone(),
            version,
            extras: requirement.extras.iter().cloned().collect(),
            hashes: entry.hashes.len(),
            text: text.to_string(),
            origin: entry.origin.clone(),
        });
    }
    pins
}

/// The URLs (paths included) of a lockfile's unnamed entries (`-e ./app`, `./libs/x`).
pub(crate) fn locked_urls(lockfile: &RequirementsTxt) -> Vec<String> {
    lockfile
        .requirements
        .iter()
        .filter_map(|entry| match &entry.spec {
            RequirementSpec::Unnamed(u) => Some(u.url.to_string()),
            RequirementSpec::Named(_) => None,
        })
        .collect()
}

/// What `check` found wrong; each renders as one line that starts with `file:line:column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// An input requirement has no pin at all.
    Unpinned { requirement: String, origin: Origin },
    /// The pin's version is outside the input's specifier.
    Unsatisfied {
        requirement: String,
        origin: Origin,
        pin: String,
        pin_origin: Origin,
    },
    /// The input asks for an extra the pin does not carry.
    MissingExtra {
        requirement: String,
        origin: Origin,
        extra: ExtraName,
        pin: String,
        pin_origin: Origin,
    },
    /// A dependency of a pin is not pinned.
    DependencyUnpinned {
        parent: String,
        requirement: String,
        parent_origin: Origin,
    },
    /// A dependency of a pin is pinned outside its specifier.
    DependencyUnsatisfied {
        parent: String,
        requirement: String,
        pin: String,
        pin_origin: Origin,
    },
    /// Nothing the inputs ask for reaches this pin.
    Unreached { pin: String, pin_origin: Origin },
    /// The lockfile was compiled with `--generate-hashes` but this pin has none.
    MissingHash { pin: String, pin_origin: Origin },
    /// A path or URL of the inputs that the lockfile does not hold.
    Unnamed { requirement: String, origin: Origin },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unpinned {
                requirement,
                origin,
            } => write!(f, "{origin}: `{requirement}` has no pin"),
            Self::Unsatisfied {
                requirement,
                origin,
                pin,
                pin_origin,
            } => write!(
                f,
                "{origin}: `{requirement}` is not satisfied by `{pin}` ({pin_origin})"
            ),
            Self::MissingExtra {
                requirement,
                origin,
                extra,
                pin,
                pin_origin,
            } => write!(
                f,
                "{origin}: `{requirement}` asks for extra `{extra}`, which `{pin}` ({pin_origin}) does not have"
            ),
            Self::DependencyUnpinned {
                parent,
                requirement,
                parent_origin,
            } => write!(
                f,
                "{parent_origin}: `{parent}` requires `{requirement}`, which has no pin"
            ),
            Self::DependencyUnsatisfied {
                parent,
                requirement,
                pin,
                pin_origin,
            } => write!(
                f,
                "{pin_origin}: `{pin}` does not satisfy `{requirement}`, required by `{parent}`"
            ),
            Self::Unreached { pin, pin_origin } => {
                write!(
                    f,
                    "{pin_origin}: `{pin}` is pinned, but no input requires it"
                )
            }
            Self::MissingHash { pin, pin_origin } => write!(
                f,
                "{pin_origin}: `{pin}` has no `--hash`, but the lockfile was compiled with `--generate-hashes`"
            ),
            Self::Unnamed {
                requirement,
                origin,
            } => write!(f, "{origin}: `{requirement}` is not in the lockfile"),
        }
    }
}

/// What a check found: the problems, and the pins whose dependencies could not be checked
/// because their metadata is not in the cache.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) problems: Vec<Problem>,
    /// Pins and local or URL requirements whose dependencies could not be followed.
    pub(crate) unchecked: Vec<String>,
}

/// Check `pins` against the input requirements and constraints. `metadata` holds what the cache
/// knows of each pin's release; unsafe packages left out of the lockfile (pip-compile comments
/// them out without `--allow-unsafe`) are not reported missing.
pub(crate) fn check(
    locked_urls: &[String],
    inputs: &[RequirementEntry],
    constraints: &[RequirementEntry],
    pins: &[LockedPin],
    markers: &MarkerEnvironment,
    metadata: &HashMap<PackageName, Arc<CoreMetadata>>,
    hashes_required: bool,
) -> Report {
    let mut walk = Walk {
        by_name: pins.iter().map(|p| (&p.name, p)).collect(),
        markers,
        report: Report::default(),
        reached: HashMap::new(),
        queue: VecDeque::new(),
    };
    for (entry, is_input) in inputs
        .iter()
        .map(|e| (e, true))
        .chain(constraints.iter().map(|e| (e, false)))
    {
        walk.entry(entry, is_input, locked_urls);
    }
    walk.follow(metadata);
    let mut report = walk.report;
    // Unreached pins can only be told when every reached pin's dependencies were read.
    if report.unchecked.is_empty() {
        for pin in pins {
            if !walk.reached.contains_key(&pin.name) {
                report.problems.push(Problem::Unreached {
                    pin: pin.text.clone(),
                    pin_origin: pin.origin.clone(),
                });
            }
        }
    }
    if hashes_required {
        for pin in pins.iter().filter(|p| p.hashes == 0) {
            report.problems.push(Problem::MissingHash {
                pin: pin.text.clone(),
                pin_origin: pin.origin.clone(),
            });
        }
    }
    report
        .problems
        .sort_by(|a, b| origin_of(a).cmp(origin_of(b)));
    report
}

/// The walk from the inputs through the pins' dependencies.
struct Walk<'a> {
    by_name: HashMap<&'a PackageName, &'a LockedPin>,
    markers: &'a MarkerEnvironment,
    report: Report,
    /// Which pins the inputs reach, with the extras asked of each.
    reached: HashMap<PackageName, BTreeSet<ExtraName>>,
    queue: VecDeque<PackageName>,
}

impl Walk<'_> {
    /// One input (or, not `is_input`, constraint) line against the pins.
    fn entry(&mut self, entry: &RequirementEntry, is_input: bool, locked_urls: &[String]) {
        let report = &mut self.report;
        let requirement = match &entry.spec {
            RequirementSpec::Named(r) => r,
            // A path or URL is pinned as itself; what it depends on is known only to a build.
            RequirementSpec::Unnamed(u) => {
                if !is_input {
                    return;
                }
                let url = u.url.to_string();
                let shown = format!(
                    "{}{}",
                    if entry.editable { "-e " } else { "" },
                    u.url.given().unwrap_or(&url)
                );
                if locked_urls.contains(&url) {
                    report.unchecked.push(shown);
                } else {
                    report.problems.push(Problem::Unnamed {
                        requirement: shown,
                        origin: entry.origin.clone(),
                    });
                }
                return;
            }
        };
        if !requirement.evaluate_markers(self.markers, &[]) {
            return;
        }
        let Some(pin) = self.by_name.get(&requirement.name) else {
            // A constraint only limits what is there.
            if is_input && !is_unsafe(&requirement.name) {
                report.problems.push(Problem::Unpinned {
                    requirement: without_marker(requirement),
                    origin: entry.origin.clone(),
                });
            }
            return;
        };
        if !satisfies(pin, requirement) {
            report.problems.push(Problem::Unsatisfied {
                requirement: requirement.to_string(),
                origin: entry.origin.clone(),
                pin: pin.text.clone(),
                pin_origin: pin.origin.clone(),
            });
        }
        if !is_input {
            return;
        }
        // With `--strip-extras` the pin line carries none: its dependencies tell instead.
        if !pin.extras.is_empty() {
            for extra in &requirement.extras {
                if !pin.extras.contains(extra) {
                    report.problems.push(Problem::MissingExtra {
                        requirement: requirement.to_string(),
                        origin: entry.origin.clone(),
                        extra: extra.clone(),
                        pin: pin.text.clone(),
                        pin_origin: pin.origin.clone(),
                    });
                }
            }
        }
        reach(
            &mut self.reached,
            &mut self.queue,
            &requirement.name,
            &requirement.extras,
        );
    }

    /// Follow every reached pin's dependencies, as far as the cached metadata tells.
    fn follow(&mut self, metadata: &HashMap<PackageName, Arc<CoreMetadata>>) {
        let mut seen_extras: HashMap<PackageName, BTreeSet<ExtraName>> = HashMap::new();
        while let Some(name) = self.queue.pop_front() {
            let Some(pin) = self.by_name.get(&name).copied() else {
                continue;
            };
            let extras = self.reached.get(&name).cloned().unwrap_or_default();
            if seen_extras.get(&name) == Some(&extras) {
                continue;
            }
            seen_extras.insert(name.clone(), extras.clone());
            let Some(meta) = metadata.get(&name) else {
                if !self.report.unchecked.contains(&pin.text) {
                    self.report.unchecked.push(pin.text.clone());
                }
                continue;
            };
            let extras: Vec<ExtraName> = extras.into_iter().collect();
            for dependency in &meta.requires_dist {
                if dependency.evaluate_markers(self.markers, &extras) {
                    self.dependency(pin, dependency);
                }
            }
        }
    }

    fn dependency(&mut self, pin: &LockedPin, dependency: &Requirement<VerbatimUrl>) {
        match self.by_name.get(&dependency.name).copied() {
            None if is_unsafe(&dependency.name) => {}
            None => push_once(
                &mut self.report.problems,
                Problem::DependencyUnpinned {
                    parent: pin.text.clone(),
                    requirement: without_marker(dependency),
                    parent_origin: pin.origin.clone(),
                },
            ),
            Some(dep_pin) => {
                if !satisfies(dep_pin, dependency) {
                    push_once(
                        &mut self.report.problems,
                        Problem::DependencyUnsatisfied {
                            parent: pin.text.clone(),
                            requirement: without_marker(dependency),
                            pin: dep_pin.text.clone(),
                            pin_origin: dep_pin.origin.clone(),
                        },
                    );
                }
                reach(
                    &mut self.reached,
                    &mut self.queue,
                    &dependency.name,
                    &dependency.extras,
                );
            }
        }
    }
}

fn origin_of(problem: &Problem) -> &Origin {
    match problem {
        Problem::Unpinned { origin, .. }
        | Problem::Unsatisfied { origin, .. }
        | Problem::MissingExtra { origin, .. }
        | Problem::Unnamed { origin, .. } => origin,
        Problem::DependencyUnpinned { parent_origin, .. } => parent_origin,
        Problem::DependencyUnsatisfied { pin_origin, .. }
        | Problem::Unreached { pin_origin, .. }
        | Problem::MissingHash { pin_origin, .. } => pin_origin,
    }
}

fn push_once(problems: &mut Vec<Problem>, problem: Problem) {
    if !problems.contains(&problem) {
        problems.push(problem);
    }
}

fn reach(
    reached: &mut HashMap<PackageName, BTreeSet<ExtraName>>,
    queue: &mut VecDeque<PackageName>,
    name: &PackageName,
    extras: &[ExtraName],
) {
    let entry = reached.entry(name.clone()).or_default();
    let before = entry.len();
    entry.extend(extras.iter().cloned());
    if before == 0 || entry.len() != before {
        queue.push_back(name.clone());
    }
}

fn without_marker(requirement: &Requirement<VerbatimUrl>) -> String {
    let mut requirement = requirement.clone();
    requirement.marker = pep508_rs::MarkerTree::TRUE;
    requirement.to_string()
}

fn satisfies(pin: &LockedPin, requirement: &Requirement<VerbatimUrl>) -> bool {
    match (&requirement.version_or_url, &pin.version) {
        (Some(VersionOrUrl::VersionSpecifier(specifiers)), Some(version)) => {
            specifiers.contains(version)
        }
        _ => true,
    }
}
