//! Formatting generated Rust in memory, before it is written, so that the bytes on disk, the
//! bytes compared on regeneration and the checksum in the manifest are the same bytes.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::render::OutputFile;

/// Runs rustfmt over every `.rs` file, as `cargo fmt` would in `project` (whose `rustfmt.toml`,
/// if any, applies). Returns a note when rustfmt is missing or fails; files it could not format
/// keep their rendered text, which the templates keep rustfmt-clean anyway.
pub fn rust_files(files: &mut [OutputFile], project: &Path) -> Option<String> {
    let mut note = None;
    for file in files
        .iter_mut()
        .filter(|f| f.path.extension().is_some_and(|ext| ext == "rs"))
    {
        match rustfmt(&file.contents, project) {
            Ok(formatted) => file.contents = formatted,
            Err(reason) => {
                note.get_or_insert(format!(
                    "{} left as rendered: {reason}",
                    file.path.display()
                ));
            }
        }
    }
    note
}

fn rustfmt(source: &str, project: &Path) -> Result<String, String> {
    // Only a directory that exists can be the working directory; its parents are searched
    // for a rustfmt.toml just as they would be for a file inside it.
    let dir = project
        .ancestors()
        .find(|dir| dir.is_dir())
        .unwrap_or(Path::new("."));
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("rustfmt is not available ({error})"))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    // rustfmt reads all of stdin before writing, so writing first cannot deadlock.
    stdin
        .write_all(source.as_bytes())
        .map_err(|error| format!("cannot feed rustfmt: {error}"))?;
    drop(stdin);
    let output = child
        .wait_with_output()
        .map_err(|error| format!("rustfmt failed: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt rejected it: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| "rustfmt printed invalid UTF-8".to_owned())
}
