//! Message encryption with a detached header (pykerberos' IOV and WinRM functions), which
//! pywinrm probes for with `hasattr(kerberos, "authGSSWinRMEncryptMessage")`.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use winkerberos::SecurityContext as _;
use winkerberos::{Error, ErrorKind};

use crate::client::with_state;
use crate::convert::{AUTH_GSS_COMPLETE, b64encode, buffer, bytes_like, decode_token, token_text};
use crate::errors::api;

/// Wraps the base64 `data` with a detached header (encrypted unless `protect` is 0) into
/// authGSSClientResponse, laid out as MS-WSMV 2.2.9.1.2.2.2 describes: the header length as
/// a 32-bit little-endian integer, the header, the data, the padding. Returns
/// (AUTH_GSS_COMPLETE, padding length).
#[pyfunction]
#[pyo3(name = "authGSSClientWrapIov", signature = (context, data, protect = 1))]
pub(crate) fn client_wrap_iov(
    context: &Bound<'_, PyAny>,
    data: &Bound<'_, PyAny>,
    protect: i64,
) -> PyResult<(i32, usize)> {
    api("authGSSClientWrapIov", || {
        let data = token_text(data, "data")?;
        with_state(context, move |s| {
            s.response = None;
            let message = decode_token(data, "data")?;
            let wrapped = s.context.wrap_iov(&message, protect != 0)?;
            let header_len =
                u32::try_from(wrapped.header.len()).map_err(|_| too_large("header"))?;
            let mut out = Vec::with_capacity(
                4 + wrapped.header.len() + wrapped.data.len() + wrapped.padding.len(),
            );
            out.extend_from_slice(&header_len.to_le_bytes());
            out.extend_from_slice(&wrapped.header);
            out.extend_from_slice(&wrapped.data);
            out.extend_from_slice(&wrapped.padding);
            s.response = Some(b64encode(&out));
            s.response_conf = i32::from(protect != 0);
            Ok((AUTH_GSS_COMPLETE, wrapped.padding.len()))
        })
    })
}

/// Unwraps the base64 message laid out as authGSSClientWrapIov makes it; the plaintext
/// becomes authGSSClientResponse. Returns 1.
#[pyfunction]
#[pyo3(name = "authGSSClientUnwrapIov")]
pub(crate) fn client_unwrap_iov(
    context: &Bound<'_, PyAny>,
    challenge: &Bound<'_, PyAny>,
) -> PyResult<i32> {
    api("authGSSClientUnwrapIov", || {
        let challenge = token_text(challenge, "challenge")?;
        with_state(context, move |s| {
            s.response = None;
            let message = decode_token(challenge, "message")?;
            let (header, data) = split_framed(&message)?;
            let unwrapped = s.context.unwrap_iov(header, data)?;
            s.response = Some(b64encode(&unwrapped.data));
            s.response_conf = i32::from(unwrapped.confidential);
            Ok(AUTH_GSS_COMPLETE)
        })
    })
}

/// Splits `u32 header length (little-endian) || header || data`.
fn split_framed(message: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let bad = |why: &str| {
        Error::new(
            ErrorKind::DefectiveToken,
            "authGSSClientUnwrapIov",
            format!("the message is {why}"),
        )
        .hint("pass the whole message: a 4-byte header length, the header, then the data")
    };
    let (len, rest) = message
        .split_first_chunk::<4>()
        .ok_or_else(|| bad("shorter than its 4-byte length prefix"))?;
    let len = usize::try_from(u32::from_le_bytes(*len)).map_err(|_| bad("too large"))?;
    if len > rest.len() {
        return Err(bad(&format!(
            "cut short: its header should be {len} bytes, {} remain",
            rest.len()
        )));
    }
    Ok(rest.split_at(len))
}

fn too_large(what: &str) -> Error {
    Error::new(
        ErrorKind::Failure,
        "authGSSClientWrapIov",
        format!("the {what} is too large"),
    )
}

/// Encrypts `message` (str, encoded as UTF-8, or bytes) for WinRM. Returns
/// (encrypted data and padding, header) as bytes; pywinrm sends
/// `struct.pack("<i", len(header)) + header + data`.
#[pyfunction]
#[pyo3(name = "authGSSWinRMEncryptMessage")]
pub(crate) fn winrm_encrypt<'py>(
    context: &Bound<'py, PyAny>,
    message: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    api("authGSSWinRMEncryptMessage", || {
        let message = bytes_like(message, "message")?.to_vec();
        let wrapped = with_state(context, move |s| s.context.wrap_iov(&message, true))?;
        let mut data = wrapped.data;
        data.extend_from_slice(&wrapped.padding);
        let py = context.py();
        Ok((PyBytes::new(py, &data), PyBytes::new(py, &wrapped.header)))
    })
}

/// Decrypts WinRM's `encrypted_data` with its detached `header` (both bytes). Returns the
/// plaintext as bytes.
#[pyfunction]
#[pyo3(name = "authGSSWinRMDecryptMessage")]
pub(crate) fn winrm_decrypt<'py>(
    context: &Bound<'py, PyAny>,
    encrypted_data: &Bound<'py, PyAny>,
    header: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    api("authGSSWinRMDecryptMessage", || {
        let data = buffer(encrypted_data, "encrypted_data")?;
        let header = buffer(header, "header")?;
        let plain = with_state(context, move |s| s.context.unwrap_iov(&header, &data))?;
        Ok(PyBytes::new(context.py(), &plain.data))
    })
}
