//! The lockfile: pip-compile's requirements.txt layout, byte-for-byte deterministic, written
//! atomically.

use std::fmt::Write as _;
use std::path::Path;

use pep508_rs::PackageName;

pub(crate) mod diff;
pub(crate) mod graph;
pub(crate) mod pylock;
pub(crate) mod universe;
pub(crate) mod verify;

use crate::requirements::RequirementsTxt;
use crate::resolver::{InputKind, Resolution, ResolvedPackage, Via};

/// Packages pip-tools calls unsafe in a requirements file: compile writes them commented out
/// unless `--allow-unsafe`, and check does not ask for a pin of them. The one list; everything
/// asks [`is_unsafe`].
///
/// pip-tools' own list (`piptools.utils.UNSAFE_PACKAGES`): pip, setuptools and distribute.
const UNSAFE: [&str; 3] = ["distribute", "pip", "setuptools"];

/// pip-tools' warning when hashes are written and the unsafe packages are not pinned: pip's
/// hash-checking mode then refuses to install them.
pub(crate) const UNSAFE_UNPINNED_WARNING: &str = "# WARNING: The following packages were not pinned, but pip requires them to be\n# pinned when the requirements file includes hashes and the requirement is not\n# satisfied by a package already installed. Consider using the --allow-unsafe flag.\n";

/// How `# via` annotations are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AnnotationStyle {
    Split,
    Line,
}

/// How the lockfile is written: the choices a user makes with flags or `[tool.pinion]`.
#[derive(Debug, Clone)]
pub(crate) struct Format {
    /// Write the header (`--no-header` turns it off).
    pub(crate) header: bool,
    /// Write `# via` annotations (`--no-annotate` turns them off).
    pub(crate) annotate: bool,
    pub(crate) annotation_style: AnnotationStyle,
    pub(crate) generate_hashes: bool,
    pub(crate) strip_extras: bool,
    /// uv's `--no-strip-markers`: a single-target lockfile writes the markers under which each
    /// pin is needed (the resolver computes them; a universal lockfile always has them).
    pub(crate) keep_markers: bool,
    pub(crate) allow_unsafe: bool,
    /// Write the `--index-url`/`--extra-index-url` lines (pip-compile's `--emit-index-url`).
    pub(crate) emit_index_url: bool,
    /// Write the `--find-links` lines (`--emit-find-links`).
    pub(crate) emit_find_links: bool,
    /// Write the `--trusted-host` lines (`--emit-trusted-host`).
    pub(crate) emit_trusted_host: bool,
    /// Write option lines at all (`--emit-options`); off wins over the three above.
    pub(crate) emit_options: bool,
    /// `# from INDEX` under each pin (uv's `--emit-index-annotation`).
    pub(crate) emit_index_annotation: bool,
    /// `--unsafe-package`: replaces [`UNSAFE`] when given.
    pub(crate) unsafe_packages: Option<Vec<PackageName>>,
    /// `--no-emit-package`: left out of the pins, listed at the end (uv).
    pub(crate) no_emit_packages: Vec<PackageName>,
    pub(crate) newline: Newline,
    /// Write PEP 751's `pylock.toml` instead of a requirements.txt ([`pylock::render`]).
    pub(crate) pylock: bool,
}

impl Format {
    /// Whether the pin is written in the unsafe section: `--unsafe-package`'s names when given,
    /// else pip-tools' list.
    pub(crate) fn is_unsafe(&self, name: &PackageName) -> bool {
        match &self.unsafe_packages {
            Some(names) => names.contains(name),
            None => is_unsafe(name),
        }
    }
}

/// The output file's line endings (`--newline`, with `native` and `preserve` already decided).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Newline {
    #[default]
    Lf,
    Crlf,
}

impl Newline {
    /// `text` (written with `\n`) with these line endings.
    pub(crate) fn apply(self, text: &str) -> String {
        match self {
            Self::Lf => text.to_string(),
            Self::Crlf => text.replace('\n', "\r\n"),
        }
    }

