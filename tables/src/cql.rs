//! The Cassandra read store's tables, designed from the queries they serve.
//!
//! Each projection has a main table keyed by the row key, serving gets and holding the
//! bookkeeping that makes applying idempotent without transactions ([`META`]); a progress table
//! holding the last sequence handled per aggregate; and one table per [`Index`](crate::Index), partitioned by
//! its `equal` columns and clustered by its `order` column and the row key, serving its lists. Beside them, one
//! checkpoint and one active generation per projection.

use crate::migration::{Migration, Step};
use crate::read_model::{ColumnType, TableSchema};
use crate::sql::quote;

/// The replication of a keyspace the service creates itself: one replica, for development. A
/// production keyspace is created ahead of the first start, with the replication the cluster
/// needs, and used as it is.
pub const DEVELOPMENT_REPLICATION: &str = "{'class': 'SimpleStrategy', 'replication_factor': 1}";

/// The main table's bookkeeping columns, after the projection's own.
pub const META: [(&str, &str); 4] = [
    // Bumped by every write: the compare-and-set that makes writers of one row take turns,
    // and the write time of the list tables' rows, so an older write never wins there.
    ("eventwright_version", "bigint"),
    // The last sequence applied per aggregate ("type/id"): what makes redelivery change nothing.
    ("eventwright_applied", "map<text, bigint>"),
    // The indexed columns' values before the last write (JSON), so the index-table rows they
    // keyed can be removed again, even after a crash between the two writes.
    ("eventwright_previous", "map<text, text>"),
    // A deleted row keeps its marks: a redelivered event must not bring it back.
    ("eventwright_deleted", "boolean"),
];

/// The CQL type of a column. Timestamps and decimals are kept as their text, which is exact:
/// CQL timestamps hold milliseconds, and decimal text keeps the scale the projection wrote.
pub fn column_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::String | ColumnType::Decimal | ColumnType::Timestamp | ColumnType::Json => {
            "text"
        }
        ColumnType::Bool => "boolean",
        ColumnType::Int => "bigint",
        ColumnType::Float => "double",
        ColumnType::Uuid => "uuid",
        ColumnType::Date => "date",
    }
}

/// `"keyspace"."name"`.
pub fn table(keyspace: &str, name: &str) -> String {
    format!("{}.{}", quote(keyspace), quote(name))
}

/// The longest name Cassandra takes for a table.
pub const NAME_LIMIT: usize = 48;

/// Why `schema`'s tables cannot be created on Cassandra, if they cannot: an index it cannot
/// serve ([`TableSchema::check_indexes`]), a name too long, or an index with nothing to
/// partition by.
pub fn check(schema: &TableSchema<'_>) -> Result<(), String> {
    schema.check_indexes(true)?;
    schema.check_summaries(true)?;
    if let Some(summary) = schema
        .summaries
        .iter()
        .find(|summary| !schema.indexes.contains(&summary.index()))
    {
        return Err(format!(
            "summary `{}` is added up from the index by `{}`, which the table does not declare",
            summary.name(schema.name),
            summary.by
        ));
    }
    for name in projection_table_names(schema) {
        if name.len() > NAME_LIMIT {
            return Err(format!(
                "Cassandra table names have at most {NAME_LIMIT} characters; `{name}` has {}",
                name.len()
            ));
        }
    }
    match schema.indexes.iter().find(|index| index.equal.is_empty()) {
        Some(index) => Err(format!(
            "`{}` orders every row, and Cassandra orders rows only within a partition: an index \
             needs a column to partition by",
            index.name(schema.name)
        )),
        None => Ok(()),
    }
}

/// Where a projection fed per aggregate stands in each aggregate's events, beside its table, so
/// it goes when the table goes.
pub fn progress_table_name(schema: &TableSchema<'_>) -> String {
    format!("{}_progress", schema.name)
}

/// `CREATE KEYSPACE IF NOT EXISTS`, with `replication` as CQL.
pub fn keyspace(keyspace: &str, replication: &str) -> String {
    format!(
        "CREATE KEYSPACE IF NOT EXISTS {}\n    WITH replication = {replication}",
        quote(keyspace)
    )
}

/// The read store's own tables in `keyspace`: checkpoints and generations. Projection tables
/// come after them, one set per projection ([`projection_tables`]).
pub fn read_store(keyspace: &str) -> Vec<Migration> {
    vec![
        Migration {
            version: 1,
            name: "checkpoints",
            summary: "how far each projection has read, and its active generation (`eventwright_checkpoints`, `eventwright_generations`)",
            about: "How far each projection fed from the event log in process has read it (only where \
                to resume: each row records which events it has applied, so reading some events \
                again changes nothing), and which generation of each projection queries read: 0 \
                until `projections rebuild` switches one to a rebuilt generation, whose tables \
                are named `<table>_g<n>`.",
            steps: vec![
                Step::Sql(create(
                    &table(keyspace, "eventwright_checkpoints"),
                    &[
                        ("projection", "text PRIMARY KEY"),
                        ("transaction_id", "bigint"),
                        ("position", "bigint"),
                    ],
                    None,
                )),
                Step::Sql(create(
                    &table(keyspace, "eventwright_generations"),
                    &[("projection", "text PRIMARY KEY"), ("generation", "bigint")],
                    None,
                )),
            ],
        },
        Migration {
            version: 2,
            name: "shapes",
            summary: "what each projection table was built for (`eventwright_shapes`)",
            about: crate::sql::SHAPES_ABOUT,
            steps: vec![Step::Sql(create(
                &table(keyspace, "eventwright_shapes"),
                &[("table_name", "text PRIMARY KEY"), ("shape", "text")],
                None,
            ))],
        },
    ]
}

