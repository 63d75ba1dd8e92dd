//! The Windows backend: SSPI (secur32), with the `Kerberos` and `Negotiate` packages.
//!
//! How the crate's contract maps onto SSPI:
//!
//! * [`Mech::Kerberos`] uses the `Kerberos` package (raw RFC 4121 tokens, interoperable with
//!   the krb5 mechanism of MIT and Heimdal), [`Mech::Spnego`] the `Negotiate` package. An
//!   acceptor always uses `Negotiate`, which takes both kinds of token (as winkerberos did).
//! * Default credentials are the logon session's; explicit ones go to
//!   `AcquireCredentialsHandleW` as `SEC_WINNT_AUTH_IDENTITY_W`, the user split from the realm
//!   at the last `@` (winkerberos' `user`/`domain` form). SSPI contacts the KDC only at the
//!   first step, so a wrong password surfaces there.
//! * Flags keep their RFC 2744 values in the API and are mapped to `ISC_REQ_*` on the way in
//!   and from `ISC_RET_*`/`ASC_RET_*` on the way out. Output tokens go into buffers we
//!   allocate with the package's `cbMaxToken` (`ISC_REQ_ALLOCATE_MEMORY` is not used: Wine
//!   8 cannot honour it, and sizing by `cbMaxToken` is the documented alternative).
//! * `wrap` is `EncryptMessage` over `[TOKEN | DATA | PADDING]`, sent as their concatenation
//!   (the RFC 4121 token a GSSAPI peer unwraps); `unwrap` is `DecryptMessage` over
//!   `[STREAM | DATA]`. The detached-header forms use the same buffers without
//!   concatenating them.
//! * Names come from `SECPKG_ATTR_NATIVE_NAMES` (`user@REALM`); the `SECPKG_ATTR_NAMES` form
//!   (`DOMAIN\user`), which winkerberos reported, is kept as the account name.
//! * `change_password` is `ChangeAccountPasswordW` with the Kerberos package, the principal
//!   split like explicit credentials; a refusal by the password policy is recognised by its
//!   NTSTATUS and becomes [`ErrorKind::PasswordRejected`].

#[allow(unsafe_code)]
mod ffi;

use std::sync::OnceLock;

use windows_sys::Win32::Foundation as status;
use windows_sys::Win32::Security::Authentication::Identity as sspi;

use super::{Backend, Party, RawStep, SecurityContext};
use crate::channel_bindings::ChannelBindings;
use crate::cred::{Credential, Secret};
use crate::error::{Error, ErrorKind, Result, Status};
use crate::flags::Flags;
use crate::kinds::{self, Platform, Side};
use crate::name::TargetName;
use crate::types::{IovWrapped, Mech, Unwrapped};

use ffi::{Bindings, ContextHandle, CredHandle, Failure, Identity, SecretWide, Wide};

/// The SSPI backend.
pub(crate) struct Sspi;

/// An SSPI security package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Package {
    Kerberos,
    Negotiate,
}

impl Package {
    fn for_mech(mech: Mech) -> Self {
        match mech {
            Mech::Kerberos => Self::Kerberos,
            Mech::Spnego => Self::Negotiate,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Kerberos => "Kerberos",
            Self::Negotiate => "Negotiate",
        }
    }

    fn wide(self) -> Wide {
        Wide::from_static(self.name())
    }

    /// The package's `cbMaxToken`, asked once per process.
    fn max_token(self) -> Result<u32> {
        static KERBEROS: OnceLock<u32> = OnceLock::new();
        static NEGOTIATE: OnceLock<u32> = OnceLock::new();
        let cell = match self {
            Self::Kerberos => &KERBEROS,
            Self::Negotiate => &NEGOTIATE,
        };
        if let Some(max) = cell.get() {
            return Ok(*max);
        }
        let max = ffi::max_token(&self.wide()).map_err(|f| {
            failure(f, Side::Either).hint(format!(
                "the {} security package is not available on this system",
                self.name()
            ))
        })?;
        Ok(*cell.get_or_init(|| max))
    }
}

/// The flags SSPI can request, with their `ISC_REQ_*` bits.
const ISC_REQUEST: [(Flags, u32); 6] = [
    (Flags::DELEG, sspi::ISC_REQ_DELEGATE),
    (Flags::MUTUAL, sspi::ISC_REQ_MUTUAL_AUTH),
    (Flags::REPLAY, sspi::ISC_REQ_REPLAY_DETECT),
    (Flags::SEQUENCE, sspi::ISC_REQ_SEQUENCE_DETECT),
    (Flags::CONF, sspi::ISC_REQ_CONFIDENTIALITY),
    (Flags::INTEG, sspi::ISC_REQ_INTEGRITY),
];

/// `ISC_RET_*` bits of an initiator's context attributes.
const ISC_RETURNED: [(Flags, u32); 6] = [
    (Flags::DELEG, sspi::ISC_RET_DELEGATE),
    (Flags::MUTUAL, sspi::ISC_RET_MUTUAL_AUTH),
    (Flags::REPLAY, sspi::ISC_RET_REPLAY_DETECT),
    (Flags::SEQUENCE, sspi::ISC_RET_SEQUENCE_DETECT),
    (Flags::CONF, sspi::ISC_RET_CONFIDENTIALITY),
    (Flags::INTEG, sspi::ISC_RET_INTEGRITY),
];

