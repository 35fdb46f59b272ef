//! Hard bounds on an operation's shape, checked on the parsed document before async-graphql
//! validates it, in time linear in the document: each fragment is measured once and its
//! measure reused wherever it is spread, so a document whose expansion is exponential
//! (fragments spreading the next one twice, 2^n fields from a few hundred bytes) is measured in
//! microseconds and refused before anything walks the expansion. Counts saturate instead of
//! overflowing.
//!
//! What is bounded, after expanding every fragment: fields (each field selected counts once
//! per place it is reached, repeated or not, aliased or not), aliases, directives, the depth of
//! data fields, and (apart) the depth of introspection (`__schema`, `__type`), so that a
//! client's standard introspection query (graphql-js nests `ofType` many levels) is answered
//! under the data depth limit, while introspection cannot nest without end either.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use std::collections::HashMap;

/// The bounds an operation's shape must stay within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Fields, after expanding fragments.
    pub max_fields: u64,
    /// Root fields, after expanding fragments: each runs statements of its own (root fields
    /// repeated, even without aliases, run again).
    pub max_root_fields: u64,
    pub max_aliases: u64,
    pub max_directives: u64,
    /// Nesting of data fields (introspection not counted).
    pub max_depth: u64,
    /// Nesting inside `__schema` and `__type`.
    pub max_introspection_depth: u64,
}

/// Fields after expansion: a dashboard page selects a few hundred, the full standard
/// introspection query about a thousand.
pub const MAX_FIELDS: u64 = 5_000;
/// Bytes of an operation's text: dashboards' operations are a few KB, the standard
/// introspection query 2 KB.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;
/// A dashboard page asks a handful of root fields.
pub const MAX_ROOT_FIELDS: u64 = 64;
pub const MAX_DIRECTIVES: u64 = 200;
/// graphql-js's introspection query nests `ofType` to depth 15 below `__schema`.
pub const MAX_INTROSPECTION_DEPTH: u64 = 24;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Measure {
    fields: u64,
    /// Fields of the selection set itself (through fragments), not of their children.
    roots: u64,
    aliases: u64,
    directives: u64,
    depth: u64,
    introspection_depth: u64,
}

impl Measure {
    /// Side by side: counts add, depths take the larger.
    fn beside(self, other: Measure) -> Measure {
        let Measure { fields, roots, aliases, directives, depth, introspection_depth } = other;
        Measure {
            fields: self.fields.saturating_add(fields),
            roots: self.roots.saturating_add(roots),
            aliases: self.aliases.saturating_add(aliases),
            directives: self.directives.saturating_add(directives),
            depth: self.depth.max(depth),
            introspection_depth: self.introspection_depth.max(introspection_depth),
        }
    }
}

/// Why a document is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A limit passed: what, how many, the limit.
    Exceeds(&'static str, u64, u64),
    /// A fragment spreads itself, directly or through others.
    FragmentCycle(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Exceeds(what, n, limit) => {
                let n = if *n == u64::MAX { "more than 18446744073709551614".to_owned() } else { n.to_string() };
                write!(f, "the query has {n} {what} once its fragments are expanded; the limit is {limit}")
            }
            Refusal::FragmentCycle(name) => write!(f, "fragment {name} spreads itself"),
        }
    }
}

struct Measurer<'a> {
    doc: &'a ExecutableDocument,
    /// Fragments measured, by (name, inside introspection).
    done: HashMap<(&'a str, bool), Measure>,
    /// Fragments being measured (to find cycles).
    open: Vec<&'a str>,
}

