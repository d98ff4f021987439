//! Commands sent with an id ([`Dispatcher::dispatch_once`]), run by each SQL store's test
//! binary: the same id appends once and is answered as it was the first time, by any
//! dispatcher, even once the state has moved on.

use std::sync::Arc;

use eventwright::bus::EventBus;
use eventwright::dispatch::RequestKey;
use eventwright::store::EventStore;
use eventwright::workflow::command_id;
use eventwright::{DispatchError, Dispatcher, Metadata};

use super::warehouse::*;

pub async fn a_command_sent_again_takes_effect_once_and_is_answered_alike(
    events: Arc<dyn EventStore>,
    bus: Arc<dyn EventBus>,
) {
    let first = Dispatcher::new(Arc::clone(&events), Arc::clone(&bus));
    // Another process, which never saw the first command.
    let second = Dispatcher::new(Arc::clone(&events), bus);
    let open = OpenStock {
        sku: "apple".into(),
        quantity: 3,
    };
    first.dispatch(open, Metadata::default()).await.unwrap();
    let reserve = |quantity| Reserve {
        sku: "apple".into(),
        order: "o-1".into(),
        quantity,
    };
    let id = command_id("test", "reserve", 0);
    let committed = first
        .dispatch_once(id, reserve(2), Metadata::default())
        .await
        .unwrap();
    assert_eq!((committed.version, committed.events.len()), (2, 1));
    for dispatcher in [&first, &second] {
        let again = dispatcher
            .dispatch_once(id, reserve(2), Metadata::default())
            .await
            .unwrap();
        assert_eq!(again.events, [], "nothing appended again");
        assert_eq!(
            again.position, committed.position,
            "the first answer's position"
        );
        assert_eq!(again.version, 2);
    }
    assert_eq!(events.load("Stock", "apple", 0).await.unwrap().len(), 2);

    // Refused: 2 more than the one left. The refusal is the answer for good, even once
    // there is stock enough.
    let refused_id = command_id("test", "reserve", 1);
    let refused = second
        .dispatch_once(refused_id, reserve(2), Metadata::default())
        .await
        .unwrap_err();
    let DispatchError::Rejected(rejection) = &refused else {
        panic!("refused: {refused}");
    };
    assert_eq!(rejection.code(), "out_of_stock");
    let restock = Release {
        sku: "apple".into(),
        order: "o-1".into(),
    };
    first.dispatch(restock, Metadata::default()).await.unwrap();
    let again = first
        .dispatch_once(refused_id, reserve(2), Metadata::default())
        .await
        .unwrap_err();
    assert_eq!(again, refused, "answered as the first time");
    assert_eq!(events.load("Stock", "apple", 0).await.unwrap().len(), 3);

    // A command sent with an id to an aggregate that is not there is refused for good too.
    let missing_id = command_id("test", "missing", 0);
    let pay = || Pay { id: "o-404".into() };
    let missing = first
        .dispatch_once(missing_id, pay(), Metadata::default())
        .await
        .unwrap_err();
    assert!(
        matches!(missing, DispatchError::NotFound { .. }),
        "{missing}"
    );
    let again = second
        .dispatch_once(missing_id, pay(), Metadata::default())
        .await
        .unwrap_err();
    assert_eq!(again, missing);
}

/// Many copies of one command, sent with one id at once by several dispatchers (processes),
/// take effect once.
pub async fn copies_sent_at_once_take_effect_once(
    events: Arc<dyn EventStore>,
    bus: Arc<dyn EventBus>,
) {
    let dispatchers: Vec<Dispatcher> = (0..4)
        .map(|_| Dispatcher::new(Arc::clone(&events), Arc::clone(&bus)))
        .collect();
    let open = OpenStock {
        sku: "pear".into(),
        quantity: 100,
    };
    dispatchers[0]
        .dispatch(open, Metadata::default())
        .await
        .unwrap();
    let mut sends = Vec::new();
    for round in 0..5 {
        let id = command_id("test", &format!("round-{round}"), 0);
        for dispatcher in &dispatchers {
            for _ in 0..3 {
                let dispatcher = dispatcher.clone();
                sends.push(tokio::spawn(async move {
                    let reserve = Reserve {
                        sku: "pear".into(),
                        order: format!("o-{round}"),
                        quantity: 1,
                    };
                    // As a workflow does: a copy that lost too many races is sent again.
                    loop {
                        let sent = dispatcher
                            .dispatch_once(id, reserve.clone(), Metadata::default())
                            .await;
                        if !matches!(sent, Err(DispatchError::Conflict { .. })) {
                            return sent;
                        }
                    }
                }));
            }
        }
    }
    let mut committed = 0;
    for send in sends {
        let answer = send.await.unwrap().unwrap();
        committed += answer.events.len();
    }
    assert_eq!(committed, 5, "one reservation per id");
    let stored = events.load("Stock", "pear", 0).await.unwrap();
    assert_eq!(stored.len(), 6, "opened, then one reservation per id");
}

