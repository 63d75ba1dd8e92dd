"""Faults of the environment, in one process: each call fails clearly, the next one recovers.

A realm of its own (so the session's realm is never disturbed) and one child interpreter that
keeps running through: the KDC killed and restarted; the ticket cache corrupted, then made
unreadable (a directory where the file was); the service keytab rotated to a new key version
while the service runs and a client still holds a ticket for the old one. After each fault
the failing call must raise a GSSError of the expected kind with a message, and once the fault
is removed the very same process must succeed again without restarting anything.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.realm import Realm, start_realm, stop_realm

pytestmark = pytest.mark.usefixtures("realm")

CHILD = r"""
import json, os, shutil, signal, subprocess, sys, time
import winkerberos as k

S = "HTTP@localhost"
DIR = os.environ["WKTEST_DIR"]
USER, PASSWORD = os.environ["WKTEST_USER"], os.environ["WKTEST_PASS"]
CCACHE = os.environ["KRB5CCNAME"].removeprefix("FILE:")
KEYTAB = os.environ["KRB5_KTNAME"].removeprefix("FILE:")
out = {}

def attempt(label, call):
    try:
        call()
        out[label] = ["ok"]
    except k.KrbError as e:
        # The original's class; the error's own class is its kind's (ClockSkewError, ...).
        api = next(c for c in (k.GSSError, k.BasicAuthError, k.PwdChangeError, k.KrbError)
                   if isinstance(e, c))
        out[label] = [api.__name__, getattr(e, "kind", None), str(e)]

def handshake():
    _, c = k.authGSSClientInit(S)
    _, s = k.authGSSServerInit(S)
    k.authGSSClientStep(c, "")
    k.authGSSServerStep(s, k.authGSSClientResponse(c))
    k.authGSSClientStep(c, k.authGSSServerResponse(s))
    assert k.authGSSServerUserName(s) == USER

def password_login():
    # principal=user:password always asks the KDC (an AS exchange into memory).
    k.authGSSClientInit(S, principal=USER + ":" + PASSWORD)

def kinit():
    subprocess.run(["kinit", USER], input=PASSWORD + "\n", text=True, check=True,
                   capture_output=True)

def kdc_pid():
    with open(os.path.join(DIR, "krb5kdc.pid")) as f:
        return int(f.read().strip())

# -- the KDC killed and restarted ----------------------------------------------------------
attempt("kdc_before", password_login)
pid = kdc_pid()
os.kill(pid, signal.SIGKILL)
while os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2] != "Z":
    time.sleep(0.01)
attempt("kdc_down", password_login)
# In the foreground, as this process's child, killed with it (PR_SET_PDEATHSIG) or at the end:
# the realm's supervisor knows nothing of this KDC, so this test stops it.
import ctypes
prctl = ctypes.CDLL(None, use_errno=True).prctl
restarted = subprocess.Popen(["krb5kdc", "-n", "-r", os.environ["WKTEST_REALM"]],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL,
                             preexec_fn=lambda: prctl(1, signal.SIGKILL))  # PR_SET_PDEATHSIG
port = int(os.environ["WKTEST_KDC_PORT"])
import socket
for _ in range(500):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
        break
    except OSError:
        time.sleep(0.01)
attempt("kdc_restarted", password_login)

# -- the ticket cache corrupted, then unreadable --------------------------------------------
attempt("ccache_before", handshake)
with open(CCACHE, "r+b") as f:
    f.seek(0)
    f.write(b"\xde\xad\xbe\xef" * 64)
attempt("ccache_corrupt", handshake)
kinit()
attempt("ccache_repaired", handshake)
os.remove(CCACHE)
os.mkdir(CCACHE)  # unreadable as a file, even for root
attempt("ccache_unreadable", handshake)
os.rmdir(CCACHE)
kinit()
attempt("ccache_restored", handshake)

# -- the keytab rotated to a new key version while the service runs -----------------------
attempt("keytab_before", handshake)  # the client now holds a ticket for the old kvno
new = KEYTAB + ".new"
subprocess.run(["kadmin.local", "-q", f"ktadd -k {new} HTTP/localhost"], check=True,
               capture_output=True, stdin=subprocess.DEVNULL)
os.replace(new, KEYTAB)  # only the new key version is left
attempt("keytab_old_ticket", handshake)
kinit()  # a fresh cache: the next ticket is issued for the new key version
attempt("keytab_new_ticket", handshake)
restarted.kill()
restarted.wait()
print(json.dumps(out))
"""


@pytest.fixture
def own_realm(tmp_path: Path) -> Iterator[Realm]:
    directory = tmp_path / "realm"
    realm = start_realm(directory, watch_pid=os.getpid())
    try:
        yield realm
    finally:
        stop_realm(directory)
        shutil.rmtree(directory, ignore_errors=True)


def test_faults_fail_clearly_and_the_same_process_recovers(own_realm: Realm, run_isolated) -> None:
    env = {**own_realm.vars, **own_realm.env}
    result = run_isolated(CHILD, env, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    for label in (
        "kdc_before",
        "kdc_restarted",
        "ccache_before",
        "ccache_repaired",
        "ccache_restored",
        "keytab_before",
        "keytab_new_ticket",
    ):
        assert out[label] == ["ok"], (label, out[label])
    expected = {
        "kdc_down": {"KdcUnreachable"},
        "ccache_corrupt": {"NoCredentials", "Failure"},
        "ccache_unreadable": {"NoCredentials"},
        "keytab_old_ticket": {"StaleKeytab"},
    }
    for label, kinds in expected.items():
        cls, kind, message = out[label]
        assert cls == "GSSError", (label, out[label])
        assert kind in kinds, (label, out[label])
        assert len(message) > 40, (label, message)
    assert "Hint:" in out["kdc_down"][2]
    # MIT says "... kvno 2 not found in keytab; ticket is likely out of date".
    assert "kvno" in out["keytab_old_ticket"][2], out["keytab_old_ticket"]
    assert "keytab" in out["keytab_old_ticket"][2], out["keytab_old_ticket"]
    assert "truncated" not in out["keytab_old_ticket"][2], out["keytab_old_ticket"]
