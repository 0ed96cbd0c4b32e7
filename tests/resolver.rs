//! The resolver on what real indexes hold (issue 14), through the binary against the local
//! index: lenient metadata, pre-releases behind a yanked final, Requires-Python exclusions, a
//! lockfile pin that must give way, and reports a person can read.

#[path = "common/support.rs"]
pub mod common;

use common::{Fault, Package, PackageUniverse, TestContext};

fn pins(ctx: &TestContext, file: &str) -> Vec<String> {
    ctx.read(file)
        .lines()
        .filter(|l| !l.starts_with([' ', '#', '-']) && !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Regression: kombu 3.0.37's `Requires-Python: >=3.7,` (a trailing comma packaging, pip and uv
/// accept) stopped the whole run; a release whose metadata cannot be read at all is skipped
/// for a reason, never fatal.
#[test]
fn lenient_metadata_and_unusable_releases() {
    let universe = PackageUniverse::new()
        .with(
            Package::new("kombu", "3.0.37")
                .requires_python(">=3.7,")
                .dep("amqp (>=1.4.9,)"),
        )
        .with(Package::new("amqp", "1.4.9").requires_python(">= 3.6"))
        .with(Package::new("broken", "1.0"))
        .with(Package::new("broken", "2.0").dep("six (>=>1)"));
    let ctx = TestContext::new(&universe);
    ctx.write("requirements.in", "kombu\nbroken\n");
    ctx.compile().arg("requirements.in").assert().success();
    assert_eq!(
        pins(&ctx, "requirements.txt"),
        ["amqp==1.4.9", "broken==1.0", "kombu==3.0.37"]
    );

    // Only the broken release left: the report says why it cannot be used.
    ctx.write("requirements.in", "broken>=2\n");
    pinion_snapshot!(
        "unusable_metadata",
        ctx.filters(),
        ctx.compile().arg("requirements.in")
    );
}

/// Regression: sglang's `flash-attn-4>=4.0.0b18` has nothing but betas above one yanked
/// placeholder `0.0.1`; the yanked final made pinion refuse the betas and walk sglang back.
#[test]
fn pre_releases_behind_a_yanked_final_are_allowed() {
    let universe = PackageUniverse::new()
        .with(Package::new("sg", "0.5.9"))
        .with(Package::new("sg", "0.5.23").dep("flash>=4.0.0b18"))
        .with(Package::new("flash", "0.0.1").yanked_reason("placeholder"))
        .with(Package::new("flash", "4.0.0b18"))
        .with(Package::new("flash", "4.0.0b19"));
    let ctx = TestContext::new(&universe);
    ctx.write("requirements.in", "sg\n");
    ctx.compile().arg("requirements.in").assert().success();
    assert_eq!(
        pins(&ctx, "requirements.txt"),
        ["flash==4.0.0b19", "sg==0.5.23"]
    );

    // With a usable final release, pre-releases still need opting in; the hint names them.
    let universe = universe.with(Package::new("flash", "0.0.2"));
    ctx.server().set_universe(&universe);
    ctx.write("requirements.in", "flash>=1\n");
    pinion_snapshot!(
        "pre_release_hint",
        ctx.filters(),
        ctx.compile().args(["--refresh", "requirements.in"])
    );
    ctx.compile()
        .args(["--pre", "requirements.in"])
        .assert()
        .success();
    assert_eq!(pins(&ctx, "requirements.txt"), ["flash==4.0.0b19"]);
}

/// Regression: cryptography 44+ declares `!=3.9.0,!=3.9.1,>=3.9`; for Python 3.9.0 pinion
/// ignored the exclusions and pinned a release pip refuses to install there.
#[test]
fn requires_python_exclusions_and_patch_versions() {
    let universe = PackageUniverse::new()
        .with(Package::new("crypto", "43.0.3").requires_python(">=3.7"))
        .with(Package::new("crypto", "44.0.0").requires_python("!=3.9.0,!=3.9.1,>=3.9"));
    let ctx = TestContext::new(&universe);
    ctx.write("requirements.in", "crypto\n");
    for (python, pinned) in [("3.9", "43.0.3"), ("3.9.1", "43.0.3"), ("3.9.2", "44.0.0")] {
        // No lockfile preference carried from one Python to the next.
        let _ = std::fs::remove_file(ctx.path().join("requirements.txt"));
        ctx.pinion()
            .args(["compile", "--index-url", &ctx.index_url()])
            .args(["--python-version", python, "requirements.in"])
            .assert()
            .success();
        assert_eq!(
            pins(&ctx, "requirements.txt"),
            [format!("crypto=={pinned}")],
            "{python}"
        );
    }
}

/// Regression: with an older lockfile in place, pinion walked a direct requirement (`s3fs`)
/// back years to keep the lockfile's pin of a dependency (`fsspec`) it requires exactly.
#[test]
fn a_lockfile_pin_that_holds_a_direct_requirement_back_is_dropped() {
    let mut universe = PackageUniverse::new();
    universe.add(Package::new("fsspec", "2023.1.0"));
    for version in ["2024.6.0", "2024.9.0"] {
        universe.add(Package::new("fsspec", version));
        universe.add(Package::new("s3fs", version).dep(&format!("fsspec=={version}")));
    }
    universe.add(Package::new("s3fs", "0.6.0").dep("fsspec>=0.6"));
    let ctx = TestContext::new(&universe);
    // `s3fs` is new to the project; the lockfile pins only `fsspec`, which is decided first.
    ctx.write("requirements.in", "fsspec\ns3fs>=0.6\n");
    ctx.write("requirements.txt", "fsspec==2023.1.0\n");
    let output = ctx
        .compile()
        .args(["-v", "requirements.in"])
        .assert()
        .success();
    assert_eq!(
        pins(&ctx, "requirements.txt"),
        ["fsspec==2024.9.0", "s3fs==2024.9.0"]
    );
    let log = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    assert!(
        log.contains("held `s3fs` back at 0.6.0 (newest allowed: 2024.9.0)"),
        "{log}"
    );

    // A pin that holds nothing back stays, as pip-tools keeps it.
    ctx.write("requirements.txt", "fsspec==2024.6.0\ns3fs==2024.6.0\n");
    ctx.compile().arg("requirements.in").assert().success();
    assert_eq!(
        pins(&ctx, "requirements.txt"),
        ["fsspec==2024.6.0", "s3fs==2024.6.0"]
    );
}

/// `-v` says which package was walked back and which requirement kept it there.
#[test]
fn verbose_output_names_walk_backs() {
    let universe = PackageUniverse::new()
        .with(Package::new("celery", "5.4.0").dep("kombu>=5.3"))
        .with(Package::new("kombu", "3.0.37"))
        .with(Package::new("kombu", "5.3.0"))
        .with(Package::new("kombu", "5.4.0"));
    let ctx = TestContext::new(&universe);
    ctx.write("requirements.in", "celery\nkombu<5.4\n");
    let output = ctx
        .compile()
        .args(["-v", "requirements.in"])
        .assert()
        .success();
    let log = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    assert!(
        log.contains("`kombu` walked back to 5.3.0 (newest: 5.4.0): celery 5.4.0 requires kombu>=5.3; you require kombu<5.4"),
        "{log}"
    );
}

/// Regression: `s3fs>=2024.6` with `botocore<1.30` took 287 lines of unsimplified unions; a
/// two-package conflict now reads in a few lines of ranges.
#[test]
fn a_long_conflict_reads_as_ranges() {
    let mut universe = PackageUniverse::new();
    for minor in 0..40 {
        let version = format!("1.{minor}.0");
        universe.add(Package::new("aiobotocore", &version).dep(&format!(
            "botocore>=1.{},<1.{}",
            30 + minor,
            31 + minor
        )));
        universe.add(Package::new("botocore", &format!("1.{}.0", 20 + minor)));
        universe.add(Package::new("botocore", &format!("1.{}.1", 40 + minor)));
    }
    let ctx = TestContext::new(&universe);
    ctx.write("requirements.in", "aiobotocore>=1.5\nbotocore<1.30\n");
    let output = pinion_snapshot!(ctx.filters(), ctx.compile().arg("requirements.in"));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(stderr.lines().count() <= 30, "{stderr}");
}

/// A version that does not exist names those that do; a name that is not on the index but
/// close to one the cache knows gets a "did you mean".
#[test]
fn missing_versions_and_misspelled_names() {
    let universe = PackageUniverse::testdata("basic");
    let ctx = TestContext::new(&universe);
    ctx.write("requirements.in", "requests\n");
    ctx.compile().arg("requirements.in").assert().success();
    ctx.write("requirements.in", "requests==2.99\n");
    pinion_snapshot!(
        "missing_version",
        ctx.filters(),
        ctx.compile().arg("requirements.in")
    );
    ctx.write("requirements.in", "reqeusts\n");
    pinion_snapshot!(
        "misspelled_name",
        ctx.filters(),
        ctx.compile().arg("requirements.in")
    );
}

/// Issue 14's "highly conflicting pair": `cloud` is decided first, and its 2.0 needs an old
/// `sdk-core`; every `sdk` release pins its own `sdk-core`, so without the heuristic `sdk` is
/// walked back 25 releases under `cloud` 2.0. After repeated conflicts the resolution starts
/// over with `sdk` decided first: `sdk` stays newest and `cloud` moves back one release.
#[test]
fn a_highly_conflicting_package_is_decided_first_after_a_restart() {
    let mut universe = PackageUniverse::new()
        .with(Package::new("cloud", "1.0"))
        .with(Package::new("cloud", "2.0").dep("sdk-core<=5"));
    for release in 1..=30 {
        let release = release.to_string();
        universe.add(Package::new("sdk", &release).dep(&format!("sdk-core=={release}")));
        universe.add(Package::new("sdk-core", &release));
    }
    let ctx = TestContext::new(&universe);
    ctx.write("requirements.in", "cloud\nsdk\n");
    let output = ctx
        .compile()
        .args(["-v", "requirements.in"])
        .assert()
        .success();
    assert_eq!(
        pins(&ctx, "requirements.txt"),
        ["cloud==1.0", "sdk==30", "sdk-core==30"]
    );
    let log = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    assert!(
        log.contains("deciding `sdk` earlier: it kept conflicting; starting the resolution over"),
        "{log}"
    );
    assert!(
        log.contains("`cloud` walked back to 1.0 (newest: 2.0)"),
        "{log}"
    );
}

/// The lookahead (issue 18): while the solver waits for one package's metadata, what the
/// metadata of another already names is fetched. `aaa` is decided first and its metadata
/// stalls once (the client gives up on that connection and asks again); `zzz`'s metadata
/// arrived meanwhile, so the page of `deep`, which only `zzz` needs, is asked for before
/// `aaa`'s metadata is asked again, not after `aaa` is done, as the solver alone would.
#[test]
fn dependencies_are_fetched_while_the_solver_waits() {
    let universe = PackageUniverse::new()
        .with(Package::new("aaa", "1.0"))
        .with(Package::new("zzz", "1.0").dep("deep"))
        .with(Package::new("deep", "1.0"));
    let ctx = TestContext::new(&universe);
    ctx.write("requirements.in", "aaa\nzzz\n");
    ctx.server().inject(
        "aaa-1.0",
        Fault::Stall(std::time::Duration::from_millis(1500)),
        1,
    );
    ctx.compile().arg("requirements.in").assert().success();
    assert_eq!(
        pins(&ctx, "requirements.txt"),
        ["aaa==1.0", "deep==1.0", "zzz==1.0"]
    );
    let requests = ctx.server().requests();
    let position = |what: &str, nth: usize| {
        requests
            .iter()
            .enumerate()
            .filter(|(_, r)| r.contains(what))
            .nth(nth)
            .map(|(i, _)| i)
            .unwrap_or_else(|| panic!("no request {nth} for {what}: {requests:#?}"))
    };
    assert!(
        position("/simple/deep/", 0) < position("aaa-1.0", 1),
        "{requests:#?}"
    );
}
