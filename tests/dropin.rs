//! pinion as a drop-in for pip-tools teams: pip-compile's and pip-sync's flags (and uv's),
//! `--pip-args`, CUSTOM_COMPILE_COMMAND, `-o -`, `--newline`, the option lines a lockfile
//! repeats, `[tool.pip-tools]` configuration, and headers that reproduce on another machine.

#[path = "common/support.rs"]
pub mod common;

use std::path::{Path, PathBuf};

use common::{Package, PackageUniverse, TestContext};
use predicates::prelude::PredicateBooleanExt;

/// `app` needs `click`, `setuptools` (unsafe), and `tomli` only before Python 3.12.
fn universe() -> PackageUniverse {
    PackageUniverse::new()
        .with(Package::new("click", "8.1.7"))
        .with(Package::new("tomli", "2.0.1"))
        .with(Package::new("setuptools", "70.0.0"))
        .with(
            Package::new("app", "1.0")
                .dep("click>=8")
                .dep("setuptools")
                .dep("tomli; python_version < \"3.12\""),
        )
}

fn project() -> TestContext {
    let ctx = TestContext::new(&universe());
    ctx.write("requirements.in", "app\n");
    ctx
}

/// stderr of a finished command, as text.
fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn pip_compile_flags_are_accepted_and_no_ops_are_said_with_v() {
    let ctx = project();
    // Flags copied from real Makefiles; none of them may abort.
    pinion_snapshot!(
        ctx.filters(),
        ctx.compile().args([
            "-v",
            "--resolver=backtracking",
            "--max-rounds",
            "10",
            "--reuse-hashes",
            "--no-build-isolation",
            "-r",
            "--no-upgrade",
            "--header",
            "--annotate",
            "--emit-trusted-host",
            "--emit-find-links",
            "--emit-options",
            "--no-strip-extras",
            "-p",
            "--no-progress",
            "--color=never",
            "--output-file=requirements.txt",
            "requirements.in",
        ])
    );
    // The header keeps what changes the result and drops what does not.
    let lockfile = ctx.lockfile("requirements.txt");
    assert!(
        lockfile.contains(
            "#    pinion compile --index-url [INDEX] --python-version 3.12 --no-build-isolation --header --annotate --emit-trusted-host --emit-find-links --emit-options --no-strip-extras -p --output-file=requirements.txt requirements.in\n"
        ),
        "{lockfile}"
    );
}

