//! What the client and server contexts share, written once over the core's
//! [`SecurityContext`]: the state behind each Python context object (the wrapped core
//! context and the base64 response the `authGSS*Response` calls read), the handshake step,
//! wrap and unwrap in both forms (base64 with state, bytes without), and the locking.
//!
//! `client.rs` and `server.rs` keep only what differs: how a context is made, the
//! originals' argument handling, and the calls one side alone has. The methods both
//! context classes have are written once, in `context_methods!`.

use std::sync::Mutex;

use pyo3::PyClass;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pyclass::boolean_struct::True;
use pyo3::types::{PyBytes, PyString};
use winkerberos::{ChannelBindings, Error, SecurityContext, Step};

use crate::convert::{AUTH_GSS_COMPLETE, AUTH_GSS_CONTINUE, b64encode, decode_token, type_name};
use crate::errors::Failure;
use crate::locked;

/// The state behind a context object, used by one thread at a time. `X` holds what only
/// one side keeps.
pub(crate) struct State<C, X> {
    pub(crate) context: C,
    /// The last step's, wrap's or unwrap's output, in base64.
    pub(crate) response: Option<String>,
    /// Whether the last unwrapped (or IOV-wrapped) message was encrypted.
    pub(crate) response_conf: i32,
    /// The client principal, once known.
    pub(crate) username: Option<String>,
    pub(crate) extra: X,
}

impl<C: SecurityContext, X> State<C, X> {
    pub(crate) fn new(context: C, extra: X) -> Self {
        Self {
            context,
            response: None,
            response_conf: 0,
            username: None,
            extra,
        }
    }

    /// The client principal: looked up when first asked for once the handshake is complete
    /// (or set earlier, by authGSSClientInquireCred), then kept.
    pub(crate) fn username(&mut self) -> Result<Option<String>, Error> {
        if self.username.is_none() && self.context.is_complete() {
            self.username = Some(self.context.initiator_account_name()?);
        }
        Ok(self.username.clone())
    }

    /// authGSS*Step: one leg with the peer's base64 token (`what` names it in errors); the
    /// token to send becomes the response. Returns AUTH_GSS_CONTINUE or AUTH_GSS_COMPLETE.
    pub(crate) fn step_base64(
        &mut self,
        challenge: &[u8],
        what: &str,
        bindings: Option<ChannelBindings>,
    ) -> Result<i32, Error> {
        self.response = None;
        let input = decode_token(challenge, what)?;
        self.context.set_channel_bindings(bindings);
        match self.context.step(&input)? {
            Step::Continue(token) => {
                self.response = Some(b64encode(&token));
                Ok(AUTH_GSS_CONTINUE)
            }
            Step::Complete(token) => {
                self.response = token.as_deref().map(b64encode);
                Ok(AUTH_GSS_COMPLETE)
            }
        }
    }

    /// authGSS*Wrap, once the message is decoded: its wrapped form becomes the response.
    pub(crate) fn wrap_into_response(
        &mut self,
        message: &[u8],
        protect: bool,
    ) -> Result<i32, Error> {
        self.response = Some(b64encode(&self.context.wrap(message, protect)?));
        Ok(AUTH_GSS_COMPLETE)
    }

    /// authGSS*Unwrap: the peer's base64 message, unwrapped, becomes the response, and
    /// whether it was encrypted the response's conf.
    pub(crate) fn unwrap_base64(&mut self, challenge: &[u8]) -> Result<i32, Error> {
        self.response = None;
        let token = decode_token(challenge, "message")?;
        let unwrapped = self.context.unwrap(&token)?;
        self.response = Some(b64encode(&unwrapped.data));
        self.response_conf = i32::from(unwrapped.confidential);
        Ok(AUTH_GSS_COMPLETE)
    }
}

/// A Python context class (GSSClientContext or GSSServerContext) over its state.
pub(crate) trait PyContext: PyClass<Frozen = True> + Sync {
    type Context: SecurityContext;
    type Extra: Send;

    /// What the originals' `TypeError` asks for, such as "a client context from
    /// authGSSClientInit".
    const EXPECTED: &'static str;

    fn state(&self) -> &Mutex<State<Self::Context, Self::Extra>>;
}

/// Finds the context of class `P` in `context`, or raises the originals' `TypeError`.
pub(crate) fn cast<'a, 'py, P: PyContext>(
    context: &'a Bound<'py, PyAny>,
) -> PyResult<&'a Bound<'py, P>> {
    context.cast::<P>().map_err(|_| {
        PyTypeError::new_err(format!(
            "Expected a context object: {}, not {}",
            P::EXPECTED,
            type_name(context)
        ))
    })
}

/// Runs `f` on the context's state with the GIL released and the context locked.
pub(crate) fn with_state<P: PyContext, T: Send>(
    context: &Bound<'_, PyAny>,
    f: impl FnOnce(&mut State<P::Context, P::Extra>) -> Result<T, Error> + Send,
) -> Result<T, Failure> {
    let state = cast::<P>(context)?.get().state();
    Ok(locked::detached(context.py(), state, f)?)
}

