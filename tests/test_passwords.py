"""checkPassword, changePassword and getServerPrincipalDetails against the test realm."""

from __future__ import annotations

import pytest
import winkerberos as kerberos
from support.realm import Realm

pytestmark = pytest.mark.usefixtures("realm")


def test_check_password_verified_against_the_keytab(realm: Realm) -> None:
    user = realm.bob.split("@")[0]
    assert kerberos.checkPassword(user, realm.bob_password, "HTTP/localhost", realm.realm) is True
    assert kerberos.checkPassword(realm.bob, realm.bob_password, "HTTP/localhost", "", False)


def test_check_password_wrong_password_has_pykerberos_args(realm: Realm) -> None:
    with pytest.raises(kerberos.BasicAuthError) as info:
        kerberos.checkPassword(realm.bob, "wrong-secret", "HTTP/localhost", realm.realm)
    text, code = info.value.args
    assert code == -1765328360 or code == -1765328353  # preauth failed / integrity check
    assert isinstance(text, str)
    assert text
    assert isinstance(info.value, kerberos.KrbError)
    assert "wrong-secret" not in str(info.value) + repr(info.value)
    assert "password" in str(info.value)


def test_check_password_unknown_user(realm: Realm) -> None:
    with pytest.raises(kerberos.BasicAuthError) as info:
        kerberos.checkPassword("nobody", "x", "HTTP/localhost", realm.realm)
    assert info.value.args[1] == -1765328378  # KDC_ERR_C_PRINCIPAL_UNKNOWN


def test_check_password_verification_needs_the_service_key(realm: Realm) -> None:
    with pytest.raises(kerberos.BasicAuthError):
        kerberos.checkPassword(realm.bob, realm.bob_password, "krbtgt/" + realm.realm, realm.realm)


def test_change_password(realm: Realm) -> None:
    old = realm.dave_password
    with pytest.raises(kerberos.PwdChangeError) as info:
        kerberos.changePassword(realm.dave, "not-the-old-one", "Another-L0ng-password")
    assert len(info.value.args) == 2
    assert info.value.args[1] < 0
    with pytest.raises(kerberos.PwdChangeError) as info:
        kerberos.changePassword(realm.dave, old, "short")
    ((text, result_code),) = info.value.args
    assert result_code > 0
    assert "too short" in text
    new = "A-much-l0nger-Passphrase"
    assert kerberos.changePassword(realm.dave, old, new) is True
    assert kerberos.checkPassword(realm.dave, new, "HTTP/localhost", "")
    with pytest.raises(kerberos.BasicAuthError):
        kerberos.checkPassword(realm.dave, old, "HTTP/localhost", "")


def test_get_server_principal_details(realm: Realm) -> None:
    spn = kerberos.getServerPrincipalDetails("HTTP", "localhost")
    assert spn == f"HTTP/localhost@{realm.realm}"
    with pytest.raises(kerberos.KrbError) as info:
        kerberos.getServerPrincipalDetails("HTTP", "nohost")
    assert info.value.args == (("Principal not found in keytab", -1),)
    assert "KRB5_KTNAME" in str(info.value)


def test_get_server_principal_details_reads_krb5_ktname_at_call_time(run_isolated, realm: Realm):
    result = run_isolated(
        "import winkerberos as k; print(k.getServerPrincipalDetails('host', 'localhost'))",
        {"KRB5_KTNAME": realm.other_keytab},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"host/localhost@{realm.realm}"
