//! The dependency graph of a lockfile, for `pinion why` and `pinion tree`: from the input lines
//! through the pins, each edge with the requirement (specifier and markers) that makes it, as far
//! as the cached metadata tells. Pure logic: the command hands it the inputs, the pins and the
//! metadata, and prints what it renders.
//!
//! A lockfile compiled for one target is followed in that target's environment. A universal
//! lockfile is followed across its whole universe: each pin is a node of its own (a package
//! pinned twice under disjoint markers is two nodes, each shown with its marker), and a
//! requirement leads to each pin of its package where the requiring pin's marker, the
//! requirement's and the pin's all hold together somewhere in the universe.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use pep508_rs::{ExtraName, MarkerEnvironment, MarkerTree, PackageName, Requirement, VerbatimUrl};
use serde_json::{Value, json};

use super::verify::LockedPin;
use crate::metadata::CoreMetadata;
use crate::requirements::{Origin, RequirementEntry, RequirementSpec};
use crate::resolver::{Rewrites, decide_extras};

/// At most this many paths are listed by `why`: a dense graph has more than anyone reads.
const MAX_PATHS: usize = 1000;

/// Where the graph's markers are decided.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    /// A lockfile for one target: markers evaluated in its environment, over the pins whose
    /// markers hold there.
    Target(&'a MarkerEnvironment),
    /// A universal lockfile's universe: every pin, markers compared as regions of it.
    Universe(&'a MarkerTree),
}

impl Scope<'_> {
    /// Whether a requirement with `marker` (the `asked` extras on), stated where `from` holds
    /// (None: an input line), reaches a pin whose marker is `to`.
    fn reaches(
        &self,
        marker: &MarkerTree,
        asked: &[ExtraName],
        from: Option<&MarkerTree>,
        to: &MarkerTree,
    ) -> bool {
        match self {
            Self::Target(environment) => marker.evaluate(environment, asked),
            Self::Universe(universe) => {
                let mut region = decide_extras(marker, asked);
                region.and((*universe).clone());
                if let Some(from) = from {
                    region.and(from.clone());
                }
                region.and(to.clone());
                !region.is_false()
            }
        }
    }
}

/// One input line that names a pin.
#[derive(Debug, Clone)]
pub(crate) struct Root {
    pub(crate) origin: Origin,
    /// The `-r` lines that include the origin's file, the top-level file's first.
    pub(crate) included_from: Vec<Origin>,
    /// The requirement as written, markers included.
    pub(crate) requirement: String,
    /// The extras it asks for.
    pub(crate) extras: Vec<ExtraName>,
    /// The pin it reaches (an index into [`Graph::nodes`]).
    pub(crate) to: usize,
}

/// One requirement of a pin's metadata on another pin.
#[derive(Debug, Clone)]
pub(crate) struct Edge {
    /// An index into [`Graph::nodes`].
    pub(crate) to: usize,
    /// The requirement as the metadata states it, markers included.
    pub(crate) requirement: String,
}

/// One pin.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) name: PackageName,
    /// `name[extras]==version`, or the pin as written for a direct reference; with its marker
    /// in a universal lockfile.
    pub(crate) label: String,
    pub(crate) version: Option<String>,
    /// The pin's marker as the universal lockfile writes it (None: it holds everywhere, or the
    /// lockfile is for one target).
    pub(crate) marker: Option<String>,
    /// The extras the graph asks of this pin.
    pub(crate) extras: BTreeSet<ExtraName>,
    pub(crate) edges: Vec<Edge>,
    /// Whether the cache held the pin's metadata (else its edges are unknown).
    pub(crate) known: bool,
}

/// The whole graph of a lockfile.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    pub(crate) roots: Vec<Root>,
    /// The pins by name, then in lockfile order.
    pub(crate) nodes: Vec<Node>,
    /// Built for a universal lockfile.
    pub(crate) universal: bool,
}

