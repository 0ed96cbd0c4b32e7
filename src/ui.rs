//! What people read on the terminal: progress on long work when stderr is a terminal (never
//! when it is not, or with `-q`), and colour that respects NO_COLOR.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// `--color WHEN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColourChoice {
    /// On a terminal without NO_COLOR.
    Auto,
    Always,
    Never,
}

/// How the terminal is used, decided by the settings stage before anything is printed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Terminal {
    pub(crate) colour: ColourChoice,
    /// Spinners and bars allowed (`--no-progress` and `-q` turn them off); they are still only
    /// drawn on a terminal.
    pub(crate) progress: bool,
}

static TERMINAL: OnceLock<Terminal> = OnceLock::new();

/// Set once by `main`; before that (and in unit tests) the defaults hold.
pub(crate) fn init(terminal: Terminal) {
    let _ = TERMINAL.set(terminal);
}

fn terminal() -> Terminal {
    TERMINAL.get().copied().unwrap_or(Terminal {
        colour: ColourChoice::Auto,
        progress: true,
    })
}

/// Whether what goes to stderr is coloured: `--color always`, or a terminal that wants it.
pub(crate) fn colour() -> bool {
    match terminal().colour {
        ColourChoice::Always => true,
        ColourChoice::Never => false,
        ColourChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    }
}

/// `text` dimmed when colour is on.
pub(crate) fn dim(text: &str) -> String {
    if colour() {
        format!("\x1b[2m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn visible(quiet: bool) -> bool {
    !quiet && terminal().progress && std::io::stderr().is_terminal()
}

/// A spinner with a message, hidden when progress should not be shown.
pub(crate) fn spinner(message: &str, quiet: bool) -> ProgressBar {
    if !visible(quiet) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed:.dim}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(80));
    bar
}

/// A spinner that names the package the resolver is on: "Resolving `django` (12 packages)".
pub(crate) struct ResolveSpinner(pub(crate) ProgressBar);

impl crate::resolver::ResolveProgress for ResolveSpinner {
    fn resolving(&self, package: &pep508_rs::PackageName, packages: usize) {
        if self.0.is_hidden() {
            return;
        }
        let plural = if packages == 1 { "" } else { "s" };
        self.0.set_message(format!(
            "Resolving `{package}` ({packages} package{plural})"
        ));
    }
}

/// A counting bar (`Downloading [===>  ] 3/12`), hidden when progress should not be shown.
/// The label is the bar's prefix; its message (dimmed, after the count) is free for the item
/// at hand. (The label used to be the message, drawn twice by `{msg}` and `{wide_msg}`.)
pub(crate) fn counter(label: &str, total: u64, quiet: bool) -> ProgressBar {
    if !visible(quiet) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {wide_msg:.dim}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    bar
}

/// The sync download bar: a [`counter`] of wheels ready, whose message shows the bytes
/// received so far and the file they belong to, chunk by chunk (it observes the index client's
/// download stream); a wheel from the cache counts without bytes.
pub(crate) struct DownloadBar {
    pub(crate) bar: ProgressBar,
    bytes: std::sync::atomic::AtomicU64,
    /// The files bytes arrived for, for `-v`'s summary.
    files: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl DownloadBar {
    pub(crate) fn new(total: u64, quiet: bool) -> std::sync::Arc<Self> {
        let bar = counter("Downloading", total, quiet);
        // Redrawn while a download stalls or is retried, so the bytes shown are current.
        if !bar.is_hidden() {
            bar.enable_steady_tick(Duration::from_millis(100));
        }
        std::sync::Arc::new(DownloadBar {
            bar,
            bytes: Default::default(),
            files: Default::default(),
        })
    }

    /// One more wheel ready (downloaded, found in the cache, or built).
    pub(crate) fn done(&self) {
        self.bar.inc(1);
    }

    /// Every wheel ready: the final count and bytes are drawn (a redraw is otherwise skipped
    /// when it comes too soon after the last one), then the bar goes.
    pub(crate) fn finish(&self) {
        self.bar.finish();
        self.bar.finish_and_clear();
    }

    /// How many files were downloaded, and their bytes.
    pub(crate) fn downloaded(&self) -> (usize, indicatif::HumanBytes) {
        let files = self.files.lock().map_or(0, |files| files.len());
        let bytes = self.bytes.load(std::sync::atomic::Ordering::Relaxed);
        (files, indicatif::HumanBytes(bytes))
    }
}

impl crate::index::DownloadObserver for DownloadBar {
    fn received(&self, filename: &str, bytes: u64) {
        let total = self
            .bytes
            .fetch_add(bytes, std::sync::atomic::Ordering::Relaxed)
            + bytes;
        if let Ok(mut files) = self.files.lock()
            && !files.contains(filename)
        {
            files.insert(filename.to_string());
        }
        if !self.bar.is_hidden() {
            self.bar
                .set_message(format!("{} {filename}", indicatif::HumanBytes(total)));
        }
    }
}

/// A unified diff of a file's old and new text, coloured when standard output is a terminal
/// that wants colour (the `+`/`-` prefixes carry the meaning either way).
pub(crate) fn unified_diff(old: &str, new: &str, name: &str) -> String {
    let colour = match terminal().colour {
        ColourChoice::Always => true,
        ColourChoice::Never => false,
        ColourChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("{name} (current)"), &format!("{name} (compiled)"))
        .to_string();
    if !colour {
        return text;
    }
    text.lines()
        .map(|line| {
            let code = match line.chars().next() {
                Some('+') if !line.starts_with("+++") => "32",
                Some('-') if !line.starts_with("---") => "31",
                Some('@') => "36",
                _ => return format!("{line}\n"),
            };
            format!("\x1b[{code}m{line}\x1b[0m\n")
        })
        .collect()
}
