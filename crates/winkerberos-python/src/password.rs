//! pykerberos' password functions: checkPassword, changePassword, getServerPrincipalDetails.

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use winkerberos::Secret;

use crate::convert::{secret, text};
use crate::errors::{Api, api, krb_error_args};

/// `user`, or `user@default_realm` when it names no realm.
fn qualified(user: &str, default_realm: &str) -> String {
    if user.contains('@') || default_realm.is_empty() {
        user.to_owned()
    } else {
        format!("{user}@{default_realm}")
    }
}

/// Checks `user`'s password with the KDC (`user@default_realm` when `user` has no realm).
/// With `verify` (the default), also checks the KDC's answer against `service`'s key in the
/// keytab, so a spoofed KDC cannot fake success. Returns True; raises BasicAuthError.
#[pyfunction]
#[pyo3(name = "checkPassword", signature = (user, pswd, service, default_realm, verify = true))]
pub(crate) fn check_password(
    py: Python<'_>,
    user: &Bound<'_, PyAny>,
    pswd: &Bound<'_, PyAny>,
    service: &Bound<'_, PyAny>,
    default_realm: &Bound<'_, PyAny>,
    verify: bool,
) -> PyResult<bool> {
    Api::CheckPassword.call(|| {
        let principal = qualified(&text(user, "user")?, &text(default_realm, "default_realm")?);
        let password: Secret = secret(pswd, "pswd")?;
        let service = text(service, "service")?;
        py.detach(move || {
            winkerberos::check_password(&principal, &password, verify.then_some(service.as_str()))
        })?;
        Ok(true)
    })
}

/// Changes `user`'s password from `oldpswd` to `newpswd` with the KDC's password service.
/// Returns True; raises PwdChangeError.
#[pyfunction]
#[pyo3(name = "changePassword")]
pub(crate) fn change_password(
    py: Python<'_>,
    user: &Bound<'_, PyAny>,
    oldpswd: &Bound<'_, PyAny>,
    newpswd: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    Api::ChangePassword.call(|| {
        let user = text(user, "user")?;
        let old = secret(oldpswd, "oldpswd")?;
        let new = secret(newpswd, "newpswd")?;
        py.detach(move || winkerberos::change_password(&user, &old, &new))?;
        Ok(true)
    })
}

/// The first principal in the default keytab (KRB5_KTNAME) named
/// `service/hostname@REALM`. Raises KrbError when there is none.
#[pyfunction]
#[pyo3(name = "getServerPrincipalDetails")]
pub(crate) fn get_server_principal_details(
    py: Python<'_>,
    service: &Bound<'_, PyAny>,
    hostname: &Bound<'_, PyAny>,
) -> PyResult<String> {
    api("getServerPrincipalDetails", || {
        let prefix = format!(
            "{}/{}@",
            text(service, "service")?,
            text(hostname, "hostname")?
        );
        let principals = py.detach(|| winkerberos::keytab_principals(None))?;
        let found = principals.into_iter().find(|p| p.starts_with(&prefix));
        Ok(found.ok_or_else(|| {
            krb_error_args(
                PyTuple::new(py, [("Principal not found in keytab", -1)]),
                &format!(
                    "getServerPrincipalDetails: no principal {prefix}REALM in the keytab {}. Hint: \
                 check KRB5_KTNAME and the host name (it must match the keytab entry exactly)",
                    winkerberos::default_keytab_name()
                ),
            )
        })?)
    })
}
