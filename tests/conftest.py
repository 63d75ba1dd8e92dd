"""The throwaway Kerberos realm, for the tests that ask for it (see tests/support/realm.py).

A test module that needs the KDC requests the ``realm`` fixture, by argument or with
``pytestmark = pytest.mark.usefixtures("realm")``; the others (API surface, packaging,
typing, ...) start none.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support.realm import INTERFERING_VARS, Realm, RunIsolated, start_realm, stop_realm
from support.realm import run_isolated as _run_isolated

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

# The environment the realm replaced, while it runs: what the tests without it see.
_ENVIRON_WITHOUT_REALM: pytest.StashKey[dict[str, str | None]] = pytest.StashKey()


@pytest.fixture(scope="session", autouse=True)
def _no_server_outlives_its_test(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every server a test starts is stopped by that test (or its fixture): after the session,
    no process whose command line or initial environment names the session's temporary
    directory (a KDC, kadmind, slapd, Apache, Samba, ...) may still run. Any found are killed,
    and the session fails."""
    yield
    base = str(tmp_path_factory.getbasetemp())
    deadline = time.monotonic() + 5.0  # a stopped daemon may take a moment to exit
    while (left := _processes_naming(base)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"still running after the tests that started them: {left}"


def _processes_naming(text: str) -> dict[int, str]:
    """The processes (but this one) whose argv or initial environment contains ``text``."""
    found = {}
    needle = text.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes()
            if needle in argv or needle in (entry / "environ").read_bytes():
                found[int(entry.name)] = argv.replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone, or not ours to read
            continue
    return found


@pytest.fixture(scope="session")
def realm(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Realm]:
    """Start the realm on first use, for the rest of the session, and point os.environ at it.

    The KDC's supervisor stops it when this process exits, so it dies with the session even
    if pytest is killed. The KRB5* variables stay set in os.environ until the end of the
    session (see ``_environment_without_realm`` for the tests that do not use the realm).
    """
    directory = tmp_path_factory.mktemp("realm")
    started = start_realm(directory, watch_pid=os.getpid(), kadmind=True)
    touched = (*started.env, *INTERFERING_VARS)
    saved = {key: os.environ.get(key) for key in touched}
    request.config.stash[_ENVIRON_WITHOUT_REALM] = saved
    for key in INTERFERING_VARS:
        os.environ.pop(key, None)
    os.environ.update(started.env)
    try:
        yield started
    finally:
        del request.config.stash[_ENVIRON_WITHOUT_REALM]
        _restore_environ(saved)
        stop_realm(directory)


@pytest.fixture(autouse=True)
def _environment_without_realm(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that does not use the realm runs in the environment as it was before the realm
    started, whichever tests ran before it."""
    saved = request.config.stash.get(_ENVIRON_WITHOUT_REALM, None)
    if saved is None or "realm" in request.fixturenames:
        yield
        return
    current = {key: os.environ.get(key) for key in saved}
    _restore_environ(saved)
    try:
        yield
    finally:
        _restore_environ(current)


def _restore_environ(saved: Mapping[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def run_isolated() -> RunIsolated:
    """``run_isolated(code, env_overrides=None, *, timeout=60.0)``: see support.realm."""
    return _run_isolated
