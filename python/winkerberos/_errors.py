"""The exception classes of winkerberos.

``args`` keep the shape each original gave them, so existing ``except`` blocks and
``e.args`` readers keep working. ``str(e)`` says what failed, why and what to try; the
codes are also attributes.

Besides the originals' classes there is one class per kind of failure (``ClockSkewError``,
``NoCredentialsError``, ...; see :data:`KIND_CLASSES`). A raised error is an instance of
both: the class of the function that failed (``GSSError`` for the ``authGSS*`` functions,
``BasicAuthError`` for ``checkPassword``, ``PwdChangeError`` for ``changePassword``) and the
class of its kind. So ``except GSSError`` keeps catching what it caught, and
``except ClockSkewError`` catches a clock skew from any function.
"""

from __future__ import annotations

__all__ = [
    "AlreadyEstablishedError",
    "AuthenticationFailedError",
    "BadBindingsError",
    "BadMechanismError",
    "BadNameError",
    "BadSignatureError",
    "BasicAuthError",
    "ClockSkewError",
    "CredentialMismatchError",
    "DefectiveTokenError",
    "ExpiredError",
    "FlagsNotGrantedError",
    "GSSError",
    "KdcUnreachableError",
    "KrbError",
    "LibraryUnavailableError",
    "NoCredentialsError",
    "NoCrossRealmTrustError",
    "NotEstablishedError",
    "PasswordChangeRequiredError",
    "PasswordExpiredError",
    "PasswordRejectedError",
    "PwdChangeError",
    "ReplayError",
    "StaleKeytabError",
    "UnknownClientError",
    "UnknownPrincipalError",
    "UnknownRealmError",
    "UnknownServiceError",
    "UnsupportedError",
]


class KrbError(Exception):
    """Base class of every Kerberos error raised by winkerberos."""

    #: The full explanation (what failed, why, what to try), or None.
    message: str | None = None
    #: What to try, when the cause is recognisable.
    hint: str | None = None
    #: A classification such as ``"NoCredentials"`` or ``"ClockSkew"``, or None.
    kind: str | None = None
    #: The library call that failed, such as ``"gss_init_sec_context"``, or None.
    operation: str | None = None
    #: The GSSAPI major status (or the SSPI SECURITY_STATUS), or None.
    major: int | None = None
    #: The GSSAPI minor status or krb5 error code (signed), or None.
    minor: int | None = None

    def __str__(self) -> str:
        if self.message is not None:
            return self.message
        return super().__str__()

    def __reduce__(self) -> tuple[object, ...]:
        # A raised error's class may be one made by _class_for: rebuild it the same way.
        bases = [c for c in type(self).__mro__ if c in _API_CLASSES]
        api = bases[0] if bases else KrbError
        kind = next((c for c in type(self).__mro__ if c in _KIND_CLASS_SET), None)
        return (
            _rebuild,
            (api.__name__, None if kind is None else kind.__name__, self.args),
            dict(self.__dict__),
        )


class GSSError(KrbError):
    """A GSSAPI or SSPI failure.

    ``args`` is ``((major_text, major), (minor_text, minor))`` on Unix, as in pykerberos
    and kerberos, and ``("SSPI: <function>: <text>",)`` on Windows, as in winkerberos.
    """


class BasicAuthError(KrbError):
    """A password check failed (checkPassword). ``args == (krb5_text, krb5_code)``."""


class PwdChangeError(KrbError):
    """A password change failed (changePassword). ``args == (krb5_text, krb5_code)``, or
    ``((text, result_code),)`` when the password server refused the new password."""


# ------------------------------------------------------------------------------------------
# One class per kind. Each is a KrbError; a raised error also subclasses the API's class.


class LibraryUnavailableError(KrbError):
    """The system Kerberos library (GSSAPI or SSPI) could not be loaded."""


class UnsupportedError(KrbError):
    """The loaded library does not offer this operation."""


class NotEstablishedError(KrbError):
    """The operation needs an established security context."""


class AlreadyEstablishedError(KrbError):
    """The context has already finished its handshake."""


class NoCredentialsError(KrbError):
    """No usable credentials: no ticket cache, or no keytab entry for the service."""


class AuthenticationFailedError(KrbError):
    """The KDC rejected the password (or the client key)."""


class UnknownPrincipalError(KrbError):
    """A client or service principal is unknown to the KDC."""


class UnknownClientError(UnknownPrincipalError):
    """The user (client principal) is unknown to the KDC."""


class UnknownServiceError(UnknownPrincipalError):
    """The service principal is unknown to the KDC."""


class KdcUnreachableError(KrbError):
    """No KDC (or password server) for the realm could be reached."""


class BadNameError(KrbError):
    """A name could not be parsed or imported."""


class BadMechanismError(KrbError):
    """The mechanism is not available or not acceptable."""


class BadBindingsError(KrbError):
    """Channel bindings are missing or do not match."""


