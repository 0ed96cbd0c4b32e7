//! Install, uninstall and read real venvs (`python3 -m venv --without-pip`), with wheels built
//! in memory; pip itself checks the result.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::PackageName;
use zip::write::SimpleFileOptions;

use super::link::{LinkMode, link_into};
use super::record;
use super::wheel::unpack_to_cache;
use super::*;
use crate::python::Interpreter;

/// A wheel described file by file; `RECORD` is computed unless an entry opts out.
struct TestWheel {
    name: String,
    version: String,
    root_is_purelib: bool,
    /// Path, content in the archive, content `RECORD` hashes (`None`: not listed).
    files: Vec<(String, Vec<u8>, Option<Vec<u8>>)>,
    symlinks: Vec<(String, String)>,
}

impl TestWheel {
    fn new(name: &str, version: &str) -> Self {
        let mut wheel = TestWheel {
            name: name.to_string(),
            version: version.to_string(),
            root_is_purelib: true,
            files: Vec::new(),
            symlinks: Vec::new(),
        };
        let dist_info = wheel.dist_info();
        wheel = wheel
            .file(
                &format!("{dist_info}/METADATA"),
                &format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
            )
            .file(
                &format!("{dist_info}/WHEEL"),
                "Wheel-Version: 1.0\nGenerator: pinion-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            );
        wheel
    }

    /// `pinion-demo`: a package, a `#!python` script, a console script and a data file.
    fn demo(version: &str) -> Self {
        let data = format!("pinion_demo-{version}.data");
        TestWheel::new("pinion-demo", version)
            .file(
                "demo_pkg/__init__.py",
                &format!(
                    "VERSION = \"{version}\"\n\ndef main():\n    print(\"hello from demo_pkg\", VERSION)\n"
                ),
            )
            .file("demo_pkg/sub/__init__.py", "")
            .file("demo_pkg/sub/data.txt", "some data\n")
            .file(
                &format!("{data}/scripts/demo-script"),
                "#!python\nimport demo_pkg\nprint(\"script\", demo_pkg.VERSION)\n",
            )
            .file(
                &format!("{data}/data/share/pinion-demo/readme.txt"),
                "read me\n",
            )
            .file(
                &format!("pinion_demo-{version}.dist-info/entry_points.txt"),
                "[console_scripts]\ndemo-cli = demo_pkg:main\n",
            )
    }

    fn dist_info(&self) -> String {
        format!("{}-{}.dist-info", self.name.replace('-', "_"), self.version)
    }

    fn filename(&self) -> String {
        format!(
            "{}-{}-py3-none-any.whl",
            self.name.replace('-', "_"),
            self.version
        )
    }

    /// Add a file, or replace the one at `path`.
    fn file(mut self, path: &str, content: &str) -> Self {
        let content = content.as_bytes().to_vec();
        self.files.retain(|(existing, _, _)| existing != path);
        self.files
            .push((path.to_string(), content.clone(), Some(content)));
        self
    }

    /// A file whose `RECORD` hash is of other content.
    fn tampered(mut self, path: &str, content: &str, recorded: &str) -> Self {
        self.files.push((
            path.to_string(),
            content.as_bytes().to_vec(),
            Some(recorded.as_bytes().to_vec()),
        ));
        self
    }

    /// A file `RECORD` does not list.
    fn unrecorded(mut self, path: &str, content: &str) -> Self {
        self.files
            .push((path.to_string(), content.as_bytes().to_vec(), None));
        self
    }

    fn symlink(mut self, path: &str, target: &str) -> Self {
        self.symlinks.push((path.to_string(), target.to_string()));
        self
    }

    fn platlib(mut self) -> Self {
        self.root_is_purelib = false;
        let wheel_file = format!("{}/WHEEL", self.dist_info());
        for (path, content, recorded) in &mut self.files {
            if *path == wheel_file {
                let text = String::from_utf8(content.clone())
                    .unwrap()
                    .replace("Root-Is-Purelib: true", "Root-Is-Purelib: false");
                *content = text.clone().into_bytes();
                *recorded = Some(text.into_bytes());
            }
        }
        self
    }

    fn build(&self) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let mut record = String::new();
        for (path, content, recorded) in &self.files {
            writer.start_file(path.as_str(), options).unwrap();
            writer.write_all(content).unwrap();
            if let Some(recorded) = recorded {
                record.push_str(&format!(
                    "{path},{},{}\n",
                    record::sha256(recorded),
                    recorded.len()
                ));
            }
        }
        for (path, target) in &self.symlinks {
            writer
                .add_symlink(path.as_str(), target.as_str(), options)
                .unwrap();
        }
        let record_path = format!("{}/RECORD", self.dist_info());
        record.push_str(&format!("{record_path},,\n"));
        writer.start_file(record_path, options).unwrap();
        writer.write_all(record.as_bytes()).unwrap();
        writer.finish().unwrap().into_inner()
    }

