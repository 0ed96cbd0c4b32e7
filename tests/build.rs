//! Source distributions, local projects, editables and direct references through the binary:
//! `pinion compile` builds for metadata, `pinion sync` builds wheels and editables. Build
//! environments get their backends from the local index: `pinion-test-backend`
//! (testdata/build/pinion_test_backend.py) for most tests, and the setuptools wheel bundled
//! with the test interpreter's ensurepip (with `wheel`, which setuptools < 70.1 needs, from
//! testdata/build) for a real setuptools build. Nothing is downloaded.

#[path = "common/support.rs"]
pub mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Package, PackageUniverse, TestContext};

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

/// A project whose index serves `universe` and the backends every build test needs
/// (`pinion-test-backend`, with `six` and `attrs` to depend on); it compiles for the host's
/// `python3`, which runs the builds.
fn context(universe: PackageUniverse) -> TestContext {
    let universe = universe
        .with(
            Package::new("pinion-test-backend", "1.0")
                .file("pinion_test_backend/__init__.py", BACKEND),
        )
        .with(Package::new("six", "1.16.0"))
        .with(Package::new("attrs", "24.2.0"));
    TestContext::new(&universe).with_host_python()
}

/// `pinion sync --python <venv>/bin/python --index-url <local index>`: build tests write
/// lockfiles without index options.
fn sync(ctx: &TestContext, venv: &Path) -> assert_cmd::Command {
    let mut command = ctx.sync_into(venv);
    command.args(["--index-url", &ctx.index_url()]);
    command
}

/// A project using pinion-test-backend at `dir`, with a module that says `hello`.
fn write_project(ctx: &TestContext, dir: &str, name: &str, dependencies: &[&str]) {
    let deps: Vec<String> = dependencies.iter().map(|d| format!("{d:?}")).collect();
    ctx.write(
        &format!("{dir}/pyproject.toml"),
        &format!(
            "[build-system]\nrequires = [\"pinion-test-backend\"]\nbuild-backend = \"pinion_test_backend\"\n\n\
             [project]\nname = \"{name}\"\nversion = \"0.1.0\"\ndependencies = [{}]\n",
            deps.join(", ")
        ),
    );
    let module = name.replace('-', "_");
    ctx.write(
        &format!("{dir}/{module}/__init__.py"),
        "def hello():\n    return 'hello'\n",
    );
}

/// The lockfile's pins, filtered, without the `--index-url` line.
fn pins(ctx: &TestContext, name: &str) -> String {
    let text = ctx.lockfile(name);
    match text.strip_prefix("--index-url [INDEX]\n\n") {
        Some(pins) => pins.to_string(),
        None => text,
    }
}

/// Whether any request asked for a project page or file of `name`.
fn fetched(ctx: &TestContext, name: &str) -> bool {
    ctx.server().requests().iter().any(|r| r.contains(name))
}

/// What a command wrote to stderr: the `-v` log.
fn stderr(run: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&run.get_output().stderr).into_owned()
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
    let ctx = context(
        PackageUniverse::new().with(
            Package::new("static-only", "1.0")
                .dep("six")
                .no_wheel()
                .failing_build("this sdist must not be built"),
        ),
    );
    ctx.write("requirements.in", "static-only\n");
    ctx.compile()
        .args(["--no-header", "requirements.in"])
        .assert()
        .success();
    insta::assert_snapshot!(pins(&ctx, "requirements.txt"), @r"
    six==1.16.0
        # via static-only
    static-only==1.0
        # via -r requirements.in
    ");
    assert!(!fetched(&ctx, "pinion-test-backend"));
}

