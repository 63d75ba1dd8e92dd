"""The module's public surface: names, constants, exceptions, keywords and aliases."""

from __future__ import annotations

import sys

import pytest
import winkerberos as kerberos
from support.helpers import (
    SERVICE,
)

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


def test_client_init_positional_order_is_winkerberos() -> None:
    # (service, principal, gssflags, user, domain, password, mech_oid)
    result, _ = kerberos.authGSSClientInit(
        SERVICE, None, kerberos.GSS_C_MUTUAL_FLAG, None, None, None, kerberos.GSS_MECH_OID_KRB5
    )
    assert result == kerberos.AUTH_GSS_COMPLETE


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
