//! Kerberos and SPNEGO authentication through the operating system's own implementation:
//! GSSAPI (MIT krb5 or Heimdal, opened at run time, never linked) on Unix and SSPI on Windows.
//!
//! An [`Initiator`] (client) and an [`Acceptor`] (service) exchange tokens until both are
//! established; then each can [`wrap`](Initiator::wrap) and [`unwrap`](Initiator::unwrap)
//! messages for the other.
//!
//! ```no_run
//! use winkerberos::{Acceptor, AcceptorOptions, Credential, Initiator, InitiatorOptions, Step};
//!
//! // A client authenticating as another user, with a password, to HTTP/localhost.
//! let mut client = Initiator::new("HTTP@localhost", InitiatorOptions {
//!     credential: Credential::password("alice@EXAMPLE.COM", "alice's password"),
//!     ..InitiatorOptions::default()
//! })?;
//! // A service using its key from the keytab named by KRB5_KTNAME.
//! let mut server = Acceptor::new(AcceptorOptions::default())?;
//!
//! let mut to_server = client.step(&[])?;
//! while let Some(token) = to_server.token().map(<[u8]>::to_vec) {
//!     let reply = server.step(&token)?;
//!     if client.is_complete() { break; }
//!     to_server = client.step(reply.token().unwrap_or_default())?;
//!     if to_server.is_complete() && to_server.token().is_none() { break; }
//! }
//! assert_eq!(server.initiator_name()?, "alice@EXAMPLE.COM");
//!
//! let sealed = client.wrap(b"hello", true)?;
//! assert_eq!(server.unwrap(&sealed)?.data, b"hello");
//! # Ok::<(), winkerberos::Error>(())
//! ```
//!
//! # Safety
//!
//! All `unsafe` code lives in the FFI module of each backend (`backend::gssapi::ffi`,
//! `backend::sspi::ffi`); every other module denies it. See `SAFETY.md`.

#![deny(unsafe_code)]
#![warn(missing_docs)]

mod backend;
mod channel_bindings;
mod context;
mod cred;
pub mod diagnostics;
mod error;
mod flags;
mod keytab;
mod kinds;
pub mod krb5conf;
mod name;
mod password;
#[cfg(unix)]
mod private_file;
pub mod sasl;
mod types;

pub use channel_bindings::ChannelBindings;
pub use context::{
    Acceptor, AcceptorOptions, DelegatedCredential, Initiator, InitiatorOptions, ServiceCredential,
    Target,
};
pub use cred::{Credential, Secret};
pub use error::{Error, ErrorKind, Result, Role, Status};
pub use flags::Flags;
pub use keytab::{
    KeytabEntry, default_keytab_name, enctype_name, keytab_entries, keytab_principals,
};
pub use password::{change_password, check_password};
pub use types::{IovWrapped, Mech, Step, Unwrapped};

/// Checks that the system Kerberos library can be loaded, without doing anything else.
///
/// On Unix this opens the GSSAPI library (`WINKERBEROS_GSSAPI_LIBRARY`, else
/// `libgssapi_krb5.so.2`, else Heimdal's `libgssapi.so.3`).
pub fn ensure_available() -> Result<()> {
    use backend::Backend;
    backend::Native::ensure_available()
}
