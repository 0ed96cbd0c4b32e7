//! What varies between runs, filtered out of what a snapshot shows, and the
//! [`pinion_snapshot!`](crate::pinion_snapshot) macro that runs the real binary and snapshots its
//! exit code, stdout and stderr (uv's `uv_snapshot!`).

use std::borrow::BorrowMut;
use std::process::Output;

/// Literal replacements (temp paths, index URLs, the host Python's version) applied in order,
/// then the patterns every run varies in: timings (`in 12ms`) and pinion's own version.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    literal: Vec<(String, String)>,
}

impl Filters {
    /// `from` becomes `to`; filters added first apply first, so add longer texts first
    /// (`http://127.0.0.1:PORT/simple` before `http://127.0.0.1:PORT`).
    pub fn with(mut self, from: impl Into<String>, to: &str) -> Self {
        let from = from.into();
        if !from.is_empty() {
            self.literal.push((from, to.to_string()));
        }
        self
    }

    pub fn apply(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (from, to) in &self.literal {
            text = text.replace(from, to);
        }
        let text = text.replace(
            &format!("pinion {}", env!("CARGO_PKG_VERSION")),
            "pinion [VERSION]",
        );
        filter_timings(&text)
    }
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

/// Exit code, stdout and stderr as one text, filtered: what [`pinion_snapshot!`] snapshots.
///
/// [`pinion_snapshot!`]: crate::pinion_snapshot
pub fn render(output: &Output, filters: &Filters) -> String {
    let text = format!(
        "exit code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        output
            .status
            .code()
            .map_or("signal".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    filters.apply(&text)
}

/// Runs `command` and renders its output; the macro's engine.
pub fn run_and_render(
    mut command: impl BorrowMut<assert_cmd::Command>,
    filters: &Filters,
) -> (String, Output) {
    let output = command.borrow_mut().output().expect("pinion runs");
    (render(&output, filters), output)
}

/// Runs a pinion command and snapshots its exit code, stdout and stderr with the filters
/// applied; evaluates to the [`Output`] for further checks.
///
/// ```ignore
/// pinion_snapshot!(ctx.filters(), ctx.compile().arg("requirements.in"));
/// pinion_snapshot!("named", ctx.filters(), ctx.check());
/// pinion_snapshot!(ctx.filters(), ctx.check(), @"exit code: 0 ...");
/// ```
#[macro_export]
macro_rules! pinion_snapshot {
    ($name:literal, $filters:expr, $command:expr) => {{
        let (snapshot, output) = $crate::common::run_and_render($command, &$filters);
        ::insta::assert_snapshot!($name, snapshot);
        output
    }};
    ($filters:expr, $command:expr, @$snapshot:literal) => {{
        let (snapshot, output) = $crate::common::run_and_render($command, &$filters);
        ::insta::assert_snapshot!(snapshot, @$snapshot);
        output
    }};
    ($filters:expr, $command:expr) => {{
        let (snapshot, output) = $crate::common::run_and_render($command, &$filters);
        ::insta::assert_snapshot!(snapshot);
        output
    }};
}
