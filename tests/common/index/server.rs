//! A package index on 127.0.0.1: PEP 503 HTML and PEP 691 JSON pages, PEP 658 metadata files
//! and HTTP range requests on the files, each switchable so a test can take a feature away.

use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use base64::Engine;
use serde_json::json;

use super::build::{BuiltIndex, BuiltProject, DistFile, sha256_hex};
use super::spec::{PackageUniverse, normalize_name};

const JSON_TYPE: &str = "application/vnd.pypi.simple.v1+json";
const HTML_TYPE: &str = "application/vnd.pypi.simple.v1+html";

/// What the index offers. The default is a modern index (everything on, no cache headers).
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// PEP 691 JSON pages for clients that ask for them.
    pub json: bool,
    /// PEP 503 HTML pages; when off, a client that does not accept JSON gets 406.
    pub html: bool,
    /// PEP 658/714 `.metadata` files, advertised on the pages.
    pub pep658: bool,
    /// `Accept-Ranges: bytes` and 206 answers; when off, Range is ignored (200, full body).
    pub range_requests: bool,
    /// Advertise sha256 hashes: the `#sha256=` fragment in HTML and `hashes` in JSON.
    pub hash_fragments: bool,
    /// A `Cache-Control` value for every answer; None sends none, as many proxies do.
    pub cache_headers: Option<String>,
    /// Send an `ETag` and answer a matching `If-None-Match` with 304.
    pub etag: bool,
    /// `(user, password)` that every request must carry as `Authorization: Basic` (pages,
    /// metadata, files, ranges alike); others get 401.
    pub basic_auth: Option<(String, String)>,
    /// Answer every file request (not `.metadata`) with a 302 to this base URL plus the file
    /// name: files hosted elsewhere, as on a CDN.
    pub files_redirect: Option<String>,
}

/// A fault the server injects instead of its answer (see [`IndexServer::inject`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Close the connection without answering.
    Reset,
    /// Send the headers (with the full Content-Length) and half the body, then close.
    Truncate,
    /// Send a Content-Length larger than the body, the body, then close.
    WrongLength,
    /// Answer with this status and no useful body.
    Status(u16),
    /// 503 with `Retry-After: <seconds>`.
    RetryAfter(u64),
    /// Say nothing for this long, then close.
    Stall(std::time::Duration),
    /// 200 with this content type and body (an invalid page).
    Body(&'static str, &'static str),
}

/// A fault for the requests whose path contains `path`, `times` more times (`usize::MAX`:
/// for ever).
#[derive(Debug, Clone)]
struct FaultRule {
    path: String,
    fault: Fault,
    times: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        Self {
            json: true,
            html: true,
            pep658: true,
            range_requests: true,
            hash_fragments: true,
            cache_headers: None,
            etag: false,
            basic_auth: None,
            files_redirect: None,
        }
    }
}

/// One request as the server saw it, for tests that assert what the client fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// The request target as sent (path and query, not decoded).
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut headers = self.headers.iter();
        let found = headers.find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str())
    }
}

/// `GET /files/a-1.0-py3-none-any.whl [Range: bytes=-100]`: the method, the target and the
/// headers that change what is fetched.
impl fmt::Display for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        for name in ["Range", "If-None-Match", "If-Modified-Since"] {
            if let Some(value) = self.header(name) {
                write!(f, " [{name}: {value}]")?;
            }
        }
        Ok(())
    }
}

/// A running index; stops when dropped.
pub struct IndexServer {
    addr: SocketAddr,
    state: Arc<State>,
    acceptor: Option<JoinHandle<()>>,
}

struct State {
    /// `http://127.0.0.1:PORT`, for absolute file URLs.
    base: String,
    index: RwLock<Arc<BuiltIndex>>,
    options: RwLock<IndexOptions>,
    log: Mutex<Vec<RecordedRequest>>,
    faults: Mutex<Vec<FaultRule>>,
    stopping: AtomicBool,
}

