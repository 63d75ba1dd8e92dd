#!/usr/bin/env bash
# wheel.sh - build the abi3 Windows wheel (x86_64-pc-windows-gnu) with maturin, through the
# cross toolchain of scripts/windows/cargo, into DIR.
#
#   scripts/windows/wheel.sh DIR [MATURIN BUILD OPTION...]
#
# Used by scripts/windows/test.sh (which then checks the .pyd) and scripts/wheels.sh (the
# release wheels). Runs scripts/windows/setup.sh first (idempotent).
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
out=${1:?usage: scripts/windows/wheel.sh DIR [MATURIN BUILD OPTION...]}
shift
bash "$root/scripts/windows/setup.sh"
state=${WINKERBEROS_WINE_ROOT:-$root/target/wine}
# shellcheck source=/dev/null
. "$state/env.sh"
# maturin runs `cargo` and `rustc` from PATH: give it the Windows wrapper and Debian's rustc.
shims=$state/maturin-bin
mkdir -p "$shims"
ln -sf "$root/scripts/windows/cargo" "$shims/cargo"
ln -sf /usr/bin/rustc "$shims/rustc"
cd "$root"
exec env PATH="$shims:$PATH" "$MATURIN" build --release --locked --target x86_64-pc-windows-gnu \
  --out "$out" "$@"
