//! The team workflow through the binary: `compile --check`, `pinion check`, pyproject.toml
//! inputs, `[tool.pinion]` settings, several inputs in one call, and the requirements-examples
//! Makefile against the local index.

#[path = "common/support.rs"]
pub mod common;

use std::path::{Path, PathBuf};

use common::{Package, PackageUniverse, TestContext};

/// A project against the basic index plus `six`.
fn project() -> TestContext {
    TestContext::new(
        &PackageUniverse::testdata("basic")
            .with(Package::new("six", "1.16.0").requires_python(">=2.7")),
    )
}

#[test]
fn compile_check_passes_when_fresh_and_shows_the_diff_when_stale() {
    let ctx = project();
    ctx.write("requirements.in", "requests==2.31.0\n");
    ctx.compile().arg("requirements.in").assert().success();
    let before = ctx.read("requirements.txt");

    pinion_snapshot!(
        "check_fresh",
        ctx.filters(),
        ctx.compile().args(["--check", "requirements.in"])
    );

    ctx.write("requirements.in", "requests==2.32.3\nidna<3.10\n");
    pinion_snapshot!(
        "check_stale",
        ctx.filters(),
        ctx.compile().args(["--check", "requirements.in"])
    );
    assert_eq!(
        ctx.read("requirements.txt"),
        before,
        "--check writes nothing"
    );

    std::fs::remove_file(ctx.path().join("requirements.txt")).unwrap();
    ctx.compile()
        .args(["--check", "requirements.in"])
        .assert()
        .code(1);
    assert!(!ctx.path().join("requirements.txt").exists());
}

#[test]
fn compile_check_compiles_with_the_flags_the_header_records() {
    // A pre-commit hook runs `pinion compile --check requirements.in` with no other flags.
    let ctx = project();
    ctx.write("constraints.txt", "idna<3.10\n");
    ctx.write("requirements.in", "requests\n");
    ctx.compile()
        .args(["--generate-hashes", "--annotation-style", "line"])
        .args(["-c", "constraints.txt", "requirements.in"])
        .assert()
        .success();
    ctx.pinion()
        .args(["compile", "--check", "requirements.in"])
        .assert()
        .success();
}

