//! No module imports a module that imports it back, within a crate (issue 17).
//!
//! `cargo test -p kwm-testkit --test module_cycles` scans every crate's `src/` and lists each set
//! of sibling modules that refer to each other round a loop, with the reference behind every
//! edge; what counts as a reference and as a cycle is described in `kwm_testkit::modgraph`.

use kwm_testkit::modgraph::{workspace_cycles, Allowed};

/// Edges left out of the graph, each with why: none today. An entry that no longer exists or no
/// longer closes a loop fails the test, so the list can only shrink.
const ALLOWED: &[Allowed] = &[];

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let report = workspace_cycles(&kwm_testkit::repo(), ALLOWED);
    let mut text = String::new();
    for c in &report.cycles {
        text.push_str(&c.to_string());
    }
    for a in &report.unneeded {
        text.push_str(&format!(
            "{}: `{} → {}` in `{}` no longer closes a loop: remove it from ALLOWED\n",
            a.krate, a.from, a.to, a.parent
        ));
    }
    assert!(text.is_empty(), "module cycles:\n{text}");
}