    fn write_to(&self, dir: &Path) -> PathBuf {
        let path = dir.join(self.filename());
        std::fs::write(&path, self.build()).unwrap();
        path
    }
}

/// A fresh venv without pip, probed.
fn venv(dir: &Path) -> Interpreter {
    let venv = dir.join("venv");
    let status = Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .expect("python3 runs");
    assert!(status.success());
    Interpreter::probe(&venv.join("bin").join("python"), None).unwrap()
}

/// Every path under `root` (folders end with `/`, symlinks with `@`), sorted.
fn tree(root: &Path) -> Vec<String> {
    walkdir::WalkDir::new(root)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .map(|entry| {
            let entry = entry.unwrap();
            let relative = entry
                .path()
                .strip_prefix(root)
                .unwrap()
                .display()
                .to_string();
            if entry.path_is_symlink() {
                format!("{relative}@")
            } else if entry.file_type().is_dir() {
                format!("{relative}/")
            } else {
                relative
            }
        })
        .collect()
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("the command runs");
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout(command: &mut Command) -> String {
    String::from_utf8(run(command).stdout).unwrap()
}

/// `python3 -m pip --python <venv python> ...`: the base interpreter's pip, acting on the venv.
fn pip(interpreter: &Interpreter, args: &[&str]) -> Command {
    let mut command = Command::new("python3");
    command
        .args(["-m", "pip", "--python"])
        .arg(&interpreter.executable)
        .args(["--disable-pip-version-check", "--no-input"])
        .args(args)
        .env("PIP_NO_INDEX", "1");
    command
}

fn name(name: &str) -> PackageName {
    PackageName::from_str(name).unwrap()
}

fn options() -> InstallOptions {
    InstallOptions {
        requested: true,
        ..InstallOptions::default()
    }
}

#[test]
fn installed_wheel_imports_runs_and_satisfies_pip() {
    let temp = tempfile::tempdir().unwrap();
    let interpreter = venv(temp.path());
    let wheel = TestWheel::demo("1.0").write_to(temp.path());

    let dist = install_wheel(&wheel, &interpreter, &options()).unwrap();
    assert_eq!(dist.name, name("pinion-demo"));
    assert_eq!(dist.version, Version::from_str("1.0").unwrap());
    assert_eq!(dist.installer().as_deref(), Some("pinion"));
    assert!(dist.requested());

    let python = &interpreter.executable;
    let scripts = &interpreter.scheme.scripts;
    assert_eq!(
        stdout(Command::new(python).args(["-c", "import demo_pkg; print(demo_pkg.VERSION)"])),
        "1.0\n"
    );
    assert_eq!(
        stdout(&mut Command::new(scripts.join("demo-cli"))),
        "hello from demo_pkg 1.0\n"
    );
    assert_eq!(
        stdout(&mut Command::new(scripts.join("demo-script"))),
        "script 1.0\n"
    );
    let script = std::fs::read_to_string(scripts.join("demo-script")).unwrap();
    assert!(
        script.starts_with(&format!("#!{}\n", python.display())),
        "{script}"
    );
    assert!(
        interpreter
            .scheme
            .data
            .join("share/pinion-demo/readme.txt")
            .is_file()
    );

    let freeze = stdout(&mut pip(&interpreter, &["list", "--format=freeze"]));
    assert!(
        freeze.lines().any(|line| line == "pinion-demo==1.0"),
        "{freeze}"
    );
    run(&mut pip(&interpreter, &["check"]));

    // Every RECORD row exists and matches, read by Python's own importlib.metadata.
    let check_record = r#"
import base64, hashlib, importlib.metadata as m
dist = m.distribution("pinion-demo")
for f in dist.files:
    data = f.locate().read_bytes()
    if f.hash is None:
        assert f.name == "RECORD", f
        continue
    digest = base64.urlsafe_b64encode(hashlib.new(f.hash.mode, data).digest()).rstrip(b"=").decode()
    assert digest == f.hash.value, f
    assert len(data) == f.size, f
print(sorted(str(f) for f in dist.files))
"#;
    let files = stdout(Command::new(python).args(["-c", check_record]));
    for expected in [
        "'../../../bin/demo-cli'",
        "'../../../bin/demo-script'",
        "'../../../share/pinion-demo/readme.txt'",
        "'demo_pkg/__init__.py'",
        "'pinion_demo-1.0.dist-info/INSTALLER'",
        "'pinion_demo-1.0.dist-info/REQUESTED'",
        "'pinion_demo-1.0.dist-info/RECORD'",
    ] {
        assert!(files.contains(expected), "{expected} not in {files}");
    }
    let installer = std::fs::read_to_string(dist.dist_info.join("INSTALLER")).unwrap();
    assert_eq!(installer, "pinion\n");
}

#[test]
fn uninstall_restores_the_tree() {
    let temp = tempfile::tempdir().unwrap();
    let interpreter = venv(temp.path());
    let wheel = TestWheel::demo("1.0").write_to(temp.path());
    let before = tree(&interpreter.prefix);

    let dist = install_wheel(&wheel, &interpreter, &options()).unwrap();
    // Bytecode the way users get it: compiled by --compile, and by Python on import.
    compile_bytecode(
        std::slice::from_ref(&interpreter.scheme.purelib),
        &interpreter,
    )
    .unwrap();
    assert!(
        interpreter
            .scheme
            .purelib
            .join("demo_pkg/sub/__pycache__")
            .is_dir()
    );
    run(&mut Command::new(
        interpreter.scheme.scripts.join("demo-cli"),
    ));
    assert_ne!(tree(&interpreter.prefix), before);

    let site = SitePackages::read(&interpreter).unwrap();
    assert_eq!(site.get(&name("pinion-demo")), Some(&dist));
    uninstall(&dist, &interpreter).unwrap();
    assert_eq!(tree(&interpreter.prefix), before);
    assert!(
        SitePackages::read(&interpreter)
            .unwrap()
            .iter()
            .next()
            .is_none()
    );
}

#[test]
fn pip_uninstalls_what_pinion_installed() {
    let temp = tempfile::tempdir().unwrap();
    let interpreter = venv(temp.path());
    let wheel = TestWheel::demo("1.0").write_to(temp.path());
    let before = tree(&interpreter.prefix);
    install_wheel(&wheel, &interpreter, &options()).unwrap();
    run(&mut pip(
        &interpreter,
        &["uninstall", "--yes", "pinion-demo"],
    ));
    // pip removes a folder only when RECORD lists all of its files, so it keeps the emptied
    // `share/` that our uninstall removes; everything else is as before.
    let after: Vec<String> = tree(&interpreter.prefix)
        .into_iter()
        .filter(|path| path != "share/")
        .collect();
    assert_eq!(after, before);
}

#[test]
fn reads_and_uninstalls_what_pip_installed() {
    let temp = tempfile::tempdir().unwrap();
    let interpreter = venv(temp.path());
    let wheel = TestWheel::demo("1.0").write_to(temp.path());
    let before = tree(&interpreter.prefix);
    run(pip(
        &interpreter,
        &["install", "--no-deps", "--no-cache-dir", "--quiet"],
    )
    .arg(&wheel));

    let site = SitePackages::read(&interpreter).unwrap();
    let dist = site
        .get(&name("pinion-demo"))
        .expect("pip installed it")
        .clone();
    assert_eq!(dist.version, Version::from_str("1.0").unwrap());
    assert_eq!(dist.installer().as_deref(), Some("pip"));
    assert!(dist.requested());
    // pip records a local file as a direct URL (PEP 610).
    let direct_url = dist.direct_url.as_ref().expect("pip wrote direct_url.json");
    assert!(direct_url["url"].as_str().unwrap().starts_with("file://"));
    assert_eq!(site.iter().count(), 1);

    // pip byte-compiled on install; all of it goes.
    assert!(
        interpreter
            .scheme
            .purelib
            .join("demo_pkg/__pycache__")
            .is_dir()
    );
    uninstall(&dist, &interpreter).unwrap();
    assert_eq!(tree(&interpreter.prefix), before);
}

#[test]
fn upgrade_is_uninstall_then_install() {
    let temp = tempfile::tempdir().unwrap();
    let interpreter = venv(temp.path());
    let old = TestWheel::demo("1.0").write_to(temp.path());
    let new = TestWheel::demo("2.0").write_to(temp.path());
    install_wheel(&old, &interpreter, &options()).unwrap();

    let desired = [DesiredDist {
        name: name("pinion-demo"),
        version: Version::from_str("2.0").unwrap(),
        requested: true,
        direct_url: None,
    }];
    let plan = InstallPlan::new(&desired, &SitePackages::read(&interpreter).unwrap());
    assert_eq!(plan.render(), "~ pinion-demo 1.0 -> 2.0\n");
    let (installed, _) = &plan.upgrade[0];
    uninstall(installed, &interpreter).unwrap();
    install_wheel(&new, &interpreter, &options()).unwrap();

    assert_eq!(
        stdout(&mut Command::new(
            interpreter.scheme.scripts.join("demo-cli")
        )),
        "hello from demo_pkg 2.0\n"
    );
    let plan = InstallPlan::new(&desired, &SitePackages::read(&interpreter).unwrap());
    assert!(plan.is_empty(), "{}", plan.render());
}

#[test]
fn escaping_entries_are_refused_before_writing() {
    let temp = tempfile::tempdir().unwrap();
    let interpreter = venv(temp.path());
    let cache = temp.path().join("cache");
    let before = tree(&interpreter.prefix);
    for (entry, reason) in [
        ("../../../../evil.py", "`..`"),
        ("demo_pkg/../../evil.py", "`..`"),
        ("/tmp/evil.py", "absolute"),
        ("C:/evil.py", "drive letter"),
        ("pinion_demo-1.0.data/scripts/../../../../evil", "`..`"),
    ] {
        let wheel = TestWheel::demo("1.0")
            .file(entry, "print('pwned')\n")
            .write_to(temp.path());
        let options = InstallOptions {
            cache_dir: Some(cache.clone()),
            ..options()
        };
        let err = install_wheel(&wheel, &interpreter, &options).unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, InstallError::UnsafeEntry { .. }),
            "{entry}: {message}"
        );
        assert!(message.contains(&format!("`{entry}`")), "{message}");
        assert!(message.contains(reason), "{message}");
        assert!(
            message.contains("pinion_demo-1.0-py3-none-any.whl"),
            "{message}"
        );
        assert_eq!(tree(&interpreter.prefix), before, "{entry}");
    }
    let wheel = TestWheel::demo("1.0")
        .symlink("demo_pkg/escape", "/etc")
        .write_to(temp.path());
    let err = install_wheel(&wheel, &interpreter, &options()).unwrap_err();
    assert!(err.to_string().contains("symlinks"), "{err}");
    assert_eq!(tree(&interpreter.prefix), before);
    // Nothing half-unpacked is left in the cache either.
    assert_eq!(tree(&cache), Vec::<String>::new());
}

