"""A throwaway Samba Active Directory domain controller, as a second KDC for the tests.

MIT's KDC is not what Windows users authenticate against; Active Directory is. Samba's AD DC
(Debian's ``samba-ad-dc``, whose KDC is Samba's embedded Heimdal with AD's policies) behaves
like Windows AD where MIT does not: a PAC in every ticket, RC4 service tickets for a
user-type service account unless AES is enabled on the account, SPNs on accounts, AD's
password policy and AD's kpasswd.

:func:`start_domain` provisions the domain ``SAMBA.LOCAL`` (NetBIOS ``SAMBA``) into a folder
of its own, with its own ``smb.conf`` that binds only 127.0.0.1 on free ports and runs only
the ``kdc`` service (which answers kpasswd too), starts ``samba`` in the foreground with the
single-process model, and obtains alice's TGT. :func:`stop_domain` stops it. Nothing is
written outside the folder: every path Samba would default to (``/var/lib/samba``,
``/run/samba``, ``/var/log/samba``) is set to one inside it.

Accounts (every password meets the domain's complexity rule):

=========  ====================================================================
alice      the user of the client tests; her TGT is in the domain's ccache
dave       the one account whose password tests may change
httpsvc    service account with SPN ``HTTP/localhost``: no
           ``msDS-SupportedEncryptionTypes``, so the KDC issues RC4 service
           tickets (AD's default for user-type accounts)
httpaes    service account with SPN ``HTTP/aes.localhost`` and
           ``msDS-SupportedEncryptionTypes`` = AES128 | AES256: AES tickets
=========  ====================================================================

Both services' keys are exported from the DC (``samba-tool domain exportkeytab``) into the
keytab ``KRB5_KTNAME`` names. The password policy is Samba's default (complexity on, history
24) with a minimum length of 12 (as the MIT realm's ``strict`` policy) and no minimum age,
so a password can be changed right after provisioning.

A small command line serves the Windows (Wine) leg, which is a shell script::

    python3 tests/support/samba_ad.py start DIR [--watch PID]   # prints KEY=VALUE lines
    python3 tests/support/samba_ad.py stop DIR

The ``KEY=VALUE`` lines use the names of ``realmctl.py`` (``WKTEST_USER``,
``WKTEST_SPN``, ...), so the same checks can run against either KDC.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REALM = "SAMBA.LOCAL"
DNS_DOMAIN = "samba.local"
NETBIOS = "SAMBA"
ADMIN_PASSWORD = "Adm1n-pw-not-secret"
USER = "alice"
PASSWORD = "Al1ce-pw-not-secret"
DAVE = "dave"
DAVE_PASSWORD = "D4ve-pw-not-secret"
#: (account, its password, its SPN, msDS-SupportedEncryptionTypes or None for AD's default)
SERVICES = (
    ("httpsvc", "Svc-pw-not-secret-123", "HTTP/localhost", None),
    ("httpaes", "Aes-svc-pw-not-secret-456", "HTTP/aes.localhost", 0x18),
)
MIN_PASSWORD_LENGTH = 12

SAMBA = "/usr/sbin/samba"
SAMBA_TOOL = "/usr/bin/samba-tool"
#: Debian's samba-tool and the samba Python modules belong to the system interpreter.
SYSTEM_PYTHON = "/usr/bin/python3"
#: How long the KDC may take to listen after samba starts, and samba to stop.
_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 15.0
_STEP_TIMEOUT = 180.0


#: The processes this module started, by pid: kept so that they are waited for (and not
#: reported as still running when garbage-collected) when the domain stops.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class SambaError(RuntimeError):
    """Provisioning or starting the domain failed; the message says where and why."""


def available() -> str | None:
    """None when a domain can be started here, else why not (for a skip message)."""
    for path in (SAMBA, SAMBA_TOOL, SYSTEM_PYTHON):
        if not os.access(path, os.X_OK):
            return f"{path} is missing: install samba-ad-dc with scripts/setup.sh"
    if shutil.which("kinit") is None:
        return "kinit is missing: install krb5-user with scripts/setup.sh"
    if os.geteuid() != 0:
        return "a Samba DC must be provisioned and run as root"
    return None


@dataclass(frozen=True)
class Domain:
    """A running domain: where it is and what a process needs to use it."""

    dir: Path
    kdc_port: int
    kpasswd_port: int
    realm: str = REALM
    netbios: str = NETBIOS
    dns_domain: str = DNS_DOMAIN
    user: str = f"{USER}@{REALM}"
    password: str = PASSWORD
    dave: str = f"{DAVE}@{REALM}"
    dave_password: str = DAVE_PASSWORD
    #: The host-based names of the two services, RC4 and AES.
    rc4_service: str = "HTTP@localhost"
    aes_service: str = "HTTP@aes.localhost"
    #: The KRB5* variables: what a process needs to use this domain.
    env: dict[str, str] = field(default_factory=dict, hash=False)

    def lines(self) -> dict[str, str]:
        """The ``KEY=VALUE`` lines of the CLI, in realmctl.py's names."""
        return {
            **self.env,
            "WKTEST_DIR": str(self.dir),
            "WKTEST_REALM": self.realm,
            "WKTEST_NETBIOS": self.netbios,
            "WKTEST_KDC_PORT": str(self.kdc_port),
            "WKTEST_KPASSWD_PORT": str(self.kpasswd_port),
            "WKTEST_USER": self.user,
            "WKTEST_PASS": self.password,
            "WKTEST_DAVE": self.dave,
            "WKTEST_DAVE_PASS": self.dave_password,
            "WKTEST_SERVICE": self.rc4_service,
            "WKTEST_SPN": f"HTTP/localhost@{self.realm}",
            "WKTEST_AES_SERVICE": self.aes_service,
        }