impl IndexServer {
    /// Builds every artifact of `universe` and serves them on a random loopback port.
    pub fn start(universe: &PackageUniverse, options: IndexOptions) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("a bound address");
        let state = Arc::new(State {
            base: format!("http://{addr}"),
            index: RwLock::new(Arc::new(BuiltIndex::build(universe))),
            options: RwLock::new(options),
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(Vec::new()),
            stopping: AtomicBool::new(false),
        });
        let acceptor = {
            let state = state.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if state.stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let state = state.clone();
                    // A thread per connection, for its whole keep-alive life: a pool that
                    // queues connections behind idle keep-alive ones (tiny_http's did) leaves a
                    // request unanswered until the client's read timeout.
                    std::thread::spawn(move || serve_connection(&state, stream));
                }
            })
        };
        Self {
            addr,
            state,
            acceptor: Some(acceptor),
        }
    }

    /// Starts with [`IndexOptions::default`].
    pub fn serve(universe: &PackageUniverse) -> Self {
        Self::start(universe, IndexOptions::default())
    }

    /// The index URL: `http://127.0.0.1:PORT/simple`.
    pub fn url(&self) -> String {
        format!("{}/simple", self.state.base)
    }

    /// Where the files live: `http://127.0.0.1:PORT/files`.
    pub fn files_url(&self) -> String {
        format!("{}/files", self.state.base)
    }

    /// The root of the server: `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.state.base
    }

    /// Answers the next `times` requests whose path contains `path` with `fault` (first
    /// matching rule first); `usize::MAX` makes it permanent.
    pub fn inject(&self, path: &str, fault: Fault, times: usize) {
        self.state.faults.lock().unwrap().push(FaultRule {
            path: path.to_string(),
            fault,
            times,
        });
    }

    /// How many injected faults have not happened yet (permanent ones not counted).
    pub fn pending_faults(&self) -> usize {
        let faults = self.state.faults.lock().unwrap();
        faults
            .iter()
            .filter(|rule| rule.times != usize::MAX)
            .map(|rule| rule.times)
            .sum()
    }

    /// Drops every injected fault.
    pub fn heal(&self) {
        self.state.faults.lock().unwrap().clear();
    }

    /// Every request so far, rendered as `METHOD target [Header: value]...`, in arrival order.
    pub fn requests(&self) -> Vec<String> {
        self.recorded_requests()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Every request so far with all of its headers.
    pub fn recorded_requests(&self) -> Vec<RecordedRequest> {
        self.state.log.lock().unwrap().clone()
    }

    pub fn clear_requests(&self) {
        self.state.log.lock().unwrap().clear();
    }

    /// Publishes a different universe (e.g. a newer release appears between two compiles).
    pub fn set_universe(&self, universe: &PackageUniverse) {
        *self.state.index.write().unwrap() = Arc::new(BuiltIndex::build(universe));
    }

    /// The artifacts being served.
    pub fn index(&self) -> Arc<BuiltIndex> {
        self.state.index.read().unwrap().clone()
    }

    /// Writes every wheel and sdist into `dir`, for `--find-links` tests.
    pub fn write_find_links_dir(&self, dir: &Path) {
        self.index().write_to_dir(dir);
    }

    /// The bytes of a served file; panics if there is no such file.
    pub fn file_bytes(&self, filename: &str) -> Vec<u8> {
        self.dist_file(filename).bytes
    }

    /// The hex sha256 of a served file, as a lockfile's `--hash=sha256:` carries it.
    pub fn sha256(&self, filename: &str) -> String {
        self.dist_file(filename).sha256
    }

    pub fn dist_file(&self, filename: &str) -> DistFile {
        let index = self.index();
        let file = index.file(filename);
        file.unwrap_or_else(|| panic!("the index serves no file {filename}"))
            .clone()
    }
}

