//! Malformed requirement files meet the user as miette diagnostics naming file, line and column,
//! with exit code 2. One snapshot per file in testdata/diagnostics.

use std::path::Path;

use assert_cmd::Command;

#[test]
fn malformed_inputs_render_diagnostics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/diagnostics");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "in"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "expected at least 10 malformed inputs");
    for case in cases {
        let name = case.file_name().unwrap().to_str().unwrap();
        let output = Command::cargo_bin("pinion")
            .unwrap()
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .args(["compile", name])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{name} must exit 2");
        assert!(output.stdout.is_empty(), "{name} wrote to stdout");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
        insta::assert_snapshot!(name.trim_end_matches(".in"), stderr);
    }
}