#[test]
fn hash_mismatch_and_unrecorded_files_are_refused() {
    let temp = tempfile::tempdir().unwrap();
    let interpreter = venv(temp.path());
    let cache = temp.path().join("cache");
    let before = tree(&interpreter.prefix);
    let with_cache = InstallOptions {
        cache_dir: Some(cache.clone()),
        ..options()
    };

    let wheel = TestWheel::demo("1.0")
        .tampered("demo_pkg/evil.py", "print('pwned')\n", "print('fine')\n")
        .write_to(temp.path());
    let err = install_wheel(&wheel, &interpreter, &with_cache).unwrap_err();
    assert!(
        matches!(&err, InstallError::HashMismatch { entry, .. } if entry == "demo_pkg/evil.py"),
        "{err}"
    );

    let wheel = TestWheel::demo("1.0")
        .unrecorded("demo_pkg/extra.py", "")
        .write_to(temp.path());
    let err = install_wheel(&wheel, &interpreter, &with_cache).unwrap_err();
    assert!(
        matches!(&err, InstallError::NotInRecord { entry, .. } if entry == "demo_pkg/extra.py"),
        "{err}"
    );

    assert_eq!(tree(&interpreter.prefix), before);
    assert_eq!(tree(&cache), Vec::<String>::new());
}

