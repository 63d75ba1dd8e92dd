"""Type stubs of the native module; checked against it by mypy.stubtest in CI.

The docstrings are the ones help() shows, taken from the Rust doc comments of
crates/winkerberos-python; tests/test_typing.py keeps the two equal.
"""

from typing import Any, Final, final

from typing_extensions import Buffer

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
    "ChannelBindings",
    "GSSClientContext",
    "GSSServerContext",
    "GSS_C_AF_DECnet",
    "MechOID",
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

#: The version of winkerberos, such as "0.14.0".
__version__: Final[str]

# The results of the step functions, and the return value of calls that succeed:
# AUTH_GSS_COMPLETE (1) once the context is established, AUTH_GSS_CONTINUE (0) while the
# handshake goes on.
AUTH_GSS_COMPLETE: Final[int]
AUTH_GSS_CONTINUE: Final[int]

# The GSSAPI request flags (RFC 2744), to combine with | for authGSSClientInit(gssflags=).
# The default, 10, is GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG.
GSS_C_DELEG_FLAG: Final[int]
GSS_C_MUTUAL_FLAG: Final[int]
GSS_C_REPLAY_FLAG: Final[int]
GSS_C_SEQUENCE_FLAG: Final[int]
GSS_C_CONF_FLAG: Final[int]
GSS_C_INTEG_FLAG: Final[int]
GSS_C_ANON_FLAG: Final[int]
GSS_C_PROT_READY_FLAG: Final[int]
GSS_C_TRANS_FLAG: Final[int]

# The address types (RFC 2744) for channelBindings(initiator_addrtype=, acceptor_addrtype=).
GSS_C_AF_UNSPEC: Final[int]
GSS_C_AF_LOCAL: Final[int]
GSS_C_AF_INET: Final[int]
GSS_C_AF_IMPLINK: Final[int]
GSS_C_AF_PUP: Final[int]
GSS_C_AF_CHAOS: Final[int]
GSS_C_AF_NS: Final[int]
GSS_C_AF_NBS: Final[int]
GSS_C_AF_ECMA: Final[int]
GSS_C_AF_DATAKIT: Final[int]
GSS_C_AF_CCITT: Final[int]
GSS_C_AF_SNA: Final[int]
GSS_C_AF_DECnet: Final[int]
GSS_C_AF_DLI: Final[int]
GSS_C_AF_LAT: Final[int]
GSS_C_AF_HYLINK: Final[int]
GSS_C_AF_APPLETALK: Final[int]
GSS_C_AF_BSC: Final[int]
GSS_C_AF_DSS: Final[int]
GSS_C_AF_OSI: Final[int]
GSS_C_AF_X25: Final[int]
GSS_C_AF_NULLADDR: Final[int]

@final
class MechOID:
    """A mechanism, as `GSS_MECH_OID_KRB5` and `GSS_MECH_OID_SPNEGO`."""

# The mechanisms for authGSSClientInit(mech_oid=): raw Kerberos 5 (the default) or SPNEGO
# (as HTTP Negotiate uses).
GSS_MECH_OID_KRB5: Final[MechOID]
GSS_MECH_OID_SPNEGO: Final[MechOID]

@final
class ChannelBindings:
    """Channel bindings made by `channelBindings()`."""

@final
class GSSClientContext:
    """A client security context, as returned by authGSSClientInit."""

    def step(
        self, token: Buffer | None = None, channel_bindings: ChannelBindings | None = None
    ) -> bytes | None:
        """Runs one handshake leg with the server's token (b"" first) and returns the token to
        send, or None. The bytes-level form of authGSSClientStep: no base64, no state.
        """
    @property
    def complete(self) -> bool:
        """Whether the handshake is complete."""
    @property
    def user_name(self) -> str | None:
        """The client principal once the handshake is complete, else None."""
    def wrap(self, data: Buffer, encrypt: bool = True) -> bytes:
        """Wraps `data` for the server (encrypted unless `encrypt` is False)."""
    def unwrap(self, token: Buffer) -> bytes:
        """Unwraps a message from the server and returns its data."""

@final
class GSSServerContext:
    """A server security context, as returned by authGSSServerInit."""

    def step(self, token: Buffer, channel_bindings: ChannelBindings | None = None) -> bytes | None:
        """Runs one handshake leg with the client's token and returns the token to send back,
        or None. The bytes-level form of authGSSServerStep: no base64, no state.
        """
    @property
    def complete(self) -> bool:
        """Whether the handshake is complete."""
    @property
    def user_name(self) -> str | None:
        """The authenticated client principal, or None before completion."""
    def wrap(self, data: Buffer, encrypt: bool = True) -> bytes:
        """Wraps `data` for the client (encrypted unless `encrypt` is False)."""
    def unwrap(self, token: Buffer) -> bytes:
        """Unwraps a message from the client and returns its data."""

_Text = str | Buffer

