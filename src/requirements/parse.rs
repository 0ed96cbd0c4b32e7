use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use miette::NamedSource;
use pep508_rs::{PackageName, VersionOrUrl};

use super::error::RequirementsError;
use super::lines::{LogicalLine, logical_lines};
use super::{
    BinaryChoice, FileHash, HashAlgorithm, LineIndex, Origin, RequirementEntry, RequirementSpec,
    RequirementsTxt,
};
use crate::{fsutil, pep508};

/// Read a requirements file and everything it includes.
pub(crate) fn read(path: &Path) -> Result<RequirementsTxt, RequirementsError> {
    let content = fsutil::read_input(path).map_err(|source| RequirementsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    read_str(path, content)
}

/// Parse `content` as if read from `path` (`-` for standard input: includes are then relative to
/// the working directory).
pub(crate) fn read_str(path: &Path, content: String) -> Result<RequirementsTxt, RequirementsError> {
    let mut reader = Reader::default();
    reader.file(clean(path), content, false)?;
    Ok(reader.out)
}

/// The files a requirements file names with `-r`/`-c` on its own lines, without reading them
/// (so it works before they exist): compile uses it to order inputs that include each other's
/// lockfiles. Unreadable files have none.
pub(crate) fn includes(path: &Path) -> Vec<PathBuf> {
    let Ok(content) = fsutil::read_input(path) else {
        return Vec::new();
    };
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut found = Vec::new();
    for line in logical_lines(&content) {
        let tokens = tokenize(&line.text, 0);
        for (i, token) in tokens.iter().enumerate() {
            let (name, inline) = split_option(&token.value);
            if !matches!(Opt::lookup(name), Some(Opt::Requirement | Opt::Constraint)) {
                continue;
            }
            let value = match inline {
                Some((value, _)) => Some(value.to_string()),
                None => tokens.get(i + 1).map(|t| t.value.to_string()),
            };
            if let Some(value) = value.filter(|v| !has_url_scheme(v)) {
                found.push(clean(&dir.join(value)));
            }
        }
    }
    found
}

/// How deep `-r`/`-c` includes may nest. pip has no limit of its own (Python's recursion limit
/// stops it near 1,000); real projects nest a handful deep, and a limit keeps the recursion
/// far from the end of the stack.
pub(crate) const MAX_INCLUDE_DEPTH: usize = 100;

/// How many files one top-level file may read through its includes, counting a file included
/// twice twice: a file that includes the next one twice, 40 deep, would otherwise read 2^40.
pub(crate) const MAX_INCLUDED_FILES: usize = 10_000;

#[derive(Default)]
struct Reader {
    out: RequirementsTxt,
    /// The files being read, outermost first: canonical path and the path as shown.
    stack: Vec<(PathBuf, PathBuf)>,
    /// The canonical paths of `stack`, so the cycle check costs one lookup per include.
    open: HashSet<PathBuf>,
}

/// The file being parsed, for diagnostics and relative paths.
struct Source<'a> {
    path: &'a Path,
    dir: PathBuf,
    /// `dir` made absolute, as pep508_rs wants it for relative paths.
    abs_dir: PathBuf,
    content: &'a str,
    lines: LineIndex,
    constraint: bool,
}

impl Source<'_> {
    fn named(&self) -> NamedSource<String> {
        NamedSource::new(self.path.display().to_string(), self.content.to_string())
    }

    fn origin(&self, offset: usize) -> Origin {
        self.lines.origin(self.path, self.content, offset)
    }
}

/// A shell-like word of an option line, with its span in the logical line.
#[derive(Debug)]
struct Token<'a> {
    /// Borrowed from the line unless quotes had to be removed.
    value: Cow<'a, str>,
    span: Range<usize>,
}

/// What a byte of a line is to [`tokenize`]: looked up in one table, since a lockfile's hash
/// lines are nearly all of its bytes.
const PLAIN: u8 = 0;
const SPACE: u8 = 1;
const QUOTE: u8 = 2;
/// Part of a character beyond ASCII: decoded to ask `char::is_whitespace`.
const WIDE: u8 = 3;
const CLASS: [u8; 256] = {
    let mut class = [PLAIN; 256];
    let mut byte = 0;
    while byte < 256 {
        class[byte] = match byte as u8 {
            // The ASCII characters `char::is_whitespace` accepts: U+0009-U+000D and the space.
            b'\t'..=b'\r' | b' ' => SPACE,
            b'"' | b'\'' => QUOTE,
            0x80.. => WIDE,
            _ => PLAIN,
        };
        byte += 1;
    }
    class
};

