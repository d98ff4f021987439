use super::*;
use crate::tree::Memory;

fn generated(path: &str, contents: &str) -> OutputFile {
    OutputFile {
        path: path.into(),
        contents: contents.to_owned(),
        owner: Owner::Generated,
    }
}

fn user(path: &str, contents: &str) -> OutputFile {
    OutputFile {
        owner: Owner::User,
        ..generated(path, contents)
    }
}

/// A project as eventwright first writes it.
fn project(files: &[OutputFile]) -> Memory {
    let mut tree = Memory::default();
    plan(files, &tree).unwrap().apply(&mut tree, false).unwrap();
    tree
}

fn text(tree: &Memory, path: &str) -> Option<String> {
    tree.files
        .get(Path::new(path))
        .map(|b| String::from_utf8(b.clone()).unwrap())
}

fn actions(plan: &Plan) -> Vec<(String, &'static str)> {
    plan.steps
        .iter()
        .map(|s| {
            let name = match s.action {
                Action::Create { .. } => "create",
                Action::Update { .. } => "update",
                Action::Unchanged => "unchanged",
                Action::Keep => "keep",
                Action::KeepLacking { .. } => "keep-lacking",
                Action::Edited { .. } => "edited",
                Action::Remove { .. } => "remove",
                Action::EditedObsolete { .. } => "edited-obsolete",
                Action::Obsolete => "obsolete",
                Action::DeletedByUser => "deleted",
            };
            (s.path.display().to_string(), name)
        })
        .collect()
}

#[test]
fn a_fresh_project_is_created_with_a_manifest_and_is_then_up_to_date() {
    let files = [generated("src/lib.rs", "v1"), user("src/handlers.rs", "h1")];
    let tree = project(&files);
    let manifest = Manifest::parse(&tree.files[Path::new(manifest::PATH)]).unwrap();
    assert_eq!(
        manifest.get(Path::new("src/lib.rs")).unwrap().sha256,
        Some(manifest::checksum(b"v1"))
    );
    let again = plan(&files, &tree).unwrap();
    assert!(!again.is_stale(), "{again:?}");
    assert_eq!(
        actions(&again),
        [
            ("src/lib.rs".into(), "unchanged"),
            ("src/handlers.rs".into(), "keep")
        ]
    );
}

#[test]
fn untouched_generated_files_follow_the_model_and_user_files_never_do() {
    let mut tree = project(&[generated("src/lib.rs", "v1"), user("src/handlers.rs", "h1")]);
    tree.write(Path::new("src/handlers.rs"), b"my code")
        .unwrap();
    let next = [
        generated("src/lib.rs", "v2"),
        user("src/handlers.rs", "h2"),
        user("src/new_handlers.rs", "n"),
    ];
    let plan = plan(&next, &tree).unwrap();
    assert!(plan.is_stale());
    assert_eq!(
        actions(&plan),
        [
            ("src/lib.rs".into(), "update"),
            ("src/handlers.rs".into(), "keep"),
            ("src/new_handlers.rs".into(), "create"),
        ]
    );
    plan.apply(&mut tree, false).unwrap();
    assert_eq!(text(&tree, "src/lib.rs").unwrap(), "v2");
    assert_eq!(text(&tree, "src/handlers.rs").unwrap(), "my code");
    assert_eq!(text(&tree, "src/new_handlers.rs").unwrap(), "n");
    assert!(!super::plan(&next, &tree).unwrap().is_stale());
}

#[test]
fn a_hand_edited_generated_file_is_a_conflict_shown_as_a_diff() {
    let mut tree = project(&[generated("src/lib.rs", "one\ntwo\n")]);
    tree.write(Path::new("src/lib.rs"), b"one\nmine\n").unwrap();
    let next = [generated("src/lib.rs", "one\nthree\n")];
    let plan = plan(&next, &tree).unwrap();
    assert_eq!(actions(&plan), [("src/lib.rs".into(), "edited")]);
    let diff = plan.steps[0].diff().unwrap();
    assert!(diff.contains("-mine\n+three\n"), "{diff}");
    assert!(diff.contains("--- a/src/lib.rs"), "{diff}");

    let before = tree.clone();
    let error = plan.apply(&mut tree, false).unwrap_err();
    assert!(matches!(error, RegenerateError::Conflicts(1)), "{error}");
    assert_eq!(tree, before, "nothing is written on a conflict");

    plan.apply(&mut tree, true).unwrap();
    assert_eq!(text(&tree, "src/lib.rs").unwrap(), "one\nthree\n");
    assert!(!super::plan(&next, &tree).unwrap().is_stale());
}

