//! Reading simple-API pages: PEP 691 JSON and PEP 503 HTML (with the attributes of PEP 592 yanks,
//! PEP 658/714 metadata and `data-requires-python`), and find-links pages, which are the same HTML.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tracing::trace;
use url::Url;

/// The `Accept` header of a project page request: JSON preferred, HTML understood (PEP 691).
pub(crate) const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

const JSON_CONTENT_TYPE: &str = "application/vnd.pypi.simple.v1+json";

/// One file as a page lists it: plain strings, before the name is checked against a project.
/// This is what the cache stores, so loading a page never parses HTML or JSON again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IndexFile {
    pub(crate) filename: String,
    /// Absolute, without the hash fragment.
    pub(crate) url: String,
    /// Lower-case hex.
    pub(crate) sha256: Option<String>,
    pub(crate) requires_python: Option<String>,
    /// PEP 592: `Some(reason)` when yanked; the reason may be empty.
    pub(crate) yanked: Option<String>,
    /// PEP 658/714: `Some(sha256)` when a `.metadata` file is served, with its hash if given.
    pub(crate) core_metadata: Option<Option<String>>,
    pub(crate) size: Option<u64>,
    /// PEP 700 `upload-time`, in microseconds since the Unix epoch (JSON pages only: HTML has
    /// no such attribute).
    pub(crate) upload_time: Option<i64>,
}

/// Reads a page in the format its `Content-Type` names. A page without a usable content type
/// (a misconfigured static server) is sniffed: JSON starts with `{`. The error says what was
/// wrong: JSON that does not parse, or an HTML page that is not HTML at all (a proxy's error
/// text, binary garbage), which would otherwise read as a project without files.
pub(crate) fn parse_page(
    content_type: Option<&str>,
    body: &[u8],
    base: &Url,
) -> Result<Vec<IndexFile>, String> {
    let media_type = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|ct| ct.trim().to_ascii_lowercase());
    let is_json = match media_type.as_deref() {
        Some(JSON_CONTENT_TYPE | "application/json") => true,
        Some(ct) if ct.contains("html") => false,
        _ => body.trim_ascii_start().starts_with(b"{"),
    };
    if is_json {
        return parse_json(body, base).map_err(|err| format!("invalid JSON: {err}"));
    }
    let text = String::from_utf8_lossy(body);
    // An empty page is an empty project; text without a single tag is no page of links.
    if !text.trim().is_empty() && !text.contains('<') {
        let start: String = text.trim().chars().take(60).collect();
        return Err(format!(
            "expected an HTML page of links, got text without markup (`{start}`)"
        ));
    }
    Ok(parse_html(&text, base))
}

/// `bool | string`, as PEP 691 `yanked` is.
#[derive(Deserialize)]
#[serde(untagged)]
enum BoolOrString {
    Bool(bool),
    String(String),
}

/// `bool | {hash name: digest}`, as PEP 691/714 `core-metadata` is.
#[derive(Deserialize)]
#[serde(untagged)]
enum BoolOrHashes {
    Bool(bool),
    Hashes(HashMap<String, String>),
}

impl BoolOrHashes {
    fn advertised(self) -> Option<Option<String>> {
        match self {
            Self::Bool(false) => None,
            Self::Bool(true) => Some(None),
            Self::Hashes(hashes) => Some(hashes.get("sha256").map(|h| h.to_ascii_lowercase())),
        }
    }
}

#[derive(Deserialize)]
struct JsonPage {
    files: Vec<JsonFile>,
}

#[derive(Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: HashMap<String, String>,
    #[serde(rename = "requires-python")]
    requires_python: Option<String>,
    yanked: Option<BoolOrString>,
    #[serde(rename = "core-metadata")]
    core_metadata: Option<BoolOrHashes>,
    /// The PEP 658 name, which PEP 714 replaced; older servers still send only this one.
    #[serde(rename = "dist-info-metadata")]
    dist_info_metadata: Option<BoolOrHashes>,
    size: Option<u64>,
    /// PEP 700: an ISO 8601 time such as `2024-03-01T12:34:56.123456Z`.
    #[serde(rename = "upload-time")]
    upload_time: Option<String>,
}

/// PEP 700's `upload-time` in microseconds; a value that does not parse is dropped (the file
/// then has no upload time, which a cooldown treats as too new).
fn upload_time(text: Option<&str>) -> Option<i64> {
    let text = text?;
    match text.parse::<jiff::Timestamp>() {
        Ok(time) => Some(time.as_microsecond()),
        Err(err) => {
            trace!("ignoring upload-time `{text}`: {err}");
            None
        }
    }
}

