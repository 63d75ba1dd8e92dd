//! Facts about this machine's Kerberos set-up, for `python -m winkerberos doctor`: which
//! library is loaded, the default credentials and ticket cache. Each function answers one
//! question and fails with an [`Error`] of the kind that says why it cannot.
//!
//! The ticket cache file is read in pure Rust (MIT's and Heimdal's `FILE:` format, version
//! 4): session keys and tickets are skipped, never kept.

use std::fs;

use crate::error::{Error, ErrorKind, Operation, Result};

/// The system Kerberos library this process uses.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LibraryInfo {
    /// The name it was opened by (a soname such as `libgssapi_krb5.so.2`, or a path).
    pub name: String,
    /// The file it was loaded from, where the system says (`/proc/self/maps`).
    pub path: Option<String>,
    /// `"MIT"`, `"Heimdal"` or `"Apple (Heimdal)"`, where it can be told.
    pub vendor: Option<&'static str>,
    /// The release, such as `1.20.1` (MIT) or `7.8.0` (Heimdal), where it can be read.
    pub version: Option<String>,
    /// Whether `WINKERBEROS_GSSAPI_LIBRARY` chose it.
    pub requested: bool,
}

/// Loads the system Kerberos library (if not loaded yet) and describes it.
pub fn library_info() -> Result<LibraryInfo> {
    #[cfg(unix)]
    {
        let (name, vendor) = crate::backend::library_facts()?;
        let path = loaded_path(&name);
        let version = path.as_deref().and_then(|p| read_version(p, vendor));
        Ok(LibraryInfo {
            requested: std::env::var_os("WINKERBEROS_GSSAPI_LIBRARY")
                .is_some_and(|v| !v.is_empty()),
            name,
            path,
            vendor,
            version,
        })
    }
    #[cfg(not(unix))]
    {
        crate::ensure_available()?;
        Ok(LibraryInfo {
            name: "secur32.dll".to_owned(),
            path: None,
            vendor: Some("Microsoft SSPI"),
            version: None,
            requested: false,
        })
    }
}

/// The file a library opened as `name` was mapped from.
#[cfg(unix)]
fn loaded_path(name: &str) -> Option<String> {
    let maps = fs::read_to_string("/proc/self/maps").ok()?;
    let wanted = std::path::Path::new(name)
        .file_name()?
        .to_string_lossy()
        .into_owned();
    maps.lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .find(|path| {
            std::path::Path::new(path)
                .file_name()
                .is_some_and(|f| f.to_string_lossy().starts_with(&wanted))
        })
        .map(str::to_owned)
}

/// The release of the library at `path`, read from the brand string its libkrb5 carries
/// (MIT: `KRB5_BRAND: krb5-1.20.1-final ...`; Heimdal: `$Version: Heimdal 7.8.0 $`).
#[cfg(unix)]
fn read_version(path: &str, vendor: Option<&str>) -> Option<String> {
    let dir = std::path::Path::new(path).parent()?;
    let (file, marker, end) = match vendor? {
        "MIT" => ("libkrb5.so.3", &b"KRB5_BRAND: krb5-"[..], b'-'),
        "Heimdal" => ("libkrb5.so.26", &b"$Version: Heimdal "[..], b' '),
        _ => return None,
    };
    let bytes = fs::read(dir.join(file)).ok()?;
    let at = bytes.windows(marker.len()).position(|w| w == marker)? + marker.len();
    let rest = bytes.get(at..at + 32)?;
    let len = rest.iter().position(|&b| b == end || b == 0)?;
    let version = std::str::from_utf8(&rest[..len]).ok()?;
    (!version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .then(|| version.to_owned())
}

/// The default initiator credentials: whose they are, and for how many seconds they remain
/// valid (`None`: no limit).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DefaultCredential {
    /// The principal, such as `alice@EXAMPLE.COM`.
    pub principal: String,
    /// Seconds until the credentials expire, or `None` for no limit.
    pub lifetime: Option<u32>,
}