/// Whether the character at byte `at` of `text` is whitespace (`char::is_whitespace`), and its
/// length in bytes.
fn whitespace_at(text: &str, at: usize) -> (bool, usize) {
    match CLASS[usize::from(text.as_bytes()[at])] {
        WIDE => {
            let c = text[at..].chars().next().unwrap_or('x');
            (c.is_whitespace(), c.len_utf8())
        }
        class => (class == SPACE, 1),
    }
}

/// The first non-whitespace character at or after `from`; `text.len()` if there is none.
fn skip_space(text: &str, mut from: usize) -> usize {
    while from < text.len() {
        let (space, len) = whitespace_at(text, from);
        if !space {
            return from;
        }
        from += len;
    }
    text.len()
}

/// The end of the word starting at `from` (the first whitespace character after it, or
/// `text.len()`), and whether it holds a quote.
fn word_end(text: &str, mut from: usize) -> (usize, bool) {
    let bytes = text.as_bytes();
    let mut quoted = false;
    while let Some(&byte) = bytes.get(from) {
        match CLASS[usize::from(byte)] {
            PLAIN => from += 1,
            QUOTE => {
                quoted = true;
                from += 1;
            }
            SPACE => break,
            _ => match whitespace_at(text, from) {
                (true, _) => break,
                (false, len) => from += len,
            },
        }
    }
    (from, quoted)
}

/// Split like `shlex.split` does for pip's option lines: whitespace separates, quotes group.
fn tokenize(text: &str, from: usize) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut rest = from;
    while rest < text.len() {
        let start = skip_space(text, rest);
        if start == text.len() {
            break;
        }
        let (plain_end, quoted) = word_end(text, start);
        // Most tokens (every `--hash=...` of a lockfile) have no quotes: a slice, not a
        // char-by-char copy.
        if !quoted {
            tokens.push(Token {
                value: Cow::Borrowed(&text[start..plain_end]),
                span: start..plain_end,
            });
            rest = plain_end;
            continue;
        }
        let word = &text[start..];
        let mut value = String::new();
        let mut end = start;
        let mut quote = None;
        for (i, c) in word.char_indices() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => value.push(c),
                None if c == '"' || c == '\'' => quote = Some(c),
                None if c.is_whitespace() => break,
                None => value.push(c),
            }
            end = start + i + c.len_utf8();
        }
        tokens.push(Token {
            value: Cow::Owned(value),
            span: start..end,
        });
        rest = end;
    }
    tokens
}

/// The options pip accepts in a requirements file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Opt {
    Requirement,
    Constraint,
    Editable,
    IndexUrl,
    ExtraIndexUrl,
    FindLinks,
    NoIndex,
    Pre,
    OnlyBinary,
    NoBinary,
    PreferBinary,
    TrustedHost,
    RequireHashes,
    UseFeature,
    Hash,
}

impl Opt {
    fn lookup(name: &str) -> Option<Opt> {
        Some(match name {
            "-r" | "--requirement" => Opt::Requirement,
            "-c" | "--constraint" => Opt::Constraint,
            "-e" | "--editable" => Opt::Editable,
            "-i" | "--index-url" => Opt::IndexUrl,
            "--extra-index-url" => Opt::ExtraIndexUrl,
            "-f" | "--find-links" => Opt::FindLinks,
            "--no-index" => Opt::NoIndex,
            "--pre" => Opt::Pre,
            "--only-binary" => Opt::OnlyBinary,
            "--no-binary" => Opt::NoBinary,
            "--prefer-binary" => Opt::PreferBinary,
            "--trusted-host" => Opt::TrustedHost,
            "--require-hashes" => Opt::RequireHashes,
            "--use-feature" => Opt::UseFeature,
            "--hash" => Opt::Hash,
            _ => return None,
        })
    }

    fn takes_value(self) -> bool {
        !matches!(
            self,
            Opt::NoIndex | Opt::Pre | Opt::PreferBinary | Opt::RequireHashes
        )
    }
}

/// pip install options that are valid on a command line but not inside a requirements file.
const COMMAND_LINE_ONLY: &[&str] = &[
    "--upgrade",
    "-U",
    "--no-deps",
    "--user",
    "--target",
    "--prefix",
    "--root",
    "--force-reinstall",
    "--ignore-installed",
    "--no-build-isolation",
    "--config-settings",
    "--global-option",
    "--install-option",
];

