//! The Kafka adapter against a real Apache Kafka (start one with `scripts/services.sh up`): the
//! outbox relay publishes the log, projectors in consumer groups apply every event once, a
//! client that is not ours reads the documented envelope, and a poison event is dead-lettered
//! while the events after it still apply.
#![cfg(all(feature = "kafka", feature = "sqlite"))]

use std::sync::Arc;
use std::time::Duration;

use eventwright::bus::InProcBus;
use eventwright::bus::kafka::{KafkaConfig, KafkaFeed, KafkaSink};
use eventwright::relay::OutboxRelay;
use eventwright::store::sqlite::{self, SqliteEventStore, SqliteReadStore};
use eventwright::store::{EventStore, ReadStore};
use eventwright::{Dispatcher, Metadata, NewEvent, Projection, ProjectionEngine};
use rdkafka::Message as _;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Headers as _;
use serde_json::{Value, json};

mod common;

use common::*;

/// The brokers. Missing means the services are not up: a failure, never a skip.
fn brokers() -> String {
    service_env("EVENTWRIGHT_KAFKA_BROKERS")
}

/// Topics and groups of their own for each test.
fn config() -> KafkaConfig {
    let prefix = format!("t{}.", uuid::Uuid::new_v4().simple());
    KafkaConfig::new(brokers(), prefix)
}

struct Service {
    _dir: tempfile::TempDir,
    events: Arc<dyn EventStore>,
    read: Arc<dyn ReadStore>,
    dispatcher: Dispatcher,
    relay: OutboxRelay,
}

async fn service(config: &KafkaConfig) -> Service {
    let dir = tempfile::tempdir().unwrap();
    let url = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let events: Arc<dyn EventStore> = Arc::new(SqliteEventStore::new(
        sqlite::connect(&url("events.db")).await.unwrap(),
    ));
    events.prepare().await.unwrap();
    let read: Arc<dyn ReadStore> = Arc::new(SqliteReadStore::new(
        sqlite::connect(&url("views.db")).await.unwrap(),
    ));
    let log = InProcBus::new(Arc::clone(&events)).with_poll_interval(Duration::from_millis(50));
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(log.clone()));
    let sink = Arc::new(KafkaSink::new(config).unwrap());
    let relay = OutboxRelay::new("kafka", Arc::clone(&events), log, sink)
        .with_retry_delay(Duration::from_millis(200));
    Service {
        _dir: dir,
        events,
        read,
        dispatcher,
        relay,
    }
}

fn projectors(config: &KafkaConfig, service: &Service) -> ProjectionEngine {
    let (read, events) = (Arc::clone(&service.read), Arc::clone(&service.events));
    let feed = Arc::new(KafkaFeed::new(config.clone(), ["Counter"]));
    ProjectionEngine::new(read, events, feed)
        .with::<Tally>()
        .with::<Total>()
        .with_retry_delay(Duration::from_millis(100))
}

async fn write(dispatcher: &Dispatcher, counters: usize, bumps: usize) {
    for n in 0..counters {
        let id = format!("c{n}");
        dispatcher
            .dispatch(Start { id: id.clone() }, Metadata::default())
            .await
            .unwrap();
        for _ in 0..bumps {
            dispatcher
                .dispatch(Bump { id: id.clone() }, Metadata::default())
                .await
                .unwrap();
        }
    }
}

/// Waits until the Total row counts `events`, failing after a minute.
async fn total_reaches(read: &Arc<dyn ReadStore>, events: u64) {
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let total = read.get(&Total::SCHEMA, &json!("all")).await.ok().flatten();
            if total.as_ref().and_then(|row| row["events"].as_u64()) == Some(events) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let total = read.get(&Total::SCHEMA, &json!("all")).await.unwrap();
    assert!(
        waited.is_ok(),
        "the projection did not reach {events} events: {total:?}"
    );
}

/// Waits until counter `id`'s Tally row holds (events, last).
async fn tallies_reach_with(read: &Arc<dyn ReadStore>, id: &str, expected: (Value, Value)) {
    let row = || async {
        let row = read.get(&Tally::SCHEMA, &json!(id)).await.unwrap();
        row.map(|row| (row["events"].clone(), row["last"].clone()))
    };
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        while row().await.as_ref() != Some(&expected) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "the tally of {id} is {:?}", row().await);
}