#[test]
fn pip_sync_flags_are_accepted() {
    let ctx = project().with_venv();
    ctx.compile().arg("requirements.in").assert().success();
    // A dry run with changes to make exits 1 (pip-sync's rule).
    ctx.sync()
        .args(["--force", "--dry-run", "--no-config", "requirements.txt"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("Would make these changes"));
    // --user in a venv that hides the user site: pip's refusal (tests/dropin.rs
    // `sync_user_installs_into_the_user_site_only` syncs a user site).
    ctx.sync()
        .args(["--user", "requirements.txt"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "Can not perform a '--user' install. User site-packages are not visible in",
        ));
}

#[test]
fn pip_args_are_mapped_or_refused_by_name() {
    let ctx = project();
    // The index comes from --pip-args alone.
    ctx.pinion()
        .args(["compile", "--python-version", "3.12", "--pip-args"])
        .arg(format!(
            "-i {} --retries 5 --timeout=30 -q",
            ctx.index_url()
        ))
        .arg("requirements.in")
        .assert()
        .success();
    assert!(ctx.lockfile("requirements.txt").contains("app==1.0"));
    pinion_snapshot!(
        ctx.filters(),
        ctx.compile()
            .args(["--pip-args", "--no-deps --upgrade-strategy eager --pre"])
            .arg("requirements.in"),
        @r"
    exit code: 2
    ----- stdout -----

    ----- stderr -----
    pinion::pip_args

      × `--pip-args` holds pip options pinion does not understand: `--no-deps`,
      │ `--upgrade-strategy`
      help: pinion maps -i/--index-url, --extra-index-url, -f/--find-links, --no-
            index, --pre, --only-binary, --no-binary, -c/--constraint, --cache-dir
            and --no-cache-dir, and ignores pip's output and network tuning
            options; pass the others to pinion as its own flags, or drop them
    "
    );
}

#[test]
fn custom_compile_command_from_the_flag_or_either_variable() {
    let ctx = project();
    let header_line = |ctx: &TestContext| {
        ctx.read("requirements.txt")
            .lines()
            .nth(4)
            .unwrap_or_default()
            .to_string()
    };
    ctx.compile()
        .env("UV_CUSTOM_COMPILE_COMMAND", "uv-style")
        .arg("requirements.in")
        .assert()
        .success();
    assert_eq!(header_line(&ctx), "#    uv-style");
    ctx.compile()
        .env("UV_CUSTOM_COMPILE_COMMAND", "uv-style")
        .env("CUSTOM_COMPILE_COMMAND", "make requirements.txt")
        .arg("requirements.in")
        .assert()
        .success();
    assert_eq!(header_line(&ctx), "#    make requirements.txt");
    ctx.compile()
        .env("CUSTOM_COMPILE_COMMAND", "make requirements.txt")
        .args(["--custom-compile-command", "./update-locks.sh"])
        .arg("requirements.in")
        .assert()
        .success();
    assert_eq!(header_line(&ctx), "#    ./update-locks.sh");
    // The header alone never makes a lockfile stale.
    ctx.compile()
        .args(["--check", "requirements.in"])
        .assert()
        .success();
}

#[test]
fn output_file_dash_is_standard_output() {
    let ctx = project();
    let output = ctx
        .compile()
        .args(["-o", "-", "requirements.in"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    assert!(stdout.contains("app==1.0\n"), "{stdout}");
    assert!(!ctx.path().join("-").exists(), "no file named `-`");
    assert!(!ctx.path().join("requirements.txt").exists());
}

#[test]
fn newline_crlf_preserve_and_check() {
    let ctx = project();
    ctx.compile()
        .args(["--newline", "crlf", "requirements.in"])
        .assert()
        .success();
    let text = ctx.read("requirements.txt");
    assert!(text.contains("app==1.0\r\n"), "{text:?}");
    assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
    // `preserve` keeps what the file has; `--check` compares with the same line endings.
    ctx.compile()
        .args(["--newline", "preserve", "requirements.in"])
        .assert()
        .success();
    let preserved = ctx.read("requirements.txt");
    assert!(preserved.contains("app==1.0\r\n"), "{preserved:?}");
    assert_eq!(
        preserved.matches('\n').count(),
        preserved.matches("\r\n").count()
    );
    ctx.compile()
        .args(["--check", "requirements.in"])
        .assert()
        .success();
    ctx.compile()
        .args(["--newline", "lf", "requirements.in"])
        .assert()
        .success();
    assert!(!ctx.read("requirements.txt").contains('\r'));
}

#[test]
fn option_lines_come_from_every_source_and_each_can_be_left_out() {
    let ctx = project();
    let url = ctx.index_url();
    std::fs::create_dir(ctx.path().join("wheels")).unwrap();
    ctx.write(
        "requirements.in",
        "--trusted-host 127.0.0.1\n--only-binary :all:\napp\n",
    );
    // The index from PIP_INDEX_URL, find-links from PIP_FIND_LINKS: written as pip-compile does.
    let compile = |args: &[&str]| {
        let mut command = ctx.pinion();
        command
            .env("PIP_INDEX_URL", &url)
            .env("PIP_FIND_LINKS", "./wheels")
            .args(["compile", "--python-version", "3.12"])
            .args(args)
            .arg("requirements.in");
        command.assert().success();
        ctx.lockfile("requirements.txt")
    };
    let all = compile(&[]);
    assert!(
        all.contains(
            "#\n--index-url [INDEX]\n--find-links ./wheels\n--trusted-host 127.0.0.1\n--only-binary :all:\n\napp==1.0\n"
        ),
        "{all}"
    );
    let lockfile = compile(&["--no-emit-index-url"]);
    assert!(!lockfile.contains("--index-url"), "{lockfile}");
    let lockfile = compile(&["--no-emit-find-links"]);
    assert!(!lockfile.contains("--find-links"), "{lockfile}");
    let lockfile = compile(&["--no-emit-trusted-host"]);
    assert!(!lockfile.contains("--trusted-host"), "{lockfile}");
    let lockfile = compile(&["--no-emit-options"]);
    assert!(!lockfile.contains("\n--"), "{lockfile}");
}

#[test]
fn the_index_of_pip_configuration_is_written_and_pips_default_is_not() {
    let ctx = project();
    ctx.write(
        "pip.conf",
        &format!("[global]\nindex-url = {}\n", ctx.index_url()),
    );
    ctx.pinion()
        .env("PIP_CONFIG_FILE", ctx.path().join("pip.conf"))
        .args(["compile", "--python", "python3", "requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.lockfile("requirements.txt");
    assert!(lockfile.contains("\n--index-url [INDEX]\n"), "{lockfile}");
    // Leaving the options out leaves the index out too.
    ctx.pinion()
        .env("PIP_CONFIG_FILE", ctx.path().join("pip.conf"))
        .args(["compile", "--python", "python3", "--no-emit-options"])
        .arg("requirements.in")
        .assert()
        .success();
    assert!(!ctx.lockfile("requirements.txt").contains("--index-url"));
}

/// A venv made `--without-pip` is answered for by its base interpreter's pip, which still
/// reads the venv's own `pip.conf` (pip's site configuration, `sys.prefix/pip.conf`).
#[test]
fn a_venv_without_pip_keeps_its_own_pip_conf() {
    let ctx = project();
    let venv = ctx.new_venv("venv");
    ctx.write(
        "venv/pip.conf",
        &format!("[global]\nindex-url = {}\n", ctx.index_url()),
    );
    // No index anywhere else: an empty home, and no PIP_CONFIG_FILE.
    let home = ctx.path().join("home");
    std::fs::create_dir(&home).unwrap();
    ctx.pinion()
        .env_remove("PIP_CONFIG_FILE")
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .args(["compile", "--python"])
        .arg(venv.join("bin/python"))
        .arg("requirements.in")
        .assert()
        .success();
    let lockfile = ctx.lockfile("requirements.txt");
    assert!(lockfile.contains("\n--index-url [INDEX]\n"), "{lockfile}");
}

#[test]
fn output_choices_of_uv_and_pip_tools() {
    let ctx = project();
    ctx.compile()
        .args([
            "--no-emit-package",
            "click",
            "--unsafe-package",
            "tomli",
            "--emit-index-annotation",
            "requirements.in",
        ])
        .assert()
        .success();
    insta::assert_snapshot!(ctx.lockfile("requirements.txt"));
}

#[test]
fn unsupported_pip_compile_flags_say_so() {
    // pip-compile's own refusal: build dependencies belong to project inputs.
    let ctx = project();
    ctx.compile()
        .args(["--all-build-deps", "requirements.in"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--build-deps-for and --all-build-deps can be used only with the setup.py,",
        ));
}

#[test]
fn pip_tools_configuration_is_read_when_there_is_no_tool_pinion() {
    let ctx = project();
    ctx.write(
        ".pip-tools.toml",
        "[tool.pip-tools]\ngenerate-hashes = true\nno-annotate = true\nresolver = \"backtracking\"\nfrobnicate = 1\n\n[tool.pip-tools.compile]\nallow_unsafe = true\n\n[tool.pip-tools.sync]\nask = true\n",
    );
    let output = ctx.compile().arg("requirements.in").assert().success();
    let stderr = stderr(output.get_output());
    assert!(
        stderr.contains("unknown setting `frobnicate` in `.pip-tools.toml`"),
        "{stderr}"
    );
    let lockfile = ctx.lockfile("requirements.txt");
    assert!(lockfile.contains("--hash=sha256:"), "{lockfile}");
    assert!(!lockfile.contains("# via"), "{lockfile}");
    assert!(lockfile.contains("\nsetuptools==70.0.0"), "{lockfile}");

    // `[tool.pinion]` wins over every pip-tools file.
    ctx.write("pyproject.toml", "[tool.pinion]\nannotate = true\n");
    ctx.compile().arg("requirements.in").assert().success();
    let lockfile = ctx.lockfile("requirements.txt");
    assert!(!lockfile.contains("--hash=sha256:"), "{lockfile}");
    assert!(lockfile.contains("# via"), "{lockfile}");

    // `--config` takes a pip-tools file too; the command line wins over it.
    ctx.write(
        "team.toml",
        "[tool.pip-tools]\ngenerate-hashes = true\nheader = false\n",
    );
    ctx.compile()
        .args(["--config", "team.toml", "--header", "requirements.in"])
        .assert()
        .success();
    let lockfile = ctx.lockfile("requirements.txt");
    assert!(lockfile.contains("--hash=sha256:"), "{lockfile}");
    assert!(
        lockfile.starts_with("#\n# This file is autogenerated"),
        "{lockfile}"
    );
}

#[test]
fn pyproject_tool_pip_tools_with_output_file() {
    let ctx = project();
    ctx.write(
        "pyproject.toml",
        "[project]\nname = \"me\"\nversion = \"1\"\n\n[tool.pip-tools]\noutput-file = \"locked.txt\"\nstrip-extras = true\n",
    );
    ctx.compile().arg("requirements.in").assert().success();
    assert!(ctx.lockfile("locked.txt").contains("app==1.0"));
}

/// The interpreter of a `pythonX.Y` on this machine, resolved to its real path; None when the
/// machine has no such Python.
fn python(version: &str) -> Option<PathBuf> {
    let output = std::process::Command::new(format!("python{version}"))
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
}

/// A folder holding `python3` -> `interpreter`, to put first on PATH: a machine whose python3
/// is that one.
fn machine_with(dir: &Path, interpreter: &Path) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let link = dir.join("python3");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(interpreter, &link).unwrap();
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The pre-commit hook was red on one laptop and green on another for the same lockfile: the
/// header named the Python it was compiled with, and `--check` resolved for the local one.
#[test]
fn compile_check_resolves_for_the_python_the_header_names() {
    let (Some(py311), Some(py312)) = (python("3.11"), python("3.12")) else {
        eprintln!("skipped: needs python3.11 and python3.12");
        return;
    };
    let ctx = project();
    let on = |interpreter: &Path, name: &str| machine_with(&ctx.path().join(name), interpreter);
    let compile = |path: &str| {
        let mut command = ctx.pinion();
        command
            .env("PATH", path)
            .args(["compile", "--index-url", &ctx.index_url()]);
        command
    };
    for (first, second) in [(&py311, &py312), (&py312, &py311)] {
        let (a, b) = (on(first, "first"), on(second, "second"));
        compile(&a).arg("requirements.in").assert().success();
        let lockfile = ctx.read("requirements.txt");
        compile(&b)
            .args(["--check", "requirements.in"])
            .assert()
            .success();
        // Compiling on the other machine does resolve for its own Python.
        compile(&b).arg("requirements.in").assert().success();
        let other = ctx.read("requirements.txt");
        assert_ne!(
            lockfile.contains("tomli=="),
            other.contains("tomli=="),
            "{lockfile}\n{other}"
        );
        std::fs::write(ctx.path().join("requirements.txt"), &lockfile).unwrap();
        compile(&b)
            .args(["--check", "requirements.in"])
            .assert()
            .success();
    }
}

#[test]
fn the_header_records_the_python_version_never_a_path() {
    let ctx = project();
    ctx.pinion()
        .args(["compile", "--index-url", &ctx.index_url(), "--python"])
        .arg(which_python3())
        .arg("requirements.in")
        .assert()
        .success();
    let lockfile = ctx.read("requirements.txt");
    let command = lockfile.lines().nth(4).unwrap();
    assert!(!command.contains("--python "), "{command}");
    assert!(!command.contains("bin/python"), "{command}");
    assert!(command.contains(" --python-version 3."), "{command}");
    ctx.pinion()
        .args(["compile", "--check", "requirements.in"])
        .assert()
        .success();
}

fn which_python3() -> PathBuf {
    python("3").expect("python3")
}

/// pip-tools' README writes the Makefile this way; with `PIP_COMPILE="pinion compile"` it runs
/// unchanged. With PINION_LIVE_TESTS=1 (and pip-compile on PATH) the same Makefile runs with
/// pip-compile against the real default index too, and the two lockfiles must match, header
/// aside.
#[test]
fn a_pip_tools_makefile_runs_with_pinion_substituted() {
    if which("make").is_none() {
        eprintln!("skipped: needs make");
        return;
    }
    let ctx = project();
    let makefile = "\
PIP_COMPILE ?= pip-compile
export CUSTOM_COMPILE_COMMAND = make requirements.txt

requirements.txt: requirements.in
\t$(PIP_COMPILE) --resolver=backtracking --no-emit-index-url --generate-hashes --allow-unsafe --output-file=requirements.txt requirements.in

requirements-dev.txt: requirements-dev.in requirements.txt
\t$(PIP_COMPILE) --resolver=backtracking --no-emit-index-url --generate-hashes --allow-unsafe --output-file=requirements-dev.txt requirements-dev.in
";
    ctx.write("Makefile", makefile);
    ctx.write("requirements-dev.in", "-c requirements.txt\nclick\ntomli\n");
    let pinion = assert_cmd::cargo::cargo_bin("pinion");
    // pinion()'s environment (its cache, none of the caller's PIP_*), for make and pinion.
    let mut make = std::process::Command::new("make");
    make.current_dir(ctx.path())
        .env("NO_COLOR", "1")
        .env("PINION_CACHE_DIR", ctx.cache_dir())
        .env("PIP_CONFIG_FILE", "/dev/null");
    for key in [
        "PIP_EXTRA_INDEX_URL",
        "PIP_FIND_LINKS",
        "PIP_NO_INDEX",
        "VIRTUAL_ENV",
        "RUST_LOG",
        "CUSTOM_COMPILE_COMMAND",
        "UV_CUSTOM_COMPILE_COMMAND",
        "MAKEFLAGS",
    ] {
        make.env_remove(key);
    }
    let output = make
        .env("PIP_INDEX_URL", ctx.index_url())
        .arg(format!(
            "PIP_COMPILE={} compile --python-version 3.11",
            pinion.display()
        ))
        .args(["requirements.txt", "requirements-dev.txt"])
        .output()
        .expect("make runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let prod = ctx.lockfile("requirements.txt");
    let dev = ctx.lockfile("requirements-dev.txt");
    insta::assert_snapshot!("makefile_requirements", prod);
    insta::assert_snapshot!("makefile_requirements_dev", dev);
    assert!(prod.contains("#    make requirements.txt\n"), "{prod}");

    if std::env::var_os("PINION_LIVE_TESTS").is_some() {
        assert!(
            which("pip-compile").is_some(),
            "PINION_LIVE_TESTS=1 needs pip-compile on PATH"
        );
        live_makefile_matches_pip_compile(makefile);
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}

/// Everything after the header.
fn body(lockfile: &str) -> String {
    lockfile
        .lines()
        .skip_while(|line| line.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The live half: real packages from the default index, pip-compile and pinion through the same
/// Makefile in two copies of a project.
fn live_makefile_matches_pip_compile(makefile: &str) {
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    for dir in &dirs {
        std::fs::write(dir.path().join("Makefile"), makefile).unwrap();
        std::fs::write(
            dir.path().join("requirements.in"),
            "requests>=2.31\nclick>=8\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("requirements-dev.in"),
            "-c requirements.txt\npytest>=8\n",
        )
        .unwrap();
    }
    let pinion = assert_cmd::cargo::cargo_bin("pinion");
    // pip-compile runs as the Makefile's default: make exports a command-line variable to its
    // recipes, and pip would read PIP_COMPILE as its own `--compile` option.
    let run = |dir: &Path, compile: Option<&str>| {
        let mut make = std::process::Command::new("make");
        make.current_dir(dir);
        if let Some(compile) = compile {
            make.arg(format!("PIP_COMPILE={compile}"));
        }
        let output = make
            .args(["requirements.txt", "requirements-dev.txt"])
            .output()
            .expect("make runs");
        assert!(
            output.status.success(),
            "{compile:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run(dirs[0].path(), None);
    run(
        dirs[1].path(),
        Some(&format!("{} compile", pinion.display())),
    );
    for name in ["requirements.txt", "requirements-dev.txt"] {
        let read =
            |dir: &tempfile::TempDir| std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert_eq!(body(&read(&dirs[1])), body(&read(&dirs[0])), "{name}");
    }
}

/// The sync bar drew its label twice (`{msg}` and `{wide_msg}` both showed it). Run under a
/// pseudo-terminal (`script`), where progress is drawn; piped, nothing of it shows.
#[test]
fn sync_progress_on_a_terminal_names_its_stage_once() {
    if which("script").is_none() {
        eprintln!("skipped: needs script(1) for a pseudo-terminal");
        return;
    }
    let ctx = project().with_venv();
    ctx.compile().arg("requirements.in").assert().success();
    let pinion = assert_cmd::cargo::cargo_bin("pinion");
    let command = format!(
        "{} sync --python {} requirements.txt",
        pinion.display(),
        ctx.venv().join("bin/python").display()
    );
    let output = std::process::Command::new("script")
        .current_dir(ctx.path())
        .env("PINION_CACHE_DIR", ctx.cache_dir())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env_remove("NO_COLOR")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .expect("script runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let screen = String::from_utf8_lossy(&output.stdout).replace('\r', "\n");
    let frames: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("Downloading [") || l.contains("Installing ["))
        .collect();
    assert!(
        !frames.is_empty(),
        "no progress drawn on a terminal:\n{screen}"
    );
    for frame in frames {
        let label = if frame.contains("Downloading") {
            "Downloading"
        } else {
            "Installing"
        };
        assert_eq!(frame.matches(label).count(), 1, "{frame}");
    }
    // Piped, the same sync draws nothing of it.
    ctx.sync()
        .arg("--dry-run")
        .arg("requirements.txt")
        .assert()
        .success()
        .stderr(predicates::str::contains("[").not());
}

/// pip-sync's `--user`: the interpreter's user site (PYTHONUSERBASE here, as HOME would give
/// `~/.local`) receives the pins; only its own distributions are read, replaced and removed,
/// and a venv that hides the user site is refused with pip's message.
#[test]
fn sync_user_installs_into_the_user_site_only() {
    let ctx = project();
    let userbase = ctx.path().join("userbase");
    let python3 = |code: &str| {
        let output = std::process::Command::new("python3")
            .env("PYTHONUSERBASE", &userbase)
            .env("HOME", ctx.path())
            .args(["-c", code])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    let user_sync = || {
        let mut command = ctx.pinion();
        command
            .env("PYTHONUSERBASE", &userbase)
            .env("HOME", ctx.path())
            .args(["sync", "--user", "--python", "python3", "requirements.txt"]);
        command
    };
    let site = PathBuf::from(python3("import site; print(site.getusersitepackages())"));
    let system = PathBuf::from(python3(
        "import sysconfig; print(sysconfig.get_paths()['purelib'])",
    ));
    let listing = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let system_before = listing(&system);

    // A lockfile that does not parse is reported before the user site is made.
    ctx.write("requirements.txt", "click==\n");
    user_sync().assert().code(2);
    assert!(!userbase.exists(), "{}", userbase.display());

    ctx.write_lockfile("requirements.txt", "click==8.1.7\ntomli==2.0.1\n");
    user_sync().assert().success();
    assert!(site.starts_with(&userbase), "{}", site.display());
    assert!(site.join("click-8.1.7.dist-info/RECORD").is_file());
    assert!(site.join("tomli-2.0.1.dist-info/RECORD").is_file());
    assert_eq!(
        python3("import importlib.metadata as m; print(m.distribution('tomli').locate_file(''))"),
        site.display().to_string()
    );

    // The next lockfile drops tomli: it leaves the user site, and the system's site-packages
    // (which pins nothing of the lockfile) is left alone.
    ctx.write_lockfile("requirements.txt", "click==8.1.7\n");
    user_sync().assert().success();
    assert!(!site.join("tomli-2.0.1.dist-info").exists());
    assert!(site.join("click-8.1.7.dist-info/RECORD").is_file());
    assert_eq!(listing(&system), system_before);
    user_sync()
        .assert()
        .success()
        .stderr(predicates::str::contains("Everything is up to date"));

    // A venv without system site-packages does not see the user site: pip's refusal.
    let venv = ctx.new_venv("venv");
    ctx.pinion()
        .env("PYTHONUSERBASE", &userbase)
        .args(["sync", "--user", "--python"])
        .arg(venv.join("bin/python"))
        .arg("requirements.txt")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "Can not perform a '--user' install. User site-packages are not visible in",
        ));
}