#[test]
fn invalid_layouts_are_refused() {
    let temp = tempfile::tempdir().unwrap();
    let interpreter = venv(temp.path());
    let before = tree(&interpreter.prefix);
    let cases = [
        (
            TestWheel::demo("1.0").file("pinion_demo-1.0.data/lib/x.py", ""),
            "not inside one of",
        ),
        (
            TestWheel::demo("1.0").file("other-1.0.dist-info/METADATA", ""),
            "several `.dist-info` folders",
        ),
        (
            TestWheel::demo("1.0").file(
                "pinion_demo-1.0.dist-info/entry_points.txt",
                "[console_scripts]\n../evil = demo_pkg:main\n",
            ),
            "plain file name",
        ),
    ];
    for (wheel, expected) in cases {
        let path = wheel.write_to(temp.path());
        let err = install_wheel(&path, &interpreter, &options()).unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
    }
    // A wheel whose metadata names another version than its file name.
    let path = temp.path().join("pinion_demo-1.1-py3-none-any.whl");
    std::fs::write(&path, TestWheel::demo("1.0").build()).unwrap();
    let err = install_wheel(&path, &interpreter, &options()).unwrap_err();
    assert!(
        err.to_string()
            .contains("file name says pinion-demo 1.1 but its metadata says pinion-demo 1.0"),
        "{err}"
    );
    assert_eq!(tree(&interpreter.prefix), before);
}

