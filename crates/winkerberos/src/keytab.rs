//! Reading the principals of a keytab file, in pure Rust (no key is ever kept).
//!
//! The file format is MIT's version 2 keytab (`0x05 0x02`), which Heimdal and Java write too:
//! a sequence of big-endian length-prefixed entries, negative lengths marking holes left by
//! deleted entries.

use std::fs;

use crate::error::{Error, ErrorKind, Operation, Result};

const OP: Operation = Operation::ReadKeytab;

/// The name of the default keytab: `KRB5_KTNAME`, else `default_keytab_name` from the
/// `[libdefaults]` of the krb5.conf files (`KRB5_CONFIG`), else `FILE:/etc/krb5.keytab`.
pub fn default_keytab_name() -> String {
    if let Ok(name) = std::env::var("KRB5_KTNAME")
        && !name.is_empty()
    {
        return name;
    }
    let config = std::env::var("KRB5_CONFIG").unwrap_or_else(|_| "/etc/krb5.conf".to_owned());
    config
        .split(':')
        .filter_map(|path| fs::read_to_string(path).ok())
        .find_map(|text| libdefaults_value(&text, "default_keytab_name"))
        .unwrap_or_else(|| "FILE:/etc/krb5.keytab".to_owned())
}

/// The value of `key` in the `[libdefaults]` section of a krb5.conf text.
fn libdefaults_value(text: &str, key: &str) -> Option<String> {
    let mut in_libdefaults = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_libdefaults = line.trim_end_matches('*').trim() == "[libdefaults]";
        } else if in_libdefaults
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            return Some(v.trim().to_owned());
        }
    }
    None
}

/// The principals in the keytab `name` (`FILE:path`, `WRFILE:path` or a path; the default
/// keytab when `None`), in file order, each once.
///
/// ```no_run
/// let principals = winkerberos::keytab_principals(None)?;
/// # Ok::<(), winkerberos::Error>(())
/// ```
pub fn keytab_principals(name: Option<&str>) -> Result<Vec<String>> {
    let bytes = read_keytab(name)?;
    let mut principals: Vec<String> = Vec::new();
    for entry in parse_entries(&bytes.1).map_err(|why| invalid(&bytes.0, why))? {
        if !principals.contains(&entry.principal) {
            principals.push(entry.principal);
        }
    }
    Ok(principals)
}

/// One key in a keytab: whose, its version number and encryption type (never the key).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeytabEntry {
    /// The principal, as `krb5_unparse_name` shows it.
    pub principal: String,
    /// The key version number (kvno).
    pub kvno: u32,
    /// The encryption type number (RFC 3961 registry; see [`enctype_name`]).
    pub enctype: i32,
    /// When the key was written (seconds since the Unix epoch).
    pub timestamp: u32,
}

/// Every key in the keytab `name` (as for [`keytab_principals`]), in file order.
pub fn keytab_entries(name: Option<&str>) -> Result<Vec<KeytabEntry>> {
    let (path, bytes) = read_keytab(name)?;
    parse_entries(&bytes).map_err(|why| invalid(&path, why))
}

/// The name of a Kerberos encryption type, as `klist -e` shows it.
pub fn enctype_name(enctype: i32) -> Option<&'static str> {
    Some(match enctype {
        1 => "des-cbc-crc",
        3 => "des-cbc-md5",
        16 => "des3-cbc-sha1",
        17 => "aes128-cts-hmac-sha1-96",
        18 => "aes256-cts-hmac-sha1-96",
        19 => "aes128-cts-hmac-sha256-128",
        20 => "aes256-cts-hmac-sha384-192",
        23 => "arcfour-hmac",
        24 => "arcfour-hmac-exp",
        25 => "camellia128-cts-cmac",
        26 => "camellia256-cts-cmac",
        _ => return None,
    })
}

fn invalid(path: &str, why: &str) -> Error {
    Error::at(
        ErrorKind::Failure,
        OP,
        format!("{path} is not a valid keytab: {why}"),
    )
}

