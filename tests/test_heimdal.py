"""The same module over Heimdal's GSSAPI (libgssapi.so.3), chosen with WINKERBEROS_GSSAPI_LIBRARY.

The library is opened at run time, so one build serves MIT and Heimdal alike; here Heimdal's
client and acceptor code talk to the MIT KDC of the test realm. Each case runs in a fresh
interpreter, since the library is chosen once per process.
"""

from __future__ import annotations

import ctypes.util
import json

import pytest
from realm import Realm

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
