//! Feedback on a terminal (issue 16, point 7): the compile spinner names the package being
//! resolved and counts packages, the sync bar shows bytes and the file last done, and `-v` says
//! what the cache saved. Progress is taken under a pseudo-terminal (`script`); piped, none of it
//! shows.

#[path = "common/support.rs"]
pub mod common;

use std::path::PathBuf;

use common::{IndexOptions, Package, PackageUniverse, TestContext};

/// `app` needs `click` and `setuptools` (unsafe: not in the lockfile); `click` needs `colorama`.
fn universe() -> PackageUniverse {
    PackageUniverse::new()
        .with(Package::new("colorama", "0.4.6"))
        .with(Package::new("click", "8.1.7").dep("colorama"))
        .with(Package::new("setuptools", "70.0.0"))
        .with(Package::new("app", "1.0").dep("click>=8").dep("setuptools"))
}

fn project() -> TestContext {
    let ctx = TestContext::new(&universe());
    ctx.write("requirements.in", "app\n");
    ctx
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}

/// `pinion ARGS` under a pseudo-terminal in the project: what the terminal showed, one line
/// per redraw, escape sequences removed.
fn on_a_terminal(ctx: &TestContext, args: &str) -> Vec<String> {
    let pinion = assert_cmd::cargo::cargo_bin("pinion");
    let output = std::process::Command::new("script")
        .current_dir(ctx.path())
        .env("PINION_CACHE_DIR", ctx.cache_dir())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .args(["-qec", &format!("{} {args}", pinion.display()), "/dev/null"])
        .output()
        .expect("script runs");
    let screen = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{screen}");
    strip_escapes(&screen)
        .split(['\r', '\n'])
        .map(|line| line.trim().to_string())
        .filter(|line| !line.is_empty())
        .collect()
}

/// Without CSI sequences (`ESC [ ... letter`).
fn strip_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Spinner frames and the elapsed time (`⠙ Resolving ... 0s`) filtered out; repeated redraws
/// of one text kept once.
fn spinner_lines(lines: &[String], needle: &str) -> String {
    let mut shown: Vec<String> = Vec::new();
    for line in lines.iter().filter(|l| l.contains(needle)) {
        let text = line
            .split_once(' ')
            .map_or(line.as_str(), |(_frame, rest)| rest);
        let text = text
            .rsplit_once(' ')
            .filter(|(_, time)| {
                time.ends_with('s') && time[..time.len() - 1].parse::<u64>().is_ok()
            })
            .map_or(text, |(text, _)| text);
        if shown.last().map(String::as_str) != Some(text) {
            shown.push(text.to_string());
        }
    }
    shown.join("\n")
}

#[test]
fn the_compile_spinner_names_the_package_and_counts_packages() {
    if which("script").is_none() {
        eprintln!("skipped: needs script(1) for a pseudo-terminal");
        return;
    }
    let ctx = project();
    let args = format!(
        "compile --index-url {} --python-version 3.12 requirements.in",
        ctx.index_url()
    );
    let lines = on_a_terminal(&ctx, &args);
    insta::assert_snapshot!(spinner_lines(&lines, "Resolving"), @r"
    Resolving dependencies
    Resolving `app` (1 package)
    Resolving `click` (2 packages)
    Resolving `setuptools` (3 packages)
    Resolving `colorama` (4 packages)
    ");
    // `-q` and `--no-progress` draw nothing of it, on a terminal too.
    for flag in ["-q", "--no-progress"] {
        let lines = on_a_terminal(&ctx, &format!("{args} {flag}"));
        assert_eq!(spinner_lines(&lines, "Resolving"), "", "{flag}");
    }
    // Piped, nothing.
    let output = ctx.compile().arg("requirements.in").output().unwrap();
    assert!(!String::from_utf8_lossy(&output.stderr).contains("Resolving"));
}

#[test]
fn the_sync_bar_shows_bytes_and_the_file() {
    if which("script").is_none() {
        eprintln!("skipped: needs script(1) for a pseudo-terminal");
        return;
    }
    let ctx = project().with_venv();
    ctx.compile().arg("requirements.in").assert().success();
    let args = format!(
        "sync --python {} requirements.txt",
        ctx.venv().join("bin/python").display()
    );
    let lines = on_a_terminal(&ctx, &args);
    let frames: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("Downloading ["))
        .collect();
    assert!(!frames.is_empty(), "no download bar drawn:\n{lines:#?}");
    // The last frame: every wheel done, the bytes of all of them, the name of the last one.
    let last = frames.last().unwrap();
    let (_, count_and_message) = last.split_once("] ").unwrap();
    let words: Vec<&str> = count_and_message.split_whitespace().collect();
    let [count, size, unit, file] = words[..] else {
        panic!("{last}");
    };
    assert!(size.parse::<f64>().is_ok_and(|size| size > 0.0), "{last}");
    // The name is cut where the terminal ends (80 columns under `script`).
    assert!(
        ["app-", "click-", "colorama-"]
            .iter()
            .any(|name| file.starts_with(name)),
        "{last}"
    );
    insta::assert_snapshot!(
        format!("Downloading [BAR] {count} [SIZE] {unit} [FILE]"),
        @"Downloading [BAR] 3/3 [SIZE] KiB [FILE]"
    );
}

