"""The documentation's code, run: the files of examples/guides/ that the guides include.

Each guide includes its code from examples/guides/ (or examples/), so what a reader copies
is what runs here, against the test realm and the same real peers as tests/test_consumers.py.
Also checks that the API reference documents every public name.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import winkerberos
from support.helpers import client_with_gssapi_acceptor
from support.mongo_peer import FakeMongod
from support.realm import REPO_ROOT, Realm
from test_consumers import (
    CLIENT_MESSAGE,
    SERVER_MESSAGE,
    SampleServer,
    WinRMEndpoint,
    _drop_consumers,
    kerberos_is_winkerberos,
)
from test_http_negotiate import apache, serving
from test_winrm import peer_unwrap, peer_wrap

pytestmark = pytest.mark.usefixtures("realm")

__all__ = ["apache", "kerberos_is_winkerberos"]  # fixtures

GUIDES = REPO_ROOT / "examples" / "guides"
DOCS = REPO_ROOT / "docs"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"guide_{name}", GUIDES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fresh_consumers() -> Iterator[None]:
    """The guide modules that call install_as_kerberos() leave no `kerberos` behind."""
    _drop_consumers()
    try:
        yield
    finally:
        _drop_consumers()


def test_every_guide_includes_only_files_that_exist() -> None:
    included = []
    for page in sorted((DOCS / "guides").glob("*.md")):
        for target in re.findall(r"```\{literalinclude\} (\S+)", page.read_text()):
            path = (page.parent / target).resolve()
            assert path.is_file(), f"{page.name} includes a missing file {target}"
            included.append(path)
    assert {p.name for p in GUIDES.glob("*.py")} <= {p.name for p in included}


def test_api_reference_documents_every_public_name() -> None:
    text = (DOCS / "api.rst").read_text()
    directives = re.findall(
        r"^\.\. (?:autofunction|autoclass|autoexception|data):: (\w+)((?:\n {10}\w+)*)",
        text,
        re.MULTILINE,
    )
    documented = set()
    for first, more in directives:
        documented.add(first)
        documented.update(more.split())
    assert sorted(set(winkerberos.__all__) - documented) == []
    assert sorted(documented - set(winkerberos.__all__)) == []


def test_handshake_guide(realm: Realm) -> None:
    guide = _load("handshake")
    context, token = guide.start_client(realm.service)
    user, reply = guide.accept(realm.service, token)
    assert user == realm.user
    assert guide.finish_client(context, reply) == realm.user
    with pytest.raises(PermissionError, match="did not prove its identity"):
        guide.finish_client(guide.start_client(realm.service)[0], None)


def test_other_user_guide(realm: Realm) -> None:
    guide = _load("other_user")
    handshake = _load("handshake")
    name, _, domain = realm.bob.partition("@")
    token = guide.token_as(realm.service, name, domain, realm.bob_password)
    assert handshake.accept(realm.service, token)[0] == realm.bob
    # carol's password has ' ', '@', ':', '%', '/', 'ü' and '+': the encoding matters.
    token = guide.token_as_principal(realm.service, realm.carol, realm.carol_password)
    assert handshake.accept(realm.service, token)[0] == realm.carol


@pytest.mark.parametrize("who", ["ticket cache", "password"])
def test_pymongo_guide(realm: Realm, who: str) -> None:
    # pymongo's own GSSAPI authentication (it imports winkerberos itself), fed with the
    # credentials the guide's client parsed; the peer is the python-gssapi "mongod" of
    # tests/support/mongo_peer.py, as no MongoDB server is available to the tests.
    from pymongo.synchronous import auth
    from pymongo.synchronous.auth import _authenticate_gssapi

    assert auth.kerberos is winkerberos, "pymongo did not pick winkerberos"
    guide = _load("pymongo_client")
    principal, password = (
        (realm.user, None) if who == "ticket cache" else (realm.carol, realm.carol_password)
    )
    client = guide.kerberos_client("mongodb://localhost:27017/", principal, password)
    try:
        credentials = client.options.pool_options._credentials
        assert credentials.mechanism == "GSSAPI"
        mongod = FakeMongod("mongodb@localhost")
        _authenticate_gssapi(credentials, mongod)
    finally:
        client.close()
    assert mongod.authenticated == principal
    assert mongod.authzid == principal.encode()


def test_requests_guide(fresh_consumers: None, realm: Realm, apache: str) -> None:
    guide = _load("requests_client")
    assert guide.fetch(apache) == f"Hello, {realm.user}!\n"


def test_winrm_session_guide(
    fresh_consumers: None, realm: Realm, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pywinrm warns (DeprecationWarning) when it takes a CA bundle or proxy from these.
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    guide = _load("winrm_session")
    endpoint = WinRMEndpoint()
    with serving(endpoint) as url:
        session = guide.kerberos_session(url + "wsman")
        transport = session.protocol.transport
        try:
            assert transport.send_message(b"<s:Envelope/>") == b"echo:<s:Envelope/>"
        finally:
            transport.close_session()
    assert endpoint.received == [b"<s:Envelope/>"]
    assert str(endpoint.acceptor.initiator_name) == realm.user


def test_winrm_guide() -> None:
    guide = _load("winrm_messages")
    client, acceptor = client_with_gssapi_acceptor()
    payload = guide.seal(client, b"<s:Envelope/>")
    length = int.from_bytes(payload[:4], "little")
    assert peer_unwrap(acceptor, payload[4 : 4 + length], payload[4 + length :]) == (
        b"<s:Envelope/>"
    )
    header, data = peer_wrap(acceptor, b"<s:Body>reply</s:Body>")
    framed = len(header).to_bytes(4, "little") + header + data
    assert guide.open_sealed(client, framed) == b"<s:Body>reply</s:Body>"


def test_sasl_guide(fresh_consumers: None, realm: Realm) -> None:
    guide = _load("sasl_client")
    server = SampleServer(56, 256, realm)
    try:
        assert server.receive() == b"GSSAPI"
        first = True

        def send(data: bytes) -> None:
            nonlocal first
            # The sample server's transport: the first message names the mechanism.
            server.send(b"GSSAPI\0" + data if first else data)
            first = False

        client: Any = guide.authenticate(
            "localhost", "mongodb", send, server.receive, authorization_id="alice"
        )
        assert client.qop == b"auth-conf"
        sealed = server.receive()
        assert sealed is not None
        assert client.unwrap(sealed[4:]) == SERVER_MESSAGE
        wrapped = client.wrap(CLIENT_MESSAGE)
        server.send(len(wrapped).to_bytes(4, "big") + wrapped)
        server.finish()
    finally:
        server.stop()
    assert server.process.returncode == 0, server.transcript()
    assert "Username: alice" in server.transcript()


def test_readme_links_work_on_pypi() -> None:
    # PyPI renders the README without the repository: only absolute URLs resolve there.
    readme = (REPO_ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)]*)\)", readme) + re.findall(r"^\[[^]]+\]: (\S+)", readme)
    assert targets, "expected some links"
    assert [t for t in targets if not t.startswith("https://")] == []


def test_readme_names_the_two_commands_and_ci_runs_the_test_command() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert "\n  scripts/demo.sh\n" in readme
    assert "\n  scripts/test.sh\n" in readme
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec bash scripts/test.sh$", ci, re.MULTILINE), ci
