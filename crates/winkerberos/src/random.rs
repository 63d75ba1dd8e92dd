//! Unpredictable names for private files and in-memory credential caches.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// 64 unpredictable bits from the standard library's per-process random hash keys.
pub(crate) fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}
