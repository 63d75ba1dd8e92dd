//! How SSPI failures become [`Error`]s: the kind of the status (by `crate::kinds`), the
//! system's text with the status' name, and a hint; and the password policy's refusals of a
//! new password.

use windows_sys::Win32::Foundation as status;

use super::ffi::{self, Failure};
use crate::error::{Error, ErrorKind, Status};
use crate::kinds::{self, Platform, Side};

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
pub(super) fn change_failure(c: ffi::ChangeFailure) -> Error {
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
pub(super) fn status_label(code: i32) -> String {
    let hex = format!("{:#010x}", code.cast_unsigned());
    status_name(code).map_or(hex.clone(), |name| format!("{name}, {hex}"))
}

/// Turns an SSPI failure into an [`Error`] with a kind, the system's text and a hint.
pub(super) fn failure(f: Failure, side: Side) -> Error {
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