pub(crate) fn parse_json(body: &[u8], base: &Url) -> Result<Vec<IndexFile>, serde_json::Error> {
    let page: JsonPage = serde_json::from_slice(body)?;
    Ok(page
        .files
        .into_iter()
        .filter_map(|file| {
            let (url, fragment_hash) = if is_plain_absolute(&file.url) {
                (file.url, None)
            } else {
                let Ok(mut url) = base.join(&file.url) else {
                    trace!("skipping `{}`: invalid URL `{}`", file.filename, file.url);
                    return None;
                };
                let fragment_hash = take_fragment_hash(&mut url);
                (url.into(), fragment_hash)
            };
            Some(IndexFile {
                sha256: file
                    .hashes
                    .get("sha256")
                    .map(|h| h.to_ascii_lowercase())
                    .or(fragment_hash),
                filename: file.filename,
                url,
                requires_python: file.requires_python.filter(|r| !r.trim().is_empty()),
                yanked: match file.yanked {
                    None | Some(BoolOrString::Bool(false)) => None,
                    Some(BoolOrString::Bool(true)) => Some(String::new()),
                    Some(BoolOrString::String(reason)) => Some(reason),
                },
                core_metadata: file
                    .core_metadata
                    .or(file.dist_info_metadata)
                    .and_then(BoolOrHashes::advertised),
                size: file.size,
                upload_time: upload_time(file.upload_time.as_deref()),
            })
        })
        .collect())
}

/// Whether `url` is an absolute `https://` URL that parsing would leave exactly as written: a
/// lower-case host name without port or userinfo, and a path of unreserved characters and
/// percent escapes, without dot segments, query or fragment. A JSON page of a large project
/// lists thousands of these; parsing each (`Url::join`) was a tenth of a cold compile's CPU.
fn is_plain_absolute(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let Some((host, path)) = rest.split_once('/') else {
        return false;
    };
    // The last label starts with a letter: no IPv4 address, which parsing may rewrite.
    let host_ok = host
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.starts_with(|c: char| c.is_ascii_lowercase()))
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    let path_ok = path.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~' | b'%' | b'+')
    }) && !path.split('/').any(|segment| {
        segment == "." || segment == ".." || segment.contains("%2e") || segment.contains("%2E")
    }) && percent_escapes_ok(path);
    host_ok && path_ok
}

