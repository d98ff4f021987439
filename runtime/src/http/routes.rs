//! The whole of a route, one call each: a command, a get by key, a list.

use axum::Json;
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::caller::Caller;
use super::error::ApiError;
use super::request::{
    ParseValue, command_from_json, list_params, metadata_from_headers, page_from_query,
    parse_param, request_key, wait_for_token,
};
use crate::aggregate::Aggregate;
use crate::command::Command;
use crate::decision::Decide;
use crate::dispatch::{Committed, Dispatcher, RequestKey};
use crate::event::Metadata;
use crate::projection::Projection;
use crate::query::{Filter, Page, ReadModels};
use crate::store::Row;
use crate::table::{Index, Summary};

/// The response to an accepted command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub id: String,
    /// The aggregate's version after the command.
    pub version: u64,
    /// The global position of the command's last event, if it recorded any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    /// Pass this in the [`CONSISTENCY_HEADER`](super::CONSISTENCY_HEADER) of a query to read this command's effect; absent
    /// when the aggregate has no event yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistency_token: Option<String>,
    /// The correlation id the command's events carry: the request's `x-correlation-id`, or a
    /// new one when it had none.
    pub correlation_id: String,
}

impl Accepted {
    fn new(committed: Committed, metadata: Metadata) -> Self {
        Self {
            consistency_token: committed.consistency_token().map(|token| token.encode()),
            id: committed.aggregate_id,
            version: committed.version,
            position: committed.position,
            correlation_id: metadata.correlation_id.unwrap_or_default(),
        }
    }
}

