//! The roles a command or a query asks of its caller: names a token's roles claim can hold.

use serde_saphyr::Spanned;

use super::ctx::Ctx;
use crate::model::ast::Pos;

/// The longest role name taken: roles are names, not documents.
const MAX_ROLE: usize = 100;

/// The roles `owner` declares, each checked: a list of distinct names without spaces (a
/// token may carry its roles as one space-separated string, as OAuth's `scope` is).
pub(super) fn roles(
    ctx: &mut Ctx,
    declared: Option<&Spanned<Vec<Spanned<String>>>>,
    owner: &str,
) -> Vec<String> {
    let Some(declared) = declared else {
        return Vec::new();
    };
    if declared.value.is_empty() {
        ctx.error(
            Pos::of(declared),
            format!("`{owner}` declares an empty list of roles, which no caller could hold"),
            "no roles",
            Some("name the roles that may call it, or remove `roles` to let any caller".into()),
        );
        return Vec::new();
    }
    let mut roles: Vec<String> = Vec::new();
    for role in &declared.value {
        let name = &role.value;
        let problem = if name.is_empty() || name.len() > MAX_ROLE {
            Some(format!("a role is 1 to {MAX_ROLE} characters"))
        } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Some("a role has no spaces: tokens may list roles separated by spaces".to_owned())
        } else if roles.contains(name) {
            Some(format!("`{name}` is listed twice"))
        } else {
            None
        };
        match problem {
            Some(problem) => ctx.error(
                Pos::of(role),
                format!("`{owner}` has a role that cannot be checked: {problem}"),
                "bad role",
                None,
            ),
            None => roles.push(name.clone()),
        }
    }
    roles
}