def _free_port(taken: set[int]) -> int:
    """A port free for TCP and UDP on 127.0.0.1 (the KDC and kpasswd serve both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        if port not in taken:
            taken.add(port)
            return port
    raise SambaError("no free port on 127.0.0.1 for TCP and UDP after 50 tries")


def _run(what: str, args: list[str], **kwargs: object) -> str:
    proc = subprocess.run(
        args,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=_STEP_TIMEOUT,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-25:])
        raise SambaError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout


def _smb_conf(directory: Path, ports: dict[str, int]) -> str:
    """Our own smb.conf: loopback only, KDC only, every path inside ``directory``."""
    d = directory
    return f"""# Written by tests/support/samba_ad.py for a throwaway domain; nothing is shared.
[global]
    netbios name = DC1
    workgroup = {NETBIOS}
    realm = {REALM}
    server role = active directory domain controller
    server services = kdc
    interfaces = lo
    bind interfaces only = yes
    krb5 port = {ports["krb5"]}
    kpasswd port = {ports["kpasswd"]}
    dns port = {ports["dns"]}
    cldap port = {ports["cldap"]}
    nbt port = {ports["nbt"]}
    dgram port = {ports["dgram"]}
    smb ports = {ports["smb"]}
    private dir = {d}/private
    binddns dir = {d}/bind-dns
    state directory = {d}/state
    cache directory = {d}/cache
    lock directory = {d}
    pid directory = {d}/run
    ncalrpc dir = {d}/run/ncalrpc
    winbindd socket directory = {d}/run/winbindd
    ntp signd socket directory = {d}/run/ntp_signd
    log file = {d}/log/samba.log
    logging = file
    log level = 1
    # A domain controller never touches the host's Unix accounts.
    unix password sync = no
    pam password change = no

# Provisioning a DC insists on these shares; no file server runs to serve them.
[sysvol]
    path = {d}/state/sysvol
    read only = no

[netlogon]
    path = {d}/state/sysvol/{DNS_DOMAIN}/scripts
    read only = no
"""


# Run by the system interpreter (the samba modules are Debian's), as one process: every
# samba-tool call would pay seconds of start-up.
_CONFIGURE = r"""
import sys, ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

conf, url, users, services, min_length = sys.argv[1:6]
lp = LoadParm()
lp.load(conf)
db = SamDB(url=url, session_info=system_session(), lp=lp)
domain_dn = db.domain_dn()
m = ldb.Message(ldb.Dn(db, domain_dn))
m["minPwdAge"] = ldb.MessageElement("0", ldb.FLAG_MOD_REPLACE, "minPwdAge")
m["minPwdLength"] = ldb.MessageElement(min_length, ldb.FLAG_MOD_REPLACE, "minPwdLength")
db.modify(m)
for item in users.split(","):
    name, password = item.split(":", 1)
    db.newuser(name, password)
