//! Reading simple-API pages: PEP 691 JSON and PEP 503 HTML (with the attributes of PEP 592 yanks,
//! PEP 658/714 metadata and `data-requires-python`), and find-links pages, which are the same HTML.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
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

/// A JSON string, borrowed from the page when it has no escapes (nearly always): a large
/// project's page lists thousands of files, and an owned `String` per field was most of the
/// allocations of a revalidating compile.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(Visit)
    }
}

/// PEP 691 `yanked`, `bool | string`: `Some(reason)` when yanked, the reason possibly empty.
struct Yanked<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Yanked<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Yanked<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean or a string")
            }
            fn visit_bool<E: de::Error>(self, yanked: bool) -> Result<Self::Value, E> {
                Ok(Yanked(yanked.then_some(Cow::Borrowed(""))))
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Yanked(Some(Cow::Borrowed(text))))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Yanked(Some(Cow::Owned(text.to_owned()))))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// PEP 691/714 `core-metadata`, `bool | {hash name: digest}`: `Some(sha256)` when a
/// `.metadata` file is served, with its digest if given. Read without building a map.
struct Advertised<'a>(Option<Option<Cow<'a, str>>>);

impl<'de: 'a, 'a> Deserialize<'de> for Advertised<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Advertised<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean or a map of hashes")
            }
            fn visit_bool<E: de::Error>(self, served: bool) -> Result<Self::Value, E> {
                Ok(Advertised(served.then_some(None)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut sha256 = None;
                while let Some((name, digest)) = map.next_entry::<Text<'de>, Text<'de>>()? {
                    if name.0 == "sha256" {
                        sha256 = Some(digest.0);
                    }
                }
                Ok(Advertised(Some(sha256)))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// PEP 691 `hashes`: only the sha256 is kept (pip and uv verify with it); other names are
/// skipped without allocating.
#[derive(Default, Deserialize)]
struct Hashes<'a> {
    #[serde(borrow)]
    sha256: Option<Text<'a>>,
}

/// A page's `files`, each made an [`IndexFile`] as soon as it is read, while its bytes are
/// still in the CPU's cache (a large project's page is megabytes; reading every file first and
/// converting them after read each twice from memory, and held them all at once).
struct Page<'u> {
    base: &'u Url,
}

impl<'de> Visitor<'de> for Page<'_> {
    type Value = Vec<IndexFile>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a PEP 691 project page")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut files = None;
        while let Some(key) = map.next_key::<Text<'de>>()? {
            if key.0 != "files" {
                map.next_value::<de::IgnoredAny>()?;
            } else if files.is_some() {
                return Err(de::Error::duplicate_field("files"));
            } else {
                files = Some(map.next_value_seed(Files { base: self.base })?);
            }
        }
        files.ok_or_else(|| de::Error::missing_field("files"))
    }
}

struct Files<'u> {
    base: &'u Url,
}

impl<'de> de::DeserializeSeed<'de> for Files<'_> {
    type Value = Vec<IndexFile>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Files<'_> {
    type Value = Vec<IndexFile>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of files")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut files = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(file) = seq.next_element::<JsonFile<'de>>()? {
            files.extend(json_file(file, self.base));
        }
        Ok(files)
    }
}

#[derive(Deserialize)]
struct JsonFile<'a> {
    #[serde(borrow)]
    filename: Text<'a>,
    #[serde(borrow)]
    url: Text<'a>,
    #[serde(default, borrow)]
    hashes: Hashes<'a>,
    #[serde(rename = "requires-python", borrow)]
    requires_python: Option<Text<'a>>,
    #[serde(borrow)]
    yanked: Option<Yanked<'a>>,
    #[serde(rename = "core-metadata", borrow)]
    core_metadata: Option<Advertised<'a>>,
    /// The PEP 658 name, which PEP 714 replaced; older servers still send only this one.
    #[serde(rename = "dist-info-metadata", borrow)]
    dist_info_metadata: Option<Advertised<'a>>,
    size: Option<u64>,
    /// PEP 700: an ISO 8601 time such as `2024-03-01T12:34:56.123456Z`.
    #[serde(rename = "upload-time", borrow)]
    upload_time: Option<Text<'a>>,
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
    let mut json = serde_json::Deserializer::from_slice(body);
    let files = json.deserialize_map(Page { base })?;
    json.end()?;
    Ok(files)
}

