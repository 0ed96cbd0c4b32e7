//! The index client against the hermetic local index of `tests/common` (pinion is a binary crate,
//! so its internals are tested from inside). What the client did is read from the server's log.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use pep508_rs::PackageName;
use url::Url;

use super::*;

#[path = "../../tests/common/mod.rs"]
mod common;

use common::{IndexOptions, IndexServer, Package, PackageUniverse};

fn name(name: &str) -> PackageName {
    PackageName::from_str(name).unwrap()
}

/// `foo` with two releases (the newer one wants Python >=3.9 and yanked), `bar` with one.
fn universe() -> PackageUniverse {
    PackageUniverse::new()
        .with(Package::new("foo", "1.0").dep("bar>=1"))
        .with(
            Package::new("foo", "2.0")
                .requires_python(">=3.9")
                .yanked_reason("broken")
                .extra("fast", &["bar[speed]"]),
        )
        .with(Package::new("bar", "1.0"))
}

fn locations(server: &IndexServer) -> IndexLocations {
    IndexLocations {
        index_url: Some(Url::parse(&server.url()).unwrap()),
        ..IndexLocations::default()
    }
}

fn settings(dir: Option<&Path>) -> CacheSettings {
    CacheSettings::new(dir.map(Path::to_path_buf))
}

fn client(server: &IndexServer, cache: CacheSettings) -> IndexClient {
    IndexClient::new(locations(server), cache, NetworkSettings::default()).unwrap()
}

/// The file of `project` named `filename`.
async fn file(client: &IndexClient, project: &str, filename: &str) -> DistFile {
    let files = client.project(&name(project)).await.unwrap();
    files
        .files
        .iter()
        .find(|f| f.filename == filename)
        .unwrap_or_else(|| panic!("no {filename} in {:?}", files.files))
        .clone()
}

