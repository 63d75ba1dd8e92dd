//! What a mechanism's status code means, and what to do about it: the one table of krb5
//! error codes (shared by MIT's and Heimdal's libraries), the one table of SSPI statuses, and
//! the one table of hints for every kind, on both backends.
//!
//! The hints live here, not in a `backend/hints.rs`, because they are keyed by what this
//! module computes (the kind, and whose principal it is about) and, like it, are pure: kept
//! together, the way from a status code to its advice is one file, compiled and unit tested
//! on every platform (the SSPI table and hints on Linux too, and the table against
//! `windows-sys`' constants where the SSPI backend is compiled). A hint both backends share is
//! written once, under `_` for the platform; only advice that names a platform's own tools
//! (kinit or klist, keytabs or SPNs) is written per platform. The few failures both backends
//! detect themselves, without a status code, are made here too.

pub(crate) use crate::error::Platform;
use crate::error::{Error, ErrorKind, Role};

/// Which side a call acts for, to give the right advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Initiator,
    Acceptor,
    Either,
}

/// krb5 error codes (`ERROR_TABLE_BASE_krb5` + n, as signed `krb5_error_code`s); MIT and
/// Heimdal share the table.
#[cfg_attr(windows, allow(dead_code))]
pub(crate) mod krb5 {
    const BASE: i32 = -1_765_328_384;
    pub(crate) const C_PRINCIPAL_UNKNOWN: i32 = BASE + 6;
    pub(crate) const S_PRINCIPAL_UNKNOWN: i32 = BASE + 7;
    pub(crate) const KEY_EXP: i32 = BASE + 23;
    pub(crate) const PREAUTH_FAILED: i32 = BASE + 24;
    pub(crate) const AP_BAD_INTEGRITY: i32 = BASE + 31;
    pub(crate) const TKT_EXPIRED: i32 = BASE + 32;
    pub(crate) const TKT_NYV: i32 = BASE + 33;
    pub(crate) const AP_REPEAT: i32 = BASE + 34;
    pub(crate) const AP_SKEW: i32 = BASE + 37;
    pub(crate) const AP_MODIFIED: i32 = BASE + 41;
    pub(crate) const AP_BADKEYVER: i32 = BASE + 44;
    pub(crate) const AP_NOKEY: i32 = BASE + 45;
    pub(crate) const CC_NOTFOUND: i32 = BASE + 141;
    pub(crate) const REALM_UNKNOWN: i32 = BASE + 154;
    pub(crate) const KDC_UNREACH: i32 = BASE + 156;
    pub(crate) const KT_NOTFOUND: i32 = BASE + 181;
    pub(crate) const NO_TKT_IN_RLM: i32 = BASE + 185;
    pub(crate) const FCC_NOFILE: i32 = BASE + 195;
    pub(crate) const REALM_CANT_RESOLVE: i32 = BASE + 220;
    pub(crate) const KT_KVNONOTFOUND: i32 = BASE + 230;
    /// `ENOENT`, which both libraries report as is for a missing ccache or keytab file.
    pub(crate) const ENOENT: i32 = 2;
}

