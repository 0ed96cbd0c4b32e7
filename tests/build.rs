//! Source distributions, local projects, editables and direct references through the binary:
//! `pinion compile` builds for metadata, `pinion sync` builds wheels and editables. Build
//! environments get their backends from the local index: `pinion-test-backend`
//! (testdata/build/pinion_test_backend.py) for most tests, and the setuptools wheel bundled
//! with the test interpreter's ensurepip (with `wheel`, which setuptools < 70.1 needs, from
//! testdata/build) for a real setuptools build. Nothing is downloaded.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{
    IndexServer, Package, PackageUniverse, fresh_venv, pinion, render_against, write_file,
};
use tempfile::TempDir;

const BACKEND: &str = include_str!("../testdata/build/pinion_test_backend.py");

/// The setuptools wheel bundled with `python3`'s ensurepip; None on Pythons that bundle none
/// (3.12 and later).
fn ensurepip_setuptools() -> Option<PathBuf> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import ensurepip, pathlib; print(pathlib.Path(ensurepip.__file__).parent / '_bundled')",
        ])
        .output()
        .ok()?;
    let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("setuptools-") && n.ends_with(".whl"))
        })
}

/// The backends every test index publishes.
fn with_backends(universe: PackageUniverse) -> PackageUniverse {
    universe
        .with(
            Package::new("pinion-test-backend", "1.0")
                .file("pinion_test_backend/__init__.py", BACKEND),
        )
        .with(Package::new("six", "1.16.0"))
        .with(Package::new("attrs", "24.2.0"))
}

struct Env {
    dir: TempDir,
    server: IndexServer,
}

impl Env {
    fn new(universe: PackageUniverse) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            server: IndexServer::serve(&with_backends(universe)),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, content: &str) {
        write_file(self.path(), name, content);
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap()
    }

    /// A project using pinion-test-backend at `dir`, with a module that says `hello`.
    fn project(&self, dir: &str, name: &str, dependencies: &[&str]) {
        let deps: Vec<String> = dependencies.iter().map(|d| format!("{d:?}")).collect();
        self.write(
            &format!("{dir}/pyproject.toml"),
            &format!(
                "[build-system]\nrequires = [\"pinion-test-backend\"]\nbuild-backend = \"pinion_test_backend\"\n\n\
                 [project]\nname = \"{name}\"\nversion = \"0.1.0\"\ndependencies = [{}]\n",
                deps.join(", ")
            ),
        );
        let module = name.replace('-', "_");
        self.write(
            &format!("{dir}/{module}/__init__.py"),
            "def hello():\n    return 'hello'\n",
        );
    }

    fn compile(&self, args: &[&str]) -> Output {
        pinion(self.path())
            .args([
                "compile",
                "--index-url",
                &self.server.url(),
                "--python",
                "python3",
            ])
            .args(args)
            .output()
            .unwrap()
    }

    fn venv(&self, name: &str) -> PathBuf {
        fresh_venv(self.path(), name)
    }

    fn sync(&self, venv: &Path, lockfile: &str, extra: &[&str]) -> Output {
        pinion(self.path())
            .args(["sync", "--index-url", &self.server.url(), "--python"])
            .arg(venv.join("bin/python"))
            .args(extra)
            .arg(lockfile)
            .output()
            .unwrap()
    }

    fn render(&self, output: &Output) -> String {
        render_against(output, &self.server, self.path())
    }

    /// The lockfile's pins (without the `--index-url` line), the temporary folder filtered.
    fn lockfile(&self, name: &str) -> String {
        let text = self.read(name);
        let pins = text
            .strip_prefix(&format!("--index-url {}\n\n", self.server.url()))
            .unwrap_or(&text);
        pins.replace(&self.path().display().to_string(), "[DIR]")
    }

    /// Whether any request asked for a project page or file of `name`.
    fn fetched(&self, name: &str) -> bool {
        self.server.requests().iter().any(|r| r.contains(name))
    }
}

