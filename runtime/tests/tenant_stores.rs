//! Each tenant's stores are apart from every other's: a file per tenant on SQLite, a schema
//! per tenant on PostgreSQL. What one tenant appends, another never loads.
#![cfg(all(feature = "sqlite", feature = "postgres"))]

use std::sync::Arc;

use eventwright::store::postgres::{self, PostgresEventStore, Retry};
use eventwright::store::sqlite::{self, SqliteEventStore};
use eventwright::store::{EventStore, StoreError};
use eventwright::tenant::Tenant;

mod common;

use common::{new_event, service_env};

/// North's counter `c` counted once, south's twice: each tenant then loads only its own.
async fn apart(north: Arc<dyn EventStore>, south: Arc<dyn EventStore>) {
    for store in [&north, &south] {
        store.prepare().await.unwrap();
    }
    north.append(vec![new_event("c", 1)]).await.unwrap();
    south
        .append(vec![new_event("c", 1), new_event("c", 2)])
        .await
        .unwrap();
    assert_eq!(north.load("Counter", "c", 0).await.unwrap().len(), 1);
    assert_eq!(south.load("Counter", "c", 0).await.unwrap().len(), 2);
    assert_eq!(
        north.read_all(Default::default(), 100).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn sqlite_tenants_each_have_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("events.db").display());
    let store = |name: &str| {
        let file = sqlite::tenant_file(&url, &Tenant::new(name).unwrap()).unwrap();
        async move {
            let pool = sqlite::connect(&file).await.unwrap();
            Arc::new(SqliteEventStore::new(pool)) as Arc<dyn EventStore>
        }
    };
    apart(store("north").await, store("south").await).await;
    assert!(dir.path().join("events.north.db").exists());
    assert!(dir.path().join("events.south.db").exists());
    assert!(
        !dir.path().join("events.db").exists(),
        "nobody's file is made"
    );
}

#[tokio::test]
async fn postgres_tenants_each_have_a_schema() {
    let server = service_env("EVENTWRIGHT_POSTGRES_URL");
    // Names of this run's own: the schemas outlive the test until it drops them.
    let run = uuid::Uuid::new_v4().simple().to_string();
    let tenants = [&run[..8], &run[8..16]].map(|name| Tenant::new(format!("t{name}")).unwrap());
    let mut stores = Vec::new();
    for tenant in &tenants {
        let url = postgres::tenant_schema(&server, tenant, Retry::default())
            .await
            .unwrap();
        // Twice is the same schema: a second process of the service starts on it.
        assert_eq!(
            postgres::tenant_schema(&server, tenant, Retry::default())
                .await
                .unwrap(),
            url
        );
        let pool = postgres::connect(&url, 4, Retry::default()).await.unwrap();
        let schema: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(schema, format!("tenant_{}", tenant.identifier()));
        stores.push(Arc::new(PostgresEventStore::new(pool)) as Arc<dyn EventStore>);
    }
    let south = stores.pop().unwrap();
    apart(stores.pop().unwrap(), south).await;

    let admin = postgres::connect(&server, 1, Retry::default())
        .await
        .unwrap();
    for tenant in &tenants {
        sqlx::query(&format!(
            "DROP SCHEMA tenant_{} CASCADE",
            tenant.identifier()
        ))
        .execute(&admin)
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_postgres_url_choosing_a_schema_already_is_refused() {
    let tenant = Tenant::new("north").unwrap();
    let url = "postgres://user:secret@127.0.0.1:1/db?options=-c%20search_path%3Dshared";
    let error = postgres::tenant_schema(url, &tenant, Retry::default())
        .await
        .unwrap_err();
    let StoreError::Unavailable(message) = error else {
        panic!("{error}")
    };
    assert!(message.contains("put {tenant} in it"), "{message}");
    assert!(!message.contains("secret"), "{message}");
    // A placeholder that tells no store apart is refused, naming where it goes.
    for url in [
        "postgres://{tenant}:secret@127.0.0.1:1/db",
        "postgres://127.0.0.1:1/db?application_name=svc_{tenant}",
    ] {
        let error = postgres::tenant_schema(url, &tenant, Retry::default())
            .await
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("the database name or the search_path"),
            "{error}"
        );
    }
    // With the placeholder, the URL says where each tenant's store is, and is taken as it is.
    let url = "postgres://db/stock?options=-c%20search_path%3Dt_{tenant}";
    assert_eq!(
        postgres::tenant_schema(url, &tenant, Retry::default())
            .await
            .unwrap(),
        "postgres://db/stock?options=-c%20search_path%3Dt_north"
    );
}
