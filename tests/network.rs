//! The network half of real-world indexes, through the binary against servers on 127.0.0.1:
//! credentials (URL, netrc, keyring) on pages, metadata, ranges and files; passwords kept out
//! of every output; faults in the middle of answers retried, persistent ones reported with the
//! URL and status, the lockfile and the venv untouched; proxies from the environment.

#[path = "common/support.rs"]
pub mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Fault, IndexOptions, IndexServer, Package, PackageUniverse, TestContext};

const USER: &str = "alice";
const PASSWORD: &str = "s3cr3t-pw";

/// `app` needs `lib`; both wheels (and an sdist each).
fn universe() -> PackageUniverse {
    PackageUniverse::new()
        .with(Package::new("app", "1.0").dep("lib>=1"))
        .with(Package::new("lib", "1.0"))
        .with(Package::new("lib", "2.0"))
}

/// A project whose index wants `alice`'s password on every request. Without PEP 658, metadata
/// comes through range requests into the wheels, so pages, ranges and files are all covered.
fn private_index(pep658: bool) -> TestContext {
    let options = IndexOptions {
        basic_auth: Some((USER.to_string(), PASSWORD.to_string())),
        pep658,
        ..IndexOptions::default()
    };
    TestContext::with_index_options(&universe(), options).with_venv()
}

/// `http://user:password@127.0.0.1:PORT/simple` (either part may be left out).
fn url_with(ctx: &TestContext, userinfo: &str) -> String {
    ctx.index_url()
        .replacen("http://", &format!("http://{userinfo}@"), 1)
}

/// `pinion compile --generate-hashes -vv` of `app`, with the index URL given.
fn compile(ctx: &TestContext, index_url: &str) -> assert_cmd::Command {
    ctx.write("requirements.in", "app\n");
    let mut command = ctx.pinion();
    command.args([
        "-vv",
        "compile",
        "--generate-hashes",
        "--python-version",
        "3.12",
        "--index-url",
        index_url,
        "requirements.in",
    ]);
    command
}

/// stdout and stderr of a run, as one text.
fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn run(mut command: assert_cmd::Command) -> (bool, String) {
    let output = command.output().unwrap();
    (output.status.success(), text(&output))
}

/// Every request the server saw carried the credentials (none got a 401 first: pinion sends
/// them up front, to pages, `.metadata`, ranges and files alike).
fn assert_all_authorized(server: &IndexServer) {
    let requests = server.recorded_requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert!(
            request.header("Authorization").is_some(),
            "sent without credentials: {request}"
        );
    }
}

fn installed(venv: &Path) -> Vec<String> {
    let mut names: Vec<String> = walkdir::WalkDir::new(venv.join("lib"))
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.ends_with(".dist-info"))
        .collect();
    names.sort();
    names
}

#[test]
fn url_credentials_reach_pages_ranges_and_files_and_never_show() {
    let ctx = private_index(false);
    let (ok, out) = run(compile(
        &ctx,
        &url_with(&ctx, &format!("{USER}:{PASSWORD}")),
    ));
    assert!(ok, "{out}");
    assert!(
        !out.contains(PASSWORD),
        "password in the -vv output:\n{out}"
    );
    let requests = ctx.server().requests();
    assert!(
        requests.iter().any(|r| r.contains("[Range: ")),
        "{requests:?}"
    );
    assert_all_authorized(ctx.server());

    let lockfile = ctx.read("requirements.txt");
    assert!(!lockfile.contains(PASSWORD), "{lockfile}");
    assert!(lockfile.contains("lib==2.0"), "{lockfile}");
    // The header and the index line keep the user, so pip and pinion know whose password to
    // look for (keyring, netrc), and never the password.
    let index_line = format!("--index-url {}", url_with(&ctx, USER));
    assert!(lockfile.contains(&index_line), "{lockfile}");

    ctx.server().clear_requests();
    let mut sync = ctx.sync();
    sync.args([
        "-vv",
        "--index-url",
        &url_with(&ctx, &format!("{USER}:{PASSWORD}")),
    ])
    .arg("requirements.txt");
    let (ok, out) = run(sync);
    assert!(ok, "{out}");
    assert!(
        !out.contains(PASSWORD),
        "password in the -vv output:\n{out}"
    );
    assert_all_authorized(ctx.server());
    assert_eq!(
        installed(ctx.venv()),
        ["app-1.0.dist-info", "lib-2.0.dist-info"]
    );
}

