//! Regeneration: compare what the model renders to what the project holds and what the manifest
//! says eventwright last wrote, decide what to do with each file, then do it.
//!
//! The rules, which keep the model the source of truth without ever losing the user's code:
//! - a generated file is replaced when it is exactly what eventwright last wrote; a generated
//!   file edited by hand is a conflict, shown as a diff and replaced only with `force`;
//! - a user file is created when it is new to the project and otherwise never touched — not
//!   even recreated after the user deleted it;
//! - a generated file the model no longer renders is removed (unless edited); a user file the
//!   model no longer renders is reported, never deleted.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::manifest::{self, EntryOwner, Manifest, key};
use crate::render::{OutputFile, Owner};
use crate::tree::Tree;

/// What regeneration does, or would do, to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A file new to the project.
    Create { owner: Owner, contents: String },
    /// A generated file that changes, and was not edited by hand since it was written.
    Update { old: Vec<u8>, contents: String },
    /// A generated file that is already up to date.
    Unchanged,
    /// A user file that exists: never touched.
    Keep,
    /// The project's own `Cargo.toml`, kept, but lacking what the generated code now needs.
    KeepLacking { missing: Vec<String> },
    /// A generated file edited by hand: replaced only with `force`.
    Edited { old: Vec<u8>, contents: String },
    /// A generated file the model no longer has, untouched since it was written.
    Remove { old: Vec<u8> },
    /// A generated file the model no longer has, edited by hand: removed only with `force`.
    EditedObsolete { old: Vec<u8> },
    /// A user file the model no longer has: reported, never deleted.
    Obsolete,
    /// A user file eventwright created once and the user deleted: not recreated.
    DeletedByUser,
}

/// One file and what happens to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub path: PathBuf,
    pub action: Action,
}

/// Everything regeneration would do, and the manifest it would leave behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub manifest: Manifest,
    /// Whether the manifest on disk differs from [`Plan::manifest`] (or is missing).
    pub manifest_stale: bool,
}

/// Why regeneration did not write.
#[derive(Debug, thiserror::Error)]
pub enum RegenerateError {
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(
        "{0} generated file(s) were edited by hand; nothing was written. Move the changes into \
         your own files (handlers.rs, tests/), or pass --force to replace them"
    )]
    Conflicts(usize),
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> RegenerateError {
    let path = path.to_path_buf();
    move |source| RegenerateError::Io {
        action,
        path,
        source,
    }
}

/// Reads the manifest of the project in `tree`, if it has one.
pub fn read_manifest(tree: &dyn Tree) -> Result<Option<Manifest>, RegenerateError> {
    let path = Path::new(manifest::PATH);
    match tree.read(path).map_err(io_error("read", path))? {
        Some(bytes) => Ok(Some(Manifest::parse(&bytes)?)),
        None => Ok(None),
    }
}

/// Decides what to do with every rendered file and every file the manifest remembers.
///
/// Without a manifest (a project generated before manifests existed), a generated file that
/// differs from the rendering cannot be told apart from a hand edit, so it counts as one.
pub fn plan(files: &[OutputFile], tree: &dyn Tree) -> Result<Plan, RegenerateError> {
    let old = read_manifest(tree)?;
    let mut manifest = Manifest::default();
    let mut steps = Vec::new();
    for file in files {
        let recorded = old.as_ref().and_then(|m| m.get(&file.path));
        let current = tree
            .read(&file.path)
            .map_err(io_error("read", &file.path))?;
        let action = match (file.owner, current) {
            (Owner::User, Some(current)) => {
                let missing = if file.path == Path::new("Cargo.toml") {
                    crate::cargo_toml::missing(&file.contents, &String::from_utf8_lossy(&current))
                } else {
                    Vec::new()
                };
                if missing.is_empty() {
                    Action::Keep
                } else {
                    Action::KeepLacking { missing }
                }
            }
            (Owner::User, None) if recorded.is_some() => Action::DeletedByUser,
            (owner, None) => Action::Create {
                owner,
                contents: file.contents.clone(),
            },
            (Owner::Generated, Some(old)) if old == file.contents.as_bytes() => Action::Unchanged,
            (Owner::Generated, Some(old)) => {
                let untouched = recorded.and_then(|e| e.sha256.as_deref())
                    == Some(manifest::checksum(&old).as_str());
                let contents = file.contents.clone();
                if untouched {
                    Action::Update { old, contents }
                } else {
                    Action::Edited { old, contents }
                }
            }
        };
        // The manifest records what is on disk afterwards: for a kept user file that is
        // unknown and does not matter; for an edited generated file left alone, its old
        // checksum stays so the edit is still detected next time.
        match &action {
            Action::Edited { .. } => {
                if let Some(entry) = recorded {
                    manifest.files.insert(key(&file.path), entry.clone());
                }
            }
            _ => manifest.record(&file.path, file.owner, file.contents.as_bytes()),
        }
        steps.push(Step {
            path: file.path.clone(),
            action,
        });
    }
    for (path, entry) in old.iter().flat_map(Manifest::paths) {
        if files.iter().any(|f| f.path == path) {
            continue;
        }
        let Some(current) = tree.read(&path).map_err(io_error("read", &path))? else {
            continue;
        };
        let action = match entry.owner {
            EntryOwner::User => {
                manifest.files.insert(key(&path), entry.clone());
                Action::Obsolete
            }
            EntryOwner::Generated
                if entry.sha256.as_deref() == Some(manifest::checksum(&current).as_str()) =>
            {
                Action::Remove { old: current }
            }
            EntryOwner::Generated => {
                manifest.files.insert(key(&path), entry.clone());
                Action::EditedObsolete { old: current }
            }
        };
        steps.push(Step { path, action });
    }
    let manifest_stale = old.as_ref().is_none_or(|old| old.files != manifest.files);
    Ok(Plan {
        steps,
        manifest,
        manifest_stale,
    })
}

