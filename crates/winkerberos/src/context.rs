//! Security contexts: the [`Initiator`] (client) and the [`Acceptor`] (service).

use std::fmt;
use std::sync::Arc;

use crate::backend::{Backend, ContextName, Native, SecurityContext as _, StepOutput};
use crate::channel_bindings::ChannelBindings;
use crate::cred::Credential;
use crate::error::{Error, ErrorKind, Operation, Result};
use crate::flags::Flags;
use crate::name::TargetName;
use crate::types::{IovWrapped, Mech, Step, Unwrapped};

type NativeCred = <Native as Backend>::Cred;
type NativeTarget = <Native as Backend>::Target;
type NativeContext = <Native as Backend>::Context;
type NativeLoaded = <Native as Backend>::Loaded;

/// Credentials an initiator delegated to an [`Acceptor`], usable to act as that user.
#[derive(Clone)]
pub struct DelegatedCredential(Arc<NativeCred>);

impl DelegatedCredential {
    /// Stores the credentials into the credential cache `ccache` (such as
    /// `FILE:/run/app/krb5cc_alice`), replacing what it held, so that other programs can
    /// act as the delegating user.
    pub fn store(&self, ccache: &str) -> Result<()> {
        Native::store_credential(&self.0, ccache)
    }

    /// Stores the credentials into a new file credential cache in `dir`, created with mode
    /// 0600 under a name nobody can predict, and returns its path.
    #[cfg(unix)]
    pub fn store_in_new_file(&self, dir: &std::path::Path) -> Result<std::path::PathBuf> {
        let path = crate::private_file::create(dir, "krb5cc_winkerberos_")?;
        let stored = self.store(&format!("FILE:{}", path.display()));
        if stored.is_err() {
            let _ = std::fs::remove_file(&path);
        }
        stored.map(|()| path)
    }

    /// Stores the credentials into a new file credential cache: not possible with SSPI,
    /// which delegates credentials to a service only through impersonation.
    #[cfg(not(unix))]
    pub fn store_in_new_file(&self, _dir: &std::path::Path) -> Result<std::path::PathBuf> {
        Err(Error::at(
            ErrorKind::Unsupported,
            Operation::StoreCredential,
            "SSPI cannot export credentials into a credential cache",
        ))
    }
}

impl fmt::Debug for DelegatedCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DelegatedCredential(..)")
    }
}

/// How an [`Initiator`] authenticates.
#[derive(Debug)]
pub struct InitiatorOptions {
    /// Whose credentials to use.
    pub credential: Credential,
    /// Credentials delegated by another client, used instead of `credential` when set.
    pub delegated: Option<DelegatedCredential>,
    /// The mechanism.
    pub mech: Mech,
    /// The flags to request. Those of `MUTUAL`, `REPLAY`, `SEQUENCE`, `CONF` and `INTEG` that
    /// are requested must also be granted, or the final step fails.
    pub flags: Flags,
    /// Channel bindings to send.
    pub channel_bindings: Option<ChannelBindings>,
}

impl Default for InitiatorOptions {
    /// Default credentials, Kerberos, mutual authentication with sequence detection.
    fn default() -> Self {
        Self {
            credential: Credential::Default,
            delegated: None,
            mech: Mech::Kerberos,
            flags: Flags::MUTUAL | Flags::SEQUENCE,
            channel_bindings: None,
        }
    }
}

/// An imported target service name, made once and used by any number of [`Initiator`]s.
///
/// Importing a name is cheap but not free; a client that authenticates to the same service
/// again and again can keep one `Target`.
#[derive(Clone)]
pub struct Target {
    name: Arc<NativeTarget>,
    text: Arc<str>,
    loaded: NativeLoaded,
}

impl Target {
    /// Imports `service` in any form winkerberos, pykerberos or kerberos accepted:
    /// `HTTP@host`, `HTTP/host`, `HTTP/host@REALM`, `HTTP@host@REALM`.
    pub fn new(service: &str) -> Result<Self> {
        let loaded = Native::ensure_available()?;
        if service.contains('\0') {
            return Err(Error::at(
                ErrorKind::InvalidArgument,
                Operation::ImportTarget,
                "the service name contains a NUL character",
            ));
        }
        let name = Native::import_target(&TargetName::parse(service))?;
        Ok(Self {
            name: Arc::new(name),
            text: service.into(),
            loaded,
        })
    }

    /// The service name as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Target").field(&self.text).finish()
    }
}