#[test]
fn a_password_in_a_direct_url_stays_out_of_the_lockfile() {
    let ctx = private_index(false);
    let base = url_with(&ctx, &format!("{USER}:{PASSWORD}"));
    let files = base.trim_end_matches('/').trim_end_matches("/simple");
    ctx.write(
        "requirements.in",
        &format!("lib @ {files}/files/lib-1.0-py3-none-any.whl\n"),
    );
    let mut command = ctx.pinion();
    command.args([
        "compile",
        "--python-version",
        "3.12",
        "--index-url",
        &base,
        "requirements.in",
    ]);
    let (ok, out) = run(command);
    assert!(ok, "{out}");
    let lockfile = ctx.read("requirements.txt");
    assert!(!lockfile.contains(PASSWORD), "{lockfile}");
    assert!(
        lockfile.contains(&format!("lib @ http://{USER}@127.0.0.1:")),
        "{lockfile}"
    );
}

#[test]
fn netrc_credentials_serve_compile_and_sync() {
    let ctx = private_index(true);
    let netrc = ctx.path().join("netrc");
    std::fs::write(
        &netrc,
        format!("machine 127.0.0.1\n  login {USER}\n  password {PASSWORD}\n"),
    )
    .unwrap();
    let mut command = compile(&ctx, &ctx.index_url());
    command.env("NETRC", &netrc);
    let (ok, out) = run(command);
    assert!(ok, "{out}");
    assert!(
        out.contains("with credentials from the netrc file"),
        "{out}"
    );
    assert!(!out.contains(PASSWORD), "{out}");
    assert!(
        ctx.server()
            .requests()
            .iter()
            .any(|r| r.ends_with(".metadata"))
    );
    assert_all_authorized(ctx.server());

    let mut sync = ctx.sync();
    sync.env("NETRC", &netrc).arg("requirements.txt");
    let (ok, out) = run(sync);
    assert!(ok, "{out}");
    assert_eq!(
        installed(ctx.venv()),
        ["app-1.0.dist-info", "lib-2.0.dist-info"]
    );
}