/// An option split into its name and inline value (`--name=value`, `-rfile`).
fn split_option(token: &str) -> (&str, Option<(&str, usize)>) {
    if let Some(rest) = token.strip_prefix("--") {
        match rest.find('=') {
            Some(eq) => (&token[..eq + 2], Some((&token[eq + 3..], eq + 3))),
            None => (token, None),
        }
    } else if token.len() > 2 && token.is_char_boundary(2) {
        (&token[..2], Some((&token[2..], 2)))
    } else {
        (token, None)
    }
}

/// Removes `.` components so `./a/../b.in` style names stay readable in messages.
fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn has_url_scheme(text: &str) -> bool {
    text.contains("://") || text.starts_with("file:")
}

/// pip treats a requirement as a path or URL rather than a name when it has a scheme, a path
/// separator, a leading dot or an archive extension (pip's `_looks_like_path`: a bare word is a
/// name even where a directory of that name exists, so no line costs a `stat`).
fn looks_like_path_or_url(text: &str) -> bool {
    let head = text
        .split(|c: char| c.is_whitespace() || c == ';')
        .next()
        .unwrap_or("");
    // `name@https://example.invalid/...` is a named direct reference.
    if let Some(at) = head.find('@') {
        let name = &head[..at];
        if !name.is_empty()
            && name.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '[' | ']' | ',')
            })
        {
            return false;
        }
    }
    let head = head.split('[').next().unwrap_or(head);
    has_url_scheme(head)
        || head.starts_with(['.', '/', '~'])
        || head.contains(['/', '\\'])
        || [
            ".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar", ".tar.xz",
        ]
        .iter()
        .any(|ext| head.ends_with(ext))
}

