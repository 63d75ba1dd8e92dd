"""pymongo's GSSAPI call sequence against a fake mongod.

:func:`authenticate_gssapi` makes the calls pymongo 4.x makes, in its order and with its
arguments and checks (the sequence is described in the project's API contract, written
here in our own words). :class:`FakeMongod` answers the saslStart / saslContinue commands
with a python-gssapi acceptor, as mongod does with Cyrus SASL: Kerberos handshake, then the
RFC 4752 security-layer exchange.

Also imported by the child interpreters of the tests (no pytest here).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import quote

import gssapi

# Raise step errors at once instead of first returning an error token to send.
gssapi.SecurityContext.__DEFER_STEP_ERRORS__ = False

#: mongod's offer: no layer, integrity or confidentiality; max message size 0xffff.
OFFER = b"\x07\x00\xff\xff"


class OperationFailure(Exception):  # noqa: N818 - pymongo's name
    """pymongo.errors.OperationFailure."""


@dataclass
class Properties:
    """The GSSAPI authMechanismProperties pymongo reads."""

    service_name: str = "mongodb"
    service_host: str | None = None
    service_realm: str | None = None


class FakeMongod:
    """mongod's side of SASL GSSAPI, with a python-gssapi acceptor."""

    def __init__(self, service: str = "mongodb@localhost") -> None:
        name = gssapi.Name(service, gssapi.NameType.hostbased_service)
        self.context = gssapi.SecurityContext(
            creds=gssapi.Credentials(name=name, usage="accept"), usage="accept"
        )
        self.address = ("localhost", 27017)
        self.commands: list[dict[str, Any]] = []
        self.authenticated: str | None = None  # the principal the handshake proved
        self.authzid: bytes | None = None  # the identity of the client's final message
        self._offered = False

    def command(self, dbname: str, cmd: dict[str, Any]) -> dict[str, Any]:
        assert dbname == "$external"
        self.commands.append(cmd)
        if "saslStart" in cmd:
            assert cmd["mechanism"] == "GSSAPI"
            assert cmd["autoAuthorize"] == 1
        else:
            assert cmd["saslContinue"] == 1
            assert cmd["conversationId"] == 1
        payload = cmd["payload"]
        assert isinstance(payload, str)
        if not self.context.complete:
            reply = self.context.step(_decode(payload)) or b""
            return self._reply(reply, done=False)
        if not self._offered:
            # The client's last handshake leg carries no token (pymongo sends "").
            assert payload == ""
            self._offered = True
            self.authenticated = str(self.context.initiator_name)
            return self._reply(self.context.wrap(OFFER, encrypt=False).message, done=False)
        unwrapped = self.context.unwrap(_decode(payload))
        assert not unwrapped.encrypted
        message = unwrapped.message
        assert message[:4] == b"\x01\x00\x00\x00", message  # no layer, max size 0
        self.authzid = message[4:]
        return self._reply(b"", done=True)

    @staticmethod
    def _reply(payload: bytes, done: bool) -> dict[str, Any]:
        return {"conversationId": 1, "done": done, "payload": _encode(payload), "ok": 1}


def _encode(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _decode(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def use_principal(kerberos: ModuleType) -> bool:
    """pymongo's ``_USE_PRINCIPAL``, computed on import of winkerberos."""
    return tuple(map(int, kerberos.__version__.split(".")[:2])) >= (0, 5)


def authenticate_gssapi(
    kerberos: ModuleType,
    username: str,
    password: str | None,
    props: Properties,
    conn: FakeMongod,
    *,
    _USE_PRINCIPAL: bool,  # noqa: N803 - the name pymongo gives this module-level switch
) -> None:
    """Authenticate ``username`` to ``conn`` the way pymongo's GSSAPI mechanism does.

    The service is ``name@host`` (``@realm`` appended when a service realm is set). With a
    password, winkerberos >= 0.5 gets ``quote(user) + ":" + quote(password)`` as the
    principal, older modules ``user=``/``domain=``/``password=``. The first step must
    return 0; the handshake loop runs at most 10 legs; the server's offer is unwrapped and
    answered with ``authGSSClientWrap(ctx, offer, username)``; Clean always runs; any
    ``KrbError`` becomes an OperationFailure carrying ``str(exc)``.
    """
    service = f"{props.service_name}@{props.service_host or conn.address[0]}"
    if props.service_realm is not None:
        service += f"@{props.service_realm}"
    flags = kerberos.GSS_C_MUTUAL_FLAG
    try:
        if password is None:
            result, ctx = kerberos.authGSSClientInit(service, gssflags=flags)
        elif _USE_PRINCIPAL:
            principal = f"{quote(username)}:{quote(password)}"
            result, ctx = kerberos.authGSSClientInit(service, principal, gssflags=flags)
        else:
            user, _, domain = username.partition("@")
            result, ctx = kerberos.authGSSClientInit(
                service, gssflags=flags, user=user, domain=domain or None, password=password
            )
        if result != kerberos.AUTH_GSS_COMPLETE:
            raise OperationFailure("Kerberos context failed to initialize.")
        try:
            if kerberos.authGSSClientStep(ctx, "") != 0:
                raise OperationFailure("the first step did not ask to continue")
            start = {
                "saslStart": 1,
                "mechanism": "GSSAPI",
                "payload": kerberos.authGSSClientResponse(ctx),
                "autoAuthorize": 1,
            }
            response = conn.command("$external", start)
            for _ in range(10):
                result = kerberos.authGSSClientStep(ctx, str(response["payload"]))
                if result == -1:
                    raise OperationFailure("the step failed")
                response = _continue(conn, response, kerberos.authGSSClientResponse(ctx) or "")
                if result == kerberos.AUTH_GSS_COMPLETE:
                    break
            else:
                raise OperationFailure("the handshake did not complete in 10 legs")
            if kerberos.authGSSClientUnwrap(ctx, str(response["payload"])) != 1:
                raise OperationFailure("unwrapping the offer failed")
            if kerberos.authGSSClientWrap(ctx, kerberos.authGSSClientResponse(ctx), username) != 1:
                raise OperationFailure("wrapping the answer failed")
            _continue(conn, response, kerberos.authGSSClientResponse(ctx))
        finally:
            kerberos.authGSSClientClean(ctx)
    except kerberos.KrbError as exc:
        raise OperationFailure(str(exc)) from None


def _continue(conn: FakeMongod, previous: dict[str, Any], payload: str | None) -> dict[str, Any]:
    """One saslContinue command with ``payload``."""
    cmd = {"saslContinue": 1, "conversationId": previous["conversationId"], "payload": payload}
    return conn.command("$external", cmd)