/// Waits until every counter's Tally row is what a fold of its events says, failing after a
/// minute with the rows as they are.
async fn tallies_reach(read: &Arc<dyn ReadStore>, counters: usize, bumps: usize) {
    let expected: Vec<Option<(Value, Value)>> =
        vec![Some((json!(bumps + 1), json!(bumps))); counters];
    let rows = || async {
        let mut rows = Vec::new();
        for n in 0..counters {
            let row = read
                .get(&Tally::SCHEMA, &json!(format!("c{n}")))
                .await
                .unwrap();
            rows.push(row.map(|row| (row["events"].clone(), row["last"].clone())));
        }
        rows
    };
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        while rows().await != expected {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "tallies are {:?}", rows().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn relayed_events_reach_every_projection_once_even_when_published_twice() {
    let config = config();
    let service = service(&config).await;
    let projectors = projectors(&config, &service);
    projectors.prepare().await.unwrap();
    let consuming = projectors.spawn();
    let relaying = service.relay.spawn();
    write(&service.dispatcher, 6, 30).await;
    total_reaches(&service.read, 6 * 31).await;
    tallies_reach(&service.read, 6, 30).await;

    // A relay that has no checkpoint, as after losing it in a crash before the first save,
    // publishes the whole log again: the projections change not at all.
    relaying.abort();
    let sink = Arc::new(KafkaSink::new(&config).unwrap());
    let log = InProcBus::new(Arc::clone(&service.events));
    let replay = OutboxRelay::new("replay", Arc::clone(&service.events), log, sink);
    assert_eq!(replay.relay_pending().await.unwrap(), 6 * 31);
    // One more event per counter, after the duplicates in each partition: once these are
    // applied, every duplicate before them was seen, and none of them counted.
    for n in 0..6 {
        let bump = Bump {
            id: format!("c{n}"),
        };
        service
            .dispatcher
            .dispatch(bump, Metadata::default())
            .await
            .unwrap();
    }
    // The replay relay, which started its transactions last, fenced the first one's producer
    // off: it relays from now on.
    assert_eq!(replay.relay_pending().await.unwrap(), 6);
    total_reaches(&service.read, 6 * 32).await;
    tallies_reach(&service.read, 6, 31).await;
    for task in consuming {
        task.abort();
    }
}

/// A Kafka client that is not ours (Kafka's own console consumer, from the same jars as the
/// broker) reads a topic and sees the envelope the module documents.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafkas_own_console_consumer_reads_the_documented_envelope() {
    let config = config();
    let service = service(&config).await;
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let metadata = Metadata {
        correlation_id: Some("req-42".into()),
        causation_id: None,
        traceparent: Some(traceparent.into()),
        actor: Some("clerk-3".into()),
    };
    service
        .dispatcher
        .dispatch(Start { id: "c1".into() }, metadata.clone())
        .await
        .unwrap();
    service
        .dispatcher
        .dispatch(Bump { id: "c1".into() }, metadata)
        .await
        .unwrap();
    assert_eq!(service.relay.relay_pending().await.unwrap(), 2);

    let classpath = std::env::var("EVENTWRIGHT_KAFKA_CLASSPATH")
        .expect("EVENTWRIGHT_KAFKA_CLASSPATH is set by scripts/services.sh");
    let topic = config.topic("Counter");
    let brokers = brokers();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("java")
            .args(["-Xmx128m", "-cp", &classpath])
            .arg("org.apache.kafka.tools.consumer.ConsoleConsumer")
            .args(["--bootstrap-server", &brokers, "--topic", &topic])
            .args([
                "--from-beginning",
                "--max-messages",
                "2",
                "--timeout-ms",
                "60000",
            ])
            .args([
                "--property",
                "print.key=true",
                "--property",
                "print.headers=true",
            ])
            .args([
                "--property",
                "key.separator=|",
                "--property",
                "headers.separator=;",
            ])
            .output()
    })
    .await
    .unwrap()
    .expect("java runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // headers|key|value, in the order the events were recorded.
    for (line, (sequence, event_type)) in lines.iter().zip([(1, "Started"), (2, "Bumped")]) {
        let mut parts = line.splitn(3, '|');
        let (headers, key, value) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        assert_eq!(key, "c1");
        for header in [
            format!("event_type:{event_type}"),
            "event_version:1".to_owned(),
            "aggregate_type:Counter".to_owned(),
            format!("sequence:{sequence}"),
            "correlation_id:req-42".to_owned(),
            format!("traceparent:{traceparent}"),
            "actor:clerk-3".to_owned(),
        ] {
            assert!(
                headers.split(';').any(|h| h == header),
                "{header} in {headers}"
            );
        }
        assert!(
            !headers.contains("causation_id"),
            "unset ids are left out: {headers}"
        );
        let envelope: Value = serde_json::from_str(value).unwrap();
        let fields: Vec<&str> = envelope
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            [
                "aggregate_id",
                "aggregate_type",
                "event_id",
                "event_type",
                "event_version",
                "metadata",
                "payload",
                "position",
                "sequence",
                "timestamp"
            ]
        );
        assert_eq!(envelope["sequence"], json!(sequence));
        assert_eq!(envelope["metadata"]["correlation_id"], json!("req-42"));
        assert_eq!(envelope["metadata"]["traceparent"], json!(traceparent));
        assert_eq!(envelope["metadata"]["actor"], json!("clerk-3"));
        assert!(headers.contains(envelope["event_id"].as_str().unwrap()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_poison_event_is_dead_lettered_and_later_events_still_apply() {
    let config = config();
    let service = service(&config).await;
    write(&service.dispatcher, 1, 2).await;
    // An event this code cannot read, as a bad deploy or a hand-edited row would leave, then
    // more events behind it.
    let poison = NewEvent {
        event_type: "Bumped".to_owned(),
        payload: json!({ "to": "three" }),
        ..new_event("c0", 4)
    };
    service.events.append(vec![poison]).await.unwrap();
    let later = NewEvent {
        event_type: "Bumped".to_owned(),
        payload: json!({ "to": 4 }),
        ..new_event("c0", 5)
    };
    service.events.append(vec![later]).await.unwrap();
    // And one more, the aggregate's last: nothing comes after it to move the marks on.
    let last = NewEvent {
        event_type: "Bumped".to_owned(),
        payload: json!({ "to": "six" }),
        ..new_event("c0", 6)
    };
    service.events.append(vec![last]).await.unwrap();
    service.relay.relay_pending().await.unwrap();

    let projectors = projectors(&config, &service);
    projectors.prepare().await.unwrap();
    let consuming = projectors.spawn();
    total_reaches(&service.read, 4).await;
    // The poison event is skipped, the one after it applied on top of what came before.
    tallies_reach_with(&service.read, "c0", (json!(4), json!(4))).await;
    // Set aside, the last one counts as handled: a reader waiting on the projections' progress
    // (a consistency token, a copy, a watch) goes past it.
    let handled = async {
        for (schema, name) in [(&Tally::SCHEMA, Tally::NAME), (&Total::SCHEMA, Total::NAME)] {
            while service
                .read
                .progress(schema, name, "Counter", "c0")
                .await
                .unwrap()
                < 6
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), handled)
        .await
        .expect("the marks move past an event set aside");

    // Both projections dead-lettered it, with the error and where it came from.
    for projection in ["tally", "total"] {
        let consumer: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers())
            .set("group.id", format!("{}inspect", config.topic_prefix))
            .set("auto.offset.reset", "earliest")
            .create()
            .unwrap();
        consumer
            .subscribe(&[&config.dead_letter_topic(projection)])
            .unwrap();
        let message = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
            .await
            .expect("a dead letter arrives")
            .unwrap();
        assert_eq!(message.key(), Some(&b"c0"[..]));
        let headers = message.headers().unwrap();
        let header = |name: &str| {
            headers
                .iter()
                .find(|h| h.key == name)
                .and_then(|h| h.value)
                .map(|v| String::from_utf8_lossy(v).into_owned())
        };
        assert_eq!(header("sequence").as_deref(), Some("4"));
        assert_eq!(header("dead_letter.topic"), Some(config.topic("Counter")));
        let error = header("dead_letter.error").unwrap();
        assert!(error.contains("Bumped"), "{error}");
        let envelope: Value = serde_json::from_slice(message.payload().unwrap()).unwrap();
        assert_eq!(envelope["payload"], json!({ "to": "three" }));
    }
    for task in consuming {
        task.abort();
    }
}

/// A rebuild while the consumers run and commands keep coming: the consumers switch to the
/// rebuilt generation, which ends up with a fold of the log and keeps following new events.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_while_consuming_switches_the_consumers_and_loses_nothing() {
    let config = config();
    let service = service(&config).await;
    let projectors = projectors(&config, &service);
    projectors.prepare().await.unwrap();
    let consuming = projectors.spawn();
    let relaying = service.relay.spawn();
    write(&service.dispatcher, 4, 20).await;
    tallies_reach(&service.read, 4, 20).await;

    let writing = {
        let dispatcher = service.dispatcher.clone();
        tokio::spawn(async move {
            for _ in 0..20 {
                bump_counters(&dispatcher, 4).await;
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        })
    };
    let rebuild = eventwright::engine::rebuild::Rebuild {
        events: Arc::clone(&service.events),
        read: Arc::clone(&service.read),
        projector: eventwright::engine::projector::<Tally>(),
        marks: eventwright::engine::Marks::PerAggregate,
        grace: Duration::from_millis(500),
    };
    assert_eq!(rebuild.run(|_| {}).await.unwrap().generation, 1);
    writing.await.unwrap();

    // Every event, before, during and after the switch, is in the new generation once.
    let generation: Arc<dyn ReadStore> = Arc::new(
        eventwright::store::generation::AtGeneration::new(Arc::clone(&service.read), 1),
    );
    tallies_reach(&generation, 4, 40).await;
    bump_counters(&service.dispatcher, 4).await;
    tallies_reach(&generation, 4, 41).await;
    total_reaches(&service.read, 4 * 42).await;
    relaying.abort();
    for task in consuming {
        task.abort();
    }
}

/// A projection deployed changed while its consumers' group has offsets: its task rebuilds it
/// from the log into a new generation before consuming, its queries answer `Rebuilding` until
/// then, and after the switch it consumes on from the group's offsets, every event in the new
/// generation once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_changed_projection_is_rebuilt_before_its_consumer_goes_on() {
    use eventwright::{PageRequest, QueryError, ReadModels};

    let config = config();
    let service = service(&config).await;
    let relaying = service.relay.spawn();
    let feed = || Arc::new(KafkaFeed::new(config.clone(), ["Counter"]));
    let engine = || {
        ProjectionEngine::new(
            Arc::clone(&service.read),
            Arc::clone(&service.events),
            feed(),
        )
        .with_retry_delay(Duration::from_millis(100))
    };
    let before = engine().with::<Tally>();
    before.prepare().await.unwrap();
    let consuming = before.spawn();
    write(&service.dispatcher, 3, 2).await;
    tallies_reach(&service.read, 3, 2).await;
    for task in consuming {
        task.abort();
    }

    let after = engine().with::<common::shapes::TallyListed>();
    after.prepare().await.unwrap();
    let models = ReadModels::new(Arc::clone(&service.read));
    let refused = models.get::<common::shapes::TallyListed>(&"c0").await;
    assert!(
        matches!(refused, Err(QueryError::Rebuilding { .. })),
        "{refused:?}"
    );
    let consuming = after.spawn();
    service
        .dispatcher
        .dispatch(Start { id: "c3".into() }, Metadata::default())
        .await
        .unwrap();
    let listed = tokio::time::timeout(Duration::from_secs(90), async {
        loop {
            let page = models
                .list::<common::shapes::TallyListed>("events", &1, &PageRequest::default())
                .await;
            match page {
                Ok(page) if page.items.len() == 4 => return page.items,
                Ok(_) | Err(QueryError::Rebuilding { .. }) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("{error}"),
            }
        }
    })
    .await
    .expect("the rebuilt projection lists every counter, the one started after it too");
    let ids: Vec<&str> = listed.iter().map(|row| row.id.as_str()).collect();
    assert_eq!(ids, ["c0", "c1", "c2", "c3"]);
    let status = after.status().await.unwrap();
    assert_eq!((status[0].generation, status[0].changed), (1, false));
    relaying.abort();
    for task in consuming {
        task.abort();
    }
}

/// A live query whose projections are fed through Kafka (per aggregate, the cards' and the
/// titles' topics interleaved as the consumers like), resumed mid-stream from its last token.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_watch_resumed_from_its_token_misses_and_repeats_nothing() {
    let config = config();
    let service = service(&config).await;
    let feed = Arc::new(KafkaFeed::new(config.clone(), ["Title", "Card"]));
    let engine = common::watches::engine(&service.read, &service.events, feed);
    let relaying = service.relay.spawn();
    common::watches::a_watch_resumed_from_its_token_misses_and_repeats_nothing(
        Arc::clone(&service.events),
        Arc::clone(&service.read),
        engine,
        || {},
    )
    .await;
    relaying.abort();
}

