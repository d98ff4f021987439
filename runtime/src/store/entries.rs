//! What an index holds of a row: the values of its terms (a column's, a field's of a value
//! object, each element's of a list), one entry per combination of elements.

use serde_json::Value;

use crate::store::Row;
use crate::table::{Index, Term};

/// The entries of `row` in `index`: each the values of its `equal` terms, in order. None when a
/// term has no value (a null column, a missing field, an empty list): such a row is in no list
/// of the index. A list's equal elements make one entry.
pub(crate) fn entries(index: &Index<'_>, row: &Row) -> Vec<Vec<Value>> {
    let mut entries: Vec<Vec<Value>> = vec![Vec::new()];
    for text in index.equal {
        let values = term_values(&Term::parse(text), row);
        entries = entries
            .into_iter()
            .flat_map(|entry| {
                values.iter().map(move |value| {
                    let mut entry = entry.clone();
                    entry.push(value.clone());
                    entry
                })
            })
            .collect();
    }
    entries
}

fn term_values(term: &Term<'_>, row: &Row) -> Vec<Value> {
    let cell = row.get(term.column()).unwrap_or(&Value::Null);
    let mut values: Vec<Value> = match term {
        Term::Column(_) => vec![cell.clone()],
        Term::Field { path, .. } => {
            let mut value = cell;
            for field in path {
                value = value.get(field).unwrap_or(&Value::Null);
            }
            vec![value.clone()]
        }
        Term::Element(_) => cell.as_array().cloned().unwrap_or_default(),
        Term::ElementField { path, .. } => cell
            .as_array()
            .map(|elements| {
                elements
                    .iter()
                    .map(|element| {
                        path.iter()
                            .fold(element, |value, field| {
                                value.get(field).unwrap_or(&Value::Null)
                            })
                            .clone()
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    values.retain(|value| !value.is_null());
    let mut unique: Vec<Value> = Vec::with_capacity(values.len());
    for value in values {
        if !unique.contains(&value) {
            unique.push(value);
        }
    }
    unique
}

/// A term's value as an entry table keeps it: its JSON text, the same for a value read from a
/// row and one parsed from a request.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "cassandra"))]
pub(crate) fn term_text(value: &Value) -> String {
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_entry_per_element_and_none_without_a_value() {
        let Value::Object(row) = json!({
            "id": "b1", "authors": ["ann", "bo", "ann"], "address": { "city": "Oslo" },
            "status": "open", "tags": [],
        }) else {
            unreachable!()
        };
        let index = |equal| Index { equal, order: None };
        assert_eq!(
            entries(&index(&["authors[]", "address.city"]), &row),
            [
                vec![json!("ann"), json!("Oslo")],
                vec![json!("bo"), json!("Oslo")]
            ]
        );
        assert_eq!(entries(&index(&["status"]), &row), [vec![json!("open")]]);
        assert!(entries(&index(&["tags[]"]), &row).is_empty());
        let Value::Object(order) = json!({
            "lines": [
                { "product_id": "p1", "quantity": 2 },
                { "product_id": "p2", "quantity": 1 },
                { "product_id": "p1", "quantity": 5 },
                { "quantity": 1 },
            ],
        }) else {
            unreachable!()
        };
        assert_eq!(
            entries(&index(&["lines[].product_id"]), &order),
            [vec![json!("p1")], vec![json!("p2")]],
            "one entry per product, none for a line without one"
        );
        assert!(entries(&index(&["address.zip"]), &row).is_empty());
        assert_eq!(term_text(&json!("ann")), "\"ann\"");
    }
}
