//! The parser against a corpus of real-world-style files in testdata/requirements.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use pep508_rs::VersionOrUrl;

use super::{BinaryChoice, RequirementSpec, RequirementsTxt, read};

fn corpus(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/requirements")
        .join(path)
}

/// One line per item, with absolute paths made relative so snapshots hold on every machine.
fn render(parsed: &RequirementsTxt) -> String {
    let root = corpus("").display().to_string();
    let mut out = String::new();
    let entries = parsed
        .requirements
        .iter()
        .map(|e| ("requirement", e))
        .chain(parsed.constraints.iter().map(|e| ("constraint", e)));
    for (role, entry) in entries {
        let what = match &entry.spec {
            RequirementSpec::Named(r) => {
                let extras: Vec<_> = r.extras.iter().map(ToString::to_string).collect();
                let version = match &r.version_or_url {
                    None => String::new(),
                    Some(VersionOrUrl::VersionSpecifier(s)) => format!(" version `{s}`"),
                    Some(VersionOrUrl::Url(u)) => format!(" url `{u}`"),
                };
                format!("name `{}` extras {extras:?}{version}", r.name)
            }
            RequirementSpec::Unnamed(r) => {
                let extras: Vec<_> = r.extras.iter().map(ToString::to_string).collect();
                format!("unnamed url `{}` extras {extras:?}", r.url)
            }
        };
        let marker = match &entry.spec {
            RequirementSpec::Named(r) => r.marker.contents().map(|m| m.to_string()),
            RequirementSpec::Unnamed(r) => r.marker.contents().map(|m| m.to_string()),
        };
        write!(out, "{} {role}", entry.origin).unwrap();
        if entry.editable {
            out.push_str(" editable");
        }
        write!(out, " {what}").unwrap();
        if let Some(marker) = marker {
            write!(out, " marker `{marker}`").unwrap();
        }
        for hash in &entry.hashes {
            write!(out, " hash {hash}").unwrap();
        }
        out.push('\n');
    }
    writeln!(out, "options: {:#?}", parsed.options).unwrap();
    writeln!(out, "files: {:?}", parsed.files).unwrap();
    out.replace(&root, "[CORPUS]/")
        .replace("[CORPUS]//", "[CORPUS]/")
}

#[test]
fn realworld_input_with_includes_and_constraints() {
    let parsed = read(&corpus("realworld/requirements.in")).unwrap();
    assert_eq!(parsed.requirements.len(), 15);
    assert_eq!(parsed.constraints.len(), 2);
    // The continuation joins three physical lines into one requirement.
    let boto = parsed
        .requirements
        .iter()
        .find(|e| matches!(&e.spec, RequirementSpec::Named(r) if r.name.as_ref() == "boto3"))
        .unwrap();
    assert_eq!((boto.origin.line, boto.origin.column), (11, 1));
    insta::assert_snapshot!(render(&parsed));
}

#[test]
fn lockfile_pins_with_hashes_and_markers() {
    let parsed = read(&corpus("realworld/requirements.txt")).unwrap();
    assert_eq!(parsed.requirements.len(), 5);
    assert_eq!(parsed.requirements[0].hashes.len(), 2);
    insta::assert_snapshot!(render(&parsed));
}

#[test]
fn dev_input_layers_on_the_lockfile() {
    let parsed = read(&corpus("realworld/requirements-dev.in")).unwrap();
    // The lockfile's five pins come first, as requirements, then the dev tools.
    assert_eq!(parsed.requirements.len(), 9);
    assert!(
        parsed.requirements[0]
            .origin
            .file
            .ends_with("realworld/requirements.txt")
    );
    assert_eq!(parsed.files.len(), 2);
    insta::assert_snapshot!(render(&parsed));
}

#[test]
fn direct_references_paths_and_editables() {
    // SAFETY: only this test reads this variable.
    unsafe {
        std::env::set_var(
            "PINION_CORPUS_ROOT",
            corpus("urls").display().to_string().trim_end_matches('/'),
        )
    };
    let parsed = read(&corpus("urls/requirements.in")).unwrap();
    assert_eq!(parsed.requirements.len(), 9);
    assert_eq!(parsed.requirements.iter().filter(|e| e.editable).count(), 3);
    insta::assert_snapshot!(render(&parsed));
}

#[test]
fn file_level_options_merge_over_includes() {
    // SAFETY: only this test reads this variable.
    unsafe { std::env::set_var("PINION_CORPUS_TOKEN", "t0k3n") };
    let parsed = read(&corpus("options/requirements.in")).unwrap();
    let options = &parsed.options;
    assert_eq!(
        options.index_url.as_deref(),
        Some("http://user:t0k3n@127.0.0.1:3143/simple")
    );
    assert_eq!(options.extra_index_urls.len(), 2);
    assert_eq!(options.only_binary, BinaryChoice::All);
    assert!(options.no_index && options.pre && options.prefer_binary);
    assert_eq!(parsed.requirements.len(), 2);
    insta::assert_snapshot!(render(&parsed));
}
