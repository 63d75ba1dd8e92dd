"""WinRM message encryption as pywinrm frames it (docs/guides/pywinrm.md).

tests/test_guides.py seals and opens messages with these functions against an independent
GSSAPI acceptor (python-gssapi).
"""

from __future__ import annotations

import struct

import winkerberos


def seal(context: winkerberos.GSSClientContext, message: bytes) -> bytes:
    """Encrypt one SOAP message: the header's length, the header, then the data."""
    data, header = winkerberos.authGSSWinRMEncryptMessage(context, message)
    return struct.pack("<i", len(header)) + header + data


def open_sealed(context: winkerberos.GSSClientContext, payload: bytes) -> bytes:
    """Decrypt one message framed as seal() frames it."""
    (length,) = struct.unpack("<i", payload[:4])
    header, data = payload[4 : 4 + length], payload[4 + length :]
    return winkerberos.authGSSWinRMDecryptMessage(context, data, header)