#[test]
fn cached_tree_is_hard_linked_and_never_written_through() {
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    let wheel = TestWheel::demo("1.0").write_to(temp.path());
    let unpacked = unpack_to_cache(&wheel, &cache, None).unwrap();
    assert_eq!(unpack_to_cache(&wheel, &cache, None).unwrap(), unpacked);
    // One tree, no temporary folder left behind.
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);

    let first = venv(&temp.path().join("one"));
    let second = venv(&temp.path().join("two"));
    let options = options();
    link_into(&unpacked, &first, &options).unwrap();
    link_into(&unpacked, &second, &options).unwrap();
    // Installing again over itself replaces links rather than writing through them.
    link_into(&unpacked, &first, &options).unwrap();

    use std::os::unix::fs::MetadataExt;
    let inode = |path: &Path| std::fs::metadata(path).unwrap().ino();
    let module = "demo_pkg/__init__.py";
    assert_eq!(
        inode(&first.scheme.purelib.join(module)),
        inode(&unpacked.join(module))
    );
    assert_eq!(
        inode(&second.scheme.purelib.join(module)),
        inode(&unpacked.join(module))
    );
    // Scripts are written: the cached one keeps its `#!python`.
    let cached_script = unpacked.join("pinion_demo-1.0.data/scripts/demo-script");
    assert!(
        std::fs::read_to_string(&cached_script)
            .unwrap()
            .starts_with("#!python\n")
    );
    assert_ne!(
        inode(&first.scheme.scripts.join("demo-script")),
        inode(&cached_script)
    );
    // The cache's RECORD is the wheel's, not a rewritten one.
    let cached_record =
        std::fs::read_to_string(unpacked.join("pinion_demo-1.0.dist-info/RECORD")).unwrap();
    assert!(!cached_record.contains("INSTALLER"), "{cached_record}");

    let copy = venv(&temp.path().join("copy"));
    let options = InstallOptions {
        link_mode: LinkMode::Copy,
        ..InstallOptions::default()
    };
    let dist = link_into(&unpacked, &copy, &options).unwrap();
    assert!(!dist.requested());
    assert!(!dist.dist_info.join("REQUESTED").exists());
    assert_ne!(
        inode(&copy.scheme.purelib.join(module)),
        inode(&unpacked.join(module))
    );
}

