//! Password operations: checking a user's password with the KDC, and changing it.

use crate::backend::{Backend, Native};
use crate::context::{Acceptor, AcceptorOptions, Initiator, InitiatorOptions, SecurityContext};
use crate::cred::{Credential, Secret};
use crate::error::{Error, ErrorKind, Operation, Result};
use crate::flags::Flags;

/// Checks `principal`'s password by obtaining a ticket-granting ticket from the KDC.
///
/// With `verify_service` (a service name such as `HTTP/web.example.com` whose key is in the
/// keytab), the check also gets a ticket for that service and accepts it with the keytab
/// key, which proves the answer came from the real KDC: without it, whoever can answer for
/// the KDC (a spoofed KDC) can make any password pass. The tickets stay in memory; no
/// ticket cache is read or written.
///
/// On Windows `verify_service` is required: SSPI contacts the KDC only when authenticating
/// to a service, so without one it fails with [`ErrorKind::Unsupported`].
///
/// ```no_run
/// use winkerberos::{Secret, check_password};
/// check_password("alice@EXAMPLE.COM", &Secret::from("pw"), Some("HTTP/web.example.com"))?;
/// # Ok::<(), winkerberos::Error>(())
/// ```
pub fn check_password(
    principal: &str,
    password: &Secret,
    verify_service: Option<&str>,
) -> Result<()> {
    let credential = Credential::password(principal, Secret::copy_from(password.expose()));
    credential.check()?;
    let Some(service) = verify_service else {
        Native::ensure_available()?;
        if !Native::ACQUIRE_CHECKS_PASSWORD {
            return Err(Error::at(
                ErrorKind::Unsupported,
                Operation::CheckPassword,
                "SSPI sends a password to the KDC only when it authenticates to a service",
            )
            .hint("pass verify_service, a service whose key this process can accept with"));
        }
        return Native::initiator_credential(&credential, crate::Mech::Kerberos).map(drop);
    };
    let options = InitiatorOptions {
        credential,
        flags: Flags::NONE,
        ..InitiatorOptions::default()
    };
    let mut client = Initiator::new(service, options)?;
    let step = client.step(&[])?;
    // Any key in the keytab: the ticket names the service, whose key must be there.
    let mut server = Acceptor::new(AcceptorOptions::default())?;
    server.step(step.token().unwrap_or_default())?;
    Ok(())
}

/// Changes `principal`'s password from `old` to `new` with the KDC's password service
/// (kpasswd, RFC 3244). A new password the realm's policy refuses fails with
/// [`ErrorKind::PasswordRejected`](crate::ErrorKind::PasswordRejected).
///
/// On Windows this is SSPI's `ChangeAccountPasswordW` with the Kerberos package, for
/// `user@REALM` (the account and its domain).
pub fn change_password(principal: &str, old: &Secret, new: &Secret) -> Result<()> {
    Native::change_password(principal, old, new)
}
