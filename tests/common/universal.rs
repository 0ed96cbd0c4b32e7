//! The universal-lockfile oracle (`../shared/UNIVERSAL.md`, "Checking a universal lockfile"):
//! a lockfile whose pins carry PEP 508 markers is checked in every environment of a grid
//! (Linux, macOS and Windows; x86_64 and arm64; every CPython minor from the universe's lower
//! bound up to 3.14) against the metadata of a [`PackageUniverse`], the type the scenario tests
//! and the testdata indexes serve.
//!
//! In each environment the pins whose markers hold must be one version per name; every root
//! requirement and every requirement of every active pin (evaluated there, with the extras asked
//! of the pin) must be satisfied by an active pin; every active pin must be needed there (its
//! marker is the union of its paths from the roots, not more), its release's Requires-Python
//! must hold, and it must have a file usable there (a wheel whose tags fit, or an sdist).
//! With [`Oracle::overrides`] and [`Oracle::excludes`], requirements are first rewritten as
//! `--override` and `--exclude` rewrite them in that environment.
//!
//! One call: [`check`] (files everywhere) or [`check_scenario`] (files as uv's scenarios expect
//! them: see [`Files`]); [`Oracle`] for the knobs between.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use pep440_rs::{Operator, Version, VersionSpecifiers};
use pep508_rs::{
    ExtraName, MarkerEnvironment, MarkerEnvironmentBuilder, MarkerTree, PackageName, Requirement,
    VerbatimUrl, VersionOrUrl,
};

use super::index::{PackageUniverse, ReleaseSpec, Scenario, normalize_name};

/// The newest CPython minor the grid covers.
pub const MAX_PYTHON_MINOR: u64 = 14;

/// pip-compile leaves these out of a lockfile unless `--allow-unsafe`: never reported missing.
const UNSAFE: [&str; 3] = ["distribute", "pip", "setuptools"];

/// Checks `lockfile` for every grid environment from Python `python_min` (`3.9`, `3.10.1`) up,
/// with `roots` (the lines of requirements.in) as the root requirements, and a usable file
/// required for every active pin everywhere. Returns the violations, empty when it is right.
pub fn check(
    lockfile: &str,
    roots: &[&str],
    universe: &PackageUniverse,
    python_min: &str,
) -> Vec<String> {
    let roots: Vec<String> = roots.iter().map(ToString::to_string).collect();
    Oracle::new(universe, &roots, python_min).check(lockfile)
}

/// Checks the lockfile pinion wrote for a universal `scenario` (names prefixed as served): the
/// universe's lower bound is the lower bound of `root.requires_python`; files are required as
/// uv's scenarios expect: in the `required_environments` when it names some, else only where
/// some release of the package has a usable file (uv assumes metadata consistency and does not
/// look at tags: `wheels/specific-architecture` pins a cp313-only wheel for Python 3.12).
pub fn check_scenario(scenario: &Scenario, lockfile: &str) -> Vec<String> {
    let universe = scenario.universe();
    let roots = scenario.root_requirements();
    let python_min = lower_bound(&scenario.root.requires_python).unwrap_or_else(|| "3.8".into());
    let required = &scenario.resolver_options.required_environments;
    let files = if required.is_empty() {
        Files::WhereAnyReleaseHasOne
    } else {
        Files::Required(required.iter().map(|m| marker(m)).collect())
    };
    Oracle::new(&universe, &roots, &python_min)
        .files(files)
        .check(lockfile)
}

/// Where an active pin must have a usable file.
#[derive(Debug, Clone)]
pub enum Files {
    /// In every grid environment where it is active.
    Everywhere,
    /// uv's `required-environments`: for each marker, every pin active somewhere in it has a
    /// usable file in at least one grid environment of it where it is active.
    Required(Vec<MarkerTree>),
    /// In every grid environment where it is active and some release of the package has a
    /// usable file (no resolver could do better elsewhere).
    WhereAnyReleaseHasOne,
}

/// The oracle with its knobs: the universe's environments and where files are required.
pub struct Oracle<'a> {
    universe: &'a PackageUniverse,
    roots: Vec<Requirement<VerbatimUrl>>,
    grid: Vec<GridEnvironment>,
    files: Files,
    /// Whether an active pin that nothing requires there is a violation.
    unneeded_pins: bool,
    /// `--override` lines: where one holds it stands for every requirement on its package,
    /// elsewhere the requirement stands as written.
    overrides: Vec<Requirement<VerbatimUrl>>,
    /// `--exclude`: requirements on these are dropped, never reported missing.
    excludes: BTreeSet<PackageName>,
}

