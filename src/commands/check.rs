//! `pinion check`: offline and fast, do the pins of lockfiles still satisfy their inputs?

use std::path::Path;
use std::time::Instant;

use crate::commands::CommandError;
use crate::commands::offline::{self, OfflineLockfile};
use crate::lockfile::verify;
use crate::settings::CheckSettings;
use crate::ui;

/// Check every lockfile; print one line per problem; fail when there is any.
pub(crate) fn run(settings: &CheckSettings) -> Result<(), CommandError> {
    let started = Instant::now();
    let quiet = settings.output.quiet;
    let lockfiles = &settings.lockfiles;
    let cache_dir = &settings.cache_dir;
    let mut problems = 0;
    let mut failed = Vec::new();
    for lockfile in lockfiles {
        let found = check_one(lockfile, cache_dir, quiet)?;
        if found > 0 {
            problems += found;
            failed.push(lockfile.clone());
        }
    }
    if problems > 0 {
        return Err(CommandError::CheckFailed {
            count: problems,
            files: failed,
        });
    }
    if !quiet {
        let names: Vec<String> = lockfiles
            .iter()
            .map(|l| format!("`{}`", l.display()))
            .collect();
        let (names, verb) = match names.as_slice() {
            [one] => (one.clone(), "matches its inputs"),
            _ => (names.join(", "), "match their inputs"),
        };
        eprintln!(
            "{}",
            ui::dim(&format!(
                "{names} {verb} (checked in {}ms)",
                started.elapsed().as_millis()
            ))
        );
    }
    Ok(())
}

/// The number of problems found in one lockfile, each printed on its own line.
fn check_one(lockfile: &Path, cache_dir: &Path, quiet: bool) -> Result<usize, CommandError> {
    let OfflineLockfile {
        text,
        locked,
        compile,
        target,
        inputs,
        constraints,
        pins,
        metadata,
        built_inputs,
        universe,
        all_metadata,
        rewrites,
        ..
    } = offline::load(lockfile, cache_dir)?;
    // With `generate-hashes` from `[tool.pinion]` the header does not say so; pip's rule
    // holds anyway: once one pin has hashes, all need them.
    let hashes_required = compile.lockfile.generate_hashes
        || text.contains("--hash=")
        || crate::lockfile::pylock::reads_as_pylock(lockfile);
    let mut report = match &universe {
        // Universal: every input's markers across the universe, not for one Python.
        Some(universe) => verify::check_universal(
            &locked,
            &inputs,
            &constraints,
            universe,
            &all_metadata,
            &rewrites,
            hashes_required,
        ),
        None => verify::check(
            &verify::locked_urls(&locked),
            &inputs,
            &constraints,
            &pins,
            &target.markers,
            &metadata,
            &rewrites,
            hashes_required,
        ),
    };
    if !built_inputs.is_empty() {
        report
            .problems
            .retain(|p| !matches!(p.inner(), verify::Problem::Unreached { .. }));
        report.unchecked.extend(built_inputs);
    }
    for problem in &report.problems {
        println!("{problem}");
    }
    if !report.unchecked.is_empty() && !quiet {
        let names: Vec<String> = report
            .unchecked
            .iter()
            .map(|text| format!("`{text}`"))
            .collect();
        eprintln!(
            "warning: `{}`: what {} depend{} on is not in the cache (or only a build can tell), so unneeded pins were not looked for\n\nhint: run `pinion compile` once with the network to fill the cache",
            lockfile.display(),
            names.join(", "),
            if names.len() == 1 { "s" } else { "" }
        );
    }
    Ok(report.problems.len())
}
