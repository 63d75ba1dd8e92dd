//! The Unix backend: the system GSSAPI library (MIT krb5 or Heimdal), opened at run time.

#[allow(unsafe_code)]
mod ffi;

use ffi::krb5::Krb5Failure;
use ffi::{Cred, Failure, Library, Name, routine};

use super::{Backend, Party, RawStep, SecurityContext};
use crate::channel_bindings::ChannelBindings;
use crate::cred::{Credential, Secret};
use crate::error::{Error, ErrorKind, Result, Status};
use crate::flags::Flags;
use crate::kinds::{self, Platform, Side};
use crate::name::{NameForm, TargetName};
use crate::types::{IovWrapped, Mech, Unwrapped};

/// The GSSAPI backend.
pub(crate) struct Gssapi;

fn lib() -> Result<&'static Library> {
    ffi::library().map_err(|e| {
        Error::new(
            ErrorKind::LibraryUnavailable,
            "load GSSAPI",
            e.message.clone(),
        )
        .hint(e.hint)
    })
}

/// The opened library's name and vendor, for diagnostics.
pub(crate) fn library_facts() -> Result<(String, Option<&'static str>)> {
    let lib = lib()?;
    Ok((lib.name.clone(), lib.vendor))
}

/// The default initiator credentials' principal and remaining lifetime in seconds.
pub(crate) fn default_credential() -> Result<(String, u32)> {
    let lib = lib()?;
    let cred = Cred::acquire(lib, None, ffi::GSS_C_INITIATE, Some(ffi::OID_KRB5))
        .map_err(|f| failure(f, Side::Initiator))?;
    let (name, lifetime) =
        Cred::inquire(lib, Some(&cred)).map_err(|f| failure(f, Side::Initiator))?;
    let name = name.display().map_err(|f| failure(f, Side::Either))?;
    Ok((name, lifetime))
}

fn mech_oid(mech: Mech) -> &'static [u8] {
    match mech {
        Mech::Kerberos => ffi::OID_KRB5,
        Mech::Spnego => ffi::OID_SPNEGO,
    }
}

impl Backend for Gssapi {
    type Cred = Cred;
    type Target = Name;
    type Context = Context;

    fn ensure_available() -> Result<()> {
        lib().map(|_| ())
    }

