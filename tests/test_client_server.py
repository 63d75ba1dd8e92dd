"""Client and server contexts of this module against each other, in one process.

Some tests use python-gssapi as the acceptor instead, so that what the client sends is
checked by an independent implementation.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
import winkerberos as kerberos
from support.helpers import (
    CONF_FLAGS,
    KRB5_OID_DER,
    MUTUAL,
    SASL_OFFER,
    SERVICE,
    SPNEGO_OID_DER,
    b64,
    client_with_gssapi_acceptor,
    handshake,
    token_mech,
    unb64,
)
from support.realm import Realm

pytestmark = pytest.mark.usefixtures("realm")

MECHS = {"krb5": kerberos.GSS_MECH_OID_KRB5, "spnego": kerberos.GSS_MECH_OID_SPNEGO}


@pytest.mark.parametrize("mech", MECHS.values(), ids=MECHS.keys())
def test_handshake_return_codes_names_and_responses(realm: Realm, mech) -> None:
    result, client = kerberos.authGSSClientInit(SERVICE, gssflags=MUTUAL, mech_oid=mech)
    assert result == kerberos.AUTH_GSS_COMPLETE
    result, server = kerberos.authGSSServerInit(SERVICE)
    assert result == kerberos.AUTH_GSS_COMPLETE

    assert kerberos.authGSSClientResponse(client) is None
    assert kerberos.authGSSClientUserName(client) is None
    assert kerberos.authGSSClientResponseConf(client) == 0
    assert kerberos.authGSSServerResponse(server) is None
    assert kerberos.authGSSServerUserName(server) is None

    assert kerberos.authGSSClientStep(client, "") == kerberos.AUTH_GSS_CONTINUE
    token = kerberos.authGSSClientResponse(client)
    assert isinstance(token, str)
    oid = SPNEGO_OID_DER if mech is kerberos.GSS_MECH_OID_SPNEGO else KRB5_OID_DER
    assert token_mech(unb64(token)) == oid
    assert kerberos.authGSSClientUserName(client) is None

    assert kerberos.authGSSServerStep(server, token) == kerberos.AUTH_GSS_COMPLETE
    assert kerberos.authGSSServerUserName(server) == realm.user
    assert kerberos.authGSSServerTargetName(server) is None
    reply = kerberos.authGSSServerResponse(server)
    assert isinstance(reply, str)

    assert kerberos.authGSSClientStep(client, reply) == kerberos.AUTH_GSS_COMPLETE
    assert kerberos.authGSSClientResponse(client) is None
    assert kerberos.authGSSClientUserName(client) == realm.user
    # Getters are stable.
    assert kerberos.authGSSClientUserName(client) == realm.user
    assert kerberos.authGSSServerUserName(server) == realm.user


def der(tag: int, content: bytes) -> bytes:
    """One DER TLV."""
    if len(content) < 0x80:
        length = bytes([len(content)])
    else:
        octets = len(content).to_bytes((len(content).bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(octets)]) + octets
    return bytes([tag]) + length + content


def der_fields(data: bytes) -> dict[int, bytes]:
    """The TLVs of a DER sequence's content, by tag."""
    fields, pos = {}, 0
    while pos < len(data):
        tag, length, pos = data[pos], data[pos + 1], pos + 2
        if length & 0x80:
            octets = length & 0x7F
            length, pos = int.from_bytes(data[pos : pos + octets], "big"), pos + octets
        fields[tag] = data[pos : pos + length]
        pos += length
    return fields