    /// The line endings of `text`: the first line's; None when it has no line break.
    pub(crate) fn of(text: &str) -> Option<Self> {
        let at = text.find('\n')?;
        Some(if text[..at].ends_with('\r') {
            Self::Crlf
        } else {
            Self::Lf
        })
    }
}

/// The pip options a lockfile repeats so that `pip install -r` and `pinion sync` look where
/// compile looked (pip-compile's `write_flags`), each from whatever source set it.
#[derive(Debug, Clone, Default)]
pub(crate) struct OptionLines {
    pub(crate) no_index: bool,
    /// Only when it is not pip's built-in default index (as pip-compile).
    pub(crate) index_url: Option<String>,
    pub(crate) extra_index_urls: Vec<String>,
    pub(crate) find_links: Vec<String>,
    pub(crate) trusted_hosts: Vec<String>,
    pub(crate) no_binary: Vec<String>,
    pub(crate) only_binary: Vec<String>,
}

impl OptionLines {
    /// The lines `format` asks for, in pip-compile's order: index, find-links, trusted hosts,
    /// format controls (`:all:` first).
    fn lines(&self, format: &Format) -> Vec<String> {
        let mut lines = Vec::new();
        if !format.emit_options {
            return lines;
        }
        if self.no_index {
            lines.push("--no-index".to_string());
        }
        if format.emit_index_url {
            if let Some(url) = &self.index_url {
                lines.push(format!("--index-url {url}"));
            }
            for url in &self.extra_index_urls {
                lines.push(format!("--extra-index-url {url}"));
            }
        }
        if format.emit_find_links {
            for link in &self.find_links {
                lines.push(format!("--find-links {link}"));
            }
        }
        if format.emit_trusted_host {
            for host in &self.trusted_hosts {
                lines.push(format!("--trusted-host {host}"));
            }
        }
        let all_first = |flag: &str, names: &[String], lines: &mut Vec<String>| {
            let mut names: Vec<&String> = names.iter().collect();
            names.sort_by_key(|n| (n.as_str() != ":all:", n.to_string()));
            names.dedup();
            for name in names {
                lines.push(format!("{flag} {name}"));
            }
        };
        all_first("--no-binary", &self.no_binary, &mut lines);
        all_first("--only-binary", &self.only_binary, &mut lines);
        let mut seen = Vec::new();
        lines.retain(|l| {
            let new = !seen.contains(l);
            seen.push(l.clone());
            new
        });
        lines
    }
}

/// What goes into the lockfile besides the pins.
#[derive(Debug, Clone)]
pub(crate) struct LockfileOptions {
    pub(crate) format: Format,
    /// What the header says (written unless `format.header` is off).
    pub(crate) header: HeaderInfo,
    /// `--index-url`, `--extra-index-url`, `--find-links`, ... lines for pip and `pinion sync`.
    pub(crate) option_lines: OptionLines,
    /// What `# from` names for each source of [`crate::index::DistFile::source`].
    pub(crate) index_names: Vec<String>,
    /// For each of those sources, whether it is a simple-API index (pylock.toml's `index`), not
    /// a `--find-links` location.
    pub(crate) simple_indexes: Vec<bool>,
    /// The lockfile's directory: `# via -r` paths are written relative to it, so the lockfile
    /// reads the same whichever directory compile ran in.
    pub(crate) base_dir: Option<std::path::PathBuf>,
    /// Project inputs (pyproject.toml, ...) and the project's name: `# via name (pyproject.toml)`.
    pub(crate) project_names: Vec<(std::path::PathBuf, String)>,
}

#[derive(Debug, Clone)]
pub(crate) struct HeaderInfo {
    pub(crate) command: String,
    /// `3.12`
    pub(crate) python: String,
    /// A universal resolution's forks (markers), when it forked: read back as the next
    /// compile's first forks, so that compiling again forks as before.
    pub(crate) forks: Vec<String>,
}

