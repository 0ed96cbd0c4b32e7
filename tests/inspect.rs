//! `pinion why`, `pinion tree` and `pinion diff`, and the changes compile lists when it replaces
//! a lockfile, through the binary against the local index (whose metadata the cache keeps).

#[path = "common/support.rs"]
pub mod common;

use common::{Package, PackageUniverse, TestContext};

/// The basic index, plus an app whose dependency has a marker and `six` for it.
fn project() -> TestContext {
    let ctx = TestContext::new(
        &PackageUniverse::testdata("basic")
            .with(Package::new("six", "1.16.0").requires_python(">=2.7"))
            .with(
                Package::new("app-utils", "1.0")
                    .dep("requests>=2.31")
                    .dep("six>=1.15 ; python_version >= '3.8'")
                    .dep("idna<3 ; python_version < '3.0'"),
            ),
    );
    // A `-r` chain: requirements.in -> base.in -> core.in.
    ctx.write(
        "requirements.in",
        "-r base.in\nrequests[socks]>=2.31 ; python_version >= '3.8'\n",
    );
    ctx.write(
        "base.in",
        "# shared by every service\n-r core.in\napp-utils\n",
    );
    ctx.write("core.in", "urllib3<2.3\nidna\n");
    ctx.compile().arg("requirements.in").assert().success();
    ctx
}

#[test]
fn why_lists_every_path_from_an_input_line() {
    let ctx = project();
    pinion_snapshot!(
        "why_urllib3",
        ctx.filters(),
        ctx.pinion().args(["why", "urllib3"])
    );
    pinion_snapshot!(
        "why_pysocks_extra",
        ctx.filters(),
        ctx.pinion().args(["why", "PySocks", "requirements.txt"])
    );
    pinion_snapshot!(
        "why_six_json",
        ctx.filters(),
        ctx.pinion().args(["why", "six", "--format", "json"])
    );
}

#[test]
fn why_a_package_that_is_not_pinned_fails() {
    let ctx = project();
    pinion_snapshot!(
        "why_not_pinned",
        ctx.filters(),
        ctx.pinion().args(["why", "flask"])
    );
}

#[test]
fn why_without_cached_metadata_says_what_is_missing() {
    let ctx = project();
    std::fs::remove_dir_all(ctx.cache_dir()).unwrap();
    pinion_snapshot!(
        "why_without_cache",
        ctx.filters(),
        ctx.pinion().args(["why", "urllib3"])
    );
}

#[test]
fn tree_shows_the_whole_graph() {
    let ctx = project();
    pinion_snapshot!("tree", ctx.filters(), ctx.pinion().arg("tree"));
    pinion_snapshot!(
        "tree_depth",
        ctx.filters(),
        ctx.pinion().args(["tree", "--depth", "1"])
    );
    pinion_snapshot!(
        "tree_invert",
        ctx.filters(),
        ctx.pinion().args(["tree", "--invert", "requirements.txt"])
    );
    pinion_snapshot!(
        "tree_invert_depth",
        ctx.filters(),
        ctx.pinion().args(["tree", "--invert", "--depth", "1"])
    );
    pinion_snapshot!(
        "tree_json",
        ctx.filters(),
        ctx.pinion()
            .args(["tree", "--depth", "1", "--format", "json"])
    );
}

#[test]
fn compile_lists_what_changed_and_diff_compares_two_lockfiles() {
    let ctx = project();
    let before = ctx.read("requirements.txt");
    ctx.write("old.txt", &before);
    ctx.write(
        "requirements.in",
        "-r base.in\nrequests==2.31.0\ncertifi<2024.8\n",
    );
    ctx.write("core.in", "urllib3<2\n");
    pinion_snapshot!(
        "compile_lists_changes",
        ctx.filters(),
        ctx.compile().arg("requirements.in")
    );
    pinion_snapshot!(
        "diff",
        ctx.filters(),
        ctx.pinion().args(["diff", "old.txt", "requirements.txt"])
    );
    pinion_snapshot!(
        "diff_same",
        ctx.filters(),
        ctx.pinion().args(["diff", "old.txt", "old.txt"])
    );
    // Compiling again changes nothing and lists nothing.
    let output = ctx.compile().arg("requirements.in").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.lines().any(|l| l.starts_with(['+', '-', '^', 'v'])),
        "{stderr}"
    );
}

/// A universal lockfile: `web` forks on macOS (an older `web`, which needs an older `tpl`), so
/// both are pinned twice; `app[cli]` comes through a `-r` chain and its extra pulls `click`,
/// which needs `colorama` on Windows only.
fn universal_project() -> TestContext {
    let package = |name, version| Package::new(name, version).requires_python(">=3.8");
    let universe = PackageUniverse::new()
        .with(package("app", "1.0").dep("web").extra("cli", &["click"]))
        .with(package("web", "1.5").dep("tpl<3"))
        .with(
            package("web", "3.1")
                .dep("tpl>=3")
                .dep("winreg ; sys_platform == 'win32'"),
        )
        .with(package("tpl", "2.0"))
        .with(package("tpl", "3.0"))
        .with(package("click", "8.0").dep("colorama ; sys_platform == 'win32'"))
        .with(package("colorama", "0.4.6"))
        .with(package("winreg", "311"));
    let ctx = TestContext::new(&universe);
    ctx.write(
        "requirements.in",
        "-r base.in\nweb<2 ; sys_platform == 'darwin'\nweb ; sys_platform != 'darwin'\n",
    );
    ctx.write("base.in", "app[cli]\n");
    ctx.pinion()
        .args(["compile", "--universal", "--index-url", &ctx.index_url()])
        .args(["--python-version", "3.9", "requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.read("requirements.txt");
    let roots = [
        "web<2 ; sys_platform == 'darwin'",
        "web ; sys_platform != 'darwin'",
        "app[cli]",
    ]
    .map(String::from);
    let violations = common::universal::Oracle::new(&universe, &roots, "3.9").check(&lockfile);
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    ctx
}

#[test]
fn why_and_tree_show_the_whole_universal_graph() {
    let ctx = universal_project();
    insta::assert_snapshot!("universal_lockfile", ctx.lockfile("requirements.txt"));
    // Two pins of `tpl`, each with its marker and its own paths.
    pinion_snapshot!(
        "why_universal_tpl",
        ctx.filters(),
        ctx.pinion().args(["why", "tpl"])
    );
    // An extra through a `-r` chain, then a Windows-only requirement.
    pinion_snapshot!(
        "why_universal_colorama",
        ctx.filters(),
        ctx.pinion().args(["why", "colorama", "requirements.txt"])
    );
    pinion_snapshot!(
        "why_universal_tpl_json",
        ctx.filters(),
        ctx.pinion().args(["why", "tpl", "--format", "json"])
    );
    pinion_snapshot!("tree_universal", ctx.filters(), ctx.pinion().arg("tree"));
    pinion_snapshot!(
        "tree_universal_invert",
        ctx.filters(),
        ctx.pinion().args(["tree", "--invert"])
    );
    pinion_snapshot!(
        "tree_universal_json",
        ctx.filters(),
        ctx.pinion()
            .args(["tree", "--depth", "2", "--format", "json"])
    );
}
