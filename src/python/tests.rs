//! Interpreter discovery and probing against the machine's real `python3`, tags against
//! packaging's own `sys_tags()`, and the interpreter-less targets.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use miette::Diagnostic;

use super::discovery::{SearchEnv, find_with};
use super::interpreter::cache_file;
use super::*;

/// The machine's `python3`. The tests need one, as pinion does.
fn python3() -> PathBuf {
    which::which("python3").expect("the tests need `python3` on `PATH`")
}

/// A venv made with `python3 -m venv --without-pip`.
fn make_venv(dir: &Path) -> PathBuf {
    let venv = dir.join("venv");
    let status = Command::new(python3())
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .expect("run python3 -m venv");
    assert!(status.success(), "python3 -m venv failed");
    venv
}

/// The error as a user reads it: the message, its causes, and the help.
fn render(err: &PythonError) -> String {
    let mut out = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        write!(out, "\ncaused by: {cause}").unwrap();
        source = cause.source();
    }
    if let Some(help) = err.help() {
        write!(out, "\nhelp: {help}").unwrap();
    }
    out
}

fn render_markers(markers: &MarkerEnvironment) -> String {
    [
        ("implementation_name", markers.implementation_name()),
        (
            "implementation_version",
            &markers.implementation_version().string,
        ),
        ("os_name", markers.os_name()),
        ("platform_machine", markers.platform_machine()),
        (
            "platform_python_implementation",
            markers.platform_python_implementation(),
        ),
        ("platform_release", markers.platform_release()),
        ("platform_system", markers.platform_system()),
        ("platform_version", markers.platform_version()),
        ("python_full_version", &markers.python_full_version().string),
        ("python_version", &markers.python_version().string),
        ("sys_platform", markers.sys_platform()),
    ]
    .iter()
    .map(|(key, value)| format!("{key} = {value:?}\n"))
    .collect()
}

/// The markers and the tags of a target, the tags abridged to the first and last few.
fn render_target(target: &TargetEnvironment) -> String {
    let tags: Vec<String> = target.tags.iter().map(ToString::to_string).collect();
    let mut out = render_markers(&target.markers);
    writeln!(out, "python_version = {}", target.python_version).unwrap();
    writeln!(out, "{} tags:", tags.len()).unwrap();
    for tag in tags.iter().take(8) {
        writeln!(out, "  {tag}").unwrap();
    }
    writeln!(out, "  ...").unwrap();
    for tag in tags.iter().skip(tags.len().saturating_sub(4)) {
        writeln!(out, "  {tag}").unwrap();
    }
    out
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(ToString::to_string).collect()
}

/// packaging's own answer, from packaging itself or the copy pip vendors.
///
/// Releases of packaging before 22 leave out `cp3X-none-any` (pip 23.2 still vendors 21.3);
/// pinion yields it as current packaging does, so against an old packaging it is dropped from
/// our side before comparing. Nothing else may differ.
fn packaging_sys_tags(python: &Path) -> Vec<String> {
    let script = "\
try:
    from packaging.tags import sys_tags
except ImportError:
    from pip._vendor.packaging.tags import sys_tags
print('\\n'.join(str(tag) for tag in sys_tags()))
";
    let output = Command::new(python)
        .args(["-c", script])
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "`{}` has neither `packaging` nor pip's vendored copy: {}",
        python.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(ToString::to_string)
        .collect()
}

/// Our tags for the real `python3` are packaging's `sys_tags()`, in the same order. More
/// interpreters to compare can be named in `PINION_TEST_PYTHONS` (separated by `:`).
#[test]
fn tags_of_real_interpreters_match_packaging_sys_tags() {
    let extra = std::env::var_os("PINION_TEST_PYTHONS").unwrap_or_default();
    let extra = std::env::split_paths(&extra).filter(|path| !path.as_os_str().is_empty());
    let pythons = std::iter::once(python3()).chain(extra);
    for python in pythons {
        let expected = packaging_sys_tags(&python);
        let interpreter = Interpreter::probe(&python, None).unwrap();
        let old_packaging = !expected
            .iter()
            .any(|tag| tag.starts_with("cp") && tag.ends_with("-none-any"));
        let ours: Vec<String> = interpreter
            .target()
            .tags
            .iter()
            .filter(|tag| {
                !(old_packaging
                    && tag.python.starts_with("cp")
                    && tag.abi == "none"
                    && tag.platform == "any")
            })
            .map(ToString::to_string)
            .collect();
        if let Some(index) = (0..ours.len().max(expected.len()))
            .find(|&index| ours.get(index) != expected.get(index))
        {
            panic!(
                "tags of `{}` differ from packaging's at index {index}: ours {:?}, packaging's {:?} \
                 ({} tags vs {})",
                python.display(),
                ours.get(index),
                expected.get(index),
                ours.len(),
                expected.len()
            );
        }
    }
}

