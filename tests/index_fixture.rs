//! The hermetic index in tests/common serves what a real index serves: every other test that
//! drives pinion against it relies on these properties.

#[path = "common/support.rs"]
pub mod common;

use std::collections::BTreeMap;
use std::io::Read;

use common::{
    BuiltIndex, DistKind, IndexOptions, IndexServer, Package, PackageUniverse, Scenario,
    normalize_name, prefix_requirement,
};
use sha2::{Digest, Sha256};

const JSON: &str = "application/vnd.pypi.simple.v1+json";
/// What pip sends: JSON preferred, HTML accepted.
const PIP_ACCEPT: &str = "application/vnd.pypi.simple.v1+json, \
    application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";
const WHEEL: &str = "requests-2.32.3-py3-none-any.whl";

struct Fetched {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: Vec<u8>,
}

impl Fetched {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

fn agent() -> ureq::Agent {
    let config = ureq::Agent::config_builder().http_status_as_error(false);
    config.build().into()
}

fn get(url: &str, headers: &[(&str, &str)]) -> Fetched {
    let mut request = agent().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.call().unwrap();
    Fetched {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.body_mut().read_to_vec().unwrap(),
    }
}

fn basic() -> PackageUniverse {
    PackageUniverse::testdata("basic")
}

fn start(options: IndexOptions) -> IndexServer {
    IndexServer::start(&basic(), options)
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The file entry named `filename` on a PEP 691 page.
fn json_file<'a>(page: &'a serde_json::Value, filename: &str) -> &'a serde_json::Value {
    let files = page["files"].as_array().unwrap();
    let file = files.iter().find(|f| f["filename"] == filename);
    file.unwrap_or_else(|| panic!("{filename} not on the page"))
}

/// The `<a ...>filename</a>` line on a PEP 503 page.
fn html_anchor(page: &str, filename: &str) -> String {
    let line = page
        .lines()
        .find(|l| l.contains(&format!(">{filename}</a>")));
    line.unwrap_or_else(|| panic!("{filename} not on the page"))
        .trim()
        .to_string()
}

fn zip_entry(wheel: &[u8], name: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(wheel)).unwrap();
    let mut entry = archive.by_name(name).unwrap();
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).unwrap();
    bytes
}

#[test]
fn json_project_page() {
    let server = start(IndexOptions::default());
    let page = get(
        &format!("{}/requests/", server.url()),
        &[("Accept", PIP_ACCEPT)],
    );
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some(JSON));
    assert_eq!(page.header("cache-control"), None);
    assert_eq!(page.header("etag"), None);
    let page = page.json();
    assert_eq!(page["meta"]["api-version"], "1.1");
    assert_eq!(page["name"], "requests");
    assert_eq!(page["versions"], serde_json::json!(["2.31.0", "2.32.3"]));
    let filenames: Vec<&str> = page["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filename"].as_str().unwrap())
        .collect();
    assert_eq!(
        filenames,
        [
            "requests-2.31.0.tar.gz",
            "requests-2.31.0-py3-none-any.whl",
            "requests-2.32.3.tar.gz",
            WHEEL,
        ]
    );

    let wheel = json_file(&page, WHEEL);
    assert_eq!(wheel["url"], format!("{}/{WHEEL}", server.files_url()));
    assert_eq!(wheel["requires-python"], ">=3.8");
    assert_eq!(wheel["yanked"], false);
    let bytes = get(wheel["url"].as_str().unwrap(), &[]).body;
    assert_eq!(wheel["hashes"]["sha256"], sha256(&bytes));
    assert_eq!(wheel["hashes"]["sha256"], server.sha256(WHEEL));
    assert_eq!(wheel["size"], bytes.len());
    let metadata_sha = sha256(&zip_entry(&bytes, "requests-2.32.3.dist-info/METADATA"));
    assert_eq!(wheel["core-metadata"]["sha256"], metadata_sha);
    assert!(
        wheel.get("dist-info-metadata").is_none(),
        "PEP 714: JSON has the new key only"
    );
    // PEP 658 metadata is advertised for wheels only.
    let sdist = json_file(&page, "requests-2.32.3.tar.gz");
    assert!(sdist.get("core-metadata").is_none());
    assert_eq!(
        sdist["hashes"]["sha256"],
        server.sha256("requests-2.32.3.tar.gz")
    );

    let idna = get(&format!("{}/idna/", server.url()), &[("Accept", JSON)]).json();
    let yanked = json_file(&idna, "idna-3.8-py3-none-any.whl");
    assert_eq!(yanked["yanked"], "Broken metadata");
    assert_eq!(json_file(&idna, "idna-3.10.tar.gz")["yanked"], false);
    let certifi = get(&format!("{}/certifi/", server.url()), &[("Accept", JSON)]).json();
    let newest = json_file(&certifi, "certifi-2025.1.31-py3-none-any.whl");
    assert_eq!(newest["requires-python"], ">=3.13");
}

