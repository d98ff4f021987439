//! The roles a command or a query asks of its caller.

use super::*;

#[test]
fn roles_are_read_for_commands_and_queries() {
    let source = cart_with(13, "        creates: true\n        roles: [clerk, admin]")
        .replace("get_by: cart_id }", "get_by: cart_id, roles: [auditor] }");
    let model = model(&source);
    assert_eq!(model.aggregates[0].commands[0].roles, ["clerk", "admin"]);
    assert_eq!(model.queries[0].roles, ["auditor"]);
    assert!(example("ordering.yaml").queries[0].roles.is_empty());
}

#[test]
fn a_role_that_cannot_be_checked_is_pointed_at() {
    let with = |roles: &str| {
        cart_with(
            13,
            &format!("        creates: true\n        roles: {roles}"),
        )
    };
    assert_eq!(
        error(&with("[]")),
        "14:16 `OpenCart` declares an empty list of roles, which no caller could hold"
    );
    assert_eq!(
        error(&with("[clerk, \"head clerk\"]")),
        "14:24 `OpenCart` has a role that cannot be checked: a role has no spaces: tokens may \
         list roles separated by spaces"
    );
    assert_eq!(
        error(&with("[clerk, clerk]")),
        "14:24 `OpenCart` has a role that cannot be checked: `clerk` is listed twice"
    );
    assert_eq!(
        error(&with("[\"\"]")),
        "14:17 `OpenCart` has a role that cannot be checked: a role is 1 to 100 characters"
    );
    let query = CART.replace("get_by: cart_id }", "get_by: cart_id, roles: [] }");
    assert!(
        error(&query)
            .ends_with("`cart` declares an empty list of roles, which no caller could hold"),
        "{}",
        error(&query)
    );
}
