//! The interface every native backend implements, and the backend of this platform.
//!
//! Exactly one backend is compiled per target: GSSAPI (loaded at run time) on Unix, SSPI on
//! Windows. The public types in `context` hold the backend's handles and drive them
//! only through these traits, so both backends keep one contract.

use crate::channel_bindings::ChannelBindings;
use crate::cred::{Credential, Secret};
use crate::error::Result;
use crate::flags::Flags;
use crate::name::TargetName;
use crate::types::{IovWrapped, Mech, Unwrapped};

#[cfg(unix)]
mod gssapi;
#[cfg(unix)]
pub(crate) use gssapi::Gssapi as Native;
#[cfg(unix)]
pub(crate) use gssapi::{default_credential, library_facts};

// Compiled on Windows, and type-checked elsewhere with `--cfg winkerberos_check_sspi`
// (windows-sys declares its functions on every target; only linking needs Windows).
#[cfg(any(windows, winkerberos_check_sspi))]
#[cfg_attr(not(windows), allow(dead_code))]
mod sspi;
#[cfg(windows)]
pub(crate) use sspi::Sspi as Native;
// The SSPI backend's wire encodings are pure (no windows-sys): compiled on every platform too,
// for their unit tests and the fuzz targets.
#[cfg(any(test, feature = "fuzzing", windows, winkerberos_check_sspi))]
#[path = "sspi/wire.rs"]
pub(crate) mod sspi_wire;

/// What one handshake step produced, before the context checks it and makes it a
/// [`Step`](crate::Step).
#[derive(Debug)]
pub(crate) struct StepOutput {
    /// The token to send to the peer; empty when there is none.
    pub(crate) token: Vec<u8>,
    /// Whether the mechanism reports the context as established.
    pub(crate) complete: bool,
    /// The flags in effect (granted, once complete).
    pub(crate) flags: Flags,
}

/// Which name of a context to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ContextName {
    /// The initiator's principal (`user@REALM`).
    Initiator,
    /// The initiator as the system's account database names it, where that is another form:
    /// SSPI's `SECPKG_ATTR_NAMES` (`DOMAIN\user`), which winkerberos reported. Elsewhere the
    /// same as `Initiator`.
    InitiatorAccount,
    /// The acceptor's principal (`service/host@REALM`).
    Target,
}

/// A native Kerberos implementation.
pub(crate) trait Backend {
    /// A credential handle, shared read-only between contexts.
    type Cred: Send + Sync;
    /// An imported target name.
    type Target: Send + Sync;
    /// A security context handle, used by one thread at a time.
    type Context: SecurityContext<Cred = Self::Cred, Target = Self::Target>;
    /// Proof that the native library is loaded: what a context needs of it, so that making
    /// one cannot fail (a failed step replaces its context with a fresh one).
    type Loaded: Copy + Send + Sync;

    /// Checks that the native library can be used (loading it once).
    fn ensure_available() -> Result<Self::Loaded>;

    /// Credentials for an initiator, or `None` for the mechanism's default (acquired lazily).
    fn initiator_credential(credential: &Credential, mech: Mech) -> Result<Option<Self::Cred>>;

    /// Credentials for an acceptor of `service`, or `None` to accept with any service key.
    fn acceptor_credential(service: Option<&str>) -> Result<Option<Self::Cred>>;

    /// Imports the target service name.
    fn import_target(target: &TargetName) -> Result<Self::Target>;

    /// The display name of a credential's principal.
    fn credential_name(cred: Option<&Self::Cred>) -> Result<String>;

    /// A context that has not started its handshake.
    fn new_context(loaded: Self::Loaded) -> Self::Context;

    /// Whether [`Self::initiator_credential`] checks a password with the KDC. SSPI only
    /// stores it, and the KDC first sees it at the first step.
    const ACQUIRE_CHECKS_PASSWORD: bool = true;

    /// Whether a context always authenticates with the credentials it is given. SSPI binds a
    /// context to its credential handle; GSSAPI's SPNEGO may fall back to the default cache,
    /// so the initiator checks whom the handshake authenticated.
    const USES_GIVEN_CREDENTIAL: bool = false;

    /// The same credentials made usable for `mech`, or `None` when they already are.
    fn credential_for_mech(cred: &Self::Cred, mech: Mech) -> Result<Option<Self::Cred>>;

    /// Stores (delegated) initiator credentials into the credential cache `ccache`.
    fn store_credential(cred: &Self::Cred, ccache: &str) -> Result<()>;

    /// Changes a user's password with the KDC's password service.
    fn change_password(principal: &str, old: &Secret, new: &Secret) -> Result<()>;
}

/// Operations on one security context.
pub(crate) trait SecurityContext: Send {
    type Cred;
    type Target;

    /// One initiator step. `input` is empty on the first step.
    fn initiate(
        &mut self,
        cred: Option<&Self::Cred>,
        target: &Self::Target,
        mech: Mech,
        flags: Flags,
        bindings: Option<&ChannelBindings>,
        input: &[u8],
    ) -> Result<StepOutput>;

    /// One acceptor step.
    fn accept(
        &mut self,
        cred: Option<&Self::Cred>,
        bindings: Option<&ChannelBindings>,
        input: &[u8],
    ) -> Result<StepOutput>;

    /// Wraps (signs, and with `encrypt` seals) a message.
    fn wrap(&mut self, message: &[u8], encrypt: bool) -> Result<Vec<u8>>;

    /// Unwraps a message wrapped by the peer.
    fn unwrap(&mut self, token: &[u8]) -> Result<Unwrapped>;

    /// Wraps a message with its header detached (RFC 4121 IOV).
    fn wrap_iov(&mut self, message: &[u8], encrypt: bool) -> Result<IovWrapped>;

    /// Unwraps a message whose header travels apart from its data.
    fn unwrap_iov(&mut self, header: &[u8], data: &[u8]) -> Result<Unwrapped>;

    /// One of the context's names, where known. Only that name is looked up.
    fn name(&self, which: ContextName) -> Result<Option<String>>;

    /// Takes the credentials the initiator delegated, if any (acceptor only).
    fn take_delegated(&mut self) -> Option<Self::Cred>;
}