/// What a krb5 error code says, beyond its GSSAPI major status.
///
/// `accepting` is true for a failure of `gss_accept_sec_context` itself: there a missing key
/// or a ticket that does not decrypt means the service's keytab is out of date. `text` is the
/// library's message, which tells a few cases apart that share a code.
#[cfg_attr(windows, allow(dead_code))]
pub(crate) fn krb5_kind(
    code: i32,
    accepting: bool,
    text: &str,
) -> Option<(ErrorKind, Option<Role>)> {
    use ErrorKind as K;
    let kind = match code {
        krb5::C_PRINCIPAL_UNKNOWN => return Some((K::UnknownPrincipal, Some(Role::Client))),
        // The TGS cannot find krbtgt/OTHER@OURS: there is no trust path to the service's realm.
        krb5::S_PRINCIPAL_UNKNOWN if text.contains("krbtgt/") => K::NoCrossRealmTrust,
        krb5::S_PRINCIPAL_UNKNOWN => return Some((K::UnknownPrincipal, Some(Role::Service))),
        krb5::NO_TKT_IN_RLM => K::NoCrossRealmTrust,
        // An MIT KDC sends its reason as e-text, which Heimdal's library shows.
        krb5::KEY_EXP if text.contains("REQUIRED PWCHANGE") => K::PasswordChangeRequired,
        krb5::KEY_EXP => K::PasswordExpired,
        krb5::PREAUTH_FAILED => K::AuthenticationFailed,
        // A ticket that does not decrypt with the service's key; at the KDC, a wrong password.
        krb5::AP_BAD_INTEGRITY | krb5::AP_MODIFIED if accepting => K::StaleKeytab,
        krb5::AP_BAD_INTEGRITY => K::AuthenticationFailed,
        krb5::AP_BADKEYVER | krb5::AP_NOKEY | krb5::KT_KVNONOTFOUND => K::StaleKeytab,
        krb5::KT_NOTFOUND if accepting => K::StaleKeytab,
        krb5::AP_SKEW | krb5::TKT_NYV => K::ClockSkew,
        krb5::TKT_EXPIRED => K::Expired,
        krb5::AP_REPEAT => K::Replay,
        krb5::REALM_UNKNOWN => K::UnknownRealm,
        krb5::KDC_UNREACH | krb5::REALM_CANT_RESOLVE => K::KdcUnreachable,
        krb5::CC_NOTFOUND | krb5::FCC_NOFILE | krb5::ENOENT => K::NoCredentials,
        _ => return None,
    };
    Some((kind, None))
}

/// SSPI statuses (`SECURITY_STATUS`, and the NTSTATUS codes the Kerberos package returns as
/// is), by value so that the table compiles and is tested on every platform.
#[cfg_attr(not(windows), allow(dead_code))]
#[allow(clippy::unreadable_literal)]
pub(crate) mod sspi {
    const fn hr(code: u32) -> i32 {
        code.cast_signed()
    }
    pub(crate) const SEC_E_INVALID_HANDLE: i32 = hr(0x80090301);
    pub(crate) const SEC_E_UNSUPPORTED_FUNCTION: i32 = hr(0x80090302);
    pub(crate) const SEC_E_TARGET_UNKNOWN: i32 = hr(0x80090303);
    pub(crate) const SEC_E_SECPKG_NOT_FOUND: i32 = hr(0x80090305);
    pub(crate) const SEC_E_NOT_OWNER: i32 = hr(0x80090306);
    pub(crate) const SEC_E_INVALID_TOKEN: i32 = hr(0x80090308);
    pub(crate) const SEC_E_QOP_NOT_SUPPORTED: i32 = hr(0x8009030A);
    pub(crate) const SEC_E_LOGON_DENIED: i32 = hr(0x8009030C);
    pub(crate) const SEC_E_UNKNOWN_CREDENTIALS: i32 = hr(0x8009030D);
    pub(crate) const SEC_E_NO_CREDENTIALS: i32 = hr(0x8009030E);
    pub(crate) const SEC_E_MESSAGE_ALTERED: i32 = hr(0x8009030F);
    pub(crate) const SEC_E_OUT_OF_SEQUENCE: i32 = hr(0x80090310);
    pub(crate) const SEC_E_NO_AUTHENTICATING_AUTHORITY: i32 = hr(0x80090311);
    pub(crate) const SEC_E_CONTEXT_EXPIRED: i32 = hr(0x80090317);
    pub(crate) const SEC_E_INCOMPLETE_MESSAGE: i32 = hr(0x80090318);
    pub(crate) const SEC_E_WRONG_PRINCIPAL: i32 = hr(0x80090322);
    pub(crate) const SEC_E_TIME_SKEW: i32 = hr(0x80090324);
    pub(crate) const SEC_E_ILLEGAL_MESSAGE: i32 = hr(0x80090326);
    pub(crate) const SEC_E_DECRYPT_FAILURE: i32 = hr(0x80090330);
    pub(crate) const SEC_E_WRONG_CREDENTIAL_HANDLE: i32 = hr(0x80090336);
    pub(crate) const SEC_E_KDC_UNABLE_TO_REFER: i32 = hr(0x80090341);
    pub(crate) const SEC_E_BAD_BINDINGS: i32 = hr(0x80090346);
    pub(crate) const SEC_E_NO_KERB_KEY: i32 = hr(0x80090348);
    pub(crate) const SEC_E_DOWNGRADE_DETECTED: i32 = hr(0x80090350);
    pub(crate) const SEC_E_POLICY_NLTM_ONLY: i32 = hr(0x8009035F);
    pub(crate) const SEC_E_NO_CONTEXT: i32 = hr(0x80090361);
    pub(crate) const SEC_E_MUTUAL_AUTH_FAILED: i32 = hr(0x80090363);
    pub(crate) const SEC_I_CONTEXT_EXPIRED: i32 = hr(0x00090317);
    pub(crate) const STATUS_NO_LOGON_SERVERS: i32 = hr(0xC000005E);
    pub(crate) const STATUS_NO_SUCH_USER: i32 = hr(0xC0000064);
    pub(crate) const STATUS_WRONG_PASSWORD: i32 = hr(0xC000006A);
    pub(crate) const STATUS_LOGON_FAILURE: i32 = hr(0xC000006D);
    pub(crate) const STATUS_PASSWORD_EXPIRED: i32 = hr(0xC0000071);
    pub(crate) const STATUS_NO_SUCH_DOMAIN: i32 = hr(0xC00000DF);
    pub(crate) const STATUS_TIME_DIFFERENCE_AT_DC: i32 = hr(0xC0000133);
    pub(crate) const STATUS_TRUSTED_DOMAIN_FAILURE: i32 = hr(0xC000018C);
    pub(crate) const STATUS_PASSWORD_MUST_CHANGE: i32 = hr(0xC0000224);
}

