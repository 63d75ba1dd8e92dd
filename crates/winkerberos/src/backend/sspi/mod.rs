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

mod errors;
#[allow(unsafe_code)]
mod ffi;

use std::sync::OnceLock;

use windows_sys::Win32::Foundation as status;
use windows_sys::Win32::Security::Authentication::Identity as sspi;

use super::sspi_wire as wire;
use super::{Backend, ContextName, SecurityContext, StepOutput};
use crate::channel_bindings::ChannelBindings;
use crate::cred::{Credential, Secret};
use crate::error::{Error, ErrorKind, Result};
use crate::flags::Flags;
use crate::kinds::{self, Side};
use crate::name::TargetName;
use crate::types::{IovWrapped, Mech, Unwrapped};

use errors::{change_failure, failure};
use ffi::{Bindings, ContextHandle, CredHandle, Identity, SecretWide, Wide};

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

impl Backend for Sspi {
    type Cred = CredHandle;
    type Target = Wide;
    type Context = Context;
    type Loaded = ();

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
                    &wire::spn(&TargetName::parse(s)),
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
        wide(&wire::spn(target), "service name", "import target name")
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

    fn new_context((): ()) -> Context {
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
            return Err(kinds::not_confidential("EncryptMessage"));
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
                    failure(f, Side::Either).hint(kinds::CONF_HINT)
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
            wire::channel_bindings_block(b)
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
    ) -> Result<StepOutput> {
        const OP: &str = "InitializeSecurityContextW";
        let request = isc_request(flags)?;
        let package = Package::for_mech(mech);
        let max_token = package.max_token()?;
        let mut bindings = bindings_block(bindings, OP)?;
        let cred = Self::credential(&mut self.own_cred, cred, package, ffi::SECPKG_CRED_OUTBOUND)?;
        let step = self
            .handle
            .initialize(cred, target, request, bindings.as_mut(), input, max_token)
            .map_err(|f| failure(f, Side::Initiator))?;
        self.side = Some(Side::Initiator);
        self.granted = step.flags;
        Ok(step)
    }

    fn accept(
        &mut self,
        cred: Option<&CredHandle>,
        bindings: Option<&ChannelBindings>,
        input: &[u8],
    ) -> Result<StepOutput> {
        const OP: &str = "AcceptSecurityContext";
        let package = Package::Negotiate;
        let max_token = package.max_token()?;
        let mut block = bindings_block(bindings, OP)?;
        let cred = Self::credential(&mut self.own_cred, cred, package, ffi::SECPKG_CRED_INBOUND)?;
        // No ASC_REQ_* flags, as winkerberos: the initiator chooses, and the attributes
        // returned say what was agreed.
        let mut step = self
            .handle
            .accept(cred, 0, block.as_mut(), input, max_token)
            .map_err(|f| failure(f, Side::Acceptor))?;
        self.side = Some(Side::Acceptor);
        // The package checked the initiator's bindings against ours (a mismatch fails with
        // SEC_E_BAD_BINDINGS); it reports no separate "bound" attribute.
        if step.complete && bindings.is_some() {
            step.flags |= Flags::CHANNEL_BOUND;
        }
        self.granted = step.flags;
        Ok(step)
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

    fn name(&self, which: ContextName) -> Result<Option<String>> {
        if !self.handle.is_live() {
            return Ok(None);
        }
        // Packages without native names (NTLM under Negotiate) still name the client through
        // SECPKG_ATTR_NAMES, and that account form is what winkerberos reported.
        let account = || self.handle.account_name().ok().flatten();
        match which {
            ContextName::InitiatorAccount => match account() {
                Some(name) => Ok(Some(name)),
                None => self.name(ContextName::Initiator),
            },
            ContextName::Initiator | ContextName::Target => match self.handle.native_names() {
                Ok((initiator, target)) => Ok(if which == ContextName::Initiator {
                    initiator
                } else {
                    target
                }),
                Err(_) if which == ContextName::Initiator && account().is_some() => Ok(account()),
                Err(f) => Err(failure(f, Side::Either)),
            },
        }
    }

    fn take_delegated(&mut self) -> Option<CredHandle> {
        // SSPI gives a service delegated credentials only by impersonating the client.
        None
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
}
