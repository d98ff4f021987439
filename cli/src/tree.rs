//! The files of a project, on disk or in memory: the small interface regeneration writes
//! through, so that planning, `--dry-run`, `--check` and tests never need a real directory.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A project's files by relative, `/`-separated path.
pub trait Tree {
    /// The file's bytes, or `None` when there is no such file.
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>>;
    /// Creates or replaces the file, and any missing parent directory.
    fn write(&mut self, path: &Path, contents: &[u8]) -> io::Result<()>;
    /// Deletes the file; a missing file is not an error.
    fn remove(&mut self, path: &Path) -> io::Result<()>;
}

/// A directory on disk.
#[derive(Debug, Clone)]
pub struct Disk {
    pub root: PathBuf,
}

impl Tree for Disk {
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        match fs::read(self.root.join(path)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    fn write(&mut self, path: &Path, contents: &[u8]) -> io::Result<()> {
        let path = self.root.join(path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, contents)
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        match fs::remove_file(self.root.join(path)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }
}

/// Files held in memory, for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memory {
    pub files: BTreeMap<PathBuf, Vec<u8>>,
}

impl Tree for Memory {
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        Ok(self.files.get(path).cloned())
    }

    fn write(&mut self, path: &Path, contents: &[u8]) -> io::Result<()> {
        self.files.insert(path.to_path_buf(), contents.to_vec());
        Ok(())
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        self.files.remove(path);
        Ok(())
    }
}
