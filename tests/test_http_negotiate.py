"""HTTP Negotiate (RFC 4559) over real HTTP on 127.0.0.1.

The peers: the example server (examples/negotiate_server.py, our server API behind wsgiref),
the example client (examples/negotiate_client.py, our client API over http.client), curl,
and Apache httpd with mod_auth_gssapi. Every server runs on a free port and is stopped by
the fixture that started it. Every request uses a fresh client context: the acceptors keep a
replay cache (KRB5RCACHEDIR) and reject a token they have already seen.

curl and Apache are Debian packages (curl, apache2, libapache2-mod-auth-gssapi) installed by
scripts/setup.sh; the tests that need them are skipped when they are missing.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import importlib.util
import os
import select
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import winkerberos as kerberos
from support.apache import APACHE_MODULES, apache_binary, start_apache, stop_apache
from support.realm import REPO_ROOT, Realm

pytestmark = pytest.mark.usefixtures("realm")

EXAMPLES = REPO_ROOT / "examples"
SERVICE = "HTTP@localhost"
FLAGS = kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_SEQUENCE_FLAG
MECHS = ("spnego", "krb5")
SETUP_HINT = "install it with scripts/setup.sh"
CURL_OPTIONS = ("--silent", "--show-error", "--include", "--noproxy", "*", "--max-time", "30")


def _load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


server_example: Any = _load_example("negotiate_server")
client_example: Any = _load_example("negotiate_client")
negotiate_get: Callable[..., tuple[int, bytes, str | None]] = client_example.negotiate_get
MutualAuthenticationError: type[Exception] = client_example.MutualAuthenticationError


def hello(user: str) -> bytes:
    """The body of the protected page, from our server and from the Apache fixture."""
    return f"Hello, {user}!\n".encode()


# --- servers -------------------------------------------------------------------------------


class _LoggingHandler(WSGIRequestHandler):
    """Request log on stderr, which pytest captures and shows for a failed test."""

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"wsgi {self.address_string()}: {format % args}\n")


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve the WSGI ``app`` on a free 127.0.0.1 port in a thread; yield its URL."""
    server = make_server("127.0.0.1", 0, app, handler_class=_LoggingHandler)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="wsgi", daemon=True
    )  # A short poll interval makes shutdown() quick.
    thread.start()
    try:
        # "localhost", not the address: the client names the service after the URL's host.
        yield f"http://localhost:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    assert not thread.is_alive(), "the WSGI server thread did not stop"


@pytest.fixture
def our_server(realm: Realm) -> Iterator[str]:
    """The example server, authenticating as HTTP@localhost; yields its URL."""
    with serving(server_example.make_app(realm.service)) as url:
        yield url


