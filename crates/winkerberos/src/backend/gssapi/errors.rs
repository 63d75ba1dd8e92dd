//! How GSSAPI and krb5 failures become [`Error`]s: their kind (by the krb5 code first, then
//! the GSSAPI routine error), a readable message and a hint.

use super::ffi::krb5::Krb5Failure;
use super::ffi::{self, Failure, routine};
use crate::error::{Error, ErrorKind, Operation, Result, Status};
use crate::kinds::{self, Platform, Side};

/// Why the GSSAPI library cannot be used, as an [`Error`].
pub(super) fn library_unavailable(e: &ffi::LoadError) -> Error {
    Error::new(
        ErrorKind::LibraryUnavailable,
        "load GSSAPI",
        e.message.clone(),
    )
    .hint(e.hint)
}

/// A failed password change as an [`Error`].
pub(super) fn change_password_failure(failure: Krb5Failure, principal: &str) -> Error {
    match failure {
        Krb5Failure::Unavailable(message) => Error::at(
            ErrorKind::LibraryUnavailable,
            Operation::ChangePassword,
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
                unknown_realm_if_unconfigured(error, principal)
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
    }
}

pub(super) fn unsupported(call: &'static str, what: &str) -> Error {
    let name = ffi::library().map_or("the GSSAPI library", |lib| lib.name.as_str());
    Error::new(
        ErrorKind::Unsupported,
        call,
        format!("{name} cannot {what}"),
    )
    .hint("use MIT krb5 (libgssapi_krb5.so.2), which supports it")
}

/// Rejects a message that unwrapped correctly but arrived twice, too late or out of order.
pub(super) fn check_sequence(supplementary: u32) -> Result<()> {
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

/// A `KdcUnreachable` failure for a user whose realm krb5.conf does not know (and DNS may
/// not either) is an unknown realm: Heimdal reports a misspelled realm so.
pub(super) fn unknown_realm_if_unconfigured(error: Error, principal: &str) -> Error {
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
pub(super) fn failure(f: Failure, side: Side) -> Error {
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