/// Asks the mechanism for the default initiator credentials (the default ticket cache on
/// Unix): fails with [`ErrorKind::NoCredentials`] or [`ErrorKind::Expired`] when there are
/// none that can be used.
pub fn default_credential() -> Result<DefaultCredential> {
    #[cfg(unix)]
    {
        let (principal, lifetime) = crate::backend::default_credential()?;
        Ok(DefaultCredential {
            principal,
            lifetime: (lifetime != u32::MAX).then_some(lifetime),
        })
    }
    #[cfg(not(unix))]
    {
        Err(Error::at(
            ErrorKind::Unsupported,
            Operation::DefaultCredentials,
            "SSPI does not describe the logon session's tickets; run klist",
        ))
    }
}

/// The name of the default ticket cache: `KRB5CCNAME`, else `default_ccache_name` from
/// krb5.conf, else `FILE:/tmp/krb5cc_<uid>`.
pub fn default_ccache_name() -> String {
    if let Ok(name) = std::env::var("KRB5CCNAME")
        && !name.is_empty()
    {
        return name;
    }
    let uid = uid().unwrap_or_default();
    let config = crate::krb5conf::Config::load();
    match config.libdefault("default_ccache_name") {
        Some(name) => name
            .replace("%{uid}", &uid)
            .replace("%{euid}", &uid)
            .replace("%{TEMP}", "/tmp"),
        None => format!("FILE:/tmp/krb5cc_{uid}"),
    }
}

fn uid() -> Option<String> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().nth(1))
        .map(str::to_owned)
}

/// One ticket in a ticket cache.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ticket {
    /// The service principal, such as `krbtgt/EXAMPLE.COM@EXAMPLE.COM`.
    pub server: String,
    /// When it became valid (seconds since the Unix epoch).
    pub start: u32,
    /// When it expires (seconds since the Unix epoch).
    pub end: u32,
    /// Until when it can be renewed (0: not renewable).
    pub renew_till: u32,
}

/// What a `FILE:` ticket cache holds.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CcacheContents {
    /// The cache's default principal.
    pub principal: String,
    /// Its tickets, in file order (configuration entries left out).
    pub tickets: Vec<Ticket>,
}

const CCACHE_OP: Operation = Operation::ReadTicketCache;

/// Reads the `FILE:` ticket cache `name` (a `FILE:path` or a path).
pub fn read_file_ccache(name: &str) -> Result<CcacheContents> {
    let path = name.strip_prefix("FILE:").unwrap_or(name);
    let bytes = fs::read(path).map_err(|e| {
        Error::at(
            ErrorKind::NoCredentials,
            CCACHE_OP,
            format!("cannot read ticket cache {path}: {e}"),
        )
        .hint("obtain a ticket with kinit (or point KRB5CCNAME at a ticket cache)")
        .caused_by(e)
    })?;
    parse_ccache(&bytes).map_err(|why| {
        Error::at(
            ErrorKind::Failure,
            CCACHE_OP,
            format!("{path} is not a ticket cache this reader understands: {why}"),
        )
    })
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        if self.0.len() < n {
            return Err("truncated");
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, &'static str> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, &'static str> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, &'static str> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn counted(&mut self) -> Result<&'a [u8], &'static str> {
        let n = usize::try_from(self.u32()?).map_err(|_| "length too large")?;
        self.take(n)
    }
    fn principal(&mut self) -> Result<String, &'static str> {
        let _name_type = self.u32()?;
        let count = self.u32()?;
        if count > 64 {
            return Err("too many name components");
        }
        let realm = String::from_utf8_lossy(self.counted()?).into_owned();
        let mut parts = Vec::new();
        for _ in 0..count {
            parts.push(String::from_utf8_lossy(self.counted()?).into_owned());
        }
        Ok(format!("{}@{realm}", parts.join("/")))
    }
    /// Skips a list of (u16 type, counted data) items: addresses or authorization data.
    fn skip_list(&mut self) -> Result<(), &'static str> {
        let count = self.u32()?;
        for _ in 0..count {
            self.u16()?;
            self.counted()?;
        }
        Ok(())
    }
}

