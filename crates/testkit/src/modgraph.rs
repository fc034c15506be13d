//! Module cycles within a crate: which sibling modules import each other, directly or round a
//! longer loop (issue 17: "no module imports a module that imports it back").
//!
//! **What counts.** The nodes are a crate's modules — file modules from the `mod` declarations
//! reachable from `lib.rs`/`main.rs` and inline `mod name { … }` blocks (test modules too).
//! A module *refers to* another when its text names it in a path: `use crate::a::…`,
//! `crate::a::x()`, `super::…`, `self::…`, or a child module's name (`a::x` in the parent).
//! A path that ends in an item re-exported by `pub use` (also `pub(crate)`, globs) is followed
//! to the module that defines it, so `crate::Catalogue` counts as a reference to `catalogue`.
//! Every reference is lifted to the sibling level where the two modules' paths part: from
//! `risk::compute` to `clusters` is an edge `risk → clusters` between children of the root;
//! from `risk::compute` to `risk::runs` an edge `compute → runs` inside `risk`.
//! A reference between a module and its own ancestor or descendant is no edge: a parent declares
//! and re-exports its children, and a child using its parent's items through `super::` is the
//! ordinary Rust pattern. A **cycle** is a strongly connected component of two or more siblings.
//!
//! **What does not count.** Names brought in by a non-`pub` `use` and then used bare (the `use`
//! itself already counts), macros' `$crate::` paths, other crates. The scan reads tokens, not a
//! full parse: comments, strings and character literals are skipped, `#[path]` is not supported
//! (the workspace has none).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// A module's path inside its crate, root = empty.
type ModPath = Vec<String>;

/// One reference that makes an edge between two siblings, for the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Evidence {
    /// `src/…` file and line of the reference.
    pub at: String,
    /// The referring module and the referred one, full paths (`risk::compute → clusters`).
    pub from: String,
    /// The module the path resolved to.
    pub to: String,
}

/// A set of sibling modules of one crate that refer to each other round a loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// Package name (`kwm-model`).
    pub krate: String,
    /// The modules' common parent (`crate` for the root).
    pub parent: String,
    /// The siblings in the loop, sorted.
    pub members: Vec<String>,
    /// Each edge inside the loop with its first reference.
    pub edges: Vec<(String, String, Evidence)>,
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: in `{}`: {{{}}}",
            self.krate,
            self.parent,
            self.members.join(", ")
        )?;
        for (a, b, ev) in &self.edges {
            writeln!(f, "    {a} → {b}   ({}: {} → {})", ev.at, ev.from, ev.to)?;
        }
        Ok(())
    }
}

/// An edge between two sibling modules that is known and allowed for now: it is left out of the
/// graph, and reported if it no longer exists or no longer closes a loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    /// Package name (`kwm-server`).
    pub krate: &'static str,
    /// The two siblings' parent (`crate` for the root).
    pub parent: &'static str,
    /// The referring sibling.
    pub from: &'static str,
    /// The referred sibling.
    pub to: &'static str,
}

/// What [`workspace_cycles`] found.
#[derive(Debug, Default)]
pub struct Report {
    /// Loops left after the allowed edges are taken out.
    pub cycles: Vec<Cycle>,
    /// Allowed edges that no longer exist or no longer close a loop (so the entry can go).
    pub unneeded: Vec<Allowed>,
}

/// The cycles of every crate under `crates/` of the repository at `repo`, sorted by crate,
/// with the `allowed` edges left out.
pub fn workspace_cycles(repo: &Path, allowed: &[Allowed]) -> Report {
    let mut out = Report::default();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo.join("crates"))
        .expect("crates/ is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml");
        let name = manifest
            .lines()
            .find_map(|l| l.strip_prefix("name = \""))
            .and_then(|l| l.strip_suffix('"'))
            .unwrap_or("?")
            .to_string();
        for root in ["src/lib.rs", "src/main.rs"] {
            if dir.join(root).is_file() {
                let mine: Vec<Allowed> = allowed
                    .iter()
                    .filter(|a| a.krate == name)
                    .copied()
                    .collect();
                let (cycles, unneeded) = crate_cycles(&name, &dir, root, &mine);
                out.cycles.extend(cycles);
                out.unneeded.extend(unneeded);
            }
        }
    }
    out
}

