//! The dependency graph of a lockfile, for `pinion why` and `pinion tree`: from the input lines
//! through the pins, each edge with the requirement (specifier and markers) that makes it, as far
//! as the cached metadata tells. Pure logic: the command hands it the inputs, the pins and the
//! metadata, and prints what it renders.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use pep508_rs::{ExtraName, MarkerEnvironment, PackageName};
use serde_json::{Value, json};

use super::verify::LockedPin;
use crate::metadata::CoreMetadata;
use crate::requirements::{Origin, RequirementEntry, RequirementSpec};

/// At most this many paths are listed by `why`: a dense graph has more than anyone reads.
const MAX_PATHS: usize = 1000;

/// One input line that names a pin.
#[derive(Debug, Clone)]
pub(crate) struct Root {
    pub(crate) origin: Origin,
    /// The `-r` lines that include the origin's file, the top-level file's first.
    pub(crate) included_from: Vec<Origin>,
    /// The requirement as written, markers included.
    pub(crate) requirement: String,
    pub(crate) to: PackageName,
}

/// One requirement of a pin's metadata on another pin.
#[derive(Debug, Clone)]
pub(crate) struct Edge {
    pub(crate) to: PackageName,
    /// The requirement as the metadata states it, markers included.
    pub(crate) requirement: String,
}

/// One pin.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// `name[extras]==version`, or the pin as written for a direct reference.
    pub(crate) label: String,
    pub(crate) version: Option<String>,
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
    pub(crate) nodes: BTreeMap<PackageName, Node>,
}

/// The paths `why` found: each an input line, then the pins it goes through, in order.
#[derive(Debug, Default)]
pub(crate) struct Paths {
    pub(crate) paths: Vec<(usize, Vec<PackageName>)>,
    /// More paths exist than [`MAX_PATHS`].
    pub(crate) truncated: bool,
}