impl<'a> Oracle<'a> {
    pub fn new(universe: &'a PackageUniverse, roots: &[String], python_min: &str) -> Self {
        let roots = roots
            .iter()
            .map(|r| r.trim())
            .filter(|r| !r.is_empty() && !r.starts_with('#') && !r.starts_with('-'))
            .map(|r| Requirement::from_str(r).unwrap_or_else(|e| panic!("root `{r}`: {e}")))
            .collect();
        Self {
            universe,
            roots,
            grid: grid(python_min),
            files: Files::Everywhere,
            unneeded_pins: true,
            overrides: Vec::new(),
            excludes: BTreeSet::new(),
        }
    }

    /// `--override`: the override file's requirement lines, as pinion applies them.
    pub fn overrides(mut self, lines: &[&str]) -> Self {
        self.overrides = lines
            .iter()
            .map(|l| Requirement::from_str(l).unwrap_or_else(|e| panic!("override `{l}`: {e}")))
            .collect();
        self
    }

    /// `--exclude`: these packages are never required.
    pub fn excludes(mut self, names: &[&str]) -> Self {
        self.excludes = names
            .iter()
            .map(|n| PackageName::from_str(n).unwrap())
            .collect();
        self
    }

    /// What stands for `requirement` (whose marker holds) in `env`: nothing for an excluded
    /// package, the override lines for it whose markers hold (with its extras), else itself.
    fn rewrite(
        &self,
        requirement: &Requirement<VerbatimUrl>,
        env: &GridEnvironment,
    ) -> Vec<Requirement<VerbatimUrl>> {
        if self.excludes.contains(&requirement.name) {
            return Vec::new();
        }
        let lines: Vec<Requirement<VerbatimUrl>> = self
            .overrides
            .iter()
            .filter(|o| o.name == requirement.name && o.marker.evaluate(&env.markers, &[]))
            .map(|o| {
                let mut line = o.clone();
                for extra in &requirement.extras {
                    if !line.extras.contains(extra) {
                        line.extras.push(extra.clone());
                    }
                }
                line
            })
            .collect();
        if lines.is_empty() {
            vec![requirement.clone()]
        } else {
            lines
        }
    }

    /// `--environment`: only the grid environments where one of `markers` holds.
    pub fn environments(mut self, markers: &[&str]) -> Self {
        let markers: Vec<MarkerTree> = markers.iter().map(|m| marker(m)).collect();
        self.grid
            .retain(|env| markers.iter().any(|m| m.evaluate(&env.markers, &[])));
        self
    }

    /// Active pins that nothing requires in an environment are not violations (a lockfile whose
    /// markers are wider than its paths from the roots still installs).
    pub fn allow_unneeded_pins(mut self) -> Self {
        self.unneeded_pins = false;
        self
    }

    pub fn files(mut self, files: Files) -> Self {
        self.files = files;
        self
    }

    /// The grid environments checked, by label (`windows-arm64 py3.11`).
    pub fn grid(&self) -> Vec<String> {
        self.grid.iter().map(|e| e.label.clone()).collect()
    }

    /// The violations of `lockfile`, one line each, the environments they occur in after it.
    pub fn check(&self, lockfile: &str) -> Vec<String> {
        let pins = match parse_lockfile(lockfile) {
            Ok(pins) => pins,
            Err(error) => return vec![error],
        };
        // message -> the environments it occurs in, in grid order.
        let mut found: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        let mut usable: Vec<(usize, &GridEnvironment)> = Vec::new();
        for env in &self.grid {
            let mut in_env = Vec::new();
            let active = self.active(&pins, env, &mut in_env);
            self.walk(&active, env, &mut in_env);
            for pin in active.values() {
                self.pin_fits(pin, env, &mut in_env, &mut usable);
            }
            for message in in_env {
                found.entry(message).or_default().push(&env.label);
            }
        }
        let mut violations: Vec<String> = found
            .into_iter()
            .map(|(message, envs)| format!("{message} ({})", describe(&envs)))
            .collect();
        if let Files::Required(required) = &self.files {
            self.required_files(&pins, required, &usable, &mut violations);
        }
        violations
    }

