"""A workload for leak checks: handshakes that succeed and fail, wrap and unwrap, in rounds.

    python tests/support/leak_workload.py ROUNDS ITERATIONS

Needs a realm in the environment (KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME, as the tests set).
Prints one JSON line per round: {"round": n, "rss_kib": resident set size after the round}.
tests/test_leaks.py checks that RSS stops growing; under valgrind it is the short run of the
documented memcheck command (docs/hardening.md).
"""

from __future__ import annotations

import base64
import contextlib
import gc
import json
import os
import sys

import winkerberos as k

SERVICE = "HTTP@localhost"
FLAGS = k.GSS_C_MUTUAL_FLAG | k.GSS_C_SEQUENCE_FLAG | k.GSS_C_CONF_FLAG | k.GSS_C_INTEG_FLAG


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def successful() -> None:
    _, client = k.authGSSClientInit(SERVICE, gssflags=FLAGS)
    _, server = k.authGSSServerInit(SERVICE)
    k.authGSSClientStep(client, "")
    k.authGSSServerStep(server, k.authGSSClientResponse(client))
    k.authGSSClientStep(client, k.authGSSServerResponse(server))
    assert k.authGSSServerUserName(server)
    k.authGSSClientWrap(client, base64.b64encode(b"x" * 1000).decode(), None, 1)
    k.authGSSServerUnwrap(server, k.authGSSClientResponse(client))
    sealed = server.wrap(b"y" * 1000)
    assert client.unwrap(sealed) == b"y" * 1000
    data, header = k.authGSSWinRMEncryptMessage(client, b"z" * 100)
    assert data
    assert header


def failing() -> None:
    # A server fed garbage, a client fed a bogus reply, an unwrap of a tampered message,
    # an unknown principal: each raises, and must leave nothing behind.
    _, server = k.authGSSServerInit(SERVICE)
    with contextlib.suppress(k.GSSError):
        k.authGSSServerStep(server, base64.b64encode(b"\x60\x03garbage").decode())
    _, client = k.authGSSClientInit(SERVICE, gssflags=FLAGS)
    k.authGSSClientStep(client, "")
    with contextlib.suppress(k.GSSError):
        k.authGSSClientStep(client, base64.b64encode(b"\xa1\x05bogus").decode())
    with contextlib.suppress(k.GSSError):
        k.authGSSClientInit(SERVICE, principal="nosuchuser@WKTEST.LOCAL")


def with_password(principal: str) -> None:
    # A password credential (on Heimdal with SPNEGO: a private memory cache per credential).
    _, client = k.authGSSClientInit(SERVICE, principal=principal, mech_oid=k.GSS_MECH_OID_SPNEGO)
    _, server = k.authGSSServerInit(SERVICE)
    k.authGSSClientStep(client, "")
    k.authGSSServerStep(server, k.authGSSClientResponse(client))
    k.authGSSClientStep(client, k.authGSSServerResponse(server))


def main() -> None:
    rounds, iterations = int(sys.argv[1]), int(sys.argv[2])
    # WK_LEAK_PASSWORD_PRINCIPAL="user@REALM:password": password handshakes instead.
    principal = os.environ.get("WK_LEAK_PASSWORD_PRINCIPAL")
    for n in range(rounds):
        for _ in range(iterations):
            if principal:
                with_password(principal)
                continue
            successful()
            failing()
        gc.collect()
        print(json.dumps({"round": n, "rss_kib": rss_kib()}), flush=True)


if __name__ == "__main__":
    main()