/// Regression: `[tool.pinion]`'s `python-version` and `annotation-style` used to override the
/// flags the lockfile's header recorded under `compile --check`, so a lockfile compiled with
/// explicit flags was always reported stale.
#[test]
fn compile_check_ranks_the_header_above_tool_pinion() {
    let ctx = project();
    ctx.write(
        "pyproject.toml",
        "[tool.pinion]\npython-version = \"3.11\"\nannotation-style = \"line\"\n",
    );
    ctx.write("requirements.in", "requests\n");
    // `compile` passes `--python-version 3.12`.
    ctx.compile()
        .args(["--annotation-style", "split", "requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.lockfile("requirements.txt");
    assert!(lockfile.contains("with Python 3.12"), "{lockfile}");
    assert!(lockfile.contains("\n    # via"), "split style: {lockfile}");
    ctx.pinion()
        .args(["compile", "--check", "requirements.in"])
        .assert()
        .success();
}

#[test]
fn compile_check_works_offline_from_the_cache() {
    let ctx = project();
    ctx.write("requirements.in", "requests\n");
    ctx.compile().arg("requirements.in").assert().success();
    ctx.compile()
        .args(["--check", "--offline", "requirements.in"])
        .assert()
        .success();
}

#[test]
fn compile_check_ignores_where_the_command_ran() {
    // A pre-commit hook runs at the repository root and names `sub/requirements.in`; the
    // lockfile was made inside `sub/` with `requirements.in`.
    let ctx = project();
    ctx.write("sub/requirements.in", "requests\n");
    ctx.compile()
        .current_dir(ctx.path().join("sub"))
        .arg("requirements.in")
        .assert()
        .success();
    ctx.compile()
        .args(["--check", "sub/requirements.in"])
        .assert()
        .success();
}

#[test]
fn check_prints_one_line_per_problem() {
    let ctx = project();
    ctx.write("requirements.in", "requests[socks]==2.31.0\n");
    ctx.compile()
        .args(["--generate-hashes", "requirements.in"])
        .assert()
        .success();
    pinion_snapshot!(
        "check_clean",
        ctx.filters(),
        ctx.check().arg("requirements.txt")
    );

    // The inputs move on; the lockfile does not. And someone edits the lockfile by hand.
    ctx.write(
        "requirements.in",
        "requests[socks]>=2.32\nclick>=8 ; python_version >= '3.8'\nrich ; python_version < '3.0'\n",
    );
    let mut lockfile = String::new();
    let mut skipping = false;
    for line in ctx.read("requirements.txt").lines() {
        if !line.starts_with(' ') {
            skipping = line.starts_with("certifi==");
        }
        if !skipping {
            lockfile.push_str(line);
            lockfile.push('\n');
        }
    }
    lockfile.push_str("six==1.16.0\n    # via -r requirements.in\n");
    ctx.write("requirements.txt", &lockfile);
    pinion_snapshot!(
        "check_stale_lockfile",
        ctx.filters(),
        ctx.check().arg("requirements.txt")
    );
}

#[test]
fn check_without_cached_metadata_says_what_it_could_not_check() {
    let ctx = project();
    ctx.write("requirements.in", "requests\n");
    ctx.compile().arg("requirements.in").assert().success();
    std::fs::remove_dir_all(ctx.cache_dir()).unwrap();
    pinion_snapshot!(ctx.filters(), ctx.check());
}

#[test]
fn check_finds_the_sibling_in_file_without_a_header() {
    let ctx = project();
    ctx.write("requirements.in", "requests>=2.32\n");
    ctx.write("requirements.txt", "requests==2.31.0\n");
    pinion_snapshot!(ctx.filters(), ctx.check());
}

const PYPROJECT: &str = r#"[project]
name = "my-app"
version = "1.0"
dependencies = ["requests>=2.31"]

[project.optional-dependencies]
socks = ["pysocks"]

[dependency-groups]
test = ["six"]
"#;

#[test]
fn pyproject_dependencies_extras_and_groups() {
    let ctx = project();
    ctx.write("pyproject.toml", PYPROJECT);
    ctx.compile().arg("pyproject.toml").assert().success();
    insta::assert_snapshot!("pyproject_plain", ctx.lockfile("requirements.txt"));

    ctx.compile()
        .args(["pyproject.toml", "--extra", "socks", "--group", "test"])
        .args(["-o", "requirements-all.txt"])
        .assert()
        .success();
    let all = ctx.lockfile("requirements-all.txt");
    assert!(
        all.contains("pysocks==1.7.1\n    # via my-app (pyproject.toml)"),
        "{all}"
    );
    assert!(all.contains("six==1.16.0"), "{all}");
    ctx.check().arg("requirements-all.txt").assert().success();

    pinion_snapshot!(
        "pyproject_unknown_extra",
        ctx.filters(),
        ctx.compile()
            .args(["pyproject.toml", "--extra", "docs", "--dry-run"])
    );
}

#[test]
fn pyproject_with_dynamic_dependencies_needs_a_build() {
    let ctx = project();
    ctx.write(
        "pyproject.toml",
        "[project]\nname = \"x\"\nversion = \"1\"\ndynamic = [\"dependencies\"]\n",
    );
    // `--python-version` alone now builds with the interpreter pinion finds; without builds
    // the project cannot be described.
    ctx.compile()
        .args(["--no-build", "pyproject.toml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("only a build of the project"));
}

#[test]
fn tool_pinion_settings_are_defaults_the_command_line_overrides() {
    let ctx = project();
    ctx.write(
        "pyproject.toml",
        "[tool.pinion]\ngenerate-hashes = true\nannotation-style = \"line\"\n",
    );
    ctx.write("requirements.in", "idna\n");
    ctx.compile().arg("requirements.in").assert().success();
    let lockfile = ctx.lockfile("requirements.txt");
    assert!(
        lockfile.contains("idna==3.10 \\\n    --hash=sha256:"),
        "{lockfile}"
    );
    // The `# via` follows the hashes: before a `\\` it would hide them from pip.
    assert!(
        lockfile.contains("--hash=sha256:60c6462f03ce2285aa475deedb1f37be41c2619b50d039f0d0635a022fea2757\n    # via -r requirements.in\n"),
        "{lockfile}"
    );

    ctx.compile()
        .args(["--annotation-style", "split", "--no-generate-hashes"])
        .arg("requirements.in")
        .assert()
        .success();
    let lockfile = ctx.lockfile("requirements.txt");
    assert!(
        lockfile.contains("idna==3.10\n    # via -r requirements.in\n"),
        "{lockfile}"
    );

    ctx.compile()
        .args(["--no-config", "requirements.in"])
        .assert()
        .success();
    assert!(!ctx.read("requirements.txt").contains("--hash"));

    ctx.write("other.toml", "[tool.pinion]\nannotation-style = \"line\"\n");
    ctx.compile()
        .args(["--config", "other.toml", "requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.lockfile("requirements.txt");
    assert!(
        lockfile.contains("idna==3.10  # via -r requirements.in\n"),
        "{lockfile}"
    );
}

#[test]
fn a_bad_setting_is_shown_where_it_is() {
    let ctx = project();
    ctx.write(
        "pyproject.toml",
        "[project]\nname = \"x\"\n\n[tool.pinion]\ngenerate-hashes = true\nhashes = true\n",
    );
    ctx.write("requirements.in", "idna\n");
    pinion_snapshot!(ctx.filters(), ctx.compile().arg("requirements.in"));
}

#[test]
fn several_inputs_run_in_dependency_order() {
    let ctx = project();
    ctx.write("requirements.in", "requests==2.31.0\n");
    ctx.write("requirements-dev.in", "-r requirements.txt\nsix\n");
    // The dev input comes first on the command line, but needs requirements.txt first.
    ctx.compile()
        .args(["requirements-dev.in", "requirements.in"])
        .assert()
        .success();
    let dev = ctx.lockfile("requirements-dev.txt");
    assert!(dev.contains("requests==2.31.0"), "{dev}");
    assert!(dev.contains("six==1.16.0"), "{dev}");
    // Each header names only its own input.
    assert!(
        dev.contains(
            "#    pinion compile --index-url [INDEX] --python-version 3.12 requirements-dev.in\n"
        ),
        "{dev}"
    );
    let prod = ctx.lockfile("requirements.txt");
    assert!(
        prod.contains("--python-version 3.12 requirements.in\n"),
        "{prod}"
    );
    assert!(!prod.contains("six"), "{prod}");
    ctx.check()
        .args(["requirements.txt", "requirements-dev.txt"])
        .assert()
        .success();
}

/// Copy requirements-examples/ into a temp dir and run its Makefile targets there.
#[test]
fn the_example_makefile_builds_dev_and_prod_venvs() {
    if std::process::Command::new("make")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no make");
        return;
    }
    let ctx = TestContext::new(&PackageUniverse::testdata("examples"));
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("requirements-examples");
    for name in ["Makefile", "requirements.in", "requirements-dev.in"] {
        std::fs::copy(examples.join(name), ctx.path().join(name)).unwrap();
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_pinion"));
    let make = |target: &str| {
        std::process::Command::new("make")
            .current_dir(ctx.path())
            .arg(target)
            .arg(format!("PINION={}", binary.display()))
            .arg(format!("INDEX_URL={}", ctx.index_url()))
            .arg("VENV_FLAGS=--without-pip")
            .env("NO_COLOR", "1")
            .env("PINION_CACHE_DIR", ctx.cache_dir())
            .env_remove("VIRTUAL_ENV")
            .output()
            .unwrap()
    };
    let installed = || -> Vec<String> {
        let site = glob_site_packages(&ctx.path().join(".venv"));
        let mut names: Vec<String> = std::fs::read_dir(site)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".dist-info"))
            .collect();
        names.sort();
        names
    };

    ok(&make("dev"));
    let dev = installed();
    assert!(
        dev.contains(&"pytest-8.3.3.dist-info".to_string()),
        "{dev:?}"
    );
    assert!(
        dev.contains(&"requests-2.32.3.dist-info".to_string()),
        "{dev:?}"
    );
    assert!(ctx.read("requirements-dev.txt").contains("--hash=sha256:"));
    assert!(ctx.path().join(".venv/bin/pytest").exists());
    ok(&make("check"));

    ok(&make("prod"));
    let prod = installed();
    assert!(!prod.iter().any(|n| n.starts_with("pytest")), "{prod:?}");
    assert!(
        prod.contains(&"click-8.1.7.dist-info".to_string()),
        "{prod:?}"
    );

    // A new requirement without recompiling: check fails and names the line.
    ctx.write("requirements.in", "requests>=2.31\nclick>=8\nidna<3\n");
    let stale = make("check");
    assert!(!stale.status.success());
    let stdout = String::from_utf8_lossy(&stale.stdout);
    assert!(
        stdout.contains("requirements.in:3:1: `idna<3` is not satisfied by `idna==3.10`"),
        "{stdout}"
    );
}

/// What `make` printed when it failed.
fn ok(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "exit {:?}\n{}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn glob_site_packages(venv: &Path) -> PathBuf {
    let lib = venv.join("lib");
    let python = std::fs::read_dir(&lib)
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().starts_with("python"))
        .unwrap();
    python.path().join("site-packages")
}

/// Regression: the header copied argv word for word, so a password in an index URL reached the
/// committed lockfile, and a path with a space came back as two inputs in `check`.
#[test]
fn the_header_hides_passwords_and_quotes_paths() {
    let ctx = project();
    ctx.write("my reqs.in", "idna\n");
    let mut url = url::Url::parse(&ctx.index_url()).unwrap();
    url.set_username("me").unwrap();
    url.set_password(Some("secret")).unwrap();
    ctx.pinion()
        .args([
            "compile",
            "--index-url",
            url.as_str(),
            "--python-version",
            "3.12",
        ])
        .arg("my reqs.in")
        .assert()
        .success();
    let lockfile = ctx.read("my reqs.txt");
    assert!(!lockfile.contains("secret"), "{lockfile}");
    assert!(lockfile.contains("'my reqs.in'"), "{lockfile}");
    ctx.check().arg("my reqs.txt").assert().success();
}

#[test]
fn check_reads_a_bare_compile_header_with_its_flags() {
    let ctx = project();
    ctx.write("requirements.in", "idna\n");
    // `pinion compile --generate-hashes` with the default input.
    ctx.compile().arg("--generate-hashes").assert().success();
    let lockfile = ctx.read("requirements.txt");
    assert!(
        lockfile.contains("#    pinion compile --index-url"),
        "{lockfile}"
    );
    // Strip one hash-bearing pin's hashes by hand: the recorded --generate-hashes must catch it.
    let edited: String = lockfile
        .lines()
        .filter(|l| !l.trim_start().starts_with("--hash="))
        .map(|l| format!("{}\n", l.trim_end_matches(" \\")))
        .collect();
    ctx.write("requirements.txt", &edited);
    ctx.check()
        .assert()
        .code(1)
        .stdout(predicates::str::contains("has no `--hash`"));
}