/// The kind of failure an SSPI status stands for, and whose principal it concerns.
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) fn sspi_kind(code: i32) -> (ErrorKind, Option<Role>) {
    use ErrorKind as K;
    use sspi::*;
    let kind = match code {
        SEC_E_NO_CREDENTIALS
        | SEC_E_UNKNOWN_CREDENTIALS
        | SEC_E_NOT_OWNER
        | SEC_E_NO_KERB_KEY
        | SEC_E_WRONG_CREDENTIAL_HANDLE => K::NoCredentials,
        SEC_E_LOGON_DENIED
        | SEC_E_MUTUAL_AUTH_FAILED
        | STATUS_WRONG_PASSWORD
        | STATUS_LOGON_FAILURE => K::AuthenticationFailed,
        SEC_E_TARGET_UNKNOWN => return (K::UnknownPrincipal, Some(Role::Service)),
        STATUS_NO_SUCH_USER => return (K::UnknownPrincipal, Some(Role::Client)),
        // "The target principal name is incorrect": the service could not decrypt the
        // ticket (KRB_AP_ERR_MODIFIED), i.e. its key is not the KDC's (a stale password or an
        // SPN registered to another account).
        SEC_E_WRONG_PRINCIPAL => K::StaleKeytab,
        SEC_E_TIME_SKEW | STATUS_TIME_DIFFERENCE_AT_DC => K::ClockSkew,
        STATUS_PASSWORD_EXPIRED => K::PasswordExpired,
        STATUS_PASSWORD_MUST_CHANGE => K::PasswordChangeRequired,
        STATUS_NO_SUCH_DOMAIN => K::UnknownRealm,
        SEC_E_KDC_UNABLE_TO_REFER | STATUS_TRUSTED_DOMAIN_FAILURE => K::NoCrossRealmTrust,
        SEC_E_NO_AUTHENTICATING_AUTHORITY | STATUS_NO_LOGON_SERVERS => K::KdcUnreachable,
        SEC_E_INVALID_TOKEN
        | SEC_E_INCOMPLETE_MESSAGE
        | SEC_E_ILLEGAL_MESSAGE
        | SEC_E_DECRYPT_FAILURE
        | SEC_E_OUT_OF_SEQUENCE => K::DefectiveToken,
        SEC_E_MESSAGE_ALTERED => K::BadSignature,
        SEC_E_BAD_BINDINGS => K::BadBindings,
        SEC_E_CONTEXT_EXPIRED | SEC_I_CONTEXT_EXPIRED => K::Expired,
        SEC_E_SECPKG_NOT_FOUND | SEC_E_DOWNGRADE_DETECTED | SEC_E_POLICY_NLTM_ONLY => {
            K::BadMechanism
        }
        SEC_E_UNSUPPORTED_FUNCTION | SEC_E_QOP_NOT_SUPPORTED => K::Unsupported,
        SEC_E_INVALID_HANDLE | SEC_E_NO_CONTEXT => K::NotEstablished,
        _ => K::Failure,
    };
    (kind, None)
}