/// `ASC_RET_*` bits of an acceptor's context attributes.
const ASC_RETURNED: [(Flags, u32); 6] = [
    (Flags::DELEG, sspi::ASC_RET_DELEGATE),
    (Flags::MUTUAL, sspi::ASC_RET_MUTUAL_AUTH),
    (Flags::REPLAY, sspi::ASC_RET_REPLAY_DETECT),
    (Flags::SEQUENCE, sspi::ASC_RET_SEQUENCE_DETECT),
    (Flags::CONF, sspi::ASC_RET_CONFIDENTIALITY),
    (Flags::INTEG, sspi::ASC_RET_INTEGRITY),
];

/// The `ISC_REQ_*` bits for `flags`. Anonymity has no SSPI equivalent and is refused;
/// `PROT_READY`, `TRANS` and `CHANNEL_BOUND` only ever describe a context and are ignored.
fn isc_request(flags: Flags) -> Result<u32> {
    if flags.contains(Flags::ANON) {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "InitializeSecurityContextW",
            "SSPI has no anonymous Kerberos authentication (GSS_C_ANON_FLAG)",
        )
        .hint("leave out the ANON flag on Windows"));
    }
    Ok(ISC_REQUEST
        .iter()
        .filter(|(flag, _)| flags.contains(*flag))
        .fold(0, |bits, (_, isc)| bits | isc))
}

/// The RFC 2744 flags of SSPI context attributes, by `table`.
fn returned_flags(attrs: u32, table: &[(Flags, u32)]) -> Flags {
    table
        .iter()
        .filter(|(_, bit)| attrs & bit != 0)
        .fold(Flags::NONE, |flags, (flag, _)| flags | *flag)
}

fn wide(text: &str, what: &'static str, op: &'static str) -> Result<Wide> {
    Wide::new(text).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidArgument,
            op,
            format!("the {what} contains a NUL character"),
        )
    })
}

/// `principal` split at its last `@` into the user and the realm (winkerberos' `user` and
/// `domain`); a bare user, or a principal with an empty part, has no realm.
fn split_principal(principal: &str) -> (&str, Option<&str>) {
    match principal.rsplit_once('@') {
        Some((user, realm)) if !user.is_empty() && !realm.is_empty() => (user, Some(realm)),
        _ => (principal, None),
    }
}

/// The text of a password, which SSPI takes as UTF-16.
fn password_text<'a>(password: &'a Secret, what: &str, op: &'static str) -> Result<&'a str> {
    std::str::from_utf8(password.expose()).map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            op,
            format!("the {what} is not valid UTF-8"),
        )
        .hint("pass the password as str, or UTF-8 bytes")
    })
}

/// A zeroizing UTF-16 copy of a password, or of a name sent with one.
fn secret_wide(text: &str, what: &str, op: &'static str) -> Result<SecretWide> {
    SecretWide::new(text).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidArgument,
            op,
            format!("the {what} contains a NUL character or is too long"),
        )
    })
}

/// The explicit credentials for `principal` (`user@REALM`, or a bare `user`) and `password`:
/// the user and the realm split at the last `@`, as winkerberos passed `user` and `domain`.
fn identity(principal: &str, password: &Secret) -> Result<Identity> {
    const OP: &str = "AcquireCredentialsHandleW";
    let password = password_text(password, "password", OP)?;
    let (user, domain) = split_principal(principal);
    Ok(Identity {
        user: secret_wide(user, "user name", OP)?,
        domain: domain.map(|d| secret_wide(d, "realm", OP)).transpose()?,
        password: secret_wide(password, "password", OP)?,
    })
}

