//! `eventwright generate` in a project made by `eventwright new`: the model changes, the user's
//! code stays, and the compiler says what the user has to add.

use std::path::Path;
use std::process::Command;

use crate::support::{
    edit_model, eventwright_in, expect_code, new_ordering, read, stderr, stdout, workspace,
};

/// The files a user owns in the Ordering project, with their contents.
fn user_files(project: &Path) -> Vec<(String, String)> {
    [
        "Cargo.toml",
        ".gitignore",
        "src/order/handlers.rs",
        "tests/order.rs",
        "tests/http.rs",
    ]
    .into_iter()
    .map(|path| (path.to_owned(), read(project, path)))
    .collect()
}

#[test]
fn a_fresh_project_is_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let project = new_ordering(dir.path());
    assert!(project.join(".eventwright/manifest.json").is_file());
    let check = eventwright_in(&project, &["generate", "--check"]);
    expect_code(&check, 0);
    assert!(stdout(&check).contains("up to date"), "{}", stdout(&check));
    // From a subdirectory too, as cargo finds its manifest.
    let nested = eventwright_in(&project.join("src/order"), &["generate", "--check"]);
    expect_code(&nested, 0);
}

#[test]
fn the_stack_chosen_at_new_is_the_one_generate_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("ordering");
    let created = crate::support::eventwright(&[
        "new",
        &crate::support::example("ordering.yaml"),
        "--out",
        project.to_str().unwrap(),
        "--write-store",
        "postgres",
        "--read-store",
        "postgres",
    ]);
    expect_code(&created, 0);
    let model = read(&project, "eventwright.yaml");
    assert!(
        model.contains("stores: { write: postgres, read: postgres }"),
        "{model}"
    );
    assert!(read(&project, "src/lib.rs").contains("PostgresEventStore"));
    let check = eventwright_in(&project, &["generate", "--check"]);
    expect_code(&check, 0);
    let validate = eventwright_in(&project, &["validate", "eventwright.yaml"]);
    expect_code(&validate, 0);
}