/// A service's acceptor credential (its key in the keytab), acquired once and used by any
/// number of [`Acceptor`]s, on any threads.
///
/// Acquiring it reads the keytab; a service that accepts many clients can keep one. The
/// keytab is still read at each handshake, so rotated keys are picked up.
#[derive(Clone)]
pub struct ServiceCredential {
    cred: Option<Arc<NativeCred>>,
    loaded: NativeLoaded,
}

impl ServiceCredential {
    /// The credential of the host-based `service` (`HTTP@host` or `HTTP`) from the keytab
    /// (`KRB5_KTNAME` on Unix), or with `None` (or `""`), acceptance with any key in it.
    pub fn acquire(service: Option<&str>) -> Result<Self> {
        let loaded = Native::ensure_available()?;
        let service = service.filter(|s| !s.is_empty());
        if service.is_some_and(|s| s.contains('\0')) {
            return Err(Error::at(
                ErrorKind::InvalidArgument,
                Operation::ImportService,
                "the service name contains a NUL character",
            ));
        }
        Ok(Self {
            cred: Native::acceptor_credential(service)?.map(Arc::new),
            loaded,
        })
    }
}

impl fmt::Debug for ServiceCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.cred.is_some() {
            "ServiceCredential(service)"
        } else {
            "ServiceCredential(any)"
        })
    }
}

/// How an [`Acceptor`] accepts.
#[derive(Clone, Debug, Default)]
pub struct AcceptorOptions {
    /// The host-based service name (`HTTP@host` or `HTTP`) whose key to use, or `None` to
    /// accept with any key in the keytab.
    pub service: Option<String>,
    /// Channel bindings the initiator must have used. When set, an initiator that sent
    /// different bindings, or none, is rejected.
    pub channel_bindings: Option<ChannelBindings>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    NotStarted,
    InProgress,
    Complete,
}

/// What an initiator and an acceptor share: the native context, how far its handshake got
/// and the channel bindings its steps use. Users reach it only through [`SecurityContext`].
pub struct Session {
    loaded: NativeLoaded,
    context: NativeContext,
    phase: Phase,
    granted: Flags,
    bindings: Option<ChannelBindings>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("phase", &self.phase)
            .field("granted", &self.granted)
            .finish_non_exhaustive()
    }
}

impl Session {
    fn new(loaded: NativeLoaded, bindings: Option<ChannelBindings>) -> Self {
        Self {
            loaded,
            context: Native::new_context(loaded),
            phase: Phase::NotStarted,
            granted: Flags::NONE,
            bindings,
        }
    }

    fn is_complete(&self) -> bool {
        self.phase == Phase::Complete
    }

    /// Refuses another handshake step on a complete context.
    fn check_not_complete(&self, op: Operation, hint: &'static str) -> Result<()> {
        if self.is_complete() {
            return Err(Error::at(
                ErrorKind::AlreadyEstablished,
                op,
                "the handshake is already complete",
            )
            .hint(hint));
        }
        Ok(())
    }

    /// Records the outcome of a step. A failed step abandons the handshake, so that the
    /// next step starts a new one.
    fn finish_step(&mut self, result: Result<StepOutput>) -> Result<Step> {
        let raw = match result {
            Ok(raw) => raw,
            Err(err) => {
                // A fresh native context; the channel bindings the caller set stay.
                *self = Self::new(self.loaded, self.bindings.take());
                return Err(err);
            }
        };
        self.granted = raw.flags;
        Ok(if raw.complete {
            self.phase = Phase::Complete;
            Step::Complete((!raw.token.is_empty()).then_some(raw.token))
        } else {
            self.phase = Phase::InProgress;
            Step::Continue(raw.token)
        })
    }

    fn established(&self, op: Operation) -> Result<()> {
        if self.is_complete() {
            return Ok(());
        }
        Err(Error::at(
            ErrorKind::NotEstablished,
            op,
            "the security context is not established yet",
        )
        .hint("step the handshake until it is complete first"))
    }

    fn name(&self, which: ContextName, op: Operation) -> Result<String> {
        self.established(op)?;
        self.context.name(which)?.ok_or_else(|| {
            Error::at(
                ErrorKind::Failure,
                op,
                "the mechanism reported no name for this context",
            )
        })
    }
}

/// Keeps [`SecurityContext`] implemented by this crate's two sides only, and gives its
/// provided methods the [`Session`] they work on.
mod sealed {
    pub trait Sealed {
        fn session(&self) -> &super::Session;
        fn session_mut(&mut self) -> &mut super::Session;
    }
}

