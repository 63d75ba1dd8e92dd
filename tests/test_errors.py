"""Every documented failure: its exception class, ``args`` shape and a helpful ``str()``.

On Unix ``GSSError.args`` is pykerberos' ``((major_text, major), (minor_text, minor))``;
``str(e)`` says which call failed, why, and what to try.
"""

from __future__ import annotations

import gc
import json
import os
import re
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import winkerberos as kerberos
from support.helpers import SERVICE, b64, client_with_gssapi_acceptor, handshake, unb64
from support.realm import Realm, RunIsolated

pytestmark = pytest.mark.usefixtures("realm")

KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN = -1765328377
KRB5_CC_NOTFOUND = -1765328243
KRB5KRB_AP_ERR_REPEAT = -1765328350
GSS_S_FAILURE = 0xD0000
GSS_S_NO_CRED = 0x70000

# A child that runs `body` and prints the GSSError it raised (or "ok") as JSON.
CHILD_PRELUDE = """
import json, sys
import winkerberos as kerberos

def report(stage, exc):
    print(json.dumps({
        "stage": stage,
        "type": type(exc).__name__,
        "args": exc.args,
        "str": str(exc),
        "kind": getattr(exc, "kind", None),
        "is_gss_error": isinstance(exc, kerberos.GSSError),
    }))
    sys.exit(0)
"""


