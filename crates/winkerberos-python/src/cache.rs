//! Reuse of imported service names and acceptor credentials across the contexts the
//! pykerberos-style API creates, typically one per request.
//!
//! `authGSSServerInit("HTTP@host")` reads the keytab to acquire the service's credential:
//! that is most of the cost of a server-side handshake, and the same for every request. The
//! credential is kept, keyed by the service and by the environment that chooses the keytab
//! (`KRB5_KTNAME`, `KRB5_CONFIG`) at the time of the call, so a program that points
//! `KRB5_KTNAME` elsewhere gets a new one. The keytab itself is still read at each
//! handshake, so rotated keys are used at once. Failures are never kept.

use std::ffi::OsString;
use std::sync::{Mutex, PoisonError};

use winkerberos::{Error, ServiceCredential, Target};

/// How many entries each cache keeps (the oldest is dropped first).
const CAPACITY: usize = 32;

/// A small cache with first-in, first-out eviction; lookups are linear, which for a few dozen
/// entries beats hashing.
struct Cache<K, V> {
    entries: Vec<(K, V)>,
}

impl<K: PartialEq, V: Clone> Cache<K, V> {
    const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    fn get(&self, key: &K) -> Option<V> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    fn insert(&mut self, key: K, value: V) {
        if self.entries.len() >= CAPACITY {
            self.entries.remove(0);
        }
        self.entries.push((key, value));
    }
}

/// Gets `key` from `cache`, or makes it with `make` (outside the lock) and keeps it.
fn get_or_make<K: PartialEq, V: Clone>(
    cache: &Mutex<Cache<K, V>>,
    key: K,
    make: impl FnOnce() -> Result<V, Error>,
) -> Result<V, Error> {
    if let Some(value) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return Ok(value);
    }
    let value = make()?;
    cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, value.clone());
    Ok(value)
}

static TARGETS: Mutex<Cache<String, Target>> = Mutex::new(Cache::new());

type CredentialKey = (Option<String>, Option<OsString>, Option<OsString>);
static SERVICE_CREDENTIALS: Mutex<Cache<CredentialKey, ServiceCredential>> =
    Mutex::new(Cache::new());

/// The imported target `service`, if it is already known (no library call).
pub(crate) fn known_target(service: &str) -> Option<Target> {
    TARGETS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&service.to_owned())
}

/// The acceptor credential of `service`, if it is already known (no library call).
pub(crate) fn known_service_credential(service: Option<&str>) -> Option<ServiceCredential> {
    SERVICE_CREDENTIALS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&credential_key(service))
}

/// What a service credential is kept under: the service, and the environment that chooses
/// its keytab now.
fn credential_key(service: Option<&str>) -> CredentialKey {
    (
        service.map(str::to_owned),
        std::env::var_os("KRB5_KTNAME"),
        std::env::var_os("KRB5_CONFIG"),
    )
}

/// The imported target `service`.
pub(crate) fn target(service: &str) -> Result<Target, Error> {
    get_or_make(&TARGETS, service.to_owned(), || Target::new(service))
}

/// The acceptor credential of `service` (any key in the keytab when `None`) from the keytab
/// the environment names now.
pub(crate) fn service_credential(service: Option<&str>) -> Result<ServiceCredential, Error> {
    get_or_make(&SERVICE_CREDENTIALS, credential_key(service), || {
        ServiceCredential::acquire(service)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_entries() {
        let mut cache = Cache::new();
        for i in 0..CAPACITY + 3 {
            cache.insert(i, i * 10);
        }
        assert_eq!(cache.get(&0), None);
        assert_eq!(cache.get(&2), None);
        assert_eq!(cache.get(&3), Some(30));
        assert_eq!(cache.get(&(CAPACITY + 2)), Some((CAPACITY + 2) * 10));
        assert_eq!(cache.entries.len(), CAPACITY);
    }

    #[test]
    fn failures_are_not_kept() {
        let cache: Mutex<Cache<u8, u8>> = Mutex::new(Cache::new());
        let failed = get_or_make(&cache, 1, || {
            Err(Error::new(winkerberos::ErrorKind::Failure, "make", "no"))
        });
        assert!(failed.is_err());
        assert_eq!(get_or_make(&cache, 1, || Ok(7)).ok(), Some(7));
        assert_eq!(get_or_make(&cache, 1, || Ok(8)).ok(), Some(7));
    }
}
