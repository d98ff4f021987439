//! Projection throughput from the event log: a projection of one aggregate's events beside one
//! over two aggregates' events whose second kind changes rows found by a lookup (every loan of a
//! renamed member), each catching up with the same log.

use std::sync::Arc;
use std::time::Instant;

use eventwright::bus::InProcBus;
use eventwright::store::{EventStore, ReadStore};
use eventwright::{NewEvent, ProjectionEngine};

use crate::loans::{Library, Loan, LoanAlone, LoanEvent, MemberEvent, MemberRenamed, new_event};

/// What one catch-up did.
pub struct CatchUp {
    pub projection: &'static str,
    /// Events it handled: the loans', and for the projection of both aggregates the members'.
    pub events: usize,
    /// Rows it wrote: one per loan, and one per loan of each renamed member.
    pub rows: usize,
    pub events_per_second: f64,
}

/// The log: `loans` loans opened, and after every `rename_every`-th a rename of that loan's
/// member; returns how many renames and how many rows they change.
pub async fn write_log(
    events: &dyn EventStore,
    library: &Library,
    loans: usize,
    rename_every: usize,
) -> anyhow::Result<(usize, usize)> {
    let mut loans_of = vec![0usize; library.members];
    let mut renames_of = vec![0u64; library.members];
    let (mut renames, mut renamed_rows) = (0, 0);
    let mut groups: Vec<Vec<NewEvent>> = Vec::new();
    for n in 0..loans {
        let opened = LoanEvent::LoanOpened(library.opened(n));
        groups.push(vec![new_event("Loan", library.loan_id(n), 1, &opened)]);
        let member = n % library.members;
        loans_of[member] += 1;
        if (n + 1) % rename_every == 0 {
            renames_of[member] += 1;
            let renamed = MemberEvent::MemberRenamed(MemberRenamed {
                name: format!("Member {member} ({})", renames_of[member]),
            });
            groups.push(vec![new_event(
                "Member",
                library.member_id(n),
                renames_of[member],
                &renamed,
            )]);
            renames += 1;
            renamed_rows += loans_of[member];
        }
        if groups.len() >= 500 {
            append(events, std::mem::take(&mut groups)).await?;
        }
    }
    append(events, groups).await?;
    Ok((renames, renamed_rows))
}

async fn append(events: &dyn EventStore, groups: Vec<Vec<NewEvent>>) -> anyhow::Result<()> {
    for appended in events.append_many(groups).await {
        appended?;
    }
    Ok(())
}

/// Times each projection catching up with the whole log, one after the other.
pub async fn catch_up(
    events: Arc<dyn EventStore>,
    read: Arc<dyn ReadStore>,
    loans: usize,
    (renames, renamed_rows): (usize, usize),
) -> anyhow::Result<Vec<CatchUp>> {
    let feed = Arc::new(InProcBus::new(Arc::clone(&events)));
    let alone = ProjectionEngine::new(Arc::clone(&read), Arc::clone(&events), feed.clone())
        .with::<LoanAlone>();
    let both = ProjectionEngine::new(read, events, feed).with::<Loan>();
    let mut measured = Vec::new();
    for (engine, projection, handled, rows) in [
        (alone, "one aggregate (loans)", loans, loans),
        (
            both,
            "two aggregates, renames by lookup",
            loans + renames,
            loans + renamed_rows,
        ),
    ] {
        engine.prepare().await?;
        let started = Instant::now();
        engine.catch_up().await?;
        measured.push(CatchUp {
            projection,
            events: handled,
            rows,
            events_per_second: handled as f64 / started.elapsed().as_secs_f64(),
        });
    }
    Ok(measured)
}
