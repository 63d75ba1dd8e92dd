"""Holes found by adversarial testing (issue 9, items 1, 2, 4, 5 and 6), each pinned down.

* A NUL hidden by percent-encoding in ``principal=`` is refused like a direct one, so the
  name authenticated is never a C-string truncation of the name written.
* Byte arguments take exactly what the stubs say: ``str`` or a buffer, never an iterable.
* A server step that would continue without a token to send is a defective token.
* Delegated-credential files live as long as their context unless the caller keeps them.
* A password hidden by a percent-encoded ``:`` never reaches an error text.
"""

from __future__ import annotations

import array
import base64
import gc
import glob
import os
from pathlib import Path
from urllib.parse import quote

import pytest
import winkerberos as kerberos
from support.helpers import SERVICE, handshake
from support.realm import Realm

pytestmark = pytest.mark.usefixtures("realm")

# -- 1. percent-encoded NUL ---------------------------------------------------------------


@pytest.mark.parametrize(
    "principal",
    [
        "alice%00evil@{realm}:{password}",  # in the user
        "alice@{realm}%00.EVIL:{password}",  # in the realm
        "alice@{realm}:{password}%00anything",  # in the password
        "alice%00@{realm}",  # a principal without a password
        "%00",
    ],
)
def test_percent_encoded_nul_is_refused_like_a_direct_one(realm: Realm, principal: str) -> None:
    spec = principal.format(realm=realm.realm, password=quote(realm.password, safe=""))
    with pytest.raises(ValueError, match="NUL"):
        kerberos.authGSSClientInit(SERVICE, principal=spec)


def test_direct_nul_still_raises_value_error(realm: Realm) -> None:
    with pytest.raises(ValueError, match="null"):
        kerberos.authGSSClientInit(SERVICE, user="alice\x00evil", password="x")
    with pytest.raises(ValueError, match="null"):
        kerberos.authGSSClientInit(SERVICE, principal="alice\x00@R:pw")


# -- 2. only str and buffers are bytes ------------------------------------------------------

NOT_BYTES = [[], [97], (97, 98), {97}, {97: 1}, range(3), (x for x in b"ab"), 1.5, object()]


@pytest.mark.parametrize("value", NOT_BYTES, ids=lambda v: type(v).__name__)
def test_iterables_are_not_taken_as_bytes(realm: Realm, value: object) -> None:
    calls = {
        "principal": lambda: kerberos.authGSSClientInit(SERVICE, principal=value),
        "password": lambda: kerberos.authGSSClientInit(SERVICE, user="alice", password=value),
        "pswd": lambda: kerberos.checkPassword("alice", value, SERVICE, realm.realm),
        "oldpswd": lambda: kerberos.changePassword("alice", value, "x"),
        "application_data": lambda: kerberos.channelBindings(application_data=value),
        "initiator_address": lambda: kerberos.channelBindings(initiator_address=value),
    }
    for name, call in calls.items():
        with pytest.raises(TypeError, match=name) as info:
            call()
        assert "str" in str(info.value), str(info.value)
        assert "buffer" in str(info.value), str(info.value)


def test_winrm_and_bytes_api_take_buffers_not_str_or_iterables(realm: Realm) -> None:
    client, server = handshake(gssflags=kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_CONF_FLAG)
    data, header = kerberos.authGSSWinRMEncryptMessage(client, b"payload")
    for bad in ("text", [1, 2], (1,), None):
        with pytest.raises(TypeError, match="encrypted_data"):
            kerberos.authGSSWinRMDecryptMessage(client, bad, header)
        with pytest.raises(TypeError, match="header"):
            kerberos.authGSSWinRMDecryptMessage(client, data, bad)
        with pytest.raises(TypeError, match="data"):
            client.wrap(bad)
        with pytest.raises(TypeError, match="token"):
            server.unwrap(bad)
    with pytest.raises(TypeError, match="message"):
        kerberos.authGSSWinRMEncryptMessage(client, [1, 2, 3])
    # Every buffer the stubs promise is read: a message of our own direction gets past the
    # argument checks and is refused by the mechanism, not by a TypeError.
    with pytest.raises(kerberos.GSSError):
        kerberos.authGSSWinRMDecryptMessage(client, memoryview(data), bytearray(header))
    sealed = client.wrap(memoryview(b"mv"))
    assert server.unwrap(bytearray(sealed)) == b"mv"
    words = array.array("B", b"arr")
    assert server.unwrap(client.wrap(words)) == b"arr"


