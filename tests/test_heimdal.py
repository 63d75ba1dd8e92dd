"""The same module over Heimdal's GSSAPI (libgssapi.so.3), chosen with WINKERBEROS_GSSAPI_LIBRARY.

The library is opened at run time, so one build serves MIT and Heimdal alike; here Heimdal's
client and acceptor code talk to the MIT KDC of the test realm. Each case runs in a fresh
interpreter, since the library is chosen once per process.
"""

from __future__ import annotations

import ctypes.util
import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from support.realm import Realm

HEIMDAL = "libgssapi.so.3"

pytestmark = pytest.mark.skipif(
    ctypes.util.find_library("gssapi") != HEIMDAL,
    reason="Heimdal's libgssapi.so.3 is not installed (scripts/setup.sh installs it)",
)

SCENARIO = """
import base64, json
import winkerberos as k

out = {}
for label, mech in (("krb5", k.GSS_MECH_OID_KRB5), ("spnego", k.GSS_MECH_OID_SPNEGO)):
    _, c = k.authGSSClientInit("HTTP@localhost", mech_oid=mech)
    _, s = k.authGSSServerInit("HTTP@localhost")
    steps = [k.authGSSClientStep(c, "")]
    steps.append(k.authGSSServerStep(s, k.authGSSClientResponse(c)))
    steps.append(k.authGSSClientStep(c, k.authGSSServerResponse(s)))
    k.authGSSClientWrap(c, base64.b64encode(b"over heimdal").decode(), None, 1)
    k.authGSSServerUnwrap(s, k.authGSSClientResponse(c))
    out[label] = {
        "steps": steps,
        "users": [k.authGSSClientUserName(c), k.authGSSServerUserName(s)],
        "message": base64.b64decode(k.authGSSServerResponse(s)).decode(),
        "conf": k.authGSSServerResponseConf(s),
    }
_, c = k.authGSSClientInit("HTTP@localhost", "%(principal)s")
_, s = k.authGSSServerInit("HTTP@localhost")
k.authGSSClientStep(c, "")
k.authGSSServerStep(s, k.authGSSClientResponse(c))
k.authGSSClientStep(c, k.authGSSServerResponse(s))
out["password_user"] = k.authGSSServerUserName(s)
try:
    k.authGSSClientStep(k.authGSSClientInit("HTTP@nohost")[1], "")
except k.GSSError as e:
    out["unknown_service"] = [e.kind, e.minor, str(e)]
print(json.dumps(out))
"""


def test_heimdal_handshakes_messages_passwords_and_errors(realm: Realm, run_isolated) -> None:
    code = SCENARIO % {"principal": f"{realm.bob}:{realm.bob_password}"}
    result = run_isolated(code, {"WINKERBEROS_GSSAPI_LIBRARY": HEIMDAL})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    for mech in ("krb5", "spnego"):
        assert out[mech]["steps"] == [0, 1, 1], mech
        assert out[mech]["users"] == [realm.user, realm.user], mech
        assert out[mech]["message"] == "over heimdal"
        assert out[mech]["conf"] == 1
    assert out["password_user"] == realm.bob
    kind, minor, text = out["unknown_service"]
    assert kind == "UnknownPrincipal"
    assert minor == -1765328377  # KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN, the same code as MIT's
    assert "HTTP/nohost" in text


def test_a_library_that_is_not_gssapi_is_refused(run_isolated) -> None:
    # libc opens fine but has no gss_import_name: the whole table is refused, with a reason.
    code = (
        "import winkerberos as k\n"
        "try:\n    k.authGSSClientInit('HTTP@localhost')\n"
        "except k.GSSError as e:\n    print(e.kind, '|', e)\n"
    )
    result = run_isolated(code, {"WINKERBEROS_GSSAPI_LIBRARY": "libc.so.6"})
    assert result.returncode == 0, result.stderr
    kind, _, text = result.stdout.partition("|")
    assert kind.strip() == "LibraryUnavailable"
    assert "libc.so.6 is not a usable GSSAPI library: it has no gss_import_name" in text


# -- Passwords with SPNEGO (issue 9, item 3) ---------------------------------------------------
#
# Heimdal 7's SPNEGO takes no password; winkerberos gets the tickets with Heimdal's Kerberos
# mechanism and hands them to SPNEGO through a private in-memory cache. Tested with no ticket
# cache at all, so only the password can authenticate, against an MIT and a Heimdal KDC.


