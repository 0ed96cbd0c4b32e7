//! The stable-toolchain harness: every seed of `testdata/fuzz/<target>/`, then proptest
//! mutations of them (byte flips, insertions of tokens the parsers care about, deletions,
//! repeats, splices of two seeds). `PINION_FUZZ_CASES` sets the mutations per target (default
//! 256, about a second each); the coverage-guided harness is in `fuzz/`.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::TARGETS;

/// Tokens the parsers branch on: include and hash options, continuations, PEP 508 and TOML
/// punctuation, header fields, separators that end names, multi-byte and control characters.
const TOKENS: &[&str] = &[
    "-r ",
    "-c ",
    "-e ",
    "--hash=sha256:",
    "\\\n",
    "\n",
    "\r\n",
    " ",
    "#",
    "# via ",
    "[",
    "]",
    ",",
    ";",
    "@",
    "==",
    "===",
    "~=",
    "!=",
    ">=",
    "<",
    ".*",
    "(",
    ")",
    "${",
    "}",
    "\"",
    "'",
    "-",
    ".",
    "_",
    "é",
    "\u{0}",
    "\t",
    "file://",
    "./",
    "/",
    "..",
    "extra == ",
    "python_version",
    " and ",
    " or ",
    "[tool.pinion]\n",
    "[project]\n",
    "dependencies = [",
    "=",
    "{",
    "}",
    "include-group",
    "Requires-Dist: ",
    "Name: ",
    "Version: ",
    "Provides-Extra: ",
    "Requires-Python: ",
    "Metadata-Version: 2.2\n",
    "#    pinion compile ",
    "PK\u{3}\u{4}",
    "PK\u{1}\u{2}",
    "PK\u{5}\u{6}",
    "PK\u{6}\u{6}",
    "PK\u{6}\u{7}",
    "\u{ff}\u{ff}\u{ff}\u{ff}",
    ".dist-info/",
    "RECORD",
    "WHEEL",
    "..\\",
    "9999999999999999999",
];

/// How a seed is changed.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Repeat(usize, usize, usize),
    Splice(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let token = prop_oneof![
        proptest::sample::select(TOKENS).prop_map(|t| t.as_bytes().to_vec()),
        proptest::collection::vec(any::<u8>(), 1..8),
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, bit)| Mutation::Flip(at, bit)),
        (any::<usize>(), token).prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete(at, len)),
        (any::<usize>(), 1usize..32, 2usize..64)
            .prop_map(|(at, len, n)| Mutation::Repeat(at, len, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(seed, at)| Mutation::Splice(seed, at)),
    ]
}

fn apply(mut data: Vec<u8>, mutations: &[Mutation], seeds: &[Vec<u8>]) -> Vec<u8> {
    for m in mutations {
        let at = |i: usize, data: &Vec<u8>| {
            if data.is_empty() {
                0
            } else {
                i % (data.len() + 1)
            }
        };
        match m {
            Mutation::Flip(i, bit) if !data.is_empty() => {
                let i = i % data.len();
                data[i] ^= 1 << (bit % 8);
            }
            Mutation::Flip(..) => {}
            Mutation::Insert(i, bytes) => {
                let i = at(*i, &data);
                data.splice(i..i, bytes.iter().copied());
            }
            Mutation::Delete(i, len) => {
                let i = at(*i, &data);
                let end = (i + len).min(data.len());
                data.drain(i..end);
            }
            Mutation::Repeat(i, len, n) => {
                let i = at(*i, &data);
                let end = (i + len).min(data.len());
                let part = data[i..end].to_vec();
                for _ in 0..*n {
                    data.splice(end..end, part.iter().copied());
                }
            }
            Mutation::Splice(seed, i) => {
                let other = &seeds[seed % seeds.len()];
                let i = at(*i, &data);
                let from = if other.is_empty() { 0 } else { i % other.len() };
                data.truncate(i);
                data.extend_from_slice(&other[from..]);
            }
        }
    }
    data
}

pub(super) fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/fuzz")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap();
            (f, bytes)
        })
        .collect()
}

fn cases() -> u32 {
    std::env::var("PINION_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

fn fuzz(name: &str) {
    let target = TARGETS.iter().find(|(n, _)| *n == name).unwrap().1;
    let seeds: Vec<Vec<u8>> = seeds(name).into_iter().map(|(_, b)| b).collect();
    assert!(!seeds.is_empty(), "no seeds for {name}");
    for seed in &seeds {
        target(seed);
    }
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..seeds.len(), proptest::collection::vec(mutation(), 1..6));
    runner
        .run(&strategy, |(seed, mutations)| {
            target(&apply(seeds[seed].clone(), &mutations, &seeds));
            Ok(())
        })
        .unwrap();
}

#[test]
fn fuzz_requirements() {
    fuzz("requirements");
}

#[test]
fn fuzz_lockfile() {
    fuzz("lockfile");
}

#[test]
fn fuzz_pylock() {
    fuzz("pylock");
}

#[test]
fn fuzz_pyproject() {
    fuzz("pyproject");
}

#[test]
fn fuzz_metadata() {
    fuzz("metadata");
}

#[test]
fn fuzz_wheel() {
    fuzz("wheel");
}

#[test]
fn fuzz_zip_ranges() {
    fuzz("zip_ranges");
}

/// Inputs the fuzzers found that panicked once; each stays fixed.
#[test]
fn regressions() {
    for (target, run) in TARGETS {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/fuzz/regressions")
            .join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            run(&std::fs::read(entry.unwrap().path()).unwrap());
        }
    }
}

/// The coverage-guided harness in `fuzz/` compiles this crate's modules into a library of
/// its own: it must list every module and every dependency, or it stops building.
#[test]
fn the_fuzz_crate_follows_this_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let lib = read("fuzz/src/lib.rs");
    for line in read("src/main.rs").lines() {
        if let Some(module) = line.strip_prefix("mod ").and_then(|m| m.strip_suffix(';')) {
            assert!(
                lib.contains(&format!("mod {module};")),
                "fuzz/src/lib.rs lacks `mod {module}`"
            );
        }
    }
    let ours: toml::Table = read("Cargo.toml").parse().unwrap();
    let theirs: toml::Table = read("fuzz/Cargo.toml").parse().unwrap();
    for (name, spec) in ours["dependencies"].as_table().unwrap() {
        assert_eq!(
            theirs["dependencies"].get(name),
            Some(spec),
            "fuzz/Cargo.toml must depend on `{name}` as Cargo.toml does"
        );
    }
}
