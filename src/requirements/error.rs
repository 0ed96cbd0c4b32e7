use std::path::PathBuf;

use miette::{Diagnostic, NamedSource, SourceSpan};

/// Why a requirements file could not be read. Every variant that points into a file carries the
/// file's text and the span to underline.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub(crate) enum RequirementsError {
    /// The top-level file could not be read.
    #[error("cannot read `{}`", path.display())]
    #[diagnostic(code(pinion::requirements::read))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A `-r`/`-c` include names a file that cannot be read.
    #[error("cannot read `{}`, included from `{}`", path.display(), src.name())]
    #[diagnostic(code(pinion::requirements::missing_include))]
    MissingInclude {
        path: PathBuf,
        #[source]
        source: std::io::Error,
        #[source_code]
        src: NamedSource<String>,
        #[label("included here")]
        span: SourceSpan,
    },

    /// A file includes itself, directly or through others.
    #[error("`-r`/`-c` includes form a cycle: {chain}")]
    #[diagnostic(
        code(pinion::requirements::include_cycle),
        help("remove one of the `-r`/`-c` lines that form the cycle")
    )]
    IncludeCycle {
        chain: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("this include closes the cycle")]
        span: SourceSpan,
    },

    /// Includes nest deeper than [`super::parse::MAX_INCLUDE_DEPTH`].
    #[error("`-r`/`-c` includes nest more than {limit} files deep: {chain}")]
    #[diagnostic(
        code(pinion::requirements::include_too_deep),
        help("include the files from fewer levels, e.g. several `-r` lines in one file")
    )]
    IncludeTooDeep {
        limit: usize,
        chain: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("one include too deep")]
        span: SourceSpan,
    },

    /// Includes read more files than [`super::parse::MAX_INCLUDED_FILES`].
    #[error("`-r`/`-c` includes read more than {limit} files, from `{}`", src.name())]
    #[diagnostic(
        code(pinion::requirements::too_many_includes),
        help("a file that includes the same file more than once reads it each time")
    )]
    TooManyIncludes {
        limit: usize,
        #[source_code]
        src: NamedSource<String>,
        #[label("one include too many")]
        span: SourceSpan,
    },

    /// An include names a URL; pinion reads local files only.
    #[error("remote includes are not supported: `{url}`")]
    #[diagnostic(
        code(pinion::requirements::remote_include),
        help("download the file and include it by path")
    )]
    RemoteInclude {
        url: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("a URL")]
        span: SourceSpan,
    },

    /// An option pip does not know in a requirements file.
    #[error("unknown option `{option}`")]
    #[diagnostic(code(pinion::requirements::unknown_option))]
    UnknownOption {
        option: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("not a requirements-file option")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    /// An option that takes a value was given none.
    #[error("option `{option}` needs a value")]
    #[diagnostic(code(pinion::requirements::missing_value))]
    MissingValue {
        option: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("expects a value after it")]
        span: SourceSpan,
    },

    /// A flag that takes no value was given one.
    #[error("option `{option}` takes no value")]
    #[diagnostic(code(pinion::requirements::unexpected_value))]
    UnexpectedValue {
        option: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("remove this value")]
        span: SourceSpan,
    },

    /// An option that belongs on its own line appeared after a requirement, or the reverse.
    #[error("option `{option}` is not allowed {place}")]
    #[diagnostic(code(pinion::requirements::misplaced_option))]
    MisplacedOption {
        option: String,
        place: &'static str,
        #[source_code]
        src: NamedSource<String>,
        #[label("here")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },

    /// A requirement that is not valid PEP 508 (bad name, specifier, marker or URL).
    #[error("invalid requirement `{requirement}`")]
    #[diagnostic(code(pinion::requirements::invalid_requirement))]
    InvalidRequirement {
        requirement: String,
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("{message}")]
        span: SourceSpan,
    },

    /// A `--hash` value that is not `algorithm:hexdigest`.
    #[error("invalid hash `{value}`")]
    #[diagnostic(
        code(pinion::requirements::invalid_hash),
        help("write hashes as `--hash=sha256:<64 hex digits>`")
    )]
    InvalidHash {
        value: String,
        reason: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("{reason}")]
        span: SourceSpan,
    },

    /// `-e` with something that is neither a local project nor a URL.
    #[error("`{value}` is not a valid editable requirement")]
    #[diagnostic(
        code(pinion::requirements::invalid_editable),
        help("an editable requirement is a path to a local project (`-e ./mylib`) or a URL")
    )]
    InvalidEditable {
        value: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("not a path or URL")]
        span: SourceSpan,
    },

    /// A local path requirement whose target does not exist.
    #[error("`{}` does not exist", path.display())]
    #[diagnostic(code(pinion::requirements::missing_path))]
    MissingPath {
        path: PathBuf,
        #[source_code]
        src: NamedSource<String>,
        #[label("looks like a path, but nothing is there")]
        span: SourceSpan,
    },

    /// An option value that is not acceptable (a bad URL, a bad package name).
    #[error("invalid value `{value}` for `{option}`")]
    #[diagnostic(code(pinion::requirements::invalid_value))]
    InvalidValue {
        option: String,
        value: String,
        reason: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("{reason}")]
        span: SourceSpan,
    },
}
