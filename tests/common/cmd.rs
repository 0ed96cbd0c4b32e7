//! Running the real binary and snapshotting what users read (uv's `uv_snapshot!` idea): exit
//! code, stdout and stderr, with what varies between runs filtered out.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

/// `pinion` run in `dir`, colour off, with its own cache inside `dir`.
pub fn pinion(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("pinion").unwrap();
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("PINION_CACHE_DIR", dir.join(".cache"))
        .env_remove("PIP_INDEX_URL")
        .env_remove("PIP_EXTRA_INDEX_URL")
        .env_remove("PIP_FIND_LINKS")
        .env_remove("VIRTUAL_ENV");
    cmd
}

/// Exit code, stdout and stderr as one text, with `replacements` (literal -> placeholder) and
/// timings filtered.
pub fn render_output(output: &Output, replacements: &[(&str, &str)]) -> String {
    let mut text = format!(
        "exit code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        output
            .status
            .code()
            .map_or("signal".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for (from, to) in replacements {
        text = text.replace(from, to);
    }
    filter_timings(&text)
}

/// `in 12ms` -> `in [TIME]`.
fn filter_timings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(" in ") {
        let (head, tail) = rest.split_at(at + 4);
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && tail[digits..].starts_with("ms") {
            out.push_str("[TIME]");
            rest = &tail[digits + 2..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}
