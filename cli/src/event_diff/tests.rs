use std::sync::Arc;

use super::*;
use crate::model;
use crate::model::ir::{Field, Type};

const ORDERING: &str = include_str!("../../../examples/ordering.yaml");

fn ordering(edit: impl FnOnce(String) -> String) -> Model {
    let source = edit(ORDERING.to_owned());
    model::parse("ordering.yaml", &source).unwrap_or_else(|d| panic!("{d}"))
}

fn verdicts(changes: &[Change]) -> Vec<(Verdict, &str, &str)> {
    changes
        .iter()
        .map(|c| (c.verdict, c.event.as_str(), c.what.as_str()))
        .collect()
}

#[test]
fn the_same_model_has_no_changes() {
    assert_eq!(compare(&ordering(|s| s), &ordering(|s| s)), []);
}

/// The Ordering model with one event changed in place (the IR, so that the commands feeding
/// the event need not change too).
fn with_event(name: &str, change: impl FnOnce(&mut crate::model::ir::Event)) -> Model {
    let mut model = ordering(|s| s);
    let event = model.aggregates[0]
        .events
        .iter_mut()
        .find(|e| e.name == name)
        .expect("an Ordering event");
    change(Arc::make_mut(event));
    model
}

fn field(name: &str, ty: Type) -> Field {
    Field {
        name: name.to_owned(),
        ty,
        rules: Default::default(),
    }
}

#[test]
fn a_new_optional_field_is_compatible() {
    let new = with_event("OrderCancelled", |e| {
        e.fields
            .push(field("note", Type::Optional(Box::new(Type::String))))
    });
    let changes = compare(&ordering(|s| s), &new);
    assert_eq!(
        verdicts(&changes),
        [(
            Verdict::Compatible,
            "Order.OrderCancelled",
            "new optional field `note`"
        )]
    );
    assert_eq!(changes[0].fix, None);
}

#[test]
fn a_changed_type_is_breaking_and_says_how_to_fix_it() {
    let new = with_event("ItemRemoved", |e| e.fields[0].ty = Type::Int);
    let changes = compare(&ordering(|s| s), &new);
    assert_eq!(
        verdicts(&changes),
        [(
            Verdict::Breaking,
            "Order.ItemRemoved",
            "field `product_id` changed type from string to int"
        )]
    );
    let fix = changes[0].fix.as_deref().unwrap();
    assert!(
        fix.contains("`version: 2`") && fix.contains("upcaster"),
        "{fix}"
    );
}

#[test]
fn a_bumped_version_turns_breaking_into_versioned() {
    let new = with_event("OrderCancelled", |e| {
        e.version = 2;
        e.fields[0].name = "why".into();
    });
    let changes = compare(&ordering(|s| s), &new);
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[0].verdict, Verdict::Versioned);
    assert!(changes[0].what.contains("renamed to `why`"), "{changes:?}");
    assert!(changes[0].fix.as_deref().unwrap().contains("from v1 to v2"));
    assert_eq!(changes[1].verdict, Verdict::Compatible, "{changes:?}");
}

#[test]
fn an_optional_field_made_required_is_breaking_the_reverse_is_not() {
    let required = with_event("OrderCancelled", |e| e.fields[0].ty = Type::String);
    let changes = compare(&ordering(|s| s), &required);
    assert_eq!(changes[0].verdict, Verdict::Breaking, "{changes:?}");
    let changes = compare(&required, &ordering(|s| s));
    assert_eq!(
        verdicts(&changes),
        [(
            Verdict::Compatible,
            "Order.OrderCancelled",
            "field `reason` became optional"
        )]
    );
}

#[test]
fn value_objects_and_enums_inside_events_are_compared_too() {
    let new = ordering(|s| {
        s.replacen(
            "    unit_price: { type: decimal, min: 0 }\n",
            "    unit_price: { type: decimal, min: 0 }\n    sku: string\n",
            1,
        )
        .replacen(
            "[Draft, CheckedOut, Cancelled]",
            "[Draft, CheckedOut, Cancelled, Shipped]",
            1,
        )
    });
    let changes = compare(&ordering(|s| s), &new);
    assert_eq!(
        verdicts(&changes),
        [(
            Verdict::Breaking,
            "Order.ItemAdded",
            "new required field `line.sku` (string), which stored events lack"
        )]
    );
}

#[test]
fn a_removed_event_is_breaking_and_a_new_one_compatible() {
    let mut new = ordering(|s| s);
    let order = &mut new.aggregates[0];
    order.events.retain(|e| e.name != "OrderCheckedOut");
    Arc::make_mut(&mut order.events[0]).name = "OrderOpened".into();
    let changes = compare(&ordering(|s| s), &new);
    assert_eq!(
        verdicts(&changes),
        [
            (
                Verdict::Breaking,
                "Order.OrderPlaced",
                "the event was removed"
            ),
            (
                Verdict::Breaking,
                "Order.OrderCheckedOut",
                "the event was removed"
            ),
            (Verdict::Compatible, "Order.OrderOpened", "a new event"),
        ]
    );
}