impl Drop for IndexServer {
    fn drop(&mut self) {
        self.state.stopping.store(true, Ordering::SeqCst);
        // Wake the acceptor, which then sees `stopping`.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// HTTP/1.1 on one connection: GET and HEAD without bodies, keep-alive until the client closes
/// or says `Connection: close`.
fn serve_connection(state: &State, stream: TcpStream) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let blank = line == b"\r\n" || line == b"\n";
            if blank && head.is_empty() {
                continue;
            }
            head.extend_from_slice(&line);
            if blank || head.len() > 64 * 1024 {
                break;
            }
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        if !matches!(parsed.parse(&head), Ok(httparse::Status::Complete(_))) {
            let _ = write_reply(&mut writer, Reply::status(400), false);
            return;
        }
        let request = RecordedRequest {
            method: parsed.method.unwrap_or_default().to_string(),
            path: parsed.path.unwrap_or_default().to_string(),
            headers: parsed
                .headers
                .iter()
                .map(|h| {
                    let value = String::from_utf8_lossy(h.value).into_owned();
                    (h.name.to_string(), value)
                })
                .collect(),
        };
        state.log.lock().unwrap().push(request.clone());
        let reply = handle(state, &request);
        if let Some(fault) = take_fault(state, &request.path) {
            match inject(&mut writer, fault, reply) {
                Some(reply) => {
                    if write_reply(&mut writer, reply, false).is_err() {
                        return;
                    }
                    continue;
                }
                None => return,
            }
        }
        let head_only = request.method == "HEAD";
        // Requests with bodies are not expected: answer and close rather than skip them.
        let close = !matches!(request.method.as_str(), "GET" | "HEAD")
            || request
                .header("Connection")
                .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        if write_reply(&mut writer, reply, head_only).is_err() || close {
            return;
        }
    }
}

/// The fault of the first rule matching `path` that has times left, counting it.
fn take_fault(state: &State, path: &str) -> Option<Fault> {
    let mut faults = state.faults.lock().unwrap();
    let rule = faults
        .iter_mut()
        .find(|rule| rule.times > 0 && path.contains(&rule.path))?;
    if rule.times != usize::MAX {
        rule.times -= 1;
    }
    Some(rule.fault.clone())
}

/// Acts out `fault` in place of `reply`: None when the connection is to be closed, else the
/// reply to send instead.
fn inject(writer: &mut TcpStream, fault: Fault, reply: Reply) -> Option<Reply> {
    let head = |reply: &Reply, length: usize| {
        let mut out = format!(
            "HTTP/1.1 {} Status\r\nContent-Length: {length}\r\n",
            reply.status
        );
        for (name, value) in &reply.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        out.into_bytes()
    };
    match fault {
        Fault::Reset => None,
        Fault::Stall(duration) => {
            std::thread::sleep(duration);
            None
        }
        Fault::Truncate => {
            let mut bytes = head(&reply, reply.body.len());
            bytes.extend_from_slice(&reply.body[..reply.body.len() / 2]);
            let _ = writer.write_all(&bytes);
            let _ = writer.flush();
            None
        }
        Fault::WrongLength => {
            let mut bytes = head(&reply, reply.body.len() + 100);
            bytes.extend_from_slice(&reply.body);
            let _ = writer.write_all(&bytes);
            let _ = writer.flush();
            None
        }
        Fault::Status(status) => Some(Reply::status(status)),
        Fault::RetryAfter(seconds) => {
            Some(Reply::status(503).header("Retry-After", seconds.to_string()))
        }
        Fault::Body(content_type, body) => Some(Reply::new(200, content_type, body)),
    }
}

