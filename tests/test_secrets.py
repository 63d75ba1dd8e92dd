"""Passwords leave no trace: not in memory once their context is gone, not in any error.

A child interpreter reads the password from a pipe straight into a bytearray (so no immutable
Python copy of it ever exists), authenticates with it through password= and principal=,
checks it with checkPassword, and fails once with a wrong password. It then drops every
context, wipes its own bytearrays and scans all of its readable memory (/proc/self/mem) for
the password. The scan runs once before the wipe as a positive control: it must find the
caller's own copy there, or a clean result would prove nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from support.realm import Realm

pytestmark = pytest.mark.usefixtures("realm")

CHILD = r"""
import gc, json, os, sys
import winkerberos as k

S = "HTTP@localhost"
USER = sys.argv[1]
WRONG = "Wr0ng-" + "Secret-7Qx"  # a second secret, for the error texts

# The password, straight from the pipe into mutable buffers we can wipe.
password = bytearray(256)
n = os.readv(0, [password])
del password[n:]
principal = bytearray(USER.encode() + b":") + password  # percent-encoding: none needed

def scan(half_a, half_b):
    # Looks for half_a immediately followed by half_b without ever building the whole
    # password as one object (which would then be found in memory).
    hits = 0
    with open("/proc/self/maps") as maps:
        regions = [line.split() for line in maps]
    with open("/proc/self/mem", "rb", buffering=0) as mem:
        for fields in regions:
            if not fields[1].startswith("r") or (len(fields) > 5 and fields[5] in
                                                 ("[vvar]", "[vsyscall]", "[vdso]")):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            at = start
            while at < end:
                size = min(1 << 20, end - at)
                try:
                    mem.seek(at)
                    chunk = mem.read(size + len(half_a) + len(half_b))
                except OSError:
                    break
                i = chunk.find(half_a)
                while 0 <= i < size:
                    j = i + len(half_a)
                    if chunk[j:j + len(half_b)] == half_b:
                        hits += 1
                    i = chunk.find(half_a, i + 1)
                at += size
    return hits

half = len(password) // 2
half_a, half_b = bytes(password[:half]), bytes(password[half:])

out = {"errors": []}
def run():
    _, c1 = k.authGSSClientInit(S, user=USER, password=password)
    _, c2 = k.authGSSClientInit(S, principal=principal)
    for c in (c1, c2):
        _, s = k.authGSSServerInit(S)
        k.authGSSClientStep(c, "")
        k.authGSSServerStep(s, k.authGSSClientResponse(c))
        k.authGSSClientStep(c, k.authGSSServerResponse(s))
        assert k.authGSSServerUserName(s) == USER
    assert k.checkPassword(USER, password, "HTTP/localhost", "")
    for call in (
        lambda: k.authGSSClientInit(S, user=USER, password=WRONG),
        lambda: k.authGSSClientInit(S, principal=USER + ":" + WRONG),
        lambda: k.checkPassword(USER, WRONG, "HTTP/localhost", ""),
        lambda: k.authGSSClientInit(S, principal="nosuch@WKTEST.LOCAL%3A" + WRONG),
    ):
        try:
            call()
            out["errors"].append("accepted")
        except Exception as e:
            texts = [str(e), repr(e), repr(e.args), str(e.__cause__), str(e.__context__)]
            out["errors"].append(any(WRONG in t for t in texts))
run()
gc.collect()
out["control"] = scan(half_a, half_b)  # our own bytearrays are still there
password[:] = bytes(len(password))
principal[:] = bytes(len(principal))
gc.collect()
out["after"] = scan(half_a, half_b)
print(json.dumps(out))
"""


def test_password_gone_from_memory_and_never_in_errors(realm: Realm) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, realm.user],
        input=realm.password.encode(),
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    out = json.loads(result.stdout)
    # Positive control: the caller's two buffers (password and principal) are found.
    assert out["control"] >= 2, out
    assert out["after"] == 0, f"the password is still in memory {out['after']} time(s)"
    assert out["errors"] == [False, False, False, False], out["errors"]
