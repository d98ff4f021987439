//! `tenants`: one deployment for several tenants, each found by a claim of the caller's token.

use serde_saphyr::Spanned;

use super::ctx::Ctx;
use crate::model::ast::{self, Pos};
use crate::model::ir;

/// The claim read when the model names none.
const DEFAULT_CLAIM: &str = "tenant";

/// Claims that hold something else: times and ids, the caller (`sub`), the issuer and
/// audience the service checks, and the roles (`roles`, the default roles claim).
const NOT_A_TENANT: &[&str] = &["sub", "exp", "nbf", "iat", "jti", "iss", "aud", "roles"];

pub(super) fn tenancy(
    ctx: &mut Ctx,
    declared: Option<&Spanned<ast::Tenants>>,
) -> Option<ir::Tenancy> {
    let declared = declared?;
    let Some(claim) = &declared.value.claim else {
        return Some(ir::Tenancy {
            claim: DEFAULT_CLAIM.to_owned(),
        });
    };
    let name = claim.value.as_str();
    let problem = if name.is_empty() || name.len() > 100 {
        Some("a claim name is 1 to 100 characters".to_owned())
    } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("a claim name has no spaces".to_owned())
    } else if NOT_A_TENANT.contains(&name) {
        Some(format!("`{name}` holds something else than a tenant"))
    } else {
        None
    };
    if let Some(problem) = problem {
        ctx.error(
            Pos::of(claim),
            format!("`tenants` reads the tenant from a claim that cannot hold it: {problem}"),
            "bad claim",
            Some(format!(
                "name the claim your identity provider puts the tenant in, e.g. `{DEFAULT_CLAIM}`"
            )),
        );
        return None;
    }
    Some(ir::Tenancy {
        claim: name.to_owned(),
    })
}
