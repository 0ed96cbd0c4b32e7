//! What a hash-pinned lockfile promises, kept by compile and sync: pip refuses a corrupted
//! hash, the cache never smuggles altered bytes in, hostile wheels are refused before the venv
//! changes, interrupted installs are repaired, and one sync at a time holds a venv.

#[path = "common/support.rs"]
pub mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use common::{Package, PackageUniverse, TestContext};
use sha2::{Digest, Sha256};

/// The basic index plus `six` (one wheel, one sdist), with a fresh venv.
fn project() -> TestContext {
    let universe = PackageUniverse::testdata("basic").with(Package::new("six", "1.16.0"));
    TestContext::new(&universe).with_venv()
}

/// Every file under `root` (relative) with its bytes: "byte-for-byte unchanged" made testable.
fn contents(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_type().is_dir())
        .map(|e| {
            let bytes = if e.file_type().is_symlink() {
                std::fs::read_link(e.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
                    .into_bytes()
            } else {
                std::fs::read(e.path()).unwrap()
            };
            (e.path().strip_prefix(root).unwrap().to_path_buf(), bytes)
        })
        .collect()
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

fn pip(venv_or_target: &[&str], args: &[&str]) -> std::process::Output {
    Command::new("python3")
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env_remove("PIP_FIND_LINKS")
        .env_remove("PIP_INDEX_URL")
        .env_remove("PIP_EXTRA_INDEX_URL")
        .args(["-m", "pip", "--disable-pip-version-check"])
        .args(venv_or_target)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn pip_refuses_a_pinion_lockfile_whose_hash_was_corrupted() {
    let ctx = project();
    ctx.write("requirements.in", "six\n");
    for style in ["split", "line"] {
        ctx.compile()
            .args(["--generate-hashes", "--annotation-style", style])
            .arg("requirements.in")
            .assert()
            .success();
        let lockfile = ctx.read("requirements.txt");
        let wheel = ctx.server().sha256("six-1.16.0-py3-none-any.whl");
        // `# via` comes after the hashes, never before a `\`.
        assert!(
            lockfile.contains(&format!("{wheel}\n    # via -r requirements.in\n"))
                || lockfile.contains(&format!("{wheel} \\\n")),
            "{style}: {lockfile}"
        );
        assert!(
            !lockfile.contains("# via -r requirements.in \\"),
            "{lockfile}"
        );

        // The lockfile as written installs with pip's hash checking...
        let target = ctx.path().join(format!("target-{style}"));
        let good = pip(
            &[],
            &[
                "install",
                "--no-cache-dir",
                "--no-deps",
                "--target",
                target.to_str().unwrap(),
                "-r",
                ctx.path().join("requirements.txt").to_str().unwrap(),
            ],
        );
        assert!(good.status.success(), "{style}: {good:?}");

        // ...and with a hash corrupted, pip refuses it. (Both of six's files: pip would
        // otherwise take the sdist, whose hash still matches.)
        let corrupt = |digest: &str| {
            let last = if digest.ends_with('0') { "1" } else { "0" };
            format!("{}{last}", &digest[..63])
        };
        let sdist = ctx.server().sha256("six-1.16.0.tar.gz");
        ctx.write(
            "corrupted.txt",
            &lockfile
                .replace(&wheel, &corrupt(&wheel))
                .replace(&sdist, &corrupt(&sdist)),
        );
        let bad = pip(
            &[],
            &[
                "install",
                "--no-cache-dir",
                "--no-deps",
                "--target",
                ctx.path().join(format!("bad-{style}")).to_str().unwrap(),
                "-r",
                ctx.path().join("corrupted.txt").to_str().unwrap(),
            ],
        );
        assert!(
            !bad.status.success(),
            "{style}: pip accepted a corrupted hash"
        );
        assert!(
            String::from_utf8_lossy(&bad.stderr).contains("DO NOT MATCH THE HASHES"),
            "{style}: {bad:?}"
        );
        // pinion refuses it too, and `pinion check` accepts its own fresh output.
        ctx.sync()
            .arg("corrupted.txt")
            .assert()
            .code(1)
            .stderr(predicates::str::contains("hash mismatch"));
        ctx.check().arg("requirements.txt").assert().success();
    }
}

/// A wheel's first use (downloaded by that sync) moves its unpacked tree into the venv and
/// caches none; its second, from the cached archive into another venv, caches the tree.
fn assert_no_tree_then_cache_one(ctx: &TestContext) {
    let trees = || {
        std::fs::read_dir(ctx.cache_dir().join("wheels-v1"))
            .map(|dir| dir.flatten().filter(|e| e.path().is_dir()).count())
            .unwrap_or(0)
    };
    assert_eq!(trees(), 0);
    let second = ctx.new_venv("second");
    ctx.sync_into(&second)
        .arg("requirements.txt")
        .assert()
        .success();
    assert_eq!(trees(), 1);
}

#[test]
fn an_altered_unpacked_tree_in_the_cache_never_reaches_a_venv() {
    let ctx = project();
    ctx.write("requirements.in", "six\n");
    ctx.compile()
        .args(["--generate-hashes", "requirements.in"])
        .assert()
        .success();
    ctx.sync().arg("requirements.txt").assert().success();
    assert_no_tree_then_cache_one(&ctx);
    // Alter the cached tree's module (a new inode, so the first venv keeps its bytes).
    let tree = std::fs::read_dir(ctx.cache_dir().join("wheels-v1"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir() && p.file_name().unwrap().to_string_lossy().starts_with("six-"))
        .unwrap();
    let module = tree.join("six/__init__.py");
    std::fs::remove_file(&module).unwrap();
    std::fs::write(&module, "raise SystemExit('tampered')\n").unwrap();

    let fresh = ctx.new_venv("fresh");
    ctx.sync_into(&fresh)
        .arg("requirements.txt")
        .assert()
        .success()
        .stderr(predicates::str::contains("was altered"));
    let installed = glob_one(&fresh, "lib/python3*/site-packages/six/__init__.py");
    assert!(
        !std::fs::read_to_string(installed)
            .unwrap()
            .contains("tampered")
    );
}

#[test]
fn a_cached_file_rewritten_in_place_at_its_size_is_caught_after_it_was_stamped() {
    let ctx = project();
    ctx.write("requirements.in", "six\n");
    ctx.compile()
        .args(["--generate-hashes", "requirements.in"])
        .assert()
        .success();
    ctx.sync().arg("requirements.txt").assert().success();
    assert_no_tree_then_cache_one(&ctx);
    let tree = std::fs::read_dir(ctx.cache_dir().join("wheels-v1"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir() && p.file_name().unwrap().to_string_lossy().starts_with("six-"))
        .unwrap();
    let mut stamp = tree.clone().into_os_string();
    stamp.push(".verified");
    assert!(
        std::path::Path::new(&stamp).is_file(),
        "the tree was stamped"
    );
    // Same inode, same size, other bytes (and so a new mtime): through the first venv's hard
    // link, as an editor writing in place would.
    let module = tree.join("six/__init__.py");
    let size = std::fs::metadata(&module).unwrap().len() as usize;
    let mut tampered = b"raise SystemExit('tampered')\n".to_vec();
    tampered.resize(size, b'#');
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&module)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &tampered))
        .unwrap();

    let fresh = ctx.new_venv("fresh");
    ctx.sync_into(&fresh)
        .arg("requirements.txt")
        .assert()
        .success()
        .stderr(predicates::str::contains("was altered"));
    let installed = glob_one(&fresh, "lib/python3*/site-packages/six/__init__.py");
    assert!(
        !std::fs::read_to_string(installed)
            .unwrap()
            .contains("tampered")
    );
}

#[test]
fn an_altered_archive_in_the_cache_is_fetched_again() {
    let ctx = project();
    ctx.write("requirements.in", "six\n");
    ctx.compile()
        .args(["--generate-hashes", "requirements.in"])
        .assert()
        .success();
    ctx.sync().arg("requirements.txt").assert().success();
    // Replace the cached archive by another valid wheel of the same name.
    let archive = walkdir::WalkDir::new(ctx.cache_dir().join("files-v1"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .find(|p| p.file_name().unwrap() == "six-1.16.0-py3-none-any.whl")
        .unwrap();
    let genuine = sha256_hex(&archive);
    write_wheel(
        &archive,
        "six",
        "1.16.0",
        &[("six/__init__.py", b"raise SystemExit('tampered')\n")],
        &[],
    );
    assert_ne!(sha256_hex(&archive), genuine);
    // Also drop the unpacked trees, so only the archive could carry the change.
    std::fs::remove_dir_all(ctx.cache_dir().join("wheels-v1")).unwrap();

    let fresh = ctx.new_venv("fresh");
    ctx.sync_into(&fresh)
        .arg("requirements.txt")
        .assert()
        .success()
        .stderr(predicates::str::contains("downloading it again"));
    let installed = glob_one(&fresh, "lib/python3*/site-packages/six/__init__.py");
    assert!(
        !std::fs::read_to_string(installed)
            .unwrap()
            .contains("tampered")
    );
    assert_eq!(sha256_hex(&archive), genuine);
}

/// The one path under `root` matching `pattern` (`*` within one component).
fn glob_one(root: &Path, pattern: &str) -> PathBuf {
    let mut paths = vec![root.to_path_buf()];
    for part in pattern.split('/') {
        paths = paths
            .into_iter()
            .flat_map(|dir| {
                std::fs::read_dir(&dir)
                    .into_iter()
                    .flatten()
                    .map(|e| e.unwrap().path())
                    .collect::<Vec<_>>()
            })
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                match part.split_once('*') {
                    Some((head, tail)) => name.starts_with(head) && name.ends_with(tail),
                    None => name == part,
                }
            })
            .collect();
    }
    assert_eq!(paths.len(), 1, "{pattern}: {paths:?}");
    paths.remove(0)
}

/// A wheel with a valid RECORD (sha256 of every entry) holding `files`, plus
/// `dist_info_extra` entries (`entry_points.txt`, ...) in its `.dist-info`.
fn write_wheel(
    path: &Path,
    name: &str,
    version: &str,
    files: &[(&str, &[u8])],
    dist_info_extra: &[(&str, &[u8])],
) {
    let dist_info = format!("{name}-{version}.dist-info");
    let metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    let wheel = "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n";
    let mut entries: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, c)| (n.to_string(), c.to_vec()))
        .collect();
    entries.push((format!("{dist_info}/METADATA"), metadata.into_bytes()));
    entries.push((format!("{dist_info}/WHEEL"), wheel.as_bytes().to_vec()));
    for (n, c) in dist_info_extra {
        entries.push((format!("{dist_info}/{n}"), c.to_vec()));
    }
    let mut record = String::new();
    for (n, c) in &entries {
        let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(c));
        record.push_str(&format!("{n},sha256={digest},{}\n", c.len()));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    entries.push((format!("{dist_info}/RECORD"), record.into_bytes()));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (n, c) in &entries {
        zip.start_file(n.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(c).unwrap();
    }
    zip.finish().unwrap();
}

