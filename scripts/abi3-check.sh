#!/usr/bin/env bash
# abi3-check.sh - build the abi3 wheel once and run the demo with it on every other CPython
# (3.10 and newer) found on this machine, proving the one wheel serves them all.
#
#   scripts/abi3-check.sh
#
# Looks for interpreters on PATH (python3.10 ... python3.14) and under ~/.pyenv/versions.
# Each gets a throwaway virtual environment with only the wheel installed; the demo runs
# against a throwaway realm, which is stopped at the end.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${WINKERBEROS_VENV:-$root/.venv}
realmctl=$root/tests/support/realmctl.py
work=$(mktemp -d "${TMPDIR:-/tmp}/winkerberos-abi3.XXXXXX")
cleanup() {
  python3 "$realmctl" stop "$work/realm" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

interpreters=()
for minor in 10 11 12 13 14; do
  for candidate in "$(command -v "python3.$minor" || true)" "$HOME"/.pyenv/versions/3."$minor".*/bin/python3; do
    if [[ -x $candidate ]] && "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
      interpreters+=("$candidate")
      break
    fi
  done
done
if ((${#interpreters[@]} < 2)); then
  echo "abi3-check: found ${#interpreters[@]} CPython 3.10+ interpreter(s); nothing to compare" >&2
  exit 0
fi

(cd "$root" && "$venv/bin/maturin" build --release -q -o "$work/wheels" >&2)
wheel=$(ls "$work"/wheels/winkerberos_rs-*-abi3-*.whl)
echo "abi3-check: $(basename "$wheel")" >&2

python3 "$realmctl" start "$work/realm" --watch $$ >/dev/null
eval "$(python3 "$realmctl" env "$work/realm" --export)"

passed=0 failed=0
for python in "${interpreters[@]}"; do
  version=$("$python" -c 'import platform; print(platform.python_version())')
  env_dir="$work/venv-$version"
  "$python" -m venv "$env_dir"
  "$env_dir/bin/python" -m pip install -q --disable-pip-version-check --no-index "$wheel"
  if "$env_dir/bin/python" "$root/examples/demo.py" >"$work/demo-$version.log" 2>&1; then
    echo "abi3-check: CPython $version ... ok" >&2
    passed=$((passed + 1))
  else
    echo "abi3-check: CPython $version ... FAILED" >&2
    sed 's/^/    /' "$work/demo-$version.log" >&2
    failed=$((failed + 1))
  fi
done
echo "abi3-check: $passed passed, $failed failed"
((failed == 0))