#[test]
fn first_use_moves_folders_in_and_caches_no_tree() {
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("cache");
    let interpreter = venv(temp.path());
    let before = tree(&interpreter.prefix);
    let first_use = InstallOptions {
        cache_dir: Some(cache.clone()),
        first_use: true,
        ..options()
    };
    // Two wheels sharing a namespace folder: the second links into the folder the first moved.
    let demo = TestWheel::demo("1.0").file("shared_ns/demo.py", "WHO = 'demo'\n");
    let other = TestWheel::new("other", "2.0").file("shared_ns/other.py", "WHO = 'other'\n");
    let installed = SitePackages::read(&interpreter).unwrap();
    let demo = super::link::prepare_wheel(
        &demo.write_to(temp.path()),
        None,
        &interpreter,
        &first_use,
        &installed,
    )
    .unwrap()
    .apply()
    .unwrap();
    let other = super::link::prepare_wheel(
        &other.write_to(temp.path()),
        None,
        &interpreter,
        &first_use,
        &installed,
    )
    .unwrap()
    .apply()
    .unwrap();
    // No tree is cached and no private folder is left behind.
    assert_eq!(tree(&cache), Vec::<String>::new());
    let python = &interpreter.executable;
    let imports =
        "import demo_pkg.sub, shared_ns.demo, shared_ns.other; print(shared_ns.other.WHO)";
    assert_eq!(
        stdout(Command::new(python).args(["-c", imports])),
        "other\n"
    );
    run(&mut pip(&interpreter, &["check"]));
    let record = std::fs::read_to_string(demo.dist_info.join("RECORD")).unwrap();
    assert!(record.contains("demo_pkg/sub/data.txt,sha256="), "{record}");
    assert!(record.contains("shared_ns/demo.py,sha256="), "{record}");

    uninstall(&demo, &interpreter).unwrap();
    assert_eq!(
        stdout(Command::new(python).args(["-c", "import shared_ns.other"])),
        ""
    );
    uninstall(&other, &interpreter).unwrap();
    assert_eq!(tree(&interpreter.prefix), before);

    // Its second use (the archive found in the cache) caches the tree and links from it.
    let wheel = TestWheel::demo("1.0").write_to(temp.path());
    let second_use = InstallOptions {
        first_use: false,
        ..first_use
    };
    install_wheel(&wheel, &interpreter, &second_use).unwrap();
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);
}

#[test]
fn data_keys_go_to_their_scheme_folders() {
    let temp = tempfile::tempdir().unwrap();
    let interpreter = venv(temp.path());
    let wheel = TestWheel::new("native-demo", "0.1")
        .platlib()
        .file("native_demo/__init__.py", "")
        .file("native_demo-0.1.data/purelib/pure_part.py", "X = 1\n")
        .file("native_demo-0.1.data/platlib/plat_part.py", "Y = 2\n")
        .file("native_demo-0.1.data/headers/native.h", "int f(void);\n")
        .write_to(temp.path());
    let options = InstallOptions {
        direct_url: Some(
            r#"{"url": "file:///wheels/native_demo-0.1-py3-none-any.whl", "archive_info": {}}"#
                .to_string(),
        ),
        ..options()
    };
    let dist = install_wheel(&wheel, &interpreter, &options).unwrap();
    let scheme = &interpreter.scheme;
    assert_eq!(dist.dist_info.parent(), Some(scheme.platlib.as_path()));
    assert!(scheme.platlib.join("native_demo/__init__.py").is_file());
    assert!(scheme.purelib.join("pure_part.py").is_file());
    assert!(scheme.platlib.join("plat_part.py").is_file());
    assert!(scheme.include.join("native_demo/native.h").is_file());
    assert!(dist.dist_info.join("direct_url.json").is_file());

    let read = SitePackages::read(&interpreter).unwrap();
    let found = read.get(&name("native-demo")).unwrap();
    assert_eq!(found, &dist);
    assert_eq!(
        found.direct_url.as_ref().unwrap()["url"],
        "file:///wheels/native_demo-0.1-py3-none-any.whl"
    );

    let bad = InstallOptions {
        direct_url: Some("{not json".to_string()),
        ..InstallOptions::default()
    };
    let err = install_wheel(&wheel, &interpreter, &bad).unwrap_err();
    assert!(matches!(err, InstallError::DirectUrl { .. }), "{err}");
}