@pytest.fixture(scope="module")
def apache(realm: Realm, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Apache httpd with mod_auth_gssapi as HTTP/localhost, in a temporary ServerRoot.

    Its page greets REMOTE_USER through a server-side include, like our server's page.
    Yields its URL.
    """
    binary = apache_binary()
    if binary is None or not (APACHE_MODULES / "mod_auth_gssapi.so").exists():
        pytest.skip(
            "Apache httpd with mod_auth_gssapi is not installed (Debian packages apache2 and "
            f"libapache2-mod-auth-gssapi): {SETUP_HINT}"
        )
    root = tmp_path_factory.mktemp("httpd")
    (root / "run").mkdir()
    (root / "htdocs").mkdir()
    (root / "htdocs" / "index.shtml").write_text('Hello, <!--#echo var="REMOTE_USER" -->!\n')
    # Only what httpd needs: the realm's configuration, keytab and replay cache.
    env = {"PATH": os.environ.get("PATH", os.defpath), **realm.env}
    process, port = start_apache(binary, root, env)
    try:
        yield f"http://localhost:{port}/"
    finally:
        stop_apache(process, root)


def _server_url(request: pytest.FixtureRequest, server: str) -> str:
    url: str = request.getfixturevalue(server)
    return url


# --- raw HTTP ------------------------------------------------------------------------------


def raw_get(url: str, authorization: str | None = None) -> tuple[int, http.client.HTTPMessage, str]:
    """One GET, optionally with an Authorization header: (status, headers, body text)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        headers = {} if authorization is None else {"Authorization": authorization}
        connection.request("GET", parts.path or "/", headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


def fresh_token(service: str = SERVICE, mech: Any = kerberos.GSS_MECH_OID_SPNEGO) -> str:
    """The first token of a new client context (mutual authentication requested)."""
    _, context = kerberos.authGSSClientInit(service, gssflags=FLAGS, mech_oid=mech)
    kerberos.authGSSClientStep(context, "")
    token = kerberos.authGSSClientResponse(context)
    assert token
    return token


def assert_rejected(status: int, headers: http.client.HTTPMessage, body: str, reason: str) -> None:
    assert status == 401, body
    assert headers.get_all("WWW-Authenticate") == ["Negotiate"]
    assert headers["Content-Type"].startswith("text/plain")
    assert reason in body


# --- our client and our server -------------------------------------------------------------


def test_request_without_token_is_challenged(our_server: str) -> None:
    status, headers, body = raw_get(our_server)
    assert_rejected(status, headers, body, "requires Kerberos")
    status, headers, body = raw_get(our_server, "Basic YWxpY2U6YWxpY2UtcHctMQ==")
    assert_rejected(status, headers, body, "requires Kerberos")
    status, headers, body = raw_get(our_server, "Negotiate   ")
    assert_rejected(status, headers, body, "carries no token")


@pytest.mark.parametrize("mech", MECHS)
def test_our_client_to_our_server(realm: Realm, our_server: str, mech: str) -> None:
    assert negotiate_get(our_server, mech=mech) == (200, hello(realm.user), realm.user)


@pytest.mark.parametrize("mech", MECHS)
def test_mutual_auth_token_completes_the_client(realm: Realm, our_server: str, mech: str) -> None:
    mech_oid = client_example.MECHS[mech]
    _, context = kerberos.authGSSClientInit(SERVICE, gssflags=FLAGS, mech_oid=mech_oid)
    assert kerberos.authGSSClientStep(context, "") == kerberos.AUTH_GSS_CONTINUE
    status, headers, body = raw_get(
        our_server, f"Negotiate {kerberos.authGSSClientResponse(context)}"
    )
    assert (status, body) == (200, hello(realm.user).decode())
    [challenge] = headers.get_all("WWW-Authenticate") or []
    scheme, _, reply = challenge.partition(" ")
    assert scheme == "Negotiate"
    assert kerberos.authGSSClientStep(context, reply) == kerberos.AUTH_GSS_COMPLETE
    assert kerberos.authGSSClientUserName(context) == realm.user


@pytest.mark.parametrize("mech", MECHS)
def test_server_without_mutual_auth_sends_no_token(
    realm: Realm, our_server: str, mech: str
) -> None:
    _, context = kerberos.authGSSClientInit(
        SERVICE, gssflags=kerberos.GSS_C_SEQUENCE_FLAG, mech_oid=client_example.MECHS[mech]
    )
    kerberos.authGSSClientStep(context, "")
    status, headers, body = raw_get(
        our_server, f"Negotiate {kerberos.authGSSClientResponse(context)}"
    )
    assert (status, body) == (200, hello(realm.user).decode())
    if mech == "krb5":  # SPNEGO always answers, to finish its own negotiation.
        assert headers.get_all("WWW-Authenticate") is None


BAD_TOKENS: dict[str, Callable[[], str]] = {
    "not-a-gss-token": lambda: "AAAA",
    "not-base64": lambda: "%%%not*base64%%%",
    "random-bytes": lambda: base64.b64encode(bytes(range(256))).decode(),
    "truncated": lambda: base64.b64encode(base64.b64decode(fresh_token())[:100]).decode(),
    "for-another-service": lambda: fresh_token("host@localhost"),
    "raw-krb5-for-another-service": lambda: fresh_token(
        "mongodb@localhost", kerberos.GSS_MECH_OID_KRB5
    ),
}


@pytest.mark.parametrize("make_token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_bad_token_is_refused_and_server_keeps_serving(
    realm: Realm, our_server: str, make_token: Callable[[], str]
) -> None:
    status, headers, body = raw_get(our_server, f"Negotiate {make_token()}")
    assert_rejected(status, headers, body, "Kerberos authentication failed: ")
    assert negotiate_get(our_server) == (200, hello(realm.user), realm.user)


def test_replayed_token_is_refused(realm: Realm, our_server: str) -> None:
    token = fresh_token()
    status, _, body = raw_get(our_server, f"Negotiate {token}")
    assert (status, body) == (200, hello(realm.user).decode())
    status, headers, body = raw_get(our_server, f"Negotiate {token}")
    assert_rejected(status, headers, body, "Kerberos authentication failed: ")
    assert "replay" in body.lower()


def test_server_without_its_key_answers_500(realm: Realm) -> None:
    with serving(server_example.make_app("HTTP@no-such-host.invalid")) as url:
        status, body, user = negotiate_get(url)
    assert (status, user) == (500, None)
    assert b"cannot accept Kerberos for HTTP@no-such-host.invalid" in body


# --- our client: mutual authentication, and servers that do not ask for Negotiate ----------


def fake_server(reply: Callable[[], str | None], challenge: str = "Negotiate") -> Any:
    """A WSGI app that challenges, then answers 200 with ``reply()`` as its token, without
    looking at the client's token."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if "HTTP_AUTHORIZATION" not in environ:
            start_response("401 Unauthorized", [("WWW-Authenticate", challenge)])
            return [b"who are you?\n"]
        token = reply()
        headers = [] if token is None else [("WWW-Authenticate", f"Negotiate {token}")]
        start_response("200 OK", [("Content-Type", "text/plain"), *headers])
        return [b"secret\n"]

    return app


def reply_of_another_handshake(mech: str) -> str:
    """A genuine mutual-authentication token, but for another client context."""
    _, client = kerberos.authGSSClientInit(
        SERVICE, gssflags=FLAGS, mech_oid=client_example.MECHS[mech]
    )
    _, server = kerberos.authGSSServerInit(SERVICE)
    kerberos.authGSSClientStep(client, "")
    kerberos.authGSSServerStep(server, kerberos.authGSSClientResponse(client) or "")
    reply = kerberos.authGSSServerResponse(server)
    assert reply
    return reply


@pytest.mark.parametrize("mech", MECHS)
def test_client_refuses_200_without_mutual_auth_token(mech: str) -> None:
    with (
        serving(fake_server(lambda: None)) as url,
        pytest.raises(MutualAuthenticationError, match="without a mutual-authentication token"),
    ):
        negotiate_get(url, mech=mech)


@pytest.mark.parametrize("mech", MECHS)
def test_client_refuses_garbage_mutual_auth_token(mech: str) -> None:
    with (
        serving(fake_server(lambda: "AAAA")) as url,
        pytest.raises(MutualAuthenticationError, match="invalid mutual-authentication token"),
    ):
        negotiate_get(url, mech=mech)


@pytest.mark.parametrize("mech", MECHS)
def test_client_refuses_mutual_auth_token_of_another_context(mech: str) -> None:
    with (
        serving(fake_server(lambda: reply_of_another_handshake(mech))) as url,
        pytest.raises(MutualAuthenticationError, match="invalid mutual-authentication token"),
    ):
        negotiate_get(url, mech=mech)


def test_client_returns_pages_that_need_no_negotiate() -> None:
    with serving(fake_server(lambda: None, challenge='Basic realm="x"')) as url:
        assert negotiate_get(url) == (401, b"who are you?\n", None)

    def open_page(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"public\n"]

    with serving(open_page) as url:
        assert negotiate_get(url + "?q=1") == (200, b"public\n", None)


def test_client_finds_negotiate_among_several_challenges(realm: Realm) -> None:
    protected = server_example.make_app(realm.service)

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if "HTTP_AUTHORIZATION" in environ:
            page: Iterable[bytes] = protected(environ, start_response)
            return page
        start_response(
            "401 Unauthorized",
            [("WWW-Authenticate", 'Basic realm="x", Negotiate'), ("WWW-Authenticate", "NTLM")],
        )
        return [b""]

    with serving(app) as url:
        assert negotiate_get(url) == (200, hello(realm.user), realm.user)


# --- other users, and other peers ----------------------------------------------------------


# MIT leaves SPNEGO out of a credential gss_acquire_cred_with_password makes without a mechanism
# set, and SPNEGO then falls back to the default ticket cache (alice's): both mechanisms must
# authenticate bob.
@pytest.mark.parametrize("server", ["our_server", "apache"])
@pytest.mark.parametrize("mech", ["spnego", "krb5"])
def test_client_as_bob_with_password(
    request: pytest.FixtureRequest, realm: Realm, server: str, mech: str
) -> None:
    url = _server_url(request, server)
    principal = f"{quote(realm.bob)}:{quote(realm.bob_password)}"
    assert negotiate_get(url, mech=mech, principal=principal) == (200, hello(realm.bob), realm.bob)


@pytest.mark.parametrize("mech", MECHS)
def test_our_client_to_apache_mod_auth_gssapi(realm: Realm, apache: str, mech: str) -> None:
    assert negotiate_get(apache, mech=mech) == (200, hello(realm.user), realm.user)


def test_curl_to_our_server(realm: Realm, our_server: str) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip(f"curl is not installed (Debian package curl): {SETUP_HINT}")
    # The realm's KRB5_CONFIG and KRB5CCNAME are what curl's GSSAPI library reads.
    env = {**os.environ, **realm.env}
    proc = subprocess.run(
        [curl, *CURL_OPTIONS, "--negotiate", "--user", ":", our_server],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    # Given only --negotiate, curl sends its token at once, so there is one response.
    head, _, body = proc.stdout.replace("\r\n", "\n").rpartition("\n\n")
    assert head.startswith("HTTP/1.0 200"), proc.stdout
    assert "\nWWW-Authenticate: Negotiate " in head
    assert body == hello(realm.user).decode()


# --- the examples as scripts ---------------------------------------------------------------


def test_server_script(realm: Realm, tmp_path: Path) -> None:
    script = EXAMPLES / "negotiate_server.py"
    with open(tmp_path / "stderr.log", "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, str(script), "--port", "0", "--service", realm.service],
            env={**os.environ, **realm.env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "the server printed nothing in 30 s"
        line = process.stdout.readline().decode()
        assert line.startswith("Serving http://localhost:"), line
        url = line.split()[1]
        assert line.split()[3] == realm.service

        status, headers, body = raw_get(url, "Negotiate AAAA")
        assert_rejected(status, headers, body, "Kerberos authentication failed: ")
        assert negotiate_get(url, mech="krb5") == (200, hello(realm.user), realm.user)
    finally:
        process.terminate()
        try:
            returncode = process.wait(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
    log = (tmp_path / "stderr.log").read_text()
    assert returncode == 0, log
    assert "rejected a Negotiate token" in log


@pytest.mark.parametrize("mech", MECHS)
def test_client_script(realm: Realm, our_server: str, mech: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "negotiate_client.py"), our_server, "--mech", mech],
        env={**os.environ, **realm.env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"HTTP 200, authenticated as {realm.user}\n" + hello(realm.user).decode()


def test_client_script_reports_failed_mutual_auth() -> None:
    with serving(fake_server(lambda: None)) as url:
        proc = subprocess.run(
            [sys.executable, str(EXAMPLES / "negotiate_client.py"), url],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 2, proc.stdout
    assert "without a mutual-authentication token" in proc.stderr