#[test]
fn probe_describes_the_real_python3() {
    let interpreter = Interpreter::probe(&python3(), None).unwrap();
    let markers = &interpreter.markers;
    assert_eq!(markers.implementation_name(), "cpython");
    assert_eq!(markers.python_version().version.release()[0], 3);
    assert!(interpreter.executable.is_file());
    assert!(interpreter.scheme.purelib.is_absolute());
    assert!(interpreter.pointer_size == 32 || interpreter.pointer_size == 64);
    if !interpreter.is_venv {
        assert_eq!(interpreter.prefix, interpreter.base_prefix);
    }

    // The markers are the interpreter's own, as `platform` and `sys` report them.
    let script =
        "import platform, sys; print(platform.python_version(), platform.machine(), sys.platform)";
    let output = Command::new(python3())
        .args(["-c", script])
        .output()
        .unwrap();
    let expected = String::from_utf8(output.stdout).unwrap();
    let got = format!(
        "{} {} {}\n",
        markers.python_full_version().string,
        markers.platform_machine(),
        markers.sys_platform()
    );
    assert_eq!(got, expected);

    let target = interpreter.target();
    assert_eq!(target.python_version, markers.python_full_version().version);
    assert_eq!(
        target.tags.iter().last().unwrap().to_string(),
        "py30-none-any"
    );
    assert!(target.interpreter.is_some());
}

#[test]
fn probe_of_a_venv_reports_the_venv_and_its_scheme() {
    let dir = tempfile::tempdir().unwrap();
    let venv = make_venv(dir.path());
    let venv = fs_err::canonicalize(&venv).unwrap();

    // Found as a directory, as `$VIRTUAL_ENV`, and as `./.venv`-style local venv.
    let python = find_interpreter(Some(&venv), dir.path()).unwrap();
    assert_eq!(python, venv.join("bin/python"));
    let env = SearchEnv {
        virtual_env: Some(venv.clone()),
        path: None,
    };
    assert_eq!(find_with(None, Path::new("/"), &env).unwrap(), python);
    let env = SearchEnv::default();
    assert_eq!(find_with(None, dir.path(), &env).unwrap(), python);

    let interpreter = Interpreter::probe(&python, None).unwrap();
    assert!(interpreter.is_venv);
    let prefix = fs_err::canonicalize(&interpreter.prefix).unwrap();
    assert_eq!(prefix, venv);
    assert_ne!(interpreter.prefix, interpreter.base_prefix);
    assert_eq!(interpreter.executable, python);
    let scheme = &interpreter.scheme;
    for path in [
        &scheme.purelib,
        &scheme.platlib,
        &scheme.scripts,
        &scheme.data,
    ] {
        let path = path.canonicalize().unwrap_or_else(|_| path.clone());
        assert!(
            path.starts_with(&venv),
            "`{}` is outside the venv",
            path.display()
        );
    }
    assert!(scheme.purelib.ends_with("site-packages"));
    assert_eq!(scheme.scripts.canonicalize().unwrap(), venv.join("bin"));
    let version = interpreter.markers.python_version().string.clone();
    assert_eq!(
        scheme.include,
        interpreter
            .prefix
            .join("include/site")
            .join(format!("python{version}"))
    );
}

/// Two venvs of one base interpreter link to the same binary; they must not share a cache entry.
#[test]
fn cache_keeps_venvs_of_one_base_apart() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let first = make_venv(&dir.path().join("a"));
    let second = make_venv(&dir.path().join("b"));
    let (first, second) = (first.join("bin/python"), second.join("bin/python"));
    let first_probed = Interpreter::probe(&first, Some(&cache)).unwrap();
    let second_probed = Interpreter::probe(&second, Some(&cache)).unwrap();
    assert_ne!(first_probed.prefix, second_probed.prefix);
    // Both are cached (a venv's symlink to its base is not a wrapper), apart.
    assert!(cache_file(&cache, &first).is_file());
    assert!(cache_file(&cache, &second).is_file());
    assert_eq!(
        Interpreter::probe(&second, Some(&cache)).unwrap(),
        second_probed
    );
}

