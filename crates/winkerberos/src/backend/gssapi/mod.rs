//! The Unix backend: the system GSSAPI library (MIT krb5 or Heimdal), opened at run time.

mod errors;
#[allow(unsafe_code)]
mod ffi;

use errors::{check_sequence, failure, unknown_realm_if_unconfigured, unsupported};
use ffi::{Cred, Library, Name, routine};

use super::{Backend, ContextName, SecurityContext, StepOutput};
use crate::channel_bindings::ChannelBindings;
use crate::cred::{Credential, Secret};
use crate::error::{Error, ErrorKind, Operation, Result};
use crate::flags::Flags;
use crate::kinds::{self, Side};
use crate::name::{NameForm, TargetName};
use crate::types::{IovWrapped, Mech, Unwrapped};

/// The GSSAPI backend.
pub(crate) struct Gssapi;

fn lib() -> Result<&'static Library> {
    ffi::library().map_err(errors::library_unavailable)
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
    type Loaded = &'static Library;

    fn ensure_available() -> Result<&'static Library> {
        lib()
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
        let ccache = format!("MEMORY:winkerberos-{:016x}", crate::random::random_u64());
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
            Error::at(
                ErrorKind::InvalidArgument,
                Operation::StoreCredential,
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
        let principal_c = c_string(principal.as_bytes(), "the user name")?;
        let old = c_string(old.expose(), "the old password")?;
        let new = c_string(new.expose(), "the new password")?;
        ffi::krb5::change_password(&principal_c, &old, &new)
            .map_err(|f| errors::change_password_failure(f, principal))
    }

    fn new_context(lib: &'static Library) -> Context {
        Context {
            raw: ffi::Context::new(lib),
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
    raw: ffi::Context,
    delegated: Option<Cred>,
    /// Acceptor only: the initiator's name as `gss_accept_sec_context` returned it, which
    /// saves asking the library for it again.
    source: Option<Name>,
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
    ) -> Result<StepOutput> {
        self.raw
            .initiate(cred, target, mech_oid(mech), flags, bindings, input)
            .map_err(|f| failure(f, Side::Initiator))
    }

    fn accept(
        &mut self,
        cred: Option<&Cred>,
        bindings: Option<&ChannelBindings>,
        input: &[u8],
    ) -> Result<StepOutput> {
        let accepted = self
            .raw
            .accept(cred, bindings, input)
            .map_err(|f| failure(f, Side::Acceptor))?;
        if let Some(source) = accepted.source {
            self.source = Some(source);
        }
        self.delegated = accepted.delegated;
        Ok(accepted.step)
    }

    fn wrap(&mut self, message: &[u8], encrypt: bool) -> Result<Vec<u8>> {
        let (token, encrypted) = self
            .raw
            .wrap(message, encrypt)
            .map_err(|f| failure(f, Side::Either))?;
        if encrypt && !encrypted {
            return Err(kinds::not_confidential("gss_wrap"));
        }
        Ok(token.as_slice().to_vec())
    }

    fn unwrap(&mut self, token: &[u8]) -> Result<Unwrapped> {
        let out = self
            .raw
            .unwrap(token)
            .map_err(|f| failure(f, Side::Either))?;
        check_sequence(out.supplementary)?;
        Ok(Unwrapped {
            data: out.data.as_slice().to_vec(),
            confidential: out.confidential,
        })
    }

    fn wrap_iov(&mut self, message: &[u8], encrypt: bool) -> Result<IovWrapped> {
        let out = match self.raw.wrap_iov(message, encrypt) {
            Some(result) => result.map_err(|f| failure(f, Side::Either))?,
            None => {
                return Err(unsupported(
                    "gss_wrap_iov",
                    "wrap messages with a detached header",
                ));
            }
        };
        if encrypt && !out.confidential {
            return Err(kinds::not_confidential("gss_wrap_iov"));
        }
        Ok(IovWrapped {
            header: out.header,
            data: out.data,
            padding: out.padding,
        })
    }

    fn unwrap_iov(&mut self, header: &[u8], data: &[u8]) -> Result<Unwrapped> {
        let out = match self.raw.unwrap_iov(header, data) {
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

    fn name(&self, which: ContextName) -> Result<Option<String>> {
        let display = |name: &Name| {
            name.display()
                .map(Some)
                .map_err(|f| failure(f, Side::Either))
        };
        match (&self.source, which) {
            (Some(source), ContextName::Initiator | ContextName::InitiatorAccount) => {
                display(source)
            }
            _ => {
                let name = self
                    .raw
                    .inquire_name(which != ContextName::Target)
                    .map_err(|f| failure(f, Side::Either))?;
                display(&name)
            }
        }
    }

    fn take_delegated(&mut self) -> Option<Cred> {
        self.delegated.take()
    }
}

fn c_string(bytes: &[u8], what: &str) -> Result<zeroize::Zeroizing<std::ffi::CString>> {
    std::ffi::CString::new(bytes.to_vec())
        .map(zeroize::Zeroizing::new)
        .map_err(|_| {
            Error::at(
                ErrorKind::InvalidArgument,
                Operation::ChangePassword,
                format!("{what} contains a NUL character"),
            )
        })
}
