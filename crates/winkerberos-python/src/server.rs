//! The server API: `authGSSServer*`.

use std::sync::Mutex;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyString};
use winkerberos::SecurityContext as _;
use winkerberos::{Acceptor, DelegatedCredential, Error, ErrorKind, Step};

use crate::cache;
use crate::convert::{b64encode, text, token_text, type_name};
use crate::errors::{krb_error, to_pyerr};
use crate::locked;
use crate::types::bindings;
use crate::{AUTH_GSS_COMPLETE, AUTH_GSS_CONTINUE, decode_token};

/// The state behind a server context, used by one thread at a time.
struct ServerState {
    acceptor: Acceptor,
    /// The last step's output token.
    response: Option<String>,
    /// The authenticated client principal.
    username: Option<String>,
    /// The service principal the client asked for (reported only for the `""` service).
    target_name: Option<String>,
    /// Whether the last unwrapped message was encrypted.
    response_conf: i32,
    /// The file authGSSServerStoreDelegate wrote the delegated credentials to.
    cache_name: Option<String>,
}

impl ServerState {
    /// The authenticated client: looked up when first asked for once the handshake is
    /// complete, then kept.
    fn username(&mut self) -> Result<Option<String>, Error> {
        if self.username.is_none() && self.acceptor.is_complete() {
            self.username = Some(self.acceptor.initiator_account_name()?);
        }
        Ok(self.username.clone())
    }

    /// The service the client asked for, reported (as pykerberos did) only by a context
    /// that accepts with any key in the keytab.
    fn target_name(&mut self, any_service: bool) -> Result<Option<String>, Error> {
        if any_service && self.target_name.is_none() && self.acceptor.is_complete() {
            self.target_name = Some(self.acceptor.target_name()?);
        }
        Ok(self.target_name.clone())
    }
}

/// A server security context, as returned by authGSSServerInit.
#[pyclass(frozen, module = "winkerberos", name = "GSSServerContext")]
pub(crate) struct ServerContext {
    state: Mutex<ServerState>,
    /// Whether the context accepts with any key in the keytab (service `""`).
    any_service: bool,
}

#[pymethods]
impl ServerContext {
    fn __repr__(&self) -> String {
        let phase = match self.state.try_lock() {
            Ok(state) if state.acceptor.is_complete() => "complete",
            Ok(_) => "not complete",
            Err(_) => "in use",
        };
        format!("<winkerberos.GSSServerContext {phase}>")
    }

    /// Runs one handshake leg with the client's token and returns the token to send back,
    /// or None. The bytes-level form of authGSSServerStep: no base64, no state.
    #[pyo3(signature = (token, channel_bindings = None))]
    fn step<'py>(
        slf: &Bound<'py, Self>,
        token: PyBackedBytes,
        channel_bindings: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let bindings = bindings(channel_bindings)?;
        let out = with_state(slf.as_any(), "GSSServerContext.step", move |s, _| {
            s.acceptor.set_channel_bindings(bindings);
            let step = s.acceptor.step(&token)?;
            Ok(match step {
                Step::Continue(token) => Some(token),
                Step::Complete(token) => token,
            })
        })?;
        Ok(out.map(|token| PyBytes::new(slf.py(), &token)))
    }

    /// Whether the handshake is complete.
    #[getter]
    fn complete(&self, py: Python<'_>) -> bool {
        locked::attached(py, &self.state, |s| s.acceptor.is_complete())
    }

    /// The authenticated client principal, or None before completion.
    #[getter]
    fn user_name(slf: &Bound<'_, Self>) -> PyResult<Option<String>> {
        with_state(slf.as_any(), "GSSServerContext.user_name", |s, _| {
            s.username()
        })
    }

    /// Wraps `data` for the client (encrypted unless `encrypt` is False).
    #[pyo3(signature = (data, encrypt = true))]
    fn wrap<'py>(
        slf: &Bound<'py, Self>,
        data: PyBackedBytes,
        encrypt: bool,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let token = with_state(slf.as_any(), "GSSServerContext.wrap", move |s, _| {
            s.acceptor.wrap(&data, encrypt)
        })?;
        Ok(PyBytes::new(slf.py(), &token))
    }

    /// Unwraps a message from the client and returns its data.
    fn unwrap<'py>(slf: &Bound<'py, Self>, token: PyBackedBytes) -> PyResult<Bound<'py, PyBytes>> {
        let data = with_state(slf.as_any(), "GSSServerContext.unwrap", move |s, _| {
            s.acceptor.unwrap(&token)
        })?;
        Ok(PyBytes::new(slf.py(), &data.data))
    }
}

fn server<'a, 'py>(context: &'a Bound<'py, PyAny>) -> PyResult<&'a Bound<'py, ServerContext>> {
    context.cast::<ServerContext>().map_err(|_| {
        PyTypeError::new_err(format!(
            "Expected a context object: a server context from authGSSServerInit, not {}",
            type_name(context)
        ))
    })
}

