//! `pinion sync` through the binary, into fresh venvs, against the local index; pip checks the
//! result.

#[path = "common/support.rs"]
pub mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::SystemTime;

use common::{Package, PackageUniverse, TestContext};

/// A project against the basic index plus `setuptools` and `six`, with a fresh venv.
fn project() -> TestContext {
    let universe = PackageUniverse::testdata("basic")
        .with(Package::new("setuptools", "70.0.0"))
        .with(Package::new("six", "1.16.0").requires_python(">=2.7"));
    TestContext::new(&universe).with_venv()
}

/// `pip freeze` of the venv, by the base interpreter's pip.
fn freeze(venv: &Path) -> String {
    let output = std::process::Command::new("python3")
        .args(["-m", "pip", "--python"])
        .arg(venv.join("bin/python"))
        .args(["freeze", "--all", "--disable-pip-version-check"])
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().to_lowercase()
}

fn pip_check(venv: &Path) {
    let output = std::process::Command::new("python3")
        .args(["-m", "pip", "--python"])
        .arg(venv.join("bin/python"))
        .args(["check", "--disable-pip-version-check"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pip check: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// Every file and folder under `root` (relative), with size and modification time.
fn tree(root: &Path) -> BTreeMap<PathBuf, (u64, Option<SystemTime>)> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| {
            let meta = e.metadata().unwrap();
            let key = e.path().strip_prefix(root).unwrap().to_path_buf();
            let size = if meta.is_file() { meta.len() } else { 0 };
            (key, (size, meta.modified().ok()))
        })
        .collect()
}

/// File names only, for comparing venvs reached by different paths.
fn names(root: &Path) -> Vec<PathBuf> {
    tree(root)
        .into_keys()
        .filter(|p| !p.components().any(|c| c.as_os_str() == "__pycache__"))
        .collect()
}

fn python(venv: &Path, code: &str) -> Output {
    std::process::Command::new(venv.join("bin/python"))
        .args(["-c", code])
        .output()
        .unwrap()
}

#[test]
fn sync_installs_what_the_lockfile_pins() {
    let ctx = project();
    ctx.write_lockfile(
        "requirements.txt",
        "charset-normalizer==3.4.0\nidna==3.10\nrequests[socks]==2.32.3\nurllib3==2.2.3\n\
certifi==2024.8.30\npysocks==1.7.1\n",
    );
    let output = pinion_snapshot!(ctx.filters(), ctx.sync().arg("requirements.txt"));
    assert!(output.status.success());
    let imported = python(
        ctx.venv(),
        "import requests, idna, pysocks; print(requests.__version__)",
    );
    assert_eq!(String::from_utf8_lossy(&imported.stdout).trim(), "2.32.3");
    // The console script of charset-normalizer runs.
    let script = std::process::Command::new(ctx.venv().join("bin/normalizer"))
        .output()
        .unwrap();
    assert!(script.status.success(), "{script:?}");
    pip_check(ctx.venv());
    assert_eq!(
        freeze(ctx.venv()),
        "certifi==2024.8.30\ncharset-normalizer==3.4.0\nidna==3.10\npysocks==1.7.1\nrequests==2.32.3\nurllib3==2.2.3\n"
    );
}

#[test]
fn upgrades_downgrades_and_removals_leave_exactly_the_lockfile() {
    let ctx = project();
    ctx.write_lockfile("a.txt", "idna==3.7\ncertifi==2024.8.30\nurllib3==2.2.3\n");
    ctx.write_lockfile(
        "b.txt",
        "idna==3.10\ncertifi==2024.7.4\ncharset-normalizer==3.3.2\n",
    );
    ctx.sync().arg("a.txt").assert().success();
    ctx.sync().arg("b.txt").assert().success();
    assert_eq!(
        freeze(ctx.venv()),
        "certifi==2024.7.4\ncharset-normalizer==3.3.2\nidna==3.10\n"
    );
    // No stray files: the same tree as a venv synced to the second lockfile directly.
    let direct = ctx.new_venv("direct");
    ctx.sync_into(&direct).arg("b.txt").assert().success();
    assert_eq!(names(ctx.venv()), names(&direct));
    pip_check(ctx.venv());
}

#[test]
fn a_second_sync_is_a_noop_that_writes_nothing() {
    let ctx = project();
    ctx.write_lockfile("requirements.txt", "idna==3.10\ncertifi==2024.8.30\n");
    ctx.sync().arg("requirements.txt").assert().success();
    let before = tree(ctx.venv());
    ctx.sync()
        .arg("requirements.txt")
        .assert()
        .success()
        .stderr(predicates::str::contains("Everything is up to date"));
    assert_eq!(before, tree(ctx.venv()));
}

/// A no-op sync trusts what an earlier check of each `.dist-info` found while its directories
/// are unchanged (`install/checked.rs`); a change behind pinion's back is seen all the same.
#[test]
fn changes_behind_pinions_back_are_seen_after_a_remembered_check() {
    let ctx = project();
    ctx.write_lockfile(
        "requirements.txt",
        "idna==3.10
six==1.16.0
certifi==2024.8.30
",
    );
    ctx.sync().arg("requirements.txt").assert().success();
    // Directories changed within the last second are checked file by file, and not remembered.
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let noop = |expected: &str| {
        ctx.sync()
            .arg("requirements.txt")
            .env("RUST_LOG", "pinion=debug")
            .assert()
            .success()
            .stderr(predicates::str::contains("Everything is up to date"))
            .stderr(predicates::str::contains(expected.to_string()));
    };
    noop("3 checked file by file");
    noop("3 distributions as last checked, 0 checked file by file");

    let site = std::fs::read_dir(ctx.venv().join("lib"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("site-packages");
    // A file deleted, a `direct_url.json` added (now from a local path), a distribution
    // installed by another tool.
    std::fs::remove_file(site.join("idna/__init__.py")).unwrap();
    std::fs::write(
        site.join("six-1.16.0.dist-info/direct_url.json"),
        r#"{"url": "file:///tmp/six", "dir_info": {}}"#,
    )
    .unwrap();
    let extra = site.join("extra-1.0.dist-info");
    std::fs::create_dir(&extra).unwrap();
    std::fs::write(
        extra.join("METADATA"),
        "Metadata-Version: 2.1\nName: extra\nVersion: 1.0\n",
    )
    .unwrap();
    std::fs::write(
        extra.join("RECORD"),
        "extra-1.0.dist-info/METADATA,,\nextra-1.0.dist-info/RECORD,,\n",
    )
    .unwrap();

    let dry = ctx
        .sync()
        .args(["--dry-run", "requirements.txt"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert_eq!(dry.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("~ idna 3.10 -> 3.10 (broken: 1 file"),
        "{stdout}"
    );
    assert!(stdout.contains("~ six 1.16.0 -> 1.16.0"), "{stdout}");
    assert!(stdout.contains("- extra==1.0"), "{stdout}");
    assert!(!stdout.contains("certifi"), "{stdout}");

    ctx.sync().arg("requirements.txt").assert().success();
    assert!(site.join("idna/__init__.py").is_file());
    assert!(!site.join("six-1.16.0.dist-info/direct_url.json").exists());
    assert!(!extra.exists());
    pip_check(ctx.venv());

    // The lockfile's pins were remembered by its stat data (`install/pinned.rs`); rewritten,
    // it is parsed again.
    assert!(ctx.cache_dir().join("sync-pins-v1").is_dir());
    ctx.write_lockfile(
        "requirements.txt",
        "idna==3.7\nsix==1.16.0\ncertifi==2024.8.30\n",
    );
    ctx.sync().arg("requirements.txt").assert().success();
    assert!(freeze(ctx.venv()).contains("idna==3.7\n"));
}

#[test]
fn a_hash_mismatch_changes_nothing() {
    let ctx = project();
    ctx.write_lockfile("good.txt", "idna==3.7\n");
    ctx.sync().arg("good.txt").assert().success();
    let before = tree(ctx.venv());
    let idna = ctx.server().sha256("idna-3.10-py3-none-any.whl");
    let certifi = ctx.server().sha256("certifi-2024.8.30-py3-none-any.whl");
    let wrong = "0".repeat(64);
    ctx.write_lockfile(
        "bad.txt",
        &format!(
            "certifi==2024.8.30 --hash=sha256:{certifi}\nidna==3.10 --hash=sha256:{idna}\nsix==1.16.0 --hash=sha256:{wrong}\n"
        ),
    );
    // An absolute path, as a Makefile would pass it: the error names it in full.
    let output = pinion_snapshot!(ctx.filters(), ctx.sync().arg(ctx.path().join("bad.txt")));
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        before,
        tree(ctx.venv()),
        "the venv must be byte-for-byte as it was"
    );
}

#[test]
fn a_wheel_that_escapes_its_folder_is_refused() {
    let ctx = project();
    let links = ctx.path().join("links");
    std::fs::create_dir_all(&links).unwrap();
    write_evil_wheel(&links.join("evil-1.0-py3-none-any.whl"));
    ctx.write(
        "requirements.txt",
        &format!(
            "--no-index\n--find-links {}\n\nevil==1.0\n",
            links.display()
        ),
    );
    let before = tree(ctx.venv());
    ctx.sync()
        .arg(ctx.path().join("requirements.txt"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("../"));
    assert_eq!(before, tree(ctx.venv()));
    assert!(!ctx.path().join("evil.py").exists());
    assert!(!ctx.venv().join("lib").join("evil.py").exists());
}

/// A wheel whose RECORD and contents are valid except for one `../` entry.
fn write_evil_wheel(path: &Path) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    let entries: [(&str, &str); 4] = [
        ("evil/__init__.py", ""),
        ("../../../evil.py", "print('escaped')\n"),
        (
            "evil-1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n",
        ),
        (
            "evil-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
    ];
    let mut record = String::new();
    for (name, content) in entries {
        zip.start_file(name, options).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
        record.push_str(&format!("{name},,\n"));
    }
    record.push_str("evil-1.0.dist-info/RECORD,,\n");
    zip.start_file("evil-1.0.dist-info/RECORD", options)
        .unwrap();
    zip.write_all(record.as_bytes()).unwrap();
    zip.finish().unwrap();
}

#[test]
fn protected_packages_stay() {
    let ctx = project();
    ctx.write_lockfile("with.txt", "setuptools==70.0.0\nidna==3.10\n");
    ctx.sync().arg("with.txt").assert().success();
    ctx.write_lockfile("without.txt", "idna==3.10\n");
    ctx.sync().arg("without.txt").assert().success();
    assert_eq!(freeze(ctx.venv()), "idna==3.10\nsetuptools==70.0.0\n");
}

#[test]
fn dry_run_changes_nothing() {
    let ctx = project();
    ctx.write_lockfile("a.txt", "idna==3.7\nsix==1.16.0\n");
    ctx.sync().arg("a.txt").assert().success();
    let before = tree(ctx.venv());
    ctx.write_lockfile("b.txt", "idna==3.10\ncertifi==2024.8.30\n");
    // pip-sync's rule: exit 1 when there are changes to make, so CI can ask.
    let output = pinion_snapshot!(ctx.filters(), ctx.sync().args(["--dry-run", "b.txt"]));
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(before, tree(ctx.venv()));
    // In sync: exit 0.
    ctx.sync()
        .args(["--dry-run", "a.txt"])
        .assert()
        .success()
        .stderr(predicates::str::contains("Everything is up to date"));
}

#[test]
fn markers_lockfile_merging_and_refusals() {
    let ctx = project();
    // A pin whose marker is false for the venv is not installed.
    ctx.write_lockfile(
        "marked.txt",
        "idna==3.10\nsix==1.16.0 ; sys_platform == \"win32\"\n",
    );
    ctx.sync().arg("marked.txt").assert().success();
    assert_eq!(freeze(ctx.venv()), "idna==3.10\n");
    // Several lockfiles merge; a package pinned twice differently names both lines.
    ctx.write_lockfile("dev.txt", "certifi==2024.8.30\nidna==3.7\n");
    let output = pinion_snapshot!(
        "conflicting_pins",
        ctx.filters(),
        ctx.sync()
            .arg(ctx.path().join("marked.txt"))
            .arg(ctx.path().join("dev.txt"))
    );
    assert_eq!(output.status.code(), Some(2));
    ctx.write_lockfile("prod.txt", "certifi==2024.8.30\n");
    ctx.sync()
        .args(["marked.txt", "prod.txt"])
        .assert()
        .success();
    assert_eq!(freeze(ctx.venv()), "certifi==2024.8.30\nidna==3.10\n");
    // An interpreter that is not a venv is refused.
    ctx.pinion()
        .args(["sync", "--python", "python3", "prod.txt"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not a virtualenv"));
}
