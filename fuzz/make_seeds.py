"""Write the seed corpus of the fuzz targets: real tokens from a throwaway realm.

    .venv/bin/python fuzz/make_seeds.py

Starts the test realm (tests/support/realm.py), runs Kerberos and SPNEGO
handshakes, wraps messages and reads the service keytab, and writes each artefact as one file
under fuzz/corpus/<target>/ (the cargo fuzz targets) and fuzz/corpus/python/ (the atheris
harness). The result is committed; rerun this only to refresh it. Keytab seeds keep the file's
structure but have every key zeroed, so no key of even a throwaway realm is committed.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.realm import start_realm, stop_realm  # noqa: E402

CORPUS = ROOT / "fuzz" / "corpus"


def write(target: str, data: bytes) -> None:
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    # Content-addressed names, as libFuzzer names its own corpus files.
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


def zero_keys(keytab: bytes) -> bytes:
    """The keytab with each entry's key bytes zeroed (MIT v2 layout)."""
    out = bytearray(keytab)
    at = 2
    while at + 4 <= len(out):
        size = int.from_bytes(out[at : at + 4], "big", signed=True)
        at += 4
        if size <= 0:
            at += -size
            continue
        entry = at
        pos = entry
        components = int.from_bytes(out[pos : pos + 2], "big")
        pos += 2
        pos += 2 + int.from_bytes(out[pos : pos + 2], "big")  # realm
        for _ in range(components):
            pos += 2 + int.from_bytes(out[pos : pos + 2], "big")
        pos += 4 + 4 + 1 + 2  # name type, timestamp, kvno, enctype
        key_len = int.from_bytes(out[pos : pos + 2], "big")
        out[pos + 2 : pos + 2 + key_len] = bytes(key_len)
        at = entry + size
    return bytes(out)


def main() -> None:
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    directory = Path(tempfile.mkdtemp(prefix="wk-seeds-"))
    realm = start_realm(directory, watch_pid=os.getpid())
    try:
        os.environ.update(realm.env)
        import winkerberos as k

        for mech in (k.GSS_MECH_OID_KRB5, k.GSS_MECH_OID_SPNEGO):
            flags = k.GSS_C_MUTUAL_FLAG | k.GSS_C_SEQUENCE_FLAG | k.GSS_C_CONF_FLAG
            _, client = k.authGSSClientInit("HTTP@localhost", gssflags=flags, mech_oid=mech)
            _, server = k.authGSSServerInit("HTTP@localhost")
            k.authGSSClientStep(client, "")
            initial = k.authGSSClientResponse(client)
            k.authGSSServerStep(server, initial)
            reply = k.authGSSServerResponse(server)
            k.authGSSClientStep(client, reply or "")
            k.authGSSClientWrap(client, base64.b64encode(b"hello").decode(), None, 1)
            wrapped = k.authGSSClientResponse(client)
            k.authGSSClientWrapIov(client, base64.b64encode(b"iov").decode(), 1)
            iov = k.authGSSClientResponse(client)
            for text in (initial, reply, wrapped, iov):
                if text:
                    write("base64", text.encode())
                    write("python", base64.b64decode(text))
        for offer in (b"\x07\x00\xff\xff", b"\x01\x00\x00\x00", b"\x06\x01\x00\x00"):
            write("sasl", offer)
        write("sasl", b"alice@WKTEST.LOCAL")
        for principal in (
            "alice@WKTEST.LOCAL",
            "alice@WKTEST.LOCAL:pw",
            "carol@WKTEST.LOCAL:p%40ss%3Aw%25rd/%C3%BC%2B%201",
            "alice%40corp@EX.COM:p%3Ass",
            "u@R:",
            "",
        ):
            write("principal", principal.encode())
        for service in ("HTTP@localhost", "HTTP/localhost", "HTTP/localhost@R", "m@db@R", "HTTP"):
            write("service_name", service.encode())
        keytab = Path(realm.krb5_ktname.removeprefix("FILE:")).read_bytes()
        write("keytab", zero_keys(keytab))
        other = Path(realm.other_keytab.removeprefix("FILE:")).read_bytes()
        write("keytab", zero_keys(other))
    finally:
        stop_realm(directory)
        shutil.rmtree(directory, ignore_errors=True)
    for target in sorted(CORPUS.iterdir()):
        print(f"{target.name}: {len(list(target.iterdir()))} seeds")


if __name__ == "__main__":
    main()