def test_spnego_server_continues_when_another_leg_is_needed(realm: Realm) -> None:
    # A NegTokenInit that proposes Kerberos without an optimistic token: the acceptor must
    # answer "accept-incomplete" and return AUTH_GSS_CONTINUE (pykerberos returned 1).
    neg_token_init = der(
        0x60, SPNEGO_OID_DER + der(0xA0, der(0x30, der(0xA0, der(0x30, KRB5_OID_DER))))
    )
    _, server = kerberos.authGSSServerInit(SERVICE)
    assert kerberos.authGSSServerStep(server, b64(neg_token_init)) == kerberos.AUTH_GSS_CONTINUE
    assert kerberos.authGSSServerUserName(server) is None
    reply = der_fields(der_fields(unb64(kerberos.authGSSServerResponse(server)))[0xA1])
    reply = der_fields(reply[0x30])
    assert reply[0xA0] == der(0x0A, b"\x01")  # negState accept-incomplete
    assert reply[0xA1] == KRB5_OID_DER  # supportedMech

    # Second leg: a NegTokenResp carrying the Kerberos AP-REQ of one of our clients.
    _, client = kerberos.authGSSClientInit(SERVICE, mech_oid=kerberos.GSS_MECH_OID_KRB5)
    assert kerberos.authGSSClientStep(client, "") == kerberos.AUTH_GSS_CONTINUE
    ap_req = unb64(kerberos.authGSSClientResponse(client))
    neg_token_resp = der(0xA1, der(0x30, der(0xA2, der(0x04, ap_req))))
    assert kerberos.authGSSServerStep(server, b64(neg_token_resp)) == kerberos.AUTH_GSS_COMPLETE
    assert kerberos.authGSSServerUserName(server) == realm.user
    reply = der_fields(der_fields(unb64(kerberos.authGSSServerResponse(server)))[0xA1])
    reply = der_fields(reply[0x30])
    assert reply[0xA0] == der(0x0A, b"\x00")  # accept-completed
    ap_rep = der_fields(reply[0xA2])[0x04]
    assert kerberos.authGSSClientStep(client, b64(ap_rep)) == kerberos.AUTH_GSS_COMPLETE


def test_without_mutual_auth_first_step_completes(realm: Realm) -> None:
    _, client = kerberos.authGSSClientInit(SERVICE, gssflags=0)
    assert kerberos.authGSSClientStep(client, "") == kerberos.AUTH_GSS_COMPLETE
    token = kerberos.authGSSClientResponse(client)
    assert token  # the AP-REQ is still produced
    assert kerberos.authGSSClientUserName(client) == realm.user
    _, server = kerberos.authGSSServerInit(SERVICE)
    assert kerberos.authGSSServerStep(server, token) == kerberos.AUTH_GSS_COMPLETE
    assert kerberos.authGSSServerResponse(server) is None  # no mutual-auth reply
    assert kerberos.authGSSServerUserName(server) == realm.user


def test_mech_oid_none_means_kerberos() -> None:
    # kerberos 1.3.1 ignored None; pykerberos raised TypeError. None selects Kerberos.
    _, client = kerberos.authGSSClientInit(SERVICE, mech_oid=None)
    kerberos.authGSSClientStep(client, "")
    assert token_mech(unb64(kerberos.authGSSClientResponse(client))) == KRB5_OID_DER
    client, _ = handshake(mech_oid=None)
    assert kerberos.authGSSClientUserName(client) is not None


def test_server_with_empty_service_reports_the_target(realm: Realm) -> None:
    for service, spn in [(SERVICE, realm.spn), ("host@localhost", f"host/localhost@{realm.realm}")]:
        _, server = kerberos.authGSSServerInit("")
        assert kerberos.authGSSServerTargetName(server) is None
        _, client = kerberos.authGSSClientInit(service)
        kerberos.authGSSClientStep(client, "")
        token = kerberos.authGSSClientResponse(client)
        assert kerberos.authGSSServerStep(server, token) == kerberos.AUTH_GSS_COMPLETE
        assert kerberos.authGSSServerTargetName(server) == spn
        assert kerberos.authGSSServerUserName(server) == realm.user


@pytest.mark.parametrize(
    "service",
    [
        "HTTP@localhost",
        "HTTP/localhost",
        "HTTP/localhost@WKTEST.LOCAL",
        "HTTP@localhost@WKTEST.LOCAL",  # pymongo with SERVICE_REALM
    ],
)
def test_service_name_forms(realm: Realm, service: str) -> None:
    _, server = handshake(service, server_service=SERVICE)
    assert kerberos.authGSSServerUserName(server) == realm.user


def test_server_service_forms(realm: Realm) -> None:
    for server_service in ["HTTP@localhost", "HTTP", "DELEGATE"]:
        _, server = handshake(SERVICE, server_service=server_service)
        assert kerberos.authGSSServerUserName(server) == realm.user


