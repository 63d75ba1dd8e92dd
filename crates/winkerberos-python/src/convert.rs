//! Argument conversion: base64 text, str-or-bytes values, secrets and flags.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};
use winkerberos::{Flags, Secret};
use zeroize::Zeroizing;

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

fn reject_nul(bytes: &[u8], _name: &str) -> PyResult<()> {
    if bytes.contains(&0) {
        return Err(PyValueError::new_err("embedded null character"));
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

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with `=` padding and no line breaks, as all three originals produce.
pub(crate) fn b64encode(data: &[u8]) -> String {
    let mut out = Vec::with_capacity(data.len().div_ceil(3) * 4);
    let mut chunks = data.chunks_exact(3);
    for chunk in &mut chunks {
        let n = u32::from(chunk[0]) << 16 | u32::from(chunk[1]) << 8 | u32::from(chunk[2]);
        out.extend_from_slice(&[
            ALPHABET[(n >> 18) as usize & 63],
            ALPHABET[(n >> 12) as usize & 63],
            ALPHABET[(n >> 6) as usize & 63],
            ALPHABET[n as usize & 63],
        ]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[
                ALPHABET[(n >> 18) as usize & 63],
                ALPHABET[(n >> 12) as usize & 63],
                b'=',
                b'=',
            ]);
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            out.extend_from_slice(&[
                ALPHABET[(n >> 18) as usize & 63],
                ALPHABET[(n >> 12) as usize & 63],
                ALPHABET[(n >> 6) as usize & 63],
                b'=',
            ]);
        }
        _ => {}
    }
    // Every byte pushed is from the ASCII alphabet or '=', so this never fails.
    String::from_utf8(out).unwrap_or_default()
}

/// Why a base64 text was rejected.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Base64Error {
    /// A character outside the standard alphabet, at this offset.
    Character(usize),
    /// The text ends in the middle of a byte, or padding is misplaced.
    Length,
}

impl std::fmt::Display for Base64Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Character(at) => write!(f, "invalid base64 character at offset {at}"),
            Self::Length => f.write_str("truncated or wrongly padded base64"),
        }
    }
}

const INVALID: u8 = 0xff;
const SPACE: u8 = 0xfe;
const PAD: u8 = 0xfd;

/// Each byte's 6-bit value, or one of the markers above.
const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i: u8 = 0;
    while i < 64 {
        table[ALPHABET[i as usize] as usize] = i;
        i += 1;
    }
    table[b'=' as usize] = PAD;
    table[b' ' as usize] = SPACE;
    table[b'\t' as usize] = SPACE;
    table[b'\r' as usize] = SPACE;
    table[b'\n' as usize] = SPACE;
    table
};

/// Decodes standard base64. ASCII whitespace (line breaks) is skipped and missing `=`
/// padding is tolerated; anything else outside the alphabet is an error.
pub(crate) fn b64decode(text: &[u8]) -> Result<Vec<u8>, Base64Error> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 3);
    // Fast path: whole groups of four alphabet characters.
    let mut at = 0;
    for group in text.chunks_exact(4) {
        let [a, b, c, d] = [group[0], group[1], group[2], group[3]].map(|x| DECODE[usize::from(x)]);
        if (a | b | c | d) >= 64 {
            break;
        }
        let n = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
        let [_, x, y, z] = n.to_be_bytes();
        out.extend_from_slice(&[x, y, z]);
        at += 4;
    }
    // The rest (padding, line breaks, or an error), one character at a time.
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut padding = 0;
    let mut symbols = at;
    for (offset, &c) in text.iter().enumerate().skip(at) {
        let value = match DECODE[usize::from(c)] {
            PAD => {
                padding += 1;
                continue;
            }
            SPACE => continue,
            INVALID => return Err(Base64Error::Character(offset)),
            value => value,
        };
        if padding > 0 {
            return Err(Base64Error::Length);
        }
        symbols += 1;
        acc = acc << 6 | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits).to_be_bytes()[3]);
            acc &= (1 << bits) - 1;
        }
    }
    let expected_padding = (4 - symbols % 4) % 4;
    if symbols % 4 == 1 || (padding != 0 && padding != expected_padding) {
        return Err(Base64Error::Length);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_length() {
        let data: Vec<u8> = (0..=255).collect();
        for n in 0..data.len() {
            let encoded = b64encode(&data[..n]);
            assert_eq!(encoded.len() % 4, 0);
            assert_eq!(b64decode(encoded.as_bytes()).as_deref(), Ok(&data[..n]));
        }
    }

    #[test]
    fn line_breaks_anywhere_and_errors_at_their_offset() {
        let data: Vec<u8> = (0..=255).cycle().take(300).collect();
        let encoded = b64encode(&data);
        let wrapped: String = encoded
            .as_bytes()
            .chunks(76)
            .map(|l| format!("{}\r\n", String::from_utf8_lossy(l)))
            .collect();
        assert_eq!(b64decode(wrapped.as_bytes()).as_deref(), Ok(&data[..]));
        let mut bad = encoded.clone().into_bytes();
        bad[101] = b'*';
        assert_eq!(b64decode(&bad), Err(Base64Error::Character(101)));
    }

    #[test]
    fn known_vectors() {
        assert_eq!(b64encode(b""), "");
        assert_eq!(b64encode(b"f"), "Zg==");
        assert_eq!(b64encode(b"fo"), "Zm8=");
        assert_eq!(b64encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(b64decode(b"Zm9v\r\nYmE=").as_deref(), Ok(&b"fooba"[..]));
        assert_eq!(b64decode(b"Zm8").as_deref(), Ok(&b"fo"[..]));
    }

    #[test]
    fn rejects_what_pykerberos_silently_turned_into_an_empty_token() {
        assert_eq!(b64decode(b"@@@@"), Err(Base64Error::Character(0)));
        assert_eq!(
            b64decode(b"!!!not base64!!!"),
            Err(Base64Error::Character(0))
        );
        assert_eq!(b64decode(b"Zm9v-_"), Err(Base64Error::Character(4)));
        assert_eq!(b64decode(b"Z"), Err(Base64Error::Length));
        assert_eq!(b64decode(b"Zg=a"), Err(Base64Error::Length));
        assert_eq!(b64decode(b"Zg="), Err(Base64Error::Length));
    }

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
