"""Code written for pykerberos, run unchanged through ``winkerberos.install_as_kerberos()``.

Each consumer is the real, unmodified PyPI package, importing ``kerberos``, against a real
server on 127.0.0.1 started (and stopped) by the test:

* pure-sasl's GSSAPI mechanism against Cyrus SASL's sample server (``sasl-sample-server``,
  Debian ``sasl2-bin`` with ``libsasl2-modules-gssapi-mit``): handshake, the RFC 4752
  security-layer negotiation, and one message each way under the layer it chose;
* a WSGI service written for pykerberos (``examples/pykerberos_wsgi.py``) against
  ``curl --negotiate``;
* requests-kerberos 0.12.0 with mutual authentication REQUIRED against Apache
  mod_auth_gssapi, and against a server that omits the mutual-authentication token;
* pywinrm 0.5.0's Kerberos transport with message encryption against a WinRM-style HTTP
  endpoint whose acceptor is python-gssapi (pywinrm finds winkerberos by itself).

None of them imports pykerberos: setup.sh installs requests-kerberos with ``--no-deps``.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import winkerberos
from support.helpers import gssapi_acceptor
from support.realm import REPO_ROOT, Realm
from test_http_negotiate import SETUP_HINT, apache, fake_server, serving
from test_winrm import peer_unwrap, peer_wrap

pytestmark = pytest.mark.usefixtures("realm")

__all__ = ["apache"]  # the fixture, imported for the requests-kerberos tests

#: Modules that bind ``kerberos`` when imported: dropped around each test, so that each
#: test imports them afresh after install_as_kerberos() and none leaks into other tests.
#: The messages Cyrus SASL's sample server sends and expects under the negotiated layer (C
#: strings, so with their NUL); it exits non-zero unless it decodes exactly CLIENT_MESSAGE.
SERVER_MESSAGE = b"srv message 1\0"
CLIENT_MESSAGE = b"client message 1\0"
CONSUMERS = ("kerberos", "puresasl", "requests_kerberos", "pykerberos_wsgi", "winrm")


def _drop_consumers() -> None:
    for name in list(sys.modules):
        if name.split(".")[0] in CONSUMERS:
            del sys.modules[name]


@pytest.fixture
def kerberos_is_winkerberos() -> Iterator[None]:
    """``import kerberos`` gives winkerberos for the duration of the test."""
    _drop_consumers()
    winkerberos.install_as_kerberos()
    try:
        yield
    finally:
        _drop_consumers()


# --- install_as_kerberos itself ------------------------------------------------------------


def test_install_as_kerberos_makes_import_kerberos_give_winkerberos(
    kerberos_is_winkerberos: None,
) -> None:
    import kerberos

    assert kerberos is winkerberos
    from kerberos import GSSError, authGSSClientInit

    assert (authGSSClientInit, GSSError) == (
        winkerberos.authGSSClientInit,
        winkerberos.GSSError,
    )
    winkerberos.install_as_kerberos()  # again: nothing changes, nothing raised
    assert sys.modules["kerberos"] is winkerberos


def test_install_as_kerberos_refuses_to_replace_another_kerberos(run_isolated: Any) -> None:
    code = """
import sys, types
other = types.ModuleType("kerberos")
sys.modules["kerberos"] = other
import winkerberos
try:
    winkerberos.install_as_kerberos()
except ImportError as e:
    assert sys.modules["kerberos"] is other
    print(e)