def channelBindings(
    initiator_addrtype: int = 0,
    initiator_address: _Text | None = None,
    acceptor_addrtype: int = 0,
    acceptor_address: _Text | None = None,
    application_data: _Text | None = None,
) -> ChannelBindings:
    """Builds channel bindings for authGSSClientStep / authGSSServerStep. Addresses and
    application data may be str (UTF-8) or bytes-like. For TLS use
    application_data=b"tls-server-end-point:" + certificate_hash (RFC 5929).
    """

def authGSSClientInit(
    service: str,
    principal: _Text | None = None,
    gssflags: int = 10,
    user: str | MechOID | GSSServerContext | None = None,
    domain: str | None = None,
    password: _Text | None = None,
    mech_oid: MechOID | None = None,
    delegated: GSSServerContext | None = None,
) -> tuple[int, GSSClientContext]:
    """Initializes a client context for `service` ("HTTP@host", "HTTP/host[@REALM]" or
    "service@host@REALM"). `principal` selects a client principal from the credential
    cache collection, or authenticates another user when written "user@REALM:password"
    (percent-encoded). user/domain/password do the same (winkerberos' older form).
    `delegated` is a server context whose client delegated its credentials.
    Returns (AUTH_GSS_COMPLETE, context).
    """

def authGSSClientStep(
    state: GSSClientContext,
    challenge: str | bytes,
    channel_bindings: ChannelBindings | None = None,
) -> int:
    """Processes the server's base64 `challenge` ("" on the first call) and prepares the next
    token (see authGSSClientResponse). Returns AUTH_GSS_CONTINUE (0) while the handshake
    goes on and AUTH_GSS_COMPLETE (1) once the context is established.
    """

def authGSSClientResponse(context: GSSClientContext) -> str | None:
    """The base64 output of the last step, wrap or unwrap, or None when it produced none."""

def authGSSClientResponseConf(context: GSSClientContext) -> int:
    """1 if the last unwrapped message was encrypted, else 0."""

def authGSSClientUserName(context: GSSClientContext) -> str | None:
    """The client principal ("user@REALM") once the context is complete, else None."""

def authGSSClientUsername(context: GSSClientContext) -> str | None:
    """The client principal ("user@REALM") once the context is complete, else None."""

def authGSSClientInquireCred(context: GSSClientContext) -> int:
    """Looks up the principal of the context's credentials (the default ones unless others were
    given), so authGSSClientUserName reports it before the handshake. Returns 1.
    """

def authGSSClientUnwrap(context: GSSClientContext, challenge: str | bytes) -> int:
    """Unwraps the server's base64 message; the plaintext becomes authGSSClientResponse and
    authGSSClientResponseConf tells whether it was encrypted. Returns 1.
    """

def authGSSClientWrap(
    context: GSSClientContext,
    data: str | bytes,
    user: str | None = None,
    protect: int = 0,
) -> int:
    """Wraps the base64 `data` (encrypted when `protect` is 1) into authGSSClientResponse.
    With `user`, sends instead the RFC 4752 reply choosing no security layer with `user` as
    the authorization identity (`data` is then the server's unwrapped 4-octet offer, or "").
    Returns 1.
    """

def authGSSClientClean(*_args: object) -> int:
    """Does nothing and returns 1: contexts free themselves when garbage-collected. Kept for
    compatibility; the context stays usable.
    """

def authGSSServerInit(service: str) -> tuple[int, GSSServerContext]:
    """Initializes a server context for the host-based `service` ("HTTP@host" or "HTTP"), with
    its key from the keytab (KRB5_KTNAME). "" accepts with any key in the keytab (see
    authGSSServerTargetName); "DELEGATE" (pykerberos) likewise accepts with any key.
    Returns (AUTH_GSS_COMPLETE, context).
    """

def authGSSServerStep(
    context: GSSServerContext,
    challenge: str | bytes,
    channel_bindings: ChannelBindings | None = None,
) -> int:
    """Processes the client's base64 token. Returns AUTH_GSS_COMPLETE (1) once the client is
    authenticated, or AUTH_GSS_CONTINUE (0) when the mechanism needs another token.
    With `channel_bindings`, a client that used other bindings, or none, is rejected.
    """

def authGSSServerResponse(context: GSSServerContext) -> str | None:
    """The base64 token to send back to the client (mutual authentication), or None."""

def authGSSServerUserName(context: GSSServerContext) -> str | None:
    """The authenticated client principal ("user@REALM"), or None before completion."""

def authGSSServerTargetName(context: GSSServerContext) -> str | None:
    """For a context created with service "", the service principal the client authenticated
    to (such as "HTTP/host@REALM"); None otherwise.
    """

def authGSSServerWrap(context: GSSServerContext, data: str | bytes, protect: int = 0) -> int:
    """Wraps the base64 `data` for the client (encrypted when `protect` is 1) into
    authGSSServerResponse. Returns 1. (An addition: the originals had no server-side wrap.)
    """

def authGSSServerUnwrap(context: GSSServerContext, challenge: str | bytes) -> int:
    """Unwraps the client's base64 message into authGSSServerResponse;
    authGSSServerResponseConf tells whether it was encrypted. Returns 1. (An addition: the
    originals had no server-side unwrap.)
    """

