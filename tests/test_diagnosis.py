"""Every common Kerberos failure, produced for real against the test realm: its kind, its
class, a hint that is true for it, and no secret in what is shown.

Clock skew is made with Debian's ``faketime`` (libfaketime preloaded into a child
interpreter), a stale keytab with ``kadmin.local cpw -randkey``, an expired password with
``modprinc -pwexpire``, and so on. The Heimdal cases at the end run the same failures through
Heimdal's ``libgssapi.so.3``.
"""

from __future__ import annotations

import ctypes.util
import json
import os
import pickle
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import winkerberos as kerberos
from support.helpers import SERVICE, b64
from support.realm import Realm

pytestmark = pytest.mark.usefixtures("realm")

HEIMDAL = "libgssapi.so.3"
FAKETIME = shutil.which("faketime")
KADMIN_LOCAL = shutil.which("kadmin.local") or "/usr/sbin/kadmin.local"
SKEW = "+1h"  # far beyond the default 300 s

# A child that runs `body` and prints the error it raised (or {"ok": true}) as JSON.
CHILD = """
import json, sys
import winkerberos as kerberos

def report(exc):
    print(json.dumps({
        "classes": [c.__name__ for c in type(exc).__mro__],
        "args": exc.args,
        "str": str(exc),
        "repr": repr(exc),
        "kind": getattr(exc, "kind", None),
        "hint": getattr(exc, "hint", None),
        "major": getattr(exc, "major", None),
        "minor": getattr(exc, "minor", None),
    }))
    sys.exit(0)

try:
%s
except kerberos.KrbError as exc:
    report(exc)
print(json.dumps({"ok": True}))
"""