    /// The active pins by name; two versions of one name are a violation (the first is kept).
    fn active<'p>(
        &self,
        pins: &'p [Pin],
        env: &GridEnvironment,
        out: &mut Vec<String>,
    ) -> BTreeMap<PackageName, &'p Pin> {
        let mut active: BTreeMap<PackageName, &Pin> = BTreeMap::new();
        for pin in pins.iter().filter(|p| p.marker.evaluate(&env.markers, &[])) {
            match active.get(&pin.name) {
                Some(first) if first.version != pin.version => out.push(format!(
                    "`{}` has two active pins: line {} `{}` and line {} `{}`",
                    pin.name, first.line, first.text, pin.line, pin.text
                )),
                Some(_) => {}
                None => {
                    active.insert(pin.name.clone(), pin);
                }
            }
        }
        active
    }

    /// From the roots through the active pins' requirements: each requirement satisfied by an
    /// active pin, and every active pin reached.
    fn walk(
        &self,
        active: &BTreeMap<PackageName, &Pin>,
        env: &GridEnvironment,
        out: &mut Vec<String>,
    ) {
        let mut walk = Walk {
            active,
            reached: BTreeMap::new(),
            visited: BTreeMap::new(),
            queue: Vec::new(),
            out,
        };
        for root in self.roots.iter() {
            if root.marker.evaluate(&env.markers, &[]) {
                for root in self.rewrite(root, env) {
                    walk.demand(&root, "the root");
                }
            }
        }
        while let Some(name) = walk.queue.pop() {
            let extras = walk.reached[&name].clone();
            if walk.visited.get(&name) == Some(&extras) {
                continue;
            }
            walk.visited.insert(name.clone(), extras.clone());
            let pin = active[&name];
            let Some(release) = self.release(pin) else {
                continue;
            };
            let by = format!("line {} `{}`", pin.line, pin.text);
            for requirement in requirements_of(release, &extras) {
                if requirement.marker.evaluate(&env.markers, &[]) {
                    for requirement in self.rewrite(&requirement, env) {
                        walk.demand(&requirement, &by);
                    }
                }
            }
        }
        for pin in active.values().filter(|_| self.unneeded_pins) {
            if !walk.visited.contains_key(&pin.name) {
                walk.out.push(format!(
                    "line {} `{}` is active, but nothing requires it there",
                    pin.line, pin.text
                ));
            }
        }
    }

    /// The pin's release in the universe.
    fn release(&self, pin: &Pin) -> Option<&'a ReleaseSpec> {
        let package = self
            .universe
            .packages
            .iter()
            .find(|(name, _)| normalize_name(name) == pin.name.as_ref())?
            .1;
        package
            .versions
            .iter()
            .find(|(version, _)| Version::from_str(version).ok().as_ref() == Some(&pin.version))
            .map(|(_, release)| release)
    }

    /// The pin's release exists, its Requires-Python holds and (per [`Files`]) it has a file
    /// usable in `env`; environments with a usable file are noted for [`Files::Required`].
    fn pin_fits<'g>(
        &self,
        pin: &Pin,
        env: &'g GridEnvironment,
        out: &mut Vec<String>,
        usable: &mut Vec<(usize, &'g GridEnvironment)>,
    ) {
        if pin.is_url {
            return;
        }
        let Some(release) = self.release(pin) else {
            out.push(format!(
                "line {} `{}`: no such release in the universe",
                pin.line, pin.text
            ));
            return;
        };
        if let Some(requires_python) = &release.requires_python {
            let specifiers = VersionSpecifiers::from_str(requires_python).unwrap();
            if !specifiers.contains(&env.markers.python_full_version().version) {
                out.push(format!(
                    "line {} `{}` requires Python `{requires_python}`",
                    pin.line, pin.text
                ));
                return;
            }
        }
        if has_usable_file(release, env) {
            usable.push((pin.line, env));
            return;
        }
        let required = match &self.files {
            Files::Everywhere => true,
            Files::Required(_) => false,
            Files::WhereAnyReleaseHasOne => self
                .universe
                .packages
                .iter()
                .filter(|(name, _)| normalize_name(name) == pin.name.as_ref())
                .flat_map(|(_, package)| package.versions.values())
                .any(|release| has_usable_file(release, env)),
        };
        if required {
            out.push(format!(
                "line {} `{}` has no wheel or sdist usable there",
                pin.line, pin.text
            ));
        }
    }

    /// [`Files::Required`]: each required environment that a pin is active in holds a grid
    /// environment where it has a usable file.
    fn required_files(
        &self,
        pins: &[Pin],
        required: &[MarkerTree],
        usable: &[(usize, &GridEnvironment)],
        out: &mut Vec<String>,
    ) {
        for marker in required {
            let shown = marker.try_to_string().unwrap_or_default();
            for pin in pins.iter().filter(|p| !p.is_url) {
                let active_in: Vec<&GridEnvironment> = self
                    .grid
                    .iter()
                    .filter(|e| marker.evaluate(&e.markers, &[]))
                    .filter(|e| pin.marker.evaluate(&e.markers, &[]))
                    .collect();
                let has_file = usable.iter().any(|(line, env)| {
                    *line == pin.line && active_in.iter().any(|e| e.label == env.label)
                });
                if !active_in.is_empty() && !has_file {
                    out.push(format!(
                        "line {} `{}` has no wheel or sdist usable in required environment `{shown}`",
                        pin.line, pin.text
                    ));
                }
            }
        }
    }
}

