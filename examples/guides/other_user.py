"""Authenticating as another user, with a password, as on Windows (docs/guides/winkerberos.md).

tests/test_guides.py runs these functions against the test realm.
"""

from __future__ import annotations

from urllib.parse import quote

import winkerberos


def token_as(service: str, user: str, domain: str, password: str) -> str:
    """winkerberos' form: user=, domain= and password= (the tickets stay in memory)."""
    _, context = winkerberos.authGSSClientInit(service, user=user, domain=domain, password=password)
    winkerberos.authGSSClientStep(context, "")
    token = winkerberos.authGSSClientResponse(context)
    if token is None:
        raise RuntimeError("the Kerberos client produced no token")
    return token


def token_as_principal(service: str, principal: str, password: str) -> str:
    """pymongo's form: principal="user@REALM:password", both parts percent-encoded."""
    _, context = winkerberos.authGSSClientInit(
        service, principal=quote(principal) + ":" + quote(password)
    )
    winkerberos.authGSSClientStep(context, "")
    token = winkerberos.authGSSClientResponse(context)
    if token is None:
        raise RuntimeError("the Kerberos client produced no token")
    return token
