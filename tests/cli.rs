//! The command line speaks pip-tools' flags and never pretends to do work it cannot do yet.

use assert_cmd::Command;

fn pinion() -> Command {
    let mut cmd = Command::cargo_bin("pinion").unwrap();
    cmd.env("NO_COLOR", "1").env("COLUMNS", "100");
    cmd
}

fn stdout_of(args: &[&str]) -> String {
    let output = pinion().args(args).output().unwrap();
    assert!(output.status.success(), "{args:?} failed");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn version() {
    assert_eq!(
        stdout_of(&["--version"]),
        format!("pinion {}\n", env!("CARGO_PKG_VERSION"))
    );
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
    ] {
        assert!(compile.contains(flag), "compile --help lacks {flag}");
    }
}

#[test]
fn sync_accepts_python_executable_alias() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "six==1.16.0\n").unwrap();
    pinion()
        .current_dir(dir.path())
        .args([
            "sync",
            "--python-executable",
            "python3",
            "--dry-run",
            "requirements.txt",
        ])
        .assert()
        .code(2);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    pinion().args(["compile", "--frobnicate"]).assert().code(2);
}
