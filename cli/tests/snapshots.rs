//! Every file generated for the Ordering example, pinned with insta. A change to a template shows
//! up here as a reviewable diff.

use std::path::Path;

use eventwright_cli::model;
use eventwright_cli::render::{Options, OutputFile, RuntimeSource, render};

#[test]
fn ordering_generates_these_files() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ordering.yaml");
    let model = model::load(&path).unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    let options = Options {
        // A fixed path keeps the snapshot independent of where the checkout lives.
        runtime: RuntimeSource::Path("/path/to/eventwright/runtime".into()),
        model_source: "# the model file, copied as is\n".to_owned(),
    };
    let files = render(&model, &options).expect("the model renders");
    let listing: Vec<String> = files
        .iter()
        .map(|f| format!("{:?} {}", f.owner, f.path.display()))
        .collect();
    insta::assert_snapshot!("ordering__files", listing.join("\n"));
    for file in files {
        let name = format!(
            "ordering__{}",
            file.path.display().to_string().replace(['/', '.'], "_")
        );
        insta::assert_snapshot!(name, file.contents);
    }
}

/// The template matrix: for every other available stack, its file listing when it differs from
/// the default stack's (PostgreSQL brings `docker-compose.yml` and SQL files), and each file
/// that differs or is new, pinned the same way.
#[test]
fn ordering_on_every_available_stack() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ordering.yaml");
    let mut model = model::load(&path).unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    let options = Options {
        runtime: RuntimeSource::Path("/path/to/eventwright/runtime".into()),
        model_source: "# the model file, copied as is\n".to_owned(),
    };
    let default = render(&model, &options).expect("the model renders");
    let listing = |files: &[OutputFile]| -> Vec<String> {
        files
            .iter()
            .map(|f| format!("{:?} {}", f.owner, f.path.display()))
            .collect()
    };
    for stack in &eventwright_cli::stacks::AVAILABLE[1..] {
        model.stores = *stack;
        let stack = eventwright_cli::stacks::name(stack);
        let files = render(&model, &options).expect("the model renders on every stack");
        if listing(&files) != listing(&default) {
            insta::assert_snapshot!(
                format!("ordering_{stack}__files"),
                listing(&files).join("\n")
            );
        }
        for file in &files {
            let base = default.iter().find(|base| base.path == file.path);
            if base.is_none_or(|base| base.contents != file.contents) {
                let name = format!(
                    "ordering_{stack}__{}",
                    file.path.display().to_string().replace(['/', '.'], "_")
                );
                insta::assert_snapshot!(name, file.contents);
            }
        }
    }
}

/// A state-stored aggregate (Inventory's `Item`): the attribute that makes it one, and the
/// container `serde(default)` that lets rows written before a new state field still load.
#[test]
fn a_state_stored_aggregate_module() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/inventory.yaml");
    let model = model::load(&path).unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    let options = Options {
        runtime: RuntimeSource::Path("/path/to/eventwright/runtime".into()),
        model_source: "# the model file, copied as is\n".to_owned(),
    };
    let files = render(&model, &options).expect("the model renders");
    let item = files
        .iter()
        .find(|file| file.path == Path::new("src/item/mod.rs"))
        .expect("the Item module");
    insta::assert_snapshot!("inventory__src_item_mod_rs", item.contents);
}

/// A command that reads another aggregate (the library's loan reads the member): the
/// `Decision` struct marking each id it reads, its `Decide` impl in the handler file, the
/// unique ISBN, and the given/when/then tests over both aggregates. And projections over both
/// aggregates' events: `MemberLoans`, and `ActiveLoans`, which copies fields from the rows of
/// the other two.
#[test]
fn a_decision_over_two_aggregates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/library.yaml");
    let model = model::load(&path).unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    let options = Options {
        runtime: RuntimeSource::Path("/path/to/eventwright/runtime".into()),
        model_source: "# the model file, copied as is\n".to_owned(),
    };
    let files = render(&model, &options).expect("the model renders");
    for (path, name) in [
        ("src/book/mod.rs", "library__src_book_mod_rs"),
        ("src/book/handlers.rs", "library__src_book_handlers_rs"),
        ("tests/book.rs", "library__tests_book_rs"),
        ("src/api.rs", "library__src_api_rs"),
        (
            "src/projections/member_loans.rs",
            "library__src_projections_member_loans_rs",
        ),
        (
            "src/projections/active_loans.rs",
            "library__src_projections_active_loans_rs",
        ),
    ] {
        let file = files
            .iter()
            .find(|file| file.path == Path::new(path))
            .unwrap_or_else(|| panic!("no {path}"));
        insta::assert_snapshot!(name, file.contents);
    }
}

