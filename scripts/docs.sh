#!/usr/bin/env bash
# docs.sh - build the documentation (HTML, in docs/_build/html) and the Rust crate's docs.
#
#   scripts/docs.sh
#
# Sphinx documents the module installed in the virtual environment (run scripts/setup.sh
# first); -W --keep-going -n turns every warning, including a broken cross-reference, into
# a failure after listing them all. cargo doc runs with -D warnings for the same reason.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${WINKERBEROS_VENV:-$root/.venv}
cd "$root"

rm -rf docs/_build
"$venv/bin/python" -m sphinx -W --keep-going -n -q -b html docs docs/_build/html
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked -p winkerberos -q
echo "docs.sh: docs/_build/html/index.html and target/doc/winkerberos/index.html" >&2
