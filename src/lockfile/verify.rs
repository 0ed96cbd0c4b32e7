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
use crate::resolver::Rewrites;

/// One pin of the lockfile under check.
#[derive(Debug, Clone)]
pub(crate) struct LockedPin {
    pub(crate) name: PackageName,
    /// `None` for a direct reference (`name @ url`), which satisfies any version.
    pub(crate) version: Option<Version>,
    pub(crate) extras: BTreeSet<ExtraName>,
    pub(crate) hashes: usize,
    /// A git checkout or a local directory: a source tree has no hash to give (pip refuses it
    /// in hash-checking mode; PEP 751's `vcs` and `directory` have no `hashes`).
    pub(crate) source_tree: bool,
    /// The pin as written, without hashes and markers.
    pub(crate) text: String,
    /// Its marker (a universal lockfile's pins have them).
    pub(crate) marker: pep508_rs::MarkerTree,
    pub(crate) origin: Origin,
}

/// The pins of a lockfile whose markers hold for `markers`.
pub(crate) fn locked_pins(
    lockfile: &RequirementsTxt,
    markers: &MarkerEnvironment,
) -> Vec<LockedPin> {
    pins_where(lockfile, |r| r.evaluate_markers(markers, &[]))
}

/// Every pin of a lockfile, whatever its markers (a universal lockfile's).
pub(crate) fn all_locked_pins(lockfile: &RequirementsTxt) -> Vec<LockedPin> {
    pins_where(lockfile, |_| true)
}

fn pins_where(
    lockfile: &RequirementsTxt,
    holds: impl Fn(&Requirement<VerbatimUrl>) -> bool,
) -> Vec<LockedPin> {
    let mut pins = Vec::new();
    for entry in &lockfile.requirements {
        let RequirementSpec::Named(requirement) = &entry.spec else {
            continue;
        };
        if !holds(requirement) {
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
            source_tree: is_source_tree(requirement),
            text: text.to_string(),
            marker: requirement.marker.clone(),
            origin: entry.origin.clone(),
        });
    }
    pins
}

/// Whether `requirement` is a direct reference to a source tree: a git URL, or a `file:` URL
/// that names no wheel or sdist.
fn is_source_tree(requirement: &Requirement<VerbatimUrl>) -> bool {
    let Some(VersionOrUrl::Url(url)) = &requirement.version_or_url else {
        return false;
    };
    let url = url.raw();
    match url.scheme() {
        scheme if scheme.starts_with("git+") => true,
        "file" => url
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .is_none_or(|last| crate::metadata::DistFilename::parse(last, None).is_none()),
        _ => false,
    }
}