/// The paths `why` found to one pin: each an input line, then the pins it goes through, in
/// order (indices into [`Graph::nodes`]).
#[derive(Debug, Default)]
pub(crate) struct Paths {
    pub(crate) paths: Vec<(usize, Vec<usize>)>,
    /// More paths exist than [`MAX_PATHS`].
    pub(crate) truncated: bool,
}

/// The lockfile's side of a graph: its pins, and the metadata of the pinned versions.
struct Pins<'a> {
    pins: Vec<&'a LockedPin>,
    by_name: HashMap<&'a PackageName, Vec<usize>>,
    metadata: Vec<Option<Arc<CoreMetadata>>>,
    /// The header's overrides and excludes, which compile read every requirement through.
    rewrites: &'a Rewrites,
}

impl<'a> Pins<'a> {
    fn new(pins: &'a [LockedPin], metadata: &[Arc<CoreMetadata>], rewrites: &'a Rewrites) -> Self {
        let mut pins: Vec<&LockedPin> = pins.iter().collect();
        // Sorted by name, stable: two pins of a name stay in lockfile order.
        pins.sort_by(|a, b| a.name.cmp(&b.name));
        let mut by_name: HashMap<&PackageName, Vec<usize>> = HashMap::new();
        for (index, pin) in pins.iter().enumerate() {
            by_name.entry(&pin.name).or_default().push(index);
        }
        let metadata = pins
            .iter()
            .map(|pin| {
                metadata
                    .iter()
                    .find(|m| {
                        m.name == pin.name && pin.version.as_ref().is_none_or(|v| *v == m.version)
                    })
                    .cloned()
            })
            .collect();
        Self {
            pins,
            by_name,
            metadata,
            rewrites,
        }
    }

    /// What stands for `requirement` as compile read it: nothing for an excluded package, an
    /// override line where its marker holds (`Rewrites::apply_marked`: the requirement's
    /// marker kept, so the scope still decides where it holds).
    fn rewritten<'r>(
        &'r self,
        requirement: &'r Requirement<VerbatimUrl>,
    ) -> Vec<Cow<'r, Requirement<VerbatimUrl>>> {
        self.rewrites.apply_marked(requirement)
    }

    /// The text an edge shows for `rewritten`, which stands for `original`: `(overridden by
    /// FILE)` when an override made it, as in the lockfile's `# via`.
    fn edge_text(
        &self,
        original: &Requirement<VerbatimUrl>,
        rewritten: &Requirement<VerbatimUrl>,
    ) -> String {
        let mut text = rewritten.to_string();
        if rewritten.version_or_url != original.version_or_url {
            let files: Vec<String> = self
                .rewrites
                .overridden_within(&rewritten.name, &rewritten.marker)
                .iter()
                .map(|file| file.display().to_string())
                .collect();
            let _ = write!(text, " (overridden by {})", files.join(", "));
        }
        text
    }

    /// The pins of `name` a requirement with `marker` reaches from `from` (None: an input).
    fn targets(
        &self,
        scope: Scope,
        name: &PackageName,
        marker: &MarkerTree,
        asked: &[ExtraName],
        from: Option<usize>,
    ) -> Vec<usize> {
        let from = from.map(|index| &self.pins[index].marker);
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&to| scope.reaches(marker, asked, from, &self.pins[to].marker))
            .collect()
    }
}

