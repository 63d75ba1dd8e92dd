"""Apache httpd with mod_auth_gssapi as HTTP/localhost, in a temporary ServerRoot.

The server of ``tests/test_http_negotiate.py``'s ``apache`` fixture: :func:`start_apache`
runs httpd in the foreground on a free 127.0.0.1 port, :func:`stop_apache` stops it and
checks that none of its workers is left.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

APACHE_MODULES = Path("/usr/lib/apache2/modules")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def apache_binary() -> str | None:
    for candidate in (shutil.which("apache2"), "/usr/sbin/apache2"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


APACHE_CONF = """\
ServerRoot "{root}"
ServerName localhost
Listen 127.0.0.1:{port}
PidFile "{root}/httpd.pid"
DefaultRuntimeDir "{root}/run"
Mutex file:{root}/run default
ErrorLog "{root}/error.log"
LogLevel warn auth_gssapi:debug
LoadModule mpm_prefork_module {modules}/mod_mpm_prefork.so
LoadModule authn_core_module {modules}/mod_authn_core.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule authz_user_module {modules}/mod_authz_user.so
LoadModule auth_gssapi_module {modules}/mod_auth_gssapi.so
LoadModule include_module {modules}/mod_include.so
LoadModule dir_module {modules}/mod_dir.so
LoadModule mime_module {modules}/mod_mime.so
StartServers 2
TypesConfig /dev/null
AddType text/plain .shtml
AddOutputFilter INCLUDES .shtml
DocumentRoot "{root}/htdocs"
DirectoryIndex index.shtml
<Directory "{root}/htdocs">
    Options +Includes
</Directory>
<Location />
    AuthType GSSAPI
    AuthName "winkerberos tests"
    GssapiCredStore keytab:{keytab}
    GssapiAllowedMech krb5
    GssapiBasicAuth Off
    Require valid-user
</Location>
"""


def start_apache(
    binary: str, root: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], int]:
    """Start httpd in the foreground on a free port (retrying if another process takes it)."""
    failures = []
    for _ in range(3):
        port = _free_port()
        conf = APACHE_CONF.format(
            root=root,
            port=port,
            modules=APACHE_MODULES,
            keytab=env["KRB5_KTNAME"].removeprefix("FILE:"),
        )
        (root / "httpd.conf").write_text(conf)
        with open(root / "stderr.log", "ab") as stderr:
            process = subprocess.Popen(
                [binary, "-d", str(root), "-f", str(root / "httpd.conf"), "-DFOREGROUND"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                # httpd signals its whole process group when it stops: give it its own.
                start_new_session=True,
            )
        deadline = time.monotonic() + 20
        while process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                return process, port
            time.sleep(0.05)
        stop_apache(process, root)
        failures.append(f"port {port}: exit status {process.returncode}")
    log = "".join(
        path.read_text(errors="replace")[-2000:]
        for path in (root / "stderr.log", root / "error.log")
        if path.exists()
    )
    pytest.fail(f"Apache httpd did not start ({'; '.join(failures)}):\n{log}")


def stop_apache(process: subprocess.Popen[bytes], root: Path) -> None:
    """Stop httpd (the parent stops its workers) and check that none of them is left."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
    conf = os.fsencode(root / "httpd.conf")
    deadline = time.monotonic() + 10
    while leftovers := processes_with_argument(conf):
        if time.monotonic() > deadline:
            for pid in leftovers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            pytest.fail(f"httpd workers {leftovers} outlived their parent; killed them")
        time.sleep(0.05)


def processes_with_argument(argument: bytes) -> list[int]:
    """PIDs of the processes with ``argument`` on their command line (Linux /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if argument in (entry / "cmdline").read_bytes().split(b"\0"):
                    pids.append(int(entry.name))
    return pids