/// The line before a universal lockfile's fork markers in its header.
const FORKS_LINE: &str = "# Resolved for every environment, in these forks:";

/// Why the lockfile could not be written.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum LockfileError {
    #[error("cannot write the lockfile `{}`", path.display())]
    #[diagnostic(code(pinion::lockfile::write))]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Whether `name` is on the [`UNSAFE`] list.
pub(crate) fn is_unsafe(name: &PackageName) -> bool {
    UNSAFE.contains(&name.as_ref())
}

/// The header block: what compile ran, for `--check` and `check` to run again. A pylock.toml
/// starts with the same lines (TOML comments).
fn header_text(header: &HeaderInfo) -> String {
    let mut text = format!(
        "#\n# This file is autogenerated by pinion {} with Python {}\n# by the following command:\n#\n#    {}\n#\n",
        env!("CARGO_PKG_VERSION"),
        header.python,
        header.command
    );
    if !header.forks.is_empty() {
        text.push_str(FORKS_LINE);
        text.push('\n');
        for fork in &header.forks {
            let _ = writeln!(text, "#    {fork}");
        }
        text.push_str("#\n");
    }
    text
}

/// The fork markers a universal lockfile's header lists (see [`HeaderInfo::forks`]).
pub(crate) fn header_forks(text: &str) -> Vec<String> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .skip_while(|l| *l != FORKS_LINE)
        .skip(1)
        .map_while(|l| l.strip_prefix("#    "))
        .map(str::to_string)
        .collect()
}

/// Render the lockfile text: pip-compile's requirements.txt, or PEP 751's pylock.toml when
/// the format says so.
pub(crate) fn render(resolution: &Resolution, options: &LockfileOptions) -> String {
    if options.format.pylock {
        return pylock::render(resolution, options);
    }
    let mut out = String::new();
    if options.format.header {
        out.push_str(&header_text(&options.header));
    }
    let index_lines = options.option_lines.lines(&options.format);
    for line in &index_lines {
        let _ = writeln!(out, "{line}");
    }
    if !index_lines.is_empty() {
        out.push('\n');
    }
    let (unsafe_pins, mut pins): (Vec<_>, Vec<_>) = resolution
        .packages
        .iter()
        .filter(|p| !options.format.no_emit_packages.contains(&p.name))
        .partition(|p| options.format.is_unsafe(&p.name));
    // pip-compile writes editables first, then everything by name.
    pins.sort_by_key(|p| !p.editable);
    for pin in pins {
        render_pin(&mut out, pin, options, resolution);
    }
    if !unsafe_pins.is_empty() {
        if rejected_by_pip(resolution, options) {
            out.push('\n');
            out.push_str(UNSAFE_UNPINNED_WARNING);
        } else {
            out.push_str(
                "\n# The following packages are considered to be unsafe in a requirements file:\n",
            );
        }
        for pin in unsafe_pins {
            if options.format.allow_unsafe {
                render_pin(&mut out, pin, options, resolution);
            } else {
                let _ = writeln!(out, "# {}", pin.name);
            }
        }
    }
    let mut excluded: Vec<&PackageName> = resolution
        .packages
        .iter()
        .map(|p| &p.name)
        .filter(|name| options.format.no_emit_packages.contains(name))
        .collect();
    excluded.sort();
    if !excluded.is_empty() {
        // uv's wording for `--no-emit-package`.
        out.push_str("\n# The following packages were excluded from the output:\n");
        for name in excluded {
            let _ = writeln!(out, "# {name}");
        }
    }
    options.format.newline.apply(&out)
}