"""
    proc = run_isolated(code)
    assert proc.returncode == 0, proc.stderr
    assert "another 'kerberos' module is already imported" in proc.stdout
    assert "before anything imports kerberos" in proc.stdout


def test_install_as_kerberos_in_a_fresh_interpreter(run_isolated: Any) -> None:
    proc = run_isolated(
        "import winkerberos; winkerberos.install_as_kerberos()\n"
        "import kerberos; print(kerberos.__name__, kerberos.authGSSClientInit.__name__)"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "winkerberos authGSSClientInit\n"


# --- pure-sasl against Cyrus SASL --------------------------------------------------------------


def _sasl_sample_server() -> str:
    server = shutil.which("sasl-sample-server") or "/usr/sbin/sasl-sample-server"
    plugin_dirs = ("/usr/lib/x86_64-linux-gnu/sasl2", "/usr/lib/aarch64-linux-gnu/sasl2")
    has_gssapi = any(os.path.exists(os.path.join(d, "libgssapiv2.so")) for d in plugin_dirs)
    if not os.access(server, os.X_OK) or not has_gssapi:
        pytest.skip(
            "Cyrus SASL's sample server with the GSSAPI plugin is not installed (Debian "
            f"packages sasl2-bin and libsasl2-modules-gssapi-mit): {SETUP_HINT}"
        )
    return server


class SampleServer:
    """Cyrus SASL's ``sasl-sample-server`` over its stdin/stdout protocol.

    It prints ``S: <base64>`` for each message it sends and reads ``C: <base64>`` lines.
    The first client line is the mechanism name, NUL, and the initial response.
    """

    def __init__(self, min_ssf: int, max_ssf: int, realm: Realm) -> None:
        # stdbuf: the server's stdout is a pipe here, which stdio would otherwise buffer
        # until exit, and the exchange is line by line.
        self.process = subprocess.Popen(
            [
                "stdbuf",
                "-oL",
                _sasl_sample_server(),
                "-s",
                "mongodb",
                "-d",
                "localhost",
                "-m",
                "GSSAPI",
                "-b",
                f"min={min_ssf},max={max_ssf}",
            ],
            env={"PATH": os.environ.get("PATH", os.defpath), **realm.env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            encoding="latin-1",  # it echoes binary data in its log lines
        )
        self.log: list[str] = []

    def receive(self) -> bytes | None:
        """The next message the server sends, or None once it says the negotiation is done."""
        assert self.process.stdout is not None
        while line := self.process.stdout.readline():
            self.log.append(line.rstrip("\n"))
            if line.startswith("S: "):
                return base64.b64decode(line[3:])
            if line.startswith("Negotiation complete"):
                return None
        raise AssertionError(f"sasl-sample-server ended early:\n{self.transcript()}")

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"C: {base64.b64encode(data).decode()}\n")
        self.process.stdin.flush()

    def finish(self) -> str:
        """Close its input, wait for it, and return the rest of its output."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()
        rest = self.process.stdout.read()
        self.process.wait(timeout=30)
        self.log.extend(rest.splitlines())
        return rest

    def transcript(self) -> str:
        return "\n".join(self.log)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                stream.close()


# Cyrus offers the layers its SSF bounds allow; pure-sasl picks the strongest it accepts.
@pytest.mark.parametrize(
    ("min_ssf", "max_ssf", "qop", "ssf"),
    [(0, 0, b"auth", 0), (1, 1, b"auth-int", 1), (56, 256, b"auth-conf", 256)],
)
def test_pure_sasl_against_cyrus_sasl(
    kerberos_is_winkerberos: None, realm: Realm, min_ssf: int, max_ssf: int, qop: bytes, ssf: int
) -> None:
    from puresasl.client import SASLClient

    server = SampleServer(min_ssf, max_ssf, realm)
    try:
        assert server.receive() == b"GSSAPI"  # its mechanism list
        # Cyrus strips the default realm from the authenticated name ("alice") and, with no
        # proxy policy, accepts only that identity as the authorization identity.
        client = SASLClient(
            "localhost",
            "mongodb",
            mechanism="GSSAPI",
            qops=[b"auth", b"auth-int", b"auth-conf"],
            authorization_id="alice",
        )
        server.send(b"GSSAPI\0" + client.process())
        while (challenge := server.receive()) is not None:
            server.send(client.process(challenge) or b"")
        assert client.complete
        assert client.qop == qop
        # The mechanism read the client's name through kerberos.authGSSClientUserName.
        assert client._chosen_mech.user == realm.user

        # Then the server sends one message and waits for one, through the layer chosen
        # (sasl_encode: a 4-byte length and the wrap token; without a layer, the bytes as is).
        message = server.receive()
        assert message is not None
        if qop != b"auth":
            assert int.from_bytes(message[:4], "big") == len(message) - 4
            message = message[4:]
        assert client.unwrap(message) == SERVER_MESSAGE
        wrapped = client.wrap(CLIENT_MESSAGE)
        if qop != b"auth":
            assert (CLIENT_MESSAGE in wrapped) == (qop == b"auth-int")
            wrapped = len(wrapped).to_bytes(4, "big") + wrapped
        server.send(wrapped)
        server.finish()
    finally:
        server.stop()
    transcript = server.transcript()
    assert server.process.returncode == 0, transcript
    assert "Username: alice\n" in transcript + "\n"
    assert "recieved decoded message 'client message 1'" in transcript  # [sic]
    assert f"SSF: {ssf}\n" in transcript + "\n"


