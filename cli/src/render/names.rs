//! How model names become Rust, route and crate names.

use heck::{ToKebabCase, ToShoutySnakeCase, ToSnakeCase};

/// `Order` -> `order` (module, function).
pub fn snake(name: &str) -> String {
    name.to_snake_case()
}

/// `PlaceOrder` -> `place-order` (route segment).
pub fn kebab(name: &str) -> String {
    name.to_kebab_case()
}

/// `ordering-service` -> `ORDERING_SERVICE` (environment variable prefix).
pub fn shouty(name: &str) -> String {
    name.to_shouty_snake_case()
}

/// `Order` -> `orders`, `Category` -> `categories`, `Address` -> `addresses`: the collection
/// segment of an aggregate's routes. English plurals are irregular; these rules cover the
/// regular ones and a model can always pick a name that reads well.
pub fn plural_kebab(name: &str) -> String {
    let singular = kebab(name);
    if let Some(stem) = singular.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|end| singular.ends_with(end))
    {
        return format!("{singular}es");
    }
    format!("{singular}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_follow_the_regular_rules() {
        assert_eq!(plural_kebab("Order"), "orders");
        assert_eq!(plural_kebab("Category"), "categories");
        assert_eq!(plural_kebab("Day"), "days");
        assert_eq!(plural_kebab("Address"), "addresses");
        assert_eq!(plural_kebab("Box"), "boxes");
        assert_eq!(plural_kebab("BankAccount"), "bank-accounts");
    }
}