#[test]
fn html_project_page() {
    let server = start(IndexOptions::default());
    let page = get(
        &format!("{}/requests/", server.url()),
        &[("Accept", "text/html")],
    );
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let page = page.text();
    let metadata_sha = server.dist_file(WHEEL).metadata_sha256().unwrap();
    assert_eq!(
        html_anchor(&page, WHEEL),
        format!(
            "<a href=\"{}/{WHEEL}#sha256={}\" data-requires-python=\"&gt;=3.8\" \
             data-core-metadata=\"sha256={metadata_sha}\" \
             data-dist-info-metadata=\"sha256={metadata_sha}\">{WHEEL}</a><br />",
            server.files_url(),
            server.sha256(WHEEL),
        )
    );
    let sdist = html_anchor(&page, "requests-2.32.3.tar.gz");
    assert!(!sdist.contains("data-core-metadata"), "{sdist}");

    let accept = [("Accept", "application/vnd.pypi.simple.v1+html")];
    let idna = get(&format!("{}/idna/", server.url()), &accept);
    assert_eq!(
        idna.header("content-type"),
        Some("application/vnd.pypi.simple.v1+html")
    );
    let yanked = html_anchor(&idna.text(), "idna-3.8.tar.gz");
    assert!(
        yanked.contains(" data-yanked=\"Broken metadata\""),
        "{yanked}"
    );
    let not_yanked = html_anchor(&idna.text(), "idna-3.10.tar.gz");
    assert!(!not_yanked.contains("data-yanked"), "{not_yanked}");
}

#[test]
fn project_names_and_project_list() {
    let server = start(IndexOptions::default());
    // PEP 503: any spelling of a name reaches the project.
    for spelling in ["pysocks/", "PySocks/", "PySocks", "PYSOCKS/"] {
        let page = get(&format!("{}/{spelling}", server.url()), &[]);
        assert_eq!(page.status, 200, "{spelling}");
        assert!(page.text().contains(">pysocks-1.7.1-py3-none-any.whl</a>"));
    }
    assert_eq!(
        get(&format!("{}/Charset_Normalizer/", server.url()), &[]).status,
        200
    );
    assert_eq!(
        get(&format!("{}/nonexistent/", server.url()), &[]).status,
        404
    );
    assert_eq!(
        get(&format!("{}/files/nonexistent.whl", server.url()), &[]).status,
        404
    );
    assert_eq!(get(&format!("{}/files/", server.url()), &[]).status, 404);

    let list = get(&format!("{}/", server.url()), &[("Accept", JSON)]).json();
    assert_eq!(list["meta"]["api-version"], "1.1");
    let names: Vec<&str> = list["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "certifi",
            "charset-normalizer",
            "idna",
            "PySocks",
            "requests",
            "urllib3"
        ]
    );
    let html = get(&format!("{}/", server.url()), &[]).text();
    assert!(
        html.contains("<a href=\"/simple/pysocks/\">PySocks</a>"),
        "{html}"
    );
}