/// Every `%` starts an escape of two hex digits.
fn percent_escapes_ok(path: &str) -> bool {
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if i + 2 >= bytes.len()
                || !(bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit())
            {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// Removes the `#sha256=...` fragment (PEP 503) and returns the digest. Other fragments (`#md5=`,
/// `#egg=`) are dropped too: they are not part of the resource.
pub(super) fn take_fragment_hash(url: &mut Url) -> Option<String> {
    let hash = url
        .fragment()
        .and_then(|f| f.strip_prefix("sha256="))
        .map(|h| h.to_ascii_lowercase());
    url.set_fragment(None);
    hash
}

/// The PEP 658 attribute value: `true`, or `<hash name>=<digest>`.
fn html_core_metadata(value: Option<&str>) -> Option<Option<String>> {
    match value.map(str::trim) {
        None | Some("true") => Some(None),
        Some("false") => None,
        Some(value) => Some(
            value
                .strip_prefix("sha256=")
                .map(|digest| digest.to_ascii_lowercase()),
        ),
    }
}

/// The last path segment, percent-decoded: pip names a linked file by its URL, not its text.
fn url_filename(url: &Url) -> Option<String> {
    let last = url.path_segments()?.next_back()?;
    let name = percent_encoding::percent_decode_str(last)
        .decode_utf8()
        .ok()?
        .into_owned();
    (!name.is_empty()).then_some(name)
}

pub(crate) fn parse_html(body: &str, page_url: &Url) -> Vec<IndexFile> {
    let Ok(dom) = tl::parse(body, tl::ParserOptions::default()) else {
        return Vec::new();
    };
    let tags = || dom.nodes().iter().filter_map(tl::Node::as_tag);
    let unescape = |value: &str| html_escape::decode_html_entities(value).into_owned();
    // HTML: relative links resolve against the first <base href>, itself relative to the page.
    let base = tags()
        .find(|tag| tag.name().as_bytes().eq_ignore_ascii_case(b"base"))
        .and_then(|tag| tag.attributes().get("href").flatten())
        .and_then(|href| page_url.join(&unescape(&href.as_utf8_str())).ok())
        .unwrap_or_else(|| page_url.clone());
    let mut files = Vec::new();
    for tag in tags().filter(|tag| tag.name().as_bytes().eq_ignore_ascii_case(b"a")) {
        let mut href = None;
        let mut requires_python = None;
        let mut yanked = None;
        let mut core_metadata = None;
        let mut dist_info_metadata = None;
        for (key, value) in tag.attributes().iter() {
            let value = value.map(|v| unescape(&v));
            match key.to_ascii_lowercase().as_str() {
                "href" => href = value,
                "data-requires-python" => requires_python = value,
                "data-yanked" => yanked = Some(value.unwrap_or_default()),
                "data-core-metadata" => core_metadata = Some(value),
                "data-dist-info-metadata" => dist_info_metadata = Some(value),
                _ => {}
            }
        }
        let Some(href) = href else { continue };
        let Ok(mut url) = base.join(href.trim()) else {
            trace!("skipping link `{href}`: not a URL");
            continue;
        };
        let sha256 = take_fragment_hash(&mut url);
        let Some(filename) = url_filename(&url) else {
            continue;
        };
        files.push(IndexFile {
            filename,
            url: url.into(),
            sha256,
            requires_python: requires_python.filter(|r| !r.trim().is_empty()),
            yanked,
            core_metadata: core_metadata
                .or(dist_info_metadata)
                .and_then(|value| html_core_metadata(value.as_deref())),
            size: None,
            upload_time: None,
        });
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_url() -> Url {
        Url::parse("http://127.0.0.1:8000/simple/foo/").unwrap()
    }

    #[test]
    fn plain_absolute_urls_are_kept_as_parsing_would_write_them() {
        let base = page_url();
        for url in [
            "https://files.example.invalid/packages/ab/cd/foo-1.0-py3-none-any.whl",
            "https://files.example.invalid/p/foo-1.0%2Blocal.tar.gz",
            "https://files.example.invalid/p/a+b~c_d.whl",
        ] {
            assert!(is_plain_absolute(url), "{url}");
            assert_eq!(base.join(url).unwrap().as_str(), url);
        }
        for url in [
            "https://Files.example.invalid/p/foo.whl",
            "https://files.example.invalid:443/p/foo.whl",
            "https://user@files.example.invalid/p/foo.whl",
            "https://files.example.invalid/p/../foo.whl",
            "https://files.example.invalid/p/%2e%2e/foo.whl",
            "https://files.example.invalid/p/foo.whl#sha256=00",
            "https://files.example.invalid/p/foo bar.whl",
            "https://files.example.invalid/p/foo%zz.whl",
            "https://files.example.invalid/p/foo%2",
            "https://127.0.0.1/p/foo.whl",
            "http://files.example.invalid/p/foo.whl",
            "../../files/foo.whl",
        ] {
            assert!(!is_plain_absolute(url), "{url}");
        }
    }

    #[test]
    fn html_anchors_with_pep_503_592_658_attributes() {
        let html = r#"<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.1"></head><body>
<h1>Links for foo</h1>
<a href="../../files/foo-1.0-py3-none-any.whl#sha256=ABCDEF" data-requires-python="&gt;=3.8" data-core-metadata="sha256=1234">foo-1.0-py3-none-any.whl</a><br/>
<a href="/files/foo-1.0.tar.gz#md5=00" data-yanked="">foo-1.0.tar.gz</a>
<A HREF="https://example.invalid/foo-2.0%2Blocal-py3-none-any.whl" data-yanked="broken &amp; bad" data-dist-info-metadata="true">x</A>
<a href="foo-3.0.tar.gz" data-core-metadata="false">no metadata</a>
<a>no href</a>
</body></html>"#;
        let files = parse_html(html, &page_url());
        assert_eq!(files.len(), 4);
        assert_eq!(
            files[0],
            IndexFile {
                filename: "foo-1.0-py3-none-any.whl".into(),
                url: "http://127.0.0.1:8000/files/foo-1.0-py3-none-any.whl".into(),
                sha256: Some("abcdef".into()),
                requires_python: Some(">=3.8".into()),
                yanked: None,
                core_metadata: Some(Some("1234".into())),
                size: None,
                upload_time: None,
            }
        );
        assert_eq!(files[1].url, "http://127.0.0.1:8000/files/foo-1.0.tar.gz");
        assert_eq!(files[1].sha256, None);
        assert_eq!(files[1].yanked.as_deref(), Some(""));
        assert_eq!(files[1].core_metadata, None);
        assert_eq!(files[2].filename, "foo-2.0+local-py3-none-any.whl");
        assert_eq!(files[2].yanked.as_deref(), Some("broken & bad"));
        assert_eq!(files[2].core_metadata, Some(None));
        assert_eq!(
            files[3].url,
            "http://127.0.0.1:8000/simple/foo/foo-3.0.tar.gz"
        );
        assert_eq!(files[3].core_metadata, None);
    }

    #[test]
    fn html_base_href_is_honoured() {
        let html = r#"<html><head><base href="/mirror/pkgs/"></head>
<body><a href="foo-1.0.tar.gz">foo-1.0.tar.gz</a></body></html>"#;
        let files = parse_html(html, &page_url());
        assert_eq!(
            files[0].url,
            "http://127.0.0.1:8000/mirror/pkgs/foo-1.0.tar.gz"
        );
    }

    #[test]
    fn json_page_with_relative_urls_and_all_field_shapes() {
        let json = r#"{
  "meta": {"api-version": "1.1"}, "name": "foo", "versions": ["1.0", "2.0"],
  "files": [
    {"filename": "foo-1.0-py3-none-any.whl", "url": "../../files/foo-1.0-py3-none-any.whl",
     "hashes": {"sha256": "ABC", "md5": "x"}, "requires-python": ">=3.8",
     "core-metadata": {"sha256": "DEF"}, "size": 1234, "upload-time": "2024-01-01T00:00:00Z"},
    {"filename": "foo-1.0.tar.gz", "url": "https://example.invalid/foo-1.0.tar.gz#sha256=99",
     "hashes": {}, "yanked": "security issue", "dist-info-metadata": true,
     "requires-python": null},
    {"filename": "foo-2.0.tar.gz", "url": "foo-2.0.tar.gz", "hashes": {},
     "yanked": true, "core-metadata": false, "dist-info-metadata": true, "requires-python": ""},
    {"filename": "foo-3.0.tar.gz", "url": "foo-3.0.tar.gz", "hashes": {}, "yanked": false}
  ]
}"#;
        let files = parse_page(
            Some("application/vnd.pypi.simple.v1+json; charset=utf-8"),
            json.as_bytes(),
            &page_url(),
        )
        .unwrap();
        assert_eq!(
            files[0],
            IndexFile {
                filename: "foo-1.0-py3-none-any.whl".into(),
                url: "http://127.0.0.1:8000/files/foo-1.0-py3-none-any.whl".into(),
                sha256: Some("abc".into()),
                requires_python: Some(">=3.8".into()),
                yanked: None,
                core_metadata: Some(Some("def".into())),
                size: Some(1234),
                upload_time: Some(1_704_067_200_000_000),
            }
        );
        assert_eq!(files[1].url, "https://example.invalid/foo-1.0.tar.gz");
        assert_eq!(files[1].sha256.as_deref(), Some("99"));
        assert_eq!(files[1].yanked.as_deref(), Some("security issue"));
        assert_eq!(files[1].core_metadata, Some(None));
        assert_eq!(files[1].requires_python, None);
        // PEP 714: `core-metadata` wins over the old name when both are present.
        assert_eq!(files[2].core_metadata, None);
        assert_eq!(files[2].yanked.as_deref(), Some(""));
        assert_eq!(files[2].requires_python, None);
        assert_eq!(files[3].yanked, None);
        assert_eq!(files[1].upload_time, None);
    }

    #[test]
    fn upload_times_keep_their_fraction_and_offset_and_bad_ones_are_dropped() {
        assert_eq!(
            upload_time(Some("2024-03-01T12:00:00.5+01:00")),
            Some(1_709_290_800_500_000)
        );
        assert_eq!(upload_time(Some("yesterday")), None);
        assert_eq!(upload_time(None), None);
    }

    #[test]
    fn content_type_picks_the_parser_and_sniffing_covers_its_absence() {
        let html = br#"<a href="foo-1.0.tar.gz">x</a>"#;
        assert_eq!(
            parse_page(Some("text/html"), html, &page_url())
                .unwrap()
                .len(),
            1
        );
        assert_eq!(parse_page(None, html, &page_url()).unwrap().len(), 1);
        let json = br#" {"files": []}"#;
        assert!(parse_page(None, json, &page_url()).unwrap().is_empty());
        assert!(
            parse_page(
                Some("application/vnd.pypi.simple.v1+json"),
                html,
                &page_url()
            )
            .is_err()
        );
        let proxy_error = b"upstream connect error or disconnect/reset before headers";
        let err = parse_page(Some("text/html"), proxy_error, &page_url()).unwrap_err();
        assert!(err.contains("without markup"), "{err}");
        assert!(
            parse_page(Some("text/html"), b"", &page_url())
                .unwrap()
                .is_empty()
        );
    }
}
