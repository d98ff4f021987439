//! Lists through an index (equality on several columns, on each element of a list, on a field
//! of a value object; an order, a range, both directions),
//! run by each adapter's test binary against its own read store: events go through the
//! projection engine's projector, and every page of every list is compared with a fold of the
//! same events written here in plain code.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use eventwright::engine::projector;
use eventwright::query::{Filter, Page, PageRequest, ReadModels};
use eventwright::store::generation::AtGeneration;
use eventwright::store::{Mark, ReadStore};
use eventwright::table::Index;
use eventwright::{Change, Event, EventEnvelope, Metadata, Project, Projection, QueryError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Opened {
    pub member: String,
    pub due_at: DateTime<Utc>,
    pub fee: i64,
    pub day: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Extended {
    pub due_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transferred {
    pub member: String,
}

/// Replaces the loan's tags.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tagged {
    pub tags: Vec<String>,
}

/// The loan moves to another branch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Moved {
    pub branch: Branch,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    pub city: String,
    pub desk: i64,
}

/// A value object: a JSON column.
impl eventwright::Column for Branch {
    const TYPE: eventwright::ColumnType = eventwright::ColumnType::Json;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Closed {}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Erased {}

#[derive(Debug, Clone, Event)]
pub enum LoanEvent {
    Opened(Opened),
    Extended(Extended),
    Transferred(Transferred),
    Tagged(Tagged),
    Moved(Moved),
    Closed(Closed),
    Erased(Erased),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(
    event = LoanEvent,
    key = loan_id,
    name = "loan_rows",
    index(member, status, order = due_at),
    index(member, order = fee),
    index(status, order = day),
    index(status, order = member),
    index(member, status),
    index("tags[]", order = due_at),
    index("branch.city", status),
    index("tags[]", "branch.desk"),
    index("visited[].city"),
    count_by(status, sum(fee)),
    count_by(member, sum(fee))
)]
pub struct LoanRow {
    pub loan_id: String,
    pub member: String,
    pub status: String,
    pub due_at: DateTime<Utc>,
    pub fee: i64,
    pub day: NaiveDate,
    pub tags: Vec<String>,
    pub branch: Branch,
    /// Every branch it moved to, in order: a list of value objects.
    pub visited: Vec<Branch>,
}

impl Project<Opened> for LoanRow {
    fn project(_: Option<Self>, event: &Opened, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(LoanRow {
            loan_id: envelope.aggregate_id.clone(),
            member: event.member.clone(),
            status: "open".to_owned(),
            due_at: event.due_at,
            fee: event.fee,
            day: event.day,
            tags: Vec::new(),
            branch: Branch::default(),
            visited: Vec::new(),
        })
    }
}

impl Project<Tagged> for LoanRow {
    fn project(row: Option<Self>, event: &Tagged, _: &EventEnvelope) -> Change<Self> {
        match row {
            Some(row) => Change::Upsert(LoanRow {
                tags: event.tags.clone(),
                ..row
            }),
            None => Change::Keep,
        }
    }
}

impl Project<Moved> for LoanRow {
    fn project(row: Option<Self>, event: &Moved, _: &EventEnvelope) -> Change<Self> {
        match row {
            Some(mut row) => {
                row.visited.push(event.branch.clone());
                Change::Upsert(LoanRow {
                    branch: event.branch.clone(),
                    ..row
                })
            }
            None => Change::Keep,
        }
    }
}

impl Project<Extended> for LoanRow {
    fn project(row: Option<Self>, event: &Extended, _: &EventEnvelope) -> Change<Self> {
        match row {
            Some(row) => Change::Upsert(LoanRow {
                due_at: event.due_at,
                ..row
            }),
            None => Change::Keep,
        }
    }
}

impl Project<Transferred> for LoanRow {
    fn project(row: Option<Self>, event: &Transferred, _: &EventEnvelope) -> Change<Self> {
        match row {
            Some(row) => Change::Upsert(LoanRow {
                member: event.member.clone(),
                ..row
            }),
            None => Change::Keep,
        }
    }
}

impl Project<Closed> for LoanRow {
    fn project(row: Option<Self>, _: &Closed, _: &EventEnvelope) -> Change<Self> {
        match row {
            Some(row) => Change::Upsert(LoanRow {
                status: "closed".to_owned(),
                ..row
            }),
            None => Change::Keep,
        }
    }
}

impl Project<Erased> for LoanRow {
    fn project(_: Option<Self>, _: &Erased, _: &EventEnvelope) -> Change<Self> {
        Change::Delete
    }
}

/// Every row in the order of one column, with no column to partition by: served by the SQL
/// stores, refused by Cassandra.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(event = LoanEvent, key = loan_id, name = "loans_by_due", index(order = due_at))]
#[projection(ignore(Extended, Transferred, Tagged, Moved, Closed, Erased))]
pub struct LoanByDue {
    pub loan_id: String,
    pub due_at: DateTime<Utc>,
}

impl Project<Opened> for LoanByDue {
    fn project(_: Option<Self>, event: &Opened, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(LoanByDue {
            loan_id: envelope.aggregate_id.clone(),
            due_at: event.due_at,
        })
    }
}

const MEMBERS: [&str; 4] = ["ada", "bo", "cy", "di"];
const TAGS: [&str; 3] = ["rare", "kids", "audio"];
const CITIES: [&str; 2] = ["oslo", "rome"];

/// A small generator, so the history is the same on every run and every store.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// A history of 40 loans: opened, then extended, transferred, closed or erased in turn. Due
/// times fall on whole seconds and on halves, so their text forms differ in length.
fn history() -> Vec<(String, u64, LoanEvent)> {
    let start: DateTime<Utc> = "2026-12-01T09:00:00Z".parse().unwrap();
    let day0 = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let mut random = Lcg(18);
    let mut sequences: BTreeMap<String, u64> = BTreeMap::new();
    let mut events = Vec::new();
    let mut push = |id: &str, event: LoanEvent, events: &mut Vec<_>| {
        let sequence = sequences.entry(id.to_owned()).or_default();
        *sequence += 1;
        events.push((id.to_owned(), *sequence, event));
    };
    let at = |random: &mut Lcg| start + TimeDelta::milliseconds(500 * random.below(40) as i64);
    for n in 0..40 {
        let id = format!("loan-{n:02}");
        let opened = Opened {
            member: MEMBERS[random.below(4) as usize].to_owned(),
            due_at: at(&mut random),
            fee: random.below(7) as i64 - 2,
            day: day0 + TimeDelta::days(random.below(5) as i64),
        };
        push(&id, LoanEvent::Opened(opened), &mut events);
    }
    for _ in 0..140 {
        let id = format!("loan-{:02}", random.below(40));
        let event = match random.below(14) {
            0..=3 => LoanEvent::Extended(Extended {
                due_at: at(&mut random),
            }),
            4..=6 => LoanEvent::Transferred(Transferred {
                member: MEMBERS[random.below(4) as usize].to_owned(),
            }),
            // Up to three tags, possibly one twice, possibly none.
            7..=9 => LoanEvent::Tagged(Tagged {
                tags: (0..random.below(4))
                    .map(|_| TAGS[random.below(3) as usize].to_owned())
                    .collect(),
            }),
            10 | 11 => LoanEvent::Moved(Moved {
                branch: Branch {
                    city: CITIES[random.below(2) as usize].to_owned(),
                    desk: random.below(3) as i64,
                },
            }),
            12 => LoanEvent::Closed(Closed {}),
            _ => LoanEvent::Erased(Erased {}),
        };
        push(&id, event, &mut events);
    }
    events
}

/// The rows the history leaves, folded here without the projection's impls or the engine.
fn fold(history: &[(String, u64, LoanEvent)]) -> BTreeMap<String, LoanRow> {
    let mut rows: BTreeMap<String, LoanRow> = BTreeMap::new();
    for (id, _, event) in history {
        match event {
            LoanEvent::Opened(opened) => {
                rows.insert(
                    id.clone(),
                    LoanRow {
                        loan_id: id.clone(),
                        member: opened.member.clone(),
                        status: "open".to_owned(),
                        due_at: opened.due_at,
                        fee: opened.fee,
                        day: opened.day,
                        tags: Vec::new(),
                        branch: Branch::default(),
                        visited: Vec::new(),
                    },
                );
            }
            LoanEvent::Tagged(tagged) => {
                if let Some(row) = rows.get_mut(id) {
                    row.tags = tagged.tags.clone();
                }
            }
            LoanEvent::Moved(moved) => {
                if let Some(row) = rows.get_mut(id) {
                    row.branch = moved.branch.clone();
                    row.visited.push(moved.branch.clone());
                }
            }
            LoanEvent::Extended(extended) => {
                if let Some(row) = rows.get_mut(id) {
                    row.due_at = extended.due_at;
                }
            }
            LoanEvent::Transferred(transferred) => {
                if let Some(row) = rows.get_mut(id) {
                    row.member = transferred.member.clone();
                }
            }
            LoanEvent::Closed(_) => {
                if let Some(row) = rows.get_mut(id) {
                    row.status = "closed".to_owned();
                }
            }
            LoanEvent::Erased(_) => {
                rows.remove(id);
            }
        }
    }
    rows
}

fn envelope(id: &str, sequence: u64, event: &LoanEvent) -> EventEnvelope {
    EventEnvelope {
        event_id: uuid::Uuid::now_v7(),
        aggregate_type: "Loan".to_owned(),
        aggregate_id: id.to_owned(),
        sequence,
        position: 0,
        event_type: event.event_type().to_owned(),
        event_version: event.event_version(),
        timestamp: Utc::now(),
        metadata: Metadata::default(),
        payload: event.encode().unwrap(),
    }
}

/// A value of a row's column, as the fold orders it: JSON numbers and strings compare as the
/// stores compare their columns (timestamps as times, not as text).
fn sort_key(row: &LoanRow, column: &str) -> (i64, String) {
    match column {
        "due_at" => (row.due_at.timestamp_millis(), String::new()),
        "fee" => (row.fee, String::new()),
        "day" => (0, row.day.to_string()),
        "member" => (0, row.member.clone()),
        other => panic!("no order by {other}"),
    }
}

/// Whether `row` holds `value` under `term`: in the column, in the value object's field, among
/// the list's elements, or in a field of one of them.
fn holds(row: &LoanRow, term: &str, value: &Value) -> bool {
    let row = serde_json::to_value(row).unwrap();
    if let Some((list, field)) = term.split_once("[].") {
        return row[list]
            .as_array()
            .unwrap()
            .iter()
            .any(|element| &element[field] == value);
    }
    if let Some(list) = term.strip_suffix("[]") {
        return row[list].as_array().unwrap().contains(value);
    }
    let mut found = &row;
    for part in term.split('.') {
        found = &found[part];
    }
    found == value
}

/// What a list of `index` with `filter` must answer, from the fold.
fn expected(rows: &BTreeMap<String, LoanRow>, index: &Index<'_>, filter: &Filter) -> Vec<String> {
    let in_range = |row: &LoanRow| {
        let Some(order) = index.order else {
            return true;
        };
        let value = sort_key(row, order);
        let bound = |bound: &Value| {
            let probe: LoanRow = serde_json::from_value(json!({
                "loan_id": "", "member": "", "status": "", "fee": 0,
                "due_at": "2026-01-01T00:00:00Z", "day": "2026-01-01", "tags": [],
                "branch": { "city": "", "desk": 0 }, "visited": [],
                order: bound,
            }))
            .unwrap();
            sort_key(&probe, order)
        };
        filter.from.as_ref().is_none_or(|from| value >= bound(from))
            && filter
                .before
                .as_ref()
                .is_none_or(|before| value < bound(before))
    };
    let mut found: Vec<&LoanRow> = rows
        .values()
        .filter(|row| {
            index
                .equal
                .iter()
                .zip(&filter.equal)
                .all(|(term, value)| holds(row, term, value))
        })
        .filter(|row| in_range(row))
        .collect();
    found.sort_by_key(|row| {
        (
            index.order.map(|order| sort_key(row, order)),
            row.loan_id.clone(),
        )
    });
    if filter.descending {
        found.reverse();
    }
    found.into_iter().map(|row| row.loan_id.clone()).collect()
}

/// Every page of the list, `limit` rows at a time, following each page's cursor.
async fn every_page(
    read_models: &ReadModels,
    index: &Index<'_>,
    filter: &Filter,
    limit: u32,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let page: Page<LoanRow> = read_models
            .find::<LoanRow>(
                index,
                filter,
                &PageRequest {
                    limit: Some(limit),
                    cursor: cursor.clone(),
                },
            )
            .await
            .unwrap();
        assert!(page.items.len() <= limit as usize);
        ids.extend(page.items.into_iter().map(|row| row.loan_id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
}

/// The filters to try on each index: each value of its equal columns, with and without a
/// range, both ways.
fn filters(index: &Index<'_>) -> Vec<Filter> {
    let statuses = ["open", "closed"];
    let mut equals: Vec<Vec<Value>> = vec![Vec::new()];
    for column in index.equal {
        let values: Vec<Value> = match *column {
            "member" => MEMBERS.iter().map(|m| json!(m)).collect(),
            "status" => statuses.iter().map(|s| json!(s)).collect(),
            "tags[]" => TAGS
                .iter()
                .map(|t| json!(t))
                .chain([json!("none")])
                .collect(),
            "branch.city" => CITIES.iter().map(|c| json!(c)).collect(),
            "visited[].city" => CITIES
                .iter()
                .map(|c| json!(c))
                .chain([json!("nowhere")])
                .collect(),
            "branch.desk" => (0..3).map(|d| json!(d)).collect(),
            other => panic!("no values for {other}"),
        };
        equals = equals
            .into_iter()
            .flat_map(|prefix| {
                values.iter().map(move |value| {
                    let mut equal = prefix.clone();
                    equal.push(value.clone());
                    equal
                })
            })
            .collect();
    }
    let ranges: Vec<(Option<Value>, Option<Value>)> = match index.order {
        None => vec![(None, None)],
        Some("due_at") => vec![
            (None, None),
            (Some(json!("2026-12-01T09:00:05.5Z")), None),
            (None, Some(json!("2026-12-01T09:00:10Z"))),
            (
                Some(json!("2026-12-01T09:00:03Z")),
                Some(json!("2026-12-01T09:00:12.5Z")),
            ),
        ],
        Some("fee") => vec![(None, None), (Some(json!(0)), Some(json!(3)))],
        Some("day") => vec![(None, None), (Some(json!("2026-12-02")), None)],
        Some("member") => vec![(None, None), (Some(json!("bo")), Some(json!("d")))],
        Some(other) => panic!("no range for {other}"),
    };
    let mut filters = Vec::new();
    for equal in equals {
        for (from, before) in &ranges {
            for descending in [false, true] {
                if index.order.is_none() && descending {
                    continue;
                }
                filters.push(Filter {
                    equal: equal.clone(),
                    from: from.clone(),
                    before: before.clone(),
                    descending,
                });
            }
        }
    }
    filters
}

/// Projects the history, then reads every list of every index a page at a time and compares
/// it with the fold; a cursor is refused by a list with other parameters.
pub async fn every_list_matches_the_fold(read: Arc<dyn ReadStore>) {
    read.prepare(&LoanRow::SCHEMA).await.unwrap();
    let loans = projector::<LoanRow>();
    let history = history();
    for (id, sequence, event) in &history {
        let envelope = envelope(id, *sequence, event);
        loans
            .handle(
                &AtGeneration::new(read.clone(), 0),
                &envelope,
                Mark::delivered(&envelope),
            )
            .await
            .unwrap();
    }
    lists_match_the_fold(read, &history).await;
}

/// As [`every_list_matches_the_fold`], with the events read from the log and applied in
/// batches, as a projection catching up applies them: within a batch one loan changes several
/// times, is erased, or is opened and changed, and the rows, the lists' entries and the
/// summaries must end as one by one. Every other batch finds its first events applied already;
/// each batch is then applied again, changing nothing.
pub async fn every_list_matches_the_fold_applied_in_batches(read: Arc<dyn ReadStore>) {
    read.prepare(&LoanRow::SCHEMA).await.unwrap();
    let loans = projector::<LoanRow>();
    let history = history();
    let envelopes: Vec<EventEnvelope> = history
        .iter()
        .map(|(id, sequence, event)| envelope(id, *sequence, event))
        .collect();
    let store = AtGeneration::new(read.clone(), 0);
    for (n, batch) in envelopes.chunks(25).enumerate() {
        let marked: Vec<(&EventEnvelope, Mark<'_>)> = batch
            .iter()
            .enumerate()
            .map(|(i, envelope)| {
                let position = (n * 25 + i + 1) as u64;
                let cursor = eventwright::store::Cursor {
                    transaction: 1,
                    position,
                };
                (envelope, Mark::in_log(envelope, cursor))
            })
            .collect();
        if n % 2 == 1 {
            // Its first events applied already, as after a crash between two batches.
            for (envelope, mark) in &marked[..5] {
                assert!(loans.handle(&store, envelope, *mark).await.unwrap());
            }
        }
        loans.handle_many(&store, &marked).await.unwrap();
        loans.handle_many(&store, &marked).await.unwrap();
    }
    lists_match_the_fold(read, &history).await;
}

/// Every list and group of the rows `history` left in `read`, compared with the fold.
async fn lists_match_the_fold(read: Arc<dyn ReadStore>, history: &[(String, u64, LoanEvent)]) {
    let rows = fold(history);
    assert!(rows.len() > 20, "most loans are still there");
    let read_models = ReadModels::new(Arc::clone(&read));
    let mut compared = 0;
    for index in LoanRow::SCHEMA.indexes {
        for filter in filters(index) {
            let want = expected(&rows, index, &filter);
            compared += usize::from(!want.is_empty());
            for limit in [1, 3, 50] {
                let got = every_page(&read_models, index, &filter, limit).await;
                assert_eq!(
                    got,
                    want,
                    "{} with {filter:?}, {limit} a page",
                    index.name("loans")
                );
            }
        }
    }
    assert!(compared > 60, "only {compared} lists held rows");
    every_group_matches_the_fold(&read_models, &rows).await;

    let index = &LoanRow::SCHEMA.indexes[0];
    let filter = filters(index).remove(1);
    let page: Page<LoanRow> = read_models
        .find(
            index,
            &filter,
            &PageRequest {
                limit: Some(1),
                cursor: None,
            },
        )
        .await
        .unwrap();
    let other = Filter {
        descending: !filter.descending,
        ..filter
    };
    let refused = read_models
        .find::<LoanRow>(
            index,
            &other,
            &PageRequest {
                limit: Some(1),
                cursor: page.next_cursor,
            },
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(QueryError::InvalidParameter {
                field: "cursor",
                ..
            })
        ),
        "{refused:?}"
    );
    let undeclared = Index {
        equal: &["fee"],
        order: None,
    };
    let refused = read_models
        .find::<LoanRow>(&undeclared, &Filter::default(), &PageRequest::default())
        .await;
    assert!(refused.is_err(), "an index the table was not prepared with");
    made_up_cursors_are_refused(&read_models).await;
}

/// A cursor is the JSON of where a page ended: one a client made up, whose value the column
/// cannot hold (here the JSON `0` for a text column), is a bad parameter on every store.
async fn made_up_cursors_are_refused(read_models: &ReadModels) {
    let made_up = PageRequest {
        limit: Some(5),
        cursor: Some("30".to_owned()),
    };
    let bad_parameter = |result: Result<(), QueryError>| {
        assert!(
            matches!(
                result,
                Err(QueryError::InvalidParameter {
                    field: "cursor",
                    ..
                })
            ),
            "{result:?}"
        );
    };
    for summary in LoanRow::SCHEMA.summaries {
        bad_parameter(
            read_models
                .groups::<LoanRow>(summary, &made_up)
                .await
                .map(drop),
        );
    }
    bad_parameter(read_models.list_all::<LoanRow>(&made_up).await.map(drop));
}

/// The summaries' groups, read one at a time and a page at a time, compared with counts and
/// sums of the fold.
async fn every_group_matches_the_fold(read_models: &ReadModels, rows: &BTreeMap<String, LoanRow>) {
    for summary in LoanRow::SCHEMA.summaries {
        let mut want: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for row in rows.values() {
            let group = column_text(row, summary.by);
            let entry = want.entry(group).or_default();
            entry.0 += 1;
            entry.1 += row.fee;
        }
        for limit in [1, 2, 50] {
            let mut got: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            let mut cursor = None;
            loop {
                let page = read_models
                    .groups::<LoanRow>(
                        summary,
                        &PageRequest {
                            limit: Some(limit),
                            cursor,
                        },
                    )
                    .await
                    .unwrap();
                for group in page.items {
                    let value = group[summary.by].as_str().unwrap().to_owned();
                    let counted = (
                        group["count"].as_i64().unwrap(),
                        group["fee"].as_i64().unwrap(),
                    );
                    assert!(got.insert(value, counted).is_none(), "each group once");
                }
                cursor = page.next_cursor;
                if cursor.is_none() {
                    break;
                }
            }
            assert_eq!(got, want, "count_by {}, {limit} a page", summary.by);
        }
        for (value, (count, fee)) in &want {
            let group = read_models.group::<LoanRow>(summary, value).await.unwrap();
            assert_eq!(
                (group["count"].clone(), group["fee"].clone()),
                (json!(count), json!(fee))
            );
        }
        let nobody = read_models
            .group::<LoanRow>(summary, &"nobody")
            .await
            .unwrap();
        assert_eq!(
            (nobody["count"].clone(), nobody["fee"].clone()),
            (json!(0), json!(0))
        );
    }
}

fn column_text(row: &LoanRow, column: &str) -> String {
    match column {
        "status" => row.status.clone(),
        "member" => row.member.clone(),
        other => panic!("no group by {other}"),
    }
}

/// Every row in the order of one column, on a store that can serve it: compared with the fold.
pub async fn an_unpartitioned_order_matches_the_fold(read: Arc<dyn ReadStore>) {
    read.prepare(&LoanByDue::SCHEMA).await.unwrap();
    let projector = projector::<LoanByDue>();
    let history = history();
    for (id, sequence, event) in &history {
        let envelope = envelope(id, *sequence, event);
        projector
            .handle(
                &AtGeneration::new(read.clone(), 0),
                &envelope,
                Mark::delivered(&envelope),
            )
            .await
            .unwrap();
    }
    // Only openings reach this projection: every loan ever opened, due when it was opened.
    let opened: Vec<(String, u64, LoanEvent)> = history
        .into_iter()
        .filter(|(_, _, event)| matches!(event, LoanEvent::Opened(_)))
        .collect();
    let rows = fold(&opened);
    let read_models = ReadModels::new(read);
    let index = &LoanByDue::SCHEMA.indexes[0];
    for descending in [false, true] {
        let filter = Filter {
            descending,
            before: Some(json!("2026-12-01T09:00:15Z")),
            ..Filter::default()
        };
        let want = expected(&rows, index, &filter);
        assert!(!want.is_empty());
        let mut got = Vec::new();
        let mut cursor = None;
        loop {
            let page: Page<LoanByDue> = read_models
                .find(
                    index,
                    &filter,
                    &PageRequest {
                        limit: Some(4),
                        cursor,
                    },
                )
                .await
                .unwrap();
            got.extend(page.items.into_iter().map(|row| row.loan_id));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(got, want, "descending: {descending}");
    }
}