#[test]
fn pep658_metadata_is_the_wheels_metadata() {
    let server = start(IndexOptions::default());
    let wheel = server.file_bytes(WHEEL);
    let metadata = get(&format!("{}/{WHEEL}.metadata", server.files_url()), &[]);
    assert_eq!(metadata.status, 200);
    assert_eq!(
        metadata.body,
        zip_entry(&wheel, "requests-2.32.3.dist-info/METADATA")
    );
    let page = get(&format!("{}/requests/", server.url()), &[("Accept", JSON)]).json();
    let advertised = &json_file(&page, WHEEL)["core-metadata"]["sha256"];
    assert_eq!(*advertised, sha256(&metadata.body));
    insta::assert_snapshot!(metadata.text(), @r#"
    Metadata-Version: 2.1
    Name: requests
    Version: 2.32.3
    Requires-Python: >=3.8
    Requires-Dist: charset-normalizer>=2,<4
    Requires-Dist: idna>=2.5,<4
    Requires-Dist: urllib3>=1.21.1,<3
    Requires-Dist: certifi>=2017.4.17
    Provides-Extra: socks
    Requires-Dist: PySocks>=1.5.6,!=1.5.7; extra == "socks"
    "#);
    // Sdists have no .metadata file, and nothing else ending in .metadata exists.
    let sdist = format!("{}/requests-2.32.3.tar.gz.metadata", server.files_url());
    assert_eq!(get(&sdist, &[]).status, 404);
    assert_eq!(
        get(&format!("{}/x.whl.metadata", server.files_url()), &[]).status,
        404
    );
}

#[test]
fn range_requests() {
    let server = start(IndexOptions::default());
    let url = format!("{}/{WHEEL}", server.files_url());
    let full = server.file_bytes(WHEEL);
    let len = full.len();

    let head = agent().head(&url).call().unwrap();
    assert_eq!(head.status().as_u16(), 200);
    let header = |name| head.headers().get(name).unwrap().to_str().unwrap();
    assert_eq!(header("content-length"), len.to_string());
    assert_eq!(header("accept-ranges"), "bytes");

    let whole = get(&url, &[]);
    assert_eq!(whole.status, 200);
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    assert_eq!(whole.body, full);

    let cases = [
        ("bytes=-100", len - 100, len - 1),
        ("bytes=10-49", 10, 49),
        (&format!("bytes={}-", len - 7), len - 7, len - 1),
        (&format!("bytes=5-{}", len + 1000), 5, len - 1),
        (&format!("bytes=-{}", len + 1000), 0, len - 1),
    ];
    for (range, start, end) in cases {
        let part = get(&url, &[("Range", range)]);
        assert_eq!(part.status, 206, "{range}");
        let content_range = format!("bytes {start}-{end}/{len}");
        assert_eq!(part.header("content-range"), Some(content_range.as_str()));
        assert_eq!(
            part.header("content-length"),
            Some((end - start + 1).to_string().as_str())
        );
        assert_eq!(part.body, full[start..=end], "{range}");
    }

    let beyond = get(&url, &[("Range", &format!("bytes={len}-"))]);
    assert_eq!(beyond.status, 416);
    assert_eq!(
        beyond.header("content-range"),
        Some(format!("bytes */{len}").as_str())
    );
    // Several ranges at once are allowed to get the whole file.
    let multi = get(&url, &[("Range", "bytes=0-1,5-6")]);
    assert_eq!((multi.status, multi.body.len()), (200, len));
}

#[test]
fn range_requests_off_sends_the_whole_file() {
    let server = start(IndexOptions {
        range_requests: false,
        ..IndexOptions::default()
    });
    let part = get(
        &format!("{}/{WHEEL}", server.files_url()),
        &[("Range", "bytes=-100")],
    );
    assert_eq!(part.status, 200);
    assert_eq!(part.header("accept-ranges"), None);
    assert_eq!(part.header("content-range"), None);
    assert_eq!(part.body, server.file_bytes(WHEEL));
}

#[test]
fn json_off_answers_html() {
    let server = start(IndexOptions {
        json: false,
        ..IndexOptions::default()
    });
    let page = get(
        &format!("{}/requests/", server.url()),
        &[("Accept", PIP_ACCEPT)],
    );
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("application/vnd.pypi.simple.v1+html")
    );
    assert!(page.text().contains(&format!(">{WHEEL}</a>")));
    let json_only = get(&format!("{}/requests/", server.url()), &[("Accept", JSON)]);
    assert_eq!(json_only.status, 406);
}

#[test]
fn html_off_answers_json_or_406() {
    let server = start(IndexOptions {
        html: false,
        ..IndexOptions::default()
    });
    let url = format!("{}/requests/", server.url());
    assert_eq!(get(&url, &[("Accept", "text/html")]).status, 406);
    let page = get(&url, &[("Accept", PIP_ACCEPT)]);
    assert_eq!(page.header("content-type"), Some(JSON));
    // `*/*` lets the server choose; a JSON-only server chooses JSON.
    assert_eq!(
        get(&url, &[("Accept", "*/*")]).header("content-type"),
        Some(JSON)
    );
}