impl Reader {
    fn file(
        &mut self,
        path: PathBuf,
        content: String,
        constraint: bool,
    ) -> Result<(), RequirementsError> {
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() && path != Path::new("-") => {
                parent.to_path_buf()
            }
            _ => PathBuf::from("."),
        };
        let canonical = fs_err::canonicalize(&path).unwrap_or_else(|_| path.clone());
        self.open.insert(canonical.clone());
        self.stack.push((canonical, path.clone()));
        self.out.files.push(path.clone());
        let abs_dir = std::path::absolute(&dir).unwrap_or_else(|_| dir.clone());
        let lines = LineIndex::new(&content);
        let source = Source {
            path: &path,
            dir,
            abs_dir,
            content: &content,
            lines,
            constraint,
        };
        for line in logical_lines(&content) {
            self.line(&source, &line)?;
        }
        if let Some((canonical, _)) = self.stack.pop() {
            self.open.remove(&canonical);
        }
        Ok(())
    }

    fn line(&mut self, src: &Source<'_>, line: &LogicalLine) -> Result<(), RequirementsError> {
        let text = line.text.as_str();
        let start = text.len() - text.trim_start().len();
        if text[start..].starts_with('-') {
            self.option_line(src, line, start)
        } else {
            self.requirement_line(src, line, start)
        }
    }

    fn option_line(
        &mut self,
        src: &Source<'_>,
        line: &LogicalLine,
        from: usize,
    ) -> Result<(), RequirementsError> {
        let tokens = tokenize(&line.text, from);
        let mut i = 0;
        while i < tokens.len() {
            let token = &tokens[i];
            let (name, inline) = split_option(&token.value);
            let name_span = token.span.start..token.span.start + name.len();
            let Some(opt) = Opt::lookup(name) else {
                return Err(unknown_option(src, line, name, name_span));
            };
            let (value, value_span) = if !opt.takes_value() {
                if let Some((_, at)) = inline {
                    return Err(RequirementsError::UnexpectedValue {
                        option: name.to_string(),
                        src: src.named(),
                        span: span(line, token.span.start + at..token.span.end),
                    });
                }
                (String::new(), name_span.clone())
            } else if let Some((value, at)) = inline {
                (value.to_string(), token.span.start + at..token.span.end)
            } else if let Some(next) = tokens.get(i + 1) {
                i += 1;
                (next.value.to_string(), next.span.clone())
            } else {
                return Err(RequirementsError::MissingValue {
                    option: name.to_string(),
                    src: src.named(),
                    span: span(line, name_span),
                });
            };
            i += 1;
            self.apply(src, line, opt, name, value, value_span)?;
        }
        Ok(())
    }

    fn apply(
        &mut self,
        src: &Source<'_>,
        line: &LogicalLine,
        opt: Opt,
        name: &str,
        value: String,
        value_span: Range<usize>,
    ) -> Result<(), RequirementsError> {
        let options = &mut self.out.options;
        match opt {
            Opt::Requirement | Opt::Constraint => {
                self.include(src, line, &value, value_span, opt == Opt::Constraint)?
            }
            Opt::Editable => self.editable(src, line, &value, value_span)?,
            Opt::IndexUrl => {
                options.index_url = Some(index_url(src, line, name, value, value_span)?)
            }
            Opt::ExtraIndexUrl => {
                let url = index_url(src, line, name, value, value_span)?;
                if !options.extra_index_urls.contains(&url) {
                    options.extra_index_urls.push(url);
                }
            }
            Opt::FindLinks => {
                // pip resolves a relative find-links path against the file when it exists there.
                let relative = src.dir.join(&value);
                let value = if !has_url_scheme(&value) && relative.exists() {
                    clean(&relative).display().to_string()
                } else {
                    value
                };
                if !options.find_links.contains(&value) {
                    options.find_links.push(value);
                }
            }
            Opt::NoIndex => options.no_index = true,
            Opt::Pre => options.pre = true,
            Opt::PreferBinary => options.prefer_binary = true,
            Opt::OnlyBinary | Opt::NoBinary => {
                let choice = binary_choice(src, line, name, &value, value_span)?;
                let target = if opt == Opt::OnlyBinary {
                    &mut options.only_binary
                } else {
                    &mut options.no_binary
                };
                target.update(choice);
            }
            Opt::TrustedHost => options.trusted_hosts.push(value),
            Opt::RequireHashes | Opt::UseFeature => {}
            Opt::Hash => {
                return Err(RequirementsError::MisplacedOption {
                    option: name.to_string(),
                    place: "on a line without a requirement",
                    src: src.named(),
                    span: span(line, value_span),
                    help: Some("put `--hash` after the requirement it checks".into()),
                });
            }
        }
        Ok(())
    }

    fn include(
        &mut self,
        src: &Source<'_>,
        line: &LogicalLine,
        value: &str,
        value_span: Range<usize>,
        constraint: bool,
    ) -> Result<(), RequirementsError> {
        if value.starts_with("http://") || value.starts_with("https://") {
            return Err(RequirementsError::RemoteInclude {
                url: value.to_string(),
                src: src.named(),
                span: span(line, value_span),
            });
        }
        let value = value.strip_prefix("file://").unwrap_or(value);
        let path = clean(&src.dir.join(value));
        let canonical = fs_err::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if self.open.contains(&canonical) {
            let at = self
                .stack
                .iter()
                .position(|(c, _)| *c == canonical)
                .unwrap_or(0);
            return Err(RequirementsError::IncludeCycle {
                chain: chain(&self.stack[at..], &path),
                src: src.named(),
                span: span(line, value_span),
            });
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return Err(RequirementsError::IncludeTooDeep {
                limit: MAX_INCLUDE_DEPTH,
                chain: chain(&self.stack, &path),
                src: src.named(),
                span: span(line, value_span),
            });
        }
        if self.out.files.len() >= MAX_INCLUDED_FILES {
            return Err(RequirementsError::TooManyIncludes {
                limit: MAX_INCLUDED_FILES,
                src: src.named(),
                span: span(line, value_span),
            });
        }
        let content =
            fsutil::read_input(&path).map_err(|source| RequirementsError::MissingInclude {
                path: path.clone(),
                source,
                src: src.named(),
                span: span(line, value_span.clone()),
            })?;
        let at = src.origin(line.file_span(value_span).start);
        self.out.included_from.push((path.clone(), at));
        self.file(path, content, constraint || src.constraint)
    }

    fn editable(
        &mut self,
        src: &Source<'_>,
        line: &LogicalLine,
        value: &str,
        value_span: Range<usize>,
    ) -> Result<(), RequirementsError> {
        if !looks_like_path_or_url(value) {
            return Err(RequirementsError::InvalidEditable {
                value: value.to_string(),
                src: src.named(),
                span: span(line, value_span),
            });
        }
        let spec = self.parse_spec(src, line, value, value_span.start, true)?;
        self.push(src, spec, true, Vec::new(), value_span.start, line);
        Ok(())
    }

    fn requirement_line(
        &mut self,
        src: &Source<'_>,
        line: &LogicalLine,
        start: usize,
    ) -> Result<(), RequirementsError> {
        let text = line.text.as_str();
        // pip's `break_args_options`: the requirement ends at the first word starting with `-`.
        let bytes = text.as_bytes();
        let options_at = (start + 1..bytes.len())
            .find(|&i| bytes[i] == b'-' && bytes[i - 1].is_ascii_whitespace())
            .unwrap_or(text.len());
        let requirement = text[start..options_at].trim_end();
        let spec = self.parse_spec(src, line, requirement, start, false)?;
        let tokens = tokenize(text, options_at);
        let mut hashes = Vec::with_capacity(tokens.len());
        let mut i = 0;
        while i < tokens.len() {
            let token = &tokens[i];
            let (name, inline) = split_option(&token.value);
            let name_span = token.span.start..token.span.start + name.len();
            match Opt::lookup(name) {
                Some(Opt::Hash) => {}
                Some(_) => {
                    return Err(RequirementsError::MisplacedOption {
                        option: name.to_string(),
                        place: "after a requirement",
                        src: src.named(),
                        span: span(line, name_span),
                        help: Some(format!("put `{name}` on a line of its own")),
                    });
                }
                None => return Err(unknown_option(src, line, name, name_span)),
            }
            let (value, value_span) = match inline {
                Some((value, at)) => (value, token.span.start + at..token.span.end),
                None => match tokens.get(i + 1) {
                    Some(next) => {
                        i += 1;
                        (next.value.as_ref(), next.span.clone())
                    }
                    None => {
                        return Err(RequirementsError::MissingValue {
                            option: name.to_string(),
                            src: src.named(),
                            span: span(line, name_span),
                        });
                    }
                },
            };
            i += 1;
            hashes.push(parse_hash(src, line, value, value_span)?);
        }
        self.push(src, spec, false, hashes, start, line);
        Ok(())
    }

    fn push(
        &mut self,
        src: &Source<'_>,
        spec: RequirementSpec,
        editable: bool,
        hashes: Vec<FileHash>,
        at: usize,
        line: &LogicalLine,
    ) {
        let entry = RequirementEntry {
            spec,
            editable,
            hashes,
            origin: src.origin(line.file_offset(at)),
        };
        if src.constraint {
            self.out.constraints.push(entry);
        } else {
            self.out.requirements.push(entry);
        }
    }

    fn parse_spec(
        &self,
        src: &Source<'_>,
        line: &LogicalLine,
        text: &str,
        at: usize,
        editable: bool,
    ) -> Result<RequirementSpec, RequirementsError> {
        let invalid = |message: String, start: usize, len: usize| {
            // pep508_rs reports spans in bytes; keep them on character boundaries of `text`.
            let byte = |mut at: usize| {
                at = at.min(text.len());
                while !text.is_char_boundary(at) {
                    at += 1;
                }
                at
            };
            let (start, end) = (byte(start), byte(start + len.max(1)));
            RequirementsError::InvalidRequirement {
                requirement: text.to_string(),
                message,
                src: src.named(),
                span: span(line, at + start..at + end.max(start)),
            }
        };
        let spec = if editable || looks_like_path_or_url(text) {
            match pep508::unnamed(text, &src.abs_dir) {
                Ok(unnamed) => RequirementSpec::Unnamed(unnamed),
                // A named requirement that merely looked like a path (`name @ ./x`).
                Err(err) => match pep508::requirement(text, &src.abs_dir) {
                    Ok(named) => RequirementSpec::Named(named),
                    Err(_) => return Err(invalid(err.message.to_string(), err.start, err.len)),
                },
            }
        } else {
            match pep508::requirement(text, &src.abs_dir) {
                Ok(named) => RequirementSpec::Named(named),
                Err(err) => return Err(invalid(err.message.to_string(), err.start, err.len)),
            }
        };
        let url = match &spec {
            RequirementSpec::Named(r) => match &r.version_or_url {
                Some(VersionOrUrl::Url(url)) => Some(url),
                _ => None,
            },
            RequirementSpec::Unnamed(r) => Some(&r.url),
        };
        let missing = url
            .filter(|u| u.scheme() == "file")
            .and_then(|u| u.to_file_path().ok().map(|path| (u, path)))
            .filter(|(_, path)| !path.exists());
        if let Some((url, path)) = missing {
            let given = url.given().unwrap_or(text);
            let offset = text.find(given).unwrap_or(0);
            return Err(RequirementsError::MissingPath {
                path: url.given().map_or(path, PathBuf::from),
                src: src.named(),
                span: span(line, at + offset..at + offset + given.len()),
            });
        }
        Ok(spec)
    }
}

