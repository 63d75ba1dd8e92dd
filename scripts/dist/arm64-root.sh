#!/usr/bin/env bash
# arm64-root.sh - an arm64 Debian 12 userland (python3, pip's wheel, the MIT GSSAPI library)
# in a folder of the project, for running the aarch64 wheel under qemu-aarch64-static (and
# musl's arm64 libc.so, which auditwheel reads when it checks the musllinux aarch64 wheel).
#
#   scripts/dist/arm64-root.sh [DIR]      # prints DIR; default target/arm64-root
#
# Nothing on the host changes but DIR: no foreign dpkg architecture, no apt source, no
# binfmt registration. `debootstrap --foreign` downloads and verifies (against Debian's
# archive keyring) the packages and unpacks the essential ones; the second stage, which
# would need arm64 binaries to run through binfmt, is replaced by unpacking every downloaded
# package with dpkg-deb. No maintainer script runs: none is needed to start python3 and
# dlopen libgssapi_krb5, and qemu-aarch64-static -L DIR makes the programs see DIR as /.
# A finished root is marked with DIR/.winkerberos-root (holding the package list it was made
# with) and reused; an unfinished or outdated one is rebuilt.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=${1:-${WINKERBEROS_ARM64_ROOT:-$root/target/arm64-root}}
suite=bookworm
mirror=${WINKERBEROS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=python3,python3-pip-whl,libgssapi-krb5-2,musl
stamp="$suite $packages"

log() { echo "arm64-root.sh: $*" >&2; }

if [[ -f $dir/.winkerberos-root && $(<"$dir/.winkerberos-root") == "$stamp" ]]; then
  echo "$dir"
  exit 0
fi
((EUID == 0)) || { log "debootstrap needs root"; exit 1; }
command -v debootstrap >/dev/null || { log "debootstrap is missing (apt-get install debootstrap)"; exit 1; }

# Only ever wipe a folder this script made (or an empty one), whatever DIR was set to.
if [[ -d $dir && -n $(ls -A "$dir") && ! -f $dir/.winkerberos-root && ! -d $dir/debootstrap ]]; then
  log "$dir exists and is not an arm64 root made by this script: not touching it"
  exit 1
fi
log "assembling an arm64 Debian $suite userland in $dir (about a minute)"
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
debootstrap --foreign --arch=arm64 --variant=minbase --include="$packages" \
  "$suite" "$dir" "$mirror" >"$dir.log" 2>&1 || {
  tail -n 20 "$dir.log" >&2
  log "debootstrap failed (log: $dir.log)"
  exit 1
}
for deb in "$dir"/var/cache/apt/archives/*.deb; do
  dpkg-deb -x "$deb" "$dir"
done
rm -f "$dir"/var/cache/apt/archives/*.deb
for file in usr/bin/python3 usr/lib/aarch64-linux-gnu/libgssapi_krb5.so.2; do
  [[ -e $dir/$file ]] || { log "$file is missing from the unpacked root"; exit 1; }
done
printf '%s\n' "$stamp" >"$dir/.winkerberos-root"
log "ready: $(du -sh "$dir" | cut -f1) in $dir"
echo "$dir"