/// Runs `f` on the context's state (and whether it accepts any service) with the GIL
/// released and the context locked.
fn with_state<T: Send>(
    context: &Bound<'_, PyAny>,
    api: &'static str,
    f: impl FnOnce(&mut ServerState, bool) -> Result<T, Error> + Send,
) -> PyResult<T> {
    let ctx = server(context)?.get();
    locked::detached(context.py(), &ctx.state, api, |s| f(s, ctx.any_service))
}

/// Reads the state without releasing the GIL (for cheap getters).
fn read_state<T>(context: &Bound<'_, PyAny>, f: impl FnOnce(&ServerState) -> T) -> PyResult<T> {
    Ok(locked::attached(
        context.py(),
        &server(context)?.get().state,
        f,
    ))
}

/// The credentials a server context received from its client, for `authGSSClientInit(delegated=)`.
pub(crate) fn delegated_credential(context: &Bound<'_, PyAny>) -> PyResult<DelegatedCredential> {
    let delegated = read_state(context, |s| s.acceptor.delegated_credential()).map_err(|_| {
        PyTypeError::new_err(format!(
            "delegated must be a server context from authGSSServerInit, not {}",
            type_name(context)
        ))
    })?;
    delegated.ok_or_else(|| {
        let err = Error::new(
            ErrorKind::NoCredentials,
            "delegated credentials",
            "this server context holds no delegated credentials",
        )
        .hint("the client must request GSS_C_DELEG_FLAG with a forwardable ticket");
        to_pyerr(context.py(), "authGSSClientInit", err)
    })
}

/// Initializes a server context for the host-based `service` ("HTTP@host" or "HTTP"), with
/// its key from the keytab (KRB5_KTNAME). "" accepts with any key in the keytab (see
/// authGSSServerTargetName); "DELEGATE" (pykerberos) likewise accepts with any key.
/// Returns (AUTH_GSS_COMPLETE, context).
#[pyfunction]
#[pyo3(name = "authGSSServerInit")]
pub(crate) fn server_init<'py>(
    py: Python<'py>,
    service: &Bound<'py, PyAny>,
) -> PyResult<(i32, Bound<'py, ServerContext>)> {
    let service = text(service, "service")?;
    // pykerberos' "DELEGATE" accepted with any key too (and reported no target name).
    let any_service = service.is_empty();
    let service = (!any_service && service != "DELEGATE").then_some(service);
    // A credential already acquired needs no library call: no need to drop the GIL.
    let acceptor = match cache::known_service_credential(service.as_deref()) {
        Some(credential) => Acceptor::with_credential(&credential, None),
        None => py
            .detach(move || {
                let credential = cache::service_credential(service.as_deref())?;
                Ok(Acceptor::with_credential(&credential, None))
            })
            .map_err(|err| to_pyerr(py, "authGSSServerInit", err))?,
    };
    let state = ServerState {
        acceptor,
        response: None,
        username: None,
        target_name: None,
        response_conf: 0,
        cache_name: None,
    };
    let context = Bound::new(
        py,
        ServerContext {
            state: Mutex::new(state),
            any_service,
        },
    )?;
    Ok((AUTH_GSS_COMPLETE, context))
}

/// Processes the client's base64 token. Returns AUTH_GSS_COMPLETE (1) once the client is
/// authenticated, or AUTH_GSS_CONTINUE (0) when the mechanism needs another token.
/// With `channel_bindings`, a client that used other bindings, or none, is rejected.
#[pyfunction]
#[pyo3(name = "authGSSServerStep", signature = (context, challenge, channel_bindings = None))]
pub(crate) fn server_step(
    context: &Bound<'_, PyAny>,
    challenge: &Bound<'_, PyAny>,
    channel_bindings: Option<&Bound<'_, PyAny>>,
) -> PyResult<i32> {
    server(context)?;
    let challenge = token_text(challenge, "challenge")?;
    if challenge.is_empty() {
        return Err(krb_error("No challenge parameter in request from client"));
    }
    let bindings = bindings(channel_bindings)?;
    with_state(context, "authGSSServerStep", move |s, _| {
        s.response = None;
        let input = decode_token(challenge, "client's token")?;
        s.acceptor.set_channel_bindings(bindings);
        match s.acceptor.step(&input)? {
            Step::Continue(token) => {
                s.response = Some(b64encode(&token));
                Ok(AUTH_GSS_CONTINUE)
            }
            Step::Complete(token) => {
                s.response = token.as_deref().map(b64encode);
                Ok(AUTH_GSS_COMPLETE)
            }
        }
    })
}

