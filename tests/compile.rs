//! `pinion compile` through the binary against the local index.

#[path = "common/support.rs"]
pub mod common;

use std::path::Path;

use common::{IndexOptions, IndexServer, Package, PackageUniverse, TestContext};

/// A project against `testdata/indexes/basic.toml`.
fn basic() -> TestContext {
    TestContext::new(&PackageUniverse::testdata("basic"))
}

#[test]
fn compiles_a_pinned_lockfile_with_via_annotations() {
    let ctx = basic();
    ctx.write("requirements.in", "requests[socks]>=2.31\n");
    ctx.compile().arg("requirements.in").assert().success();
    insta::assert_snapshot!(ctx.lockfile("requirements.txt"));
}

#[test]
fn generate_hashes_lists_every_file_of_the_release() {
    let ctx = basic();
    ctx.write("requirements.in", "charset-normalizer\nidna\n");
    ctx.compile()
        .args(["--generate-hashes", "requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.read("requirements.txt");
    // charset-normalizer 3.4.0 has four wheels and an sdist.
    let charset = lockfile.split("idna==").next().unwrap();
    assert_eq!(charset.matches("--hash=sha256:").count(), 5, "{lockfile}");
    for file in [
        "charset_normalizer-3.4.0-py3-none-any.whl",
        "charset_normalizer-3.4.0.tar.gz",
    ] {
        assert!(
            lockfile.contains(&ctx.server().sha256(file)),
            "{file} missing"
        );
    }
    insta::assert_snapshot!(ctx.lockfile("requirements.txt"));
}

#[test]
fn annotation_styles_and_no_header() {
    let ctx = basic();
    ctx.write("requirements.in", "requests\nidna\n");
    ctx.compile()
        .args([
            "--annotation-style",
            "line",
            "--no-header",
            "requirements.in",
        ])
        .assert()
        .success();
    insta::assert_snapshot!("line_style", ctx.lockfile("requirements.txt"));
    ctx.compile()
        .args([
            "--no-annotate",
            "--no-header",
            "-o",
            "bare.txt",
            "requirements.in",
        ])
        .assert()
        .success();
    insta::assert_snapshot!("no_annotate", ctx.lockfile("bare.txt"));
}

#[test]
fn compiling_twice_is_byte_identical_and_keeps_pins() {
    let ctx = basic();
    ctx.write("requirements.in", "requests\n");
    ctx.compile().arg("requirements.in").assert().success();
    let first = ctx.read("requirements.txt");
    ctx.compile().arg("requirements.in").assert().success();
    assert_eq!(first, ctx.read("requirements.txt"));

    // New releases appear: existing pins are preferences, so nothing moves...
    let universe = PackageUniverse::testdata("basic")
        .with(Package::new("urllib3", "2.2.4").requires_python(">=3.8"))
        .with(Package::new("idna", "3.11").requires_python(">=3.6"));
    ctx.server().set_universe(&universe);
    ctx.compile()
        .args(["--refresh", "requirements.in"])
        .assert()
        .success();
    assert_eq!(first, ctx.read("requirements.txt"));

    // ...until -P asks for one package: only that pin changes.
    ctx.compile()
        .args(["-P", "urllib3", "requirements.in"])
        .assert()
        .success();
    let upgraded = ctx.read("requirements.txt");
    assert!(upgraded.contains("urllib3==2.2.4"), "{upgraded}");
    assert!(upgraded.contains("idna==3.10"), "{upgraded}");
    assert_eq!(
        first.replace("urllib3==2.2.3", "urllib3==2.2.4"),
        upgraded,
        "-P urllib3 must change only urllib3"
    );

    // -P NAME==VERSION moves the pin exactly there, down as well as up.
    ctx.compile()
        .args(["-P", "urllib3==1.26.20", "requirements.in"])
        .assert()
        .success();
    assert!(ctx.read("requirements.txt").contains("urllib3==1.26.20"));

    // -U drops every preference.
    ctx.compile()
        .args(["-U", "requirements.in"])
        .assert()
        .success();
    let all = ctx.read("requirements.txt");
    assert!(
        all.contains("urllib3==2.2.4") && all.contains("idna==3.11"),
        "{all}"
    );
}

#[test]
fn a_conflict_is_explained_and_leaves_the_output_alone() {
    let ctx = basic();
    ctx.write("requirements.in", "requests==2.32.3\nurllib3<1.21\n");
    ctx.write("requirements.txt", "# the old lockfile\n");
    let output = pinion_snapshot!(ctx.filters(), ctx.compile().arg("requirements.in"));
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(ctx.read("requirements.txt"), "# the old lockfile\n");
}

#[test]
fn an_unknown_package_is_named() {
    let ctx = basic();
    ctx.write("requirements.in", "requests\nno-such-package>=1\n");
    let output = pinion_snapshot!(ctx.filters(), ctx.compile().arg("requirements.in"));
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn requires_python_decides_between_releases() {
    let ctx = basic();
    ctx.write("requirements.in", "certifi\n");
    ctx.compile().arg("requirements.in").assert().success();
    assert!(ctx.read("requirements.txt").contains("certifi==2024.8.30"));
    ctx.pinion()
        .args(["compile", "--index-url", &ctx.index_url()])
        .args([
            "--python-version",
            "3.13",
            "-o",
            "py313.txt",
            "requirements.in",
        ])
        .assert()
        .success();
    assert!(ctx.read("py313.txt").contains("certifi==2025.1.31"));
    // A pin that needs a newer Python explains itself.
    ctx.write("new.in", "certifi==2025.1.31\n");
    let output = pinion_snapshot!(ctx.filters(), ctx.compile().arg("new.in"));
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn pre_releases_only_when_asked() {
    let ctx = basic();
    ctx.write("requirements.in", "urllib3\n");
    ctx.compile().arg("requirements.in").assert().success();
    assert!(ctx.read("requirements.txt").contains("urllib3==2.2.3"));
    ctx.compile()
        .args(["--pre", "-U", "requirements.in"])
        .assert()
        .success();
    assert!(ctx.read("requirements.txt").contains("urllib3==2.3.0b1"));
    ctx.write("named.in", "urllib3>=2.3.0b1\n");
    ctx.compile().arg("named.in").assert().success();
    assert!(ctx.read("named.txt").contains("urllib3==2.3.0b1"));
}

#[test]
fn yanked_releases_only_when_pinned_exactly() {
    let ctx = basic();
    ctx.write("requirements.in", "idna<3.10\n");
    ctx.compile().arg("requirements.in").assert().success();
    assert!(ctx.read("requirements.txt").contains("idna==3.7"));
    ctx.write("pinned.in", "idna==3.8\n");
    ctx.compile().arg("pinned.in").assert().success();
    assert!(ctx.read("pinned.txt").contains("idna==3.8"));
}

#[test]
fn dry_run_and_stdin_print_to_stdout() {
    let ctx = basic();
    ctx.write("requirements.in", "idna\n");
    let output = ctx
        .compile()
        .args(["--dry-run", "requirements.in"])
        .assert()
        .success();
    assert!(!ctx.path().join("requirements.txt").exists());
    assert!(String::from_utf8_lossy(&output.get_output().stdout).contains("idna==3.10"));
    pinion_snapshot!(
        ctx.filters(),
        ctx.compile().args(["--no-header", "-"]).write_stdin("idna\n"),
        @r"
    exit code: 0
    ----- stdout -----
    --index-url [INDEX]

    idna==3.10
        # via -r -

    ----- stderr -----
    Resolved 1 package in [TIME]: lockfile printed
    "
    );
}

#[test]
fn constraints_limit_versions_and_are_annotated() {
    let ctx = basic();
    ctx.write("requirements.in", "-c constraints.txt\nrequests\n");
    ctx.write("constraints.txt", "urllib3<2\n");
    ctx.compile()
        .args(["--no-header", "requirements.in"])
        .assert()
        .success();
    insta::assert_snapshot!(ctx.lockfile("requirements.txt"));
}

#[test]
fn every_index_flavour_gives_the_same_lockfile() {
    let compile = |ctx: &TestContext| {
        ctx.write("requirements.in", "requests[socks]\n");
        ctx.compile()
            .args(["--no-header", "--generate-hashes", "requirements.in"])
            .assert()
            .success();
        ctx.lockfile("requirements.txt")
    };
    let reference = compile(&basic());
    // (flavour, how wheel metadata must have been fetched)
    let flavours = [
        (
            "html",
            IndexOptions {
                json: false,
                ..IndexOptions::default()
            },
            "PEP 658",
        ),
        (
            "no-pep658",
            IndexOptions {
                pep658: false,
                ..IndexOptions::default()
            },
            "range",
        ),
        (
            "no-range",
            IndexOptions {
                pep658: false,
                range_requests: false,
                ..IndexOptions::default()
            },
            "whole file",
        ),
    ];
    for (name, options, path) in flavours {
        let ctx = TestContext::with_index_options(&PackageUniverse::testdata("basic"), options);
        assert_eq!(reference, compile(&ctx), "{name}");
        let requests = ctx.server().requests();
        let count = |f: &dyn Fn(&String) -> bool| requests.iter().filter(|r| f(r)).count();
        let pep658 = count(&|r| r.contains(".whl.metadata"));
        let ranges = count(&|r| r.contains(".whl [Range"));
        let whole = count(&|r| r.ends_with(".whl"));
        let expected = match path {
            "PEP 658" => pep658 > 0 && ranges == 0 && whole == 0,
            "range" => pep658 == 0 && ranges > 0 && whole == 0,
            _ => pep658 == 0 && whole > 0,
        };
        assert!(
            expected,
            "{name}: metadata not fetched by {path}: {requests:?}"
        );
    }
}

#[test]
fn find_links_directory_without_an_index() {
    let ctx = basic();
    ctx.server()
        .write_find_links_dir(&ctx.path().join("wheels"));
    ctx.write("requirements.in", "requests\n");
    ctx.pinion()
        .args(["compile", "--no-index", "--find-links", "wheels"])
        .args(["--python-version", "3.12", "--no-header", "requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.read("requirements.txt");
    assert!(
        lockfile.starts_with("--no-index\n--find-links wheels\n"),
        "{lockfile}"
    );
    assert!(lockfile.contains("requests==2.32.3"), "{lockfile}");
}

#[test]
fn a_warm_cache_compiles_without_the_network() {
    let ctx = basic();
    ctx.write("requirements.in", "requests[socks]\n");
    ctx.compile().arg("requirements.in").assert().success();
    ctx.server().clear_requests();
    // Within the freshness window nothing is asked again, even though the index sends no
    // caching headers.
    ctx.compile()
        .args(["--no-header", "-o", "again.txt", "requirements.in"])
        .assert()
        .success();
    assert_eq!(ctx.server().requests(), Vec::<String>::new());
    // --offline works from the cache alone.
    ctx.compile()
        .args([
            "--offline",
            "--no-header",
            "-o",
            "offline.txt",
            "requirements.in",
        ])
        .assert()
        .success();
    assert_eq!(ctx.read("again.txt"), ctx.read("offline.txt"));
}

#[test]
fn unsafe_packages_extras_and_extra_indexes() {
    let universe = PackageUniverse::new()
        .with(
            Package::new("app", "1.0")
                .dep("setuptools>=60")
                .dep("lib[fast]"),
        )
        .with(Package::new("setuptools", "70.0.0"))
        .with(Package::new("lib", "2.0").extra("fast", &["speedup"]));
    let extra = IndexServer::serve(&PackageUniverse::new().with(Package::new("speedup", "0.3")));
    let ctx = TestContext::new(&universe).with_filter(extra.url(), "[EXTRA]");
    ctx.write("requirements.in", "app\n");
    let compile = |args: &[&str]| {
        ctx.pinion()
            .args(["compile", "--no-header", "--python-version", "3.12"])
            .args(["--index-url", &ctx.index_url()])
            .args(["--extra-index-url", &extra.url()])
            .args(args)
            .arg("requirements.in")
            .assert()
            .success();
    };
    compile(&[]);
    insta::assert_snapshot!("unsafe_listed_not_pinned", ctx.lockfile("requirements.txt"));
    compile(&["--allow-unsafe", "--strip-extras"]);
    insta::assert_snapshot!(
        "unsafe_pinned_extras_stripped",
        ctx.lockfile("requirements.txt")
    );
}

#[test]
fn a_non_regular_output_is_written_in_place() {
    let ctx = basic();
    ctx.write("requirements.in", "idna\n");
    ctx.compile()
        .args(["-o", "/dev/null", "requirements.in"])
        .assert()
        .success();
    assert!(Path::new("/dev/null").exists());
    assert!(!Path::new("/dev/null").is_file());
}

#[test]
fn direct_references_to_files_are_pinned_by_url() {
    let ctx = basic().with_venv();
    let url = format!(
        "{}/idna-3.7-py3-none-any.whl",
        ctx.server().files_url().trim_end_matches('/')
    );
    ctx.write("requirements.in", &format!("idna @ {url}\nrequests\n"));
    ctx.compile()
        .args(["--no-header", "--generate-hashes", "requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.read("requirements.txt");
    let hash = ctx.server().sha256("idna-3.7-py3-none-any.whl");
    assert!(
        lockfile.contains(&format!("idna @ {url} \\\n    --hash=sha256:{hash}\n")),
        "{lockfile}"
    );
    // pip reads the same line.
    let pip = std::process::Command::new("python3")
        .args(["-m", "pip", "--python"])
        .arg(ctx.venv().join("bin/python"))
        .args(["install", "--no-deps", "--require-hashes"])
        .args(["--disable-pip-version-check", "-q", "-r"])
        .arg(ctx.path().join("requirements.txt"))
        .output()
        .unwrap();
    assert!(
        pip.status.success(),
        "{}",
        String::from_utf8_lossy(&pip.stderr)
    );
}

#[test]
fn hashes_of_find_links_files_are_computed() {
    let ctx = basic();
    ctx.server()
        .write_find_links_dir(&ctx.path().join("wheels"));
    ctx.write("requirements.in", "idna\n");
    ctx.pinion()
        .args([
            "compile",
            "--no-index",
            "-f",
            "wheels",
            "--python-version",
            "3.12",
        ])
        .args(["--no-header", "--generate-hashes", "requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.read("requirements.txt");
    for file in ["idna-3.10-py3-none-any.whl", "idna-3.10.tar.gz"] {
        assert!(
            lockfile.contains(&ctx.server().sha256(file)),
            "{file}: {lockfile}"
        );
    }
}

#[test]
fn no_emit_index_url_keeps_the_index_out_and_check_reads_it_back() {
    let ctx = basic();
    ctx.write("requirements.in", "idna\n");
    ctx.compile()
        .args(["--no-emit-index-url", "requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.lockfile("requirements.txt");
    assert!(!lockfile.contains("\n--index-url"), "{lockfile}");
    assert!(lockfile.contains("idna=="), "{lockfile}");
    // The header records the flag: `--check` with no flags compiles the same file.
    ctx.pinion()
        .args(["compile", "--check", "requirements.in"])
        .assert()
        .success();
    ctx.compile().arg("requirements.in").assert().success();
    let lockfile = ctx.lockfile("requirements.txt");
    assert!(lockfile.contains("\n--index-url [INDEX]\n"), "{lockfile}");
}

/// A project against `testdata/indexes/markers.toml` (requirements with markers).
fn with_markers() -> TestContext {
    TestContext::new(&PackageUniverse::testdata("markers"))
}

/// `pinion compile --no-strip-markers` for Python `python` on `platform` (uv's flag): each pin
/// keeps the markers under which it is needed, simplified against the target's Python.
fn compile_keeping_markers(ctx: &TestContext, python: &str, platform: &str) -> String {
    ctx.pinion()
        .args(["compile", "--index-url", &ctx.index_url()])
        .args(["--python-version", python, "--python-platform", platform])
        .args(["--no-strip-markers", "requirements.in"])
        .assert()
        .success();
    ctx.lockfile("requirements.txt")
}

#[test]
fn no_strip_markers_keeps_the_markers_each_pin_is_needed_under() {
    let ctx = with_markers();
    ctx.write("requirements.in", "black[uvloop]\npytest\n");
    // On Linux for 3.10: tomli and exceptiongroup below 3.11, typing-extensions the union of
    // its three paths (below 3.12), uvloop off Windows; nothing for what only Windows or
    // Python < 3.8 needs, and nothing for `pytest`'s cycle through pluggy.
    insta::assert_snapshot!(
        "markers_linux_3_10",
        compile_keeping_markers(&ctx, "3.10", "linux")
    );
    // On Windows colorama is needed through two paths, uvloop not at all.
    insta::assert_snapshot!(
        "markers_windows_3_10",
        compile_keeping_markers(&ctx, "3.10", "windows")
    );
    // For 3.12 the Python conditions that remain all hold: no markers, as without the flag.
    ctx.write("requirements.in", "pytest\n");
    let lockfile = compile_keeping_markers(&ctx, "3.12", "linux");
    assert!(!lockfile.contains(" ; "), "{lockfile}");
}

#[test]
fn no_strip_markers_is_recorded_and_its_lockfile_checks_and_syncs() {
    let ctx = with_markers().with_venv();
    ctx.write("requirements.in", "black\n");
    let lockfile = compile_keeping_markers(&ctx, "3.10", "linux");
    assert!(
        lockfile.contains("tomli==2.0.2 ; python_full_version < '3.11'"),
        "{lockfile}"
    );
    // The header's flag reproduces the markers under `--check`, and `check` reads them.
    ctx.pinion()
        .args([
            "compile",
            "--check",
            "-o",
            "requirements.txt",
            "requirements.in",
        ])
        .assert()
        .success();
    ctx.check().assert().success();
    // Synced into the host's Python: on 3.11 or newer the pins for older Pythons stay out of
    // the venv.
    ctx.sync().arg("requirements.txt").assert().success();
    let site = std::fs::read_dir(ctx.venv().join("lib"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("site-packages");
    let mut installed: Vec<String> = std::fs::read_dir(site)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter(|name| name.ends_with(".dist-info"))
        .collect();
    installed.sort();
    let mut expected = vec![
        "black-24.10.0.dist-info",
        "click-8.1.7.dist-info",
        "packaging-24.1.dist-info",
    ];
    let host = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.version_info >= (3, 11))"])
        .output()
        .unwrap();
    if String::from_utf8_lossy(&host.stdout).trim() != "True" {
        expected.extend([
            "tomli-2.0.2.dist-info",
            "typing_extensions-4.12.2.dist-info",
        ]);
        expected.sort();
    }
    assert_eq!(installed, expected);
}

#[test]
fn tool_pinion_no_strip_markers() {
    let ctx = with_markers();
    ctx.write("pyproject.toml", "[tool.pinion]\nno-strip-markers = true\n");
    ctx.write("requirements.in", "pytest\n");
    ctx.pinion()
        .args(["compile", "--index-url", &ctx.index_url()])
        .args(["--python-version", "3.9", "requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.read("requirements.txt");
    assert!(!lockfile.contains("--no-strip-markers"), "{lockfile}");
    assert!(
        lockfile.contains("exceptiongroup==1.2.2 ; python_full_version < '3.11'\n"),
        "{lockfile}"
    );
}
