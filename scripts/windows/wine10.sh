#!/usr/bin/env bash
# wine10.sh - Wine 10 (Debian 13 "trixie") beside the host's Wine 8, without touching the
# host's apt sources or packages: trixie's wine64 needs trixie's libc, so it lives in a
# trixie root made with debootstrap, inside the project (gitignored):
# $WINKERBEROS_WINE10_ROOT, default target/wine10.
#
#   scripts/windows/wine10.sh setup          # idempotent; ~3 min and ~200 MB the first time
#   scripts/windows/wine10.sh exec TOOL ARGS # run wine64 or wineserver of the root
#
# `setup` bootstraps a minimal trixie root from the same Debian mirror the host uses (read
# from /etc/apt/sources.list*), installs wine64 and MIT's libkrb5/libgssapi in it (Wine's
# Kerberos package dlopens them) and winbind (its ntlm_auth is Wine's NTLM; a policy-rc.d
# keeps its daemon from starting), creates a Wine prefix of its own ($ROOT/prefix) and
# writes $ROOT/env.sh, which sets WINE, WINESERVER and WINEPREFIX for
# scripts/windows/test.sh (`scripts/windows/test.sh --wine 10`).
#
# `exec` runs the tool in a private mount namespace (unshare): /dev, /proc, /tmp and this
# checkout are bind-mounted into the root at the same paths, so the programs, realms and
# keytabs of the tests have one path inside and out. The mounts vanish with the namespace:
# nothing is left mounted on the host, and a recursive delete of target/ never reaches
# the checkout through a leftover bind mount.
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
project=$(cd "$here/../.." && pwd)
state=${WINKERBEROS_WINE10_ROOT:-$project/target/wine10}
root=$state/root

log() { echo "windows/wine10.sh: $*" >&2; }

# The host's Debian mirror (deb822 .sources first, then one-line lists).
host_mirror() {
  local uri
  uri=$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) {print $i; exit}}' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
  [[ -n $uri ]] || uri=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^https?:.*\/debian\/?$/) {print $i; exit}}' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1)
  echo "${uri:-http://deb.debian.org/debian}"
}

# exec TOOL ARGS...: TOOL is wine64 or wineserver.
run_in_root() {
  local tool=$1
  shift
  local binary=/usr/lib/wine/$tool
  [[ $tool == wineserver && -x $root/usr/lib/wine/wineserver64 ]] && binary=/usr/lib/wine/wineserver64
  # shellcheck disable=SC2016 # expanded by the inner shell
  exec unshare --mount --propagation private -- /bin/sh -euc '
    root=$1 project=$2 binary=$3
    shift 3
    mount --rbind /dev "$root/dev"
    mount -t proc proc "$root/proc"
    for d in /tmp "$project"; do
      mkdir -p "$root$d"
      mount --bind "$d" "$root$d"
    done
    exec chroot "$root" /usr/bin/env --chdir="$PWD" "$binary" "$@"
  ' sh "$root" "$project" "$binary" "$@"
}

setup() {
  mkdir -p "$state"
  if [[ ! -x $root/usr/lib/wine/wine64 || ! -x $root/usr/bin/ntlm_auth ]]; then
    if ! command -v debootstrap >/dev/null; then
      log "installing debootstrap"
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
        --no-install-recommends debootstrap >&2
    fi
    if [[ ! -f $root/etc/debian_version ]] || ! grep -q '^13' "$root/etc/debian_version"; then
      local mirror
      mirror=$(host_mirror)
      log "debootstrap trixie (minbase) from $mirror into $root"
      rm -rf "$root"
      debootstrap --variant=minbase trixie "$root" "$mirror" >"$state/debootstrap.log" 2>&1 || {
        tail -n 20 "$state/debootstrap.log" >&2
        exit 1
      }
    fi
    cp -f /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    # No package's daemon may start inside the root (winbind's would).
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod +x "$root/usr/sbin/policy-rc.d"
    log "installing wine64, MIT's Kerberos libraries and winbind in the root"
    # apt in the root needs /proc and /dev: the same private namespace as exec.
    # shellcheck disable=SC2016 # expanded by the inner shell
    unshare --mount --propagation private -- /bin/sh -euc '
      mount --rbind /dev "$1/dev"; mount -t proc proc "$1/proc"
      chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get -q update
      chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get -q install -y \
        --no-install-recommends wine64 libkrb5-3 libgssapi-krb5-2 winbind
    ' sh "$root" >"$state/apt.log" 2>&1 || {
      tail -n 20 "$state/apt.log" >&2
      exit 1
    }
  fi
  cat >"$state/env.sh.tmp" <<EOF
# Written by scripts/windows/wine10.sh; sourced after target/wine/env.sh.
export WINE=$state/wine64
export WINESERVER=$state/wineserver
export WINEPREFIX=$state/prefix
EOF
  mv -f "$state/env.sh.tmp" "$state/env.sh"
  # One-file runners: the peer driver and cargo take a program, not a command line.
  for tool in wine64 wineserver; do
    printf '#!/bin/sh\nexec %q exec %s "$@"\n' "$here/wine10.sh" "$tool" >"$state/$tool"
    chmod +x "$state/$tool"
  done
  export WINEPREFIX=$state/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  unset DISPLAY WAYLAND_DISPLAY
  if [[ ! -f $WINEPREFIX/system.reg ]]; then
    log "creating the Wine 10 prefix $WINEPREFIX"
    "$state/wine64" wineboot --init </dev/null >"$state/wineboot.log" 2>&1 || {
      tail -n 20 "$state/wineboot.log" >&2
      exit 1
    }
    "$state/wineserver" -w
  fi
  log "ready: $("$state/wine64" --version)"
}

case ${1:-} in
  setup) setup ;;
  exec)
    shift
    [[ ${1:-} == wine64 || ${1:-} == wineserver ]] || { log "exec wine64|wineserver ARGS"; exit 2; }
    [[ -x $root/usr/lib/wine/wine64 ]] || { log "no Wine 10 root: run $0 setup"; exit 1; }
    run_in_root "$@"
    ;;
  *)
    sed -n '2,20p' "$0" >&2
    exit 2
    ;;
esac