#[test]
fn uninstall_without_record_is_refused_and_stays_inside_the_venv() {
    let temp = tempfile::tempdir().unwrap();
    let interpreter = venv(temp.path());
    let wheel = TestWheel::demo("1.0").write_to(temp.path());
    let dist = install_wheel(&wheel, &interpreter, &options()).unwrap();

    // A RECORD that names a file outside the environment: left alone.
    let outside = temp.path().join("outside.txt");
    std::fs::write(&outside, "keep me").unwrap();
    let record_path = dist.dist_info.join("RECORD");
    let mut record = std::fs::read_to_string(&record_path).unwrap();
    record.push_str("../../../../outside.txt,,\n");
    std::fs::write(&record_path, record).unwrap();
    uninstall(&dist, &interpreter).unwrap();
    assert!(outside.is_file());
    assert!(!interpreter.scheme.purelib.join("demo_pkg").exists());

    let dist = install_wheel(&wheel, &interpreter, &options()).unwrap();
    std::fs::remove_file(dist.dist_info.join("RECORD")).unwrap();
    let err = uninstall(&dist, &interpreter).unwrap_err();
    assert!(matches!(err, InstallError::NoRecord { .. }), "{err}");
    assert!(err.to_string().contains("pinion-demo"), "{err}");
    assert!(interpreter.scheme.purelib.join("demo_pkg").exists());
}

#[test]
fn site_packages_skips_invalid_folders_and_reads_metadata_when_needed() {
    let temp = tempfile::tempdir().unwrap();
    let interpreter = venv(temp.path());
    let site = &interpreter.scheme.purelib;
    // What pip leaves behind when it fails to upgrade itself.
    std::fs::create_dir_all(site.join("~ip-23.0.dist-info")).unwrap();
    std::fs::write(
        site.join("~ip-23.0.dist-info/METADATA"),
        "Metadata-Version: 2.1\nName: pip\nVersion: 23.0\n",
    )
    .unwrap();
    // A folder name without a parseable version.
    std::fs::create_dir_all(site.join("Odd_Name-weird.dist-info")).unwrap();
    std::fs::write(
        site.join("Odd_Name-weird.dist-info/METADATA"),
        "Metadata-Version: 2.1\nName: odd-name\nVersion: 0.3\n",
    )
    .unwrap();
    std::fs::write(site.join("Odd_Name-weird.dist-info/INSTALLER"), "uv\n").unwrap();
    // A legacy egg-info folder.
    std::fs::create_dir_all(site.join("legacy-2.0-py3.11.egg-info")).unwrap();

    let read = SitePackages::read(&interpreter).unwrap();
    let found: Vec<String> = read
        .iter()
        .map(|dist| format!("{}=={} {:?}", dist.name, dist.version, dist.installer()))
        .collect();
    assert_eq!(found, ["legacy==2.0 None", "odd-name==0.3 Some(\"uv\")"]);
    let legacy = read.get(&name("legacy")).unwrap();
    assert!(legacy.is_egg_info());
    let err = uninstall(legacy, &interpreter).unwrap_err();
    assert!(matches!(err, InstallError::NoRecord { .. }), "{err}");

    // With `installed-files.txt` (paths relative to the `.egg-info` folder), it uninstalls.
    std::fs::write(site.join("legacy_mod.py"), "").unwrap();
    std::fs::write(
        legacy.dist_info.join("installed-files.txt"),
        "../legacy_mod.py\nPKG-INFO\n",
    )
    .unwrap();
    uninstall(legacy, &interpreter).unwrap();
    assert!(!site.join("legacy_mod.py").exists());
    assert!(!legacy.dist_info.exists());
}
