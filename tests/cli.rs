//! The command line speaks pip-tools' flags and never pretends to do work it cannot do yet.

#[path = "common/support.rs"]
pub mod common;

use common::{Package, PackageUniverse, TestContext};

/// stdout of a `pinion ARGS` that must succeed, with help wrapped at 100 columns (and no cache
/// folder for `--help` to show as the value of PINION_CACHE_DIR).
fn stdout_of(args: &[&str]) -> String {
    let run = TestContext::without_index()
        .pinion()
        .env("COLUMNS", "100")
        .env_remove("PINION_CACHE_DIR")
        .args(args)
        .assert()
        .success();
    String::from_utf8(run.get_output().stdout.clone()).unwrap()
}

#[test]
fn version() {
    assert_eq!(
        stdout_of(&["--version"]),
        format!("pinion {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_of_why_tree_and_diff() {
    insta::assert_snapshot!("why_help", stdout_of(&["why", "--help"]));
    insta::assert_snapshot!("tree_help", stdout_of(&["tree", "--help"]));
    insta::assert_snapshot!("diff_help", stdout_of(&["diff", "--help"]));
}

#[test]
fn help_lists_pip_tools_flags() {
    insta::assert_snapshot!("compile_help", stdout_of(&["compile", "--help"]));
    insta::assert_snapshot!("sync_help", stdout_of(&["sync", "--help"]));
    insta::assert_snapshot!("check_help", stdout_of(&["check", "--help"]));
    let compile = stdout_of(&["compile", "--help"]);
    for flag in [
        "--output-file",
        "--generate-hashes",
        "--upgrade",
        "--upgrade-package",
        "--index-url",
        "--extra-index-url",
        "--find-links",
        "--no-index",
        "--pre",
        "--constraint",
        "--extra",
        "--all-extras",
        "--allow-unsafe",
        "--strip-extras",
        "--annotation-style",
        "--no-header",
        "--no-annotate",
        "--dry-run",
        "--quiet",
        "--verbose",
        "--cache-dir",
        "--python",
        "--python-version",
        "--python-platform",
        // Every other flag of `pip-compile --help` (pip-tools 7.x) and uv's additions.
        "--rebuild",
        "--header",
        "--annotate",
        "--emit-trusted-host",
        "--emit-find-links",
        "--emit-index-url",
        "--emit-options",
        "--no-upgrade",
        "--newline",
        "--no-allow-unsafe",
        "--no-strip-extras",
        "--reuse-hashes",
        "--max-rounds",
        "--build-isolation",
        "--no-build-isolation",
        "--pip-args",
        "--resolver",
        "--unsafe-package",
        "--config",
        "--no-config",
        "--build-deps-for",
        "--all-build-deps",
        "--only-build-deps",
        "--uploaded-prior-to",
        "--color",
        "--no-color",
        "--custom-compile-command",
        "--no-emit-package",
        "--no-strip-markers",
        "--emit-index-annotation",
        "--no-progress",
    ] {
        assert!(compile.contains(flag), "compile --help lacks {flag}");
    }
    let sync = stdout_of(&["sync", "--help"]);
    for flag in [
        "--ask",
        "--dry-run",
        "--force",
        "--find-links",
        "--index-url",
        "--extra-index-url",
        "--no-index",
        "--python",
        "--user",
        "--pip-args",
        "--config",
        "--no-config",
    ] {
        assert!(sync.contains(flag), "sync --help lacks {flag}");
    }
}

/// pip-sync's `--python-executable` is `--python`: it syncs the venv it names. (This test once
/// passed on clap's own exit 2 for an unknown argument.)
#[test]
fn sync_accepts_python_executable_alias() {
    let ctx = TestContext::new(&PackageUniverse::new().with(Package::new("six", "1.16.0")));
    let venv = ctx.new_venv("venv");
    ctx.write_lockfile("requirements.txt", "six==1.16.0\n");
    let run = ctx
        .pinion()
        .args(["sync", "--python-executable"])
        .arg(venv.join("bin/python"))
        .arg("requirements.txt")
        .assert()
        .success()
        .stderr(predicates::str::contains("+ six==1.16.0"));
    let stderr = String::from_utf8_lossy(&run.get_output().stderr);
    assert!(!stderr.contains("unexpected argument"), "{stderr}");
    let installed = std::process::Command::new(venv.join("bin/python"))
        .args(["-c", "import six; print(six.__version__)"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&installed.stdout), "1.16.0\n");

    // And it is the interpreter pinion checks: one that is not a venv is pinion's own refusal.
    ctx.pinion()
        .args(["sync", "--python-executable", "python3", "requirements.txt"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not a virtualenv"));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    TestContext::without_index()
        .pinion()
        .args(["compile", "--frobnicate"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "unexpected argument '--frobnicate'",
        ));
}
