//! The one door to pep508_rs's requirement parsers, for text a person or an index wrote.
//!
//! pep508_rs 0.9 ends a package or extra name at the first character that cannot be part of
//! one, then `expect`s the name it collected to be valid: a name that ends in `-`, `.` or `_`
//! before another character (`flask.=2.0`, `a-[x]`, `a[x-]`) panics inside the parser. PEP 508
//! says a name ends with a letter or digit, so these are errors: [`requirement`] and [`unnamed`]
//! find them first, with the message and span pep508_rs gives when such a name ends the input,
//! and hand everything else to pep508_rs.

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
    Requirement::parse(text, working_dir)
}

/// [`requirement`], for text with no directory to resolve paths against (core metadata, the
/// command line).
pub(crate) fn requirement_from_str(
    text: &str,
) -> Result<Requirement<VerbatimUrl>, Pep508Error<VerbatimUrl>> {
    check_named(text).map_err(|bad| bad.error(text))?;
    Requirement::from_str(text)
}

/// A URL or path with optional extras and marker, without a name (pip's `./project[extra]`).
pub(crate) fn unnamed(
    text: &str,
    working_dir: &Path,
) -> Result<UnnamedRequirement<VerbatimUrl>, Pep508Error<VerbatimUrl>> {
    check_unnamed(text).map_err(|bad| bad.error(text))?;
    UnnamedRequirement::parse(text, working_dir, &mut TracingReporter)
}

/// A name that ends in a separator, found before the parser meets it.
#[derive(Debug, PartialEq, Eq)]
struct BadName {
    what: &'static str,
    /// The byte offset of the separator that ends it.
    at: usize,
    separator: char,
}

impl BadName {
    fn error(self, text: &str) -> Pep508Error<VerbatimUrl> {
        Pep508Error {
            message: Pep508ErrorSource::String(format!(
                "{} must end with an alphanumeric character, not '{}'",
                self.what, self.separator
            )),
            start: self.at,
            len: self.separator.len_utf8(),
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
        return Err(BadName {
            what: "Package name",
            at,
            separator,
        });
    }
    let bracket = skip_whitespace(text, end);
    if text[bracket..].starts_with('[') {
        check_extras(text, bracket + 1)?;
    }
    Ok(())
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
            return Err(BadName {
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
}
