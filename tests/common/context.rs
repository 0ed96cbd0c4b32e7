//! [`TestContext`]: one project directory with its own cache, optionally a venv, and the local
//! index it compiles against; it builds `pinion` commands the way a user types them (uv's
//! `TestContext` in `uv-test`, cargo's `cargo-test-support` `project()`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use tempfile::TempDir;

use super::index::{IndexOptions, IndexServer, PackageUniverse};
use super::snapshot::Filters;

/// Which Python `compile` resolves for.
#[derive(Debug, Clone, Copy)]
enum TargetPython {
    /// `--python-version X.Y`: the same on every machine, and written in the header as is.
    Version(&'static str),
    /// `--python python3`: the host's interpreter, needed to run builds; its version is
    /// filtered out of headers.
    Host,
}

/// A temporary project: `path()` is the working directory of every command, the cache is
/// `path()/.cache`, the venv (when asked for) `path()/venv`. Everything goes when it drops.
pub struct TestContext {
    root: TempDir,
    server: Option<IndexServer>,
    venv: Option<PathBuf>,
    python: TargetPython,
    filters: Filters,
}

impl TestContext {
    /// A project that compiles against a local index serving `universe`, for Python 3.12.
    pub fn new(universe: &PackageUniverse) -> Self {
        Self::with_index_options(universe, IndexOptions::default())
    }

    /// [`Self::new`] with an index that offers only what `options` allow.
    pub fn with_index_options(universe: &PackageUniverse, options: IndexOptions) -> Self {
        let mut context = Self::without_index();
        context.server = Some(IndexServer::start(universe, options));
        context
    }

    /// A project with no index, for commands that never reach one.
    pub fn without_index() -> Self {
        Self {
            root: tempfile::tempdir().expect("a temporary directory"),
            server: None,
            venv: None,
            python: TargetPython::Version("3.12"),
            filters: Filters::default(),
        }
    }

    /// With a fresh venv at `venv`, the one [`Self::sync`] syncs.
    pub fn with_venv(mut self) -> Self {
        self.venv = Some(self.new_venv("venv"));
        self
    }

    /// `compile` resolves for the host's `python3` (builds need a real interpreter).
    pub fn with_host_python(mut self) -> Self {
        self.python = TargetPython::Host;
        self
    }

    /// One more filter for [`Self::filters`], for what only this test knows varies.
    pub fn with_filter(mut self, from: impl Into<String>, to: &str) -> Self {
        self.filters = self.filters.with(from, to);
        self
    }

    /// The project directory.
    pub fn path(&self) -> &Path {
        self.root.path()
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.path().join(".cache")
    }

    /// The venv of [`Self::with_venv`].
    pub fn venv(&self) -> &Path {
        self.venv.as_deref().expect("a context made `with_venv()`")
    }

    pub fn server(&self) -> &IndexServer {
        self.server.as_ref().expect("a context made with an index")
    }

    /// `http://127.0.0.1:PORT/simple`.
    pub fn index_url(&self) -> String {
        self.server().url()
    }

