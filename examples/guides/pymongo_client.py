"""pymongo with Kerberos (GSSAPI) through winkerberos (docs/guides/pymongo.md).

tests/test_guides.py authenticates the credentials of these clients with pymongo's own
GSSAPI code against a MongoDB-style SASL peer built on python-gssapi.
"""

from __future__ import annotations

from typing import Any

from pymongo import MongoClient


def kerberos_client(
    uri: str, principal: str, password: str | None = None
) -> MongoClient[dict[str, Any]]:
    """A client that logs in as ``principal`` with Kerberos.

    Without a password, the principal's tickets come from the ticket cache (``kinit``).
    With one, winkerberos gets them from the KDC itself and keeps them in memory.
    """
    return MongoClient(
        uri,
        username=principal,
        password=password,
        authMechanism="GSSAPI",
        authSource="$external",
        # The default service name; SERVICE_HOST and SERVICE_REALM are set the same way.
        authMechanismProperties={"SERVICE_NAME": "mongodb"},
        connect=False,
    )