/// The base64 token to send back to the client (mutual authentication), or None.
#[pyfunction]
#[pyo3(name = "authGSSServerResponse")]
pub(crate) fn server_response<'py>(
    context: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyString>>> {
    // Straight from the kept text into a Python str: one copy, not two.
    read_state(context, |s| {
        s.response
            .as_deref()
            .map(|text| PyString::new(context.py(), text))
    })
}

/// The authenticated client principal ("user@REALM"), or None before completion.
#[pyfunction]
#[pyo3(name = "authGSSServerUserName")]
pub(crate) fn server_user_name(context: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    with_state(context, "authGSSServerUserName", |s, _| s.username())
}

/// For a context created with service "", the service principal the client authenticated
/// to (such as "HTTP/host@REALM"); None otherwise.
#[pyfunction]
#[pyo3(name = "authGSSServerTargetName")]
pub(crate) fn server_target_name(context: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    with_state(context, "authGSSServerTargetName", ServerState::target_name)
}

/// Whether the client delegated its credentials.
#[pyfunction]
#[pyo3(name = "authGSSServerHasDelegated")]
pub(crate) fn server_has_delegated(context: &Bound<'_, PyAny>) -> PyResult<bool> {
    read_state(context, |s| s.acceptor.delegated_credential().is_some())
}

/// Does nothing and returns 1: contexts free themselves when garbage-collected.
#[pyfunction]
#[pyo3(name = "authGSSServerClean", signature = (*_args))]
pub(crate) fn server_clean(_args: &Bound<'_, pyo3::types::PyTuple>) -> i32 {
    AUTH_GSS_COMPLETE
}

/// Wraps the base64 `data` for the client (encrypted when `protect` is 1) into
/// authGSSServerResponse. Returns 1. (An addition: the originals had no server-side wrap.)
#[pyfunction]
#[pyo3(name = "authGSSServerWrap", signature = (context, data, protect = 0))]
pub(crate) fn server_wrap(
    context: &Bound<'_, PyAny>,
    data: &Bound<'_, PyAny>,
    protect: i64,
) -> PyResult<i32> {
    let data = token_text(data, "data")?;
    with_state(context, "authGSSServerWrap", move |s, _| {
        s.response = None;
        let message = decode_token(data, "data")?;
        s.response = Some(b64encode(&s.acceptor.wrap(&message, protect != 0)?));
        Ok(AUTH_GSS_COMPLETE)
    })
}

/// Unwraps the client's base64 message into authGSSServerResponse;
/// authGSSServerResponseConf tells whether it was encrypted. Returns 1. (An addition: the
/// originals had no server-side unwrap.)
#[pyfunction]
#[pyo3(name = "authGSSServerUnwrap")]
pub(crate) fn server_unwrap(
    context: &Bound<'_, PyAny>,
    challenge: &Bound<'_, PyAny>,
) -> PyResult<i32> {
    let challenge = token_text(challenge, "challenge")?;
    with_state(context, "authGSSServerUnwrap", move |s, _| {
        s.response = None;
        let token = decode_token(challenge, "message")?;
        let unwrapped = s.acceptor.unwrap(&token)?;
        s.response = Some(b64encode(&unwrapped.data));
        s.response_conf = i32::from(unwrapped.confidential);
        Ok(AUTH_GSS_COMPLETE)
    })
}

/// 1 if the last message unwrapped by authGSSServerUnwrap was encrypted, else 0.
#[pyfunction]
#[pyo3(name = "authGSSServerResponseConf")]
pub(crate) fn server_response_conf(context: &Bound<'_, PyAny>) -> PyResult<i32> {
    read_state(context, |s| s.response_conf)
}

/// Stores the credentials the client delegated into a new file credential cache, created
/// with mode 0600 under an unpredictable name in the directory TMPDIR names (else /tmp);
/// authGSSServerCacheName then gives its path. Returns 0, as kerberos did.
#[pyfunction]
#[pyo3(name = "authGSSServerStoreDelegate")]
pub(crate) fn server_store_delegate(context: &Bound<'_, PyAny>) -> PyResult<i32> {
    let Some(delegated) = read_state(context, |s| s.acceptor.delegated_credential())? else {
        return Err(krb_error("Ticket is not delegatable"));
    };
    let path = context
        .py()
        .detach(|| delegated.store_in_new_file(&std::env::temp_dir()))
        .map_err(|err| to_pyerr(context.py(), "authGSSServerStoreDelegate", err))?;
    let path = path.to_string_lossy().into_owned();
    with_state(context, "authGSSServerStoreDelegate", move |s, _| {
        s.cache_name = Some(path);
        Ok(0)
    })
}

/// The path of the credential cache authGSSServerStoreDelegate wrote, or None.
#[pyfunction]
#[pyo3(name = "authGSSServerCacheName")]
pub(crate) fn server_cache_name(context: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    read_state(context, |s| s.cache_name.clone())
}
