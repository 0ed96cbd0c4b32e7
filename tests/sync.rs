//! `pinion sync` through the binary, into fresh venvs, against the local index; pip checks the
//! result.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::SystemTime;

use common::{IndexServer, Package, PackageUniverse, fresh_venv, pinion, render_against};
use tempfile::TempDir;

struct Env {
    dir: TempDir,
    server: IndexServer,
}

impl Env {
    fn new() -> Self {
        let universe = PackageUniverse::testdata("basic")
            .with(Package::new("setuptools", "70.0.0"))
            .with(Package::new("six", "1.16.0").requires_python(">=2.7"));
        Self::with_universe(&universe)
    }

    fn with_universe(universe: &PackageUniverse) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            server: IndexServer::serve(universe),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A fresh venv without pip (milliseconds to make); pip is used from outside.
    fn venv(&self, name: &str) -> PathBuf {
        fresh_venv(self.path(), name)
    }

    /// A lockfile that points at the local index.
    fn lockfile(&self, name: &str, pins: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(
            &path,
            format!("--index-url {}\n\n{pins}", self.server.url()),
        )
        .unwrap();
        path
    }

    fn sync(&self, venv: &Path, lockfiles: &[&Path], extra: &[&str]) -> Output {
        pinion(self.path())
            .arg("sync")
            .arg("--python")
            .arg(venv.join("bin/python"))
            .args(extra)
            .args(lockfiles)
            .output()
            .unwrap()
    }

    fn render(&self, output: &Output) -> String {
        render_against(output, &self.server, self.path())
    }
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
    let env = Env::new();
    let venv = env.venv("venv");
    let lockfile = env.lockfile(
        "requirements.txt",
        "charset-normalizer==3.4.0\nidna==3.10\nrequests[socks]==2.32.3\nurllib3==2.2.3\n\
certifi==2024.8.30\npysocks==1.7.1\n",
    );
    let output = env.sync(&venv, &[&lockfile], &[]);
    assert!(output.status.success(), "{}", env.render(&output));
    insta::assert_snapshot!(env.render(&output));
    let imported = python(
        &venv,
        "import requests, idna, pysocks; print(requests.__version__)",
    );
    assert_eq!(String::from_utf8_lossy(&imported.stdout).trim(), "2.32.3");
    // The console script of charset-normalizer runs.
    let script = std::process::Command::new(venv.join("bin/normalizer"))
        .output()
        .unwrap();
    assert!(script.status.success(), "{script:?}");
    pip_check(&venv);
    assert_eq!(
        freeze(&venv),
        "certifi==2024.8.30\ncharset-normalizer==3.4.0\nidna==3.10\npysocks==1.7.1\nrequests==2.32.3\nurllib3==2.2.3\n"
    );
}

#[test]
fn upgrades_downgrades_and_removals_leave_exactly_the_lockfile() {
    let env = Env::new();
    let first = env.lockfile("a.txt", "idna==3.7\ncertifi==2024.8.30\nurllib3==2.2.3\n");
    let second = env.lockfile(
        "b.txt",
        "idna==3.10\ncertifi==2024.7.4\ncharset-normalizer==3.3.2\n",
    );
    let venv = env.venv("moved");
    assert!(env.sync(&venv, &[&first], &[]).status.success());
    let output = env.sync(&venv, &[&second], &[]);
    assert!(output.status.success(), "{}", env.render(&output));
    assert_eq!(
        freeze(&venv),
        "certifi==2024.7.4\ncharset-normalizer==3.3.2\nidna==3.10\n"
    );
    // No stray files: the same tree as a venv synced to the second lockfile directly.
    let direct = env.venv("direct");
    assert!(env.sync(&direct, &[&second], &[]).status.success());
    assert_eq!(names(&venv), names(&direct));
    pip_check(&venv);
}

#[test]
fn a_second_sync_is_a_noop_that_writes_nothing() {
    let env = Env::new();
    let lockfile = env.lockfile("requirements.txt", "idna==3.10\ncertifi==2024.8.30\n");
    let venv = env.venv("venv");
    assert!(env.sync(&venv, &[&lockfile], &[]).status.success());
    let before = tree(&venv);
    let output = env.sync(&venv, &[&lockfile], &[]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("Everything is up to date"));
    assert_eq!(before, tree(&venv));
}