/// What an [`Initiator`] and an [`Acceptor`] have in common: the handshake, driven with
/// [`step`](Self::step) on one mutable object, and everything an established context offers
/// (names, flags, wrapping messages).
///
/// Code that works with either side takes `impl SecurityContext` (or
/// `&mut dyn SecurityContext`). The trait is sealed: only these two types implement it, so
/// methods can be added to it without breaking anyone.
///
/// ```no_run
/// use winkerberos::{Result, SecurityContext};
///
/// /// Seals `message` with whichever side of an established context `context` is.
/// fn seal(context: &mut impl SecurityContext, message: &[u8]) -> Result<Vec<u8>> {
///     context.wrap(message, true)
/// }
/// ```
pub trait SecurityContext: sealed::Sealed + Send {
    /// Runs one step of the handshake with the peer's last token: for an initiator, empty on
    /// the first step; for an acceptor, the initiator's token (never empty).
    ///
    /// A failed step abandons the handshake: the next step starts a new one.
    fn step(&mut self, input: &[u8]) -> Result<Step>;

    /// Replaces the channel bindings of the following steps: those an initiator sends, or
    /// those an acceptor requires of the initiator.
    fn set_channel_bindings(&mut self, bindings: Option<ChannelBindings>) {
        self.session_mut().bindings = bindings;
    }

    /// Whether the handshake is complete.
    fn is_complete(&self) -> bool {
        self.session().is_complete()
    }

    /// The flags in effect: those granted, once the handshake is complete.
    fn flags(&self) -> Flags {
        self.session().granted
    }

    /// The client principal, such as `alice@EXAMPLE.COM`, once the handshake is complete.
    fn initiator_name(&self) -> Result<String> {
        self.session()
            .name(ContextName::Initiator, Operation::InitiatorName)
    }

    /// The client as the platform's original module named it, once the handshake is
    /// complete: on Windows SSPI's `SECPKG_ATTR_NAMES` form (`DOMAIN\user` for a domain
    /// account), which winkerberos' `authGSSClientUserName` and `authGSSServerUserName`
    /// returned; elsewhere the same as [`initiator_name`](Self::initiator_name).
    fn initiator_account_name(&self) -> Result<String> {
        self.session()
            .name(ContextName::InitiatorAccount, Operation::InitiatorName)
    }

    /// The service principal, such as `HTTP/web@EXAMPLE.COM`, once the handshake is
    /// complete.
    fn target_name(&self) -> Result<String> {
        self.session()
            .name(ContextName::Target, Operation::TargetName)
    }

    /// Wraps `message` for the peer: integrity-protected, and encrypted when `encrypt` is
    /// true.
    fn wrap(&mut self, message: &[u8], encrypt: bool) -> Result<Vec<u8>> {
        let session = self.session_mut();
        session.established(Operation::Wrap)?;
        session.context.wrap(message, encrypt)
    }

    /// Unwraps a message from the peer, checking its integrity (and sequence and replay,
    /// when those were granted).
    fn unwrap(&mut self, token: &[u8]) -> Result<Unwrapped> {
        let session = self.session_mut();
        session.established(Operation::Unwrap)?;
        session.context.unwrap(token)
    }

    /// Wraps `message` for the peer with its header detached, as WinRM message encryption
    /// needs.
    fn wrap_iov(&mut self, message: &[u8], encrypt: bool) -> Result<IovWrapped> {
        let session = self.session_mut();
        session.established(Operation::WrapIov)?;
        session.context.wrap_iov(message, encrypt)
    }

    /// Unwraps a message from the peer whose header was sent apart from its data (and
    /// padding, appended to `data`).
    fn unwrap_iov(&mut self, header: &[u8], data: &[u8]) -> Result<Unwrapped> {
        let session = self.session_mut();
        session.established(Operation::UnwrapIov)?;
        session.context.unwrap_iov(header, data)
    }
}

impl sealed::Sealed for Initiator {
    fn session(&self) -> &Session {
        &self.session
    }
    fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }
}

impl SecurityContext for Initiator {
    fn step(&mut self, input: &[u8]) -> Result<Step> {
        self.initiate(input)
    }
}

impl sealed::Sealed for Acceptor {
    fn session(&self) -> &Session {
        &self.session
    }
    fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }
}

impl SecurityContext for Acceptor {
    fn step(&mut self, input: &[u8]) -> Result<Step> {
        self.accept(input)
    }
}