    fn initiator_credential(credential: &Credential, mech: Mech) -> Result<Option<Cred>> {
        let lib = lib()?;
        match credential {
            Credential::Default => Ok(None),
            Credential::Principal(principal) => {
                let name = import(lib, principal, ffi::OID_NT_USER_NAME)?;
                Cred::acquire(lib, Some(&name), ffi::GSS_C_INITIATE, Some(mech_oid(mech)))
                    .map(Some)
                    .map_err(|f| failure(f, Side::Initiator))
            }
            Credential::Password {
                principal,
                password,
            } => {
                let name = import(lib, principal, ffi::OID_NT_USER_NAME)?;
                // Like the name, the password reaches string-to-key as a C string.
                if password.expose().contains(&0) {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        "gss_acquire_cred_with_password",
                        "the password contains a NUL character",
                    ));
                }
                let unsupported = || {
                    Error::new(
                        ErrorKind::Unsupported,
                        "gss_acquire_cred_with_password",
                        format!("{} cannot obtain credentials with a password", lib.name),
                    )
                    .hint("use MIT krb5 or Heimdal, or obtain a ticket with kinit first")
                };
                let Some(result) =
                    Cred::acquire_with_password(lib, &name, password.expose(), mech_oid(mech))
                else {
                    return Err(unsupported());
                };
                match result {
                    Ok(cred) => Ok(Some(cred)),
                    // Heimdal 7's SPNEGO cannot take a password: it answers NO_CRED with no
                    // minor status, before any KDC is asked (so the password has had no
                    // attempt yet). Its Kerberos mechanism can; the credential then reaches
                    // SPNEGO through a private default cache (see ffi::heimdal).
                    Err(f)
                        if mech == Mech::Spnego
                            && f.major & routine::MASK == routine::NO_CRED
                            && f.minor == 0 =>
                    {
                        Cred::acquire_with_password(lib, &name, password.expose(), ffi::OID_KRB5)
                            .ok_or_else(unsupported)?
                            .and_then(Cred::for_heimdal_spnego)
                            .map(Some)
                            .map_err(|f| {
                                unknown_realm_if_unconfigured(
                                    failure(f, Side::Initiator),
                                    principal,
                                )
                            })
                    }
                    Err(f) => Err(unknown_realm_if_unconfigured(
                        failure(f, Side::Initiator),
                        principal,
                    )),
                }
            }
        }
    }

    fn acceptor_credential(service: Option<&str>) -> Result<Option<Cred>> {
        let Some(service) = service else {
            return Ok(None);
        };
        let lib = lib()?;
        let name = import(lib, service, ffi::OID_NT_HOSTBASED_SERVICE)?;
        Cred::acquire(lib, Some(&name), ffi::GSS_C_ACCEPT, None)
            .map(Some)
            .map_err(|f| failure(f, Side::Acceptor))
    }

    fn import_target(target: &TargetName) -> Result<Name> {
        let name_type = match target.form {
            NameForm::HostBased => ffi::OID_NT_HOSTBASED_SERVICE,
            NameForm::Principal => ffi::OID_KRB5_NT_PRINCIPAL_NAME,
        };
        import(lib()?, &target.text, name_type)
    }

    fn credential_name(cred: Option<&Cred>) -> Result<String> {
        let lib = lib()?;
        let name = Cred::principal(lib, cred).map_err(|f| failure(f, Side::Initiator))?;
        name.display().map_err(|f| failure(f, Side::Either))
    }

    fn credential_for_mech(cred: &Cred, mech: Mech) -> Result<Option<Cred>> {
        // Delegated credentials hold the Kerberos mechanism only, and MIT's SPNEGO does not
        // use a credential without a SPNEGO element (it falls back to the default cache).
        // Re-acquire them for SPNEGO through a private in-memory cache.
        if mech == Mech::Kerberos {
            return Ok(None);
        }
        let lib = lib()?;
        let ccache = format!(
            "MEMORY:winkerberos-{:016x}",
            crate::private_file::random_u64()
        );
        Self::store_credential(cred, &ccache)?;
        let name = std::ffi::CString::new(ccache).map_err(|_| {
            Error::new(
                ErrorKind::Failure,
                "gss_acquire_cred_from",
                "bad cache name",
            )
        })?;
        match Cred::acquire_from_ccache(lib, &name, mech_oid(mech)) {
            Some(result) => result.map(Some).map_err(|f| failure(f, Side::Initiator)),
            None => Err(unsupported(
                "gss_acquire_cred_from",
                "use delegated credentials with SPNEGO",
            )),
        }
    }

    fn store_credential(cred: &Cred, ccache: &str) -> Result<()> {
        let name = std::ffi::CString::new(ccache).map_err(|_| {
            Error::new(
                ErrorKind::InvalidArgument,
                "gss_store_cred_into",
                "the ccache name contains a NUL character",
            )
        })?;
        match cred.store_into(&name) {
            Some(result) => result.map_err(|f| failure(f, Side::Acceptor)),
            None => Err(unsupported(
                "gss_store_cred_into",
                "store credentials into a chosen cache",
            )),
        }
    }

    fn change_password(principal: &str, old: &Secret, new: &Secret) -> Result<()> {
        const OP: &str = "change password";
        let principal_text = principal.to_owned();
        let principal = c_string(principal.as_bytes(), "the user name")?;
        let old = c_string(old.expose(), "the old password")?;
        let new = c_string(new.expose(), "the new password")?;
        ffi::krb5::change_password(&principal, &old, &new).map_err(|failure| match failure {
            Krb5Failure::Unavailable(message) => Error::new(
                ErrorKind::LibraryUnavailable,
                OP,
                message,
            )
            .hint("install MIT Kerberos (Debian/Ubuntu: libkrb5-3; RHEL/Fedora/Alpine: krb5-libs)"),
            Krb5Failure::Call {
                call,
                code,
                message,
            } => {
                let (kind, role) =
                    kinds::krb5_kind(code, false, &message).unwrap_or((ErrorKind::Failure, None));
                let status = Status::Krb5 {
                    code,
                    text: message.clone(),
                };
                // The initial ticket came from the KDC, so a realm "without a KDC" here means
                // krb5.conf names no password server for it.
                if call == "krb5_change_password" && kind == ErrorKind::UnknownRealm {
                    return Error::with_status(
                        ErrorKind::KdcUnreachable,
                        call,
                        status,
                        format!("{message} (no password-change server is known for the realm)"),
                    )
                    .hint(
                        "krb5.conf names no kpasswd_server (nor admin_server) for the realm: add \
                         `kpasswd_server = HOST:464` to the realm's entry under [realms] (Samba's \
                         generated krb5.conf lacks it; its DCs serve kpasswd on port 464)",
                    );
                }
                let error = Error::with_status(kind, call, status, message).with_role(role);
                let error = match kinds::hint(kind, role, Side::Initiator, Platform::Gssapi) {
                    Some(h) => error.hint(h),
                    None => error,
                };
                if call == "krb5_get_init_creds_password" {
                    unknown_realm_if_unconfigured(error, &principal_text)
                } else {
                    error
                }
            }
            Krb5Failure::Rejected {
                code,
                code_text,
                text,
            } => {
                let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                let message = format!("{code_text}: {text}");
                let status = Status::Krb5 {
                    code,
                    text: message.clone(),
                };
                Error::with_status(
                    ErrorKind::PasswordRejected,
                    "krb5_change_password",
                    status,
                    message,
                )
                .hint("choose a password the realm's password policy accepts")
            }
        })
    }

    fn new_context() -> Context {
        // `ensure_available` runs before any context is created; a context made without the
        // library stays empty and every use of it reports the load error.
        Context {
            raw: ffi::library().ok().map(ffi::Context::new),
            delegated: None,
            source: None,
        }
    }
}

