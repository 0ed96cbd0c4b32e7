//! Universal lockfiles (pins with markers, one name pinned twice under disjoint markers): the
//! oracle of `common::universal` on its own, then `sync` and `check` through the binary with
//! hand-written universal lockfiles against the local index.

#[path = "common/support.rs"]
pub mod common;

use std::path::{Path, PathBuf};

use common::universal::{self, Files, Oracle};
use common::{Package, PackageUniverse, Scenario, TestContext};
use predicates::prelude::PredicateBooleanExt;

/// `app` needs numpy everywhere and colorama on Windows; numpy 2.3 needs Python 3.10.
fn universe() -> PackageUniverse {
    PackageUniverse::new()
        .with(
            Package::new("app", "1.0")
                .dep("numpy>=2")
                .dep("colorama ; sys_platform == 'win32'")
                .extra("cli", &["click>=8"]),
        )
        .with(Package::new("click", "8.1.8").requires_python(">=3.7"))
        .with(Package::new("colorama", "0.4.6").requires_python(">=3.7"))
        .with(Package::new("numpy", "2.0.2").requires_python(">=3.9"))
        .with(Package::new("numpy", "2.3.4").requires_python(">=3.10"))
        .with(Package::new("uvloop", "0.21.0").requires_python(">=3.8"))
}

const GOOD: &str = "\
app==1.0
colorama==0.4.6 ; sys_platform == 'win32'
numpy==2.0.2 ; python_full_version < '3.10'
numpy==2.3.4 ; python_full_version >= '3.10'
uvloop==0.21.0 ; sys_platform != 'win32'
";

const ROOTS: &[&str] = &["app", "uvloop ; sys_platform != 'win32'"];

fn violations(lockfile: &str) -> Vec<String> {
    universal::check(lockfile, ROOTS, &universe(), "3.9")
}

/// The violation that mentions `needle`, or a panic showing them all.
fn find<'a>(violations: &'a [String], needle: &str) -> &'a str {
    violations
        .iter()
        .find(|v| v.contains(needle))
        .unwrap_or_else(|| panic!("no violation with `{needle}` in {violations:#?}"))
}

#[test]
fn oracle_passes_a_good_lockfile() {
    assert_eq!(violations(GOOD), Vec::<String>::new());
    // Hashes, comments and `# via` lines are read as pip reads them.
    let annotated = "--index-url https://example.invalid/simple\n\napp==1.0 \\\n    --hash=sha256:00\n    # via -r requirements.in\ncolorama==0.4.6 ; sys_platform == 'win32'  # windows\nnumpy==2.0.2 ; python_full_version < '3.10'\nnumpy==2.3.4 ; python_full_version >= '3.10'\nuvloop==0.21.0 ; sys_platform != 'win32'\n";
    assert_eq!(violations(annotated), Vec::<String>::new());
}

#[test]
fn oracle_finds_a_missing_windows_pin() {
    let lockfile = GOOD.replace("colorama==0.4.6 ; sys_platform == 'win32'\n", "");
    let found = violations(&lockfile);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0],
        "line 1 `app==1.0` requires `colorama ; sys_platform == 'win32'`, which has no active pin (in windows-x86_64 py3.9, windows-x86_64 py3.10, windows-x86_64 py3.11 and 9 more)"
    );
}

#[test]
fn oracle_finds_two_active_versions() {
    let lockfile = GOOD.replace("< '3.10'", "< '3.11'");
    let found = violations(&lockfile);
    let overlap = find(&found, "two active pins");
    assert!(overlap.starts_with(
        "`numpy` has two active pins: line 3 `numpy==2.0.2` and line 4 `numpy==2.3.4` (in linux-x86_64 py3.10, "
    ));
}

#[test]
fn oracle_finds_pins_outside_requires_python_and_unneeded_pins() {
    let lockfile = GOOD
        .replace("numpy==2.0.2 ; python_full_version < '3.10'\n", "")
        .replace(" ; python_full_version >= '3.10'", "")
        .replace(
            "colorama==0.4.6 ; sys_platform == 'win32'",
            "colorama==0.4.6",
        );
    let found = violations(&lockfile);
    find(
        &found,
        "line 3 `numpy==2.3.4` requires Python `>=3.10` (in linux-x86_64 py3.9,",
    );
    find(
        &found,
        "line 2 `colorama==0.4.6` is active, but nothing requires it there (in linux-x86_64 py3.9",
    );
}