impl Graph {
    /// The graph from `inputs` through `pins`, following the dependencies `metadata` (of the
    /// pinned versions) states in `scope` and the extras asked of each pin.
    pub(crate) fn build(
        inputs: &[RequirementEntry],
        pins: &[LockedPin],
        scope: Scope,
        metadata: &[Arc<CoreMetadata>],
        rewrites: &Rewrites,
        included_from: &HashMap<PathBuf, Origin>,
    ) -> Self {
        let pins = Pins::new(pins, metadata, rewrites);
        let mut roots = Vec::new();
        for entry in inputs {
            let RequirementSpec::Named(requirement) = &entry.spec else {
                continue;
            };
            for rewritten in pins.rewritten(requirement) {
                let targets = pins.targets(scope, &rewritten.name, &rewritten.marker, &[], None);
                for to in targets {
                    roots.push(Root {
                        included_from: chain_of(&entry.origin, included_from),
                        origin: entry.origin.clone(),
                        requirement: pins.edge_text(requirement, &rewritten),
                        extras: rewritten.extras.clone(),
                        to,
                    });
                }
            }
        }
        let extras = asked_extras(&pins, scope, &roots);
        let universal = matches!(scope, Scope::Universe(_));
        let nodes = (0..pins.pins.len())
            .map(|index| node(&pins, scope, index, &extras[index], universal))
            .collect();
        Self {
            roots,
            nodes,
            universal,
        }
    }

    /// The pins named `name`.
    pub(crate) fn pins_of(&self, name: &PackageName) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&index| self.nodes[index].name == *name)
            .collect()
    }

    /// Pins the inputs reach whose metadata the cache does not hold: what lies past them is
    /// not shown.
    pub(crate) fn missing(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut queue: VecDeque<usize> = self.roots.iter().map(|r| r.to).collect();
        let mut missing = Vec::new();
        while let Some(index) = queue.pop_front() {
            if !seen.insert(index) {
                continue;
            }
            let node = &self.nodes[index];
            if !node.known {
                missing.push(node.label.clone());
            }
            queue.extend(node.edges.iter().map(|e| e.to));
        }
        missing.sort();
        missing
    }

    /// Every path from an input line to the pin `target`, without going through a pin twice.
    pub(crate) fn paths_to(&self, target: usize) -> Paths {
        // Only pins from which `target` can be reached are worth walking.
        let mut dependents: HashMap<usize, Vec<usize>> = HashMap::new();
        for (index, node) in self.nodes.iter().enumerate() {
            for edge in &node.edges {
                dependents.entry(edge.to).or_default().push(index);
            }
        }
        let mut useful = HashSet::new();
        let mut queue = VecDeque::from([target]);
        while let Some(index) = queue.pop_front() {
            if useful.insert(index) {
                queue.extend(dependents.get(&index).into_iter().flatten().copied());
            }
        }
        let mut found = Paths::default();
        for (index, root) in self.roots.iter().enumerate() {
            if useful.contains(&root.to) {
                let mut path = vec![root.to];
                self.walk(index, target, &useful, &mut path, &mut found);
            }
        }
        found
    }

    fn walk(
        &self,
        root: usize,
        target: usize,
        useful: &HashSet<usize>,
        path: &mut Vec<usize>,
        found: &mut Paths,
    ) {
        if found.paths.len() >= MAX_PATHS {
            found.truncated = true;
            return;
        }
        let last = path.last().copied().unwrap_or(target);
        if last == target {
            found.paths.push((root, path.clone()));
            return;
        }
        for edge in &self.nodes[last].edges {
            if useful.contains(&edge.to) && !path.contains(&edge.to) {
                path.push(edge.to);
                self.walk(root, target, useful, path, found);
                path.pop();
            }
        }
    }

    fn edge(&self, from: usize, to: usize) -> Option<&Edge> {
        self.nodes[from].edges.iter().find(|e| e.to == to)
    }

    fn label(&self, index: usize) -> &str {
        &self.nodes[index].label
    }
}

/// The chain of `-r` lines down to `origin`'s file; a cycle was refused when it was read, the
/// bound only keeps a bad map from looping.
fn chain_of(origin: &Origin, included_from: &HashMap<PathBuf, Origin>) -> Vec<Origin> {
    let mut chain = Vec::new();
    let mut file = &origin.file;
    while let Some(including) = included_from.get(file) {
        if chain.len() > included_from.len() {
            break;
        }
        chain.insert(0, including.clone());
        file = &including.file;
    }
    chain
}