/// The path and bytes of the keytab `name` (the default keytab when `None`).
fn read_keytab(name: Option<&str>) -> Result<(String, Vec<u8>)> {
    let name = name.map_or_else(default_keytab_name, str::to_owned);
    let path = match name.split_once(':') {
        Some(("FILE" | "WRFILE", path)) => path,
        // A one-letter "type" is a Windows drive (C:\...), not a keytab type.
        Some((kind, _)) if kind.len() > 1 && !kind.contains(['/', '\\']) => {
            return Err(Error::at(
                ErrorKind::Unsupported,
                OP,
                format!("keytab {name:?} is of type {kind}, and only FILE keytabs can be listed"),
            ));
        }
        _ => name.as_str(),
    };
    let bytes = fs::read(path).map_err(|e| {
        Error::at(
            ErrorKind::NoCredentials,
            OP,
            format!("cannot read keytab {path}: {e}"),
        )
        .hint("set KRB5_KTNAME to a readable keytab (FILE:/path/to/file.keytab)")
        .caused_by(e)
    })?;
    Ok((path.to_owned(), bytes))
}

/// A cursor over big-endian keytab fields.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        if self.0.len() < n {
            return Err("truncated entry");
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u16(&mut self) -> Result<u16, &'static str> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self) -> Result<i32, &'static str> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn counted(&mut self) -> Result<&'a [u8], &'static str> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
}

/// The distinct principals of a keytab, in order (the unit tests and the fuzz target read
/// the parser through this).
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn parse_principals(bytes: &[u8]) -> Result<Vec<String>, &'static str> {
    let mut principals: Vec<String> = Vec::new();
    for entry in parse_entries(bytes)? {
        if !principals.contains(&entry.principal) {
            principals.push(entry.principal);
        }
    }
    Ok(principals)
}

fn parse_entries(bytes: &[u8]) -> Result<Vec<KeytabEntry>, &'static str> {
    let mut r = Reader(bytes);
    match r.u16()? {
        0x0502 => {}
        0x0501 => return Err("version 1 keytabs (native byte order) are not supported"),
        _ => return Err("bad version number"),
    }
    let mut entries = Vec::new();
    while !r.0.is_empty() {
        let size = r.i32()?;
        if size == 0 {
            break;
        }
        let entry = r.take(usize::try_from(size.unsigned_abs()).map_err(|_| "entry too large")?)?;
        if size < 0 {
            continue; // a hole left by a deleted entry
        }
        entries.push(parse_entry(entry)?);
    }
    Ok(entries)
}

fn parse_entry(entry: &[u8]) -> Result<KeytabEntry, &'static str> {
    let mut r = Reader(entry);
    let components = r.u16()?;
    let realm = r.counted()?;
    let mut name = String::new();
    for i in 0..components {
        if i > 0 {
            name.push('/');
        }
        escape_into(&mut name, r.counted()?);
    }
    name.push('@');
    escape_into(&mut name, realm);
    let _name_type = r.i32()?;
    let timestamp = r.i32()?.cast_unsigned();
    let vno8 = r.take(1)?[0];
    let enctype = r.u16()?;
    r.counted()?; // the key itself: skipped, never kept
    // A 32-bit kvno follows when there is room for it; it supersedes the 8-bit one
    // (MIT writes it, and a zero there means "use the 8-bit one").
    let kvno = match r.i32() {
        Ok(vno) if vno != 0 => vno.cast_unsigned(),
        _ => u32::from(vno8),
    };
    Ok(KeytabEntry {
        principal: name,
        kvno,
        enctype: i32::from(enctype),
        timestamp,
    })
}

