"""A Kerberos handshake through the pykerberos API, both sides (docs/guides/pykerberos.md).

tests/test_guides.py runs these functions against the test realm.
"""

from __future__ import annotations

import winkerberos as kerberos


def start_client(service: str) -> tuple[kerberos.GSSClientContext, str]:
    """The client's first step: its context and the token to send (base64)."""
    _, context = kerberos.authGSSClientInit(
        service,
        gssflags=kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_SEQUENCE_FLAG,
        mech_oid=kerberos.GSS_MECH_OID_SPNEGO,
    )
    kerberos.authGSSClientStep(context, "")
    token = kerberos.authGSSClientResponse(context)
    # A client's first step always yields a token; this check makes that explicit.
    if token is None:
        raise RuntimeError("the Kerberos client produced no token")
    return context, token


def accept(service: str, token: str) -> tuple[str, str | None]:
    """The server's side: the authenticated user and the reply token for the client."""
    _, context = kerberos.authGSSServerInit(service)
    if kerberos.authGSSServerStep(context, token) != kerberos.AUTH_GSS_COMPLETE:
        raise PermissionError("the client must send another token")
    user = kerberos.authGSSServerUserName(context)
    if user is None:
        raise PermissionError("no authenticated user")
    return user, kerberos.authGSSServerResponse(context)


def finish_client(context: kerberos.GSSClientContext, reply: str | None) -> str:
    """Mutual authentication: check the server's reply; return the client's name."""
    if reply is None:
        raise PermissionError("the server did not prove its identity")
    if kerberos.authGSSClientStep(context, reply) != kerberos.AUTH_GSS_COMPLETE:
        raise PermissionError("the server's reply did not complete the handshake")
    name = kerberos.authGSSClientUserName(context)
    assert name is not None  # set once the context is complete
    return name