#[test]
fn pep658_off_is_neither_served_nor_advertised() {
    let server = start(IndexOptions {
        pep658: false,
        ..IndexOptions::default()
    });
    let metadata = get(&format!("{}/{WHEEL}.metadata", server.files_url()), &[]);
    assert_eq!(metadata.status, 404);
    let page = get(&format!("{}/requests/", server.url()), &[("Accept", JSON)]).json();
    let wheel = json_file(&page, WHEEL);
    assert!(wheel.get("core-metadata").is_none(), "{wheel}");
    assert!(wheel.get("dist-info-metadata").is_none(), "{wheel}");
    let html = get(&format!("{}/requests/", server.url()), &[]).text();
    assert!(!html.contains("metadata"), "{html}");
}

#[test]
fn hash_fragments_off_advertises_no_hashes() {
    let server = start(IndexOptions {
        hash_fragments: false,
        ..IndexOptions::default()
    });
    let html = get(&format!("{}/requests/", server.url()), &[]).text();
    let anchor = html_anchor(&html, WHEEL);
    assert!(anchor.starts_with(&format!("<a href=\"{}/{WHEEL}\" ", server.files_url())));
    let page = get(&format!("{}/requests/", server.url()), &[("Accept", JSON)]).json();
    assert_eq!(json_file(&page, WHEEL)["hashes"], serde_json::json!({}));
}

#[test]
fn cache_headers_and_etags_when_asked() {
    let server = start(IndexOptions {
        cache_headers: Some("max-age=600".to_string()),
        etag: true,
        ..IndexOptions::default()
    });
    let url = format!("{}/requests/", server.url());
    let page = get(&url, &[("Accept", JSON)]);
    assert_eq!(page.header("cache-control"), Some("max-age=600"));
    assert_eq!(page.header("vary"), Some("Accept"));
    let etag = page.header("etag").unwrap().to_string();
    let again = get(&url, &[("Accept", JSON), ("If-None-Match", &etag)]);
    assert_eq!((again.status, again.body.len()), (304, 0));
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    // The HTML page is a different representation with its own tag.
    let html = get(&url, &[("Accept", "text/html"), ("If-None-Match", &etag)]);
    assert_eq!(html.status, 200);
    let file = format!("{}/{WHEEL}", server.files_url());
    let file_etag = get(&file, &[]).header("etag").unwrap().to_string();
    assert_eq!(get(&file, &[("If-None-Match", &file_etag)]).status, 304);
}

#[test]
fn request_log_records_what_was_fetched() {
    let server = start(IndexOptions::default());
    get(&format!("{}/requests/", server.url()), &[("Accept", JSON)]);
    get(
        &format!("{}/{WHEEL}", server.files_url()),
        &[("Range", "bytes=-100")],
    );
    get(&format!("{}/{WHEEL}.metadata", server.files_url()), &[]);
    assert_eq!(
        server.requests(),
        [
            "GET /simple/requests/".to_string(),
            format!("GET /files/{WHEEL} [Range: bytes=-100]"),
            format!("GET /files/{WHEEL}.metadata"),
        ]
    );
    let recorded = server.recorded_requests();
    assert_eq!(recorded[0].header("accept"), Some(JSON));
    server.clear_requests();
    assert!(server.requests().is_empty());
}

#[test]
fn concurrent_clients() {
    let server = start(IndexOptions::default());
    let urls: Vec<String> = server
        .index()
        .files()
        .map(|f| format!("{}/{}", server.files_url(), f.filename))
        .collect();
    std::thread::scope(|scope| {
        for url in &urls {
            scope.spawn(move || assert_eq!(get(url, &[]).status, 200, "{url}"));
        }
    });
    assert_eq!(server.requests().len(), urls.len());
}

