//! Hostile input through the binary (issue 13): every input class gets a diagnostic and exit 2,
//! never a panic (exit 101), a stack overflow, or a read that never ends.

#[path = "common/support.rs"]
pub mod common;

use std::process::Output;

use common::{Package, PackageUniverse, TestContext};

/// Exit 2, no panic, nothing on stdout.
fn assert_clean_error(output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "panicked:\n{stderr}");
    assert_eq!(output.status.code(), Some(2), "must exit 2:\n{stderr}");
    assert!(output.stdout.is_empty(), "wrote to stdout");
}

/// pep508_rs 0.9 panicked on a name that ends in `-`, `.` or `_` before another character.
#[test]
fn a_name_ending_in_a_separator_is_a_diagnostic() {
    let ctx = TestContext::without_index();
    ctx.write("requirements.in", "requests\nflask.=2.0\n");
    let output = pinion_snapshot!(
        "name_ending_in_a_separator",
        ctx.filters(),
        ctx.compile().arg("requirements.in")
    );
    assert_clean_error(&output);
}

#[test]
fn a_name_or_extra_ending_in_a_separator_before_extras_is_a_diagnostic() {
    let ctx = TestContext::without_index();
    for (line, column) in [("a-[x]", 2), ("a[x-]", 4), ("./a[dev.]", 8)] {
        ctx.write("requirements.in", &format!("{line}\n"));
        let output = ctx.compile().arg("requirements.in").output().unwrap();
        assert_clean_error(&output);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("[requirements.in:1:{column}]"))
                && stderr.contains("must end with an alphanumeric character"),
            "{line}:\n{stderr}"
        );
    }
}

/// miette panicked on any label at column 65,536 or beyond.
#[test]
fn an_error_on_a_70000_column_line_shows_a_window_of_it() {
    let ctx = TestContext::without_index();
    ctx.write(
        "requirements.in",
        &format!("{}==1.0 --no-deps\n", "a".repeat(70_000)),
    );
    let output = pinion_snapshot!(
        "long_line",
        ctx.filters(),
        ctx.compile().arg("requirements.in")
    );
    assert_clean_error(&output);
}

/// 5,000 nested includes overflowed the stack; 3,000 took seconds (a quadratic cycle check).
#[test]
fn a_deep_include_chain_stops_at_the_limit_and_names_the_chain() {
    let ctx = TestContext::without_index();
    for i in 0..5_000 {
        ctx.write(&format!("r{i}.in"), &format!("-r r{}.in\n", i + 1));
    }
    ctx.write("r5000.in", "a\n");
    let started = std::time::Instant::now();
    let output = pinion_snapshot!(
        "deep_include_chain",
        ctx.filters(),
        ctx.compile().arg("r0.in")
    );
    assert_clean_error(&output);
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn an_include_cycle_names_its_files() {
    let ctx = TestContext::without_index();
    ctx.write("a.in", "-r b.in\n");
    ctx.write("b.in", "-r sub/c.in\n");
    std::fs::create_dir(ctx.path().join("sub")).unwrap();
    ctx.write("sub/c.in", "x\n-c ../a.in\n");
    let output = pinion_snapshot!(
        "include_cycle_of_three",
        ctx.filters(),
        ctx.compile().arg("a.in")
    );
    assert_clean_error(&output);
}

/// `-r /dev/zero` read until memory ran out.
#[test]
fn a_device_is_not_read_as_an_input() {
    let ctx = TestContext::without_index();
    ctx.write("requirements.in", "-r /dev/zero\n");
    let output = pinion_snapshot!(
        "dev_zero_include",
        ctx.filters(),
        ctx.compile().arg("requirements.in")
    );
    assert_clean_error(&output);
    let output = ctx.compile().arg("/dev/zero").output().unwrap();
    assert_clean_error(&output);
    for lockfile in ["/dev/zero", "."] {
        assert_clean_error(&ctx.check().arg(lockfile).output().unwrap());
        let sync = ctx.pinion().args(["sync", lockfile]).output().unwrap();
        assert_clean_error(&sync);
    }
}

#[test]
fn a_huge_input_is_refused_before_it_is_read() {
    let ctx = TestContext::without_index();
    // Sparse: 40 MiB that cost nothing to write.
    let file = std::fs::File::create(ctx.path().join("huge.in")).unwrap();
    file.set_len(40 * 1024 * 1024).unwrap();
    let output = pinion_snapshot!("huge_input", ctx.filters(), ctx.compile().arg("huge.in"));
    assert_clean_error(&output);
    // The same through standard input.
    let output = ctx
        .compile()
        .arg("-")
        .pipe_stdin(ctx.path().join("huge.in"))
        .unwrap()
        .output()
        .unwrap();
    assert_clean_error(&output);
}

#[test]
fn a_bad_lockfile_is_a_diagnostic_for_sync_and_check() {
    let ctx = TestContext::without_index();
    ctx.write(
        "requirements.txt",
        "idna==3.10 \\\n    --hash=sha256:0000\nflask.==2.0\n",
    );
    let output = pinion_snapshot!(
        "bad_lockfile_sync",
        ctx.filters(),
        ctx.pinion().args(["sync", "requirements.txt"])
    );
    assert_clean_error(&output);
    ctx.write("requirements.txt", "idna==3.10\nflask.==2.0\n");
    let output = pinion_snapshot!(
        "bad_lockfile_check",
        ctx.filters(),
        ctx.check().arg("requirements.txt")
    );
    assert_clean_error(&output);
    let sync = ctx
        .pinion()
        .args(["sync", "requirements.txt"])
        .output()
        .unwrap();
    assert_clean_error(&sync);
}

#[test]
fn a_bad_pyproject_is_a_diagnostic() {
    let ctx = TestContext::without_index();
    ctx.write(
        "pyproject.toml",
        "[project]\nname = \"me\"\nversion = \"1\"\ndependencies = [\"requests\", \"a-[x]\"]\n",
    );
    let output = pinion_snapshot!(
        "bad_pyproject_requirement",
        ctx.filters(),
        ctx.compile().arg("pyproject.toml")
    );
    assert_clean_error(&output);
    ctx.write(
        "pyproject.toml",
        "[tool.pinion]\ngenerate-hashes = \"yes\"\n",
    );
    ctx.write("requirements.in", "a\n");
    let output = pinion_snapshot!(
        "bad_tool_pinion",
        ctx.filters(),
        ctx.compile().arg("requirements.in")
    );
    assert_clean_error(&output);
    ctx.write("pyproject.toml", "[tool.pinion\ngenerate-hashes = true\n");
    let output = ctx.compile().arg("requirements.in").output().unwrap();
    assert_clean_error(&output);
}

/// Core metadata from an index is as hostile as any file: a `Requires-Dist` with a name that
/// ends in a separator panicked inside the resolver's fetch.
#[test]
fn bad_metadata_from_the_index_is_a_diagnostic() {
    let universe = PackageUniverse::new()
        .with(Package::new("app", "1.0").dep("lib.=1.0"))
        .with(Package::new("lib", "1.0"));
    let ctx = TestContext::new(&universe);
    ctx.write("requirements.in", "app\n");
    let output = pinion_snapshot!(
        "bad_metadata_from_index",
        ctx.filters(),
        ctx.compile().arg("requirements.in")
    );
    // The release is unusable, not the run: the resolver reports why it cannot use it (exit 1,
    // as for any conflict), never a panic.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "panicked:\n{stderr}");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("its metadata is invalid"), "{stderr}");
}
