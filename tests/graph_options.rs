//! `--override`, `--exclude` and `--resolution` through the binary: what they do to the
//! lockfile, its header and its `# via` annotations.

#[path = "common/support.rs"]
pub mod common;

use common::{Package, PackageUniverse, TestContext};

/// `app` needs `lib<2` and `extra-tool`; `extra-tool` alone needs `helper`; `lib` needs
/// `helper` too.
fn universe() -> PackageUniverse {
    PackageUniverse::new()
        .with(Package::new("app", "1.0").dep("lib<2").dep("extra-tool"))
        .with(Package::new("lib", "1.0").dep("helper>=1"))
        .with(Package::new("lib", "1.5").dep("helper>=1"))
        .with(Package::new("lib", "2.0").dep("helper>=1"))
        .with(Package::new("extra-tool", "1.0").dep("only-for-tool"))
        .with(Package::new("only-for-tool", "1.0"))
        .with(Package::new("helper", "1.0"))
        .with(Package::new("helper", "1.2"))
        .with(Package::new("helper", "2.0"))
}

fn context() -> TestContext {
    let ctx = TestContext::new(&universe());
    ctx.write("requirements.in", "app\n");
    ctx
}

#[test]
fn an_override_replaces_the_requirement_wherever_it_appears() {
    let ctx = context();
    // The marker holds nowhere: that line leaves `helper` alone.
    ctx.write(
        "overrides.txt",
        "lib>=2\nhelper<2 ; python_version < \"3.0\"\n",
    );
    ctx.compile()
        .args(["--override", "overrides.txt", "requirements.in"])
        .assert()
        .success();
    insta::assert_snapshot!(ctx.lockfile("requirements.txt"));
}

#[test]
fn an_override_with_a_marker_that_holds_applies_and_via_says_so_in_line_style() {
    let ctx = context();
    ctx.write("overrides.txt", "helper==1.2 ; python_version >= \"3.8\"\n");
    ctx.compile()
        .args([
            "--override",
            "overrides.txt",
            "--annotation-style",
            "line",
            "--no-header",
            "requirements.in",
        ])
        .assert()
        .success();
    insta::assert_snapshot!(ctx.lockfile("requirements.txt"));
}

#[test]
fn an_override_adds_no_package_that_nothing_requires() {
    let ctx = context();
    ctx.write("overrides.txt", "unrelated==1.0\n");
    ctx.compile()
        .args(["--override", "overrides.txt", "requirements.in"])
        .assert()
        .success();
    assert!(!ctx.read("requirements.txt").contains("unrelated"));
}

#[test]
fn exclude_drops_a_package_and_what_only_it_needs() {
    let ctx = context();
    ctx.compile()
        .args(["--exclude", "extra-tool", "requirements.in"])
        .assert()
        .success();
    insta::assert_snapshot!(ctx.lockfile("requirements.txt"));
    // `helper` is needed by `lib` too: it stays until `lib` goes as well.
    ctx.compile()
        .args([
            "--exclude",
            "Extra_Tool",
            "--exclude",
            "lib",
            "requirements.in",
        ])
        .assert()
        .success();
    let lockfile = ctx.read("requirements.txt");
    assert!(!lockfile.contains("helper=="), "{lockfile}");
    assert!(lockfile.contains("app==1.0"), "{lockfile}");
}