class DefectiveTokenError(KrbError):
    """A token is malformed, truncated, empty or not meant for this context."""


class BadSignatureError(KrbError):
    """A message failed its integrity check (tampered, or wrong key)."""


class ReplayError(KrbError):
    """A token or message was seen before."""


class ExpiredError(KrbError):
    """A ticket or the context has expired."""


class FlagsNotGrantedError(KrbError):
    """A required flag (such as mutual authentication) was not granted."""


class PasswordRejectedError(KrbError):
    """The password server refused the new password (policy)."""


class CredentialMismatchError(KrbError):
    """The handshake authenticated someone other than the credentials' principal."""


class ClockSkewError(KrbError):
    """The clocks of the client, the KDC and the service differ too much."""


class StaleKeytabError(KrbError):
    """The service's key is not the one the KDC used for the ticket (kvno or enctype)."""


class PasswordExpiredError(KrbError):
    """The password has expired and must be changed."""


class PasswordChangeRequiredError(PasswordExpiredError):
    """The password must be changed before first use (or after a reset)."""


class UnknownRealmError(KrbError):
    """No KDC is known for the realm (often a misspelled realm)."""


class NoCrossRealmTrustError(KrbError):
    """The service's realm cannot be reached from the client's: no cross-realm trust."""


#: The class of each kind (the ``kind`` attribute's values). ``InvalidArgument`` is raised
#: as ``ValueError`` and ``Failure`` (anything unrecognised) as the API's class alone.
KIND_CLASSES: dict[str, type[KrbError]] = {
    "LibraryUnavailable": LibraryUnavailableError,
    "Unsupported": UnsupportedError,
    "NotEstablished": NotEstablishedError,
    "AlreadyEstablished": AlreadyEstablishedError,
    "NoCredentials": NoCredentialsError,
    "AuthenticationFailed": AuthenticationFailedError,
    "UnknownPrincipal": UnknownPrincipalError,
    "KdcUnreachable": KdcUnreachableError,
    "BadName": BadNameError,
    "BadMechanism": BadMechanismError,
    "BadBindings": BadBindingsError,
    "DefectiveToken": DefectiveTokenError,
    "BadSignature": BadSignatureError,
    "Replay": ReplayError,
    "Expired": ExpiredError,
    "FlagsNotGranted": FlagsNotGrantedError,
    "PasswordRejected": PasswordRejectedError,
    "CredentialMismatch": CredentialMismatchError,
    "ClockSkew": ClockSkewError,
    "StaleKeytab": StaleKeytabError,
    "PasswordExpired": PasswordExpiredError,
    "PasswordChangeRequired": PasswordChangeRequiredError,
    "UnknownRealm": UnknownRealmError,
    "NoCrossRealmTrust": NoCrossRealmTrustError,
}

#: UnknownPrincipal refined by whose principal it is (the ``role`` the library reported).
_ROLE_CLASSES: dict[str, type[KrbError]] = {
    "client": UnknownClientError,
    "service": UnknownServiceError,
}

_API_CLASSES: tuple[type[KrbError], ...] = (GSSError, BasicAuthError, PwdChangeError, KrbError)
_KIND_CLASS_SET: frozenset[type[KrbError]] = frozenset(
    (*KIND_CLASSES.values(), *_ROLE_CLASSES.values())
)
_BY_NAME: dict[str, type[KrbError]] = {c.__name__: c for c in (*_API_CLASSES, *_KIND_CLASS_SET)}
_combined: dict[tuple[type[KrbError], type[KrbError]], type[KrbError]] = {}


def _combine(api: type[KrbError], kind_class: type[KrbError]) -> type[KrbError]:
    """The class that is both ``api`` and ``kind_class`` (made once, then reused)."""
    key = (api, kind_class)
    cls = _combined.get(key)
    if cls is None:
        # Named like the kind class: tracebacks show "ClockSkewError: authGSSClientStep: ..."
        cls = type(kind_class.__name__, (kind_class, api), {"__module__": "winkerberos"})
        cls.__qualname__ = kind_class.__qualname__
        cls.__doc__ = kind_class.__doc__
        _combined[key] = cls
    return cls


def _class_for(api: type[KrbError], kind: str | None, role: str | None = None) -> type[KrbError]:
    """The class to raise for a failure of ``kind`` in a function whose class is ``api``."""
    kind_class = _ROLE_CLASSES.get(role or "") if kind == "UnknownPrincipal" else None
    kind_class = kind_class or KIND_CLASSES.get(kind or "")
    if kind_class is None or api is KrbError:
        return api
    return _combine(api, kind_class)


def _rebuild(api: str, kind: str | None, args: tuple[object, ...]) -> KrbError:
    """Unpickles an error made by :func:`_class_for`."""
    api_class = _BY_NAME[api]
    kind_class = _BY_NAME.get(kind or "")
    cls = api_class if kind_class is None else _combine(api_class, kind_class)
    return cls(*args)
