#!/usr/bin/env python3
"""Benchmarks winkerberos side by side with pykerberos, python-gssapi, pyspnego and C.

    python3 bench/run.py            # full run (~7 minutes on 2 cores), writes docs/performance.md
    python3 bench/run.py --quick    # ~1-2 minutes, writes bench/out/quick.md
    python3 bench/run.py --help     # options (rounds, seconds, parts, --rev, ...)

What it does, idempotently:
  * installs the Debian packages it needs if missing (apt-get install -y: MIT KDC and tools,
    libkrb5-dev and gcc to build pykerberos, python-gssapi and pykrb5 from their sdists);
  * keeps one virtual environment per library in bench/.venvs/ (pip installs the pinned
    versions once; winkerberos is built with maturin from this checkout, or from --rev,
    into a wheel that is installed into its venv, so other builds of the tree do not
    change the module under test);
  * compiles the C floor (bench/gss_floor.c);
  * starts one throwaway realm (tests/support/realmctl.py) and a "black-hole KDC" on 127.0.0.1;
  * runs every measurement in a fresh process (bench/worker.py or gss_floor), rounds
    interleaved across libraries in a shuffled order, and takes the median per cell;
  * prints the tables, writes them into docs/performance.md (between the bench markers,
    leaving the rest of the file alone) and the raw numbers into bench/out/;
  * stops the realm.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REALMCTL = ROOT / "tests" / "support" / "realmctl.py"
VENVS = HERE / ".venvs"
OUT = HERE / "out"
FLOOR = VENVS / "gss_floor"
DOC = ROOT / "docs" / "performance.md"
BEGIN = "<!-- bench/run.py: begin generated section -->"
END = "<!-- bench/run.py: end generated section -->"

APT_PACKAGES = ["krb5-kdc", "krb5-admin-server", "krb5-user", "libkrb5-dev", "gcc", "binutils"]
# pip requirements per venv (pykerberos gets python-gssapi as the server peer for wrap).
REQUIREMENTS = {
    "winkerberos": ["maturin>=1.9,<2"],
    "pykerberos": ["pykerberos==1.2.4", "gssapi==1.12.0"],
    "gssapi": ["gssapi==1.12.0"],
    "spnego": ["pyspnego[kerberos]==0.12.4", "gssapi==1.12.0"],
}
DIST = {
    "winkerberos": "winkerberos-rs",
    "pykerberos": "pykerberos",
    "gssapi": "gssapi",
    "spnego": "pyspnego",
}
IMPORT_NAME = {
    "winkerberos": "winkerberos",
    "pykerberos": "kerberos",
    "gssapi": "gssapi",
    "spnego": "spnego",
}

CONFIGS = {  # name -> (MEMORY ccache?, no replay cache?)
    "FILE+rc": (False, False),
    "FILE+norc": (False, True),
    "MEM+rc": (True, False),
    "MEM+norc": (True, True),
}
THREAD_CONFIGS = ["FILE+rc", "MEM+norc"]
WRAP_CONFIG = "MEM+norc"

# Rows: (key, kind, lib, variant). kind "c" runs gss_floor, "py" runs worker.py in lib's venv.
HS_ROWS = [
    ("C", "c", None, "min"),
    ("C-api", "c", None, "api"),
    ("winkerberos", "py", "winkerberos", None),
    ("winkerberos-bytes", "py", "winkerberos-bytes", None),
    ("pykerberos", "py", "pykerberos", None),
    ("gssapi", "py", "gssapi", None),
    ("spnego", "py", "spnego", None),
]
THREAD_ROWS = [r for r in HS_ROWS if r[0] not in ("C-api", "winkerberos-bytes")]
WRAP_ROWS = [
    ("C", "c", None, "cc"),
    ("winkerberos", "py", "winkerberos", "cc"),
    ("winkerberos-cs", "py", "winkerberos", "cs"),
    ("winkerberos-bytes", "py", "winkerberos-bytes", "cc"),
    ("pykerberos", "py", "pykerberos", "cc"),
    ("gssapi", "py", "gssapi", "cc"),
    ("spnego", "py", "spnego", "cc"),
]
PY_LIBS = ["winkerberos", "pykerberos", "gssapi", "spnego"]
GIL_LIBS = ["winkerberos", "winkerberos-bytes", "pykerberos", "gssapi", "spnego"]
OURS = ["winkerberos", "winkerberos-cs", "winkerberos-bytes"]


def log(msg: str) -> None:
    print(f"run.py: {msg}", file=sys.stderr, flush=True)


def sh(argv, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=True, **kw)


def py(lib: str) -> Path:
    return VENVS / lib.removesuffix("-bytes") / "bin" / "python"


def has_bytes_api() -> bool:
    code = "import winkerberos as k; print(hasattr(k.GSSClientContext, 'wrap'))"
    p = subprocess.run([str(py("winkerberos")), "-c", code], capture_output=True, text=True)
    return p.stdout.strip() == "True"


# ---------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------


def apt_install() -> None:
    packages = list(APT_PACKAGES)
    if sys.executable.startswith("/usr/bin/"):  # Debian's Python: venv, and headers for sdists
        packages += ["python3-venv", "python3-dev"]
    missing = []
    for pkg in packages:
        q = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True
        )
        if "install ok installed" not in q.stdout:
            missing.append(pkg)
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log("installing Debian packages: " + " ".join(missing))
    sh([*sudo, "apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-q"], env=env)
    sh(
        [
            *sudo,
            "apt-get",
            "-o",
            "DPkg::Lock::Timeout=600",
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            *missing,
        ],
        env=env,
    )


def ensure_venv(lib: str) -> None:
    venv = VENVS / lib
    if not py(lib).exists():
        log(f"creating {venv}")
        sh([sys.executable, "-m", "venv", str(venv)])
    stamp = venv / ".bench-requirements"
    want = "\n".join(REQUIREMENTS[lib])
    if stamp.exists() and stamp.read_text() == want:
        return
    log(
        f"pip install into {venv.name}: {' '.join(REQUIREMENTS[lib])} "
        "(sdists build against libkrb5-dev: a few minutes the first time)"
    )
    sh(
        [
            str(py(lib)),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            *REQUIREMENTS[lib],
        ]
    )
    stamp.write_text(want)


def build_winkerberos(rev: str | None) -> str:
    """Builds the wheel from the work tree (or a git revision) and installs it into the
    winkerberos venv. Returns a description of what was built."""
    wheels = VENVS / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    src = ROOT
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", rev or "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if rev:
        src = VENVS / "src"
        shutil.rmtree(src, ignore_errors=True)
        src.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True
        ).stdout
        # -m: files get the current time, so cargo never takes an older build for this one
        sh(["tar", "-x", "-m", "-C", str(src)], input=archive)
        what = f"git revision {rev} ({head})"
    else:
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "status",
                "--porcelain",
                "--",
                "crates",
                "python",
                "Cargo.toml",
                "Cargo.lock",
                "pyproject.toml",
            ],
            capture_output=True,
            text=True,
        ).stdout.strip()
        what = f"work tree at {head}" + (" with uncommitted changes" if dirty else "")
    log(f"building winkerberos (maturin build --release) from the {what}")
    env = dict(
        os.environ,
        VIRTUAL_ENV=str(VENVS / "winkerberos"),
        CARGO_TARGET_DIR=str(VENVS / ("target-rev" if rev else "target")),
    )
    sh(
        [
            str(VENVS / "winkerberos" / "bin" / "maturin"),
            "build",
            "--release",
            "-q",
            "-o",
            str(wheels),
        ],
        cwd=src,
        env=env,
    )
    wheel = next(wheels.glob("winkerberos_rs-*.whl"))
    sh(
        [
            str(py("winkerberos")),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--force-reinstall",
            "--no-deps",
            str(wheel),
        ]
    )
    return what


def build_floor() -> None:
    cflags = subprocess.run(
        ["krb5-config", "--cflags", "--libs", "gssapi"], capture_output=True, text=True, check=True
    ).stdout.split()
    sh(["cc", "-O2", "-o", str(FLOOR), str(HERE / "gss_floor.c"), *cflags, "-lpthread"])


def versions() -> dict[str, str]:
    out = {}
    for lib in PY_LIBS:
        code = f"import importlib.metadata as m; print(m.version({DIST[lib]!r}))"
        out[lib] = subprocess.run(
            [str(py(lib)), "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
    return out


# ---------------------------------------------------------------------------
# Realm and black-hole KDC
# ---------------------------------------------------------------------------


class Realm:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="wk-bench-realm-"))
        out = sh(
            [
                sys.executable,
                str(REALMCTL),
                "start",
                str(self.dir),
                "--watch",
                str(os.getpid()),
            ],
            capture_output=True,
            text=True,
        ).stdout
        self.env = {}
        for line in out.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                self.env[key] = value
        # A client keytab for alice (her key, not a new one) fills an empty MEMORY ccache.
        self.client_keytab = self.dir / "client.keytab"
        admin_env = dict(os.environ, **self.env)
        admin_env["PATH"] = admin_env.get("PATH", "") + ":/usr/sbin:/sbin"
        sh(
            [
                "kadmin.local",
                "-q",
                f"ktadd -k {self.client_keytab} -norandkey {self.env['WKTEST_USER']}",
            ],
            env=admin_env,
            capture_output=True,
        )
        # For the GIL probe: a ccache with the TGT only (no service ticket yet).
        self.tgt_only = self.dir / "tgt-only.ccache"
        shutil.copy(self.env["KRB5CCNAME"].removeprefix("FILE:"), self.tgt_only)

    def stop(self) -> None:
        subprocess.run([sys.executable, str(REALMCTL), "stop", str(self.dir)], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


class BlackHoleKdc:
    """Accepts TCP connections on 127.0.0.1 and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.conns.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


