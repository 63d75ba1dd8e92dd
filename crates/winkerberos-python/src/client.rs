//! The client API: `authGSSClient*`.

use std::sync::Mutex;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use winkerberos::{
    Credential, Error, ErrorKind, Initiator, InitiatorOptions, Secret, Target, sasl,
};
use zeroize::Zeroizing;

use crate::cache;
use crate::context::{self, PyContext, State};
use crate::convert::{
    AUTH_GSS_COMPLETE, buffer, decode_token, gss_flags, optional_text, secret, secret_text, text,
    token_text,
};
use crate::errors::{Failure, api};
use crate::objects::{MechOid, bindings, mech};
use crate::server::ServerContext;

/// The state behind a client context.
pub(crate) type ClientState = State<Initiator, ()>;

/// A client security context, as returned by authGSSClientInit.
#[pyclass(frozen, module = "winkerberos", name = "GSSClientContext")]
pub(crate) struct ClientContext {
    state: Mutex<ClientState>,
    target: String,
}

impl PyContext for ClientContext {
    type Context = Initiator;
    type Extra = ();
    const EXPECTED: &'static str = "a client context from authGSSClientInit";

    fn state(&self) -> &Mutex<ClientState> {
        &self.state
    }
}

context::context_methods!(
    ClientContext,
    "GSSClientContext",
    peer: "server",
    user_name: "The client principal once the handshake is complete, else None.",
    {
        fn __repr__(&self) -> String {
            format!(
                "<winkerberos.GSSClientContext for {:?}, {}>",
                self.target,
                context::phase(self)
            )
        }

        /// Runs one handshake leg with the server's token (b"" first) and returns the token to
        /// send, or None. The bytes-level form of authGSSClientStep: no base64, no state.
        #[pyo3(signature = (token = None, channel_bindings = None))]
        fn step<'py>(
            slf: &Bound<'py, Self>,
            token: Option<&Bound<'py, PyAny>>,
            channel_bindings: Option<&Bound<'py, PyAny>>,
        ) -> PyResult<Option<Bound<'py, PyBytes>>> {
            api("GSSClientContext.step", || {
                let token = token
                    .filter(|t| !t.is_none())
                    .map(|t| buffer(t, "token"))
                    .transpose()?;
                let bindings = bindings(channel_bindings)?;
                context::step_bytes(slf, token, bindings)
            })
        }
    }
);

/// Runs `f` on a client context's state with the GIL released and the context locked.
pub(crate) fn with_state<T: Send>(
    context: &Bound<'_, PyAny>,
    f: impl FnOnce(&mut ClientState) -> Result<T, Error> + Send,
) -> Result<T, Failure> {
    context::with_state::<ClientContext, T>(context, f)
}

/// Reads a client context's state without releasing the GIL (for cheap getters).
fn read_state<T>(context: &Bound<'_, PyAny>, f: impl FnOnce(&ClientState) -> T) -> PyResult<T> {
    context::read_state::<ClientContext, T>(context, f)
}

/// The credentials `authGSSClientInit` was asked for, in winkerberos' order of precedence.
fn credential(
    principal: Option<&Bound<'_, PyAny>>,
    user: Option<String>,
    domain: Option<String>,
    password: Option<Secret>,
) -> PyResult<Result<Credential, Error>> {
    if let Some(user) = user {
        // winkerberos: explicit user/domain/password win over `principal`.
        return Ok(Credential::from_parts(&user, domain.as_deref(), password));
    }
    // The principal may carry a password ("user@REALM:password"): our copy is wiped on drop
    // and only borrowed from here on.
    let principal = match principal {
        Some(p) if !p.is_none() => secret_text(p, "principal")?,
        _ => Zeroizing::new(Vec::new()),
    };
    let principal = std::str::from_utf8(&principal)
        .map_err(|_| PyValueError::new_err("principal must be valid UTF-8"))?;
    Ok(match password {
        Some(_) if principal.is_empty() => {
            return Err(PyValueError::new_err(
                "authGSSClientInit: a password needs a user: pass user= (and domain=) or principal=",
            ));
        }
        Some(password) if !principal.contains(':') => Ok(Credential::password(principal, password)),
        _ => Credential::parse_principal(principal),
    })
}

