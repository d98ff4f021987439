//! What the SQL read store keeps beside a projection's rows, in the transaction that writes
//! each row: the entries of indexes that reach inside a column, and the summaries' groups.

use eventwright_tables::sql::{self, Dialect, SUMMARY_COUNT, SUMMARY_GROUP, quote};
use serde_json::Value;

use super::backend::{Arg, SqlRow, Tx};
use super::statements;
use crate::store::entries::{entries, term_text};
use crate::store::{Row, StoreError};
use crate::table::{ColumnDef, Summary, TableSchema};

/// The stored row a write replaces, as its writer knows it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Replaced<'a> {
    /// Read in this transaction: the row under the written key, or `None` when there was none.
    Read(Option<&'a Row>),
    /// Not read (a change decided beforehand): whoever needs it reads it.
    Unknown,
}

impl<'a> Replaced<'a> {
    /// What the write of the row keyed `key` replaces: a row read under another key (a
    /// projection that moved its row) says nothing about it.
    pub(super) fn at(self, schema: &TableSchema<'_>, key: &Value) -> Self {
        match self {
            Replaced::Read(Some(old)) if old.get(schema.key) != Some(key) => Replaced::Unknown,
            known => known,
        }
    }
}

/// Rewrites the row's entries in the tables of its indexes that reach inside a column (none
/// left for a deleted row), unless they are those of the row it replaces.
pub(super) async fn write_entries<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    schema: &TableSchema<'_>,
    key: &Value,
    replaced: Replaced<'_>,
    row: Option<&Row>,
) -> Result<(), StoreError> {
    for index in schema.indexes.iter().filter(|index| index.is_expanded()) {
        let placed = |row: &Row| {
            let order = index.order.and_then(|order| row.get(order)).cloned();
            (entries(index, row), order)
        };
        if let Replaced::Read(old) = replaced
            && old.map(placed) == row.map(placed)
        {
            continue;
        }
        let table = index.name(schema.name);
        let key_arg = Arg::Cell(schema.key_column(), key);
        tx.execute(&statements::delete_entries(dialect, &table), &[key_arg])
            .await?;
        let Some(row) = row else {
            continue;
        };
        let insert = statements::insert_entry(dialect, &table, index);
        let order = index.order.and_then(|order| schema.column(order));
        for entry in entries(index, row) {
            let texts: Vec<String> = entry.iter().map(term_text).collect();
            let mut args: Vec<Arg<'_>> = texts.iter().map(|text| Arg::Text(text)).collect();
            if let Some(order) = order {
                args.push(Arg::Cell(
                    order,
                    row.get(order.name).unwrap_or(&Value::Null),
                ));
            }
            args.push(Arg::Cell(schema.key_column(), key));
            tx.execute(&insert, &args).await?;
        }
    }
    Ok(())
}

/// Moves the row keyed `key` from its group in each summary to the group of `row` (its new
/// state; `None` when it is deleted): the row it replaces (read here unless its writer read it)
/// is taken out of its group's count and sums, and the new one added to its own. A row that
/// stays in its group with the same sums leaves the summary as it is.
pub(super) async fn write_summaries<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    schema: &TableSchema<'_>,
    key: &Value,
    replaced: Replaced<'_>,
    row: Option<&Row>,
) -> Result<(), StoreError> {
    if schema.summaries.is_empty() {
        return Ok(());
    }
    let old = match replaced {
        Replaced::Read(old) => old.cloned(),
        Replaced::Unknown => {
            let select = statements::select_by_key(dialect, schema);
            tx.fetch_optional(&select, &[Arg::Cell(schema.key_column(), key)])
                .await?
                .map(|stored| super::read_store::row_to_json(schema, stored.as_ref()))
                .transpose()?
        }
    };
    for summary in schema.summaries {
        let table = summary.name(schema.name);
        let columns = SummaryColumns::of(schema, summary)?;
        let counted = |row: &Row| {
            std::iter::once(summary.by)
                .chain(summary.sums.iter().copied())
                .map(|name| row.get(name).cloned())
                .collect::<Vec<_>>()
        };
        if old.as_ref().map(counted) == row.map(counted) {
            continue;
        }
        if let Some(old) = &old {
            add(tx, dialect, &table, &columns, old, -1).await?;
        }
        if let Some(row) = row {
            add(tx, dialect, &table, &columns, row, 1).await?;
        }
    }
    Ok(())
}

/// A summary's columns as the projection's table defines them: the group's, then each sum's
/// under its name in the summary table.
struct SummaryColumns<'a> {
    by: &'a ColumnDef<'a>,
    sums: Vec<ColumnDef<'a>>,
    /// The projection's own name of each sum.
    names: Vec<&'a str>,
    sum_names: Vec<String>,
}

impl<'a> SummaryColumns<'a> {
    fn of(schema: &TableSchema<'a>, summary: &Summary<'a>) -> Result<Self, StoreError> {
        let column = |name: &str| {
            schema.column(name).ok_or_else(|| {
                StoreError::Unsupported(format!("{} has no column `{name}`", schema.name))
            })
        };
        let sum_names: Vec<String> = (0..summary.sums.len()).map(sql::summary_sum).collect();
        let mut sums = Vec::new();
        for sum in summary.sums {
            sums.push(*column(sum)?);
        }
        Ok(Self {
            by: column(summary.by)?,
            sums,
            names: summary.sums.to_vec(),
            sum_names,
        })
    }