/// The extras each pin is asked for, to a fixed point: an extra turns on dependencies, which
/// may ask for more extras.
fn asked_extras(pins: &Pins, scope: Scope, roots: &[Root]) -> Vec<BTreeSet<ExtraName>> {
    let mut extras: Vec<Option<BTreeSet<ExtraName>>> = vec![None; pins.pins.len()];
    let mut queue = VecDeque::new();
    for root in roots {
        reach(&mut extras, &mut queue, root.to, &root.extras);
    }
    while let Some(index) = queue.pop_front() {
        let Some(meta) = &pins.metadata[index] else {
            continue;
        };
        let asked: Vec<ExtraName> = extras[index].iter().flatten().cloned().collect();
        for dependency in &meta.requires_dist {
            for dependency in pins.rewritten(dependency) {
                let targets = pins.targets(
                    scope,
                    &dependency.name,
                    &dependency.marker,
                    &asked,
                    Some(index),
                );
                for to in targets {
                    reach(&mut extras, &mut queue, to, &dependency.extras);
                }
            }
        }
    }
    extras.into_iter().map(Option::unwrap_or_default).collect()
}

/// Pin `to` is reached asking for `asked`: queued again when that is news.
fn reach(
    extras: &mut [Option<BTreeSet<ExtraName>>],
    queue: &mut VecDeque<usize>,
    to: usize,
    asked: &[ExtraName],
) {
    let set = &mut extras[to];
    let before = set.as_ref().map(BTreeSet::len);
    let set = set.get_or_insert_with(BTreeSet::new);
    set.extend(asked.iter().cloned());
    if before != Some(set.len()) {
        queue.push_back(to);
    }
}

/// The node of pin `index`: its label and its edges to the other pins.
fn node(
    pins: &Pins,
    scope: Scope,
    index: usize,
    asked: &BTreeSet<ExtraName>,
    universal: bool,
) -> Node {
    let pin = pins.pins[index];
    let asked_list: Vec<ExtraName> = asked.iter().cloned().collect();
    let mut edges: Vec<Edge> = Vec::new();
    if let Some(meta) = &pins.metadata[index] {
        for original in meta.requires_dist.iter().filter(|d| d.name != pin.name) {
            for dependency in pins.rewritten(original) {
                let requirement = pins.edge_text(original, &dependency);
                let targets = pins.targets(
                    scope,
                    &dependency.name,
                    &dependency.marker,
                    &asked_list,
                    Some(index),
                );
                for to in targets {
                    if !edges
                        .iter()
                        .any(|e| e.to == to && e.requirement == requirement)
                    {
                        edges.push(Edge {
                            to,
                            requirement: requirement.clone(),
                        });
                    }
                }
            }
        }
    }
    edges.sort_by_key(|e| e.to);
    let version = pin.version.as_ref().map(ToString::to_string);
    let mut label = match &version {
        Some(version) if asked.is_empty() => format!("{}=={version}", pin.name),
        Some(version) => format!(
            "{}[{}]=={version}",
            pin.name,
            asked
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ),
        None => pin.text.clone(),
    };
    let marker = universal.then(|| pin.marker.try_to_string()).flatten();
    if let Some(marker) = &marker {
        let _ = write!(label, " ; {marker}");
    }
    Node {
        name: pin.name.clone(),
        label,
        version,
        marker,
        extras: asked.clone(),
        edges,
        known: pins.metadata[index].is_some(),
    }
}

/// `requirements.in:7`: the file and line of an input.
fn place(origin: &Origin) -> String {
    format!("{}:{}", origin.file.display(), origin.line)
}

/// An input line with the `-r` lines that lead to it: `requirements.in:1 > base.in:2`.
fn root_place(root: &Root) -> String {
    root.included_from
        .iter()
        .chain(std::iter::once(&root.origin))
        .map(place)
        .collect::<Vec<_>>()
        .join(" > ")
}

