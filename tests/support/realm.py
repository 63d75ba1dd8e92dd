"""A throwaway MIT Kerberos realm for the test suite.

This wraps ``realmctl.py`` (beside this file): :func:`start_realm` runs
``realmctl.py start`` and parses its ``KEY=VALUE`` output into a :class:`Realm`,
:func:`stop_realm` stops the daemons again. :func:`run_isolated` runs a Python snippet in a fresh
interpreter, for tests that need a different Kerberos environment (another
ccache, a missing keytab, a dead KDC, ...) than the one of the test process.

The session-wide realm itself is the opt-in ``realm`` fixture of
``tests/conftest.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

REPO_ROOT = Path(__file__).resolve().parents[2]
REALMCTL = Path(__file__).resolve().with_name("realmctl.py")

# realmctl.py has its own 10 s start-up timeouts; this only guards against a hang.
_SCRIPT_TIMEOUT = 120.0

# Variables that must not leak from the developer's environment into the tests:
# a client keytab would let GSSAPI obtain credentials behind the tests' back.
INTERFERING_VARS = ("KRB5_CLIENT_KTNAME",)

_KEY_RE = re.compile(r"[A-Z][A-Z0-9_]*")

#: The type of :func:`run_isolated` (and of the ``run_isolated`` fixture).
RunIsolated: TypeAlias = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class Realm:
    """The environment of a running throwaway realm (see ``realmctl.py``)."""

    dir: Path  # WKTEST_DIR
    realm: str  # WKTEST_REALM, "WKTEST.LOCAL"
    kdc_port: int  # WKTEST_KDC_PORT
    kadmin_port: int | None  # WKTEST_KADMIN_PORT (only with kadmind)
    kpasswd_port: int | None  # WKTEST_KPASSWD_PORT (only with kadmind)
    krb5_config: str  # KRB5_CONFIG
    krb5_kdc_profile: str  # KRB5_KDC_PROFILE
    krb5ccname: str  # KRB5CCNAME, "FILE:<dir>/ccache", holds alice's TGT
    krb5_ktname: str  # KRB5_KTNAME, "FILE:<dir>/service.keytab"
    krb5rcachedir: str  # KRB5RCACHEDIR
    user: str  # WKTEST_USER, "alice@WKTEST.LOCAL"
    password: str  # WKTEST_PASS
    bob: str  # WKTEST_BOB (password policy "strict")
    bob_password: str  # WKTEST_BOB_PASS
    carol: str  # WKTEST_CAROL
    carol_password: str  # WKTEST_CAROL_PASS (contains ' ', '@', ':', '%', '/', 'ü', '+')
    dave: str  # WKTEST_DAVE: the one principal whose password tests may change
    dave_password: str  # WKTEST_DAVE_PASS (its initial password; policy "strict")
    service: str  # WKTEST_SERVICE, "HTTP@localhost"
    spn: str  # WKTEST_SPN, "HTTP/localhost@WKTEST.LOCAL"
    other_keytab: str  # WKTEST_OTHER_KEYTAB, "FILE:<dir>/other.keytab" (host/localhost only)
    #: The KRB5* variables only: what a process needs to use this realm.
    env: dict[str, str] = field(hash=False)
    #: Every KEY=VALUE line printed by realmctl.py, as is.
    vars: dict[str, str] = field(hash=False, repr=False)

    @classmethod
    def from_vars(cls, variables: Mapping[str, str]) -> Realm:
        """Build a Realm from parsed ``KEY=VALUE`` lines; raise ValueError if incomplete."""

        def get(key: str) -> str:
            try:
                return variables[key]
            except KeyError:
                raise ValueError(f"realmctl.py output lacks {key}") from None

        def port(key: str) -> int | None:
            return int(variables[key]) if key in variables else None

        return cls(
            dir=Path(get("WKTEST_DIR")),
            realm=get("WKTEST_REALM"),
            kdc_port=int(get("WKTEST_KDC_PORT")),
            kadmin_port=port("WKTEST_KADMIN_PORT"),
            kpasswd_port=port("WKTEST_KPASSWD_PORT"),
            krb5_config=get("KRB5_CONFIG"),
            krb5_kdc_profile=get("KRB5_KDC_PROFILE"),
            krb5ccname=get("KRB5CCNAME"),
            krb5_ktname=get("KRB5_KTNAME"),
            krb5rcachedir=get("KRB5RCACHEDIR"),
            user=get("WKTEST_USER"),
            password=get("WKTEST_PASS"),
            bob=get("WKTEST_BOB"),
            bob_password=get("WKTEST_BOB_PASS"),
            carol=get("WKTEST_CAROL"),
            carol_password=get("WKTEST_CAROL_PASS"),
            dave=get("WKTEST_DAVE"),
            dave_password=get("WKTEST_DAVE_PASS"),
            service=get("WKTEST_SERVICE"),
            spn=get("WKTEST_SPN"),
            other_keytab=get("WKTEST_OTHER_KEYTAB"),
            env={k: v for k, v in variables.items() if k.startswith("KRB5")},
            vars=dict(variables),
        )


def parse_env_lines(text: str) -> dict[str, str]:
    """Parse realmctl.py's output: one ``KEY=VALUE`` per line, split on the first ``=``.

    Values are taken verbatim (they may contain spaces and ``=``); blank lines
    are skipped; anything else raises ValueError.
    """
    result: dict[str, str] = {}
    for line in text.splitlines():
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep or not _KEY_RE.fullmatch(key):
            raise ValueError(f"unexpected line in realmctl.py output: {line!r}")
        result[key] = value
    return result


def _realmctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REALMCTL), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=_SCRIPT_TIMEOUT,
        check=False,
    )


def start_realm(directory: Path, *, watch_pid: int | None = None, kadmind: bool = False) -> Realm:
    """Create and start a realm in ``directory`` (empty or nonexistent).

    With ``watch_pid``, the realm's daemons are stopped as soon as that process
    exits, whatever the reason. With ``kadmind``, kadmind (kadmin and kpasswd)
    runs too. Raises RuntimeError with realmctl.py's diagnostics on failure.
    """
    args = ["start", str(directory)]
    if watch_pid is not None:
        args += ["--watch", str(watch_pid)]
    if kadmind:
        args.append("--kadmind")
    proc = _realmctl(*args)
    if proc.returncode != 0:
        raise RuntimeError(
            f"realmctl.py {' '.join(args)} failed (exit {proc.returncode}):\n{proc.stderr}"
        )
    return Realm.from_vars(parse_env_lines(proc.stdout))


def stop_realm(directory: Path) -> None:
    """Stop the daemons of the realm in ``directory`` (idempotent); the files stay."""
    proc = _realmctl("stop", str(directory))
    if proc.returncode != 0:
        raise RuntimeError(f"realmctl.py stop {directory} failed:\n{proc.stderr}")


def run_isolated(
    code: str,
    env_overrides: Mapping[str, str | None] | None = None,
    *,
    timeout: float = 60.0,
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with ``python -c`` in a fresh interpreter and return the result.

    The child's environment is this process's ``os.environ`` (so, inside the
    test session, the realm's) with ``env_overrides`` applied; an override of
    ``None`` removes the variable. stdout and stderr are captured as text; the
    exit status is not checked. Raises subprocess.TimeoutExpired (after killing
    the child) if it runs longer than ``timeout`` seconds.
    """
    env = dict(os.environ)
    for key, value in (env_overrides or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
