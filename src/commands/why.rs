//! `pinion why` and `pinion tree`: the dependency graph of a lockfile, offline, from its input
//! lines through its pins (`lockfile::graph`), as far as the cached metadata tells.

use crate::commands::CommandError;
use crate::commands::offline::{self, OfflineLockfile};
use crate::lockfile::graph::{self, Graph, TreeOptions};
use crate::settings::{GraphFormat, TreeSettings, WhySettings};

/// Every path from an input line to one pin.
pub(crate) fn why(settings: &WhySettings) -> Result<(), CommandError> {
    let lockfile = offline::load(&settings.lockfile, &settings.cache_dir)?;
    let graph = Graph::build(
        &lockfile.inputs,
        &lockfile.pins,
        &lockfile.target.markers,
        &lockfile.metadata,
        &lockfile.included_from,
    );
    if !graph.nodes.contains_key(&settings.package) {
        return Err(CommandError::NotPinned {
            package: settings.package.to_string(),
            lockfile: settings.lockfile.clone(),
        });
    }
    let paths = graph.paths_to(&settings.package);
    match settings.format {
        GraphFormat::Json => println!("{:#}", graph::why_json(&graph, &settings.package, &paths)),
        GraphFormat::Text if paths.paths.is_empty() => println!(
            "{} is pinned, but no input line reaches it",
            graph.nodes[&settings.package].label
        ),
        GraphFormat::Text => print!("{}", graph::why_text(&graph, &settings.package, &paths)),
    }
    if !settings.output.quiet {
        warn_incomplete(&settings.lockfile, &graph, &lockfile);
    }
    Ok(())
}

/// The whole graph, or inverted, each pin with what requires it.
pub(crate) fn tree(settings: &TreeSettings) -> Result<(), CommandError> {
    let lockfile = offline::load(&settings.lockfile, &settings.cache_dir)?;
    let graph = Graph::build(
        &lockfile.inputs,
        &lockfile.pins,
        &lockfile.target.markers,
        &lockfile.metadata,
        &lockfile.included_from,
    );
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
