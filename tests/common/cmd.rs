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

/// [`render_output`] for a test against `server` in `dir`: the index URL, the server's root and
/// the directory become `[INDEX]`, `[SERVER]` and `[DIR]`.
pub fn render_against(output: &Output, server: &super::IndexServer, dir: &Path) -> String {
    let url = server.url();
    let root = url.replace("/simple", "");
    let dir = dir.display().to_string();
    render_output(
        output,
        &[(&url, "[INDEX]"), (&root, "[SERVER]"), (&dir, "[DIR]")],
    )
}

/// Writes `content` to `dir/name`, creating the folders on the way.
pub fn write_file(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// A fresh venv `dir/name` without pip (milliseconds to make); pip is used from outside.
pub fn fresh_venv(dir: &Path, name: &str) -> std::path::PathBuf {
    let venv = dir.join(name);
    let status = std::process::Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success());
    venv
}