def test_inquire_cred_sets_username_before_stepping(realm: Realm) -> None:
    _, client = kerberos.authGSSClientInit(SERVICE)
    assert kerberos.authGSSClientUserName(client) is None
    assert kerberos.authGSSClientInquireCred(client) == 1
    assert kerberos.authGSSClientUserName(client) == realm.user
    # The context still authenticates afterwards.
    _, server = kerberos.authGSSServerInit(SERVICE)
    kerberos.authGSSClientStep(client, "")
    kerberos.authGSSServerStep(server, kerberos.authGSSClientResponse(client))
    assert kerberos.authGSSClientStep(client, kerberos.authGSSServerResponse(server)) == 1


def test_inquire_cred_reports_password_user(realm: Realm) -> None:
    _, client = kerberos.authGSSClientInit(SERVICE, f"{realm.bob}:{quote(realm.bob_password)}")
    assert kerberos.authGSSClientInquireCred(client) == 1
    assert kerberos.authGSSClientUserName(client) == realm.bob


def test_clean_is_a_no_op_with_any_arguments() -> None:
    _, client = kerberos.authGSSClientInit(SERVICE)
    _, server = kerberos.authGSSServerInit(SERVICE)
    for clean in (kerberos.authGSSClientClean, kerberos.authGSSServerClean):
        assert clean() == 1
        assert clean(client) == 1
        assert clean(server) == 1
        assert clean(None) == 1
        assert clean(1, "two", b"3", object()) == 1
    # Both contexts remain fully usable after Clean.
    assert kerberos.authGSSClientStep(client, "") == 0
    assert kerberos.authGSSClientClean(client) == 1
    assert kerberos.authGSSServerStep(server, kerberos.authGSSClientResponse(client)) == 1
    assert kerberos.authGSSServerClean(server) == 1
    assert kerberos.authGSSClientStep(client, kerberos.authGSSServerResponse(server)) == 1
    assert kerberos.authGSSClientClean(client) == 1
    assert kerberos.authGSSClientUserName(client) is not None
    assert kerberos.authGSSServerUserName(server) is not None


def test_clean_keeps_wrap_usable() -> None:
    client, acceptor = client_with_gssapi_acceptor()
    kerberos.authGSSClientClean(client)
    kerberos.authGSSClientWrap(client, b64(b"after clean"))
    assert acceptor.unwrap(unb64(kerberos.authGSSClientResponse(client))).message == (
        b"after clean"
    )


# --------------------------------------------------------------------------------------------
# wrap / unwrap


def test_response_conf_and_unwrap() -> None:
    client, acceptor = client_with_gssapi_acceptor()
    assert kerberos.authGSSClientResponseConf(client) == 0

    sealed = acceptor.wrap(b"encrypted message", encrypt=True)
    assert sealed.encrypted
    assert kerberos.authGSSClientUnwrap(client, b64(sealed.message)) == 1
    assert unb64(kerberos.authGSSClientResponse(client)) == b"encrypted message"
    assert kerberos.authGSSClientResponseConf(client) == 1

    signed = acceptor.wrap(b"signed message", encrypt=False)
    assert kerberos.authGSSClientUnwrap(client, b64(signed.message)) == 1
    assert unb64(kerberos.authGSSClientResponse(client)) == b"signed message"
    assert kerberos.authGSSClientResponseConf(client) == 0


@pytest.mark.parametrize("protect", [0, 1])
def test_wrap_protect(protect: int) -> None:
    client, acceptor = client_with_gssapi_acceptor()
    data = bytes(range(256)) * 3
    assert kerberos.authGSSClientWrap(client, b64(data), protect=protect) == 1
    response = kerberos.authGSSClientResponse(client)
    assert isinstance(response, str)
    unwrapped = acceptor.unwrap(unb64(response))
    assert unwrapped.message == data
    assert unwrapped.encrypted is bool(protect)
    if protect == 0:
        assert data in unb64(response)  # integrity only: the plaintext is visible