/// The whole of a command route: the aggregate id from the path (its field named `id_field`),
/// the command from the JSON body, correlation and causation ids from the headers, the actor
/// from the `caller` the route admitted, then dispatch.
pub async fn run_command<C>(
    dispatcher: &Dispatcher,
    caller: &Caller,
    id_field: &str,
    raw_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Json<Accepted>, ApiError>
where
    C: Command + DeserializeOwned,
    <C::Aggregate as Aggregate>::Id: Serialize + DeserializeOwned,
{
    let id: <C::Aggregate as Aggregate>::Id = parse_param(id_field, raw_id)?;
    let id = serde_json::to_value(id).map_err(|error| ApiError::internal(&error))?;
    let command: C = command_from_json(body, id_field, id)?;
    let (key, metadata) = keyed(headers, caller, C::NAME, raw_id, body)?;
    let span = command_span(C::NAME, &metadata);
    let dispatched = async {
        match &key {
            Some(key) => {
                dispatcher
                    .dispatch_keyed(key, command, metadata.clone())
                    .await
            }
            None => dispatcher.dispatch(command, metadata.clone()).await,
        }
    };
    let committed = tracing::Instrument::instrument(dispatched, span).await?;
    Ok(Json(Accepted::new(committed, metadata)))
}

/// The whole of a route for a command that reads other aggregates besides its own (a
/// [`Decision`](crate::Decision)): as [`run_command`], answering with what the decision did to
/// the aggregate of type `A` in the path.
pub async fn run_decision<A, D>(
    dispatcher: &Dispatcher,
    caller: &Caller,
    id_field: &str,
    raw_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Json<Accepted>, ApiError>
where
    A: Aggregate,
    A::Id: Serialize + DeserializeOwned,
    D: Decide + DeserializeOwned,
{
    let id: A::Id = parse_param(id_field, raw_id)?;
    let aggregate_id = id.to_string();
    let id = serde_json::to_value(id).map_err(|error| ApiError::internal(&error))?;
    let decision: D = command_from_json(body, id_field, id)?;
    let (key, metadata) = keyed(headers, caller, D::NAME, raw_id, body)?;
    let span = command_span(D::NAME, &metadata);
    let dispatched = async {
        match &key {
            Some(key) => {
                dispatcher
                    .dispatch_decision_keyed(
                        key,
                        A::TYPE,
                        &aggregate_id,
                        decision,
                        metadata.clone(),
                    )
                    .await
            }
            None => Ok(dispatcher
                .dispatch_decision(decision, metadata.clone())
                .await?
                .committed(A::TYPE, &aggregate_id)),
        }
    };
    let committed = tracing::Instrument::instrument(dispatched, span).await?;
    Ok(Json(Accepted::new(committed, metadata)))
}

/// A command request's key ([`request_key`]) and the metadata its events carry. Without a
/// correlation id in the headers, a keyed request's is derived from its key: the answer to the
/// same request sent again is then the first one, correlation id and all (a retry that sends
/// another `x-correlation-id` gets that one back).
fn keyed(
    headers: &HeaderMap,
    caller: &Caller,
    command: &str,
    raw_id: &str,
    body: &[u8],
) -> Result<(Option<RequestKey>, Metadata), ApiError> {
    let mut metadata = metadata_from_headers(headers, caller)?;
    let key = request_key(headers, caller, command, raw_id, body)?;
    if let Some(key) = &key
        && !headers.contains_key(super::CORRELATION_HEADER)
    {
        metadata.correlation_id = Some(key.command_id().to_string());
    }
    Ok((key, metadata))
}

/// The span a command's request runs in, named after the command and carrying its ids.
fn command_span(command: &'static str, metadata: &Metadata) -> tracing::Span {
    tracing::info_span!(
        "command",
        command,
        correlation_id = metadata.correlation_id.as_deref(),
        causation_id = metadata.causation_id.as_deref(),
    )
}

/// The whole of a get-by-key route: 404 when there is no such row. With a consistency token
/// in the headers, it first waits for the projection to catch up.
pub async fn get_row<P, K>(
    read_models: &ReadModels,
    field: &str,
    raw_key: &str,
    headers: &HeaderMap,
) -> Result<Json<P>, ApiError>
where
    P: Projection,
    K: Serialize + DeserializeOwned,
{
    let key: K = parse_param(field, raw_key)?;
    wait_for_token::<P>(read_models, headers).await?;
    match read_models.get::<P>(&key).await? {
        Some(row) => Ok(Json(row)),
        None => Err(ApiError::not_found(format!(
            "no {} with {field} {raw_key}",
            P::NAME
        ))),
    }
}

/// The whole of a list route: rows whose `field` equals the path value, one page at a time.
/// With a consistency token in the headers, it first waits for the projection to catch up.
pub async fn list_rows<P, V>(
    read_models: &ReadModels,
    field: &str,
    raw_value: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Json<Page<P>>, ApiError>
where
    P: Projection,
    V: Serialize + DeserializeOwned,
{
    let value: V = parse_param(field, raw_value)?;
    let page = page_from_query(query)?;
    wait_for_token::<P>(read_models, headers).await?;
    Ok(Json(read_models.list::<P>(field, &value, &page).await?))
}

/// A list route's query: the index it reads, which way, and whether it takes a range of the
/// index's order (`?from=&before=`, parsed by `range`).
#[derive(Debug, Clone, Copy)]
pub struct ListShape<'a> {
    pub index: Index<'a>,
    pub descending: bool,
    pub range: Option<ParseValue>,
}

/// The whole of a list route that reads an index: rows whose `equal` columns hold the path's
/// values (parsed with [`param_value`](super::param_value)), within the range the query string
/// gives, one page at a time. With a consistency token in the headers, it first waits for the
/// projection to catch up.
pub async fn find_rows<P: Projection>(
    read_models: &ReadModels,
    shape: &ListShape<'_>,
    equal: Vec<serde_json::Value>,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Json<Page<P>>, ApiError> {
    let (page, [from, before]) = list_params(query, shape.range)?;
    let filter = Filter {
        equal,
        from,
        before,
        descending: shape.descending,
    };
    wait_for_token::<P>(read_models, headers).await?;
    Ok(Json(
        read_models.find::<P>(&shape.index, &filter, &page).await?,
    ))
}

/// The whole of a route reading one group of a summary: the group holding the path's value
/// (all zero when no row holds it). With a consistency token in the headers, it first waits for
/// the projection to catch up.
pub async fn get_group<P, V>(
    read_models: &ReadModels,
    summary: &Summary<'_>,
    raw_value: &str,
    headers: &HeaderMap,
) -> Result<Json<Row>, ApiError>
where
    P: Projection,
    V: Serialize + DeserializeOwned,
{
    let value: V = parse_param(summary.by, raw_value)?;
    wait_for_token::<P>(read_models, headers).await?;
    Ok(Json(read_models.group::<P>(summary, &value).await?))
}

/// The whole of a route listing a summary's groups, one page at a time. With a consistency
/// token in the headers, it first waits for the projection to catch up.
pub async fn list_groups<P: Projection>(
    read_models: &ReadModels,
    summary: &Summary<'_>,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Json<Page<Row>>, ApiError> {
    let page = page_from_query(query)?;
    wait_for_token::<P>(read_models, headers).await?;
    Ok(Json(read_models.groups::<P>(summary, &page).await?))
}

/// The whole of a list-all route: every row, one page at a time. With a consistency token in
/// the headers, it first waits for the projection to catch up.
pub async fn list_all_rows<P: Projection>(
    read_models: &ReadModels,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Json<Page<P>>, ApiError> {
    let page = page_from_query(query)?;
    wait_for_token::<P>(read_models, headers).await?;
    Ok(Json(read_models.list_all::<P>(&page).await?))
}
