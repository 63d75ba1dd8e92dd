//! The one error type of the crate.
//!
//! Every failure carries the operation that failed, a [`ErrorKind`] to match on, the
//! mechanism's own status codes and texts (captured on the failing thread right after the
//! failing call, before anything else could overwrite the library's thread-local message), and
//! where we can tell, a hint saying what to try.

use std::fmt;
use std::sync::Arc;

/// What went wrong, in terms a caller can act on.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The system Kerberos library (GSSAPI or SSPI) could not be loaded or lacks a function.
    LibraryUnavailable,
    /// The loaded library does not offer this operation.
    Unsupported,
    /// An argument was rejected before any call into the mechanism.
    InvalidArgument,
    /// The operation needs an established security context.
    NotEstablished,
    /// The context has already finished its handshake.
    AlreadyEstablished,
    /// No usable credentials: no ticket cache, no keytab entry, or no such client principal.
    NoCredentials,
    /// The KDC rejected the password (or the client key).
    AuthenticationFailed,
    /// A client or service principal is unknown to the KDC.
    UnknownPrincipal,
    /// No KDC for the realm could be reached.
    KdcUnreachable,
    /// A name could not be parsed or imported.
    BadName,
    /// The mechanism is not available or not acceptable.
    BadMechanism,
    /// Channel bindings are missing or do not match.
    BadBindings,
    /// A token is malformed, truncated or not meant for this context.
    DefectiveToken,
    /// A message failed its integrity check (tampered or wrong key).
    BadSignature,
    /// A token or message was seen before.
    Replay,
    /// A credential or the context has expired.
    Expired,
    /// A flag the caller requires (such as mutual authentication) was not granted.
    FlagsNotGranted,
    /// The password server refused a new password (too short, reused, ...).
    PasswordRejected,
    /// The handshake authenticated someone other than the credentials' principal.
    CredentialMismatch,
    /// Any other failure reported by the mechanism.
    Failure,
    /// The clocks of the client, the KDC and the service differ by more than the allowed
    /// skew (`clockskew` in krb5.conf, 300 s by default), or a ticket is not yet valid.
    ClockSkew,
    /// The service's key (its keytab entry on Unix, its account's password on Windows) is
    /// not the one the KDC encrypted the ticket with: wrong key version or encryption type.
    StaleKeytab,
    /// The user's password has expired; it must be changed before it can be used.
    PasswordExpired,
    /// The user must change the password before first use (or after an administrator reset
    /// it). MIT's library reports this as [`ErrorKind::PasswordExpired`]; Heimdal's and SSPI
    /// tell the two apart.
    PasswordChangeRequired,
    /// The realm is unknown here: krb5.conf names no KDC for it and none was found in DNS
    /// (often a misspelled realm).
    UnknownRealm,
    /// The service is in another realm to which the client's realm has no cross-realm trust.
    NoCrossRealmTrust,
}

impl ErrorKind {
    /// The kind's name, as `Debug` shows it and as Python's `kind` attribute holds it.
    pub fn name(self) -> &'static str {
        match self {
            Self::LibraryUnavailable => "LibraryUnavailable",
            Self::Unsupported => "Unsupported",
            Self::InvalidArgument => "InvalidArgument",
            Self::NotEstablished => "NotEstablished",
            Self::AlreadyEstablished => "AlreadyEstablished",
            Self::NoCredentials => "NoCredentials",
            Self::AuthenticationFailed => "AuthenticationFailed",
            Self::UnknownPrincipal => "UnknownPrincipal",
            Self::KdcUnreachable => "KdcUnreachable",
            Self::BadName => "BadName",
            Self::BadMechanism => "BadMechanism",
            Self::BadBindings => "BadBindings",
            Self::DefectiveToken => "DefectiveToken",
            Self::BadSignature => "BadSignature",
            Self::Replay => "Replay",
            Self::Expired => "Expired",
            Self::FlagsNotGranted => "FlagsNotGranted",
            Self::PasswordRejected => "PasswordRejected",
            Self::CredentialMismatch => "CredentialMismatch",
            Self::Failure => "Failure",
            Self::ClockSkew => "ClockSkew",
            Self::StaleKeytab => "StaleKeytab",
            Self::PasswordExpired => "PasswordExpired",
            Self::PasswordChangeRequired => "PasswordChangeRequired",
            Self::UnknownRealm => "UnknownRealm",
            Self::NoCrossRealmTrust => "NoCrossRealmTrust",
        }
    }
}

/// Whose principal a failure is about, where the mechanism says (set for
/// [`ErrorKind::UnknownPrincipal`]: an unknown user or an unknown service).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The client (user) principal.
    Client,
    /// The service principal.
    Service,
}