/// The client side of a Kerberos or SPNEGO handshake.
///
/// ```no_run
/// use winkerberos::{Initiator, InitiatorOptions, SecurityContext, Step};
/// # fn send_and_receive(_: &[u8]) -> Vec<u8> { unimplemented!() }
/// let mut client = Initiator::new("HTTP@web.example.com", InitiatorOptions::default())?;
/// let mut input = Vec::new();
/// loop {
///     match client.step(&input)? {
///         Step::Continue(token) => input = send_and_receive(&token),
///         Step::Complete(token) => {
///             if let Some(token) = token { send_and_receive(&token); }
///             break;
///         }
///     }
/// }
/// let sealed = client.wrap(b"hello", true)?;
/// # Ok::<(), winkerberos::Error>(())
/// ```
pub struct Initiator {
    session: Session,
    credential: Option<Arc<NativeCred>>,
    target: Target,
    expected_initiator: Option<String>,
    mech: Mech,
    requested: Flags,
}

impl fmt::Debug for Initiator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Initiator")
            .field("target", &self.target.as_str())
            .field("mech", &self.mech)
            .field("requested", &self.requested)
            .field("complete", &self.is_complete())
            .finish_non_exhaustive()
    }
}

impl Initiator {
    /// Prepares a handshake with `target`, a service name in any form winkerberos,
    /// pykerberos or kerberos accepted: `HTTP@host`, `HTTP/host`, `HTTP/host@REALM`,
    /// `HTTP@host@REALM`.
    ///
    /// Explicit credentials are acquired here; with GSSAPI a password is checked against the
    /// KDC now (SSPI defers that to the first step). Default credentials are acquired by the
    /// first [`step`](Self::step).
    pub fn new(target: &str, options: InitiatorOptions) -> Result<Self> {
        Self::with_target(&Target::new(target)?, options)
    }

    /// Prepares a handshake with an already imported [`Target`].
    pub fn with_target(target: &Target, options: InitiatorOptions) -> Result<Self> {
        let credential = match options.delegated {
            Some(DelegatedCredential(cred)) => {
                Some(Native::credential_for_mech(&cred, options.mech)?.map_or(cred, Arc::new))
            }
            None => {
                options.credential.check()?;
                Native::initiator_credential(&options.credential, options.mech)?.map(Arc::new)
            }
        };
        // Whom explicit credentials must authenticate as, checked when the handshake ends.
        let expected_initiator = match &credential {
            Some(cred) if !Native::USES_GIVEN_CREDENTIAL => {
                Some(Native::credential_name(Some(cred))?)
            }
            _ => None,
        };
        Ok(Self {
            session: Session::new(target.loaded, options.channel_bindings),
            credential,
            target: target.clone(),
            expected_initiator,
            mech: options.mech,
            requested: options.flags,
        })
    }

    /// One step of the handshake; see [`SecurityContext::step`].
    fn initiate(&mut self, input: &[u8]) -> Result<Step> {
        self.session.check_not_complete(
            Operation::Initiate,
            "create a new context to authenticate again",
        )?;
        if input.is_empty() && self.session.phase == Phase::InProgress {
            // A server that gives up sends nothing (HTTP 401 without a Negotiate value, an
            // LDAP bind result without credentials); some clients pass that on as "".
            let err = Error::at(
                ErrorKind::DefectiveToken,
                Operation::Initiate,
                "the service's reply is empty: it ended the handshake without a token",
            )
            .hint(
                "the service sent nothing to continue with, so it most likely rejected the \
                 client: look at the service's own error (its response status, log or \
                 diagnostic message)",
            );
            return self.session.finish_step(Err(err));
        }
        let result = self.session.context.initiate(
            self.credential.as_deref(),
            &self.target.name,
            self.mech,
            self.requested,
            self.session.bindings.as_ref(),
            input,
        );
        let checked = result.and_then(|raw| self.check_granted(raw));
        self.session.finish_step(checked)
    }

    fn check_granted(&self, raw: StepOutput) -> Result<StepOutput> {
        if !raw.complete {
            return Ok(raw);
        }
        let missing = self.requested & Flags::ENFORCED & !raw.flags;
        if !missing.is_empty() {
            return Err(Error::at(
                ErrorKind::FlagsNotGranted,
                Operation::Initiate,
                format!("the service did not grant the requested {missing} protection"),
            )
            .hint("the service may be an impostor or misconfigured; do not trust this session"));
        }
        if let Some(expected) = &self.expected_initiator {
            let actual = self
                .session
                .context
                .name(ContextName::Initiator)?
                .unwrap_or_default();
            if &actual != expected {
                return Err(Error::at(
                    ErrorKind::CredentialMismatch,
                    Operation::Initiate,
                    format!("the handshake authenticated {actual}, not {expected} whose credentials were given"),
                )
                .hint("the mechanism did not use the given credentials; use Mech::Kerberos"));
            }
        }
        Ok(raw)
    }

