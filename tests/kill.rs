//! Crash safety: `pinion sync` killed with SIGKILL at random moments, then synced once more,
//! must leave exactly the lockfile: `pip freeze` equal to it, `pip check` clean, every file
//! matching its `RECORD` hash.
//!
//! `PINION_KILL_TRIALS` sets the number of trials (default 4, which CI runs); run many by hand:
//!
//! ```text
//! PINION_KILL_TRIALS=50 cargo test --test kill -- --nocapture
//! ```

#[path = "common/support.rs"]
pub mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::{Package, PackageUniverse, TestContext};

fn pip(venv: &Path, args: &[&str]) -> std::process::Output {
    Command::new("python3")
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env_remove("PIP_FIND_LINKS")
        .args(["-m", "pip", "--disable-pip-version-check", "--python"])
        .arg(venv.join("bin/python"))
        .args(args)
        .output()
        .unwrap()
}

/// Every file of every `RECORD` in the venv hashes to its row (run by the venv's Python).
const VERIFY_RECORDS: &str = r#"
import base64, csv, hashlib, os, sys, sysconfig
site = sysconfig.get_paths()["purelib"]
bad = []
for entry in os.listdir(site):
    if not entry.endswith(".dist-info"):
        continue
    with open(os.path.join(site, entry, "RECORD"), newline="") as f:
        for row in csv.reader(f):
            if len(row) < 2 or not row[1]:
                continue
            algorithm, digest = row[1].split("=", 1)
            path = os.path.normpath(os.path.join(site, row[0]))
            with open(path, "rb") as g:
                actual = base64.urlsafe_b64encode(hashlib.new(algorithm, g.read()).digest()).rstrip(b"=").decode()
            if actual != digest.rstrip("="):
                bad.append(path)
print("\n".join(bad))
sys.exit(1 if bad else 0)
"#;

/// A pseudo-random number in `0..bound` (xorshift; the seed is printed to replay a run).
fn next(state: &mut u64, bound: u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state % bound.max(1)
}

#[test]
fn a_killed_sync_is_repaired_by_the_next_one() {
    let trials: usize = std::env::var("PINION_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let universe = PackageUniverse::testdata("basic")
        .with(Package::new("six", "1.16.0"))
        .with(Package::new("setuptools", "70.0.0"));
    let ctx = TestContext::new(&universe).with_venv();
    let lockfiles = [
        (
            "a.txt",
            "certifi==2024.7.4\nidna==3.7\nrequests==2.31.0\ncharset-normalizer==3.3.2\nurllib3==1.26.20\nsix==1.16.0\n",
        ),
        (
            "b.txt",
            "certifi==2024.8.30\nidna==3.10\nrequests==2.32.3\ncharset-normalizer==3.4.0\nurllib3==2.2.3\npysocks==1.7.1\n",
        ),
    ];
    for (name, pins) in lockfiles {
        ctx.write_lockfile(name, pins);
    }
    // Warm the cache, then time a warm switch, to kill within its span.
    ctx.sync().arg("a.txt").assert().success();
    ctx.sync().arg("b.txt").assert().success();
    let started = Instant::now();
    ctx.sync().arg("a.txt").assert().success();
    ctx.sync().arg("b.txt").assert().success();
    // Two warm syncs long: about half the kills land inside one, the rest just after.
    let span = (started.elapsed().as_micros() as u64).max(1_000);

    let mut seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("seed {seed}, {trials} trials, kills within {span} µs");
    let mut killed = 0;
    for trial in 0..trials {
        let (name, pins) = lockfiles[trial % 2];
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("pinion"))
            .current_dir(ctx.path())
            .env("PINION_CACHE_DIR", ctx.cache_dir())
            .args(["sync", "-q", "--python"])
            .arg(ctx.venv().join("bin/python"))
            .arg(name)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(next(&mut seed, span)));
        // SIGKILL: no destructor, no cleanup.
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.code().is_none() {
            killed += 1;
        }
        ctx.sync().arg(name).assert().success();
        let freeze = pip(ctx.venv(), &["freeze", "--all"]);
        let mut expected: Vec<&str> = pins.lines().collect();
        expected.sort();
        let frozen = String::from_utf8_lossy(&freeze.stdout).to_lowercase();
        let mut frozen: Vec<&str> = frozen.lines().collect();
        frozen.sort();
        assert_eq!(frozen, expected, "trial {trial} (seed {seed})");
        let check = pip(ctx.venv(), &["check"]);
        assert!(check.status.success(), "trial {trial}: {check:?}");
        let records = Command::new(ctx.venv().join("bin/python"))
            .args(["-c", VERIFY_RECORDS])
            .output()
            .unwrap();
        assert!(
            records.status.success(),
            "trial {trial}: files that do not match their RECORD:\n{}",
            String::from_utf8_lossy(&records.stdout)
        );
    }
    eprintln!("{killed} of {trials} syncs were killed before they finished; every one repaired");
}