#[tokio::test]
async fn json_and_html_pages_read_the_same() {
    let json = IndexServer::start(&universe(), IndexOptions::default());
    let html_only = IndexServer::start(
        &universe(),
        IndexOptions {
            json: false,
            ..IndexOptions::default()
        },
    );
    let from_json = client(&json, settings(None))
        .project(&name("foo"))
        .await
        .unwrap();
    let from_html = client(&html_only, settings(None))
        .project(&name("foo"))
        .await
        .unwrap();
    let request = &json.recorded_requests()[0];
    assert_eq!(request.path, "/simple/foo/");
    assert!(
        request
            .header("Accept")
            .unwrap()
            .starts_with(simple::ACCEPT)
    );

    let strip = |files: &ProjectFiles| {
        files
            .files
            .iter()
            .map(|f| {
                let path = f.url.path().to_string();
                (
                    f.filename.clone(),
                    path,
                    f.sha256.clone(),
                    f.requires_python.clone(),
                    f.yanked.clone(),
                    f.core_metadata.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&from_json), strip(&from_html));
    let files = &from_json.files;
    assert_eq!(
        files
            .iter()
            .map(|f| f.filename.as_str())
            .collect::<Vec<_>>(),
        [
            "foo-1.0.tar.gz",
            "foo-1.0-py3-none-any.whl",
            "foo-2.0.tar.gz",
            "foo-2.0-py3-none-any.whl"
        ]
    );
    let wheel = &files[3];
    assert_eq!(
        wheel.sha256.as_deref(),
        Some(json.sha256(&wheel.filename).as_str())
    );
    assert_eq!(wheel.requires_python.as_ref().unwrap().to_string(), ">=3.9");
    assert_eq!(wheel.yanked.as_deref(), Some("broken"));
    assert!(matches!(wheel.core_metadata, Some(Some(_))));
    assert_eq!(files[0].core_metadata, None);
    assert_eq!(files[0].yanked, None);
    assert_eq!(
        wheel.size,
        Some(json.file_bytes(&wheel.filename).len() as u64)
    );
}

#[tokio::test]
async fn a_project_the_index_does_not_have_is_empty() {
    let server = IndexServer::serve(&universe());
    let client = client(&server, settings(None));
    let files = client.project(&name("no-such-project")).await.unwrap();
    assert!(files.files.is_empty());
    assert_eq!(server.requests(), ["GET /simple/no-such-project/"]);
}

#[tokio::test]
async fn concurrent_asks_for_one_project_make_one_request() {
    let server = IndexServer::serve(&universe());
    let client = client(&server, settings(None));
    let foo = name("foo");
    let (a, b) = tokio::join!(client.project(&foo), client.project(&foo));
    assert!(Arc::ptr_eq(&a.unwrap(), &b.unwrap()));
    client.project(&foo).await.unwrap();
    assert_eq!(server.requests(), ["GET /simple/foo/"]);
}

#[tokio::test]
async fn pep_658_metadata_when_advertised() {
    let server = IndexServer::serve(&universe());
    let client = client(&server, settings(None));
    let wheel = file(&client, "foo", "foo-2.0-py3-none-any.whl").await;
    let metadata = client.wheel_metadata(&wheel).await.unwrap();
    assert_eq!(metadata.version.to_string(), "2.0");
    assert_eq!(metadata.provides_extras.len(), 1);
    assert_eq!(
        server.requests(),
        [
            "GET /simple/foo/",
            "GET /files/foo-2.0-py3-none-any.whl.metadata"
        ]
    );
}

#[tokio::test]
async fn pep_658_metadata_with_a_wrong_hash_is_refused() {
    let server = IndexServer::serve(&universe());
    let client = client(&server, settings(None));
    let mut wheel = file(&client, "foo", "foo-1.0-py3-none-any.whl").await;
    wheel.core_metadata = Some(Some("0".repeat(64)));
    let err = client.wheel_metadata(&wheel).await.unwrap_err();
    let IndexError::HashMismatch {
        url,
        expected,
        actual,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(url.path().ends_with("foo-1.0-py3-none-any.whl.metadata"));
    assert_eq!(*expected, "0".repeat(64));
    assert_eq!(actual.len(), 64);
    assert!(err.to_string().starts_with(&format!(
        "hash mismatch for `{}/foo-1.0-py3-none-any.whl.metadata`: expected sha256:000",
        server.files_url()
    )));
}

#[tokio::test]
async fn range_requests_without_pep_658() {
    let server = IndexServer::start(
        &universe(),
        IndexOptions {
            pep658: false,
            ..IndexOptions::default()
        },
    );
    let client = client(&server, settings(None));
    let wheel = file(&client, "foo", "foo-1.0-py3-none-any.whl").await;
    assert_eq!(wheel.core_metadata, None);
    let metadata = client.wheel_metadata(&wheel).await.unwrap();
    assert_eq!(metadata.requires_dist[0].to_string(), "bar>=1");
    assert_eq!(
        server.requests(),
        [
            "GET /simple/foo/",
            "GET /files/foo-1.0-py3-none-any.whl [Range: bytes=-65536]"
        ]
    );
}

#[tokio::test]
async fn whole_wheel_without_pep_658_and_ranges() {
    let server = IndexServer::start(
        &universe(),
        IndexOptions {
            pep658: false,
            range_requests: false,
            ..IndexOptions::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let client = client(&server, settings(Some(dir.path())));
    let wheel = file(&client, "foo", "foo-1.0-py3-none-any.whl").await;
    let metadata = client.wheel_metadata(&wheel).await.unwrap();
    assert_eq!(metadata.name, name("foo"));
    // The second wheel of the same host is not tried with a range again; the downloaded wheel
    // is in the cache for the installer.
    let bar = file(&client, "bar", "bar-1.0-py3-none-any.whl").await;
    client.wheel_metadata(&bar).await.unwrap();
    assert_eq!(
        server.requests(),
        [
            "GET /simple/foo/",
            "GET /files/foo-1.0-py3-none-any.whl [Range: bytes=-65536]",
            "GET /files/foo-1.0-py3-none-any.whl",
            "GET /simple/bar/",
            "GET /files/bar-1.0-py3-none-any.whl",
        ]
    );
    server.clear_requests();
    let path = client.download(&wheel).await.unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        server.file_bytes(&wheel.filename)
    );
    assert!(path.starts_with(dir.path()));
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn sdist_pkg_info() {
    let server = IndexServer::serve(&universe());
    let client = client(&server, settings(None));
    let sdist = file(&client, "foo", "foo-2.0.tar.gz").await;
    let metadata = client.sdist_metadata(&sdist).await.unwrap();
    assert!(metadata.is_static());
    assert_eq!(
        metadata.requires_python.as_ref().unwrap().to_string(),
        ">=3.9"
    );
    assert_eq!(server.requests()[1..], ["GET /files/foo-2.0.tar.gz"]);
}

#[tokio::test]
async fn download_checks_the_hash() {
    let server = IndexServer::serve(&universe());
    let dir = tempfile::tempdir().unwrap();
    let client = client(&server, settings(Some(dir.path())));
    let mut sdist = file(&client, "bar", "bar-1.0.tar.gz").await;
    let good = client.download(&sdist).await.unwrap();
    assert_eq!(
        std::fs::read(good).unwrap(),
        server.file_bytes("bar-1.0.tar.gz")
    );

    // A fresh client: within one run a URL is downloaded once.
    sdist.sha256 = Some("f".repeat(64));
    let client = self::client(&server, settings(Some(dir.path())));
    let err = client.download(&sdist).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "hash mismatch for `{}/bar-1.0.tar.gz`: expected sha256:{}, got sha256:{}",
            server.files_url(),
            "f".repeat(64),
            server.sha256("bar-1.0.tar.gz")
        )
    );
    // Nothing is left under the wrong hash.
    assert!(
        !dir.path()
            .join("files-v1")
            .join("f".repeat(64))
            .join("bar-1.0.tar.gz")
            .exists()
    );
}

#[tokio::test]
async fn a_cached_page_is_not_requested_again_within_the_freshness_window() {
    // No Cache-Control, no ETag: the proxy case, fresh for `heuristic_freshness`.
    let server = IndexServer::serve(&universe());
    let dir = tempfile::tempdir().unwrap();
    let first = client(&server, settings(Some(dir.path())));
    let wheel = file(&first, "foo", "foo-1.0-py3-none-any.whl").await;
    first.wheel_metadata(&wheel).await.unwrap();
    server.clear_requests();

    // A new process: page and metadata come from the disk.
    let second = client(&server, settings(Some(dir.path())));
    let wheel = file(&second, "foo", "foo-1.0-py3-none-any.whl").await;
    let metadata = second.wheel_metadata(&wheel).await.unwrap();
    assert_eq!(metadata.version.to_string(), "1.0");
    assert!(server.requests().is_empty(), "{:?}", server.requests());

    // `--upgrade` revalidates; without validators that is a full fetch.
    let mut revalidate = settings(Some(dir.path()));
    revalidate.refresh = Refresh::Revalidate;
    client(&server, revalidate)
        .project(&name("foo"))
        .await
        .unwrap();
    assert_eq!(server.requests(), ["GET /simple/foo/"]);

    // Past the window the page is fetched again.
    server.clear_requests();
    let mut expired = settings(Some(dir.path()));
    expired.heuristic_freshness = Duration::ZERO;
    client(&server, expired)
        .project(&name("foo"))
        .await
        .unwrap();
    assert_eq!(server.requests(), ["GET /simple/foo/"]);
}

#[tokio::test]
async fn etag_revalidation_reuses_the_page_on_304() {
    let server = IndexServer::start(
        &universe(),
        IndexOptions {
            etag: true,
            ..IndexOptions::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let first = client(&server, settings(Some(dir.path())))
        .project(&name("foo"))
        .await
        .unwrap();
    let etag = server.recorded_requests().len();
    assert_eq!(etag, 1);
    server.clear_requests();

    // An ETag without a lifetime is revalidated on every run, and a 304 reuses the page.
    let second = client(&server, settings(Some(dir.path())))
        .project(&name("foo"))
        .await
        .unwrap();
    let requests = server.recorded_requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].header("If-None-Match").is_some());
    assert_eq!(first.files, second.files);

    // A newer release changes the ETag: the page is fetched again.
    server.clear_requests();
    server.set_universe(&universe().with(Package::new("foo", "3.0")));
    let third = client(&server, settings(Some(dir.path())))
        .project(&name("foo"))
        .await
        .unwrap();
    assert_eq!(third.files.len(), first.files.len() + 2);
}

#[tokio::test]
async fn max_age_is_honoured_and_upgrade_package_revalidates_only_its_project() {
    let server = IndexServer::start(
        &universe(),
        IndexOptions {
            etag: true,
            cache_headers: Some("max-age=600".into()),
            ..IndexOptions::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let first = client(&server, settings(Some(dir.path())));
    first.project(&name("foo")).await.unwrap();
    first.project(&name("bar")).await.unwrap();
    server.clear_requests();

    let mut upgrade_foo = settings(Some(dir.path()));
    upgrade_foo.refresh = Refresh::Packages(vec![name("foo")]);
    let second = client(&server, upgrade_foo);
    second.project(&name("foo")).await.unwrap();
    second.project(&name("bar")).await.unwrap();
    let requests = server.recorded_requests();
    assert_eq!(requests.len(), 1, "{:?}", server.requests());
    assert_eq!(requests[0].path, "/simple/foo/");
    assert!(requests[0].header("If-None-Match").is_some());
}

#[tokio::test]
async fn offline_uses_the_cache_even_stale_and_names_what_is_missing() {
    let server = IndexServer::serve(&universe());
    let dir = tempfile::tempdir().unwrap();
    let mut offline = settings(Some(dir.path()));
    offline.offline = true;
    offline.heuristic_freshness = Duration::ZERO;

    let err = client(&server, offline.clone())
        .project(&name("foo"))
        .await
        .unwrap_err();
    assert!(matches!(&err, IndexError::Offline { url } if url.path() == "/simple/foo/"));
    assert_eq!(
        err.to_string(),
        format!(
            "`{}/foo/` is not in the cache and `--offline` forbids fetching it",
            server.url()
        )
    );
    let help = miette::Diagnostic::help(&err).unwrap().to_string();
    assert_eq!(help, "drop `--offline` to fetch it");
    assert!(server.requests().is_empty());

    let online = client(&server, settings(Some(dir.path())));
    let wheel = file(&online, "foo", "foo-1.0-py3-none-any.whl").await;
    online.wheel_metadata(&wheel).await.unwrap();
    server.clear_requests();

    let offline = client(&server, offline);
    let wheel = file(&offline, "foo", "foo-1.0-py3-none-any.whl").await;
    offline.wheel_metadata(&wheel).await.unwrap();
    let sdist = file(&offline, "foo", "foo-1.0.tar.gz").await;
    let err = offline.download(&sdist).await.unwrap_err();
    assert!(matches!(err, IndexError::Offline { .. }));
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn no_cache_keeps_everything_in_memory() {
    let server = IndexServer::serve(&universe());
    let client = client(&server, settings(None));
    let sdist = file(&client, "bar", "bar-1.0.tar.gz").await;
    let path = client.download(&sdist).await.unwrap();
    assert!(path.is_file());
    drop(client);
    assert!(!path.exists(), "the scratch directory goes with the client");
}

#[tokio::test]
async fn find_links_directory_and_extra_index_merge() {
    let server = IndexServer::serve(&universe());
    let extra = IndexServer::serve(&PackageUniverse::new().with(Package::new("foo", "3.0")));
    let links = tempfile::tempdir().unwrap();
    IndexServer::serve(&PackageUniverse::new().with(Package::new("foo", "0.5").no_sdist()))
        .write_find_links_dir(links.path());
    std::fs::write(links.path().join("README.txt"), "not a distribution").unwrap();

    let client = IndexClient::new(
        IndexLocations {
            index_url: Some(Url::parse(&server.url()).unwrap()),
            extra_index_urls: vec![Url::parse(&extra.url()).unwrap()],
            find_links: vec![FindLinks::Dir(links.path().to_path_buf())],
        },
        settings(None),
        NetworkSettings::default(),
    )
    .unwrap();
    let files = client.project(&name("foo")).await.unwrap();
    let found: Vec<(usize, &str)> = files
        .files
        .iter()
        .map(|f| (f.source, f.filename.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (0, "foo-0.5-py3-none-any.whl"),
            (1, "foo-1.0.tar.gz"),
            (1, "foo-1.0-py3-none-any.whl"),
            (1, "foo-2.0.tar.gz"),
            (1, "foo-2.0-py3-none-any.whl"),
            (2, "foo-3.0.tar.gz"),
            (2, "foo-3.0-py3-none-any.whl"),
        ]
    );
    assert_eq!(
        client.sources()[0],
        IndexSource::FindLinks(FindLinks::Dir(links.path().to_path_buf()))
    );

    // A local wheel is read in place: its metadata and its "download" need no network.
    let local = &files.files[0];
    assert_eq!(local.url.scheme(), "file");
    assert_eq!(local.sha256, None);
    let metadata = client.wheel_metadata(local).await.unwrap();
    assert_eq!(metadata.version.to_string(), "0.5");
    assert_eq!(
        client.download(local).await.unwrap(),
        links.path().join("foo-0.5-py3-none-any.whl")
    );
}

#[tokio::test]
async fn no_index_with_find_links_only() {
    let links = tempfile::tempdir().unwrap();
    IndexServer::serve(&universe()).write_find_links_dir(links.path());
    let client = IndexClient::new(
        IndexLocations {
            index_url: None,
            extra_index_urls: Vec::new(),
            find_links: vec![FindLinks::Url(
                Url::from_directory_path(links.path()).unwrap(),
            )],
        },
        settings(None),
        NetworkSettings::default(),
    )
    .unwrap();
    let bar = client.project(&name("bar")).await.unwrap();
    assert_eq!(bar.files.len(), 2);
    let sdist = bar
        .files
        .iter()
        .find(|f| f.filename.ends_with(".tar.gz"))
        .unwrap();
    assert_eq!(
        client.sdist_metadata(sdist).await.unwrap().name,
        name("bar")
    );
}

/// A server that answers `failures` requests with 500 and then serves `page` as HTML.
fn flaky_server(failures: usize, page: &'static str) -> (String, Arc<std::sync::Mutex<usize>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/simple", server.server_addr().to_ip().unwrap());
    let count = Arc::new(std::sync::Mutex::new(0));
    let seen = Arc::clone(&count);
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let mut n = seen.lock().unwrap();
            *n += 1;
            let response = if *n <= failures {
                tiny_http::Response::from_string("oops").with_status_code(500)
            } else {
                tiny_http::Response::from_string(page).with_header(
                    tiny_http::Header::from_bytes("Content-Type", "text/html").unwrap(),
                )
            };
            let _ = request.respond(response);
        }
    });
    (url, count)
}

fn url_client(index: &str) -> IndexClient {
    IndexClient::new(
        IndexLocations {
            index_url: Some(Url::parse(index).unwrap()),
            ..IndexLocations::default()
        },
        settings(None),
        NetworkSettings {
            retry_budget: Duration::from_millis(800),
            ..NetworkSettings::default()
        },
    )
    .unwrap()
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_with_url_and_status() {
    let (url, count) = flaky_server(2, r#"<a href="/f/foo-1.0.tar.gz">foo</a>"#);
    let files = url_client(&url).project(&name("foo")).await.unwrap();
    assert_eq!(files.files.len(), 1);
    assert_eq!(*count.lock().unwrap(), 3);

    let (url, count) = flaky_server(usize::MAX, "");
    let err = url_client(&url).project(&name("foo")).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("`GET {url}/foo/` failed with status 500 Internal Server Error")
    );
    // 50-100, 100-200, 200-400 ms of backoff fit in the 800 ms budget; 400-800 more may not.
    let attempts = *count.lock().unwrap();
    assert!((3..=5).contains(&attempts), "{attempts} attempts");
}

#[tokio::test]
async fn connection_failures_name_the_url_and_keep_the_cause() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/simple");
    let err = url_client(&url).project(&name("foo")).await.unwrap_err();
    assert_eq!(err.to_string(), format!("`GET {url}/foo/` failed"));
    assert!(std::error::Error::source(&err).is_some());
}
