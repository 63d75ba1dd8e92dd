//! Creating a private file under a name nobody can predict, for credential caches.

use std::fs::OpenOptions;
use std::io::ErrorKind as IoErrorKind;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Operation, Result};

/// Creates an empty file `dir/<prefix><random>` with mode 0600, failing rather than opening
/// anything that already exists (so a planted file or symlink is never used).
pub(crate) fn create(dir: &Path, prefix: &str) -> Result<PathBuf> {
    const ATTEMPTS: usize = 16;
    let mut last_error = None;
    for _ in 0..ATTEMPTS {
        let path = dir.join(format!("{prefix}{:016x}", crate::random::random_u64()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(_) => return Ok(path),
            Err(e) if e.kind() == IoErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(io_error(dir, e)),
        }
    }
    let detail = last_error
        .as_ref()
        .map_or_else(String::new, ToString::to_string);
    let error = Error::at(
        ErrorKind::Failure,
        Operation::CreateCredentialCache,
        format!("no free name in {}: {detail}", dir.display()),
    );
    Err(match last_error {
        Some(e) => error.caused_by(e),
        None => error,
    })
}

fn io_error(dir: &Path, err: std::io::Error) -> Error {
    Error::at(
        ErrorKind::Failure,
        Operation::CreateCredentialCache,
        format!("cannot create a file in {}: {err}", dir.display()),
    )
    .hint("set TMPDIR to a writable directory")
    .caused_by(err)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn creates_distinct_private_files() {
        let dir = std::env::temp_dir();
        let a = create(&dir, "wk-test-").expect("create");
        let b = create(&dir, "wk-test-").expect("create");
        assert_ne!(a, b);
        let mode = std::fs::metadata(&a).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::remove_file(a).expect("rm");
        std::fs::remove_file(b).expect("rm");
    }

    #[test]
    fn reports_an_unwritable_directory() {
        let err = create(Path::new("/nonexistent/dir"), "x").expect_err("no such dir");
        assert!(err.to_string().contains("/nonexistent/dir"), "{err}");
        let source = std::error::Error::source(&err).expect("the I/O error is kept");
        assert!(
            err.to_string().ends_with(&format!(
                "{source}. Hint: set TMPDIR to a writable directory"
            )),
            "{err}"
        );
    }
}