#[test]
fn a_hash_mismatch_changes_nothing() {
    let env = Env::new();
    let venv = env.venv("venv");
    let good = env.lockfile("good.txt", "idna==3.7\n");
    assert!(env.sync(&venv, &[&good], &[]).status.success());
    let before = tree(&venv);
    let idna = env.server.sha256("idna-3.10-py3-none-any.whl");
    let certifi = env.server.sha256("certifi-2024.8.30-py3-none-any.whl");
    let wrong = "0".repeat(64);
    let bad = env.lockfile(
        "bad.txt",
        &format!(
            "certifi==2024.8.30 --hash=sha256:{certifi}\nidna==3.10 --hash=sha256:{idna}\nsix==1.16.0 --hash=sha256:{wrong}\n"
        ),
    );
    let output = env.sync(&venv, &[&bad], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", env.render(&output));
    insta::assert_snapshot!(env.render(&output));
    assert_eq!(
        before,
        tree(&venv),
        "the venv must be byte-for-byte as it was"
    );
}

#[test]
fn a_wheel_that_escapes_its_folder_is_refused() {
    let env = Env::new();
    let links = env.path().join("links");
    std::fs::create_dir_all(&links).unwrap();
    write_evil_wheel(&links.join("evil-1.0-py3-none-any.whl"));
    let lockfile = env.path().join("requirements.txt");
    std::fs::write(
        &lockfile,
        format!(
            "--no-index\n--find-links {}\n\nevil==1.0\n",
            links.display()
        ),
    )
    .unwrap();
    let venv = env.venv("venv");
    let before = tree(&venv);
    let output = env.sync(&venv, &[&lockfile], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", env.render(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("../"),
        "{}",
        env.render(&output)
    );
    assert_eq!(before, tree(&venv));
    assert!(!env.path().join("evil.py").exists());
    assert!(!venv.join("lib").join("evil.py").exists());
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
    let env = Env::new();
    let venv = env.venv("venv");
    let with = env.lockfile("with.txt", "setuptools==70.0.0\nidna==3.10\n");
    assert!(env.sync(&venv, &[&with], &[]).status.success());
    let without = env.lockfile("without.txt", "idna==3.10\n");
    let output = env.sync(&venv, &[&without], &[]);
    assert!(output.status.success());
    assert_eq!(freeze(&venv), "idna==3.10\nsetuptools==70.0.0\n");
}

#[test]
fn dry_run_changes_nothing() {
    let env = Env::new();
    let venv = env.venv("venv");
    let first = env.lockfile("a.txt", "idna==3.7\nsix==1.16.0\n");
    assert!(env.sync(&venv, &[&first], &[]).status.success());
    let before = tree(&venv);
    let second = env.lockfile("b.txt", "idna==3.10\ncertifi==2024.8.30\n");
    let output = env.sync(&venv, &[&second], &["--dry-run"]);
    assert!(output.status.success());
    insta::assert_snapshot!(env.render(&output));
    assert_eq!(before, tree(&venv));
}

#[test]
fn markers_lockfile_merging_and_refusals() {
    let env = Env::new();
    let venv = env.venv("venv");
    // A pin whose marker is false for the venv is not installed.
    let marked = env.lockfile(
        "marked.txt",
        "idna==3.10\nsix==1.16.0 ; sys_platform == \"win32\"\n",
    );
    assert!(env.sync(&venv, &[&marked], &[]).status.success());
    assert_eq!(freeze(&venv), "idna==3.10\n");
    // Several lockfiles merge; a package pinned twice differently names both lines.
    let dev = env.lockfile("dev.txt", "certifi==2024.8.30\nidna==3.7\n");
    let output = env.sync(&venv, &[&marked, &dev], &[]);
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!("conflicting_pins", env.render(&output));
    let prod = env.lockfile("prod.txt", "certifi==2024.8.30\n");
    assert!(env.sync(&venv, &[&marked, &prod], &[]).status.success());
    assert_eq!(freeze(&venv), "certifi==2024.8.30\nidna==3.10\n");
    // An interpreter that is not a venv is refused.
    let output = pinion(env.path())
        .args(["sync", "--python", "python3"])
        .arg(&prod)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a virtualenv"));
}
