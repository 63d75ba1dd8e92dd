"""Tests of the test realm itself (tests/support/realmctl.py + fixtures), without our library."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import realmctl
from support.realm import (
    REALMCTL,
    REPO_ROOT,
    Realm,
    RunIsolated,
    parse_env_lines,
    start_realm,
    stop_realm,
)

pytestmark = pytest.mark.usefixtures("realm")

LOOPBACK_HEX = "0100007F"  # 127.0.0.1 as printed in /proc/net/tcp
KEYTAB_MODE = 0o600
DEAD_KDC_MAX_SECONDS = 5.0  # a closed KDC port must fail at once, not after retries


def _run(argv: list[str], stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **env},
        timeout=30,
        check=False,
    )


def _bound_addresses(proto: str, port: int) -> list[str]:
    """Local addresses (hex, as in /proc/net) of the sockets bound to ``port``.

    For TCP only listening sockets count.
    """
    found: list[str] = []
    for path in (Path(f"/proc/net/{proto}"), Path(f"/proc/net/{proto}6")):
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, _, hex_port = fields[1].rpartition(":")
            if int(hex_port, 16) == port and (proto != "tcp" or fields[3] == "0A"):
                found.append(address)
    return found


def _alive(pid: int) -> bool:
    """Tell whether the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def test_environment_points_at_realm(realm: Realm) -> None:
    assert os.environ["KRB5_CONFIG"] == realm.krb5_config == f"{realm.dir}/krb5.conf"
    assert os.environ["KRB5CCNAME"] == realm.krb5ccname == f"FILE:{realm.dir}/ccache"
    assert os.environ["KRB5_KTNAME"] == realm.krb5_ktname
    assert set(realm.env) == {
        "KRB5_CONFIG",
        "KRB5_KDC_PROFILE",
        "KRB5CCNAME",
        "KRB5_KTNAME",
        "KRB5RCACHEDIR",
    }
    assert Path(realm.krb5rcachedir).is_dir()
    assert realm.user == "alice@WKTEST.LOCAL"
    assert realm.spn == "HTTP/localhost@WKTEST.LOCAL"
    assert realm.service == "HTTP@localhost"
    assert realm.carol_password == "p@ss:w%rd/ü+ 1"
    assert realm.kadmin_port is not None  # the session realm runs kadmind for changePassword


def test_parse_env_lines_splits_on_first_equals() -> None:
    assert parse_env_lines("A=b=c\n\nB_2=x y\nC=\n") == {"A": "b=c", "B_2": "x y", "C": ""}
    with pytest.raises(ValueError, match="unexpected line"):
        parse_env_lines("export A=b\n")


def test_klist_shows_alice(realm: Realm) -> None:
    proc = _run(["klist"])
    assert proc.returncode == 0, proc.stderr
    assert f"Ticket cache: {realm.krb5ccname}" in proc.stdout
    assert f"Default principal: {realm.user}" in proc.stdout
    assert f"krbtgt/{realm.realm}@{realm.realm}" in proc.stdout


@pytest.mark.parametrize("who", ["bob", "carol"])
def test_kinit_with_password(realm: Realm, who: str) -> None:
    principal, password = (
        (realm.bob, realm.bob_password) if who == "bob" else (realm.carol, realm.carol_password)
    )
    # MEMORY: the ticket dies with kinit; success is all we check here.
    proc = _run(["kinit", principal], stdin=password + "\n", KRB5CCNAME="MEMORY:")
    assert proc.returncode == 0, proc.stderr
    wrong = _run(["kinit", principal], stdin="not-the-password\n", KRB5CCNAME="MEMORY:")
    assert wrong.returncode != 0
    assert "Password incorrect" in wrong.stderr


def test_kinit_into_file_ccache(realm: Realm, tmp_path: Path) -> None:
    ccache = f"FILE:{tmp_path}/cc"
    proc = _run(["kinit", realm.carol], stdin=realm.carol_password + "\n", KRB5CCNAME=ccache)
    assert proc.returncode == 0, proc.stderr
    listing = _run(["klist"], KRB5CCNAME=ccache)
    assert f"Default principal: {realm.carol}" in listing.stdout


