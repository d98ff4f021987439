//! A schema per tenant.

use super::{Retry, connect, redact};
use crate::store::StoreError;
use crate::tenant::{Tenant, misplaced};

/// The tenant's own store, from the service's `url`: its `{tenant}` filled in (a database or
/// schema per tenant that you create), or else the schema `tenant_<name>` in the URL's
/// database, created when missing.
pub async fn tenant_schema(url: &str, tenant: &Tenant, retry: Retry) -> Result<String, StoreError> {
    // The database (the path) or the schema (a `search_path` option) tells tenants apart.
    let (location, query) = url.split_once('?').unwrap_or((url, ""));
    let database = location.rsplit('/').next().unwrap_or("");
    let search_path = query
        .split('&')
        .filter(|setting| setting.contains("search_path"))
        .collect::<Vec<_>>()
        .join("&");
    let told_apart = format!("{database} {search_path}");
    if let Some(refused) = misplaced(url, &told_apart, "the database name or the search_path") {
        return Err(StoreError::Unavailable(refused));
    }
    if let Some(filled) = tenant.fill(url) {
        return Ok(filled);
    }
    if url.contains("search_path") {
        return Err(StoreError::Unavailable(format!(
            "{} chooses a schema already, which every tenant would share: put {{tenant}} in it \
             where each tenant's name goes",
            redact(url)
        )));
    }
    let schema = format!("tenant_{}", tenant.identifier());
    let admin = connect(url, 1, retry).await?;
    let created = sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .execute(&admin)
        .await;
    if let Err(error) = created {
        // Two processes starting at once both find it missing; one of them fails, and the
        // schema is there all the same.
        let exists = sqlx::query("SELECT 1 FROM pg_namespace WHERE nspname = $1")
            .bind(&schema)
            .fetch_optional(&admin)
            .await?
            .is_some();
        if !exists {
            return Err(error.into());
        }
    }
    admin.close().await;
    let separator = if url.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{url}{separator}options=-c%20search_path%3D{schema}"
    ))
}