fn import(lib: &'static Library, text: &str, name_type: &'static [u8]) -> Result<Name> {
    // gss_import_name takes a counted buffer, but the krb5 mechanisms parse it as a C string:
    // a NUL would make them import a shorter name than the one written.
    if text.contains('\0') {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "gss_import_name",
            "the name contains a NUL character",
        ));
    }
    Name::import(lib, text, name_type).map_err(|f| {
        failure(f, Side::Either).or_hint(format!("check the spelling of the name {text:?}"))
    })
}

/// A GSSAPI security context, and the credentials its initiator delegated.
pub(crate) struct Context {
    raw: Option<ffi::Context>,
    delegated: Option<Cred>,
    /// Acceptor only: the initiator's name as `gss_accept_sec_context` returned it, which
    /// saves asking the library for it again.
    source: Option<Name>,
}

impl Context {
    fn raw(&mut self) -> Result<&mut ffi::Context> {
        match &mut self.raw {
            Some(ctx) => Ok(ctx),
            None => Err(lib().err().unwrap_or_else(|| {
                Error::new(
                    ErrorKind::LibraryUnavailable,
                    "load GSSAPI",
                    "the GSSAPI library is not loaded",
                )
            })),
        }
    }
}

fn leg(leg: ffi::Leg) -> RawStep {
    RawStep {
        token: leg.token.as_slice().to_vec(),
        complete: leg.complete,
        flags: Flags::from_bits(leg.flags),
    }
}

impl SecurityContext for Context {
    type Cred = Cred;
    type Target = Name;

    fn initiate(
        &mut self,
        cred: Option<&Cred>,
        target: &Name,
        mech: Mech,
        flags: Flags,
        bindings: Option<&ChannelBindings>,
        input: &[u8],
    ) -> Result<RawStep> {
        let ctx = self.raw()?;
        ctx.initiate(cred, target, mech_oid(mech), flags.bits(), bindings, input)
            .map(leg)
            .map_err(|f| failure(f, Side::Initiator))
    }

    fn accept(
        &mut self,
        cred: Option<&Cred>,
        bindings: Option<&ChannelBindings>,
        input: &[u8],
    ) -> Result<RawStep> {
        let ctx = self.raw()?;
        let mut out = ctx
            .accept(cred, bindings, input)
            .map_err(|f| failure(f, Side::Acceptor))?;
        let delegated = out.delegated.take();
        if let Some(source) = out.source.take() {
            self.source = Some(source);
        }
        let step = leg(out);
        self.delegated = delegated;
        Ok(step)
    }

    fn wrap(&mut self, message: &[u8], encrypt: bool) -> Result<Vec<u8>> {
        let (token, encrypted) = self
            .raw()?
            .wrap(message, encrypt)
            .map_err(|f| failure(f, Side::Either))?;
        if encrypt && !encrypted {
            return Err(not_confidential("gss_wrap"));
        }
        Ok(token.as_slice().to_vec())
    }

    fn unwrap(&mut self, token: &[u8]) -> Result<Unwrapped> {
        let out = self
            .raw()?
            .unwrap(token)
            .map_err(|f| failure(f, Side::Either))?;
        check_sequence(out.supplementary)?;
        Ok(Unwrapped {
            data: out.data.as_slice().to_vec(),
            confidential: out.confidential,
        })
    }