#[test]
fn verbose_compile_says_what_the_cache_saved() {
    // Pages the cache may keep for a while, so the second run reads them from it.
    let options = IndexOptions {
        cache_headers: Some("max-age=600".to_string()),
        ..IndexOptions::default()
    };
    let ctx = TestContext::with_index_options(&universe(), options);
    ctx.write("requirements.in", "app\n");
    let filters = ctx.filters();
    pinion_snapshot!(
        "verbose_compile_first_run",
        filters,
        ctx.compile().args(["-v", "requirements.in"])
    );
    pinion_snapshot!(
        "verbose_compile_second_run",
        filters,
        ctx.compile().args(["-v", "requirements.in"])
    );
}

/// `sync -v` says what it decided: the plan, what was downloaded (files and bytes) and what the
/// cache already held; a second venv synced from the same cache downloads nothing.
#[test]
fn verbose_sync_says_what_it_downloaded_and_what_the_cache_held() {
    let ctx = project().with_venv();
    ctx.compile().arg("requirements.in").assert().success();
    let filters = ctx.filters();
    let sync = |venv: &std::path::Path| {
        let output = ctx
            .sync_into(venv)
            .args(["-v", "requirements.txt"])
            .output()
            .unwrap();
        // The wheels' sizes are the fixture's business: `downloaded (2.18 KiB)`.
        let text = common::render(&output, &filters);
        match text.split_once("downloaded (") {
            Some((head, tail)) => match tail.split_once(')') {
                Some((_, rest)) => format!("{head}downloaded ([BYTES]){rest}"),
                None => text,
            },
            None => text,
        }
    };
    insta::assert_snapshot!("verbose_sync_first_venv", sync(ctx.venv()));
    let second = ctx.new_venv("second");
    insta::assert_snapshot!("verbose_sync_second_venv", sync(&second));
}

/// Bytes show as they arrive, before a wheel is done: colorama's download is cut short three
/// times (each retried after a backoff), and meanwhile the bar shows the bytes received of
/// `colorama` while fewer than all wheels are ready.
#[test]
fn the_sync_bar_counts_bytes_while_a_download_is_under_way() {
    if which("script").is_none() {
        eprintln!("skipped: needs script(1) for a pseudo-terminal");
        return;
    }
    let ctx = project().with_venv();
    ctx.compile().arg("requirements.in").assert().success();
    ctx.server().inject(
        "colorama-0.4.6-py3-none-any.whl",
        common::Fault::Truncate,
        3,
    );
    let args = format!(
        "sync --python {} requirements.txt",
        ctx.venv().join("bin/python").display()
    );
    let lines = on_a_terminal(&ctx, &args);
    let under_way = lines.iter().find(|line| {
        line.starts_with("Downloading [")
            && line.contains(" colorama-")
            && !line.contains("] 3/3 ")
            && (line.contains(" B ") || line.contains(" KiB "))
    });
    assert!(
        under_way.is_some(),
        "no frame with colorama's bytes under way:\n{lines:#?}"
    );
}
