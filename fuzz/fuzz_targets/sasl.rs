//! The RFC 4752 offer parser and reply builder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use winkerberos::sasl;

fuzz_target!(|data: &[u8]| {
    match sasl::Offer::parse(data) {
        Ok(offer) => {
            assert_eq!(data.len(), 4);
            assert_eq!(offer.layers, data[0]);
            assert!(offer.max_size < 1 << 24);
        }
        Err(err) => assert_ne!(data.len(), 4, "{err}"),
    }
    if let Ok(id) = std::str::from_utf8(data) {
        let reply = sasl::reply_without_layer(id);
        assert_eq!(&reply[..4], &[sasl::LAYER_NONE, 0, 0, 0]);
        assert_eq!(&reply[4..], data);
    }
});