/// A second probe of an unchanged interpreter reads the cache; a changed executable is probed
/// again.
#[test]
fn cache_is_reused_until_the_executable_changes() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    // `--copies`: the venv's own binary, whose mtime the test may change.
    let venv = dir.path().join("venv");
    let status = Command::new(python3())
        .args(["-m", "venv", "--without-pip", "--copies"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success(), "python3 -m venv --copies failed");
    let python = venv.join("bin/python");

    let probed = Interpreter::probe(&python, Some(&cache)).unwrap();
    let entry = cache_file(&cache, &python);
    assert!(entry.is_file(), "no cache file at `{}`", entry.display());

    // Mark the entry: a probe that returns the mark did not run the interpreter.
    let mut json: serde_json::Value =
        serde_json::from_slice(&fs_err::read(&entry).unwrap()).unwrap();
    json["interpreter"]["prefix"] = "/marked".into();
    fs_err::write(&entry, serde_json::to_vec(&json).unwrap()).unwrap();
    let cached = Interpreter::probe(&python, Some(&cache)).unwrap();
    assert_eq!(
        cached.prefix,
        Path::new("/marked"),
        "the second probe ran the interpreter"
    );

    // A changed executable (here: a new mtime) invalidates the entry.
    let modified = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&python)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let reprobed = Interpreter::probe(&python, Some(&cache)).unwrap();
    assert_eq!(reprobed, probed);

    // A corrupt entry is only a reason to probe again.
    fs_err::write(&entry, "{ not json").unwrap();
    assert_eq!(Interpreter::probe(&python, Some(&cache)).unwrap(), probed);
    assert!(fs_err::read_to_string(&entry).unwrap().starts_with("{\""));
}

/// A wrapper that runs another interpreter (a pyenv shim) is not cached: what it runs can change
/// while it does not.
#[test]
fn wrappers_are_probed_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let runs = dir.path().join("runs");
    let wrapper = dir.path().join("python");
    let script = format!(
        "#!/bin/sh\necho run >> '{}'\nexec '{}' \"$@\"\n",
        runs.display(),
        python3().display()
    );
    fs_err::write(&wrapper, &script).unwrap();
    make_executable(&wrapper);
    let count = || {
        fs_err::read_to_string(&runs)
            .map(|runs| runs.lines().count())
            .unwrap_or(0)
    };
    Interpreter::probe(&wrapper, Some(&cache)).unwrap();
    Interpreter::probe(&wrapper, Some(&cache)).unwrap();
    assert_eq!(count(), 2);
    assert!(!cache_file(&cache, &wrapper).exists());
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn discovery_prefers_explicit_then_virtual_env_then_local_venv_then_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let fake_venv = |path: &Path| {
        fs_err::create_dir_all(path.join("bin")).unwrap();
        fs_err::write(path.join("bin/python"), "").unwrap();
        path.join("bin/python")
    };
    let active = fake_venv(&root.join("active"));
    let local = fake_venv(&root.join("project/.venv"));
    let bin = root.join("path-bin");
    fs_err::create_dir_all(&bin).unwrap();
    fs_err::write(bin.join("python3"), "").unwrap();
    make_executable(&bin.join("python3"));
    let project = root.join("project");

    let env = SearchEnv {
        virtual_env: Some(root.join("active")),
        path: Some(bin.clone().into_os_string()),
    };
    // An explicit file wins, relative to the working directory.
    let explicit = find_with(Some(Path::new(".venv/bin/python")), &project, &env).unwrap();
    assert_eq!(explicit, local);
    assert_eq!(find_with(None, &project, &env).unwrap(), active);
    let env = SearchEnv {
        virtual_env: None,
        path: env.path,
    };
    assert_eq!(find_with(None, &project, &env).unwrap(), local);
    assert_eq!(find_with(None, root, &env).unwrap(), bin.join("python3"));
    // A bare name is looked up on `PATH`.
    assert_eq!(
        find_with(Some(Path::new("python3")), root, &env).unwrap(),
        bin.join("python3")
    );
}

#[test]
fn target_for_linux_is_manylinux_2_28_x86_64() {
    let target = target_from_version("3.12", Some("linux"), None).unwrap();
    assert!(target.interpreter.is_none());
    insta::assert_snapshot!(render_target(&target));
    let tags: Vec<String> = target.tags.iter().map(ToString::to_string).collect();
    assert!(tags.contains(&"cp312-cp312-manylinux2014_x86_64".to_string()));
    assert!(tags.contains(&"cp38-abi3-manylinux1_x86_64".to_string()));
    assert!(tags.contains(&"cp312-cp312-manylinux_2_28_x86_64".to_string()));
    assert!(!tags.iter().any(|tag| tag.contains("manylinux_2_29")));
}

#[test]
fn target_for_windows() {
    let target = target_from_version("3.11.4", Some("windows"), None).unwrap();
    insta::assert_snapshot!(render_target(&target));
}

