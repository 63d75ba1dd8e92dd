//! Conversion between Python and the crate: base64 tokens, str-or-bytes values, secrets,
//! flags, and the originals' return codes.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};
use winkerberos::{Error, ErrorKind, Flags, Secret};
use zeroize::Zeroizing;

pub(crate) use crate::base64::{b64decode, b64encode};

/// The step result of a finished handshake (and the return value of successful calls).
pub(crate) const AUTH_GSS_COMPLETE: i32 = 1;
/// The step result while the handshake goes on.
pub(crate) const AUTH_GSS_CONTINUE: i32 = 0;

/// Decodes a base64 token argument; invalid base64 is an error, never an empty token.
pub(crate) fn decode_token(text: &[u8], what: &str) -> Result<Vec<u8>, Error> {
    b64decode(text).map_err(|err| {
        Error::new(
            ErrorKind::DefectiveToken,
            "base64 decode",
            format!("the {what} is not valid base64: {err}"),
        )
        .hint("pass the base64 text exactly as the peer sent it")
    })
}

/// winkerberos' `GSS_C_INTEG_FLAG` (SSPI's `ISC_REQ_INTEGRITY`), accepted everywhere.
pub(crate) const SSPI_INTEG_FLAG: u32 = 0x1_0000;

/// The `GSS_C_INTEG_FLAG` value this platform's original exported.
#[cfg(windows)]
pub(crate) const INTEG_FLAG: u32 = SSPI_INTEG_FLAG;
#[cfg(not(windows))]
pub(crate) const INTEG_FLAG: u32 = Flags::INTEG.bits();

/// Reads `gssflags`, accepting both integrity values (32 and 65536).
pub(crate) fn gss_flags(value: i64) -> PyResult<Flags> {
    let bits = u32::try_from(value).map_err(|_| {
        PyValueError::new_err(format!(
            "gss_flags must be between 0 and {}, not {value}",
            u32::MAX
        ))
    })?;
    let integ = if bits & SSPI_INTEG_FLAG != 0 {
        Flags::INTEG
    } else {
        Flags::NONE
    };
    Ok(Flags::from_bits(bits & !SSPI_INTEG_FLAG) | integ)
}

/// Reads a `str` argument (as the originals' `s` format did), rejecting embedded NULs.
pub(crate) fn text(value: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    let s = value.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!("{name} must be str, not {}", type_name(value)))
    })?;
    let s = s.to_str()?;
    reject_nul(s.as_bytes(), name)?;
    Ok(s.to_owned())
}

/// Reads an optional `str` argument.
pub(crate) fn optional_text(
    value: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> PyResult<Option<String>> {
    match value {
        Some(v) if !v.is_none() => text(v, name).map(Some),
        _ => Ok(None),
    }
}

/// Reads a `str` (UTF-8 encoded) or a bytes-like value into a buffer that is wiped on drop.
///
/// Exactly what the stubs call `str | Buffer`: a `str`, or an object with the buffer protocol.
/// Anything else is a `TypeError`, even an iterable of small integers that `bytes()` would
/// take (a list, a tuple, a range, a generator): the originals refused those too.
///
/// `bytes` and `bytearray` are copied straight from their memory; other buffers (memoryview,
/// array, mmap) go through `memoryview(value).tobytes()`, a copy that Python owns and we
/// cannot wipe.
pub(crate) fn bytes_like(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Zeroizing<Vec<u8>>> {
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Zeroizing::new(s.to_str()?.as_bytes().to_vec()));
    }
    buffer_copy(value, name, "str or a bytes-like object")
}

/// Reads a value with the buffer protocol (what the stubs call `Buffer`), not `str`.
pub(crate) fn buffer(value: &Bound<'_, PyAny>, name: &str) -> PyResult<PyBackedBytes> {
    // `bytes` is borrowed, not copied: it is immutable and outlives the call.
    if value.is_instance_of::<PyBytes>() {
        return value.extract().map_err(PyErr::from);
    }
    let copy = buffer_copy(value, name, "a bytes-like object")?;
    Ok(PyBytes::new(value.py(), &copy).into())
}

/// Copies the bytes of any object with the buffer protocol; a `TypeError` saying what `name`
/// accepts (`accepted`) for anything else.
fn buffer_copy(
    value: &Bound<'_, PyAny>,
    name: &str,
    accepted: &str,
) -> PyResult<Zeroizing<Vec<u8>>> {
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(Zeroizing::new(b.as_bytes().to_vec()));
    }
    if let Ok(b) = value.cast::<PyByteArray>() {
        return Ok(Zeroizing::new(b.to_vec()));
    }
    let error = || {
        PyTypeError::new_err(format!(
            "{name} must be {accepted} (bytes, bytearray, memoryview or another object with \
             the buffer protocol), not {}",
            type_name(value)
        ))
    };
    if value.is_instance_of::<PyString>() {
        return Err(error());
    }
    // memoryview() succeeds exactly for objects with the buffer protocol, whatever their
    // item format; tobytes() then copies their raw bytes in C order.
    let view = value
        .py()
        .get_type::<PyMemoryView>()
        .call1((value,))
        .map_err(|_| error())?;
    let copy = view.call_method0("tobytes")?;
    let copy = copy.cast::<PyBytes>().map_err(|_| error())?;
    Ok(Zeroizing::new(copy.as_bytes().to_vec()))
}

/// Reads a `str` or bytes-like value that may hold a secret, without NULs, into a buffer
/// that is wiped on drop.
pub(crate) fn secret_text(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Zeroizing<Vec<u8>>> {
    let bytes = bytes_like(value, name)?;
    reject_nul(&bytes, name)?;
    Ok(bytes)
}

/// Reads a password (`str` or bytes-like); every copy made here is wiped.
pub(crate) fn secret(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Secret> {
    let mut bytes = secret_text(value, name)?;
    Ok(Secret::new(std::mem::take(&mut *bytes)))
}

/// Refuses a NUL, which the C library cannot take: a `ValueError`, as the originals' `s`
/// format raised, naming the argument.
fn reject_nul(bytes: &[u8], name: &str) -> PyResult<()> {
    if bytes.contains(&0) {
        return Err(PyValueError::new_err(format!(
            "{name} must not contain an embedded null character"
        )));
    }
    Ok(())
}

/// The name of a value's type, for messages.
pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    if value.is_none() {
        return "None".to_owned();
    }
    value
        .get_type()
        .name()
        .map_or_else(|_| "object".to_owned(), |n| n.to_string())
}

/// A base64 token argument: `str` (or ASCII bytes) holding standard base64.
///
/// The text is borrowed, not copied: `str` and `bytes` are immutable, and the caller holds
/// the object for as long as the borrow lives (also while the GIL is released).
pub(crate) fn token_text<'a>(value: &'a Bound<'_, PyAny>, name: &str) -> PyResult<&'a [u8]> {
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(s.to_str()?.as_bytes());
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(b.as_bytes());
    }
    Err(PyTypeError::new_err(format!(
        "{name} must be str, not {}",
        type_name(value)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_flag_of_either_original_means_integrity() {
        assert_eq!(
            gss_flags(65536 | 2).ok(),
            Some(Flags::MUTUAL | Flags::INTEG)
        );
        assert_eq!(gss_flags(32 | 2).ok(), Some(Flags::MUTUAL | Flags::INTEG));
        assert!(gss_flags(-1).is_err());
        assert!(gss_flags(1 << 33).is_err());
    }
}