/// Initializes a client context for `service` ("HTTP@host", "HTTP/host[@REALM]" or
/// "service@host@REALM"). `principal` selects a client principal from the credential
/// cache collection, or authenticates another user when written "user@REALM:password"
/// (percent-encoded). user/domain/password do the same (winkerberos' older form).
/// `delegated` is a server context whose client delegated its credentials.
/// Returns (AUTH_GSS_COMPLETE, context).
#[pyfunction]
#[pyo3(name = "authGSSClientInit", signature = (
    service, principal = None, gssflags = 10, user = None, domain = None, password = None,
    mech_oid = None, delegated = None,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn client_init<'py>(
    py: Python<'py>,
    service: &Bound<'py, PyAny>,
    principal: Option<&Bound<'py, PyAny>>,
    gssflags: i64,
    user: Option<&Bound<'py, PyAny>>,
    domain: Option<&Bound<'py, PyAny>>,
    password: Option<&Bound<'py, PyAny>>,
    mech_oid: Option<&Bound<'py, PyAny>>,
    delegated: Option<&Bound<'py, PyAny>>,
) -> PyResult<(i32, Bound<'py, ClientContext>)> {
    api("authGSSClientInit", || {
        let service = text(service, "service")?;
        let flags = gss_flags(gssflags)?;
        // The fourth positional argument was `user` in winkerberos, `mech_oid` in pykerberos
        // and `delegated` in kerberos: a value that can only be one of those is taken as it.
        let (mut user, mut mech_oid, mut delegated) = (user, mech_oid, delegated);
        if let Some(v) = user.filter(|v| v.is_instance_of::<MechOid>()) {
            (user, mech_oid) = (None, mech_oid.or(Some(v)));
        } else if let Some(v) = user.filter(|v| v.is_instance_of::<ServerContext>()) {
            (user, delegated) = (None, delegated.or(Some(v)));
        }
        let user = optional_text(user, "user")?;
        let domain = optional_text(domain, "domain")?;
        let password = password
            .filter(|p| !p.is_none())
            .map(|p| secret(p, "password"))
            .transpose()?;
        let mech = mech(mech_oid)?;
        let delegated = match delegated.filter(|d| !d.is_none()) {
            None => None,
            Some(d) => Some(crate::server::delegated_credential(d)?),
        };
        let credential = credential(principal, user, domain, password)?;
        let cheap = matches!(&credential, Ok(Credential::Default)) && delegated.is_none();
        let make = move |target: &Target| {
            let options = InitiatorOptions {
                credential: credential?,
                delegated,
                mech,
                flags,
                channel_bindings: None,
            };
            Initiator::with_target(target, options)
        };
        // With the target already imported and default credentials (acquired by the first
        // step), making the context calls nothing that could block: no need to drop the GIL.
        let initiator = match cache::known_target(&service).filter(|_| cheap) {
            Some(target) => make(&target),
            None => {
                let name = service.clone();
                py.detach(move || make(&cache::target(&name)?))
            }
        }?;
        let state = State::new(initiator, ());
        let context = Bound::new(
            py,
            ClientContext {
                state: Mutex::new(state),
                target: service,
            },
        )?;
        Ok((AUTH_GSS_COMPLETE, context))
    })
}

/// Processes the server's base64 `challenge` ("" on the first call) and prepares the next
/// token (see authGSSClientResponse). Returns AUTH_GSS_CONTINUE (0) while the handshake
/// goes on and AUTH_GSS_COMPLETE (1) once the context is established.
#[pyfunction]
#[pyo3(name = "authGSSClientStep", signature = (state, challenge, channel_bindings = None))]
pub(crate) fn client_step(
    state: &Bound<'_, PyAny>,
    challenge: &Bound<'_, PyAny>,
    channel_bindings: Option<&Bound<'_, PyAny>>,
) -> PyResult<i32> {
    api("authGSSClientStep", || {
        let challenge = token_text(challenge, "challenge")?;
        let bindings = bindings(channel_bindings)?;
        with_state(state, move |s| {
            s.step_base64(challenge, "server's challenge", bindings)
        })
    })
}

