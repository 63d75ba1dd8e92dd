"""Fetch a web page protected by HTTP Negotiate (SPNEGO/Kerberos, RFC 4559), with winkerberos.

:func:`negotiate_get` does what a browser does: it asks for the page, and when the server
answers ``401`` with ``WWW-Authenticate: Negotiate`` it asks again with a Kerberos token from
the user's tickets (KRB5CCNAME), then checks the server's mutual-authentication token::

    from negotiate_client import negotiate_get
    status, body, user = negotiate_get("http://localhost:8080/")

or, from the command line::

    python examples/negotiate_client.py http://localhost:8080/ [--mech krb5]

Mutual authentication is always requested, so a successful (2xx) answer must carry the
server's token and the token must complete the client's context: otherwise the answer did
not come from the service the ticket was for, and :class:`MutualAuthenticationError` is
raised. Every call starts a new context, as Kerberos acceptors reject a replayed token.
"""

from __future__ import annotations

import argparse
import http.client
import sys
from typing import Literal
from urllib.parse import urlsplit

import winkerberos as kerberos

Mech = Literal["spnego", "krb5"]
MECHS: dict[str, kerberos.MechOID] = {
    "spnego": kerberos.GSS_MECH_OID_SPNEGO,
    "krb5": kerberos.GSS_MECH_OID_KRB5,
}
FLAGS = kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_SEQUENCE_FLAG


class MutualAuthenticationError(Exception):
    """The server accepted us but did not prove that it is the service we asked for."""


def negotiate_token(response: http.client.HTTPResponse) -> str | None:
    """The token of the response's Negotiate challenge: ``""`` if it has none, None if no
    ``WWW-Authenticate`` header offers Negotiate."""
    for header in response.headers.get_all("WWW-Authenticate") or ():
        for challenge in header.split(","):  # Several schemes may share one header.
            scheme, _, token = challenge.strip().partition(" ")
            if scheme.lower() == "negotiate":
                return token.strip()
    return None


def negotiate_get(
    url: str,
    service: str | None = None,
    mech: Mech = "spnego",
    principal: str | None = None,
    *,
    timeout: float = 30.0,
) -> tuple[int, bytes, str | None]:
    """GET ``url`` with Negotiate authentication; return ``(status, body, user)``.

    ``service`` defaults to ``"HTTP@<host of the URL>"``. ``mech`` chooses the token:
    ``"spnego"`` (what browsers and curl send) or ``"krb5"`` (a raw Kerberos token).
    ``principal`` picks the client (``"user@REALM"``, a ticket in the cache collection, or
    ``"user@REALM:password"`` with both parts percent-encoded, to log in with a password);
    None uses the default ticket cache.

    ``user`` is the client principal the server authenticated, once its mutual-authentication
    token has been verified; None if the server did not ask for Negotiate or refused us (then
    ``status`` and ``body`` say why). Raises :class:`MutualAuthenticationError` when a 2xx
    answer comes without a valid token, ``winkerberos.GSSError`` when no Kerberos token can
    be made (no ticket, unknown service, ...), and ``OSError`` for network failures.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    if mech not in MECHS:
        raise ValueError(f"mech must be one of {sorted(MECHS)}, not {mech!r}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    service = service or f"HTTP@{parts.hostname}"
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        body = response.read()
        if response.status != 401 or negotiate_token(response) is None:
            return response.status, body, None

        _, context = kerberos.authGSSClientInit(
            service, principal=principal, gssflags=FLAGS, mech_oid=MECHS[mech]
        )
        try:
            kerberos.authGSSClientStep(context, "")
            token = kerberos.authGSSClientResponse(context)
            connection.request("GET", target, headers={"Authorization": f"Negotiate {token}"})
            response = connection.getresponse()
            body = response.read()
            reply = negotiate_token(response)
            if response.status == 401 or (not reply and not 200 <= response.status < 300):
                return response.status, body, None  # Refused, or failed before authenticating.
            if not reply:
                raise MutualAuthenticationError(
                    f"{url} answered {response.status} without a mutual-authentication token"
                )
            try:
                result = kerberos.authGSSClientStep(context, reply)
            except kerberos.GSSError as exc:
                raise MutualAuthenticationError(
                    f"{url} sent an invalid mutual-authentication token: {exc}"
                ) from exc
            if result != kerberos.AUTH_GSS_COMPLETE:
                raise MutualAuthenticationError(
                    f"{url} did not complete the Negotiate exchange in one round trip"
                )
            return response.status, body, kerberos.authGSSClientUserName(context)
        finally:
            kerberos.authGSSClientClean(context)
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="GET a URL with HTTP Negotiate (Kerberos).")
    parser.add_argument("url")
    parser.add_argument("--service", help="the server's service name (HTTP@<host of the URL>)")
    parser.add_argument("--mech", choices=sorted(MECHS), default="spnego", help="(spnego)")
    parser.add_argument(
        "--principal",
        help="user@REALM, or user@REALM:password percent-encoded (visible to other local "
        "users: for tests only); default: the ticket cache",
    )
    args = parser.parse_args(argv)
    try:
        status, body, user = negotiate_get(args.url, args.service, args.mech, args.principal)
    except (MutualAuthenticationError, kerberos.KrbError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"HTTP {status}, authenticated as {user}" if user else f"HTTP {status}, not authenticated"
    )
    print(body.decode("utf-8", "replace"), end="")
    return 0 if user and 200 <= status < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