#[test]
fn outside_a_project_generate_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = eventwright_in(dir.path(), &["generate"]);
    expect_code(&output, 2);
    assert!(
        stderr(&output).contains("no eventwright.yaml"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_hand_edited_generated_file_is_shown_and_kept_until_forced() {
    let dir = tempfile::tempdir().unwrap();
    let project = new_ordering(dir.path());
    let main = project.join("src/main.rs");
    let edited = format!("{}// my tweak\n", read(&project, "src/main.rs"));
    std::fs::write(&main, &edited).unwrap();

    let check = eventwright_in(&project, &["generate", "--check"]);
    expect_code(&check, 1);
    assert!(
        stdout(&check).contains("EDITED    src/main.rs"),
        "{}",
        stdout(&check)
    );

    let dry = eventwright_in(&project, &["generate", "--dry-run"]);
    expect_code(&dry, 0);
    assert!(stdout(&dry).contains("-// my tweak"), "{}", stdout(&dry));

    let refused = eventwright_in(&project, &["generate"]);
    expect_code(&refused, 1);
    assert!(
        stderr(&refused).contains("-// my tweak"),
        "{}",
        stderr(&refused)
    );
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    assert_eq!(
        read(&project, "src/main.rs"),
        edited,
        "nothing is overwritten"
    );

    let forced = eventwright_in(&project, &["generate", "--force"]);
    expect_code(&forced, 0);
    assert!(!read(&project, "src/main.rs").contains("my tweak"));
    expect_code(&eventwright_in(&project, &["generate", "--check"]), 0);
}

const NEW_COMMAND: &str = "      ReopenOrder:
        guards:
          - { field: status, equals: Cancelled, message: \"only a cancelled order can be reopened\" }
        emits: [OrderReopened]
    events:
";

const NEW_EVENT: &str = "      OrderReopened:
        apply:
          set_const: { status: Draft }

projections:
";

const HANDLER: &str = "
impl Handle<ReopenOrder> for Order {
    fn handle(&self, _command: &ReopenOrder) -> Result<Vec<OrderEvent>, Rejection> {
        Ok(vec![OrderReopened {}.into()])
    }
}
";

/// The whole loop of issue 7: edit the model (a command, a field, a projection less),
/// regenerate, find the user's code untouched and the compiler asking for the new handler.
#[test]
fn model_edits_reach_user_code_through_the_compiler() {
    let dir = tempfile::tempdir().unwrap();
    let project = new_ordering(dir.path());
    let before = user_files(&project);

    edit_model(&project, "    events:\n", NEW_COMMAND);
    edit_model(&project, "\nprojections:\n", &format!("\n{NEW_EVENT}"));
    // A field: the history shows why an order was cancelled.
    edit_model(
        &project,
        "      status: OrderStatus\n      placed_at: timestamp\n    on:",
        "      status: OrderStatus\n      placed_at: timestamp\n      reason: optional<string>\n    on:",
    );
    edit_model(
        &project,
        "      OrderCancelled:\n        set_const: { status: Cancelled }\n\nqueries:",
        "      OrderCancelled:\n        set: { reason: reason }\n        set_const: { status: Cancelled }\n\nqueries:",
    );
    // A projection less: OrderSummary and its queries go.
    let model = read(&project, "eventwright.yaml");
    let start = model.find("  OrderSummary:\n").unwrap();
    let end = model.find("  OrderHistory:\n").unwrap();
    let model = format!("{}{}", &model[..start], &model[end..])
        .replace(
            "  order_summary: { projection: OrderSummary, get_by: order_id }\n",
            "",
        )
        .replace(
            "  orders_with_product: { projection: OrderSummary, list_by: lines.product_id }\n",
            "",
        );
    assert!(!model.contains("projection: OrderSummary"), "{model}");
    std::fs::write(project.join("eventwright.yaml"), model).unwrap();

    let stale = eventwright_in(&project, &["generate", "--check"]);
    expect_code(&stale, 1);
    let listing = stdout(&stale);
    for line in [
        "update    src/order/mod.rs",
        "update    src/projections/order_history.rs",
        "remove    src/projections/order_summary.rs",
    ] {
        assert!(listing.contains(line), "{line}:\n{listing}");
    }

    let generated = eventwright_in(&project, &["generate"]);
    expect_code(&generated, 0);
    assert_eq!(user_files(&project), before, "user files are untouched");
    assert!(!project.join("src/projections/order_summary.rs").exists());
    assert!(read(&project, "src/order/mod.rs").contains("pub struct ReopenOrder"));
    expect_code(&eventwright_in(&project, &["generate", "--check"]), 0);

    // No silent default: the build names the handler the user has to write...
    let failed = cargo_check(&project);
    assert!(
        !failed.status.success(),
        "the build must fail without the handler"
    );
    let errors = stderr(&failed);
    assert!(
        errors.contains("ReopenOrder") && errors.contains("Handle"),
        "the error names the missing handler:\n{errors}"
    );
    assert!(
        errors.contains("src/<aggregate>/handlers.rs"),
        "the error says where the handler goes:\n{errors}"
    );
    assert_eq!(
        errors.matches("error[").count(),
        1,
        "the missing handler is reported once:\n{errors}"
    );
    // ...and builds once it is there.
    let handlers = project.join("src/order/handlers.rs");
    let mut code = read(&project, "src/order/handlers.rs");
    code.push_str(HANDLER);
    std::fs::write(&handlers, code).unwrap();
    let built = cargo_check(&project);
    assert!(built.status.success(), "{}", stderr(&built));
    expect_code(&eventwright_in(&project, &["generate", "--check"]), 0);
}

/// `cargo check` in a generated project, with the target dir the end-to-end tests share.
fn cargo_check(project: &Path) -> std::process::Output {
    let target = std::env::var_os("EVENTWRIGHT_E2E_TARGET")
        .map_or_else(|| workspace().join("target/generated"), Into::into);
    Command::new(env!("CARGO"))
        .arg("check")
        .current_dir(project)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs")
}
