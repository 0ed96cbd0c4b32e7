//! `pinion compile` through the binary against the local index.

mod common;

use std::path::Path;

use common::{IndexOptions, IndexServer, Package, PackageUniverse, pinion, render_against};
use tempfile::TempDir;

struct Project {
    dir: TempDir,
    server: IndexServer,
}

impl Project {
    fn new(options: IndexOptions) -> Self {
        let universe = PackageUniverse::testdata("basic");
        Self {
            dir: tempfile::tempdir().unwrap(),
            server: IndexServer::start(&universe, options),
        }
    }

    fn basic() -> Self {
        Self::new(IndexOptions::default())
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, content: &str) {
        std::fs::write(self.path().join(name), content).unwrap();
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap()
    }

    /// `pinion compile --index-url <local> --python-version 3.12 ARGS`.
    fn compile(&self, args: &[&str]) -> std::process::Output {
        pinion(self.path())
            .args([
                "compile",
                "--index-url",
                &self.server.url(),
                "--python-version",
                "3.12",
            ])
            .args(args)
            .output()
            .unwrap()
    }

    fn render(&self, output: &std::process::Output) -> String {
        render_against(output, &self.server, self.path())
    }

    fn snapshot_file(&self, name: &str) -> String {
        self.read(name).replace(&self.server.url(), "[INDEX]")
    }
}

#[test]
fn compiles_a_pinned_lockfile_with_via_annotations() {
    let project = Project::basic();
    project.write("requirements.in", "requests[socks]>=2.31\n");
    let output = project.compile(&["requirements.in"]);
    assert!(output.status.success(), "{}", project.render(&output));
    insta::assert_snapshot!(project.snapshot_file("requirements.txt"));
}

#[test]
fn generate_hashes_lists_every_file_of_the_release() {
    let project = Project::basic();
    project.write("requirements.in", "charset-normalizer\nidna\n");
    let output = project.compile(&["--generate-hashes", "requirements.in"]);
    assert!(output.status.success(), "{}", project.render(&output));
    let lockfile = project.read("requirements.txt");
    // charset-normalizer 3.4.0 has four wheels and an sdist.
    let charset = lockfile.split("idna==").next().unwrap();
    assert_eq!(charset.matches("--hash=sha256:").count(), 5, "{lockfile}");
    for file in [
        "charset_normalizer-3.4.0-py3-none-any.whl",
        "charset_normalizer-3.4.0.tar.gz",
    ] {
        assert!(
            lockfile.contains(&project.server.sha256(file)),
            "{file} missing"
        );
    }
    insta::assert_snapshot!(project.snapshot_file("requirements.txt"));
}

#[test]
fn annotation_styles_and_no_header() {
    let project = Project::basic();
    project.write("requirements.in", "requests\nidna\n");
    let output = project.compile(&[
        "--annotation-style",
        "line",
        "--no-header",
        "requirements.in",
    ]);
    assert!(output.status.success(), "{}", project.render(&output));
    insta::assert_snapshot!("line_style", project.snapshot_file("requirements.txt"));
    let output = project.compile(&[
        "--no-annotate",
        "--no-header",
        "-o",
        "bare.txt",
        "requirements.in",
    ]);
    assert!(output.status.success());
    insta::assert_snapshot!("no_annotate", project.snapshot_file("bare.txt"));
}

