//! The RFC 4752 SASL GSSAPI security-layer negotiation message.
//!
//! After the Kerberos handshake the server sends a wrapped 4-octet offer (a bit mask of the
//! security layers it supports, then its maximum message size); the client answers with a
//! wrapped message naming the chosen layer, its own maximum size and an authorization identity.

use crate::error::{Error, ErrorKind, Operation, Result};

/// No security layer after authentication.
pub const LAYER_NONE: u8 = 0x01;
/// Integrity protection of every message.
pub const LAYER_INTEGRITY: u8 = 0x02;
/// Confidentiality of every message.
pub const LAYER_CONFIDENTIALITY: u8 = 0x04;

/// The server's offer: the layers it supports and the largest message it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offer {
    /// Bit mask of `LAYER_*` values.
    pub layers: u8,
    /// The largest wrapped message the server accepts (24 bits).
    pub max_size: u32,
}

impl Offer {
    /// Parses the 4-octet unwrapped offer.
    pub fn parse(message: &[u8]) -> Result<Self> {
        match message {
            [layers, a, b, c] => Ok(Self {
                layers: *layers,
                max_size: u32::from_be_bytes([0, *a, *b, *c]),
            }),
            _ => Err(Error::at(
                ErrorKind::InvalidArgument,
                Operation::ParseSaslOffer,
                format!(
                    "the server's security-layer offer is {} octets long, not 4",
                    message.len()
                ),
            )),
        }
    }
}

/// The client's answer choosing no security layer, with an authorization identity.
///
/// As RFC 4752 §3.1 requires for "no security layer", the maximum size is 0.
///
/// ```
/// use winkerberos::sasl;
/// assert_eq!(sasl::reply_without_layer("alice@EX.COM"), b"\x01\x00\x00\x00alice@EX.COM");
/// ```
pub fn reply_without_layer(authorization_id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + authorization_id.len());
    out.extend_from_slice(&[LAYER_NONE, 0, 0, 0]);
    out.extend_from_slice(authorization_id.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_four_octet_offer() {
        let offer = Offer::parse(&[0x07, 0x00, 0xff, 0xff]).expect("valid");
        assert_eq!(
            offer,
            Offer {
                layers: 7,
                max_size: 0xffff
            }
        );
        assert!(Offer::parse(&[1, 2, 3]).is_err());
        assert!(Offer::parse(&[]).is_err());
        assert!(Offer::parse(&[1, 2, 3, 4, 5]).is_err());
    }

    #[test]
    fn reply_is_utf8_and_has_zero_max_size() {
        assert_eq!(
            reply_without_layer("hélène"),
            b"\x01\x00\x00\x00h\xc3\xa9l\xc3\xa8ne"
        );
        assert_eq!(reply_without_layer(""), b"\x01\x00\x00\x00");
    }
}
