"""Type stubs of the native module; checked against it by mypy.stubtest in CI."""

from typing import Final, final

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

__version__: Final[str]

AUTH_GSS_COMPLETE: Final[int]
AUTH_GSS_CONTINUE: Final[int]

GSS_C_DELEG_FLAG: Final[int]
GSS_C_MUTUAL_FLAG: Final[int]
GSS_C_REPLAY_FLAG: Final[int]
GSS_C_SEQUENCE_FLAG: Final[int]
GSS_C_CONF_FLAG: Final[int]
GSS_C_INTEG_FLAG: Final[int]
GSS_C_ANON_FLAG: Final[int]
GSS_C_PROT_READY_FLAG: Final[int]
GSS_C_TRANS_FLAG: Final[int]

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
    """A mechanism: GSS_MECH_OID_KRB5 or GSS_MECH_OID_SPNEGO."""

GSS_MECH_OID_KRB5: Final[MechOID]
GSS_MECH_OID_SPNEGO: Final[MechOID]

@final
class ChannelBindings:
    """Channel bindings made by channelBindings()."""

@final
class GSSClientContext:
    """A client security context made by authGSSClientInit().

    Besides the authGSSClient* functions it offers a bytes-level API (no base64):
    """

    def step(
        self, token: Buffer | None = None, channel_bindings: ChannelBindings | None = None
    ) -> bytes | None: ...
    @property
    def complete(self) -> bool: ...
    @property
    def user_name(self) -> str | None: ...
    def wrap(self, data: Buffer, encrypt: bool = True) -> bytes: ...
    def unwrap(self, token: Buffer) -> bytes: ...

@final
class GSSServerContext:
    """A server security context made by authGSSServerInit().

    Besides the authGSSServer* functions it offers a bytes-level API (no base64):
    """

    def step(
        self, token: Buffer, channel_bindings: ChannelBindings | None = None
    ) -> bytes | None: ...
    @property
    def complete(self) -> bool: ...
    @property
    def user_name(self) -> str | None: ...
    def wrap(self, data: Buffer, encrypt: bool = True) -> bytes: ...
    def unwrap(self, token: Buffer) -> bytes: ...

_Text = str | Buffer

def channelBindings(
    initiator_addrtype: int = 0,
    initiator_address: _Text | None = None,
    acceptor_addrtype: int = 0,
    acceptor_address: _Text | None = None,
    application_data: _Text | None = None,
) -> ChannelBindings: ...
def authGSSClientInit(
    service: str,
    principal: _Text | None = None,
    gssflags: int = 10,
    user: str | MechOID | GSSServerContext | None = None,
    domain: str | None = None,
    password: _Text | None = None,
    mech_oid: MechOID | None = None,
    delegated: GSSServerContext | None = None,
) -> tuple[int, GSSClientContext]: ...
def authGSSClientStep(
    state: GSSClientContext,
    challenge: str | bytes,
    channel_bindings: ChannelBindings | None = None,
) -> int: ...
def authGSSClientResponse(context: GSSClientContext) -> str | None: ...
def authGSSClientResponseConf(context: GSSClientContext) -> int: ...
def authGSSClientUserName(context: GSSClientContext) -> str | None: ...
def authGSSClientUsername(context: GSSClientContext) -> str | None: ...
def authGSSClientInquireCred(context: GSSClientContext) -> int: ...
def authGSSClientUnwrap(context: GSSClientContext, challenge: str | bytes) -> int: ...
def authGSSClientWrap(
    context: GSSClientContext,
    data: str | bytes,
    user: str | None = None,
    protect: int = 0,
) -> int: ...
def authGSSClientClean(*_args: object) -> int: ...
def authGSSServerInit(service: str) -> tuple[int, GSSServerContext]: ...
def authGSSServerStep(
    context: GSSServerContext,
    challenge: str | bytes,
    channel_bindings: ChannelBindings | None = None,
) -> int: ...
def authGSSServerResponse(context: GSSServerContext) -> str | None: ...
def authGSSServerUserName(context: GSSServerContext) -> str | None: ...
def authGSSServerTargetName(context: GSSServerContext) -> str | None: ...
def authGSSServerWrap(context: GSSServerContext, data: str | bytes, protect: int = 0) -> int: ...
def authGSSServerUnwrap(context: GSSServerContext, challenge: str | bytes) -> int: ...
def authGSSServerResponseConf(context: GSSServerContext) -> int: ...
def authGSSServerHasDelegated(context: GSSServerContext) -> bool: ...
def authGSSServerClean(*args: object) -> int: ...
def authGSSServerStoreDelegate(context: GSSServerContext, *, keep: bool = False) -> int: ...
def authGSSServerCacheName(context: GSSServerContext) -> str | None: ...
def authGSSClientWrapIov(
    context: GSSClientContext, data: str | bytes, protect: int = 1
) -> tuple[int, int]: ...
def authGSSClientUnwrapIov(context: GSSClientContext, challenge: str | bytes) -> int: ...
def authGSSWinRMEncryptMessage(
    context: GSSClientContext, message: _Text
) -> tuple[bytes, bytes]: ...
def authGSSWinRMDecryptMessage(
    context: GSSClientContext, encrypted_data: Buffer, header: Buffer
) -> bytes: ...
def checkPassword(
    user: str, pswd: _Text, service: str, default_realm: str, verify: bool = True
) -> bool: ...
def changePassword(user: str, oldpswd: _Text, newpswd: _Text) -> bool: ...
def getServerPrincipalDetails(service: str, hostname: str) -> str: ...