/// One environment's walk from the roots.
struct Walk<'w, 'p> {
    active: &'w BTreeMap<PackageName, &'p Pin>,
    /// The extras asked of each pin so far.
    reached: BTreeMap<PackageName, BTreeSet<ExtraName>>,
    /// The extras each pin's requirements were read with.
    visited: BTreeMap<PackageName, BTreeSet<ExtraName>>,
    queue: Vec<PackageName>,
    out: &'w mut Vec<String>,
}

impl Walk<'_, '_> {
    /// `by` requires `requirement`: an active pin must satisfy it; the pin is (re)visited when
    /// it is asked for extras it was not read with.
    fn demand(&mut self, requirement: &Requirement<VerbatimUrl>, by: &str) {
        let Some(pin) = self.active.get(&requirement.name) else {
            if !UNSAFE.contains(&requirement.name.as_ref()) {
                self.out.push(format!(
                    "{by} requires `{requirement}`, which has no active pin"
                ));
            }
            return;
        };
        if !pin.satisfies(requirement) {
            self.out.push(format!(
                "{by} requires `{requirement}`, but line {} pins `{}`",
                pin.line, pin.text
            ));
        }
        let extras = self.reached.entry(pin.name.clone()).or_default();
        extras.extend(requirement.extras.iter().cloned());
        extras.extend(pin.extras.iter().cloned());
        if self.visited.get(&pin.name) != Some(&*extras) && !self.queue.contains(&pin.name) {
            self.queue.push(pin.name.clone());
        }
    }
}

/// The release's requirements, with those of `extras`.
fn requirements_of(release: &ReleaseSpec, extras: &BTreeSet<ExtraName>) -> Vec<Requirement> {
    let mut lines: Vec<&String> = release.requires.iter().collect();
    for (extra, requirements) in &release.extras {
        if extras.iter().any(|e| e.as_ref() == normalize_name(extra)) {
            lines.extend(requirements);
        }
    }
    lines
        .into_iter()
        .map(|r| Requirement::from_str(r).unwrap_or_else(|e| panic!("requirement `{r}`: {e}")))
        .collect()
}

/// `a, b, c and 9 more`.
fn describe(envs: &[&str]) -> String {
    match envs.len() {
        0..=3 => format!("in {}", envs.join(", ")),
        n => format!("in {} and {} more", envs[..3].join(", "), n - 3),
    }
}

fn marker(text: &str) -> MarkerTree {
    MarkerTree::from_str(text).unwrap_or_else(|e| panic!("marker `{text}`: {e}"))
}

/// The lower bound of a Requires-Python (`>=3.10.1` -> `3.10.1`), if it has one.
pub fn lower_bound(requires_python: &str) -> Option<String> {
    let specifiers = VersionSpecifiers::from_str(requires_python).ok()?;
    specifiers.iter().find_map(|s| {
        matches!(
            s.operator(),
            Operator::GreaterThanEqual | Operator::Equal | Operator::TildeEqual
        )
        .then(|| s.version().to_string())
    })
}

/// One pin of the lockfile under check.
#[derive(Debug, Clone)]
struct Pin {
    name: PackageName,
    /// For a direct reference (`name @ url`), which satisfies any version: none.
    version: Version,
    is_url: bool,
    extras: Vec<ExtraName>,
    marker: MarkerTree,
    /// 1-based, the line the entry starts on.
    line: usize,
    /// The pin as written, without hashes.
    text: String,
}

