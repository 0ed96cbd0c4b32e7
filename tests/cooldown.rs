//! Cooldowns (`--exclude-newer`, `--exclude-newer-package`, `--uploaded-prior-to`) through the
//! binary, against a local index whose upload times each test sets, with a fixed clock
//! (`PINION_NOW`) for durations.

#[path = "common/support.rs"]
pub mod common;

use common::{IndexOptions, Package, PackageUniverse, TestContext};

/// `foo` 1.0 and 1.1 are old, 2.0 came out on 2024-03-05; `bar` 1.5 on 2024-03-02.
fn universe() -> PackageUniverse {
    PackageUniverse::new()
        .with(Package::new("foo", "1.0").uploaded("2024-01-01T10:00:00Z"))
        .with(
            Package::new("foo", "1.1")
                .dep("bar>=1")
                .uploaded("2024-02-01T10:00:00.123456Z"),
        )
        .with(
            Package::new("foo", "2.0")
                .dep("bar>=1")
                .uploaded("2024-03-05T10:00:00Z"),
        )
        .with(Package::new("bar", "1.0").uploaded("2024-01-15T10:00:00Z"))
        .with(Package::new("bar", "1.5").uploaded("2024-03-02T10:00:00Z"))
}

fn context() -> TestContext {
    let ctx = TestContext::new(&universe());
    ctx.write("requirements.in", "foo\n");
    ctx
}

#[test]
fn exclude_newer_leaves_out_what_was_uploaded_since() {
    let ctx = context();
    ctx.compile()
        .args(["--exclude-newer", "2024-03-01", "requirements.in"])
        .assert()
        .success();
    insta::assert_snapshot!(ctx.lockfile("requirements.txt"));
    // A date counts through its end (as uv reads one): bar 1.5 came out on 2024-03-02.
    ctx.compile()
        .args(["-U", "--exclude-newer", "2024-03-02", "requirements.in"])
        .assert()
        .success();
    assert!(ctx.read("requirements.txt").contains("bar==1.5"));
    // A timestamp is exact: bar 1.5 was uploaded at 10:00, which is not before 10:00.
    ctx.compile()
        .args([
            "-U",
            "--exclude-newer",
            "2024-03-02T10:00:00Z",
            "requirements.in",
        ])
        .assert()
        .success();
    assert!(ctx.read("requirements.txt").contains("bar==1.0"));
}

#[test]
fn uploaded_prior_to_is_pips_name_for_it() {
    let ctx = context();
    ctx.compile()
        .args([
            "--uploaded-prior-to",
            "2024-03-01T00:00:00Z",
            "requirements.in",
        ])
        .assert()
        .success();
    let lockfile = ctx.lockfile("requirements.txt");
    assert!(lockfile.contains("foo==1.1"), "{lockfile}");
    assert!(
        lockfile.contains("--uploaded-prior-to 2024-03-01T00:00:00Z"),
        "{lockfile}"
    );
}

#[test]
fn a_package_cooldown_wins_over_the_global_one() {
    let ctx = context();
    ctx.compile()
        .args([
            "--exclude-newer",
            "2024-03-01",
            "--exclude-newer-package",
            "foo=2024-03-10",
            "requirements.in",
        ])
        .assert()
        .success();
    let lockfile = ctx.read("requirements.txt");
    assert!(lockfile.contains("foo==2.0"), "{lockfile}");
    assert!(lockfile.contains("bar==1.0"), "{lockfile}");
}