def test_wrap_empty_message() -> None:
    client, acceptor = client_with_gssapi_acceptor()
    assert kerberos.authGSSClientWrap(client, "") == 1
    assert acceptor.unwrap(unb64(kerberos.authGSSClientResponse(client))).message == b""


def test_unwrap_empty_message_yields_empty_response() -> None:
    client, acceptor = client_with_gssapi_acceptor()
    assert kerberos.authGSSClientUnwrap(client, b64(acceptor.wrap(b"", False).message)) == 1
    assert kerberos.authGSSClientResponse(client) == ""


def test_rfc4752_security_layer_reply(realm: Realm) -> None:
    # pymongo: unwrap the server's offer, then Wrap(ctx, Response(ctx), username).
    client, acceptor = client_with_gssapi_acceptor(gssflags=MUTUAL)
    offer = acceptor.wrap(SASL_OFFER, encrypt=False).message
    assert kerberos.authGSSClientUnwrap(client, b64(offer)) == 1
    response = kerberos.authGSSClientResponse(client)
    assert unb64(response) == SASL_OFFER
    assert kerberos.authGSSClientWrap(client, response, realm.user) == 1
    reply = acceptor.unwrap(unb64(kerberos.authGSSClientResponse(client)))
    assert reply.message == b"\x01\x00\x00\x00" + realm.user.encode()
    assert reply.encrypted is False


def test_rfc4752_reply_encodes_user_as_utf8() -> None:
    client, acceptor = client_with_gssapi_acceptor()
    assert kerberos.authGSSClientWrap(client, b64(b"\x01\x00\x10\x00"), "hélène") == 1
    reply = acceptor.unwrap(unb64(kerberos.authGSSClientResponse(client)))
    assert reply.message == b"\x01\x00\x00\x00h\xc3\xa9l\xc3\xa8ne"


@pytest.mark.parametrize("data", [b"", b"\x07"], ids=["empty", "one-byte"])
def test_rfc4752_reply_with_short_data_never_crashes(realm: Realm, data: bytes) -> None:
    # pykerberos segfaulted on "" and over-read on < 4 bytes; winkerberos ignored data.
    client, acceptor = client_with_gssapi_acceptor()
    assert kerberos.authGSSClientWrap(client, b64(data), realm.user) == 1
    reply = acceptor.unwrap(unb64(kerberos.authGSSClientResponse(client)))
    assert reply.message == b"\x01\x00\x00\x00" + realm.user.encode()


def test_rfc4752_reply_refuses_an_offer_without_the_no_layer_bit(realm: Realm) -> None:
    client, _ = client_with_gssapi_acceptor()
    offer = b"\x06\x00\xff\xff"  # integrity or confidentiality only
    with pytest.raises(kerberos.GSSError) as excinfo:
        kerberos.authGSSClientWrap(client, b64(offer), realm.user)
    assert "security layer" in str(excinfo.value)
    assert kerberos.authGSSClientResponse(client) is None


@pytest.mark.parametrize("protect", [0, 1])
def test_wrap_and_unwrap_between_our_client_and_server(protect: int) -> None:
    client, server = handshake(gssflags=CONF_FLAGS)
    assert kerberos.authGSSServerResponseConf(server) == 0
    for i in range(3):
        data = f"request {i}".encode()
        assert kerberos.authGSSClientWrap(client, b64(data), None, protect) == 1
        assert kerberos.authGSSServerUnwrap(server, kerberos.authGSSClientResponse(client)) == 1
        assert unb64(kerberos.authGSSServerResponse(server)) == data
        assert kerberos.authGSSServerResponseConf(server) == protect

        data = f"reply {i}".encode()
        assert kerberos.authGSSServerWrap(server, b64(data), protect) == 1
        assert kerberos.authGSSClientUnwrap(client, kerberos.authGSSServerResponse(server)) == 1
        assert unb64(kerberos.authGSSClientResponse(client)) == data
        assert kerberos.authGSSClientResponseConf(client) == protect


