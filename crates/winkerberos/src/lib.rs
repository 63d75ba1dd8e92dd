//! Kerberos and SPNEGO authentication through the operating system's own implementation:
//! GSSAPI (MIT krb5 or Heimdal, opened at run time, never linked) on Unix and SSPI on Windows.
//!
//! An [`Initiator`] (client) and an [`Acceptor`] (service) exchange tokens until both are
//! established; then each can [`wrap`](SecurityContext::wrap) and
//! [`unwrap`](SecurityContext::unwrap) messages for the other.
//!
//! ```no_run
//! use winkerberos::{
//!     Acceptor, AcceptorOptions, Credential, Initiator, InitiatorOptions, SecurityContext,
//! };
//!
//! // A client authenticating as another user, with a password, to HTTP/localhost.
//! let mut client = Initiator::new("HTTP@localhost", InitiatorOptions {
//!     credential: Credential::password("alice@EXAMPLE.COM", "alice's password"),
//!     ..InitiatorOptions::default()
//! })?;
//! // A service using its key from the keytab named by KRB5_KTNAME.
//! let mut server = Acceptor::new(AcceptorOptions::default())?;
//!
//! // The client speaks first; each token goes to the other side until none is left.
//! let mut token = client.step(&[])?.token().map(<[u8]>::to_vec);
//! let mut to_server = true;
//! while let Some(input) = token {
//!     let side: &mut dyn SecurityContext = if to_server { &mut server } else { &mut client };
//!     token = side.step(&input)?.token().map(<[u8]>::to_vec);
//!     to_server = !to_server;
//! }
//! assert_eq!(server.initiator_name()?, "alice@EXAMPLE.COM");
//!
//! let sealed = client.wrap(b"hello", true)?;
//! assert_eq!(server.unwrap(&sealed)?.data, b"hello");
//! # Ok::<(), winkerberos::Error>(())
//! ```
//!
//! # One surface for both sides
//!
//! Everything the two sides have in common (the handshake [`step`](SecurityContext::step),
//! names, flags, wrapping) is the sealed trait [`SecurityContext`], written once over the
//! state both share; [`Initiator`] and [`Acceptor`] add only what is theirs (the requested
//! flags and credential name; the delegated credential). A trait rather than a shared
//! `Session` type both dereference to, because:
//!
//! * generic code can take either side, including the step that differs between them
//!   (`impl SecurityContext`, or `&mut dyn SecurityContext` as above), which is what
//!   bindings and test peers need; a `Deref` target could offer only the common methods;
//! * `Deref` to a non-pointer is the inheritance pattern the Rust API guidelines advise
//!   against, and `DerefMut` would let `std::mem::swap` exchange the sessions of an
//!   initiator and an acceptor;
//! * sealed, the trait can still gain methods before 1.0 without breaking users.
//!
//! Both sides stay one mutable object through the whole handshake rather than a type per
//! state: the pykerberos API, which the Python module reproduces, keeps one context object
//! from the first step to the last message.
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
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod keytab;
mod kinds;
pub mod krb5conf;
mod name;
mod password;
#[cfg(unix)]
mod private_file;
#[cfg(unix)]
mod random;
pub mod sasl;
mod types;

pub use channel_bindings::ChannelBindings;
pub use context::{
    Acceptor, AcceptorOptions, DelegatedCredential, Initiator, InitiatorOptions, SecurityContext,
    ServiceCredential, Target,
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
    backend::Native::ensure_available().map(drop)
}