#[test]
fn the_edit_is_still_detected_when_the_model_has_not_changed() {
    let files = [generated("src/lib.rs", "v1")];
    let mut tree = project(&files);
    tree.write(Path::new("src/lib.rs"), b"mine").unwrap();
    let plan = plan(&files, &tree).unwrap();
    assert_eq!(actions(&plan), [("src/lib.rs".into(), "edited")]);
    assert!(plan.is_stale());
}

#[test]
fn files_the_model_no_longer_has_generated_ones_go_user_ones_are_reported() {
    let mut tree = project(&[
        generated("src/projections/history.rs", "h"),
        generated("src/projections/edited.rs", "e"),
        user("src/order/handlers.rs", "mine"),
    ]);
    tree.write(Path::new("src/projections/edited.rs"), b"changed")
        .unwrap();
    let plan = plan(&[], &tree).unwrap();
    let mut seen = actions(&plan);
    seen.sort();
    assert_eq!(
        seen,
        [
            ("src/order/handlers.rs".into(), "obsolete"),
            ("src/projections/edited.rs".into(), "edited-obsolete"),
            ("src/projections/history.rs".into(), "remove"),
        ]
    );
    assert!(plan.apply(&mut tree.clone(), false).is_err());
    plan.apply(&mut tree, true).unwrap();
    assert_eq!(text(&tree, "src/projections/history.rs"), None);
    assert_eq!(text(&tree, "src/projections/edited.rs"), None);
    assert_eq!(
        text(&tree, "src/order/handlers.rs").unwrap(),
        "mine",
        "user files are never deleted"
    );
    let after = super::plan(&[], &tree).unwrap();
    assert_eq!(
        actions(&after),
        [("src/order/handlers.rs".into(), "obsolete")],
        "it is reported until the user deletes it"
    );
}

#[test]
fn a_user_file_the_user_deleted_is_not_recreated() {
    let files = [user("tests/http.rs", "t")];
    let mut tree = project(&files);
    tree.remove(Path::new("tests/http.rs")).unwrap();
    let plan = plan(&files, &tree).unwrap();
    assert_eq!(actions(&plan), [("tests/http.rs".into(), "deleted")]);
    assert!(!plan.is_stale());
    plan.apply(&mut tree, false).unwrap();
    assert_eq!(text(&tree, "tests/http.rs"), None);
}

#[test]
fn without_a_manifest_a_differing_generated_file_counts_as_edited() {
    let mut tree = Memory::default();
    tree.write(Path::new("src/lib.rs"), b"old").unwrap();
    tree.write(Path::new("src/same.rs"), b"same").unwrap();
    let plan = plan(
        &[
            generated("src/lib.rs", "new"),
            generated("src/same.rs", "same"),
        ],
        &tree,
    )
    .unwrap();
    assert_eq!(
        actions(&plan),
        [
            ("src/lib.rs".into(), "edited"),
            ("src/same.rs".into(), "unchanged")
        ]
    );
    assert!(plan.manifest_stale);
}

#[test]
fn a_deleted_generated_file_is_recreated() {
    let files = [generated("src/lib.rs", "v1")];
    let mut tree = project(&files);
    tree.remove(Path::new("src/lib.rs")).unwrap();
    let plan = plan(&files, &tree).unwrap();
    assert_eq!(actions(&plan), [("src/lib.rs".into(), "create")]);
}

#[test]
fn an_older_cargo_toml_is_kept_and_told_what_the_generated_code_now_needs() {
    let before = "[dependencies]\nserde = \"1\"\n";
    let tree = project(&[user("Cargo.toml", before)]);
    let now = "[dependencies]\nserde = \"1\"\ntracing = \"0.1\"\n";
    let plan = plan(&[user("Cargo.toml", now)], &tree).unwrap();
    assert_eq!(actions(&plan), [("Cargo.toml".to_owned(), "keep-lacking")]);
    let step = &plan.steps[0];
    assert!(step.is_notable());
    assert_eq!(
        step.to_string(),
        "keep      Cargo.toml (yours), but the generated code now needs you to:\n            \
         add to [dependencies]: tracing = \"0.1\""
    );
    let mut tree = tree;
    plan.apply(&mut tree, false).unwrap();
    assert_eq!(
        text(&tree, "Cargo.toml").as_deref(),
        Some(before),
        "never rewritten"
    );
}
