"""Shared helpers of the winkerberos tests: base64, handshakes and python-gssapi peers.

python-gssapi (``gssapi``) is the independent peer: it links the system's libgssapi_krb5
directly, so a handshake or a wrapped message it accepts was produced correctly by us, and
one it produces must be accepted by us.
"""

from __future__ import annotations

import base64
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import gssapi
import gssapi.raw
import winkerberos as kerberos

# Raise step errors at once instead of first returning an error token to send.
gssapi.SecurityContext.__DEFER_STEP_ERRORS__ = False

SERVICE = "HTTP@localhost"
KRB5_OID = gssapi.MechType.kerberos
SPNEGO_OID = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
MUTUAL = kerberos.GSS_C_MUTUAL_FLAG
#: Flags that allow confidentiality and integrity on wrapped messages.
CONF_FLAGS = (
    kerberos.GSS_C_MUTUAL_FLAG
    | kerberos.GSS_C_SEQUENCE_FLAG
    | kerberos.GSS_C_CONF_FLAG
    | kerberos.GSS_C_INTEG_FLAG
)
#: DER encodings of the mechanism OIDs, as they appear in tokens.
KRB5_OID_DER = b"\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"
SPNEGO_OID_DER = b"\x06\x06\x2b\x06\x01\x05\x05\x02"
#: The RFC 4752 offer a server sends: every layer, maximum message size 0xffff.
SASL_OFFER = b"\x07\x00\xff\xff"


def b64(data: bytes) -> str:
    """Standard base64 text, as the API takes it."""
    return base64.b64encode(data).decode("ascii")


def unb64(text: str | None) -> bytes:
    """Decode a base64 response of the API (which must not be None)."""
    assert text is not None, "expected a response, got None"
    return base64.b64decode(text, validate=True)


def handshake(
    service: str = SERVICE,
    server_service: str | None = None,
    **client_kwargs: Any,
) -> tuple[kerberos.GSSClientContext, kerberos.GSSServerContext]:
    """Authenticate one of our clients to one of our servers and return both contexts.

    Mutual authentication is assumed (the default flags): the client's first step continues,
    the server's step completes with a reply, the client's second step completes.
    """
    server_service = service if server_service is None else server_service
    _, client = kerberos.authGSSClientInit(service, **client_kwargs)
    _, server = kerberos.authGSSServerInit(server_service)
    assert kerberos.authGSSClientStep(client, "") == kerberos.AUTH_GSS_CONTINUE
    token = kerberos.authGSSClientResponse(client)
    assert token
    assert kerberos.authGSSServerStep(server, token) == kerberos.AUTH_GSS_COMPLETE
    reply = kerberos.authGSSServerResponse(server)
    assert reply
    assert kerberos.authGSSClientStep(client, reply) == kerberos.AUTH_GSS_COMPLETE
    return client, server


def gssapi_acceptor(
    service: str | None = SERVICE,
    bindings: bytes | None = None,
) -> gssapi.SecurityContext:
    """A python-gssapi acceptor for ``service`` (None: any key in the keytab)."""
    name = None if service is None else gssapi.Name(service, gssapi.NameType.hostbased_service)
    creds = gssapi.Credentials(name=name, usage="accept")
    cb = None if bindings is None else gssapi.raw.ChannelBindings(application_data=bindings)
    return gssapi.SecurityContext(creds=creds, usage="accept", channel_bindings=cb)


def gssapi_initiator(
    service: str = SERVICE,
    mech: gssapi.OID = KRB5_OID,
    bindings: bytes | None = None,
    flags: int = MUTUAL,
) -> gssapi.SecurityContext:
    """A python-gssapi initiator (alice, from the default ccache) for ``service``."""
    cb = None if bindings is None else gssapi.raw.ChannelBindings(application_data=bindings)
    return gssapi.SecurityContext(
        name=gssapi.Name(service, gssapi.NameType.hostbased_service),
        mech=mech,
        usage="initiate",
        flags=flags,
        channel_bindings=cb,
    )


def client_with_gssapi_acceptor(
    service: str = SERVICE,
    acceptor: gssapi.SecurityContext | None = None,
    **client_kwargs: Any,
) -> tuple[kerberos.GSSClientContext, gssapi.SecurityContext]:
    """Authenticate one of our clients to a python-gssapi acceptor; return both contexts."""
    acceptor = gssapi_acceptor(service) if acceptor is None else acceptor
    client_kwargs.setdefault("gssflags", CONF_FLAGS)
    _, client = kerberos.authGSSClientInit(service, **client_kwargs)
    challenge = ""
    for _ in range(4):
        result = kerberos.authGSSClientStep(client, challenge)
        token = kerberos.authGSSClientResponse(client)
        if token is not None and not acceptor.complete:
            reply = acceptor.step(unb64(token))
            challenge = b64(reply) if reply else ""
        if result == kerberos.AUTH_GSS_COMPLETE and acceptor.complete:
            return client, acceptor
    raise AssertionError("the handshake did not complete in 4 legs")


def token_mech(token: bytes) -> bytes:
    """The DER-encoded mechanism OID at the start of an RFC 2743 InitialContextToken."""
    assert token[0] == 0x60, "not an InitialContextToken"
    length = token[1]
    offset = 2 + (length & 0x7F if length & 0x80 else 0)
    assert token[offset] == 0x06, "no mechanism OID"
    return token[offset : offset + 2 + token[offset + 1]]


class Counter:
    """A thread that counts as fast as it can, to see whether another thread holds the GIL."""

    def __init__(self) -> None:
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gil-counter", daemon=True)

    def _run(self) -> None:
        stop = self._stop
        while not stop.is_set():
            self.count += 1

    def __enter__(self) -> Counter:
        # A short switch interval: a call that holds the GIL then lets the counter run for
        # only ~0.5 ms when it returns (the 5 ms default would blur short calls).
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(0.0005)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        sys.setswitchinterval(self._interval)
        assert not self._thread.is_alive()

    def rate(self, seconds: float = 0.1) -> float:
        """Increments per second while this thread sleeps."""
        start, t0 = self.count, time.perf_counter()
        time.sleep(seconds)
        return (self.count - start) / (time.perf_counter() - t0)

    def progress_during(self, call: Callable[[], object], min_seconds: float = 0.3) -> float:
        """Repeat ``call`` for at least ``min_seconds``; return how far the counter got,
        as a fraction of how far it gets in the same time while this thread sleeps.

        Close to 1 when ``call`` releases the GIL, close to 0 when it holds it.
        """
        rate = self.rate()
        advanced, elapsed = 0, 0.0
        while elapsed < min_seconds:
            start, t0 = self.count, time.perf_counter()
            call()
            elapsed += time.perf_counter() - t0
            advanced += self.count - start
        return advanced / (rate * elapsed)