/// The statuses that say the new password was refused by the password policy: NTSTATUS
/// codes (what the Kerberos package reports, which secur32 may leave as the thread's last
/// error), their Win32 errors and the HRESULTs of those.
const POLICY_REFUSALS: [(u32, &str); 15] = {
    const fn hresult(win32: u32) -> u32 {
        0x8007_0000 | (win32 & 0xffff)
    }
    [
        (
            status::STATUS_PASSWORD_RESTRICTION.cast_unsigned(),
            "STATUS_PASSWORD_RESTRICTION",
        ),
        (
            status::STATUS_ILL_FORMED_PASSWORD.cast_unsigned(),
            "STATUS_ILL_FORMED_PASSWORD",
        ),
        (
            status::STATUS_PWD_TOO_SHORT.cast_unsigned(),
            "STATUS_PWD_TOO_SHORT",
        ),
        (
            status::STATUS_PWD_TOO_RECENT.cast_unsigned(),
            "STATUS_PWD_TOO_RECENT",
        ),
        (
            status::STATUS_PWD_HISTORY_CONFLICT.cast_unsigned(),
            "STATUS_PWD_HISTORY_CONFLICT",
        ),
        (
            status::ERROR_PASSWORD_RESTRICTION,
            "ERROR_PASSWORD_RESTRICTION",
        ),
        (
            status::ERROR_ILL_FORMED_PASSWORD,
            "ERROR_ILL_FORMED_PASSWORD",
        ),
        (status::ERROR_PWD_TOO_SHORT, "ERROR_PWD_TOO_SHORT"),
        (status::ERROR_PWD_TOO_RECENT, "ERROR_PWD_TOO_RECENT"),
        (
            status::ERROR_PWD_HISTORY_CONFLICT,
            "ERROR_PWD_HISTORY_CONFLICT",
        ),
        (
            hresult(status::ERROR_PASSWORD_RESTRICTION),
            "HRESULT_FROM_WIN32(ERROR_PASSWORD_RESTRICTION)",
        ),
        (
            hresult(status::ERROR_ILL_FORMED_PASSWORD),
            "HRESULT_FROM_WIN32(ERROR_ILL_FORMED_PASSWORD)",
        ),
        (
            hresult(status::ERROR_PWD_TOO_SHORT),
            "HRESULT_FROM_WIN32(ERROR_PWD_TOO_SHORT)",
        ),
        (
            hresult(status::ERROR_PWD_TOO_RECENT),
            "HRESULT_FROM_WIN32(ERROR_PWD_TOO_RECENT)",
        ),
        (
            hresult(status::ERROR_PWD_HISTORY_CONFLICT),
            "HRESULT_FROM_WIN32(ERROR_PWD_HISTORY_CONFLICT)",
        ),
    ]
};

/// The name of `code` if it says the password policy refused the new password.
fn policy_refusal(code: u32) -> Option<&'static str> {
    POLICY_REFUSALS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

/// A failed `ChangeAccountPasswordW` as an [`Error`]: a refusal by the password policy,
/// recognised by the returned status or by the NTSTATUS the call left as the thread's last
/// error, is [`ErrorKind::PasswordRejected`]; anything else maps like every SSPI failure (a
/// wrong old password is `SEC_E_LOGON_DENIED`, [`ErrorKind::AuthenticationFailed`]).
fn change_failure(c: ffi::ChangeFailure) -> Error {
    let ffi::ChangeFailure {
        failure: f,
        last_error,
    } = c;
    let refusal = policy_refusal(f.code.cast_unsigned()).or_else(|| policy_refusal(last_error));
    let Some(reason) = refusal else {
        let error = failure(f, Side::Initiator);
        return if error.kind() == ErrorKind::AuthenticationFailed {
            error.hint(
                "check the user name, the realm and the old password (passwords are \
                 case-sensitive)",
            )
        } else {
            error
        };
    };
    let message = format!(
        "the new password does not meet the password policy ({reason}; SSPI status {})",
        status_label(f.code)
    );
    let text = if f.text.is_empty() {
        message.clone()
    } else {
        f.text
    };
    Error::with_status(
        ErrorKind::PasswordRejected,
        f.call,
        Status::Sspi { code: f.code, text },
        message,
    )
    .hint(
        "choose a password the domain's password policy accepts (length, character classes, \
         history, minimum age)",
    )
}

impl Backend for Sspi {
    type Cred = CredHandle;
    type Target = Wide;
    type Context = Context;

    const ACQUIRE_CHECKS_PASSWORD: bool = false;
    const USES_GIVEN_CREDENTIAL: bool = true;

    fn ensure_available() -> Result<()> {
        // secur32 is part of every Windows; what can be missing is the Kerberos package.
        Package::Kerberos.max_token().map(drop).map_err(|e| {
            Error::new(
                ErrorKind::LibraryUnavailable,
                e.operation(),
                e.message().to_owned(),
            )
            .hint("this system has no Kerberos security package")
        })
    }

    fn initiator_credential(credential: &Credential, mech: Mech) -> Result<Option<CredHandle>> {
        let package = Package::for_mech(mech).wide();
        let usage = ffi::SECPKG_CRED_OUTBOUND;
        let acquired = match credential {
            Credential::Default => return Ok(None),
            Credential::Principal(principal) => {
                let principal = wide(principal, "principal", "AcquireCredentialsHandleW")?;
                CredHandle::acquire(Some(&principal), &package, usage, None)
            }
            Credential::Password {
                principal,
                password,
            } => {
                let mut id = identity(principal, password)?;
                CredHandle::acquire(None, &package, usage, Some(&mut id))
            }
        };
        acquired.map(Some).map_err(|f| {
            failure(f, Side::Initiator).or_hint("check the user name and the realm's spelling")
        })
    }

    fn acceptor_credential(service: Option<&str>) -> Result<Option<CredHandle>> {
        let principal = service
            .map(|s| {
                wide(
                    &TargetName::parse(s).spn(),
                    "service name",
                    "AcquireCredentialsHandleW",
                )
            })
            .transpose()?;
        CredHandle::acquire(
            principal.as_ref(),
            &Package::Negotiate.wide(),
            ffi::SECPKG_CRED_INBOUND,
            None,
        )
        .map(Some)
        .map_err(|f| failure(f, Side::Acceptor))
    }

