//! The forms SSPI takes what GSSAPI takes as structures: channel bindings as one
//! `SEC_CHANNEL_BINDINGS` block, a target as a service principal name.
//!
//! Pure byte and string work, without `windows-sys`: compiled on every platform for the
//! unit tests (see `backend/mod.rs`), and used by the SSPI backend.

use crate::channel_bindings::ChannelBindings;
use crate::name::{NameForm, TargetName};

/// Size of SSPI's `SEC_CHANNEL_BINDINGS` header: eight 32-bit fields.
pub(crate) const SEC_CHANNEL_BINDINGS_HEADER: usize = 32;

/// `bindings` as SSPI takes them in a `SECBUFFER_CHANNEL_BINDINGS` buffer: one block holding a
/// `SEC_CHANNEL_BINDINGS` header followed by the initiator address, the acceptor address and
/// the application data. The header's eight native-endian `u32` fields are
/// `dwInitiatorAddrType`, `cbInitiatorLength`, `dwInitiatorOffset`, `dwAcceptorAddrType`,
/// `cbAcceptorLength`, `dwAcceptorOffset`, `cbApplicationDataLength` and
/// `dwApplicationDataOffset`; offsets count from the start of the header, and an empty part
/// has offset and length 0.
///
/// Fails if the block would not fit the header's 32-bit lengths and offsets.
pub(crate) fn channel_bindings_block(bindings: &ChannelBindings) -> Option<Vec<u8>> {
    let parts = [
        &bindings.initiator_address[..],
        &bindings.acceptor_address[..],
        &bindings.application_data[..],
    ];
    let total = parts
        .iter()
        .try_fold(SEC_CHANNEL_BINDINGS_HEADER, |sum, p| {
            sum.checked_add(p.len())
        })?;
    u32::try_from(total).ok()?;
    let mut header = Vec::with_capacity(8);
    let mut offset = SEC_CHANNEL_BINDINGS_HEADER;
    for (addrtype, part) in [
        (Some(bindings.initiator_addrtype), parts[0]),
        (Some(bindings.acceptor_addrtype), parts[1]),
        (None, parts[2]),
    ] {
        if let Some(addrtype) = addrtype {
            header.push(addrtype);
        }
        // Both fit: `total` (which bounds them) fits in a u32.
        let length = u32::try_from(part.len()).ok()?;
        let at = if part.is_empty() {
            0
        } else {
            u32::try_from(offset).ok()?
        };
        header.extend([length, at]);
        offset += part.len();
    }
    let mut block = Vec::with_capacity(total);
    for field in header {
        block.extend_from_slice(&field.to_ne_bytes());
    }
    for part in parts {
        block.extend_from_slice(part);
    }
    Some(block)
}

/// The service principal name of `target` (`service/host[@REALM]`): winkerberos' rule of
/// turning the first `@` into `/` when there is no `/`.
pub(crate) fn spn(target: &TargetName) -> String {
    match target.form {
        NameForm::Principal => target.text.clone(),
        NameForm::HostBased => target.text.replacen('@', "/", 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(block: &[u8]) -> Vec<u32> {
        block[..SEC_CHANNEL_BINDINGS_HEADER]
            .chunks_exact(4)
            .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    #[test]
    fn sspi_block_with_application_data_only() {
        let cb = ChannelBindings::tls_server_end_point(&[0xab; 32]);
        let block = channel_bindings_block(&cb).expect("fits");
        let app_len = u32::try_from(cb.application_data.len()).expect("small");
        assert_eq!(
            block.len(),
            SEC_CHANNEL_BINDINGS_HEADER + cb.application_data.len()
        );
        assert_eq!(fields(&block), [0, 0, 0, 0, 0, 0, app_len, 32]);
        assert_eq!(&block[32..], &cb.application_data[..]);
    }

    #[test]
    fn sspi_block_with_every_part_in_order() {
        let cb = ChannelBindings {
            initiator_addrtype: 2,
            initiator_address: vec![127, 0, 0, 1],
            acceptor_addrtype: 24,
            acceptor_address: vec![0xfe; 16],
            application_data: b"app".to_vec(),
        };
        let block = channel_bindings_block(&cb).expect("fits");
        assert_eq!(fields(&block), [2, 4, 32, 24, 16, 36, 3, 52]);
        assert_eq!(&block[32..36], [127, 0, 0, 1]);
        assert_eq!(&block[36..52], [0xfe; 16]);
        assert_eq!(&block[52..], b"app");
    }

    #[test]
    fn sspi_block_of_empty_bindings_is_a_bare_header() {
        let cb = ChannelBindings {
            initiator_addrtype: 2,
            ..ChannelBindings::default()
        };
        let block = channel_bindings_block(&cb).expect("fits");
        assert_eq!(fields(&block), [2, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(block.len(), SEC_CHANNEL_BINDINGS_HEADER);
    }

    #[test]
    fn sspi_block_skips_empty_parts_in_offsets() {
        let cb = ChannelBindings {
            acceptor_address: vec![1, 2],
            application_data: vec![3],
            ..ChannelBindings::default()
        };
        let block = channel_bindings_block(&cb).expect("fits");
        assert_eq!(fields(&block), [0, 0, 0, 0, 2, 32, 1, 34]);
        assert_eq!(&block[32..], [1, 2, 3]);
    }

    #[test]
    fn spn_follows_winkerberos() {
        assert_eq!(spn(&TargetName::parse("HTTP@web")), "HTTP/web");
        assert_eq!(spn(&TargetName::parse("HTTP/web@R")), "HTTP/web@R");
        assert_eq!(spn(&TargetName::parse("m@db@R")), "m/db@R");
    }
}