#[test]
fn oracle_finds_a_pin_without_a_usable_wheel() {
    // numpy 2.3.4 ships Linux and Windows wheels only, no sdist: macOS has nothing to install.
    let mut universe = universe();
    universe.add(
        Package::new("numpy", "2.3.4")
            .requires_python(">=3.10")
            .no_sdist()
            .tags(&[
                "cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64",
                "cp311-cp311-manylinux_2_17_x86_64",
                "cp312-abi3-manylinux_2_17_x86_64",
                "cp312-abi3-manylinux_2_17_aarch64",
                "cp310-abi3-win_amd64",
                "cp310-abi3-win_arm64",
            ]),
    );
    let found = universal::check(GOOD, ROOTS, &universe, "3.9");
    let missing = find(&found, "has no wheel or sdist usable there");
    assert!(
        missing.starts_with("line 4 `numpy==2.3.4` has no wheel or sdist usable there (in linux-arm64 py3.10, linux-arm64 py3.11, macos-x86_64 py3.10 and "),
        "{missing}"
    );
    // Not a violation where no release has a file either, nor where no environment requires one.
    let lenient = Oracle::new(&universe, &strings(ROOTS), "3.9")
        .files(Files::Required(vec![
            "sys_platform == 'linux' and platform_machine == 'x86_64'"
                .parse()
                .unwrap(),
        ]))
        .check(GOOD);
    assert_eq!(lenient, Vec::<String>::new());
    let mac = Oracle::new(&universe, &strings(ROOTS), "3.9")
        .files(Files::Required(vec![
            "sys_platform == 'darwin'".parse().unwrap(),
        ]))
        .check(GOOD);
    assert_eq!(
        mac,
        [
            "line 4 `numpy==2.3.4` has no wheel or sdist usable in required environment `sys_platform == 'darwin'`"
        ]
    );
}

#[test]
fn oracle_follows_extras_and_the_roots() {
    let roots = ["app[cli]", "uvloop ; sys_platform != 'win32'"];
    let found = universal::check(GOOD, &roots, &universe(), "3.12");
    assert_eq!(
        found,
        [
            "line 1 `app==1.0` requires `click>=8`, which has no active pin (in linux-x86_64 py3.12, linux-x86_64 py3.13, linux-x86_64 py3.14 and 15 more)"
        ]
    );
    let with_click = format!("{GOOD}click==8.1.8\n");
    assert_eq!(
        universal::check(&with_click, &roots, &universe(), "3.12"),
        Vec::<String>::new()
    );
    // A root without a pin, and one outside its specifier.
    let found = universal::check(GOOD, &["app", "uvloop>1"], &universe(), "3.12");
    find(
        &found,
        "the root requires `uvloop>1`, but line 5 pins `uvloop==0.21.0` (in linux-x86_64 py3.12",
    );
    find(
        &found,
        "the root requires `uvloop>1`, which has no active pin (in windows-x86_64 py3.12",
    );
}

#[test]
fn oracle_grid_and_environments() {
    let universe = universe();
    let oracle = Oracle::new(&universe, &strings(ROOTS), "3.12");
    assert_eq!(oracle.grid().len(), 3 * 2 * 3);
    let windows =
        Oracle::new(&universe, &strings(ROOTS), "3.13").environments(&["sys_platform == 'win32'"]);
    assert_eq!(
        windows.grid(),
        [
            "windows-x86_64 py3.13",
            "windows-x86_64 py3.14",
            "windows-arm64 py3.13",
            "windows-arm64 py3.14"
        ]
    );
    // Only Windows: a lockfile without the other platforms' pins is complete.
    assert_eq!(
        windows.check("app==1.0\ncolorama==0.4.6\nnumpy==2.3.4\n"),
        Vec::<String>::new()
    );
}

