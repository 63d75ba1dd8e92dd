"""A pywinrm session with Kerberos and message encryption (docs/guides/pywinrm.md).

tests/test_guides.py sends messages through this session's transport to a WinRM-style
endpoint whose Kerberos side is python-gssapi.
"""

from __future__ import annotations

import winrm


def kerberos_session(endpoint: str) -> winrm.Session:
    """A session to a WinRM listener such as ``http://host:5985/wsman``.

    The user is the one of the ticket cache (``kinit``); the messages are encrypted with
    the Kerberos session key.
    """
    return winrm.Session(
        endpoint,
        auth=("", ""),  # no password: Kerberos takes the ticket cache
        transport="kerberos",
        message_encryption="always",
    )
