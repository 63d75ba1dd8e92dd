//! Service-name parsing (`HTTP@host`, `HTTP/host[@REALM]`, `svc@host@REALM`, `HTTP`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(service) = std::str::from_utf8(data) else {
        return;
    };
    let (text, principal, spn) = winkerberos::fuzzing::parse_service_name(service);
    // The form never invents or drops characters: only one '@' may become '/'.
    assert_eq!(text.len(), service.len());
    assert_eq!(spn.len(), service.len());
    if service.contains('/') {
        assert!(principal);
        assert_eq!(text, service);
    }
    if !principal {
        assert_eq!(text, service);
    }
});