#[test]
fn oracle_wheel_tags() {
    let env = |os, arch, minor| universal::environment(os, arch, minor, 0);
    use universal::{Arch::*, Os::*};
    let fits = |tag, e| universal::wheel_tag_fits(tag, &e);
    assert!(fits("py3-none-any", env(Linux, X86_64, 9)));
    assert!(fits("py2.py3-none-any", env(Windows, Arm64, 14)));
    assert!(fits("cp312-abi3-win_amd64", env(Windows, X86_64, 13)));
    assert!(!fits("cp312-abi3-win_amd64", env(Windows, X86_64, 11)));
    assert!(!fits("cp312-abi3-win_amd64", env(Windows, Arm64, 13)));
    assert!(fits(
        "cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64",
        env(Linux, Arm64, 13)
    ));
    assert!(!fits(
        "cp313-cp313-manylinux_2_17_aarch64",
        env(Linux, Arm64, 12)
    ));
    assert!(!fits(
        "cp313-cp313-musllinux_1_2_x86_64",
        env(Linux, X86_64, 13)
    ));
    assert!(fits(
        "cp311-cp311-macosx_10_9_universal2",
        env(Macos, Arm64, 11)
    ));
    assert!(fits("cp311-cp311-macosx_11_0_arm64", env(Macos, Arm64, 11)));
    assert!(!fits(
        "cp311-cp311-macosx_11_0_arm64",
        env(Macos, X86_64, 11)
    ));
    assert!(fits("py39-none-any", env(Macos, X86_64, 12)));
    assert!(!fits("py313-none-any", env(Macos, X86_64, 12)));
}

#[test]
fn oracle_on_scenarios() {
    // wheels/specific-architecture, as uv answers it: cp313-only wheels for Python 3.12 are
    // not a violation there (no release has one), on Python 3.13 they fit.
    let scenario: Scenario = toml::from_str(
        r#"
        name = "specific-architecture"
        [root]
        requires = ["a"]
        [expected]
        satisfiable = true
        [packages.a.versions."1.0.0"]
        requires = ["b ; platform_machine == 'x86_64'", "c ; platform_machine == 'aarch64'"]
        [packages.b.versions."1.0.0"]
        wheel_tags = ["cp313-cp313-manylinux2010_x86_64", "cp313-cp313-macosx_10_9_x86_64"]
        sdist = false
        [packages.c.versions."1.0.0"]
        wheel_tags = ["cp313-cp313-manylinux2010_aarch64"]
        sdist = false
        [resolver_options]
        universal = true
        "#,
    )
    .unwrap();
    let lockfile = "specific-architecture-a==1.0.0\nspecific-architecture-b==1.0.0 ; platform_machine == 'x86_64'\nspecific-architecture-c==1.0.0 ; platform_machine == 'aarch64'\n";
    assert_eq!(
        universal::check_scenario(&scenario, lockfile),
        Vec::<String>::new()
    );
    // Windows x86_64 has no file of `b` for any release on any Python: still fine for uv.
    // A lockfile that drops `c` is not.
    let without_c = "specific-architecture-a==1.0.0\nspecific-architecture-b==1.0.0 ; platform_machine == 'x86_64'\n";
    let found = universal::check_scenario(&scenario, without_c);
    find(
        &found,
        "requires `specific-architecture-c ; platform_machine == 'aarch64'`, which has no active pin (in linux-arm64 py3.12",
    );

    // wheels/requires-python-subset: `win-only` must have a wheel in the required
    // environments it is pinned in.
    let mut scenario: Scenario = toml::from_str(
        r#"
        name = "requires-python-subset"
        [root]
        requires = ["win-only; sys_platform == 'win32'"]
        [expected]
        satisfiable = true
        [packages.win-only.versions."1.0.0"]
        sdist = false
        wheel_tags = ["cp312-abi3-win_amd64"]
        [resolver_options]
        universal = true
        required_environments = ['sys_platform == "linux"', 'sys_platform == "win32"']
        "#,
    )
    .unwrap();
    let lockfile = "requires-python-subset-win-only==1.0.0 ; sys_platform == 'win32'\n";
    assert_eq!(
        universal::check_scenario(&scenario, lockfile),
        Vec::<String>::new()
    );
    scenario
        .packages
        .get_mut("win-only")
        .unwrap()
        .versions
        .get_mut("1.0.0")
        .unwrap()
        .wheel_tags = vec!["cp312-abi3-macosx_11_0_arm64".to_string()];
    let found = universal::check_scenario(&scenario, lockfile);
    find(
        &found,
        "has no wheel or sdist usable in required environment `sys_platform == 'win32'`",
    );
}

fn strings(lines: &[&str]) -> Vec<String> {
    lines.iter().map(ToString::to_string).collect()
}