/// Commands that read facts (a course's seats, one student's subscription): the facts module,
/// the events' tags, the `Decision` marking each tag it reads, its `Decide` impl checking the
/// facts, and the given/when/then tests giving the facts' events.
#[test]
fn a_decision_over_facts() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/courses.yaml");
    let model = model::load(&path).unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    let options = Options {
        runtime: RuntimeSource::Path("/path/to/eventwright/runtime".into()),
        model_source: "# the model file, copied as is\n".to_owned(),
    };
    let files = render(&model, &options).expect("the model renders");
    for (path, name) in [
        ("src/facts.rs", "courses__src_facts_rs"),
        ("src/student/mod.rs", "courses__src_student_mod_rs"),
        (
            "src/student/handlers.rs",
            "courses__src_student_handlers_rs",
        ),
        ("tests/student.rs", "courses__tests_student_rs"),
    ] {
        let file = files
            .iter()
            .find(|file| file.path == Path::new(path))
            .unwrap_or_else(|| panic!("no {path}"));
        insta::assert_snapshot!(name, file.contents);
    }
}

/// Snapshots `files` (path, snapshot name) of `example` rendered on `stores`.
fn snapshot_on(example: &str, stores: eventwright_cli::model::ir::Stores, files: &[(&str, &str)]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(example);
    let mut model = model::load(&path).unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    model.stores = stores;
    let options = Options {
        runtime: RuntimeSource::Path("/path/to/eventwright/runtime".into()),
        model_source: "# the model file, copied as is\n".to_owned(),
    };
    let rendered = render(&model, &options).expect("the model renders");
    for (path, name) in files {
        let file = rendered
            .iter()
            .find(|file| file.path == Path::new(path))
            .unwrap_or_else(|| panic!("no {path}"));
        insta::assert_snapshot!(*name, file.contents);
    }
}

/// Personal data (the clinic's patients): the rules sealing each field, the shredder wrapping
/// the event store, `forget` and what it rebuilds, and the README's account of it.
#[test]
fn personal_data_on_postgres_and_kafka() {
    use eventwright_cli::model::ir::{Broker, ReadStore, Stores, WriteStore};
    let stores = Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Postgres,
        broker: Broker::Kafka,
    };
    snapshot_on(
        "clinic.yaml",
        stores,
        &[
            ("src/lib.rs", "clinic_personal__src_lib_rs"),
            ("src/main.rs", "clinic_personal__src_main_rs"),
            ("README.md", "clinic_personal__README_md"),
        ],
    );
}

/// Tenants (the inventory's companies), on PostgreSQL, Cassandra and Kafka: a schema, a
/// keyspace and topics per tenant (`Config::for_tenant`), every route reaching the caller's
/// tenant's app, `--tenants` and `token`, the project's own test that tenants stay apart, and
/// the README's account of it.
#[test]
fn tenants_on_postgres_cassandra_and_kafka() {
    use eventwright_cli::model::ir::{Broker, ReadStore, Stores, WriteStore};
    let stores = Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Cassandra,
        broker: Broker::Kafka,
    };
    snapshot_on(
        "inventory.yaml",
        stores,
        &[
            ("src/lib.rs", "inventory_tenants__src_lib_rs"),
            ("src/api.rs", "inventory_tenants__src_api_rs"),
            ("src/main.rs", "inventory_tenants__src_main_rs"),
            ("tests/http.rs", "inventory_tenants__tests_http_rs"),
            ("README.md", "inventory_tenants__README_md"),
        ],
    );
}
