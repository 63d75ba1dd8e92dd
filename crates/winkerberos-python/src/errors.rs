//! The exception classes (defined in `winkerberos/_errors.py`) and how a crate error becomes one.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use winkerberos::{Error, ErrorKind, Role, Status};

pyo3::import_exception!(winkerberos._errors, KrbError);
pyo3::import_exception!(winkerberos._errors, GSSError);
pyo3::import_exception!(winkerberos._errors, BasicAuthError);
pyo3::import_exception!(winkerberos._errors, PwdChangeError);

/// The `args` the originals gave a `GSSError` on this platform.
///
/// Unix (pykerberos/kerberos): `((major_text, major), (minor_text, minor))`, minor as the
/// signed krb5 code. Windows (winkerberos): one string, `"SSPI: <function>: <text>"`.
fn original_args<'py>(py: Python<'py>, err: &Error) -> PyResult<Bound<'py, PyTuple>> {
    if cfg!(windows) {
        let text = match err.status() {
            Status::Sspi { text, .. } => text.as_str(),
            _ => err.message(),
        };
        let op = err.operation().trim_end_matches('W');
        return PyTuple::new(py, [format!("SSPI: {op}: {text}")]);
    }
    let (major, major_text, minor, minor_text) = match err.status() {
        Status::Gss {
            major,
            minor,
            major_text,
            minor_text,
        } => {
            // krb5 minor codes are signed `krb5_error_code`s; the originals showed them so.
            (
                *major,
                major_text.as_str(),
                i64::from(*minor as i32),
                minor_text.as_str(),
            )
        }
        _ => (0, err.message(), 0, err.hint_text().unwrap_or("")),
    };
    PyTuple::new(
        py,
        [
            (major_text, i64::from(major)).into_pyobject(py)?,
            (minor_text, minor).into_pyobject(py)?,
        ],
    )
}

/// An instance of the exception class `E` with the originals' `args`, plus our full
/// `message` (what `str()` shows) and `hint`. A failure to build it is raised instead.
fn exception<'py, E: pyo3::PyTypeInfo>(
    args: PyResult<Bound<'py, PyTuple>>,
    message: &str,
    hint: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let args = args?;
    let exc = args.py().get_type::<E>().call1(args)?;
    exc.setattr("message", message)?;
    exc.setattr("hint", hint)?;
    Ok(exc)
}

/// An instance of the class for `err`'s kind that is also an `E` (see
/// `winkerberos._errors._class_for`), with the originals' `args` and every attribute:
/// `message`, `hint`, `operation`, `kind`, `major`, `minor`.
fn kind_exception<'py, E: pyo3::PyTypeInfo>(
    args: PyResult<Bound<'py, PyTuple>>,
    message: &str,
    err: &Error,
) -> PyResult<Bound<'py, PyAny>> {
    let args = args?;
    let (major, minor) = codes(err);
    let py = args.py();
    let role = match err.role() {
        Some(Role::Client) => Some("client"),
        Some(Role::Service) => Some("service"),
        _ => None,
    };
    let class = py
        .import("winkerberos._errors")?
        .getattr("_class_for")?
        .call1((py.get_type::<E>(), err.kind().name(), role))?;
    let exc = class.call1(args)?;
    exc.setattr("message", message)?;
    exc.setattr("hint", err.hint_text())?;
    exc.setattr("operation", err.operation())?;
    exc.setattr("kind", err.kind().name())?;
    exc.setattr("major", major)?;
    exc.setattr("minor", minor)?;
    Ok(exc)
}

/// The `major` and `minor` attributes of an error: GSSAPI's codes, SSPI's status as
/// `major`, or a krb5 library code as `minor`.
fn codes(err: &Error) -> (Option<i64>, Option<i64>) {
    match err.status() {
        Status::Gss { major, minor, .. } => (
            Some(i64::from(*major)),
            Some(i64::from(minor.cast_signed())),
        ),
        Status::Sspi { code, .. } => (Some(i64::from(*code)), None),
        Status::Krb5 { code, .. } => (None, Some(i64::from(*code))),
        _ => (None, None),
    }
}

/// Raises what `exc` built, or the error that kept it from being built.
fn raise(exc: PyResult<Bound<'_, PyAny>>) -> PyErr {
    exc.map_or_else(|failed| failed, PyErr::from_value)
}

/// Converts a crate error raised by the Python function `api` into a Python exception.
///
/// Argument problems become `ValueError`; everything else is a `GSSError` (of the class of
/// its kind too) carrying the originals' `args`, plus attributes `message` (the text `str()`
/// shows), `operation`, `kind`, `major`, `minor` and `hint`.
pub(crate) fn to_pyerr(py: Python<'_>, api: &'static str, err: Error) -> PyErr {
    if err.kind() == ErrorKind::InvalidArgument {
        return PyValueError::new_err(format!("{api}: {err}"));
    }
    raise(kind_exception::<GSSError>(
        original_args(py, &err),
        &format!("{api}: {err}"),
        &err,
    ))
}

/// A `KrbError` with the given `args` and our full message.
pub(crate) fn krb_error_args(args: PyResult<Bound<'_, PyTuple>>, message: &str) -> PyErr {
    raise(exception::<KrbError>(args, message, None))
}

/// A `KrbError` with the originals' single-message `args`.
pub(crate) fn krb_error(message: &str) -> PyErr {
    KrbError::new_err((message.to_owned(),))
}

/// The krb5 error code and text of a failure, as pykerberos' password functions reported
/// them: `(text, code)`.
fn krb5_code_and_text(err: &Error) -> (String, i64) {
    match err.status() {
        Status::Gss {
            minor, minor_text, ..
        } if *minor != 0 => (minor_text.clone(), i64::from(*minor as i32)),
        Status::Krb5 { code, text } => (text.clone(), i64::from(*code)),
        _ => (err.message().to_owned(), -1),
    }
}

/// A `BasicAuthError` for checkPassword: `args == (krb5 text, krb5 code)`.
pub(crate) fn basic_auth_error(py: Python<'_>, err: &Error) -> PyErr {
    if err.kind() == ErrorKind::InvalidArgument {
        return PyValueError::new_err(format!("checkPassword: {err}"));
    }
    let args = krb5_code_and_text(err).into_pyobject(py);
    raise(kind_exception::<BasicAuthError>(
        args,
        &format!("checkPassword: {err}"),
        err,
    ))
}

/// A `PwdChangeError` for changePassword: `args == (krb5 text, krb5 code)`, or for a
/// password the server refused, `args == ((text, result code),)`.
pub(crate) fn pwd_change_error(py: Python<'_>, err: &Error) -> PyErr {
    if err.kind() == ErrorKind::InvalidArgument {
        return PyValueError::new_err(format!("changePassword: {err}"));
    }
    let pair = krb5_code_and_text(err);
    let args = if err.kind() == ErrorKind::PasswordRejected {
        (pair,).into_pyobject(py)
    } else {
        pair.into_pyobject(py)
    };
    raise(kind_exception::<PwdChangeError>(
        args,
        &format!("changePassword: {err}"),
        err,
    ))
}
