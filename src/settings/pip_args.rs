//! `--pip-args`: pip-tools hands this string to pip. pinion is not pip, so it maps the pip
//! options it has an equivalent for, accepts those that change nothing for it (said with
//! `-v`), and refuses the rest by name rather than ignore them.

use std::path::PathBuf;

use super::SettingsError;

/// What a `--pip-args` string says, as pinion options.
#[derive(Debug, Clone, Default)]
pub(super) struct PipArgs {
    pub(super) index_url: Option<String>,
    pub(super) extra_index_urls: Vec<String>,
    pub(super) find_links: Vec<String>,
    pub(super) no_index: bool,
    pub(super) pre: bool,
    pub(super) only_binary: Vec<String>,
    pub(super) no_binary: Vec<String>,
    pub(super) constraints: Vec<PathBuf>,
    pub(super) cache_dir: Option<PathBuf>,
    pub(super) no_cache: bool,
    /// `--user` (pip-sync passes it to `pip install`).
    pub(super) user: bool,
}

/// pip options that take a value and that pinion maps.
const WITH_VALUE: &[&str] = &[
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--only-binary",
    "--no-binary",
    "-c",
    "--constraint",
    "--cache-dir",
];

/// pip options that change nothing for pinion: it retries, times out and reports on its own,
/// and always builds in isolation.
const NO_OP_WITH_VALUE: &[&str] = &[
    "--timeout",
    "--retries",
    "--progress-bar",
    "--root-user-action",
];
const NO_OP: &[&str] = &[
    "-q",
    "--quiet",
    "-v",
    "--verbose",
    "--disable-pip-version-check",
    "--no-input",
    "--no-build-isolation",
    "--use-pep517",
    "--no-color",
    "--isolated",
    "--require-hashes",
    "--no-warn-script-location",
    "--prefer-binary",
];

/// Parse `text` as pip would split it (shell words).
pub(super) fn parse(text: &str) -> Result<PipArgs, SettingsError> {
    let words = shlex::split(text).ok_or_else(|| SettingsError::PipArgs {
        value: text.to_string(),
        unsupported: Vec::new(),
        reason: "unbalanced quotes".to_string(),
    })?;
    let mut out = PipArgs::default();
    let mut unsupported = Vec::new();
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        // `--flag=value`, `-iURL`, or `--flag value`.
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ if word.len() > 2
                && !word.starts_with("--")
                && ["-i", "-f", "-c"].contains(&&word[..2]) =>
            {
                (word[..2].to_string(), Some(word[2..].to_string()))
            }
            _ => (word.clone(), None),
        };
        if WITH_VALUE.contains(&flag.as_str()) || NO_OP_WITH_VALUE.contains(&flag.as_str()) {
            let Some(value) = inline.or_else(|| words.next()) else {
                return Err(SettingsError::PipArgs {
                    value: text.to_string(),
                    unsupported: Vec::new(),
                    reason: format!("`{flag}` needs a value"),
                });
            };
            match flag.as_str() {
                "-i" | "--index-url" => out.index_url = Some(value),
                "--extra-index-url" => out.extra_index_urls.push(value),
                "-f" | "--find-links" => out.find_links.push(value),
                "--only-binary" => out.only_binary.push(value),
                "--no-binary" => out.no_binary.push(value),
                "-c" | "--constraint" => out.constraints.push(PathBuf::from(value)),
                "--cache-dir" => out.cache_dir = Some(PathBuf::from(value)),
                _ => tracing::info!("`--pip-args` `{flag}` changes nothing in pinion"),
            }
            continue;
        }
        match flag.as_str() {
            "--no-index" => out.no_index = true,
            "--pre" => out.pre = true,
            "--no-cache-dir" => out.no_cache = true,
            "--user" => out.user = true,
            _ if NO_OP.contains(&flag.as_str()) => {
                tracing::info!("`--pip-args` `{flag}` changes nothing in pinion");
            }
            // A value of an option refused before it is not named again.
            _ if !word.starts_with('-') && !unsupported.is_empty() => {}
            _ => unsupported.push(word),
        }
    }
    if !unsupported.is_empty() {
        return Err(SettingsError::PipArgs {
            value: text.to_string(),
            unsupported,
            reason: String::new(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_what_pinion_understands() {
        let args = parse(
            "-i http://127.0.0.1/simple --extra-index-url=http://127.0.0.1/x -f./wheels \
             --only-binary :all: --no-binary=foo --pre --retries 5 -q --no-cache-dir",
        )
        .unwrap();
        assert_eq!(args.index_url.as_deref(), Some("http://127.0.0.1/simple"));
        assert_eq!(args.extra_index_urls, ["http://127.0.0.1/x"]);
        assert_eq!(args.find_links, ["./wheels"]);
        assert_eq!(args.only_binary, [":all:"]);
        assert_eq!(args.no_binary, ["foo"]);
        assert!(args.pre && args.no_cache);
    }

    #[test]
    fn rejects_the_rest_by_name() {
        match parse("--no-deps --pre --upgrade-strategy eager") {
            Err(SettingsError::PipArgs { unsupported, .. }) => {
                assert_eq!(unsupported, ["--no-deps", "--upgrade-strategy"]);
            }
            other => panic!("{other:?}"),
        }
    }
}