def child(
    body: str,
    env: dict[str, str | None] | None = None,
    *,
    skew: str | None = None,
    stdin: str | None = None,
) -> dict[str, Any]:
    """Run ``body`` (Python, indented by the caller's lines) in a fresh interpreter, under
    ``faketime`` when ``skew`` is given; return what it reported."""
    code = CHILD % "\n".join("    " + line for line in body.strip().splitlines())
    full_env = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    command = [sys.executable, "-c", code]
    if skew is not None:
        assert FAKETIME, "faketime is not installed (scripts/setup.sh installs it)"
        command = [FAKETIME, "-f", skew, *command]
    proc = subprocess.run(
        command,
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def kadmin(*commands: str) -> None:
    """Run kadmin.local commands against the test realm (KRB5_CONFIG/KRB5_KDC_PROFILE)."""
    for command in commands:
        proc = subprocess.run(
            [KADMIN_LOCAL, "-q", command],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        problems = [
            line
            for line in proc.stderr.splitlines()
            if line and not line.startswith(("Authenticating as", "No policy specified"))
        ]
        assert not problems, problems


def unique(prefix: str) -> str:
    return f"{prefix}{os.getpid()}x{time.monotonic_ns() % 10**9}"


def assert_diagnosis(
    got: dict[str, Any] | BaseException,
    kind: str,
    cls: type[BaseException],
    api: type[BaseException] = kerberos.GSSError,
    hint_has: tuple[str, ...] = (),
    secrets: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Check one failure: kind, both classes, hint, and that no secret is shown."""
    if isinstance(got, BaseException):
        exc = got
        got = {
            "classes": [c.__name__ for c in type(exc).__mro__],
            "args": exc.args,
            "str": str(exc),
            "repr": repr(exc),
            "kind": getattr(exc, "kind", None),
            "hint": getattr(exc, "hint", None),
            "major": getattr(exc, "major", None),
            "minor": getattr(exc, "minor", None),
        }
        assert isinstance(exc, cls)
        assert isinstance(exc, api)
    assert "ok" not in got, "the call did not fail"
    assert got["kind"] == kind, got
    assert cls.__name__ in got["classes"], got["classes"]
    assert api.__name__ in got["classes"], got["classes"]
    hint = got["hint"] or ""
    for word in hint_has:
        assert word in hint, (word, hint)
    assert "Hint: " + hint in got["str"]
    shown = json.dumps(got)
    for secret in secrets:
        assert secret not in shown
    return got


# --------------------------------------------------------------------------------------------
# clock skew


def test_clock_skew_at_the_service(realm: Realm) -> None:
    # The client (this process) has the right time; the service's clock is an hour ahead.
    _, client = kerberos.authGSSClientInit(SERVICE)
    kerberos.authGSSClientStep(client, "")
    token = kerberos.authGSSClientResponse(client)
    got = child(
        f"""
_, server = kerberos.authGSSServerInit({SERVICE!r})
kerberos.authGSSServerStep(server, {token!r})
""",
        skew=SKEW,
    )
    got = assert_diagnosis(got, "ClockSkew", kerberos.ClockSkewError, hint_has=("clockskew",))
    assert "truncated" not in got["hint"]
    assert "Clock skew too great" in got["str"]
    # pykerberos' args shape is unchanged.
    (_, _major), (_minor_text, minor) = got["args"]
    assert minor == -1765328347  # KRB5KRB_AP_ERR_SKEW
    assert got["minor"] == minor


def test_clock_skew_at_the_kdc_for_a_service_ticket(realm: Realm, tmp_path: Path) -> None:
    # A client an hour ahead, with a TGT obtained in real time: the TGS request is refused.
    service = unique("tgs")
    kadmin(f"addprinc -randkey {service}/localhost")
    ccache = tmp_path / "ccache"
    shutil.copy(realm.krb5ccname.removeprefix("FILE:"), ccache)
    got = child(
        f"""
_, client = kerberos.authGSSClientInit("{service}@localhost")
kerberos.authGSSClientStep(client, "")
""",
        {"KRB5CCNAME": f"FILE:{ccache}"},
        skew=SKEW,
    )
    got = assert_diagnosis(got, "ClockSkew", kerberos.ClockSkewError, hint_has=("300 s",))
    assert "skew" in got["str"].lower()


def test_clock_skew_in_check_password(realm: Realm) -> None:
    # checkPassword's AS exchange corrects for the offset, but its own acceptor cannot.
    got = child(
        f"kerberos.checkPassword('bob', {realm.bob_password!r}, 'HTTP/localhost', {realm.realm!r})",
        skew=SKEW,
    )
    got = assert_diagnosis(
        got,
        "ClockSkew",
        kerberos.ClockSkewError,
        kerberos.BasicAuthError,
        hint_has=("clock",),
        secrets=(realm.bob_password,),
    )
    assert "truncated" not in got["hint"]
    assert "token" not in got["hint"]
    assert got["args"] == ["Clock skew too great", -1765328347]


# --------------------------------------------------------------------------------------------
# keys and passwords


def test_stale_keytab(realm: Realm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service = unique("stale")
    keytab = tmp_path / "stale.keytab"
    kadmin(
        f"addprinc -randkey {service}/localhost",
        f"ktadd -k {keytab} {service}/localhost",  # kvno 2 in the keytab
        f"cpw -randkey {service}/localhost",  # kvno 3 at the KDC
    )
    _, client = kerberos.authGSSClientInit(f"{service}@localhost")
    kerberos.authGSSClientStep(client, "")
    monkeypatch.setenv("KRB5_KTNAME", f"FILE:{keytab}")
    _, server = kerberos.authGSSServerInit(f"{service}@localhost")
    with pytest.raises(kerberos.StaleKeytabError) as excinfo:
        kerberos.authGSSServerStep(server, kerberos.authGSSClientResponse(client))
    got = assert_diagnosis(
        excinfo.value, "StaleKeytab", kerberos.StaleKeytabError, hint_has=("keytab", "ktadd")
    )
    assert "truncated" not in got["hint"]
    assert "kvno 3" in got["str"]


def test_keytab_without_the_tickets_enctype(
    realm: Realm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The KDC issues aes256 tickets, but the keytab kept only the aes128 key (same kvno).
    service = unique("enctype")
    full, partial = tmp_path / "full.keytab", tmp_path / "aes128.keytab"
    kadmin(f"addprinc -randkey {service}/localhost", f"ktadd -k {full} {service}/localhost")
    script = f"rkt {full}\ndelent 1\nwkt {partial}\nq\n"  # entry 1 is the aes256 key
    subprocess.run(["ktutil"], input=script, capture_output=True, text=True, check=True)
    assert [e["enctype"] for e in kerberos._native._keytab_entries(f"FILE:{partial}")] == [17]
    _, client = kerberos.authGSSClientInit(f"{service}@localhost")
    kerberos.authGSSClientStep(client, "")
    monkeypatch.setenv("KRB5_KTNAME", f"FILE:{partial}")
    _, server = kerberos.authGSSServerInit(f"{service}@localhost")
    with pytest.raises(kerberos.StaleKeytabError) as excinfo:
        kerberos.authGSSServerStep(server, kerberos.authGSSClientResponse(client))
    got = assert_diagnosis(
        excinfo.value, "StaleKeytab", kerberos.StaleKeytabError, hint_has=("encryption type",)
    )
    assert "enctype aes256" in got["str"]


def test_expired_password(realm: Realm) -> None:
    user, password = unique("expired"), "Exp1red-pw-Zq"
    kadmin(f"addprinc -pw {password} -pwexpire yesterday {user}")
    with pytest.raises(kerberos.PasswordExpiredError) as excinfo:
        kerberos.authGSSClientInit(SERVICE, f"{user}@{realm.realm}:{password}")
    got = assert_diagnosis(
        excinfo.value,
        "PasswordExpired",
        kerberos.PasswordExpiredError,
        hint_has=("change", "kpasswd"),
        secrets=(password,),
    )
    assert not got["hint"].startswith("renew")
    # A login form with checkPassword can now tell "expired" from "wrong password".
    with pytest.raises(kerberos.BasicAuthError) as excinfo:
        kerberos.checkPassword(user, password, "HTTP/localhost", realm.realm)
    exc = excinfo.value
    assert_diagnosis(
        exc,
        "PasswordExpired",
        kerberos.PasswordExpiredError,
        kerberos.BasicAuthError,
        secrets=(password,),
    )
    assert exc.args == ("Password has expired", -1765328361)  # pykerberos' shape
    assert exc.minor == -1765328361
    assert exc.major is not None
    with pytest.raises(kerberos.BasicAuthError) as excinfo:
        kerberos.checkPassword("bob", "wrong-" + password, "HTTP/localhost", realm.realm)
    assert isinstance(excinfo.value, kerberos.AuthenticationFailedError)
    assert excinfo.value.kind == "AuthenticationFailed"


def test_password_change_required_with_mit(realm: Realm) -> None:
    # An MIT KDC answers +needchange with KDC_ERR_KEY_EXPIRED; MIT's library does not show
    # the KDC's reason, so this is PasswordExpired (whose class PasswordChangeRequiredError
    # subclasses) with a hint that covers both. Heimdal's library tells them apart (below).
    user, password = unique("needchange"), "Need-chg-pw-Zq1"
    kadmin(f"addprinc -pw {password} +needchange {user}")
    with pytest.raises(kerberos.PasswordExpiredError) as excinfo:
        kerberos.authGSSClientInit(SERVICE, f"{user}@{realm.realm}:{password}")
    assert_diagnosis(
        excinfo.value,
        "PasswordExpired",
        kerberos.PasswordExpiredError,
        hint_has=("must be changed",),
        secrets=(password,),
    )


def test_wrong_password(realm: Realm) -> None:
    secret = "Wr0ng-S3cret-Kq7"
    with pytest.raises(kerberos.AuthenticationFailedError) as excinfo:
        kerberos.authGSSClientInit(SERVICE, f"{realm.bob}:{secret}")
    assert_diagnosis(
        excinfo.value,
        "AuthenticationFailed",
        kerberos.AuthenticationFailedError,
        hint_has=("password",),
        secrets=(secret,),
    )


# --------------------------------------------------------------------------------------------
# names and realms


def test_misspelled_realm(realm: Realm) -> None:
    typo = realm.realm.replace("LOCAL", "LCOAL")
    with pytest.raises(kerberos.UnknownRealmError) as excinfo:
        kerberos.authGSSClientInit(SERVICE, f"alice@{typo}:{realm.password}")
    got = assert_diagnosis(
        excinfo.value,
        "UnknownRealm",
        kerberos.UnknownRealmError,
        hint_has=("spelling", "[realms]"),
        secrets=(realm.password,),
    )
    assert typo in got["str"]
    assert "kinit" not in got["hint"]


def test_service_in_a_realm_without_trust(realm: Realm) -> None:
    # Password credentials live in memory, so no cached ticket from another test interferes.
    _, client = kerberos.authGSSClientInit(
        "HTTP/localhost@OTHER.TEST", f"{realm.bob}:{realm.bob_password}"
    )
    with pytest.raises(kerberos.NoCrossRealmTrustError) as excinfo:
        kerberos.authGSSClientStep(client, "")
    got = assert_diagnosis(
        excinfo.value, "NoCrossRealmTrust", kerberos.NoCrossRealmTrustError, hint_has=("trust",)
    )
    assert "krbtgt/OTHER.TEST" in got["str"]
    assert "check the service name" not in got["hint"]


def test_unknown_client_and_unknown_service(realm: Realm) -> None:
    with pytest.raises(kerberos.UnknownClientError) as excinfo:
        kerberos.authGSSClientInit(SERVICE, f"nobody@{realm.realm}:pw")
    assert_diagnosis(
        excinfo.value, "UnknownPrincipal", kerberos.UnknownClientError, hint_has=("user name",)
    )
    assert isinstance(excinfo.value, kerberos.UnknownPrincipalError)
    _, client = kerberos.authGSSClientInit("HTTP@nohost")
    with pytest.raises(kerberos.UnknownServiceError) as excinfo:
        kerberos.authGSSClientStep(client, "")
    assert_diagnosis(
        excinfo.value,
        "UnknownPrincipal",
        kerberos.UnknownServiceError,
        hint_has=("service name",),
    )
    assert not isinstance(excinfo.value, kerberos.UnknownClientError)


@pytest.mark.parametrize("domain", ["wktest.local", "WKTEST", "wktest", "WKTEST.LOCAL"])
def test_windows_style_domain_becomes_the_realm(realm: Realm, domain: str) -> None:
    _, client = kerberos.authGSSClientInit(
        SERVICE, user="bob", domain=domain, password=realm.bob_password
    )
    _, server = kerberos.authGSSServerInit(SERVICE)
    kerberos.authGSSClientStep(client, "")
    kerberos.authGSSServerStep(server, kerberos.authGSSClientResponse(client))
    assert kerberos.authGSSServerUserName(server) == realm.bob


def test_netbios_domain_krb5_conf_does_not_know(realm: Realm) -> None:
    with pytest.raises(kerberos.UnknownRealmError) as excinfo:
        kerberos.authGSSClientInit(SERVICE, user="bob", domain="SAMBA", password="s3cret-x")
    got = assert_diagnosis(
        excinfo.value, "UnknownRealm", kerberos.UnknownRealmError, hint_has=("realm",)
    )
    assert '"SAMBA"' in got["str"]
    assert realm.realm in got["str"]
    assert "s3cret-x" not in got["str"]


# --------------------------------------------------------------------------------------------
# tickets, KDCs and the environment


def test_no_credentials(realm: Realm, tmp_path: Path) -> None:
    got = child(
        f"kerberos.authGSSClientStep(kerberos.authGSSClientInit({SERVICE!r})[1], '')",
        {"KRB5CCNAME": f"FILE:{tmp_path / 'none'}"},
    )
    assert_diagnosis(got, "NoCredentials", kerberos.NoCredentialsError, hint_has=("kinit",))


def test_expired_ticket(realm: Realm, tmp_path: Path) -> None:
    ccache = f"FILE:{tmp_path / 'short'}"
    subprocess.run(
        ["kinit", "-c", ccache, "-l", "2s", realm.bob],
        input=realm.bob_password + "\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    time.sleep(3)
    got = child(
        f"kerberos.authGSSClientStep(kerberos.authGSSClientInit({SERVICE!r})[1], '')",
        {"KRB5CCNAME": ccache},
    )
    got = assert_diagnosis(got, "Expired", kerberos.ExpiredError, hint_has=("kinit",))
    assert "expired" in got["str"].lower()


def _conf_without(realm: Realm, directory: Path, pattern: str, replacement: str = "") -> Path:
    conf, count = re.subn(pattern, replacement, Path(realm.krb5_config).read_text())
    assert count >= 1
    path = directory / "krb5.conf"
    path.write_text(conf)
    return path


def test_kdc_unreachable(realm: Realm, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    conf = _conf_without(realm, tmp_path, r"kdc = 127\.0\.0\.1:\d+", f"kdc = 127.0.0.1:{closed}")
    got = child(
        f"kerberos.authGSSClientInit({SERVICE!r}, {realm.bob + ':' + realm.bob_password!r})",
        {"KRB5_CONFIG": str(conf)},
    )
    assert_diagnosis(
        got,
        "KdcUnreachable",
        kerberos.KdcUnreachableError,
        hint_has=("port 88",),
        secrets=(realm.bob_password,),
    )


def test_change_password_without_a_kpasswd_server(realm: Realm, tmp_path: Path) -> None:
    # Samba's generated krb5.conf names the KDC but no kpasswd_server or admin_server.
    conf = _conf_without(realm, tmp_path, r"\s*(admin_server|kpasswd_server) = [^\n]*")
    got = child(
        f"kerberos.changePassword({realm.dave!r}, {realm.dave_password!r}, 'N3w-pass-word-x')",
        {"KRB5_CONFIG": str(conf)},
    )
    got = assert_diagnosis(
        got,
        "KdcUnreachable",
        kerberos.KdcUnreachableError,
        kerberos.PwdChangeError,
        hint_has=("kpasswd_server", "[realms]"),
        secrets=(realm.dave_password, "N3w-pass-word-x"),
    )
    assert got["minor"] == -1765328230  # KRB5_REALM_UNKNOWN, from the kpasswd lookup
    assert got["args"][1] == got["minor"]  # pykerberos' (text, code)


def test_library_missing_keeps_the_loaders_reason() -> None:
    got = child(
        f"kerberos.authGSSClientInit({SERVICE!r})",
        {"WINKERBEROS_GSSAPI_LIBRARY": "libgssapi_nonexistent.so.9"},
    )
    got = assert_diagnosis(
        got,
        "LibraryUnavailable",
        kerberos.LibraryUnavailableError,
        hint_has=("libgssapi-krb5-2",),
    )
    # dlerror's own words, which libloading keeps in the error's source().
    assert "cannot open shared object file" in got["str"], got["str"]


# --------------------------------------------------------------------------------------------
# tokens


def test_empty_reply_in_the_middle_of_the_handshake(realm: Realm) -> None:
    # ldap3 passes on an empty server credential after a failed bind.
    _, client = kerberos.authGSSClientInit(SERVICE)
    assert kerberos.authGSSClientStep(client, "") == kerberos.AUTH_GSS_CONTINUE
    with pytest.raises(kerberos.DefectiveTokenError) as excinfo:
        kerberos.authGSSClientStep(client, "")
    got = assert_diagnosis(
        excinfo.value, "DefectiveToken", kerberos.DefectiveTokenError, hint_has=("sent nothing",)
    )
    assert "unchanged" not in got["hint"]
    # The context starts over, as after any failed step.
    assert kerberos.authGSSClientStep(client, "") == kerberos.AUTH_GSS_CONTINUE


def test_defective_token_replay_and_bindings_have_their_classes(realm: Realm) -> None:
    _, server = kerberos.authGSSServerInit(SERVICE)
    with pytest.raises(kerberos.DefectiveTokenError) as excinfo:
        kerberos.authGSSServerStep(server, b64(b"this is not a kerberos token"))
    assert_diagnosis(excinfo.value, "DefectiveToken", kerberos.DefectiveTokenError)

    _, client = kerberos.authGSSClientInit(SERVICE)
    kerberos.authGSSClientStep(client, "")
    token = kerberos.authGSSClientResponse(client)
    _, first = kerberos.authGSSServerInit(SERVICE)
    kerberos.authGSSServerStep(first, token)
    _, second = kerberos.authGSSServerInit(SERVICE)
    with pytest.raises(kerberos.ReplayError) as excinfo:
        kerberos.authGSSServerStep(second, token)
    assert_diagnosis(excinfo.value, "Replay", kerberos.ReplayError, hint_has=("once",))

    cb = kerberos.channelBindings
    _, client = kerberos.authGSSClientInit(SERVICE)
    kerberos.authGSSClientStep(client, "", channel_bindings=cb(application_data=b"one"))
    _, server = kerberos.authGSSServerInit(SERVICE)
    with pytest.raises(kerberos.BadBindingsError) as excinfo:
        kerberos.authGSSServerStep(
            server,
            kerberos.authGSSClientResponse(client),
            channel_bindings=cb(application_data=b"two"),
        )
    assert_diagnosis(excinfo.value, "BadBindings", kerberos.BadBindingsError, hint_has=("same",))


def test_raised_classes_keep_the_originals_behaviour(realm: Realm) -> None:
    _, client = kerberos.authGSSClientInit("HTTP@nohost")
    try:
        kerberos.authGSSClientStep(client, "")
    except kerberos.GSSError as exc:  # the originals' except clause still catches it
        caught = exc
    assert isinstance(caught, kerberos.KrbError)
    (_major_text, major), (_minor_text, minor) = caught.args
    assert isinstance(major, int)
    assert isinstance(minor, int)
    assert not isinstance(caught, kerberos.BasicAuthError)
    # Pickling (multiprocessing, logging handlers) keeps class, args and attributes.
    copy = pickle.loads(pickle.dumps(caught))
    assert type(copy) is type(caught)
    assert copy.args == caught.args
    assert (copy.kind, copy.hint, str(copy)) == (caught.kind, caught.hint, str(caught))
    # Every kind class is exported and is a KrbError.
    for name in kerberos.__all__:
        value = getattr(kerberos, name)
        if name.endswith("Error"):
            assert issubclass(value, kerberos.KrbError), name


# --------------------------------------------------------------------------------------------
# Heimdal's library

heimdal = pytest.mark.skipif(
    ctypes.util.find_library("gssapi") != HEIMDAL,
    reason="Heimdal's libgssapi.so.3 is not installed (scripts/setup.sh installs it)",
)
ON_HEIMDAL = {"WINKERBEROS_GSSAPI_LIBRARY": HEIMDAL}


@heimdal
def test_heimdal_missing_ccache_is_no_credentials(tmp_path: Path) -> None:
    missing = tmp_path / "none"
    got = child(
        f"kerberos.authGSSClientStep(kerberos.authGSSClientInit({SERVICE!r})[1], '')",
        {**ON_HEIMDAL, "KRB5CCNAME": f"FILE:{missing}"},
    )
    got = assert_diagnosis(got, "NoCredentials", kerberos.NoCredentialsError, hint_has=("kinit",))
    assert str(missing) in got["str"]


@heimdal
def test_heimdal_password_change_required_and_expired(realm: Realm) -> None:
    user, password = unique("hneed"), "Need-chg-pw-Hq1"
    old, old_password = unique("hexp"), "Exp1red-pw-Hq"
    kadmin(
        f"addprinc -pw {password} +needchange {user}",
        f"addprinc -pw {old_password} -pwexpire yesterday {old}",
    )
    got = child(
        f"kerberos.authGSSClientInit({SERVICE!r}, '{user}@{realm.realm}:{password}')", ON_HEIMDAL
    )
    assert_diagnosis(
        got,
        "PasswordChangeRequired",
        kerberos.PasswordChangeRequiredError,
        hint_has=("change it",),
        secrets=(password,),
    )
    got = child(
        f"kerberos.checkPassword('{old}', '{old_password}', 'HTTP/localhost', '{realm.realm}')",
        ON_HEIMDAL,
    )
    assert_diagnosis(
        got,
        "PasswordExpired",
        kerberos.PasswordExpiredError,
        kerberos.BasicAuthError,
        secrets=(old_password,),
    )


@heimdal
def test_heimdal_clock_skew(realm: Realm, tmp_path: Path) -> None:
    got = child(
        f"kerberos.checkPassword('bob', {realm.bob_password!r}, 'HTTP/localhost', {realm.realm!r})",
        ON_HEIMDAL,
        skew=SKEW,
    )
    assert_diagnosis(
        got,
        "ClockSkew",
        kerberos.ClockSkewError,
        kerberos.BasicAuthError,
        hint_has=("clockskew",),
        secrets=(realm.bob_password,),
    )
    service = unique("htgs")
    kadmin(f"addprinc -randkey {service}/localhost")
    ccache = tmp_path / "ccache"
    shutil.copy(realm.krb5ccname.removeprefix("FILE:"), ccache)
    got = child(
        f"kerberos.authGSSClientStep(kerberos.authGSSClientInit('{service}@localhost')[1], '')",
        {**ON_HEIMDAL, "KRB5CCNAME": f"FILE:{ccache}"},
        skew=SKEW,
    )
    got = assert_diagnosis(got, "ClockSkew", kerberos.ClockSkewError)
    assert "clock skew" in got["str"].lower()


@heimdal
def test_heimdal_stale_keytab_and_unknown_realm(realm: Realm, tmp_path: Path) -> None:
    service = unique("hstale")
    keytab = tmp_path / "stale.keytab"
    kadmin(
        f"addprinc -randkey {service}/localhost",
        f"ktadd -k {keytab} {service}/localhost",
        f"cpw -randkey {service}/localhost",
    )
    got = child(
        f"""
_, c = kerberos.authGSSClientInit('{service}@localhost')
kerberos.authGSSClientStep(c, '')
_, s = kerberos.authGSSServerInit('{service}@localhost')
kerberos.authGSSServerStep(s, kerberos.authGSSClientResponse(c))
""",
        {**ON_HEIMDAL, "KRB5_KTNAME": f"FILE:{keytab}"},
    )
    assert_diagnosis(got, "StaleKeytab", kerberos.StaleKeytabError, hint_has=("keytab",))
    typo = realm.realm.replace("LOCAL", "LCOAL")
    got = child(
        f"kerberos.authGSSClientInit({SERVICE!r}, 'alice@{typo}:{realm.password}')", ON_HEIMDAL
    )
    assert_diagnosis(got, "UnknownRealm", kerberos.UnknownRealmError, secrets=(realm.password,))
