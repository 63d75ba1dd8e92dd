//! The keytab reader (MIT version 2 format): any file contents give principals or an error,
//! never a panic, a hang or an allocation beyond the input's size.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(principals) = winkerberos::fuzzing::keytab_principals_from_bytes(data) {
        assert!(data.starts_with(&[0x05, 0x02]));
        // Each name is built from the entry's bytes (components plus separators, invalid
        // UTF-8 shown as U+FFFD): never more characters than the file has bytes, times two.
        let total: usize = principals.iter().map(|p| p.chars().count()).sum();
        assert!(total <= data.len() * 2, "{total} > 2 * {}", data.len());
    }
});