/// `$(pyenv root)/versions/3.X.*/bin/python`, if pyenv has one.
fn pyenv_python(minor: u32) -> Option<PathBuf> {
    let root = std::process::Command::new("pyenv")
        .arg("root")
        .output()
        .ok()?;
    let root = PathBuf::from(String::from_utf8(root.stdout).ok()?.trim());
    let prefix = format!("3.{minor}.");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(root.join("versions"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        })
        .collect();
    versions.sort();
    let python = versions.pop()?.join("bin/python");
    python.exists().then_some(python)
}

/// A fresh venv of `python`, without pip.
fn venv(ctx: &TestContext, python: &Path, name: &str) -> PathBuf {
    let venv = ctx.path().join(name);
    let status = std::process::Command::new(python)
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success(), "{} -m venv", python.display());
    venv
}

/// `pip freeze` of the venv, and `pip check` passing, by the host's pip.
fn freeze_and_check(venv: &Path) -> String {
    let pip = |args: &[&str]| {
        let output = std::process::Command::new("python3")
            .args(["-m", "pip", "--python"])
            .arg(venv.join("bin/python"))
            .args(args)
            .arg("--disable-pip-version-check")
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env_remove("PIP_FIND_LINKS")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).to_lowercase();
        assert!(output.status.success(), "pip {args:?}: {stdout}");
        stdout
    };
    pip(&["check"]);
    pip(&["freeze", "--all"])
}

#[test]
fn sync_installs_the_pin_whose_marker_holds() {
    let ctx = TestContext::new(&universe());
    ctx.write_lockfile("requirements.txt", GOOD);
    let pythons: Vec<(u32, PathBuf)> = [9, 12]
        .into_iter()
        .filter_map(|minor| pyenv_python(minor).map(|p| (minor, p)))
        .collect();
    assert!(!pythons.is_empty(), "pyenv has neither Python 3.9 nor 3.12");
    for (minor, python) in &pythons {
        let venv = venv(&ctx, python, &format!("venv3{minor}"));
        ctx.sync_into(&venv)
            .arg("requirements.txt")
            .assert()
            .success();
        // Linux: uvloop (`!= 'win32'`) yes, colorama (`== 'win32'`) no; numpy by Python.
        let numpy = if *minor < 10 { "2.0.2" } else { "2.3.4" };
        assert_eq!(
            freeze_and_check(&venv),
            format!("app==1.0\nnumpy=={numpy}\nuvloop==0.21.0\n"),
            "Python 3.{minor}"
        );
        // Synced again: nothing to do.
        ctx.sync_into(&venv)
            .arg("requirements.txt")
            .assert()
            .success()
            .stderr(predicates::str::contains(
                "Everything is up to date (3 packages",
            ));
    }
    assert_eq!(violations(GOOD), Vec::<String>::new());
}

#[test]
fn sync_refuses_two_active_pins_of_one_name_and_installs_nothing_for_none() {
    let ctx = TestContext::new(&universe()).with_venv();
    let overlapping = GOOD.replace("< '3.10'", "< '3.99'");
    ctx.write_lockfile("requirements.txt", &overlapping);
    let output = pinion_snapshot!(
        "universal_overlapping_pins",
        ctx.filters(),
        ctx.sync().arg("requirements.txt")
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(freeze_and_check(ctx.venv()), "");
    // No pin active here: nothing to install, and nothing is an error.
    ctx.write_lockfile("windows.txt", "colorama==0.4.6 ; sys_platform == 'win32'\n");
    ctx.sync()
        .arg("windows.txt")
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "Everything is up to date (0 packages",
        ));
}

/// A universal lockfile's text: the header `compile --universal` writes, then `pins`.
fn universal_lockfile(ctx: &TestContext, pins: &str) -> String {
    format!(
        "#\n# This file is autogenerated by pinion 0.1.0 with Python 3.12\n# by the following command:\n#\n#    pinion compile --universal --python-version 3.9 requirements.in\n#\n--index-url {}\n\n{pins}",
        ctx.index_url()
    )
}

