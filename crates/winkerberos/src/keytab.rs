//! Reading the principals of a keytab file, in pure Rust (no key is ever kept).
//!
//! The file format is MIT's version 2 keytab (`0x05 0x02`), which Heimdal and Java write too:
//! a sequence of big-endian length-prefixed entries, negative lengths marking holes left by
//! deleted entries.

use std::fs;

use crate::error::{Error, ErrorKind, Result};

const OP: &str = "read keytab";

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
    let name = name.map_or_else(default_keytab_name, str::to_owned);
    let path = match name.split_once(':') {
        Some(("FILE" | "WRFILE", path)) => path,
        // A one-letter "type" is a Windows drive (C:\...), not a keytab type.
        Some((kind, _)) if kind.len() > 1 && !kind.contains(['/', '\\']) => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                OP,
                format!("keytab {name:?} is of type {kind}, and only FILE keytabs can be listed"),
            ));
        }
        _ => name.as_str(),
    };
    let bytes = fs::read(path).map_err(|e| {
        Error::new(
            ErrorKind::NoCredentials,
            OP,
            format!("cannot read keytab {path}: {e}"),
        )
        .hint("set KRB5_KTNAME to a readable keytab (FILE:/path/to/file.keytab)")
    })?;
    parse_principals(&bytes).map_err(|why| {
        Error::new(
            ErrorKind::Failure,
            OP,
            format!("{path} is not a valid keytab: {why}"),
        )
    })
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

pub(crate) fn parse_principals(bytes: &[u8]) -> Result<Vec<String>, &'static str> {
    let mut r = Reader(bytes);
    match r.u16()? {
        0x0502 => {}
        0x0501 => return Err("version 1 keytabs (native byte order) are not supported"),
        _ => return Err("bad version number"),
    }
    let mut principals: Vec<String> = Vec::new();
    while !r.0.is_empty() {
        let size = r.i32()?;
        if size == 0 {
            break;
        }
        let entry = r.take(usize::try_from(size.unsigned_abs()).map_err(|_| "entry too large")?)?;
        if size < 0 {
            continue; // a hole left by a deleted entry
        }
        let principal = parse_entry(entry)?;
        if !principals.contains(&principal) {
            principals.push(principal);
        }
    }
    Ok(principals)
}

fn parse_entry(entry: &[u8]) -> Result<String, &'static str> {
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
    Ok(name)
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
