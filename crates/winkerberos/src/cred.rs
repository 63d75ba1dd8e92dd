//! Initiator credentials: the default ticket cache, a principal from the cache collection, or a
//! user and password, and the [`Secret`] that keeps a password from leaking.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Operation, Result};

/// A password or other secret: wiped from memory when dropped, never shown by `Debug`, and
/// not `Clone`, so there is exactly one copy to wipe.
///
/// ```
/// use winkerberos::Secret;
/// let s = Secret::from("hunter2");
/// assert_eq!(format!("{s:?}"), "Secret(***)");
/// assert_eq!(s.expose(), b"hunter2");
/// ```
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Takes ownership of the bytes; they are wiped when the secret is dropped.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Copies the bytes of a secret the caller wipes itself.
    pub fn copy_from(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }

    /// The secret bytes, for handing to the mechanism.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for Secret {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self::new(s.into_bytes())
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self::copy_from(s.as_bytes())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Which credentials an [`Initiator`](crate::Initiator) authenticates with.
#[non_exhaustive]
#[derive(Debug, Default)]
pub enum Credential {
    /// The process owner's default credentials: the default ticket cache (`KRB5CCNAME`) on
    /// Unix, the logon session on Windows. Acquired lazily by the first step.
    #[default]
    Default,
    /// A client principal such as `alice@EXAMPLE.COM`, picked from the credential-cache
    /// collection (as `kswitch` would), without a password.
    Principal(String),
    /// Another user, authenticated with a password. On Unix the tickets are obtained from the
    /// KDC into memory; the default ticket cache is neither read nor changed.
    Password {
        /// The user, as `user@REALM` (or a bare `user` in the default realm).
        principal: String,
        /// The user's password.
        password: Secret,
    },
}

impl Credential {
    /// A user and password.
    pub fn password(principal: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self::Password {
            principal: principal.into(),
            password: password.into(),
        }
    }

    /// Parses winkerberos' principal form `user@REALM` or `user@REALM:password`.
    ///
    /// The user and the password are percent-decoded (as pymongo sends
    /// `quote(user) + ":" + quote(password)`), so a literal `:` or `%` in either must be
    /// written `%3A` or `%25`. `+` is kept as is. Without a `:` the result is
    /// [`Credential::Principal`]; an empty string means [`Credential::Default`].
    ///
    /// ```
    /// use winkerberos::Credential;
    /// match Credential::parse_principal("alice%40corp@EXAMPLE.COM:p%3Ass").unwrap() {
    ///     Credential::Password { principal, password } => {
    ///         assert_eq!(principal, "alice@corp@EXAMPLE.COM");
    ///         assert_eq!(password.expose(), b"p:ss");
    ///     }
    ///     _ => unreachable!(),
    /// }
    /// ```
    ///
    /// A NUL anywhere after decoding, and a `:` after the `@` of the decoded user name (the
    /// sign of a password whose separator was percent-encoded by mistake), are refused with
    /// [`ErrorKind::InvalidArgument`]; neither the name nor the password is echoed.
    pub fn parse_principal(spec: &str) -> Result<Self> {
        const OP: Operation = Operation::ParsePrincipal;
        let Some((user, password)) = spec.split_once(':') else {
            return Ok(if spec.is_empty() {
                Self::Default
            } else {
                let user = percent_decode_str(spec, "user")?;
                check_principal(&user)?;
                Self::Principal(user)
            });
        };
        let user = percent_decode_str(user, "user")?;
        check_principal(&user)?;
        if user.is_empty() {
            return Err(Error::at(
                ErrorKind::InvalidArgument,
                OP,
                "the principal has a password but no user name before the ':'",
            )
            .hint("write it as 'user@REALM:password', percent-encoding ':' and '%'"));
        }
        let password = Secret(percent_decode(password.as_bytes(), "password")?);
        check_secret(&password)?;
        Ok(Self::Password {
            principal: user,
            password,
        })
    }