impl Pin {
    fn satisfies(&self, requirement: &Requirement<VerbatimUrl>) -> bool {
        match &requirement.version_or_url {
            _ if self.is_url => true,
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers.contains(&self.version),
            Some(VersionOrUrl::Url(_)) => false,
            None => true,
        }
    }
}

/// The pins of a requirements-format lockfile: continuation lines joined, comments, options
/// and `--hash` dropped. Every pin must be `name==version` (or a direct reference).
fn parse_lockfile(text: &str) -> Result<Vec<Pin>, String> {
    let mut pins = Vec::new();
    let mut entry = String::new();
    let mut start = 0;
    for (index, raw) in text.lines().enumerate() {
        if entry.is_empty() {
            start = index + 1;
        }
        // A comment starts at `#` at the start of a line or after whitespace (pip's rule).
        let line = match raw.find(" #").or_else(|| raw.starts_with('#').then_some(0)) {
            Some(at) => &raw[..at],
            None => raw,
        };
        match line.trim_end().strip_suffix('\\') {
            Some(continued) => {
                entry.push_str(continued);
                entry.push(' ');
                continue;
            }
            None => entry.push_str(line),
        }
        let full = std::mem::take(&mut entry);
        let requirement = match full.find(" --hash") {
            Some(at) => full[..at].trim(),
            None => full.trim(),
        };
        if requirement.is_empty() || requirement.starts_with('-') {
            continue;
        }
        pins.push(pin(requirement, start)?);
    }
    Ok(pins)
}

fn pin(text: &str, line: usize) -> Result<Pin, String> {
    let requirement = Requirement::<VerbatimUrl>::from_str(text)
        .map_err(|e| format!("line {line}: `{text}` is not a requirement: {e}"))?;
    let (version, is_url) = match &requirement.version_or_url {
        Some(VersionOrUrl::Url(_)) => (Version::new([0]), true),
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
            match specifiers.iter().collect::<Vec<_>>().as_slice() {
                [one] if matches!(one.operator(), Operator::Equal | Operator::ExactEqual) => {
                    (one.version().clone(), false)
                }
                _ => return Err(format!("line {line}: `{text}` is not pinned with `==`")),
            }
        }
        None => return Err(format!("line {line}: `{text}` is not pinned with `==`")),
    };
    let mut shown = requirement.clone();
    shown.marker = MarkerTree::TRUE;
    Ok(Pin {
        name: requirement.name.clone(),
        version,
        is_url,
        extras: requirement.extras.clone(),
        marker: requirement.marker.clone(),
        line,
        text: shown.to_string(),
    })
}

/// The operating systems of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    Macos,
    Windows,
}

/// The architectures of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Arm64,
}

/// One concrete environment: CPython `3.minor` on `os` and `arch`.
#[derive(Debug, Clone)]
pub struct GridEnvironment {
    /// `linux-x86_64 py3.10`.
    pub label: String,
    pub os: Os,
    pub arch: Arch,
    pub minor: u64,
    pub markers: MarkerEnvironment,
}

/// Every OS x architecture x CPython minor from `python_min` (its patch release for its minor,
/// `.0` for the others) to 3.[`MAX_PYTHON_MINOR`].
pub fn grid(python_min: &str) -> Vec<GridEnvironment> {
    let min = Version::from_str(python_min).unwrap_or_else(|e| panic!("`{python_min}`: {e}"));
    let release = min.release();
    assert_eq!(
        release[0], 3,
        "the grid covers Python 3 only, not `{python_min}`"
    );
    let first_minor = release.get(1).copied().unwrap_or(0);
    let first_patch = release.get(2).copied().unwrap_or(0);
    let mut grid = Vec::new();
    for os in [Os::Linux, Os::Macos, Os::Windows] {
        for arch in [Arch::X86_64, Arch::Arm64] {
            for minor in first_minor..=MAX_PYTHON_MINOR {
                let patch = if minor == first_minor { first_patch } else { 0 };
                grid.push(environment(os, arch, minor, patch));
            }
        }
    }
    grid
}

