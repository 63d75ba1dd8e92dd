#!/usr/bin/env bash
# test.sh - run every check of the project, after installing what they need.
#
#   scripts/test.sh
#   scripts/test.sh --quick   # the inner loop: see below
#
# Installs (idempotently, see scripts/setup.sh), then runs: cargo fmt --check, cargo clippy
# -D warnings, the Rust unit and integration tests (the latter start their own throwaway
# KDC on 127.0.0.1), ruff, the type-stub check (mypy.stubtest, per module and for the
# package), mypy --strict and pyright on the examples of the README and the docs, the
# documentation build (scripts/docs.sh: Sphinx and cargo doc, warnings are errors), the abi3
# wheel under every CPython 3.10+ on the machine, the pytest suite (which starts its own KDC,
# and a Samba AD DC for tests/test_samba_ad.py), a Linux type-check of the Windows (SSPI)
# backend, the Windows leg (scripts/windows/test.sh: a cross-build run under Wine 8 against an
# MIT realm and a Samba AD DC, and the Windows wheel), the same checks under Wine 10 from a
# Debian trixie root, the tests the Windows CI workflow runs (tests_windows, here on Linux),
# actionlint on that workflow, what the crate would publish (scripts/dist/crate-contents.sh),
# every shell script through shellcheck (scripts/shellcheck.sh), and the release artefacts
# (scripts/wheels.sh: the manylinux x86_64 and aarch64 wheels and
# the sdist, each checked; the aarch64 wheel run under qemu, the pytest suite on the x86_64
# wheel, the demo from the sdist). Stops at the first failing step and says which one failed.
#
# --quick runs only the checks of the inner loop, in about a minute once scripts/setup.sh
# has run: it rebuilds the Python module (maturin develop), then cargo fmt, clippy, cargo
# test, ruff, mypy, stubtest, pytest and shellcheck. No Windows/Wine leg, no wheels, no docs,
# no SSPI type-check: run the whole command before asking for a merge.
set -euo pipefail

quick=0
case ${1:-} in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: scripts/test.sh [--quick]" >&2; exit 2 ;;
esac
# The steps --quick keeps, by name.
quick_steps=("build the Python module (maturin develop)" "cargo fmt --check" "cargo clippy"
  "cargo test" "ruff check" "ruff format --check" "mypy (package and stubs)" "stubtest"
  "stubtest (the package, as users import it)" "pytest" "shellcheck (every shell script)")

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${WINKERBEROS_VENV:-$root/.venv}
cd "$root"

in_quick() {
  local kept
  for kept in "${quick_steps[@]}"; do
    [[ $kept == "$1" ]] && return 0
  done
  return 1
}

step() {
  local name=$1; shift
  if ((quick)) && ! in_quick "$name"; then
    return 0
  fi
  echo "==> $name" >&2
  if ! "$@"; then
    echo "==> FAILED: $name" >&2
    exit 1
  fi
}

if ((quick)); then
  step "build the Python module (maturin develop)" \
    env VIRTUAL_ENV="$venv" "$venv/bin/maturin" develop -q --release
else
  step "install prerequisites" bash scripts/setup.sh
fi
step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --workspace --all-targets --locked -- -D warnings
step "cargo test" cargo test --workspace --locked
step "ruff check" "$venv/bin/ruff" check python tests examples bench
step "ruff format --check" "$venv/bin/ruff" format --check python tests examples bench
step "mypy (package and stubs)" "$venv/bin/mypy" python/winkerberos
step "stubtest" "$venv/bin/python" -m mypy.stubtest winkerberos._native winkerberos._errors
step "stubtest (the package, as users import it)" "$venv/bin/python" -m mypy.stubtest winkerberos
step "mypy --strict and pyright (strict) on the documented examples" \
  "$venv/bin/python" scripts/check_examples.py
step "ruff (docs configuration and Python scripts)" \
  "$venv/bin/ruff" check docs/conf.py scripts/check_examples.py
step "ruff format --check (docs configuration and Python scripts)" \
  "$venv/bin/ruff" format --check docs/conf.py scripts/check_examples.py
step "docs (Sphinx -W -n, cargo doc -D warnings)" bash scripts/docs.sh
step "abi3 wheel on every CPython 3.10+ here" bash scripts/abi3-check.sh
step "pytest" "$venv/bin/python" -m pytest -q tests
step "clippy (SSPI backend, Linux type-check)" env RUSTFLAGS="--cfg winkerberos_check_sspi" \
  cargo clippy -p winkerberos --all-targets --locked --target-dir target/sspi-check -- -D warnings
step "Windows build and Wine tests" bash scripts/windows/test.sh
step "Wine leg under Wine 10 (trixie root)" bash scripts/windows/test.sh --wine 10
step "Windows-runner tests without a KDC (tests_windows, here on Linux)" \
  "$venv/bin/python" -m pytest -q -rs -p no:cacheprovider tests_windows
step "ruff (tests_windows)" "$venv/bin/ruff" check tests_windows
step "ruff format --check (tests_windows)" "$venv/bin/ruff" format --check tests_windows
step "actionlint (.github/workflows)" bash scripts/actionlint.sh
step "crate package contents" bash scripts/dist/crate-contents.sh
step "shellcheck (every shell script)" bash scripts/shellcheck.sh
step "release wheels (manylinux x86_64, aarch64) and sdist: build, check, run" \
  bash scripts/wheels.sh --targets manylinux-x86_64,manylinux-aarch64 --sdist
step "ruff (fuzz harness)" "$venv/bin/ruff" check fuzz
step "cargo fmt --check (fuzz)" cargo fmt --manifest-path fuzz/Cargo.toml -- --check
step "fuzz (short runs, scripts/fuzz.sh)" env FUZZ_SECONDS=15 bash scripts/fuzz.sh
if ((quick)); then
  echo "==> quick checks passed (not run: Windows/Wine, wheels, docs, SSPI type-check)" >&2
else
  echo "==> all checks passed" >&2
fi
