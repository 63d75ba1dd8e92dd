"""atheris harness: the Python API on hostile tokens and arguments, against a real realm.

    .venv/bin/python fuzz/python_api.py [CORPUS_DIR...] [-libfuzzer-flags]

(scripts/fuzz.sh runs it.) It starts the throwaway test realm, makes one established
client/server pair, then feeds each input to one API call chosen by its first byte: server
steps on new contexts (base64 and bytes API), a client's second leg, unwrap of every kind on the
established pair, WinRM decryption, authGSSClientInit with fuzzed service and principal, and
channelBindings with fuzzed values. Each call must return or raise one of the documented
classes (KrbError and its subclasses such as GSSError, ValueError, TypeError,
OverflowError); anything else, or a crash of
the process, is a finding. The native module is not instrumented, so libFuzzer's coverage
comes from this file only: the harness is a structured random hammer more than a guided one;
the Rust parsers get guided fuzzing from the cargo targets.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.realm import start_realm, stop_realm  # noqa: E402

with atheris.instrument_imports():
    import winkerberos as k

# OverflowError: an int argument beyond its C range, as the originals raised it.
EXPECTED = (k.KrbError, ValueError, TypeError, OverflowError)
SERVICE = "HTTP@localhost"


def _realm() -> None:
    directory = Path(tempfile.mkdtemp(prefix="wk-atheris-"))
    realm = start_realm(directory, watch_pid=os.getpid())

    def stop() -> None:
        stop_realm(directory)
        shutil.rmtree(directory, ignore_errors=True)

    atexit.register(stop)
    os.environ.update(realm.env)


def _established() -> tuple[k.GSSClientContext, k.GSSServerContext]:
    flags = k.GSS_C_MUTUAL_FLAG | k.GSS_C_SEQUENCE_FLAG | k.GSS_C_CONF_FLAG
    _, client = k.authGSSClientInit(SERVICE, gssflags=flags)
    _, server = k.authGSSServerInit(SERVICE)
    k.authGSSClientStep(client, "")
    k.authGSSServerStep(server, k.authGSSClientResponse(client))
    k.authGSSClientStep(client, k.authGSSServerResponse(server))
    return client, server


_realm()
CLIENT, SERVER = _established()


def one_call(op: int, fdp: atheris.FuzzedDataProvider) -> None:
    if op == 0:
        _, server = k.authGSSServerInit(SERVICE)
        k.authGSSServerStep(server, base64.b64encode(fdp.ConsumeBytes(1 << 16)).decode())
    elif op == 1:
        _, server = k.authGSSServerInit(SERVICE)
        server.step(fdp.ConsumeBytes(1 << 16))
    elif op == 2:
        _, server = k.authGSSServerInit(SERVICE)
        k.authGSSServerStep(server, fdp.ConsumeUnicodeNoSurrogates(1 << 12) or "x")
    elif op == 3:
        _, client = k.authGSSClientInit(SERVICE)
        k.authGSSClientStep(client, "")
        k.authGSSClientStep(client, base64.b64encode(fdp.ConsumeBytes(1 << 16)).decode())
    elif op == 4:
        CLIENT.unwrap(fdp.ConsumeBytes(1 << 16))
    elif op == 5:
        SERVER.unwrap(fdp.ConsumeBytes(1 << 16))
    elif op == 6:
        k.authGSSClientUnwrap(CLIENT, base64.b64encode(fdp.ConsumeBytes(1 << 16)).decode())
    elif op == 7:
        k.authGSSClientUnwrapIov(CLIENT, base64.b64encode(fdp.ConsumeBytes(1 << 16)).decode())
    elif op == 8:
        k.authGSSServerUnwrap(SERVER, base64.b64encode(fdp.ConsumeBytes(1 << 16)).decode())
    elif op == 9:
        header = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 256))
        k.authGSSWinRMDecryptMessage(CLIENT, fdp.ConsumeBytes(1 << 16), header)
    elif op == 10:
        service = fdp.ConsumeUnicodeNoSurrogates(64)
        # Without a password: the principal is looked up locally, no KDC round trip.
        principal = fdp.ConsumeUnicodeNoSurrogates(128).replace(":", "")
        k.authGSSClientInit(service or SERVICE, principal=principal)
    elif op == 11:
        k.channelBindings(
            initiator_addrtype=fdp.ConsumeIntInRange(-(2**40), 2**40),
            initiator_address=fdp.ConsumeBytes(64),
            acceptor_addrtype=fdp.ConsumeIntInRange(0, 300),
            acceptor_address=fdp.ConsumeUnicodeNoSurrogates(64),
            application_data=fdp.ConsumeBytes(256),
        )
    elif op == 12:
        k.authGSSClientWrap(CLIENT, fdp.ConsumeUnicodeNoSurrogates(256), None, 1)
    elif op == 13:
        k.authGSSClientInit(SERVICE, gssflags=fdp.ConsumeIntInRange(-(2**40), 2**40))


OPS = 14


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    op = fdp.ConsumeIntInRange(0, OPS - 1)
    with contextlib.suppress(EXPECTED):
        one_call(op, fdp)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
