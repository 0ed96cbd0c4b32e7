//! The one door to pep508_rs's requirement parsers, for text a person or an index wrote.
//!
//! pep508_rs 0.9 ends a package or extra name at the first character that cannot be part of
//! one, then `expect`s the name it collected to be valid: a name that ends in `-`, `.` or `_`
//! before another character (`flask.=2.0`, `a-[x]`, `a[x-]`) panics inside the parser. PEP 508
//! says a name ends with a letter or digit, so these are errors: [`requirement`] and [`unnamed`]
//! find them first, with the message and span pep508_rs gives when such a name ends the input,
//! and hand everything else to pep508_rs.
//!
//! pep508_rs 0.9 also counts characters where it means bytes in two places of its marker
//! parser. After each marker expression it looks at the next run of non-whitespace to see
//! whether it is `and` or `or`, slicing the input at the run's start plus its length in
//! *characters* (`Cursor::peek_while`, then `Cursor::slice`): a run with a multi-byte character
//! that ends off a character boundary panics (`python_version<"3.9"ýýý`, issue 13).
//! [`check_marker`] follows its marker grammar to those points and reports the run as the
//! error pep508_rs would have given had it compared the run. And the error for a character
//! after a complete marker spans the rest of the input in characters, which [`fix_span`]
//! widens to a character boundary so that the error's own `Display` cannot panic either.

use std::path::Path;
use std::str::FromStr;

use pep508_rs::{
    Pep508Error, Pep508ErrorSource, Requirement, TracingReporter, UnnamedRequirement, VerbatimUrl,
};

/// A PEP 508 requirement (`name[extras] specifiers ; marker` or `name @ url`); relative paths
/// in a direct reference are taken from `working_dir`.
pub(crate) fn requirement(
    text: &str,
    working_dir: &Path,
) -> Result<Requirement<VerbatimUrl>, Pep508Error<VerbatimUrl>> {
    check_named(text).map_err(|bad| bad.error(text))?;
    Requirement::parse(text, absolute(working_dir)).map_err(fix_span)
}

