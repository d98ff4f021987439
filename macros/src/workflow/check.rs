//! The rules between keys: what each derive requires, and the event types and kinds named once.

use syn::DeriveInput;

use super::model::{Attrs, Role};
use crate::ctxt::Ctxt;
use crate::{received, shape};

pub(crate) fn check(cx: &Ctxt, input: &DeriveInput, attrs: &Attrs, role: Role) {
    shape::no_generics(cx, input, role.derive());
    let spec = role.spec();
    let written = |key: &str| attrs.written.iter().any(|written| written == key);
    let missing = |key: &str, why: &str| {
        cx.error_spanned_by(
            &input.ident,
            format!(
                "missing `{key}` in #[{}(...)], e.g. {}{why}",
                spec.name,
                role.example()
            ),
        );
    };
    // The name is written out, never taken from the type's: the ids of the commands a workflow
    // sent derive from it, and a rename of the type must not send them again.
    if !written("name") {
        missing(
            "name",
            ": its checkpoint and the ids of the commands it sends derive from it, so it is \
             written out rather than taken from the type's name, which may change",
        );
    }
    if !written("event") && !written("events") {
        missing("event", "");
    }
    if role == Role::Process && !written("state") {
        missing("state", ": the type each process keeps between steps");
    }
    received::check(cx, input, attrs.event.as_ref(), attrs.events.as_deref());
    received::check_ignored(cx, &attrs.ignore);
}