fn python(venv: &Path, code: &str) -> String {
    let output = Command::new(venv.join("bin/python"))
        .args(["-c", code])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn sdist_with_static_pkg_info_is_not_built() {
    // The sdist's backend fails every hook: the compile passes only if nothing is built.
    let env = Env::new(
        PackageUniverse::new().with(
            Package::new("static-only", "1.0")
                .dep("six")
                .no_wheel()
                .failing_build("this sdist must not be built"),
        ),
    );
    env.write("requirements.in", "static-only\n");
    let output = env.compile(&["--no-header", "requirements.in"]);
    assert!(output.status.success(), "{}", env.render(&output));
    insta::assert_snapshot!(env.lockfile("requirements.txt"), @r"
    six==1.16.0
        # via static-only
    static-only==1.0
        # via -r requirements.in
    ");
    assert!(!env.fetched("pinion-test-backend"));
}

#[test]
fn sdist_with_dynamic_metadata_is_built_once() {
    let env = Env::new(
        PackageUniverse::new().with(
            Package::new("dynamic-only", "2.0")
                .dep("six")
                .no_wheel()
                .dynamic_sdist()
                .test_backend(),
        ),
    );
    env.write("requirements.in", "dynamic-only\n");
    let output = env.compile(&["--no-header", "-v", "requirements.in"]);
    assert!(output.status.success(), "{}", env.render(&output));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.contains("pinion-test-backend: metadata of dynamic-only"),
        "{log}"
    );
    insta::assert_snapshot!(env.lockfile("requirements.txt"), @r"
    dynamic-only==2.0
        # via -r requirements.in
    six==1.16.0
        # via dynamic-only
    ");

    // The built metadata is cached by the sdist's hash: a second compile builds nothing.
    std::fs::remove_file(env.path().join("requirements.txt")).unwrap();
    let output = env.compile(&["--no-header", "-v", "requirements.in"]);
    assert!(output.status.success(), "{}", env.render(&output));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(!log.contains("pinion-test-backend:"), "{log}");
}

#[test]
fn sdist_built_by_setuptools() {
    let Some(setuptools) = ensurepip_setuptools() else {
        eprintln!("skipped: python3's ensurepip bundles no setuptools");
        return;
    };
    let wheel =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/build/wheel-0.43.0-py3-none-any.whl");
    let universe = PackageUniverse::new()
        .with(
            Package::new("legacy", "3.1")
                .dep("attrs>=20")
                .no_wheel()
                .dynamic_sdist(),
        )
        .with_file(&setuptools)
        .with_file(&wheel);
    let env = Env::new(universe);
    env.write("requirements.in", "legacy\n");
    let output = env.compile(&["--no-header", "requirements.in"]);
    assert!(output.status.success(), "{}", env.render(&output));
    insta::assert_snapshot!(env.lockfile("requirements.txt"), @r"
    attrs==24.2.0
        # via legacy
    legacy==3.1
        # via -r requirements.in
    ");

    // sync builds the wheel with setuptools too.
    let venv = env.venv("venv");
    let output = env.sync(&venv, "requirements.txt", &[]);
    assert!(output.status.success(), "{}", env.render(&output));
    assert_eq!(
        python(&venv, "import legacy; print(legacy.__version__)"),
        "3.1"
    );
}

#[test]
fn a_failing_build_shows_the_backend_output() {
    let env = Env::new(
        PackageUniverse::new().with(
            Package::new("broken", "1.0")
                .no_wheel()
                .dynamic_sdist()
                .failing_build("cannot find the C compiler"),
        ),
    );
    env.write("requirements.in", "broken\n");
    let output = env.compile(&["requirements.in"]);
    assert_eq!(output.status.code(), Some(1), "{}", env.render(&output));
    insta::assert_snapshot!(env.render(&output));
    assert!(!env.path().join("requirements.txt").exists());
}

#[test]
fn no_build_names_the_package_that_needs_one() {
    let env = Env::new(
        PackageUniverse::new().with(
            Package::new("dynamic-only", "2.0")
                .no_wheel()
                .dynamic_sdist(),
        ),
    );
    env.write("requirements.in", "dynamic-only\n");
    let output = env.compile(&["--no-build", "requirements.in"]);
    assert_eq!(output.status.code(), Some(1), "{}", env.render(&output));
    insta::assert_snapshot!(env.render(&output));
}

#[test]
fn editable_project_is_compiled_and_synced_editable() {
    let env = Env::new(PackageUniverse::new());
    env.project("app", "my-app", &["six>=1.0"]);
    env.write("app/requirements-dev.in", "-e .\nattrs\n");
    let output = pinion(&env.path().join("app"))
        .args([
            "compile",
            "--no-header",
            "--index-url",
            &env.server.url(),
            "--python",
            "python3",
        ])
        .arg("requirements-dev.in")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", env.render(&output));
    insta::assert_snapshot!(env.lockfile("app/requirements-dev.txt"), @r"
    -e .
        # via -r requirements-dev.in
    attrs==24.2.0
        # via -r requirements-dev.in
    six==1.16.0
        # via my-app
    ");

    let venv = env.venv("venv");
    let sync = || {
        pinion(&env.path().join("app"))
            .args(["sync", "-v", "--python"])
            .arg(venv.join("bin/python"))
            .arg("requirements-dev.txt")
            .output()
            .unwrap()
    };
    let output = sync();
    assert!(output.status.success(), "{}", env.render(&output));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("editable wheel of my-app"), "{log}");
    assert_eq!(
        python(&venv, "import my_app; print(my_app.hello())"),
        "hello"
    );
    let direct_url = python(
        &venv,
        "import importlib.metadata as m; print(m.distribution('my-app').read_text('direct_url.json'))",
    );
    let direct_url: serde_json::Value = serde_json::from_str(&direct_url).unwrap();
    assert_eq!(direct_url["dir_info"]["editable"], true);
    assert_eq!(
        direct_url["url"].as_str().unwrap(),
        url::Url::from_directory_path(env.path().join("app"))
            .unwrap()
            .as_str()
            .trim_end_matches('/')
    );

    // Editable: a change to the source shows without syncing again.
    env.write(
        "app/my_app/__init__.py",
        "def hello():\n    return 'edited'\n",
    );
    assert_eq!(
        python(&venv, "import my_app; print(my_app.hello())"),
        "edited"
    );

    // Nothing to do the second time.
    let output = sync();
    assert!(output.status.success(), "{}", env.render(&output));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("Everything is up to date"), "{log}");
    assert!(!log.contains("pinion-test-backend:"), "{log}");
}

#[test]
fn local_directory_reference_is_written_relative_to_the_lockfile() {
    let env = Env::new(PackageUniverse::new());
    env.project("libs/mylib", "mylib", &["attrs"]);
    env.write("requirements.in", "./libs/mylib\n");
    let output = env.compile(&["--no-header", "requirements.in"]);
    assert!(output.status.success(), "{}", env.render(&output));
    insta::assert_snapshot!(env.lockfile("requirements.txt"), @r"
    attrs==24.2.0
        # via mylib
    ./libs/mylib
        # via -r requirements.in
    ");

    let venv = env.venv("venv");
    let output = env.sync(&venv, "requirements.txt", &[]);
    assert!(output.status.success(), "{}", env.render(&output));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("+ mylib==0.1.0"), "{log}");
    assert_eq!(python(&venv, "import mylib; print(mylib.hello())"), "hello");
    // Not editable: the installed copy does not follow the source.
    env.write(
        "libs/mylib/mylib/__init__.py",
        "def hello():\n    return 'edited'\n",
    );
    assert_eq!(python(&venv, "import mylib; print(mylib.hello())"), "hello");
}

/// `git` in `dir`, failing the test when it fails.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "pinion")
        .env("GIT_AUTHOR_EMAIL", "pinion@example.invalid")
        .env("GIT_COMMITTER_NAME", "pinion")
        .env("GIT_COMMITTER_EMAIL", "pinion@example.invalid")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn git_reference_is_pinned_to_its_commit() {
    let env = Env::new(PackageUniverse::new());
    env.project("repo", "gitlib", &["six"]);
    let repo = env.path().join("repo");
    git(&repo, &["init", "--quiet", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "first"]);
    git(&repo, &["tag", "v1.0"]);
    let commit = git(&repo, &["rev-parse", "HEAD"]);
    let url = url::Url::from_directory_path(&repo).unwrap();
    let url = url.as_str().trim_end_matches('/');
    env.write("requirements.in", &format!("gitlib @ git+{url}@v1.0\n"));
    let output = env.compile(&["--no-header", "requirements.in"]);
    assert!(output.status.success(), "{}", env.render(&output));
    let lockfile = env
        .lockfile("requirements.txt")
        .replace(&commit, "[COMMIT]");
    insta::assert_snapshot!(lockfile, @r"
    gitlib @ git+file://[DIR]/repo@[COMMIT]
        # via -r requirements.in
    six==1.16.0
        # via gitlib
    ");

    // A later commit on the branch does not move the pin: sync installs the pinned commit.
    env.write(
        "repo/gitlib/__init__.py",
        "def hello():\n    return 'later'\n",
    );
    git(&repo, &["commit", "--quiet", "-am", "second"]);
    let venv = env.venv("venv");
    let output = env.sync(&venv, "requirements.txt", &[]);
    assert!(output.status.success(), "{}", env.render(&output));
    assert_eq!(
        python(&venv, "import gitlib; print(gitlib.hello())"),
        "hello"
    );
    let direct_url = python(
        &venv,
        "import importlib.metadata as m; print(m.distribution('gitlib').read_text('direct_url.json'))",
    );
    let direct_url: serde_json::Value = serde_json::from_str(&direct_url).unwrap();
    assert_eq!(direct_url["vcs_info"]["commit_id"], commit.as_str());
    assert_eq!(direct_url["vcs_info"]["vcs"], "git");

    // Editable, from a subdirectory of the repository.
    env.project("repo/sub", "subproj", &[]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "third"]);
    env.write(
        "editable.in",
        &format!("-e git+{url}@main#egg=subproj&subdirectory=sub\n"),
    );
    let output = env.compile(&["--no-header", "editable.in"]);
    assert!(output.status.success(), "{}", env.render(&output));
    let head = git(&repo, &["rev-parse", "HEAD"]);
    let lockfile = env.lockfile("editable.txt").replace(&head, "[HEAD]");
    insta::assert_snapshot!(lockfile, @r"
    -e git+file://[DIR]/repo@[HEAD]#subdirectory=sub&egg=subproj
        # via -r editable.in
    ");
    let output = env.sync(&venv, "editable.txt", &[]);
    assert!(output.status.success(), "{}", env.render(&output));
    assert_eq!(
        python(&venv, "import subproj; print(subproj.hello())"),
        "hello"
    );
}

#[test]
fn sync_builds_an_sdist_only_pin_once() {
    let env = Env::new(
        PackageUniverse::new().with(
            Package::new("dynamic-only", "2.0")
                .dep("six")
                .no_wheel()
                .dynamic_sdist()
                .test_backend(),
        ),
    );
    env.write("requirements.txt", "dynamic-only==2.0\nsix==1.16.0\n");
    for venv in ["first", "second"] {
        let venv = env.venv(venv);
        let output = env.sync(&venv, "requirements.txt", &["-v"]);
        assert!(output.status.success(), "{}", env.render(&output));
        assert_eq!(
            python(
                &venv,
                "import dynamic_only; print(dynamic_only.__version__)"
            ),
            "2.0"
        );
        let log = String::from_utf8_lossy(&output.stderr);
        // The wheel is cached by the sdist's hash: the second venv gets it without a build.
        let built = log.contains("pinion-test-backend: wheel of dynamic-only");
        assert_eq!(built, venv.ends_with("first"), "{log}");
    }
}

#[test]
fn a_failing_build_in_sync_changes_nothing() {
    let env = Env::new(
        PackageUniverse::new().with(
            Package::new("broken", "1.0")
                .no_wheel()
                .failing_build("no compiler"),
        ),
    );
    env.write("requirements.txt", "broken==1.0\nsix==1.16.0\n");
    let venv = env.venv("venv");
    env.write("old.txt", "attrs==24.2.0\n");
    let output = env.sync(&venv, "old.txt", &[]);
    assert!(output.status.success(), "{}", env.render(&output));
    let before = python(
        &venv,
        "import sys, os; print(sorted(os.listdir([p for p in sys.path if p.endswith('site-packages')][0])))",
    );

    let output = env.sync(&venv, "requirements.txt", &[]);
    assert_eq!(output.status.code(), Some(1), "{}", env.render(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("pinion-test-backend: no compiler"),
        "{stderr}"
    );
    assert!(stderr.contains("broken==1.0"), "{stderr}");
    let after = python(
        &venv,
        "import sys, os; print(sorted(os.listdir([p for p in sys.path if p.endswith('site-packages')][0])))",
    );
    assert_eq!(before, after);
}

#[test]
fn sync_without_builds_names_the_package() {
    let env = Env::new(PackageUniverse::new().with(Package::new("dynamic-only", "2.0").no_wheel()));
    env.write("requirements.txt", "dynamic-only==2.0\n");
    let venv = env.venv("venv");
    let output = env.sync(&venv, "requirements.txt", &["--no-build"]);
    assert_eq!(output.status.code(), Some(1), "{}", env.render(&output));
    insta::assert_snapshot!(env.render(&output));
}

#[test]
fn direct_sdist_url_is_built_pinned_and_hash_checked() {
    let env = Env::new(
        PackageUniverse::new().with(
            Package::new("dynamic-only", "2.0")
                .dep("six")
                .no_wheel()
                .dynamic_sdist()
                .test_backend(),
        ),
    );
    let url = format!("{}/dynamic_only-2.0.tar.gz", env.server.files_url());
    env.write("requirements.in", &format!("dynamic-only @ {url}\n"));
    let output = env.compile(&["--no-header", "--generate-hashes", "requirements.in"]);
    assert!(output.status.success(), "{}", env.render(&output));
    let hash = env.server.sha256("dynamic_only-2.0.tar.gz");
    let lockfile = env.lockfile("requirements.txt");
    assert!(
        lockfile.contains(&format!(
            "dynamic-only @ {url} \\\n    --hash=sha256:{hash}\n"
        )),
        "{lockfile}"
    );

    let venv = env.venv("venv");
    let output = env.sync(&venv, "requirements.txt", &[]);
    assert!(output.status.success(), "{}", env.render(&output));
    let direct_url = python(
        &venv,
        "import importlib.metadata as m; print(m.distribution('dynamic-only').read_text('direct_url.json'))",
    );
    let direct_url: serde_json::Value = serde_json::from_str(&direct_url).unwrap();
    assert_eq!(direct_url["url"], url.as_str());

    // A hash the file does not have: nothing is installed.
    let fresh = env.venv("fresh");
    env.write(
        "bad.txt",
        &format!(
            "dynamic-only @ {url} --hash=sha256:{}\nsix==1.16.0 --hash=sha256:{}\n",
            "0".repeat(64),
            env.server.sha256("six-1.16.0-py3-none-any.whl")
        ),
    );
    let output = env.sync(&fresh, "bad.txt", &[]);
    assert_eq!(output.status.code(), Some(1), "{}", env.render(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("hash mismatch for `dynamic-only`"),
        "{stderr}"
    );
    assert_eq!(
        python(
            &fresh,
            "import importlib.util; print(importlib.util.find_spec('six'))"
        ),
        "None"
    );
}

#[test]
fn local_wheel_archive_reference() {
    let env = Env::new(PackageUniverse::new().with(Package::new("localpkg", "1.5").dep("six")));
    let wheel = "localpkg-1.5-py3-none-any.whl";
    env.write("dist/.keep", "");
    std::fs::write(
        env.path().join("dist").join(wheel),
        env.server.file_bytes(wheel),
    )
    .unwrap();
    env.write("requirements.in", &format!("./dist/{wheel}\n"));
    let output = env.compile(&["--no-header", "requirements.in"]);
    assert!(output.status.success(), "{}", env.render(&output));
    insta::assert_snapshot!(env.lockfile("requirements.txt"), @r"
    localpkg @ file://[DIR]/dist/localpkg-1.5-py3-none-any.whl
        # via -r requirements.in
    six==1.16.0
        # via localpkg
    ");
    let venv = env.venv("venv");
    let output = env.sync(&venv, "requirements.txt", &[]);
    assert!(output.status.success(), "{}", env.render(&output));
    assert_eq!(
        python(&venv, "import localpkg; print(localpkg.__version__)"),
        "1.5"
    );
}

#[test]
fn only_binary_and_no_binary_per_package() {
    let env = Env::new(
        PackageUniverse::new()
            .with(Package::new("both", "1.0"))
            .with(Package::new("both", "0.9").no_sdist())
            .with(Package::new("sdist-only", "1.0").no_wheel()),
    );
    // --no-binary both: only releases with an sdist count.
    env.write("requirements.in", "both\nsdist-only\n");
    let output = env.compile(&["--no-header", "--no-binary", "both", "requirements.in"]);
    assert!(output.status.success(), "{}", env.render(&output));
    assert!(env.read("requirements.txt").contains("both==1.0"));

    // --only-binary sdist-only: its only release needs a build.
    let output = env.compile(&["--only-binary", "sdist-only", "requirements.in"]);
    assert_eq!(output.status.code(), Some(1), "{}", env.render(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`sdist-only==1.0` cannot be used because it has only a source"),
        "{stderr}"
    );

    let output = env.compile(&["--only-binary", "not a name!", "requirements.in"]);
    assert_eq!(output.status.code(), Some(2), "{}", env.render(&output));
}

#[test]
fn a_named_path_must_name_its_project() {
    let env = Env::new(PackageUniverse::new());
    env.project("libs/mylib", "mylib", &[]);
    env.write("requirements.in", "otherlib @ file:./libs/mylib\n");
    let output = env.compile(&["requirements.in"]);
    assert_eq!(output.status.code(), Some(2), "{}", env.render(&output));
    insta::assert_snapshot!(env.render(&output));
}

#[test]
fn setup_py_project_builds_with_the_legacy_backend() {
    let Some(setuptools) = ensurepip_setuptools() else {
        eprintln!("skipped: python3's ensurepip bundles no setuptools");
        return;
    };
    let wheel =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/build/wheel-0.43.0-py3-none-any.whl");
    let env = Env::new(
        PackageUniverse::new()
            .with_file(&setuptools)
            .with_file(&wheel),
    );
    // No pyproject.toml: PEP 517's fallback, setuptools' legacy backend.
    env.write(
        "oldproj/setup.py",
        "from setuptools import setup\nsetup(name='oldproj', version='0.3', packages=['oldproj'], install_requires=['six'])\n",
    );
    env.write("oldproj/oldproj/__init__.py", "VALUE = 'old'\n");
    env.write("requirements.in", "-e ./oldproj\n");
    let output = env.compile(&["--no-header", "requirements.in"]);
    assert!(output.status.success(), "{}", env.render(&output));
    insta::assert_snapshot!(env.lockfile("requirements.txt"), @r"
    -e ./oldproj
        # via -r requirements.in
    six==1.16.0
        # via oldproj
    ");
    let venv = env.venv("venv");
    let output = env.sync(&venv, "requirements.txt", &[]);
    assert!(output.status.success(), "{}", env.render(&output));
    assert_eq!(python(&venv, "import oldproj; print(oldproj.VALUE)"), "old");
    env.write("oldproj/oldproj/__init__.py", "VALUE = 'new'\n");
    assert_eq!(python(&venv, "import oldproj; print(oldproj.VALUE)"), "new");
}

#[test]
fn a_local_project_with_no_build_is_an_error() {
    let env = Env::new(PackageUniverse::new());
    env.project("app", "my-app", &[]);
    env.write("requirements.in", "-e ./app\n");
    let output = env.compile(&["--no-build", "requirements.in"]);
    assert_eq!(output.status.code(), Some(1), "{}", env.render(&output));
    insta::assert_snapshot!(env.render(&output));
}

#[test]
fn build_requirements_come_from_wheels_only() {
    let env = Env::new(PackageUniverse::new().with(Package::new("odd-backend", "1.0").no_wheel()));
    env.write(
        "app/pyproject.toml",
        "[build-system]\nrequires = [\"odd-backend\"]\nbuild-backend = \"odd_backend\"\n\n[project]\nname = \"app\"\nversion = \"1.0\"\n",
    );
    env.write("requirements.in", "./app\n");
    let output = env.compile(&["requirements.in"]);
    assert_eq!(output.status.code(), Some(1), "{}", env.render(&output));
    insta::assert_snapshot!(env.render(&output));
}

#[test]
fn pyproject_with_dynamic_dependencies_is_built_for_them() {
    let env = Env::new(PackageUniverse::new());
    env.write(
        "pyproject.toml",
        "[build-system]\nrequires = [\"pinion-test-backend\"]\nbuild-backend = \"pinion_test_backend\"\n\n\
         [project]\nname = \"my-app\"\nversion = \"0.1.0\"\ndynamic = [\"dependencies\"]\n\n\
         [project.optional-dependencies]\nextra1 = [\"attrs\"]\n\n\
         [tool.pinion-test-backend]\ndynamic-requires = [\"six\"]\n",
    );
    env.write("my_app/__init__.py", "");
    let output = env.compile(&["--no-header", "pyproject.toml", "--extra", "extra1"]);
    assert!(output.status.success(), "{}", env.render(&output));
    insta::assert_snapshot!(env.lockfile("requirements.txt"), @r"
    attrs==24.2.0
        # via my-app (pyproject.toml)
    six==1.16.0
        # via my-app (pyproject.toml)
    ");
    // Without the extra, only what every install needs.
    let output = env.compile(&["--no-header", "pyproject.toml", "-o", "base.txt"]);
    assert!(output.status.success(), "{}", env.render(&output));
    assert!(!env.read("base.txt").contains("attrs"));
    let output = env.compile(&["pyproject.toml", "--extra", "nope", "--dry-run"]);
    assert_eq!(output.status.code(), Some(2), "{}", env.render(&output));
}

#[test]
fn setup_py_input_is_built_for_its_dependencies() {
    let Some(setuptools) = ensurepip_setuptools() else {
        eprintln!("skipped: python3's ensurepip bundles no setuptools");
        return;
    };
    let wheel =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/build/wheel-0.43.0-py3-none-any.whl");
    let env = Env::new(
        PackageUniverse::new()
            .with_file(&setuptools)
            .with_file(&wheel),
    );
    env.write(
        "setup.py",
        "from setuptools import setup\nsetup(name='oldproj', version='0.3', install_requires=['six'], extras_require={'more': ['attrs']})\n",
    );
    let output = env.compile(&["--no-header", "setup.py", "--all-extras"]);
    assert!(output.status.success(), "{}", env.render(&output));
    insta::assert_snapshot!(env.lockfile("requirements.txt"), @r"
    attrs==24.2.0
        # via oldproj (setup.py)
    six==1.16.0
        # via oldproj (setup.py)
    ");
}

#[test]
fn check_accepts_a_local_project_it_cannot_build_offline() {
    let env = Env::new(PackageUniverse::new());
    env.project("app", "my-app", &["six"]);
    env.write("requirements.in", "-e ./app\n");
    let output = env.compile(&["requirements.in"]);
    assert!(output.status.success(), "{}", env.render(&output));
    let output = pinion(env.path()).arg("check").output().unwrap();
    assert!(output.status.success(), "{}", env.render(&output));
    env.project("other", "other", &[]);
    env.write("requirements.in", "-e ./app\n-e ./other\n");
    let output = pinion(env.path()).arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", env.render(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("requirements.in:2:4: `-e ./other` is not in the lockfile"),
        "{}",
        env.render(&output)
    );
}

#[test]
fn setup_cfg_input_is_built_for_its_dependencies() {
    let Some(setuptools) = ensurepip_setuptools() else {
        eprintln!("skipped: python3's ensurepip bundles no setuptools");
        return;
    };
    let wheel =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/build/wheel-0.43.0-py3-none-any.whl");
    let env = Env::new(
        PackageUniverse::new()
            .with_file(&setuptools)
            .with_file(&wheel),
    );
    env.write(
        "setup.cfg",
        "[metadata]\nname = cfgproj\nversion = 0.2\n\n[options]\ninstall_requires =\n    six\n",
    );
    env.write("setup.py", "from setuptools import setup\nsetup()\n");
    let output = env.compile(&["--no-header", "setup.cfg"]);
    assert!(output.status.success(), "{}", env.render(&output));
    insta::assert_snapshot!(env.lockfile("requirements.txt"), @r"
    six==1.16.0
        # via cfgproj (setup.cfg)
    ");
}

#[test]
fn sync_only_binary_and_no_binary_per_package() {
    let env = Env::new(
        PackageUniverse::new()
            .with(Package::new("dynamic-only", "2.0").no_wheel())
            .with(Package::new("both", "1.0").test_backend()),
    );
    env.write("requirements.txt", "dynamic-only==2.0\n");
    let venv = env.venv("venv");
    let output = env.sync(
        &venv,
        "requirements.txt",
        &["--only-binary", "dynamic-only"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", env.render(&output));
    assert!(
        env.render(&output).contains("`dynamic-only==2.0`"),
        "{}",
        env.render(&output)
    );
    assert_eq!(
        python(
            &venv,
            "import importlib.util as u; print(u.find_spec('dynamic_only') is None)"
        ),
        "True"
    );

    // `both` has a wheel, but --no-binary builds it from its sdist.
    env.write("requirements.txt", "both==1.0\n");
    let output = env.sync(&venv, "requirements.txt", &["--no-binary", "both", "-v"]);
    assert!(output.status.success(), "{}", env.render(&output));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("pinion-test-backend: wheel of both"), "{log}");
}

#[test]
fn check_accepts_a_project_input_it_cannot_build_offline() {
    let env = Env::new(PackageUniverse::new());
    env.write(
        "pyproject.toml",
        "[build-system]\nrequires = [\"pinion-test-backend\"]\nbuild-backend = \"pinion_test_backend\"\n\n\
         [project]\nname = \"my-app\"\nversion = \"0.1.0\"\ndynamic = [\"dependencies\"]\n\n\
         [tool.pinion-test-backend]\ndynamic-requires = [\"six\"]\n",
    );
    env.write("my_app/__init__.py", "");
    let output = env.compile(&["pyproject.toml"]);
    assert!(output.status.success(), "{}", env.render(&output));
    let output = pinion(env.path()).arg("check").output().unwrap();
    assert!(output.status.success(), "{}", env.render(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("`pyproject.toml`"),
        "{}",
        env.render(&output)
    );
}