impl Graph {
    /// The graph from `inputs` through `pins`, following the dependencies `metadata` states for
    /// `markers` and the extras asked of each pin.
    pub(crate) fn build(
        inputs: &[RequirementEntry],
        pins: &[LockedPin],
        markers: &MarkerEnvironment,
        metadata: &HashMap<PackageName, Arc<CoreMetadata>>,
        included_from: &HashMap<PathBuf, Origin>,
    ) -> Self {
        let by_name: HashMap<&PackageName, &LockedPin> =
            pins.iter().map(|p| (&p.name, p)).collect();
        let mut roots = Vec::new();
        let mut extras: HashMap<PackageName, BTreeSet<ExtraName>> = HashMap::new();
        let mut queue = VecDeque::new();
        for entry in inputs {
            let RequirementSpec::Named(requirement) = &entry.spec else {
                continue;
            };
            if !requirement.evaluate_markers(markers, &[])
                || !by_name.contains_key(&requirement.name)
            {
                continue;
            }
            // The chain of `-r` lines down to this file; a cycle was refused when it was read,
            // the bound only keeps a bad map from looping.
            let mut chain = Vec::new();
            let mut file = &entry.origin.file;
            while let Some(origin) = included_from.get(file) {
                if chain.len() > included_from.len() {
                    break;
                }
                chain.insert(0, origin.clone());
                file = &origin.file;
            }
            roots.push(Root {
                included_from: chain,
                origin: entry.origin.clone(),
                requirement: requirement.to_string(),
                to: requirement.name.clone(),
            });
            reach(
                &mut extras,
                &mut queue,
                &requirement.name,
                &requirement.extras,
            );
        }
        // The extras each pin is asked for, to a fixed point: an extra turns on dependencies,
        // which may ask for more extras.
        while let Some(name) = queue.pop_front() {
            let Some(meta) = metadata.get(&name) else {
                continue;
            };
            let asked: Vec<ExtraName> = extras.get(&name).into_iter().flatten().cloned().collect();
            for dependency in &meta.requires_dist {
                if by_name.contains_key(&dependency.name)
                    && dependency.evaluate_markers(markers, &asked)
                {
                    reach(
                        &mut extras,
                        &mut queue,
                        &dependency.name,
                        &dependency.extras,
                    );
                }
            }
        }
        let mut nodes = BTreeMap::new();
        for pin in pins {
            let asked = extras.get(&pin.name).cloned().unwrap_or_default();
            let asked_list: Vec<ExtraName> = asked.iter().cloned().collect();
            let mut edges: Vec<Edge> = Vec::new();
            if let Some(meta) = metadata.get(&pin.name) {
                for dependency in &meta.requires_dist {
                    if dependency.name == pin.name
                        || !by_name.contains_key(&dependency.name)
                        || !dependency.evaluate_markers(markers, &asked_list)
                    {
                        continue;
                    }
                    let requirement = dependency.to_string();
                    if !edges
                        .iter()
                        .any(|e| e.to == dependency.name && e.requirement == requirement)
                    {
                        edges.push(Edge {
                            to: dependency.name.clone(),
                            requirement,
                        });
                    }
                }
            }
            edges.sort_by(|a, b| a.to.cmp(&b.to));
            let version = pin.version.as_ref().map(ToString::to_string);
            let label = match &version {
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
            nodes.insert(
                pin.name.clone(),
                Node {
                    label,
                    version,
                    extras: asked,
                    edges,
                    known: metadata.contains_key(&pin.name),
                },
            );
        }
        Self { roots, nodes }
    }

    /// Pins the inputs reach whose metadata the cache does not hold: what lies past them is
    /// not shown.
    pub(crate) fn missing(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut queue: VecDeque<&PackageName> = self.roots.iter().map(|r| &r.to).collect();
        let mut missing = Vec::new();
        while let Some(name) = queue.pop_front() {
            if !seen.insert(name) {
                continue;
            }
            let Some(node) = self.nodes.get(name) else {
                continue;
            };
            if !node.known {
                missing.push(node.label.clone());
            }
            queue.extend(node.edges.iter().map(|e| &e.to));
        }
        missing.sort();
        missing
    }

    /// Every path from an input line to `target`, without going through a pin twice.
    pub(crate) fn paths_to(&self, target: &PackageName) -> Paths {
        // Only pins from which `target` can be reached are worth walking.
        let mut dependents: HashMap<&PackageName, Vec<&PackageName>> = HashMap::new();
        for (name, node) in &self.nodes {
            for edge in &node.edges {
                dependents.entry(&edge.to).or_default().push(name);
            }
        }
        let mut useful = HashSet::new();
        let mut queue = VecDeque::from([target]);
        while let Some(name) = queue.pop_front() {
            if useful.insert(name) {
                queue.extend(dependents.get(name).into_iter().flatten().copied());
            }
        }
        let mut found = Paths::default();
        for (index, root) in self.roots.iter().enumerate() {
            if useful.contains(&root.to) {
                let mut path = vec![root.to.clone()];
                self.walk(index, target, &useful, &mut path, &mut found);
            }
        }
        found
    }

    fn walk(
        &self,
        root: usize,
        target: &PackageName,
        useful: &HashSet<&PackageName>,
        path: &mut Vec<PackageName>,
        found: &mut Paths,
    ) {
        if found.paths.len() >= MAX_PATHS {
            found.truncated = true;
            return;
        }
        let last = path.last().cloned().unwrap_or_else(|| target.clone());
        if &last == target {
            found.paths.push((root, path.clone()));
            return;
        }
        let Some(node) = self.nodes.get(&last) else {
            return;
        };
        for edge in &node.edges {
            if useful.contains(&edge.to) && !path.contains(&edge.to) {
                path.push(edge.to.clone());
                self.walk(root, target, useful, path, found);
                path.pop();
            }
        }
    }

    fn edge(&self, from: &PackageName, to: &PackageName) -> Option<&Edge> {
        self.nodes.get(from)?.edges.iter().find(|e| &e.to == to)
    }

    fn label(&self, name: &PackageName) -> String {
        self.nodes
            .get(name)
            .map_or_else(|| name.to_string(), |n| n.label.clone())
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

fn reach(
    extras: &mut HashMap<PackageName, BTreeSet<ExtraName>>,
    queue: &mut VecDeque<PackageName>,
    name: &PackageName,
    asked: &[ExtraName],
) {
    let entry = extras.entry(name.clone());
    let new = matches!(entry, std::collections::hash_map::Entry::Vacant(_));
    let set = entry.or_default();
    let before = set.len();
    set.extend(asked.iter().cloned());
    if new || set.len() != before {
        queue.push_back(name.clone());
    }
}

/// `why` as text: one block per path, the input line first, then each pin on the way with the
/// requirement it states on the next.
pub(crate) fn why_text(graph: &Graph, target: &PackageName, paths: &Paths) -> String {
    let mut out = String::new();
    let label = graph.label(target);
    let count = paths.paths.len();
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
                .edge(&pair[0], &pair[1])
                .map_or_else(String::new, |e| e.requirement.clone());
            let _ = writeln!(out, "  -> {} requires {requirement}", graph.label(&pair[0]));
        }
    }
    out
}

/// `why` for tools.
pub(crate) fn why_json(graph: &Graph, target: &PackageName, paths: &Paths) -> Value {
    let node = graph.nodes.get(target);
    let truncated = paths.truncated;
    let paths: Vec<Value> = paths
        .paths
        .iter()
        .map(|(root, path)| {
            let root = &graph.roots[*root];
            let steps: Vec<Value> = path
                .windows(2)
                .map(|pair| {
                    let from = graph.nodes.get(&pair[0]);
                    json!({
                        "name": pair[0].to_string(),
                        "version": from.and_then(|n| n.version.clone()),
                        "extras": from.map(|n| extras_json(&n.extras)).unwrap_or_default(),
                        "requires": graph.edge(&pair[0], &pair[1]).map(|e| e.requirement.clone()),
                    })
                })
                .collect();
            let mut value = root_json(root);
            value["via"] = Value::Array(steps);
            value
        })
        .collect();
    json!({
        "name": target.to_string(),
        "version": node.and_then(|n| n.version.clone()),
        "paths": paths,
        "truncated": truncated,
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
        let mut dependents: HashMap<&PackageName, Vec<(&PackageName, &Edge)>> = HashMap::new();
        for (name, node) in &graph.nodes {
            for edge in &node.edges {
                dependents.entry(&edge.to).or_default().push((name, edge));
            }
        }
        for name in graph.nodes.keys() {
            let mut shown = HashSet::new();
            shown.insert(name);
            tops.push(Line {
                text: graph.label(name),
                data: pin_json(graph, name, None, false),
                children: inverted(graph, &dependents, name, 1, options.depth, &mut shown),
            });
        }
    } else {
        let mut shown = HashSet::new();
        for root in &graph.roots {
            let node = forward(graph, &root.to, None, 0, options.depth, &mut shown);
            tops.push(root_line(root, vec![node]));
        }
    }
    tops
}

fn forward<'a>(
    graph: &'a Graph,
    name: &'a PackageName,
    edge: Option<&Edge>,
    depth: usize,
    limit: Option<usize>,
    shown: &mut HashSet<&'a PackageName>,
) -> Line {
    let mut text = graph.label(name);
    if let Some(edge) = edge {
        let _ = write!(text, "  ({})", edge.requirement);
    }
    let mut children = Vec::new();
    let mut repeated = false;
    if let Some(node) = graph.nodes.get(name) {
        if !node.known {
            text.push_str("  [metadata not in the cache]");
        } else if !node.edges.is_empty() && limit.is_none_or(|limit| depth < limit) {
            if shown.insert(name) {
                for edge in &node.edges {
                    children.push(forward(
                        graph,
                        &edge.to,
                        Some(edge),
                        depth + 1,
                        limit,
                        shown,
                    ));
                }
            } else {
                repeated = true;
                text.push_str(" (*)");
            }
        }
    }
    Line {
        text,
        data: pin_json(graph, name, edge, repeated),
        children,
    }
}

fn inverted<'a>(
    graph: &'a Graph,
    dependents: &HashMap<&'a PackageName, Vec<(&'a PackageName, &'a Edge)>>,
    name: &'a PackageName,
    depth: usize,
    limit: Option<usize>,
    shown: &mut HashSet<&'a PackageName>,
) -> Vec<Line> {
    if limit.is_some_and(|limit| depth > limit) {
        return Vec::new();
    }
    let mut lines = Vec::new();
    for (parent, edge) in dependents.get(name).into_iter().flatten() {
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
    for root in graph.roots.iter().filter(|r| &r.to == name) {
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
fn pin_json(graph: &Graph, name: &PackageName, edge: Option<&Edge>, repeated: bool) -> Value {
    let node = graph.nodes.get(name);
    let mut value = json!({
        "name": name.to_string(),
        "version": node.and_then(|n| n.version.clone()),
        "extras": node.map(|n| extras_json(&n.extras)).unwrap_or_default(),
    });
    if let Some(edge) = edge {
        value["requirement"] = Value::String(edge.requirement.clone());
    }
    if repeated {
        value["repeated"] = Value::Bool(true);
    }
    if node.is_some_and(|n| !n.known) {
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
        Graph::build(
            &inputs.requirements,
            &locked_pins(&lockfile, &markers),
            &markers,
            &cached.iter().cloned().collect(),
            &HashMap::new(),
        )
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
        let b = PackageName::from_str("b").unwrap();
        let paths = graph.paths_to(&b);
        assert_eq!(paths.paths.len(), 1);
        assert_eq!(
            why_text(&graph, &b, &paths),
            "b==1 is reached by 1 path:\n\nrequirements.in:1  a\n  -> a==1 requires b\n"
        );
        // `c`'s marker does not hold: no edge, so `c` is reached by nothing.
        let c = PackageName::from_str("c").unwrap();
        assert!(graph.paths_to(&c).paths.is_empty());
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
        let c = PackageName::from_str("c").unwrap();
        let paths = graph.paths_to(&c);
        assert_eq!(
            why_text(&graph, &c, &paths),
            "c==1 is reached by 1 path:\n\nrequirements.in:1  a\n  -> a==1 requires b[x]\n  -> b[x]==1 requires c ; extra == 'x'\n"
        );
    }
}
