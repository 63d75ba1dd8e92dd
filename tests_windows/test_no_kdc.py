"""What a Windows runner can check without a KDC: API surface, packaging, argument errors and
typed contexts. Portable: the same file runs on Linux in scripts/test.sh, so a failure on the
Windows runner is a difference between the backends, not a broken test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import winkerberos as kerberos
from winkerberos import _native

FUNCTIONS = [
    "authGSSClientInit",
    "authGSSClientStep",
    "authGSSClientResponse",
    "authGSSClientResponseConf",
    "authGSSClientUserName",
    "authGSSClientUnwrap",
    "authGSSClientWrap",
    "authGSSClientClean",
    "authGSSClientInquireCred",
    "channelBindings",
    "authGSSServerInit",
    "authGSSServerStep",
    "authGSSServerResponse",
    "authGSSServerUserName",
    "authGSSServerTargetName",
    "authGSSServerClean",
    "checkPassword",
    "changePassword",
    "getServerPrincipalDetails",
    "authGSSClientWrapIov",
    "authGSSClientUnwrapIov",
    "authGSSWinRMEncryptMessage",
    "authGSSWinRMDecryptMessage",
]


def test_api_surface() -> None:
    for name in FUNCTIONS:
        assert callable(getattr(kerberos, name)), name
        assert name in kerberos.__all__, name
    assert kerberos.AUTH_GSS_COMPLETE == 1
    assert kerberos.AUTH_GSS_CONTINUE == 0
    # Each original's own value: winkerberos (SSPI) 0x10000, pykerberos (GSSAPI) 32.
    integ = 65536 if sys.platform == "win32" else 32
    assert integ == kerberos.GSS_C_INTEG_FLAG
    assert kerberos.GSS_C_MUTUAL_FLAG == 2
    assert issubclass(kerberos.GSSError, kerberos.KrbError)
    assert issubclass(kerberos.BasicAuthError, kerberos.KrbError)
    assert issubclass(kerberos.PwdChangeError, kerberos.KrbError)
    assert isinstance(kerberos.__version__, str)
    assert kerberos.__version__


def test_packaging() -> None:
    package = Path(kerberos.__file__).parent
    assert (package / "py.typed").exists()
    assert (package / "_native.pyi").exists()
    suffix = ".pyd" if sys.platform == "win32" else ".so"
    assert Path(_native.__file__).name.endswith(suffix), _native.__file__
    native = {n for n in dir(_native) if not n.startswith("_")}
    assert native <= set(kerberos.__all__), native - set(kerberos.__all__)


def test_argument_errors_are_typed_and_say_what_failed() -> None:
    with pytest.raises(TypeError):
        kerberos.authGSSClientInit(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        kerberos.authGSSClientStep("not a context", "")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        kerberos.authGSSServerStep("not a context", "")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a password needs a user") as info:
        kerberos.authGSSClientInit("HTTP@localhost", password="only-a-password")
    assert "only-a-password" not in str(info.value) + repr(info.value)
    assert "user" in str(info.value)


def test_typed_contexts() -> None:
    result, client = kerberos.authGSSClientInit("HTTP@localhost")
    assert result == kerberos.AUTH_GSS_COMPLETE
    assert isinstance(client, kerberos.GSSClientContext)
    # A context of the other side is refused, not misused (a server context needs service
    # credentials, which a machine without a keytab or domain lacks: the client's is enough).
    with pytest.raises(TypeError):
        kerberos.authGSSServerResponse(client)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        kerberos.authGSSServerUserName(client)  # type: ignore[arg-type]
    # Nothing was exchanged yet.
    assert kerberos.authGSSClientResponse(client) is None
    assert kerberos.authGSSClientUserName(client) is None
    assert kerberos.authGSSClientClean(client) == kerberos.AUTH_GSS_COMPLETE