/// The cycles of one crate target whose root file is `root` (relative to `dir`), without the
/// `allowed` edges, and those of the allowed edges that are not needed.
pub fn crate_cycles(
    name: &str,
    dir: &Path,
    root: &str,
    allowed: &[Allowed],
) -> (Vec<Cycle>, Vec<Allowed>) {
    let mut krate = Crate::default();
    krate.load(dir, Path::new(root), Vec::new(), true);
    krate.cycles(name, allowed)
}

#[derive(Debug, Default)]
struct Module {
    children: BTreeSet<String>,
    /// Names a `pub use` brings in (path as written, resolved from this module).
    reexports: BTreeMap<String, Vec<String>>,
    /// `pub use path::*`.
    globs: Vec<Vec<String>>,
    /// Items defined here (fn, struct, …) — to tell which glob a name comes through.
    items: BTreeSet<String>,
    /// Paths named in this module: (file:line, segments).
    refs: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Default)]
struct Crate {
    modules: BTreeMap<ModPath, Module>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Path, // `::`
    Punct(char),
}

/// Tokens with their line numbers; comments, strings, chars and lifetimes dropped.
fn tokens(src: &str) -> Vec<(Tok, usize)> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let count_lines = |from: usize, to: usize, line: &mut usize| {
        *line += c[from..to.min(c.len())]
            .iter()
            .filter(|&&x| x == '\n')
            .count();
    };
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && c.get(i + 1) == Some(&'*') {
            let (start, mut depth) = (i, 0);
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            count_lines(start, i, &mut line);
        } else if ch == '"' || ((ch == 'r' || ch == 'b') && raw_or_byte_string(&c, i).is_some()) {
            let start = i;
            i = skip_string(&c, i);
            count_lines(start, i, &mut line);
        } else if ch == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            if c.get(i + 1) == Some(&'\\') {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let mut word: String = c[start..i].iter().collect();
            if word == "r" && c.get(i) == Some(&'#') {
                // r#ident
                i += 1;
                let s = i;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
                word = c[s..i].iter().collect();
            }
            out.push((Tok::Ident(word), line));
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '.') {
                if c[i] == '.' && c.get(i + 1) == Some(&'.') {
                    break;
                }
                i += 1;
            }
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push((Tok::Path, line));
            i += 2;
        } else {
            out.push((Tok::Punct(ch), line));
            i += 1;
        }
    }
    out
}

/// At `r"`, `r#"`, `b"`, `br"`, `br#"`: the index of the opening quote.
fn raw_or_byte_string(c: &[char], i: usize) -> Option<usize> {
    // Only at the start of a word.
    if i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_') {
        return None;
    }
    let mut j = i;
    if c[j] == 'b' {
        j += 1;
    }
    if c.get(j) == Some(&'r') {
        j += 1;
        while c.get(j) == Some(&'#') {
            j += 1;
        }
    }
    (j > i && c.get(j) == Some(&'"')).then_some(j)
}

/// Skips a string literal starting at `i` (plain, raw or byte); returns the index after it.
fn skip_string(c: &[char], i: usize) -> usize {
    let q = if c[i] == '"' {
        i
    } else {
        raw_or_byte_string(c, i).expect("string start")
    };
    let hashes = c[i..q].iter().filter(|&&x| x == '#').count();
    let raw = c[i..q].contains(&'r');
    let mut j = q + 1;
    while j < c.len() {
        if !raw && c[j] == '\\' {
            j += 2;
            continue;
        }
        if c[j] == '"' && (0..hashes).all(|k| c.get(j + 1 + k) == Some(&'#')) {
            return j + 1 + hashes;
        }
        j += 1;
    }
    j
}

fn ident(t: Option<&(Tok, usize)>) -> Option<&str> {
    match t {
        Some((Tok::Ident(s), _)) => Some(s),
        _ => None,
    }
}

