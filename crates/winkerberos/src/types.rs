//! The values a security context takes and gives: its mechanism, a handshake step's
//! outcome and wrapped or unwrapped messages.
//!
//! They own no native handle, so both the backends and the public context types use them;
//! this module depends on nothing else in the crate, and sits below both.

use std::fmt;

/// The security mechanism a context uses.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mech {
    /// Raw Kerberos V5 (RFC 4121), OID 1.2.840.113554.1.2.2; the SSPI `Kerberos` package.
    #[default]
    Kerberos,
    /// SPNEGO (RFC 4178), OID 1.3.6.1.5.5.2, as HTTP `Negotiate` uses it; the SSPI
    /// `Negotiate` package.
    Spnego,
}

/// What a handshake leg asks of the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send this token to the peer and step again with its answer.
    Continue(Vec<u8>),
    /// The context is established. A final token, if any, must still reach the peer.
    Complete(Option<Vec<u8>>),
}

impl Step {
    /// The token to send, if any.
    pub fn token(&self) -> Option<&[u8]> {
        match self {
            Self::Continue(token) => Some(token),
            Self::Complete(token) => token.as_deref(),
        }
    }

    /// Whether the context is established.
    pub fn is_complete(&self) -> bool {
        matches!(self, Self::Complete(_))
    }
}

/// An unwrapped message.
#[derive(Clone, PartialEq, Eq)]
pub struct Unwrapped {
    /// The message.
    pub data: Vec<u8>,
    /// Whether the message was encrypted (not only integrity-protected).
    pub confidential: bool,
}

impl fmt::Debug for Unwrapped {
    /// Shows the length only: the message may be secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unwrapped")
            .field("len", &self.data.len())
            .field("confidential", &self.confidential)
            .finish()
    }
}

/// A message wrapped with its header detached from its data (RFC 4121 IOV wrapping), the
/// form WinRM message encryption (MS-WSMV) sends: `header`, then `data` and `padding`.
#[derive(Clone, PartialEq, Eq)]
pub struct IovWrapped {
    /// The mechanism's header (the RFC 4121 token header and checksum).
    pub header: Vec<u8>,
    /// The message, encrypted when confidentiality was requested.
    pub data: Vec<u8>,
    /// Padding after the data (empty for the AES enctypes).
    pub padding: Vec<u8>,
}

impl fmt::Debug for IovWrapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IovWrapped")
            .field("header_len", &self.header.len())
            .field("data_len", &self.data.len())
            .field("padding_len", &self.padding.len())
            .finish()
    }
}
