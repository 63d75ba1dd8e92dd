"""Kerberos and SPNEGO authentication through the system's own GSSAPI or SSPI.

A drop-in replacement for the ``winkerberos``, ``pykerberos`` and ``kerberos`` modules::

    import winkerberos as kerberos

    result, ctx = kerberos.authGSSClientInit("HTTP@web.example.com")
    kerberos.authGSSClientStep(ctx, "")
    header = "Negotiate " + kerberos.authGSSClientResponse(ctx)

The system Kerberos library is loaded on first use, so importing never fails for lack of
it; the first call then raises ``GSSError`` saying what to install.
"""

from winkerberos import _native
from winkerberos._errors import BasicAuthError, GSSError, KrbError, PwdChangeError
from winkerberos._native import *

__all__ = ["BasicAuthError", "GSSError", "KrbError", "PwdChangeError"]
# The native module's underscored functions are the doctor's (winkerberos._doctor), not API.
__all__ += [name for name in _native.__all__ if not name.startswith("_") or name == "__version__"]

# One exception class per kind of failure (issue 10); see winkerberos._errors.
from winkerberos._errors import (  # noqa: E402
    AlreadyEstablishedError,
    AuthenticationFailedError,
    BadBindingsError,
    BadMechanismError,
    BadNameError,
    BadSignatureError,
    ClockSkewError,
    CredentialMismatchError,
    DefectiveTokenError,
    ExpiredError,
    FlagsNotGrantedError,
    KdcUnreachableError,
    LibraryUnavailableError,
    NoCredentialsError,
    NoCrossRealmTrustError,
    NotEstablishedError,
    PasswordChangeRequiredError,
    PasswordExpiredError,
    PasswordRejectedError,
    ReplayError,
    StaleKeytabError,
    UnknownClientError,
    UnknownPrincipalError,
    UnknownRealmError,
    UnknownServiceError,
    UnsupportedError,
)

__all__ += [
    "AlreadyEstablishedError",
    "AuthenticationFailedError",
    "BadBindingsError",
    "BadMechanismError",
    "BadNameError",
    "BadSignatureError",
    "ClockSkewError",
    "CredentialMismatchError",
    "DefectiveTokenError",
    "ExpiredError",
    "FlagsNotGrantedError",
    "KdcUnreachableError",
    "LibraryUnavailableError",
    "NoCredentialsError",
    "NoCrossRealmTrustError",
    "NotEstablishedError",
    "PasswordChangeRequiredError",
    "PasswordExpiredError",
    "PasswordRejectedError",
    "ReplayError",
    "StaleKeytabError",
    "UnknownClientError",
    "UnknownPrincipalError",
    "UnknownRealmError",
    "UnknownServiceError",
    "UnsupportedError",
]