/// pep508_rs asserts that the directory it resolves paths against is absolute (a
/// `git+file://` URL is taken as a path and panics on `pylock.toml`'s folder, ``).
fn absolute(dir: &Path) -> std::path::PathBuf {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// [`requirement`], for text with no directory to resolve paths against (core metadata, the
/// command line).
pub(crate) fn requirement_from_str(
    text: &str,
) -> Result<Requirement<VerbatimUrl>, Pep508Error<VerbatimUrl>> {
    check_named(text).map_err(|bad| bad.error(text))?;
    Requirement::from_str(text).map_err(fix_span)
}

/// A URL or path with optional extras and marker, without a name (pip's `./project[extra]`).
pub(crate) fn unnamed(
    text: &str,
    working_dir: &Path,
) -> Result<UnnamedRequirement<VerbatimUrl>, Pep508Error<VerbatimUrl>> {
    check_unnamed(text).map_err(|bad| bad.error(text))?;
    UnnamedRequirement::parse(text, absolute(working_dir), &mut TracingReporter).map_err(fix_span)
}

/// Widens an error's span to end on a character boundary (pep508_rs gives some lengths in
/// characters; its `Display` slices the input with them).
fn fix_span(mut err: Pep508Error<VerbatimUrl>) -> Pep508Error<VerbatimUrl> {
    let input = &err.input;
    if err.start > input.len() || !input.is_char_boundary(err.start) {
        return err;
    }
    let mut end = (err.start + err.len).min(input.len());
    while !input.is_char_boundary(end) {
        end += 1;
    }
    err.len = end - err.start;
    err
}

/// Input pep508_rs would panic on, found before the parser meets it.
#[derive(Debug, PartialEq, Eq)]
enum BadName {
    /// A name that ends in a separator.
    Separator {
        what: &'static str,
        /// The byte offset of the separator that ends it.
        at: usize,
        separator: char,
    },
    /// A run of non-whitespace with a multi-byte character after a marker expression, at
    /// bytes `at..end`.
    AfterMarker { at: usize, end: usize },
}

impl BadName {
    fn error(self, text: &str) -> Pep508Error<VerbatimUrl> {
        let (message, start, len) = match self {
            BadName::Separator {
                what,
                at,
                separator,
            } => (
                format!("{what} must end with an alphanumeric character, not '{separator}'"),
                at,
                separator.len_utf8(),
            ),
            BadName::AfterMarker { at, end } => (
                format!(
                    "Unexpected `{}` after a marker expression, expected 'and', 'or' or end of input",
                    &text[at..end]
                ),
                at,
                end - at,
            ),
        };
        Pep508Error {
            message: Pep508ErrorSource::String(message),
            start,
            len,
            input: text.to_string(),
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// The end of the run of name characters starting at `from`, and the separator it ends with,
/// if it does.
fn name_run(text: &str, from: usize) -> (usize, Option<(usize, char)>) {
    let end = text[from..]
        .find(|c| !is_name_char(c))
        .map_or(text.len(), |n| from + n);
    let last = text[from..end]
        .char_indices()
        .next_back()
        .filter(|(_, c)| matches!(c, '-' | '_' | '.'))
        .map(|(i, c)| (from + i, c));
    (end, last)
}

fn skip_whitespace(text: &str, from: usize) -> usize {
    text[from..]
        .find(|c: char| !c.is_whitespace())
        .map_or(text.len(), |n| from + n)
}

/// pep508_rs's `parse_pep508_requirement`: whitespace, a name, whitespace, then extras.
fn check_named(text: &str) -> Result<(), BadName> {
    let start = skip_whitespace(text, 0);
    if !text[start..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Ok(());
    }
    let (end, separator) = name_run(text, start);
    // At the end of the input pep508_rs reports it itself.
    if let (Some((at, separator)), true) = (separator, end < text.len()) {
        return Err(BadName::Separator {
            what: "Package name",
            at,
            separator,
        });
    }
    let mut at = skip_whitespace(text, end);
    if text[at..].starts_with('[') {
        check_extras(text, at + 1)?;
        // pep508_rs reports a missing `]` itself.
        let Some(close) = text[at..].find(']') else {
            return Ok(());
        };
        at = skip_whitespace(text, at + close + 1);
    }
    // A URL ends as in `check_unnamed`, then its marker is after whitespace and `;`; a version
    // specifier runs to the first `;` (a `;` inside parentheses is an error before markers).
    let semicolon = if text[at..].starts_with('@') {
        let end = skip_whitespace(text, url_end(text, skip_whitespace(text, at + 1)));
        text[end..].starts_with(';').then_some(end)
    } else {
        text[at..].find(';').map(|n| at + n)
    };
    match semicolon {
        Some(semicolon) => check_marker(text, semicolon + 1),
        None => Ok(()),
    }
}

/// pep508_rs's `parse_extras_cursor`, from just after `[`: each extra is a letter or digit,
/// then name characters; it stops checking where pep508_rs would report an error itself.
fn check_extras(text: &str, from: usize) -> Result<(), BadName> {
    let mut at = skip_whitespace(text, from);
    loop {
        if !text[at..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Ok(());
        }
        let (end, separator) = name_run(text, at);
        // pep508_rs reports any other character itself; at the end of the input it goes on to
        // make the name (and panics) before it reports the missing `]`.
        let next = text[end..].chars().next();
        if matches!(next, Some(c) if c != ',' && c != ']' && !c.is_whitespace()) {
            return Ok(());
        }
        if let Some((at, separator)) = separator {
            return Err(BadName::Separator {
                what: "Extra name",
                at,
                separator,
            });
        }
        at = skip_whitespace(text, end);
        match text[at..].chars().next() {
            Some(',') => at = skip_whitespace(text, at + 1),
            _ => return Ok(()),
        }
    }
}

/// pep508_rs's `parse_unnamed_url`: the URL runs to top-level whitespace that is followed by
/// `;`, `#` or the end, or to a top-level `;` or `#` followed by whitespace; extras are a
/// trailing `[...]` of it (`split_extras`).
fn check_unnamed(text: &str) -> Result<(), BadName> {
    let start = skip_whitespace(text, 0);
    let end = url_end(text, start);
    let after = skip_whitespace(text, end);
    if text[after..].starts_with(';') {
        check_marker(text, after + 1)?;
    }
    let url = &text[start..end];
    if !url.ends_with(']') {
        return Ok(());
    }
    let body = &url[..url.len() - 1];
    let open = body.rfind(['[', ']']);
    match open {
        Some(open) if body[open..].starts_with('[') => check_extras(text, start + open + 1),
        _ => Ok(()),
    }
}

/// pep508_rs's `parse_url` and `parse_unnamed_url`: the end of the URL starting at `start`.
fn url_end(text: &str, start: usize) -> usize {
    let mut end = start;
    let mut depth = 0u32;
    let mut chars = text[start..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '\r' | '\n') {
            break;
        }
        match c {
            '[' => depth = depth.saturating_add(1),
            ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        let after = start + i + c.len_utf8();
        if depth == 0 && c.is_whitespace() {
            let rest = skip_whitespace(text, after);
            if matches!(text[rest..].chars().next(), None | Some(';' | '#')) {
                break;
            }
        }
        end = after;
        let next_is_space = chars.peek().is_some_and(|(_, n)| n.is_whitespace());
        if depth == 0 && matches!(c, ';' | '#') && next_is_space {
            break;
        }
    }
    end
}

/// Follows pep508_rs's marker parser (`marker/parse.rs`) over the marker starting at byte
/// `from`, to each point where it looks for `and` or `or`; stops quietly where pep508_rs reports
/// an error itself.
fn check_marker(text: &str, from: usize) -> Result<(), BadName> {
    let mut marker = Marker { text, pos: from };
    match marker.or() {
        Err(MarkerStop::Panic(bad)) => Err(bad),
        Ok(()) | Err(MarkerStop::Error) => Ok(()),
    }
}

enum MarkerStop {
    /// pep508_rs returns an error of its own here.
    Error,
    /// pep508_rs would panic here.
    Panic(BadName),
}

struct Marker<'a> {
    text: &'a str,
    pos: usize,
}

impl Marker<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn whitespace(&mut self) {
        self.pos = skip_whitespace(self.text, self.pos);
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &str {
        let start = self.pos;
        self.pos = self.text[start..]
            .find(|c| !keep(c))
            .map_or(self.text.len(), |n| start + n);
        &self.text[start..self.pos]
    }

    fn expect(&mut self, expected: char) -> Result<(), MarkerStop> {
        if self.peek() != Some(expected) {
            return Err(MarkerStop::Error);
        }
        self.pos += expected.len_utf8();
        Ok(())
    }

    /// `marker_or` and `marker_and` (`parse_marker_op`).
    fn op(
        &mut self,
        op: &str,
        inner: fn(&mut Self) -> Result<(), MarkerStop>,
    ) -> Result<(), MarkerStop> {
        inner(self)?;
        loop {
            self.whitespace();
            let at = self.pos;
            let run = &self.text[at..];
            let run = &run[..run.find(char::is_whitespace).unwrap_or(run.len())];
            // `peek_while` counts characters, `slice` takes them as bytes.
            let chars = run.chars().count();
            if !self.text.is_char_boundary(at + chars) {
                return Err(MarkerStop::Panic(BadName::AfterMarker {
                    at,
                    end: at + run.len(),
                }));
            }
            if run != op {
                return Ok(());
            }
            self.pos += run.len();
            inner(self)?;
        }
    }

    fn or(&mut self) -> Result<(), MarkerStop> {
        self.op("or", Self::and)
    }

    fn and(&mut self) -> Result<(), MarkerStop> {
        self.op("and", Self::expr)
    }

    /// `parse_marker_expr`: a parenthesised marker or `value op value`.
    fn expr(&mut self) -> Result<(), MarkerStop> {
        self.whitespace();
        if self.peek() == Some('(') {
            self.pos += 1;
            self.or()?;
            return self.expect(')');
        }
        self.value()?;
        self.whitespace();
        self.operator()?;
        self.whitespace();
        self.value()
    }

    /// `parse_marker_value`: a quoted string or a marker name.
    fn value(&mut self) -> Result<(), MarkerStop> {
        match self.peek() {
            None => Err(MarkerStop::Error),
            Some(quote @ ('"' | '\'')) => {
                self.pos += 1;
                self.take_while(|c| c != quote);
                self.expect(quote)
            }
            Some(_) => {
                let key = self.take_while(|c| {
                    !c.is_whitespace() && !['>', '=', '<', '!', '~', ')'].contains(&c)
                });
                let known = [
                    "implementation_name",
                    "implementation_version",
                    "os_name",
                    "os.name",
                    "platform_machine",
                    "platform.machine",
                    "platform_python_implementation",
                    "platform.python_implementation",
                    "python_implementation",
                    "platform_release",
                    "platform_system",
                    "platform_version",
                    "platform.version",
                    "python_full_version",
                    "python_version",
                    "sys_platform",
                    "sys.platform",
                    "extra",
                ];
                if known.contains(&key) {
                    Ok(())
                } else {
                    Err(MarkerStop::Error)
                }
            }
        }
    }

    /// `parse_marker_operator`.
    fn operator(&mut self) -> Result<(), MarkerStop> {
        let operator = if self.peek().is_some_and(char::is_alphabetic) {
            self.take_while(|c| !c.is_whitespace() && c != '\'' && c != '"')
        } else {
            self.take_while(|c| matches!(c, '<' | '=' | '>' | '~' | '!'))
        };
        match operator {
            "==" | "!=" | ">" | ">=" | "<" | "<=" | "~=" | "in" => Ok(()),
            "not" => {
                if !self.peek().is_some_and(char::is_whitespace) {
                    return Err(MarkerStop::Error);
                }
                self.whitespace();
                self.expect('i')?;
                self.expect('n')
            }
            _ => Err(MarkerStop::Error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(text: &str) -> String {
        match requirement(text, Path::new("/")) {
            Ok(r) => format!("ok: {r}"),
            Err(err) => format!("{} at {}+{}", err.message, err.start, err.len),
        }
    }

    fn bare(text: &str) -> String {
        match unnamed(text, Path::new("/")) {
            Ok(r) => format!("ok: {r}"),
            Err(err) => format!("{} at {}+{}", err.message, err.start, err.len),
        }
    }

    /// Each of these panicked inside pep508_rs 0.9 (issue 13).
    #[test]
    fn names_ending_in_a_separator_are_errors_not_panics() {
        assert_eq!(
            named("flask.=2.0"),
            "Package name must end with an alphanumeric character, not '.' at 5+1"
        );
        assert_eq!(
            named("a-[x]"),
            "Package name must end with an alphanumeric character, not '-' at 1+1"
        );
        assert_eq!(
            named("  a_ ; python_version > '3'"),
            "Package name must end with an alphanumeric character, not '_' at 3+1"
        );
        assert_eq!(
            named("a [x, y-] >= 1"),
            "Extra name must end with an alphanumeric character, not '-' at 7+1"
        );
        // Found by the fuzzer: an extra that ends the input, with no `]`.
        assert_eq!(
            named("requests[secur-i--dxtra-index-uri-i-"),
            "Extra name must end with an alphanumeric character, not '-' at 35+1"
        );
        assert_eq!(
            named("a[x_]"),
            "Extra name must end with an alphanumeric character, not '_' at 3+1"
        );
        assert_eq!(
            bare("./project[dev.]"),
            "Extra name must end with an alphanumeric character, not '.' at 13+1"
        );
        assert_eq!(
            bare("./project[a,b-] ; python_version > '3'"),
            "Extra name must end with an alphanumeric character, not '-' at 13+1"
        );
    }

    #[test]
    fn valid_requirements_pass_through() {
        assert_eq!(named("a.b-c_d[x-y] >=1"), "ok: a-b-c-d[x-y]>=1");
        assert_eq!(named("a ; extra == 'x-'"), "ok: a ; extra == 'x-'");
        assert!(named("flask.").contains("must end with an alphanumeric"));
        assert!(bare("./project[dev]").starts_with("ok: "));
        assert!(bare("https://example.invalid/a[b-]/x.whl").starts_with("ok: "));
    }

    /// pep508_rs counted characters as bytes after a marker expression and panicked (issue 13).
    #[test]
    fn multi_byte_characters_after_a_marker_are_errors_not_panics() {
        let expected =
            "Unexpected `ýýý` after a marker expression, expected 'and', 'or' or end of input";
        assert_eq!(
            named("b[c]>=1; python_version<\"3.9\"ýýý"),
            format!("{expected} at 29+6")
        );
        assert_eq!(
            named(
                "b @ https://example.invalid/b.whl ; python_version<'3.9' and (os_name == 'nt' ýý)"
            ),
            "Unexpected `ýý)` after a marker expression, expected 'and', 'or' or end of input at 78+5"
        );
        assert_eq!(
            named("b ; extra == 'x' or extra == 'y'  aé"),
            "Unexpected `aé` after a marker expression, expected 'and', 'or' or end of input at 34+3"
        );
        assert_eq!(
            bare("./b ; python_version > '3' ýýý"),
            format!("{expected} at 27+6")
        );
        // Where the slice lands on a boundary pep508_rs reports the character itself; its span
        // (counted in characters) is widened to a boundary.
        let err = requirement_from_str("b ; python_version > '3' éa").unwrap_err();
        assert_eq!((err.start, err.len), (25, 2));
        assert!(err.to_string().contains("Unexpected character 'é'"));
    }

    #[test]
    fn multi_byte_characters_inside_markers_pass_through() {
        assert_eq!(named("b ; extra == 'ý'"), "ok: b ; extra == 'ý'");
        assert!(named("b ; os_name == 'ýý' and python_version > '3'").starts_with("ok: "));
        // Errors pep508_rs reports before it gets to the next run are its own.
        assert!(named("b ; ý == 'x' ýý").starts_with("Expected a quoted string"));
        assert!(named("b ; python_version < '3ýýý").contains("Expected '''"));
        // `ý)` is two characters; the first two bytes are `ý`, which pep508_rs reports.
        assert!(named("b ; (os_name == 'nt' ý)").starts_with("Expected `)`, found `ý`"));
        assert!(bare("https://example.invalid/ý.whl ; python_version > '3'").starts_with("ok: "));
    }
}