fn root_json(root: &Root) -> Value {
    json!({
        "input": place(&root.origin),
        "included_from": root.included_from.iter().map(place).collect::<Vec<_>>(),
        "requirement": root.requirement,
    })
}

/// `why` as text: for each pin of the name, one block per path, the input line first, then each
/// pin on the way with the requirement it states on the next.
pub(crate) fn why_text(graph: &Graph, found: &[(usize, Paths)]) -> String {
    let mut out = String::new();
    for (i, (target, paths)) in found.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let label = graph.label(*target);
        let count = paths.paths.len();
        if count == 0 {
            let _ = writeln!(out, "{label} is pinned, but no input line reaches it");
            continue;
        }
        let _ = writeln!(
            out,
            "{label} is reached by {count}{} path{}:",
            if paths.truncated { "+" } else { "" },
            if count == 1 { "" } else { "s" }
        );
        for (root, path) in &paths.paths {
            let root = &graph.roots[*root];
            let _ = writeln!(out, "\n{}  {}", root_place(root), root.requirement);
            for pair in path.windows(2) {
                let requirement = graph
                    .edge(pair[0], pair[1])
                    .map_or_else(String::new, |e| e.requirement.clone());
                let _ = writeln!(out, "  -> {} requires {requirement}", graph.label(pair[0]));
            }
        }
    }
    out
}

/// One pin's paths for tools.
fn paths_json(graph: &Graph, paths: &Paths) -> Vec<Value> {
    paths
        .paths
        .iter()
        .map(|(root, path)| {
            let root = &graph.roots[*root];
            let steps: Vec<Value> = path
                .windows(2)
                .map(|pair| {
                    let from = &graph.nodes[pair[0]];
                    let mut step = json!({
                        "name": from.name.to_string(),
                        "version": from.version,
                        "extras": extras_json(&from.extras),
                        "requires": graph.edge(pair[0], pair[1]).map(|e| e.requirement.clone()),
                    });
                    if graph.universal {
                        step["marker"] = json!(from.marker);
                    }
                    step
                })
                .collect();
            let mut value = root_json(root);
            value["via"] = Value::Array(steps);
            value
        })
        .collect()
}

/// `why` for tools: for a single-target lockfile the one pin's `version` and `paths`; for a
/// universal lockfile a `pins` list, each with its `version`, `marker` and `paths`.
pub(crate) fn why_json(graph: &Graph, name: &PackageName, found: &[(usize, Paths)]) -> Value {
    if !graph.universal
        && let [(target, paths)] = found
    {
        return json!({
            "name": name.to_string(),
            "version": graph.nodes[*target].version,
            "paths": paths_json(graph, paths),
            "truncated": paths.truncated,
            "missing_metadata": graph.missing(),
        });
    }
    let pins: Vec<Value> = found
        .iter()
        .map(|(target, paths)| {
            let node = &graph.nodes[*target];
            json!({
                "version": node.version,
                "marker": node.marker,
                "paths": paths_json(graph, paths),
                "truncated": paths.truncated,
            })
        })
        .collect();
    json!({
        "name": name.to_string(),
        "pins": pins,
        "missing_metadata": graph.missing(),
    })
}

fn extras_json(extras: &BTreeSet<ExtraName>) -> Vec<String> {
    extras.iter().map(ToString::to_string).collect()
}

/// How deep `tree` goes and which way.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TreeOptions {
    pub(crate) invert: bool,
    /// Levels of dependencies (or, inverted, dependents) shown below the top pins.
    pub(crate) depth: Option<usize>,
}

/// One line of a tree before it is drawn.
struct Line {
    text: String,
    /// The same for tools, without the children.
    data: Value,
    children: Vec<Line>,
}

/// `tree` as text, drawn with box characters; a pin shown before is marked `(*)`.
pub(crate) fn tree_text(graph: &Graph, options: TreeOptions) -> String {
    let mut out = String::new();
    for top in tree_lines(graph, options) {
        let _ = writeln!(out, "{}", top.text);
        draw(&top.children, "", &mut out);
    }
    out
}

