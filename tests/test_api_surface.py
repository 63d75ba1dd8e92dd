"""The module's public surface: names, constants, exceptions, keywords and aliases."""

from __future__ import annotations

import sys

import gssapi
import pytest
import winkerberos as kerberos
from helpers import (
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
from realm import Realm

FUNCTIONS = [
    "authGSSClientInit",
    "authGSSClientStep",
    "authGSSClientResponse",
    "authGSSClientResponseConf",
    "authGSSClientUserName",
    "authGSSClientUsername",
    "authGSSClientUnwrap",
    "authGSSClientWrap",
    "authGSSClientClean",
    "authGSSClientInquireCred",
    "channelBindings",
    "authGSSServerInit",
    "authGSSServerStep",
    "authGSSServerResponse",
    "authGSSServerUserName",
    "authGSSServerTargetName",
    "authGSSServerClean",
    "authGSSServerHasDelegated",
    "authGSSServerStoreDelegate",
    "authGSSServerCacheName",
    "checkPassword",
    "changePassword",
    "getServerPrincipalDetails",
    # pykerberos built with GSSAPI_EXT; pywinrm probes with hasattr().
    "authGSSClientWrapIov",
    "authGSSClientUnwrapIov",
    "authGSSWinRMEncryptMessage",
    "authGSSWinRMDecryptMessage",
    # Additions: the originals had no server-side wrap.
    "authGSSServerWrap",
    "authGSSServerUnwrap",
    "authGSSServerResponseConf",
]

FLAGS = {
    "GSS_C_DELEG_FLAG": 1,
    "GSS_C_MUTUAL_FLAG": 2,
    "GSS_C_REPLAY_FLAG": 4,
    "GSS_C_SEQUENCE_FLAG": 8,
    "GSS_C_CONF_FLAG": 16,
    # Each original's own value: pykerberos/kerberos 32, winkerberos (SSPI) 65536.
    "GSS_C_INTEG_FLAG": 65536 if sys.platform == "win32" else 32,
    "GSS_C_ANON_FLAG": 64,
    "GSS_C_PROT_READY_FLAG": 128,
    "GSS_C_TRANS_FLAG": 256,
}

ADDRESS_TYPES = {
    "GSS_C_AF_UNSPEC": 0,
    "GSS_C_AF_LOCAL": 1,
    "GSS_C_AF_INET": 2,
    "GSS_C_AF_IMPLINK": 3,
    "GSS_C_AF_PUP": 4,
    "GSS_C_AF_CHAOS": 5,
    "GSS_C_AF_NS": 6,
    "GSS_C_AF_NBS": 7,
    "GSS_C_AF_ECMA": 8,
    "GSS_C_AF_DATAKIT": 9,
    "GSS_C_AF_CCITT": 10,
    "GSS_C_AF_SNA": 11,
    "GSS_C_AF_DECnet": 12,
    "GSS_C_AF_DLI": 13,
    "GSS_C_AF_LAT": 14,
    "GSS_C_AF_HYLINK": 15,
    "GSS_C_AF_APPLETALK": 16,
    "GSS_C_AF_BSC": 17,
    "GSS_C_AF_DSS": 18,
    "GSS_C_AF_OSI": 19,
    "GSS_C_AF_X25": 21,
    "GSS_C_AF_NULLADDR": 255,
}

EXCEPTIONS = ["KrbError", "GSSError", "BasicAuthError", "PwdChangeError"]


def test_all_names_exist_and_star_import_works() -> None:
    for name in kerberos.__all__:
        assert hasattr(kerberos, name), name
    namespace: dict[str, object] = {}
    exec("from winkerberos import *", namespace)
    assert set(kerberos.__all__) <= set(namespace)


def test_union_api_is_exported() -> None:
    expected = {
        *FUNCTIONS,
        *FLAGS,
        *ADDRESS_TYPES,
        *EXCEPTIONS,
        "AUTH_GSS_COMPLETE",
        "AUTH_GSS_CONTINUE",
        "GSS_MECH_OID_KRB5",
        "GSS_MECH_OID_SPNEGO",
        "__version__",
    }
    assert expected <= set(kerberos.__all__)
    for name in FUNCTIONS:
        assert callable(getattr(kerberos, name)), name


def test_every_exported_function_is_a_builtin() -> None:
    for name in kerberos.__all__:
        if name.startswith(("authGSS", "channelBindings", "checkPassword", "changePassword")):
            assert type(getattr(kerberos, name)).__name__ == "builtin_function_or_method", name


def test_return_code_constants() -> None:
    assert kerberos.AUTH_GSS_COMPLETE == 1
    assert kerberos.AUTH_GSS_CONTINUE == 0


@pytest.mark.parametrize(("name", "value"), FLAGS.items())
def test_flag_constants(name: str, value: int) -> None:
    assert getattr(kerberos, name) == value
    assert type(getattr(kerberos, name)) is int


@pytest.mark.parametrize(("name", "value"), ADDRESS_TYPES.items())
def test_address_type_constants(name: str, value: int) -> None:
    assert getattr(kerberos, name) == value


def test_mechanism_constants() -> None:
    krb5, spnego = kerberos.GSS_MECH_OID_KRB5, kerberos.GSS_MECH_OID_SPNEGO
    assert isinstance(krb5, kerberos.MechOID)
    assert isinstance(spnego, kerberos.MechOID)
    assert krb5 is not spnego
    assert "1.2.840.113554.1.2.2" in repr(krb5)
    assert "1.3.6.1.5.5.2" in repr(spnego)


@pytest.mark.parametrize("name", ["GSSError", "BasicAuthError", "PwdChangeError"])
def test_exception_hierarchy(name: str) -> None:
    cls = getattr(kerberos, name)
    assert issubclass(cls, kerberos.KrbError)
    assert issubclass(kerberos.KrbError, Exception)
    assert isinstance(cls(), kerberos.KrbError)


@pytest.mark.parametrize("name", EXCEPTIONS)
def test_exceptions_construct_without_arguments(name: str) -> None:
    cls = getattr(kerberos, name)
    assert str(cls()) == ""
    assert cls().args == ()
    assert str(cls("boom")) == "boom"
    pair = (("major text", 851968), ("minor text", -1765328377))
    assert cls(*pair).args == pair
    assert "minor text" in str(cls(*pair))
    with pytest.raises(kerberos.KrbError):
        raise cls("raised")


def test_version_parses_the_way_pymongo_does() -> None:
    version = kerberos.__version__
    assert isinstance(version, str)
    assert tuple(map(int, version.split(".")[:2])) >= (0, 5)


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


def test_client_init_positional_order_is_winkerberos() -> None:
    # (service, principal, gssflags, user, domain, password, mech_oid)
    result, _ = kerberos.authGSSClientInit(
        SERVICE, None, kerberos.GSS_C_MUTUAL_FLAG, None, None, None, kerberos.GSS_MECH_OID_KRB5
    )
    assert result == kerberos.AUTH_GSS_COMPLETE


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


def test_channel_bindings_keywords() -> None:
    cb = kerberos.channelBindings(
        initiator_addrtype=kerberos.GSS_C_AF_INET,
        initiator_address=b"\x7f\x00\x00\x01",
        acceptor_addrtype=kerberos.GSS_C_AF_INET,
        acceptor_address=b"\x7f\x00\x00\x01",
        application_data=b"tls-server-end-point:" + bytes(32),
    )
    assert "application_data=53B" in repr(cb)
    # Positional, in the same order; str values are UTF-8.
    cb = kerberos.channelBindings(0, None, 0, None, "tls-unique:é")
    assert "application_data=13B" in repr(cb)


@pytest.mark.parametrize(
    ("function", "kwargs"),
    [
        (kerberos.authGSSClientInit, {"service": SERVICE, "bogus": 1}),
        (kerberos.authGSSClientInit, {"service": SERVICE, "flags": 2}),
        (kerberos.channelBindings, {"app_data": b"x"}),
        (kerberos.authGSSServerInit, {"service": SERVICE, "keytab": "x"}),
    ],
)
def test_unknown_keyword_is_type_error(function, kwargs) -> None:
    with pytest.raises(TypeError, match="keyword"):
        function(**kwargs)


def test_unknown_step_keyword_is_type_error() -> None:
    _, ctx = kerberos.authGSSClientInit(SERVICE)
    with pytest.raises(TypeError, match="keyword"):
        kerberos.authGSSClientStep(ctx, "", channelbindings=None)
    with pytest.raises(TypeError, match="keyword"):
        kerberos.authGSSClientStep(context=ctx, challenge="")


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