/// A `keyring` on PATH that knows `alice`'s password for any service, as
/// `keyring get SERVICE USERNAME` prints it; it logs how it was asked.
fn fake_keyring(dir: &Path) -> std::path::PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("keyring");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" >> \"{log}\"\n\
             if [ \"$1\" = get ] && [ \"$3\" = {USER} ]; then echo {PASSWORD}; exit 0; fi\nexit 1\n",
            log = dir.join("keyring.log").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn path_with(bin: &Path) -> std::ffi::OsString {
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

#[test]
fn keyring_subprocess_serves_compile_and_sync() {
    let ctx = private_index(true);
    let bin = fake_keyring(ctx.path());
    let mut command = compile(&ctx, &url_with(&ctx, USER));
    command
        .args(["--keyring-provider", "subprocess"])
        .env("PATH", path_with(&bin));
    let (ok, out) = run(command);
    assert!(ok, "{out}");
    assert!(!out.contains(PASSWORD), "{out}");
    assert_all_authorized(ctx.server());
    let log = ctx.read("keyring.log");
    // Asked once for the whole run, with the index URL and the user.
    assert_eq!(log, format!("get {}/ {USER}\n", ctx.index_url()));

    // The lockfile names the user; pip's `keyring-provider` setting is enough for sync.
    ctx.write("pip.conf", "[global]\nkeyring-provider = subprocess\n");
    let mut sync = ctx.sync();
    sync.env("PATH", path_with(&bin))
        .env("PIP_CONFIG_FILE", ctx.path().join("pip.conf"))
        .arg("requirements.txt");
    let (ok, out) = run(sync);
    assert!(ok, "{out}");
    assert_eq!(
        installed(ctx.venv()),
        ["app-1.0.dist-info", "lib-2.0.dist-info"]
    );

    // And PIP_KEYRING_PROVIDER for a compile that revalidates every page.
    ctx.server().clear_requests();
    let mut command = compile(&ctx, &url_with(&ctx, USER));
    command
        .arg("--upgrade")
        .env("PATH", path_with(&bin))
        .env("PIP_KEYRING_PROVIDER", "subprocess");
    let (ok, out) = run(command);
    assert!(ok, "{out}");
    assert_all_authorized(ctx.server());
}

/// `text` with every run of whitespace and miette's frame characters as one space: the
/// message without its line wrapping.
fn unwrapped(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || "│╰─▶×".contains(c))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_wrong_password_is_a_clear_401_without_the_password() {
    let ctx = private_index(true);
    let host = ctx
        .server()
        .base()
        .trim_start_matches("http://")
        .to_string();
    let ctx = ctx.with_filter(host, "[HOST]");
    let (ok, out) = run(compile(
        &ctx,
        &url_with(&ctx, &format!("{USER}:wrong-{PASSWORD}")),
    ));
    assert!(!ok);
    assert!(!out.contains(PASSWORD), "{out}");
    let shown = unwrapped(&ctx.filters().apply(&out));
    assert!(
        shown.contains(
            "`GET http://[HOST]/simple/app/` failed with status 401 Unauthorized: \
             credentials of `alice` from the URL were sent help: check the username and password \
             in the URL"
        ),
        "{shown}"
    );

    // No credentials at all: the message says how to give them.
    let (ok, out) = run(compile(&ctx, &ctx.index_url()));
    assert!(!ok);
    let shown = unwrapped(&out);
    assert!(
        shown.contains("failed with status 401 Unauthorized: no credentials were sent"),
        "{shown}"
    );
    assert!(shown.contains("in a netrc file"), "{shown}");
}

#[test]
fn credentials_never_follow_a_redirect_to_another_host() {
    let cdn = IndexServer::serve(&universe());
    let options = IndexOptions {
        basic_auth: Some((USER.to_string(), PASSWORD.to_string())),
        files_redirect: Some(cdn.base().to_string()),
        pep658: false,
        range_requests: false,
        ..IndexOptions::default()
    };
    let ctx = TestContext::with_index_options(&universe(), options);
    let (ok, out) = run(compile(
        &ctx,
        &url_with(&ctx, &format!("{USER}:{PASSWORD}")),
    ));
    assert!(ok, "{out}");
    let cdn_requests = cdn.recorded_requests();
    assert!(
        !cdn_requests.is_empty(),
        "the files came from the other host"
    );
    for request in cdn_requests {
        assert_eq!(request.header("Authorization"), None, "{request}");
    }
}

/// A context whose retries are quick: a budget of `budget` seconds, a 1 s silence timeout.
fn flaky(ctx: &TestContext, command: &mut assert_cmd::Command, budget: &str) {
    let _ = ctx;
    command
        .env("PINION_HTTP_RETRY_BUDGET", budget)
        .env("PIP_TIMEOUT", "1");
}

#[test]
fn transient_faults_anywhere_are_retried() {
    let ctx = TestContext::with_index_options(
        &universe(),
        IndexOptions {
            pep658: false,
            ..IndexOptions::default()
        },
    )
    .with_venv();
    let server = ctx.server();
    server.inject("/simple/app/", Fault::Reset, 1);
    server.inject("/simple/app/", Fault::Truncate, 1);
    server.inject("/simple/app/", Fault::WrongLength, 1);
    server.inject("/simple/lib/", Fault::Status(500), 1);
    server.inject("/simple/lib/", Fault::RetryAfter(1), 1);
    server.inject("/simple/lib/", Fault::Stall(Duration::from_secs(3)), 1);
    // The range requests for metadata, then the whole wheels for sync.
    server.inject("lib-2.0-py3-none-any.whl", Fault::Truncate, 1);
    server.inject("lib-2.0-py3-none-any.whl", Fault::Reset, 1);
    let mut command = compile(&ctx, &ctx.index_url());
    flaky(&ctx, &mut command, "8");
    let started = std::time::Instant::now();
    let (ok, out) = run(command);
    assert!(ok, "{out}");
    assert!(out.contains("retrying in"), "{out}");
    assert_eq!(server.pending_faults(), 0, "every fault happened:\n{out}");
    // The Retry-After second, a 1 s stall, and backoff: well under the budget.
    assert!(started.elapsed() < Duration::from_secs(8), "{out}");

    server.inject("app-1.0-py3-none-any.whl", Fault::WrongLength, 1);
    server.inject("lib-2.0-py3-none-any.whl", Fault::Truncate, 2);
    let mut sync = ctx.sync();
    sync.arg("-vv").arg("requirements.txt");
    flaky(&ctx, &mut sync, "8");
    let (ok, out) = run(sync);
    assert!(ok, "{out}");
    assert_eq!(server.pending_faults(), 0, "every fault happened:\n{out}");
    assert_eq!(
        installed(ctx.venv()),
        ["app-1.0.dist-info", "lib-2.0.dist-info"]
    );
    // Every download in the cache is whole: no partial file was left behind.
    for entry in walkdir::WalkDir::new(ctx.cache_dir()) {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        if name.ends_with(".whl") {
            assert_eq!(
                std::fs::read(entry.path()).unwrap(),
                server.file_bytes(&name),
                "{name}"
            );
        }
        assert!(
            !name.starts_with(".tmp"),
            "a temporary file was left: {name}"
        );
    }
}

#[test]
fn persistent_failures_name_the_url_and_status_and_change_nothing() {
    let ctx = TestContext::new(&universe()).with_venv();
    let (ok, out) = run(compile(&ctx, &ctx.index_url()));
    assert!(ok, "{out}");
    let lockfile = ctx.read("requirements.txt");
    let server = ctx.server();

    // A newer `lib` appears, but its page keeps failing: compile -U fails, the lockfile stays.
    server.inject("/simple/lib/", Fault::RetryAfter(1), usize::MAX);
    let mut command = compile(&ctx, &ctx.index_url());
    command.arg("--upgrade");
    flaky(&ctx, &mut command, "1.5");
    let (ok, out) = run(command);
    assert!(!ok);
    let shown = unwrapped(&ctx.filters().apply(&out));
    assert!(
        shown.contains("`GET [INDEX]/lib/` failed with status 503 Service Unavailable"),
        "{shown}"
    );
    assert!(
        shown.contains("retrying in 1000 ms"),
        "Retry-After honoured: {shown}"
    );
    assert_eq!(ctx.read("requirements.txt"), lockfile);

    // The wheel keeps breaking half-way: sync fails and the venv is as it was.
    server.heal();
    server.inject("lib-2.0-py3-none-any.whl", Fault::Truncate, usize::MAX);
    let before = installed(ctx.venv());
    let mut sync = ctx.sync();
    sync.arg("requirements.txt");
    flaky(&ctx, &mut sync, "0.5");
    let (ok, out) = run(sync);
    assert!(!ok, "{out}");
    let shown = unwrapped(&ctx.filters().apply(&out));
    assert!(
        shown.contains("`GET [SERVER]/files/lib-2.0-py3-none-any.whl` failed"),
        "{shown}"
    );
    assert_eq!(installed(ctx.venv()), before);
    for entry in walkdir::WalkDir::new(ctx.cache_dir()) {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            name != "lib-2.0-py3-none-any.whl",
            "a partial wheel in the cache"
        );
        assert!(
            !name.starts_with(".tmp"),
            "a temporary file was left: {name}"
        );
    }

    // 500 for ever on a file: the status, after the retries.
    server.heal();
    server.inject("lib-2.0-py3-none-any.whl", Fault::Status(500), usize::MAX);
    let mut sync = ctx.sync();
    sync.arg("requirements.txt");
    flaky(&ctx, &mut sync, "0.5");
    let (ok, out) = run(sync);
    assert!(!ok);
    let shown = unwrapped(&ctx.filters().apply(&out));
    assert!(
        shown.contains(
            "`GET [SERVER]/files/lib-2.0-py3-none-any.whl` failed with status 500 Internal Server Error"
        ),
        "{shown}"
    );
    assert_eq!(installed(ctx.venv()), before);
}