    /// Each sum's column under its name in the summary table.
    fn stored(&self) -> Vec<ColumnDef<'_>> {
        self.sums
            .iter()
            .zip(&self.sum_names)
            .map(|(def, name)| ColumnDef { name, ..*def })
            .collect()
    }
}

/// Adds `row` to its group (`sign` 1), or takes it out (`sign` -1); a group left with no row
/// goes.
async fn add<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    table: &str,
    columns: &SummaryColumns<'_>,
    row: &Row,
    sign: i64,
) -> Result<(), StoreError> {
    let group = row.get(columns.by.name).unwrap_or(&Value::Null);
    if group.is_null() {
        return Ok(());
    }
    let values: Vec<Value> = columns
        .names
        .iter()
        .map(|name| signed(row.get(*name).unwrap_or(&Value::Null), sign))
        .collect();
    let stored = columns.stored();
    let group_def = ColumnDef {
        name: SUMMARY_GROUP,
        ..*columns.by
    };
    let mut args = vec![Arg::Cell(&group_def, group), Arg::Int(sign)];
    args.extend(
        stored
            .iter()
            .zip(&values)
            .map(|(def, value)| Arg::Cell(def, value)),
    );
    tx.execute(&add_statement(dialect, table, &columns.sum_names), &args)
        .await?;
    let empty = format!(
        "DELETE FROM {} WHERE {} = {} AND {} = 0",
        quote(table),
        quote(SUMMARY_GROUP),
        dialect.placeholder(1),
        quote(SUMMARY_COUNT)
    );
    tx.execute(&empty, &[Arg::Cell(&group_def, group)]).await?;
    Ok(())
}

/// `value` times `sign`: a number negated, or a decimal's text.
fn signed(value: &Value, sign: i64) -> Value {
    if sign > 0 {
        return value.clone();
    }
    match value {
        Value::Number(number) => match (number.as_i64(), number.as_f64()) {
            (Some(int), _) => Value::from(-int),
            (None, Some(float)) => Value::from(-float),
            _ => value.clone(),
        },
        Value::String(text) => Value::String(match text.strip_prefix('-') {
            Some(positive) => positive.to_owned(),
            None => format!("-{text}"),
        }),
        other => other.clone(),
    }
}

/// Adds parameter 2 to a group's count and parameters 3.. to its sums, creating the group
/// (parameter 1) when it is new.
fn add_statement(dialect: Dialect, table: &str, sums: &[String]) -> String {
    let mut columns = vec![SUMMARY_GROUP.to_owned(), SUMMARY_COUNT.to_owned()];
    columns.extend(sums.iter().cloned());
    let names: Vec<String> = columns.iter().map(|column| quote(column)).collect();
    let marks: Vec<String> = (1..=columns.len())
        .map(|n| dialect.placeholder(n))
        .collect();
    let updates: Vec<String> = columns[1..]
        .iter()
        .map(|column| {
            let column = quote(column);
            format!("{column} = {}.{column} + excluded.{column}", quote(table))
        })
        .collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}",
        quote(table),
        names.join(", "),
        marks.join(", "),
        quote(SUMMARY_GROUP),
        updates.join(", ")
    )
}

/// A summary's group as its table holds it: the group's value under the grouped column's name,
/// `count`, and each sum under its column's name.
pub(super) fn group_of(
    schema: &TableSchema<'_>,
    summary: &Summary<'_>,
    row: &dyn SqlRow,
) -> Result<Row, StoreError> {
    let columns = SummaryColumns::of(schema, summary)?;
    let mut group = Row::new();
    let group_def = ColumnDef {
        name: SUMMARY_GROUP,
        ..*columns.by
    };
    group.insert(columns.by.name.to_owned(), row.cell(&group_def)?);
    group.insert("count".to_owned(), Value::from(row.int(SUMMARY_COUNT)?));
    for (def, name) in columns.stored().iter().zip(&columns.names) {
        group.insert((*name).to_owned(), row.cell(def)?);
    }
    Ok(group)
}

/// The group whose value is parameter 1.
pub(super) fn select_group(dialect: Dialect, table: &str) -> String {
    format!(
        "SELECT * FROM {} WHERE {} = {}",
        quote(table),
        quote(SUMMARY_GROUP),
        dialect.placeholder(1)
    )
}

/// Groups in the order of their value, after parameter 1 when `after`; the last parameter is
/// the limit.
pub(super) fn select_groups(dialect: Dialect, table: &str, after: bool) -> String {
    let group = quote(SUMMARY_GROUP);
    let (filter, limit) = if after {
        (
            format!(" WHERE {group} > {}", dialect.placeholder(1)),
            dialect.placeholder(2),
        )
    } else {
        (String::new(), dialect.placeholder(1))
    };
    format!(
        "SELECT * FROM {}{filter} ORDER BY {group} LIMIT {limit}",
        quote(table)
    )
}
