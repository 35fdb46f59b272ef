//! Null propagation as the GraphQL spec has it ("Handling Field Errors"): an error in a
//! non-null field makes its parent null, and so on up to the nearest nullable position (or
//! `data` itself). async-graphql instead leaves the failed field out of its object (an object
//! whose fields all failed becomes `null` in place, e.g. `[null, null]` in a `[T!]!` list),
//! which typed clients take for a broken server. `Nulls::propagate` mends an answer after
//! the fact: it walks each error's path through the operation and the schema's field types
//! and writes the `null` where the spec puts it. It costs nothing on an answer without errors.

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet, Type, TypeKind,
    TypeSystemDefinition,
};
use async_graphql::{Name, PathSegment, Response, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The schema's field types by type name and field name (objects and interfaces), and the
/// root types' names.
#[derive(Clone, Default)]
pub struct Nulls {
    fields: Arc<HashMap<String, HashMap<String, Type>>>,
    roots: [String; 3],
}

impl Nulls {
    /// Reads the field types from the schema's SDL.
    pub fn from_sdl(sdl: &str) -> Self {
        let mut fields: HashMap<String, HashMap<String, Type>> = HashMap::new();
        let mut roots = ["Query".to_owned(), "Mutation".to_owned(), "Subscription".to_owned()];
        let Ok(doc) = async_graphql::parser::parse_schema(sdl) else {
            return Nulls::default();
        };
        for definition in doc.definitions {
            match definition {
                TypeSystemDefinition::Type(ty) => {
                    let ty = ty.node;
                    let defined = match ty.kind {
                        TypeKind::Object(o) => o.fields,
                        TypeKind::Interface(i) => i.fields,
                        _ => continue,
                    };
                    let by_name = defined.into_iter().map(|f| (f.node.name.node.to_string(), f.node.ty.node)).collect();
                    fields.insert(ty.name.node.to_string(), by_name);
                }
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    for (slot, name) in [schema.query, schema.mutation, schema.subscription].into_iter().enumerate() {
                        if let Some(name) = name {
                            roots[slot] = name.node.to_string();
                        }
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        Nulls { fields: Arc::new(fields), roots }
    }

    /// Writes each error's `null` where the spec puts it: at the failed field when it is
    /// nullable, else at its nearest nullable ancestor, else `data` itself.
    pub fn propagate(&self, response: &mut Response, doc: &ExecutableDocument, operation: Option<&str>) {
        if response.errors.is_empty() || matches!(response.data, Value::Null) {
            return;
        }
        let Some(selections) = self.operation(doc, operation) else { return };
        let paths: Vec<Vec<PathSegment>> =
            response.errors.iter().filter(|e| !e.path.is_empty()).map(|e| e.path.clone()).collect();
        for path in paths {
            let Some(nullable) = self.nullability(doc, &selections, &path) else { continue };
            match nullable.iter().rposition(|n| *n) {
                Some(at) => set_null(&mut response.data, &path[..=at]),
                None => {
                    response.data = Value::Null;
                    return;
                }
            }
        }
    }

    /// The root type and selection set of the operation that ran.
    fn operation<'d>(&'d self, doc: &'d ExecutableDocument, name: Option<&str>) -> Option<Vec<Scoped<'d>>> {
        let op = match (&doc.operations, name) {
            (DocumentOperations::Single(op), _) => &op.node,
            (DocumentOperations::Multiple(ops), Some(name)) => &ops.get(name)?.node,
            (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => &ops.values().next()?.node,
            _ => return None,
        };
        let root = match op.ty {
            OperationType::Query => &self.roots[0],
            OperationType::Mutation => &self.roots[1],
            OperationType::Subscription => &self.roots[2],
        };
        Some(vec![Scoped { ty: root, set: &op.selection_set.node }])
    }

    /// Whether each position along `path` may be null (the field's or the list item's type),
    /// or `None` where the path leaves what the schema and the operation say.
    fn nullability<'d>(
        &'d self,
        doc: &'d ExecutableDocument,
        selections: &[Scoped<'d>],
        path: &[PathSegment],
    ) -> Option<Vec<bool>> {
        let mut nullable = Vec::with_capacity(path.len());
        let mut sets: Vec<Scoped<'d>> = selections.to_vec();
        let mut current: Option<&'d Type> = None;
        for segment in path {
            match segment {
                PathSegment::Field(key) => {
                    let mut matched: Option<&'d Type> = None;
                    let mut next = Vec::new();
                    for scoped in &sets {
                        for (ty, field) in fields_with_key(doc, scoped.ty, scoped.set, key) {
                            let field_type = self.fields.get(ty)?.get(field.name.node.as_str())?;
                            matched.get_or_insert(field_type);
                            let named = named_type(field_type);
                            next.push(Scoped { ty: named, set: &field.selection_set.node });
                        }
                    }
                    let ty = matched?;
                    nullable.push(ty.nullable);
                    current = Some(ty);
                    sets = next;
                }
                PathSegment::Index(_) => {
                    let BaseType::List(item) = &current?.base else { return None };
                    nullable.push(item.nullable);
                    current = Some(item);
                }
            }
        }
        Some(nullable)
    }
}

/// Sets `__schema { description }` to null: async-graphql answers it with the text that
/// describes `__Schema` itself, not this schema (which has no description).
pub fn no_schema_description(response: &mut Response, doc: &ExecutableDocument, operation: Option<&str>) {
    let nulls = Nulls::default();
    let Some(selections) = nulls.operation(doc, operation) else { return };
    let Value::Object(data) = &mut response.data else { return };
    for scoped in selections {
        for selection in &scoped.set.items {
            let Selection::Field(field) = &selection.node else { continue };
            if field.node.name.node != "__schema" {
                continue;
            }
            let Some(Value::Object(schema)) = data.get_mut(field.node.response_key().node.as_str()) else { continue };
            for inner in &field.node.selection_set.node.items {
                if let Selection::Field(f) = &inner.node
                    && f.node.name.node == "description"
                {
                    schema.insert(f.node.response_key().node.clone(), Value::Null);
                }
            }
        }
    }
}

/// A selection set and the type it selects on.
#[derive(Clone, Copy)]
struct Scoped<'d> {
    ty: &'d str,
    set: &'d SelectionSet,
}

fn named_type(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(item) => named_type(item),
    }
}

/// The fields of `set` (through fragments) answered under `key`, each with the type it is
/// selected on (a fragment's type condition, else `ty`).
fn fields_with_key<'d>(
    doc: &'d ExecutableDocument,
    ty: &'d str,
    set: &'d SelectionSet,
    key: &str,
) -> Vec<(&'d str, &'d async_graphql::parser::types::Field)> {
    let mut found = Vec::new();
    let mut stack: Vec<(&'d str, &'d SelectionSet)> = vec![(ty, set)];
    // Fragments are acyclic (validation), but each is expanded at most once here anyway.
    let mut seen: Vec<&'d Name> = Vec::new();
    while let Some((ty, set)) = stack.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) if field.node.response_key().node.as_str() == key => {
                    found.push((ty, &field.node));
                }
                Selection::Field(_) => {}
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if seen.contains(&name) {
                        continue;
                    }
                    seen.push(name);
                    if let Some(fragment) = doc.fragments.get(name) {
                        let on = fragment.node.type_condition.node.on.node.as_str();
                        stack.push((on, &fragment.node.selection_set.node));
                    }
                }
                Selection::InlineFragment(inline) => {
                    let on = inline.node.type_condition.as_ref().map_or(ty, |c| c.node.on.node.as_str());
                    stack.push((on, &inline.node.selection_set.node));
                }
            }
        }
    }
    found
}

