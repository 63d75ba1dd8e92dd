//! Standard base64 (RFC 4648 §4), as all three originals produce and read it.
//!
//! Pure Rust with no Python in it, so that the fuzz target in `fuzz/` can include this file
//! as it is (`#[path]`) and fuzz exactly the code the module runs.

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
}
