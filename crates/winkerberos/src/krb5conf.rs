//! Reading the krb5 configuration (`krb5.conf`), in pure Rust, for the few facts this crate
//! needs beyond what GSSAPI exposes: the default realm, the KDCs of a realm, and how a
//! Windows-style `domain=` becomes a realm.
//!
//! The files are those the libraries read: `KRB5_CONFIG` (a colon-separated list), else
//! `/etc/krb5.conf`; `include` and `includedir` directives are followed. As in MIT and
//! Heimdal, the first value of a relation wins.

use std::fs;
use std::path::Path;

use crate::error::{Error, ErrorKind, Operation, Result};

/// One relation: `section`, the path of subsection tags, the tag and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Relation {
    section: String,
    path: Vec<String>,
    tag: String,
    value: String,
}

/// The parsed krb5 configuration in use.
#[derive(Clone, Debug, Default)]
pub struct Config {
    files: Vec<(String, bool)>,
    relations: Vec<Relation>,
}

/// The configuration files named by `KRB5_CONFIG`, else the system default.
fn config_paths() -> Vec<String> {
    match std::env::var("KRB5_CONFIG") {
        Ok(list) if !list.is_empty() => list
            .split(':')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => vec!["/etc/krb5.conf".to_owned()],
    }
}

fn truthy(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "true" | "yes" | "on" | "1" | "t" | "y"
    )
}

impl Config {
    /// Reads the configuration files in use (unreadable ones are listed as missing).
    pub fn load() -> Self {
        let mut config = Self::default();
        for path in config_paths() {
            config.read_file(&path, 0);
        }
        config
    }

    /// A configuration from one text, for tests and callers with their own file.
    pub fn parse(text: &str) -> Self {
        let mut config = Self::default();
        config.parse_text(text, 0);
        config
    }

    fn read_file(&mut self, path: &str, depth: u32) {
        match fs::read_to_string(path) {
            Ok(text) => {
                self.files.push((path.to_owned(), true));
                self.parse_text(&text, depth);
            }
            Err(_) => self.files.push((path.to_owned(), false)),
        }
    }

