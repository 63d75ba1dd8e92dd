"""Session-wide throwaway Kerberos realm (see tests/realm.py and scripts/realm.sh)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from realm import INTERFERING_VARS, Realm, RunIsolated, start_realm, stop_realm
from realm import run_isolated as _run_isolated

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


@pytest.fixture(scope="session", autouse=True)
def realm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Realm]:
    """Start the realm for the whole session and point os.environ at it.

    The KDC is watched by a watchdog that stops it when this process exits, so
    it dies with the session even if pytest is killed. The KRB5* variables are
    set in os.environ before the first test runs, and the previous environment
    is restored at the end.
    """
    directory = tmp_path_factory.mktemp("realm")
    started = start_realm(directory, watch_pid=os.getpid(), kadmind=True)
    touched = (*started.env, *INTERFERING_VARS)
    saved = {key: os.environ.get(key) for key in touched}
    for key in INTERFERING_VARS:
        os.environ.pop(key, None)
    os.environ.update(started.env)
    try:
        yield started
    finally:
        _restore_environ(saved)
        stop_realm(directory)


def _restore_environ(saved: Mapping[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def run_isolated() -> RunIsolated:
    """``run_isolated(code, env_overrides=None, *, timeout=60.0)``: see realm.run_isolated."""
    return _run_isolated
