//! Logical lines of a requirements file, the way pip's `req_file.preprocess` makes them:
//! `\` continuations joined, comments stripped, `${VAR}` expanded. Each logical line keeps a map
//! back to byte offsets of the file so that diagnostics underline what the user wrote.

use std::ops::Range;

/// One logical line with the map from its offsets to offsets in the file.
#[derive(Debug)]
pub(crate) struct LogicalLine {
    pub(crate) text: String,
    /// The file offset of every byte of `text` (requirement lines are short).
    offsets: Vec<usize>,
    /// The file offset just past the line's last byte.
    end: usize,
}

impl LogicalLine {
    /// The byte offset in the file of byte `offset` of the logical line.
    pub(crate) fn file_offset(&self, offset: usize) -> usize {
        self.offsets.get(offset).copied().unwrap_or(self.end)
    }

    /// A span of the logical line as a byte range of the file.
    pub(crate) fn file_span(&self, range: Range<usize>) -> Range<usize> {
        let start = self.file_offset(range.start);
        if range.end <= range.start {
            return start..start;
        }
        let end = self.offsets.get(range.end - 1).map_or(self.end, |&o| o + 1);
        start..end.max(start)
    }
}

/// pip's COMMENT_RE is `(^|\s+)#.*$`: a `#` starts a comment only at the start of a line or after
/// whitespace, so `url#egg=name` keeps its fragment.
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    (0..bytes.len()).find(|&i| bytes[i] == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()))
}

fn is_comment_line(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Split `content` into logical lines, as pip's `join_lines`, `ignore_comments` and
/// `expand_env_variables` do.
pub(crate) fn logical_lines(content: &str) -> Vec<LogicalLine> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut offsets = Vec::new();
    let mut offset = 0;
    for raw in content.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let comment = is_comment_line(line);
        if line.ends_with('\\') && !comment {
            // pip strips backslashes from both ends of a continued line.
            let leading = line.len() - line.trim_start_matches('\\').len();
            let body = line.trim_matches('\\');
            offsets.extend((0..body.len()).map(|i| start + leading + i));
            text.push_str(body);
            continue;
        }
        if !comment {
            offsets.extend((0..line.len()).map(|i| start + i));
            text.push_str(line);
        }
        let end = start + line.len();
        out.extend(finish(
            std::mem::take(&mut text),
            std::mem::take(&mut offsets),
            end,
        ));
    }
    out.extend(finish(text, offsets, offset));
    out
}

fn finish(mut text: String, mut offsets: Vec<usize>, end: usize) -> Option<LogicalLine> {
    if let Some(cut) = comment_start(&text) {
        text.truncate(cut);
    }
    text.truncate(text.trim_end().len());
    if text.trim().is_empty() {
        return None;
    }
    offsets.truncate(text.len());
    let end = offsets.last().map_or(end, |&o| o + 1);
    Some(expand_env_vars(LogicalLine { text, offsets, end }))
}

/// pip expands `${NAME}` where NAME is upper-case letters, digits and `_`; unset ones stay as they
/// are. Expanded text maps to the `$` that introduced it.
fn expand_env_vars(line: LogicalLine) -> LogicalLine {
    if !line.text.contains("${") {
        return line;
    }
    let src = line.text.as_str();
    let mut text = String::with_capacity(src.len());
    let mut offsets = Vec::with_capacity(src.len());
    let copy = |text: &mut String, offsets: &mut Vec<usize>, range: Range<usize>| {
        text.push_str(&src[range.clone()]);
        offsets.extend_from_slice(&line.offsets[range]);
    };
    let (mut rest, mut search) = (0, 0);
    while let Some(found) = src[search..].find("${") {
        let open = search + found;
        let Some(close) = src[open + 2..].find('}').map(|c| open + 2 + c) else {
            break;
        };
        let name = &src[open + 2..close];
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        match valid.then(|| std::env::var(name).ok()).flatten() {
            Some(value) => {
                copy(&mut text, &mut offsets, rest..open);
                text.push_str(&value);
                offsets.extend(std::iter::repeat_n(line.offsets[open], value.len()));
                rest = close + 1;
                search = rest;
            }
            None => search = open + 2,
        }
    }
    copy(&mut text, &mut offsets, rest..src.len());
    LogicalLine {
        text,
        offsets,
        end: line.end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(content: &str) -> Vec<String> {
        logical_lines(content).into_iter().map(|l| l.text).collect()
    }

    #[test]
    fn joins_continuations_and_strips_comments() {
        let content = "# top\nrequests>=2 \\\n    --hash=sha256:aa  # trailing\n\nurl#egg=x\n";
        assert_eq!(
            texts(content),
            ["requests>=2     --hash=sha256:aa", "url#egg=x"]
        );
    }

    #[test]
    fn comment_line_ends_continuation() {
        assert_eq!(texts("a \\\n# note\nb\n"), ["a", "b"]);
    }

    #[test]
    fn offsets_map_across_continuations() {
        let content = "x \\\n  yz\n";
        let line = &logical_lines(content)[0];
        let y = line.text.find('y').unwrap();
        assert_eq!(&content[line.file_offset(y)..][..1], "y");
    }

    #[test]
    fn expands_set_variables_only() {
        // SAFETY: tests in this module do not read this variable concurrently.
        unsafe { std::env::set_var("PINION_TEST_TOKEN", "s3cret") };
        let content =
            "-i http://u:${PINION_TEST_TOKEN}@127.0.0.1/simple ${UNSET_PINION_X} \\\n z\n";
        let line = &logical_lines(content)[0];
        assert_eq!(
            line.text,
            "-i http://u:s3cret@127.0.0.1/simple ${UNSET_PINION_X}  z"
        );
        let z = line.text.rfind('z').unwrap();
        assert_eq!(&content[line.file_offset(z)..][..1], "z");
        let unset = line.text.find("${UNSET").unwrap();
        assert_eq!(&content[line.file_offset(unset)..][..8], "${UNSET_");
    }
}
