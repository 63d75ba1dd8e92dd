"""Kerberos and SPNEGO authentication through the system's own GSSAPI or SSPI.

A drop-in replacement for the ``winkerberos``, ``pykerberos`` and ``kerberos`` modules::

    import winkerberos as kerberos

    result, ctx = kerberos.authGSSClientInit("HTTP@web.example.com")
    kerberos.authGSSClientStep(ctx, "")
    header = "Negotiate " + kerberos.authGSSClientResponse(ctx)

The system Kerberos library is loaded on first use, so importing never fails for lack of
it; the first call then raises ``GSSError`` saying what to install.
"""

from winkerberos._errors import BasicAuthError, GSSError, KrbError, PwdChangeError
from winkerberos._native import *  # noqa: F403
from winkerberos._native import __version__

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
    "BasicAuthError",
    "ChannelBindings",
    "GSSClientContext",
    "GSSError",
    "GSSServerContext",
    "GSS_C_AF_DECnet",
    "KrbError",
    "MechOID",
    "PwdChangeError",
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
]