    fn import_target(target: &TargetName) -> Result<Wide> {
        wide(&target.spn(), "service name", "import target name")
    }

    fn credential_name(cred: Option<&CredHandle>) -> Result<String> {
        let default;
        let cred = match cred {
            Some(cred) => cred,
            None => {
                default = default_credential(Package::Kerberos, ffi::SECPKG_CRED_OUTBOUND)?;
                &default
            }
        };
        cred.user_name().map_err(|f| failure(f, Side::Initiator))
    }

    fn new_context() -> Context {
        Context::default()
    }

    fn credential_for_mech(_cred: &CredHandle, _mech: Mech) -> Result<Option<CredHandle>> {
        // A credentials handle belongs to one package, and SSPI delegates no credentials to
        // a service (see `take_delegated`), so there is nothing to convert.
        Ok(None)
    }

    fn store_credential(_cred: &CredHandle, _ccache: &str) -> Result<()> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "store credentials",
            "SSPI cannot export credentials into a credential cache",
        )
        .hint("on Windows, act as the client with its security context instead"))
    }

    /// `ChangeAccountPasswordW` with the Kerberos package: `principal` is split at its last
    /// `@` into the account and its domain (the realm), as for explicit credentials. A bare
    /// user name goes with an empty domain, which leaves the choice to the package.
    fn change_password(principal: &str, old: &Secret, new: &Secret) -> Result<()> {
        const OP: &str = "ChangeAccountPasswordW";
        let old = password_text(old, "old password", OP)?;
        let new = password_text(new, "new password", OP)?;
        let (account, domain) = split_principal(principal);
        ffi::change_account_password(
            &Package::Kerberos.wide(),
            &secret_wide(domain.unwrap_or_default(), "realm", OP)?,
            &secret_wide(account, "user name", OP)?,
            &secret_wide(old, "old password", OP)?,
            &secret_wide(new, "new password", OP)?,
        )
        .map_err(change_failure)
    }
}

fn default_credential(package: Package, usage: u32) -> Result<CredHandle> {
    let side = if usage == ffi::SECPKG_CRED_INBOUND {
        Side::Acceptor
    } else {
        Side::Initiator
    };
    CredHandle::acquire(None, &package.wide(), usage, None).map_err(|f| failure(f, side))
}

/// An SSPI security context.
///
/// Field order is drop order: the context handle goes before the credentials it was made
/// with.
#[derive(Debug, Default)]
pub(crate) struct Context {
    handle: ContextHandle,
    /// Default credentials acquired by the first step, when the caller gave none.
    own_cred: Option<CredHandle>,
    side: Option<Side>,
    granted: Flags,
    sizes: Option<ffi::Sizes>,
}

impl Context {
    /// The caller's credentials, else default ones acquired now (once).
    fn credential<'a>(
        own: &'a mut Option<CredHandle>,
        given: Option<&'a CredHandle>,
        package: Package,
        usage: u32,
    ) -> Result<&'a CredHandle> {
        if let Some(cred) = given {
            return Ok(cred);
        }
        let cred = match own.take() {
            Some(cred) => cred,
            None => default_credential(package, usage)?,
        };
        Ok(own.insert(cred))
    }

    fn sizes(&mut self) -> Result<ffi::Sizes> {
        if let Some(sizes) = self.sizes {
            return Ok(sizes);
        }
        let sizes = self.handle.sizes().map_err(|f| failure(f, Side::Either))?;
        self.sizes = Some(sizes);
        Ok(sizes)
    }

    /// `EncryptMessage` of `message`, integrity only unless `encrypt`.
    fn seal(&mut self, message: &[u8], encrypt: bool) -> Result<ffi::Sealed> {
        if encrypt && self.side == Some(Side::Initiator) && !self.granted.contains(Flags::CONF) {
            return Err(not_confidential());
        }
        let sizes = self.sizes()?;
        let qop = if encrypt {
            0
        } else {
            sspi::SECQOP_WRAP_NO_ENCRYPT
        };
        self.handle
            .encrypt(qop, message, sizes)
            .map_err(|f| match f.code {
                status::SEC_E_UNSUPPORTED_FUNCTION | status::SEC_E_QOP_NOT_SUPPORTED if encrypt => {
                    failure(f, Side::Either)
                        .hint("request confidentiality (GSS_C_CONF_FLAG) when creating the context")
                }
                _ => failure(f, Side::Either),
            })
    }
}

fn bindings_block(
    bindings: Option<&ChannelBindings>,
    op: &'static str,
) -> Result<Option<Bindings>> {
    bindings
        .map(|b| {
            b.to_sec_channel_bindings()
                .and_then(|block| Bindings::new(&block))
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidArgument,
                        op,
                        "the channel bindings are too long for SSPI (4 GiB)",
                    )
                })
        })
        .transpose()
}

fn unwrapped((data, qop): (Vec<u8>, u32)) -> Unwrapped {
    Unwrapped {
        data,
        confidential: qop != sspi::SECQOP_WRAP_NO_ENCRYPT,
    }
}

impl SecurityContext for Context {
    type Cred = CredHandle;
    type Target = Wide;