/// Whether pip's hash-checking mode will refuse the lockfile: it has hashes, and unsafe
/// packages it needs are left unpinned (pip-tools warns the same way).
pub(crate) fn rejected_by_pip(resolution: &Resolution, options: &LockfileOptions) -> bool {
    options.format.generate_hashes
        && !options.format.pylock
        && !options.format.allow_unsafe
        && resolution.packages.iter().any(|p| is_unsafe(&p.name))
}

/// One pin of `resolution`, with its marker when it has one (PEP 508:
/// `name==1.0 ; sys_platform == 'win32'`).
fn render_pin(
    out: &mut String,
    pin: &ResolvedPackage,
    options: &LockfileOptions,
    resolution: &Resolution,
) {
    let extras = if !options.format.strip_extras && !pin.extras.is_empty() {
        let extras: Vec<_> = pin.extras.iter().map(ToString::to_string).collect();
        format!("[{}]", extras.join(","))
    } else {
        String::new()
    };
    // As pip-compile writes them: `-e ./path` and bare paths keep the path the input gave
    // (relative to the lockfile), everything else is `name @ url` or `name==version`.
    let line = match &pin.url {
        Some(url) if pin.editable && is_path(url) => format!("-e {url}{extras}"),
        Some(url) if pin.editable => {
            let separator = if url.contains('#') { '&' } else { '#' };
            format!("-e {url}{separator}egg={}", pin.name)
        }
        Some(url) if is_path(url) => format!("{url}{extras}"),
        // A password in a direct URL stays out of a committed file; pip and `pinion sync` find
        // it again in netrc or the keyring, by the username that stays.
        Some(url) => format!(
            "{}{extras} @ {}",
            pin.name,
            crate::index::auth::without_password(url)
        ),
        None => format!("{}{extras}=={}", pin.name, pin.version),
    };
    let line = match resolution.marker_of(pin) {
        Some(marker) => format!("{line} ; {marker}"),
        None => line,
    };
    let mut hashes: Vec<&str> = if options.format.generate_hashes {
        pin.files
            .iter()
            .filter_map(|f| f.sha256.as_deref())
            .collect()
    } else {
        Vec::new()
    };
    hashes.sort_unstable();
    hashes.dedup();
    let via = via_list(pin, options);
    let annotate = options.format.annotate && !via.is_empty();
    // A comment never goes before a `\` continuation: pip joins the lines first and strips the
    // comment, hashes and all. With hashes, `# via` follows them on its own line in both styles,
    // as pip-compile writes it.
    let line_style = annotate && options.format.annotation_style == AnnotationStyle::Line;
    if line_style && hashes.is_empty() {
        let _ = writeln!(out, "{line}  # via {}", via.join(", "));
    } else if hashes.is_empty() {
        let _ = writeln!(out, "{line}");
    } else {
        let _ = writeln!(out, "{line} \\");
    }
    for (i, hash) in hashes.iter().enumerate() {
        let more = if i + 1 < hashes.len() { " \\" } else { "" };
        let _ = writeln!(out, "    --hash=sha256:{hash}{more}");
    }
    if line_style && !hashes.is_empty() {
        let _ = writeln!(out, "    # via {}", via.join(", "));
    }
    if annotate && options.format.annotation_style == AnnotationStyle::Split {
        match via.as_slice() {
            [one] => {
                let _ = writeln!(out, "    # via {one}");
            }
            many => {
                out.push_str("    # via\n");
                for item in many {
                    let _ = writeln!(out, "    #   {item}");
                }
            }
        }
    }
    if options.format.emit_index_annotation
        && let Some(name) = pin
            .files
            .first()
            .and_then(|f| options.index_names.get(f.source))
    {
        let _ = writeln!(out, "    # from {name}");
    }
}

/// A local path as the input wrote it (`.`, `./libs/mylib`, `../x`), not a URL.
fn is_path(url: &str) -> bool {
    url.starts_with('.') || url.starts_with('/')
}

