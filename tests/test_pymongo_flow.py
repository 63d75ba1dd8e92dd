"""pymongo's GSSAPI call sequence against a fake mongod.

See tests/support/mongo_peer.py: the client side makes pymongo's calls, in its order, over
``import winkerberos as kerberos``; the server is a python-gssapi acceptor speaking SASL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import winkerberos as kerberos
from support.mongo_peer import (
    FakeMongod,
    OperationFailure,
    Properties,
    authenticate_gssapi,
    use_principal,
)
from support.realm import Realm, RunIsolated

pytestmark = pytest.mark.usefixtures("realm")

TESTS_DIR = Path(__file__).resolve().parent


def ccache_path(realm: Realm) -> Path:
    return Path(realm.krb5ccname.removeprefix("FILE:"))


def authenticate(
    username: str,
    password: str | None,
    props: Properties | None = None,
    *,
    principal_form: bool = True,
) -> FakeMongod:
    conn = FakeMongod()
    authenticate_gssapi(
        kerberos, username, password, props or Properties(), conn, _USE_PRINCIPAL=principal_form
    )
    return conn


def test_pymongo_picks_the_principal_form() -> None:
    # pymongo: `import winkerberos as kerberos`, then the __version__ check.
    assert use_principal(kerberos) is True


def assert_authenticated(conn: FakeMongod, principal: str) -> None:
    assert conn.authenticated == principal
    assert conn.authzid == principal.encode()
    # saslStart, the mutual-auth leg (empty payload), the security-layer reply.
    assert [("saslStart" in c, c["payload"] == "") for c in conn.commands] == [
        (True, False),
        (False, True),
        (False, False),
    ]


def test_password_with_special_characters(realm: Realm) -> None:
    before = ccache_path(realm).read_bytes()
    conn = authenticate(realm.carol, realm.carol_password)
    assert_authenticated(conn, realm.carol)
    assert ccache_path(realm).read_bytes() == before  # alice's cache is left alone


def test_default_credentials(realm: Realm) -> None:
    conn = authenticate(realm.user, None)
    assert_authenticated(conn, realm.user)


def test_user_domain_password_branch(realm: Realm) -> None:
    # pymongo's branch for libraries older than winkerberos 0.5 (pykerberos never had
    # user=/domain=/password=): works here on Linux too.
    before = ccache_path(realm).read_bytes()
    conn = authenticate(realm.carol, realm.carol_password, principal_form=False)
    assert_authenticated(conn, realm.carol)
    conn = authenticate("bob", realm.bob_password, principal_form=False)  # no "@": domain None
    assert conn.authenticated == realm.bob
    assert conn.authzid == b"bob"
    assert ccache_path(realm).read_bytes() == before


def test_service_realm(realm: Realm) -> None:
    # SERVICE_REALM gives "mongodb@localhost@WKTEST.LOCAL", which only winkerberos accepted.
    conn = authenticate(realm.carol, realm.carol_password, Properties(service_realm=realm.realm))
    assert_authenticated(conn, realm.carol)


def test_wrong_password_is_operation_failure(realm: Realm) -> None:
    secret = "not carol's: p@ss"
    with pytest.raises(OperationFailure) as excinfo:
        authenticate(realm.carol, secret)
    text = str(excinfo.value)
    assert text.startswith("authGSSClientInit: ")
    assert "password" in text
    assert secret not in text


def test_unknown_service_is_operation_failure(realm: Realm) -> None:
    with pytest.raises(OperationFailure, match="mongodb/nohost"):
        authenticate(realm.user, None, Properties(service_host="nohost"))


CHILD = """
import json, sys
sys.path.insert(0, {tests_dir!r})
import winkerberos as kerberos
from support.mongo_peer import (
    FakeMongod, OperationFailure, Properties, authenticate_gssapi, use_principal,
)

conn = FakeMongod()
try:
    authenticate_gssapi(kerberos, {username!r}, {password!r}, Properties(), conn,
                        _USE_PRINCIPAL=use_principal(kerberos))
except OperationFailure as exc:
    print(json.dumps({{"error": str(exc)}}))
else:
    print(json.dumps({{"authenticated": conn.authenticated, "authzid": conn.authzid.decode()}}))
"""


def run_flow(
    run_isolated: RunIsolated, ccache: str, username: str, password: str | None
) -> dict[str, str]:
    code = CHILD.format(tests_dir=str(TESTS_DIR), username=username, password=password)
    proc = run_isolated(code, {"KRB5CCNAME": ccache}, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_password_with_an_empty_ccache(
    realm: Realm, run_isolated: RunIsolated, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    before = ccache_path(realm).read_bytes()
    got = run_flow(run_isolated, f"FILE:{empty}", realm.carol, realm.carol_password)
    assert got == {"authenticated": realm.carol, "authzid": realm.carol}
    assert not empty.exists(), "a ccache was created"
    assert list(tmp_path.iterdir()) == []
    assert ccache_path(realm).read_bytes() == before


def test_no_password_with_an_empty_ccache(
    realm: Realm, run_isolated: RunIsolated, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    got = run_flow(run_isolated, f"FILE:{empty}", realm.user, None)
    assert "error" in got
    assert "kinit" in got["error"]
    assert not empty.exists()