/// The include chain `stack` then `last`, as `a.in` -> `b.in` -> ...: a long one shows its
/// first and last files.
fn chain(stack: &[(PathBuf, PathBuf)], last: &Path) -> String {
    let shown: Vec<String> = stack
        .iter()
        .map(|(_, shown)| shown.as_path())
        .chain([last])
        .map(|path| format!("`{}`", path.display()))
        .collect();
    if shown.len() <= 8 {
        return shown.join(" -> ");
    }
    format!(
        "{} -> ... ({} more) -> {}",
        shown[..3].join(" -> "),
        shown.len() - 6,
        shown[shown.len() - 3..].join(" -> ")
    )
}

fn span(line: &LogicalLine, range: Range<usize>) -> miette::SourceSpan {
    let file = line.file_span(range);
    (file.start, file.end - file.start).into()
}

fn unknown_option(
    src: &Source<'_>,
    line: &LogicalLine,
    name: &str,
    name_span: Range<usize>,
) -> RequirementsError {
    let help = if COMMAND_LINE_ONLY.contains(&name) {
        Some(format!(
            "`{name}` is a command-line option of pip; it cannot be used in a requirements file"
        ))
    } else {
        Some("requirements files accept -r, -c, -e, -i/--index-url, --extra-index-url, -f/--find-links, --no-index, --pre, --only-binary, --no-binary, --prefer-binary, --trusted-host and --hash".into())
    };
    RequirementsError::UnknownOption {
        option: name.to_string(),
        src: src.named(),
        span: span(line, name_span),
        help,
    }
}