#[test]
fn sdist_with_dynamic_metadata_is_built_once() {
    let ctx = context(
        PackageUniverse::new().with(
            Package::new("dynamic-only", "2.0")
                .dep("six")
                .no_wheel()
                .dynamic_sdist()
                .test_backend(),
        ),
    );
    ctx.write("requirements.in", "dynamic-only\n");
    let output = ctx
        .compile()
        .args(["--no-header", "-v", "requirements.in"])
        .assert()
        .success();
    let log = stderr(&output);
    assert!(
        log.contains("pinion-test-backend: metadata of dynamic-only"),
        "{log}"
    );
    insta::assert_snapshot!(pins(&ctx, "requirements.txt"), @r"
    dynamic-only==2.0
        # via -r requirements.in
    six==1.16.0
        # via dynamic-only
    ");

    // The built metadata is cached by the sdist's hash: a second compile builds nothing.
    std::fs::remove_file(ctx.path().join("requirements.txt")).unwrap();
    let output = ctx
        .compile()
        .args(["--no-header", "-v", "requirements.in"])
        .assert()
        .success();
    let log = stderr(&output);
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
    let ctx = context(universe);
    ctx.write("requirements.in", "legacy\n");
    ctx.compile()
        .args(["--no-header", "requirements.in"])
        .assert()
        .success();
    insta::assert_snapshot!(pins(&ctx, "requirements.txt"), @r"
    attrs==24.2.0
        # via legacy
    legacy==3.1
        # via -r requirements.in
    ");

    // sync builds the wheel with setuptools too.
    let venv = ctx.new_venv("venv");
    sync(&ctx, &venv).arg("requirements.txt").assert().success();
    assert_eq!(
        python(&venv, "import legacy; print(legacy.__version__)"),
        "3.1"
    );
}

/// Regression: static `[project]` metadata in an sdist's pyproject.toml (PEP 621: fields not in
/// `dynamic` are authoritative) was ignored, so dbt-core needed a build that failed.
#[test]
fn sdist_with_static_pyproject_metadata_is_not_built() {
    let ctx = context(
        PackageUniverse::new().with(
            Package::new("static-project", "1.0")
                .dep("six")
                .extra("fast", &["attrs"])
                .no_wheel()
                .dynamic_sdist()
                .static_pyproject()
                .failing_build("this sdist must not be built"),
        ),
    );
    ctx.write("requirements.in", "static-project[fast]\n");
    ctx.compile()
        .args(["--no-header", "requirements.in"])
        .assert()
        .success();
    insta::assert_snapshot!(pins(&ctx, "requirements.txt"), @r"
    attrs==24.2.0
        # via static-project
    six==1.16.0
        # via static-project
    static-project[fast]==1.0
        # via -r requirements.in
    ");
}

/// Regression: hooks ran without the build env's scripts on PATH or VIRTUAL_ENV, so backends
/// that run `meson` or `ninja` from their build requirements failed.
#[test]
fn build_hooks_see_the_build_env_first_on_path() {
    let ctx = context(
        PackageUniverse::new().with(
            Package::new("needs-tools", "1.0")
                .dep("six")
                .no_wheel()
                .dynamic_sdist()
                .needs_build_env_on_path(),
        ),
    );
    ctx.write("requirements.in", "needs-tools\n");
    ctx.compile()
        .args(["--no-header", "requirements.in"])
        .assert()
        .success();
    assert!(ctx.read("requirements.txt").contains("six==1.16.0"));
}

/// `--python-version` alone: an sdist that needs a build is built with the interpreter pinion
/// finds, instead of being skipped in silence.
#[test]
fn python_version_alone_still_builds_for_metadata() {
    let universe = PackageUniverse::new()
        .with(
            Package::new("pinion-test-backend", "1.0")
                .file("pinion_test_backend/__init__.py", BACKEND),
        )
        .with(Package::new("six", "1.16.0"))
        .with(
            Package::new("dynamic-only", "2.0")
                .dep("six")
                .no_wheel()
                .dynamic_sdist()
                .test_backend(),
        );
    let ctx = TestContext::new(&universe);
    ctx.write("requirements.in", "dynamic-only\n");
    ctx.compile().arg("requirements.in").assert().success();
    assert!(ctx.read("requirements.txt").contains("six==1.16.0"));
}

#[test]
fn a_failing_build_shows_the_backend_output() {
    let ctx = context(
        PackageUniverse::new().with(
            Package::new("broken", "1.0")
                .no_wheel()
                .dynamic_sdist()
                .failing_build("cannot find the C compiler"),
        ),
    );
    ctx.write("requirements.in", "broken\n");
    let output = pinion_snapshot!(ctx.filters(), ctx.compile().args(["requirements.in"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(!ctx.path().join("requirements.txt").exists());
}

#[test]
fn no_build_names_the_package_that_needs_one() {
    let ctx = context(
        PackageUniverse::new().with(
            Package::new("dynamic-only", "2.0")
                .no_wheel()
                .dynamic_sdist(),
        ),
    );
    ctx.write("requirements.in", "dynamic-only\n");
    let output = pinion_snapshot!(
        ctx.filters(),
        ctx.compile().args(["--no-build", "requirements.in"])
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn editable_project_is_compiled_and_synced_editable() {
    let ctx = context(PackageUniverse::new());
    write_project(&ctx, "app", "my-app", &["six>=1.0"]);
    ctx.write("app/requirements-dev.in", "-e .\nattrs\n");
    ctx.compile()
        .current_dir(ctx.path().join("app"))
        .args(["--no-header", "requirements-dev.in"])
        .assert()
        .success();
    insta::assert_snapshot!(pins(&ctx, "app/requirements-dev.txt"), @r"
    -e .
        # via -r requirements-dev.in
    attrs==24.2.0
        # via -r requirements-dev.in
    six==1.16.0
        # via my-app
    ");

    let venv = ctx.new_venv("venv");
    let sync = || {
        ctx.sync_into(&venv)
            .current_dir(ctx.path().join("app"))
            .args(["-v", "requirements-dev.txt"])
            .assert()
            .success()
    };
    let log = stderr(&sync());
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
        url::Url::from_directory_path(ctx.path().join("app"))
            .unwrap()
            .as_str()
            .trim_end_matches('/')
    );

    // Editable: a change to the source shows without syncing again.
    ctx.write(
        "app/my_app/__init__.py",
        "def hello():\n    return 'edited'\n",
    );
    assert_eq!(
        python(&venv, "import my_app; print(my_app.hello())"),
        "edited"
    );

    // Nothing to do the second time.
    let log = stderr(&sync());
    assert!(log.contains("Everything is up to date"), "{log}");
    assert!(!log.contains("pinion-test-backend:"), "{log}");
}

#[test]
fn local_directory_reference_is_written_relative_to_the_lockfile() {
    let ctx = context(PackageUniverse::new());
    write_project(&ctx, "libs/mylib", "mylib", &["attrs"]);
    ctx.write("requirements.in", "./libs/mylib\n");
    ctx.compile()
        .args(["--no-header", "requirements.in"])
        .assert()
        .success();
    insta::assert_snapshot!(pins(&ctx, "requirements.txt"), @r"
    attrs==24.2.0
        # via mylib
    ./libs/mylib
        # via -r requirements.in
    ");

    let venv = ctx.new_venv("venv");
    let output = sync(&ctx, &venv).arg("requirements.txt").assert().success();
    let log = stderr(&output);
    assert!(log.contains("+ mylib==0.1.0"), "{log}");
    assert_eq!(python(&venv, "import mylib; print(mylib.hello())"), "hello");
    // Not editable: the installed copy does not follow the source.
    ctx.write(
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
    let ctx = context(PackageUniverse::new());
    write_project(&ctx, "repo", "gitlib", &["six"]);
    let repo = ctx.path().join("repo");
    git(&repo, &["init", "--quiet", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "first"]);
    git(&repo, &["tag", "v1.0"]);
    let commit = git(&repo, &["rev-parse", "HEAD"]);
    let url = url::Url::from_directory_path(&repo).unwrap();
    let url = url.as_str().trim_end_matches('/');
    ctx.write("requirements.in", &format!("gitlib @ git+{url}@v1.0\n"));
    ctx.compile()
        .args(["--no-header", "requirements.in"])
        .assert()
        .success();
    let lockfile = pins(&ctx, "requirements.txt").replace(&commit, "[COMMIT]");
    insta::assert_snapshot!(lockfile, @r"
    gitlib @ git+file://[DIR]/repo@[COMMIT]
        # via -r requirements.in
    six==1.16.0
        # via gitlib
    ");

    // A later commit on the branch does not move the pin: sync installs the pinned commit.
    ctx.write(
        "repo/gitlib/__init__.py",
        "def hello():\n    return 'later'\n",
    );
    git(&repo, &["commit", "--quiet", "-am", "second"]);
    let venv = ctx.new_venv("venv");
    sync(&ctx, &venv).arg("requirements.txt").assert().success();
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
    write_project(&ctx, "repo/sub", "subproj", &[]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "third"]);
    ctx.write(
        "editable.in",
        &format!("-e git+{url}@main#egg=subproj&subdirectory=sub\n"),
    );
    ctx.compile()
        .args(["--no-header", "editable.in"])
        .assert()
        .success();
    let head = git(&repo, &["rev-parse", "HEAD"]);
    let lockfile = pins(&ctx, "editable.txt").replace(&head, "[HEAD]");
    insta::assert_snapshot!(lockfile, @r"
    -e git+file://[DIR]/repo@[HEAD]#subdirectory=sub&egg=subproj
        # via -r editable.in
    ");
    sync(&ctx, &venv).arg("editable.txt").assert().success();
    assert_eq!(
        python(&venv, "import subproj; print(subproj.hello())"),
        "hello"
    );
}

/// PEP 751: a git reference is a `[packages.vcs]` table with the commit it resolved to
/// (`commit-id`), the revision asked for and the subdirectory; sync installs that commit, not
/// where the branch is now, and check accepts it. A local project is a `directory`.
#[test]
fn pylock_toml_records_git_references_as_vcs() {
    let ctx = context(PackageUniverse::new());
    write_project(&ctx, "repo", "gitlib", &["six"]);
    write_project(&ctx, "repo/sub", "subproj", &[]);
    write_project(&ctx, "libs/mylib", "mylib", &[]);
    let repo = ctx.path().join("repo");
    git(&repo, &["init", "--quiet", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "first"]);
    git(&repo, &["tag", "v1.0"]);
    let commit = git(&repo, &["rev-parse", "HEAD"]);
    let url = url::Url::from_directory_path(&repo).unwrap();
    let url = url.as_str().trim_end_matches('/');
    ctx.write(
        "requirements.in",
        &format!(
            "gitlib @ git+{url}@v1.0\nsubproj @ git+{url}@main#subdirectory=sub\n-e ./libs/mylib\n"
        ),
    );
    ctx.compile()
        .args(["requirements.in", "-o", "pylock.toml"])
        .assert()
        .success();
    let text = ctx.read("pylock.toml");
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let packages = doc["packages"].as_array().unwrap();
    let gitlib = packages
        .iter()
        .find(|p| p["name"].as_str() == Some("gitlib"));
    assert_eq!(
        gitlib.unwrap()["vcs"]["commit-id"].as_str(),
        Some(commit.as_str())
    );
    insta::assert_snapshot!(
        "pylock_with_git_references",
        ctx.lockfile("pylock.toml").replace(&commit, "[COMMIT]")
    );

    // The branch moves on; sync installs the locked commit.
    ctx.write(
        "repo/gitlib/__init__.py",
        "def hello():\n    return 'later'\n",
    );
    git(&repo, &["commit", "--quiet", "-am", "second"]);
    let venv = ctx.new_venv("venv");
    sync(&ctx, &venv).arg("pylock.toml").assert().success();
    assert_eq!(
        python(&venv, "import gitlib; print(gitlib.hello())"),
        "hello"
    );
    assert_eq!(
        python(&venv, "import subproj; print(subproj.hello())"),
        "hello"
    );
    let direct_url = python(
        &venv,
        "import importlib.metadata as m; print(m.distribution('gitlib').read_text('direct_url.json'))",
    );
    let direct_url: serde_json::Value = serde_json::from_str(&direct_url).unwrap();
    assert_eq!(direct_url["vcs_info"]["commit_id"], commit.as_str());
    // Editable: the installed copy follows the source.
    ctx.write(
        "libs/mylib/mylib/__init__.py",
        "def hello():\n    return 'edited'\n",
    );
    assert_eq!(
        python(&venv, "import mylib; print(mylib.hello())"),
        "edited"
    );
    ctx.check().arg("pylock.toml").assert().success();

    // A vcs entry without the commit PEP 751 requires is refused, naming its place.
    ctx.write(
        "broken.toml",
        &format!(
            "lock-version = \"1.0\"\n\n[[packages]]\nname = \"gitlib\"\nvcs = {{ type = \"git\", url = \"{}\", requested-revision = \"main\" }}\n",
            repo.display()
        ),
    );
    let output = sync(&ctx, &venv).arg("broken.toml").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("broken.toml:3:1") && stderr.contains("commit-id"),
        "{stderr}"
    );
}

/// An override may be a local project, as in uv: every requirement on `six` becomes the
/// vendored copy, which is built for its metadata and pinned by its path.
#[test]
fn an_override_can_be_a_local_project() {
    let ctx = context(PackageUniverse::new());
    write_project(&ctx, "libs/mylib", "mylib", &["six>=1.16"]);
    write_project(&ctx, "vendor/six", "six", &[]);
    ctx.write(
        "requirements.in",
        "./libs/mylib
",
    );
    ctx.write("overrides.txt", "six @ ./vendor/six\n");
    ctx.compile()
        .args([
            "--no-header",
            "--override",
            "overrides.txt",
            "requirements.in",
        ])
        .assert()
        .success();
    insta::assert_snapshot!(pins(&ctx, "requirements.txt"), @r"
    ./libs/mylib
        # via -r requirements.in
    ./vendor/six
        # via mylib (overridden by overrides.txt)
    ");
}

#[test]
fn sync_builds_an_sdist_only_pin_once() {
    let ctx = context(
        PackageUniverse::new().with(
            Package::new("dynamic-only", "2.0")
                .dep("six")
                .no_wheel()
                .dynamic_sdist()
                .test_backend(),
        ),
    );
    ctx.write("requirements.txt", "dynamic-only==2.0\nsix==1.16.0\n");
    for venv in ["first", "second"] {
        let venv = ctx.new_venv(venv);
        let output = sync(&ctx, &venv)
            .args(["-v"])
            .arg("requirements.txt")
            .assert()
            .success();
        assert_eq!(
            python(
                &venv,
                "import dynamic_only; print(dynamic_only.__version__)"
            ),
            "2.0"
        );
        let log = stderr(&output);
        // The wheel is cached by the sdist's hash: the second venv gets it without a build.
        let built = log.contains("pinion-test-backend: wheel of dynamic-only");
        assert_eq!(built, venv.ends_with("first"), "{log}");
    }
}

#[test]
fn a_failing_build_in_sync_changes_nothing() {
    let ctx = context(
        PackageUniverse::new().with(
            Package::new("broken", "1.0")
                .no_wheel()
                .failing_build("no compiler"),
        ),
    );
    ctx.write("requirements.txt", "broken==1.0\nsix==1.16.0\n");
    let venv = ctx.new_venv("venv");
    ctx.write("old.txt", "attrs==24.2.0\n");
    sync(&ctx, &venv).arg("old.txt").assert().success();
    let before = python(
        &venv,
        "import sys, os; print(sorted(os.listdir([p for p in sys.path if p.endswith('site-packages')][0])))",
    );

    let output = sync(&ctx, &venv).arg("requirements.txt").assert().code(1);
    let stderr = stderr(&output);
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
    let ctx = context(PackageUniverse::new().with(Package::new("dynamic-only", "2.0").no_wheel()));
    ctx.write("requirements.txt", "dynamic-only==2.0\n");
    let venv = ctx.new_venv("venv");
    let output = pinion_snapshot!(
        ctx.filters(),
        sync(&ctx, &venv)
            .args(["--no-build"])
            .arg("requirements.txt")
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn direct_sdist_url_is_built_pinned_and_hash_checked() {
    let ctx = context(
        PackageUniverse::new().with(
            Package::new("dynamic-only", "2.0")
                .dep("six")
                .no_wheel()
                .dynamic_sdist()
                .test_backend(),
        ),
    );
    let url = format!("{}/dynamic_only-2.0.tar.gz", ctx.server().files_url());
    ctx.write("requirements.in", &format!("dynamic-only @ {url}\n"));
    ctx.compile()
        .args(["--no-header", "--generate-hashes", "requirements.in"])
        .assert()
        .success();
    let hash = ctx.server().sha256("dynamic_only-2.0.tar.gz");
    let lockfile = ctx.read("requirements.txt");
    assert!(
        lockfile.contains(&format!(
            "dynamic-only @ {url} \\\n    --hash=sha256:{hash}\n"
        )),
        "{lockfile}"
    );

    let venv = ctx.new_venv("venv");
    sync(&ctx, &venv).arg("requirements.txt").assert().success();
    let direct_url = python(
        &venv,
        "import importlib.metadata as m; print(m.distribution('dynamic-only').read_text('direct_url.json'))",
    );
    let direct_url: serde_json::Value = serde_json::from_str(&direct_url).unwrap();
    assert_eq!(direct_url["url"], url.as_str());

    // A hash the file does not have: nothing is installed.
    let fresh = ctx.new_venv("fresh");
    ctx.write(
        "bad.txt",
        &format!(
            "dynamic-only @ {url} --hash=sha256:{}\nsix==1.16.0 --hash=sha256:{}\n",
            "0".repeat(64),
            ctx.server().sha256("six-1.16.0-py3-none-any.whl")
        ),
    );
    let output = sync(&ctx, &fresh).arg("bad.txt").assert().code(1);
    let stderr = stderr(&output);
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
    let ctx = context(PackageUniverse::new().with(Package::new("localpkg", "1.5").dep("six")));
    let wheel = "localpkg-1.5-py3-none-any.whl";
    ctx.write("dist/.keep", "");
    std::fs::write(
        ctx.path().join("dist").join(wheel),
        ctx.server().file_bytes(wheel),
    )
    .unwrap();
    ctx.write("requirements.in", &format!("./dist/{wheel}\n"));
    ctx.compile()
        .args(["--no-header", "requirements.in"])
        .assert()
        .success();
    insta::assert_snapshot!(pins(&ctx, "requirements.txt"), @r"
    localpkg @ file://[DIR]/dist/localpkg-1.5-py3-none-any.whl
        # via -r requirements.in
    six==1.16.0
        # via localpkg
    ");
    let venv = ctx.new_venv("venv");
    sync(&ctx, &venv).arg("requirements.txt").assert().success();
    assert_eq!(
        python(&venv, "import localpkg; print(localpkg.__version__)"),
        "1.5"
    );
}

#[test]
fn only_binary_and_no_binary_per_package() {
    let ctx = context(
        PackageUniverse::new()
            .with(Package::new("both", "1.0"))
            .with(Package::new("both", "0.9").no_sdist())
            .with(Package::new("sdist-only", "1.0").no_wheel()),
    );
    // --no-binary both: only releases with an sdist count.
    ctx.write("requirements.in", "both\nsdist-only\n");
    ctx.compile()
        .args(["--no-header", "--no-binary", "both", "requirements.in"])
        .assert()
        .success();
    assert!(ctx.read("requirements.txt").contains("both==1.0"));

    // --only-binary sdist-only: its only release needs a build.
    let output = ctx
        .compile()
        .args(["--only-binary", "sdist-only", "requirements.in"])
        .assert()
        .code(1);
    let stderr = stderr(&output);
    assert!(
        stderr.contains("`sdist-only==1.0` cannot be used because it has only a source"),
        "{stderr}"
    );

    ctx.compile()
        .args(["--only-binary", "not a name!", "requirements.in"])
        .assert()
        .code(2);
}

#[test]
fn a_named_path_must_name_its_project() {
    let ctx = context(PackageUniverse::new());
    write_project(&ctx, "libs/mylib", "mylib", &[]);
    ctx.write("requirements.in", "otherlib @ file:./libs/mylib\n");
    let output = pinion_snapshot!(ctx.filters(), ctx.compile().args(["requirements.in"]));
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn setup_py_project_builds_with_the_legacy_backend() {
    let Some(setuptools) = ensurepip_setuptools() else {
        eprintln!("skipped: python3's ensurepip bundles no setuptools");
        return;
    };
    let wheel =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/build/wheel-0.43.0-py3-none-any.whl");
    let ctx = context(
        PackageUniverse::new()
            .with_file(&setuptools)
            .with_file(&wheel),
    );
    // No pyproject.toml: PEP 517's fallback, setuptools' legacy backend.
    ctx.write(
        "oldproj/setup.py",
        "from setuptools import setup\nsetup(name='oldproj', version='0.3', packages=['oldproj'], install_requires=['six'])\n",
    );
    ctx.write("oldproj/oldproj/__init__.py", "VALUE = 'old'\n");
    ctx.write("requirements.in", "-e ./oldproj\n");
    ctx.compile()
        .args(["--no-header", "requirements.in"])
        .assert()
        .success();
    insta::assert_snapshot!(pins(&ctx, "requirements.txt"), @r"
    -e ./oldproj
        # via -r requirements.in
    six==1.16.0
        # via oldproj
    ");
    let venv = ctx.new_venv("venv");
    sync(&ctx, &venv).arg("requirements.txt").assert().success();
    assert_eq!(python(&venv, "import oldproj; print(oldproj.VALUE)"), "old");
    ctx.write("oldproj/oldproj/__init__.py", "VALUE = 'new'\n");
    assert_eq!(python(&venv, "import oldproj; print(oldproj.VALUE)"), "new");
}

#[test]
fn a_local_project_with_no_build_is_an_error() {
    let ctx = context(PackageUniverse::new());
    write_project(&ctx, "app", "my-app", &[]);
    ctx.write("requirements.in", "-e ./app\n");
    let output = pinion_snapshot!(
        ctx.filters(),
        ctx.compile().args(["--no-build", "requirements.in"])
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn build_requirements_come_from_wheels_only() {
    let ctx = context(PackageUniverse::new().with(Package::new("odd-backend", "1.0").no_wheel()));
    ctx.write(
        "app/pyproject.toml",
        "[build-system]\nrequires = [\"odd-backend\"]\nbuild-backend = \"odd_backend\"\n\n[project]\nname = \"app\"\nversion = \"1.0\"\n",
    );
    ctx.write("requirements.in", "./app\n");
    let output = pinion_snapshot!(ctx.filters(), ctx.compile().args(["requirements.in"]));
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn pyproject_with_dynamic_dependencies_is_built_for_them() {
    let ctx = context(PackageUniverse::new());
    ctx.write(
        "pyproject.toml",
        "[build-system]\nrequires = [\"pinion-test-backend\"]\nbuild-backend = \"pinion_test_backend\"\n\n\
         [project]\nname = \"my-app\"\nversion = \"0.1.0\"\ndynamic = [\"dependencies\"]\n\n\
         [project.optional-dependencies]\nextra1 = [\"attrs\"]\n\n\
         [tool.pinion-test-backend]\ndynamic-requires = [\"six\"]\n",
    );
    ctx.write("my_app/__init__.py", "");
    ctx.compile()
        .args(["--no-header", "pyproject.toml", "--extra", "extra1"])
        .assert()
        .success();
    insta::assert_snapshot!(pins(&ctx, "requirements.txt"), @r"
    attrs==24.2.0
        # via my-app (pyproject.toml)
    six==1.16.0
        # via my-app (pyproject.toml)
    ");
    // Without the extra, only what every install needs.
    ctx.compile()
        .args(["--no-header", "pyproject.toml", "-o", "base.txt"])
        .assert()
        .success();
    assert!(!ctx.read("base.txt").contains("attrs"));
    ctx.compile()
        .args(["pyproject.toml", "--extra", "nope", "--dry-run"])
        .assert()
        .code(2);
}

#[test]
fn setup_py_input_is_built_for_its_dependencies() {
    let Some(setuptools) = ensurepip_setuptools() else {
        eprintln!("skipped: python3's ensurepip bundles no setuptools");
        return;
    };
    let wheel =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/build/wheel-0.43.0-py3-none-any.whl");
    let ctx = context(
        PackageUniverse::new()
            .with_file(&setuptools)
            .with_file(&wheel),
    );
    ctx.write(
        "setup.py",
        "from setuptools import setup\nsetup(name='oldproj', version='0.3', install_requires=['six'], extras_require={'more': ['attrs']})\n",
    );
    ctx.compile()
        .args(["--no-header", "setup.py", "--all-extras"])
        .assert()
        .success();
    insta::assert_snapshot!(pins(&ctx, "requirements.txt"), @r"
    attrs==24.2.0
        # via oldproj (setup.py)
    six==1.16.0
        # via oldproj (setup.py)
    ");
}

#[test]
fn check_accepts_a_local_project_it_cannot_build_offline() {
    let ctx = context(PackageUniverse::new());
    write_project(&ctx, "app", "my-app", &["six"]);
    ctx.write("requirements.in", "-e ./app\n");
    ctx.compile().args(["requirements.in"]).assert().success();
    ctx.check().assert().success();
    write_project(&ctx, "other", "other", &[]);
    ctx.write("requirements.in", "-e ./app\n-e ./other\n");
    ctx.check()
        .assert()
        .code(1)
        .stdout(predicates::str::contains(
            "requirements.in:2:4: `-e ./other` is not in the lockfile",
        ));
}

#[test]
fn setup_cfg_input_is_built_for_its_dependencies() {
    let Some(setuptools) = ensurepip_setuptools() else {
        eprintln!("skipped: python3's ensurepip bundles no setuptools");
        return;
    };
    let wheel =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/build/wheel-0.43.0-py3-none-any.whl");
    let ctx = context(
        PackageUniverse::new()
            .with_file(&setuptools)
            .with_file(&wheel),
    );
    ctx.write(
        "setup.cfg",
        "[metadata]\nname = cfgproj\nversion = 0.2\n\n[options]\ninstall_requires =\n    six\n",
    );
    ctx.write("setup.py", "from setuptools import setup\nsetup()\n");
    ctx.compile()
        .args(["--no-header", "setup.cfg"])
        .assert()
        .success();
    insta::assert_snapshot!(pins(&ctx, "requirements.txt"), @r"
    six==1.16.0
        # via cfgproj (setup.cfg)
    ");
}

#[test]
fn sync_only_binary_and_no_binary_per_package() {
    let ctx = context(
        PackageUniverse::new()
            .with(Package::new("dynamic-only", "2.0").no_wheel())
            .with(Package::new("both", "1.0").test_backend()),
    );
    ctx.write("requirements.txt", "dynamic-only==2.0\n");
    let venv = ctx.new_venv("venv");
    sync(&ctx, &venv)
        .args(["--only-binary", "dynamic-only", "requirements.txt"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("`dynamic-only==2.0`"));
    assert_eq!(
        python(
            &venv,
            "import importlib.util as u; print(u.find_spec('dynamic_only') is None)"
        ),
        "True"
    );

    // `both` has a wheel, but --no-binary builds it from its sdist.
    ctx.write("requirements.txt", "both==1.0\n");
    let output = sync(&ctx, &venv)
        .args(["--no-binary", "both", "-v"])
        .arg("requirements.txt")
        .assert()
        .success();
    let log = stderr(&output);
    assert!(log.contains("pinion-test-backend: wheel of both"), "{log}");
}

#[test]
fn check_accepts_a_project_input_it_cannot_build_offline() {
    let ctx = context(PackageUniverse::new());
    ctx.write(
        "pyproject.toml",
        "[build-system]\nrequires = [\"pinion-test-backend\"]\nbuild-backend = \"pinion_test_backend\"\n\n\
         [project]\nname = \"my-app\"\nversion = \"0.1.0\"\ndynamic = [\"dependencies\"]\n\n\
         [tool.pinion-test-backend]\ndynamic-requires = [\"six\"]\n",
    );
    ctx.write("my_app/__init__.py", "");
    ctx.compile().args(["pyproject.toml"]).assert().success();
    ctx.check()
        .assert()
        .success()
        .stderr(predicates::str::contains("`pyproject.toml`"));
}

/// A pyproject project whose backend (pinion-test-backend) asks for different build
/// requirements for each build target, and `static-dep` (which needs `transient`) in
/// `build-system.requires`.
fn build_deps_project() -> TestContext {
    let ctx = context(
        PackageUniverse::new()
            .with(Package::new("static-dep", "0.1").dep("transient"))
            .with(Package::new("transient", "0.3"))
            .with(Package::new("wheel-dep", "0.4"))
            .with(Package::new("sdist-dep", "0.3"))
            .with(Package::new("editable-dep", "0.5"))
            .with(Package::new("all-dep", "0.2")),
    );
    ctx.write(
        "pyproject.toml",
        "[build-system]\nrequires = [\"pinion-test-backend\", \"static-dep\"]\nbuild-backend = \"pinion_test_backend\"\n\n\
         [project]\nname = \"my-app\"\nversion = \"0.1.0\"\ndependencies = [\"six\"]\n\n\
         [tool.pinion-test-backend]\n\
         requires-for-wheel = [\"wheel-dep\", \"all-dep\"]\n\
         requires-for-sdist = [\"sdist-dep\", \"all-dep\"]\n\
         requires-for-editable = [\"editable-dep\", \"all-dep\"]\n",
    );
    ctx.write("my_app/__init__.py", "");
    ctx
}

/// pip-tools 7's `--all-build-deps`: `build-system.requires` and what each
/// `get_requires_for_build_*` hook returns join the resolution, annotated as pip-compile
/// annotates them (`piptools/build.py`).
#[test]
fn all_build_deps_pins_every_targets_build_requirements() {
    let ctx = build_deps_project();
    ctx.compile()
        .args(["--no-header", "--all-build-deps"])
        .assert()
        .success();
    insta::assert_snapshot!(pins(&ctx, "requirements.txt"), @r"
    all-dep==0.2
        # via
        #   my-app (pyproject.toml::build-system.backend::editable)
        #   my-app (pyproject.toml::build-system.backend::sdist)
        #   my-app (pyproject.toml::build-system.backend::wheel)
    editable-dep==0.5
        # via my-app (pyproject.toml::build-system.backend::editable)
    pinion-test-backend==1.0
        # via my-app (pyproject.toml::build-system.requires)
    sdist-dep==0.3
        # via my-app (pyproject.toml::build-system.backend::sdist)
    six==1.16.0
        # via my-app (pyproject.toml)
    static-dep==0.1
        # via my-app (pyproject.toml::build-system.requires)
    transient==0.3
        # via static-dep
    wheel-dep==0.4
        # via my-app (pyproject.toml::build-system.backend::wheel)
    ");
    // The header records the flags: `--check` and the offline `check` accept the lockfile.
    ctx.compile()
        .args(["--all-build-deps", "pyproject.toml"])
        .assert()
        .success();
    ctx.compile()
        .args(["--check", "pyproject.toml"])
        .assert()
        .success();
    ctx.check().assert().success();
    if std::env::var_os("PINION_LIVE_TESTS").is_some() {
        live_build_deps_match_pip_compile(&ctx);
    }
}

#[test]
fn only_build_deps_for_one_target_leaves_the_project_out() {
    let ctx = build_deps_project();
    ctx.compile()
        .args([
            "--no-header",
            "--build-deps-for",
            "wheel",
            "--only-build-deps",
            "pyproject.toml",
        ])
        .assert()
        .success();
    insta::assert_snapshot!(pins(&ctx, "requirements.txt"), @r"
    all-dep==0.2
        # via my-app (pyproject.toml::build-system.backend::wheel)
    pinion-test-backend==1.0
        # via my-app (pyproject.toml::build-system.requires)
    static-dep==0.1
        # via my-app (pyproject.toml::build-system.requires)
    transient==0.3
        # via static-dep
    wheel-dep==0.4
        # via my-app (pyproject.toml::build-system.backend::wheel)
    ");
    // The same from pip-tools' configuration keys.
    let pyproject = ctx.read("pyproject.toml");
    ctx.write(
        "pyproject.toml",
        &format!(
            "{pyproject}\n[tool.pip-tools]\nbuild-deps-for = [\"wheel\"]\nonly-build-deps = true\n"
        ),
    );
    let before = ctx.read("requirements.txt");
    ctx.compile()
        .args(["--no-header", "-o", "from-config.txt", "pyproject.toml"])
        .assert()
        .success();
    assert_eq!(ctx.read("from-config.txt"), before);
}

/// pip-compile's own messages for the combinations it refuses, exit 2.
#[test]
fn build_deps_flags_are_refused_where_pip_compile_refuses_them() {
    let ctx = build_deps_project();
    ctx.write("requirements.in", "six\n");
    for (args, message) in [
        (
            &["--only-build-deps", "pyproject.toml"][..],
            "--only-build-deps requires either --build-deps-for or --all-build-deps",
        ),
        (
            &[
                "--all-build-deps",
                "--build-deps-for",
                "sdist",
                "pyproject.toml",
            ][..],
            "--build-deps-for has no effect when used with --all-build-deps",
        ),
        (
            &[
                "--all-build-deps",
                "--only-build-deps",
                "--all-extras",
                "pyproject.toml",
            ][..],
            "--only-build-deps cannot be used with any of --extra, --all-extras",
        ),
        (
            &["--build-deps-for", "wheel", "requirements.in"][..],
            // (miette wraps the rest: "setup.cfg and pyproject.toml specs.")
            "--build-deps-for and --all-build-deps can be used only with the setup.py,",
        ),
    ] {
        ctx.compile()
            .args(args)
            .arg("--dry-run")
            .assert()
            .code(2)
            .stderr(predicates::str::contains(message));
    }
}

/// With PINION_LIVE_TESTS=1 and pip-compile on PATH: pip-compile, given the same local index
/// (its build environment's pip through PIP_INDEX_URL), writes the same lockfile body.
fn live_build_deps_match_pip_compile(ctx: &TestContext) {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("pip-compile"))
        .find(|path| path.is_file());
    let Some(pip_compile) = found else {
        panic!("PINION_LIVE_TESTS=1 needs pip-compile on PATH");
    };
    ctx.compile()
        .args(["--no-header", "--all-build-deps", "-o", "pinion.txt"])
        .arg("pyproject.toml")
        .assert()
        .success();
    let output = Command::new(pip_compile)
        .current_dir(ctx.path())
        .env("PIP_INDEX_URL", ctx.index_url())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env_remove("PIP_FIND_LINKS")
        .args(["--no-header", "--all-build-deps", "-o", "pip-tools.txt"])
        .args(["--index-url", &ctx.index_url(), "pyproject.toml"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(ctx.read("pinion.txt"), ctx.read("pip-tools.txt"));
}