def test_keytabs(realm: Realm) -> None:
    service = _run(["klist", "-k"])
    assert service.returncode == 0, service.stderr
    for spn in ("HTTP/localhost", "host/localhost", "mongodb/localhost"):
        assert f"{spn}@{realm.realm}" in service.stdout
    other = _run(["klist", "-k", realm.other_keytab])
    assert other.returncode == 0, other.stderr
    principals = set(re.findall(r"^\s*\d+\s+(\S+)$", other.stdout, re.MULTILINE))
    assert principals == {f"host/localhost@{realm.realm}"}
    mode = Path(realm.krb5_ktname.removeprefix("FILE:")).stat().st_mode & 0o777
    assert mode == KEYTAB_MODE


def test_kdc_listens_on_loopback_only(realm: Realm) -> None:
    assert _bound_addresses("tcp", realm.kdc_port) == [LOOPBACK_HEX]
    assert _bound_addresses("udp", realm.kdc_port) == [LOOPBACK_HEX]
    with socket.create_connection(("127.0.0.1", realm.kdc_port), timeout=5):
        pass


def test_run_isolated_environment(realm: Realm, run_isolated: RunIsolated) -> None:
    code = "import os; print(os.environ['KRB5_CONFIG']); print(os.environ.get('KRB5CCNAME'))"
    proc = run_isolated(code, {"KRB5CCNAME": None})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [realm.krb5_config, "None"]


def test_dead_kdc_fails_fast(realm: Realm, run_isolated: RunIsolated, tmp_path: Path) -> None:
    # A krb5.conf whose KDC port is closed (bound and released again).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    conf = Path(realm.krb5_config).read_text()
    conf, count = re.subn(r"kdc = 127\.0\.0\.1:\d+", f"kdc = 127.0.0.1:{closed_port}", conf)
    assert count == 1
    dead_conf = tmp_path / "krb5.conf"
    dead_conf.write_text(conf)
    code = (
        "import subprocess, sys\n"
        f"p = subprocess.run(['kinit', {realm.user!r}], input={realm.password + chr(10)!r},\n"
        "                   capture_output=True, text=True)\n"
        "sys.stdout.write(p.stderr)\n"
        "sys.exit(p.returncode)\n"
    )
    start = time.monotonic()
    proc = run_isolated(code, {"KRB5_CONFIG": str(dead_conf), "KRB5CCNAME": "MEMORY:"}, timeout=30)
    assert proc.returncode != 0
    assert "Cannot contact any KDC" in proc.stdout
    assert time.monotonic() - start < DEAD_KDC_MAX_SECONDS


def test_watchdog_stops_kdc_when_watched_process_exits(tmp_path: Path) -> None:
    watched = subprocess.Popen(["sleep", "60"])
    directory = tmp_path / "watched-realm"
    try:
        other = start_realm(directory, watch_pid=watched.pid, kadmind=True)
        assert other.kadmin_port is not None
        assert other.kpasswd_port is not None
        pids = [int((directory / f"{name}.pid").read_text()) for name in ("krb5kdc", "kadmind")]
        assert all(_alive(pid) for pid in pids)
        watched.kill()
        watched.wait()
        deadline = time.monotonic() + 1.0
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not any(_alive(pid) for pid in pids), "the watchdog did not stop the daemons"
        assert _bound_addresses("tcp", other.kdc_port) == []
    finally:
        watched.kill()
        watched.wait()
        stop_realm(directory)


def test_gssapi_handshake_and_wrap(realm: Realm, monkeypatch: pytest.MonkeyPatch) -> None:
    """python-gssapi initiator and acceptor: proves the realm is a usable peer."""
    gssapi = pytest.importorskip("gssapi")
    # Raise step errors at once instead of returning an error token first.
    monkeypatch.setattr(gssapi.SecurityContext, "__DEFER_STEP_ERRORS__", False)

    krb5 = gssapi.MechType.kerberos
    target = gssapi.Name(realm.service, gssapi.NameType.hostbased_service)
    flags = gssapi.RequirementFlag
    client = gssapi.SecurityContext(
        name=target,
        mech=krb5,
        usage="initiate",
        flags=flags.mutual_authentication | flags.confidentiality | flags.integrity,
    )
    server = gssapi.SecurityContext(creds=gssapi.Credentials(usage="accept"), usage="accept")
    token = client.step()
    for _ in range(4):
        if client.complete and server.complete:
            break
        token = server.step(token)
        if not client.complete:
            token = client.step(token)
    assert client.complete
    assert server.complete

    assert str(server.initiator_name) == realm.user
    assert str(client.target_name) == realm.spn

    request = client.wrap(b"ping", encrypt=True)
    assert request.encrypted
    unwrapped = server.unwrap(request.message)
    assert (unwrapped.message, unwrapped.encrypted) == (b"ping", True)

    reply = server.wrap(b"pong", encrypt=False)
    assert client.unwrap(reply.message).message == b"pong"