    /// Builds credentials from winkerberos' separate `user`, `domain` and `password` values.
    ///
    /// `domain` becomes the realm (`user@REALM`) unless `user` already names one. Without a
    /// password the result selects that principal from the credential-cache collection.
    ///
    /// On Unix a Windows-style domain is turned into its realm as Windows users expect (see
    /// [`Config::realm_for_domain`](crate::krb5conf::Config::realm_for_domain)): `samba.local`
    /// and, when krb5.conf ties them, `SAMBA` both become `SAMBA.LOCAL`.
    pub fn from_parts(user: &str, domain: Option<&str>, password: Option<Secret>) -> Result<Self> {
        if user.is_empty() {
            return Err(Error::at(
                ErrorKind::InvalidArgument,
                Operation::UserCredentials,
                "the user name is empty",
            ));
        }
        let principal = match domain {
            Some(domain) if !domain.is_empty() && !user.contains('@') => {
                format!("{user}@{}", realm_for_domain(domain)?)
            }
            _ => user.to_owned(),
        };
        check_principal(&principal)?;
        if let Some(password) = &password {
            check_secret(password)?;
        }
        Ok(match password {
            Some(password) => Self::Password {
                principal,
                password,
            },
            None => Self::Principal(principal),
        })
    }
}

/// The realm a Windows-style domain names: on Unix by krb5.conf's rule, on Windows (where
/// SSPI takes the domain itself) unchanged.
fn realm_for_domain(domain: &str) -> Result<String> {
    if cfg!(unix) {
        crate::krb5conf::Config::load().realm_for_domain(domain)
    } else {
        Ok(domain.to_owned())
    }
}

impl Credential {
    /// Checks what the mechanism will be handed: no NUL in the principal or password (a C
    /// library would stop reading there and authenticate a shorter name than the one written),
    /// and no `:` after the realm's `@`. Called by the backends before any library call, so
    /// credentials built field by field are held to the same rules as parsed ones.
    pub(crate) fn check(&self) -> Result<()> {
        match self {
            Self::Default => Ok(()),
            Self::Principal(principal) => check_principal(principal),
            Self::Password {
                principal,
                password,
            } => check_principal(principal).and_then(|()| check_secret(password)),
        }
    }
}

/// Refuses a principal holding a NUL, or a `:` after its first `@`.
///
/// A `:` there is almost surely a password whose separator was percent-encoded (`%3A`), so
/// the whole `user@REALM:password` would be taken as a name, and echoed by the mechanism's
/// errors. Realm names never contain `:` in practice (RFC 4120 §6.1 reserves it for "other"
/// realm styles nobody deploys), so nothing legitimate is refused. Neither error echoes the
/// principal.
pub(crate) fn check_principal(principal: &str) -> Result<()> {
    const OP: Operation = Operation::CheckPrincipal;
    if principal.contains('\0') {
        return Err(Error::at(
            ErrorKind::InvalidArgument,
            OP,
            "the principal contains a NUL character (also refused when percent-encoded as %00)",
        )
        .hint("remove the NUL: a C library would read the name only up to it"));
    }
    if principal
        .split_once('@')
        .is_some_and(|(_, realm)| realm.contains(':'))
    {
        return Err(Error::at(
            ErrorKind::InvalidArgument,
            OP,
            "the principal has a ':' after its realm '@' (not shown: it may hold a password)",
        )
        .hint(
            "write 'user@REALM:password' with the ':' separator itself unencoded, \
             percent-encoding only the user and the password",
        ));
    }
    Ok(())
}

/// Refuses a password holding a NUL (the mechanism would read it only up to the NUL).
fn check_secret(secret: &Secret) -> Result<()> {
    if secret.expose().contains(&0) {
        return Err(Error::at(
            ErrorKind::InvalidArgument,
            Operation::CheckPassword,
            "the password contains a NUL character (also refused when percent-encoded as %00)",
        ));
    }
    Ok(())
}

fn percent_decode_str(text: &str, what: &'static str) -> Result<String> {
    let bytes = percent_decode(text.as_bytes(), what)?;
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        Error::at(
            ErrorKind::InvalidArgument,
            Operation::ParsePrincipal,
            format!("the percent-decoded {what} is not valid UTF-8"),
        )
    })
}

