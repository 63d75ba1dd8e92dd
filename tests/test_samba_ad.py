"""The client and server API against Active Directory: a Samba AD DC as the KDC.

The domain (tests/support/samba_ad.py) is provisioned and started for this module and stopped after
it. Each case runs in a fresh interpreter whose Kerberos environment is the domain's
(``KRB5_CONFIG``, ``KRB5CCNAME`` with alice's TGT, ``KRB5_KTNAME`` with the keys of two
service accounts exported from the DC), since the session's own environment points at the
MIT realm. The HTTP service is our own acceptor (``authGSSServerInit``) with that keytab.

What AD does that MIT does not, and these cases meet: a PAC in every ticket, RC4 service
tickets for a service account without ``msDS-SupportedEncryptionTypes`` (``HTTP@localhost``)
and AES ones for an account that has it (``HTTP@aes.localhost``), the NetBIOS domain name
beside the DNS realm, AD's password policy and kpasswd.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import winkerberos as kerberos
from support import samba_ad

why_not = samba_ad.available()
pytestmark = pytest.mark.skipif(why_not is not None, reason=why_not or "")

# A handshake between our client and our server, then a message each way; prints JSON.
HANDSHAKE = """
import base64, json, sys
import winkerberos as k


def api_class(e):
    # The original's class (KrbError, GSSError, ...); type(e) may be its kind's class.
    originals = (k.GSSError, k.BasicAuthError, k.PwdChangeError, k.KrbError)
    return next(c.__name__ for c in type(e).__mro__ if c in originals)


service, mech, kwargs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
server_service = sys.argv[4] if len(sys.argv) > 4 else service
oid = k.GSS_MECH_OID_SPNEGO if mech == "spnego" else k.GSS_MECH_OID_KRB5
flags = k.GSS_C_MUTUAL_FLAG | k.GSS_C_SEQUENCE_FLAG | k.GSS_C_CONF_FLAG | k.GSS_C_INTEG_FLAG
out = {}
try:
    _, c = k.authGSSClientInit(service, gssflags=flags, mech_oid=oid, **kwargs)
    _, s = k.authGSSServerInit(server_service)
    steps = [k.authGSSClientStep(c, "")]
    token = k.authGSSClientResponse(c)
    out["first_token"] = base64.b64decode(token)[:32].hex()
    steps.append(k.authGSSServerStep(s, token))
    steps.append(k.authGSSClientStep(c, k.authGSSServerResponse(s)))
    out["steps"] = steps
    out["client_user"] = k.authGSSClientUserName(c)
    out["server_user"] = k.authGSSServerUserName(s)
    out["server_target"] = k.authGSSServerTargetName(s)
    k.authGSSClientWrap(c, base64.b64encode(b"to the service").decode(), None, 1)
    k.authGSSServerUnwrap(s, k.authGSSClientResponse(c))
    out["to_server"] = [base64.b64decode(k.authGSSServerResponse(s)).decode(),
                        k.authGSSServerResponseConf(s)]
    k.authGSSServerWrap(s, base64.b64encode(b"to the client").decode(), 1)
    k.authGSSClientUnwrap(c, k.authGSSServerResponse(s))
    out["to_client"] = [base64.b64decode(k.authGSSClientResponse(c)).decode(),
                        k.authGSSClientResponseConf(c)]
except k.KrbError as e:
    out["error"] = [api_class(e), getattr(e, "kind", None), str(e)]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def domain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[samba_ad.Domain]:
    with samba_ad.running_domain(tmp_path_factory.mktemp("samba-ad")) as running:
        yield running