/// pip-compile's `# via` entries, sorted as strings (`-c`/`-r` first).
/// A requirement replaced by `--override` says so on each edge: `foo (overridden by
/// overrides.txt)`; a constraint (`-c`) is not a requirement and stays as it is.
fn via_list(pin: &ResolvedPackage, options: &LockfileOptions) -> Vec<String> {
    let overridden = (!pin.overridden_by.is_empty()).then(|| {
        let files: Vec<String> = pin
            .overridden_by
            .iter()
            .map(|f| {
                relative_to(f, options.base_dir.as_deref())
                    .display()
                    .to_string()
            })
            .collect();
        format!(" (overridden by {})", files.join(", "))
    });
    let overridden = overridden.as_deref().unwrap_or("");
    let mut items: Vec<String> = pin
        .via
        .iter()
        .map(|via| match via {
            Via::Package(name) => format!("{name}{overridden}"),
            Via::File(kind, path) => {
                let shown = relative_to(path, options.base_dir.as_deref());
                let project = options.project_names.iter().find(|(p, _)| p == path);
                match (kind, project) {
                    (_, Some((_, name))) => {
                        format!("{name} ({}){overridden}", shown.display())
                    }
                    (InputKind::Requirement, None) => {
                        format!("-r {}{overridden}", shown.display())
                    }
                    (InputKind::Constraint, None) => format!("-c {}", shown.display()),
                }
            }
        })
        .collect();
    items.sort();
    items.dedup();
    items
}