#[test]
fn a_bad_exclude_names_the_flag() {
    let ctx = context();
    let output = pinion_snapshot!(
        "bad_exclude",
        ctx.filters(),
        ctx.compile()
            .args(["--exclude", "not a name!", "requirements.in"])
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn resolution_strategies() {
    let ctx = TestContext::new(&universe());
    ctx.write("requirements.in", "lib>=1.0\n");
    let pins = |strategy: &str, output: &str| {
        ctx.compile()
            .args(["--resolution", strategy, "requirements.in", "-o", output])
            .assert()
            .success();
        ctx.lockfile(output)
    };
    insta::assert_snapshot!("highest", pins("highest", "highest.txt"));
    insta::assert_snapshot!("lowest", pins("lowest", "lowest.txt"));
    // The direct requirement at its lower bound, its dependencies at their newest.
    insta::assert_snapshot!("lowest_direct", pins("lowest-direct", "lowest-direct.txt"));
}

#[test]
fn an_existing_pin_is_kept_under_the_lowest_strategy_as_uv_keeps_preferences() {
    let ctx = TestContext::new(&universe());
    ctx.write("requirements.in", "lib>=1.0\n");
    ctx.write("requirements.txt", "helper==1.2\nlib==1.5\n");
    ctx.compile()
        .args(["--resolution", "lowest", "requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.read("requirements.txt");
    assert!(lockfile.contains("lib==1.5"), "{lockfile}");
    assert!(lockfile.contains("helper==1.2"), "{lockfile}");
    // `--check` resolves with the header's strategy.
    ctx.compile()
        .args(["--check", "requirements.in"])
        .assert()
        .success();
}

#[test]
fn tool_pinion_keys_for_overrides_excludes_and_resolution() {
    let ctx = context();
    ctx.write("overrides.txt", "lib>=2\n");
    ctx.write(
        "pyproject.toml",
        "[tool.pinion]\noverrides = [\"overrides.txt\"]\nexcludes = [\"extra-tool\"]\nresolution = \"lowest-direct\"\n",
    );
    ctx.compile().args(["requirements.in"]).assert().success();
    insta::assert_snapshot!(ctx.lockfile("requirements.txt"));
    ctx.write(
        "pyproject.toml",
        "[tool.pinion]\nexcludes = [\"not a name!\"]\n",
    );
    pinion_snapshot!(
        "bad_configured_exclude",
        ctx.filters(),
        ctx.compile().args(["requirements.in"])
    );
}

#[test]
fn check_reads_the_override_file_the_header_names() {
    let ctx = context();
    std::fs::create_dir(ctx.path().join("deps")).unwrap();
    ctx.write("deps/overrides.txt", "lib>=2\n");
    ctx.compile()
        .args(["--override", "deps/overrides.txt", "requirements.in"])
        .assert()
        .success();
    ctx.compile()
        .args(["--check", "requirements.in"])
        .assert()
        .success();
    // The override file changed: the lockfile is stale.
    ctx.write("deps/overrides.txt", "lib>=1.5,<2\n");
    ctx.compile()
        .args(["--check", "requirements.in"])
        .assert()
        .code(1);
}

/// The project compiled with `lib>=2` as an override and `extra-tool` excluded.
fn compiled_with_override_and_exclude() -> TestContext {
    let ctx = context();
    ctx.write("overrides.txt", "lib>=2\n");
    ctx.compile()
        .args([
            "--override",
            "overrides.txt",
            "--exclude",
            "extra-tool",
            "requirements.in",
        ])
        .assert()
        .success();
    ctx
}

/// `pinion check` reads the requirements as compile did: through the header's override files
/// and excludes, so `app`'s `lib<2` is `lib>=2` there and `extra-tool` needs no pin; a
/// lockfile that no longer follows the override is reported.
#[test]
fn check_applies_the_overrides_and_excludes_the_header_names() {
    let ctx = compiled_with_override_and_exclude();
    ctx.check().arg("requirements.txt").assert().success();
    let lockfile = std::fs::read_to_string(ctx.path().join("requirements.txt")).unwrap();
    assert!(lockfile.contains("lib==2.0"), "{lockfile}");
    ctx.write(
        "requirements.txt",
        &lockfile.replace("lib==2.0", "lib==1.5"),
    );
    pinion_snapshot!(
        "check_follows_the_override",
        ctx.filters(),
        ctx.check().arg("requirements.txt")
    );
}

/// `why` and `tree` follow the edges compile followed: `app`'s `lib<2` shows as the override
/// `lib>=2` that made it, and the excluded `extra-tool` is no edge at all.
#[test]
fn why_and_tree_show_overridden_edges_and_no_excluded_ones() {
    let ctx = compiled_with_override_and_exclude();
    pinion_snapshot!(
        "why_overridden",
        ctx.filters(),
        ctx.pinion().args(["why", "lib"])
    );
    pinion_snapshot!(
        "tree_overridden",
        ctx.filters(),
        ctx.pinion().args(["tree"])
    );
}

/// As uv's overrides: a direct reference in an override file replaces every requirement on
/// its package (here `app`'s `lib<2`) with that file, remote or local, and the lockfile pins
/// the file; a reference without a name is refused where it stands.
#[test]
fn an_override_can_be_a_direct_reference() {
    let ctx = context();
    let files = ctx.server().files_url();
    ctx.write(
        "overrides.txt",
        &format!("lib @ {files}/lib-2.0-py3-none-any.whl\n"),
    );
    ctx.compile()
        .args([
            "--no-header",
            "--override",
            "overrides.txt",
            "requirements.in",
        ])
        .assert()
        .success();
    insta::assert_snapshot!(
        "override_with_a_remote_file",
        ctx.lockfile("requirements.txt")
    );
    ctx.compile()
        .args(["--check", "--override", "overrides.txt", "requirements.in"])
        .assert()
        .success();

    // A local wheel no index has: lib 3.0, which needs helper<1.1.
    let local = ctx.path().join("wheels");
    std::fs::create_dir(&local).unwrap();
    let universe = PackageUniverse::new().with(Package::new("lib", "3.0").dep("helper<1.1"));
    common::BuiltIndex::build(&universe).write_to_dir(&local);
    let wheel = url::Url::from_file_path(local.join("lib-3.0-py3-none-any.whl")).unwrap();
    ctx.write("overrides.txt", &format!("lib @ {wheel}\n"));
    ctx.write("requirements.in", "app\nlib==1.5\n");
    ctx.compile()
        .args([
            "--no-header",
            "--override",
            "overrides.txt",
            "requirements.in",
        ])
        .assert()
        .success();
    insta::assert_snapshot!(
        "override_with_a_local_file",
        ctx.lockfile("requirements.txt")
    );

    ctx.write("overrides.txt", &format!("{wheel}\n"));
    pinion_snapshot!(
        "an_unnamed_override_reference",
        ctx.filters(),
        ctx.compile()
            .args(["--override", "overrides.txt", "requirements.in"])
    );
}
