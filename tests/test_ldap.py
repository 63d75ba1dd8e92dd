"""ldap3's SASL GSSAPI bind through winkerberos, against OpenLDAP's slapd on 127.0.0.1.

ldap3 uses python-gssapi when it can import it and winkerberos otherwise, on every
platform. The client runs in a fresh interpreter where ``import gssapi`` fails (python-gssapi
is the test suite's own peer), as on a machine with winkerberos only.

slapd comes from Debian's package, unpacked by scripts/setup.sh into .cache/slapd instead
of installed, so that no system LDAP service is configured or started. The test gives it a
key for ldap/localhost in a keytab of its own and maps Kerberos names to entries with
authz-regexp.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.realm import REPO_ROOT, Realm, RunIsolated

pytestmark = pytest.mark.usefixtures("realm")

SLAPD_ROOT = REPO_ROOT / ".cache" / "slapd"
SLAPD = SLAPD_ROOT / "usr" / "sbin" / "slapd"
#: Its own libraries (libslapi), in the multiarch directory of the machine's architecture.
LIBDIRS = sorted((SLAPD_ROOT / "usr" / "lib").glob("*-linux-gnu"))
GUIDE = REPO_ROOT / "examples" / "guides" / "ldap_client.py"

SLAPD_CONF = """\
include {root}/etc/ldap/schema/core.schema
modulepath {root}/usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
sasl-host localhost
authz-regexp "uid=([^,]*),cn=gssapi,cn=auth" "uid=$1,dc=example"
database mdb
suffix "dc=example"
rootdn "cn=admin,dc=example"
directory {dir}/db
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _kadmin_local(realm: Realm, query: str) -> None:
    proc = subprocess.run(
        ["/usr/sbin/kadmin.local", "-q", query],
        env={"PATH": os.environ.get("PATH", os.defpath), **realm.env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "error" not in proc.stderr.lower(), proc.stderr


@pytest.fixture(scope="module")
def slapd(realm: Realm, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """slapd with SASL GSSAPI as ldap/localhost; yields its port."""
    if not SLAPD.exists():
        pytest.skip(f"slapd is not unpacked in {SLAPD_ROOT}: run scripts/setup.sh")
    work = tmp_path_factory.mktemp("slapd")
    (work / "db").mkdir()
    keytab = work / "ldap.keytab"
    _kadmin_local(realm, "addprinc -randkey ldap/localhost")
    _kadmin_local(realm, f"ktadd -k {keytab} ldap/localhost")
    (work / "slapd.conf").write_text(SLAPD_CONF.format(root=SLAPD_ROOT, dir=work))
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "LD_LIBRARY_PATH": os.pathsep.join(map(str, LIBDIRS)),
        "KRB5_CONFIG": realm.krb5_config,
        "KRB5_KTNAME": f"FILE:{keytab}",
        "KRB5RCACHEDIR": realm.krb5rcachedir,
    }
    port = _free_port()
    with open(work / "slapd.log", "wb") as log:
        # -d keeps slapd in the foreground (and logs connections and binds, level 256).
        command = [str(SLAPD), "-f", str(work / "slapd.conf"), "-d", "256"]
        process = subprocess.Popen(
            [*command, "-h", f"ldap://127.0.0.1:{port}/"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"slapd did not start:\n{(work / 'slapd.log').read_text()[-3000:]}")
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


WITHOUT_GSSAPI = """
import runpy, sys
sys.modules["gssapi"] = None  # python-gssapi absent: ldap3 must take winkerberos
import ldap3.protocol.sasl.kerberos as mechanism
assert mechanism.posix_gssapi_unavailable and not mechanism.windows_gssapi_unavailable
assert mechanism.winkerberos.__name__ == "winkerberos"
"""


def test_ldap3_binds_with_kerberos_through_winkerberos(
    realm: Realm, slapd: int, run_isolated: RunIsolated
) -> None:
    code = WITHOUT_GSSAPI + (
        f"guide = runpy.run_path({str(GUIDE)!r})\nprint(guide['who_am_i']('localhost', {slapd}))\n"
    )
    proc = run_isolated(code)
    assert proc.returncode == 0, proc.stderr
    name = realm.user.partition("@")[0]
    assert proc.stdout == f"dn:uid={name},dc=example\n"


def test_ldap3_bind_fails_cleanly_for_a_user_without_tickets(
    slapd: int, run_isolated: RunIsolated, tmp_path: Path
) -> None:
    code = WITHOUT_GSSAPI + (
        "from ldap3 import KERBEROS, SASL, Connection, Server\n"
        "import winkerberos\n"
        f"conn = Connection(Server('localhost', port={slapd}), authentication=SASL,"
        " sasl_mechanism=KERBEROS)\n"
        "try:\n"
        "    conn.bind()\n"
        "except winkerberos.GSSError as e:\n"
        "    print('GSSError', e.kind)\n"
    )
    proc = run_isolated(code, {"KRB5CCNAME": f"FILE:{tmp_path / 'empty-ccache'}"})
    assert proc.returncode == 0, proc.stderr
    # No ticket cache: the GSSAPI error reaches the caller as winkerberos raised it.
    assert proc.stdout == "GSSError NoCredentials\n", proc.stdout