/// `path` as seen from `base` (both taken from the working directory when relative).
fn relative_to(path: &Path, base: Option<&Path>) -> std::path::PathBuf {
    let Some(base) = base else {
        return path.to_path_buf();
    };
    if path == Path::new("-") {
        return path.to_path_buf();
    }
    match (std::path::absolute(path), std::path::absolute(base)) {
        (Ok(path_abs), Ok(base_abs)) => {
            pathdiff::diff_paths(lexical(&path_abs), lexical(&base_abs))
                .unwrap_or_else(|| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

/// An absolute path with `.` and `..` resolved as text (`-o ../out/req.txt`).
fn lexical(path: &Path) -> std::path::PathBuf {
    let mut out = std::path::PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The command line a lockfile's header records (`#    pinion compile ...`), if it has one.
pub(crate) fn header_command(text: &str) -> Option<&str> {
    let mut lines = text.lines();
    lines.find(|l| l.starts_with("# by the following command:"))?;
    lines
        .map(|l| l.trim_start_matches('#').trim())
        .find(|l| !l.is_empty())
}

/// The Python version a lockfile's header names (`with Python 3.12`).
pub(crate) fn header_python(text: &str) -> Option<&str> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.split(" with Python ").nth(1))
        .map(str::trim)
}

/// A lockfile's header block (the leading comment lines from `#` and `# This file is
/// autogenerated ...` through the closing `#`) and the rest; the header is empty when there is
/// none.
fn split_header(text: &str) -> (&str, &str) {
    let mut lines = text.split_inclusive('\n');
    let starts = matches!(
        (lines.next(), lines.next()),
        (Some(first), Some(second))
            if first.trim_end() == "#" && second.contains("This file is autogenerated by")
    );
    if !starts {
        return ("", text);
    }
    let end = text
        .split_inclusive('\n')
        .take_while(|line| line.starts_with('#'))
        .map(str::len)
        .sum();
    text.split_at(end)
}

/// `text` with `existing`'s header in place of its own, for `--check`: a difference in the
/// header alone (the command's spelling, the pinion version, the Python patch release, a
/// custom compile command) never makes a lockfile stale; what is resolved for is taken from
/// the header before compiling.
pub(crate) fn with_header_of(text: &str, existing: &str) -> String {
    let (header, _) = split_header(existing);
    let (_, body) = split_header(text);
    format!("{header}{body}")
}

/// Write `content` to `path` through a temporary file renamed over it, so that no reader ever
/// sees half a lockfile. A path that is not a regular file (`/dev/null`, a FIFO) is written in
/// place: replacing it would be wrong.
pub(crate) fn write(path: &Path, content: &str) -> Result<(), LockfileError> {
    let fail = |source| LockfileError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        return std::fs::write(path, content).map_err(fail);
    }
    crate::fsutil::write_atomic_synced(path, content.as_bytes()).map_err(fail)
}

/// A lockfile's pins as requirements: a pylock.toml ([`pylock::reads_as_pylock`]) through
/// [`pylock::read_str`], anything else as a requirements file.
pub(crate) fn read_locked(path: &Path, text: String) -> Result<RequirementsTxt, ReadError> {
    if pylock::reads_as_pylock(path) {
        Ok(pylock::read_str(path, &text)?)
    } else {
        Ok(crate::requirements::read_str(path, text)?)
    }
}

/// [`read_locked`] of the file at `path`.
pub(crate) fn read_locked_file(path: &Path) -> Result<RequirementsTxt, ReadError> {
    if pylock::reads_as_pylock(path) {
        Ok(pylock::read(path)?)
    } else {
        Ok(crate::requirements::read(path)?)
    }
}

/// Why a lockfile cannot be read: as a pylock.toml or as a requirements file.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum ReadError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Pylock(#[from] pylock::PylockError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Requirements(#[from] crate::requirements::RequirementsError),
}

/// One pin of a lockfile, as sync needs it.
#[derive(Debug, Clone)]
pub(crate) struct Pin {
    pub(crate) name: PackageName,
    pub(crate) version: pep440_rs::Version,
    /// Allowed sha256 digests; empty when the lockfile has no hashes.
    pub(crate) hashes: Vec<String>,
    pub(crate) origin: crate::requirements::Origin,
    /// The pin's marker (true when it has none): a universal lockfile may pin one package
    /// twice, under markers of which at most one may hold.
    pub(crate) marker: pep508_rs::MarkerTree,
}

/// Why the pins of lockfiles cannot be synced.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum PinError {
    /// A requirement that is not `name==version`.
    #[error("`{requirement}` at `{origin}` is not pinned with `==`")]
    #[diagnostic(
        code(pinion::lockfile::not_pinned),
        help("sync installs lockfiles; compile the input first with `pinion compile`")
    )]
    NotPinned {
        requirement: String,
        origin: crate::requirements::Origin,
    },
    /// Two lockfiles pin one package at different versions.
    #[error(
        "`{name}` is pinned twice: `=={first}` at `{first_origin}` and `=={second}` at `{second_origin}`"
    )]
    #[diagnostic(code(pinion::lockfile::conflicting_pins))]
    Conflicting {
        name: PackageName,
        first: pep440_rs::Version,
        first_origin: crate::requirements::Origin,
        second: pep440_rs::Version,
        second_origin: crate::requirements::Origin,
    },
    /// Two pins of one package in one lockfile whose markers both hold for the interpreter: a
    /// universal lockfile's pins of one package must have disjoint markers.
    #[error(
        "`{name}` is pinned twice for this interpreter: `{first}` at `{first_origin}` and `{second}` at `{second_origin}` both hold"
    )]
    #[diagnostic(
        code(pinion::lockfile::overlapping_pins),
        help(
            "in a universal lockfile the pins of one package need markers that never hold together; compile it again with `pinion compile --universal`"
        )
    )]
    Overlapping {
        name: PackageName,
        first: String,
        first_origin: crate::requirements::Origin,
        second: String,
        second_origin: crate::requirements::Origin,
    },
    /// Some pins have hashes and this one has none (pip's --require-hashes mode).
    #[error("`{name}` at `{origin}` has no `--hash`, but other pins do")]
    #[diagnostic(
        code(pinion::lockfile::missing_hash),
        help("when one pin has hashes every pin needs them; recompile with `--generate-hashes`")
    )]
    MissingHash {
        name: PackageName,
        origin: crate::requirements::Origin,
    },
    /// A direct reference pinion cannot fetch (a VCS other than git, an FTP URL, ...).
    #[error(
        "`{url}` at `{origin}` cannot be installed: only wheel and sdist files, local directories and git URLs can"
    )]
    #[diagnostic(code(pinion::lockfile::unsupported))]
    Unsupported {
        url: String,
        origin: crate::requirements::Origin,
    },
}