def test_rfc4752_exchange_with_our_server(realm: Realm) -> None:
    client, server = handshake("mongodb@localhost", gssflags=MUTUAL)
    assert kerberos.authGSSServerWrap(server, b64(SASL_OFFER)) == 1
    assert kerberos.authGSSClientUnwrap(client, kerberos.authGSSServerResponse(server)) == 1
    assert kerberos.authGSSClientResponseConf(client) == 0
    assert kerberos.authGSSClientWrap(client, kerberos.authGSSClientResponse(client), realm.user)
    assert kerberos.authGSSServerUnwrap(server, kerberos.authGSSClientResponse(client)) == 1
    reply = unb64(kerberos.authGSSServerResponse(server))
    assert reply == b"\x01\x00\x00\x00" + realm.user.encode()
    assert kerberos.authGSSServerResponseConf(server) == 0


# --------------------------------------------------------------------------------------------
# credentials

PASSWORD_TYPES = {
    "str": lambda s: s,
    "bytes": lambda s: s.encode(),
    "bytearray": lambda s: bytearray(s.encode()),
    "memoryview": lambda s: memoryview(s.encode()),
}


@pytest.mark.parametrize("kind", PASSWORD_TYPES.keys())
def test_password_via_user_domain_password(realm: Realm, kind: str) -> None:
    # Raw (not percent-encoded) password with ' ', '@', ':', '%', '/', 'ü', '+'.
    user, domain = realm.carol.split("@")
    password = PASSWORD_TYPES[kind](realm.carol_password)
    client, server = handshake(user=user, domain=domain, password=password)
    assert kerberos.authGSSServerUserName(server) == realm.carol
    assert kerberos.authGSSClientUserName(client) == realm.carol


def test_user_without_domain_uses_default_realm(realm: Realm) -> None:
    _, server = handshake(user="bob", password=realm.bob_password)
    assert kerberos.authGSSServerUserName(server) == realm.bob


@pytest.mark.parametrize("kind", PASSWORD_TYPES.keys())
def test_password_via_principal(realm: Realm, kind: str) -> None:
    # winkerberos/pymongo form: quote(user) + ":" + quote(password).
    principal = PASSWORD_TYPES[kind](f"{quote(realm.carol)}:{quote(realm.carol_password)}")
    client, server = handshake(principal=principal)
    assert kerberos.authGSSServerUserName(server) == realm.carol
    assert kerberos.authGSSClientUserName(client) == realm.carol


@pytest.mark.parametrize("kind", PASSWORD_TYPES.keys())
def test_password_keyword_with_principal(realm: Realm, kind: str) -> None:
    password = PASSWORD_TYPES[kind](realm.carol_password)
    _, server = handshake(principal=realm.carol, password=password)
    assert kerberos.authGSSServerUserName(server) == realm.carol


# MIT's SPNEGO ignores a credential acquired for Kerberos only and falls back to the default
# ticket cache (alice's); credentials must be acquired for the mechanism used.
CRED_MECHS = [
    pytest.param(kerberos.GSS_MECH_OID_KRB5, id="krb5"),
    pytest.param(kerberos.GSS_MECH_OID_SPNEGO, id="spnego"),
]


@pytest.mark.parametrize("mech", CRED_MECHS)
@pytest.mark.parametrize("form", ["principal", "user"])
def test_password_credentials_with_each_mechanism(realm: Realm, mech, form: str) -> None:
    # alice's TGT is in the default ccache: authenticating as her would be a silent mix-up.
    kwargs = (
        {"principal": f"{realm.bob}:{quote(realm.bob_password)}"}
        if form == "principal"
        else {"user": "bob", "domain": realm.realm, "password": realm.bob_password}
    )
    client, server = handshake(mech_oid=mech, **kwargs)
    assert kerberos.authGSSServerUserName(server) == realm.bob
    assert kerberos.authGSSClientUserName(client) == realm.bob


@pytest.mark.parametrize("mech", CRED_MECHS)
def test_delegated_credentials_with_each_mechanism(realm: Realm, mech) -> None:
    flags = kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_DELEG_FLAG
    _, front = handshake(principal=f"{realm.bob}:{realm.bob_password}", gssflags=flags)
    assert kerberos.authGSSServerUserName(front) == realm.bob
    assert kerberos.authGSSServerHasDelegated(front) is True
    # The front service's own default credentials are alice's: the onward call must be bob.
    _, backend = handshake("host@localhost", delegated=front, mech_oid=mech)
    assert kerberos.authGSSServerUserName(backend) == realm.bob


