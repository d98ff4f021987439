//! Generated Rust is rustfmt-clean as rendered. `eventwright new` and `generate` (and the
//! end-to-end tests, which create projects the same way) run rustfmt over it before writing, so
//! this test is what holds the templates themselves to rustfmt: a project made without rustfmt
//! installed is as well formatted, and regeneration never churns formatting.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use eventwright_cli::model;
use eventwright_cli::render::{Options, RuntimeSource, render};

fn rustfmt(source: &str) -> String {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rustfmt is installed (rustup component add rustfmt)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(source.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "rustfmt rejected the code:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn every_generated_rust_file_is_already_formatted() {
    let mut unformatted = Vec::new();
    for example in [
        "ordering.yaml",
        "inventory.yaml",
        "library.yaml",
        "courses.yaml",
        "clinic.yaml",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples")
            .join(example);
        let mut model = model::load(&path).unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
        let options = Options {
            runtime: RuntimeSource::Version("0.1.0".into()),
            model_source: String::new(),
        };
        let mut files = Vec::new();
        for stack in eventwright_cli::stacks::AVAILABLE {
            model.stores = *stack;
            let label = format!("{example} on {}", eventwright_cli::stacks::name(stack));
            files.extend(
                render(&model, &options)
                    .unwrap()
                    .into_iter()
                    .map(|file| (label.clone(), file)),
            );
        }
        for (example, file) in files {
            if file.path.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            let formatted = rustfmt(&file.contents);
            if formatted != file.contents {
                let first = file
                    .contents
                    .lines()
                    .zip(formatted.lines())
                    .position(|(written, wanted)| written != wanted)
                    .map_or(0, |index| index + 1);
                let dump = std::env::temp_dir()
                    .join("eventwright-rustfmt")
                    .join(&example)
                    .join(&file.path);
                std::fs::create_dir_all(dump.parent().unwrap()).unwrap();
                std::fs::write(&dump, &file.contents).unwrap();
                std::fs::write(dump.with_extension("rs.formatted"), &formatted).unwrap();
                unformatted.push(format!(
                    "{example}: {} differs from line {first}",
                    file.path.display()
                ));
            }
        }
    }
    assert!(
        unformatted.is_empty(),
        "not rustfmt-clean as written:\n{}",
        unformatted.join("\n")
    );
}
