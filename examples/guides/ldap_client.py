"""ldap3 with SASL GSSAPI (Kerberos) through winkerberos (docs/guides/sasl-ldap.md).

tests/test_ldap.py runs who_am_i() against OpenLDAP's slapd, in an interpreter without
python-gssapi, as on a machine where winkerberos is the only Kerberos module.
"""

from __future__ import annotations

from ldap3 import KERBEROS, SASL, Connection, Server


def who_am_i(host: str, port: int = 389) -> str:
    """Bind with the ticket cache's Kerberos identity; return the server's view of it."""
    connection = Connection(
        Server(host, port=port),
        authentication=SASL,
        sasl_mechanism=KERBEROS,  # GSSAPI; the service is ldap@host
        auto_bind=True,
    )
    try:
        identity = connection.extend.standard.who_am_i()
    finally:
        connection.unbind()
    return str(identity)