def test_user_wins_over_principal(realm: Realm) -> None:
    # winkerberos: with user given, principal is ignored.
    _, server = handshake(principal=realm.user, user="bob", password=realm.bob_password)
    assert kerberos.authGSSServerUserName(server) == realm.bob


def test_principal_selects_from_the_ccache(realm: Realm) -> None:
    for principal in (realm.user, realm.user.encode(), ""):
        client, server = handshake(principal=principal)
        assert kerberos.authGSSServerUserName(server) == realm.user
        assert kerberos.authGSSClientUserName(client) == realm.user


def test_principal_not_in_the_ccache_fails_at_init(realm: Realm) -> None:
    with pytest.raises(kerberos.GSSError) as excinfo:
        kerberos.authGSSClientInit(SERVICE, realm.bob)
    major, minor = excinfo.value.args
    assert major[1] == 458752  # GSS_S_NO_CRED
    assert realm.bob in minor[0]
    assert excinfo.value.kind == "NoCredentials"


# --------------------------------------------------------------------------------------------
# delegation


def test_delegated_credentials_reach_a_second_service(realm: Realm) -> None:
    flags = kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_DELEG_FLAG
    _, front = handshake(gssflags=flags)
    assert kerberos.authGSSServerHasDelegated(front) is True

    # The front service now authenticates onward as alice.
    result, onward = kerberos.authGSSClientInit("host@localhost", delegated=front)
    assert result == kerberos.AUTH_GSS_COMPLETE
    _, backend = kerberos.authGSSServerInit("host@localhost")
    assert kerberos.authGSSClientStep(onward, "") == 0
    assert kerberos.authGSSServerStep(backend, kerberos.authGSSClientResponse(onward)) == 1
    assert kerberos.authGSSClientStep(onward, kerberos.authGSSServerResponse(backend)) == 1
    assert kerberos.authGSSServerUserName(backend) == realm.user
    assert kerberos.authGSSClientUserName(onward) == realm.user

    # kerberos' 4th positional argument was `delegated`.
    _, again = kerberos.authGSSClientInit("host@localhost", None, MUTUAL, front)
    _, backend = kerberos.authGSSServerInit("host@localhost")
    kerberos.authGSSClientStep(again, "")
    assert kerberos.authGSSServerStep(backend, kerberos.authGSSClientResponse(again)) == 1
    assert kerberos.authGSSServerUserName(backend) == realm.user


def test_without_delegation_nothing_is_delegated() -> None:
    _, server = handshake(gssflags=MUTUAL)
    assert kerberos.authGSSServerHasDelegated(server) is False
    with pytest.raises(kerberos.GSSError, match="delegat"):
        kerberos.authGSSClientInit("host@localhost", delegated=server)
    # Before any step there is nothing delegated either.
    _, fresh = kerberos.authGSSServerInit(SERVICE)
    assert kerberos.authGSSServerHasDelegated(fresh) is False


def test_channel_bindings_none_is_no_bindings() -> None:
    # winkerberos >= 0.9 (and ldap3) pass channel_bindings=None when not on TLS.
    _, client = kerberos.authGSSClientInit(SERVICE)
    _, server = kerberos.authGSSServerInit(SERVICE)
    assert kerberos.authGSSClientStep(client, "", channel_bindings=None) == 0
    token = kerberos.authGSSClientResponse(client)
    assert kerberos.authGSSServerStep(server, token, None) == 1
    reply = kerberos.authGSSServerResponse(server)
    assert kerberos.authGSSClientStep(client, reply, channel_bindings=None) == 1


def test_tokens_as_ascii_bytes_are_accepted() -> None:
    _, client = kerberos.authGSSClientInit(SERVICE)
    _, server = kerberos.authGSSServerInit(SERVICE)
    kerberos.authGSSClientStep(client, b"")
    token = kerberos.authGSSClientResponse(client)
    assert kerberos.authGSSServerStep(server, token.encode()) == 1
    reply = kerberos.authGSSServerResponse(server)
    assert kerberos.authGSSClientStep(client, reply.encode()) == 1