#[test]
fn invalid_pages_are_named_with_what_was_wrong() {
    let ctx = TestContext::new(&universe());
    ctx.server().inject(
        "/simple/app/",
        Fault::Body(
            "application/vnd.pypi.simple.v1+json",
            "{\"files\": [{\"filename\"",
        ),
        usize::MAX,
    );
    let (ok, out) = run(compile(&ctx, &ctx.index_url()));
    assert!(!ok);
    let shown = unwrapped(&ctx.filters().apply(&out));
    assert!(
        shown.contains("`[INDEX]/app/` is not a valid simple API page: invalid JSON"),
        "{shown}"
    );
    assert!(!shown.contains("not found"), "{shown}");

    ctx.server().heal();
    ctx.server().inject(
        "/simple/app/",
        Fault::Body("text/html", "502 Bad Gateway: upstream timed out"),
        usize::MAX,
    );
    let (ok, out) = run(compile(&ctx, &ctx.index_url()));
    assert!(!ok);
    let shown = unwrapped(&ctx.filters().apply(&out));
    assert!(
        shown.contains("`[INDEX]/app/` is not a valid simple API page: expected an HTML page"),
        "{shown}"
    );
}

/// A forward proxy on 127.0.0.1: it relays plain HTTP requests (each on a connection of its
/// own) and tunnels `CONNECT`s (for HTTPS), counting both, and stops with the test.
struct Proxy {
    url: String,
    relayed: Arc<AtomicUsize>,
    /// The `host:port` of every `CONNECT` tunnel it opened.
    tunnels: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Proxy {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let relayed = Arc::new(AtomicUsize::new(0));
        let tunnels = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (count, opened) = (Arc::clone(&relayed), Arc::clone(&tunnels));
        listener.set_nonblocking(false).unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (count, opened) = (Arc::clone(&count), Arc::clone(&opened));
                std::thread::spawn(move || {
                    let _ = relay(stream, &count, &opened);
                });
            }
        });
        Self {
            url,
            relayed,
            tunnels,
        }
    }

    fn tunnels(&self) -> Vec<String> {
        self.tunnels.lock().unwrap().clone()
    }
}

