//! Logical lines of a requirements file, the way pip's `req_file.preprocess` makes them:
//! `\` continuations joined, comments stripped, `${VAR}` expanded. Each logical line keeps a map
//! back to byte offsets of the file so that diagnostics underline what the user wrote.

use std::ops::Range;

/// One logical line with the map from its offsets to offsets in the file.
#[derive(Debug)]
pub(crate) struct LogicalLine {
    pub(crate) text: String,
    /// Where the bytes of `text` come from, by the pieces it was joined from, in order. A map
    /// per piece rather than per byte: a lockfile's hash lines are most of its bytes, and an
    /// offset per byte (eight bytes each) cost more than the rest of parsing them.
    pieces: Vec<Piece>,
    /// The file offset just past the line's last byte.
    end: usize,
}

/// A run of a logical line's bytes from one place in the file.
#[derive(Clone, Copy, Debug)]
struct Piece {
    /// Where the run starts in the logical line.
    text: usize,
    /// Where it starts in the file.
    file: usize,
    /// Copied from the file byte for byte; otherwise an expanded variable's value, every byte
    /// of which maps to the `$` that introduced it.
    copied: bool,
}

impl LogicalLine {
    /// The byte offset in the file of byte `offset` of the logical line.
    pub(crate) fn file_offset(&self, offset: usize) -> usize {
        if offset >= self.text.len() {
            return self.end;
        }
        // The last piece starting at or before `offset` (an empty piece before it shares its
        // start and comes first).
        let at = self.pieces.partition_point(|piece| piece.text <= offset);
        match at.checked_sub(1).map(|i| self.pieces[i]) {
            Some(piece) if piece.copied => piece.file + (offset - piece.text),
            Some(piece) => piece.file,
            None => self.end,
        }
    }

    /// A span of the logical line as a byte range of the file.
    pub(crate) fn file_span(&self, range: Range<usize>) -> Range<usize> {
        let start = self.file_offset(range.start);
        if range.end <= range.start {
            return start..start;
        }
        let end = if range.end - 1 < self.text.len() {
            self.file_offset(range.end - 1) + 1
        } else {
            self.end
        };
        start..end.max(start)
    }

    /// Append `range` of `source`'s text, keeping where its bytes come from.
    fn push_from(&mut self, source: &LogicalLine, range: Range<usize>) {
        let at = self.text.len();
        for (i, piece) in source.pieces.iter().enumerate() {
            let piece_end = source
                .pieces
                .get(i + 1)
                .map_or(source.text.len(), |next| next.text);
            let (from, to) = (piece.text.max(range.start), piece_end.min(range.end));
            if from >= to {
                continue;
            }
            self.pieces.push(Piece {
                text: at + (from - range.start),
                file: if piece.copied {
                    piece.file + (from - piece.text)
                } else {
                    piece.file
                },
                copied: piece.copied,
            });
        }
        self.text.push_str(&source.text[range]);
    }
}

/// pip's COMMENT_RE is `(^|\s+)#.*$`: a `#` starts a comment only at the start of a line or after
/// whitespace, so `url#egg=name` keeps its fragment.
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    // `match_indices` of a `char` jumps from `#` to `#` (memchr) rather than testing each byte.
    line.match_indices('#')
        .map(|(i, _)| i)
        .find(|&i| i == 0 || bytes[i - 1].is_ascii_whitespace())
}

fn is_comment_line(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Split `content` into logical lines, as pip's `join_lines`, `ignore_comments` and
/// `expand_env_variables` do.
pub(crate) fn logical_lines(content: &str) -> Vec<LogicalLine> {
    let mut out = Vec::new();
    // Reused from line to line; each logical line gets an exact copy (a hash-pinned release
    // is one logical line of a hundred physical ones: growing a fresh string for each
    // reallocated it a dozen times).
    let mut text = String::new();
    let mut pieces = Vec::new();
    let mut offset = 0;
    for raw in content.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let comment = is_comment_line(line);
        if line.ends_with('\\') && !comment {
            // pip strips backslashes from both ends of a continued line.
            let leading = line.len() - line.trim_start_matches('\\').len();
            add(
                &mut text,
                &mut pieces,
                line.trim_matches('\\'),
                start + leading,
            );
            continue;
        }
        if !comment {
            add(&mut text, &mut pieces, line, start);
        }
        let end = start + line.len();
        out.extend(finish(&text, &pieces, end));
        text.clear();
        pieces.clear();
    }
    out.extend(finish(&text, &pieces, offset));
    out
}

/// Append `body`, found at `file` in the file, to a logical line.
fn add(text: &mut String, pieces: &mut Vec<Piece>, body: &str, file: usize) {
    if !body.is_empty() {
        pieces.push(Piece {
            text: text.len(),
            file,
            copied: true,
        });
        text.push_str(body);
    }
}

fn finish(text: &str, pieces: &[Piece], end: usize) -> Option<LogicalLine> {
    let text = match comment_start(text) {
        Some(cut) => &text[..cut],
        None => text,
    }
    .trim_end();
    if text.trim_start().is_empty() {
        return None;
    }
    let kept = pieces.partition_point(|piece| piece.text < text.len());
    let mut line = LogicalLine {
        text: text.to_string(),
        pieces: pieces[..kept].to_vec(),
        end,
    };
    line.end = line.file_offset(line.text.len() - 1) + 1;
    Some(expand_env_vars(line))
}

/// pip expands `${NAME}` where NAME is upper-case letters, digits and `_`; unset ones stay as they
/// are. Expanded text maps to the `$` that introduced it.
fn expand_env_vars(line: LogicalLine) -> LogicalLine {
    if !line.text.contains("${") {
        return line;
    }
    let src = line.text.as_str();
    let mut out = LogicalLine {
        text: String::with_capacity(src.len()),
        pieces: Vec::with_capacity(line.pieces.len() + 2),
        end: line.end,
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
                out.push_from(&line, rest..open);
                if !value.is_empty() {
                    out.pieces.push(Piece {
                        text: out.text.len(),
                        file: line.file_offset(open),
                        copied: false,
                    });
                    out.text.push_str(&value);
                }
                rest = close + 1;
                search = rest;
            }
            None => search = open + 2,
        }
    }
    out.push_from(&line, rest..src.len());
    out
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