/// A project whose cache holds the metadata of every release of [`universe`] (as a universal
/// compile leaves it), with requirements.in.
fn check_project() -> TestContext {
    let ctx = TestContext::new(&universe());
    for (name, pins) in [
        ("old", "app[cli]\nnumpy==2.0.2\ncolorama\nuvloop\n"),
        ("new", "numpy==2.3.4\n"),
    ] {
        ctx.write(&format!("{name}.in"), pins);
        ctx.compile().arg(format!("{name}.in")).assert().success();
    }
    ctx.write(
        "requirements.in",
        "app\nuvloop ; sys_platform != 'win32'\ncolorama ; sys_platform == 'win32'\n",
    );
    ctx
}

#[test]
fn check_evaluates_inputs_across_the_universe() {
    let ctx = check_project();
    ctx.write("requirements.txt", &universal_lockfile(&ctx, GOOD));
    ctx.check()
        .arg("requirements.txt")
        .assert()
        .success()
        .stderr(predicates::str::contains("matches its inputs"))
        .stderr(predicates::str::contains("not in the cache").not());
    // The windows pin is missing, uvloop is pinned for Windows too, and numpy 2.0.2 also holds
    // on Python 3.10.
    let stale = GOOD
        .replace("colorama==0.4.6 ; sys_platform == 'win32'\n", "")
        .replace("uvloop==0.21.0 ; sys_platform != 'win32'", "uvloop==0.21.0")
        .replace("< '3.10'", "< '3.11'");
    ctx.write("requirements.txt", &universal_lockfile(&ctx, &stale));
    let output = pinion_snapshot!(
        "universal_check_stale",
        ctx.filters(),
        ctx.check().arg("requirements.txt")
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn oracle_reads_what_pinion_compile_writes() {
    // A testdata index, and a lockfile with its header, index line, hashes and `# via`
    // comments: right for the target it was compiled for (Linux, Python 3.12).
    let universe = PackageUniverse::testdata("basic");
    let ctx = TestContext::new(&universe);
    ctx.write("requirements.in", "requests[socks]\n");
    ctx.compile()
        .args(["--generate-hashes", "requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.read("requirements.txt");
    let linux = Oracle::new(&universe, &strings(&["requests[socks]"]), "3.12")
        .environments(&["sys_platform == 'linux' and python_version == '3.12'"]);
    assert_eq!(linux.grid().len(), 2);
    assert_eq!(linux.check(&lockfile), Vec::<String>::new());
}

/// The oracle on the reference resolver's answers: every universal scenario of
/// PINION_SCENARIOS, compiled by the `uv` that PINION_UV names (`uv pip compile --universal`
/// from a find-links folder of the scenario's files), must pass [`universal::check_scenario`].
/// Skipped unless PINION_UV is set: uv is not part of the test environment.
#[test]
fn oracle_accepts_what_uv_answers() {
    let (Some(uv), Some(dir)) = (std::env::var_os("PINION_UV"), common::scenarios_dir()) else {
        eprintln!("skipped: PINION_UV names no uv");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut problems = Vec::new();
    for (_, scenario) in Scenario::load_all(&dir) {
        let options = &scenario.resolver_options;
        if !options.universal || !scenario.expected.satisfiable {
            continue;
        }
        let folder = work.path().join(&scenario.name);
        common::BuiltIndex::build(&scenario.universe()).write_to_dir(&folder.join("files"));
        std::fs::write(
            folder.join("requirements.in"),
            scenario.root_requirements().join("\n") + "\n",
        )
        .unwrap();
        let python = universal::lower_bound(&scenario.root.requires_python).unwrap();
        let output = std::process::Command::new(&uv)
            .current_dir(&folder)
            .args([
                "pip",
                "compile",
                "-q",
                "--no-config",
                "--universal",
                "--no-header",
            ])
            .args(["--no-annotate", "--no-index", "--find-links", "files"])
            .args(["--python-version", &python, "-o", "requirements.txt"])
            .arg("requirements.in")
            .env_remove("PIP_FIND_LINKS")
            .output()
            .unwrap();
        if !output.status.success() {
            eprintln!(
                "{}: uv failed: {}",
                scenario.name,
                String::from_utf8_lossy(&output.stderr)
            );
            continue;
        }
        let lockfile = std::fs::read_to_string(folder.join("requirements.txt")).unwrap();
        checked += 1;
        for violation in universal::check_scenario(&scenario, &lockfile) {
            problems.push(format!("{}: {violation}\n{lockfile}", scenario.name));
        }
    }
    eprintln!("the oracle checked {checked} lockfiles of uv");
    assert!(problems.is_empty(), "{problems:#?}");
}
