//! pinion's modules, compiled as a library for the fuzz targets: pinion is a binary crate,
//! and this keeps it one. Each module sits at this crate's root under its own name, so their
//! `crate::` paths resolve as they do in pinion. The list follows src/main.rs (a test in
//! src/fuzz/tests.rs checks it).

#![allow(dead_code, unused_imports, clippy::all)]

#[path = "../../src/build/mod.rs"]
mod build;
#[path = "../../src/cache/mod.rs"]
mod cache;
#[path = "../../src/cli.rs"]
mod cli;
#[path = "../../src/commands/mod.rs"]
mod commands;
#[path = "../../src/fsutil.rs"]
mod fsutil;
#[path = "../../src/index/mod.rs"]
mod index;
#[path = "../../src/inputs/mod.rs"]
mod inputs;
#[path = "../../src/install/mod.rs"]
mod install;
#[path = "../../src/lockfile/mod.rs"]
mod lockfile;
#[path = "../../src/metadata/mod.rs"]
mod metadata;
#[path = "../../src/pep508.rs"]
mod pep508;
#[path = "../../src/pyproject.rs"]
mod pyproject;
#[path = "../../src/python/mod.rs"]
mod python;
#[path = "../../src/report.rs"]
mod report;
#[path = "../../src/requirements/mod.rs"]
mod requirements;
#[path = "../../src/resolver/mod.rs"]
mod resolver;
#[path = "../../src/settings/mod.rs"]
mod settings;
#[path = "../../src/ui.rs"]
mod ui;
#[path = "../../src/fuzz.rs"]
mod fuzz;

/// Run the target named `name` (a folder of testdata/fuzz) on `data`.
pub fn run(name: &str, data: &[u8]) {
    let (_, target) = fuzz::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a known target");
    target(data);
}