/// Appends a name component the way `krb5_unparse_name` shows it.
fn escape_into(out: &mut String, component: &[u8]) {
    for c in String::from_utf8_lossy(component).chars() {
        match c {
            '/' | '@' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\0' => out.push_str("\\0"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(s: &[u8]) -> Vec<u8> {
        let mut v = u16::try_from(s.len())
            .expect("short")
            .to_be_bytes()
            .to_vec();
        v.extend_from_slice(s);
        v
    }

    fn entry(components: &[&[u8]], realm: &[u8]) -> Vec<u8> {
        let mut e = u16::try_from(components.len())
            .expect("few")
            .to_be_bytes()
            .to_vec();
        e.extend(counted(realm));
        for c in components {
            e.extend(counted(c));
        }
        e.extend(1u32.to_be_bytes()); // name type
        e.extend(0u32.to_be_bytes()); // timestamp
        e.push(2); // vno8
        e.extend(18u16.to_be_bytes()); // enctype
        e.extend(counted(&[0xaa; 32])); // key
        e.extend(2u32.to_be_bytes()); // vno
        let mut out = i32::try_from(e.len())
            .expect("small")
            .to_be_bytes()
            .to_vec();
        out.extend(e);
        out
    }

    fn keytab(entries: &[Vec<u8>]) -> Vec<u8> {
        let mut k = vec![0x05, 0x02];
        for e in entries {
            k.extend_from_slice(e);
        }
        k
    }

    #[test]
    fn lists_principals_once_in_order_skipping_holes() {
        let mut hole = (-10i32).to_be_bytes().to_vec();
        hole.extend([0u8; 10]);
        let k = keytab(&[
            entry(&[b"HTTP", b"web.example.com"], b"EX.COM"),
            hole,
            entry(&[b"HTTP", b"web.example.com"], b"EX.COM"),
            entry(&[b"host", b"a/b@c"], b"EX.COM"),
        ]);
        assert_eq!(
            parse_principals(&k),
            Ok(vec![
                "HTTP/web.example.com@EX.COM".to_owned(),
                "host/a\\/b\\@c@EX.COM".to_owned()
            ])
        );
    }

    #[test]
    fn rejects_bad_files_without_panicking() {
        assert_eq!(parse_principals(b""), Err("truncated entry"));
        assert_eq!(
            parse_principals(b"\x05\x01"),
            Err("version 1 keytabs (native byte order) are not supported")
        );
        assert_eq!(parse_principals(b"\x00\x00"), Err("bad version number"));
        let good = keytab(&[entry(&[b"HTTP", b"h"], b"R")]);
        assert_eq!(
            parse_principals(&good[..2]),
            Ok(Vec::new()),
            "a header alone is an empty keytab"
        );
        for cut in 3..good.len() {
            assert!(
                parse_principals(&good[..cut]).is_err(),
                "accepted a keytab cut at {cut}"
            );
        }
        // Every byte string is handled without a panic.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut bytes = good.clone();
            let at = usize::try_from(seed % bytes.len() as u64).expect("fits");
            bytes[at] = seed.to_le_bytes()[1];
            let _ = parse_principals(&bytes);
        }
    }

    #[test]
    fn entries_carry_kvno_and_enctype() {
        let k = keytab(&[entry(&[b"HTTP", b"h"], b"R")]);
        let entries = parse_entries(&k).expect("valid");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].principal, "HTTP/h@R");
        assert_eq!(entries[0].kvno, 2);
        assert_eq!(entries[0].enctype, 18);
        assert_eq!(enctype_name(18), Some("aes256-cts-hmac-sha1-96"));
        assert_eq!(enctype_name(-1), None);
    }

    #[test]
    fn finds_default_keytab_name_in_libdefaults() {
        let conf = "[realms]\n default_keytab_name = wrong\n[libdefaults]\n  default_keytab_name = FILE:/k.tab\n";
        assert_eq!(
            libdefaults_value(conf, "default_keytab_name").as_deref(),
            Some("FILE:/k.tab")
        );
        assert_eq!(
            libdefaults_value("[libdefaults]\n", "default_keytab_name"),
            None
        );
    }
}