/// Decodes `%XX` escapes into a zeroizing buffer (the input may hold a password).
fn percent_decode(input: &[u8], what: &'static str) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(input.len()));
    let mut rest = input;
    while let Some((&byte, tail)) = rest.split_first() {
        if byte != b'%' {
            out.push(byte);
            rest = tail;
            continue;
        }
        let value = match tail {
            [hi, lo, ..] => hex_value(*hi)
                .zip(hex_value(*lo))
                .map(|(hi, lo)| hi << 4 | lo),
            _ => None,
        };
        let Some(value) = value else {
            return Err(Error::at(
                ErrorKind::InvalidArgument,
                Operation::ParsePrincipal,
                format!("the {what} has a '%' that is not followed by two hex digits"),
            )
            .hint("percent-encode the user and password, e.g. with urllib.parse.quote()"));
        };
        out.push(value);
        rest = &tail[2..];
    }
    Ok(out)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password_parts(c: Credential) -> (String, Vec<u8>) {
        match c {
            Credential::Password {
                principal,
                password,
            } => (principal, password.expose().to_vec()),
            other => panic!("expected a password credential, got {other:?}"),
        }
    }

    #[test]
    fn principal_without_password_selects_from_collection() {
        assert!(matches!(
            Credential::parse_principal("bob@EXAMPLE.COM"),
            Ok(Credential::Principal(p)) if p == "bob@EXAMPLE.COM"
        ));
        assert!(matches!(
            Credential::parse_principal(""),
            Ok(Credential::Default)
        ));
    }

    #[test]
    fn pymongo_quoted_user_and_password_are_decoded() {
        // urllib.parse.quote("p@ss:w%rd/ü+ 1") == "p%40ss%3Aw%25rd/%C3%BC%2B%201"
        let c = Credential::parse_principal("carol@EX.COM:p%40ss%3Aw%25rd/%C3%BC%2B%201");
        let (user, pw) = password_parts(c.expect("valid"));
        assert_eq!(user, "carol@EX.COM");
        assert_eq!(pw, "p@ss:w%rd/ü+ 1".as_bytes());
    }

    #[test]
    fn plus_is_not_a_space_and_only_the_first_colon_splits() {
        let (user, pw) = password_parts(Credential::parse_principal("u@R:a+b:c").expect("valid"));
        assert_eq!(user, "u@R");
        assert_eq!(pw, b"a+b:c");
    }

    #[test]
    fn empty_password_is_allowed_but_empty_user_is_not() {
        let (_, pw) = password_parts(Credential::parse_principal("u@R:").expect("valid"));
        assert!(pw.is_empty());
        let err = Credential::parse_principal(":pw").expect_err("no user");
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn bad_escapes_are_rejected_without_echoing_the_secret() {
        for bad in ["u@R:sec%zzret", "u@R:secret%4", "u@R:secret%"] {
            let err = Credential::parse_principal(bad).expect_err("bad escape");
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            assert!(!err.to_string().contains("secret"), "{err}");
        }
        assert!(
            Credential::parse_principal("%FF@R").is_err(),
            "user must be UTF-8"
        );
    }

    #[test]
    fn from_parts_joins_user_and_domain() {
        let c = Credential::from_parts("alice", Some("EX.COM"), Some(Secret::from("pw")));
        assert_eq!(password_parts(c.expect("valid")).0, "alice@EX.COM");
        let c = Credential::from_parts("alice@OTHER", Some("EX.COM"), None).expect("valid");
        assert!(matches!(c, Credential::Principal(p) if p == "alice@OTHER"));
        assert!(Credential::from_parts("", None, None).is_err());
    }

    #[test]
    fn nul_is_refused_after_decoding_in_every_part() {
        for spec in [
            "alice%00evil@R:pw",
            "alice@R%00.EVIL:pw",
            "alice@R:pw%00anything",
            "alice%00@R",
            "%00",
        ] {
            let err = Credential::parse_principal(spec).expect_err(spec);
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{spec}");
            assert!(err.to_string().contains("NUL"), "{err}");
        }
        let nul_password = Credential::password("alice@R", "a\0b");
        assert!(nul_password.check().is_err());
        assert!(Credential::from_parts("a\0b", None, None).is_err());
        assert!(Credential::from_parts("a", Some("R\0"), None).is_err());
    }

    #[test]
    fn colon_after_the_realm_is_refused_without_echo() {
        for spec in [
            "alice%40R%3ATopSecret1",
            "alice@R%3ATopSecret1",
            "alice@R%3aTopSecret1:pw",
        ] {
            let err = Credential::parse_principal(spec).expect_err(spec);
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            assert!(!format!("{err} {err:?}").contains("TopSecret1"), "{err:?}");
        }
        // A ':' in the user part (before '@') stays a legal, if odd, name.
        assert!(Credential::parse_principal("od%3Ad@R:pw").is_ok());
        assert!(Credential::from_parts("alice@R:x", None, None).is_err());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let c = Credential::password("alice@EX.COM", "topsecret");
        let shown = format!("{c:?}");
        assert!(!shown.contains("topsecret"), "{shown}");
        assert!(shown.contains("alice@EX.COM"));
    }
}
