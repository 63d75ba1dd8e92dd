//! The server API: `authGSSServer*`.

use std::sync::Mutex;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use winkerberos::SecurityContext as _;
use winkerberos::{Acceptor, DelegatedCredential, Error, ErrorKind};

use crate::cache;
use crate::context::{self, PyContext, State};
use crate::convert::{AUTH_GSS_COMPLETE, buffer, decode_token, text, token_text, type_name};
use crate::errors::{Failure, api, krb_error};
use crate::objects::bindings;

/// What only a server context keeps.
pub(crate) struct ServerExtra {
    /// Whether the context accepts with any key in the keytab (service `""`).
    any_service: bool,
    /// The service principal the client asked for (reported only for the `""` service).
    target_name: Option<String>,
    /// The file authGSSServerStoreDelegate wrote the delegated credentials to.
    delegate_file: Option<DelegateFile>,
}

/// A credential cache written by authGSSServerStoreDelegate. Unless the caller kept it
/// (`keep=True`), it lives as long as the context: it is removed by authGSSServerClean, by
/// the next store on the same context, or when the context is collected, so forwarded
/// tickets never pile up in the temporary directory.
struct DelegateFile {
    path: std::path::PathBuf,
    kept: bool,
}

impl Drop for DelegateFile {
    fn drop(&mut self) {
        if !self.kept {
            // Nothing to report to: the file may be gone already (removed by its user).
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The state behind a server context.
type ServerState = State<Acceptor, ServerExtra>;

/// The service the client asked for, reported (as pykerberos did) only by a context that
/// accepts with any key in the keytab.
fn target_name(s: &mut ServerState) -> Result<Option<String>, Error> {
    if s.extra.any_service && s.extra.target_name.is_none() && s.context.is_complete() {
        s.extra.target_name = Some(s.context.target_name()?);
    }
    Ok(s.extra.target_name.clone())
}

/// A server security context, as returned by authGSSServerInit.
#[pyclass(frozen, module = "winkerberos", name = "GSSServerContext")]
pub(crate) struct ServerContext {
    state: Mutex<ServerState>,
}

impl PyContext for ServerContext {
    type Context = Acceptor;
    type Extra = ServerExtra;
    const EXPECTED: &'static str = "a server context from authGSSServerInit";

    fn state(&self) -> &Mutex<ServerState> {
        &self.state
    }
}

context::context_methods!(
    ServerContext,
    "GSSServerContext",
    peer: "client",
    user_name: "The authenticated client principal, or None before completion.",
    {
        fn __repr__(&self) -> String {
            format!("<winkerberos.GSSServerContext {}>", context::phase(self))
        }

        /// Runs one handshake leg with the client's token and returns the token to send back,
        /// or None. The bytes-level form of authGSSServerStep: no base64, no state.
        #[pyo3(signature = (token, channel_bindings = None))]
        fn step<'py>(
            slf: &Bound<'py, Self>,
            token: &Bound<'py, PyAny>,
            channel_bindings: Option<&Bound<'py, PyAny>>,
        ) -> PyResult<Option<Bound<'py, PyBytes>>> {
            api("GSSServerContext.step", || {
                let token = buffer(token, "token")?;
                let bindings = bindings(channel_bindings)?;
                context::step_bytes(slf, Some(token), bindings)
            })
        }
    }
);

/// Runs `f` on a server context's state with the GIL released and the context locked.
fn with_state<T: Send>(
    context: &Bound<'_, PyAny>,
    f: impl FnOnce(&mut ServerState) -> Result<T, Error> + Send,
) -> Result<T, Failure> {
    context::with_state::<ServerContext, T>(context, f)
}

/// Reads a server context's state without releasing the GIL (for cheap getters).
fn read_state<T>(context: &Bound<'_, PyAny>, f: impl FnOnce(&ServerState) -> T) -> PyResult<T> {
    context::read_state::<ServerContext, T>(context, f)
}

/// The credentials a server context received from its client, for `authGSSClientInit(delegated=)`.
pub(crate) fn delegated_credential(
    context: &Bound<'_, PyAny>,
) -> Result<DelegatedCredential, Failure> {
    let delegated = read_state(context, |s| s.context.delegated_credential()).map_err(|_| {
        PyTypeError::new_err(format!(
            "delegated must be a server context from authGSSServerInit, not {}",
            type_name(context)
        ))
    })?;
    delegated.ok_or_else(|| {
        Error::new(
            ErrorKind::NoCredentials,
            "delegated credentials",
            "this server context holds no delegated credentials",
        )
        .hint("the client must request GSS_C_DELEG_FLAG with a forwardable ticket")
        .into()
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
    api("authGSSServerInit", || {
        let service = text(service, "service")?;
        // pykerberos' "DELEGATE" accepted with any key too (and reported no target name).
        let any_service = service.is_empty();
        let service = (!any_service && service != "DELEGATE").then_some(service);
        // A credential already acquired needs no library call: no need to drop the GIL.
        let acceptor = match cache::known_service_credential(service.as_deref()) {
            Some(credential) => Acceptor::with_credential(&credential, None),
            None => py.detach(move || {
                let credential = cache::service_credential(service.as_deref())?;
                Ok::<_, Error>(Acceptor::with_credential(&credential, None))
            })?,
        };
        let extra = ServerExtra {
            any_service,
            target_name: None,
            delegate_file: None,
        };
        let context = Bound::new(
            py,
            ServerContext {
                state: Mutex::new(State::new(acceptor, extra)),
            },
        )?;
        Ok((AUTH_GSS_COMPLETE, context))
    })
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
    api("authGSSServerStep", || {
        context::cast::<ServerContext>(context)?;
        let challenge = token_text(challenge, "challenge")?;
        if challenge.is_empty() {
            return Err(krb_error("No challenge parameter in request from client").into());
        }
        let bindings = bindings(channel_bindings)?;
        with_state(context, move |s| {
            s.step_base64(challenge, "client's token", bindings)
        })
    })
}

/// The base64 token to send back to the client (mutual authentication), or None.
#[pyfunction]
#[pyo3(name = "authGSSServerResponse")]
pub(crate) fn server_response<'py>(
    context: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyString>>> {
    context::response::<ServerContext>(context)
}

/// The authenticated client principal ("user@REALM"), or None before completion.
#[pyfunction]
#[pyo3(name = "authGSSServerUserName")]
pub(crate) fn server_user_name(context: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    api("authGSSServerUserName", || {
        with_state(context, State::username)
    })
}

/// For a context created with service "", the service principal the client authenticated
/// to (such as "HTTP/host@REALM"); None otherwise.
#[pyfunction]
#[pyo3(name = "authGSSServerTargetName")]
pub(crate) fn server_target_name(context: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    api("authGSSServerTargetName", || {
        with_state(context, target_name)
    })
}

/// Whether the client delegated its credentials.
#[pyfunction]
#[pyo3(name = "authGSSServerHasDelegated")]
pub(crate) fn server_has_delegated(context: &Bound<'_, PyAny>) -> PyResult<bool> {
    read_state(context, |s| s.context.delegated_credential().is_some())
}

/// Removes the file authGSSServerStoreDelegate wrote (unless stored with `keep=True`) and
/// returns 1. The context itself stays usable; it frees itself when garbage-collected.
/// Anything but a server context is accepted and ignored, as before.
#[pyfunction]
#[pyo3(name = "authGSSServerClean", signature = (*args))]
pub(crate) fn server_clean(args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<i32> {
    api("authGSSServerClean", || {
        if let Ok(context) = args.get_item(0)
            && context.is_instance_of::<ServerContext>()
        {
            let file = with_state(&context, |s| Ok(s.extra.delegate_file.take()))?;
            // Removed here, outside the lock, with the GIL held: a quick unlink.
            drop(file);
        }
        Ok(AUTH_GSS_COMPLETE)
    })
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
    api("authGSSServerWrap", || {
        let data = token_text(data, "data")?;
        with_state(context, move |s| {
            s.response = None;
            let message = decode_token(data, "data")?;
            s.wrap_into_response(&message, protect != 0)
        })
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
    api("authGSSServerUnwrap", || {
        let challenge = token_text(challenge, "challenge")?;
        with_state(context, move |s| s.unwrap_base64(challenge))
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
///
/// The file belongs to the context: it is removed by authGSSServerClean, by the next store
/// on the context, or when the context is collected. With `keep=True` it is the caller's
/// and is never removed by winkerberos.
#[pyfunction]
#[pyo3(name = "authGSSServerStoreDelegate", signature = (context, *, keep = false))]
pub(crate) fn server_store_delegate(context: &Bound<'_, PyAny>, keep: bool) -> PyResult<i32> {
    api("authGSSServerStoreDelegate", || {
        let Some(delegated) = read_state(context, |s| s.context.delegated_credential())? else {
            return Err(krb_error("Ticket is not delegatable").into());
        };
        let path = context
            .py()
            .detach(|| delegated.store_in_new_file(&std::env::temp_dir()))?;
        let file = DelegateFile { path, kept: keep };
        let replaced = with_state(context, move |s| Ok(s.extra.delegate_file.replace(file)))?;
        // The previous file (unless kept) is removed now, not left behind.
        drop(replaced);
        Ok(0)
    })
}

/// The path of the credential cache authGSSServerStoreDelegate wrote, or None.
#[pyfunction]
#[pyo3(name = "authGSSServerCacheName")]
pub(crate) fn server_cache_name(context: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    read_state(context, |s| {
        s.extra
            .delegate_file
            .as_ref()
            .map(|f| f.path.to_string_lossy().into_owned())
    })
}
