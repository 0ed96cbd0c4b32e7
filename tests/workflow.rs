//! The team workflow through the binary: `compile --check`, `pinion check`, pyproject.toml
//! inputs, `[tool.pinion]` settings, several inputs in one call, and the requirements-examples
//! Makefile against the local index.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{IndexServer, Package, PackageUniverse, pinion, render_against, write_file};
use tempfile::TempDir;

struct Project {
    dir: TempDir,
    server: IndexServer,
}

impl Project {
    fn new() -> Self {
        Self::serving(
            &PackageUniverse::testdata("basic")
                .with(Package::new("six", "1.16.0").requires_python(">=2.7")),
        )
    }

    fn with(universe: &str) -> Self {
        Self::serving(&PackageUniverse::testdata(universe))
    }

    fn serving(universe: &PackageUniverse) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            server: IndexServer::serve(universe),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, content: &str) {
        write_file(self.path(), name, content);
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap()
    }

    /// `pinion compile --index-url <local> --python-version 3.12 ARGS`.
    fn compile(&self, args: &[&str]) -> Output {
        pinion(self.path())
            .args(["compile", "--index-url", &self.server.url()])
            .args(["--python-version", "3.12"])
            .args(args)
            .output()
            .unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        pinion(self.path()).args(args).output().unwrap()
    }

    fn render(&self, output: &Output) -> String {
        render_against(output, &self.server, self.path())
    }

    fn lockfile(&self, name: &str) -> String {
        self.read(name).replace(&self.server.url(), "[INDEX]")
    }
}