/// Reads the state without releasing the GIL (for cheap getters).
pub(crate) fn read_state<P: PyContext, T>(
    context: &Bound<'_, PyAny>,
    f: impl FnOnce(&State<P::Context, P::Extra>) -> T,
) -> PyResult<T> {
    Ok(locked::attached(
        context.py(),
        cast::<P>(context)?.get().state(),
        f,
    ))
}

/// authGSS*Response: the base64 output of the last step, wrap or unwrap, or None.
pub(crate) fn response<'py, P: PyContext>(
    context: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyString>>> {
    // Straight from the kept text into a Python str: one copy, not two.
    read_state::<P, _>(context, |s| {
        s.response
            .as_deref()
            .map(|text| PyString::new(context.py(), text))
    })
}

/// "complete" or "not complete" for `__repr__`, or "in use" while another thread has the
/// context (repr must never wait).
pub(crate) fn phase<P: PyContext>(context: &P) -> &'static str {
    match context.state().try_lock() {
        Ok(state) if state.context.is_complete() => "complete",
        Ok(_) => "not complete",
        Err(_) => "in use",
    }
}

/// `.complete`: whether the handshake is complete.
pub(crate) fn complete<P: PyContext>(py: Python<'_>, context: &P) -> bool {
    locked::attached(py, context.state(), |s| s.context.is_complete())
}

/// `.step()`: one leg with the peer's token (bytes, no base64, no response kept); returns
/// the token to send, or None. The shells convert the arguments; the bodies take any bytes.
pub(crate) fn step_bytes<'py, P: PyContext>(
    context: &Bound<'py, P>,
    token: Option<impl AsRef<[u8]> + Send>,
    bindings: Option<ChannelBindings>,
) -> Result<Option<Bound<'py, PyBytes>>, Failure> {
    let out = with_state::<P, _>(context.as_any(), move |s| {
        s.context.set_channel_bindings(bindings);
        let input = token.as_ref().map_or(&[][..], AsRef::as_ref);
        Ok(match s.context.step(input)? {
            Step::Continue(token) => Some(token),
            Step::Complete(token) => token,
        })
    })?;
    Ok(out.map(|token| PyBytes::new(context.py(), &token)))
}

/// `.wrap()`: `data` wrapped for the peer, as bytes.
pub(crate) fn wrap_bytes<'py, P: PyContext>(
    context: &Bound<'py, P>,
    data: impl AsRef<[u8]> + Send,
    encrypt: bool,
) -> Result<Bound<'py, PyBytes>, Failure> {
    let token = with_state::<P, _>(context.as_any(), move |s| {
        s.context.wrap(data.as_ref(), encrypt)
    })?;
    Ok(PyBytes::new(context.py(), &token))
}

/// `.unwrap()`: the data of a message from the peer, as bytes.
pub(crate) fn unwrap_bytes<'py, P: PyContext>(
    context: &Bound<'py, P>,
    token: impl AsRef<[u8]> + Send,
) -> Result<Bound<'py, PyBytes>, Failure> {
    let data = with_state::<P, _>(context.as_any(), move |s| s.context.unwrap(token.as_ref()))?;
    Ok(PyBytes::new(context.py(), &data.data))
}

/// The `#[pymethods]` block of a context class: `$own`, the methods of that class alone,
/// then the methods both classes have, written here once (a pyclass cannot be generic, and
/// has one such block). `$class` is the Python class name, which starts a method's name in
/// its errors; `$peer` names the other side in the docstrings, and `$user_name` is the
/// docstring of `user_name`.
macro_rules! context_methods {
    (
        $rust:ty, $class:literal, peer: $peer:literal, user_name: $user_name:literal,
        { $($own:tt)* }
    ) => {
        #[pymethods]
        impl $rust {
            $($own)*

            /// Whether the handshake is complete.
            #[getter]
            fn complete(&self, py: Python<'_>) -> bool {
                $crate::context::complete(py, self)
            }

            #[doc = $user_name]
            #[getter]
            fn user_name(slf: &Bound<'_, Self>) -> PyResult<Option<String>> {
                $crate::errors::api(concat!($class, ".user_name"), || {
                    $crate::context::with_state::<Self, _>(
                        slf.as_any(),
                        $crate::context::State::username,
                    )
                })
            }

            #[doc = concat!(
                "Wraps `data` for the ", $peer, " (encrypted unless `encrypt` is False)."
            )]
            #[pyo3(signature = (data, encrypt = true))]
            fn wrap<'py>(
                slf: &Bound<'py, Self>,
                data: &Bound<'py, PyAny>,
                encrypt: bool,
            ) -> PyResult<Bound<'py, PyBytes>> {
                $crate::errors::api(concat!($class, ".wrap"), || {
                    let data = $crate::convert::buffer(data, "data")?;
                    $crate::context::wrap_bytes(slf, data, encrypt)
                })
            }

            #[doc = concat!("Unwraps a message from the ", $peer, " and returns its data.")]
            fn unwrap<'py>(
                slf: &Bound<'py, Self>,
                token: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyBytes>> {
                $crate::errors::api(concat!($class, ".unwrap"), || {
                    let token = $crate::convert::buffer(token, "token")?;
                    $crate::context::unwrap_bytes(slf, token)
                })
            }
        }
    };
}
pub(crate) use context_methods;
