//! Malformed requirement files meet the user as miette diagnostics naming file, line and column,
//! with exit code 2. One test and one snapshot per file in testdata/diagnostics, so one failure
//! hides none of the others.

#[path = "common/support.rs"]
pub mod common;

use std::path::{Path, PathBuf};

use common::TestContext;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/diagnostics")
}

/// `pinion compile CASE.in` in testdata/diagnostics: exit 2, nothing on stdout, no panic, and
/// stderr as the snapshot `CASE`.
fn diagnose(case: &str) {
    let run = TestContext::without_index()
        .pinion()
        .current_dir(cases_dir())
        .args(["compile", &format!("{case}.in")])
        .output()
        .unwrap();
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{case} panicked:\n{stderr}");
    assert_eq!(run.status.code(), Some(2), "{case} must exit 2:\n{stderr}");
    assert!(run.stdout.is_empty(), "{case} wrote to stdout");
    insta::assert_snapshot!(case, stderr);
}

/// One `#[test]` per case, named after its file.
macro_rules! cases {
    ($($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                diagnose(stringify!($case));
            }
        )*

        const CASES: &[&str] = &[$(stringify!($case)),*];
    };
}

cases! {
    bad_binary_option,
    bad_extras,
    bad_hash,
    bad_hash_algorithm,
    bad_index_url,
    bad_marker,
    bad_specifier,
    command_line_option,
    continued_bad_specifier,
    hash_without_requirement,
    include_cycle,
    invalid_editable,
    misplaced_option,
    missing_include,
    missing_path,
    missing_value,
    multibyte_after_marker,
    remote_include,
    unexpected_value,
    unknown_option,
}

/// A new file in testdata/diagnostics needs its line in `cases!`.
#[test]
fn every_case_file_has_a_test() {
    let mut files: Vec<String> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "in"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut cases: Vec<&str> = CASES.to_vec();
    cases.sort();
    assert_eq!(
        files, cases,
        "testdata/diagnostics/*.in and `cases!` differ"
    );
}