fn write_reply(writer: &mut TcpStream, reply: Reply, head_only: bool) -> std::io::Result<()> {
    let reason = match reply.status {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        304 => "Not Modified",
        401 => "Unauthorized",
        403 => "Forbidden",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        416 => "Range Not Satisfiable",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut out = format!("HTTP/1.1 {} {reason}\r\n", reply.status);
    // Always a Content-Length: range-request clients size the file from it.
    let has_length = reply
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("Content-Length"));
    if !has_length {
        out.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
    }
    for (name, value) in &reply.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    if !head_only && reply.status != 304 {
        bytes.extend_from_slice(&reply.body);
    }
    writer.write_all(&bytes)?;
    writer.flush()
}

/// An answer, before it is written.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        let headers = vec![("Content-Type", content_type.to_string())];
        let body = body.into();
        Self {
            status,
            headers,
            body,
        }
    }

    fn status(status: u16) -> Self {
        Self::new(status, "text/plain", format!("{status}\n"))
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

fn handle(state: &State, request: &RecordedRequest) -> Reply {
    if !matches!(request.method.as_str(), "GET" | "HEAD") {
        return Reply::status(405).header("Allow", "GET, HEAD");
    }
    let options = state.options.read().unwrap().clone();
    let index = state.index.read().unwrap().clone();
    let header = |name: &'static str| request.header(name);
    if let Some((user, password)) = &options.basic_auth {
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        if header("Authorization") != Some(expected.as_str()) {
            return Reply::status(401).header("WWW-Authenticate", "Basic realm=\"index\"");
        }
    }
    let if_none_match = header("If-None-Match");
    let page = |render: &dyn Fn(Format) -> Reply| match negotiate(header("Accept"), &options) {
        Some(format) => finish(render(format), &options, if_none_match).header("Vary", "Accept"),
        None => Reply::status(406),
    };
    let target = request.path.split(['?', '#']).next().unwrap_or("");
    let path = percent_decode(target);
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments[..] {
        ["simple"] | ["simple", ""] => page(&|format| project_list(&index, format)),
        // A non-normalized name is served directly, as the PEP 503 normalization allows.
        ["simple", name] | ["simple", name, ""] => match index.project(name) {
            Some(project) => page(&|format| project_page(project, &state.base, &options, format)),
            None => Reply::status(404),
        },
        ["files", filename] => match &options.files_redirect {
            Some(base) if !filename.ends_with(".metadata") => {
                Reply::status(302).header("Location", format!("{base}/files/{filename}"))
            }
            _ => serve_file(&index, filename, &options, header("Range"), if_none_match),
        },
        _ => Reply::status(404),
    }
}

/// Cache headers and conditional requests, common to every successful answer.
fn finish(reply: Reply, options: &IndexOptions, if_none_match: Option<&str>) -> Reply {
    let mut reply = reply;
    if let Some(cache_control) = &options.cache_headers {
        reply = reply.header("Cache-Control", cache_control.clone());
    }
    if options.etag {
        let etag = format!("\"{}\"", &sha256_hex(&reply.body)[..16]);
        let mut tags = if_none_match.unwrap_or("").split(',').map(str::trim);
        if tags.any(|t| t == "*" || t == etag) {
            let mut not_modified = Reply::status(304);
            not_modified.body.clear();
            not_modified.headers = reply.headers;
            return not_modified.header("ETag", etag);
        }
        reply = reply.header("ETag", etag);
    }
    reply
}

fn serve_file(
    index: &BuiltIndex,
    filename: &str,
    options: &IndexOptions,
    range: Option<&str>,
    if_none_match: Option<&str>,
) -> Reply {
    // PEP 658: `<file>.metadata` is the wheel's METADATA, only where the pages advertise it.
    if let Some(file) = filename
        .strip_suffix(".metadata")
        .and_then(|f| index.file(f))
    {
        return match (&file.metadata, options.pep658) {
            (Some(metadata), true) => {
                let reply = Reply::new(200, "application/octet-stream", metadata.clone());
                finish(reply, options, if_none_match)
            }
            _ => Reply::status(404),
        };
    }
    let Some(file) = index.file(filename) else {
        return Reply::status(404);
    };
    let full = Reply::new(200, "application/octet-stream", file.bytes.clone());
    let full = finish(full, options, if_none_match);
    // A 304 stays a 304: the client's copy is current, whatever range it asked for.
    if !options.range_requests || full.status != 200 {
        return full;
    }
    let full = full.header("Accept-Ranges", "bytes");
    let len = file.bytes.len();
    match range.map_or(ByteRange::Ignored, |r| ByteRange::parse(r, len)) {
        ByteRange::Ignored => full,
        ByteRange::Unsatisfiable => {
            Reply::status(416).header("Content-Range", format!("bytes */{len}"))
        }
        ByteRange::Part(start, end) => Reply {
            status: 206,
            body: file.bytes[start..=end].to_vec(),
            ..full
        }
        .header("Content-Range", format!("bytes {start}-{end}/{len}")),
    }
}

/// What a `Range` header asks of a file (RFC 9110 14.1.2); only single ranges are honoured.
enum ByteRange {
    /// Malformed or several ranges: answering 200 with the whole file is allowed.
    Ignored,
    /// Starts past the end: 416.
    Unsatisfiable,
    /// Inclusive bounds, clamped to the file.
    Part(usize, usize),
}

impl ByteRange {
    fn parse(header: &str, len: usize) -> Self {
        let spec = header.trim().strip_prefix("bytes=").unwrap_or(",");
        let Some((first, last)) = spec.split_once('-').filter(|_| !spec.contains(',')) else {
            return Self::Ignored;
        };
        let (first, last) = (first.trim(), last.trim());
        // `bytes=-N`: the last N bytes.
        if first.is_empty() {
            return match last.parse::<usize>() {
                Err(_) => Self::Ignored,
                Ok(0) => Self::Unsatisfiable,
                Ok(_) if len == 0 => Self::Unsatisfiable,
                Ok(n) => Self::Part(len.saturating_sub(n), len - 1),
            };
        }
        let start = first.parse::<usize>();
        let end = if last.is_empty() {
            Ok(usize::MAX)
        } else {
            last.parse::<usize>()
        };
        match (start, end) {
            (Ok(start), Ok(end)) if start <= end => {
                if start >= len {
                    Self::Unsatisfiable
                } else {
                    Self::Part(start, end.min(len - 1))
                }
            }
            _ => Self::Ignored,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Json,
    /// HTML with this Content-Type.
    Html(&'static str),
}

/// PEP 691 content negotiation: the acceptable format with the highest q wins, the first
/// listed on a tie. No Accept header means `*/*`, which gets HTML unless HTML is off.
fn negotiate(accept: Option<&str>, options: &IndexOptions) -> Option<Format> {
    let html = |content_type| options.html.then_some(Format::Html(content_type));
    let json = options.json.then_some(Format::Json);
    let mut best: Option<(f32, Format)> = None;
    for entry in accept.unwrap_or("*/*").split(',') {
        let mut params = entry.split(';');
        let media = params.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = params
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let format = match media.as_str() {
            JSON_TYPE | "application/vnd.pypi.simple.latest+json" => json,
            HTML_TYPE | "application/vnd.pypi.simple.latest+html" => html(HTML_TYPE),
            "text/html" => html("text/html; charset=utf-8"),
            "*/*" => html("text/html; charset=utf-8").or(json),
            _ => None,
        };
        if let Some(format) = format
            && q > 0.0
            && best.is_none_or(|(best_q, _)| q > best_q)
        {
            best = Some((q, format));
        }
    }
    best.map(|(_, format)| format)
}

fn project_list(index: &BuiltIndex, format: Format) -> Reply {
    match format {
        Format::Json => {
            let projects = index.projects.values().map(|p| json!({ "name": p.name }));
            let body = json!({
                "meta": { "api-version": "1.1" },
                "projects": projects.collect::<Vec<_>>(),
            });
            Reply::new(200, JSON_TYPE, body.to_string())
        }
        Format::Html(content_type) => {
            let mut body = html_head("Simple index");
            for (normalized, project) in &index.projects {
                let name = escape(&project.name);
                body += &format!("    <a href=\"/simple/{normalized}/\">{name}</a><br />\n");
            }
            body += HTML_TAIL;
            Reply::new(200, content_type, body)
        }
    }
}

fn project_page(
    project: &BuiltProject,
    base: &str,
    options: &IndexOptions,
    format: Format,
) -> Reply {
    let url = |file: &DistFile| format!("{base}/files/{}", file.filename);
    // PEP 658 metadata exists only for wheels here (an sdist's may be dynamic).
    let metadata = |file: &DistFile| file.metadata_sha256().filter(|_| options.pep658);
    match format {
        Format::Json => {
            let files = project.files.iter().map(|file| {
                let mut entry = json!({
                    "filename": file.filename,
                    "url": url(file),
                    "hashes": {},
                    "size": file.bytes.len(),
                    "yanked": yanked_json(file),
                });
                if options.hash_fragments {
                    entry["hashes"] = json!({ "sha256": file.sha256 });
                }
                if let Some(requires_python) = &file.requires_python {
                    entry["requires-python"] = json!(requires_python);
                }
                if let Some(upload_time) = &file.upload_time {
                    entry["upload-time"] = json!(upload_time);
                }
                // PEP 714: JSON carries only the new key; `dist-info-metadata` in JSON makes
                // pip 22.3 to 23.0 (Debian 12's pip among them) crash.
                if let Some(sha256) = metadata(file) {
                    entry["core-metadata"] = json!({ "sha256": sha256 });
                }
                entry
            });
            let body = json!({
                "meta": { "api-version": "1.1" },
                "name": normalize_name(&project.name),
                "versions": project.versions,
                "files": files.collect::<Vec<_>>(),
            });
            Reply::new(200, JSON_TYPE, body.to_string())
        }
        Format::Html(content_type) => {
            let mut body = html_head(&format!("Links for {}", project.name));
            for file in &project.files {
                let mut href = url(file);
                if options.hash_fragments {
                    href += &format!("#sha256={}", file.sha256);
                }
                let mut attrs = String::new();
                if let Some(requires_python) = &file.requires_python {
                    attrs += &format!(" data-requires-python=\"{}\"", escape(requires_python));
                }
                if file.yanked {
                    let reason = file.yanked_reason.as_deref().unwrap_or("");
                    attrs += &format!(" data-yanked=\"{}\"", escape(reason));
                }
                // PEP 714 lets HTML keep the old attribute beside the new one, for old clients.
                if let Some(sha256) = metadata(file) {
                    attrs += &format!(" data-core-metadata=\"sha256={sha256}\"");
                    attrs += &format!(" data-dist-info-metadata=\"sha256={sha256}\"");
                }
                let (href, filename) = (escape(&href), escape(&file.filename));
                body += &format!("    <a href=\"{href}\"{attrs}>{filename}</a><br />\n");
            }
            body += HTML_TAIL;
            Reply::new(200, content_type, body)
        }
    }
}

/// PEP 691: `false`, or the reason string (`true` when there is none).
fn yanked_json(file: &DistFile) -> serde_json::Value {
    match (file.yanked, &file.yanked_reason) {
        (false, _) => json!(false),
        (true, Some(reason)) => json!(reason),
        (true, None) => json!(true),
    }
}

fn html_head(title: &str) -> String {
    let title = escape(title);
    format!(
        "<!DOCTYPE html>\n<html>\n  <head>\n    \
         <meta name=\"pypi:repository-version\" content=\"1.1\">\n    \
         <title>{title}</title>\n  </head>\n  <body>\n    <h1>{title}</h1>\n"
    )
}

const HTML_TAIL: &str = "  </body>\n</html>\n";

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// `%XX` escapes in a request path (clients may send `+` in a local version as `%2B`).
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
