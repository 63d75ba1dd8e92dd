//! The base64 codec of the Python module: decoding never panics, and whatever decodes
//! re-encodes to text that decodes to the same bytes; encoding any bytes round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The module's own codec file, compiled here unchanged (it has no Python in it).
#[allow(dead_code, unreachable_pub)]
#[path = "../../crates/winkerberos-python/src/base64.rs"]
mod base64;

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = base64::b64decode(data) {
        let encoded = base64::b64encode(&decoded);
        assert_eq!(
            base64::b64decode(encoded.as_bytes()).as_deref(),
            Ok(&decoded[..])
        );
    }
    let encoded = base64::b64encode(data);
    assert_eq!(encoded.len() % 4, 0);
    assert_eq!(base64::b64decode(encoded.as_bytes()).as_deref(), Ok(data));
});