def in_domain(
    run_isolated: Any,
    domain: samba_ad.Domain,
    code: str,
    *args: str,
    env: dict[str, str] | None = None,
) -> Any:
    """Run ``code`` (which prints JSON) with the domain's environment; its parsed output."""
    snippet = f"import sys; sys.argv[1:] = {list(args)!r}\n{code}"
    result: subprocess.CompletedProcess[str] = run_isolated(
        snippet, {**domain.env, **(env or {})}, timeout=120.0
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def ticket_enctype(domain: samba_ad.Domain, ccache: str, service_principal: str) -> str:
    """The enctype of the service ticket for ``service_principal`` in ``ccache`` (klist -e):
    the key the KDC encrypted the ticket in, i.e. the service account's key it chose."""
    listing = subprocess.run(
        ["klist", "-e", "-c", ccache],
        env={**domain.env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.splitlines()
    # A ticket's line ends with its principal; its "Etype" line follows, indented.
    for i, line in enumerate(listing):
        if line.rstrip().endswith(service_principal):
            for detail in listing[i + 1 :]:
                if not detail.startswith(("\t", " ")):
                    break
                if "Etype (skey, tkt):" in detail:
                    _skey, tkt = detail.split("Etype (skey, tkt):", 1)[1].split(",")
                    return tkt.strip()
    raise AssertionError(f"no ticket (or no enctype) for {service_principal} in {listing}")


def assert_authenticated(out: dict[str, Any], domain: samba_ad.Domain, mech: str) -> None:
    assert "error" not in out, out
    assert out["steps"] == [kerberos.AUTH_GSS_CONTINUE, 1, 1]
    assert out["server_user"] == domain.user
    assert out["client_user"] == domain.user
    assert out["to_server"] == ["to the service", 1]
    assert out["to_client"] == ["to the client", 1]
    spnego = "06062b0601050502"
    assert (spnego in out["first_token"]) == (mech == "spnego"), out["first_token"]


SERVICES = {"rc4": "HTTP@localhost", "aes": "HTTP@aes.localhost"}
# What AD issues: RC4 for an account without msDS-SupportedEncryptionTypes, else AES-256.
ENCTYPE = {"rc4": "arcfour-hmac", "aes": "aes256-cts-hmac-sha1-96"}


@pytest.mark.parametrize("mech", ["krb5", "spnego"])
@pytest.mark.parametrize("keys", ["rc4", "aes"])
def test_default_credentials(run_isolated: Any, domain: samba_ad.Domain, keys: str, mech: str):
    ccache = f"FILE:{domain.dir}/ccache"
    # The server takes any key of the keytab ("") and so reports which service was asked for.
    out = in_domain(run_isolated, domain, HANDSHAKE, SERVICES[keys], mech, "{}", "")
    assert_authenticated(out, domain, mech)
    host = SERVICES[keys].split("@")[1]
    assert out["server_target"] == f"HTTP/{host}@{domain.realm}"
    # The service ticket the KDC issued is what AD issues for that account.
    tkt = ticket_enctype(domain, ccache, f"HTTP/{host}@{domain.realm}")
    assert tkt.removeprefix("DEPRECATED:") == ENCTYPE[keys]


@pytest.mark.parametrize("mech", ["krb5", "spnego"])
@pytest.mark.parametrize("keys", ["rc4", "aes"])
def test_principal_with_password(run_isolated: Any, domain: samba_ad.Domain, keys: str, mech: str):
    # pymongo's form; an empty cache of its own proves the password was used.
    kwargs = json.dumps({"principal": f"{domain.user}:{domain.password}"})
    out = in_domain(
        run_isolated,
        domain,
        HANDSHAKE,
        SERVICES[keys],
        mech,
        kwargs,
        env={"KRB5CCNAME": "MEMORY:empty"},
    )
    assert_authenticated(out, domain, mech)


@pytest.mark.parametrize("mech", ["krb5", "spnego"])
@pytest.mark.parametrize(
    "domain_name",
    [
        "SAMBA.LOCAL",
        pytest.param("samba.local", id="samba.local"),
        pytest.param("SAMBA", id="netbios-SAMBA"),
    ],
)
def test_user_domain_password(
    run_isolated: Any, domain: samba_ad.Domain, domain_name: str, mech: str
) -> None:
    # winkerberos' form; on Windows SSPI takes the DNS or the NetBIOS name of the domain.
    kwargs = json.dumps({"user": "alice", "domain": domain_name, "password": domain.password})
    out = in_domain(
        run_isolated,
        domain,
        HANDSHAKE,
        SERVICES["aes"],
        mech,
        kwargs,
        env={"KRB5CCNAME": "MEMORY:empty"},
    )
    assert_authenticated(out, domain, mech)


def test_wrong_password_is_refused_by_the_dc(run_isolated: Any, domain: samba_ad.Domain) -> None:
    kwargs = json.dumps({"principal": f"{domain.user}:Not-the-Passw0rd"})
    out = in_domain(
        run_isolated,
        domain,
        HANDSHAKE,
        SERVICES["aes"],
        "krb5",
        kwargs,
        env={"KRB5CCNAME": "MEMORY:empty"},
    )
    name, kind, text = out["error"]
    assert name == "GSSError"
    assert kind == "AuthenticationFailed"
    assert "Not-the-Passw0rd" not in text


CHECK_PASSWORD = """
import json, sys
import winkerberos as k


def api_class(e):
    # The original's class (KrbError, GSSError, ...); type(e) may be its kind's class.
    originals = (k.GSSError, k.BasicAuthError, k.PwdChangeError, k.KrbError)
    return next(c.__name__ for c in type(e).__mro__ if c in originals)

user, password, service, realm = sys.argv[1:5]
try:
    print(json.dumps(k.checkPassword(user, password, service, realm)))
except k.KrbError as e:
    print(json.dumps([api_class(e), list(e.args[1:]) if len(e.args) > 1 else None, str(e)]))
"""


@pytest.mark.parametrize("service", ["HTTP/localhost", "HTTP/aes.localhost"])
def test_check_password(run_isolated: Any, domain: samba_ad.Domain, service: str) -> None:
    ok = in_domain(
        run_isolated, domain, CHECK_PASSWORD, "alice", domain.password, service, domain.realm
    )
    assert ok is True
    name, _, text = in_domain(
        run_isolated, domain, CHECK_PASSWORD, "alice", "Wr0ng-password!", service, domain.realm
    )
    assert name == "BasicAuthError"
    assert "Wr0ng-password!" not in text


CHANGE_PASSWORD = """
import json, sys
import winkerberos as k


def api_class(e):
    # The original's class (KrbError, GSSError, ...); type(e) may be its kind's class.
    originals = (k.GSSError, k.BasicAuthError, k.PwdChangeError, k.KrbError)
    return next(c.__name__ for c in type(e).__mro__ if c in originals)

user, old, new = sys.argv[1:4]
try:
    print(json.dumps(k.changePassword(user, old, new)))
except k.KrbError as e:
    print(json.dumps([api_class(e), [str(a) for a in e.args], str(e)]))
"""


def test_change_password_through_samba_kpasswd(run_isolated: Any, domain: samba_ad.Domain):
    old = domain.dave_password
    # The domain's policy: at least 12 characters, three classes, no reuse.
    for refused in ("Sh0rt-pw", "alllowercaseandlong"):
        name, _, text = in_domain(run_isolated, domain, CHANGE_PASSWORD, domain.dave, old, refused)
        assert name == "PwdChangeError", (refused, text)
        assert refused not in text
        assert old not in text
        assert "policy" in text.lower() or "password" in text.lower(), text
    name, _, text = in_domain(
        run_isolated, domain, CHANGE_PASSWORD, domain.dave, "N0t-daves-password", "An0ther-L0ng-pw"
    )
    assert name == "PwdChangeError", text
    new = "Changed-by-kpasswd-7"
    assert in_domain(run_isolated, domain, CHANGE_PASSWORD, domain.dave, old, new) is True
    service = "HTTP/aes.localhost"
    assert (
        in_domain(run_isolated, domain, CHECK_PASSWORD, domain.dave, new, service, domain.realm)
        is True
    )
    name, _, _ = in_domain(
        run_isolated, domain, CHECK_PASSWORD, domain.dave, old, service, domain.realm
    )
    assert name == "BasicAuthError"
    # AD keeps a password history: the old password cannot come back.
    name, _, text = in_domain(run_isolated, domain, CHANGE_PASSWORD, domain.dave, new, old)
    assert name == "PwdChangeError", text


PRINCIPAL_DETAILS = """
import json, sys
import winkerberos as k


def api_class(e):
    # The original's class (KrbError, GSSError, ...); type(e) may be its kind's class.
    originals = (k.GSSError, k.BasicAuthError, k.PwdChangeError, k.KrbError)
    return next(c.__name__ for c in type(e).__mro__ if c in originals)

out = []
for host in sys.argv[1:]:
    try:
        out.append(k.getServerPrincipalDetails("HTTP", host))
    except k.KrbError as e:
        out.append([api_class(e), str(e)])
print(json.dumps(out))
"""


def test_get_server_principal_details_from_the_exported_keytab(
    run_isolated: Any, domain: samba_ad.Domain
) -> None:
    found = in_domain(run_isolated, domain, PRINCIPAL_DETAILS, "localhost", "aes.localhost", "dc1")
    assert found[0] == f"HTTP/localhost@{domain.realm}"
    assert found[1] == f"HTTP/aes.localhost@{domain.realm}"
    assert found[2][0] == "KrbError"
