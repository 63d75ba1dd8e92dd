"""Interoperability with an independent GSSAPI implementation: python-gssapi.

python-gssapi accepts what our client sends and initiates to our server, for Kerberos and
SPNEGO, with and without channel bindings; wrapped messages go both ways.
"""

from __future__ import annotations

import gssapi
import gssapi.exceptions
import gssapi.raw
import pytest
import winkerberos as kerberos
from support.helpers import (
    CONF_FLAGS,
    KRB5_OID,
    SERVICE,
    SPNEGO_OID,
    b64,
    client_with_gssapi_acceptor,
    gssapi_acceptor,
    gssapi_initiator,
    unb64,
)
from support.realm import Realm

pytestmark = pytest.mark.usefixtures("realm")

MECHS = {
    "krb5": (kerberos.GSS_MECH_OID_KRB5, KRB5_OID),
    "spnego": (kerberos.GSS_MECH_OID_SPNEGO, SPNEGO_OID),
}
CB_A = b"tls-server-end-point:" + bytes(range(32))
CB_B = b"tls-server-end-point:" + bytes(range(1, 33))


def our_client_to_gssapi(
    mech: kerberos.MechOID, client_cb: bytes | None, server_cb: bytes | None
) -> tuple[kerberos.GSSClientContext, gssapi.SecurityContext]:
    acceptor = gssapi_acceptor(SERVICE, server_cb)
    cb = None if client_cb is None else kerberos.channelBindings(application_data=client_cb)
    _, client = kerberos.authGSSClientInit(SERVICE, gssflags=CONF_FLAGS, mech_oid=mech)
    assert kerberos.authGSSClientStep(client, "", channel_bindings=cb) == 0
    reply = acceptor.step(unb64(kerberos.authGSSClientResponse(client)))
    assert acceptor.complete
    assert reply
    assert kerberos.authGSSClientStep(client, b64(reply), channel_bindings=cb) == 1
    assert kerberos.authGSSClientResponse(client) is None
    return client, acceptor


def gssapi_to_our_server(
    mech: gssapi.OID, client_cb: bytes | None, server_cb: bytes | None, service: str = SERVICE
) -> tuple[gssapi.SecurityContext, kerberos.GSSServerContext]:
    initiator = gssapi_initiator(SERVICE, mech, client_cb)
    cb = None if server_cb is None else kerberos.channelBindings(application_data=server_cb)
    _, server = kerberos.authGSSServerInit(service)
    token = initiator.step()
    assert kerberos.authGSSServerStep(server, b64(token), cb) == 1
    reply = kerberos.authGSSServerResponse(server)
    assert reply is not None
    initiator.step(unb64(reply))
    assert initiator.complete
    return initiator, server


@pytest.mark.parametrize("mech", MECHS.keys())
@pytest.mark.parametrize(
    ("client_cb", "server_cb"),
    [(None, None), (CB_A, CB_A), (CB_A, None)],
    ids=["no-bindings", "matching", "client-only"],
)
def test_our_client_gssapi_acceptor(
    realm: Realm, mech: str, client_cb: bytes | None, server_cb: bytes | None
) -> None:
    client, acceptor = our_client_to_gssapi(MECHS[mech][0], client_cb, server_cb)
    assert str(acceptor.initiator_name) == realm.user
    assert acceptor.mech == MECHS["krb5"][1]  # SPNEGO negotiates Kerberos
    assert kerberos.authGSSClientUserName(client) == realm.user


@pytest.mark.parametrize("mech", MECHS.keys())
def test_our_client_different_bindings_rejected_by_gssapi(mech: str) -> None:
    with pytest.raises(gssapi.exceptions.BadChannelBindingsError):
        our_client_to_gssapi(MECHS[mech][0], CB_A, CB_B)


@pytest.mark.parametrize("mech", MECHS.keys())
@pytest.mark.parametrize(
    ("client_cb", "server_cb"),
    [(None, None), (CB_A, CB_A), (CB_A, None)],
    ids=["no-bindings", "matching", "client-only"],
)
def test_gssapi_initiator_our_server(
    realm: Realm, mech: str, client_cb: bytes | None, server_cb: bytes | None
) -> None:
    initiator, server = gssapi_to_our_server(MECHS[mech][1], client_cb, server_cb)
    assert kerberos.authGSSServerUserName(server) == realm.user
    assert kerberos.authGSSServerTargetName(server) is None
    assert str(initiator.target_name) == realm.spn


@pytest.mark.parametrize("mech", MECHS.keys())
def test_gssapi_initiator_any_service_target_name(realm: Realm, mech: str) -> None:
    _, server = gssapi_to_our_server(MECHS[mech][1], None, None, service="")
    assert kerberos.authGSSServerTargetName(server) == realm.spn


@pytest.mark.parametrize("mech", MECHS.keys())
@pytest.mark.parametrize(
    ("client_cb", "server_cb"),
    [(CB_A, CB_B), (None, CB_A)],
    ids=["different", "client-without"],
)
def test_gssapi_initiator_bad_bindings_rejected_by_our_server(
    mech: str, client_cb: bytes | None, server_cb: bytes | None
) -> None:
    with pytest.raises(kerberos.GSSError) as excinfo:
        gssapi_to_our_server(MECHS[mech][1], client_cb, server_cb)
    assert excinfo.value.kind == "BadBindings"