/// A file of a JSON page as the cache keeps it: the only copy of each string made.
fn json_file(file: JsonFile<'_>, base: &Url) -> Option<IndexFile> {
    let (url, fragment_hash) = if is_plain_absolute(&file.url.0) {
        (file.url.0.into_owned(), None)
    } else {
        let Ok(mut url) = base.join(&file.url.0) else {
            trace!(
                "skipping `{}`: invalid URL `{}`",
                file.filename.0, file.url.0
            );
            return None;
        };
        let fragment_hash = take_fragment_hash(&mut url);
        (url.into(), fragment_hash)
    };
    Some(IndexFile {
        sha256: file.hashes.sha256.map(|h| lowercase(h.0)).or(fragment_hash),
        filename: file.filename.0.into_owned(),
        url,
        requires_python: file
            .requires_python
            .filter(|r| !r.0.trim().is_empty())
            .map(|r| r.0.into_owned()),
        yanked: file.yanked.and_then(|y| y.0).map(Cow::into_owned),
        core_metadata: file
            .core_metadata
            .or(file.dist_info_metadata)
            .and_then(|advertised| advertised.0)
            .map(|digest| digest.map(lowercase)),
        size: file.size,
        upload_time: upload_time(file.upload_time.as_ref().map(|t| &*t.0)),
    })
}

/// Hex digests are compared lower-case; most already are, so most need no second copy.
fn lowercase(digest: Cow<'_, str>) -> String {
    if digest.bytes().any(|b| b.is_ascii_uppercase()) {
        digest.to_ascii_lowercase()
    } else {
        digest.into_owned()
    }
}

/// Whether `url` is an absolute `https://` URL that parsing would leave exactly as written: a
/// lower-case host name without port or userinfo, and a path of unreserved characters and
/// percent escapes, without dot segments (`.`, `..`, or `%2e` anywhere), query or fragment. A
/// JSON page of a large project lists thousands of these; parsing each (`Url::join`) was a
/// tenth of a cold compile's CPU, and checking them in several passes still 6% of a
/// revalidating one, so each byte is looked at once.
fn is_plain_absolute(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let Some((host, path)) = rest.split_once('/') else {
        return false;
    };
    plain_host(host.as_bytes()) && plain_path(path.as_bytes())
}

/// Labels of `[a-z0-9-]`, none empty or starting with `-`; the last starts with a letter, so
/// the host is no IPv4 address, which parsing may rewrite. A label with `--` in third and
/// fourth place (`xn--`) is IDNA's (RFC 5891 4.2.3.1): parsing decodes and checks it.
fn plain_host(host: &[u8]) -> bool {
    let (mut label_start, mut label_len, mut previous) = (0u8, 0usize, 0u8);
    for &b in host {
        if b == b'.' {
            if label_len == 0 || label_start == b'-' {
                return false;
            }
            label_len = 0;
            continue;
        }
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            || (b == b'-' && previous == b'-' && label_len == 3)
        {
            return false;
        }
        if label_len == 0 {
            label_start = b;
        }
        previous = b;
        label_len += 1;
    }
    label_len > 0 && label_start.is_ascii_lowercase()
}

/// What [`plain_path`] makes of each byte: unreserved characters, `/` and `+` are plain; a
/// `.` may start a dot segment and a `%` an escape; anything else is left to parsing.
const PATH_BYTES: [u8; 256] = {
    let mut table = [BAD; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || matches!(c, b'/' | b'-' | b'_' | b'~' | b'+') {
            table[b] = PLAIN;
        }
        b += 1;
    }
    table[b'.' as usize] = DOT;
    table[b'%' as usize] = PERCENT;
    table
};
const BAD: u8 = 0;
const PLAIN: u8 = 1;
const DOT: u8 = 2;
const PERCENT: u8 = 3;