/// A direct reference or editable of a lockfile (`-e .`, `./libs/mylib`, `name @ url`), as sync
/// needs it: what it is is only known once it is fetched or built.
#[derive(Debug, Clone)]
pub(crate) struct SourcePin {
    /// The name, when the line gives one (`name @ url`, `#egg=name`).
    pub(crate) name: Option<PackageName>,
    pub(crate) source: crate::build::SourceRef,
    pub(crate) editable: bool,
    /// Allowed sha256 digests of a wheel or sdist file.
    pub(crate) hashes: Vec<String>,
    pub(crate) origin: crate::requirements::Origin,
}

/// The direct references and editables of lockfiles whose markers hold for `markers`; [`pins`]
/// gives the rest.
pub(crate) fn sources(
    lockfiles: &[crate::requirements::RequirementsTxt],
    markers: &pep508_rs::MarkerEnvironment,
) -> Result<Vec<SourcePin>, PinError> {
    use crate::requirements::RequirementSpec;
    use pep508_rs::VersionOrUrl;

    let mut sources = Vec::new();
    for entry in lockfiles.iter().flat_map(|l| &l.requirements) {
        let (name, url) = match &entry.spec {
            RequirementSpec::Named(r) => match &r.version_or_url {
                Some(VersionOrUrl::Url(url)) if r.evaluate_markers(markers, &[]) => {
                    (Some(r.name.clone()), url)
                }
                _ => continue,
            },
            RequirementSpec::Unnamed(r) if r.evaluate_markers(markers, &[]) => {
                (egg_name(&r.url), &r.url)
            }
            RequirementSpec::Unnamed(_) => continue,
        };
        let source =
            crate::build::SourceRef::from_url(url.raw()).ok_or_else(|| PinError::Unsupported {
                url: url.to_string(),
                origin: entry.origin.clone(),
            })?;
        sources.push(SourcePin {
            name,
            source,
            editable: entry.editable,
            hashes: sha256_hashes(entry),
            origin: entry.origin.clone(),
        });
    }
    Ok(sources)
}

/// `#egg=name` of a URL (pip's old spelling of the name of a VCS or editable requirement).
fn egg_name(url: &pep508_rs::VerbatimUrl) -> Option<PackageName> {
    let fragment = url.fragment()?;
    let egg = fragment.split('&').find_map(|p| p.strip_prefix("egg="))?;
    PackageName::new(egg.to_string()).ok()
}

fn sha256_hashes(entry: &crate::requirements::RequirementEntry) -> Vec<String> {
    entry
        .hashes
        .iter()
        .filter(|h| h.algorithm == crate::requirements::HashAlgorithm::Sha256)
        .map(|h| h.digest.clone())
        .collect()
}

