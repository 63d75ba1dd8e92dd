"""A WSGI service written for pykerberos, as Flask-Kerberos and many in-house services are.

Nothing here knows about winkerberos: it says ``import kerberos``. Run it on winkerberos by
calling ``winkerberos.install_as_kerberos()`` before importing it (tests/test_consumers.py
does, and serves it to curl --negotiate)::

    import winkerberos

    winkerberos.install_as_kerberos()

    import pykerberos_wsgi

Each request with ``Authorization: Negotiate <token>`` gets a fresh server context; the
reply token goes back in ``WWW-Authenticate`` (mutual authentication) and the page greets
the authenticated principal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import kerberos

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def make_app(service: str) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """A WSGI app that requires Kerberos (Negotiate) and greets the authenticated user."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "negotiate" or not token.strip():
            start_response("401 Unauthorized", [("WWW-Authenticate", "Negotiate")])
            return [b"Kerberos required\n"]
        state = None
        try:
            _, state = kerberos.authGSSServerInit(service)
            if kerberos.authGSSServerStep(state, token.strip()) != kerberos.AUTH_GSS_COMPLETE:
                start_response("401 Unauthorized", [("WWW-Authenticate", "Negotiate")])
                return [b"Kerberos handshake not complete\n"]
            user = kerberos.authGSSServerUserName(state)
            reply = kerberos.authGSSServerResponse(state)
        except kerberos.GSSError as error:
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [f"Kerberos authentication failed: {error}\n".encode()]
        finally:
            if state is not None:
                kerberos.authGSSServerClean(state)
        headers = [("Content-Type", "text/plain")]
        if reply:
            headers.append(("WWW-Authenticate", f"Negotiate {reply}"))
        start_response("200 OK", headers)
        return [f"Hello, {user}!\n".encode()]

    return app
