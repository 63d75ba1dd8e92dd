#!/usr/bin/env python3
"""Where winkerberos' time goes, next to the C floor (the numbers behind the "Where the time
goes" section of docs/performance.md).

    python3 bench/profile.py [--secs 2] [--rounds 3] [--no-perf] [--no-setup]

Uses the venvs, the C floor and the realm of bench/run.py (and sets them up the same way
unless --no-setup). Three parts:

1. Handshake, call by call: the mean time of every call of the kerberos API's handshake
   (worker.py hs-calls) for winkerberos and pykerberos, next to the C floor with the same
   GSSAPI call sequence (gss_floor calls api) and the minimal one (gss_floor calls min), in
   the FILE+rc and MEM+norc configurations. Median of --rounds runs.
2. wrap+unwrap, step by step (worker.py wrap-calls) at 1 KiB and 1 MiB: each library call
   and each base64 conversion the caller makes, next to the C floor's round trip.
3. perf (if `perf record` works here): cpu-clock samples of a handshake loop and of a 1 MiB
   wrap+unwrap loop, by shared object and by symbol. Full reports go to bench/out/.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run

OUT = run.OUT
WORKER = str(run.HERE / "worker.py")


def result(stdout: str, prefix: str = "RESULT ") -> dict[str, str]:
    for line in stdout.splitlines():
        if line.startswith(prefix):
            return dict(t.split("=", 1) for t in line.split()[1:])
    raise RuntimeError("no " + prefix.strip() + " line in:\n" + stdout)


def call(argv: list[str], env: dict[str, str]) -> str:
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    if p.returncode:
        raise RuntimeError(f"{argv} failed: {p.stderr[-1500:]}")
    return p.stdout


def medians(runs: list[dict[str, str]]) -> dict[str, float]:
    return {k: statistics.median(float(r[k]) for r in runs) for k in runs[0]}


def handshake_calls(runner, args) -> list[str]:
    lines = []
    for cfg in ("FILE+rc", "MEM+norc"):
        env = runner.env(cfg)
        cols: dict[str, dict[str, float]] = {}
        for _ in range(args.rounds):
            for key, argv, prefix in (
                ("C min", [str(run.FLOOR), "calls", str(args.secs), "min"], "CALLS "),
                ("C api", [str(run.FLOOR), "calls", str(args.secs), "api"], "CALLS "),
                ("C cached", [str(run.FLOOR), "calls", str(args.secs), "cached"], "CALLS "),
                ("C lean", [str(run.FLOOR), "calls", str(args.secs), "lean"], "CALLS "),
                (
                    "winkerberos",
                    [str(run.py("winkerberos")), WORKER, "winkerberos", "hs-calls", str(args.secs)],
                    "RESULT ",
                ),
                (
                    "pykerberos",
                    [str(run.py("pykerberos")), WORKER, "pykerberos", "hs-calls", str(args.secs)],
                    "RESULT ",
                ),
            ):
                out = call(argv, env)
                r = result(out, prefix)
                if prefix == "CALLS ":
                    n = result(out)
                    r["_per_hs"] = f"{float(n['wall']) / int(n['n']) * 1e6:.1f}"
                cols.setdefault(key, {}).setdefault("runs", []).append(r)
        med = {k: medians(v["runs"]) for k, v in cols.items()}
        lines.append(
            f"#### Handshake call by call, {cfg} (µs per handshake, median of "
            f"{args.rounds} runs of {args.secs:g} s)"
        )
        lines.append("")
        lines.append(
            "| API call (GSSAPI calls in it) | C, minimal | C, API sequence | "
            "winkerberos | pykerberos | C, API seq., cred cached | C, cached + lean names |"
        )
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        cm, ca, wk, pk = med["C min"], med["C api"], med["winkerberos"], med["pykerberos"]
        cc, cl = med["C cached"], med["C lean"]
        rows = [
            ("authGSSClientInit (import_name)", "import_target", "ClientInit"),
            (
                "authGSSServerInit (import_name, acquire_cred from the keytab)",
                "acquire_acceptor_cred",
                "ServerInit",
            ),
            ("authGSSClientStep #1 (init_sec_context)", "init_sec_context_1", "ClientStep_1"),
            ("authGSSClientResponse (base64 encode)", None, "ClientResponse"),
            (
                "authGSSServerStep (accept_sec_context; base64 decode)",
                "accept_sec_context",
                "ServerStep",
            ),
            ("… its user-name lookup (inquire_context, display_name)", "server_names", None),
            ("authGSSServerResponse (base64 encode)", None, "ServerResponse"),
            (
                "authGSSClientStep #2 (init_sec_context; base64 decode)",
                "init_sec_context_2",
                "ClientStep_2",
            ),
            ("… its user-name lookup (inquire_context, display_name)", "client_names", None),
            (
                "freeing both contexts (delete_sec_context, release_cred/name)",
                "release",
                "free_contexts",
            ),
        ]

        def cell(d, k):
            return f"{d[k]:.1f}" if k and k in d else "–"

        for label, ck, pk_key in rows:
            lines.append(
                f"| {label} | {cell(cm, ck)} | {cell(ca, ck)} | {cell(wk, pk_key)} | "
                f"{cell(pk, pk_key)} | {cell(cc, ck)} | {cell(cl, ck)} |"
            )

        def total(d):
            return sum(v for k, v in d.items() if not k.startswith("_") and k != "n")

        c_total = total(cm)
        lines.append(
            "| **sum of the calls** | "
            + " | ".join(f"**{total(d):.1f}**" for d in (cm, ca, wk, pk, cc, cl))
            + " |"
        )
        lines.append(
            "| ratio to the C floor's speed | "
            + " | ".join(f"{c_total / total(d):.2f}" for d in (cm, ca, wk, pk, cc, cl))
            + " |"
        )
        lines.append("")
        lines.append(
            "In the winkerberos and pykerberos columns the user-name lookups are part "
            "of the step that completes; Python's own loop and call overhead is "
            "inside each call's time. The last two columns are what-ifs in C: the "
            "acceptor credential acquired once and reused; and in addition only the "
            "client's name looked up (the server displays the source name "
            "gss_accept_sec_context returns; the client inquires only its own name)."
        )
        lines.append("")
    return lines


def wrap_steps(runner, args) -> list[str]:
    lines = []
    env = runner.env(run.WRAP_CONFIG)
    for size in (1024, 1 << 20):
        secs = str(args.secs)
        c_runs, libs = [], {}
        for _ in range(args.rounds):
            r = result(call([str(run.FLOOR), "wrap", secs, str(size), "cc"], env))
            c_runs.append(float(r["wall"]) / int(r["n"]) * 1e6)
            for lib in ("winkerberos", "winkerberos-bytes", "pykerberos"):
                if lib == "winkerberos-bytes" and not run.has_bytes_api():
                    continue
                r = result(
                    call([str(run.py(lib)), WORKER, lib, "wrap-calls", secs, str(size)], env)
                )
                r.pop("n")
                libs.setdefault(lib, []).append(r)
        c = statistics.median(c_runs)
        lines.append(
            f"#### wrap + unwrap round trip step by step, {run.size_name(size)} "
            f"(µs per round trip, median of {args.rounds} runs)"
        )
        lines.append("")
        lines.append(f"C floor (gss_wrap + gss_unwrap): **{c:.1f} µs**.")
        lines.append("")
        for lib, runs in libs.items():
            m = medians(runs)
            total = sum(m.values())
            lines.append(
                f"{lib}: **{total:.1f} µs** ({c / total:.2f}× the C floor's speed): "
                + ", ".join(f"{k} {v:.1f}" for k, v in m.items())
                + "."
            )
            lines.append("")
    return lines


def perf_available() -> bool:
    p = subprocess.run(
        ["perf", "record", "-e", "cpu-clock", "-o", "/dev/null", "true"], capture_output=True
    )
    return p.returncode == 0


def perf_profile(runner, args) -> list[str]:
    lines = []
    jobs = [
        ("hs-C", [str(run.FLOOR), "hs", str(args.perf_secs), "1", "min"], "MEM+norc"),
        ("hs-C-api", [str(run.FLOOR), "hs", str(args.perf_secs), "1", "api"], "MEM+norc"),
        (
            "hs-winkerberos",
            [str(run.py("winkerberos")), WORKER, "winkerberos", "hs", str(args.perf_secs), "1"],
            "MEM+norc",
        ),
        (
            "wrap1M-winkerberos",
            [
                str(run.py("winkerberos")),
                WORKER,
                "winkerberos",
                "wrap",
                str(args.perf_secs),
                str(1 << 20),
                "cc",
            ],
            "MEM+norc",
        ),
        (
            "wrap1M-winkerberos-bytes",
            [
                str(run.py("winkerberos")),
                WORKER,
                "winkerberos-bytes",
                "wrap",
                str(args.perf_secs),
                str(1 << 20),
                "cc",
            ],
            "MEM+norc",
        ),
        (
            "wrap1K-winkerberos",
            [
                str(run.py("winkerberos")),
                WORKER,
                "winkerberos",
                "wrap",
                str(args.perf_secs),
                "1024",
                "cc",
            ],
            "MEM+norc",
        ),
        ("wrap1M-C", [str(run.FLOOR), "wrap", str(args.perf_secs), str(1 << 20), "cc"], "MEM+norc"),
    ]
    for name, argv, cfg in jobs:
        if "bytes" in name and not run.has_bytes_api():
            continue
        data = OUT / f"perf-{name}.data"
        subprocess.run(
            ["perf", "record", "-q", "-e", "cpu-clock", "-F", "4000", "-o", str(data), "--", *argv],
            env=runner.env(cfg),
            capture_output=True,
            check=True,
        )
        reports = {}
        for sort in ("dso", "dso,sym"):
            p = subprocess.run(
                [
                    "perf",
                    "report",
                    "-i",
                    str(data),
                    "--stdio",
                    "--no-children",
                    "--sort",
                    sort,
                    "--percent-limit",
                    "0.5",
                ],
                capture_output=True,
                text=True,
            )
            reports[sort] = [
                ln for ln in p.stdout.splitlines() if ln.strip() and not ln.startswith("#")
            ]
        (OUT / f"perf-{name}.txt").write_text(
            "\n".join(reports["dso"]) + "\n\n" + "\n".join(reports["dso,sym"]) + "\n"
        )
        lines.append(f"#### perf, {name} ({cfg}): share of samples by shared object")
        lines.append("")
        lines.append("```")
        lines += reports["dso"][:10]
        lines.append("```")
        lines.append("")
        lines.append("Top symbols:")
        lines.append("")
        lines.append("```")
        lines += reports["dso,sym"][:18]
        lines.append("```")
        lines.append("")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--secs", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--perf-secs", type=float, default=4.0)
    ap.add_argument("--no-perf", action="store_true")
    ap.add_argument("--no-setup", action="store_true")
    args = ap.parse_args()
    run.VENVS.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.no_setup:
        run.apt_install()
        for lib in run.PY_LIBS:
            run.ensure_venv(lib)
        run.build_winkerberos(None)
    run.build_floor()
    realm = run.Realm()
    try:
        ns = argparse.Namespace(secs=args.secs)
        runner = run.Runner(realm, ns)
        lines = handshake_calls(runner, args)
        lines += wrap_steps(runner, args)
        if not args.no_perf and perf_available():
            lines += perf_profile(runner, args)
    finally:
        realm.stop()
    text = "\n".join(lines) + "\n"
    (OUT / "profile.md").write_text(text)
    print(text)
    run.log(f"wrote {OUT / 'profile.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