/// The status codes reported by the underlying mechanism, with their texts.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// The failure was detected by this crate; no mechanism status is involved.
    None,
    /// GSSAPI major and minor status codes (RFC 2744), with their display texts.
    Gss {
        /// The major status code (`GSS_S_*` routine, calling and supplementary bits).
        major: u32,
        /// The mechanism-specific minor status code (a krb5 error code for Kerberos).
        minor: u32,
        /// `gss_display_status` text of `major`.
        major_text: String,
        /// `gss_display_status` text of `minor`.
        minor_text: String,
    },
    /// A krb5 library error code (`krb5_error_code`) with its message, or for a refused
    /// password change, the kpasswd result code and the server's text.
    Krb5 {
        /// The error or result code.
        code: i32,
        /// Its text.
        text: String,
    },
    /// An SSPI `SECURITY_STATUS` with its `FormatMessageW` text.
    Sspi {
        /// The `SECURITY_STATUS` (an HRESULT) returned by the failing function.
        code: i32,
        /// The system's text for `code`.
        text: String,
    },
}

/// Which native Kerberos a name or an advice is for: their functions and commands differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Platform {
    /// GSSAPI (MIT krb5 or Heimdal), the Unix backend.
    Gssapi,
    /// SSPI, the Windows backend.
    Sspi,
}

impl Platform {
    /// The backend this build uses.
    pub(crate) const NATIVE: Self = if cfg!(windows) {
        Self::Sspi
    } else {
        Self::Gssapi
    };
}

/// The operations of the backend-neutral code that can fail, named alike on every backend.
///
/// An error reports an operation by name ([`Error::operation`]): where one is a single native
/// call, by the function of the backend in use (`gss_init_sec_context` on Unix,
/// `InitializeSecurityContextW` on Windows, as the original modules reported them), so a
/// failure detected before or after that call reads like one from inside it; the others by
/// one description on every backend. Code outside the backends names operations only through
/// this enum, so none of it can report one backend's function from another. The table is
/// pure, like `crate::kinds`, so both backends' names are tested on every platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    /// One handshake step of an initiator.
    Initiate,
    /// One handshake step of an acceptor.
    Accept,
    /// Storing credentials into a credential cache.
    StoreCredential,
    /// Changing a password with the password service.
    ChangePassword,
    /// Checking a password with the KDC.
    CheckPassword,
    /// Importing the target service name of an initiator.
    ImportTarget,
    /// Importing the service name of an acceptor.
    ImportService,
    /// Splitting a `user@REALM:password` principal.
    ParsePrincipal,
    /// Checking a principal before it reaches the mechanism.
    CheckPrincipal,
    /// Checking an explicit user's credentials.
    UserCredentials,
    /// Reporting the default credentials.
    #[cfg_attr(unix, expect(dead_code, reason = "only SSPI cannot report them"))]
    DefaultCredentials,
    /// Creating a private credential cache file.
    CreateCredentialCache,
    /// Reading a keytab file.
    ReadKeytab,
    /// Reading a ticket cache file.
    ReadTicketCache,
    /// Asking an established context for its initiator's name.
    InitiatorName,
    /// Asking an established context for its target's name.
    TargetName,
    /// [`SecurityContext::wrap`](crate::SecurityContext::wrap).
    Wrap,
    /// [`SecurityContext::unwrap`](crate::SecurityContext::unwrap).
    Unwrap,
    /// [`SecurityContext::wrap_iov`](crate::SecurityContext::wrap_iov).
    WrapIov,
    /// [`SecurityContext::unwrap_iov`](crate::SecurityContext::unwrap_iov).
    UnwrapIov,
    /// Parsing a SASL GSSAPI security-layer offer.
    ParseSaslOffer,
}

impl Operation {
    /// The name [`Error::operation`] reports on the backend in use.
    pub(crate) fn name(self) -> &'static str {
        self.name_on(Platform::NATIVE)
    }

    /// The name on `platform`: its function where one call performs the operation.
    fn name_on(self, platform: Platform) -> &'static str {
        use Platform::{Gssapi, Sspi};
        match (self, platform) {
            (Self::Initiate, Gssapi) => "gss_init_sec_context",
            (Self::Initiate, Sspi) => "InitializeSecurityContextW",
            (Self::Accept, Gssapi) => "gss_accept_sec_context",
            (Self::Accept, Sspi) => "AcceptSecurityContext",
            (Self::StoreCredential, Gssapi) => "gss_store_cred_into",
            (Self::ChangePassword, Sspi) => "ChangeAccountPasswordW",
            _ => self.description(),
        }
    }

    /// The name on a backend that has no function of its own for the operation.
    fn description(self) -> &'static str {
        match self {
            Self::Initiate => "initiate",
            Self::Accept => "accept",
            Self::StoreCredential => "store credentials",
            Self::ChangePassword => "change password",
            Self::CheckPassword => "check password",
            Self::ImportTarget => "import target name",
            Self::ImportService => "import service name",
            Self::ParsePrincipal => "parse principal",
            Self::CheckPrincipal => "check principal",
            Self::UserCredentials => "user credentials",
            Self::DefaultCredentials => "default credentials",
            Self::CreateCredentialCache => "create credential cache",
            Self::ReadKeytab => "read keytab",
            Self::ReadTicketCache => "read ticket cache",
            Self::InitiatorName => "initiator name",
            Self::TargetName => "target name",
            Self::Wrap => "wrap",
            Self::Unwrap => "unwrap",
            Self::WrapIov => "wrap_iov",
            Self::UnwrapIov => "unwrap_iov",
            Self::ParseSaslOffer => "parse SASL offer",
        }
    }
}

