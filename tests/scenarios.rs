//! The resolver conformance scenarios (../shared/scenarios, packse format) through the binary:
//! every scenario's universe is served from one local index, its root requirements compiled
//! with its options, and the result compared with what a correct resolver answers.
//!
//! Scenarios that ask for universal resolution run with `--universal`, their lowest Python being
//! the lower bound of `root.requires_python`, and their required environments as
//! `--required-environment`; `testdata/scenarios-skipped.txt` must list no scenario. Scenarios
//! pinion is known to fail are listed with the reason in `testdata/scenarios-known-failures.txt`.
//! The test fails when either list is not exactly true, or when any other scenario fails.
//!
//! The scenarios come from PINION_SCENARIOS, else `../shared/scenarios`; a PINION_SCENARIOS that
//! names no scenarios fails, a missing default skips with a loud warning (common::scenarios_dir).

#[path = "common/support.rs"]
pub mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::MarkerTree;

use common::{PackageUniverse, Scenario, TestContext};

/// What pinion says when the resolver proves no set of versions works; any other exit 1 (the
/// index, a build, an install) is not an answer to the scenario.
const NO_SOLUTION: &str = "no set of versions satisfies the requirements";

/// `name: reason` lines of a list in testdata.
fn listed(file: &str) -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(file);
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(':') {
            Some((name, reason)) => (name.trim().to_string(), reason.trim().to_string()),
            None => (l.trim().to_string(), String::new()),
        })
        .collect()
}

/// The outcome of one scenario: None when it behaved as expected, else what went wrong.
fn run(scenario: &Scenario, ctx: &TestContext) -> Option<String> {
    let dir = ctx.path().join(&scenario.name);
    std::fs::create_dir_all(&dir).unwrap();
    let mut lines = scenario.root_requirements();
    for name in &scenario.resolver_options.no_binary {
        lines.push(format!("--no-binary {}", scenario.prefixed(name)));
    }
    for name in &scenario.resolver_options.no_build {
        lines.push(format!("--only-binary {}", scenario.prefixed(name)));
    }
    std::fs::write(dir.join("requirements.in"), lines.join("\n") + "\n").unwrap();
    let options = &scenario.resolver_options;
    let python = match &options.python {
        Some(python) => python.clone(),
        // A universal resolution starts at the project's lowest Python (README: `root.requires_python`).
        None if options.universal => lowest_python(&scenario.root.requires_python),
        None => scenario.environment.python.clone(),
    };
    let mut cmd = ctx.pinion();
    cmd.current_dir(&dir)
        .args(["compile", "--no-header", "--no-annotate", "-q"])
        .args(["--index-url", &ctx.index_url(), "--python-version", &python])
        .args(["-o", "requirements.txt", "requirements.in"]);
    if scenario.resolver_options.prereleases {
        cmd.arg("--pre");
    }
    if let Some(platform) = &scenario.resolver_options.python_platform {
        cmd.args(["--python-platform", platform]);
    }
    if options.universal {
        cmd.arg("--universal");
    }
    for environment in &options.required_environments {
        cmd.args(["--required-environment", environment]);
    }
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    if stderr.contains("panicked") {
        return Some(format!("panicked: {stderr}"));
    }
    let expected = &scenario.expected;
    match (expected.satisfiable, output.status.code()) {
        (true, Some(0)) => {}
        (true, _) => return Some(format!("expected success, got: {stderr}")),
        (false, Some(1)) if stderr.contains(NO_SOLUTION) => return None,
        (false, code) => {
            return Some(format!(
                "expected no solution (exit 1, `{NO_SOLUTION}`), got {code:?}: {stderr}"
            ));
        }
    }
    let lockfile = std::fs::read_to_string(dir.join("requirements.txt")).unwrap();
    let pins = match pins_of(&lockfile) {
        Ok(pins) => pins,
        Err(problem) => return Some(format!("{problem}; lockfile:\n{lockfile}")),
    };
    // Every universal answer must also hold up in each environment of the grid.
    if options.universal {
        let violations = common::universal::check_scenario(scenario, &lockfile);
        if !violations.is_empty() {
            return Some(format!(
                "universal oracle:\n{}\nlockfile:\n{lockfile}",
                violations.join("\n")
            ));
        }
    }
    for (package, version) in &expected.packages {
        let name = scenario.prefixed(package);
        let got: Vec<&String> = pins
            .get(&name)
            .into_iter()
            .flatten()
            .map(|(v, _)| v)
            .collect();
        if !got.iter().any(|got| pep440(got) == pep440(version)) {
            return Some(format!(
                "expected {name}=={version}, got {got:?}; lockfile:\n{lockfile}"
            ));
        }
    }
    None
}