    fn wrap_iov(&mut self, message: &[u8], encrypt: bool) -> Result<IovWrapped> {
        let out = match self.raw()?.wrap_iov(message, encrypt) {
            Some(result) => result.map_err(|f| failure(f, Side::Either))?,
            None => {
                return Err(unsupported(
                    "gss_wrap_iov",
                    "wrap messages with a detached header",
                ));
            }
        };
        if encrypt && !out.confidential {
            return Err(not_confidential("gss_wrap_iov"));
        }
        Ok(IovWrapped {
            header: out.header,
            data: out.data,
            padding: out.padding,
        })
    }

    fn unwrap_iov(&mut self, header: &[u8], data: &[u8]) -> Result<Unwrapped> {
        let out = match self.raw()?.unwrap_iov(header, data) {
            Some(result) => result.map_err(|f| failure(f, Side::Either))?,
            None => {
                return Err(unsupported(
                    "gss_unwrap_iov",
                    "unwrap messages with a detached header",
                ));
            }
        };
        check_sequence(out.supplementary)?;
        Ok(Unwrapped {
            data: out.data,
            confidential: out.confidential,
        })
    }

    fn name(&self, party: Party) -> Result<Option<String>> {
        let Some(ctx) = &self.raw else {
            return Ok(None);
        };
        let display = |name: &Name| {
            name.display()
                .map(Some)
                .map_err(|f| failure(f, Side::Either))
        };
        match (&self.source, party) {
            (Some(source), Party::Initiator | Party::InitiatorAccount) => display(source),
            _ => {
                let name = ctx
                    .inquire_name(party != Party::Acceptor)
                    .map_err(|f| failure(f, Side::Either))?;
                display(&name)
            }
        }
    }

    fn take_delegated(&mut self) -> Option<Cred> {
        self.delegated.take()
    }
}

fn not_confidential(call: &'static str) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        call,
        "encryption was requested but this context only provides integrity",
    )
    .hint("request confidentiality (GSS_C_CONF_FLAG) when creating the context")
}

fn unsupported(call: &'static str, what: &str) -> Error {
    let name = ffi::library().map_or("the GSSAPI library", |lib| lib.name.as_str());
    Error::new(
        ErrorKind::Unsupported,
        call,
        format!("{name} cannot {what}"),
    )
    .hint("use MIT krb5 (libgssapi_krb5.so.2), which supports it")
}

/// Rejects a message that unwrapped correctly but arrived twice, too late or out of order.
fn check_sequence(supplementary: u32) -> Result<()> {
    let problem = if supplementary & ffi::GSS_S_DUPLICATE_TOKEN != 0 {
        Some((
            ErrorKind::Replay,
            "the message is a replay of one already received",
        ))
    } else if supplementary & ffi::GSS_S_OLD_TOKEN != 0 {
        Some((
            ErrorKind::Replay,
            "the message is too old to check for replay",
        ))
    } else if supplementary & (ffi::GSS_S_UNSEQ_TOKEN | ffi::GSS_S_GAP_TOKEN) != 0 {
        Some((
            ErrorKind::DefectiveToken,
            "the message arrived out of sequence",
        ))
    } else {
        None
    };
    match problem {
        Some((kind, message)) => Err(Error::new(kind, "gss_unwrap", message)
            .hint("unwrap every message exactly once, in the order the peer wrapped them")),
        None => Ok(()),
    }
}

fn c_string(bytes: &[u8], what: &str) -> Result<zeroize::Zeroizing<std::ffi::CString>> {
    std::ffi::CString::new(bytes.to_vec())
        .map(zeroize::Zeroizing::new)
        .map_err(|_| {
            Error::new(
                ErrorKind::InvalidArgument,
                "change password",
                format!("{what} contains a NUL character"),
            )
        })
}

/// A `KdcUnreachable` failure for a user whose realm krb5.conf does not know (and DNS may
/// not either) is an unknown realm: Heimdal reports a misspelled realm so.
fn unknown_realm_if_unconfigured(error: Error, principal: &str) -> Error {
    if error.kind() != ErrorKind::KdcUnreachable {
        return error;
    }
    let Some((_, realm)) = principal.rsplit_once('@') else {
        return error;
    };
    let config = crate::krb5conf::Config::load();
    if config.realm_kdcs(realm).is_empty() && !config.dns_lookup_kdc() {
        let hint = kinds::hint(
            ErrorKind::UnknownRealm,
            None,
            Side::Initiator,
            Platform::Gssapi,
        )
        .unwrap_or_default();
        error.reclassify(ErrorKind::UnknownRealm, hint)
    } else {
        error
    }
}

