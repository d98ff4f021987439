//! rustfmt's width rules for the few constructs the templates build from model data, so that
//! generated Rust is formatted as written and never needs a rustfmt pass.
//!
//! Each helper picks the one-line form when rustfmt would, and rustfmt's vertical form otherwise.
//! The limits are rustfmt's defaults; `tests/rustfmt_stable.rs` holds the output to them.

/// `max_width`.
const MAX_WIDTH: usize = 100;
/// `struct_lit_width`: the body of a struct literal on one line.
const STRUCT_LIT_WIDTH: usize = 18;
/// `array_width`, `fn_call_width` and `chain_width`.
const LIST_WIDTH: usize = 60;
/// `attr_fn_like_width`: the arguments of an attribute on one line.
const ATTR_WIDTH: usize = 70;

fn pad(indent: usize) -> String {
    " ".repeat(indent)
}

fn one_line(parts: &[String]) -> bool {
    parts.iter().all(|part| !part.contains('\n'))
}

/// `Name { a: x, b: y }` or one field per line. Field values must already be laid out for
/// `indent + 4`. `indent` is where the literal's first line starts; `prefix` is what precedes
/// it on that line (its width counts against the line).
pub fn struct_literal(
    name: &str,
    fields: &[(String, String)],
    indent: usize,
    prefix: usize,
) -> String {
    if fields.is_empty() {
        return format!("{name} {{}}");
    }
    let values: Vec<String> = fields.iter().map(|(_, value)| value.clone()).collect();
    // `field: field` is written `field`, as clippy asks.
    let entry = |field: &String, value: &String| {
        if field == value {
            field.clone()
        } else {
            format!("{field}: {value}")
        }
    };
    let body = fields
        .iter()
        .map(|(field, value)| entry(field, value))
        .collect::<Vec<_>>()
        .join(", ");
    if one_line(&values)
        && body.len() <= STRUCT_LIT_WIDTH
        && indent + prefix + name.len() + body.len() + 5 <= MAX_WIDTH
    {
        return format!("{name} {{ {body} }}");
    }
    let inner = pad(indent + 4);
    let lines: Vec<String> = fields
        .iter()
        .map(|(field, value)| format!("{inner}{},", entry(field, value)))
        .collect();
    format!("{name} {{\n{}\n{}}}", lines.join("\n"), pad(indent))
}

/// `[a, b]` (or `vec![a, b]`) on one line, or one element per line.
pub fn array(open: &str, items: &[String], indent: usize, prefix: usize) -> String {
    let joined = items.join(", ");
    if one_line(items)
        && joined.len() <= LIST_WIDTH
        && indent + prefix + open.len() + joined.len() < MAX_WIDTH
    {
        return format!("{open}{joined}]");
    }
    let inner = pad(indent + 4);
    let lines: Vec<String> = items.iter().map(|item| format!("{inner}{item},")).collect();
    format!("{open}\n{}\n{}]", lines.join("\n"), pad(indent))
}

/// `&[item];` after `prefix` characters on its line, for a `const` array of one item: rustfmt
/// keeps a lone item on the line whenever it fits, whatever its width. `None` otherwise.
pub fn lone_item(items: &[String], prefix: usize) -> Option<String> {
    match items {
        [one] if !one.contains('\n') && prefix + one.len() + 4 <= MAX_WIDTH => {
            Some(format!("&[{one}]"))
        }
        _ => None,
    }
}

/// `head.a().b()` on one line, or each call on its own line below the head. rustfmt holds a
/// chain of several calls to the chain width, and a single call only to the line width.
pub fn chain(head: &str, calls: &[String], indent: usize, suffix: &str) -> String {
    let flat = format!("{head}{}", calls.concat());
    let fits_line = !flat.contains('\n') && indent + flat.len() + suffix.len() <= MAX_WIDTH;
    if fits_line && (calls.len() == 1 || flat.len() <= LIST_WIDTH) {
        return format!("{flat}{suffix}");
    }
    let inner = pad(indent + 4);
    let lines: String = calls
        .iter()
        .map(|call| format!("\n{inner}{call}"))
        .collect();
    format!("{head}{lines}{suffix}")
}

/// `#[name(a, b)]` on one line, or one argument per line.
pub fn attribute(name: &str, args: &[String], indent: usize) -> String {
    let joined = args.join(", ");
    if joined.len() <= ATTR_WIDTH && indent + name.len() + joined.len() + 5 <= MAX_WIDTH {
        return format!("#[{name}({joined})]");
    }
    let inner = pad(indent + 4);
    let lines: Vec<String> = args.iter().map(|arg| format!("{inner}{arg}")).collect();
    format!("#[{name}(\n{}\n{})]", lines.join(",\n"), pad(indent))
}