#[test]
fn target_for_macos() {
    if std::env::var_os("MACOSX_DEPLOYMENT_TARGET").is_some() {
        eprintln!("skipped: MACOSX_DEPLOYMENT_TARGET changes the macOS version of the target");
        return;
    }
    let target = target_from_version("3.13", Some("macos"), None).unwrap();
    insta::assert_snapshot!(render_target(&target));
    let tags: Vec<String> = target.tags.iter().map(ToString::to_string).collect();
    assert!(tags.contains(&"cp313-abi3-macosx_11_0_arm64".to_string()));
    assert!(tags.contains(&"cp313-abi3-macosx_10_9_universal2".to_string()));
    assert!(!tags.contains(&"cp313-abi3-macosx_10_9_x86_64".to_string()));
}

#[test]
fn target_for_musl_and_manylinux_spellings() {
    let target = target_from_version("3.10", Some("aarch64-unknown-linux-musl"), None).unwrap();
    insta::assert_snapshot!(render_target(&target));

    let target = target_from_version("3.12", Some("aarch64-manylinux_2_28"), None).unwrap();
    let platforms: Vec<String> = target
        .tags
        .iter()
        .filter(|tag| tag.python == "cp312" && tag.abi == "cp312")
        .map(|tag| tag.platform.clone())
        .collect();
    // aarch64 has no manylinux tags below glibc 2.17.
    assert_eq!(platforms.first().unwrap(), "manylinux_2_28_aarch64");
    assert_eq!(
        platforms[platforms.len() - 3..],
        strings(&[
            "manylinux_2_17_aarch64",
            "manylinux2014_aarch64",
            "linux_aarch64"
        ])
    );
    assert_eq!(target.markers.platform_machine(), "aarch64");
}

/// Without `--python-platform`, the base's markers stay, except the Python-version ones.
#[test]
fn target_from_version_keeps_the_base_platform() {
    let base = Interpreter::probe(&python3(), None).unwrap().target();
    let target = target_from_version("3.9", None, Some(&base)).unwrap();
    assert_eq!(target.markers.python_version().string, "3.9");
    assert_eq!(target.markers.python_full_version().string, "3.9.0");
    assert_eq!(target.markers.sys_platform(), base.markers.sys_platform());
    assert_eq!(
        target.markers.platform_release(),
        base.markers.platform_release()
    );
    assert_eq!(target.platform, base.platform);
    let first = target.tags.iter().next().unwrap();
    assert_eq!(
        (first.python.as_str(), first.abi.as_str()),
        ("cp39", "cp39")
    );

    // With one, the platform markers follow the platform.
    let target = target_from_version("3.9", Some("x86_64-pc-windows-msvc"), Some(&base)).unwrap();
    assert_eq!(target.markers.sys_platform(), "win32");
    assert_eq!(target.markers.platform_machine(), "AMD64");
    assert_eq!(target.markers.platform_release(), "");
}

#[test]
fn compatibility_prefers_specific_tags() {
    let target = target_from_version("3.12", Some("linux"), None).unwrap();
    let tags = &target.tags;
    let binary = tags
        .compatibility(
            &strings(&["cp312"]),
            &strings(&["cp312"]),
            &strings(&["manylinux_2_17_x86_64", "manylinux2014_x86_64"]),
        )
        .unwrap();
    let abi3 = tags
        .compatibility(
            &strings(&["cp39"]),
            &strings(&["abi3"]),
            &strings(&["manylinux2014_x86_64"]),
        )
        .unwrap();
    let pure = tags
        .compatibility(
            &strings(&["py2", "py3"]),
            &strings(&["none"]),
            &strings(&["any"]),
        )
        .unwrap();
    assert!(binary > abi3 && abi3 > pure, "{binary} {abi3} {pure}");
    // Newer glibc, another platform, another Python: no.
    for (python, abi, platform) in [
        ("cp312", "cp312", "manylinux_2_31_x86_64"),
        ("cp312", "cp312", "win_amd64"),
        ("cp313", "cp313", "manylinux2014_x86_64"),
        ("py2", "none", "any"),
    ] {
        let compatibility =
            tags.compatibility(&strings(&[python]), &strings(&[abi]), &strings(&[platform]));
        assert_eq!(compatibility, None, "{python}-{abi}-{platform}");
    }
}

