//! `principal=` parsing (`user@REALM[:password]`, percent-encoded): never panics, and what it
//! accepts holds no NUL and no ':' after the realm, so a C library reads the whole name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use winkerberos::Credential;

fuzz_target!(|data: &[u8]| {
    let Ok(spec) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(credential) = Credential::parse_principal(spec) else {
        return;
    };
    let principal = match &credential {
        Credential::Default => {
            assert!(spec.is_empty());
            return;
        }
        Credential::Principal(p) => p,
        Credential::Password {
            principal,
            password,
        } => {
            assert!(!principal.is_empty());
            assert!(!password.expose().contains(&0));
            principal
        }
        _ => return,
    };
    assert!(!principal.contains('\0'));
    assert!(
        !principal
            .split_once('@')
            .is_some_and(|(_, realm)| realm.contains(':'))
    );
    assert!(winkerberos::fuzzing::check_credential(&credential).is_ok());
});