/// Parses a use tree starting at `toks[i]`; returns the paths (with `*` or the alias as last
/// element marker) and the index after it.
fn use_tree(toks: &[(Tok, usize)], mut i: usize, prefix: &[String]) -> (Vec<UsePath>, usize) {
    let mut path = prefix.to_vec();
    let mut out = Vec::new();
    loop {
        match toks.get(i) {
            Some((Tok::Ident(s), _)) if s == "as" => {
                let alias = ident(toks.get(i + 1)).unwrap_or("_").to_string();
                out.push(UsePath {
                    path: path.clone(),
                    name: Some(alias),
                });
                return (out, i + 2);
            }
            Some((Tok::Ident(s), _)) => {
                path.push(s.clone());
                i += 1;
            }
            Some((Tok::Path, _)) => i += 1,
            Some((Tok::Punct('*'), _)) => {
                out.push(UsePath {
                    path: path.clone(),
                    name: None,
                });
                return (out, i + 1);
            }
            Some((Tok::Punct('{'), _)) => {
                i += 1;
                loop {
                    match toks.get(i) {
                        Some((Tok::Punct('}'), _)) => return (out, i + 1),
                        Some((Tok::Punct(','), _)) => i += 1,
                        None => return (out, i),
                        _ => {
                            let (sub, j) = use_tree(toks, i, &path);
                            out.extend(sub);
                            i = j;
                        }
                    }
                }
            }
            _ => {
                // End of this tree (`,`, `}` or `;`).
                let name = match path.last().map(String::as_str) {
                    Some("self") => {
                        path.pop();
                        path.last().cloned()
                    }
                    other => other.map(str::to_string),
                };
                if !path.is_empty() {
                    out.push(UsePath {
                        path: path.clone(),
                        name: Some(name.unwrap_or_default()),
                    });
                }
                return (out, i);
            }
        }
    }
}

struct UsePath {
    path: Vec<String>,
    /// The name it brings in; `None` for a glob.
    name: Option<String>,
}

const ITEM_KEYWORDS: &[&str] = &[
    "fn", "struct", "enum", "trait", "type", "const", "static", "union",
];