/// What to do when a context without confidentiality is asked to encrypt.
pub(crate) const CONF_HINT: &str =
    "request confidentiality (GSS_C_CONF_FLAG) when creating the context";

/// Encryption was requested of `call` on a context that only provides integrity.
pub(crate) fn not_confidential(call: &'static str) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        call,
        "encryption was requested but this context only provides integrity",
    )
    .hint(CONF_HINT)
}

const SKEW_HINT: &str = "the clocks of the client, the KDC and the service differ by more than \
    the allowed skew (clockskew in krb5.conf, default 300 s): compare them (`python -m \
    winkerberos doctor` measures this machine's offset to the KDC) and synchronise all three \
    with NTP";

/// What to try for a failure of `kind`, when there is something true to say.
pub(crate) fn hint(
    kind: ErrorKind,
    role: Option<Role>,
    side: Side,
    platform: Platform,
) -> Option<&'static str> {
    use ErrorKind as K;
    use Platform::{Gssapi, Sspi};
    Some(match (kind, side, platform) {
        (K::ClockSkew, _, Gssapi) => SKEW_HINT,
        (K::ClockSkew, _, Sspi) => {
            "the clocks of this machine, the domain controller and the service differ by more \
             than the allowed skew (5 minutes by default): synchronise them (w32tm /resync)"
        }
        (K::StaleKeytab, _, Gssapi) => {
            "the service's keytab lacks the key the KDC encrypted the ticket with (its key \
             version or encryption type): the service's key was changed after the keytab was \
             made; export a fresh keytab (kadmin ktadd, or msktutil/ktpass for Active \
             Directory) and compare `klist -kte KEYTAB` with `kvno SERVICE`"
        }
        (K::StaleKeytab, _, Sspi) => {
            "the service could not decrypt the ticket with its key: the SPN may be registered \
             to another account (setspn -Q SPN), or the service account's password changed; \
             fix the SPN and restart the service"
        }
        (K::PasswordExpired, _, _) => {
            "the password has expired (or must be changed before first use): change it (kpasswd, \
             or winkerberos.changePassword), then authenticate again; kinit cannot help until \
             then"
        }
        (K::PasswordChangeRequired, _, _) => {
            "the account must change its password before it can log on (first use, or an \
             administrator reset it): change it (kpasswd, or winkerberos.changePassword), then \
             authenticate again"
        }
        (K::UnknownRealm, _, Gssapi) => {
            "no KDC is known for this realm: check its spelling (realms are case-sensitive, \
             usually the upper-case DNS domain), or add it with its kdc under [realms] in \
             krb5.conf (KRB5_CONFIG), or enable dns_lookup_kdc"
        }
        (K::UnknownRealm, _, Sspi) => {
            "no domain controller is known for this domain: check its spelling and that this \
             machine can find one (nltest /dsgetdc:DOMAIN)"
        }
        (K::NoCrossRealmTrust, _, _) => {
            "the service is in another realm, and the client's realm has no cross-realm trust \
             to it (no krbtgt/SERVICE.REALM@CLIENT.REALM): check that the host maps to the \
             right realm ([domain_realm] in krb5.conf), ask for a trust between the realms, or \
             authenticate as a user of the service's realm"
        }
        (K::NoCredentials, Side::Acceptor, Gssapi) => {
            "make sure the keytab (KRB5_KTNAME, else the system default) is readable and holds a \
             key for this service"
        }
        (K::NoCredentials, Side::Acceptor, Sspi) => {
            "the service account must have a key for this service name (setspn) and the right to \
             accept it"
        }
        (K::NoCredentials, _, Gssapi) => {
            "obtain a ticket with kinit (or point KRB5CCNAME at a ticket cache), or authenticate as \
             a user with principal='user@REALM:password'"
        }
        (K::NoCredentials, _, Sspi) => {
            "log on with a domain account (klist shows the tickets), or authenticate as a user \
             with principal='user@REALM:password'"
        }
        (K::UnknownPrincipal, _, _) if role == Some(Role::Client) => {
            "check the user name and realm (realm names are case-sensitive, usually upper case)"
        }
        (K::UnknownPrincipal, _, Gssapi) => {
            "check the service name: 'service@host' must match a principal 'service/host@REALM' \
             that the KDC knows (the host name may have been canonicalized)"
        }
        (K::UnknownPrincipal, _, Sspi) => {
            "check the service name: 'service@host' becomes the SPN 'service/host', which the KDC \
             must know (setspn -Q service/host)"
        }
        (K::AuthenticationFailed, _, Gssapi) => "check the password (passwords are case-sensitive)",
        (K::AuthenticationFailed, _, Sspi) => {
            "check the user name, realm and password (passwords are case-sensitive)"
        }
        (K::KdcUnreachable, _, Gssapi) => {
            "check that a KDC for the realm is running and reachable on port 88 (see [realms] in \
             krb5.conf or KRB5_CONFIG; `python -m winkerberos doctor` tries it)"
        }
        (K::KdcUnreachable, _, Sspi) => {
            "check that a domain controller (KDC) for the realm is reachable"
        }
        (K::Replay, _, _) => "the token was already used: each token may be accepted only once",
        (K::BadBindings, _, _) => "both sides must use the same channel bindings",
        (K::Expired, _, Gssapi) => {
            "the ticket has expired: get a new one (kinit, or kinit -R while it is renewable) \
             and start a new context"
        }
        (K::Expired, _, Sspi) => "renew the credentials and start a new context",
        (K::DefectiveToken, Side::Acceptor, Gssapi) => {
            "pass the client's token unchanged; the client must use the same mechanism \
             (Kerberos or SPNEGO)"
        }
        (K::DefectiveToken, Side::Acceptor, Sspi) => {
            "pass the client's token unchanged; the client must use Kerberos or SPNEGO"
        }
        (K::DefectiveToken, _, Gssapi) => "pass the peer's token unchanged",
        (K::DefectiveToken, _, Sspi) => {
            "pass the peer's token unchanged, and unwrap each message once, in order"
        }
        (K::Failure, Side::Acceptor, Gssapi) => {
            "the client's token may be truncated or altered: pass it complete and unchanged"
        }
        (K::BadSignature, _, _) => {
            "the message was altered, or was not wrapped by this context's peer"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorKind as K;

    #[test]
    fn krb5_codes_name_the_failure() {
        let kind = |code, accepting, text| krb5_kind(code, accepting, text).map(|(k, _)| k);
        assert_eq!(
            kind(krb5::AP_SKEW, true, "Clock skew too great"),
            Some(K::ClockSkew)
        );
        assert_eq!(
            kind(krb5::AP_SKEW, false, "PROCESS_TGS (x)"),
            Some(K::ClockSkew)
        );
        assert_eq!(kind(krb5::TKT_NYV, true, ""), Some(K::ClockSkew));
        assert_eq!(kind(krb5::AP_BADKEYVER, true, ""), Some(K::StaleKeytab));
        assert_eq!(kind(krb5::KT_NOTFOUND, true, ""), Some(K::StaleKeytab));
        // Acquiring an acceptor credential: the service is not in the keytab at all.
        assert_eq!(kind(krb5::KT_NOTFOUND, false, ""), None);
        assert_eq!(kind(krb5::AP_BAD_INTEGRITY, true, ""), Some(K::StaleKeytab));
        assert_eq!(
            kind(krb5::AP_BAD_INTEGRITY, false, ""),
            Some(K::AuthenticationFailed)
        );
        assert_eq!(
            kind(krb5::KEY_EXP, false, "Password has expired"),
            Some(K::PasswordExpired)
        );
        assert_eq!(
            kind(krb5::KEY_EXP, false, "REQUIRED PWCHANGE"),
            Some(K::PasswordChangeRequired)
        );
        assert_eq!(kind(krb5::REALM_UNKNOWN, false, ""), Some(K::UnknownRealm));
        assert_eq!(kind(krb5::KDC_UNREACH, false, ""), Some(K::KdcUnreachable));
        assert_eq!(
            kind(
                krb5::S_PRINCIPAL_UNKNOWN,
                false,
                "Server krbtgt/OTHER.TEST@A not found"
            ),
            Some(K::NoCrossRealmTrust)
        );
        assert_eq!(
            krb5_kind(
                krb5::S_PRINCIPAL_UNKNOWN,
                false,
                "Server HTTP/x@A not found"
            ),
            Some((K::UnknownPrincipal, Some(Role::Service)))
        );
        assert_eq!(
            krb5_kind(krb5::C_PRINCIPAL_UNKNOWN, false, ""),
            Some((K::UnknownPrincipal, Some(Role::Client)))
        );
        assert_eq!(
            kind(krb5::ENOENT, false, "get-principal lstat(/x)"),
            Some(K::NoCredentials)
        );
        assert_eq!(kind(krb5::TKT_EXPIRED, false, ""), Some(K::Expired));
        assert_eq!(kind(0, false, ""), None);
    }

    #[test]
    fn sspi_statuses_map_to_the_same_kinds() {
        use sspi::*;
        let cases = [
            (SEC_E_TIME_SKEW, K::ClockSkew),
            (STATUS_TIME_DIFFERENCE_AT_DC, K::ClockSkew),
            (SEC_E_WRONG_PRINCIPAL, K::StaleKeytab),
            (STATUS_PASSWORD_EXPIRED, K::PasswordExpired),
            (STATUS_PASSWORD_MUST_CHANGE, K::PasswordChangeRequired),
            (STATUS_NO_SUCH_DOMAIN, K::UnknownRealm),
            (SEC_E_KDC_UNABLE_TO_REFER, K::NoCrossRealmTrust),
            (SEC_E_TARGET_UNKNOWN, K::UnknownPrincipal),
            (STATUS_NO_SUCH_USER, K::UnknownPrincipal),
            (SEC_E_LOGON_DENIED, K::AuthenticationFailed),
            (STATUS_WRONG_PASSWORD, K::AuthenticationFailed),
            (SEC_E_NO_CREDENTIALS, K::NoCredentials),
            (SEC_E_CONTEXT_EXPIRED, K::Expired),
            (SEC_E_NO_AUTHENTICATING_AUTHORITY, K::KdcUnreachable),
            (STATUS_NO_LOGON_SERVERS, K::KdcUnreachable),
            (SEC_E_BAD_BINDINGS, K::BadBindings),
            (SEC_E_INVALID_TOKEN, K::DefectiveToken),
            (SEC_E_MESSAGE_ALTERED, K::BadSignature),
            (SEC_E_SECPKG_NOT_FOUND, K::BadMechanism),
            (0x8009_0304_u32.cast_signed(), K::Failure), // SEC_E_INTERNAL_ERROR
        ];
        for (code, want) in cases {
            assert_eq!(sspi_kind(code).0, want, "{:#x}", code.cast_unsigned());
        }
        assert_eq!(sspi_kind(SEC_E_TARGET_UNKNOWN).1, Some(Role::Service));
        assert_eq!(sspi_kind(STATUS_NO_SUCH_USER).1, Some(Role::Client));
    }

    #[test]
    fn every_diagnosed_kind_has_a_hint_on_both_platforms() {
        let kinds = [
            K::ClockSkew,
            K::StaleKeytab,
            K::PasswordExpired,
            K::PasswordChangeRequired,
            K::UnknownRealm,
            K::NoCrossRealmTrust,
            K::UnknownPrincipal,
            K::AuthenticationFailed,
            K::NoCredentials,
            K::Expired,
            K::KdcUnreachable,
            K::BadBindings,
            K::Replay,
            K::DefectiveToken,
            K::BadSignature,
        ];
        for platform in [Platform::Gssapi, Platform::Sspi] {
            for kind in kinds {
                for side in [Side::Initiator, Side::Acceptor] {
                    assert!(
                        hint(kind, None, side, platform).is_some(),
                        "{kind:?} {side:?}"
                    );
                }
            }
        }
        let skew = hint(K::ClockSkew, None, Side::Acceptor, Platform::Gssapi).unwrap_or("");
        assert!(
            skew.contains("clockskew") && skew.contains("300 s"),
            "{skew}"
        );
        // The hints of the table in issue 10 that were wrong must not come back.
        for kind in [K::ClockSkew, K::StaleKeytab] {
            let h = hint(kind, None, Side::Acceptor, Platform::Gssapi).unwrap_or("");
            assert!(!h.contains("truncated"), "{kind:?}: {h}");
        }
        let h = hint(K::PasswordExpired, None, Side::Initiator, Platform::Gssapi).unwrap_or("");
        assert!(h.contains("change it") && !h.starts_with("renew"), "{h}");
        let client = hint(
            K::UnknownPrincipal,
            Some(Role::Client),
            Side::Initiator,
            Platform::Gssapi,
        );
        assert!(client.is_some_and(|h| h.contains("user name")));
    }
}
