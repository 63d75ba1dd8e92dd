"""The public surface in use: keywords, positional orders, aliases and flags, each taken
through a handshake with the test realm (tests/test_api_surface.py needs no KDC)."""

from __future__ import annotations

import gssapi
import pytest
import winkerberos as kerberos
from support.helpers import (
    KRB5_OID_DER,
    SERVICE,
    SPNEGO_OID_DER,
    b64,
    client_with_gssapi_acceptor,
    gssapi_acceptor,
    handshake,
    token_mech,
    unb64,
)
from support.realm import Realm

pytestmark = pytest.mark.usefixtures("realm")


def test_username_alias() -> None:
    assert kerberos.authGSSClientUsername is kerberos.authGSSClientUserName
    client, _ = handshake()
    assert kerberos.authGSSClientUsername(client) == kerberos.authGSSClientUserName(client)
    assert kerberos.authGSSClientUsername(client) is not None


def test_context_types() -> None:
    client, server = handshake()
    assert type(client) is kerberos.GSSClientContext
    assert type(server) is kerberos.GSSServerContext
    assert "complete" in repr(client)
    assert type(kerberos.channelBindings()) is kerberos.ChannelBindings


def test_client_init_keywords() -> None:
    result, ctx = kerberos.authGSSClientInit(
        service=SERVICE,
        principal=None,
        gssflags=kerberos.GSS_C_MUTUAL_FLAG,
        user=None,
        domain=None,
        password=None,
        mech_oid=kerberos.GSS_MECH_OID_KRB5,
        delegated=None,
    )
    assert result == kerberos.AUTH_GSS_COMPLETE
    assert kerberos.authGSSClientStep(state=ctx, challenge="", channel_bindings=None) == 0


def test_fourth_positional_argument_of_each_original(realm: Realm) -> None:
    # winkerberos: user; pykerberos: mech_oid; kerberos: delegated. The type decides.
    _, client = kerberos.authGSSClientInit(SERVICE, None, 2, kerberos.GSS_MECH_OID_SPNEGO)
    kerberos.authGSSClientStep(client, "")
    assert token_mech(unb64(kerberos.authGSSClientResponse(client))) == SPNEGO_OID_DER

    _, front = handshake(gssflags=kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_DELEG_FLAG)
    _, onward = kerberos.authGSSClientInit("host@localhost", None, 2, front)
    _, backend = kerberos.authGSSServerInit("host@localhost")
    kerberos.authGSSClientStep(onward, "")
    assert kerberos.authGSSServerStep(backend, kerberos.authGSSClientResponse(onward)) == 1
    assert kerberos.authGSSServerUserName(backend) == realm.user

    _, client = kerberos.authGSSClientInit(SERVICE, None, 2, "bob", realm.realm, realm.bob_password)
    _, server = kerberos.authGSSServerInit(SERVICE)
    kerberos.authGSSClientStep(client, "")
    assert kerberos.authGSSServerStep(server, kerberos.authGSSClientResponse(client)) == 1
    assert kerberos.authGSSServerUserName(server) == realm.bob


def test_none_is_accepted_for_every_optional_argument() -> None:
    # pykerberos raised TypeError for mech_oid=None and channel_bindings=None; ldap3 (on
    # winkerberos) passes channel_bindings=None.
    _, client = kerberos.authGSSClientInit(
        SERVICE, principal=None, user=None, domain=None, password=None, mech_oid=None
    )
    assert kerberos.authGSSClientStep(client, "", None) == 0
    token = kerberos.authGSSClientResponse(client)
    assert token_mech(unb64(token)) == KRB5_OID_DER
    _, server = kerberos.authGSSServerInit(SERVICE)
    assert kerberos.authGSSServerStep(server, token, None) == 1
    reply = kerberos.authGSSServerResponse(server)
    assert kerberos.authGSSClientStep(client, reply, channel_bindings=None) == 1
    assert kerberos.channelBindings(0, None, 0, None, None) is not None


def test_wrap_takes_user_and_protect_positionally() -> None:
    # pure-sasl: authGSSClientWrap(ctx, data, None, protect)
    client, acceptor = client_with_gssapi_acceptor()
    assert kerberos.authGSSClientWrap(client, b64(b"secret"), None, 1) == 1
    unwrapped = acceptor.unwrap(unb64(kerberos.authGSSClientResponse(client)))
    assert (unwrapped.message, unwrapped.encrypted) == (b"secret", True)


def _requested_flags(gssflags: int) -> gssapi.RequirementFlag:
    """The flags a python-gssapi acceptor sees when our client asks for ``gssflags``."""
    _, acceptor = client_with_gssapi_acceptor(acceptor=gssapi_acceptor(), gssflags=gssflags)
    return acceptor.actual_flags


def test_gssflags_reach_the_peer() -> None:
    flag = gssapi.RequirementFlag
    default = _requested_flags(
        kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_SEQUENCE_FLAG | kerberos.GSS_C_REPLAY_FLAG
    )
    assert flag.mutual_authentication in default
    assert flag.out_of_sequence_detection in default
    assert flag.replay_detection in default
    mutual_only = _requested_flags(kerberos.GSS_C_MUTUAL_FLAG)
    assert flag.out_of_sequence_detection not in mutual_only
    assert flag.replay_detection not in mutual_only


def test_default_gssflags_are_mutual_and_sequence() -> None:
    flag = gssapi.RequirementFlag
    _, acceptor = client_with_gssapi_acceptor(acceptor=gssapi_acceptor(), gssflags=10)
    explicit = acceptor.actual_flags
    acceptor = gssapi_acceptor()
    _, ctx = kerberos.authGSSClientInit(SERVICE)
    kerberos.authGSSClientStep(ctx, "")
    acceptor.step(unb64(kerberos.authGSSClientResponse(ctx)))
    assert acceptor.actual_flags == explicit
    assert flag.mutual_authentication in explicit
    assert flag.out_of_sequence_detection in explicit


@pytest.mark.parametrize("integ", [32, 65536], ids=["unix-32", "sspi-65536"])
def test_both_integrity_flag_values_mean_integrity(integ: int) -> None:
    # ldap3's flags on Windows: MUTUAL | SEQUENCE | INTEG (65536) | CONF.
    gssflags = (
        kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_SEQUENCE_FLAG | integ | kerberos.GSS_C_CONF_FLAG
    )
    client, acceptor = client_with_gssapi_acceptor(gssflags=gssflags)
    assert gssapi.RequirementFlag.integrity in acceptor.actual_flags
    assert kerberos.authGSSClientWrap(client, b64(b"signed"), None, 0) == 1
    unwrapped = acceptor.unwrap(unb64(kerberos.authGSSClientResponse(client)))
    assert (unwrapped.message, unwrapped.encrypted) == (b"signed", False)


def test_tokens_are_str_in_standard_base64() -> None:
    _, ctx = kerberos.authGSSClientInit(SERVICE)
    kerberos.authGSSClientStep(ctx, "")
    token = kerberos.authGSSClientResponse(ctx)
    assert isinstance(token, str)
    assert "\n" not in token
    assert len(token) % 4 == 0
    assert unb64(token)[:1] == b"\x60"  # an RFC 2743 InitialContextToken
