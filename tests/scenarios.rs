//! The resolver conformance scenarios (../shared/scenarios, packse format) through the binary:
//! every scenario's universe is served from one local index, its root requirements compiled
//! with its options, and the result compared with what a correct resolver answers.
//!
//! Scenarios that ask for universal resolution or required environments are skipped (pip-compile
//! has no such mode). Scenarios pinion is known to fail are listed with the reason in
//! `testdata/scenarios-known-failures.txt`; the test fails when one of them starts passing (so the
//! list stays true) or when any other scenario fails.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{IndexServer, PackageUniverse, Scenario};

fn known_failures() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scenarios-known-failures.txt");
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
fn run(scenario: &Scenario, index: &str, cache: &Path, work: &Path) -> Option<String> {
    let dir = work.join(&scenario.name);
    std::fs::create_dir_all(&dir).unwrap();
    let mut lines = scenario.root_requirements();
    for name in &scenario.resolver_options.no_binary {
        lines.push(format!("--no-binary {}", scenario.prefixed(name)));
    }
    for name in &scenario.resolver_options.no_build {
        lines.push(format!("--only-binary {}", scenario.prefixed(name)));
    }
    std::fs::write(dir.join("requirements.in"), lines.join("\n") + "\n").unwrap();
    let python = scenario
        .resolver_options
        .python
        .clone()
        .unwrap_or_else(|| scenario.environment.python.clone());
    let mut cmd = Command::cargo_bin("pinion").unwrap();
    cmd.current_dir(&dir)
        .env("NO_COLOR", "1")
        .args(["compile", "--no-header", "--no-annotate", "-q"])
        .args(["--index-url", index, "--python-version", &python])
        .arg("--cache-dir")
        .arg(cache)
        .args(["-o", "requirements.txt", "requirements.in"]);
    if scenario.resolver_options.prereleases {
        cmd.arg("--pre");
    }
    if let Some(platform) = &scenario.resolver_options.python_platform {
        cmd.args(["--python-platform", platform]);
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
        (false, Some(1)) => return None,
        (false, code) => {
            return Some(format!(
                "expected a conflict (exit 1), got {code:?}: {stderr}"
            ));
        }
    }
    let lockfile = std::fs::read_to_string(dir.join("requirements.txt")).unwrap();
    let pins: BTreeMap<String, String> = lockfile
        .lines()
        .filter_map(|l| l.split_once("=="))
        .map(|(name, version)| {
            let name = name.split('[').next().unwrap().trim().to_string();
            let version = version.split_whitespace().next().unwrap_or("").to_string();
            (name, version)
        })
        .collect();
    for (package, version) in &expected.packages {
        let name = scenario.prefixed(package);
        let got = pins.get(&name);
        let same = got.is_some_and(|got| pep440(got) == pep440(version));
        if !same {
            return Some(format!(
                "expected {name}=={version}, got {got:?}; lockfile:\n{lockfile}"
            ));
        }
    }
    None
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

#[test]
fn conformance_scenarios() {
    let Some(dir) = std::env::var_os("PINION_SCENARIOS").map(PathBuf::from) else {
        eprintln!("PINION_SCENARIOS is not set; skipping the conformance scenarios");
        return;
    };
    let scenarios: Vec<Scenario> = Scenario::load_all(&dir)
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert!(
        !scenarios.is_empty(),
        "no scenarios under {}",
        dir.display()
    );
    let (skipped, runnable): (Vec<_>, Vec<_>) = scenarios.into_iter().partition(|s| {
        s.resolver_options.universal || !s.resolver_options.required_environments.is_empty()
    });
    let mut universe = PackageUniverse::new();
    for scenario in &runnable {
        universe.packages.extend(scenario.universe().packages);
    }
    let server = IndexServer::serve(&universe);
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let known = known_failures();
    let mut unexpected = Vec::new();
    let mut passed = 0;
    for scenario in &runnable {
        let outcome = run(scenario, &server.url(), &cache, work.path());
        match (outcome, known.get(&scenario.name)) {
            (None, None) => passed += 1,
            (None, Some(_)) => unexpected.push(format!(
                "{}: passes now; remove it from testdata/scenarios-known-failures.txt",
                scenario.name
            )),
            (Some(_), Some(_)) => {}
            (Some(problem), None) => unexpected.push(format!("{}: {problem}", scenario.name)),
        }
    }
    eprintln!(
        "conformance: {passed} of {} runnable scenarios pass ({} known failures, {} skipped as universal)",
        runnable.len(),
        known.len(),
        skipped.len()
    );
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n\n"));
}