/// Syncs `wheel` (in `links/`) into the venv by a hash-pinned lockfile; the sync must fail
/// naming `entry`, with every file of the venv as it was.
fn refused(ctx: &TestContext, wheel: &Path, name: &str, entry: &str) {
    let before = contents(ctx.venv());
    let line = format!(
        "--no-index\n--find-links {}\n\n{name}==1.0 --hash=sha256:{}\n",
        wheel.parent().unwrap().display(),
        sha256_hex(wheel)
    );
    ctx.write(&format!("{name}.txt"), &line);
    let output = ctx.sync().arg(format!("{name}.txt")).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
    assert!(
        stderr.contains(entry),
        "{name}: `{entry}` not named in {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(before, contents(ctx.venv()), "{name}: the venv changed");
}

#[test]
fn hostile_wheels_are_refused_before_the_venv_changes() {
    let ctx = project();
    // Something installed, so a refusal after an uninstall would show.
    ctx.write_lockfile("base.txt", "idna==3.10\n");
    ctx.sync().arg("base.txt").assert().success();
    let links = ctx.path().join("links");
    std::fs::create_dir_all(&links).unwrap();
    let wheel = |name: &str| links.join(format!("{name}-1.0-py3-none-any.whl"));

    // A `.data/scripts/python`: the interpreter's name.
    write_wheel(
        &wheel("shadow"),
        "shadow",
        "1.0",
        &[("shadow-1.0.data/scripts/python", b"#!python\nprint('x')\n")],
        &[],
    );
    refused(&ctx, &wheel("shadow"), "shadow", "python");

    // Console scripts named `python3` and `activate`.
    for (name, script) in [("entry", "python3"), ("activator", "activate")] {
        let entry_points = format!("[console_scripts]\n{script} = os:getcwd\n");
        write_wheel(
            &wheel(name),
            name,
            "1.0",
            &[(&format!("{name}.py"), b"")],
            &[("entry_points.txt", entry_points.as_bytes())],
        );
        refused(&ctx, &wheel(name), name, script);
    }

    // `.data/data/` entries landing on the interpreter and on pyvenv.cfg.
    write_wheel(
        &wheel("interp"),
        "interp",
        "1.0",
        &[(
            "interp-1.0.data/data/bin/python3",
            b"#!/bin/sh\necho owned\n",
        )],
        &[],
    );
    refused(&ctx, &wheel("interp"), "interp", "bin/python3");
    write_wheel(
        &wheel("cfg"),
        "cfg",
        "1.0",
        &[("cfg-1.0.data/data/pyvenv.cfg", b"home = /tmp\n")],
        &[],
    );
    refused(&ctx, &wheel("cfg"), "cfg", "pyvenv.cfg");

    // Two entries of one name (written by Python's zipfile, which allows it with a warning).
    write_wheel(&wheel("dup"), "dup", "1.0", &[("dup.py", b"x = 1\n")], &[]);
    let script = format!(
        "import warnings, zipfile\nwarnings.simplefilter('ignore')\nz = zipfile.ZipFile({:?}, 'a')\nz.writestr('dup.py', 'x = 2\\n')\nz.close()\n",
        wheel("dup").display().to_string()
    );
    assert!(
        Command::new("python3")
            .args(["-c", &script])
            .status()
            .unwrap()
            .success()
    );
    refused(&ctx, &wheel("dup"), "dup", "dup.py");

    // A zip bomb: 600 MiB of zeros in well under a megabyte.
    let script = format!(
        "import zipfile\nz = zipfile.ZipFile({:?}, 'w', zipfile.ZIP_DEFLATED, compresslevel=9)\nwith z.open('bomb/zeros.bin', 'w', force_zip64=True) as f:\n    block = bytes(1 << 20)\n    for _ in range(600): f.write(block)\nz.writestr('bomb-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\\nName: bomb\\nVersion: 1.0\\n')\nz.writestr('bomb-1.0.dist-info/WHEEL', 'Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')\nz.writestr('bomb-1.0.dist-info/RECORD', '')\nz.close()\n",
        wheel("bomb").display().to_string()
    );
    assert!(
        Command::new("python3")
            .args(["-c", &script])
            .status()
            .unwrap()
            .success()
    );
    assert!(std::fs::metadata(wheel("bomb")).unwrap().len() < 2 << 20);
    refused(&ctx, &wheel("bomb"), "bomb", "bomb-1.0-py3-none-any.whl");
}

#[test]
fn an_interrupted_install_is_repaired_by_the_next_sync() {
    let ctx = project();
    ctx.write_lockfile("requirements.txt", "idna==3.10\nsix==1.16.0\n");
    ctx.sync().arg("requirements.txt").assert().success();
    let site = glob_one(ctx.venv(), "lib/python3*/site-packages");
    // What a kill between the files and RECORD leaves: a .dist-info without RECORD, and a
    // module missing.
    std::fs::remove_file(site.join("six-1.16.0.dist-info/RECORD")).unwrap();
    std::fs::remove_file(site.join("six/__init__.py")).unwrap();
    // And what a killed uninstall leaves: a RECORD naming files that are gone.
    let idna_init = site.join("idna/__init__.py");
    std::fs::remove_file(&idna_init).unwrap();

    let dry = ctx
        .sync()
        .args(["--dry-run", "requirements.txt"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert_eq!(dry.status.code(), Some(1));
    assert!(
        stdout.contains("six 1.16.0 -> 1.16.0 (broken: no RECORD)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("idna 3.10 -> 3.10 (broken: 1 file"),
        "{stdout}"
    );

    ctx.sync().arg("requirements.txt").assert().success();
    assert!(site.join("six/__init__.py").is_file());
    assert!(idna_init.is_file());
    ctx.sync()
        .arg("requirements.txt")
        .assert()
        .success()
        .stderr(predicates::str::contains("Everything is up to date"));
    let check = pip(
        &["--python", ctx.venv().join("bin/python").to_str().unwrap()],
        &["check"],
    );
    assert!(check.status.success(), "{check:?}");
}

#[test]
fn an_empty_lockfile_needs_allow_empty() {
    let ctx = project();
    ctx.write_lockfile("requirements.txt", "idna==3.10\n");
    ctx.sync().arg("requirements.txt").assert().success();
    ctx.write("empty.txt", "# nothing pinned\n");
    let before = contents(ctx.venv());
    ctx.sync()
        .arg("empty.txt")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--allow-empty"));
    assert_eq!(before, contents(ctx.venv()));
    ctx.sync()
        .args(["--allow-empty", "empty.txt"])
        .assert()
        .success();
    assert!(
        glob_one(ctx.venv(), "lib/python3*/site-packages")
            .read_dir()
            .unwrap()
            .next()
            .is_none()
    );
}

#[test]
fn concurrent_syncs_end_in_one_lockfile_never_a_mix() {
    let ctx = project();
    ctx.write_lockfile("a.txt", "idna==3.7\ncertifi==2024.7.4\nsix==1.16.0\n");
    ctx.write_lockfile(
        "b.txt",
        "idna==3.10\ncertifi==2024.8.30\ncharset-normalizer==3.4.0\n",
    );
    // Warm the cache so both race on the venv, not the network.
    let warm = ctx.new_venv("warm");
    ctx.sync_into(&warm).arg("a.txt").assert().success();
    ctx.sync_into(&warm).arg("b.txt").assert().success();
    for round in 0..3 {
        let mut children: Vec<_> = ["a.txt", "b.txt"]
            .iter()
            .map(|lockfile| {
                let mut command =
                    std::process::Command::new(assert_cmd::cargo::cargo_bin("pinion"));
                command
                    .current_dir(ctx.path())
                    .env("PINION_CACHE_DIR", ctx.cache_dir())
                    .env("NO_COLOR", "1")
                    .args(["sync", "--python"])
                    .arg(ctx.venv().join("bin/python"))
                    .arg(lockfile)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped());
                command.spawn().unwrap()
            })
            .collect();
        for child in children.iter_mut() {
            assert!(child.wait().unwrap().success(), "round {round}");
        }
        let freeze = pip(
            &["--python", ctx.venv().join("bin/python").to_str().unwrap()],
            &["freeze", "--all"],
        );
        let freeze = String::from_utf8_lossy(&freeze.stdout).to_lowercase();
        let a = "certifi==2024.7.4\nidna==3.7\nsix==1.16.0\n";
        let b = "certifi==2024.8.30\ncharset-normalizer==3.4.0\nidna==3.10\n";
        assert!(
            freeze == a || freeze == b,
            "round {round}: a mix:\n{freeze}"
        );
        let site = glob_one(ctx.venv(), "lib/python3*/site-packages");
        let dist_infos = site
            .read_dir()
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".dist-info")
            })
            .count();
        assert_eq!(dist_infos, 3, "round {round}");
    }
}

#[test]
fn unpack_folders_abandoned_by_a_killed_sync_are_removed() {
    let ctx = project();
    let wheels = ctx.cache_dir().join("wheels-v1");
    std::fs::create_dir_all(wheels.join(".tmp-abandoned/pkg")).unwrap();
    // Its lock file exists and nobody holds it: the process that unpacked there is gone.
    std::fs::write(wheels.join(".tmp-abandoned.lock"), "").unwrap();
    ctx.write_lockfile("requirements.txt", "idna==3.10\n");
    ctx.sync().arg("requirements.txt").assert().success();
    assert!(!wheels.join(".tmp-abandoned").exists());
    assert!(!wheels.join(".tmp-abandoned.lock").exists());
}