def run_child(run_isolated: RunIsolated, body: str, env: dict[str, str | None]) -> dict[str, Any]:
    proc = run_isolated(CHILD_PRELUDE + body, env, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def assert_gss_args(exc: BaseException) -> tuple[tuple[str, int], tuple[str, int]]:
    """Check pykerberos' GSSError.args shape and return it."""
    assert isinstance(exc, kerberos.GSSError)
    assert isinstance(exc, kerberos.KrbError)
    major, minor = exc.args
    assert isinstance(major[0], str)
    assert isinstance(major[1], int)
    assert isinstance(minor[0], str)
    assert isinstance(minor[1], int)
    return major, minor


def first_token() -> bytes:
    _, client = kerberos.authGSSClientInit(SERVICE)
    kerberos.authGSSClientStep(client, "")
    return unb64(kerberos.authGSSClientResponse(client))


# --------------------------------------------------------------------------------------------
# names and credentials


def test_unknown_service(realm: Realm) -> None:
    result, client = kerberos.authGSSClientInit("HTTP@nohost")  # does not fail here
    assert result == 1
    with pytest.raises(kerberos.GSSError) as excinfo:
        kerberos.authGSSClientStep(client, "")
    exc = excinfo.value
    major, minor = assert_gss_args(exc)
    assert major[1] == GSS_S_FAILURE
    assert minor == (
        f"Server HTTP/nohost@{realm.realm} not found in Kerberos database",
        KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN,
    )
    assert exc.kind == "UnknownPrincipal"
    assert exc.minor == KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN
    assert exc.operation == "gss_init_sec_context"
    text = str(exc)
    assert text.startswith("authGSSClientStep: ")
    assert "HTTP/nohost" in text
    assert exc.hint
    assert "Hint: " in text
    assert exc.hint in text
    assert "service name" in exc.hint
    assert kerberos.authGSSClientResponse(client) is None


def test_missing_ccache(run_isolated: RunIsolated, tmp_path: Path) -> None:
    body = f"""
_, ctx = kerberos.authGSSClientInit({SERVICE!r})
try:
    kerberos.authGSSClientStep(ctx, "")
except kerberos.KrbError as exc:
    report("step", exc)
print(json.dumps({{"stage": "none"}}))
"""
    missing = tmp_path / "no-such-ccache"
    got = run_child(run_isolated, body, {"KRB5CCNAME": f"FILE:{missing}"})
    assert got["stage"] == "step"
    assert got["is_gss_error"]
    assert got["kind"] == "NoCredentials"
    (_, major), (minor_text, minor) = got["args"]
    assert major == GSS_S_NO_CRED
    assert minor == KRB5_CC_NOTFOUND
    assert str(missing) in minor_text
    assert "kinit" in got["str"]
    assert not missing.exists()


@pytest.mark.parametrize("how", ["principal", "password", "user"])
def test_wrong_password_is_not_disclosed(realm: Realm, how: str) -> None:
    secret = "Wr0ng-S3cret-Xq9"
    kwargs: dict[str, Any] = {
        "principal": {"principal": f"{realm.bob}:{secret}"},
        "password": {"principal": realm.bob, "password": secret},
        "user": {"user": "bob", "domain": realm.realm, "password": secret},
    }[how]
    with pytest.raises(kerberos.GSSError) as excinfo:
        kerberos.authGSSClientInit(SERVICE, **kwargs)
    exc = excinfo.value
    major, _ = assert_gss_args(exc)
    assert major[1] == GSS_S_NO_CRED
    assert exc.kind == "AuthenticationFailed"
    assert "password" in str(exc)
    for shown in (str(exc), repr(exc), repr(exc.args), repr(vars(exc))):
        assert secret not in shown
        assert secret.lower() not in shown.lower()


def test_unknown_user(realm: Realm) -> None:
    with pytest.raises(kerberos.GSSError) as excinfo:
        kerberos.authGSSClientInit(SERVICE, f"nobody@{realm.realm}:pw")
    assert excinfo.value.kind == "UnknownPrincipal"
    assert "nobody" in str(excinfo.value)


def closed_kdc_conf(realm: Realm, directory: Path) -> Path:
    """A copy of the realm's krb5.conf whose KDC is a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    conf, count = re.subn(
        r"kdc = 127\.0\.0\.1:\d+",
        f"kdc = 127.0.0.1:{closed_port}",
        Path(realm.krb5_config).read_text(),
    )
    assert count == 1
    path = directory / "closed-kdc.conf"
    path.write_text(conf)
    return path


def test_kdc_port_closed(realm: Realm, run_isolated: RunIsolated, tmp_path: Path) -> None:
    body = f"""
try:
    kerberos.authGSSClientInit({SERVICE!r}, {realm.bob + ":" + realm.bob_password!r})
except kerberos.KrbError as exc:
    report("init", exc)
print(json.dumps({{"stage": "none"}}))
"""
    conf = closed_kdc_conf(realm, tmp_path)
    # run_child's timeout bounds it: a closed port fails at once, not after ~27 s.
    got = run_child(run_isolated, body, {"KRB5_CONFIG": str(conf), "KRB5CCNAME": "MEMORY:"})
    assert got["stage"] == "init"
    assert got["is_gss_error"]
    assert got["kind"] == "KdcUnreachable"
    assert "KDC" in got["str"]
    assert realm.bob_password not in got["str"]

    # A service ticket not in the cache needs the KDC too.
    body = """
_, ctx = kerberos.authGSSClientInit("nosuchservice@localhost")
try:
    kerberos.authGSSClientStep(ctx, "")
except kerberos.KrbError as exc:
    report("step", exc)
print(json.dumps({"stage": "none"}))
"""
    got = run_child(run_isolated, body, {"KRB5_CONFIG": str(conf)})
    assert (got["stage"], got["kind"]) == ("step", "KdcUnreachable")


def test_missing_keytab(realm: Realm, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Web frameworks set KRB5_KTNAME in os.environ before authGSSServerInit: it is read then.
    missing = tmp_path / "no-such-keytab"
    monkeypatch.setenv("KRB5_KTNAME", f"FILE:{missing}")
    with pytest.raises(kerberos.GSSError) as excinfo:
        kerberos.authGSSServerInit(SERVICE)
    exc = excinfo.value
    major, minor = assert_gss_args(exc)
    assert major[1] == GSS_S_NO_CRED
    assert str(missing) in minor[0]
    assert exc.kind == "NoCredentials"
    assert str(exc).startswith("authGSSServerInit: ")
    assert "KRB5_KTNAME" in str(exc)


def test_keytab_is_read_from_the_environment_at_init(
    realm: Realm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRB5_KTNAME", realm.other_keytab)  # host/localhost only
    with pytest.raises(kerberos.GSSError) as excinfo:
        kerberos.authGSSServerInit(SERVICE)
    assert "HTTP/localhost" in excinfo.value.args[1][0]
    _, server = handshake("host@localhost")
    assert kerberos.authGSSServerUserName(server) == realm.user


def test_service_missing_from_the_keytab() -> None:
    with pytest.raises(kerberos.GSSError) as excinfo:
        kerberos.authGSSServerInit("HTTP@not-in-keytab")
    major, minor = assert_gss_args(excinfo.value)
    assert major[1] == GSS_S_NO_CRED
    assert "HTTP/not-in-keytab" in minor[0]


# --------------------------------------------------------------------------------------------
# bad tokens


def bad_tokens() -> dict[str, str]:
    token = first_token()
    return {
        "garbage": b64(b"this is not a kerberos token"),
        "truncated": b64(token[: len(token) // 2]),
        "one-byte": b64(b"\x60"),
        "last-byte-missing": b64(token[:-1]),
        "16MiB": b64(b"\x60" * (16 << 20)),
    }


def test_bad_tokens_to_server_step() -> None:
    for name, token in bad_tokens().items():
        _, server = kerberos.authGSSServerInit(SERVICE)
        with pytest.raises(kerberos.GSSError) as excinfo:
            kerberos.authGSSServerStep(server, token)
        assert_gss_args(excinfo.value)
        assert str(excinfo.value).startswith("authGSSServerStep: "), name
        assert kerberos.authGSSServerResponse(server) is None
        assert kerberos.authGSSServerUserName(server) is None
        # The failed context starts over with a good token.
        _, client = kerberos.authGSSClientInit(SERVICE)
        kerberos.authGSSClientStep(client, "")
        assert kerberos.authGSSServerStep(server, kerberos.authGSSClientResponse(client)) == 1


def test_bad_tokens_to_client_step() -> None:
    for name, token in bad_tokens().items():
        # As the server's reply, after the first step ...
        _, client = kerberos.authGSSClientInit(SERVICE)
        assert kerberos.authGSSClientStep(client, "") == 0
        with pytest.raises(kerberos.GSSError) as excinfo:
            kerberos.authGSSClientStep(client, token)
        assert_gss_args(excinfo.value)
        assert str(excinfo.value).startswith("authGSSClientStep: "), name
        assert kerberos.authGSSClientResponse(client) is None
        assert kerberos.authGSSClientUserName(client) is None
        # ... and as the first input of a fresh context.
        _, client = kerberos.authGSSClientInit(SERVICE)
        with pytest.raises(kerberos.GSSError):
            kerberos.authGSSClientStep(client, token)


def test_truncated_token_message_is_meaningful() -> None:
    token = first_token()
    _, server = kerberos.authGSSServerInit(SERVICE)
    with pytest.raises(kerberos.GSSError) as excinfo:
        kerberos.authGSSServerStep(server, b64(token[: len(token) // 2]))
    assert not str(excinfo.value).endswith(": Success")
    assert excinfo.value.hint


@pytest.mark.parametrize("text", ["@@@@", "!!!not base64!!!", "Zm9v-_", "Z", "Zg=a"])
def test_invalid_base64_is_an_error(text: str) -> None:
    # pykerberos silently decoded these to an empty token (so "@@@@" acted like "").
    _, client = kerberos.authGSSClientInit(SERVICE)
    with pytest.raises(kerberos.GSSError, match="base64") as excinfo:
        kerberos.authGSSClientStep(client, text)
    assert_gss_args(excinfo.value)
    assert excinfo.value.kind == "DefectiveToken"
    assert kerberos.authGSSClientStep(client, "") == 0  # nothing was consumed
    _, server = kerberos.authGSSServerInit(SERVICE)
    with pytest.raises(kerberos.GSSError, match="base64"):
        kerberos.authGSSServerStep(server, text)


def test_invalid_base64_to_wrap_and_unwrap() -> None:
    client, _ = client_with_gssapi_acceptor()
    with pytest.raises(kerberos.GSSError, match="base64"):
        kerberos.authGSSClientUnwrap(client, "!!!not base64!!!")
    with pytest.raises(kerberos.GSSError, match="base64"):
        kerberos.authGSSClientWrap(client, "@@@@")
    with pytest.raises(kerberos.GSSError, match="base64"):
        kerberos.authGSSClientWrap(client, "@@@@", "alice")


def test_base64_with_line_breaks_and_without_padding_is_accepted() -> None:
    _, client = kerberos.authGSSClientInit(SERVICE)
    _, server = kerberos.authGSSServerInit(SERVICE)
    kerberos.authGSSClientStep(client, "")
    token = kerberos.authGSSClientResponse(client)
    folded = "\r\n".join(token[i : i + 76] for i in range(0, len(token), 76)).rstrip("=")
    assert kerberos.authGSSServerStep(server, folded) == 1


def test_empty_server_challenge() -> None:
    _, server = kerberos.authGSSServerInit(SERVICE)
    with pytest.raises(kerberos.KrbError) as excinfo:
        kerberos.authGSSServerStep(server, "")
    assert type(excinfo.value) is kerberos.KrbError
    assert excinfo.value.args == ("No challenge parameter in request from client",)
    assert str(excinfo.value) == "No challenge parameter in request from client"


def test_replayed_ap_req_is_rejected() -> None:
    _, client = kerberos.authGSSClientInit(SERVICE)
    kerberos.authGSSClientStep(client, "")
    token = kerberos.authGSSClientResponse(client)
    _, first = kerberos.authGSSServerInit(SERVICE)
    assert kerberos.authGSSServerStep(first, token) == 1
    _, second = kerberos.authGSSServerInit(SERVICE)
    with pytest.raises(kerberos.GSSError) as excinfo:
        kerberos.authGSSServerStep(second, token)
    _, minor = assert_gss_args(excinfo.value)
    assert minor[1] == KRB5KRB_AP_ERR_REPEAT
    assert excinfo.value.kind == "Replay"
    assert "replay" in str(excinfo.value).lower()
    assert kerberos.authGSSServerUserName(second) is None


def test_step_after_completion() -> None:
    client, server = handshake()
    with pytest.raises(kerberos.GSSError, match="already complete"):
        kerberos.authGSSClientStep(client, "")
    with pytest.raises(kerberos.GSSError):
        kerberos.authGSSServerStep(server, b64(first_token()))
    # The established contexts are unharmed.
    assert kerberos.authGSSClientUserName(client) is not None


def test_wrap_and_unwrap_before_the_handshake() -> None:
    _, client = kerberos.authGSSClientInit(SERVICE)
    for call in (
        lambda: kerberos.authGSSClientWrap(client, b64(b"x")),
        lambda: kerberos.authGSSClientWrap(client, b64(b"\x07\x00\xff\xff"), "alice"),
        lambda: kerberos.authGSSClientUnwrap(client, b64(b"x")),
    ):
        with pytest.raises(kerberos.GSSError) as excinfo:
            call()
        assert_gss_args(excinfo.value)
        assert excinfo.value.kind == "NotEstablished"
        assert "not established" in str(excinfo.value)
        assert "step" in str(excinfo.value.hint)


def test_tampered_message_is_rejected_and_clears_the_response() -> None:
    client, acceptor = client_with_gssapi_acceptor()
    assert kerberos.authGSSClientUnwrap(client, b64(acceptor.wrap(b"ok", False).message)) == 1
    message = bytearray(acceptor.wrap(b"transfer 10 EUR", encrypt=False).message)
    message[-1] ^= 1
    with pytest.raises(kerberos.GSSError) as excinfo:
        kerberos.authGSSClientUnwrap(client, b64(bytes(message)))
    assert excinfo.value.kind == "BadSignature"
    assert kerberos.authGSSClientResponse(client) is None
    with pytest.raises(kerberos.GSSError):
        kerberos.authGSSClientUnwrap(client, "")


def test_protect_without_conf_flag_still_works_with_krb5() -> None:
    # MIT always grants confidentiality; winkerberos' SSPI refused protect=1 without
    # GSS_C_CONF_FLAG. Either way it must not crash.
    client, acceptor = client_with_gssapi_acceptor(gssflags=kerberos.GSS_C_MUTUAL_FLAG)
    assert kerberos.authGSSClientWrap(client, b64(b"x"), None, 1) == 1
    assert acceptor.unwrap(unb64(kerberos.authGSSClientResponse(client))).encrypted


# --------------------------------------------------------------------------------------------
# channel bindings


def bound_handshake(client_data: bytes | None, server_data: bytes | None) -> None:
    def cb(data: bytes | None) -> kerberos.ChannelBindings | None:
        return None if data is None else kerberos.channelBindings(application_data=data)

    _, client = kerberos.authGSSClientInit(SERVICE)
    _, server = kerberos.authGSSServerInit(SERVICE)
    kerberos.authGSSClientStep(client, "", channel_bindings=cb(client_data))
    token = kerberos.authGSSClientResponse(client)
    assert kerberos.authGSSServerStep(server, token, channel_bindings=cb(server_data)) == 1
    reply = kerberos.authGSSServerResponse(server)
    assert kerberos.authGSSClientStep(client, reply, channel_bindings=cb(client_data)) == 1


def test_matching_channel_bindings() -> None:
    data = b"tls-server-end-point:" + bytes(range(32))
    bound_handshake(data, bytes(data))


def test_client_bindings_with_a_server_that_checks_none() -> None:
    # Servers of the originals never passed bindings; such a server accepts any client.
    bound_handshake(b"tls-server-end-point:abc", None)


def test_different_channel_bindings_are_rejected() -> None:
    with pytest.raises(kerberos.GSSError) as excinfo:
        bound_handshake(b"tls-server-end-point:one", b"tls-server-end-point:two")
    major, _ = assert_gss_args(excinfo.value)
    assert major[1] == 0x40000  # GSS_S_BAD_BINDINGS
    assert excinfo.value.kind == "BadBindings"
    assert "channel bindings" in str(excinfo.value)


def test_missing_client_bindings_are_rejected() -> None:
    with pytest.raises(kerberos.GSSError) as excinfo:
        bound_handshake(None, b"tls-server-end-point:abc")
    assert excinfo.value.kind == "BadBindings"
    assert "no channel bindings" in str(excinfo.value)


# --------------------------------------------------------------------------------------------
# wrong argument types


def _objects() -> dict[str, object]:
    _, client = kerberos.authGSSClientInit(SERVICE)
    _, server = kerberos.authGSSServerInit(SERVICE)
    return {
        "client": client,
        "server": server,
        "mech": kerberos.GSS_MECH_OID_KRB5,
        "bindings": kerberos.channelBindings(application_data=b"x"),
        "none": None,
        "str": "context",
        "int": 1,
    }


CLIENT_CALLS: dict[str, Callable[[object], object]] = {
    "Step": lambda ctx: kerberos.authGSSClientStep(ctx, ""),
    "Response": kerberos.authGSSClientResponse,
    "ResponseConf": kerberos.authGSSClientResponseConf,
    "UserName": kerberos.authGSSClientUserName,
    "InquireCred": kerberos.authGSSClientInquireCred,
    "Unwrap": lambda ctx: kerberos.authGSSClientUnwrap(ctx, "AAAA"),
    "Wrap": lambda ctx: kerberos.authGSSClientWrap(ctx, "AAAA"),
    "WrapUser": lambda ctx: kerberos.authGSSClientWrap(ctx, "AAAA", "alice"),
    "WrapIov": lambda ctx: kerberos.authGSSClientWrapIov(ctx, "AAAA"),
    "UnwrapIov": lambda ctx: kerberos.authGSSClientUnwrapIov(ctx, "AAAA"),
    "WinRMEncrypt": lambda ctx: kerberos.authGSSWinRMEncryptMessage(ctx, b"x"),
    "WinRMDecrypt": lambda ctx: kerberos.authGSSWinRMDecryptMessage(ctx, b"x", b"y"),
}
SERVER_CALLS: dict[str, Callable[[object], object]] = {
    "Step": lambda ctx: kerberos.authGSSServerStep(ctx, "AAAA"),
    "EmptyStep": lambda ctx: kerberos.authGSSServerStep(ctx, ""),
    "Response": kerberos.authGSSServerResponse,
    "UserName": kerberos.authGSSServerUserName,
    "TargetName": kerberos.authGSSServerTargetName,
    "HasDelegated": kerberos.authGSSServerHasDelegated,
    "Wrap": lambda ctx: kerberos.authGSSServerWrap(ctx, "AAAA"),
    "Unwrap": lambda ctx: kerberos.authGSSServerUnwrap(ctx, "AAAA"),
    "ResponseConf": kerberos.authGSSServerResponseConf,
    "StoreDelegate": kerberos.authGSSServerStoreDelegate,
    "CacheName": kerberos.authGSSServerCacheName,
    "Delegated": lambda ctx: kerberos.authGSSClientInit(SERVICE, delegated=ctx),
}


@pytest.mark.parametrize("call", CLIENT_CALLS.keys())
@pytest.mark.parametrize("wrong", ["server", "mech", "bindings", "none", "str", "int"])
def test_wrong_context_to_client_functions(call: str, wrong: str) -> None:
    with pytest.raises(TypeError, match="Expected a context object"):
        CLIENT_CALLS[call](_objects()[wrong])


@pytest.mark.parametrize(
    ("call", "wrong"),
    [
        (call, wrong)
        for call in SERVER_CALLS
        for wrong in ["client", "mech", "bindings", "none", "str", "int"]
        if (call, wrong) != ("Delegated", "none")  # delegated=None means no delegation
    ],
)
def test_wrong_context_to_server_functions(call: str, wrong: str) -> None:
    expected = "Expected a context object|delegated must be a server context"
    with pytest.raises(TypeError, match=expected):
        SERVER_CALLS[call](_objects()[wrong])


@pytest.mark.parametrize("wrong", ["x", b"x", 1, "client", "mech"])
def test_channel_bindings_of_the_wrong_type(wrong: object) -> None:
    objects = _objects()
    value = objects.get(wrong, wrong) if isinstance(wrong, str) else wrong
    _, client = kerberos.authGSSClientInit(SERVICE)
    with pytest.raises(TypeError, match="channel bindings"):
        kerberos.authGSSClientStep(client, "", channel_bindings=value)
    _, server = kerberos.authGSSServerInit(SERVICE)
    with pytest.raises(TypeError, match="channel bindings"):
        kerberos.authGSSServerStep(server, "AAAA", channel_bindings=value)


@pytest.mark.parametrize("wrong", ["krb5", 1, "client"])
def test_mech_oid_of_the_wrong_type(wrong: object) -> None:
    value = _objects()["client"] if wrong == "client" else wrong
    with pytest.raises(TypeError, match="Invalid type for mech_oid"):
        kerberos.authGSSClientInit(SERVICE, mech_oid=value)


def test_challenge_of_the_wrong_type() -> None:
    _, client = kerberos.authGSSClientInit(SERVICE)
    _, server = kerberos.authGSSServerInit(SERVICE)
    for value in (None, 1, bytearray(b"AAAA")):
        with pytest.raises(TypeError, match="must be str"):
            kerberos.authGSSClientStep(client, value)
        with pytest.raises(TypeError, match="must be str"):
            kerberos.authGSSServerStep(server, value)
        with pytest.raises(TypeError, match="must be str"):
            kerberos.authGSSClientUnwrap(client, value)
        with pytest.raises(TypeError, match="must be str"):
            kerberos.authGSSClientWrap(client, value)


@pytest.mark.parametrize("value", [None, b"HTTP@localhost", 1])
def test_service_must_be_str(value: object) -> None:
    with pytest.raises(TypeError, match="service must be str"):
        kerberos.authGSSClientInit(value)
    with pytest.raises(TypeError, match="service must be str"):
        kerberos.authGSSServerInit(value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"user": b"bob"},
        {"domain": b"WKTEST.LOCAL", "user": "bob"},
        {"principal": 1},
        {"password": 1, "user": "bob"},
        {"gssflags": "2"},
    ],
    ids=["user-bytes", "domain-bytes", "principal-int", "password-int", "gssflags-str"],
)
def test_credential_arguments_of_the_wrong_type(kwargs: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        kerberos.authGSSClientInit(SERVICE, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"service": "HTTP@local\0host"},
        {"principal": "alice@WKTEST.LOCAL\0"},
        {"principal": b"alice\0@WKTEST.LOCAL"},
        {"principal": "bob@WKTEST.LOCAL:pass\0word"},
        {"principal": "bob@WKTEST.LOCAL", "password": "pass\0word"},
        {"user": "bob", "password": b"pass\0word"},
        {"user": "b\0ob", "password": "x"},
        {"user": "bob", "domain": "WKTEST\0", "password": "x"},
    ],
)
def test_embedded_nul_is_value_error(kwargs: dict[str, object]) -> None:
    kwargs = {"service": SERVICE, **kwargs}
    with pytest.raises(ValueError, match="null"):
        kerberos.authGSSClientInit(**kwargs)


def test_embedded_nul_in_server_service() -> None:
    with pytest.raises(ValueError, match="null"):
        kerberos.authGSSServerInit("HTTP@local\0host")


def test_non_utf8_principal_bytes() -> None:
    with pytest.raises(ValueError, match="UTF-8"):
        kerberos.authGSSClientInit(SERVICE, b"\xff\xfe@WKTEST.LOCAL")


@pytest.mark.parametrize("gssflags", [-1, -(2**31), 2**32, 2**40])
def test_out_of_range_gssflags_is_value_error(gssflags: int) -> None:
    with pytest.raises(ValueError, match="gss_flags"):
        kerberos.authGSSClientInit(SERVICE, gssflags=gssflags)


def test_password_without_user_is_value_error() -> None:
    with pytest.raises(ValueError, match="password"):
        kerberos.authGSSClientInit(SERVICE, password="x")


# --------------------------------------------------------------------------------------------
# environment


def test_missing_library(run_isolated: RunIsolated) -> None:
    library = "/nonexistent/lib.so"
    body = f"""
try:
    kerberos.authGSSClientInit({SERVICE!r})
except kerberos.KrbError as exc:
    report("init", exc)
print(json.dumps({{"stage": "none"}}))
"""
    got = run_child(run_isolated, body, {"WINKERBEROS_GSSAPI_LIBRARY": library})
    assert got["stage"] == "init"  # `import winkerberos` itself worked
    assert got["is_gss_error"]
    assert got["kind"] == "LibraryUnavailable"
    assert library in got["str"]
    assert "WINKERBEROS_GSSAPI_LIBRARY" in got["str"]
    for package in ("libgssapi-krb5-2", "krb5-libs", "apk add"):  # Debian, RHEL, Alpine
        assert package in got["str"], package
    assert len(got["args"]) == 2


# --------------------------------------------------------------------------------------------
# leaks

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
MAX_GROWTH = 1 << 20  # 1 MiB for 2000 failures: a leak of >500 bytes each shows


def rss() -> int:
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


def growth(call: Callable[[], None], rounds: int) -> int:
    for _ in range(rounds // 4):  # warm-up: caches, allocator arenas, replay cache
        call()
    before = rss()
    for _ in range(rounds):
        call()
    return rss() - before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_failing_server_steps_do_not_leak() -> None:
    token = first_token()
    tokens = [b64(b"this is not a kerberos token"), b64(token[: len(token) // 2])]
    counter = iter(range(10**9))

    def fail() -> None:
        _, server = kerberos.authGSSServerInit(SERVICE)
        with pytest.raises(kerberos.GSSError):
            kerberos.authGSSServerStep(server, tokens[next(counter) % 2])

    assert growth(fail, 2000) < MAX_GROWTH


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_failing_client_inits_do_not_leak(realm: Realm) -> None:
    def fail() -> None:
        with pytest.raises(kerberos.GSSError):
            kerberos.authGSSClientInit(SERVICE, realm.bob)  # not in the ccache

    assert growth(fail, 2000) < MAX_GROWTH


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_failing_password_inits_do_not_leak(realm: Realm) -> None:
    def fail() -> None:
        with pytest.raises(kerberos.GSSError):
            kerberos.authGSSClientInit(SERVICE, f"{realm.bob}:wrong-password")

    # Each one is an AS exchange with the KDC, so fewer rounds.
    assert growth(fail, 200) < MAX_GROWTH // 4