#[test]
fn wheels_are_valid_and_their_record_matches() {
    let index = BuiltIndex::build(&basic());
    let wheels: Vec<_> = index
        .files()
        .filter(|f| f.kind == DistKind::Wheel)
        .collect();
    assert!(wheels.len() > 10);
    for wheel in wheels {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&wheel.bytes)).unwrap();
        let names: Vec<String> = archive
            .file_names()
            .map(|n| n.unwrap().into_owned())
            .collect();
        let record_name = names
            .iter()
            .find(|n| n.ends_with(".dist-info/RECORD"))
            .unwrap();
        let record = String::from_utf8(zip_entry(&wheel.bytes, record_name)).unwrap();
        let mut listed = Vec::new();
        for line in record.lines() {
            let fields: Vec<&str> = line.split(',').collect();
            let [path, hash, size] = fields[..] else {
                panic!("bad RECORD line {line:?}")
            };
            listed.push(path.to_string());
            if path == record_name {
                assert_eq!((hash, size), ("", ""));
                continue;
            }
            let bytes = zip_entry(&wheel.bytes, path);
            let digest = base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                Sha256::digest(&bytes),
            );
            assert_eq!(
                hash,
                format!("sha256={digest}"),
                "{} {path}",
                wheel.filename
            );
            assert_eq!(size, bytes.len().to_string());
        }
        listed.sort();
        let mut in_zip = names.clone();
        in_zip.sort();
        assert_eq!(listed, in_zip, "{}", wheel.filename);
        assert_eq!(names.last(), Some(record_name), "RECORD comes last");
        for i in 0..archive.len() {
            let entry = archive.by_index(i).unwrap();
            assert_eq!(entry.last_modified(), Some(zip::DateTime::default()));
        }
    }

    let tagged =
        "charset_normalizer-3.4.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
    let file = index.file(tagged).unwrap();
    let wheel_meta = zip_entry(&file.bytes, "charset_normalizer-3.4.0.dist-info/WHEEL");
    insta::assert_snapshot!(String::from_utf8(wheel_meta).unwrap(), @r"
    Wheel-Version: 1.0
    Generator: pinion-tests
    Root-Is-Purelib: true
    Tag: cp312-cp312-manylinux_2_17_x86_64
    Tag: cp312-cp312-manylinux2014_x86_64
    ");
    let entry_points = zip_entry(
        &file.bytes,
        "charset_normalizer-3.4.0.dist-info/entry_points.txt",
    );
    assert_eq!(
        String::from_utf8(entry_points).unwrap(),
        "[console_scripts]\nnormalizer = charset_normalizer.cli:cli_detect\n\n"
    );
    assert!(!zip_entry(&file.bytes, "charset_normalizer/cli.py").is_empty());
}

#[test]
fn sdists_carry_static_metadata() {
    let index = BuiltIndex::build(&basic());
    let sdist = index.file("requests-2.32.3.tar.gz").unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(sdist.bytes.as_slice()));
    let mut entries = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        assert_eq!(entry.header().mtime().unwrap(), 0);
        let path = entry.path().unwrap().display().to_string();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        entries.insert(path, text);
    }
    let paths: Vec<&str> = entries.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "requests-2.32.3/PKG-INFO",
            "requests-2.32.3/pyproject.toml",
            "requests-2.32.3/requests/__init__.py",
            "requests-2.32.3/setup.py",
        ]
    );
    let pkg_info = &entries["requests-2.32.3/PKG-INFO"];
    assert!(pkg_info.starts_with("Metadata-Version: 2.2\nName: requests\nVersion: 2.32.3\n"));
    assert!(!pkg_info.contains("Dynamic"));
    let pyproject: toml::Table = entries["requests-2.32.3/pyproject.toml"].parse().unwrap();
    assert_eq!(
        pyproject["build-system"]["build-backend"].as_str(),
        Some("setuptools.build_meta")
    );
    assert_eq!(
        pyproject["project"]["requires-python"].as_str(),
        Some(">=3.8")
    );
    let extras = &pyproject["project"]["optional-dependencies"]["socks"];
    assert_eq!(extras[0].as_str(), Some("PySocks>=1.5.6,!=1.5.7"));
}

#[test]
fn builds_are_deterministic() {
    let first = BuiltIndex::build(&basic());
    let second = BuiltIndex::build(&basic());
    let files = |index: &BuiltIndex| -> Vec<(String, Vec<u8>)> {
        index
            .files()
            .map(|f| (f.filename.clone(), f.bytes.clone()))
            .collect()
    };
    assert_eq!(files(&first), files(&second));
}