/// The warehouse's workflows fed through Kafka (a consumer group each, the orders' and the
/// stock's topics interleaved), through crashes and restarts that rebalance the groups.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workflows_settle_every_order_once_through_crashes_and_restarts() {
    let config = config();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("events.db").display());
    let store = Arc::new(SqliteEventStore::new(sqlite::connect(&url).await.unwrap()));
    store.prepare().await.unwrap();
    let events: Arc<dyn EventStore> = store.clone();
    let log = InProcBus::new(Arc::clone(&events)).with_poll_interval(Duration::from_millis(20));
    let sink = Arc::new(KafkaSink::new(&config).unwrap());
    let relay = OutboxRelay::new("kafka", Arc::clone(&events), log.clone(), sink)
        .with_retry_delay(Duration::from_millis(200));
    let relaying = relay.spawn();
    let feed = Arc::new(KafkaFeed::new(config.clone(), ["Order", "Stock"]));
    common::workflows::every_order_settles_once(
        events,
        store,
        Arc::new(log),
        feed,
        common::workflows::Restarts::BROKER,
    )
    .await;
    relaying.abort();
}

/// An event a workflow cannot read goes to the workflow's own dead-letter topic, named after
/// it, and the workflow goes on with the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_poison_event_for_a_workflow_is_dead_lettered_under_its_name() {
    use common::warehouse::{Fulfilment, PlaceOrder};
    use eventwright::store::WorkflowStore;
    use eventwright::workflow::WorkflowEngine;

    let config = config();
    let service = service(&config).await;
    let poison = NewEvent {
        aggregate_type: "Order".to_owned(),
        event_type: "Placed".to_owned(),
        payload: json!({ "sku": 7 }),
        ..new_event("o-bad", 1)
    };
    service.events.append(vec![poison]).await.unwrap();
    let place = PlaceOrder {
        id: "o-good".into(),
        sku: "apple".into(),
        quantity: 1,
    };
    service
        .dispatcher
        .dispatch(place, Metadata::default())
        .await
        .unwrap();
    service.relay.relay_pending().await.unwrap();
    let store = Arc::new(SqliteEventStore::new(
        sqlite::connect(&format!(
            "sqlite://{}",
            service._dir.path().join("events.db").display()
        ))
        .await
        .unwrap(),
    ));
    let feed = Arc::new(KafkaFeed::new(config.clone(), ["Order"]));
    let workflows = WorkflowEngine::new(service.dispatcher.clone(), store.clone(), feed)
        .with_process(Fulfilment)
        .with_retry_delay(Duration::from_millis(20));
    let running = workflows.spawn();
    // The good order's step ran: it sent its reservation, refused, since no stock was opened,
    // and the order is cancelled.
    let settled = async {
        loop {
            let instance = store.load_instance("fulfilment", "o-good").await.unwrap();
            if instance.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), settled)
        .await
        .expect("the event after the poison one is handled");
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", format!("{}inspect", config.topic_prefix))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer
        .subscribe(&[&config.dead_letter_topic("workflow.fulfilment")])
        .unwrap();
    let message = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
        .await
        .expect("a dead letter arrives")
        .unwrap();
    assert_eq!(message.key(), Some(&b"o-bad"[..]));
    let headers = message.headers().unwrap();
    let error = headers
        .iter()
        .find(|h| h.key == "dead_letter.error")
        .and_then(|h| h.value)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .unwrap();
    assert!(error.contains("workflow fulfilment"), "{error}");
    for task in running {
        task.abort();
    }
}
