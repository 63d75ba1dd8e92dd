"""Check an installed winkerberos against a running test realm: handshakes, wrap/unwrap, errors.

Run by scripts/wheels.sh under qemu-aarch64-static with the aarch64 wheel (and usable with
any installed wheel), in the environment tests/support/realmctl.py prints (KRB5_CONFIG, KRB5CCNAME
holding alice's tickets, KRB5_KTNAME with the service keys, WKTEST_*). Prints each step and
exits non-zero at the first result that is not the expected one. Python 3.10+, stdlib only.
"""

from __future__ import annotations

import base64
import os
import platform
import sys
from importlib import metadata
from urllib.parse import quote

import winkerberos as kerberos


class CheckFailedError(Exception):
    pass


def check(condition: bool, what: str) -> None:
    # Not `assert`: this must also fail under `python -O`.
    if not condition:
        raise CheckFailedError(what)
    print(f"  ok  {what}")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str | None) -> bytes:
    return base64.b64decode(text or "")


def handshake(
    service: str, mech: kerberos.MechOID | None, principal: str | None
) -> tuple[kerberos.GSSClientContext, kerberos.GSSServerContext]:
    flags = kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_SEQUENCE_FLAG | kerberos.GSS_C_CONF_FLAG
    _, client = kerberos.authGSSClientInit(service, principal, gssflags=flags, mech_oid=mech)
    _, server = kerberos.authGSSServerInit(service)
    token = ""
    server_done = False
    # Kerberos with mutual authentication takes one round trip, SPNEGO at most two.
    for _ in range(4):
        client_state = kerberos.authGSSClientStep(client, token)
        if client_state == kerberos.AUTH_GSS_COMPLETE and server_done:
            break
        token = kerberos.authGSSClientResponse(client) or ""
        server_done = kerberos.authGSSServerStep(server, token) == kerberos.AUTH_GSS_COMPLETE
        token = kerberos.authGSSServerResponse(server) or ""
    check(server_done and client_state == kerberos.AUTH_GSS_COMPLETE, "handshake complete")
    return client, server


def wrap_both_ways(client: kerberos.GSSClientContext, server: kerberos.GSSServerContext) -> None:
    kerberos.authGSSClientWrap(client, b64(b"GET /balance"), None, 1)
    kerberos.authGSSServerUnwrap(server, kerberos.authGSSClientResponse(client) or "")
    plain = unb64(kerberos.authGSSServerResponse(server))
    check(plain == b"GET /balance", f"server unwraps the client's message: {plain!r}")
    check(kerberos.authGSSServerResponseConf(server) == 1, "  ... and it was encrypted")
    kerberos.authGSSServerWrap(server, b64(b"balance: 42"), 0)
    kerberos.authGSSClientUnwrap(client, kerberos.authGSSServerResponse(server) or "")
    plain = unb64(kerberos.authGSSClientResponse(client))
    check(plain == b"balance: 42", f"client unwraps the server's reply: {plain!r}")
    check(kerberos.authGSSClientResponseConf(client) == 0, "  ... integrity only, as asked")


def main() -> int:
    service = os.environ["WKTEST_SERVICE"]
    realm = os.environ["WKTEST_REALM"]
    alice = os.environ["WKTEST_USER"]  # user@REALM, as are the other names
    bob, bob_pass = os.environ["WKTEST_BOB"], os.environ["WKTEST_BOB_PASS"]
    dist = metadata.distribution("winkerberos-rs")
    print(
        f"{dist.metadata['Name']} {dist.version} on {platform.machine()}, "
        f"CPython {platform.python_version()}, libc {' '.join(platform.libc_ver())}"
    )
    print(f"module: {kerberos._native.__file__}")
    check(
        platform.machine() == os.environ.get("WHEEL_EXPECT_MACHINE", platform.machine()),
        f"running on {platform.machine()}",
    )

    for label, mech in (
        ("Kerberos", kerberos.GSS_MECH_OID_KRB5),
        ("SPNEGO", kerberos.GSS_MECH_OID_SPNEGO),
    ):
        print(f"{label} handshake to {service} from the ticket cache:")
        client, server = handshake(service, mech, None)
        user = kerberos.authGSSServerUserName(server)
        check(user == alice, f"service sees {user}")
        check(kerberos.authGSSClientUserName(client) == user, "client agrees on its name")
        wrap_both_ways(client, server)

    print(f"Kerberos handshake as {bob} with a password (no ticket cache used):")
    # principal="user@REALM:password", percent-encoded as pymongo sends it.
    client, server = handshake(service, None, f"{quote(bob)}:{quote(bob_pass)}")
    user = kerberos.authGSSServerUserName(server)
    check(user == bob, f"service sees {user}")
    wrap_both_ways(client, server)

    print("An unknown service is a GSSError that names it:")
    try:
        _, client = kerberos.authGSSClientInit(f"HTTP@no-such-host.{realm.lower()}")
        kerberos.authGSSClientStep(client, "")
    except kerberos.GSSError as exc:
        check("no-such-host" in str(exc), f"GSSError: {str(exc)[:100]}")
    else:
        check(False, "stepping toward an unknown service raised GSSError")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CheckFailedError as failure:
        print(f"  FAILED: {failure}")
        sys.exit(1)