/// Unreserved characters, `/`, `+` and well-formed percent escapes other than `%2e`; no `.` or
/// `..` segment. One table look-up per byte: the files of a large page add up to megabytes of
/// URLs.
fn plain_path(path: &[u8]) -> bool {
    let mut i = 0;
    while i < path.len() {
        match PATH_BYTES[usize::from(path[i])] {
            PLAIN => {}
            DOT => {
                // `.` or `..` between slashes (or the ends).
                let starts_segment = i == 0 || path[i - 1] == b'/';
                let rest = &path[i + 1..];
                let rest = rest.strip_prefix(b".").unwrap_or(rest);
                if starts_segment && matches!(rest.first(), None | Some(b'/')) {
                    return false;
                }
            }
            PERCENT => {
                let escape = path.get(i + 1..i + 3);
                if !escape.is_some_and(|e| e.iter().all(u8::is_ascii_hexdigit))
                    || escape.is_some_and(|e| e.eq_ignore_ascii_case(b"2e"))
                {
                    return false;
                }
                i += 2;
            }
            _ => return false,
        }
        i += 1;
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

/// A link's URL without its fragment, the fragment's sha256 and the file name. An absolute link
/// that parsing would leave as written (see [`is_plain_absolute`]) is taken as it is: an index
/// serving absolute links (as the largest one does) lists thousands per large project.
fn html_link(href: &str, base: &Url) -> Option<(String, Option<String>, String)> {
    let (target, fragment) = href.split_once('#').unwrap_or((href, ""));
    if is_plain_absolute(target) {
        let last = target.rsplit('/').next().unwrap_or_default();
        let filename = percent_encoding::percent_decode_str(last)
            .decode_utf8()
            .ok()?;
        let sha256 = fragment
            .strip_prefix("sha256=")
            .map(|digest| lowercase(Cow::Borrowed(digest)));
        return (!filename.is_empty()).then(|| (target.to_owned(), sha256, filename.into_owned()));
    }
    let Ok(mut url) = base.join(href) else {
        trace!("skipping link `{href}`: not a URL");
        return None;
    };
    let sha256 = take_fragment_hash(&mut url);
    let filename = url_filename(&url)?;
    Some((url.into(), sha256, filename))
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
        let Some((url, sha256, filename)) = html_link(href.trim(), &base) else {
            continue;
        };
        files.push(IndexFile {
            filename,
            url,
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

    proptest::proptest! {
        /// What the one-pass check accepts, `Url::join` leaves exactly as written.
        #[test]
        fn accepted_urls_are_what_parsing_writes(
            url in "https://(xn--)?[a-z0-9.-]{0,12}/[a-zA-Z0-9/%.2eE_~+-]{0,24}"
        ) {
            if is_plain_absolute(&url) {
                let parsed = page_url().join(&url).unwrap();
                proptest::prop_assert_eq!(parsed.as_str(), url.as_str());
            }
        }
    }

    #[test]
    fn odd_hosts_and_paths_are_left_to_parsing() {
        for url in [
            "https://files..example.invalid/p/foo.whl",
            "https://-files.example.invalid/p/foo.whl",
            "https://files.example.1/p/foo.whl",
            "https:///p/foo.whl",
            "https://files.example.invalid/p/./foo.whl",
            "https://files.example.invalid/p/..",
            "https://files.example.invalid/p/%2E%2E/foo.whl",
            "https://files.example.invalid/p/a%2efoo.whl",
            "https://files.example.invalid/p/foo.whl?x=1",
            "https://files.example.invalid",
            "https://xn--files.example.invalid/p/foo.whl",
        ] {
            assert!(!is_plain_absolute(url), "{url}");
        }
        assert!(is_plain_absolute("https://files.example.invalid/"));
        assert!(is_plain_absolute(
            "https://files.example.invalid/p/..foo/%41%2f"
        ));
    }

    #[test]
    fn json_strings_with_escapes_and_other_hash_names() {
        let json = r#"{"files": [
    {"filename": "foo-1.0-py3-none-any.whl",
     "url": "https:\/\/files.example.invalid\/p\/foo-1.0-py3-none-any.whl",
     "hashes": {"md5": "00", "sha256": "AbC", "blake2b_256": "11"},
     "requires-python": "\u003e=3.8", "yanked": "bad \"build\"",
     "core-metadata": {"md5": "22"}, "upload-time": null}
]}"#;
        let files = parse_json(json.as_bytes(), &page_url()).unwrap();
        assert_eq!(
            files[0],
            IndexFile {
                filename: "foo-1.0-py3-none-any.whl".into(),
                url: "https://files.example.invalid/p/foo-1.0-py3-none-any.whl".into(),
                sha256: Some("abc".into()),
                requires_python: Some(">=3.8".into()),
                yanked: Some("bad \"build\"".into()),
                core_metadata: Some(None),
                size: None,
                upload_time: None,
            }
        );
        for bad in [
            r#"{"files": [{"filename": "a", "url": "a", "yanked": 1}]}"#,
            r#"{"files": [{"filename": "a", "url": "a", "core-metadata": "yes"}]}"#,
            r#"{"files": [{"filename": "a", "url": "a", "hashes": {"sha256": 1}}]}"#,
            r#"{"files": [{"filename": 1, "url": "a"}]}"#,
        ] {
            assert!(parse_json(bad.as_bytes(), &page_url()).is_err(), "{bad}");
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
    fn plain_absolute_html_links_read_as_parsed_ones() {
        for href in [
            "https://files.example.invalid/p/foo-1.0%2Blocal-py3-none-any.whl#sha256=ABCD",
            "https://files.example.invalid/p/foo-1.0.tar.gz#md5=00",
            "https://files.example.invalid/p/foo-1.0.tar.gz",
            "https://files.example.invalid/p/",
        ] {
            let fast = html_link(href, &page_url());
            let mut url = page_url().join(href).unwrap();
            let sha256 = take_fragment_hash(&mut url);
            let parsed = url_filename(&url).map(|name| (String::from(url), sha256, name));
            assert_eq!(fast, parsed, "{href}");
        }
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
