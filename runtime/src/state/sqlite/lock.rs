//! One runner per scheme: a lock file per scheme in the data directory
//! (released by the operating system when its process dies), or a set of
//! held names for a store in memory.

use super::*;

struct FileLock {
    _file: std::fs::File,
}

struct MemoryLock {
    scheme: String,
    set: Arc<Mutex<HashSet<String>>>,
}

impl Drop for MemoryLock {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.scheme);
    }
}

/// A file name for a scheme's lock file (scheme names are identifiers, but
/// be safe).
fn lock_file_name(scheme: &str) -> String {
    let clean: String = scheme
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{clean}.lock")
}

fn busy(scheme: &str) -> StoreError {
    StoreError::Busy {
        scheme: scheme.to_string(),
    }
}

/// Takes `scheme` in the data directory `dir` (`locks/SCHEME.lock`).
pub(super) fn lock_in_dir(dir: &Path, scheme: &str) -> Result<SchemeLock> {
    let locks = dir.join("locks");
    std::fs::create_dir_all(&locks).map_err(|e| io_err(&locks, e))?;
    let path = locks.join(lock_file_name(scheme));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io_err(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(SchemeLock {
            _guard: Box::new(FileLock { _file: file }),
        }),
        Err(std::fs::TryLockError::WouldBlock) => Err(busy(scheme)),
        Err(std::fs::TryLockError::Error(e)) => Err(io_err(&path, e)),
    }
}

/// Takes `scheme` in `set`, the names held through one in-memory store.
pub(super) fn lock_in_memory(
    set: &Arc<Mutex<HashSet<String>>>,
    scheme: &str,
) -> Result<SchemeLock> {
    let mut held = set.lock().unwrap_or_else(|e| e.into_inner());
    if !held.insert(scheme.to_string()) {
        return Err(busy(scheme));
    }
    Ok(SchemeLock {
        _guard: Box::new(MemoryLock {
            scheme: scheme.to_string(),
            set: set.clone(),
        }),
    })
}