impl<'a> Measurer<'a> {
    fn set(&mut self, set: &'a SelectionSet, introspection: bool) -> Result<Measure, Refusal> {
        let mut total = Measure::default();
        for item in &set.items {
            let m = match &item.node {
                Selection::Field(field) => {
                    let f = &field.node;
                    let inside = introspection || matches!(f.name.node.as_str(), "__schema" | "__type");
                    let children = self.set(&f.selection_set.node, inside)?;
                    let own = Measure {
                        fields: 1,
                        aliases: u64::from(f.alias.is_some()),
                        directives: f.directives.len() as u64,
                        ..Measure::default()
                    };
                    let mut m = own.beside(Measure { depth: 0, introspection_depth: 0, roots: 0, ..children });
                    m.roots = 1;
                    if inside {
                        m.introspection_depth = children.introspection_depth + 1;
                        m.depth = children.depth;
                    } else {
                        m.depth = children.depth + 1;
                        m.introspection_depth = children.introspection_depth;
                    }
                    m
                }
                Selection::InlineFragment(inline) => {
                    let directives = Measure { directives: inline.node.directives.len() as u64, ..Measure::default() };
                    directives.beside(self.set(&inline.node.selection_set.node, introspection)?)
                }
                Selection::FragmentSpread(spread) => {
                    let directives = Measure { directives: spread.node.directives.len() as u64, ..Measure::default() };
                    directives.beside(self.fragment(spread.node.fragment_name.node.as_str(), introspection)?)
                }
            };
            total = total.beside(m);
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &'a str, introspection: bool) -> Result<Measure, Refusal> {
        if let Some(m) = self.done.get(&(name, introspection)) {
            return Ok(*m);
        }
        if self.open.contains(&name) {
            return Err(Refusal::FragmentCycle(name.to_owned()));
        }
        // An unknown fragment measures nothing here; validation names it.
        let Some((_, def)) = self.doc.fragments.iter().find(|(n, _)| n.as_str() == name) else {
            return Ok(Measure::default());
        };
        self.open.push(name);
        let directives = Measure { directives: def.node.directives.len() as u64, ..Measure::default() };
        let m = directives.beside(self.set(&def.node.selection_set.node, introspection)?);
        self.open.pop();
        self.done.insert((name, introspection), m);
        Ok(m)
    }
}

/// Checks every operation of `doc` (and every fragment, used or not) against `bounds`.
pub fn check(doc: &ExecutableDocument, bounds: &Bounds) -> Result<(), Refusal> {
    let mut measurer = Measurer { doc, done: HashMap::new(), open: Vec::new() };
    let mut total = Measure::default();
    for (_, op) in doc.operations.iter() {
        let directives = Measure { directives: op.node.directives.len() as u64, ..Measure::default() };
        total = total.beside(directives.beside(measurer.set(&op.node.selection_set.node, false)?));
    }
    for name in doc.fragments.keys() {
        measurer.fragment(name.as_str(), false)?;
    }
    let Measure { fields, roots, aliases, directives, depth, introspection_depth } = total;
    for (what, n, limit) in [
        ("aliases", aliases, bounds.max_aliases),
        ("fields", fields, bounds.max_fields),
        ("root fields", roots, bounds.max_root_fields),
        ("directives", directives, bounds.max_directives),
        ("levels of nesting", depth, bounds.max_depth),
        ("levels of introspection nesting", introspection_depth, bounds.max_introspection_depth),
    ] {
        if n > limit {
            return Err(Refusal::Exceeds(what, n, limit));
        }
    }
    // A fragment used nowhere still must not expand beyond the field limit.
    for m in measurer.done.values() {
        if m.fields > bounds.max_fields {
            return Err(Refusal::Exceeds("fields", m.fields, bounds.max_fields));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    const BOUNDS: Bounds = Bounds {
        max_fields: MAX_FIELDS,
        max_root_fields: MAX_ROOT_FIELDS,
        max_aliases: 100,
        max_directives: MAX_DIRECTIVES,
        max_depth: 10,
        max_introspection_depth: MAX_INTROSPECTION_DEPTH,
    };

    fn measure(text: &str) -> Result<(), Refusal> {
        check(&parse_query(text).unwrap(), &BOUNDS)
    }

    /// `{ me { ...F0 } }` with each fragment spreading the next twice: 2^n fields.
    fn doubling(n: usize) -> String {
        let mut text = "{ me { ...F0 } }".to_owned();
        for i in 0..n {
            text.push_str(&format!(" fragment F{i} on User {{ ...F{} ...F{} }}", i + 1, i + 1));
        }
        text.push_str(&format!(" fragment F{n} on User {{ id }}"));
        text
    }

    #[test]
    fn fragment_doubling_is_measured_without_expanding_it_and_refused() {
        assert_eq!(measure(&doubling(10)), Ok(()));
        let started = std::time::Instant::now();
        for n in [13, 28, 40, 64, 100] {
            assert!(matches!(measure(&doubling(n)), Err(Refusal::Exceeds("fields", _, MAX_FIELDS))), "2^{n}");
        }
        assert!(started.elapsed() < std::time::Duration::from_millis(200), "{:?}", started.elapsed());
    }

    #[test]
    fn aliases_and_directives_count_through_fragments() {
        let aliases: String = (0..60).map(|i| format!("a{i}: id ")).collect();
        let text = format!("{{ me {{ ...A ...A }} }} fragment A on User {{ {aliases} }}");
        assert_eq!(measure(&text), Err(Refusal::Exceeds("aliases", 120, 100)));
        let directives = "id @include(if: true) ".repeat(120);
        let text = format!("{{ me {{ ...D ...D }} }} fragment D on User {{ {directives} }}");
        assert_eq!(measure(&text), Err(Refusal::Exceeds("directives", 240, MAX_DIRECTIVES)));
    }

    #[test]
    fn depth_counts_data_fields_and_introspection_apart() {
        let deep = format!("{{ {} id {} }}", "a { ".repeat(10), "} ".repeat(10));
        assert_eq!(measure(&deep), Err(Refusal::Exceeds("levels of nesting", 11, 10)));
        let type_ref = format!("{} name {}", "ofType { ".repeat(14), "} ".repeat(14));
        let introspection = format!("{{ __schema {{ types {{ fields {{ type {{ {type_ref} }} }} }} }} }}");
        assert_eq!(measure(&introspection), Ok(()));
        let endless = format!("{{ __schema {{ types {{ {} name {} }} }} }}", "ofType { ".repeat(30), "} ".repeat(30));
        assert!(matches!(measure(&endless), Err(Refusal::Exceeds("levels of introspection nesting", _, _))));
    }

    #[test]
    fn a_fragment_cycle_is_refused_not_followed() {
        let text = "{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }";
        assert!(matches!(measure(text), Err(Refusal::FragmentCycle(_))));
    }

    #[test]
    fn repeated_fields_count_each_time() {
        let text = format!("{{ {} }}", "portfolioSummary { totalRevenue } ".repeat(3_000));
        assert_eq!(measure(&text), Err(Refusal::Exceeds("fields", 6_000, MAX_FIELDS)));
        let text = format!("{{ {} }}", "portfolioSummary { totalRevenue } ".repeat(65));
        assert_eq!(measure(&text), Err(Refusal::Exceeds("root fields", 65, MAX_ROOT_FIELDS)));
        let text = format!("{{ ...R ...R }} fragment R on QueryRoot {{ {} }}", "me { id } ".repeat(33));
        assert_eq!(measure(&text), Err(Refusal::Exceeds("root fields", 66, MAX_ROOT_FIELDS)));
        let nested = format!("{{ me {{ {} }} }}", "id ".repeat(1_000));
        assert_eq!(measure(&nested), Ok(()));
    }
}