    fn initiate(
        &mut self,
        cred: Option<&CredHandle>,
        target: &Wide,
        mech: Mech,
        flags: Flags,
        bindings: Option<&ChannelBindings>,
        input: &[u8],
    ) -> Result<RawStep> {
        const OP: &str = "InitializeSecurityContextW";
        let request = isc_request(flags)?;
        let package = Package::for_mech(mech);
        let max_token = package.max_token()?;
        let mut bindings = bindings_block(bindings, OP)?;
        let cred = Self::credential(&mut self.own_cred, cred, package, ffi::SECPKG_CRED_OUTBOUND)?;
        let leg = self
            .handle
            .initialize(cred, target, request, bindings.as_mut(), input, max_token)
            .map_err(|f| failure(f, Side::Initiator))?;
        self.side = Some(Side::Initiator);
        self.granted = returned_flags(leg.attrs, &ISC_RETURNED);
        Ok(RawStep {
            token: leg.token,
            complete: leg.complete,
            flags: self.granted,
        })
    }

    fn accept(
        &mut self,
        cred: Option<&CredHandle>,
        bindings: Option<&ChannelBindings>,
        input: &[u8],
    ) -> Result<RawStep> {
        const OP: &str = "AcceptSecurityContext";
        let package = Package::Negotiate;
        let max_token = package.max_token()?;
        let mut block = bindings_block(bindings, OP)?;
        let cred = Self::credential(&mut self.own_cred, cred, package, ffi::SECPKG_CRED_INBOUND)?;
        // No ASC_REQ_* flags, as winkerberos: the initiator chooses, and the attributes
        // returned say what was agreed.
        let leg = self
            .handle
            .accept(cred, 0, block.as_mut(), input, max_token)
            .map_err(|f| failure(f, Side::Acceptor))?;
        self.side = Some(Side::Acceptor);
        let mut flags = returned_flags(leg.attrs, &ASC_RETURNED);
        // The package checked the initiator's bindings against ours (a mismatch fails with
        // SEC_E_BAD_BINDINGS); it reports no separate "bound" attribute.
        if leg.complete && bindings.is_some() {
            flags |= Flags::CHANNEL_BOUND;
        }
        self.granted = flags;
        Ok(RawStep {
            token: leg.token,
            complete: leg.complete,
            flags,
        })
    }

    fn wrap(&mut self, message: &[u8], encrypt: bool) -> Result<Vec<u8>> {
        let sealed = self.seal(message, encrypt)?;
        let mut token =
            Vec::with_capacity(sealed.token.len() + sealed.data.len() + sealed.padding.len());
        token.extend_from_slice(&sealed.token);
        token.extend_from_slice(&sealed.data);
        token.extend_from_slice(&sealed.padding);
        Ok(token)
    }

    fn unwrap(&mut self, token: &[u8]) -> Result<Unwrapped> {
        self.handle
            .decrypt_stream(token)
            .map(unwrapped)
            .map_err(|f| failure(f, Side::Either))
    }

    fn wrap_iov(&mut self, message: &[u8], encrypt: bool) -> Result<IovWrapped> {
        let sealed = self.seal(message, encrypt)?;
        Ok(IovWrapped {
            header: sealed.token,
            data: sealed.data,
            padding: sealed.padding,
        })
    }

    fn unwrap_iov(&mut self, header: &[u8], data: &[u8]) -> Result<Unwrapped> {
        self.handle
            .decrypt_detached(header, data)
            .map(unwrapped)
            .map_err(|f| failure(f, Side::Either))
    }

    fn name(&self, party: Party) -> Result<Option<String>> {
        if !self.handle.is_live() {
            return Ok(None);
        }
        // Packages without native names (NTLM under Negotiate) still name the client through
        // SECPKG_ATTR_NAMES, and that account form is what winkerberos reported.
        let account = || self.handle.account_name().ok().flatten();
        match party {
            Party::InitiatorAccount => match account() {
                Some(name) => Ok(Some(name)),
                None => self.name(Party::Initiator),
            },
            Party::Initiator | Party::Acceptor => match self.handle.native_names() {
                Ok((initiator, acceptor)) => Ok(if party == Party::Initiator {
                    initiator
                } else {
                    acceptor
                }),
                Err(_) if party == Party::Initiator && account().is_some() => Ok(account()),
                Err(f) => Err(failure(f, Side::Either)),
            },
        }
    }

    fn take_delegated(&mut self) -> Option<CredHandle> {
        // SSPI gives a service delegated credentials only by impersonating the client.
        None
    }
}

fn not_confidential() -> Error {
    Error::new(
        ErrorKind::Unsupported,
        "EncryptMessage",
        "encryption was requested but this context only provides integrity",
    )
    .hint("request confidentiality (GSS_C_CONF_FLAG) when creating the context")
}

