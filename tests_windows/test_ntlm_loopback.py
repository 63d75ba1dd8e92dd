"""A real SSPI handshake on a Windows runner, with no KDC: Negotiate between a client and a
server context in one process, as the runner's local account. With no domain to find,
Negotiate falls back to NTLM. The messages then go both ways wrapped and unwrapped, and both
sides name the client in the ``DOMAIN\\user`` form of ``SECPKG_ATTR_NAMES``, which is what
winkerberos' authGSSClientUserName and authGSSServerUserName returned.

Only Windows has SSPI. Under Wine (no Windows CPython exists for it) the same handshake is the
check ``wine-ntlm-loopback`` of scripts/windows/test.sh, which is skipped there with its reason
printed: Wine's NTLM checks a client only through a winbindd joined to a domain.
"""

from __future__ import annotations

import base64
import os
import sys

import pytest
import winkerberos as kerberos

pytestmark = pytest.mark.skipif(
    sys.platform != "win32",
    reason="needs Windows' SSPI; under Wine this is the peer check wine-ntlm-loopback of "
    "scripts/windows/test.sh",
)

# What wrapping needs. NTLM has no mutual authentication, so MUTUAL is not asked for.
FLAGS = kerberos.GSS_C_SEQUENCE_FLAG | kerberos.GSS_C_CONF_FLAG | kerberos.GSS_C_INTEG_FLAG
TARGET = "HTTP@localhost"


def local_account() -> str:
    return f"{os.environ['USERDOMAIN']}\\{os.environ['USERNAME']}"


def loopback(gssflags: int = FLAGS) -> tuple[kerberos.GSSClientContext, kerberos.GSSServerContext]:
    _, client = kerberos.authGSSClientInit(
        TARGET, gssflags=gssflags, mech_oid=kerberos.GSS_MECH_OID_SPNEGO
    )
    _, server = kerberos.authGSSServerInit(TARGET)
    challenge = ""
    client_done = server_done = False
    for _ in range(6):
        client_done = kerberos.authGSSClientStep(client, challenge) == kerberos.AUTH_GSS_COMPLETE
        token = kerberos.authGSSClientResponse(client)
        if token and not server_done:
            server_done = kerberos.authGSSServerStep(server, token) == kerberos.AUTH_GSS_COMPLETE
            challenge = kerberos.authGSSServerResponse(server) or ""
        if client_done and server_done:
            return client, server
        if client_done and not challenge:
            break
    raise AssertionError(f"handshake incomplete: client {client_done}, server {server_done}")


def test_negotiate_loopback_names_the_local_account() -> None:
    client, server = loopback()
    expected = local_account().casefold()
    assert (kerberos.authGSSClientUserName(client) or "").casefold() == expected
    assert (kerberos.authGSSServerUserName(server) or "").casefold() == expected


def test_negotiate_loopback_wraps_both_ways() -> None:
    client, server = loopback()
    to_server = base64.b64encode(b"from the client").decode()
    assert kerberos.authGSSClientWrap(client, to_server, None, 1) == kerberos.AUTH_GSS_COMPLETE
    assert kerberos.authGSSServerUnwrap(server, kerberos.authGSSClientResponse(client)) == 1
    assert kerberos.authGSSServerResponse(server) == to_server
    assert kerberos.authGSSServerResponseConf(server) == 1
    to_client = base64.b64encode(b"from the server").decode()
    assert kerberos.authGSSServerWrap(server, to_client, 1) == kerberos.AUTH_GSS_COMPLETE
    assert kerberos.authGSSClientUnwrap(client, kerberos.authGSSServerResponse(server)) == 1
    assert kerberos.authGSSClientResponse(client) == to_client
    assert kerberos.authGSSClientResponseConf(client) == 1


def test_negotiate_loopback_with_the_default_flags() -> None:
    # winkerberos' default gssflags (MUTUAL | SEQUENCE), as pymongo and pywinrm pass them.
    # winkerberos completed such a Negotiate handshake that fell back to NTLM (it never
    # looked at the granted flags); NTLM has no mutual authentication, so this shows whether
    # the core's "requested must be granted" check refuses what winkerberos allowed.
    client, server = loopback(kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_SEQUENCE_FLAG)
    expected = local_account().casefold()
    assert (kerberos.authGSSServerUserName(server) or "").casefold() == expected
    assert (kerberos.authGSSClientUserName(client) or "").casefold() == expected