#[test]
fn find_links_dir_holds_every_file() {
    let server = start(IndexOptions::default());
    let dir = tempfile::tempdir().unwrap();
    server.write_find_links_dir(dir.path());
    let index = server.index();
    for file in index.files() {
        let written = std::fs::read(dir.path().join(&file.filename)).unwrap();
        assert_eq!(written, file.bytes, "{}", file.filename);
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        index.files().count()
    );
}

#[test]
fn fluent_builder() {
    let universe = PackageUniverse::new()
        .with(
            Package::new("a", "1.0.0")
                .dep("b>=1")
                .extra(
                    "socks",
                    &["pysocks ; python_version < '3.13' or os_name == 'nt'"],
                )
                .requires_python(">=3.8")
                .console_script("a-cli", "a.cli:main")
                .file("a/cli.py", "def main():\n    return 0\n"),
        )
        .with(Package::new("b", "1.0.0").yanked())
        .with(
            Package::new("b", "2.0.0+local")
                .tags(&["py2.py3-none-any", "cp311-cp311-manylinux_2_17_x86_64"])
                .no_sdist(),
        )
        .with(Package::new("c.d", "1.0").no_wheel());
    let server = IndexServer::serve(&universe);
    let index = server.index();
    let filenames: Vec<&str> = index.files().map(|f| f.filename.as_str()).collect();
    assert_eq!(
        filenames,
        [
            "a-1.0.0.tar.gz",
            "a-1.0.0-py3-none-any.whl",
            "b-1.0.0.tar.gz",
            "b-1.0.0-py3-none-any.whl",
            "b-2.0.0+local-py2.py3-none-any.whl",
            "b-2.0.0+local-cp311-cp311-manylinux_2_17_x86_64.whl",
            "c_d-1.0.tar.gz",
        ]
    );
    let metadata = get(
        &format!("{}/a-1.0.0-py3-none-any.whl.metadata", server.files_url()),
        &[],
    );
    assert!(metadata.text().contains(
        "Requires-Dist: pysocks; (python_version < '3.13' or os_name == 'nt') and extra == \"socks\"\n"
    ));
    // A local version's `+` arrives percent-encoded from some clients.
    let encoded = format!(
        "{}/b-2.0.0%2Blocal-py2.py3-none-any.whl",
        server.files_url()
    );
    assert_eq!(get(&encoded, &[]).status, 200);
    let b = get(&format!("{}/b/", server.url()), &[]).text();
    assert!(html_anchor(&b, "b-1.0.0.tar.gz").contains(" data-yanked=\"\""));
    let page = get(&format!("{}/c-d/", server.url()), &[("Accept", JSON)]).json();
    assert_eq!(page["name"], "c-d");
    assert!(page["files"][0].get("requires-python").is_none());
}

#[test]
fn names_and_prefixes() {
    assert_eq!(
        normalize_name("Charset__Normalizer.x"),
        "charset-normalizer-x"
    );
    assert_eq!(prefix_requirement("s", "b"), "s-b");
    assert_eq!(
        prefix_requirement("s", " b[x]>1.0 ; os_name == 'nt'"),
        " s-b[x]>1.0 ; os_name == 'nt'"
    );
    assert_eq!(
        prefix_requirement("s", "b@ file:///b.whl"),
        "s-b@ file:///b.whl"
    );
}

/// Every conformance scenario builds into an index (the resolver tests serve them).
#[test]
fn every_scenario_builds() {
    let Some(dir) = common::scenarios_dir() else {
        return;
    };
    let scenarios = Scenario::load_all(&dir);
    assert!(!scenarios.is_empty(), "no scenarios in {}", dir.display());
    let mut names = std::collections::BTreeSet::new();
    for (path, scenario) in &scenarios {
        assert!(
            names.insert(scenario.name.clone()),
            "{}: duplicate name",
            path.display()
        );
        let index = BuiltIndex::build(&scenario.universe());
        for (name, package) in &scenario.packages {
            let project = index.project(&scenario.prefixed(name));
            let project = project.unwrap_or_else(|| panic!("{}: {name}", path.display()));
            assert_eq!(project.versions.len(), package.versions.len());
        }
        for file in index.files() {
            assert!(file.requires_python.is_some(), "{}", file.filename);
        }
        for requirement in scenario.root_requirements() {
            assert!(requirement.starts_with(&scenario.name), "{requirement}");
        }
    }
    let example = scenarios.iter().find(|(_, s)| s.name == "example-yaml");
    let (_, example) = example.expect("examples/example.yaml");
    assert_eq!(example.root_requirements(), ["example-yaml-a"]);
    let expected = example.expected_packages();
    assert_eq!(expected["example-yaml-b"], "2.0.0");
    let universe = example.universe();
    let a = &universe.packages["example-yaml-a"].versions["1.0.0"];
    assert_eq!(a.requires, ["example-yaml-b>1.0.0"]);
    assert_eq!(a.requires_python.as_deref(), Some(">=3.12"));
}