#[test]
fn compiling_twice_is_byte_identical_and_keeps_pins() {
    let project = Project::basic();
    project.write("requirements.in", "requests\n");
    assert!(project.compile(&["requirements.in"]).status.success());
    let first = project.read("requirements.txt");
    assert!(project.compile(&["requirements.in"]).status.success());
    assert_eq!(first, project.read("requirements.txt"));

    // New releases appear: existing pins are preferences, so nothing moves...
    let universe = PackageUniverse::testdata("basic")
        .with(Package::new("urllib3", "2.2.4").requires_python(">=3.8"))
        .with(Package::new("idna", "3.11").requires_python(">=3.6"));
    project.server.set_universe(&universe);
    assert!(
        project
            .compile(&["--refresh", "requirements.in"])
            .status
            .success()
    );
    assert_eq!(first, project.read("requirements.txt"));

    // ...until -P asks for one package: only that pin changes.
    assert!(
        project
            .compile(&["-P", "urllib3", "requirements.in"])
            .status
            .success()
    );
    let upgraded = project.read("requirements.txt");
    assert!(upgraded.contains("urllib3==2.2.4"), "{upgraded}");
    assert!(upgraded.contains("idna==3.10"), "{upgraded}");
    assert_eq!(
        first.replace("urllib3==2.2.3", "urllib3==2.2.4"),
        upgraded,
        "-P urllib3 must change only urllib3"
    );

    // -P NAME==VERSION moves the pin exactly there, down as well as up.
    assert!(
        project
            .compile(&["-P", "urllib3==1.26.20", "requirements.in"])
            .status
            .success()
    );
    assert!(
        project
            .read("requirements.txt")
            .contains("urllib3==1.26.20")
    );

    // -U drops every preference.
    assert!(project.compile(&["-U", "requirements.in"]).status.success());
    let all = project.read("requirements.txt");
    assert!(
        all.contains("urllib3==2.2.4") && all.contains("idna==3.11"),
        "{all}"
    );
}