def test_gssapi_initiator_with_address_bindings(realm: Realm) -> None:
    # All five fields of the bindings must match, not only application_data.
    fields = {
        "initiator_address_type": kerberos.GSS_C_AF_INET,
        "initiator_address": b"\x7f\x00\x00\x01",
        "acceptor_address_type": kerberos.GSS_C_AF_INET,
        "acceptor_address": b"\x7f\x00\x00\x02",
        "application_data": b"app",
    }
    initiator = gssapi.SecurityContext(
        name=gssapi.Name(SERVICE, gssapi.NameType.hostbased_service),
        usage="initiate",
        flags=kerberos.GSS_C_MUTUAL_FLAG,
        channel_bindings=gssapi.raw.ChannelBindings(**fields),
    )
    token = initiator.step()
    ours = kerberos.channelBindings(
        initiator_addrtype=kerberos.GSS_C_AF_INET,
        initiator_address=b"\x7f\x00\x00\x01",
        acceptor_addrtype=kerberos.GSS_C_AF_INET,
        acceptor_address=b"\x7f\x00\x00\x02",
        application_data=b"app",
    )
    _, server = kerberos.authGSSServerInit(SERVICE)
    assert kerberos.authGSSServerStep(server, b64(token), ours) == 1
    assert kerberos.authGSSServerUserName(server) == realm.user

    swapped = kerberos.channelBindings(
        initiator_addrtype=kerberos.GSS_C_AF_INET,
        initiator_address=b"\x7f\x00\x00\x02",
        acceptor_addrtype=kerberos.GSS_C_AF_INET,
        acceptor_address=b"\x7f\x00\x00\x01",
        application_data=b"app",
    )
    initiator = gssapi.SecurityContext(
        name=gssapi.Name(SERVICE, gssapi.NameType.hostbased_service),
        usage="initiate",
        flags=kerberos.GSS_C_MUTUAL_FLAG,
        channel_bindings=gssapi.raw.ChannelBindings(**fields),
    )
    _, server = kerberos.authGSSServerInit(SERVICE)
    with pytest.raises(kerberos.GSSError):
        kerberos.authGSSServerStep(server, b64(initiator.step()), swapped)


@pytest.mark.parametrize(
    "value",
    ["tls-unique:é", b"tls-unique:\xc3\xa9", bytearray(b"tls-unique:\xc3\xa9")],
    ids=["str", "bytes", "bytearray"],
)
def test_channel_bindings_value_types(realm: Realm, value: object) -> None:
    # kerberos' channelBindings raised SystemError, pykerberos' LookupError for str; str
    # means its UTF-8 encoding.
    acceptor = gssapi_acceptor(SERVICE, "tls-unique:é".encode())
    cb = kerberos.channelBindings(application_data=value)
    _, client = kerberos.authGSSClientInit(SERVICE, mech_oid=kerberos.GSS_MECH_OID_SPNEGO)
    kerberos.authGSSClientStep(client, "", channel_bindings=cb)
    reply = acceptor.step(unb64(kerberos.authGSSClientResponse(client)))
    assert kerberos.authGSSClientStep(client, b64(reply), channel_bindings=cb) == 1
    assert str(acceptor.initiator_name) == realm.user


@pytest.mark.parametrize("mech", MECHS.keys())
@pytest.mark.parametrize("encrypt", [True, False], ids=["encrypted", "integrity"])
def test_wrap_interop_both_directions(mech: str, encrypt: bool) -> None:
    client, acceptor = client_with_gssapi_acceptor(mech_oid=MECHS[mech][0])
    for i in range(3):
        data = f"client message {i} ".encode() * (i * 100 + 1)
        assert kerberos.authGSSClientWrap(client, b64(data), None, int(encrypt)) == 1
        unwrapped = acceptor.unwrap(unb64(kerberos.authGSSClientResponse(client)))
        assert unwrapped.message == data
        assert unwrapped.encrypted is encrypt

        data = f"server message {i} ".encode() * (i * 100 + 1)
        wrapped = acceptor.wrap(data, encrypt=encrypt)
        assert wrapped.encrypted is encrypt
        assert kerberos.authGSSClientUnwrap(client, b64(wrapped.message)) == 1
        assert unb64(kerberos.authGSSClientResponse(client)) == data
        assert kerberos.authGSSClientResponseConf(client) == int(encrypt)


def test_wrap_interop_large_message() -> None:
    client, acceptor = client_with_gssapi_acceptor()
    data = bytes(range(256)) * 4096  # 1 MiB
    kerberos.authGSSClientWrap(client, b64(data), None, 1)
    assert acceptor.unwrap(unb64(kerberos.authGSSClientResponse(client))).message == data
    kerberos.authGSSClientUnwrap(client, b64(acceptor.wrap(data, encrypt=True).message))
    assert unb64(kerberos.authGSSClientResponse(client)) == data


def test_gssapi_delegation_to_our_server(realm: Realm) -> None:
    flags = gssapi.RequirementFlag
    initiator = gssapi_initiator(
        SERVICE, KRB5_OID, flags=flags.mutual_authentication | flags.delegate_to_peer
    )
    _, server = kerberos.authGSSServerInit(SERVICE)
    assert kerberos.authGSSServerStep(server, b64(initiator.step())) == 1
    assert kerberos.authGSSServerHasDelegated(server) is True
    # Our server's delegated credentials authenticate onward to a python-gssapi acceptor.
    acceptor = gssapi_acceptor("host@localhost")
    _, onward = kerberos.authGSSClientInit("host@localhost", delegated=server)
    kerberos.authGSSClientStep(onward, "")
    acceptor.step(unb64(kerberos.authGSSClientResponse(onward)))
    assert str(acceptor.initiator_name) == realm.user


def test_our_client_delegates_to_gssapi(realm: Realm) -> None:
    flags = kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_DELEG_FLAG
    _, acceptor = client_with_gssapi_acceptor(gssflags=flags)
    assert gssapi.RequirementFlag.delegate_to_peer in acceptor.actual_flags
    delegated = acceptor.delegated_creds
    assert delegated is not None
    assert str(delegated.name) == realm.user