/// The URLs (paths included) of a lockfile's unnamed entries (`-e ./app`, `./libs/x`), and of
/// its named local projects (a pylock.toml's `directory`, read as `name @ file:///...`).
pub(crate) fn locked_urls(lockfile: &RequirementsTxt) -> Vec<String> {
    lockfile
        .requirements
        .iter()
        .filter_map(|entry| match &entry.spec {
            RequirementSpec::Unnamed(u) => Some(u.url.to_string()),
            RequirementSpec::Named(r) => match &r.version_or_url {
                Some(VersionOrUrl::Url(url)) if url.raw().scheme() == "file" => {
                    Some(url.to_string())
                }
                _ => None,
            },
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
    /// A universal lockfile pins one package twice under markers that both hold somewhere.
    Overlapping {
        first: String,
        first_origin: Origin,
        second: String,
        second_origin: Origin,
    },
    /// A universal lockfile's problem, found in these environments of its universe.
    InEnvironments {
        problem: Box<Problem>,
        environments: Vec<String>,
    },
}

impl Problem {
    /// The problem itself, whichever environments of a universe it was found in.
    pub(crate) fn inner(&self) -> &Problem {
        match self {
            Self::InEnvironments { problem, .. } => problem.inner(),
            problem => problem,
        }
    }
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
            Self::Overlapping {
                first,
                first_origin,
                second,
                second_origin,
            } => write!(
                f,
                "{second_origin}: `{second}` and `{first}` ({first_origin}) are both pinned where both markers hold"
            ),
            Self::InEnvironments {
                problem,
                environments,
            } => {
                let shown = match environments.as_slice() {
                    [] => String::new(),
                    [one] => one.clone(),
                    [one, two] => format!("{one} and {two}"),
                    [one, rest @ ..] => format!("{one} and {} more", rest.len()),
                };
                write!(f, "{problem} (on {shown})")
            }
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
/// them out without `--allow-unsafe`) are not reported missing. `rewrites` (the header's
/// overrides and excludes) stand for every requirement, input or dependency, as they did for
/// the resolver; constraints stay as written.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check(
    locked_urls: &[String],
    inputs: &[RequirementEntry],
    constraints: &[RequirementEntry],
    pins: &[LockedPin],
    markers: &MarkerEnvironment,
    metadata: &HashMap<PackageName, Arc<CoreMetadata>>,
    rewrites: &Rewrites,
    hashes_required: bool,
) -> Report {
    let mut walk = Walk {
        by_name: pins.iter().map(|p| (&p.name, p)).collect(),
        markers,
        rewrites,
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
        for pin in pins.iter().filter(|p| p.hashes == 0 && !p.source_tree) {
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

/// [`check`] of a universal lockfile: in every environment of `universe`'s grid
/// ([`super::universe::grid`]), the pins whose markers hold there against the inputs whose
/// markers hold there, with the metadata of the pinned versions (`metadata`, any versions, of
/// which those the pins name are used). A problem says in which environments it occurs; two
/// pins of one name whose markers both hold somewhere are a problem of their own.
pub(crate) fn check_universal(
    lockfile: &RequirementsTxt,
    inputs: &[RequirementEntry],
    constraints: &[RequirementEntry],
    universe: &pep508_rs::MarkerTree,
    metadata: &[Arc<CoreMetadata>],
    rewrites: &Rewrites,
    hashes_required: bool,
) -> Report {
    let urls = locked_urls(lockfile);
    let mut found: Vec<(Problem, Vec<String>)> = Vec::new();
    let mut unchecked: Vec<String> = Vec::new();
    for environment in super::universe::grid(universe) {
        let markers = &environment.markers;
        let mut problems = Vec::new();
        let mut pins: Vec<LockedPin> = Vec::new();
        for pin in locked_pins(lockfile, markers) {
            match pins.iter().find(|p| p.name == pin.name) {
                Some(first) if first.version != pin.version => {
                    problems.push(Problem::Overlapping {
                        first: first.text.clone(),
                        first_origin: first.origin.clone(),
                        second: pin.text.clone(),
                        second_origin: pin.origin.clone(),
                    });
                }
                Some(_) => {}
                None => pins.push(pin),
            }
        }
        let by_name = pins
            .iter()
            .filter_map(|pin| {
                let meta = metadata
                    .iter()
                    .find(|m| m.name == pin.name && Some(&m.version) == pin.version.as_ref())?;
                Some((pin.name.clone(), meta.clone()))
            })
            .collect();
        let report = check(
            &urls,
            inputs,
            constraints,
            &pins,
            markers,
            &by_name,
            rewrites,
            hashes_required,
        );
        problems.extend(report.problems);
        for problem in problems {
            match found.iter_mut().find(|(p, _)| *p == problem) {
                Some((_, environments)) => environments.push(environment.label.clone()),
                None => found.push((problem, vec![environment.label.clone()])),
            }
        }
        for text in report.unchecked {
            if !unchecked.contains(&text) {
                unchecked.push(text);
            }
        }
    }
    let mut problems: Vec<Problem> = found
        .into_iter()
        .map(|(problem, environments)| match problem {
            // The same in every environment: no need to say where.
            Problem::MissingHash { .. } | Problem::Unnamed { .. } => problem,
            problem => Problem::InEnvironments {
                problem: Box::new(problem),
                environments,
            },
        })
        .collect();
    problems.sort_by(|a, b| origin_of(a).cmp(origin_of(b)));
    Report {
        problems,
        unchecked,
    }
}

/// The walk from the inputs through the pins' dependencies.
struct Walk<'a> {
    by_name: HashMap<&'a PackageName, &'a LockedPin>,
    markers: &'a MarkerEnvironment,
    rewrites: &'a Rewrites,
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
        if !is_input {
            self.named(entry, requirement, false);
            return;
        }
        for requirement in self.rewrites.apply(requirement, self.markers) {
            self.named(entry, &requirement, true);
        }
    }

    /// One named input (after the rewrites) or constraint against its pin.
    fn named(
        &mut self,
        entry: &RequirementEntry,
        requirement: &Requirement<VerbatimUrl>,
        is_input: bool,
    ) {
        let report = &mut self.report;
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
                    for dependency in self.rewrites.apply(dependency, self.markers) {
                        self.dependency(pin, &dependency);
                    }
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
        Problem::Overlapping { second_origin, .. } => second_origin,
        Problem::InEnvironments { problem, .. } => origin_of(problem),
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

#[cfg(test)]
pub(super) mod tests {
    use std::path::Path;
    use std::str::FromStr;

    use pep508_rs::MarkerEnvironmentBuilder;

    use super::*;
    use crate::requirements::read_str;

    /// CPython 3.12 on Linux.
    pub(in crate::lockfile) fn markers() -> MarkerEnvironment {
        MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: "3.12.0",
            os_name: "posix",
            platform_machine: "x86_64",
            platform_python_implementation: "CPython",
            platform_release: "",
            platform_system: "Linux",
            platform_version: "",
            python_full_version: "3.12.0",
            python_version: "3.12",
            sys_platform: "linux",
        })
        .unwrap()
    }

    /// Core metadata of `name` `version` with these `Requires-Dist` lines.
    pub(in crate::lockfile) fn release(
        name: &str,
        version: &str,
        requires: &[&str],
    ) -> (PackageName, Arc<CoreMetadata>) {
        let mut text = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
        for requirement in requires {
            text.push_str(&format!("Requires-Dist: {requirement}\n"));
        }
        let metadata = CoreMetadata::parse(text.as_bytes()).unwrap();
        (PackageName::from_str(name).unwrap(), Arc::new(metadata))
    }

    /// `pinion check` of `lockfile` (requirements.txt) against `inputs` (requirements.in), with
    /// the cached metadata `cached`: each problem as the line the user reads, and what could not
    /// be checked.
    fn check_with(
        inputs: &str,
        lockfile: &str,
        cached: &[(PackageName, Arc<CoreMetadata>)],
        hashes_required: bool,
    ) -> (Vec<String>, Vec<String>) {
        check_in(Path::new(""), inputs, lockfile, cached, hashes_required)
    }

    /// [`check_with`] for files in `dir`, which local paths in them are relative to.
    fn check_in(
        dir: &Path,
        inputs: &str,
        lockfile: &str,
        cached: &[(PackageName, Arc<CoreMetadata>)],
        hashes_required: bool,
    ) -> (Vec<String>, Vec<String>) {
        let inputs = read_str(&dir.join("requirements.in"), inputs.to_string()).unwrap();
        let lockfile = read_str(&dir.join("requirements.txt"), lockfile.to_string()).unwrap();
        let markers = markers();
        let report = check(
            &locked_urls(&lockfile),
            &inputs.requirements,
            &inputs.constraints,
            &locked_pins(&lockfile, &markers),
            &markers,
            &cached.iter().cloned().collect(),
            &Rewrites::default(),
            hashes_required,
        );
        let problems = report.problems.iter().map(ToString::to_string).collect();
        (problems, report.unchecked)
    }

    /// [`check_with`] with every pin's metadata cached, without dependencies unless listed.
    fn problems(
        inputs: &str,
        lockfile: &str,
        cached: &[(PackageName, Arc<CoreMetadata>)],
    ) -> Vec<String> {
        let (problems, unchecked) = check_with(inputs, lockfile, cached, false);
        assert_eq!(unchecked, Vec::<String>::new());
        problems
    }

    #[test]
    fn a_lockfile_that_matches_reports_nothing() {
        let cached = [
            release(
                "requests",
                "2.32.3",
                &["idna>=2.5", "pysocks ; extra == 'socks'"],
            ),
            release("idna", "3.10", &[]),
            release("pysocks", "1.7.1", &[]),
        ];
        let lockfile = "idna==3.10\npysocks==1.7.1\nrequests[socks]==2.32.3\n";
        assert_eq!(
            problems("requests[socks]>=2.31\n", lockfile, &cached),
            Vec::<String>::new()
        );
    }

    #[test]
    fn an_input_without_a_pin() {
        let cached = [release("idna", "3.10", &[])];
        assert_eq!(
            problems(
                "idna\nclick>=8 ; python_version >= '3.8'\n",
                "idna==3.10\n",
                &cached
            ),
            ["requirements.in:2:1: `click>=8` has no pin"]
        );
    }

    #[test]
    fn inputs_whose_markers_do_not_hold_and_unsafe_packages_need_no_pin() {
        let cached = [release("idna", "3.10", &[])];
        let inputs = "idna\nrich ; python_version < '3.0'\nsetuptools\n";
        assert_eq!(
            problems(inputs, "idna==3.10\n", &cached),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_pin_outside_the_input_specifier() {
        let cached = [release("requests", "2.31.0", &[])];
        assert_eq!(
            problems("requests>=2.32\n", "requests==2.31.0\n", &cached),
            [
                "requirements.in:1:1: `requests>=2.32` is not satisfied by `requests==2.31.0` (requirements.txt:1:1)"
            ]
        );
    }

    #[test]
    fn a_constraint_limits_a_pin_but_does_not_require_one() {
        let inputs = read_str(Path::new("requirements.in"), "idna\n".to_string()).unwrap();
        let constraints = read_str(
            Path::new("constraints.txt"),
            "idna<3\nclick<8\n".to_string(),
        )
        .unwrap();
        let lockfile = read_str(Path::new("requirements.txt"), "idna==3.10\n".to_string()).unwrap();
        let markers = markers();
        let report = check(
            &[],
            &inputs.requirements,
            &constraints.requirements,
            &locked_pins(&lockfile, &markers),
            &markers,
            &[release("idna", "3.10", &[])].into_iter().collect(),
            &Rewrites::default(),
            false,
        );
        let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            problems,
            [
                "constraints.txt:1:1: `idna<3` is not satisfied by `idna==3.10` (requirements.txt:1:1)"
            ]
        );
    }

    #[test]
    fn a_pin_without_an_extra_the_input_asks_for() {
        let cached = [release("requests", "2.32.3", &[])];
        assert_eq!(
            problems("requests[socks]\n", "requests[security]==2.32.3\n", &cached),
            [
                "requirements.in:1:1: `requests[socks]` asks for extra `socks`, which `requests[security]==2.32.3` (requirements.txt:1:1) does not have"
            ]
        );
        // With --strip-extras the pin carries none: the extra's dependencies tell instead.
        assert_eq!(
            problems("requests[socks]\n", "requests==2.32.3\n", &cached),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_dependency_without_a_pin() {
        let cached = [release("requests", "2.32.3", &["idna>=2.5", "pip"])];
        assert_eq!(
            problems("requests\n", "requests==2.32.3\n", &cached),
            ["requirements.txt:1:1: `requests==2.32.3` requires `idna>=2.5`, which has no pin"]
        );
    }

    #[test]
    fn a_dependency_pinned_outside_its_specifier() {
        let cached = [
            release("requests", "2.32.3", &["idna>=2.5"]),
            release("idna", "2.0", &[]),
        ];
        assert_eq!(
            problems("requests\n", "idna==2.0\nrequests==2.32.3\n", &cached),
            [
                "requirements.txt:1:1: `idna==2.0` does not satisfy `idna>=2.5`, required by `requests==2.32.3`"
            ]
        );
    }

    #[test]
    fn a_pin_nothing_requires() {
        let cached = [release("idna", "3.10", &[]), release("six", "1.16.0", &[])];
        assert_eq!(
            problems("idna\n", "idna==3.10\nsix==1.16.0\n", &cached),
            ["requirements.txt:2:1: `six==1.16.0` is pinned, but no input requires it"]
        );
    }

    #[test]
    fn without_cached_metadata_unneeded_pins_are_not_looked_for() {
        let (problems, unchecked) = check_with("idna\n", "idna==3.10\nsix==1.16.0\n", &[], false);
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(unchecked, ["idna==3.10"]);
    }

    #[test]
    fn pins_without_hashes_when_hashes_are_required() {
        let digest = "a".repeat(64);
        let lockfile = format!("idna==3.10 \\\n    --hash=sha256:{digest}\nsix==1.16.0\n");
        let cached = [release("idna", "3.10", &[]), release("six", "1.16.0", &[])];
        let (problems, _) = check_with("idna\nsix\n", &lockfile, &cached, true);
        assert_eq!(
            problems,
            [
                "requirements.txt:3:1: `six==1.16.0` has no `--hash`, but the lockfile was compiled with `--generate-hashes`"
            ]
        );
        let (problems, _) = check_with("idna\nsix\n", &lockfile, &cached, false);
        assert_eq!(problems, Vec::<String>::new());
    }

    #[test]
    fn url_inputs_are_found_in_the_lockfile_or_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app")).unwrap();
        std::fs::create_dir_all(dir.path().join("libs/other")).unwrap();
        // Locked: its dependencies are known only to a build, so it is listed as unchecked.
        let (problems, unchecked) = check_in(dir.path(), "-e ./app\n", "-e ./app\n", &[], false);
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(unchecked, ["-e ./app"]);
        // Not locked: reported where the input names it.
        let inputs = "-e ./app\n./libs/other\n";
        let (problems, _) = check_in(dir.path(), inputs, "-e ./app\n", &[], false);
        let origin = dir.path().join("requirements.in");
        assert_eq!(
            problems,
            [format!(
                "{}:2:1: `./libs/other` is not in the lockfile",
                origin.display()
            )]
        );
    }

    #[test]
    fn a_direct_reference_satisfies_any_version() {
        let cached = [release("idna", "3.7", &[])];
        let lockfile = "idna @ https://example.invalid/files/idna-3.7-py3-none-any.whl\n";
        assert_eq!(
            problems("idna>=3.8\n", lockfile, &cached),
            Vec::<String>::new()
        );
    }

    /// `pinion check` of a universal lockfile from Python `python_min` up, every environment.
    fn universal_problems(
        inputs: &str,
        lockfile: &str,
        cached: &[(PackageName, Arc<CoreMetadata>)],
        python_min: &str,
    ) -> Vec<String> {
        let inputs = read_str(Path::new("requirements.in"), inputs.to_string()).unwrap();
        let lockfile = read_str(Path::new("requirements.txt"), lockfile.to_string()).unwrap();
        let universe = crate::lockfile::universe::universe_marker(python_min, &[]).unwrap();
        let metadata: Vec<Arc<CoreMetadata>> = cached.iter().map(|(_, m)| m.clone()).collect();
        let report = check_universal(
            &lockfile,
            &inputs.requirements,
            &inputs.constraints,
            &universe,
            &metadata,
            &Rewrites::default(),
            false,
        );
        assert_eq!(report.unchecked, Vec::<String>::new());
        report.problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn universal_an_input_for_windows_is_satisfied_by_a_pin_for_windows() {
        let cached = [release("idna", "3.10", &[]), release("foo", "1", &[])];
        let inputs = "idna\nfoo ; sys_platform == 'win32'\n";
        let lockfile = "foo==1 ; sys_platform == 'win32'\nidna==3.10\n";
        assert_eq!(
            universal_problems(inputs, lockfile, &cached, "3.9"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn universal_a_lockfile_without_the_windows_pin_is_stale() {
        let cached = [release("idna", "3.10", &[])];
        let inputs = "idna\nfoo ; sys_platform == 'win32'\n";
        assert_eq!(
            universal_problems(inputs, "idna==3.10\n", &cached, "3.13"),
            ["requirements.in:2:1: `foo` has no pin (on windows-amd64, Python 3.13 and 3 more)"]
        );
    }

    #[test]
    fn universal_a_python_split_satisfies_an_input_everywhere() {
        let cached = [
            release("numpy", "2.0.2", &[]),
            release("numpy", "2.3.4", &[]),
            release(
                "click",
                "8.1.8",
                &["colorama ; platform_system == 'Windows'"],
            ),
            release("colorama", "0.4.6", &[]),
        ];
        let lockfile = "click==8.1.8\ncolorama==0.4.6 ; sys_platform == 'win32'\nnumpy==2.0.2 ; python_full_version < '3.10'\nnumpy==2.3.4 ; python_full_version >= '3.10'\n";
        assert_eq!(
            universal_problems("click\nnumpy>=2\n", lockfile, &cached, "3.9"),
            Vec::<String>::new()
        );
        // The older numpy is outside the input's specifier, only on Python 3.9.
        assert_eq!(
            universal_problems("click\nnumpy>=2.1\n", lockfile, &cached, "3.9"),
            [
                "requirements.in:2:1: `numpy>=2.1` is not satisfied by `numpy==2.0.2` (requirements.txt:3:1) (on linux-x86_64, Python 3.9 and 5 more)"
            ]
        );
    }

    #[test]
    fn universal_overlapping_pins_and_too_wide_markers() {
        let cached = [
            release("numpy", "2.0.2", &[]),
            release("numpy", "2.3.4", &[]),
            release("colorama", "0.4.6", &[]),
        ];
        let lockfile = "colorama==0.4.6\nnumpy==2.0.2 ; python_full_version < '3.11'\nnumpy==2.3.4 ; python_full_version >= '3.10'\n";
        let inputs = "numpy\ncolorama ; sys_platform == 'win32'\n";
        assert_eq!(
            universal_problems(inputs, lockfile, &cached, "3.10"),
            [
                "requirements.txt:1:1: `colorama==0.4.6` is pinned, but no input requires it (on linux-x86_64, Python 3.10 and 19 more)",
                "requirements.txt:3:1: `numpy==2.3.4` and `numpy==2.0.2` (requirements.txt:2:1) are both pinned where both markers hold (on linux-x86_64, Python 3.10 and 5 more)"
            ]
        );
    }
}
