//! A keyspace per tenant.

use super::CassandraConfig;
use crate::store::StoreError;
use crate::tenant::{Tenant, misplaced};

/// The tenant's own read store, from the service's `url`: its `{tenant}` filled in, or else the
/// URL's keyspace followed by `_<tenant>` (`cassandra://db:9042/stock` →
/// `cassandra://db:9042/stock_north`), created with the tables on first connect.
pub fn tenant_keyspace(url: &str, tenant: &Tenant) -> Result<String, StoreError> {
    let keyspace = url
        .split('?')
        .next()
        .unwrap_or(url)
        .rsplit('/')
        .next()
        .unwrap_or("");
    if let Some(refused) = misplaced(url, keyspace, "the keyspace") {
        return Err(StoreError::Unavailable(refused));
    }
    let scoped = match tenant.fill(url) {
        Some(filled) => filled,
        None => {
            let (location, query) = match url.split_once('?') {
                Some((location, query)) => (location, format!("?{query}")),
                None => (url, String::new()),
            };
            format!("{location}_{}{query}", tenant.identifier())
        }
    };
    // Refuses, naming the URL, a keyspace the tenant's name made too long.
    CassandraConfig::from_url(&scoped)?;
    Ok(scoped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tenant_gets_a_keyspace_beside_the_services() {
        let tenant = Tenant::new("north-1").unwrap();
        assert_eq!(
            tenant_keyspace("cassandra://a:9042,b:9042/stock?consistency=one", &tenant).unwrap(),
            "cassandra://a:9042,b:9042/stock_north_1?consistency=one"
        );
        assert_eq!(
            tenant_keyspace("cassandra://a:9042/t_{tenant}_stock", &tenant).unwrap(),
            "cassandra://a:9042/t_north_1_stock"
        );
        let long = format!("cassandra://a:9042/{}", "k".repeat(41));
        assert!(tenant_keyspace(&long, &tenant).is_err());
        // In a node's name, every tenant would share the keyspace.
        assert!(tenant_keyspace("cassandra://{tenant}:9042/stock", &tenant).is_err());
    }
}