/// `>=3.10.1` -> `3.10.1`: the lower bound of a Requires-Python.
fn lowest_python(requires_python: &str) -> String {
    let specifiers = pep440_rs::VersionSpecifiers::from_str(requires_python).unwrap();
    specifiers
        .iter()
        .find(|s| {
            matches!(
                s.operator(),
                pep440_rs::Operator::GreaterThanEqual | pep440_rs::Operator::Equal
            )
        })
        .map_or_else(|| "3.12".to_string(), |s| s.version().to_string())
}

/// The pins of a lockfile: name -> [(version, marker)]. A name pinned twice must be pinned
/// under markers no environment satisfies together (compared as marker algebra, not text).
fn pins_of(lockfile: &str) -> Result<BTreeMap<String, Vec<(String, MarkerTree)>>, String> {
    let mut pins: BTreeMap<String, Vec<(String, MarkerTree)>> = BTreeMap::new();
    for line in lockfile.lines().filter(|l| !l.starts_with([' ', '#'])) {
        let Some((name, rest)) = line.split_once("==") else {
            continue;
        };
        let name = name.split('[').next().unwrap().trim().to_string();
        let rest = rest.trim_end_matches('\\').trim();
        let (version, marker) = match rest.split_once(';') {
            Some((version, marker)) => {
                let marker = MarkerTree::from_str(marker.trim())
                    .map_err(|e| format!("`{line}`: the marker does not parse: {e}"))?;
                (version.trim().to_string(), marker)
            }
            None => (rest.to_string(), MarkerTree::TRUE),
        };
        let same_name = pins.entry(name).or_default();
        if let Some((other, _)) = same_name.iter().find(|(_, m)| !m.is_disjoint(&marker)) {
            return Err(format!(
                "`{line}` overlaps the pin of version {other}: one version per environment"
            ));
        }
        same_name.push((version, marker));
    }
    Ok(pins)
}

/// Versions compare as PEP 440 does (`1.0` == `1.0.0`) by normalizing trailing zeros.
fn pep440(version: &str) -> String {
    let (release, rest) = match version.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(at) => (&version[..at], &version[at..]),
        None => (version, ""),
    };
    let mut parts: Vec<&str> = release.split('.').collect();
    while parts.len() > 1 && parts.last() == Some(&"0") {
        parts.pop();
    }
    format!("{}{rest}", parts.join("."))
}

/// The scenario files of the development set (`DEV_SET.txt`), relative to the folder. Files
/// outside it are held out from development: they count towards the pass rate, but their
/// outcome cannot be listed in advance.
fn development_set(dir: &Path) -> Option<Vec<PathBuf>> {
    let text = std::fs::read_to_string(dir.join("DEV_SET.txt")).ok()?;
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| dir.join(l.trim()))
            .collect(),
    )
}

#[test]
fn conformance_scenarios() {
    let Some(dir) = common::scenarios_dir() else {
        return;
    };
    let development = development_set(&dir);
    let scenarios: Vec<(bool, Scenario)> = Scenario::load_all(&dir)
        .into_iter()
        .map(|(path, s)| {
            let known = development.as_ref().is_none_or(|dev| dev.contains(&path));
            (known, s)
        })
        .collect();
    assert!(
        !scenarios.is_empty(),
        "no scenarios under {}",
        dir.display()
    );
    let runnable = scenarios;
    let mut universe = PackageUniverse::new();
    for (_, scenario) in &runnable {
        universe.packages.extend(scenario.universe().packages);
    }
    // One project holds a folder per scenario; they share the index and the cache.
    let ctx = TestContext::new(&universe);
    let known = listed("scenarios-known-failures.txt");
    // Universal and required-environment scenarios run too, so nothing is skipped.
    let listed_skips = listed("scenarios-skipped.txt");
    assert!(
        listed_skips.is_empty(),
        "every scenario runs; testdata/scenarios-skipped.txt must list none: {listed_skips:?}"
    );
    let mut unexpected = Vec::new();
    let mut held_out_failures = Vec::new();
    let mut passed = 0;
    for (dev, scenario) in &runnable {
        let outcome = run(scenario, &ctx);
        match (outcome, known.get(&scenario.name)) {
            (None, None) => passed += 1,
            (None, Some(_)) => unexpected.push(format!(
                "{}: passes now; remove it from testdata/scenarios-known-failures.txt",
                scenario.name
            )),
            (Some(_), Some(_)) => {}
            (Some(problem), None) if *dev => {
                unexpected.push(format!("{}: {problem}", scenario.name));
            }
            (Some(problem), None) => {
                held_out_failures.push(format!("{}: {problem}", scenario.name))
            }
        }
    }
    eprintln!(
        "conformance: {passed} of {} scenarios pass ({} known failures)",
        runnable.len(),
        known.len()
    );
    for failure in &held_out_failures {
        eprintln!("held-out scenario failed: {failure}");
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n\n"));
    assert!(
        passed * 100 >= runnable.len() * 95,
        "fewer than 95% of the runnable scenarios pass:\n{}",
        held_out_failures.join("\n\n")
    );
}