def _status(directory: Path) -> tuple[int, list[tuple[str, int]]]:
    """``realmctl.py status``: its exit status and its (name, pid) lines."""
    proc = _run([sys.executable, str(REALMCTL), "status", str(directory)])
    lines = [line.split() for line in proc.stdout.splitlines() if line != "stopped"]
    return proc.returncode, [(name, int(pid)) for name, pid in lines]


def _wait_dead(pids: list[int], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)


def test_stop_is_idempotent_and_frees_the_ports(tmp_path: Path) -> None:
    directory = tmp_path / "stopped-realm"
    other = start_realm(directory, watch_pid=os.getpid())
    try:
        code, running = _status(directory)
        assert code == 0
        assert [name for name, _ in running] == ["supervisor", "krb5kdc"]
    finally:
        stop_realm(directory)
    assert not any(_alive(pid) for _, pid in running)
    assert _bound_addresses("tcp", other.kdc_port) == []
    assert _bound_addresses("udp", other.kdc_port) == []
    stop_realm(directory)  # again: nothing to do, no error
    assert _status(directory) == (1, [])


def test_daemons_die_with_their_supervisor(tmp_path: Path) -> None:
    directory = tmp_path / "orphaned-realm"
    start_realm(directory, watch_pid=os.getpid(), kadmind=True)
    try:
        _, running = _status(directory)
        supervisor = [pid for name, pid in running if name == "supervisor"]
        daemons = [pid for name, pid in running if name != "supervisor"]
        assert len(supervisor) == 1
        assert len(daemons) == 2
        os.kill(supervisor[0], signal.SIGKILL)  # no chance to stop them itself
        _wait_dead(daemons, 1.0)
        assert not any(_alive(pid) for pid in daemons), "the daemons outlived their supervisor"
    finally:
        stop_realm(directory)


def test_stop_finds_a_realm_whose_directory_was_deleted(tmp_path: Path) -> None:
    directory = tmp_path / "deleted-realm"
    start_realm(directory, watch_pid=os.getpid())
    _, running = _status(directory)
    shutil.rmtree(directory)
    stop_realm(directory)
    assert not any(_alive(pid) for _, pid in running)


def test_start_refuses_a_directory_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(RuntimeError, match="neither an empty directory nor a realm"):
        start_realm(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["precious.txt"]


def test_picked_ports_are_free_and_outside_the_ephemeral_range() -> None:
    lo, hi = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    ports = realmctl.pick_ports(3)
    assert len(set(ports)) == 3
    assert not any(lo <= port <= hi for port in ports)
    for port in ports:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            with socket.socket(type=kind) as sock:
                sock.bind(("127.0.0.1", port))


def test_a_port_shared_through_so_reuseport_is_seen() -> None:
    """krb5kdc binds with SO_REUSEPORT: a second KDC on our port must not go unnoticed."""
    port = realmctl.pick_ports(1)[0]
    counts = []
    with contextlib.ExitStack() as stack:
        for _ in range(2):
            sock = stack.enter_context(socket.socket())
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(("127.0.0.1", port))
            sock.listen()
            counts.append(realmctl.sockets_on("tcp", port))
    assert counts == [1, 2]


def test_tests_that_do_not_ask_for_the_realm_start_no_kdc(tmp_path: Path) -> None:
    modules = ["tests/test_api_surface.py", "tests/test_packaging.py", "tests/test_typing.py"]
    basetemp = tmp_path / "basetemp"
    pytest_argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    proc = subprocess.run(
        [*pytest_argv, "--basetemp", str(basetemp), *modules],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The realm fixture makes its directory under basetemp, and the KDC logs to it.
    assert not list(basetemp.glob("**/kdc.log"))
    assert not list(basetemp.glob("realm*"))
