"""WinRM / IOV message encryption, proven against python-gssapi's wrap_iov / unwrap_iov."""

from __future__ import annotations

import struct

import gssapi.raw
import pytest
import winkerberos as kerberos
from support.helpers import b64, client_with_gssapi_acceptor, unb64

pytestmark = pytest.mark.usefixtures("realm")

IOV = gssapi.raw.IOVBufferType


def peer_unwrap(acceptor: gssapi.SecurityContext, header: bytes, data: bytes) -> bytes:
    iov = gssapi.raw.IOV((IOV.header, False, header), (IOV.data, False, data), std_layout=False)
    gssapi.raw.unwrap_iov(acceptor, iov)
    return bytes(iov[1].value or b"")


def peer_wrap(acceptor: gssapi.SecurityContext, message: bytes) -> tuple[bytes, bytes]:
    iov = gssapi.raw.IOV(
        (IOV.header, True, None),
        (IOV.data, False, message),
        (IOV.padding, True, None),
        std_layout=False,
    )
    gssapi.raw.wrap_iov(acceptor, iov, confidential=True)
    return bytes(iov[0].value or b""), bytes(iov[1].value or b"") + bytes(iov[2].value or b"")


def test_pywinrm_probes_for_message_encryption() -> None:
    assert hasattr(kerberos, "authGSSWinRMEncryptMessage")
    assert hasattr(kerberos, "authGSSWinRMDecryptMessage")


@pytest.mark.parametrize("message", [b"<s:Envelope/>", "ünïcode as str", b""])
def test_winrm_encrypt_is_understood_by_an_independent_peer(message: bytes | str) -> None:
    client, acceptor = client_with_gssapi_acceptor()
    sealed, header = kerberos.authGSSWinRMEncryptMessage(client, message)
    assert isinstance(sealed, bytes)
    assert isinstance(header, bytes)
    expected = message.encode() if isinstance(message, str) else message
    if expected:
        assert expected not in sealed
    # pywinrm's framing: struct.pack("<i", len(header)) + header + sealed
    framed = struct.pack("<i", len(header)) + header + sealed
    length = struct.unpack("<i", framed[:4])[0]
    assert peer_unwrap(acceptor, framed[4 : 4 + length], framed[4 + length :]) == expected


def test_winrm_decrypt_of_a_peer_message() -> None:
    client, acceptor = client_with_gssapi_acceptor()
    header, data = peer_wrap(acceptor, b"<s:Body>reply</s:Body>")
    assert kerberos.authGSSWinRMDecryptMessage(client, data, header) == b"<s:Body>reply</s:Body>"


def test_winrm_decrypt_rejects_a_tampered_message() -> None:
    client, acceptor = client_with_gssapi_acceptor()
    header, data = peer_wrap(acceptor, b"transfer 10 EUR")
    tampered = bytes([data[0] ^ 1]) + data[1:]
    with pytest.raises(kerberos.GSSError) as info:
        kerberos.authGSSWinRMDecryptMessage(client, tampered, header)
    assert info.value.kind == "BadSignature"
    with pytest.raises(TypeError):
        kerberos.authGSSWinRMDecryptMessage(client, 5, header)  # type: ignore[arg-type]


def test_wrap_iov_layout_and_response_conf() -> None:
    client, acceptor = client_with_gssapi_acceptor()
    assert kerberos.authGSSClientWrapIov(client, b64(b"payload")) == (1, 0)
    framed = unb64(kerberos.authGSSClientResponse(client))
    (length,) = struct.unpack("<I", framed[:4])
    assert peer_unwrap(acceptor, framed[4 : 4 + length], framed[4 + length :]) == b"payload"
    assert kerberos.authGSSClientResponseConf(client) == 1


def test_unwrap_iov_of_a_peer_message_and_bad_framing() -> None:
    client, acceptor = client_with_gssapi_acceptor()
    header, data = peer_wrap(acceptor, b"from the peer")
    message = struct.pack("<I", len(header)) + header + data
    assert kerberos.authGSSClientUnwrapIov(client, b64(message)) == 1
    assert unb64(kerberos.authGSSClientResponse(client)) == b"from the peer"
    assert kerberos.authGSSClientResponseConf(client) == 1
    for bad in [b"", b"\x01\x00", struct.pack("<I", 10_000) + header]:
        with pytest.raises(kerberos.GSSError) as info:
            kerberos.authGSSClientUnwrapIov(client, b64(bad))
        assert "header length" in str(info.value) or "cut short" in str(info.value)