/// An error from the Kerberos machinery, with what failed, why, and what to try.
#[derive(Clone, Debug)]
pub struct Error {
    kind: ErrorKind,
    operation: &'static str,
    status: Status,
    message: Box<str>,
    hint: Option<Box<str>>,
    role: Option<Role>,
    /// The I/O error behind a failure to read or create a file (its text is in `message`).
    source: Option<Arc<std::io::Error>>,
}

impl Error {
    /// An error without a mechanism status, for code layered on this crate (such as a
    /// protocol binding) that reports its own failures in the same shape.
    pub fn new(kind: ErrorKind, operation: &'static str, message: impl Into<Box<str>>) -> Self {
        Self {
            kind,
            operation,
            status: Status::None,
            message: message.into(),
            hint: None,
            role: None,
            source: None,
        }
    }

    /// An error of `operation`, detected by this crate.
    pub(crate) fn at(kind: ErrorKind, operation: Operation, message: impl Into<Box<str>>) -> Self {
        Self::new(kind, operation.name(), message)
    }

    /// An error reported by the mechanism with its status.
    pub(crate) fn with_status(
        kind: ErrorKind,
        operation: &'static str,
        status: Status,
        message: impl Into<Box<str>>,
    ) -> Self {
        Self {
            kind,
            operation,
            status,
            message: message.into(),
            hint: None,
            role: None,
            source: None,
        }
    }

    /// Attaches a hint saying what to try.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<Box<str>>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Replaces the kind and hint, for a caller that knows more about the failure than the
    /// mechanism said (such as that the realm it names is configured nowhere).
    #[must_use]
    #[cfg_attr(windows, allow(dead_code))]
    pub(crate) fn reclassify(mut self, kind: ErrorKind, hint: impl Into<Box<str>>) -> Self {
        self.kind = kind;
        self.hint = Some(hint.into());
        self
    }

    /// Keeps the I/O error that caused this one, as its [`source`](std::error::Error::source).
    #[must_use]
    pub(crate) fn caused_by(mut self, source: std::io::Error) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// Records whose principal the failure is about.
    #[must_use]
    pub(crate) fn with_role(mut self, role: Option<Role>) -> Self {
        self.role = role;
        self
    }

    /// Whose principal the failure is about (the client's or the service's), when known:
    /// set for [`ErrorKind::UnknownPrincipal`].
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// Attaches a hint only if none is set yet.
    #[must_use]
    pub(crate) fn or_hint(self, hint: impl Into<Box<str>>) -> Self {
        if self.hint.is_some() {
            self
        } else {
            self.hint(hint)
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The library call (or crate operation) that failed, such as `"gss_init_sec_context"`
    /// (on Windows `"InitializeSecurityContextW"`): the native function where the
    /// operation is one call, else a short description such as `"parse principal"`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The mechanism's status codes and texts.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The GSSAPI `(major, minor)` codes, when GSSAPI reported the failure.
    pub fn gss_codes(&self) -> Option<(u32, u32)> {
        match self.status {
            Status::Gss { major, minor, .. } => Some((major, minor)),
            _ => None,
        }
    }

    /// The SSPI `SECURITY_STATUS`, when SSPI reported the failure.
    pub fn sspi_code(&self) -> Option<i32> {
        match self.status {
            Status::Sspi { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Why it failed, without the operation name or hint.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What to try, when the cause is recognisable.
    pub fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.message)?;
        if let Some(hint) = &self.hint {
            let stop = if self.message.ends_with('.') { "" } else { "." };
            write!(f, "{stop} Hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    /// The I/O error behind a failure to read a keytab or ticket cache, or to create a
    /// credential cache file.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_named_by_the_backend_in_use() {
        use Platform::{Gssapi, Sspi};
        // What the originals reported, and tests/test_errors.py asserts on Unix.
        assert_eq!(Operation::Initiate.name_on(Gssapi), "gss_init_sec_context");
        assert_eq!(Operation::Accept.name_on(Gssapi), "gss_accept_sec_context");
        // Rendered "SSPI: InitializeSecurityContext: ..." by the Python layer on Windows.
        assert_eq!(
            Operation::Initiate.name_on(Sspi),
            "InitializeSecurityContextW"
        );
        assert_eq!(Operation::Accept.name_on(Sspi), "AcceptSecurityContext");
        // An operation without a function of its own reads the same on both.
        for platform in [Gssapi, Sspi] {
            assert_eq!(Operation::Wrap.name_on(platform), "wrap");
            assert_eq!(
                Operation::ParsePrincipal.name_on(platform),
                "parse principal"
            );
        }
        let error = Error::at(ErrorKind::NotEstablished, Operation::Initiate, "x");
        assert_eq!(error.operation(), Operation::Initiate.name());
        assert_eq!(error.to_string(), format!("{}: x", error.operation()));
    }
}