    /// Writes `content` to `name` under the project, creating folders on the way.
    pub fn write(&self, name: &str, content: &str) {
        let path = self.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    /// Writes a lockfile that installs `pins` from the local index.
    pub fn write_lockfile(&self, name: &str, pins: &str) {
        self.write(name, &format!("--index-url {}\n\n{pins}", self.index_url()));
    }

    pub fn read(&self, name: &str) -> String {
        let path = self.path().join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// A file of the project as a snapshot should show it: [`Self::read`], filtered.
    pub fn lockfile(&self, name: &str) -> String {
        self.filters().apply(&self.read(name))
    }

    /// A fresh venv `name` in the project, without pip (milliseconds to make): tests run pip
    /// from outside with `--python`.
    pub fn new_venv(&self, name: &str) -> PathBuf {
        let venv = self.path().join(name);
        let status = std::process::Command::new("python3")
            .args(["-m", "venv", "--without-pip"])
            .arg(&venv)
            .status()
            .expect("python3 runs");
        assert!(status.success(), "python3 -m venv {}", venv.display());
        venv
    }

    /// `pinion` in the project directory, colour off, with the project's cache and none of the
    /// caller's PIP_*, VIRTUAL_ENV, RUST_LOG or COLUMNS.
    pub fn pinion(&self) -> Command {
        let mut command = Command::cargo_bin("pinion").expect("the pinion binary");
        command
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env("PINION_CACHE_DIR", self.cache_dir())
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env_remove("PIP_INDEX_URL")
            .env_remove("PIP_EXTRA_INDEX_URL")
            .env_remove("PIP_FIND_LINKS")
            .env_remove("PIP_NO_INDEX")
            .env_remove("CUSTOM_COMPILE_COMMAND")
            .env_remove("UV_CUSTOM_COMPILE_COMMAND")
            .env_remove("VIRTUAL_ENV")
            .env_remove("RUST_LOG")
            .env_remove("PINION_NOW")
            .env_remove("COLUMNS");
        // The network as this machine's user has it: proxies, CA bundles, credentials.
        for key in [
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "no_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "NO_PROXY",
            "NETRC",
            "PIP_CERT",
            "PIP_CLIENT_CERT",
            "PIP_TRUSTED_HOST",
            "PIP_PROXY",
            "PIP_TIMEOUT",
            "PIP_KEYRING_PROVIDER",
            "REQUESTS_CA_BUNDLE",
            "SSL_CERT_FILE",
            "PINION_HTTP_RETRY_BUDGET",
        ] {
            command.env_remove(key);
        }
        command
    }

    /// `pinion compile --index-url <local index> --python-version 3.12` (or `--python python3`
    /// [`Self::with_host_python`]); without an index, no `--index-url`.
    pub fn compile(&self) -> Command {
        let mut command = self.pinion();
        command.arg("compile");
        if let Some(server) = &self.server {
            command.args(["--index-url", &server.url()]);
        }
        match self.python {
            TargetPython::Version(version) => command.args(["--python-version", version]),
            TargetPython::Host => command.args(["--python", "python3"]),
        };
        command
    }

    /// `pinion sync --python <venv>/bin/python`, into the venv of [`Self::with_venv`].
    pub fn sync(&self) -> Command {
        self.sync_into(self.venv())
    }

    /// `pinion sync --python <venv>/bin/python`.
    pub fn sync_into(&self, venv: &Path) -> Command {
        let mut command = self.pinion();
        command
            .arg("sync")
            .arg("--python")
            .arg(venv.join("bin/python"));
        command
    }

    /// `pinion check`.
    pub fn check(&self) -> Command {
        let mut command = self.pinion();
        command.arg("check");
        command
    }

    /// What varies in this project's output: the filters of [`Self::with_filter`], its
    /// directory (`[DIR]`), the index URL (`[INDEX]`) and server (`[SERVER]`), the host
    /// Python's version in headers, and the timings and pinion version every context filters.
    pub fn filters(&self) -> Filters {
        // This test's own first: an extra index's URL may start with the main server's.
        let mut filters = self.filters.clone();
        if let Some(server) = &self.server {
            let url = server.url();
            let root = url.trim_end_matches("/simple").to_string();
            filters = filters.with(url, "[INDEX]").with(root, "[SERVER]");
        }
        let dir = self.path().display().to_string();
        if let Ok(canonical) = self.path().canonicalize() {
            let canonical = canonical.display().to_string();
            if canonical != dir {
                filters = filters.with(canonical, "[DIR]");
            }
        }
        filters = filters.with(dir, "[DIR]");
        if let TargetPython::Host = self.python {
            filters = filters.with(
                format!("with Python {}", host_python_version()),
                "with Python [PYTHON]",
            );
        }
        filters
    }
}

/// `X.Y` of the host's `python3`.
fn host_python_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let output = std::process::Command::new("python3")
            .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
            .output()
            .expect("python3 runs");
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    })
}
