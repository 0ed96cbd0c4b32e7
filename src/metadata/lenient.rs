//! Metadata values read as leniently as `packaging` and uv read them. Real releases carry
//! specifiers that PEP 440 rejects but every installer accepts: a trailing comma
//! (`>=3.7,`), spaces inside an operator or version, a wildcard on an ordering operator
//! (`>=3.6.*`), `=>` for `>=`, quotes around the value. Each fix below is one uv applies in
//! `uv-pypi-types/src/lenient_requirement.rs`; what still does not parse after them is an
//! error the caller turns into "this release cannot be used", never a failed run.

use std::str::FromStr;

use pep440_rs::VersionSpecifiers;
use pep508_rs::{Requirement, VerbatimUrl};

/// Parse Requires-Python (or any specifier list) strictly, then after the lenient fixes.
pub(crate) fn specifiers(text: &str) -> Result<VersionSpecifiers, String> {
    match VersionSpecifiers::from_str(text) {
        Ok(parsed) => Ok(parsed),
        Err(strict) => {
            let fixed = fix_specifiers(text);
            VersionSpecifiers::from_str(&fixed).map_err(|_| strict.to_string())
        }
    }
}

/// Parse a Requires-Dist value strictly, then with the specifier part fixed.
pub(crate) fn requirement(text: &str) -> Result<Requirement<VerbatimUrl>, String> {
    // Through pinion's own checks first: pep508_rs panics on some malformed names.
    match crate::pep508::requirement_from_str(text) {
        Ok(parsed) => Ok(parsed),
        Err(strict) => {
            let fixed = fix_requirement(text);
            crate::pep508::requirement_from_str(&fixed).map_err(|_| strict.message.to_string())
        }
    }
}

/// The specifier list with every known slip repaired.
fn fix_specifiers(text: &str) -> String {
    let text = text.trim().trim_matches(|c| c == '"' || c == '\'');
    let parts: Vec<String> = text
        .split(',')
        .map(fix_specifier)
        // `>=3.7,` and `>=2.7,,!=3.0.*`: empty clauses are dropped, as packaging's old
        // LegacySpecifier parsing (and uv) did.
        .filter(|part| !part.is_empty())
        .collect();
    parts.join(", ")
}

fn fix_specifier(part: &str) -> String {
    // `>= 3.6`, `> = 3.6`, `>=3.6 .0`: no whitespace means anything inside one clause.
    let mut clause: String = part
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\'' && *c != '"')
        .collect();
    for (wrong, right) in [("=>", ">="), ("=<", "<="), ("=!", "!=")] {
        if let Some(rest) = clause.strip_prefix(wrong) {
            clause = format!("{right}{rest}");
        }
    }
    // `>=1.0.*`, `<3.*`: a wildcard only means something after `==` and `!=`.
    let ordered = ["<=", ">=", "<", ">", "~="]
        .iter()
        .any(|op| clause.starts_with(op));
    if ordered && let Some(stripped) = clause.strip_suffix(".*") {
        clause = stripped.to_string();
    }
    // `!=3.0*` -> `!=3.0.*`.
    if clause.ends_with('*') && !clause.ends_with(".*") {
        clause.insert(clause.len() - 1, '.');
    }
    // `<4.0.0.` -> `<4.0.0`.
    while clause.ends_with('.') {
        clause.pop();
    }
    // A bare version (`2.7`) means `==2.7`, as setuptools read it.
    if clause.starts_with(|c: char| c.is_ascii_digit()) {
        clause.insert_str(0, "==");
    }
    clause
}

/// `name (>=1.0,)`, `name>=1.0.*`, `name >=1.0 ; marker`: the specifier part fixed, the name,
/// extras, URL and marker left as they were.
fn fix_requirement(text: &str) -> String {
    let (head, marker) = match text.split_once(';') {
        Some((head, marker)) => (head, Some(marker)),
        None => (text, None),
    };
    if head.contains('@') {
        return text.to_string();
    }
    let head = head.trim();
    let name_end = head
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(head.len());
    let (name, rest) = head.split_at(name_end);
    let rest = rest.trim_start();
    let (extras, rest) = match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((extras, rest)) => (format!("[{extras}]"), rest.trim()),
        None => (String::new(), rest),
    };
    let specifiers = rest
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim();
    let mut fixed = format!("{name}{extras}");
    if !specifiers.is_empty() {
        fixed.push_str(&fix_specifiers(specifiers));
    }
    if let Some(marker) = marker {
        fixed.push_str(" ;");
        fixed.push_str(marker);
    }
    fixed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_python_as_packaging_reads_it() {
        for (given, read) in [
            (">=3.7,", ">=3.7"),
            (">=2.7, !=3.0.*, !=3.1.*,", ">=2.7, !=3.0.*, !=3.1.*"),
            (">= 3.6", ">=3.6"),
            ("> = 3.6, < 4", ">=3.6, <4"),
            (">=3.6.*", ">=3.6"),
            ("=>3.6", ">=3.6"),
            ("!=3.0*", "!=3.0.*"),
            ("<4.0.0.", "<4.0.0"),
            ("'>=3.8'", ">=3.8"),
            ("2.7", "==2.7"),
        ] {
            let parsed = specifiers(given).unwrap_or_else(|e| panic!("{given}: {e}"));
            assert_eq!(parsed.to_string(), read, "{given}");
        }
        assert!(specifiers("python3").is_err());
    }

    #[test]
    fn requires_dist_as_packaging_reads_it() {
        for (given, read) in [
            ("foo (>=1.0,)", "foo>=1.0"),
            ("foo>=1.0.*", "foo>=1.0"),
            (
                "foo[bar] (>= 1.0) ; python_version < '3.8'",
                "foo[bar]>=1.0 ; python_full_version < '3.8'",
            ),
        ] {
            let parsed = requirement(given).unwrap_or_else(|e| panic!("{given}: {e}"));
            assert_eq!(parsed.to_string(), read, "{given}");
        }
        assert!(requirement("foo (>=>1)").is_err());
    }
}