for item in services.split(","):
    name, password, spn, enctypes = item.split(":", 3)
    db.newuser(name, password)
    dn = db.search(expression="(sAMAccountName=%s)" % name, attrs=["dn"])[0].dn
    m = ldb.Message(dn)
    m["spn"] = ldb.MessageElement(spn, ldb.FLAG_MOD_ADD, "servicePrincipalName")
    if enctypes != "-":
        m["e"] = ldb.MessageElement(enctypes, ldb.FLAG_MOD_REPLACE, "msDS-SupportedEncryptionTypes")
    db.modify(m)
print("configured")
"""


def _krb5_conf(kdc_port: int, kpasswd_port: int) -> str:
    return f"""# Written by tests/support/samba_ad.py: the client side of the throwaway domain.
[libdefaults]
    default_realm = {REALM}
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    # AD issues RC4 tickets for accounts without AES; MIT accepts them only when allowed.
    allow_rc4 = true
[realms]
    {REALM} = {{
        kdc = 127.0.0.1:{kdc_port}
        kpasswd_server = 127.0.0.1:{kpasswd_port}
    }}
[domain_realm]
    localhost = {REALM}
    aes.localhost = {REALM}
    .{DNS_DOMAIN} = {REALM}
"""


def _samba_pid(directory: Path) -> int | None:
    """The pid of the samba of ``directory`` if it runs (checked against /proc)."""
    try:
        pid = int((directory / "samba.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
        stdout = os.readlink(f"/proc/{pid}/fd/1")
    except OSError:
        return None
    # samba rewrites its process title over its arguments, so neither names the folder; its
    # standard output, the log this module opened for it, does.
    if os.path.basename(exe) != "samba" or stdout != str(directory / "log" / "samba.out"):
        return None
    return pid


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SambaError(f"samba exited with {process.returncode}:\n{_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise SambaError(f"the KDC did not listen on 127.0.0.1:{port} in {_START_TIMEOUT:.0f} s")


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as e:
        return f"({path}: {e})"


def start_domain(directory: Path, *, watch_pid: int | None = None) -> Domain:
    """Provision the domain in ``directory`` (empty or nonexistent) and start its KDC.

    With ``watch_pid``, samba is stopped as soon as that process exits, whatever the reason.
    Raises :class:`SambaError` with the failing step's output.
    """
    why = available()
    if why is not None:
        raise SambaError(why)
    directory.mkdir(parents=True, exist_ok=True)
    directory = directory.resolve()
    if any(directory.iterdir()):
        raise SambaError(f"{directory} is not empty: a domain is provisioned into a new folder")
    taken: set[int] = set()
    ports = {
        name: _free_port(taken) for name in ("krb5", "kpasswd", "dns", "cldap", "nbt", "dgram")
    }
    ports["smb"] = _free_port(taken)
    for sub in ("etc", "run", "log", "rcache", "cache"):
        (directory / sub).mkdir()
    conf = directory / "etc" / "smb.conf"
    conf.write_text(_smb_conf(directory, ports))
    env_clean = {k: v for k, v in os.environ.items() if not k.startswith("KRB5")}
    _run(
        "samba-tool domain provision",
        [
            SAMBA_TOOL,
            "domain",
            "provision",
            f"--configfile={conf}",
            f"--realm={REALM}",
            f"--domain={NETBIOS}",
            "--server-role=dc",
            "--dns-backend=NONE",
            f"--adminpass={ADMIN_PASSWORD}",
            f"--targetdir={directory}",
            "--host-name=dc1",
            "--host-ip=127.0.0.1",
        ],
        env=env_clean,
    )
    sam = str(directory / "private" / "sam.ldb")
    users = ",".join(f"{n}:{p}" for n, p in ((USER, PASSWORD), (DAVE, DAVE_PASSWORD)))
    services = ",".join(f"{n}:{p}:{spn}:{e if e else '-'}" for n, p, spn, e in SERVICES)
    _run(
        "configuring the domain",
        [
            SYSTEM_PYTHON,
            "-c",
            _CONFIGURE,
            str(conf),
            sam,
            users,
            services,
            str(MIN_PASSWORD_LENGTH),
        ],
        env=env_clean,
    )
    keytab = directory / "http.keytab"
    for _, _, spn, _ in SERVICES:
        _run(
            f"samba-tool domain exportkeytab ({spn})",
            [
                SAMBA_TOOL,
                "domain",
                "exportkeytab",
                str(keytab),
                f"--principal={spn}",
                f"--configfile={conf}",
            ],
            env=env_clean,
        )
    krb5_conf = directory / "krb5.conf"
    krb5_conf.write_text(_krb5_conf(ports["krb5"], ports["kpasswd"]))
    env = {
        "KRB5_CONFIG": str(krb5_conf),
        "KRB5CCNAME": f"FILE:{directory}/ccache",
        "KRB5_KTNAME": f"FILE:{keytab}",
        "KRB5RCACHEDIR": str(directory / "rcache"),
    }
    log = directory / "log" / "samba.out"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [SAMBA, "--foreground", "--no-process-group", "--model=single", f"--configfile={conf}"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env_clean,
            start_new_session=True,
        )
    _CHILDREN[process.pid] = process
    (directory / "samba.pid").write_text(f"{process.pid}\n")
    try:
        if watch_pid is not None:
            _watchdog(watch_pid, process.pid, directory)
        _wait_listening(ports["krb5"], process, log)
        _kinit(env_clean | env)
    except BaseException:
        stop_domain(directory)
        raise
    return Domain(dir=directory, kdc_port=ports["krb5"], kpasswd_port=ports["kpasswd"], env=env)


def _kinit(env: dict[str, str]) -> None:
    proc = subprocess.run(
        ["kinit", f"{USER}@{REALM}"],
        input=f"{PASSWORD}\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=_STEP_TIMEOUT,
        check=False,
    )
    if proc.returncode != 0:
        raise SambaError(f"kinit {USER}@{REALM} failed: {proc.stderr.strip()}")


def _watchdog(watch_pid: int, samba_pid: int, directory: Path) -> None:
    """A detached shell that stops samba once ``watch_pid`` is gone (or samba itself is)."""
    script = (
        f"while kill -0 {watch_pid} 2>/dev/null && kill -0 {samba_pid} 2>/dev/null; "
        f"do sleep 1; done; kill -TERM {samba_pid} 2>/dev/null; "
        f"sleep {int(_STOP_TIMEOUT)}; kill -KILL {samba_pid} 2>/dev/null"
    )
    watchdog = subprocess.Popen(
        ["sh", "-c", script],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _CHILDREN[watchdog.pid] = watchdog
    (directory / "watchdog.pid").write_text(f"{watchdog.pid}\n")


def stop_domain(directory: Path) -> None:
    """Stop the samba of ``directory`` and its watchdog (idempotent); the files stay."""
    directory = directory.resolve()
    pid = _samba_pid(directory)
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + _STOP_TIMEOUT
        while time.monotonic() < deadline and _samba_pid(directory) == pid:
            _reap(pid)
            time.sleep(0.05)
        if _samba_pid(directory) == pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _reap(pid, wait=True)
        if _samba_pid(directory) == pid:
            raise SambaError(f"samba (pid {pid}) of {directory} did not stop")
    (directory / "samba.pid").unlink(missing_ok=True)
    try:
        watchdog = int((directory / "watchdog.pid").read_text().strip())
    except (OSError, ValueError):
        return
    with contextlib.suppress(ProcessLookupError):
        # Only our own shell: it leads a session of its own, so its group is it and its sleep.
        if os.getsid(watchdog) == watchdog:
            os.killpg(watchdog, signal.SIGTERM)
    _reap(watchdog, wait=True)
    (directory / "watchdog.pid").unlink(missing_ok=True)


def _reap(pid: int, *, wait: bool = False) -> None:
    """Collect ``pid`` if this process started it (so it does not linger as a zombie)."""
    child = _CHILDREN.get(pid)
    if child is None:
        return
    if wait:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=_STOP_TIMEOUT)
    if child.poll() is not None:
        del _CHILDREN[pid]


@contextlib.contextmanager
def running_domain(directory: Path) -> Iterator[Domain]:
    """Start a domain in ``directory`` for the duration of the ``with`` block."""
    domain = start_domain(directory, watch_pid=os.getpid())
    try:
        yield domain
    finally:
        stop_domain(directory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="provision and start; print KEY=VALUE lines")
    start.add_argument("dir", type=Path)
    start.add_argument("--watch", type=int, help="stop the domain when this process exits")
    stop = sub.add_parser("stop", help="stop the domain in DIR")
    stop.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            domain = start_domain(args.dir, watch_pid=args.watch)
            for key, value in domain.lines().items():
                print(f"{key}={value}")
        else:
            stop_domain(args.dir)
    except SambaError as e:
        print(f"samba_ad.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