fn ok(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\n{}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn compile_check_passes_when_fresh_and_shows_the_diff_when_stale() {
    let p = Project::new();
    p.write("requirements.in", "requests==2.31.0\n");
    ok(&p.compile(&["requirements.in"]));
    let before = p.read("requirements.txt");

    let fresh = p.compile(&["--check", "requirements.in"]);
    insta::assert_snapshot!("check_fresh", p.render(&fresh));

    p.write("requirements.in", "requests==2.32.3\nidna<3.10\n");
    let stale = p.compile(&["--check", "requirements.in"]);
    insta::assert_snapshot!("check_stale", p.render(&stale));
    assert_eq!(p.read("requirements.txt"), before, "--check writes nothing");

    std::fs::remove_file(p.path().join("requirements.txt")).unwrap();
    let missing = p.compile(&["--check", "requirements.in"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(!p.path().join("requirements.txt").exists());
}

#[test]
fn compile_check_compiles_with_the_flags_the_header_records() {
    // A pre-commit hook runs `pinion compile --check requirements.in` with no other flags.
    let p = Project::new();
    p.write("constraints.txt", "idna<3.10\n");
    p.write("requirements.in", "requests\n");
    ok(&p.compile(&[
        "--generate-hashes",
        "--annotation-style",
        "line",
        "-c",
        "constraints.txt",
        "requirements.in",
    ]));
    let fresh = pinion(p.path())
        .args(["compile", "--check", "requirements.in"])
        .output()
        .unwrap();
    ok(&fresh);
}

/// Regression: `[tool.pinion]`'s `python-version` and `annotation-style` used to override the
/// flags the lockfile's header recorded under `compile --check`, so a lockfile compiled with
/// explicit flags was always reported stale.
#[test]
fn compile_check_ranks_the_header_above_tool_pinion() {
    let p = Project::new();
    p.write(
        "pyproject.toml",
        "[tool.pinion]\npython-version = \"3.11\"\nannotation-style = \"line\"\n",
    );
    p.write("requirements.in", "requests\n");
    // `compile` passes `--python-version 3.12`.
    ok(&p.compile(&["--annotation-style", "split", "requirements.in"]));
    let lockfile = p.lockfile("requirements.txt");
    assert!(lockfile.contains("with Python 3.12"), "{lockfile}");
    assert!(lockfile.contains("\n    # via"), "split style: {lockfile}");
    let fresh = pinion(p.path())
        .args(["compile", "--check", "requirements.in"])
        .output()
        .unwrap();
    ok(&fresh);
}

#[test]
fn compile_check_works_offline_from_the_cache() {
    let p = Project::new();
    p.write("requirements.in", "requests\n");
    ok(&p.compile(&["requirements.in"]));
    ok(&p.compile(&["--check", "--offline", "requirements.in"]));
}

#[test]
fn compile_check_ignores_where_the_command_ran() {
    // A pre-commit hook runs at the repository root and names `sub/requirements.in`; the
    // lockfile was made inside `sub/` with `requirements.in`.
    let p = Project::new();
    p.write("sub/requirements.in", "requests\n");
    let inside = pinion(&p.path().join("sub"))
        .env("PINION_CACHE_DIR", p.path().join(".cache"))
        .args(["compile", "--index-url", &p.server.url()])
        .args(["--python-version", "3.12", "requirements.in"])
        .output()
        .unwrap();
    ok(&inside);
    ok(&p.compile(&["--check", "sub/requirements.in"]));
}

#[test]
fn check_prints_one_line_per_problem() {
    let p = Project::new();
    p.write("requirements.in", "requests[socks]==2.31.0\n");
    ok(&p.compile(&["--generate-hashes", "requirements.in"]));
    let clean = p.run(&["check", "requirements.txt"]);
    insta::assert_snapshot!("check_clean", p.render(&clean));

    // The inputs move on; the lockfile does not. And someone edits the lockfile by hand.
    p.write(
        "requirements.in",
        "requests[socks]>=2.32\nclick>=8 ; python_version >= '3.8'\nrich ; python_version < '3.0'\n",
    );
    let mut lockfile = String::new();
    let mut skipping = false;
    for line in p.read("requirements.txt").lines() {
        if !line.starts_with(' ') {
            skipping = line.starts_with("certifi==");
        }
        if !skipping {
            lockfile.push_str(line);
            lockfile.push('\n');
        }
    }
    lockfile.push_str("six==1.16.0\n    # via -r requirements.in\n");
    p.write("requirements.txt", &lockfile);
    let stale = p.run(&["check", "requirements.txt"]);
    insta::assert_snapshot!("check_stale_lockfile", p.render(&stale));
}

#[test]
fn check_without_cached_metadata_says_what_it_could_not_check() {
    let p = Project::new();
    p.write("requirements.in", "requests\n");
    ok(&p.compile(&["requirements.in"]));
    std::fs::remove_dir_all(p.path().join(".cache")).unwrap();
    let output = p.run(&["check"]);
    insta::assert_snapshot!(p.render(&output));
}

#[test]
fn check_finds_the_sibling_in_file_without_a_header() {
    let p = Project::new();
    p.write("requirements.in", "requests>=2.32\n");
    p.write("requirements.txt", "requests==2.31.0\n");
    let output = p.run(&["check"]);
    insta::assert_snapshot!(p.render(&output));
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
    let p = Project::new();
    p.write("pyproject.toml", PYPROJECT);
    ok(&p.compile(&["pyproject.toml"]));
    insta::assert_snapshot!("pyproject_plain", p.lockfile("requirements.txt"));

    ok(&p.compile(&[
        "pyproject.toml",
        "--extra",
        "socks",
        "--group",
        "test",
        "-o",
        "requirements-all.txt",
    ]));
    let all = p.lockfile("requirements-all.txt");
    assert!(
        all.contains("pysocks==1.7.1\n    # via my-app (pyproject.toml)"),
        "{all}"
    );
    assert!(all.contains("six==1.16.0"), "{all}");
    ok(&p.run(&["check", "requirements-all.txt"]));

    let unknown = p.compile(&["pyproject.toml", "--extra", "docs", "--dry-run"]);
    insta::assert_snapshot!("pyproject_unknown_extra", p.render(&unknown));
}

#[test]
fn pyproject_with_dynamic_dependencies_needs_a_build() {
    let p = Project::new();
    p.write(
        "pyproject.toml",
        "[project]\nname = \"x\"\nversion = \"1\"\ndynamic = [\"dependencies\"]\n",
    );
    let output = p.compile(&["pyproject.toml"]);
    assert_eq!(output.status.code(), Some(2));
    let text = p.render(&output);
    assert!(text.contains("only a build of the project"), "{text}");
}

#[test]
fn tool_pinion_settings_are_defaults_the_command_line_overrides() {
    let p = Project::new();
    p.write(
        "pyproject.toml",
        "[tool.pinion]\ngenerate-hashes = true\nannotation-style = \"line\"\n",
    );
    p.write("requirements.in", "idna\n");
    ok(&p.compile(&["requirements.in"]));
    let lockfile = p.lockfile("requirements.txt");
    assert!(
        lockfile.contains("idna==3.10  # via -r requirements.in \\\n    --hash=sha256:"),
        "{lockfile}"
    );

    ok(&p.compile(&[
        "--annotation-style",
        "split",
        "--no-generate-hashes",
        "requirements.in",
    ]));
    let lockfile = p.lockfile("requirements.txt");
    assert!(
        lockfile.contains("idna==3.10\n    # via -r requirements.in\n"),
        "{lockfile}"
    );

    ok(&p.compile(&["--no-config", "requirements.in"]));
    assert!(!p.read("requirements.txt").contains("--hash"));

    p.write("other.toml", "[tool.pinion]\nannotation-style = \"line\"\n");
    ok(&p.compile(&["--config", "other.toml", "requirements.in"]));
    let lockfile = p.lockfile("requirements.txt");
    assert!(
        lockfile.contains("idna==3.10  # via -r requirements.in\n"),
        "{lockfile}"
    );
}

#[test]
fn a_bad_setting_is_shown_where_it_is() {
    let p = Project::new();
    p.write(
        "pyproject.toml",
        "[project]\nname = \"x\"\n\n[tool.pinion]\ngenerate-hashes = true\nhashes = true\n",
    );
    p.write("requirements.in", "idna\n");
    let output = p.compile(&["requirements.in"]);
    insta::assert_snapshot!(p.render(&output));
}

#[test]
fn several_inputs_run_in_dependency_order() {
    let p = Project::new();
    p.write("requirements.in", "requests==2.31.0\n");
    p.write("requirements-dev.in", "-r requirements.txt\nsix\n");
    // The dev input comes first on the command line, but needs requirements.txt first.
    let output = p.compile(&["requirements-dev.in", "requirements.in"]);
    ok(&output);
    let dev = p.lockfile("requirements-dev.txt");
    assert!(dev.contains("requests==2.31.0"), "{dev}");
    assert!(dev.contains("six==1.16.0"), "{dev}");
    // Each header names only its own input.
    assert!(
        dev.contains(
            "#    pinion compile --index-url [INDEX] --python-version 3.12 requirements-dev.in\n"
        ),
        "{dev}"
    );
    let prod = p.lockfile("requirements.txt");
    assert!(
        prod.contains("--python-version 3.12 requirements.in\n"),
        "{prod}"
    );
    assert!(!prod.contains("six"), "{prod}");
    ok(&p.run(&["check", "requirements.txt", "requirements-dev.txt"]));
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
    let p = Project::with("examples");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("requirements-examples");
    for name in ["Makefile", "requirements.in", "requirements-dev.in"] {
        std::fs::copy(examples.join(name), p.path().join(name)).unwrap();
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_pinion"));
    let make = |target: &str| {
        std::process::Command::new("make")
            .current_dir(p.path())
            .arg(target)
            .arg(format!("PINION={}", binary.display()))
            .arg(format!("INDEX_URL={}", p.server.url()))
            .arg("VENV_FLAGS=--without-pip")
            .env("NO_COLOR", "1")
            .env("PINION_CACHE_DIR", p.path().join(".cache"))
            .env_remove("VIRTUAL_ENV")
            .output()
            .unwrap()
    };
    let installed = || -> Vec<String> {
        let site = glob_site_packages(&p.path().join(".venv"));
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
    assert!(p.read("requirements-dev.txt").contains("--hash=sha256:"));
    assert!(p.path().join(".venv/bin/pytest").exists());
    ok(&make("check"));

    ok(&make("prod"));
    let prod = installed();
    assert!(!prod.iter().any(|n| n.starts_with("pytest")), "{prod:?}");
    assert!(
        prod.contains(&"click-8.1.7.dist-info".to_string()),
        "{prod:?}"
    );

    // A new requirement without recompiling: check fails and names the line.
    std::fs::write(
        p.path().join("requirements.in"),
        "requests>=2.31\nclick>=8\nidna<3\n",
    )
    .unwrap();
    let stale = make("check");
    assert!(!stale.status.success());
    let stdout = String::from_utf8_lossy(&stale.stdout);
    assert!(
        stdout.contains("requirements.in:3:1: `idna<3` is not satisfied by `idna==3.10`"),
        "{stdout}"
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
    let p = Project::new();
    p.write("my reqs.in", "idna\n");
    let mut url = url::Url::parse(&p.server.url()).unwrap();
    url.set_username("me").unwrap();
    url.set_password(Some("secret")).unwrap();
    let url = url.to_string();
    let output = pinion(p.path())
        .args(["compile", "--index-url", &url, "--python-version", "3.12"])
        .arg("my reqs.in")
        .output()
        .unwrap();
    ok(&output);
    let lockfile = p.read("my reqs.txt");
    assert!(!lockfile.contains("secret"), "{lockfile}");
    assert!(lockfile.contains("'my reqs.in'"), "{lockfile}");
    ok(&p.run(&["check", "my reqs.txt"]));
}

#[test]
fn check_reads_a_bare_compile_header_with_its_flags() {
    let p = Project::new();
    p.write("requirements.in", "idna\n");
    // `pinion compile --generate-hashes` with the default input.
    let output = pinion(p.path())
        .args([
            "compile",
            "--index-url",
            &p.server.url(),
            "--python-version",
            "3.12",
            "--generate-hashes",
        ])
        .output()
        .unwrap();
    ok(&output);
    let lockfile = p.read("requirements.txt");
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
    p.write("requirements.txt", &edited);
    let output = p.run(&["check"]);
    assert_eq!(output.status.code(), Some(1), "{}", p.render(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("has no `--hash`"),
        "{}",
        p.render(&output)
    );
}