fn draw(lines: &[Line], prefix: &str, out: &mut String) {
    for (i, line) in lines.iter().enumerate() {
        let last = i + 1 == lines.len();
        let _ = writeln!(
            out,
            "{prefix}{}{}",
            if last { "└── " } else { "├── " },
            line.text
        );
        let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
        draw(&line.children, &deeper, out);
    }
}

fn tree_lines(graph: &Graph, options: TreeOptions) -> Vec<Line> {
    let mut tops = Vec::new();
    if options.invert {
        let mut dependents: HashMap<usize, Vec<(usize, &Edge)>> = HashMap::new();
        for (index, node) in graph.nodes.iter().enumerate() {
            for edge in &node.edges {
                dependents.entry(edge.to).or_default().push((index, edge));
            }
        }
        for index in 0..graph.nodes.len() {
            let mut shown = HashSet::from([index]);
            tops.push(Line {
                text: graph.label(index).to_string(),
                data: pin_json(graph, index, None, false),
                children: inverted(graph, &dependents, index, 1, options.depth, &mut shown),
            });
        }
    } else {
        let mut shown = HashSet::new();
        for root in &graph.roots {
            let node = forward(graph, root.to, None, 0, options.depth, &mut shown);
            tops.push(root_line(root, vec![node]));
        }
    }
    tops
}

fn forward(
    graph: &Graph,
    index: usize,
    edge: Option<&Edge>,
    depth: usize,
    limit: Option<usize>,
    shown: &mut HashSet<usize>,
) -> Line {
    let mut text = graph.label(index).to_string();
    if let Some(edge) = edge {
        let _ = write!(text, "  ({})", edge.requirement);
    }
    let mut children = Vec::new();
    let mut repeated = false;
    let node = &graph.nodes[index];
    if !node.known {
        text.push_str("  [metadata not in the cache]");
    } else if !node.edges.is_empty() && limit.is_none_or(|limit| depth < limit) {
        if shown.insert(index) {
            for edge in &node.edges {
                children.push(forward(graph, edge.to, Some(edge), depth + 1, limit, shown));
            }
        } else {
            repeated = true;
            text.push_str(" (*)");
        }
    }
    Line {
        text,
        data: pin_json(graph, index, edge, repeated),
        children,
    }
}

fn inverted(
    graph: &Graph,
    dependents: &HashMap<usize, Vec<(usize, &Edge)>>,
    index: usize,
    depth: usize,
    limit: Option<usize>,
    shown: &mut HashSet<usize>,
) -> Vec<Line> {
    if limit.is_some_and(|limit| depth > limit) {
        return Vec::new();
    }
    let mut lines = Vec::new();
    for &(parent, edge) in dependents.get(&index).into_iter().flatten() {
        let mut text = format!("{}  ({})", graph.label(parent), edge.requirement);
        let repeated = !shown.insert(parent);
        let children = if repeated {
            text.push_str(" (*)");
            Vec::new()
        } else {
            inverted(graph, dependents, parent, depth + 1, limit, shown)
        };
        lines.push(Line {
            text,
            data: pin_json(graph, parent, Some(edge), repeated),
            children,
        });
    }
    for root in graph.roots.iter().filter(|r| r.to == index) {
        lines.push(root_line(root, Vec::new()));
    }
    lines
}

fn root_line(root: &Root, children: Vec<Line>) -> Line {
    Line {
        text: format!("{}  {}", root_place(root), root.requirement),
        data: root_json(root),
        children,
    }
}

/// A pin in a tree for tools; `requirement` is the edge that leads to it, `repeated` that its
/// children were shown before.
fn pin_json(graph: &Graph, index: usize, edge: Option<&Edge>, repeated: bool) -> Value {
    let node = &graph.nodes[index];
    let mut value = json!({
        "name": node.name.to_string(),
        "version": node.version,
        "extras": extras_json(&node.extras),
    });
    if graph.universal {
        value["marker"] = json!(node.marker);
    }
    if let Some(edge) = edge {
        value["requirement"] = Value::String(edge.requirement.clone());
    }
    if repeated {
        value["repeated"] = Value::Bool(true);
    }
    if !node.known {
        value["metadata_missing"] = Value::Bool(true);
    }
    value
}