/// pip, the reference client, installs from the index and builds the sdists: the artifacts
/// and pages are real enough to stand in for a real index. Runs `python3` (or
/// `$PINION_TEST_PYTHON`); skipped when it has no pip.
#[test]
fn pip_installs_from_the_index() {
    let host_python = std::env::var("PINION_TEST_PYTHON").unwrap_or("python3".to_string());
    let pip = |args: &[&str]| {
        let mut cmd = std::process::Command::new(&host_python);
        cmd.args(["-m", "pip", "--disable-pip-version-check", "--no-cache-dir"]);
        cmd.args(args)
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env("PIP_NO_INPUT", "1");
        for var in [
            "PIP_INDEX_URL",
            "PIP_EXTRA_INDEX_URL",
            "PIP_FIND_LINKS",
            "PIP_NO_INDEX",
        ] {
            cmd.env_remove(var);
        }
        cmd.output().unwrap()
    };
    if !pip(&["--version"]).status.success() {
        eprintln!("skipped: `python3 -m pip` is not available");
        return;
    }
    let server = start(IndexOptions::default());
    let tmp = tempfile::tempdir().unwrap();
    let venv = tmp.path().join("venv");
    let created = std::process::Command::new(&host_python)
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(created.success());
    let python = venv.join("bin/python").display().to_string();

    let install = pip(&[
        "--python",
        &python,
        "install",
        "--index-url",
        &server.url(),
        "requests[socks]",
    ]);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&install.stdout),
        String::from_utf8_lossy(&install.stderr)
    );
    assert!(install.status.success(), "{log}");
    let check = pip(&["--python", &python, "check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let imported = std::process::Command::new(&python)
        .args([
            "-c",
            "import requests, urllib3, idna, certifi, charset_normalizer, pysocks\n\
             print(*(m.__version__ for m in (requests, urllib3, idna, certifi, charset_normalizer, pysocks)))",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&imported.stdout),
        // Newest usable: certifi 2025.1.31 needs Python 3.13, idna 3.8 is yanked, urllib3
        // 2.3.0b1 is a pre-release.
        "2.32.3 2.2.3 3.10 2024.8.30 3.4.0 1.7.1\n",
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let script = std::process::Command::new(venv.join("bin/normalizer"))
        .status()
        .unwrap();
    assert!(script.success());

    // The host's setuptools builds an sdist (no build isolation: the index has no setuptools).
    let can_build = "import importlib.util as u, sys\n\
        sys.exit(not (u.find_spec('setuptools') and \
        (u.find_spec('wheel') or u.find_spec('setuptools.command.bdist_wheel'))))";
    let can_build = std::process::Command::new(&host_python)
        .args(["-c", can_build])
        .status();
    if !can_build.is_ok_and(|s| s.success()) {
        eprintln!("sdist build skipped: the host's setuptools cannot build wheels");
        return;
    }
    let sdists = tmp.path().join("sdists");
    server.write_find_links_dir(&sdists);
    let out = tmp.path().join("built");
    let sdist = sdists
        .join("charset_normalizer-3.4.0.tar.gz")
        .display()
        .to_string();
    let args = [
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-w",
    ];
    let built = pip(&[&args[..], &[&out.display().to_string(), &sdist]].concat());
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let wheel = std::fs::read(out.join("charset_normalizer-3.4.0-py3-none-any.whl")).unwrap();
    let metadata = String::from_utf8(zip_entry(
        &wheel,
        "charset_normalizer-3.4.0.dist-info/METADATA",
    ));
    assert!(metadata.unwrap().contains("Requires-Python: >=3.7.0"));
}
