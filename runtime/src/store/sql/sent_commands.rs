//! The record of commands sent with an id ([`SentCommand`]) on a SQL database.

use eventwright_tables::sql::Dialect;
use uuid::Uuid;

use super::backend::{Arg, Conn};
use super::{json_as_text as as_text, json_parameter, moved_past};
use crate::event::EventEnvelope;
use crate::store::integers::{to_i64, to_u64};
use crate::store::{SentCommand, StoreError};

/// Records each command of a conditional append as committed, in its transaction. A command
/// recorded already (another process committed or refused it meanwhile) is a conflict: the
/// dispatcher then reads the record and answers with it.
pub(super) async fn record_committed<C: Conn>(
    tx: &mut C,
    dialect: Dialect,
    commands: &[SentCommand],
    appended: &[EventEnvelope],
    read_version: impl Fn(&str, &str) -> u64,
) -> Result<(), StoreError> {
    let sql = insert(dialect);
    for command in commands {
        // The position of the command's last event, among those just appended.
        let position = command.version.and_then(|version| {
            appended
                .iter()
                .find(|event| {
                    event.sequence == version
                        && event.aggregate_type == command.aggregate_type
                        && event.aggregate_id == command.aggregate_id
                })
                .map(|event| event.position)
        });
        let inserted = tx.execute(&sql, &args(command, None, position)?).await?;
        if inserted == 0 {
            let (aggregate_type, aggregate_id) = (&command.aggregate_type, &command.aggregate_id);
            let version = read_version(aggregate_type, aggregate_id);
            return Err(moved_past(aggregate_type, aggregate_id, version));
        }
    }
    Ok(())
}

/// Records a refusal, unless the command is recorded already.
pub(super) async fn record_refusal<C: Conn>(
    conn: &mut C,
    dialect: Dialect,
    refused: &SentCommand,
) -> Result<(), StoreError> {
    let refusal = refused.refusal.as_ref().map(ToString::to_string);
    conn.execute(&insert(dialect), &args(refused, refusal.as_deref(), None)?)
        .await?;
    Ok(())
}

/// [`insert`]'s parameters for `command`.
fn args<'a>(
    command: &'a SentCommand,
    refusal: Option<&'a str>,
    position: Option<u64>,
) -> Result<[Arg<'a>; 7], StoreError> {
    Ok([
        Arg::Uuid(command.command_id),
        Arg::Text(&command.aggregate_type),
        Arg::Text(&command.aggregate_id),
        Arg::OptText(refusal),
        Arg::OptInt(command.version.map(to_i64).transpose()?),
        Arg::OptInt(position.map(to_i64).transpose()?),
        Arg::OptText(command.request.as_deref()),
    ])
}

/// How the command sent with `command_id` ended, if it was recorded.
pub(super) async fn sent_command<C: Conn>(
    conn: &mut C,
    dialect: Dialect,
    command_id: Uuid,
) -> Result<Option<SentCommand>, StoreError> {
    let sql = format!(
        "SELECT aggregate_type, aggregate_id, {refusal} AS refusal, version, position, \
         request FROM eventwright_sent_commands WHERE command_id = {}",
        dialect.placeholder(1),
        refusal = as_text(dialect, "refusal"),
    );
    let Some(row) = conn.fetch_optional(&sql, &[Arg::Uuid(command_id)]).await? else {
        return Ok(None);
    };
    let refusal = row
        .opt_text("refusal")?
        .map(|text| serde_json::from_str(&text))
        .transpose()
        .map_err(|error| {
            StoreError::Corrupt(format!("the refusal of command {command_id}: {error}"))
        })?;
    Ok(Some(SentCommand {
        command_id,
        aggregate_type: row.text("aggregate_type")?,
        aggregate_id: row.text("aggregate_id")?,
        refusal,
        version: row.opt_int("version")?.map(to_u64).transpose()?,
        position: row.opt_int("position")?.map(to_u64).transpose()?,
        request: row.opt_text("request")?,
    }))
}

/// A command's record, unless one is there (parameters: [`args`]).
fn insert(dialect: Dialect) -> String {
    let p = |n| dialect.placeholder(n);
    let refusal = json_parameter(dialect, 4);
    format!(
        "INSERT INTO eventwright_sent_commands \
         (command_id, aggregate_type, aggregate_id, refusal, version, position, request) \
         VALUES ({}, {}, {}, {refusal}, {}, {}, {}) ON CONFLICT (command_id) DO NOTHING",
        p(1),
        p(2),
        p(3),
        p(5),
        p(6),
        p(7),
    )
}