fn index_url(
    src: &Source<'_>,
    line: &LogicalLine,
    name: &str,
    value: String,
    value_span: Range<usize>,
) -> Result<String, RequirementsError> {
    match url::Url::parse(&value) {
        Ok(url) if matches!(url.scheme(), "http" | "https" | "file") => Ok(value),
        Ok(url) => Err(RequirementsError::InvalidValue {
            option: name.to_string(),
            value: value.clone(),
            reason: format!("unsupported URL scheme `{}`", url.scheme()),
            src: src.named(),
            span: span(line, value_span),
        }),
        Err(err) => Err(RequirementsError::InvalidValue {
            option: name.to_string(),
            value: value.clone(),
            reason: format!("not a URL ({err})"),
            src: src.named(),
            span: span(line, value_span),
        }),
    }
}

fn binary_choice(
    src: &Source<'_>,
    line: &LogicalLine,
    name: &str,
    value: &str,
    value_span: Range<usize>,
) -> Result<BinaryChoice, RequirementsError> {
    match value {
        ":all:" => return Ok(BinaryChoice::All),
        ":none:" => return Ok(BinaryChoice::None),
        _ => {}
    }
    let mut names = Vec::new();
    for part in value.split(',').filter(|p| !p.is_empty()) {
        match PackageName::new(part.to_string()) {
            Ok(package) => names.push(package),
            Err(err) => {
                return Err(RequirementsError::InvalidValue {
                    option: name.to_string(),
                    value: value.to_string(),
                    reason: format!("expected `:all:`, `:none:` or package names: {err}"),
                    src: src.named(),
                    span: span(line, value_span),
                });
            }
        }
    }
    Ok(BinaryChoice::Packages(names))
}

fn parse_hash(
    src: &Source<'_>,
    line: &LogicalLine,
    value: &str,
    value_span: Range<usize>,
) -> Result<FileHash, RequirementsError> {
    let fail = |reason: String| RequirementsError::InvalidHash {
        value: value.to_string(),
        reason,
        src: src.named(),
        span: span(line, value_span.clone()),
    };
    let Some((algorithm, digest)) = value.split_once(':') else {
        return Err(fail("expected `algorithm:digest`".into()));
    };
    let Some(algorithm) = HashAlgorithm::parse(algorithm) else {
        return Err(fail(format!(
            "unsupported algorithm `{algorithm}` (use sha256, sha384 or sha512)"
        )));
    };
    // What lockfiles hold: lower-case already, so checked and copied in one pass each.
    if digest.len() == algorithm.hex_len()
        && digest
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Ok(FileHash {
            algorithm,
            digest: digest.to_string(),
        });
    }
    if digest.len() != algorithm.hex_len() || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(fail(format!(
            "a {algorithm} digest is {} hex digits, this one has {}",
            algorithm.hex_len(),
            digest.len()
        )));
    }
    Ok(FileHash {
        algorithm,
        digest: digest.to_ascii_lowercase(),
    })
}