#[test]
fn a_conflict_is_explained_and_leaves_the_output_alone() {
    let project = Project::basic();
    project.write("requirements.in", "requests==2.32.3\nurllib3<1.21\n");
    project.write("requirements.txt", "# the old lockfile\n");
    let output = project.compile(&["requirements.in"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(project.render(&output));
    assert_eq!(project.read("requirements.txt"), "# the old lockfile\n");
}

#[test]
fn an_unknown_package_is_named() {
    let project = Project::basic();
    project.write("requirements.in", "requests\nno-such-package>=1\n");
    let output = project.compile(&["requirements.in"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(project.render(&output));
}

#[test]
fn requires_python_decides_between_releases() {
    let project = Project::basic();
    project.write("requirements.in", "certifi\n");
    assert!(project.compile(&["requirements.in"]).status.success());
    assert!(
        project
            .read("requirements.txt")
            .contains("certifi==2024.8.30")
    );
    let output = pinion(project.path())
        .args([
            "compile",
            "--index-url",
            &project.server.url(),
            "--python-version",
            "3.13",
        ])
        .args(["-o", "py313.txt", "requirements.in"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(project.read("py313.txt").contains("certifi==2025.1.31"));
    // A pin that needs a newer Python explains itself.
    project.write("new.in", "certifi==2025.1.31\n");
    let output = project.compile(&["new.in"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(project.render(&output));
}

#[test]
fn pre_releases_only_when_asked() {
    let project = Project::basic();
    project.write("requirements.in", "urllib3\n");
    assert!(project.compile(&["requirements.in"]).status.success());
    assert!(project.read("requirements.txt").contains("urllib3==2.2.3"));
    assert!(
        project
            .compile(&["--pre", "-U", "requirements.in"])
            .status
            .success()
    );
    assert!(
        project
            .read("requirements.txt")
            .contains("urllib3==2.3.0b1")
    );
    project.write("named.in", "urllib3>=2.3.0b1\n");
    assert!(project.compile(&["named.in"]).status.success());
    assert!(project.read("named.txt").contains("urllib3==2.3.0b1"));
}

#[test]
fn yanked_releases_only_when_pinned_exactly() {
    let project = Project::basic();
    project.write("requirements.in", "idna<3.10\n");
    assert!(project.compile(&["requirements.in"]).status.success());
    assert!(project.read("requirements.txt").contains("idna==3.7"));
    project.write("pinned.in", "idna==3.8\n");
    assert!(project.compile(&["pinned.in"]).status.success());
    assert!(project.read("pinned.txt").contains("idna==3.8"));
}

#[test]
fn dry_run_and_stdin_print_to_stdout() {
    let project = Project::basic();
    project.write("requirements.in", "idna\n");
    let output = project.compile(&["--dry-run", "requirements.in"]);
    assert!(output.status.success());
    assert!(!project.path().join("requirements.txt").exists());
    assert!(String::from_utf8_lossy(&output.stdout).contains("idna==3.10"));
    let output = pinion(project.path())
        .args([
            "compile",
            "--index-url",
            &project.server.url(),
            "--python-version",
            "3.12",
        ])
        .args(["--no-header", "-"])
        .write_stdin("idna\n")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).replace(&project.server.url(), "[INDEX]"),
        "--index-url [INDEX]\n\nidna==3.10\n    # via -r -\n"
    );
}

#[test]
fn constraints_limit_versions_and_are_annotated() {
    let project = Project::basic();
    project.write("requirements.in", "-c constraints.txt\nrequests\n");
    project.write("constraints.txt", "urllib3<2\n");
    let output = project.compile(&["--no-header", "requirements.in"]);
    assert!(output.status.success(), "{}", project.render(&output));
    insta::assert_snapshot!(project.snapshot_file("requirements.txt"));
}

#[test]
fn every_index_flavour_gives_the_same_lockfile() {
    let reference = {
        let project = Project::basic();
        project.write("requirements.in", "requests[socks]\n");
        assert!(
            project
                .compile(&["--no-header", "--generate-hashes", "requirements.in"])
                .status
                .success()
        );
        project.snapshot_file("requirements.txt")
    };
    // (flavour, how wheel metadata must have been fetched)
    let flavours = [
        (
            "html",
            IndexOptions {
                json: false,
                ..IndexOptions::default()
            },
            "PEP 658",
        ),
        (
            "no-pep658",
            IndexOptions {
                pep658: false,
                ..IndexOptions::default()
            },
            "range",
        ),
        (
            "no-range",
            IndexOptions {
                pep658: false,
                range_requests: false,
                ..IndexOptions::default()
            },
            "whole file",
        ),
    ];
    for (name, options, path) in flavours {
        let project = Project::new(options);
        project.write("requirements.in", "requests[socks]\n");
        let output = project.compile(&["--no-header", "--generate-hashes", "requirements.in"]);
        assert!(
            output.status.success(),
            "{name}: {}",
            project.render(&output)
        );
        assert_eq!(
            reference,
            project.snapshot_file("requirements.txt"),
            "{name}"
        );
        let requests = project.server.requests();
        let count = |f: &dyn Fn(&String) -> bool| requests.iter().filter(|r| f(r)).count();
        let pep658 = count(&|r| r.contains(".whl.metadata"));
        let ranges = count(&|r| r.contains(".whl [Range"));
        let whole = count(&|r| r.ends_with(".whl"));
        let expected = match path {
            "PEP 658" => pep658 > 0 && ranges == 0 && whole == 0,
            "range" => pep658 == 0 && ranges > 0 && whole == 0,
            _ => pep658 == 0 && whole > 0,
        };
        assert!(
            expected,
            "{name}: metadata not fetched by {path}: {requests:?}"
        );
    }
}

#[test]
fn find_links_directory_without_an_index() {
    let project = Project::basic();
    let links = project.path().join("wheels");
    project.server.write_find_links_dir(&links);
    project.write("requirements.in", "requests\n");
    let output = pinion(project.path())
        .args([
            "compile",
            "--no-index",
            "--find-links",
            "wheels",
            "--python-version",
            "3.12",
        ])
        .args(["--no-header", "requirements.in"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", project.render(&output));
    let lockfile = project.read("requirements.txt");
    assert!(
        lockfile.starts_with("--no-index\n--find-links wheels\n"),
        "{lockfile}"
    );
    assert!(lockfile.contains("requests==2.32.3"), "{lockfile}");
}

#[test]
fn a_warm_cache_compiles_without_the_network() {
    let project = Project::basic();
    project.write("requirements.in", "requests[socks]\n");
    assert!(project.compile(&["requirements.in"]).status.success());
    project.server.clear_requests();
    // Within the freshness window nothing is asked again, even though the index sends no
    // caching headers.
    assert!(
        project
            .compile(&["--no-header", "-o", "again.txt", "requirements.in"])
            .status
            .success()
    );
    assert_eq!(project.server.requests(), Vec::<String>::new());
    // --offline works from the cache alone.
    assert!(
        project
            .compile(&[
                "--offline",
                "--no-header",
                "-o",
                "offline.txt",
                "requirements.in"
            ])
            .status
            .success()
    );
    assert_eq!(project.read("again.txt"), project.read("offline.txt"));
}

#[test]
fn unsafe_packages_extras_and_extra_indexes() {
    let universe = PackageUniverse::new()
        .with(
            Package::new("app", "1.0")
                .dep("setuptools>=60")
                .dep("lib[fast]"),
        )
        .with(Package::new("setuptools", "70.0.0"))
        .with(Package::new("lib", "2.0").extra("fast", &["speedup"]));
    let extra = IndexServer::serve(&PackageUniverse::new().with(Package::new("speedup", "0.3")));
    let dir = tempfile::tempdir().unwrap();
    let server = IndexServer::serve(&universe);
    std::fs::write(dir.path().join("requirements.in"), "app\n").unwrap();
    let compile = |args: &[&str]| {
        pinion(dir.path())
            .args(["compile", "--no-header", "--python-version", "3.12"])
            .args([
                "--index-url",
                &server.url(),
                "--extra-index-url",
                &extra.url(),
            ])
            .args(args)
            .arg("requirements.in")
            .output()
            .unwrap()
    };
    let read = || {
        std::fs::read_to_string(dir.path().join("requirements.txt"))
            .unwrap()
            .replace(&server.url(), "[INDEX]")
            .replace(&extra.url(), "[EXTRA]")
    };
    assert!(compile(&[]).status.success());
    insta::assert_snapshot!("unsafe_listed_not_pinned", read());
    assert!(
        compile(&["--allow-unsafe", "--strip-extras"])
            .status
            .success()
    );
    insta::assert_snapshot!("unsafe_pinned_extras_stripped", read());
}

#[test]
fn a_non_regular_output_is_written_in_place() {
    let project = Project::basic();
    project.write("requirements.in", "idna\n");
    let output = project.compile(&["-o", "/dev/null", "requirements.in"]);
    assert!(output.status.success(), "{}", project.render(&output));
    assert!(Path::new("/dev/null").exists());
    assert!(!Path::new("/dev/null").is_file());
}

#[test]
fn direct_references_to_files_are_pinned_by_url() {
    let project = Project::basic();
    let url = format!(
        "{}/idna-3.7-py3-none-any.whl",
        project.server.files_url().trim_end_matches('/')
    );
    project.write("requirements.in", &format!("idna @ {url}\nrequests\n"));
    let output = project.compile(&["--no-header", "--generate-hashes", "requirements.in"]);
    assert!(output.status.success(), "{}", project.render(&output));
    let lockfile = project.read("requirements.txt");
    let hash = project.server.sha256("idna-3.7-py3-none-any.whl");
    assert!(
        lockfile.contains(&format!("idna @ {url} \\\n    --hash=sha256:{hash}\n")),
        "{lockfile}"
    );
    // pip reads the same line.
    let venv = project.path().join("venv");
    assert!(
        std::process::Command::new("python3")
            .args(["-m", "venv", "--without-pip"])
            .arg(&venv)
            .status()
            .unwrap()
            .success()
    );
    let pip = std::process::Command::new("python3")
        .args(["-m", "pip", "--python"])
        .arg(venv.join("bin/python"))
        .args([
            "install",
            "--no-deps",
            "--require-hashes",
            "--disable-pip-version-check",
            "-q",
            "-r",
        ])
        .arg(project.path().join("requirements.txt"))
        .output()
        .unwrap();
    assert!(
        pip.status.success(),
        "{}",
        String::from_utf8_lossy(&pip.stderr)
    );
}

#[test]
fn hashes_of_find_links_files_are_computed() {
    let project = Project::basic();
    project
        .server
        .write_find_links_dir(&project.path().join("wheels"));
    project.write("requirements.in", "idna\n");
    let output = pinion(project.path())
        .args([
            "compile",
            "--no-index",
            "-f",
            "wheels",
            "--python-version",
            "3.12",
        ])
        .args(["--no-header", "--generate-hashes", "requirements.in"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", project.render(&output));
    let lockfile = project.read("requirements.txt");
    for file in ["idna-3.10-py3-none-any.whl", "idna-3.10.tar.gz"] {
        assert!(
            lockfile.contains(&project.server.sha256(file)),
            "{file}: {lockfile}"
        );
    }
}