impl Plan {
    /// Generated files edited by hand that only `force` replaces or removes.
    pub fn conflicts(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| {
                matches!(
                    s.action,
                    Action::Edited { .. } | Action::EditedObsolete { .. }
                )
            })
            .count()
    }

    /// Whether the project differs from what the model renders (what `--check` fails on).
    pub fn is_stale(&self) -> bool {
        self.manifest_stale
            || self.steps.iter().any(|s| {
                matches!(
                    s.action,
                    Action::Create { .. }
                        | Action::Update { .. }
                        | Action::Edited { .. }
                        | Action::Remove { .. }
                        | Action::EditedObsolete { .. }
                )
            })
    }

    /// Carries out the plan. With conflicts and without `force`, writes nothing.
    pub fn apply(&self, tree: &mut dyn Tree, force: bool) -> Result<(), RegenerateError> {
        if !force && self.conflicts() > 0 {
            return Err(RegenerateError::Conflicts(self.conflicts()));
        }
        let mut manifest = self.manifest.clone();
        for step in &self.steps {
            let path = &step.path;
            match &step.action {
                Action::Create { contents, .. }
                | Action::Update { contents, .. }
                | Action::Edited { contents, .. } => {
                    tree.write(path, contents.as_bytes())
                        .map_err(io_error("write", path))?;
                    if let Action::Edited { .. } = step.action {
                        manifest.record(path, Owner::Generated, contents.as_bytes());
                    }
                }
                Action::Remove { .. } | Action::EditedObsolete { .. } => {
                    tree.remove(path).map_err(io_error("remove", path))?;
                    manifest.files.remove(&key(path));
                }
                Action::Unchanged
                | Action::Keep
                | Action::KeepLacking { .. }
                | Action::Obsolete
                | Action::DeletedByUser => {}
            }
        }
        let path = Path::new(manifest::PATH);
        tree.write(path, manifest.to_json().as_bytes())
            .map_err(io_error("write", path))
    }
}

impl fmt::Display for Step {
    /// One line: what happens and why, `git status`-like.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.action {
            Action::Create {
                owner: Owner::User, ..
            } => write!(f, "create    {path} (yours from now on)"),
            Action::Create { .. } => write!(f, "create    {path}"),
            Action::Update { .. } => write!(f, "update    {path}"),
            Action::Unchanged => write!(f, "unchanged {path}"),
            Action::Keep => write!(f, "keep      {path} (yours)"),
            Action::KeepLacking { missing } => {
                write!(
                    f,
                    "keep      {path} (yours), but the generated code now needs you to:"
                )?;
                for instruction in missing {
                    write!(f, "\n            {instruction}")?;
                }
                Ok(())
            }
            Action::Edited { .. } => write!(
                f,
                "EDITED    {path}: generated, but changed by hand; --force replaces it"
            ),
            Action::Remove { .. } => write!(f, "remove    {path} (no longer in the model)"),
            Action::EditedObsolete { .. } => write!(
                f,
                "EDITED    {path}: no longer in the model, but changed by hand; --force removes it"
            ),
            Action::Obsolete => write!(
                f,
                "obsolete  {path}: yours, but no longer in the model; kept (delete it, or move \
                 what you need, when you are done with it)"
            ),
            Action::DeletedByUser => write!(f, "deleted   {path}: yours, deleted; not recreated"),
        }
    }
}

impl Step {
    /// Whether the line is worth printing without `--verbose`: something happens or needs
    /// attention.
    pub fn is_notable(&self) -> bool {
        !matches!(self.action, Action::Unchanged | Action::Keep)
    }

    /// A unified diff of the change, for files whose bytes change.
    pub fn diff(&self) -> Option<String> {
        let (old, new) = match &self.action {
            Action::Update { old, contents } | Action::Edited { old, contents } => {
                (String::from_utf8_lossy(old).into_owned(), contents.clone())
            }
            Action::Create { contents, .. } => (String::new(), contents.clone()),
            Action::Remove { old } | Action::EditedObsolete { old } => {
                (String::from_utf8_lossy(old).into_owned(), String::new())
            }
            _ => return None,
        };
        let path = self.path.display().to_string();
        Some(
            TextDiff::from_lines(&old, &new)
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string(),
        )
    }
}

#[cfg(test)]
mod tests;
