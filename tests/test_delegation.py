"""Delegation: the server stores the client's delegated credentials and acts as the client."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
import winkerberos as kerberos
from support.helpers import handshake
from support.realm import Realm

pytestmark = pytest.mark.usefixtures("realm")

DELEG = kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_DELEG_FLAG


def test_store_delegate_writes_a_private_ccache_in_tmpdir(realm: Realm, tmp_path: Path) -> None:
    os.environ["TMPDIR"] = str(tmp_path)
    try:
        _, server = handshake(gssflags=DELEG)
        assert kerberos.authGSSServerHasDelegated(server) is True
        assert kerberos.authGSSServerCacheName(server) is None
        assert kerberos.authGSSServerStoreDelegate(server) == 0
        path = Path(kerberos.authGSSServerCacheName(server) or "")
    finally:
        del os.environ["TMPDIR"]
    assert path.parent == tmp_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    listed = subprocess.run(
        ["klist", "-c", f"FILE:{path}"], capture_output=True, text=True, check=True
    ).stdout
    assert realm.user in listed
    assert f"krbtgt/{realm.realm}" in listed
    # Another program can now act as alice with that cache.
    env = {**os.environ, "KRB5CCNAME": f"FILE:{path}"}
    subprocess.run(["kvno", "host/localhost"], env=env, check=True, capture_output=True)


def test_store_delegate_without_delegation(realm: Realm) -> None:
    _, server = handshake()
    assert kerberos.authGSSServerHasDelegated(server) is False
    with pytest.raises(kerberos.KrbError) as info:
        kerberos.authGSSServerStoreDelegate(server)
    assert info.value.args == ("Ticket is not delegatable",)
    assert kerberos.authGSSServerCacheName(server) is None