/// Turns a GSSAPI failure into an [`Error`] with a kind, a readable message and a hint.
fn failure(f: Failure, side: Side) -> Error {
    let routine_error = f.major & routine::MASK;
    let accepting = f.call == "gss_accept_sec_context";
    let minor = f.minor.cast_signed();
    let (kind, role) = kinds::krb5_kind(minor, accepting, &f.minor_text).unwrap_or((
        match routine_error {
            routine::BAD_MECH | routine::UNAVAILABLE => ErrorKind::BadMechanism,
            routine::BAD_NAME | routine::BAD_NAMETYPE => ErrorKind::BadName,
            routine::BAD_BINDINGS => ErrorKind::BadBindings,
            routine::BAD_SIG => ErrorKind::BadSignature,
            routine::NO_CRED | routine::DEFECTIVE_CREDENTIAL => ErrorKind::NoCredentials,
            routine::NO_CONTEXT => ErrorKind::NotEstablished,
            routine::DEFECTIVE_TOKEN | routine::BAD_STATUS | routine::BAD_QOP => {
                ErrorKind::DefectiveToken
            }
            routine::CREDENTIALS_EXPIRED | routine::CONTEXT_EXPIRED => ErrorKind::Expired,
            // A calling error (bad pointer or token buffer) is our input's fault.
            0 => ErrorKind::DefectiveToken,
            _ => ErrorKind::Failure,
        },
        None,
    ));
    // A tampered message also fails with a bad-integrity krb5 code: that is not a password.
    let kind = if matches!(
        kind,
        ErrorKind::AuthenticationFailed | ErrorKind::StaleKeytab
    ) && routine_error == routine::BAD_SIG
    {
        ErrorKind::BadSignature
    } else {
        kind
    };
    // "Unspecified GSS failure.  Minor code may provide more information" says nothing, and
    // for the krb5 errors recognised above the minor text alone is the clearest message.
    let minor_says_it = routine_error == routine::FAILURE
        || matches!(
            kind,
            ErrorKind::AuthenticationFailed
                | ErrorKind::UnknownPrincipal
                | ErrorKind::KdcUnreachable
                | ErrorKind::Replay
                | ErrorKind::Expired
                | ErrorKind::ClockSkew
                | ErrorKind::StaleKeytab
                | ErrorKind::PasswordExpired
                | ErrorKind::PasswordChangeRequired
                | ErrorKind::UnknownRealm
                | ErrorKind::NoCrossRealmTrust
        );
    // MIT reports some failures with a minor code whose text is "Success": no information.
    let minor_informative = !f.minor_text.is_empty() && f.minor_text != "Success";
    let message = if !minor_informative && routine_error == routine::FAILURE {
        "the GSSAPI library failed without giving a reason".to_owned()
    } else if !minor_informative {
        f.major_text.clone()
    } else if minor_says_it {
        f.minor_text.clone()
    } else {
        format!("{} ({})", f.major_text, f.minor_text)
    };
    // Heimdal passes on the KDC's e-text ("PROCESS_TGS (...)", "REQUIRED PWCHANGE"), which
    // does not say what it is about: name the failure first.
    let message = match kind {
        ErrorKind::ClockSkew if !message.to_lowercase().contains("skew") => {
            format!("clock skew too great ({message})")
        }
        ErrorKind::PasswordChangeRequired if !message.contains("change") => {
            format!("the password must be changed ({message})")
        }
        ErrorKind::PasswordChangeRequired | ErrorKind::PasswordExpired
            if message.contains("KEY EXPIRED") =>
        {
            format!("the password has expired ({message})")
        }
        _ => message,
    };
    let message = if message.is_empty() {
        format!("major status {:#x}", f.major)
    } else {
        message
    };
    let status = Status::Gss {
        major: f.major,
        minor: f.minor,
        major_text: f.major_text,
        minor_text: f.minor_text,
    };
    let error = Error::with_status(kind, f.call, status, message).with_role(role);
    match kinds::hint(kind, role, side, Platform::Gssapi) {
        Some(hint) => error.hint(hint),
        None => error,
    }
}