/// `tree` for tools: the same lines as nested objects (`dependencies`, or inverted
/// `dependents`).
pub(crate) fn tree_json(graph: &Graph, options: TreeOptions) -> Value {
    let key = if options.invert {
        "dependents"
    } else {
        "dependencies"
    };
    let value = |line: &Line| -> Value {
        fn go(line: &Line, key: &str) -> Value {
            let mut value = line.data.clone();
            let children: Vec<Value> = line.children.iter().map(|c| go(c, key)).collect();
            if !children.is_empty() {
                value[key] = Value::Array(children);
            }
            value
        }
        go(line, key)
    };
    json!({
        "inverted": options.invert,
        "tree": tree_lines(graph, options).iter().map(value).collect::<Vec<_>>(),
        "missing_metadata": graph.missing(),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::str::FromStr;

    use super::*;
    use crate::lockfile::verify::locked_pins;
    use crate::lockfile::verify::tests::{markers, release};
    use crate::requirements::read_str;

    fn graph(inputs: &str, lockfile: &str, cached: &[(PackageName, Arc<CoreMetadata>)]) -> Graph {
        let inputs = read_str(Path::new("requirements.in"), inputs.to_string()).unwrap();
        let lockfile = read_str(Path::new("requirements.txt"), lockfile.to_string()).unwrap();
        let markers = markers();
        let cached: Vec<Arc<CoreMetadata>> = cached.iter().map(|(_, m)| m.clone()).collect();
        Graph::build(
            &inputs.requirements,
            &locked_pins(&lockfile, &markers),
            Scope::Target(&markers),
            &cached,
            &Rewrites::default(),
            &HashMap::new(),
        )
    }

    /// `why` of `name`: every pin of it with its paths, as text.
    fn why(graph: &Graph, name: &str) -> String {
        let name = PackageName::from_str(name).unwrap();
        let found: Vec<(usize, Paths)> = graph
            .pins_of(&name)
            .into_iter()
            .map(|pin| (pin, graph.paths_to(pin)))
            .collect();
        why_text(graph, &found)
    }

    #[test]
    fn cycles_end_paths_and_trees() {
        let graph = graph(
            "a\n",
            "a==1\nb==1\nc==1\n",
            &[
                release("a", "1", &["b"]),
                release("b", "1", &["a", "c ; python_version < '3'"]),
                release("c", "1", &[]),
            ],
        );
        assert_eq!(
            why(&graph, "b"),
            "b==1 is reached by 1 path:\n\nrequirements.in:1  a\n  -> a==1 requires b\n"
        );
        // `c`'s marker does not hold: no edge, so `c` is reached by nothing.
        assert_eq!(
            why(&graph, "c"),
            "c==1 is pinned, but no input line reaches it\n"
        );
        assert_eq!(
            tree_text(&graph, TreeOptions::default()),
            "requirements.in:1  a\n└── a==1\n    └── b==1  (b)\n        └── a==1  (a) (*)\n"
        );
    }

    #[test]
    fn extras_asked_anywhere_turn_on_their_dependencies() {
        let graph = graph(
            "a\n",
            "a==1\nb==1\nc==1\n",
            &[
                release("a", "1", &["b[x]"]),
                release("b", "1", &["c ; extra == 'x'"]),
                release("c", "1", &[]),
            ],
        );
        assert_eq!(
            why(&graph, "c"),
            "c==1 is reached by 1 path:\n\nrequirements.in:1  a\n  -> a==1 requires b[x]\n  -> b[x]==1 requires c ; extra == 'x'\n"
        );
    }
}