impl Crate {
    /// Reads the file of module `path` and, recursively, the files of its `mod x;` children.
    fn load(&mut self, dir: &Path, file: &Path, path: ModPath, owns_dir: bool) {
        let src = std::fs::read_to_string(dir.join(file))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()));
        // Where `mod x;` files of this module live: beside a lib.rs/main.rs/mod.rs, else in a
        // directory named after the file.
        let child_dir = if owns_dir {
            file.parent().unwrap_or(Path::new("")).to_path_buf()
        } else {
            file.with_extension("")
        };
        let toks = tokens(&src);
        let shown = file.display().to_string();
        // Scopes: (module path, brace depth of its body).
        let mut scopes: Vec<(ModPath, usize)> = vec![(path.clone(), 0)];
        self.modules.entry(path.clone()).or_default();
        let mut depth = 0usize;
        let mut pending_inline: Option<ModPath> = None;
        let mut file_children = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            let (tok, line) = &toks[i];
            let scope = scopes.last().expect("root scope").clone();
            match tok {
                Tok::Punct('{') => {
                    depth += 1;
                    if let Some(p) = pending_inline.take() {
                        scopes.push((p, depth));
                    }
                    i += 1;
                    continue;
                }
                Tok::Punct('}') => {
                    if scopes.len() > 1 && scopes.last().map(|s| s.1) == Some(depth) {
                        scopes.pop();
                    }
                    depth = depth.saturating_sub(1);
                    i += 1;
                    continue;
                }
                Tok::Ident(kw) if kw == "mod" => {
                    if let Some(name) = ident(toks.get(i + 1)) {
                        let mut child = scope.0.clone();
                        child.push(name.to_string());
                        self.module(&scope.0).children.insert(name.to_string());
                        self.modules.entry(child.clone()).or_default();
                        match toks.get(i + 2) {
                            Some((Tok::Punct(';'), _)) => {
                                // Inline modules' `mod x;` live in a subdirectory per level.
                                let mut d = child_dir.clone();
                                for seg in &scope.0[path.len()..] {
                                    d.push(seg);
                                }
                                file_children.push((d, name.to_string(), child));
                            }
                            Some((Tok::Punct('{'), _)) => pending_inline = Some(child),
                            _ => {}
                        }
                        i += 2;
                        continue;
                    }
                }
                Tok::Ident(kw) if kw == "use" => {
                    let public = i > 0
                        && (matches!(&toks[i - 1].0, Tok::Ident(p) if p == "pub")
                            || matches!(&toks[i - 1].0, Tok::Punct(')')));
                    let (paths, j) = use_tree(&toks, i + 1, &[]);
                    let at = format!("src/{}:{line}", shown.trim_start_matches("src/"));
                    for u in paths {
                        let m = self.module(&scope.0);
                        m.refs.push((at.clone(), u.path.clone()));
                        if public && depth == scope.1 {
                            match u.name {
                                Some(n) => {
                                    m.reexports.insert(n, u.path);
                                }
                                None => m.globs.push(u.path),
                            }
                        }
                    }
                    i = j;
                    continue;
                }
                Tok::Ident(kw) if ITEM_KEYWORDS.contains(&kw.as_str()) && depth == scope.1 => {
                    if let Some(name) = ident(toks.get(i + 1)) {
                        self.module(&scope.0).items.insert(name.to_string());
                    }
                }
                Tok::Ident(first) => {
                    let after_path = i > 0 && toks[i - 1].0 == Tok::Path;
                    let starts = matches!(first.as_str(), "crate" | "super" | "self")
                        || self.module(&scope.0).children.contains(first);
                    if !after_path && starts && toks.get(i + 1).map(|t| &t.0) == Some(&Tok::Path) {
                        let mut segs = vec![first.clone()];
                        let mut j = i + 1;
                        while toks.get(j).map(|t| &t.0) == Some(&Tok::Path) {
                            match ident(toks.get(j + 1)) {
                                Some(s) => segs.push(s.to_string()),
                                None => break,
                            }
                            j += 2;
                        }
                        let at = format!("src/{}:{line}", shown.trim_start_matches("src/"));
                        self.module(&scope.0).refs.push((at, segs));
                        i = j;
                        continue;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        for (d, name, child) in file_children {
            let flat = d.join(format!("{name}.rs"));
            if dir.join(&flat).is_file() {
                self.load(dir, &flat, child, false);
            } else {
                self.load(dir, &d.join(&name).join("mod.rs"), child, true);
            }
        }
    }

    fn module(&mut self, path: &ModPath) -> &mut Module {
        self.modules.entry(path.clone()).or_default()
    }

    /// The module a path named in `scope` leads to, following `pub use` re-exports.
    fn resolve(&self, scope: &ModPath, segs: &[String], budget: usize) -> Option<ModPath> {
        if budget == 0 || segs.is_empty() {
            return None;
        }
        let mut cur: ModPath = scope.clone();
        let mut rest = segs;
        match segs[0].as_str() {
            "crate" => {
                cur.clear();
                rest = &segs[1..];
            }
            "self" => rest = &segs[1..],
            "super" => {}
            first if self.modules.get(scope)?.children.contains(first) => {}
            _ => return None, // another crate, std, or a name imported by a plain `use`
        }
        for (k, seg) in rest.iter().enumerate() {
            let m = self.modules.get(&cur)?;
            if seg == "super" {
                cur.pop();
            } else if seg == "self" {
            } else if m.children.contains(seg) {
                cur.push(seg.clone());
            } else if let Some(target) = m.reexports.get(seg) {
                let mut p = target.clone();
                p.extend(rest[k + 1..].iter().cloned());
                return self.resolve(&cur, &p, budget - 1).or(Some(cur));
            } else if !m.items.contains(seg) {
                for g in &m.globs {
                    let mut p = g.clone();
                    p.push(seg.clone());
                    if let Some(t) = self.resolve(&cur, g, budget - 1) {
                        let tm = self.modules.get(&t)?;
                        if tm.items.contains(seg)
                            || tm.children.contains(seg)
                            || tm.reexports.contains_key(seg)
                        {
                            return self.resolve(&cur, &p, budget - 1).or(Some(t));
                        }
                    }
                }
                return Some(cur);
            } else {
                return Some(cur);
            }
        }
        Some(cur)
    }

    fn cycles(&self, krate: &str, allowed: &[Allowed]) -> (Vec<Cycle>, Vec<Allowed>) {
        // parent → (a → b → first evidence)
        let mut graphs: BTreeMap<ModPath, BTreeMap<String, BTreeMap<String, Evidence>>> =
            BTreeMap::new();
        for (from, m) in &self.modules {
            for (at, segs) in &m.refs {
                let Some(to) = self.resolve(from, segs, 16) else {
                    continue;
                };
                let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
                if common == from.len() || common == to.len() {
                    continue; // same module, ancestor or descendant
                }
                let parent = from[..common].to_vec();
                let ev = Evidence {
                    at: at.clone(),
                    from: show(from),
                    to: show(&to),
                };
                graphs
                    .entry(parent)
                    .or_default()
                    .entry(from[common].clone())
                    .or_default()
                    .entry(to[common].clone())
                    .or_insert(ev);
            }
        }
        let mut unneeded = Vec::new();
        for a in allowed {
            let g = graphs
                .iter_mut()
                .find(|(p, _)| show(p) == a.parent)
                .map(|(_, g)| g);
            let exists = g
                .and_then(|g| g.get_mut(a.from))
                .and_then(|e| e.remove(a.to))
                .is_some();
            if !exists {
                unneeded.push(*a);
            }
        }
        for a in allowed {
            let g = graphs.iter().find(|(p, _)| show(p) == a.parent);
            if !unneeded.contains(a) && !g.is_some_and(|(_, g)| reaches(g, a.to, a.from)) {
                unneeded.push(*a);
            }
        }
        let mut out = Vec::new();
        for (parent, g) in graphs {
            for members in strongly_connected(&g) {
                let set: BTreeSet<&String> = members.iter().collect();
                let mut edges = Vec::new();
                for a in &members {
                    for (b, ev) in g.get(a).into_iter().flatten() {
                        if set.contains(b) {
                            edges.push((a.clone(), b.clone(), ev.clone()));
                        }
                    }
                }
                out.push(Cycle {
                    krate: krate.to_string(),
                    parent: show(&parent),
                    members,
                    edges,
                });
            }
        }
        (out, unneeded)
    }
}

/// Whether `to` can be reached from `from`.
fn reaches(g: &BTreeMap<String, BTreeMap<String, Evidence>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(v) = todo.pop() {
        if v == to {
            return true;
        }
        if seen.insert(v.clone()) {
            todo.extend(g.get(&v).into_iter().flat_map(|e| e.keys().cloned()));
        }
    }
    false
}

fn show(p: &ModPath) -> String {
    if p.is_empty() {
        "crate".to_string()
    } else {
        p.join("::")
    }
}

/// Components of two or more nodes (Tarjan), members sorted.
fn strongly_connected(g: &BTreeMap<String, BTreeMap<String, Evidence>>) -> Vec<Vec<String>> {
    struct State<'a> {
        g: &'a BTreeMap<String, BTreeMap<String, Evidence>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on.insert(v);
        let g = s.g;
        for w in g.get(v).into_iter().flat_map(|e| e.keys()) {
            if !s.index.contains_key(w.as_str()) {
                visit(s, w);
                let lw = s.low[w.as_str()];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on.contains(w.as_str()) {
                let iw = s.index[w.as_str()];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycles_of(files: &[(&str, &str)]) -> Vec<Cycle> {
        let dir = std::env::temp_dir().join(format!(
            "kwm-modgraph-{}-{}",
            std::process::id(),
            files.len()
        ));
        for (name, text) in files {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let (out, _) = crate_cycles("t", &dir, "src/lib.rs", &[]);
        std::fs::remove_dir_all(&dir).unwrap();
        out
    }

    #[test]
    fn finds_a_loop_through_a_reexport_and_ignores_parents() {
        let c = cycles_of(&[
            ("src/lib.rs", "mod a; mod b;\npub use b::Thing;\n"),
            ("src/a.rs", "use crate::Thing; // crate::b in a comment\n"),
            (
                "src/b.rs",
                "pub struct Thing;\nfn f() { let s = \"crate::x\"; crate::a::g(); }\nmod c;",
            ),
            (
                "src/b/c.rs",
                "use super::Thing; fn h() { super::super::a::g(); }",
            ),
        ]);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].members, ["a", "b"]);
    }

    #[test]
    fn a_child_using_its_parent_is_no_cycle() {
        let c = cycles_of(&[
            ("src/lib.rs", "mod a;\nfn top() {}\n"),
            (
                "src/a.rs",
                "use crate::top; mod inner { use super::*; fn f() { crate::a::g() } }\n",
            ),
        ]);
        assert!(c.is_empty(), "{c:?}");
    }
}