/// The `name==version` pins of lockfiles whose markers hold for `markers`, merged; direct
/// references and editables are left to [`sources`].
pub(crate) fn pins(
    lockfiles: &[crate::requirements::RequirementsTxt],
    markers: &pep508_rs::MarkerEnvironment,
) -> Result<Vec<Pin>, PinError> {
    use crate::requirements::RequirementSpec;
    use pep508_rs::VersionOrUrl;

    let mut pins: Vec<Pin> = Vec::new();
    for entry in lockfiles.iter().flat_map(|l| &l.requirements) {
        let requirement = match &entry.spec {
            RequirementSpec::Named(r) if !entry.editable => r,
            _ => continue,
        };
        if matches!(requirement.version_or_url, Some(VersionOrUrl::Url(_))) {
            continue;
        }
        if !requirement.evaluate_markers(markers, &[]) {
            continue;
        }
        let Some(version) = pinned_version(requirement) else {
            return Err(not_pinned(requirement, entry));
        };
        if let Some(existing) = pins.iter().find(|p| p.name == requirement.name) {
            if existing.version != version && existing.origin.file == entry.origin.file {
                let shown =
                    |version: &pep440_rs::Version, marker: &pep508_rs::MarkerTree| match marker
                        .contents()
                    {
                        Some(marker) => format!("=={version} ; {marker}"),
                        None => format!("=={version}"),
                    };
                return Err(PinError::Overlapping {
                    name: requirement.name.clone(),
                    first: shown(&existing.version, &existing.marker),
                    first_origin: existing.origin.clone(),
                    second: shown(&version, &requirement.marker),
                    second_origin: entry.origin.clone(),
                });
            }
            if existing.version != version {
                return Err(PinError::Conflicting {
                    name: requirement.name.clone(),
                    first: existing.version.clone(),
                    first_origin: existing.origin.clone(),
                    second: version,
                    second_origin: entry.origin.clone(),
                });
            }
            continue;
        }
        pins.push(Pin {
            name: requirement.name.clone(),
            version,
            hashes: sha256_hashes(entry),
            origin: entry.origin.clone(),
            marker: requirement.marker.clone(),
        });
    }
    if pins.iter().any(|p| !p.hashes.is_empty())
        && let Some(pin) = pins.iter().find(|p| p.hashes.is_empty())
    {
        return Err(PinError::MissingHash {
            name: pin.name.clone(),
            origin: pin.origin.clone(),
        });
    }
    pins.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(pins)
}

/// The version of `name==version` (or `===`); None for anything else.
pub(crate) fn pinned_version(
    requirement: &pep508_rs::Requirement<pep508_rs::VerbatimUrl>,
) -> Option<pep440_rs::Version> {
    let Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) = &requirement.version_or_url
    else {
        return None;
    };
    match specifiers.iter().as_slice() {
        [s] if matches!(
            s.operator(),
            pep440_rs::Operator::Equal | pep440_rs::Operator::ExactEqual
        ) =>
        {
            Some(s.version().clone())
        }
        _ => None,
    }
}

fn not_pinned(
    requirement: &pep508_rs::Requirement<pep508_rs::VerbatimUrl>,
    entry: &crate::requirements::RequirementEntry,
) -> PinError {
    PinError::NotPinned {
        requirement: requirement.to_string(),
        origin: entry.origin.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "#\n# This file is autogenerated by pinion 0.1.0 with Python 3.12\n# by the following command:\n#\n#    pinion compile sub/a.in\n#\nidna==3.10\n";

    #[test]
    fn check_compares_bodies_only() {
        let new = OLD
            .replace("pinion 0.1.0", "pinion 0.2.0")
            .replace("Python 3.12", "Python 3.13")
            .replace("sub/a.in", "a.in");
        assert_eq!(with_header_of(&new, OLD), OLD);
        let crlf = Newline::Crlf.apply(&new);
        assert_eq!(
            with_header_of(&crlf, &Newline::Crlf.apply(OLD)),
            Newline::Crlf.apply(OLD)
        );
        let other_pin = OLD.replace("idna==3.10", "idna==3.11");
        assert_ne!(with_header_of(&other_pin, OLD), OLD);
        // No header on either side: the text itself.
        assert_eq!(
            with_header_of("idna==3.10\n", "idna==3.10\n"),
            "idna==3.10\n"
        );
    }

    #[test]
    fn via_paths_are_relative_to_the_lockfile_even_through_dot_dot() {
        let base = std::env::current_dir().unwrap().join("out/../lock");
        let path = std::env::current_dir().unwrap().join("in/a.in");
        assert_eq!(relative_to(&path, Some(&base)), Path::new("../in/a.in"));
    }
}
