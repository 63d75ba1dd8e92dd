"""pymongo's GSSAPI authentication, verbatim, against a fake mongod.

:func:`authenticate_gssapi` is pymongo 4.x ``_authenticate_gssapi`` (sync and async are
identical) with only the connection and credential plumbing replaced. :class:`FakeMongod`
answers its saslStart / saslContinue commands with a python-gssapi acceptor, as mongod does
with Cyrus SASL: Kerberos handshake, then the RFC 4752 security-layer exchange.

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
    _USE_PRINCIPAL: bool,  # noqa: N803 - pymongo's module global
) -> None:
    """pymongo 4.x ``_authenticate_gssapi``, from "Starting here" on."""
    try:
        # Starting here and continuing through the while loop below - establish
        # the security context. See RFC 4752, Section 3.1, first paragraph.
        host = props.service_host or conn.address[0]
        service = props.service_name + "@" + host
        if props.service_realm is not None:
            service = service + "@" + props.service_realm

        if password is not None:
            if _USE_PRINCIPAL:
                # Note that, though we use unquote_plus for unquoting URI
                # options, we use quote here. Microsoft's UrlUnescape (used
                # by WinKerberos) doesn't support +.
                principal = ":".join((quote(username), quote(password)))
                result, ctx = kerberos.authGSSClientInit(
                    service, principal, gssflags=kerberos.GSS_C_MUTUAL_FLAG
                )
            else:
                if "@" in username:
                    user, domain = username.split("@", 1)
                else:
                    user, domain = username, None
                result, ctx = kerberos.authGSSClientInit(
                    service,
                    gssflags=kerberos.GSS_C_MUTUAL_FLAG,
                    user=user,
                    domain=domain,
                    password=password,
                )
        else:
            result, ctx = kerberos.authGSSClientInit(service, gssflags=kerberos.GSS_C_MUTUAL_FLAG)

        if result != kerberos.AUTH_GSS_COMPLETE:
            raise OperationFailure("Kerberos context failed to initialize.")

        try:
            # pykerberos uses a weird mix of exceptions and return values
            # to indicate errors.
            # 0 == continue, 1 == complete, -1 == error
            # Only authGSSClientStep can return 0.
            if kerberos.authGSSClientStep(ctx, "") != 0:
                raise OperationFailure("Unknown kerberos failure in step function.")

            # Start a SASL conversation with mongod/s
            # Note: pykerberos deals with base64 encoded byte strings.
            # Since mongo accepts base64 strings as the payload we don't
            # have to use bson.binary.Binary.
            payload = kerberos.authGSSClientResponse(ctx)
            cmd = {
                "saslStart": 1,
                "mechanism": "GSSAPI",
                "payload": payload,
                "autoAuthorize": 1,
            }
            response = conn.command("$external", cmd)

            # Limit how many times we loop to catch protocol / library issues
            for _ in range(10):
                result = kerberos.authGSSClientStep(ctx, str(response["payload"]))
                if result == -1:
                    raise OperationFailure("Unknown kerberos failure in step function.")

                payload = kerberos.authGSSClientResponse(ctx) or ""

                cmd = {
                    "saslContinue": 1,
                    "conversationId": response["conversationId"],
                    "payload": payload,
                }
                response = conn.command("$external", cmd)

                if result == kerberos.AUTH_GSS_COMPLETE:
                    break
            else:
                raise OperationFailure("Kerberos authentication failed to complete.")

            # Once the security context is established actually authenticate.
            # See RFC 4752, Section 3.1, last two paragraphs.
            if kerberos.authGSSClientUnwrap(ctx, str(response["payload"])) != 1:
                raise OperationFailure("Unknown kerberos failure during GSS_Unwrap step.")

            if kerberos.authGSSClientWrap(ctx, kerberos.authGSSClientResponse(ctx), username) != 1:
                raise OperationFailure("Unknown kerberos failure during GSS_Wrap step.")

            payload = kerberos.authGSSClientResponse(ctx)
            cmd = {
                "saslContinue": 1,
                "conversationId": response["conversationId"],
                "payload": payload,
            }
            conn.command("$external", cmd)

        finally:
            kerberos.authGSSClientClean(ctx)

    except kerberos.KrbError as exc:
        raise OperationFailure(str(exc)) from None
