"""SASL GSSAPI (RFC 4752) with pure-sasl on winkerberos (docs/guides/sasl-ldap.md).

tests/test_guides.py runs authenticate() against Cyrus SASL's sample server.
"""

from __future__ import annotations

from collections.abc import Callable

import winkerberos

# Before puresasl is imported: its `import kerberos` then finds winkerberos.
winkerberos.install_as_kerberos()

from puresasl.client import SASLClient  # noqa: E402


def authenticate(
    host: str,
    service: str,
    send: Callable[[bytes], None],
    receive: Callable[[], bytes | None],
    authorization_id: str | None = None,
) -> SASLClient:
    """Run the GSSAPI exchange over the application's own transport.

    ``send`` sends one SASL message to the server; ``receive`` returns the server's next
    challenge, or None once the server says the authentication succeeded.
    """
    client = SASLClient(
        host,
        service,
        mechanism="GSSAPI",
        qops=[b"auth-conf", b"auth-int", b"auth"],
        authorization_id=authorization_id,
    )
    send(client.process() or b"")
    while (challenge := receive()) is not None:
        send(client.process(challenge) or b"")
    return client