    fn parse_text(&mut self, text: &str, depth: u32) {
        // Bounded: an include cycle must not recurse forever.
        const MAX_DEPTH: u32 = 8;
        let mut section = String::new();
        let mut path: Vec<String> = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(file) = line.strip_prefix("include ") {
                if depth < MAX_DEPTH {
                    self.read_file(file.trim(), depth + 1);
                }
                continue;
            }
            if let Some(dir) = line.strip_prefix("includedir ") {
                if depth < MAX_DEPTH {
                    self.read_dir(Path::new(dir.trim()), depth + 1);
                }
                continue;
            }
            if let Some(name) = line.strip_prefix('[') {
                section = name
                    .trim_end_matches('*')
                    .trim_end_matches(']')
                    .trim()
                    .to_owned();
                path.clear();
                continue;
            }
            if line.starts_with('}') {
                path.pop();
                continue;
            }
            let Some((tag, value)) = line.split_once('=') else {
                continue;
            };
            let tag = tag.trim().trim_end_matches('*').trim().to_owned();
            let value = value.trim();
            if value == "{" {
                path.push(tag);
                continue;
            }
            let value = value.trim_matches('"').to_owned();
            self.relations.push(Relation {
                section: section.clone(),
                path: path.clone(),
                tag,
                value,
            });
        }
    }

    fn read_dir(&mut self, dir: &Path, depth: u32) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        // As MIT does: files whose names are only alphanumerics, '-' and '_', or end in
        // ".conf"; in name order.
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|n| {
                n.ends_with(".conf")
                    || n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
            .collect();
        names.sort();
        for name in names {
            self.read_file(&dir.join(name).to_string_lossy(), depth);
        }
    }

    /// The files read, each with whether it could be read.
    pub fn files(&self) -> &[(String, bool)] {
        &self.files
    }

    /// Every value of `tag` directly in `section` (outside any subsection), in file order.
    fn values(&self, section: &str, path: &[&str], tag: &str) -> Vec<&str> {
        self.relations
            .iter()
            .filter(|r| {
                r.section == section
                    && r.tag == tag
                    && r.path.len() == path.len()
                    && r.path.iter().zip(path).all(|(a, b)| a == b)
            })
            .map(|r| r.value.as_str())
            .collect()
    }

    /// The first value of `key` in `[libdefaults]`.
    pub fn libdefault(&self, key: &str) -> Option<&str> {
        self.values("libdefaults", &[], key).first().copied()
    }

    /// `default_realm` from `[libdefaults]`.
    pub fn default_realm(&self) -> Option<&str> {
        self.libdefault("default_realm")
    }

    /// Whether the libraries look up KDCs in DNS (`dns_lookup_kdc`, true by default).
    pub fn dns_lookup_kdc(&self) -> bool {
        self.libdefault("dns_lookup_kdc").is_none_or(truthy)
    }

    /// The allowed clock skew in seconds (`clockskew`, 300 by default).
    pub fn clockskew(&self) -> u64 {
        self.libdefault("clockskew")
            .and_then(|v| v.parse().ok())
            .unwrap_or(300)
    }

    /// The values of `key` (such as `kdc`, `admin_server`, `kpasswd_server`) in the entry of
    /// `realm` under `[realms]`.
    pub fn realm_values(&self, realm: &str, key: &str) -> Vec<String> {
        self.values("realms", &[realm], key)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// The KDCs krb5.conf names for `realm` (empty when it names none).
    pub fn realm_kdcs(&self, realm: &str) -> Vec<String> {
        self.realm_values(realm, "kdc")
    }

    /// The realms with an entry under `[realms]`, in file order, each once.
    pub fn realms(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.relations {
            if r.section == "realms"
                && let Some(name) = r.path.first()
                && !out.contains(name)
            {
                out.push(name.clone());
            }
        }
        out
    }

    /// The realm `[domain_realm]` maps `key` to, compared case-insensitively.
    fn domain_realm(&self, key: &str) -> Option<&str> {
        self.relations
            .iter()
            .find(|r| {
                r.section == "domain_realm" && r.path.is_empty() && r.tag.eq_ignore_ascii_case(key)
            })
            .map(|r| r.value.as_str())
    }

    /// The realm a Windows-style `domain` names, by the rule Windows users expect:
    ///
    /// * the name of a realm this configuration knows (`[realms]` or the default realm) is
    ///   kept as is (realms are case-sensitive);
    /// * a DNS domain (it has a dot) is upper-cased: `samba.local` → `SAMBA.LOCAL`;
    /// * a NetBIOS name (no dot) is the default realm when the realm's first label equals it
    ///   case-insensitively (`SAMBA` → `SAMBA.LOCAL`), else the one `[realms]` entry whose
    ///   first label equals it, else what `[domain_realm]` maps the name to;
    /// * anything else is an [`ErrorKind::UnknownRealm`] error saying what to pass instead.
    pub fn realm_for_domain(&self, domain: &str) -> Result<String> {
        let known = self.realms();
        if known.iter().any(|r| r == domain) || self.default_realm() == Some(domain) {
            return Ok(domain.to_owned());
        }
        if domain.contains('.') {
            return Ok(domain.to_uppercase());
        }
        let first_label = |realm: &str| {
            realm
                .split('.')
                .next()
                .is_some_and(|label| label.eq_ignore_ascii_case(domain))
        };
        if let Some(realm) = self.default_realm().filter(|r| first_label(r)) {
            return Ok(realm.to_owned());
        }
        let matching: Vec<&String> = known.iter().filter(|r| first_label(r)).collect();
        if let [realm] = matching.as_slice() {
            return Ok((*realm).clone());
        }
        if let Some(realm) = self.domain_realm(domain) {
            return Ok(realm.to_owned());
        }
        let default = self.default_realm().map_or_else(
            || "no default realm".to_owned(),
            |r| format!("the default realm is {r}"),
        );
        Err(Error::at(
            ErrorKind::UnknownRealm,
            Operation::UserCredentials,
            format!(
                "domain {domain:?} is a NetBIOS domain name, and krb5.conf does not say which \
                 Kerberos realm it is ({default})"
            ),
        )
        .hint(
            "pass the realm (the upper-case DNS domain, such as domain='EXAMPLE.COM'), or \
             principal='user@REALM'; or map the name under [domain_realm] in krb5.conf",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = "\
# comment
[libdefaults]
    default_realm = SAMBA.LOCAL
    dns_lookup_kdc = false
    clockskew = 120
[realms]
    SAMBA.LOCAL = {
        kdc = dc1.samba.local
        kdc = dc2.samba.local:88
        default_domain = samba.local
    }
    CORP.EXAMPLE.COM = {
        kdc = kdc.corp.example.com
    }
    lower.realm = {
        kdc = k
    }
[domain_realm]
    LEGACY = OLD.EXAMPLE.ORG
";

    #[test]
    fn reads_libdefaults_and_realms() {
        let c = Config::parse(CONF);
        assert_eq!(c.default_realm(), Some("SAMBA.LOCAL"));
        assert!(!c.dns_lookup_kdc());
        assert_eq!(c.clockskew(), 120);
        assert_eq!(
            c.realm_kdcs("SAMBA.LOCAL"),
            ["dc1.samba.local", "dc2.samba.local:88"]
        );
        assert!(c.realm_kdcs("NOPE").is_empty());
        assert_eq!(
            c.realms(),
            ["SAMBA.LOCAL", "CORP.EXAMPLE.COM", "lower.realm"]
        );
        let empty = Config::parse("");
        assert!(empty.dns_lookup_kdc());
        assert_eq!(empty.clockskew(), 300);
    }

    #[test]
    fn windows_domains_become_realms() {
        let c = Config::parse(CONF);
        let realm = |d: &str| c.realm_for_domain(d).map_err(|e| e.kind());
        assert_eq!(realm("samba.local"), Ok("SAMBA.LOCAL".into()));
        assert_eq!(realm("SAMBA.LOCAL"), Ok("SAMBA.LOCAL".into()));
        assert_eq!(realm("SAMBA"), Ok("SAMBA.LOCAL".into()));
        assert_eq!(realm("samba"), Ok("SAMBA.LOCAL".into()));
        assert_eq!(realm("corp"), Ok("CORP.EXAMPLE.COM".into()));
        assert_eq!(realm("legacy"), Ok("OLD.EXAMPLE.ORG".into()));
        assert_eq!(realm("other.example.net"), Ok("OTHER.EXAMPLE.NET".into()));
        // A configured realm keeps its case.
        assert_eq!(realm("lower.realm"), Ok("lower.realm".into()));
        assert_eq!(realm("NOSUCH"), Err(ErrorKind::UnknownRealm));
        let err = c
            .realm_for_domain("NOSUCH")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("NOSUCH") && err.contains("SAMBA.LOCAL"),
            "{err}"
        );
    }

    #[test]
    fn ambiguous_netbios_names_are_refused() {
        let c = Config::parse("[realms]\n A.ONE = {\n kdc = x\n }\n A.TWO = {\n kdc = y\n }\n");
        assert_eq!(
            c.realm_for_domain("A").map_err(|e| e.kind()),
            Err(ErrorKind::UnknownRealm)
        );
    }
}
