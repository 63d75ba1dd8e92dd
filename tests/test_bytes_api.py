"""The bytes-level methods of the context objects: the same contexts without base64."""

from __future__ import annotations

import pytest
import winkerberos as kerberos
from support.helpers import b64, gssapi_acceptor

pytestmark = pytest.mark.usefixtures("realm")


def test_bytes_handshake_and_messages() -> None:
    _, client = kerberos.authGSSClientInit("HTTP@localhost")
    _, server = kerberos.authGSSServerInit("HTTP@localhost")
    token = client.step()
    assert isinstance(token, bytes)
    assert not client.complete
    assert client.user_name is None
    reply = server.step(token)
    assert server.complete
    assert server.user_name == "alice@WKTEST.LOCAL"
    assert client.step(reply) is None
    assert client.complete
    assert client.user_name == "alice@WKTEST.LOCAL"
    sealed = client.wrap(b"hello")
    assert server.unwrap(sealed) == b"hello"
    assert client.unwrap(server.wrap(bytearray(b"back"), encrypt=False)) == b"back"
    # The function API sees the same context.
    assert kerberos.authGSSClientUserName(client) == "alice@WKTEST.LOCAL"
    kerberos.authGSSClientWrap(client, b64(b"via the function API"))


def test_bytes_api_interoperates_with_python_gssapi() -> None:
    _, client = kerberos.authGSSClientInit("HTTP@localhost", mech_oid=kerberos.GSS_MECH_OID_SPNEGO)
    acceptor = gssapi_acceptor()
    token = client.step()
    while not (client.complete and acceptor.complete):
        reply = acceptor.step(token)
        token = client.step(reply) if not client.complete else None
    assert str(acceptor.initiator_name) == "alice@WKTEST.LOCAL"
    assert acceptor.decrypt(client.wrap(b"peer check")) == b"peer check"


def test_bytes_api_errors() -> None:
    _, client = kerberos.authGSSClientInit("HTTP@localhost")
    with pytest.raises(kerberos.GSSError) as info:
        client.wrap(b"too early")
    assert info.value.kind == "NotEstablished"
    _, server = kerberos.authGSSServerInit("HTTP@localhost")
    with pytest.raises(kerberos.GSSError):
        server.step(b"not a token")
    with pytest.raises(TypeError):
        server.step("a str is not bytes")  # type: ignore[arg-type]