def authGSSServerResponseConf(context: GSSServerContext) -> int:
    """1 if the last message unwrapped by authGSSServerUnwrap was encrypted, else 0."""

def authGSSServerHasDelegated(context: GSSServerContext) -> bool:
    """Whether the client delegated its credentials."""

def authGSSServerClean(*args: object) -> int:
    """Removes the file authGSSServerStoreDelegate wrote (unless stored with `keep=True`) and
    returns 1. The context itself stays usable; it frees itself when garbage-collected.
    Anything but a server context is accepted and ignored, as before.
    """

def authGSSServerStoreDelegate(context: GSSServerContext, *, keep: bool = False) -> int:
    """Stores the credentials the client delegated into a new file credential cache, created
    with mode 0600 under an unpredictable name in the directory TMPDIR names (else /tmp);
    authGSSServerCacheName then gives its path. Returns 0, as kerberos did.

    The file belongs to the context: it is removed by authGSSServerClean, by the next store
    on the context, or when the context is collected. With `keep=True` it is the caller's
    and is never removed by winkerberos.
    """

def authGSSServerCacheName(context: GSSServerContext) -> str | None:
    """The path of the credential cache authGSSServerStoreDelegate wrote, or None."""

def authGSSClientWrapIov(
    context: GSSClientContext, data: str | bytes, protect: int = 1
) -> tuple[int, int]:
    """Wraps the base64 `data` with a detached header (encrypted unless `protect` is 0) into
    authGSSClientResponse, laid out as MS-WSMV 2.2.9.1.2.2.2 describes: the header length as
    a 32-bit little-endian integer, the header, the data, the padding. Returns
    (AUTH_GSS_COMPLETE, padding length).
    """

def authGSSClientUnwrapIov(context: GSSClientContext, challenge: str | bytes) -> int:
    """Unwraps the base64 message laid out as authGSSClientWrapIov makes it; the plaintext
    becomes authGSSClientResponse. Returns 1.
    """

def authGSSWinRMEncryptMessage(context: GSSClientContext, message: _Text) -> tuple[bytes, bytes]:
    """Encrypts `message` (str, encoded as UTF-8, or bytes) for WinRM. Returns
    (encrypted data and padding, header) as bytes; pywinrm sends
    `struct.pack("<i", len(header)) + header + data`.
    """

def authGSSWinRMDecryptMessage(
    context: GSSClientContext, encrypted_data: Buffer, header: Buffer
) -> bytes:
    """Decrypts WinRM's `encrypted_data` with its detached `header` (both bytes). Returns the
    plaintext as bytes.
    """

def checkPassword(
    user: str, pswd: _Text, service: str, default_realm: str, verify: bool = True
) -> bool:
    """Checks `user`'s password with the KDC (`user@default_realm` when `user` has no realm).
    With `verify` (the default), also checks the KDC's answer against `service`'s key in the
    keytab, so a spoofed KDC cannot fake success. Returns True; raises BasicAuthError.
    """

def changePassword(user: str, oldpswd: _Text, newpswd: _Text) -> bool:
    """Changes `user`'s password from `oldpswd` to `newpswd` with the KDC's password service.
    Returns True; raises PwdChangeError.
    """

def getServerPrincipalDetails(service: str, hostname: str) -> str:
    """The first principal in the default keytab (KRB5_KTNAME) named
    `service/hostname@REALM`. Raises KrbError when there is none.
    """

# Diagnostics for `python -m winkerberos doctor` (not part of the originals' API).

def _library_info() -> dict[str, Any]:
    """The system Kerberos library: `{"name", "path", "vendor", "version", "requested"}`."""

def _krb5_config() -> dict[str, Any]:
    """The krb5 configuration as the libraries read it: `{"files": [(path, readable)],
    "default_realm", "dns_lookup_kdc", "clockskew", "default_ccache_name",
    "default_keytab_name", "realms": {realm: {"kdc": [...], "admin_server": [...],
    "kpasswd_server": [...]}}}`.
    """

def _default_credential() -> dict[str, Any]:
    """The default credentials as the mechanism sees them: `{"principal", "lifetime"}`
    (lifetime in seconds, None for no limit). Raises the GSSError saying why there are none.
    """

def _read_ccache(name: str) -> dict[str, Any]:
    """The contents of a `FILE:` ticket cache: `{"principal", "tickets": [{"server", "start",
    "end", "renew_till"}]}` (times in seconds since the epoch). Raises GSSError.
    """

def _keytab_entries(name: str | None = None) -> list[dict[str, Any]]:
    """The keys of a keytab (the default one when `name` is None): a list of
    `{"principal", "kvno", "enctype", "enctype_name", "timestamp"}`; never the keys.
    """

def _client_target_name(context: GSSClientContext) -> str | None:
    """The service principal a complete client context authenticated to, such as
    `HTTP/web.example.com@EXAMPLE.COM`, or None before the handshake is complete.
    """
