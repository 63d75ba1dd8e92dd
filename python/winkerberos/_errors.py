"""The exception classes of winkerberos.

``args`` keep the shape each original gave them, so existing ``except`` blocks and
``e.args`` readers keep working. ``str(e)`` says what failed, why and what to try; the
codes are also attributes.
"""

from __future__ import annotations

__all__ = ["BasicAuthError", "GSSError", "KrbError", "PwdChangeError"]


class KrbError(Exception):
    """Base class of every Kerberos error raised by winkerberos."""

    #: The full explanation (what failed, why, what to try), or None.
    message: str | None = None
    #: What to try, when the cause is recognisable.
    hint: str | None = None

    def __str__(self) -> str:
        if self.message is not None:
            return self.message
        return super().__str__()


class GSSError(KrbError):
    """A GSSAPI or SSPI failure.

    ``args`` is ``((major_text, major), (minor_text, minor))`` on Unix, as in pykerberos
    and kerberos, and ``("SSPI: <function>: <text>",)`` on Windows, as in winkerberos.
    """

    #: The library call that failed, such as ``"gss_init_sec_context"``.
    operation: str | None = None
    #: A classification such as ``"NoCredentials"`` or ``"UnknownPrincipal"``.
    kind: str | None = None
    #: The GSSAPI major status (or the SSPI SECURITY_STATUS), or None.
    major: int | None = None
    #: The GSSAPI minor status (a signed krb5 error code), or None.
    minor: int | None = None


class BasicAuthError(KrbError):
    """A password check failed (checkPassword)."""


class PwdChangeError(KrbError):
    """A password change failed (changePassword)."""