def test_a_buffer_password_still_works(realm: Realm) -> None:
    assert kerberos.checkPassword(
        realm.user, memoryview(realm.password.encode()), "HTTP/localhost", ""
    )


# -- 4. a server step that continues without a token ---------------------------------------


def test_reflected_server_reply_is_a_defective_token(realm: Realm) -> None:
    _, client = kerberos.authGSSClientInit(SERVICE)
    _, server = kerberos.authGSSServerInit(SERVICE)
    assert kerberos.authGSSClientStep(client, "") == kerberos.AUTH_GSS_CONTINUE
    assert kerberos.authGSSServerStep(server, kerberos.authGSSClientResponse(client)) == 1
    reply = kerberos.authGSSServerResponse(server)
    assert reply
    _, victim = kerberos.authGSSServerInit(SERVICE)
    with pytest.raises(kerberos.GSSError) as info:
        kerberos.authGSSServerStep(victim, reply)
    assert info.value.kind == "DefectiveToken"
    assert kerberos.authGSSServerUserName(victim) is None
    # The bytes API too.
    _, victim = kerberos.authGSSServerInit(SERVICE)
    with pytest.raises(kerberos.GSSError) as info:
        victim.step(base64.b64decode(reply))
    assert info.value.kind == "DefectiveToken"


# -- 5. delegated-credential files -----------------------------------------------------------


def _delegating_server() -> kerberos.GSSServerContext:
    flags = kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_DELEG_FLAG
    _, server = handshake(gssflags=flags)
    assert kerberos.authGSSServerHasDelegated(server)
    return server


@pytest.fixture
def private_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    return tmp_path


def _caches(directory: Path) -> list[str]:
    return sorted(glob.glob(str(directory / "krb5cc_*")))


def test_delegated_files_go_with_their_context(realm: Realm, private_tmpdir: Path) -> None:
    server = _delegating_server()
    assert kerberos.authGSSServerStoreDelegate(server) == 0
    first = kerberos.authGSSServerCacheName(server)
    assert first
    assert os.path.exists(first)
    # A second store replaces the first file and removes it.
    kerberos.authGSSServerStoreDelegate(server)
    second = kerberos.authGSSServerCacheName(server)
    assert second != first
    assert os.path.exists(second)
    assert not os.path.exists(first)
    assert _caches(private_tmpdir) == [second]
    # Clean removes it; the context stays usable and the name is forgotten.
    assert kerberos.authGSSServerClean(server) == 1
    assert not os.path.exists(second)
    assert kerberos.authGSSServerCacheName(server) is None
    # Collection removes it too.
    other = _delegating_server()
    kerberos.authGSSServerStoreDelegate(other)
    path = kerberos.authGSSServerCacheName(other)
    assert path
    assert os.path.exists(path)
    del other
    gc.collect()
    assert not os.path.exists(path)
    del server
    gc.collect()
    assert _caches(private_tmpdir) == []


def test_a_kept_delegated_file_is_the_callers(realm: Realm, private_tmpdir: Path) -> None:
    server = _delegating_server()
    kerberos.authGSSServerStoreDelegate(server, keep=True)
    kept = kerberos.authGSSServerCacheName(server)
    assert kept
    kerberos.authGSSServerStoreDelegate(server)  # replaces the name, not the kept file
    kerberos.authGSSServerClean(server)
    del server
    gc.collect()
    assert _caches(private_tmpdir) == [kept]
    os.remove(kept)


# -- 6. a password behind a percent-encoded ':' ---------------------------------------------

SECRET = "Zq7-TopSecret-9xK"


@pytest.mark.parametrize(
    "principal",
    [
        quote(f"alice@WKTEST.LOCAL:{SECRET}", safe=""),  # everything encoded, ':' as %3A
        f"alice@WKTEST.LOCAL%3A{SECRET}",
        f"alice@WKTEST.LOCAL%3a{SECRET}:pw",
        f"nosuchuser@NO.SUCH.REALM%3A{SECRET}",
    ],
)
def test_an_encoded_colon_never_echoes_the_password(realm: Realm, principal: str) -> None:
    texts: list[str] = []
    try:
        _, client = kerberos.authGSSClientInit(SERVICE, principal=principal)
        kerberos.authGSSClientStep(client, "")
    except Exception as e:  # every exception class must keep the secret out
        texts += [str(e), repr(e), repr(e.args), str(e.__cause__), str(e.__context__)]
    else:
        pytest.fail("a principal with ':' in its realm was accepted")
    assert texts
    for text in texts:
        assert SECRET not in text, text