/// The symbolic name of the statuses we map, for messages when the system has no text.
fn status_name(code: i32) -> Option<&'static str> {
    Some(match code {
        status::SEC_E_NO_CREDENTIALS => "SEC_E_NO_CREDENTIALS",
        status::SEC_E_UNKNOWN_CREDENTIALS => "SEC_E_UNKNOWN_CREDENTIALS",
        status::SEC_E_LOGON_DENIED => "SEC_E_LOGON_DENIED",
        status::SEC_E_TARGET_UNKNOWN => "SEC_E_TARGET_UNKNOWN",
        status::SEC_E_WRONG_PRINCIPAL => "SEC_E_WRONG_PRINCIPAL",
        status::SEC_E_NO_AUTHENTICATING_AUTHORITY => "SEC_E_NO_AUTHENTICATING_AUTHORITY",
        status::SEC_E_INVALID_TOKEN => "SEC_E_INVALID_TOKEN",
        status::SEC_E_INCOMPLETE_MESSAGE => "SEC_E_INCOMPLETE_MESSAGE",
        status::SEC_E_MESSAGE_ALTERED => "SEC_E_MESSAGE_ALTERED",
        status::SEC_E_OUT_OF_SEQUENCE => "SEC_E_OUT_OF_SEQUENCE",
        status::SEC_E_BAD_BINDINGS => "SEC_E_BAD_BINDINGS",
        status::SEC_E_CONTEXT_EXPIRED => "SEC_E_CONTEXT_EXPIRED",
        status::SEC_E_SECPKG_NOT_FOUND => "SEC_E_SECPKG_NOT_FOUND",
        status::SEC_E_UNSUPPORTED_FUNCTION => "SEC_E_UNSUPPORTED_FUNCTION",
        status::SEC_E_QOP_NOT_SUPPORTED => "SEC_E_QOP_NOT_SUPPORTED",
        status::SEC_E_INTERNAL_ERROR => "SEC_E_INTERNAL_ERROR",
        status::SEC_E_INVALID_HANDLE => "SEC_E_INVALID_HANDLE",
        status::SEC_E_BUFFER_TOO_SMALL => "SEC_E_BUFFER_TOO_SMALL",
        status::SEC_E_INSUFFICIENT_MEMORY => "SEC_E_INSUFFICIENT_MEMORY",
        status::SEC_E_TIME_SKEW => "SEC_E_TIME_SKEW",
        status::SEC_E_DECRYPT_FAILURE => "SEC_E_DECRYPT_FAILURE",
        status::SEC_E_ILLEGAL_MESSAGE => "SEC_E_ILLEGAL_MESSAGE",
        status::SEC_E_MUTUAL_AUTH_FAILED => "SEC_E_MUTUAL_AUTH_FAILED",
        status::SEC_E_INVALID_PARAMETER => "SEC_E_INVALID_PARAMETER",
        _ => return None,
    })
}

/// A status as the messages show it: its name if we know it, and its code.
fn status_label(code: i32) -> String {
    let hex = format!("{:#010x}", code.cast_unsigned());
    status_name(code).map_or(hex.clone(), |name| format!("{name}, {hex}"))
}

