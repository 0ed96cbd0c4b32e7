//! `pinion compile --universal` (issue 15) through the binary against the local index: one
//! lockfile for every platform and every Python from the lowest one up, its pins carrying
//! markers, a package pinned twice under disjoint markers, hashes of every file, and a re-run
//! that changes nothing.

#[path = "common/support.rs"]
pub mod common;

use assert_cmd::Command;

use common::{Package, PackageUniverse, TestContext};

/// `pinion compile --universal --python-version <lowest>` against the test's index.
fn universal(ctx: &TestContext, lowest: &str) -> Command {
    let mut command = ctx.pinion();
    command.args([
        "compile",
        "--universal",
        "--index-url",
        &ctx.index_url(),
        "--python-version",
        lowest,
    ]);
    command
}

/// The pin lines of a lockfile, without hashes and annotations.
fn pins(ctx: &TestContext, file: &str) -> Vec<String> {
    ctx.read(file)
        .lines()
        .filter(|l| !l.starts_with([' ', '#', '-']) && !l.is_empty())
        .map(|l| l.trim_end_matches(" \\").to_string())
        .collect()
}

/// The universal-lockfile oracle (tests/common/universal.rs) on `file`: in every environment
/// of the grid the active pins are complete, consistent and installable where any release is.
fn assert_oracle(ctx: &TestContext, file: &str, universe: &PackageUniverse, lowest: &str) {
    let input = ctx.read("requirements.in");
    let roots: Vec<String> = input.lines().map(str::to_string).collect();
    let violations = common::universal::Oracle::new(universe, &roots, lowest)
        .files(common::universal::Files::WhereAnyReleaseHasOne)
        .check(&ctx.read(file));
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// numpy's pattern: the newest release needs a newer Python than the lowest, so the resolution
/// forks on that Python version (an older release below it, the newest above).
fn python_split_universe() -> PackageUniverse {
    PackageUniverse::new()
        .with(Package::new("num", "2.0.2").requires_python(">=3.9"))
        .with(Package::new("num", "2.1.0").requires_python(">=3.10"))
        .with(
            Package::new("app", "1.0")
                .requires_python(">=3.8")
                .dep("num>=2")
                .dep("color ; sys_platform == 'win32'"),
        )
        .with(Package::new("color", "0.4.6").requires_python(">=3.7"))
}

#[test]
fn a_newer_requires_python_forks_the_resolution() {
    let ctx = TestContext::new(&python_split_universe());
    ctx.write("requirements.in", "app\n");
    universal(&ctx, "3.9")
        .arg("requirements.in")
        .assert()
        .success();
    assert_eq!(
        pins(&ctx, "requirements.txt"),
        [
            "app==1.0",
            "color==0.4.6 ; sys_platform == 'win32'",
            "num==2.0.2 ; python_full_version < '3.10'",
            "num==2.1.0 ; python_full_version >= '3.10'",
        ]
    );
    assert_oracle(&ctx, "requirements.txt", &python_split_universe(), "3.9");
    insta::assert_snapshot!(ctx.lockfile("requirements.txt"));
    // `--check` from the header alone: the same universe (3.9 up), the same forks.
    ctx.pinion()
        .args(["compile", "--check", "requirements.in"])
        .assert()
        .success();

    // From 3.10 up there is nothing to fork on.
    universal(&ctx, "3.10")
        .args(["-o", "py310.txt", "requirements.in"])
        .assert()
        .success();
    assert_eq!(
        pins(&ctx, "py310.txt"),
        [
            "app==1.0",
            "color==0.4.6 ; sys_platform == 'win32'",
            "num==2.1.0"
        ]
    );
    assert_oracle(&ctx, "py310.txt", &python_split_universe(), "3.10");
}

/// UNIVERSAL.md's flask example: `web>1` on macOS, `web>2` on Windows, `web` anywhere: three
/// forks, and `web` pinned twice under disjoint markers.
fn platform_split_universe() -> PackageUniverse {
    PackageUniverse::new()
        .with(Package::new("web", "1.5").requires_python(">=3.8"))
        .with(
            Package::new("web", "2.5")
                .requires_python(">=3.8")
                .dep("tpl>=2"),
        )
        .with(
            Package::new("web", "3.1")
                .requires_python(">=3.8")
                .dep("tpl>=3")
                .dep("winreg ; sys_platform == 'win32'"),
        )
        .with(Package::new("tpl", "2.0").requires_python(">=3.8"))
        .with(Package::new("tpl", "3.0").requires_python(">=3.8"))
        .with(
            Package::new("winreg", "311")
                .requires_python(">=3.8")
                .tags(&["cp312-cp312-win_amd64", "cp312-cp312-win32"])
                .no_sdist(),
        )
}

#[test]
fn markers_on_one_package_fork_the_resolution() {
    let ctx = TestContext::new(&platform_split_universe());
    ctx.write(
        "requirements.in",
        "web>1 ; sys_platform == 'darwin'\nweb>2,<3 ; sys_platform == 'win32'\nweb\n",
    );
    universal(&ctx, "3.9")
        .arg("requirements.in")
        .assert()
        .success();
    assert_eq!(
        pins(&ctx, "requirements.txt"),
        [
            // web 2.5 needs tpl>=2, and 3.0 is that too: one tpl for every fork.
            "tpl==3.0",
            "web==2.5 ; sys_platform == 'win32'",
            "web==3.1 ; sys_platform != 'win32'",
        ]
    );
    assert_oracle(&ctx, "requirements.txt", &platform_split_universe(), "3.9");
    insta::assert_snapshot!(ctx.lockfile("requirements.txt"));
}

#[test]
fn hashes_cover_every_file_and_a_rerun_changes_nothing() {
    let ctx = TestContext::new(&platform_split_universe());
    ctx.write(
        "requirements.in",
        "web ; sys_platform != 'win32'\nweb<3 ; sys_platform == 'win32'\n",
    );
    universal(&ctx, "3.9")
        .args(["--generate-hashes", "requirements.in"])
        .assert()
        .success();
    let first = ctx.read("requirements.txt");
    // winreg is needed nowhere: web 3.1 is only pinned where sys_platform is not win32.
    assert!(!first.contains("winreg"), "{first}");
    assert_oracle(&ctx, "requirements.txt", &platform_split_universe(), "3.9");
    insta::assert_snapshot!(ctx.lockfile("requirements.txt"));

    // The header records `--universal` and the lowest Python: `--check` with nothing else
    // reproduces the lockfile as it is.
    ctx.pinion()
        .args(["compile", "--check", "requirements.in"])
        .assert()
        .success();
    // And compiling again (the existing pins and forks as preferences) changes no byte.
    universal(&ctx, "3.9")
        .args(["--generate-hashes", "requirements.in"])
        .assert()
        .success();
    assert_eq!(ctx.read("requirements.txt"), first);
}

#[test]
fn a_platform_wheel_is_pinned_with_every_file_hashed() {
    let ctx = TestContext::new(&platform_split_universe());
    ctx.write("requirements.in", "web\n");
    universal(&ctx, "3.9")
        .args(["--generate-hashes", "--no-header", "requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.read("requirements.txt");
    for file in [
        "winreg-311-cp312-cp312-win_amd64.whl",
        "winreg-311-cp312-cp312-win32.whl",
    ] {
        assert!(
            lockfile.contains(&ctx.server().sha256(file)),
            "{file} missing:\n{lockfile}"
        );
    }
    assert!(
        lockfile.contains("winreg==311 ; sys_platform == 'win32' \\\n"),
        "{lockfile}"
    );
    assert_oracle(&ctx, "requirements.txt", &platform_split_universe(), "3.9");
}

#[test]
fn a_conflict_names_the_fork() {
    let universe = PackageUniverse::new()
        .with(
            Package::new("a", "1.0")
                .requires_python(">=3.8")
                .dep("b==1"),
        )
        .with(Package::new("a", "2.0").requires_python(">=3.8"))
        .with(Package::new("b", "1.0").requires_python(">=3.8"))
        .with(Package::new("b", "2.0").requires_python(">=3.8"));
    let ctx = TestContext::new(&universe);
    ctx.write(
        "requirements.in",
        "a>=2 ; sys_platform == 'linux'\na<2 ; sys_platform == 'darwin'\nb>=2\n",
    );
    pinion_snapshot!(
        "conflict_in_fork",
        ctx.filters(),
        universal(&ctx, "3.9").arg("requirements.in")
    );
}

#[test]
fn a_required_environment_without_a_file_is_an_error() {
    let ctx = TestContext::new(&platform_split_universe());
    ctx.write("requirements.in", "winreg\n");
    universal(&ctx, "3.9")
        .args(["--required-environment", "sys_platform == 'win32'"])
        .arg("requirements.in")
        .assert()
        .success();
    pinion_snapshot!(
        "required_environment_missing",
        ctx.filters(),
        universal(&ctx, "3.9")
            .args(["--required-environment", "sys_platform == 'linux'"])
            .arg("requirements.in")
    );
}

/// `preferences-dependent-forking`'s shape: `cleaver` 2.0 asks for a split on `sys_platform`,
/// then is rejected in both parts; no pinned release needs the split, so it is dropped (`-v`
/// says so) and one fork answers, the same on a second run from the lockfile.
#[test]
fn a_split_no_pinned_release_needs_is_dropped() {
    let universe = PackageUniverse::new()
        .with(
            Package::new("cleaver", "2.0")
                .dep("unrelated==1 ; sys_platform == 'linux'")
                .dep("unrelated==2 ; sys_platform != 'linux'")
                .dep("reject"),
        )
        .with(Package::new("reject", "1.0").dep("unrelated==3"))
        .with(Package::new("unrelated", "1.0"))
        .with(Package::new("unrelated", "2.0"))
        .with(Package::new("unrelated", "3.0"))
        .with(
            Package::new("cleaver", "1.0")
                .dep("foo==1 ; sys_platform == 'linux'")
                .dep("bar==1 ; sys_platform != 'linux'"),
        )
        .with(Package::new("foo", "1.0"))
        .with(Package::new("foo", "2.0"))
        .with(Package::new("bar", "1.0"))
        .with(Package::new("bar", "2.0"));
    let ctx = TestContext::new(&universe);
    ctx.write("requirements.in", "cleaver\nfoo\nbar\n");
    let output = universal(&ctx, "3.9")
        .args(["-v", "requirements.in"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("dropping the split of the universe that `cleaver` 2.0 asked for"),
        "{stderr}"
    );
    let expected = ["bar==1.0", "cleaver==1.0", "foo==1.0"];
    assert_eq!(pins(&ctx, "requirements.txt"), expected);
    assert_oracle(&ctx, "requirements.txt", &universe, "3.9");
    universal(&ctx, "3.9")
        .arg("requirements.in")
        .assert()
        .success();
    assert_eq!(pins(&ctx, "requirements.txt"), expected);
}

/// cryptography 44's pattern: a Requires-Python that excludes versions inside the universe
/// (`>=3.7,!=3.9.0,!=3.9.1`) forks the resolution there, as a higher lower bound does, so that
/// no Python the release refuses gets it (pip would not install the lockfile on 3.9.0).
#[test]
fn a_requires_python_exclusion_forks_the_resolution() {
    let universe = PackageUniverse::testdata("python-exclusions");
    let ctx = TestContext::new(&universe);
    ctx.write("requirements.in", "app\n");
    universal(&ctx, "3.8")
        .arg("requirements.in")
        .assert()
        .success();
    assert_eq!(
        pins(&ctx, "requirements.txt"),
        [
            "app==1.0",
            // pep508_rs writes 3.9.0 as `3.9`, equal under PEP 440's zero padding.
            "crypt==43.0 ; python_full_version == '3.9' or python_full_version == '3.9.1'",
            "crypt==44.0 ; python_full_version != '3.9' and python_full_version != '3.9.1'",
        ]
    );
    // The grid has 3.9.0: the oracle holds each pin's Requires-Python to the full version.
    assert_oracle(&ctx, "requirements.txt", &universe, "3.8");
    ctx.pinion()
        .args(["compile", "--check", "requirements.in"])
        .assert()
        .success();

    // From 3.9.2 up the exclusions are outside the universe: nothing to fork on.
    universal(&ctx, "3.9.2")
        .args(["-o", "py392.txt", "requirements.in"])
        .assert()
        .success();
    assert_eq!(pins(&ctx, "py392.txt"), ["app==1.0", "crypt==44.0"]);
    assert_oracle(&ctx, "py392.txt", &universe, "3.9.2");
}

/// `--required-environment` weighs the wheels' interpreter tags too: `speedup` has CPython
/// 3.11 and 3.12 wheels for Linux only, so Linux on 3.12 is served, Linux on 3.13 and PyPy
/// are not.
#[test]
fn a_required_environment_counts_python_versions_implementations_and_machines() {
    let ctx = TestContext::new(&PackageUniverse::testdata("python-exclusions"));
    ctx.write("requirements.in", "speedup\n");
    let compile = |environment: &str| {
        let mut command = universal(&ctx, "3.11");
        command
            .args(["--required-environment", environment])
            .arg("requirements.in");
        command
    };
    compile("sys_platform == 'linux' and python_version == '3.12'")
        .assert()
        .success();
    compile("sys_platform == 'linux' and python_full_version >= '3.11.4'")
        .assert()
        .success();
    compile("sys_platform == 'linux' and platform_machine == 'x86_64'")
        .assert()
        .success();
    for environment in [
        "sys_platform == 'linux' and python_version >= '3.13'",
        "sys_platform == 'linux' and implementation_name == 'pypy'",
        "platform_python_implementation == 'PyPy'",
        // Its wheels are x86_64 only.
        "sys_platform == 'linux' and platform_machine == 'aarch64'",
    ] {
        let output = compile(environment).assert().code(1).get_output().clone();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("speedup"), "{environment}: {stderr}");
    }
    pinion_snapshot!(
        "required_environment_python",
        ctx.filters(),
        compile("sys_platform == 'linux' and python_version >= '3.13'")
    );
}

#[test]
fn universal_and_environments_from_pyproject() {
    let ctx = TestContext::new(&python_split_universe());
    ctx.write(
        "pyproject.toml",
        "[project]\nname = \"proj\"\nversion = \"0.1\"\nrequires-python = \">=3.9\"\ndependencies = [\"app\"]\n\n[tool.pinion]\nuniversal = true\nenvironments = [\"sys_platform == 'linux'\"]\n",
    );
    ctx.pinion()
        .args(["compile", "--index-url", &ctx.index_url()])
        .args(["-o", "requirements.txt", "pyproject.toml"])
        .assert()
        .success();
    // Linux only (said on every pin): no colorama; from 3.9 (requires-python), so num forks.
    assert_eq!(
        pins(&ctx, "requirements.txt"),
        [
            "app==1.0 ; sys_platform == 'linux'",
            "num==2.0.2 ; python_full_version < '3.10' and sys_platform == 'linux'",
            "num==2.1.0 ; python_full_version >= '3.10' and sys_platform == 'linux'",
        ]
    );
}

/// pip reads a universal lockfile as it is: the pins whose markers hold are installed (one
/// `num` of the two, no Windows-only `color` on this machine), hashes checked.
#[test]
fn pip_installs_a_universal_lockfile() {
    let ctx = TestContext::new(&python_split_universe()).with_venv();
    ctx.write("requirements.in", "app\n");
    universal(&ctx, "3.9")
        .args(["--generate-hashes", "requirements.in"])
        .assert()
        .success();
    let pip = |args: &[&str]| {
        std::process::Command::new("python3")
            .args(["-m", "pip", "--python"])
            .arg(ctx.venv().join("bin/python"))
            .args(args)
            .args(["--disable-pip-version-check", "-q"])
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env_remove("PIP_FIND_LINKS")
            .output()
            .unwrap()
    };
    let lockfile = ctx.path().join("requirements.txt");
    let install = pip(&[
        "install",
        "--require-hashes",
        "-r",
        lockfile.to_str().unwrap(),
    ]);
    assert!(
        install.status.success(),
        "{}",
        String::from_utf8_lossy(&install.stderr)
    );
    let freeze = pip(&["freeze"]);
    let installed = String::from_utf8_lossy(&freeze.stdout).to_string();
    assert!(installed.contains("app==1.0"), "{installed}");
    assert!(!installed.contains("color=="), "{installed}");
    // This machine's Python is 3.10 or newer.
    assert!(installed.contains("num==2.1.0"), "{installed}");
}

/// `app` needs `lib<2`, `extra-tool` and, on Windows, `winhelper`; `lib` 2.0 needs a newer
/// `helper` than 1.5 allows; `extra-tool` alone needs `only-for-tool`.
fn rewrites_universe() -> PackageUniverse {
    let package = |name, version| Package::new(name, version).requires_python(">=3.8");
    PackageUniverse::new()
        .with(
            package("app", "1.0")
                .dep("lib<2")
                .dep("extra-tool")
                .dep("winhelper ; sys_platform == 'win32'"),
        )
        .with(
            package("app", "1.1")
                .dep("lib<2")
                .dep("extra-tool")
                .dep("winhelper ; sys_platform == 'win32'"),
        )
        .with(package("lib", "1.0").dep("helper>=1,<2"))
        .with(package("lib", "1.5").dep("helper>=1,<2"))
        .with(package("lib", "2.0").dep("helper>=2"))
        .with(package("helper", "1.0"))
        .with(package("helper", "1.1"))
        .with(package("helper", "2.0"))
        .with(package("extra-tool", "1.0").dep("only-for-tool"))
        .with(package("only-for-tool", "1.0"))
        .with(package("winhelper", "1.0"))
}

/// An override with a marker replaces `app`'s `lib<2` where its marker holds (Python 3.11 up,
/// so the resolution forks there) and leaves it elsewhere; `--exclude` drops `extra-tool` and
/// what only it needs in every fork. `# via` says which pin the override made.
#[test]
fn overrides_and_excludes_apply_in_every_fork() {
    let ctx = TestContext::new(&rewrites_universe());
    ctx.write("requirements.in", "app\n");
    ctx.write("overrides.txt", "lib>=2 ; python_version >= \"3.11\"\n");
    universal(&ctx, "3.9")
        .args(["--override", "overrides.txt", "--exclude", "extra-tool"])
        .arg("requirements.in")
        .assert()
        .success();
    assert_eq!(
        pins(&ctx, "requirements.txt"),
        [
            "app==1.1",
            "helper==1.1 ; python_full_version < '3.11'",
            "helper==2.0 ; python_full_version >= '3.11'",
            "lib==1.5 ; python_full_version < '3.11'",
            "lib==2.0 ; python_full_version >= '3.11'",
            "winhelper==1.0 ; sys_platform == 'win32'",
        ]
    );
    let input = ctx.read("requirements.in");
    let roots: Vec<String> = input.lines().map(str::to_string).collect();
    let universe = rewrites_universe();
    let oracle = common::universal::Oracle::new(&universe, &roots, "3.9")
        .overrides(&["lib>=2 ; python_version >= \"3.11\""])
        .excludes(&["extra-tool"]);
    let violations = oracle.check(&ctx.read("requirements.txt"));
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    // Without them the oracle finds what they changed.
    let plain = common::universal::Oracle::new(&universe, &roots, "3.9")
        .check(&ctx.read("requirements.txt"));
    assert!(
        plain.iter().any(|v| v.contains("requires `lib<2`"))
            && plain.iter().any(|v| v.contains("`extra-tool`")),
        "{plain:?}"
    );
    insta::assert_snapshot!(ctx.lockfile("requirements.txt"));
    // The header records both: `--check` alone reproduces the lockfile, and `check` reads
    // the requirements through them in every environment.
    ctx.pinion()
        .args(["compile", "--check", "requirements.in"])
        .assert()
        .success();
    ctx.check().arg("requirements.txt").assert().success();
    // `why` follows the override where its marker holds and `app`'s own `lib<2` elsewhere.
    let why = ctx.pinion().args(["why", "lib"]).output().unwrap();
    let why = String::from_utf8_lossy(&why.stdout);
    assert!(
        why.contains("(overridden by overrides.txt)") && why.contains("requires lib<2"),
        "{why}"
    );
}

/// An override without a marker holds everywhere: no fork, one `lib` 2.0, overridden on
/// every path; a root requirement is overridden too.
#[test]
fn an_unconditional_override_replaces_the_requirement_in_the_whole_universe() {
    let ctx = TestContext::new(&rewrites_universe());
    ctx.write("requirements.in", "app\nlib<1.5\n");
    ctx.write("overrides.txt", "lib>=2\n");
    universal(&ctx, "3.9")
        .args(["--override", "overrides.txt", "--exclude", "winhelper"])
        .arg("requirements.in")
        .assert()
        .success();
    assert_eq!(
        pins(&ctx, "requirements.txt"),
        [
            "app==1.1",
            "extra-tool==1.0",
            "helper==2.0",
            "lib==2.0",
            "only-for-tool==1.0",
        ]
    );
    let lockfile = ctx.read("requirements.txt");
    assert!(
        lockfile.contains("lib==2.0\n    # via\n    #   -r requirements.in (overridden by overrides.txt)\n    #   app (overridden by overrides.txt)\n"),
        "{lockfile}"
    );
    let input = ctx.read("requirements.in");
    let roots: Vec<String> = input.lines().map(str::to_string).collect();
    let universe = rewrites_universe();
    let violations = common::universal::Oracle::new(&universe, &roots, "3.9")
        .overrides(&["lib>=2"])
        .excludes(&["winhelper"])
        .check(&lockfile);
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    ctx.check().arg("requirements.txt").assert().success();
}

/// `--resolution lowest-direct`: the lowest `app` in every fork, the newest of the rest;
/// `lowest`: the lowest of everything. Both recorded in the header for `--check`.
#[test]
fn lowest_resolutions_apply_in_every_fork() {
    let ctx = TestContext::new(&rewrites_universe());
    ctx.write("requirements.in", "app\n");
    universal(&ctx, "3.9")
        .args(["--resolution", "lowest-direct", "requirements.in"])
        .assert()
        .success();
    assert_eq!(
        pins(&ctx, "requirements.txt"),
        [
            "app==1.0",
            "extra-tool==1.0",
            "helper==1.1",
            "lib==1.5",
            "only-for-tool==1.0",
            "winhelper==1.0 ; sys_platform == 'win32'",
        ]
    );
    assert_oracle(&ctx, "requirements.txt", &rewrites_universe(), "3.9");
    assert!(
        ctx.read("requirements.txt")
            .contains("--resolution lowest-direct"),
        "{}",
        ctx.read("requirements.txt")
    );
    ctx.pinion()
        .args(["compile", "--check", "requirements.in"])
        .assert()
        .success();

    universal(&ctx, "3.9")
        .args(["--resolution", "lowest", "-U", "-o", "lowest.txt"])
        .arg("requirements.in")
        .assert()
        .success();
    assert_eq!(
        pins(&ctx, "lowest.txt"),
        [
            "app==1.0",
            "extra-tool==1.0",
            "helper==1.0",
            "lib==1.0",
            "only-for-tool==1.0",
            "winhelper==1.0 ; sys_platform == 'win32'",
        ]
    );
    assert_oracle(&ctx, "lowest.txt", &rewrites_universe(), "3.9");
}
