#!/usr/bin/env python3
"""Instruction counts of a fixed winkerberos workload, for before/after comparisons.

    python3 bench/instructions.py [--python PY ...] [--handshakes 20] [--messages 200]

Wall-clock benchmarks (bench/run.py) move by several per cent on a busy two-core machine;
callgrind's instruction count for the same binary, inputs and environment does not. This
script starts a throwaway realm, then runs, under `valgrind --tool=callgrind` and once per
`--python` interpreter (each with its own winkerberos installed, e.g. the venvs of two
builds), the same workload:

* `--handshakes` Kerberos handshakes through the pykerberos API (client and server in one
  process, mutual authentication, base64 tokens), and
* `--messages` 1 KiB messages wrapped by the client and unwrapped by the server, then the
  other way, through the bytes-level API.

It prints one line per interpreter: the total instruction count, the workload's share (the
total less that of the same run with an empty workload: interpreter start-up and `import`),
and the ratio of that share to the first interpreter's. The counts include the native
Kerberos library; only differences between builds run with the same interpreter mean
anything.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REALMCTL = [sys.executable, str(ROOT / "tests" / "support" / "realmctl.py")]
SPN = "HTTP@localhost"


def workload(handshakes: int, messages: int) -> None:
    import winkerberos as k

    flags = k.GSS_C_MUTUAL_FLAG | k.GSS_C_SEQUENCE_FLAG | k.GSS_C_CONF_FLAG | k.GSS_C_INTEG_FLAG
    for _ in range(handshakes):
        _, c = k.authGSSClientInit(SPN, gssflags=flags)
        _, s = k.authGSSServerInit(SPN)
        k.authGSSClientStep(c, "")
        k.authGSSServerStep(s, k.authGSSClientResponse(c))
        k.authGSSClientStep(c, k.authGSSServerResponse(s))
        assert k.authGSSClientUserName(c) == k.authGSSServerUserName(s)
    message = bytes(range(256)) * 4
    for _ in range(messages):
        assert s.unwrap(c.wrap(message)) == message
        assert c.unwrap(s.wrap(message)) == message


def count(python: str, env: dict[str, str], handshakes: int, messages: int) -> int:
    with tempfile.TemporaryDirectory(prefix="wk-callgrind-") as out:
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}/callgrind.out",
                python,
                __file__,
                "--workload",
                str(handshakes),
                str(messages),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        text = Path(out, "callgrind.out").read_text()
    match = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
    if match is None:
        raise RuntimeError("callgrind wrote no instruction total")
    return int(match.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--python", action="append", help="interpreter to measure (repeatable)")
    ap.add_argument("--handshakes", type=int, default=20)
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--workload", nargs=2, type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.workload:
        workload(*args.workload)
        return
    pythons = args.python or [sys.executable]
    with tempfile.TemporaryDirectory(prefix="wk-callgrind-realm-") as tmp:
        start = [*REALMCTL, "start", tmp, "--watch", str(os.getpid())]
        lines = subprocess.run(start, check=True, capture_output=True, text=True).stdout
        try:
            env = dict(os.environ, **dict(line.split("=", 1) for line in lines.splitlines()))
            env["PYTHONHASHSEED"] = "0"
            # The first run adds the service ticket to the realm's ccache; measure from then on.
            count(pythons[0], env, 1, 1)
            first = None
            for python in pythons:
                total = count(python, env, args.handshakes, args.messages)
                work = total - count(python, env, 0, 0)
                first = first or work
                print(
                    f"{python} total={total} workload={work} ratio={work / first:.4f}", flush=True
                )
        finally:
            subprocess.run([*REALMCTL, "stop", tmp], check=True)


if __name__ == "__main__":
    main()