#[test]
fn free_threaded_and_debug_builds_have_their_own_abi() {
    let platform = Platform::Other {
        tag: "win_amd64".to_string(),
    };
    let free_threaded = AbiInfo::CPython {
        debug: false,
        free_threaded: true,
        pymalloc: true,
    };
    let tags = Tags::new((3, 13), &free_threaded, &platform);
    let tags: Vec<String> = tags.iter().map(ToString::to_string).collect();
    assert_eq!(
        tags[..2],
        strings(&["cp313-cp313t-win_amd64", "cp313-none-win_amd64"])
    );
    assert!(!tags.iter().any(|tag| tag.contains("abi3")));

    let debug = AbiInfo::CPython {
        debug: true,
        free_threaded: false,
        pymalloc: true,
    };
    let tags = Tags::new((3, 12), &debug, &platform);
    let tags: Vec<String> = tags.iter().take(3).map(ToString::to_string).collect();
    assert_eq!(
        tags,
        strings(&[
            "cp312-cp312d-win_amd64",
            "cp312-cp312-win_amd64",
            "cp312-abi3-win_amd64"
        ])
    );
}

#[test]
fn error_nonexistent_interpreter() {
    let err = Interpreter::probe(Path::new("/nonexistent/bin/python"), None).unwrap_err();
    insta::assert_snapshot!(render(&err), @"no Python interpreter at `/nonexistent/bin/python`
help: pass the path of a Python executable or of a virtual environment");
    let err = find_interpreter(Some(Path::new("/nonexistent/venv")), Path::new("/")).unwrap_err();
    insta::assert_snapshot!(render(&err), @"no Python interpreter at `/nonexistent/venv`
help: pass the path of a Python executable or of a virtual environment");
}

#[test]
fn error_directory_without_python() {
    let dir = tempfile::tempdir().unwrap();
    let err = find_with(Some(Path::new("empty")), dir.path(), &SearchEnv::default());
    assert!(err.is_err(), "a missing directory is not found");
    fs_err::create_dir(dir.path().join("empty")).unwrap();
    let err = find_with(Some(Path::new("empty")), dir.path(), &SearchEnv::default()).unwrap_err();
    let rendered = render(&err).replace(&dir.path().display().to_string(), "[TEMP]");
    insta::assert_snapshot!(rendered, @"`[TEMP]/empty` is not a virtual environment: it has no `bin/python`
help: create it with `python3 -m venv [TEMP]/empty`, or pass the interpreter's path");
}

#[test]
fn error_no_interpreter_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let err = find_with(None, dir.path(), &SearchEnv::default()).unwrap_err();
    let rendered = render(&err).replace(&dir.path().display().to_string(), "[TEMP]");
    insta::assert_snapshot!(rendered, @"no Python interpreter found: no `$VIRTUAL_ENV`, no `.venv` or `venv` in `[TEMP]`, and neither `python3` nor `python` on `PATH`
help: pass `--python PATH`, or `--python-version 3.X` to resolve without an interpreter");
}

#[test]
fn error_probe_of_something_that_is_not_python() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("python");
    fs_err::write(&fake, "#!/bin/sh\necho 'not python' >&2\nexit 3\n").unwrap();
    make_executable(&fake);
    let err = Interpreter::probe(&fake, None).unwrap_err();
    let rendered = render(&err).replace(&dir.path().display().to_string(), "[TEMP]");
    insta::assert_snapshot!(rendered, @"the Python interpreter `[TEMP]/python` failed to describe itself (exit status: 3)
help: not python");

    fs_err::write(&fake, "#!/bin/sh\necho 'hello'\n").unwrap();
    let err = Interpreter::probe(&fake, None).unwrap_err();
    let rendered = render(&err).replace(&dir.path().display().to_string(), "[TEMP]");
    insta::assert_snapshot!(rendered, @"the Python interpreter `[TEMP]/python` printed an unreadable description of itself
caused by: expected value at line 1 column 1");
}

#[test]
fn error_bad_python_version() {
    let rendered: Vec<String> = ["3", "3.x", "2.7", "3.12.1.4", "3.12-dev", ""]
        .into_iter()
        .map(|value| render(&target_from_version(value, Some("linux"), None).unwrap_err()))
        .collect();
    insta::assert_snapshot!(rendered.join("\n"));
}

#[test]
fn error_unknown_platform() {
    for value in [
        "solaris",
        "x86_64-manylinux_2_16",
        "riscv64-manylinux_2_17",
        "x86_64",
    ] {
        let err = target_from_version("3.12", Some(value), None).unwrap_err();
        assert!(
            matches!(err, PythonError::UnknownPlatform { .. }),
            "{value}"
        );
    }
    let err = target_from_version("3.12", Some("solaris"), None).unwrap_err();
    insta::assert_snapshot!(render(&err));
}