PASSWORD_SCENARIO = """
import json
import winkerberos as k

out = {}
for label, mech in (("krb5", k.GSS_MECH_OID_KRB5), ("spnego", k.GSS_MECH_OID_SPNEGO)):
    try:
        _, c = k.authGSSClientInit("HTTP@localhost", principal=%(principal)r, mech_oid=mech)
        _, s = k.authGSSServerInit("HTTP@localhost")
        steps = [k.authGSSClientStep(c, "")]
        steps.append(k.authGSSServerStep(s, k.authGSSClientResponse(c)))
        steps.append(k.authGSSClientStep(c, k.authGSSServerResponse(s)))
        out[label] = [steps, k.authGSSClientUserName(c), k.authGSSServerUserName(s)]
    except k.GSSError as e:
        out[label] = [e.kind, str(e), e.major, e.minor]
    try:
        k.authGSSClientInit("HTTP@localhost", principal=%(wrong)r, mech_oid=mech)
        out[label + "_wrong"] = "accepted"
    except k.GSSError as e:
        out[label + "_wrong"] = e.kind
try:
    _, c = k.authGSSClientInit("HTTP@localhost", mech_oid=k.GSS_MECH_OID_SPNEGO)
    k.authGSSClientStep(c, "")
    out["default_after"] = "accepted"
except k.GSSError as e:
    out["default_after"] = e.kind
print(json.dumps(out))
"""


def _password_handshakes(run_isolated, user: str, password: str, env: dict[str, str]) -> dict:
    code = PASSWORD_SCENARIO % {
        "principal": f"{user}:{quote(password, safe='')}",
        "wrong": f"{user}:not-the-password",
    }
    # No ticket cache at all: only the password can authenticate.
    overrides: dict[str, str | None] = {
        "WINKERBEROS_GSSAPI_LIBRARY": HEIMDAL,
        "KRB5CCNAME": "FILE:/nonexistent/winkerberos-no-cache",
        **env,
    }
    result = run_isolated(code, overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _assert_password_handshakes(out: dict, user: str) -> None:
    for mech in ("krb5", "spnego"):
        assert out[mech] == [[0, 1, 1], user, user], (mech, out[mech])
        # A wrong password is still refused by the KDC, for SPNEGO as for Kerberos.
        assert out[mech + "_wrong"] == "AuthenticationFailed", (mech, out)
    # The thread's default cache is restored after each SPNEGO leg: with no ticket cache, a
    # default-credential context on the same thread still has no credentials (Heimdal's
    # SPNEGO, which vets Kerberos with the default credential, calls that BadMechanism).
    assert out["default_after"] in {"NoCredentials", "BadMechanism"}, out


def test_heimdal_spnego_with_a_password_against_the_mit_kdc(realm: Realm, run_isolated) -> None:
    out = _password_handshakes(run_isolated, realm.bob, realm.bob_password, {})
    _assert_password_handshakes(out, realm.bob)


@pytest.fixture(scope="module")
def heimdal_kdc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A Heimdal KDC (scripts/heimdal-kdc.sh) on a free port, stopped after the module."""
    script = Path(__file__).resolve().parent.parent / "scripts" / "heimdal-kdc.sh"
    directory = tmp_path_factory.mktemp("heimdal-kdc")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = subprocess.run(
        ["bash", str(script), "up", str(directory), str(port)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if started.returncode != 0 and "not unpacked" in started.stderr:
        pytest.skip("Heimdal's KDC is not unpacked (scripts/setup.sh does it)")
    try:
        assert started.returncode == 0, started.stderr
        yield dict(line.split("=", 1) for line in started.stdout.split())
    finally:
        subprocess.run(["bash", str(script), "down", str(directory)], check=False, timeout=30)


def test_heimdal_spnego_with_a_password_against_a_heimdal_kdc(
    heimdal_kdc: dict[str, str], run_isolated
) -> None:
    env = {key: heimdal_kdc[key] for key in ("KRB5_CONFIG", "KRB5_KTNAME", "KRB5RCACHEDIR")}
    user = heimdal_kdc["HEIM_USER"]
    out = _password_handshakes(run_isolated, user, heimdal_kdc["HEIM_PASS"], env)
    _assert_password_handshakes(out, user)
