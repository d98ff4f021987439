//! A database file per tenant.

use crate::store::StoreError;
use crate::tenant::{Tenant, misplaced};

/// The tenant's own database, from the service's `url`: its `{tenant}` filled in, or else the
/// tenant's name put before the file's extension (`sqlite://stock.db` → `sqlite://stock.north.db`).
/// An in-memory database (`sqlite::memory:`) is already one per connection, so one per tenant.
pub fn tenant_file(url: &str, tenant: &Tenant) -> Result<String, StoreError> {
    let path = url.split('?').next().unwrap_or(url);
    if let Some(refused) = misplaced(url, path, "the file's path") {
        return Err(StoreError::Unavailable(refused));
    }
    if let Some(filled) = tenant.fill(url) {
        return Ok(filled);
    }
    let (location, query) = match url.split_once('?') {
        Some((location, query)) => (location, format!("?{query}")),
        None => (url, String::new()),
    };
    if location.ends_with(":memory:") {
        return Ok(url.to_owned());
    }
    let path_start = ["sqlite://", "sqlite:"]
        .iter()
        .find_map(|scheme| location.strip_prefix(scheme).map(|_| scheme.len()))
        .ok_or_else(|| {
            StoreError::Unavailable(format!(
                "`{url}` is not a SQLite URL: it must start with sqlite://"
            ))
        })?;
    let file_start = location[path_start..]
        .rfind('/')
        .map_or(path_start, |slash| path_start + slash + 1);
    let name = &location[file_start..];
    if name.is_empty() {
        return Err(StoreError::Unavailable(format!(
            "`{url}` names no database file to make one per tenant from"
        )));
    }
    let identifier = tenant.identifier();
    let named = match name.rfind('.').filter(|&dot| dot > 0) {
        Some(dot) => format!("{}.{identifier}{}", &name[..dot], &name[dot..]),
        None => format!("{name}.{identifier}"),
    };
    Ok(format!("{}{named}{query}", &location[..file_start]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(url: &str) -> String {
        tenant_file(url, &Tenant::new("north-1").unwrap()).unwrap()
    }

    #[test]
    fn each_tenant_gets_a_file_beside_the_services() {
        assert_eq!(file("sqlite://stock.db"), "sqlite://stock.north_1.db");
        assert_eq!(
            file("sqlite:///var/lib/stock.v2/events.db?mode=rwc"),
            "sqlite:///var/lib/stock.v2/events.north_1.db?mode=rwc"
        );
        assert_eq!(file("sqlite://data/events"), "sqlite://data/events.north_1");
        assert_eq!(file("sqlite:.hidden"), "sqlite:.hidden.north_1");
        assert_eq!(
            file("sqlite://data/{tenant}/events.db"),
            "sqlite://data/north_1/events.db"
        );
        assert_eq!(file("sqlite::memory:"), "sqlite::memory:");
    }

    #[test]
    fn a_url_naming_no_file_is_refused() {
        let tenant = Tenant::new("north").unwrap();
        for url in [
            "sqlite://data/",
            "postgres://db/stock",
            "sqlite://data/events.db?vfs={tenant}",
        ] {
            assert!(tenant_file(url, &tenant).is_err(), "{url}");
        }
    }
}