# ---------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------


def parse_result(stdout: str) -> dict[str, str] | None:
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(t.split("=", 1) for t in line.split()[1:])
    return None


class Runner:
    def __init__(self, realm: Realm, args: argparse.Namespace) -> None:
        self.realm = realm
        self.args = args
        base = {k: v for k, v in os.environ.items() if not k.startswith("KRB5")}
        base.update({k: v for k, v in realm.env.items() if k.startswith("KRB5")})
        self.base = base
        self.failures: list[str] = []

    def env(self, cfg: str) -> dict[str, str]:
        memory, norc = CONFIGS[cfg]
        env = dict(self.base)
        if memory:
            env["KRB5CCNAME"] = "MEMORY:bench"
            env["KRB5_CLIENT_KTNAME"] = str(self.realm.client_keytab)
        if norc:
            env["KRB5RCACHETYPE"] = "none"
        return env

    def run(self, argv: list[str], env: dict[str, str], timeout: float, what: str):
        try:
            p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.failures.append(f"{what}: timed out after {timeout:.0f} s")
            return None
        res = parse_result(p.stdout)
        if p.returncode or res is None:
            tail = " | ".join(p.stderr.strip().splitlines()[-3:])
            self.failures.append(f"{what}: exit {p.returncode}: {tail}")
            log(f"FAILED {what}: {tail}")
            return None
        return res

    def measure(self, part: str, row: tuple, cfg: str, x: int) -> dict | None:
        key, kind, lib, variant = row
        secs = str(self.args.secs)
        mode = "hs" if part in ("hs", "threads") else "wrap"
        if kind == "c":
            argv = [str(FLOOR), mode, secs, str(x), variant]
        else:
            argv = [str(py(lib)), str(HERE / "worker.py"), lib, mode, secs, str(x)]
            if variant:
                argv.append(variant)
        res = self.run(argv, self.env(cfg), self.args.secs * 4 + 60, f"{part} {key} {cfg} {x}")
        if res is None:
            return None
        n, wall, cpu = int(res["n"]), float(res["wall"]), float(res["cpu"])
        return {
            "part": part,
            "row": key,
            "cfg": cfg,
            "x": x,
            "n": n,
            "wall": wall,
            "cpu": cpu,
            "per_wall": n / wall,
            "per_cpu": n / cpu if cpu > 0 else float("nan"),
            "load": os.getloadavg()[0],
        }

    def gil(self, lib: str, blackhole_conf: Path) -> dict:
        out: dict = {"lib": lib}
        env = dict(
            self.base,
            KRB5_CONFIG=str(blackhole_conf),
            KRB5CCNAME=f"FILE:{self.realm.tgt_only}.{lib}",
        )
        shutil.copy(self.realm.tgt_only, f"{self.realm.tgt_only}.{lib}")
        timeout = 8.0
        t0 = time.monotonic()
        try:
            p = subprocess.run(
                [str(py(lib)), str(HERE / "worker.py"), lib, "gil-kdc", "host@localhost"],
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            res = parse_result(p.stdout)
            out["kdc"] = res if res else {"error": p.stderr.strip()[-200:]}
        except subprocess.TimeoutExpired:
            out["kdc"] = {"timeout": f"{time.monotonic() - t0:.1f}"}
        res = self.run(
            [str(py(lib)), str(HERE / "worker.py"), lib, "gil-wrap", str(self.args.gil_size)],
            self.env("FILE+rc"),
            120,
            f"gil-wrap {lib}",
        )
        out["wrap"] = res or {}
        return out


# ---------------------------------------------------------------------------
# Import time and size
# ---------------------------------------------------------------------------


def import_times(runs: int) -> dict:
    out = {}
    for lib in PY_LIBS:
        interp, mod = str(py(lib)), IMPORT_NAME[lib]
        subprocess.run([interp, "-c", f"import {mod}"], check=True)  # compile .pyc first
        empty, full, cumulative = [], [], []
        for _ in range(runs):
            for code, into in (("pass", empty), (f"import {mod}", full)):
                t = time.perf_counter()
                subprocess.run([interp, "-c", code], check=True)
                into.append(time.perf_counter() - t)
            p = subprocess.run(
                [interp, "-X", "importtime", "-c", f"import {mod}"],
                capture_output=True,
                text=True,
                check=True,
            )
            for line in p.stderr.splitlines():
                m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s?(\S.*)$", line)
                if m and m.group(3) == mod:  # the top-level entry (no indentation)
                    cumulative.append(int(m.group(2)) / 1e3)
        out[lib] = {
            "empty_ms": statistics.median(empty) * 1e3,
            "import_ms": (statistics.median(full) - statistics.median(empty)) * 1e3,
            "importtime_ms": statistics.median(cumulative) if cumulative else float("nan"),
        }
    code = "import winkerberos._native as n; print(n.__file__)"
    so = subprocess.run(
        [str(py("winkerberos")), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    out["so_path"] = so
    out["so_bytes"] = os.path.getsize(so)
    with tempfile.TemporaryDirectory() as tmp:
        stripped = Path(tmp) / "stripped.so"
        if subprocess.run(["strip", "-o", str(stripped), so], capture_output=True).returncode == 0:
            out["so_stripped_bytes"] = stripped.stat().st_size
    return out


# ---------------------------------------------------------------------------
# Machine
# ---------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    krb5 = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "libkrb5-3"], capture_output=True, text=True
    ).stdout.strip()
    pyver = subprocess.run(
        [str(py("winkerberos")), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "kernel": f"{platform.system()} {platform.release()} {platform.machine()}",
        "krb5": f"MIT krb5 {krb5}" if krb5 else "unknown",
        "python": f"CPython {pyver}",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def med(raw, part, row, cfg, x, key):
    v = [r[key] for r in raw if (r["part"], r["row"], r["cfg"], r["x"]) == (part, row, cfg, x)]
    return statistics.median(v) if v else float("nan")


def spread(raw, part, row, cfg, x):
    v = [
        r["per_cpu"] for r in raw if (r["part"], r["row"], r["cfg"], r["x"]) == (part, row, cfg, x)
    ]
    if len(v) < 2:
        return float("nan")
    return (max(v) - min(v)) / statistics.median(v)


def size_name(n: int) -> str:
    return (
        f"{n >> 20} MiB"
        if n >= 1 << 20 and not n % (1 << 20)
        else (f"{n >> 10} KiB" if n >= 1024 and not n % 1024 else f"{n} B")
    )


def report(raw, gil, imports, meta, args) -> str:
    names = meta["names"]
    L: list[str] = []
    add = L.append
    m = meta["machine"]
    add(
        f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores, {m['kernel']}, {m['krb5']}, "
        f"{m['python']}. winkerberos: {meta['built']}. "
        f"{args.rounds} rounds x {args.secs:g} s per measurement, median per cell; "
        f"load average {meta['load_before']:.2f} before, {meta['load_after']:.2f} after; "
        f"run took {meta['elapsed'] / 60:.1f} min (`{meta['command']}`)."
    )
    add("")
    loads = [r["load"] for r in raw]
    if loads and statistics.median(loads) > 1.6:
        add(
            "**The machine was busy** (median 1-minute load average "
            f"{statistics.median(loads):.1f} "
            f"during the measurements, on {meta['machine']['cores']} cores): per-CPU-second "
            "figures hold up, wall-clock figures and thread scaling are depressed by the "
            "other load."
        )
        add("")
    cells = {(r["part"], r["row"], r["cfg"], r["x"]) for r in raw}
    spreads = [s for s in (spread(raw, *cell) for cell in cells) if s == s]
    if spreads:
        spreads.sort()
        p90 = spreads[min(len(spreads) - 1, int(len(spreads) * 0.9))]
        add(
            "Noise: the spread (max-min)/median of a cell across rounds is "
            f"{statistics.median(spreads):.0%} at the median and {p90:.0%} at the 90th "
            "percentile; read ratios with that in mind."
        )
        add("")
    parts = args.parts
    if "hs" in parts:
        for key, label in (
            ("per_cpu", "per CPU-second of the process"),
            ("per_wall", "per wall-clock second"),
        ):
            add(f"### Handshakes, 1 thread: handshakes {label} (ratio to the C floor)")
            add("")
            add("| library | " + " | ".join(CONFIGS) + " |")
            add("|---|" + "---:|" * len(CONFIGS))
            for row in HS_ROWS:
                cells = []
                for cfg in CONFIGS:
                    v, c = med(raw, "hs", row[0], cfg, 1, key), med(raw, "hs", "C", cfg, 1, key)
                    cells.append(f"{v:.0f} ({v / c:.2f})")
                add(f"| {names[row[0]]} | " + " | ".join(cells) + " |")
            for row in [r[0] for r in HS_ROWS if r[0] in OURS]:
                cells = [
                    f"{med(raw, 'hs', row, cfg, 1, key) / med(raw, 'hs', 'gssapi', cfg, 1, key):.2f}"  # noqa: E501
                    for cfg in CONFIGS
                ]
                label = "bytes API" if row.endswith("bytes") else "winkerberos"
                add(f"| *{label} ÷ python-gssapi* | " + " | ".join(cells) + " |")
            add("")
    if "threads" in parts:
        add("### Handshakes, 1 vs 2 threads in one process (per wall-clock second)")
        add("")
        add(
            "Scaling = 2-thread ÷ 1-thread throughput (wall); cores = process CPU-seconds per "
            "wall-second with 2 threads; CPU eff. = handshakes per CPU-second with 2 threads ÷ "
            "with 1 (below 1.0: the threads cost each other CPU time: locks, cache lines). "
            "Scaling needs an idle second core; on a busy machine read CPU eff. instead."
        )
        add("")
        hdr = []
        for cfg in THREAD_CONFIGS:
            hdr += [f"{cfg} 1t", "2t", "scaling", "cores", "CPU eff."]
        add("| library | " + " | ".join(hdr) + " |")
        add("|---|" + "---:|" * len(hdr))
        for row in THREAD_ROWS:
            cells = []
            for cfg in THREAD_CONFIGS:
                one = med(raw, "hs", row[0], cfg, 1, "per_wall")
                two = med(raw, "threads", row[0], cfg, 2, "per_wall")
                cores = statistics.median(
                    [
                        r["cpu"] / r["wall"]
                        for r in raw
                        if (r["part"], r["row"], r["cfg"]) == ("threads", row[0], cfg)
                    ]
                    or [float("nan")]
                )
                eff = med(raw, "threads", row[0], cfg, 2, "per_cpu") / med(
                    raw, "hs", row[0], cfg, 1, "per_cpu"
                )
                cells += [
                    f"{one:.0f}",
                    f"{two:.0f}",
                    f"{two / one:.2f}x",
                    f"{cores:.2f}",
                    f"{eff:.2f}",
                ]
            add(f"| {names[row[0]]} | " + " | ".join(cells) + " |")
        add("")
    if "wrap" in parts:
        for key, label in (
            ("per_cpu", "MB of message per CPU-second"),
            ("per_wall", "round trips per wall-clock second"),
        ):
            add(f"### wrap + unwrap round trips: {label} (ratio to the C floor)")
            add("")
            add("| library | " + " | ".join(size_name(s) for s in args.sizes) + " |")
            add("|---|" + "---:|" * len(args.sizes))
            for row in WRAP_ROWS:
                cells = []
                for s in args.sizes:
                    v = med(raw, "wrap", row[0], WRAP_CONFIG, s, key)
                    c = med(raw, "wrap", "C", WRAP_CONFIG, s, key)
                    shown = v * s / 1e6 if key == "per_cpu" else v
                    cells.append(f"{shown:.{1 if key == 'per_cpu' else 0}f} ({v / c:.2f})")
                add(f"| {names[row[0]]} | " + " | ".join(cells) + " |")
            add("")
    if gil:
        add(
            "### GIL probe: a pure-Python counter thread's progress "
            "(ratio to its idle rate; longest stall)"
        )
        add("")
        add(
            f"| library | client step blocked on a KDC that never answers | "
            f"{size_name(args.gil_size)} wrap | unwrap | Response() after wrap | after unwrap |"
        )
        add("|---|---|---|---|---|---|")
        for g in gil:
            cells = []
            k = g["kdc"]
            if "ratio" in k:
                verdict = (
                    "released"
                    if float(k["ratio"]) >= 0.3 and float(k["stall_ms"]) < 100
                    else "HELD"
                )
                state = (
                    "still blocked"
                    if k.get("still_blocked") == "1"
                    else f"returned ({k.get('outcome')})"
                )
                cells.append(
                    f"{float(k['ratio']):.2f}, stall {float(k['stall_ms']):.0f} ms, "
                    f"{state} after {k.get('window')} s: **{verdict}**"
                )
            elif "timeout" in k:
                cells.append(f"no report, killed after {k['timeout']} s: **HELD**")
            else:
                cells.append(f"error: {k.get('error', '?')}")
            w = g["wrap"]
            for op in ("wrap", "unwrap", "wrap_response", "unwrap_response"):
                if op not in w:
                    cells.append("n/a")
                    continue
                ms, stall = float(w[op + "_ms"]), float(w[op + "_stall_ms"])
                released = float(w[op]) >= 0.3 and stall < 0.5 * ms
                verdict = ("released" if released else "HELD") if ms >= 20 else "too short to tell"
                cells.append(f"{float(w[op]):.2f}, stall {stall:.0f} of {ms:.0f} ms: **{verdict}**")
            add(f"| {names[g['lib']]} | " + " | ".join(cells) + " |")
        add("")
    if imports:
        add("### Import time and size")
        add("")
        add(
            "| library | `import` (ms, fresh interpreter, minus an empty one) "
            "| `-X importtime` cumulative (ms) |"
        )
        add("|---|---:|---:|")
        for lib in PY_LIBS:
            i = imports[lib]
            add(
                f"| {names[lib]} (`import {IMPORT_NAME[lib]}`) | {i['import_ms']:.1f} "
                f"| {i['importtime_ms']:.1f} |"
            )
        add("")
        add(
            f"Empty interpreter: {imports['winkerberos']['empty_ms']:.1f} ms. "
            f"winkerberos extension `{Path(imports['so_path']).name}`: "
            f"{imports['so_bytes'] / 1024:.0f} KiB on disk"
            + (
                f", {imports['so_stripped_bytes'] / 1024:.0f} KiB stripped."
                if "so_stripped_bytes" in imports
                else "."
            )
        )
        add("")
    add("### Against the targets")
    add("")
    add("| target | measured | |")
    add("|---|---|---|")
    for text, value, ok in targets(raw, imports, args):
        add(f"| {text} | {value} | {'met' if ok else '**not met**'} |")
    add("")
    if meta["failures"]:
        add("Failed measurements: " + "; ".join(meta["failures"]))
        add("")
    return "\n".join(L)


def targets(raw, imports, args):
    out = []
    hs_ours = [r[0] for r in HS_ROWS if r[0] in OURS]
    if "hs" in args.parts:
        for row in hs_ours:
            for cfg in CONFIGS:
                r = med(raw, "hs", row, cfg, 1, "per_cpu") / med(raw, "hs", "C", cfg, 1, "per_cpu")
                out.append(
                    (f"handshakes ≥ 0.9× C, {cfg}, per CPU-s ({row})", f"{r:.2f}×", r >= 0.9)
                )
        for row in hs_ours:
            for cfg in CONFIGS:
                r = med(raw, "hs", row, cfg, 1, "per_cpu") / med(
                    raw, "hs", "gssapi", cfg, 1, "per_cpu"
                )
                out.append(
                    (f"handshakes ≥ 1.3× python-gssapi, {cfg} ({row})", f"{r:.2f}×", r >= 1.3)
                )
    if "wrap" in args.parts:
        for s, goal in ((1024, 0.9), (1 << 20, 0.95)):
            if s in args.sizes:
                for row in [r[0] for r in WRAP_ROWS if r[0] in OURS]:
                    r = med(raw, "wrap", row, WRAP_CONFIG, s, "per_cpu") / med(
                        raw, "wrap", "C", WRAP_CONFIG, s, "per_cpu"
                    )
                    out.append(
                        (
                            f"wrap+unwrap ≥ {goal}× C at {size_name(s)} ({row})",
                            f"{r:.2f}×",
                            r >= goal,
                        )
                    )
    if "threads" in args.parts:

        def scale(row, cfg):
            return med(raw, "threads", row, cfg, 2, "per_wall") / med(
                raw, "hs", row, cfg, 1, "per_wall"
            )

        for cfg in THREAD_CONFIGS:
            ours, c = scale("winkerberos", cfg), scale("C", cfg)
            out.append((f"2-thread scaling ≥ C's, {cfg}", f"{ours:.2f}× vs C {c:.2f}×", ours >= c))
    if imports:
        ms = imports["winkerberos"]["import_ms"]
        out.append(("import winkerberos < 5 ms", f"{ms:.1f} ms", ms < 5))
    return out


def write_doc(path: Path, body: str) -> None:
    generated = f"{BEGIN}\n\n{body}\n{END}"
    if path.exists():
        text = path.read_text()
        if BEGIN in text and END in text:
            text = text[: text.index(BEGIN)] + generated + text[text.index(END) + len(END) :]
        else:
            text = text.rstrip("\n") + "\n\n" + generated + "\n"
    else:
        text = (
            "# Performance\n\nGenerated by `python3 bench/run.py`; see bench/run.py and "
            "bench/worker.py for the method.\n\n" + generated + "\n"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="2 rounds of 0.3 s, fewer import runs; writes bench/out/quick.md",
    )
    ap.add_argument("--rounds", type=int, help="rounds per measurement (default 5; quick 2)")
    ap.add_argument("--secs", type=float, help="seconds per measurement (default 1.0; quick 0.3)")
    ap.add_argument(
        "--parts",
        default="hs,threads,wrap,gil,import",
        help="comma-separated subset of hs,threads,wrap,gil,import",
    )
    ap.add_argument("--sizes", default="1024,65536,1048576", help="wrap message sizes in bytes")
    ap.add_argument("--gil-size", type=int, default=16 << 20, help="message size of the GIL probe")
    ap.add_argument(
        "--import-runs",
        type=int,
        help="fresh interpreters per import measurement (default 21; quick 7)",
    )
    ap.add_argument(
        "--rev", help="build winkerberos from this git revision instead of the work tree"
    )
    ap.add_argument(
        "--no-setup",
        action="store_true",
        help="skip apt, pip and the winkerberos build (use what is in bench/.venvs)",
    )
    ap.add_argument(
        "--doc",
        type=Path,
        help="Markdown file to write (default docs/performance.md; quick: bench/out/quick.md)",
    )
    ap.add_argument("--seed", type=int, default=1, help="seed of the shuffled order")
    ap.add_argument(
        "--nice",
        type=int,
        default=0,
        help="change the priority of the measurements by this much (negative: ahead of other "
        "work on a shared machine; needs root)",
    )
    args = ap.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 5)
    args.secs = args.secs or (0.3 if args.quick else 1.0)
    args.import_runs = args.import_runs or (7 if args.quick else 21)
    args.doc = args.doc or (OUT / "quick.md" if args.quick else DOC)
    args.parts = set(args.parts.split(","))
    args.sizes = [int(s) for s in args.sizes.split(",")]
    command = "python3 bench/run.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")

    start = time.monotonic()
    VENVS.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.no_setup:
        built = "as installed in bench/.venvs/winkerberos"
    else:
        apt_install()
        for lib in PY_LIBS:
            ensure_venv(lib)
        try:
            built = build_winkerberos(args.rev)
        except subprocess.CalledProcessError:
            log(
                "building winkerberos failed; to benchmark the last commit instead of the work "
                "tree, pass --rev HEAD"
            )
            return 1
    build_floor()
    vers = versions()
    if not has_bytes_api():
        log("this winkerberos build has no bytes-level context methods: skipping those rows")
        HS_ROWS[:] = [r for r in HS_ROWS if r[0] != "winkerberos-bytes"]
        WRAP_ROWS[:] = [r for r in WRAP_ROWS if r[0] != "winkerberos-bytes"]
        GIL_LIBS.remove("winkerberos-bytes")
    names = {
        "C": "C floor (GSSAPI directly)",
        "C-api": "C, kerberos-API call sequence",
        "winkerberos": f"**winkerberos {vers['winkerberos']}** (ours)",
        "winkerberos-cs": "**winkerberos**, server unwraps",
        "winkerberos-bytes": "**winkerberos**, bytes API (ctx.step/wrap/unwrap)",
        "pykerberos": f"pykerberos {vers['pykerberos']}",
        "gssapi": f"python-gssapi {vers['gssapi']}",
        "spnego": f"pyspnego {vers['spnego']} (kerberos)",
    }

    plan = []
    if "hs" in args.parts:
        plan += [("hs", row, cfg, 1) for cfg in CONFIGS for row in HS_ROWS]
    if "threads" in args.parts:
        plan += [("threads", row, cfg, 2) for cfg in THREAD_CONFIGS for row in THREAD_ROWS]
        if "hs" not in args.parts:
            plan += [("hs", row, cfg, 1) for cfg in THREAD_CONFIGS for row in THREAD_ROWS]
    if "wrap" in args.parts:
        plan += [("wrap", row, WRAP_CONFIG, s) for s in args.sizes for row in WRAP_ROWS]

    if args.nice:
        try:
            os.nice(args.nice)
        except OSError as e:
            log(f"cannot change the priority by {args.nice}: {e}")
    load_before = os.getloadavg()[0]
    realm = Realm()
    blackhole = BlackHoleKdc()
    raw: list[dict] = []
    gil: list[dict] = []
    imports: dict = {}
    try:
        runner = Runner(realm, args)
        conf = Path(realm.env["KRB5_CONFIG"]).read_text()
        bh_conf = realm.dir / "blackhole-krb5.conf"
        bh_conf.write_text(re.sub(r"(kdc\s*=\s*127\.0\.0\.1:)\d+", rf"\g<1>{blackhole.port}", conf))
        log(
            f"realm in {realm.dir}; {len(plan)} measurements x {args.rounds} rounds of "
            f"{args.secs:g} s"
        )
        for rnd in range(args.rounds):
            order = plan[:]
            random.Random(args.seed * 1000 + rnd).shuffle(order)
            t = time.monotonic()
            for part, row, cfg, x in order:
                rec = runner.measure(part, row, cfg, x)
                if rec:
                    rec["round"] = rnd
                    raw.append(rec)
            if "gil" in args.parts and rnd < 3:
                for lib in GIL_LIBS:
                    g = runner.gil(lib, bh_conf)
                    g["round"] = rnd
                    gil.append(g)
            log(
                f"round {rnd + 1}/{args.rounds} done in {time.monotonic() - t:.0f} s "
                f"(load average {os.getloadavg()[0]:.2f})"
            )
        if "import" in args.parts:
            imports = import_times(args.import_runs)
    finally:
        blackhole.close()
        realm.stop()

    gil_summary = summarize_gil(gil)
    meta = {
        "machine": machine(),
        "built": built,
        "names": names,
        "versions": vers,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "elapsed": time.monotonic() - start,
        "command": command,
        "failures": runner.failures,
    }
    body = report(raw, gil_summary, imports, meta, args)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (OUT / f"raw-{stamp}.json").write_text(
        json.dumps(
            {
                "meta": meta,
                "args": {
                    k: sorted(v) if isinstance(v, set) else str(v) if isinstance(v, Path) else v
                    for k, v in vars(args).items()
                },
                "raw": raw,
                "gil": gil,
                "imports": imports,
            },
            indent=1,
        )
    )
    print(body)
    write_doc(args.doc, body)
    log(f"wrote {args.doc} and {OUT / f'raw-{stamp}.json'}")
    return 1 if runner.failures else 0


def summarize_gil(gil: list[dict]) -> list[dict]:
    """Per library, the median of each numeric field across rounds."""
    out = []
    for lib in GIL_LIBS:
        runs = [g for g in gil if g["lib"] == lib]
        if not runs:
            continue
        summary = {"lib": lib}
        for part in ("kdc", "wrap"):
            fields: dict[str, list] = {}
            for g in runs:
                for k, v in g[part].items():
                    fields.setdefault(k, []).append(v)
            merged = {}
            for k, vs in fields.items():
                try:
                    merged[k] = f"{statistics.median(float(v) for v in vs):g}"
                except ValueError:
                    merged[k] = vs[0]
            summary[part] = merged
        out.append(summary)
    return out


if __name__ == "__main__":
    sys.exit(main())
