//! `.eventwright/manifest.json`: what eventwright wrote into a project, so that the next
//! generation can tell its own untouched output (safe to replace) from a file edited by hand
//! (shown as a diff, replaced only with `--force`), and a file the user deleted from one that
//! is new.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::render::Owner;

/// Where the manifest lives, relative to the project root.
pub const PATH: &str = ".eventwright/manifest.json";

/// Every file eventwright has written into a project, with a checksum for generated ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Tells a reader of the file what it is for.
    #[serde(rename = "//")]
    pub note: String,
    /// The layout of this file; only 1 exists.
    pub format: u32,
    /// The eventwright version that last wrote the project.
    pub generator: String,
    /// By `/`-separated path relative to the project root.
    pub files: BTreeMap<String, Entry>,
}

/// One file eventwright wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub owner: EntryOwner,
    /// The SHA-256 of the bytes written, for generated files: user files are never compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryOwner {
    Generated,
    User,
}

impl From<Owner> for EntryOwner {
    fn from(owner: Owner) -> Self {
        match owner {
            Owner::Generated => EntryOwner::Generated,
            Owner::User => EntryOwner::User,
        }
    }
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            note: "Written by `eventwright generate`; commit it. It records the files eventwright \
                   wrote and a checksum of each generated one, so that hand edits are detected \
                   instead of overwritten."
                .to_owned(),
            format: 1,
            generator: concat!("eventwright ", env!("CARGO_PKG_VERSION")).to_owned(),
            files: BTreeMap::new(),
        }
    }
}

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{PATH} is not a manifest eventwright can read ({0}); delete it to start afresh")]
pub struct ManifestError(#[from] serde_json::Error);

impl Manifest {
    pub fn parse(bytes: &[u8]) -> Result<Self, ManifestError> {
        Ok(serde_json::from_slice(bytes)?)
    }

    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("a manifest serializes");
        json.push('\n');
        json
    }

    /// Records a file as written with these bytes.
    pub fn record(&mut self, path: &Path, owner: Owner, contents: &[u8]) {
        let sha256 = (owner == Owner::Generated).then(|| checksum(contents));
        self.files.insert(
            key(path),
            Entry {
                owner: owner.into(),
                sha256,
            },
        );
    }

    pub fn get(&self, path: &Path) -> Option<&Entry> {
        self.files.get(&key(path))
    }

    /// The files recorded, as paths.
    pub fn paths(&self) -> impl Iterator<Item = (PathBuf, &Entry)> {
        self.files
            .iter()
            .map(|(path, entry)| (PathBuf::from(path), entry))
    }
}

/// The manifest key of a path: `/`-separated on every platform.
pub fn key(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Lowercase hex SHA-256.
pub fn checksum(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_checksums_only_generated_files() {
        let mut manifest = Manifest::default();
        manifest.record(
            Path::new("src/main.rs"),
            Owner::Generated,
            b"fn main() {}\n",
        );
        manifest.record(Path::new("src/order/handlers.rs"), Owner::User, b"mine");
        let json = manifest.to_json();
        assert!(json.contains("\"sha256\": \""), "{json}");
        let back = Manifest::parse(json.as_bytes()).unwrap();
        assert_eq!(back, manifest);
        assert_eq!(
            back.get(Path::new("src/order/handlers.rs")).unwrap().sha256,
            None
        );
    }

    #[test]
    fn checksum_is_sha256_hex() {
        assert_eq!(
            checksum(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn garbage_is_refused_with_advice() {
        let error = Manifest::parse(b"{ not json").unwrap_err();
        assert!(error.to_string().contains("delete it"), "{error}");
    }
}