/// One request in absolute form (`GET http://host:port/path HTTP/1.1`) sent on to its origin
/// with `Connection: close`, its answer copied back; or a `CONNECT host:port` tunnel.
fn relay(
    client: TcpStream,
    count: &AtomicUsize,
    tunnels: &std::sync::Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let rest = target.strip_prefix("http://").unwrap_or(target);
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        let name = line.split(':').next().unwrap_or("").to_ascii_lowercase();
        if name != "connection" && name != "proxy-connection" {
            head.push_str(&line);
        }
    }
    if method == "CONNECT" {
        tunnels.lock().unwrap().push(authority.to_string());
        return tunnel(client, reader.buffer().to_vec(), authority);
    }
    head.push_str("Connection: close\r\n\r\n");
    count.fetch_add(1, Ordering::SeqCst);
    let mut origin = TcpStream::connect(authority)?;
    origin.write_all(head.as_bytes())?;
    let mut answer = Vec::new();
    origin.read_to_end(&mut answer)?;
    let mut client = client;
    client.write_all(&answer)?;
    client.shutdown(std::net::Shutdown::Both)
}

/// A `CONNECT` tunnel: bytes copied both ways until either side closes (the proxy never sees
/// inside the TLS it carries).
fn tunnel(mut client: TcpStream, early: Vec<u8>, authority: &str) -> std::io::Result<()> {
    let mut origin = match TcpStream::connect(authority) {
        Ok(origin) => origin,
        Err(err) => {
            client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")?;
            return Err(err);
        }
    };
    client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    origin.write_all(&early)?;
    let (mut from_origin, mut to_client) = (origin.try_clone()?, client.try_clone()?);
    let back = std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_origin, &mut to_client);
        let _ = to_client.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut client, &mut origin);
    let _ = origin.shutdown(std::net::Shutdown::Write);
    let _ = back.join();
    Ok(())
}