/// Copies of one command sent at once to one process (a restarted workflow sending a step's
/// commands again while the first copies still wait) queue for the same aggregate and end up in
/// one batch: the first is decided, the others get its answer, and none is told of a conflict,
/// however often it is sent.
pub async fn copies_queued_together_get_the_first_ones_answer(
    events: Arc<dyn EventStore>,
    bus: Arc<dyn EventBus>,
) {
    let dispatcher = Dispatcher::new(Arc::clone(&events), bus);
    let open = OpenStock {
        sku: "quince".into(),
        quantity: 100,
    };
    dispatcher
        .dispatch(open, Metadata::default())
        .await
        .unwrap();
    let mut sends = Vec::new();
    for round in 0..5 {
        let id = command_id("test", &format!("queued-{round}"), 0);
        for _ in 0..6 {
            let dispatcher = dispatcher.clone();
            let reserve = Reserve {
                sku: "quince".into(),
                order: format!("o-{round}"),
                quantity: 1,
            };
            sends.push(tokio::spawn(async move {
                let answer = dispatcher
                    .dispatch_once(id, reserve, Metadata::default())
                    .await;
                (round, answer)
            }));
        }
    }
    let mut versions: Vec<Vec<u64>> = vec![Vec::new(); 5];
    let mut committed = 0;
    for send in sends {
        let (round, answer) = send.await.unwrap();
        let answer = answer.unwrap_or_else(|error| panic!("a copy of round {round}: {error}"));
        committed += answer.events.len();
        versions[round].push(answer.version);
    }
    for (round, versions) in versions.iter().enumerate() {
        assert!(
            versions.iter().all(|version| *version == versions[0]),
            "round {round}: every copy is answered with the first's version: {versions:?}"
        );
    }
    assert_eq!(committed, 5, "one reservation per id");
    let stored = events.load("Stock", "quince", 0).await.unwrap();
    assert_eq!(stored.len(), 6, "opened, then one reservation per id");
}

/// A client's keyed request ([`Dispatcher::dispatch_keyed`]): sent again, by this process or
/// another, it gets the first answer, version and position, long after the aggregate moved on,
/// and appends nothing; the key on another request is refused, deciding nothing.
pub async fn a_keyed_request_is_answered_as_the_first_time(
    events: Arc<dyn EventStore>,
    bus: Arc<dyn EventBus>,
) {
    let first = Dispatcher::new(Arc::clone(&events), Arc::clone(&bus));
    let restarted = Dispatcher::new(Arc::clone(&events), bus);
    let open = OpenStock {
        sku: "plum".into(),
        quantity: 5,
    };
    first.dispatch(open, Metadata::default()).await.unwrap();
    let reserve = |order: &str| Reserve {
        sku: "plum".into(),
        order: order.into(),
        quantity: 1,
    };
    let key = RequestKey::new("", "key-1", b"Reserve plum o-1");
    let committed = first
        .dispatch_keyed(&key, reserve("o-1"), Metadata::default())
        .await
        .unwrap();
    assert_eq!(committed.version, 2);
    assert!(committed.position.is_some());
    first
        .dispatch(reserve("o-2"), Metadata::default())
        .await
        .unwrap();
    for dispatcher in [&first, &restarted] {
        let again = dispatcher
            .dispatch_keyed(&key, reserve("o-1"), Metadata::default())
            .await
            .unwrap();
        assert_eq!(
            (again.version, again.position, again.events.len()),
            (committed.version, committed.position, 0),
            "the first answer, with the aggregate at 3 since"
        );
    }
    let reused = RequestKey::new("", "key-1", b"Reserve plum o-9");
    assert_eq!(reused.command_id(), key.command_id());
    let refused = restarted
        .dispatch_keyed(&reused, reserve("o-9"), Metadata::default())
        .await
        .unwrap_err();
    assert!(
        matches!(refused, DispatchError::IdReused { .. }),
        "{refused}"
    );
    assert_eq!(events.load("Stock", "plum", 0).await.unwrap().len(), 3);

    // A keyed request that changes nothing is answered the same way for good: sent again once
    // it would change something, it still changes nothing.
    let release = || Release {
        sku: "plum".into(),
        order: "o-7".into(),
    };
    let key = RequestKey::new("", "release-o-7", b"Release plum o-7");
    let unchanged = first
        .dispatch_keyed(&key, release(), Metadata::default())
        .await
        .unwrap();
    assert_eq!((unchanged.version, unchanged.events.len()), (3, 0));
    first
        .dispatch(reserve("o-7"), Metadata::default())
        .await
        .unwrap();
    let again = restarted
        .dispatch_keyed(&key, release(), Metadata::default())
        .await
        .unwrap();
    assert_eq!(
        (again.version, again.events.len()),
        (3, 0),
        "nothing released"
    );
    assert_eq!(events.load("Stock", "plum", 0).await.unwrap().len(), 4);
}
