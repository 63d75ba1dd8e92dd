#!/usr/bin/env bash
# test.sh - run every check of the project, after installing what they need.
#
#   scripts/test.sh
#
# Installs (idempotently, see scripts/setup.sh), then runs: cargo fmt --check, cargo clippy
# -D warnings, the Rust unit and integration tests (the latter start their own throwaway
# KDC on 127.0.0.1), ruff, the type-stub check (mypy.stubtest), the abi3 wheel under every
# CPython 3.10+ on the machine, the pytest suite (which starts its own KDC too), a Linux
# type-check of the Windows (SSPI) backend, and the Windows leg (scripts/windows/test.sh:
# a cross-build run under Wine against its own KDC, and the Windows wheel). Stops at the
# first failing step and says which one failed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${WINKERBEROS_VENV:-$root/.venv}
cd "$root"

step() {
  local name=$1; shift
  echo "==> $name" >&2
  if ! "$@"; then
    echo "==> FAILED: $name" >&2
    exit 1
  fi
}

step "install prerequisites" bash scripts/setup.sh
step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --workspace --all-targets --locked -- -D warnings
step "cargo test" cargo test --workspace --locked
step "ruff check" "$venv/bin/ruff" check python tests examples bench
step "ruff format --check" "$venv/bin/ruff" format --check python tests examples bench
step "mypy (package and stubs)" "$venv/bin/mypy" python/winkerberos
step "stubtest" "$venv/bin/python" -m mypy.stubtest winkerberos._native winkerberos._errors
step "abi3 wheel on every CPython 3.10+ here" bash scripts/abi3-check.sh
step "pytest" "$venv/bin/python" -m pytest -q tests
step "clippy (SSPI backend, Linux type-check)" env RUSTFLAGS="--cfg winkerberos_check_sspi" \
  cargo clippy -p winkerberos --all-targets --locked --target-dir target/sspi-check -- -D warnings
step "Windows build and Wine tests" bash scripts/windows/test.sh
step "ruff (fuzz harness)" "$venv/bin/ruff" check fuzz
step "cargo fmt --check (fuzz)" cargo fmt --manifest-path fuzz/Cargo.toml -- --check
step "fuzz (short runs, scripts/fuzz.sh)" env FUZZ_SECONDS=15 bash scripts/fuzz.sh
echo "==> all checks passed" >&2
