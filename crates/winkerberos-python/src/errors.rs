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

/// Why the body of a Python function failed: a Python exception (raised while reading its
/// arguments), or a crate error, which [`Api::call`] turns into that function's exception.
pub(crate) enum Failure {
    Python(PyErr),
    Crate(Error),
}

impl From<PyErr> for Failure {
    fn from(err: PyErr) -> Self {
        Self::Python(err)
    }
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Self::Crate(err)
    }
}

/// A Python function, as its crate errors show it: its name starts their message, and its
/// exception class (the originals' class for that function) shapes their `args`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Api {
    /// Every function and method but the two password functions: `GSSError`, with the
    /// `args` of `original_args`.
    Gss(&'static str),
    /// checkPassword: `BasicAuthError`, `args == (krb5 text, krb5 code)`.
    CheckPassword,
    /// changePassword: `PwdChangeError`, `args == (krb5 text, krb5 code)`, or for a password
    /// the server refused, `args == ((text, result code),)`.
    ChangePassword,
}

impl Api {
    /// The function's Python name.
    const fn name(self) -> &'static str {
        match self {
            Self::Gss(name) => name,
            Self::CheckPassword => "checkPassword",
            Self::ChangePassword => "changePassword",
        }
    }

    /// Runs `body`, the whole of this function: a crate error it fails with becomes this
    /// function's exception, a Python exception is raised as it is.
    pub(crate) fn call<T>(self, body: impl FnOnce() -> Result<T, Failure>) -> PyResult<T> {
        body().map_err(|failure| match failure {
            Failure::Python(err) => err,
            Failure::Crate(error) => ApiError { api: self, error }.into(),
        })
    }
}

/// Runs `body`, the whole of the Python function or method `name`, whose crate errors raise
/// `GSSError` (see [`Api::call`]).
pub(crate) fn api<T>(name: &'static str, body: impl FnOnce() -> Result<T, Failure>) -> PyResult<T> {
    Api::Gss(name).call(body)
}

/// A crate error raised by a Python function.
pub(crate) struct ApiError {
    api: Api,
    error: Error,
}

impl From<ApiError> for PyErr {
    /// Argument problems become `ValueError`; everything else is an instance of the
    /// function's class (and of the class of its kind) carrying the originals' `args`, plus
    /// attributes `message` (the text `str()` shows), `operation`, `kind`, `major`, `minor`
    /// and `hint`.
    fn from(ApiError { api, error }: ApiError) -> Self {
        let message = format!("{}: {error}", api.name());
        if error.kind() == ErrorKind::InvalidArgument {
            return PyValueError::new_err(message);
        }
        // Raised as a function returns, which it does attached to the interpreter.
        Python::attach(|py| {
            raise(match api {
                Api::Gss(_) => {
                    kind_exception::<GSSError>(original_args(py, &error), &message, &error)
                }
                Api::CheckPassword => {
                    let args = krb5_code_and_text(&error).into_pyobject(py);
                    kind_exception::<BasicAuthError>(args, &message, &error)
                }
                Api::ChangePassword => {
                    let pair = krb5_code_and_text(&error);
                    let args = if error.kind() == ErrorKind::PasswordRejected {
                        (pair,).into_pyobject(py)
                    } else {
                        pair.into_pyobject(py)
                    };
                    kind_exception::<PwdChangeError>(args, &message, &error)
                }
            })
        })
    }
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
