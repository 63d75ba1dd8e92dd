//! Using a context's state under its lock: with the GIL released around calls that may
//! block, or held for cheap reads.

use std::sync::{Mutex, PoisonError};

use pyo3::prelude::*;
use pyo3::sync::MutexExt;

/// Runs `f` on `state` with the GIL released and the lock held, so that other Python
/// threads run meanwhile and no other thread uses this context.
pub(crate) fn detached<S: Send, T: Send>(
    py: Python<'_>,
    state: &Mutex<S>,
    f: impl FnOnce(&mut S) -> T + Send,
) -> T {
    py.detach(|| f(&mut state.lock().unwrap_or_else(PoisonError::into_inner)))
}

/// Reads `state` with the GIL held (for getters that call into no library). Waiting for the
/// lock detaches from the interpreter, so a thread inside `detached` cannot deadlock us.
pub(crate) fn attached<S, T>(py: Python<'_>, state: &Mutex<S>, f: impl FnOnce(&S) -> T) -> T {
    f(&state
        .lock_py_attached(py)
        .unwrap_or_else(PoisonError::into_inner))
}
