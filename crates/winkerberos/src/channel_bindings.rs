//! Channel bindings (RFC 2744 §3.11, RFC 5929): tie a Kerberos exchange to the outer channel,
//! typically the TLS server certificate.

/// Channel bindings supplied to both sides of a handshake.
///
/// Both sides must supply the same bindings. The usual form, for HTTP and LDAP over TLS, is
/// only `application_data = b"tls-server-end-point:" + hash(server certificate)`.
///
/// ```
/// use winkerberos::ChannelBindings;
/// let cb = ChannelBindings::tls_server_end_point(&[0xab; 32]);
/// assert!(cb.application_data.starts_with(b"tls-server-end-point:"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelBindings {
    /// Address type of the initiator address (`GSS_C_AF_*`, 0 for unspecified).
    pub initiator_addrtype: u32,
    /// The initiator's address, or empty.
    pub initiator_address: Vec<u8>,
    /// Address type of the acceptor address (`GSS_C_AF_*`, 0 for unspecified).
    pub acceptor_addrtype: u32,
    /// The acceptor's address, or empty.
    pub acceptor_address: Vec<u8>,
    /// Application data, such as an RFC 5929 channel binding.
    pub application_data: Vec<u8>,
}

impl ChannelBindings {
    /// Bindings that carry only application data.
    pub fn with_application_data(data: impl Into<Vec<u8>>) -> Self {
        Self {
            application_data: data.into(),
            ..Self::default()
        }
    }

    /// RFC 5929 `tls-server-end-point` bindings for the hash of the server's certificate
    /// (SHA-256 when the certificate is signed with MD5 or SHA-1, else its signature hash).
    pub fn tls_server_end_point(certificate_hash: &[u8]) -> Self {
        let mut data = b"tls-server-end-point:".to_vec();
        data.extend_from_slice(certificate_hash);
        Self::with_application_data(data)
    }
}