/// Sets the value at `path` to null, if the answer still reaches it.
fn set_null(data: &mut Value, path: &[PathSegment]) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut value = data;
    for segment in parents {
        value = match (segment, value) {
            (PathSegment::Field(key), Value::Object(fields)) => match fields.get_mut(key.as_str()) {
                Some(v) => v,
                None => return,
            },
            (PathSegment::Index(i), Value::List(items)) => match items.get_mut(*i) {
                Some(v) => v,
                None => return,
            },
            _ => return,
        };
    }
    match (last, value) {
        (PathSegment::Field(key), Value::Object(fields)) => {
            fields.insert(Name::new(key), Value::Null);
        }
        (PathSegment::Index(i), Value::List(items)) => {
            if let Some(item) = items.get_mut(*i) {
                *item = Value::Null;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::ServerError;

    const SDL: &str = "
        type Query { campaign: Campaign, campaigns: [Campaign!]!, me: User! }
        type Campaign { name: String!, note: String, emails: [Email!]!, maybe: [Email] }
        type Email { subject: String!, rate: Float! }
        type User { name: String! }
    ";

    fn run(query: &str, data: serde_json::Value, paths: &[&[PathSegment]]) -> serde_json::Value {
        let nulls = Nulls::from_sdl(SDL);
        let doc = async_graphql::parser::parse_query(query).unwrap();
        let mut response = Response::new(Value::from_json(data).unwrap());
        for path in paths {
            let mut err = ServerError::new("boom", None);
            err.path = path.to_vec();
            response.errors.push(err);
        }
        nulls.propagate(&mut response, &doc, None);
        response.data.into_json().unwrap()
    }

    fn f(key: &str) -> PathSegment {
        PathSegment::Field(key.into())
    }

    #[test]
    fn a_nullable_field_becomes_null_in_place() {
        let got = run(
            "{ campaign { name note } }",
            serde_json::json!({"campaign": {"name": "A"}}),
            &[&[f("campaign"), f("note")]],
        );
        assert_eq!(got, serde_json::json!({"campaign": {"name": "A", "note": null}}));
    }

    #[test]
    fn a_non_null_field_nulls_the_nearest_nullable_ancestor() {
        // campaign.emails[1].rate: rate! in Email! in [Email!]! in the nullable campaign.
        let data = serde_json::json!({"campaign": {"name": "A", "emails": [{"rate": 1.0}, null]}});
        let got = run(
            "{ campaign { name emails { rate } } }",
            data,
            &[&[f("campaign"), f("emails"), PathSegment::Index(1), f("rate")]],
        );
        assert_eq!(got, serde_json::json!({"campaign": null}));
        // A nullable list item stops it there; aliases and fragments are followed.
        let data = serde_json::json!({"c": {"m": [{"subject": "x"}, {"subject": "y"}]}});
        let got = run(
            "{ c: campaign { ...F } } fragment F on Campaign { m: maybe { subject ... on Email { rate } } }",
            data,
            &[&[f("c"), f("m"), PathSegment::Index(0), f("rate")]],
        );
        assert_eq!(got, serde_json::json!({"c": {"m": [null, {"subject": "y"}]}}));
    }

    #[test]
    fn with_no_nullable_ancestor_data_is_null() {
        let got = run(
            "{ me { name } campaigns { name } }",
            serde_json::json!({"me": {}, "campaigns": []}),
            &[&[f("me"), f("name")]],
        );
        assert_eq!(got, serde_json::Value::Null);
    }
}