    /// The flags requested.
    pub fn requested_flags(&self) -> Flags {
        self.requested
    }

    /// The mechanism.
    pub fn mech(&self) -> Mech {
        self.mech
    }

    /// The principal of the credentials this initiator uses (acquiring the default ones if
    /// needed), before or after the handshake.
    pub fn credential_name(&self) -> Result<String> {
        Native::credential_name(self.credential.as_deref())
    }
}

/// The service side of a Kerberos or SPNEGO handshake.
///
/// ```no_run
/// use winkerberos::{Acceptor, AcceptorOptions, SecurityContext, Step};
/// # let token_from_client: Vec<u8> = Vec::new();
/// let mut server = Acceptor::new(AcceptorOptions {
///     service: Some("HTTP@web.example.com".into()),
///     ..AcceptorOptions::default()
/// })?;
/// if let Step::Complete(reply) = server.step(&token_from_client)? {
///     println!("authenticated {}", server.initiator_name()?);
///     // send `reply` (the mutual-authentication token) back to the client
/// #   let _ = reply;
/// }
/// # Ok::<(), winkerberos::Error>(())
/// ```
pub struct Acceptor {
    session: Session,
    credential: Option<Arc<NativeCred>>,
    delegated: Option<Arc<NativeCred>>,
}

impl fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acceptor")
            .field("complete", &self.is_complete())
            .field("flags", &self.session.granted)
            .finish_non_exhaustive()
    }
}

impl Acceptor {
    /// Prepares to accept a handshake, loading the service key from the keytab
    /// (`KRB5_KTNAME` on Unix) now.
    pub fn new(options: AcceptorOptions) -> Result<Self> {
        let credential = ServiceCredential::acquire(options.service.as_deref())?;
        Ok(Self::with_credential(&credential, options.channel_bindings))
    }

    /// Prepares to accept a handshake with an already acquired [`ServiceCredential`],
    /// requiring `channel_bindings` of the initiator when given.
    pub fn with_credential(
        credential: &ServiceCredential,
        channel_bindings: Option<ChannelBindings>,
    ) -> Self {
        Self {
            session: Session::new(credential.loaded, channel_bindings),
            credential: credential.cred.clone(),
            delegated: None,
        }
    }

    /// One step of the handshake; see [`SecurityContext::step`].
    fn accept(&mut self, input: &[u8]) -> Result<Step> {
        self.session.check_not_complete(
            Operation::Accept,
            "create a new context to accept another client",
        )?;
        if input.is_empty() {
            return Err(Error::at(
                ErrorKind::InvalidArgument,
                Operation::Accept,
                "the client's token is empty",
            )
            .hint("pass the token the client sent (for HTTP, the value after 'Negotiate ')"));
        }
        let session = &mut self.session;
        let result =
            session
                .context
                .accept(self.credential.as_deref(), session.bindings.as_ref(), input);
        let checked = result.and_then(|raw| self.check_bound(raw));
        let step = self.session.finish_step(checked)?;
        if step.is_complete() {
            self.delegated = self.session.context.take_delegated().map(Arc::new);
        }
        Ok(step)
    }

    fn check_bound(&self, raw: StepOutput) -> Result<StepOutput> {
        // A mechanism that wants another token but has none to send can never be answered:
        // the input was not an initiator's token (a reflected reply of an acceptor, say), and
        // "continue" would leave the caller waiting with nobody authenticated.
        if !raw.complete && raw.token.is_empty() {
            return Err(Error::at(
                ErrorKind::DefectiveToken,
                Operation::Accept,
                "the token asks for another leg but the mechanism produced no reply to send",
            )
            .hint("pass the client's token; a service's own reply cannot start a handshake"));
        }
        if raw.complete
            && self.session.bindings.is_some()
            && !raw.flags.contains(Flags::CHANNEL_BOUND)
        {
            return Err(Error::at(
                ErrorKind::BadBindings,
                Operation::Accept,
                "the client sent no channel bindings, but this service requires them",
            )
            .hint(
                "the client must pass the same channel bindings (for TLS, tls-server-end-point)",
            ));
        }
        Ok(raw)
    }

    /// The credentials the client delegated, if it asked for delegation (`Flags::DELEG`) with
    /// a forwardable ticket.
    pub fn delegated_credential(&self) -> Option<DelegatedCredential> {
        self.delegated.clone().map(DelegatedCredential)
    }
}