#[test]
fn http_proxy_is_used_and_no_proxy_bypasses_it() {
    let ctx = TestContext::new(&universe());
    let proxy = Proxy::start();
    let mut command = compile(&ctx, &ctx.index_url());
    command.env("http_proxy", &proxy.url);
    let (ok, out) = run(command);
    assert!(ok, "{out}");
    let through_proxy = proxy.relayed.load(Ordering::SeqCst);
    assert!(through_proxy > 0, "nothing went through the proxy");
    assert_eq!(through_proxy, ctx.server().requests().len());

    std::fs::remove_dir_all(ctx.cache_dir()).unwrap();
    let mut command = compile(&ctx, &ctx.index_url());
    command
        .env("http_proxy", &proxy.url)
        .env("no_proxy", "127.0.0.1");
    let (ok, out) = run(command);
    assert!(ok, "{out}");
    assert_eq!(proxy.relayed.load(Ordering::SeqCst), through_proxy);

    // pip's `proxy` setting (PIP_PROXY) too.
    std::fs::remove_dir_all(ctx.cache_dir()).unwrap();
    let mut command = compile(&ctx, &ctx.index_url());
    command.env("PIP_PROXY", &proxy.url);
    let (ok, out) = run(command);
    assert!(ok, "{out}");
    assert!(proxy.relayed.load(Ordering::SeqCst) > through_proxy);
}

/// An HTTPS index on 127.0.0.1: Python's `http.server` behind TLS with a certificate for
/// 127.0.0.1 that `openssl` made for this test, serving static simple pages of `universe()`.
/// Killed when dropped, and ends by itself when the test process goes.
struct TlsIndex {
    child: std::process::Child,
    url: String,
    cert: std::path::PathBuf,
}

impl Drop for TlsIndex {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A self-signed certificate for 127.0.0.1 and its key, made by `openssl` as `<stem>.pem` and
/// `<stem>-key.pem` in `dir`.
fn self_signed(dir: &Path, stem: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (
        dir.join(format!("{stem}.pem")),
        dir.join(format!("{stem}-key.pem")),
    );
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl req");
    (cert, key)
}

/// Static simple pages (PEP 503 HTML) and files of `universe()` under `dir/https-root`.
fn static_index(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("https-root");
    let files = root.join("files");
    std::fs::create_dir_all(&files).unwrap();
    IndexServer::serve(&universe()).write_find_links_dir(&files);
    let mut names: Vec<String> = std::fs::read_dir(&files)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    for project in ["app", "lib"] {
        let page = root.join("simple").join(project);
        std::fs::create_dir_all(&page).unwrap();
        let links: String = names
            .iter()
            .filter(|n| n.starts_with(&format!("{project}-")))
            .map(|n| format!("<a href=\"../../files/{n}\">{n}</a>\n"))
            .collect();
        std::fs::write(
            page.join("index.html"),
            format!("<html><body>\n{links}</body></html>\n"),
        )
        .unwrap();
    }
    root
}

fn tls_index(dir: &Path) -> TlsIndex {
    tls_index_requiring(dir, None)
}

/// [`tls_index`]; with `client_ca`, the server asks every client for a certificate and accepts
/// only one that `client_ca` vouches for (mutual TLS, as some company indexes require).
fn tls_index_requiring(dir: &Path, client_ca: Option<&Path>) -> TlsIndex {
    let root = static_index(dir);
    let (cert, key) = self_signed(dir, "cert");
    let verify_client = match client_ca {
        Some(ca) => format!(
            "context.verify_mode = ssl.CERT_REQUIRED\ncontext.load_verify_locations({:?})\n",
            ca.display().to_string()
        ),
        None => String::new(),
    };
    let server = format!(
        "import functools, http.server, os, ssl, sys, threading\n\
         threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()\n\
         handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n\
         httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)\n\
         context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
         context.load_cert_chain({cert:?}, {key:?})\n\
         {verify_client}\
         httpd.socket = context.wrap_socket(httpd.socket, server_side=True)\n\
         print(httpd.server_address[1], flush=True)\n\
         httpd.serve_forever()\n",
        cert = cert.display().to_string(),
        key = key.display().to_string(),
    );
    let mut child = std::process::Command::new("python3")
        .args(["-c", &server])
        .arg(&root)
        // The server ends when its stdin closes: with the test, however the test ends.
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 runs");
    let mut port = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    TlsIndex {
        child,
        url: format!("https://127.0.0.1:{}/simple", port.trim()),
        cert,
    }
}

#[test]
fn certificates_come_from_cert_ca_bundles_or_trusted_hosts() {
    let ctx = TestContext::without_index();
    let index = tls_index(ctx.path());
    let host = index
        .url
        .trim_start_matches("https://")
        .split('/')
        .next()
        .unwrap()
        .to_string();

    // The system's roots do not know this certificate: the error names the host and the roots.
    let (ok, out) = run(compile(&ctx, &index.url));
    assert!(!ok);
    let shown = unwrapped(&out);
    assert!(
        shown.contains("TLS connection to `127.0.0.1` failed for")
            && shown.contains("verifying with the system's certificate authorities"),
        "{shown}"
    );
    assert!(shown.contains("--cert FILE"), "{shown}");

    let mut command = compile(&ctx, &index.url);
    command.arg("--cert").arg(&index.cert);
    let (ok, out) = run(command);
    assert!(ok, "{out}");
    let lockfile = ctx.read("requirements.txt");
    assert!(lockfile.contains("lib==2.0"), "{lockfile}");
    assert!(!lockfile.contains("--cert"), "{lockfile}");

    for variable in ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT"] {
        std::fs::remove_dir_all(ctx.cache_dir()).unwrap();
        let mut command = compile(&ctx, &index.url);
        command.env(variable, &index.cert);
        let (ok, out) = run(command);
        assert!(ok, "{variable}: {out}");
    }