/// A duration becomes the time it stood for, in the header: `compile --check` a week later
/// resolves against the same cutoff (with or without the duration on its own command line),
/// while a plain compile moves the window forward.
#[test]
fn a_duration_is_recorded_as_a_time_and_check_passes_days_later() {
    let ctx = context();
    ctx.compile()
        .env("PINION_NOW", "2024-03-04T12:00:00Z")
        .args(["--exclude-newer", "3 days", "requirements.in"])
        .assert()
        .success();
    insta::assert_snapshot!(ctx.lockfile("requirements.txt"));

    let later = "2024-03-11T08:30:00Z";
    pinion_snapshot!(
        "check_a_week_later",
        ctx.filters(),
        ctx.compile().env("PINION_NOW", later).args([
            "--check",
            "-o",
            "requirements.txt",
            "requirements.in"
        ])
    );
    ctx.compile()
        .env("PINION_NOW", later)
        .args(["--check", "--exclude-newer", "3 days", "requirements.in"])
        .assert()
        .success();
    // Recompiling with `-U` counts from the new day: foo 2.0 and bar 1.5 are old enough now.
    ctx.compile()
        .env("PINION_NOW", later)
        .args(["-U", "--exclude-newer", "P3D", "requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.lockfile("requirements.txt");
    assert!(lockfile.contains("foo==2.0"), "{lockfile}");
    assert!(
        lockfile.contains("--exclude-newer 2024-03-08T08:30:00Z"),
        "{lockfile}"
    );
}

#[test]
fn tool_pinion_sets_cooldowns_and_a_configured_duration_reaches_the_header() {
    let ctx = context();
    ctx.write(
        "pyproject.toml",
        "[tool.pinion]\nexclude-newer = \"1 week\"\nexclude-newer-package = { bar = \"2024-03-03\" }\n",
    );
    ctx.compile()
        .env("PINION_NOW", "2024-03-09T00:00:00Z")
        .args(["requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.lockfile("requirements.txt");
    // foo: before 2024-03-02 (a week before now); bar: through 2024-03-03.
    assert!(lockfile.contains("foo==1.1"), "{lockfile}");
    assert!(lockfile.contains("bar==1.5"), "{lockfile}");
    assert!(
        lockfile.contains("--exclude-newer 2024-03-02T00:00:00Z"),
        "{lockfile}"
    );
    ctx.compile()
        .env("PINION_NOW", "2024-04-01T00:00:00Z")
        .args(["--check", "requirements.in"])
        .assert()
        .success();
}

#[test]
fn bad_cutoffs_name_the_flag_or_the_key() {
    let ctx = context();
    pinion_snapshot!(
        "bad_exclude_newer",
        ctx.filters(),
        ctx.compile()
            .args(["--exclude-newer", "soon", "requirements.in"])
    );
    pinion_snapshot!(
        "bad_exclude_newer_package",
        ctx.filters(),
        ctx.compile()
            .args(["--exclude-newer-package", "foo", "requirements.in"])
    );
    pinion_snapshot!(
        "bad_pinion_now",
        ctx.filters(),
        ctx.compile()
            .env("PINION_NOW", "tuesday")
            .args(["requirements.in"])
    );
    ctx.write(
        "pyproject.toml",
        "[tool.pinion]\nexclude-newer-package = { foo = \"a while\" }\n",
    );
    pinion_snapshot!(
        "bad_configured_cooldown",
        ctx.filters(),
        ctx.compile().args(["requirements.in"])
    );
}

#[test]
fn an_index_without_upload_times_is_an_error_never_a_silent_pass() {
    // The same releases, with no upload time at all.
    let untimed = PackageUniverse::new()
        .with(Package::new("foo", "1.0"))
        .with(Package::new("foo", "2.0"));
    let ctx = TestContext::new(&untimed);
    ctx.write("requirements.in", "foo\n");
    pinion_snapshot!(
        "no_upload_times",
        ctx.filters(),
        ctx.compile()
            .args(["--exclude-newer", "7 days", "requirements.in"])
    );
    // An HTML-only index has none either, whatever the files' real upload times.
    let html = IndexOptions {
        json: false,
        ..IndexOptions::default()
    };
    let ctx = TestContext::with_index_options(&universe(), html);
    ctx.write("requirements.in", "foo\n");
    let output = ctx
        .compile()
        .args(["--exclude-newer", "2024-03-01", "requirements.in"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("gives none for `foo`"), "{stderr}");
}

#[test]
fn a_find_links_folder_under_a_cooldown_is_refused_by_name() {
    let ctx = context();
    let links = ctx.path().join("wheels");
    std::fs::create_dir(&links).unwrap();
    common::BuiltIndex::build(&universe()).write_to_dir(&links);
    let output = ctx
        .compile()
        .args([
            "--exclude-newer",
            "2024-03-01",
            "-f",
            "wheels",
            "requirements.in",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("wheels` gives none for `foo`"), "{stderr}");
    assert!(
        stderr.contains("pinion::index::no_upload_times"),
        "{stderr}"
    );
}

#[test]
fn pylock_toml_records_upload_times() {
    let ctx = context();
    ctx.compile()
        .args([
            "--exclude-newer",
            "2024-03-01",
            "requirements.in",
            "-o",
            "pylock.toml",
        ])
        .assert()
        .success();
    let text = ctx.read("pylock.toml");
    assert!(
        text.contains("upload-time = 2024-02-01T10:00:00.123456Z"),
        "{text}"
    );
    assert!(
        text.contains("upload-time = 2024-01-15T10:00:00Z"),
        "{text}"
    );
    let doc: toml::Table = toml::from_str(&text).unwrap();
    assert!(doc["packages"].as_array().unwrap().len() == 2);
}

/// A conflict the cooldown caused says so: which releases it hid, the cutoff and the option
/// that set it, whether the requirement is the user's, a dependency's, or every release.
#[test]
fn a_conflict_caused_by_a_cooldown_names_the_cutoff() {
    let ctx = context();
    ctx.write("requirements.in", "foo>=2\n");
    pinion_snapshot!(
        "cooldown_hid_the_release_asked_for",
        ctx.filters(),
        ctx.compile()
            .args(["--exclude-newer", "2024-03-01", "requirements.in"])
    );
    // A duration: the cutoff is the time it stood for (PINION_NOW is the clock).
    ctx.write("requirements.in", "foo==2.0\nbar>=1.5\n");
    pinion_snapshot!(
        "cooldown_by_duration",
        ctx.filters(),
        ctx.compile()
            .env("PINION_NOW", "2024-03-04T12:00:00Z")
            .args(["--exclude-newer-package", "bar=3 days", "requirements.in"])
    );
    // Every release hidden: not "not found in the package index".
    ctx.write("requirements.in", "foo\n");
    pinion_snapshot!(
        "cooldown_hid_every_release",
        ctx.filters(),
        ctx.compile().args([
            "--uploaded-prior-to",
            "2023-12-01T00:00:00Z",
            "requirements.in"
        ])
    );
}