fn parse_ccache(bytes: &[u8]) -> Result<CcacheContents, &'static str> {
    let mut r = Reader(bytes);
    match r.u16()? {
        0x0504 => {
            let header = usize::from(r.u16()?);
            r.take(header)?;
        }
        0x0503 => {}
        0x0501 | 0x0502 => return Err("version 1 and 2 caches (native byte order) are not read"),
        _ => return Err("bad version number"),
    }
    let principal = r.principal()?;
    let mut tickets = Vec::new();
    while !r.0.is_empty() {
        let _client = r.principal()?;
        let server = r.principal()?;
        let _enctype = r.u16()?;
        r.counted()?; // the session key: skipped, never kept
        let _auth = r.u32()?;
        let start = r.u32()?;
        let end = r.u32()?;
        let renew_till = r.u32()?;
        let _is_skey = r.u8()?;
        let _flags = r.u32()?;
        r.skip_list()?; // addresses
        r.skip_list()?; // authorization data
        r.counted()?; // ticket
        r.counted()?; // second ticket
        if !server.ends_with("@X-CACHECONF:") {
            tickets.push(Ticket {
                server,
                start,
                end,
                renew_till,
            });
        }
    }
    Ok(CcacheContents { principal, tickets })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(s: &[u8]) -> Vec<u8> {
        let mut v = u32::try_from(s.len())
            .expect("short")
            .to_be_bytes()
            .to_vec();
        v.extend_from_slice(s);
        v
    }

    fn principal(parts: &[&[u8]], realm: &[u8]) -> Vec<u8> {
        let mut v = 1u32.to_be_bytes().to_vec();
        v.extend(u32::try_from(parts.len()).expect("few").to_be_bytes());
        v.extend(counted(realm));
        for p in parts {
            v.extend(counted(p));
        }
        v
    }

    fn cache() -> Vec<u8> {
        let mut c = vec![0x05, 0x04, 0x00, 0x00];
        c.extend(principal(&[b"alice"], b"R"));
        for (server, end) in [
            (&[&b"krbtgt"[..], b"R"][..], 2000u32),
            (&[&b"HTTP"[..], b"h"][..], 3000),
        ] {
            c.extend(principal(&[b"alice"], b"R"));
            c.extend(principal(server, b"R"));
            c.extend(18u16.to_be_bytes());
            c.extend(counted(&[0xaa; 32]));
            for t in [1000u32, 1000, end, 0] {
                c.extend(t.to_be_bytes());
            }
            c.push(0);
            c.extend(0u32.to_be_bytes());
            c.extend(0u32.to_be_bytes());
            c.extend(0u32.to_be_bytes());
            c.extend(counted(b"ticket"));
            c.extend(counted(b""));
        }
        c
    }

    #[test]
    fn reads_the_principal_and_ticket_times() {
        let got = parse_ccache(&cache()).expect("valid");
        assert_eq!(got.principal, "alice@R");
        assert_eq!(got.tickets.len(), 2);
        assert_eq!(got.tickets[0].server, "krbtgt/R@R");
        assert_eq!((got.tickets[0].start, got.tickets[0].end), (1000, 2000));
        assert_eq!(got.tickets[1].server, "HTTP/h@R");
    }

    #[test]
    fn rejects_damaged_caches_without_panicking() {
        let good = cache();
        assert!(parse_ccache(b"").is_err());
        assert_eq!(parse_ccache(b"\x00\x00").err(), Some("bad version number"));
        for cut in 0..good.len() {
            let _ = parse_ccache(&good[..cut]);
        }
        let mut bad = good.clone();
        bad[11] = 0xff; // an absurd component count
        assert!(parse_ccache(&bad).is_err());
    }
}