# --- a WSGI service written for pykerberos, against curl ----------------------------------------


def _load_pykerberos_wsgi() -> ModuleType:
    path = REPO_ROOT / "examples" / "pykerberos_wsgi.py"
    spec = importlib.util.spec_from_file_location("pykerberos_wsgi", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # runs its `import kerberos`
    return module


def test_pykerberos_wsgi_service_against_curl(kerberos_is_winkerberos: None, realm: Realm) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip(f"curl is not installed (Debian package curl): {SETUP_HINT}")
    app = _load_pykerberos_wsgi().make_app(realm.service)
    options = ["--silent", "--show-error", "--include", "--noproxy", "*", "--max-time", "30"]
    with serving(app) as url:
        unauthenticated = subprocess.run(
            [curl, *options, url], capture_output=True, text=True, timeout=60, check=False
        )
        authenticated = subprocess.run(
            [curl, *options, "--negotiate", "--user", ":", url],
            env={**os.environ, **realm.env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert unauthenticated.returncode == 0, unauthenticated.stderr
    assert unauthenticated.stdout.startswith("HTTP/1.0 401"), unauthenticated.stdout
    assert authenticated.returncode == 0, authenticated.stderr
    head, _, body = authenticated.stdout.replace("\r\n", "\n").rpartition("\n\n")
    assert head.startswith("HTTP/1.0 200"), authenticated.stdout
    assert "\nWWW-Authenticate: Negotiate " in head  # the mutual-authentication reply
    assert body == f"Hello, {realm.user}!\n"


# --- requests-kerberos 0.12.0, mutual authentication REQUIRED -----------------------------------


def _requests_kerberos() -> Any:
    module = importlib.import_module("requests_kerberos")
    assert module.kerberos_.kerberos is winkerberos, "requests-kerberos did not get winkerberos"
    return module


def test_requests_kerberos_against_apache(
    kerberos_is_winkerberos: None, realm: Realm, apache: str
) -> None:
    import requests

    requests_kerberos = _requests_kerberos()
    auth = requests_kerberos.HTTPKerberosAuth(mutual_authentication=requests_kerberos.REQUIRED)
    response = requests.get(apache, auth=auth, timeout=30)
    assert response.status_code == 200, response.text
    assert response.text == f"Hello, {realm.user}!\n"
    # requests-kerberos verified Apache's token (authGSSClientStep) before returning.
    assert response.headers["WWW-Authenticate"].startswith("Negotiate ")


def test_requests_kerberos_refuses_a_server_without_mutual_auth(
    kerberos_is_winkerberos: None,
) -> None:
    import requests

    requests_kerberos = _requests_kerberos()
    auth = requests_kerberos.HTTPKerberosAuth(mutual_authentication=requests_kerberos.REQUIRED)
    with (
        serving(fake_server(lambda: None)) as url,
        pytest.raises(requests_kerberos.MutualAuthenticationError),
    ):
        requests.get(url, auth=auth, timeout=30)


# --- pywinrm 0.5.0: Kerberos with message encryption ------------------------------------------

BOUNDARY = b"--Encrypted Boundary"
# What Windows expects of a Negotiate/Kerberos session (MS-WSMV 2.2.9.1.1), and pywinrm sends.
WINRM_PROTOCOL = b"application/HTTP-SPNEGO-session-encrypted"


def _winrm_open(body: bytes, acceptor: Any) -> bytes:
    """Decrypt a multipart/encrypted WinRM body (MS-WSMV 2.2.9.1) with the acceptor."""
    parts = [part for part in body.split(BOUNDARY + b"\r\n") if part]
    assert len(parts) == 2, body[:200]
    length = int(parts[0].split(b"Length=")[1].split(b"\r\n")[0])
    payload = parts[1].removesuffix(BOUNDARY + b"--\r\n")
    payload = payload.removeprefix(b"\tContent-Type: application/octet-stream\r\n")
    header_length = int.from_bytes(payload[:4], "little")
    header, data = payload[4 : 4 + header_length], payload[4 + header_length :]
    message = peer_unwrap(acceptor, header, data)
    assert len(message) == length
    return message


def _winrm_seal(message: bytes, acceptor: Any) -> bytes:
    header, data = peer_wrap(acceptor, message)
    return (
        BOUNDARY + b"\r\n\tContent-Type: " + WINRM_PROTOCOL + b"\r\n"
        b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
        + str(len(message)).encode()
        + b"\r\n"
        + BOUNDARY
        + b"\r\n\tContent-Type: application/octet-stream\r\n"
        + len(header).to_bytes(4, "little")
        + header
        + data
        + BOUNDARY
        + b"--\r\n"
    )


class WinRMEndpoint:
    """The HTTP side of a WinRM listener: Negotiate, then encrypted SOAP messages.

    The Kerberos acceptor is python-gssapi (the independent peer); each message it decrypts
    is recorded and answered, encrypted, with ``b"echo:" + message``.
    """

    def __init__(self) -> None:
        self.acceptor: Any = None
        self.received: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        headers: list[tuple[str, str]] = []
        if scheme == "Negotiate":
            self.acceptor = gssapi_acceptor("HTTP@localhost")
            reply = self.acceptor.step(base64.b64decode(token))
            assert self.acceptor.complete
            headers.append(("WWW-Authenticate", f"Negotiate {base64.b64encode(reply).decode()}"))
        if not body:
            start_response("200 OK", [*headers, ("Content-Length", "0")])
            return []
        assert environ["CONTENT_TYPE"] == (
            f'multipart/encrypted;protocol="{WINRM_PROTOCOL.decode()}";'
            'boundary="Encrypted Boundary"'
        )
        assert b"\tContent-Type: " + WINRM_PROTOCOL + b"\r\n" in body
        message = _winrm_open(body, self.acceptor)
        assert message not in body, "the message went in clear"
        self.received.append(message)
        content_type = (
            f'multipart/encrypted;protocol="{WINRM_PROTOCOL.decode()}";'
            'boundary="Encrypted Boundary"'
        )
        start_response("200 OK", [*headers, ("Content-Type", content_type)])
        return [_winrm_seal(b"echo:" + message, self.acceptor)]


def test_pywinrm_message_encryption(realm: Realm) -> None:
    # pywinrm 0.5 vendors requests-kerberos, which tries `import kerberos`, then
    # `import winkerberos as kerberos`: with pykerberos absent it needs no install step.
    _drop_consumers()
    try:
        from winrm.transport import Transport
        from winrm.vendor.requests_kerberos import kerberos_

        assert kerberos_.kerberos is winkerberos
        endpoint = WinRMEndpoint()
        with serving(endpoint) as url:
            transport = Transport(
                endpoint=url + "wsman",
                auth_method="kerberos",
                service="HTTP",  # what winrm.Protocol passes by default
                message_encryption="always",
                proxy=None,
                server_cert_validation="ignore",  # plain HTTP: no certificate to check
            )
            try:
                envelope = b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"/>'
                assert transport.send_message(envelope) == b"echo:" + envelope
                assert transport.send_message("ünïcode") == "echo:ünïcode".encode()
            finally:
                transport.close_session()
    finally:
        _drop_consumers()
    assert endpoint.received == [envelope, "ünïcode".encode()]
    assert str(endpoint.acceptor.initiator_name) == realm.user
