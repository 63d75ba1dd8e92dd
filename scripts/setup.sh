#!/usr/bin/env bash
# setup.sh - install everything the build, the tests and the demo need, idempotently.
#
#   scripts/setup.sh
#
# On a fresh Debian 12 machine (as root, or with sudo available) this installs:
#   * Debian packages: the MIT Kerberos KDC and tools for the throwaway test realm
#     (krb5-kdc krb5-admin-server krb5-user), libkrb5-dev and gcc to build the
#     python-gssapi peer, the GSSAPI runtime (libgssapi-krb5-2) and Heimdal's
#     (libgssapi3-heimdal, which installs beside MIT's), and the HTTP peers of the tests
#     (curl, apache2 with libapache2-mod-auth-gssapi);
#   * a virtual environment in .venv (override with WINKERBEROS_VENV) with maturin, pytest,
#     ruff, mypy, python-gssapi (the independent GSSAPI peer of the tests) and atheris (the
#     Python fuzzer of scripts/fuzz.sh);
#   * Heimdal's KDC, unpacked into .heimdal/ (scripts/heimdal-kdc.sh), and cargo-fuzz;
#   * the winkerberos module itself, built from this checkout into that environment.
# A Rust toolchain (cargo) and Python >= 3.10 must already be on PATH.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${WINKERBEROS_VENV:-$root/.venv}
python=${PYTHON:-python3}

log() { echo "setup.sh: $*" >&2; }

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || { log "$1 is required but not on PATH: $2"; exit 1; }
}

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -q >&2
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >&2
}

need_cmd cargo "install Rust (https://rustup.rs) first"
need_cmd "$python" "install Python 3.10 or newer"

apt_install krb5-kdc krb5-admin-server krb5-user libkrb5-dev libgssapi-krb5-2 gcc binutils python3-venv \
  curl apache2 libapache2-mod-auth-gssapi libgssapi3-heimdal
# The libraries of Heimdal's KDC (they install beside MIT's); its binaries conflict with MIT's
# packages, so scripts/heimdal-kdc.sh unpacks them into .heimdal/ instead of installing them.
apt_install libkdc2-heimdal libhdb9-heimdal libkadm5srv8-heimdal libkadm5clnt7-heimdal \
  libsl0-heimdal libotp0-heimdal libkafs0-heimdal
# cargo fuzz builds libFuzzer (C++); scripts/memcheck.sh runs valgrind.
apt_install g++ valgrind
bash "$root/scripts/heimdal-kdc.sh" install

if [[ ! -x $venv/bin/python ]]; then
  log "creating $venv"
  "$python" -m venv "$venv"
fi
# Pinned to the versions the project is tested with; gssapi builds against libkrb5-dev.
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  'maturin>=1.9,<2' 'pytest>=8' 'ruff>=0.8' 'mypy>=1.13' 'gssapi>=1.9' 'typing_extensions>=4.6' \
  'atheris>=2.3' >&2

# cargo fuzz (scripts/fuzz.sh): from crates.io, once.
if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz"
  cargo install --locked cargo-fuzz >&2
fi

log "building winkerberos into $venv"
(cd "$root" && VIRTUAL_ENV=$venv "$venv/bin/maturin" develop -q --release >&2)
log "ready: $venv/bin/python -c 'import winkerberos'"