/// A projection's main table, its progress table, and one table per listed field, in that
/// order.
pub fn projection_tables(keyspace: &str, schema: &TableSchema<'_>) -> Vec<String> {
    let data: Vec<(String, &str)> = schema
        .columns
        .iter()
        .map(|column| (quote(column.name), column_type(column.ty)))
        .collect();
    let mut main = data.clone();
    main.extend(META.iter().map(|(name, ty)| ((*name).to_owned(), *ty)));
    let key = quote(schema.key);
    let mut statements = vec![
        create(
            &table(keyspace, schema.name),
            &borrowed(&main),
            Some(&format!("PRIMARY KEY ({key})")),
        ),
        create(
            &table(keyspace, &progress_table_name(schema)),
            &[("aggregate", "text PRIMARY KEY"), ("sequence", "bigint")],
            None,
        ),
    ];
    for index in schema.indexes {
        // Terms that reach inside a column are kept as JSON text, in columns of their own.
        let mut columns = data.clone();
        let partition: Vec<String> = if index.is_expanded() {
            let terms: Vec<String> = (0..index.equal.len()).map(crate::sql::entry_term).collect();
            columns.extend(terms.iter().map(|term| (quote(term), "text")));
            terms.iter().map(|term| quote(term)).collect()
        } else {
            index.equal.iter().copied().map(quote).collect()
        };
        let clustering: Vec<String> = index
            .order
            .into_iter()
            .chain([schema.key])
            .map(quote)
            .collect();
        let order: Vec<String> = clustering
            .iter()
            .map(|column| format!("{column} ASC"))
            .collect();
        let list = create(
            &table(keyspace, &index.name(schema.name)),
            &borrowed(&columns),
            Some(&format!(
                "PRIMARY KEY (({}), {})",
                partition.join(", "),
                clustering.join(", ")
            )),
        );
        statements.push(format!(
            "{list} WITH CLUSTERING ORDER BY ({})",
            order.join(", ")
        ));
    }
    statements
}

/// Every table [`projection_tables`] creates, for dropping a generation.
pub fn projection_table_names(schema: &TableSchema<'_>) -> Vec<String> {
    let mut names = vec![schema.name.to_owned(), progress_table_name(schema)];
    names.extend(schema.indexes.iter().map(|index| index.name(schema.name)));
    names
}

fn borrowed<'a>(columns: &'a [(String, &'static str)]) -> Vec<(&'a str, &'static str)> {
    columns
        .iter()
        .map(|(name, ty)| (name.as_str(), *ty))
        .collect()
}

/// `CREATE TABLE IF NOT EXISTS`, one column per line, names aligned, then the primary key.
fn create(table: &str, columns: &[(&str, &str)], primary_key: Option<&str>) -> String {
    let width = columns
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<String> = columns
        .iter()
        .map(|(name, ty)| format!("    {name:<width$} {ty}"))
        .collect();
    lines.extend(primary_key.map(|key| format!("    {key}")));
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (\n{}\n)",
        lines.join(",\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_model::{ColumnDef, Index};

    const ORDERS: TableSchema<'static> = TableSchema {
        name: "orders",
        key: "id",
        columns: &[
            ColumnDef {
                name: "id",
                ty: ColumnType::Uuid,
                nullable: false,
            },
            ColumnDef {
                name: "customer",
                ty: ColumnType::String,
                nullable: false,
            },
        ],
        indexes: &[Index {
            equal: &["customer"],
            order: None,
        }],
        summaries: &[],
    };

    #[test]
    fn each_list_is_a_table_partitioned_by_its_field() {
        let statements = projection_tables("shop", &ORDERS);
        assert_eq!(statements.len(), 3);
        assert!(statements[0].starts_with(
            "CREATE TABLE IF NOT EXISTS \"shop\".\"orders\" (\n    \"id\"                 uuid,\n"
        ));
        assert!(statements[0].ends_with("    PRIMARY KEY (\"id\")\n)"));
        assert_eq!(
            statements[2],
            "CREATE TABLE IF NOT EXISTS \"shop\".\"orders_by_customer\" (\n    \"id\"       uuid,\n    \
             \"customer\" text,\n    PRIMARY KEY ((\"customer\"), \"id\")\n) WITH CLUSTERING ORDER BY \
             (\"id\" ASC)"
        );
        assert_eq!(
            projection_table_names(&ORDERS),
            ["orders", "orders_progress", "orders_by_customer"]
        );
    }

    #[test]
    fn an_ordered_index_clusters_by_its_order_then_the_key() {
        let schema = TableSchema {
            columns: &[
                ORDERS.columns[0],
                ORDERS.columns[1],
                ColumnDef {
                    name: "placed",
                    ty: ColumnType::Timestamp,
                    nullable: false,
                },
            ],
            indexes: &[Index {
                equal: &["customer"],
                order: Some("placed"),
            }],
            ..ORDERS
        };
        let statements = projection_tables("shop", &schema);
        assert!(statements[2].starts_with(
            "CREATE TABLE IF NOT EXISTS \"shop\".\"orders_by_customer_ordered_by_placed\""
        ));
        assert!(statements[2].ends_with(
            "PRIMARY KEY ((\"customer\"), \"placed\", \"id\")\n) WITH CLUSTERING ORDER BY \
             (\"placed\" ASC, \"id\" ASC)"
        ));
        let unpartitioned = TableSchema {
            indexes: &[Index {
                equal: &[],
                order: Some("customer"),
            }],
            ..ORDERS
        };
        assert!(check(&unpartitioned).unwrap_err().contains("partition"));
        let long = TableSchema {
            name: "a_projection_with_a_rather_longer_name_xx",
            ..ORDERS
        };
        assert!(check(&long).unwrap_err().contains("at most 48"));
        assert_eq!(check(&ORDERS), Ok(()));
    }
}