/// The base64 output of the last step, wrap or unwrap, or None when it produced none.
#[pyfunction]
#[pyo3(name = "authGSSClientResponse")]
pub(crate) fn client_response<'py>(
    context: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyString>>> {
    context::response::<ClientContext>(context)
}

/// 1 if the last unwrapped message was encrypted, else 0.
#[pyfunction]
#[pyo3(name = "authGSSClientResponseConf")]
pub(crate) fn client_response_conf(context: &Bound<'_, PyAny>) -> PyResult<i32> {
    read_state(context, |s| s.response_conf)
}

/// The client principal ("user@REALM") once the context is complete, else None.
#[pyfunction]
#[pyo3(name = "authGSSClientUserName")]
pub(crate) fn client_user_name(context: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    api("authGSSClientUserName", || {
        with_state(context, State::username)
    })
}

/// Looks up the principal of the context's credentials (the default ones unless others were
/// given), so authGSSClientUserName reports it before the handshake. Returns 1.
#[pyfunction]
#[pyo3(name = "authGSSClientInquireCred")]
pub(crate) fn client_inquire_cred(context: &Bound<'_, PyAny>) -> PyResult<i32> {
    api("authGSSClientInquireCred", || {
        with_state(context, |s| {
            if s.username.is_none() {
                s.username = Some(s.context.credential_name()?);
            }
            Ok(AUTH_GSS_COMPLETE)
        })
    })
}

/// Unwraps the server's base64 message; the plaintext becomes authGSSClientResponse and
/// authGSSClientResponseConf tells whether it was encrypted. Returns 1.
#[pyfunction]
#[pyo3(name = "authGSSClientUnwrap")]
pub(crate) fn client_unwrap(
    context: &Bound<'_, PyAny>,
    challenge: &Bound<'_, PyAny>,
) -> PyResult<i32> {
    api("authGSSClientUnwrap", || {
        let challenge = token_text(challenge, "challenge")?;
        with_state(context, move |s| s.unwrap_base64(challenge))
    })
}

/// Wraps the base64 `data` (encrypted when `protect` is 1) into authGSSClientResponse.
/// With `user`, sends instead the RFC 4752 reply choosing no security layer with `user` as
/// the authorization identity (`data` is then the server's unwrapped 4-octet offer, or "").
/// Returns 1.
#[pyfunction]
#[pyo3(name = "authGSSClientWrap", signature = (context, data, user = None, protect = 0))]
pub(crate) fn client_wrap(
    context: &Bound<'_, PyAny>,
    data: &Bound<'_, PyAny>,
    user: Option<&Bound<'_, PyAny>>,
    protect: i64,
) -> PyResult<i32> {
    api("authGSSClientWrap", || {
        let data = token_text(data, "data")?;
        let user = optional_text(user, "user")?;
        with_state(context, move |s| {
            s.response = None;
            let data = decode_token(data, "data")?;
            let message = match user {
                None => data,
                Some(user) => {
                    // winkerberos ignored the offer; pykerberos read it without checking its
                    // length.
                    if let Some(offer) = data.get(..4) {
                        check_offer(offer)?;
                    }
                    sasl::reply_without_layer(&user)
                }
            };
            s.wrap_into_response(&message, protect != 0)
        })
    })
}

/// Refuses to answer "no security layer" to a server that does not offer it.
fn check_offer(offer: &[u8]) -> Result<(), Error> {
    let offer = sasl::Offer::parse(offer)?;
    if offer.layers & sasl::LAYER_NONE == 0 {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "SASL security layer",
            format!(
                "the server requires a security layer (offer {:#04x}) but user= selects none",
                offer.layers
            ),
        )
        .hint("call authGSSClientWrap without user and build the RFC 4752 reply yourself"));
    }
    Ok(())
}

/// Does nothing and returns 1: contexts free themselves when garbage-collected. Kept for
/// compatibility; the context stays usable.
#[pyfunction]
#[pyo3(name = "authGSSClientClean", signature = (*_args))]
pub(crate) fn client_clean(_args: &Bound<'_, pyo3::types::PyTuple>) -> i32 {
    AUTH_GSS_COMPLETE
}