    // A bundle that is not one: the error names it and where it came from.
    std::fs::remove_dir_all(ctx.cache_dir()).unwrap();
    let mut command = compile(&ctx, &index.url);
    command.env("REQUESTS_CA_BUNDLE", ctx.path().join("missing.pem"));
    let (ok, out) = run(command);
    assert!(!ok);
    assert!(
        unwrapped(&out).contains("cannot read the CA bundle named by REQUESTS_CA_BUNDLE"),
        "{out}"
    );

    // `--trusted-host HOST:PORT` skips verification, and the lockfile says so for pip.
    let mut command = compile(&ctx, &index.url);
    command.args(["--trusted-host", &host]);
    let (ok, out) = run(command);
    assert!(ok, "{out}");
    let lockfile = ctx.read("requirements.txt");
    assert!(
        lockfile.contains(&format!("--trusted-host {host}\n")),
        "{lockfile}"
    );
    // The header leaves this machine's network flags out.
    let header: Vec<&str> = lockfile.lines().filter(|l| l.starts_with('#')).collect();
    assert!(
        header.iter().all(|l| !l.contains("--trusted-host")),
        "{lockfile}"
    );
}

/// The host and port of an `https://` index URL.
fn authority(url: &str) -> String {
    let rest = url.trim_start_matches("https://");
    rest.split('/').next().unwrap().to_string()
}