/// The markers CPython reports there (`platform.machine()` is `AMD64`/`ARM64` on Windows,
/// `aarch64` on Linux, `arm64` on macOS).
pub fn environment(os: Os, arch: Arch, minor: u64, patch: u64) -> GridEnvironment {
    let (os_name, sys_platform, platform_system, os_label) = match os {
        Os::Linux => ("posix", "linux", "Linux", "linux"),
        Os::Macos => ("posix", "darwin", "Darwin", "macos"),
        Os::Windows => ("nt", "win32", "Windows", "windows"),
    };
    let machine = match (os, arch) {
        (Os::Windows, Arch::X86_64) => "AMD64",
        (Os::Windows, Arch::Arm64) => "ARM64",
        (Os::Linux, Arch::Arm64) => "aarch64",
        (Os::Macos, Arch::Arm64) => "arm64",
        (_, Arch::X86_64) => "x86_64",
    };
    let arch_label = if arch == Arch::X86_64 {
        "x86_64"
    } else {
        "arm64"
    };
    let version = format!("3.{minor}");
    let full = format!("3.{minor}.{patch}");
    let markers = MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: &full,
        os_name,
        platform_machine: machine,
        platform_python_implementation: "CPython",
        platform_release: "",
        platform_system,
        platform_version: "",
        python_full_version: &full,
        python_version: &version,
        sys_platform,
    })
    .unwrap();
    GridEnvironment {
        label: format!("{os_label}-{arch_label} py{version}"),
        os,
        arch,
        minor,
        markers,
    }
}

/// An sdist, or a wheel one of whose tags fits `env`.
fn has_usable_file(release: &ReleaseSpec, env: &GridEnvironment) -> bool {
    if release.sdist {
        return true;
    }
    if !release.wheel {
        return false;
    }
    let tags: Vec<&str> = if release.wheel_tags.is_empty() {
        vec!["py3-none-any"]
    } else {
        release.wheel_tags.iter().map(String::as_str).collect()
    };
    tags.iter().any(|tag| wheel_tag_fits(tag, env))
}

/// Whether a wheel tag (`cp312-abi3-win_amd64`, `py2.py3-none-any`, compressed sets allowed)
/// installs on CPython `3.minor` on `env`'s platform, as pip's tag list (packaging.tags) has it.
pub fn wheel_tag_fits(tag: &str, env: &GridEnvironment) -> bool {
    let mut parts = tag.splitn(3, '-');
    let (Some(pythons), Some(abis), Some(platforms)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    pythons.split('.').any(|python| {
        abis.split('.').any(|abi| {
            interpreter_fits(python, abi, env.minor)
                && platforms.split('.').any(|p| platform_fits(p, env))
        })
    })
}

fn interpreter_fits(python: &str, abi: &str, minor: u64) -> bool {
    let minor_of = |tag: &str, prefix: &str| -> Option<u64> {
        let rest = tag.strip_prefix(prefix)?;
        if rest.is_empty() {
            return None;
        }
        rest.parse().ok()
    };
    let cp = minor_of(python, "cp3");
    let abi_ok = match abi {
        "none" => true,
        "abi3" => cp.is_some_and(|m| m <= minor),
        _ => minor_of(abi.trim_end_matches(['m', 't']), "cp3") == Some(minor),
    };
    let python_ok = python == "py3"
        || minor_of(python, "py3").is_some_and(|m| m <= minor)
        || match (cp, abi) {
            (Some(m), "abi3") => m <= minor,
            (Some(m), _) => m == minor,
            (None, _) => false,
        };
    abi_ok && python_ok
}

fn platform_fits(platform: &str, env: &GridEnvironment) -> bool {
    if platform == "any" {
        return true;
    }
    match env.os {
        Os::Linux => {
            let arch = if env.arch == Arch::X86_64 {
                "x86_64"
            } else {
                "aarch64"
            };
            (platform.starts_with("manylinux") || platform.starts_with("linux_"))
                && platform.ends_with(&format!("_{arch}"))
        }
        Os::Macos => {
            let Some(rest) = platform.strip_prefix("macosx_") else {
                return false;
            };
            let arch = rest.splitn(3, '_').nth(2).unwrap_or("");
            match env.arch {
                Arch::X86_64 => {
                    matches!(
                        arch,
                        "x86_64"
                            | "intel"
                            | "universal"
                            | "universal2"
                            | "fat64"
                            | "fat3"
                            | "fat32"
                    )
                }
                Arch::Arm64 => matches!(arch, "arm64" | "universal2"),
            }
        }
        Os::Windows => match env.arch {
            Arch::X86_64 => platform == "win_amd64",
            Arch::Arm64 => platform == "win_arm64",
        },
    }
}
