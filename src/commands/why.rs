//! `pinion why` and `pinion tree`: the dependency graph of a lockfile, offline, from its input
//! lines through its pins (`lockfile::graph`), as far as the cached metadata tells; a universal
//! lockfile's across its whole universe.

use crate::commands::CommandError;
use crate::commands::offline::{self, OfflineLockfile};
use crate::lockfile::graph::{self, Graph, Scope, TreeOptions};
use crate::lockfile::verify;
use crate::settings::{GraphFormat, TreeSettings, WhySettings};

/// Every path from an input line to one pin.
pub(crate) fn why(settings: &WhySettings) -> Result<(), CommandError> {
    let lockfile = offline::load(&settings.lockfile, &settings.cache_dir)?;
    let graph = build(&lockfile);
    let pins = graph.pins_of(&settings.package);
    if pins.is_empty() {
        return Err(CommandError::NotPinned {
            package: settings.package.to_string(),
            lockfile: settings.lockfile.clone(),
        });
    }
    // A universal lockfile may pin the name twice: every pin, each with its paths.
    let found: Vec<(usize, graph::Paths)> = pins
        .into_iter()
        .map(|pin| (pin, graph.paths_to(pin)))
        .collect();
    match settings.format {
        GraphFormat::Json => println!("{:#}", graph::why_json(&graph, &settings.package, &found)),
        GraphFormat::Text => print!("{}", graph::why_text(&graph, &found)),
    }
    if !settings.output.quiet {
        warn_incomplete(&settings.lockfile, &graph, &lockfile);
    }
    Ok(())
}

/// The whole graph, or inverted, each pin with what requires it.
pub(crate) fn tree(settings: &TreeSettings) -> Result<(), CommandError> {
    let lockfile = offline::load(&settings.lockfile, &settings.cache_dir)?;
    let graph = build(&lockfile);
    let options = TreeOptions {
        invert: settings.invert,
        depth: settings.depth,
    };
    match settings.format {
        GraphFormat::Json => println!("{:#}", graph::tree_json(&graph, options)),
        GraphFormat::Text => print!("{}", graph::tree_text(&graph, options)),
    }
    if !settings.output.quiet {
        warn_incomplete(&settings.lockfile, &graph, &lockfile);
    }
    Ok(())
}

/// The lockfile's graph: in its target's environment, or for a universal lockfile across its
/// universe, every pin whatever its marker.
fn build(lockfile: &OfflineLockfile) -> Graph {
    match &lockfile.universe {
        Some(universe) => Graph::build(
            &lockfile.inputs,
            &verify::all_locked_pins(&lockfile.locked),
            Scope::Universe(universe),
            &lockfile.all_metadata,
            &lockfile.rewrites,
            &lockfile.included_from,
        ),
        None => {
            let metadata: Vec<_> = lockfile.metadata.values().cloned().collect();
            Graph::build(
                &lockfile.inputs,
                &lockfile.pins,
                Scope::Target(&lockfile.target.markers),
                &metadata,
                &lockfile.rewrites,
                &lockfile.included_from,
            )
        }
    }
}

/// Say what the graph could not follow: pins whose metadata is not cached, inputs only a
/// build can describe.
fn warn_incomplete(path: &std::path::Path, graph: &Graph, lockfile: &OfflineLockfile) {
    let missing = graph.missing();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
        eprintln!(
            "warning: `{}`: the metadata of {} is not in the cache, so what {} require{} is not shown\n\nhint: run `pinion compile` once with the network to fill the cache",
            path.display(),
            names.join(", "),
            if names.len() == 1 { "it" } else { "they" },
            if names.len() == 1 { "s" } else { "" },
        );
    }
    if !lockfile.built_inputs.is_empty() {
        let names: Vec<String> = lockfile
            .built_inputs
            .iter()
            .map(|m| format!("`{m}`"))
            .collect();
        eprintln!(
            "warning: `{}`: only a build can tell what {} depend{} on, so those paths are not shown",
            path.display(),
            names.join(", "),
            if names.len() == 1 { "s" } else { "" },
        );
    }
}
