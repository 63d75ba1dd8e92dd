"""``python -m winkerberos doctor`` and ``check SERVICE`` against the test realm: each broken
set-up gets its own diagnosis, in the text output and in the JSON, and a non-zero exit."""

from __future__ import annotations

import ctypes.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from support.realm import Realm

pytestmark = pytest.mark.usefixtures("realm")

FAKETIME = shutil.which("faketime")
KADMIN_LOCAL = shutil.which("kadmin.local") or "/usr/sbin/kadmin.local"


def run(
    *args: str,
    env: dict[str, str] | None = None,
    skew: str | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "winkerberos", *args]
    if skew is not None:
        assert FAKETIME, "faketime is not installed (scripts/setup.sh installs it)"
        command = [FAKETIME, "-f", skew, *command]
    return subprocess.run(
        command,
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def doctor(env: dict[str, str] | None = None, skew: str | None = None) -> tuple[str, dict]:
    """The doctor's text and JSON output, both runs checked for the same exit status."""
    text = run("doctor", env=env, skew=skew)
    as_json = run("doctor", "--json", env=env, skew=skew)
    assert text.returncode == as_json.returncode, (text.stderr, as_json.stderr)
    report = json.loads(as_json.stdout)
    assert (text.returncode == 0) == report["ok"]
    assert text.returncode in (0, 1), text.stderr
    return text.stdout, report


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [c for c in report["checks"] if c["check"] == name]
    return found


def line(text: str, status: str, name: str) -> str:
    """The text output's line for check ``name``, which must have ``status``."""
    match = re.search(rf"^\[\s*{status}\] {name}\s+(.*)$", text, re.MULTILINE)
    assert match, f"no [{status}] {name} line in:\n{text}"
    return match.group(1)


def assert_problem(text: str, report: dict[str, Any], name: str, kind: str) -> dict[str, Any]:
    assert not report["ok"]
    found = check(report, name)
    assert found["status"] == "problem", found
    assert found["kind"] == kind, found
    assert found["fix"]
    summary = line(text, "PROBLEM", name)
    # Two runs: what follows a measured number (a clock offset) may differ between them.
    assert re.split(r"\d", summary)[0] == re.split(r"\d", found["summary"])[0]
    assert f"kind:  {kind}" in text
    assert found["fix"] in text
    return found


def test_all_good(realm: Realm) -> None:
    text, report = doctor()
    assert report["ok"], text
    assert "no problems found" in text
    library = check(report, "library")
    assert library["status"] == "ok"
    assert library["details"]["vendor"] == "MIT"
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", library["details"]["version"])
    assert "libgssapi_krb5.so.2" in line(text, "ok", "library")
    config = check(report, "config")
    assert config["details"]["default_realm"] == realm.realm
    ccache = check(report, "ccache")
    assert ccache["details"]["principal"] == realm.user
    assert realm.user in line(text, "ok", "ccache")
    assert any(t["server"].startswith("krbtgt/") for t in ccache["details"]["tickets"])
    keytab = check(report, "keytab")
    assert keytab["status"] == "ok"
    assert f"HTTP/localhost@{realm.realm}" in keytab["summary"]
    assert "kvno 2 aes256-cts-hmac-sha1-96" in keytab["summary"]
    assert keytab["details"]["verified"][f"HTTP/localhost@{realm.realm}"] == "ok"
    assert f"127.0.0.1:{realm.kdc_port} answers" in line(text, "ok", "kdc")
    clock = check(report, "clock")
    assert clock["status"] == "ok"
    assert abs(clock["details"]["offset"]) < 5
    environment = check(report, "environment")
    assert environment["details"]["variables"]["KRB5_CONFIG"] == realm.krb5_config
    assert "KRB5_CONFIG" in line(text, "info", "environment")


@pytest.mark.skipif(
    ctypes.util.find_library("gssapi") != "libgssapi.so.3",
    reason="Heimdal's libgssapi.so.3 is not installed (scripts/setup.sh installs it)",
)
def test_all_good_over_heimdal(realm: Realm) -> None:
    text, report = doctor({"WINKERBEROS_GSSAPI_LIBRARY": "libgssapi.so.3"})
    assert report["ok"], text
    library = check(report, "library")["details"]
    assert library["vendor"] == "Heimdal"
    assert library["requested"]
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", library["version"])
    assert "Heimdal" in line(text, "ok", "library")
    assert check(report, "ccache")["details"]["principal"] == realm.user


def test_no_ticket(realm: Realm, tmp_path: Path) -> None:
    missing = tmp_path / "none"
    text, report = doctor({"KRB5CCNAME": f"FILE:{missing}"})
    found = assert_problem(text, report, "ccache", "NoCredentials")
    assert found["summary"] == f"no ticket in FILE:{missing}"
    assert "kinit" in found["fix"]


def test_expired_ticket(realm: Realm, tmp_path: Path) -> None:
    ccache = f"FILE:{tmp_path / 'short'}"
    subprocess.run(
        ["kinit", "-c", ccache, "-l", "2s", realm.bob],
        input=realm.bob_password + "\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    time.sleep(3)
    text, report = doctor({"KRB5CCNAME": ccache})
    found = assert_problem(text, report, "ccache", "Expired")
    assert f"({realm.bob}) expired at" in found["summary"]
    assert "kinit" in found["fix"]


def test_kdc_down(realm: Realm, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    conf, count = re.subn(
        r"kdc = 127\.0\.0\.1:\d+",
        f"kdc = 127.0.0.1:{closed}",
        Path(realm.krb5_config).read_text(),
    )
    assert count == 1
    path = tmp_path / "krb5.conf"
    path.write_text(conf)
    text, report = doctor({"KRB5_CONFIG": str(path)})
    found = assert_problem(text, report, "kdc", "KdcUnreachable")
    assert f"127.0.0.1:{closed}" in found["summary"]
    assert "port 88" in found["fix"]
    assert check(report, "clock")["status"] == "info"


def test_keytab_missing(realm: Realm, tmp_path: Path) -> None:
    missing = tmp_path / "no.keytab"
    text, report = doctor({"KRB5_KTNAME": f"FILE:{missing}"})
    found = assert_problem(text, report, "keytab", "NoCredentials")
    assert str(missing) in found["summary"]
    assert "KRB5_KTNAME" in found["fix"]


def test_stale_keytab(realm: Realm, tmp_path: Path) -> None:
    service = f"dstale{os.getpid()}"
    keytab = tmp_path / "stale.keytab"
    for command in (
        f"addprinc -randkey {service}/localhost",
        f"ktadd -k {keytab} {service}/localhost",
        f"cpw -randkey {service}/localhost",
    ):
        subprocess.run([KADMIN_LOCAL, "-q", command], capture_output=True, check=True, timeout=30)
    text, report = doctor({"KRB5_KTNAME": f"FILE:{keytab}"})
    found = assert_problem(text, report, "keytab", "StaleKeytab")
    assert f"{service}/localhost@{realm.realm}" in found["summary"]
    assert "kvno 2" in found["summary"]
    assert "ktadd" in found["fix"]


def test_clock_skew(realm: Realm) -> None:
    text, report = doctor(skew="+1h")
    found = assert_problem(text, report, "clock", "ClockSkew")
    assert "ahead of the KDC's" in found["summary"]
    assert -3700 < found["details"]["offset"] < -3500
    assert "clockskew" in found["fix"]
    # Nothing else is blamed.
    assert [c["check"] for c in report["checks"] if c["status"] == "problem"] == ["clock"]


def test_no_gssapi_library(realm: Realm) -> None:
    text, report = doctor({"WINKERBEROS_GSSAPI_LIBRARY": "libgssapi_nonexistent.so.9"})
    found = assert_problem(text, report, "library", "LibraryUnavailable")
    assert "cannot open shared object file" in found["summary"]
    assert "libgssapi-krb5-2" in found["fix"]
    # What does not need the library is still reported.
    assert check(report, "ccache")["status"] == "info"
    assert "not checked" in line(text, "info", "ccache")
    assert check(report, "kdc")["status"] == "ok"
    assert check(report, "keytab")["status"] == "ok"


# --------------------------------------------------------------------------------------------
# check SERVICE


def check_service(*args: str, stdin: str | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    text = run("check", *args, stdin=stdin)
    as_json = run("check", *args, "--json", stdin=stdin)
    assert text.returncode == as_json.returncode, (text.stderr, as_json.stderr)
    return text, json.loads(as_json.stdout)


@pytest.mark.parametrize(
    "service", ["HTTP@localhost", "HTTP/localhost", "HTTP/localhost@WKTEST.LOCAL"]
)
def test_check_a_service(realm: Realm, service: str) -> None:
    text, result = check_service(service)
    assert text.returncode == 0, text.stdout
    assert result["ok"]
    assert result["target"] == realm.spn
    assert result["client"] == realm.user
    assert text.stdout.startswith(f"ok: {realm.user} obtained a ticket for {realm.spn}")


def test_check_an_unknown_service(realm: Realm) -> None:
    text, result = check_service("HTTP@nohost")
    assert text.returncode == 1
    assert not result["ok"]
    assert result["kind"] == "UnknownPrincipal"
    assert result["error_class"] == "UnknownServiceError"
    assert "HTTP/nohost" in result["error"]
    assert "service name" in result["hint"]
    assert "kind:  UnknownPrincipal (UnknownServiceError)" in text.stdout
    assert result["hint"] in text.stdout


def test_check_as_another_user_with_spnego_and_trace(realm: Realm) -> None:
    args = ("HTTP@localhost", "--principal", realm.bob, "--password-stdin", "--mech", "spnego")
    text, result = check_service(*args, stdin=realm.bob_password + "\n")
    assert text.returncode == 0, text.stdout
    assert (result["client"], result["mech"]) == (realm.bob, "spnego")
    for shown in (text.stdout, text.stderr, json.dumps(result)):
        assert realm.bob_password not in shown
    wrong = "Wr0ng-pw-9x"
    text, result = check_service(*args, stdin=wrong + "\n")
    assert text.returncode == 1
    assert result["error_class"] == "AuthenticationFailedError"
    assert wrong not in text.stdout + text.stderr + json.dumps(result)
    traced = run("check", "HTTP@localhost", "--trace")
    assert traced.returncode == 0
    assert "Getting credentials" in traced.stderr  # MIT's own trace of its reasoning


def test_console_script_is_declared() -> None:
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert 'winkerberos = "winkerberos.__main__:main"' in pyproject