/// Turns an SSPI failure into an [`Error`] with a kind, the system's text and a hint.
fn failure(f: Failure, side: Side) -> Error {
    let (kind, role) = kinds::sspi_kind(f.code);
    let label = status_label(f.code);
    let message = if f.text.is_empty() {
        format!("SSPI status {label}")
    } else {
        let text = f.text.trim_end_matches('.');
        format!("{text} ({label})")
    };
    let text = if f.text.is_empty() {
        message.clone()
    } else {
        f.text
    };
    let error = Error::with_status(kind, f.call, Status::Sspi { code: f.code, text }, message)
        .with_role(role);
    match kinds::hint(kind, role, side, Platform::Sspi) {
        Some(hint) => error.hint(hint),
        None => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_map_to_isc_requests() {
        let all = Flags::DELEG
            | Flags::MUTUAL
            | Flags::REPLAY
            | Flags::SEQUENCE
            | Flags::CONF
            | Flags::INTEG;
        assert_eq!(isc_request(all).ok(), Some(0x1_001f));
        assert_eq!(
            isc_request(Flags::INTEG).ok(),
            Some(sspi::ISC_REQ_INTEGRITY)
        );
        // Flags that only describe a context are ignored, anonymity is refused.
        assert_eq!(
            isc_request(Flags::MUTUAL | Flags::PROT_READY | Flags::TRANS).ok(),
            Some(2)
        );
        let err = isc_request(Flags::ANON).expect_err("no anonymous SSPI");
        assert_eq!(err.kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn returned_attributes_map_back_to_rfc_flags() {
        // What Wine's Kerberos package returned for MUTUAL|REPLAY|CONF|INTEG.
        assert_eq!(
            returned_flags(0x0001_0016, &ISC_RETURNED),
            Flags::MUTUAL | Flags::REPLAY | Flags::CONF | Flags::INTEG
        );
        assert_eq!(
            returned_flags(0x0002_0016, &ASC_RETURNED),
            Flags::MUTUAL | Flags::REPLAY | Flags::CONF | Flags::INTEG
        );
        // ISC_RET_INTEGRITY is not ASC_RET_INTEGRITY.
        assert_eq!(returned_flags(0x0001_0000, &ASC_RETURNED), Flags::NONE);
        assert_eq!(returned_flags(0x100, &ISC_RETURNED), Flags::NONE);
    }

    #[test]
    fn identity_splits_user_and_realm_at_the_last_at() {
        fn parts(principal: &str) -> (usize, Option<usize>) {
            let id = identity(principal, &Secret::from("pw")).expect("valid");
            (
                id.user.units_len(),
                id.domain.as_ref().map(SecretWide::units_len),
            )
        }
        assert_eq!(parts("alice@EXAMPLE.COM"), (5, Some(11)));
        assert_eq!(parts("alice@corp@EXAMPLE.COM"), (10, Some(11)));
        assert_eq!(parts("alice"), (5, None));
        assert_eq!(parts("alice@"), (6, None));
        let bad = identity("alice", &Secret::new(vec![0xff]))
            .err()
            .map(|e| e.kind());
        assert_eq!(bad, Some(ErrorKind::InvalidArgument));
        let nul = identity("alice", &Secret::from("a\0b"))
            .err()
            .map(|e| e.kind());
        assert_eq!(nul, Some(ErrorKind::InvalidArgument));
    }

    #[test]
    fn password_policy_refusals_are_recognised() {
        let change = |code: i32, last_error: u32| {
            change_failure(ffi::ChangeFailure {
                failure: Failure {
                    call: "ChangeAccountPasswordW",
                    code,
                    text: String::new(),
                },
                last_error,
            })
        };
        // The package's NTSTATUS left as the last error, behind the SEC_E_* status.
        let e = change(status::SEC_E_LOGON_DENIED, 0xc000_006c);
        assert_eq!(e.kind(), ErrorKind::PasswordRejected);
        assert_eq!(e.sspi_code(), Some(status::SEC_E_LOGON_DENIED));
        assert_eq!(
            e.message(),
            "the new password does not meet the password policy (STATUS_PASSWORD_RESTRICTION; \
             SSPI status SEC_E_LOGON_DENIED, 0x8009030c)"
        );
        assert!(e.hint_text().is_some());
        let e = change(status::SEC_E_INTERNAL_ERROR, 0xc000_025a);
        assert_eq!(e.kind(), ErrorKind::PasswordRejected);
        // The refusal as the returned status itself.
        let e = change(status::STATUS_PWD_HISTORY_CONFLICT, 0);
        assert_eq!(e.kind(), ErrorKind::PasswordRejected);
        let e = change(0x8007_052d_u32.cast_signed(), 0);
        assert_eq!(e.kind(), ErrorKind::PasswordRejected);
        // A wrong old password (STATUS_WRONG_PASSWORD), or no last error at all.
        for last_error in [0xc000_006a, 0] {
            let e = change(status::SEC_E_LOGON_DENIED, last_error);
            assert_eq!(e.kind(), ErrorKind::AuthenticationFailed);
            assert!(e.hint_text().is_some_and(|h| h.contains("old password")));
        }
        let e = change(status::SEC_E_NO_AUTHENTICATING_AUTHORITY, 0);
        assert_eq!(e.kind(), ErrorKind::KdcUnreachable);
        // A Win32 error that is no refusal changes nothing.
        let e = change(status::SEC_E_INTERNAL_ERROR, 5);
        assert_eq!(e.kind(), ErrorKind::Failure);
    }

    #[test]
    fn change_password_refuses_bad_arguments_before_any_call() {
        let kind = |principal: &str, old: Secret, new: Secret| {
            Sspi::change_password(principal, &old, &new)
                .err()
                .map(|e| e.kind())
        };
        let invalid = Some(ErrorKind::InvalidArgument);
        assert_eq!(
            kind("dave@R", Secret::new(vec![0xff]), Secret::from("n")),
            invalid
        );
        assert_eq!(
            kind("dave@R", Secret::from("o"), Secret::from("a\0b")),
            invalid
        );
        assert_eq!(
            kind("da\0ve@R", Secret::from("o"), Secret::from("n")),
            invalid
        );
        assert_eq!(
            kind("dave@R\0", Secret::from("o"), Secret::from("n")),
            invalid
        );
    }

    #[test]
    fn the_portable_status_table_matches_windows_sys() {
        use crate::kinds::sspi as k;
        let pairs = [
            (k::SEC_E_INVALID_HANDLE, status::SEC_E_INVALID_HANDLE),
            (
                k::SEC_E_UNSUPPORTED_FUNCTION,
                status::SEC_E_UNSUPPORTED_FUNCTION,
            ),
            (k::SEC_E_TARGET_UNKNOWN, status::SEC_E_TARGET_UNKNOWN),
            (k::SEC_E_SECPKG_NOT_FOUND, status::SEC_E_SECPKG_NOT_FOUND),
            (k::SEC_E_NOT_OWNER, status::SEC_E_NOT_OWNER),
            (k::SEC_E_INVALID_TOKEN, status::SEC_E_INVALID_TOKEN),
            (k::SEC_E_QOP_NOT_SUPPORTED, status::SEC_E_QOP_NOT_SUPPORTED),
            (k::SEC_E_LOGON_DENIED, status::SEC_E_LOGON_DENIED),
            (
                k::SEC_E_UNKNOWN_CREDENTIALS,
                status::SEC_E_UNKNOWN_CREDENTIALS,
            ),
            (k::SEC_E_NO_CREDENTIALS, status::SEC_E_NO_CREDENTIALS),
            (k::SEC_E_MESSAGE_ALTERED, status::SEC_E_MESSAGE_ALTERED),
            (k::SEC_E_OUT_OF_SEQUENCE, status::SEC_E_OUT_OF_SEQUENCE),
            (
                k::SEC_E_NO_AUTHENTICATING_AUTHORITY,
                status::SEC_E_NO_AUTHENTICATING_AUTHORITY,
            ),
            (k::SEC_E_CONTEXT_EXPIRED, status::SEC_E_CONTEXT_EXPIRED),
            (
                k::SEC_E_INCOMPLETE_MESSAGE,
                status::SEC_E_INCOMPLETE_MESSAGE,
            ),
            (k::SEC_E_WRONG_PRINCIPAL, status::SEC_E_WRONG_PRINCIPAL),
            (k::SEC_E_TIME_SKEW, status::SEC_E_TIME_SKEW),
            (k::SEC_E_ILLEGAL_MESSAGE, status::SEC_E_ILLEGAL_MESSAGE),
            (k::SEC_E_DECRYPT_FAILURE, status::SEC_E_DECRYPT_FAILURE),
            (
                k::SEC_E_WRONG_CREDENTIAL_HANDLE,
                status::SEC_E_WRONG_CREDENTIAL_HANDLE,
            ),
            (
                k::SEC_E_KDC_UNABLE_TO_REFER,
                status::SEC_E_KDC_UNABLE_TO_REFER,
            ),
            (k::SEC_E_BAD_BINDINGS, status::SEC_E_BAD_BINDINGS),
            (k::SEC_E_NO_KERB_KEY, status::SEC_E_NO_KERB_KEY),
            (
                k::SEC_E_DOWNGRADE_DETECTED,
                status::SEC_E_DOWNGRADE_DETECTED,
            ),
            (k::SEC_E_POLICY_NLTM_ONLY, status::SEC_E_POLICY_NLTM_ONLY),
            (k::SEC_E_NO_CONTEXT, status::SEC_E_NO_CONTEXT),
            (
                k::SEC_E_MUTUAL_AUTH_FAILED,
                status::SEC_E_MUTUAL_AUTH_FAILED,
            ),
            (k::SEC_I_CONTEXT_EXPIRED, status::SEC_I_CONTEXT_EXPIRED),
            (k::STATUS_NO_LOGON_SERVERS, status::STATUS_NO_LOGON_SERVERS),
            (k::STATUS_NO_SUCH_DOMAIN, status::STATUS_NO_SUCH_DOMAIN),
            (
                k::STATUS_TIME_DIFFERENCE_AT_DC,
                status::STATUS_TIME_DIFFERENCE_AT_DC,
            ),
            (
                k::STATUS_TRUSTED_DOMAIN_FAILURE,
                status::STATUS_TRUSTED_DOMAIN_FAILURE,
            ),
        ];
        // STATUS_NO_SUCH_USER, _WRONG_PASSWORD, _LOGON_FAILURE, _PASSWORD_EXPIRED and
        // _PASSWORD_MUST_CHANGE are not in windows-sys' Foundation; their values are
        // ntstatus.h's.
        for (ours, theirs) in pairs {
            assert_eq!(ours, theirs, "{:#x}", theirs.cast_unsigned());
        }
    }

    #[test]
    fn statuses_map_to_kinds() {
        // The table is `crate::kinds::sspi_kind`, unit-tested on every platform; here with
        // windows-sys' constants.
        let kind_of = |code| kinds::sspi_kind(code).0;
        assert_eq!(
            kind_of(status::SEC_E_LOGON_DENIED),
            ErrorKind::AuthenticationFailed
        );
        assert_eq!(
            kind_of(status::SEC_E_TARGET_UNKNOWN),
            ErrorKind::UnknownPrincipal
        );
        assert_eq!(
            kind_of(status::SEC_E_NO_CREDENTIALS),
            ErrorKind::NoCredentials
        );
        assert_eq!(
            kind_of(status::SEC_E_MESSAGE_ALTERED),
            ErrorKind::BadSignature
        );
        assert_eq!(kind_of(status::SEC_E_BAD_BINDINGS), ErrorKind::BadBindings);
        assert_eq!(kind_of(status::SEC_E_INTERNAL_ERROR), ErrorKind::Failure);
        let e = failure(
            Failure {
                call: "InitializeSecurityContextW",
                code: status::SEC_E_LOGON_DENIED,
                text: "The logon attempt failed".into(),
            },
            Side::Initiator,
        );
        assert_eq!(
            e.message(),
            "The logon attempt failed (SEC_E_LOGON_DENIED, 0x8009030c)"
        );
        assert_eq!(e.sspi_code(), Some(status::SEC_E_LOGON_DENIED));
        assert!(e.hint_text().is_some());
    }
}