#[test]
fn client_certificates_come_from_client_cert_pip_client_cert_or_pip_conf() {
    let ctx = TestContext::without_index();
    let (client_cert, client_key) = self_signed(ctx.path(), "client");
    let index = tls_index_requiring(ctx.path(), Some(&client_cert));
    // pip's `--client-cert` is one PEM file holding the certificate and its private key.
    let identity = ctx.path().join("client-identity.pem");
    let mut pem = std::fs::read(&client_cert).unwrap();
    pem.extend(std::fs::read(&client_key).unwrap());
    std::fs::write(&identity, pem).unwrap();

    // Without a client certificate the server ends the handshake: a clear error, no lockfile.
    let mut command = compile(&ctx, &index.url);
    command.arg("--cert").arg(&index.cert);
    let (ok, out) = run(command);
    assert!(!ok, "{out}");
    let shown = unwrapped(&out);
    assert!(
        shown.contains("TLS connection to `127.0.0.1` failed for")
            && shown.contains("--client-cert FILE"),
        "{shown}"
    );
    assert!(!ctx.path().join("requirements.txt").exists());

    let mut command = compile(&ctx, &index.url);
    command
        .arg("--cert")
        .arg(&index.cert)
        .arg("--client-cert")
        .arg(&identity);
    let (ok, out) = run(command);
    assert!(ok, "{out}");
    let lockfile = ctx.read("requirements.txt");
    assert!(lockfile.contains("lib==2.0"), "{lockfile}");
    // A path on this machine: never in the lockfile.
    assert!(!lockfile.contains("client-cert"), "{lockfile}");

    // The same from PIP_CLIENT_CERT, and from pip's configuration file.
    std::fs::remove_dir_all(ctx.cache_dir()).unwrap();
    let mut command = compile(&ctx, &index.url);
    command
        .env("PIP_CERT", &index.cert)
        .env("PIP_CLIENT_CERT", &identity);
    let (ok, out) = run(command);
    assert!(ok, "PIP_CLIENT_CERT: {out}");

    std::fs::remove_dir_all(ctx.cache_dir()).unwrap();
    let pip_conf = ctx.path().join("pip.conf");
    std::fs::write(
        &pip_conf,
        format!(
            "[global]\ncert = {}\nclient-cert = {}\n",
            index.cert.display(),
            identity.display()
        ),
    )
    .unwrap();
    let mut command = compile(&ctx, &index.url);
    command.env("PIP_CONFIG_FILE", &pip_conf);
    let (ok, out) = run(command);
    assert!(ok, "pip.conf: {out}");

    // A certificate the server does not trust is refused like none at all.
    std::fs::remove_dir_all(ctx.cache_dir()).unwrap();
    let (other_cert, other_key) = self_signed(ctx.path(), "stranger");
    let stranger = ctx.path().join("stranger-identity.pem");
    let mut pem = std::fs::read(&other_cert).unwrap();
    pem.extend(std::fs::read(&other_key).unwrap());
    std::fs::write(&stranger, pem).unwrap();
    let mut command = compile(&ctx, &index.url);
    command
        .arg("--cert")
        .arg(&index.cert)
        .arg("--client-cert")
        .arg(&stranger);
    let (ok, out) = run(command);
    assert!(!ok, "{out}");
    let shown = unwrapped(&out);
    assert!(
        shown.contains("TLS connection to `127.0.0.1` failed for")
            && shown.contains("the server did not accept the client certificate"),
        "{shown}"
    );
}

#[test]
fn https_proxy_tunnels_an_https_index_and_no_proxy_bypasses_it() {
    let ctx = TestContext::without_index();
    let index = tls_index(ctx.path());
    let proxy = Proxy::start();
    let origin = authority(&index.url);
    for variable in ["https_proxy", "HTTPS_PROXY"] {
        std::fs::remove_dir_all(ctx.cache_dir()).ok();
        let before = proxy.tunnels().len();
        let mut command = compile(&ctx, &index.url);
        command
            .arg("--cert")
            .arg(&index.cert)
            .env(variable, &proxy.url);
        let (ok, out) = run(command);
        assert!(ok, "{variable}: {out}");
        let tunnels = proxy.tunnels();
        assert!(
            tunnels.len() > before,
            "{variable}: no tunnel through the proxy"
        );
        assert!(tunnels.iter().all(|t| *t == origin), "{tunnels:?}");
        assert!(ctx.read("requirements.txt").contains("lib==2.0"));
    }
    // `http_proxy` is for http:// URLs only: an https index does not use it.
    std::fs::remove_dir_all(ctx.cache_dir()).unwrap();
    let before = proxy.tunnels().len();
    let mut command = compile(&ctx, &index.url);
    command
        .arg("--cert")
        .arg(&index.cert)
        .env("http_proxy", &proxy.url);
    let (ok, out) = run(command);
    assert!(ok, "{out}");
    assert_eq!(proxy.tunnels().len(), before);
    // `no_proxy` names the index's host: straight there.
    std::fs::remove_dir_all(ctx.cache_dir()).unwrap();
    let mut command = compile(&ctx, &index.url);
    command
        .arg("--cert")
        .arg(&index.cert)
        .env("https_proxy", &proxy.url)
        .env("no_proxy", "localhost,127.0.0.1");
    let (ok, out) = run(command);
    assert!(ok, "{out}");
    assert_eq!(proxy.tunnels().len(), before);
    assert_eq!(proxy.relayed.load(Ordering::SeqCst), 0);
}
