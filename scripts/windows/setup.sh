#!/usr/bin/env bash
# setup.sh - prepare this Debian 12 machine to build winkerberos for Windows
# (x86_64-pc-windows-gnu) and to run the result under Wine. Idempotent: every
# step is skipped when it is already done.
#
#   scripts/windows/setup.sh
#
# What it does:
#   1. Debian packages: the mingw-w64 C toolchain (linker, dlltool, objdump),
#      wine64 (8.0), and Debian's rustc-web/cargo-web 1.96 with rust-web-src,
#      whose standard library sources let cargo build std for the Windows
#      target (-Zbuild-std), since rustup cannot add targets here. Plus the MIT
#      KDC tools the tests' realm needs (tests/support/realmctl.py install), the Samba AD DC of the
#      checks against Active Directory (tests/support/samba_ad.py) and winbind, whose ntlm_auth is
#      Wine's NTLM.
#   2. A stand-in bcryptprimitives.dll (scripts/windows/shim/), built only when
#      Wine lacks the DLL: Rust >= 1.78 programs import it and do not start
#      under Wine < 8.13 without it.
#   3. A Wine prefix (no display, Mono and Gecko disabled), with the shim in
#      its system32.
#   4. maturin, for the Windows wheel: the project's .venv's when there is one,
#      else a private virtual environment.
#   5. $WINKERBEROS_WINE_ROOT/env.sh, read by scripts/windows/cargo and test.sh.
#
# State lives in $WINKERBEROS_WINE_ROOT (default: target/wine in the checkout):
# the prefix, cargo's home for the Windows build, the shim, logs.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
here=$root/scripts/windows
state=${WINKERBEROS_WINE_ROOT:-$root/target/wine}
venv=${WINKERBEROS_VENV:-$root/.venv}
packages=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 wine64 rustc-web cargo-web rust-web-src python3-venv
  samba-ad-dc samba-ad-provision winbind)

log() { echo "windows/setup.sh: $*" >&2; }

installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }

mkdir -p "$state"
state=$(cd "$state" && pwd)

# 1. Debian packages ----------------------------------------------------------
missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  log "installing Debian packages: ${missing[*]}"
  apt=(apt-get -o DPkg::Lock::Timeout=600 -q)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y \
    --no-install-recommends "${missing[@]}" >&2
fi
python3 "$root/tests/support/realmctl.py" install

wine=/usr/lib/wine/wine64
wineserver=/usr/lib/wine/wineserver64
[[ -x $wineserver ]] || wineserver=/usr/lib/wine/wineserver
[[ -x $wine && -x $wineserver ]] || { log "wine64 is not where Debian puts it (/usr/lib/wine)"; exit 1; }
[[ -x /usr/bin/cargo && -x /usr/bin/rustc ]] || { log "/usr/bin/cargo or /usr/bin/rustc missing"; exit 1; }

# 2. bcryptprimitives.dll stand-in ----------------------------------------------
shim=""
if [[ ! -e /usr/lib/x86_64-linux-gnu/wine/x86_64-windows/bcryptprimitives.dll ]]; then
  shim=$state/bcryptprimitives.dll
  if [[ ! -s $shim || $here/shim/bcryptprimitives.c -nt $shim || $here/shim/bcryptprimitives.def -nt $shim ]]; then
    log "building the bcryptprimitives.dll stand-in"
    x86_64-w64-mingw32-gcc -shared -O2 -s -o "$shim.tmp" \
      "$here/shim/bcryptprimitives.c" "$here/shim/bcryptprimitives.def" -ladvapi32
    mv -f "$shim.tmp" "$shim"
  fi
fi

# 3. Wine prefix ----------------------------------------------------------------
export WINEPREFIX=$state/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
if [[ ! -f $WINEPREFIX/system.reg || ! -d $WINEPREFIX/drive_c/windows/system32 ]]; then
  log "creating the Wine prefix $WINEPREFIX"
  rm -rf "$WINEPREFIX"
  "$wine" wineboot --init </dev/null >"$state/wineboot.log" 2>&1 || {
    tail -n 20 "$state/wineboot.log" >&2
    log "wineboot failed"
    exit 1
  }
  "$wineserver" -w
fi
if [[ -n $shim ]]; then
  cmp -s "$shim" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ||
    cp -f "$shim" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
fi

# 4. maturin ----------------------------------------------------------------------
maturin=$venv/bin/maturin
if [[ ! -x $maturin ]]; then
  maturin=$state/venv/bin/maturin
  if [[ ! -x $maturin ]]; then
    log "installing maturin into $state/venv"
    python3 -m venv "$state/venv"
    "$state/venv/bin/python" -m pip install -q --disable-pip-version-check 'maturin>=1.9,<2' >&2
  fi
fi

# 5. environment ------------------------------------------------------------------
cat >"$state/env.sh.tmp" <<EOF
# Written by scripts/windows/setup.sh; sourced by scripts/windows/cargo and test.sh.
export WINKERBEROS_WINE_ROOT=$state
export WINE=$wine
export WINESERVER=$wineserver
export WINEPREFIX=$WINEPREFIX
export WINEDEBUG=\${WINEDEBUG:--all}
export WINEDLLOVERRIDES="mscoree,mshtml="
export MATURIN=$maturin
unset DISPLAY WAYLAND_DISPLAY
EOF
mv -f "$state/env.sh.tmp" "$state/env.sh"
log "ready: $(/usr/bin/rustc -V), $("$wine" --version), prefix $WINEPREFIX"
