"""No per-operation memory growth over many handshakes, failures, wraps and unwraps.

tests/support/leak_workload.py runs rounds of successful handshakes (with wrap, unwrap and WinRM
encryption) and failing ones (garbage tokens, bogus replies, unknown principals) in a fresh
interpreter, printing RSS after each round. The first rounds warm up caches and allocator
arenas; after them RSS must stay flat: a leak of even one context, name or buffer per
operation would add hundreds of KiB per round.
"""

from __future__ import annotations

import ctypes.util
import json
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from support.realm import Realm

pytestmark = pytest.mark.usefixtures("realm")

WORKLOAD = Path(__file__).resolve().parent / "support" / "leak_workload.py"
ROUNDS = 8
ITERATIONS = 300  # per round: 300 successful and 300 failing handshakes, 1200 messages
WARM_UP = 3
#: Allowed growth from the end of the warm-up to the last round, in KiB: ~1 byte per
#: operation plus allocator noise. One leaked 1 KiB buffer per handshake would be 1500 KiB.
ALLOWED_KIB = 512


def test_rss_stays_flat(realm: Realm, run_isolated) -> None:
    code = f"import sys, runpy; sys.argv = ['w', '{ROUNDS}', '{ITERATIONS}']; " + (
        f"runpy.run_path({str(WORKLOAD)!r}, run_name='__main__')"
    )
    result = run_isolated(code, timeout=600)
    assert result.returncode == 0, result.stderr
    rss = [json.loads(line)["rss_kib"] for line in result.stdout.splitlines()]
    assert len(rss) == ROUNDS
    growth = rss[-1] - rss[WARM_UP - 1]
    print(f"RSS per round (KiB): {rss}", file=sys.stderr)
    assert growth <= ALLOWED_KIB, f"RSS grew {growth} KiB after warm-up: {rss}"


def test_rss_stays_flat_with_heimdal_spnego_passwords(realm: Realm, run_isolated) -> None:
    # Each credential owns a private memory cache (see the backend): none may outlive it.
    if ctypes.util.find_library("gssapi") != "libgssapi.so.3":
        pytest.skip("Heimdal's libgssapi.so.3 is not installed")
    code = "import sys, runpy; sys.argv = ['w', '6', '100']; " + (
        f"runpy.run_path({str(WORKLOAD)!r}, run_name='__main__')"
    )
    env = {
        "WINKERBEROS_GSSAPI_LIBRARY": "libgssapi.so.3",
        "KRB5CCNAME": "FILE:/nonexistent/winkerberos-no-cache",
        "WK_LEAK_PASSWORD_PRINCIPAL": f"{realm.bob}:{quote(realm.bob_password, safe='')}",
    }
    result = run_isolated(code, env, timeout=600)
    assert result.returncode == 0, result.stderr
    rss = [json.loads(line)["rss_kib"] for line in result.stdout.splitlines()]
    assert len(rss) == 6
    assert rss[-1] - rss[WARM_UP - 1] <= ALLOWED_KIB, f"RSS grew after warm-up: {rss}"
