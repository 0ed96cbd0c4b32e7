//! What an error looks like to a person: [`Windowed`] wraps the error `main.rs` renders, so a
//! diagnostic on a very long line shows a window of that line around what it points at.
//!
//! miette pads the underline of a label to the label's column with a format width, and a
//! format width above 65,535 panics: any label at column 65,536 or beyond (one long line of a
//! generated requirements file) crashed pinion while it reported an error. A window also reads
//! better than a 70,000-column line.

use std::fmt;

use miette::{
    Diagnostic, LabeledSpan, MietteError, MietteSpanContents, Severity, SourceCode, SourceSpan,
    SpanContents,
};

/// Lines longer than this (in bytes) are shown as a window around the label.
const LONG_LINE: usize = 400;
/// How much of a long line is shown before the label.
const BEFORE: usize = 60;
/// The most of a long line shown in all.
const WINDOW: usize = 160;

/// An error whose source code is read through a window on long lines; everything else is the
/// error's own.
pub(crate) struct Windowed<E> {
    inner: E,
    /// Set when a label sits on a long line: says which part of the line is shown.
    note: Option<String>,
}

impl<E: Diagnostic> Windowed<E> {
    pub(crate) fn new(inner: E) -> Self {
        let note = inner
            .source_code()
            .and_then(|source| whole(source).ok())
            .and_then(|text| {
                inner
                    .labels()
                    .into_iter()
                    .flatten()
                    .find_map(|label| shortened(text, label.inner()))
            });
        Self { inner, note }
    }
}

/// The note for a label on a long line.
fn shortened(text: &[u8], span: &SourceSpan) -> Option<String> {
    let offset = span.offset().min(text.len());
    let (start, end) = line_around(text, offset);
    if end - start <= LONG_LINE {
        return None;
    }
    let line = text[..start].iter().filter(|&&b| b == b'\n').count() + 1;
    let (from, to) = window(text, start, end, offset, span.len());
    let column = |at: usize| String::from_utf8_lossy(&text[start..at]).chars().count() + 1;
    Some(format!(
        "line {line} is {} characters long: columns {} to {} are shown",
        String::from_utf8_lossy(&text[start..end]).chars().count(),
        column(from),
        column(to) - 1,
    ))
}

/// The whole source, as one slice with the source's lifetime.
fn whole(source: &dyn SourceCode) -> Result<&[u8], MietteError> {
    // An empty span at 0 with every line after it is the whole text.
    Ok(source.read_span(&(0, 0).into(), 0, usize::MAX)?.data())
}

/// The line holding byte `offset`: its start and its end (before the line break).
fn line_around(text: &[u8], offset: usize) -> (usize, usize) {
    let start = text[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = text[offset..]
        .iter()
        .position(|&b| matches!(b, b'\n' | b'\r'))
        .map_or(text.len(), |i| offset + i);
    (start, end)
}

/// The part of the line `start..end` to show for a span at `offset`: from a little before it,
/// at most [`WINDOW`] bytes, on character boundaries.
fn window(text: &[u8], start: usize, end: usize, offset: usize, len: usize) -> (usize, usize) {
    let boundary = |mut at: usize| {
        while at < text.len() && (text[at] & 0b1100_0000) == 0b1000_0000 {
            at += 1;
        }
        at
    };
    let from = boundary(offset.saturating_sub(BEFORE).max(start));
    let wanted = (offset + len.max(1) + BEFORE).max(from);
    let to = boundary(wanted.min(from + WINDOW).min(end));
    (from, to.max(from))
}

impl<E: Diagnostic + Send + Sync> SourceCode for Windowed<E> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let source = self.inner.source_code().ok_or(MietteError::OutOfBounds)?;
        let contents = source.read_span(span, context_lines_before, context_lines_after)?;
        let text = whole(source)?;
        let offset = span.offset().min(text.len());
        let (start, end) = line_around(text, offset);
        let long = |data: &[u8]| data.split(|&b| b == b'\n').any(|l| l.len() > LONG_LINE);
        if end - start <= LONG_LINE && !long(contents.data()) {
            return Ok(contents);
        }
        // Only the label's own line, and only a window of it: labels are placed by byte
        // offset, so the window is a slice of the text at its own offset.
        let (from, to) = window(text, start, end, offset, span.len());
        let line = text[..start].iter().filter(|&&b| b == b'\n').count();
        Ok(Box::new(MietteSpanContents::new_named(
            contents.name().unwrap_or_default().to_string(),
            &text[from..to],
            (from, to - from).into(),
            line,
            // Where the span starts, as miette counts columns (in bytes): the header's
            // `file:line:column` names it.
            offset - start,
            line + 1,
        )))
    }
}

impl<E: fmt::Debug> fmt::Debug for Windowed<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl<E: fmt::Display> fmt::Display for Windowed<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl<E: std::error::Error> std::error::Error for Windowed<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source()
    }
}

impl<E: Diagnostic + Send + Sync> Diagnostic for Windowed<E> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.inner.code()
    }

    fn severity(&self) -> Option<Severity> {
        self.inner.severity()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match (self.inner.help(), &self.note) {
            (Some(help), Some(note)) => Some(Box::new(format!("{help}\n{note}"))),
            (None, Some(note)) => Some(Box::new(note)),
            (help, None) => help,
        }
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.inner.url()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.inner.source_code().map(|_| self as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.inner.labels()
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        self.inner.related()
    }

    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        self.inner.diagnostic_source()
    }
}

#[cfg(test)]
mod tests {
    use miette::{GraphicalReportHandler, GraphicalTheme, NamedSource};

    use super::*;

    #[derive(Debug, thiserror::Error, Diagnostic)]
    #[error("bad")]
    struct Bad {
        #[source_code]
        src: NamedSource<String>,
        #[label("here")]
        span: SourceSpan,
    }

    fn render(text: String, offset: usize, len: usize) -> String {
        let bad = Windowed::new(Bad {
            src: NamedSource::new("r.in", text),
            span: (offset, len).into(),
        });
        let mut out = String::new();
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .render_report(&mut out, &bad)
            .unwrap();
        out
    }

    /// miette panicked ("Formatting argument out of range") on a label past column 65,535.
    #[test]
    fn labels_far_along_a_line_render_a_window() {
        let text = format!("first\n{}X{}\nlast\n", "a".repeat(70_000), "b".repeat(500));
        let at = text.find('X').unwrap();
        let out = render(text, at, 1);
        assert!(out.contains("[r.in:2:70001]"), "{out}");
        assert!(out.contains("aaaX"), "{out}");
        assert!(out.contains("columns 69941 to 70061 are shown"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() < 250), "{out}");
    }

    #[test]
    fn long_labels_and_multibyte_text_stay_in_bounds() {
        let text = "é".repeat(40_000);
        for (offset, len) in [(0, 80_000), (79_998, 2), (80_000, 0), (41, 70_000)] {
            let out = render(text.clone(), offset, len);
            assert!(out.contains("here") || out.contains("bad"), "{out}");
        }
    }

    #[test]
    fn short_lines_are_untouched() {
        let out = render("a\nb c\nd\n".into(), 4, 1);
        assert!(out.contains(" 1 │ a"), "{out}");
        assert!(!out.contains("shown"), "{out}");
    }
}
