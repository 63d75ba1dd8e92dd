//! Context flags with their RFC 2744 values, on every platform.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign, Not};

/// A set of GSSAPI context flags (`GSS_C_*_FLAG`), with RFC 2744 bit values on every platform.
///
/// The SSPI backend maps these to and from `ISC_REQ_*` / `ASC_REQ_*` bits.
///
/// ```
/// use winkerberos::Flags;
/// let wanted = Flags::MUTUAL | Flags::SEQUENCE;
/// assert!(wanted.contains(Flags::MUTUAL));
/// assert_eq!(wanted.bits(), 10);
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags(u32);

impl Flags {
    /// No flags.
    pub const NONE: Self = Self(0);
    /// Delegate the client's credentials to the service.
    pub const DELEG: Self = Self(1);
    /// Mutual authentication: the service proves its identity too.
    pub const MUTUAL: Self = Self(2);
    /// Detect replayed messages.
    pub const REPLAY: Self = Self(4);
    /// Detect out-of-sequence messages.
    pub const SEQUENCE: Self = Self(8);
    /// Confidentiality (encryption) of wrapped messages is available.
    pub const CONF: Self = Self(16);
    /// Integrity protection of wrapped messages is available.
    pub const INTEG: Self = Self(32);
    /// Anonymous authentication.
    pub const ANON: Self = Self(64);
    /// Protection is ready before the context is complete.
    pub const PROT_READY: Self = Self(128);
    /// The context can be exported.
    pub const TRANS: Self = Self(256);
    /// The context is bound to channel bindings that both sides supplied (MIT >= 1.19).
    pub const CHANNEL_BOUND: Self = Self(0x800);

    /// Flags that, once requested, must also be granted before a context counts as established.
    pub(crate) const ENFORCED: Self =
        Self(Self::MUTUAL.0 | Self::REPLAY.0 | Self::SEQUENCE.0 | Self::CONF.0 | Self::INTEG.0);

    const NAMES: [(Self, &'static str); 10] = [
        (Self::DELEG, "DELEG"),
        (Self::MUTUAL, "MUTUAL"),
        (Self::REPLAY, "REPLAY"),
        (Self::SEQUENCE, "SEQUENCE"),
        (Self::CONF, "CONF"),
        (Self::INTEG, "INTEG"),
        (Self::ANON, "ANON"),
        (Self::PROT_READY, "PROT_READY"),
        (Self::TRANS, "TRANS"),
        (Self::CHANNEL_BOUND, "CHANNEL_BOUND"),
    ];

    /// Flags from raw RFC 2744 bits; unknown bits are kept.
    pub const fn from_bits(bits: u32) -> Self {
        Self(bits)
    }

    /// The raw RFC 2744 bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every flag of `other` is set in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for Flags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Flags {
    type Output = Self;
    fn bitand(self, rhs: Self) -> Self {
        Self(self.0 & rhs.0)
    }
}

impl Not for Flags {
    type Output = Self;
    fn not(self) -> Self {
        Self(!self.0)
    }
}

impl fmt::Display for Flags {
    /// Names joined by `|`, such as `MUTUAL|SEQUENCE`; unknown bits in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| {
            let s = if first { "" } else { "|" };
            first = false;
            f.write_str(s)
        };
        for (flag, name) in Self::NAMES {
            if self.contains(flag) {
                sep(f)?;
                f.write_str(name)?;
                rest &= !flag.0;
            }
        }
        if rest != 0 {
            sep(f)?;
            write!(f, "{rest:#x}")?;
        }
        if self.0 == 0 {
            f.write_str("NONE")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_2744_values() {
        let all = [
            Flags::DELEG,
            Flags::MUTUAL,
            Flags::REPLAY,
            Flags::SEQUENCE,
            Flags::CONF,
            Flags::INTEG,
            Flags::ANON,
            Flags::PROT_READY,
            Flags::TRANS,
        ];
        let bits: Vec<u32> = all.iter().map(|f| f.bits()).collect();
        assert_eq!(bits, [1, 2, 4, 8, 16, 32, 64, 128, 256]);
    }

    #[test]
    fn display_names_flags_and_unknown_bits() {
        assert_eq!(
            (Flags::MUTUAL | Flags::SEQUENCE).to_string(),
            "MUTUAL|SEQUENCE"
        );
        assert_eq!(Flags::from_bits(0x1_0002).to_string(), "MUTUAL|0x10000");
        assert_eq!(Flags::NONE.to_string(), "NONE");
        assert_eq!(format!("{:?}", Flags::CONF), "Flags(CONF)");
    }

    #[test]
    fn set_operations() {
        let f = Flags::MUTUAL | Flags::CONF;
        assert!(f.contains(Flags::MUTUAL));
        assert!(!f.contains(Flags::MUTUAL | Flags::INTEG));
        assert_eq!(f & !Flags::CONF, Flags::MUTUAL);
        assert!((f & Flags::DELEG).is_empty());
    }
}