/// `use path::{A, B};`, wrapped the way rustfmt fills a long import list.
pub fn use_list(path: &str, names: &[String]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(format!("use {path}::{one};")),
        many => {
            let mut many = many.to_vec();
            // rustfmt puts `self` first, then the names in order.
            many.sort_by(|a, b| (a != "self", a).cmp(&(b != "self", b)));
            let flat = format!("use {path}::{{{}}};", many.join(", "));
            if flat.len() <= MAX_WIDTH {
                return Some(flat);
            }
            let mut lines = Vec::new();
            let mut line = String::new();
            for name in &many {
                if !line.is_empty() && 4 + line.len() + 1 + name.len() + 1 > MAX_WIDTH {
                    lines.push(std::mem::take(&mut line));
                }
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(name);
                line.push(',');
            }
            lines.push(line);
            let body: Vec<String> = lines
                .into_iter()
                .map(|line| format!("    {line}"))
                .collect();
            Some(format!("use {path}::{{\n{}\n}};", body.join("\n")))
        }
    }
}

/// A function signature: `head(params) -> ret {` on one line, or one parameter per line.
/// `head` is e.g. `fn handle` or `async fn place_order`.
pub fn signature(head: &str, params: &[String], ret: &str, indent: usize) -> String {
    let flat = format!("{head}({}) -> {ret} {{", params.join(", "));
    if indent + flat.len() <= MAX_WIDTH {
        return flat;
    }
    let inner = pad(indent + 4);
    let lines: Vec<String> = params
        .iter()
        .map(|param| format!("{inner}{param},"))
        .collect();
    format!(
        "{head}(\n{}\n{}) -> {ret} {{",
        lines.join("\n"),
        pad(indent)
    )
}

/// `callee(a, b)` on one line, or one argument per line; a `.await` suffix moves below the `)`
/// in the vertical form, as rustfmt writes it.
pub fn call(callee: &str, args: &[String], indent: usize, suffix: &str) -> String {
    let joined = args.join(", ");
    let call_fits =
        joined.len() <= LIST_WIDTH && indent + callee.len() + joined.len() + 2 <= MAX_WIDTH;
    if call_fits && indent + callee.len() + joined.len() + 2 + suffix.len() <= MAX_WIDTH {
        return format!("{callee}({joined}){suffix}");
    }
    // `call(...).await` is a chain of one: the `.await` moves to the next line first.
    if call_fits && let Some(rest) = suffix.strip_prefix(".await") {
        return format!("{callee}({joined})\n{}.await{rest}", pad(indent + 4));
    }
    let inner = pad(indent + 4);
    let lines: Vec<String> = args.iter().map(|arg| format!("{inner}{arg},")).collect();
    let suffix = match suffix.strip_prefix(".await") {
        Some(rest) => format!("\n{}.await{rest}", pad(indent)),
        None => suffix.to_owned(),
    };
    format!("{callee}(\n{}\n{}){suffix}", lines.join("\n"), pad(indent))
}

/// `const NAME: &str = "text";`, with the value on the next line when the line is too long.
pub fn str_const(name: &str, text: &str) -> String {
    let flat = format!("const {name}: &str = {text};");
    if flat.len() <= MAX_WIDTH {
        return flat;
    }
    format!("const {name}: &str =\n    {text};")
}

/// `outer(inner(a, b));` on one line, or with each of the inner call's arguments on a line of
/// its own: rustfmt overflows a lone call argument onto the outer call's line.
pub fn nested_call(
    outer: &str,
    inner: &str,
    args: &[String],
    indent: usize,
    suffix: &str,
) -> String {
    let joined = args.join(", ");
    let flat = format!("{outer}({inner}({joined})){suffix}");
    // The outer call's argument is the whole inner call; past the call width rustfmt breaks it.
    if inner.len() + joined.len() + 2 <= LIST_WIDTH && indent + flat.len() <= MAX_WIDTH {
        return flat;
    }
    let lines: Vec<String> = args
        .iter()
        .map(|arg| format!("{}{arg},", pad(indent + 4)))
        .collect();
    format!(
        "{outer}({inner}(\n{}\n{})){suffix}",
        lines.join("\n"),
        pad(indent)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_struct_literals_stay_on_one_line() {
        assert_eq!(
            struct_literal("Bumped", &[("to".into(), "1".into())], 8, 0),
            "Bumped { to: 1 }"
        );
        assert_eq!(
            struct_literal(
                "Placed",
                &[("customer_id".into(), "CUSTOMER_ID".into())],
                4,
                0
            ),
            "Placed {\n        customer_id: CUSTOMER_ID,\n    }"
        );
    }

    #[test]
    fn long_import_lists_wrap_like_rustfmt() {
        let names: Vec<String> = [
            "ItemAdded",
            "ItemRemoved",
            "OrderCancelled",
            "OrderCheckedOut",
            "OrderEvent",
            "OrderPlaced",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            use_list("crate::order", &names).unwrap(),
            "use crate::order::{\n    ItemAdded, ItemRemoved, OrderCancelled, OrderCheckedOut, OrderEvent, OrderPlaced,\n};"
        );
    }
}
