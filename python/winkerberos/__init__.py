"""Kerberos and SPNEGO authentication through the system's own GSSAPI or SSPI.

A drop-in replacement for the ``winkerberos``, ``pykerberos`` and ``kerberos`` modules::

    import winkerberos as kerberos

    result, ctx = kerberos.authGSSClientInit("HTTP@web.example.com")
    kerberos.authGSSClientStep(ctx, "")
    token = kerberos.authGSSClientResponse(ctx)
    assert token is not None  # None only before the first step and after a final one
    header = "Negotiate " + token

Code that says ``import kerberos`` runs unchanged after :func:`install_as_kerberos`.

The system Kerberos library is loaded on first use, so importing never fails for lack of
it; the first call then raises ``GSSError`` saying what to install.
"""

from __future__ import annotations

import sys as _sys

from winkerberos._errors import (
    AlreadyEstablishedError,
    AuthenticationFailedError,
    BadBindingsError,
    BadMechanismError,
    BadNameError,
    BadSignatureError,
    BasicAuthError,
    ClockSkewError,
    CredentialMismatchError,
    DefectiveTokenError,
    ExpiredError,
    FlagsNotGrantedError,
    GSSError,
    KdcUnreachableError,
    KrbError,
    LibraryUnavailableError,
    NoCredentialsError,
    NoCrossRealmTrustError,
    NotEstablishedError,
    PasswordChangeRequiredError,
    PasswordExpiredError,
    PasswordRejectedError,
    PwdChangeError,
    ReplayError,
    StaleKeytabError,
    UnknownClientError,
    UnknownPrincipalError,
    UnknownRealmError,
    UnknownServiceError,
    UnsupportedError,
)
from winkerberos._native import *

# Spelled out rather than built from _native.__all__, because type checkers only read a
# literal list: with `__all__ += _native.__all__`, `from winkerberos import *` gave mypy and
# pyright the exceptions alone. tests/test_typing.py checks that this list is exactly the
# names of _native.__all__, _errors.__all__ and this module's own functions, so a name added
# to either cannot be forgotten here.
__all__ = [
    "AUTH_GSS_COMPLETE",
    "AUTH_GSS_CONTINUE",
    "GSS_C_AF_APPLETALK",
    "GSS_C_AF_BSC",
    "GSS_C_AF_CCITT",
    "GSS_C_AF_CHAOS",
    "GSS_C_AF_DATAKIT",
    "GSS_C_AF_DLI",
    "GSS_C_AF_DSS",
    "GSS_C_AF_ECMA",
    "GSS_C_AF_HYLINK",
    "GSS_C_AF_IMPLINK",
    "GSS_C_AF_INET",
    "GSS_C_AF_LAT",
    "GSS_C_AF_LOCAL",
    "GSS_C_AF_NBS",
    "GSS_C_AF_NS",
    "GSS_C_AF_NULLADDR",
    "GSS_C_AF_OSI",
    "GSS_C_AF_PUP",
    "GSS_C_AF_SNA",
    "GSS_C_AF_UNSPEC",
    "GSS_C_AF_X25",
    "GSS_C_ANON_FLAG",
    "GSS_C_CONF_FLAG",
    "GSS_C_DELEG_FLAG",
    "GSS_C_INTEG_FLAG",
    "GSS_C_MUTUAL_FLAG",
    "GSS_C_PROT_READY_FLAG",
    "GSS_C_REPLAY_FLAG",
    "GSS_C_SEQUENCE_FLAG",
    "GSS_C_TRANS_FLAG",
    "GSS_MECH_OID_KRB5",
    "GSS_MECH_OID_SPNEGO",
    "AlreadyEstablishedError",
    "AuthenticationFailedError",
    "BadBindingsError",
    "BadMechanismError",
    "BadNameError",
    "BadSignatureError",
    "BasicAuthError",
    "ChannelBindings",
    "ClockSkewError",
    "CredentialMismatchError",
    "DefectiveTokenError",
    "ExpiredError",
    "FlagsNotGrantedError",
    "GSSClientContext",
    "GSSError",
    "GSSServerContext",
    "GSS_C_AF_DECnet",
    "KdcUnreachableError",
    "KrbError",
    "LibraryUnavailableError",
    "MechOID",
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
    "__version__",
    "authGSSClientClean",
    "authGSSClientInit",
    "authGSSClientInquireCred",
    "authGSSClientResponse",
    "authGSSClientResponseConf",
    "authGSSClientStep",
    "authGSSClientUnwrap",
    "authGSSClientUnwrapIov",
    "authGSSClientUserName",
    "authGSSClientUsername",
    "authGSSClientWrap",
    "authGSSClientWrapIov",
    "authGSSServerCacheName",
    "authGSSServerClean",
    "authGSSServerHasDelegated",
    "authGSSServerInit",
    "authGSSServerResponse",
    "authGSSServerResponseConf",
    "authGSSServerStep",
    "authGSSServerStoreDelegate",
    "authGSSServerTargetName",
    "authGSSServerUnwrap",
    "authGSSServerUserName",
    "authGSSServerWrap",
    "authGSSWinRMDecryptMessage",
    "authGSSWinRMEncryptMessage",
    "changePassword",
    "channelBindings",
    "checkPassword",
    "getServerPrincipalDetails",
    "install_as_kerberos",
]


def install_as_kerberos() -> None:
    """Make ``import kerberos`` import winkerberos, for code written for pykerberos.

    Registers this module as ``kerberos`` in ``sys.modules``, as PyMySQL's
    ``install_as_MySQLdb()`` does for ``MySQLdb``. Call it once, early, before the first
    ``import kerberos`` of the code it is meant for (pure-sasl, requests-kerberos,
    Flask-Kerberos, pywinrm, ...), for example at the top of the program's entry point::

        import winkerberos

        winkerberos.install_as_kerberos()

        import requests_kerberos  # its `import kerberos` now finds winkerberos

    Calling it again does nothing. If another ``kerberos`` module (pykerberos) was
    already imported, this raises ``ImportError`` rather than replacing it: the modules
    that imported it keep theirs, and contexts of one are refused by the other.
    """
    installed = _sys.modules.get("kerberos")
    this = _sys.modules[__name__]
    if installed is this:
        return
    if installed is not None:
        origin = getattr(installed, "__file__", None) or repr(installed)
        raise ImportError(
            f"install_as_kerberos: another 'kerberos' module is already imported ({origin}); "
            "call winkerberos.install_as_kerberos() before anything imports kerberos, or "
            "uninstall pykerberos/kerberos (pip uninstall pykerberos kerberos)",
            name="kerberos",
        )
    _sys.modules["kerberos"] = this
