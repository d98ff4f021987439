//! The store and broker combinations a generated service can be built on.

use crate::model::ir::{Broker, ReadStore, Stores, WriteStore};

/// Every write store × read store × broker combination whose adapters exist. The template matrix
/// (snapshots, `cargo check`, clippy) is driven by this list, so a new adapter joins it here.
pub const AVAILABLE: &[Stores] = &[
    Stores {
        write: WriteStore::Sqlite,
        read: ReadStore::Sqlite,
        broker: Broker::Inproc,
    },
    Stores {
        write: WriteStore::Sqlite,
        read: ReadStore::Postgres,
        broker: Broker::Inproc,
    },
    Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Sqlite,
        broker: Broker::Inproc,
    },
    Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Postgres,
        broker: Broker::Inproc,
    },
    Stores {
        write: WriteStore::Sqlite,
        read: ReadStore::Sqlite,
        broker: Broker::Kafka,
    },
    Stores {
        write: WriteStore::Sqlite,
        read: ReadStore::Postgres,
        broker: Broker::Kafka,
    },
    Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Sqlite,
        broker: Broker::Kafka,
    },
    Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Postgres,
        broker: Broker::Kafka,
    },
    Stores {
        write: WriteStore::Sqlite,
        read: ReadStore::Cassandra,
        broker: Broker::Inproc,
    },
    Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Cassandra,
        broker: Broker::Inproc,
    },
    Stores {
        write: WriteStore::Sqlite,
        read: ReadStore::Cassandra,
        broker: Broker::Kafka,
    },
    Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Cassandra,
        broker: Broker::Kafka,
    },
];

/// `sqlite-postgres-inproc`: a name for file and snapshot names.
pub fn name(stores: &Stores) -> String {
    words(stores).join("-")
}

/// The write store, read store and broker as the model file spells them.
pub fn words(stores: &Stores) -> [&'static str; 3] {
    let write = match stores.write {
        WriteStore::Sqlite => "sqlite",
        WriteStore::Postgres => "postgres",
    };
    let read = match stores.read {
        ReadStore::Sqlite => "sqlite",
        ReadStore::Postgres => "postgres",
        ReadStore::Cassandra => "cassandra",
    };
    let broker = match stores.broker {
        Broker::Inproc => "inproc",
        Broker::Kafka => "kafka",
    };
    [write, read, broker]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_stack_comes_first_and_names_are_distinct() {
        assert_eq!(
            AVAILABLE[0],
            Stores {
                write: WriteStore::Sqlite,
                read: ReadStore::Sqlite,
                broker: Broker::Inproc
            }
        );
        let mut names: Vec<String> = AVAILABLE.iter().map(name).collect();
        names.dedup();
        assert_eq!(names.len(), AVAILABLE.len());
    }
}
