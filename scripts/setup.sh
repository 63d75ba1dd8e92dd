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
#     (curl, apache2 with libapache2-mod-auth-gssapi), faketime (clock-skew tests), a Samba AD
#     DC as the second KDC (samba-ad-dc, samba-ad-provision) and winbind (ntlm_auth, for
#     Wine's NTLM);
#   * Cyrus SASL's sample server and GSSAPI plugin (sasl2-bin libsasl2-modules-gssapi-mit),
#     the SASL peer of pure-sasl in the tests, and OpenLDAP's slapd for ldap3, unpacked
#     from its Debian package into .cache/slapd (not installed: no LDAP service is set up);
#   * Heimdal's KDC, unpacked into .heimdal/ (scripts/heimdal-kdc.sh), g++ and cargo-fuzz
#     (scripts/fuzz.sh), and valgrind (scripts/memcheck.sh);
#   * a virtual environment in .venv (override with WINKERBEROS_VENV) with the development
#     tools of pyproject.toml's `dev` dependency group: maturin, pytest, ruff, mypy, pyright
#     (with its Node.js from PyPI), Sphinx, atheris (the Python fuzzer), python-gssapi (the
#     independent GSSAPI peer of the tests) and the pykerberos consumers the tests run
#     through install_as_kerberos() (pure-sasl, requests-kerberos without pykerberos),
#     pywinrm (without its kerberos extra, which is pykerberos), ldap3 and pymongo;
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
  curl apache2 libapache2-mod-auth-gssapi libgssapi3-heimdal faketime
# Cyrus SASL's sample server with its GSSAPI plugin: the SASL peer of tests/test_consumers.py.
apt_install sasl2-bin libsasl2-modules-gssapi-mit

# OpenLDAP's slapd, the LDAP peer of tests/test_ldap.py: unpacked from Debian's package into
# .cache/slapd instead of installed, so no system LDAP service is configured or started.
# Its libraries are ordinary packages (libwrap0 is the one not already pulled in above).
apt_install libwrap0 libltdl7 libargon2-1 libevent-2.1-7 libldap-2.5-0
slapd_root=$root/.cache/slapd
if [[ ! -x $slapd_root/usr/sbin/slapd ]]; then
  log "unpacking Debian's slapd into $slapd_root"
  download=$(mktemp -d)
  if ! (cd "$download" && apt-get download -q slapd >&2 2>/dev/null); then
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -q >&2
    (cd "$download" && apt-get download -q slapd >&2)
  fi
  rm -rf "$slapd_root.new"
  mkdir -p "$(dirname "$slapd_root")"
  dpkg-deb -x "$download"/slapd_*.deb "$slapd_root.new"
  mv "$slapd_root.new" "$slapd_root"
  rm -rf "$download"
fi
# The second KDC of the tests: a Samba AD DC (tests/support/samba_ad.py); winbind brings ntlm_auth,
# which Wine's NTLM package needs.
apt_install samba-ad-dc samba-ad-provision winbind
# actionlint (scripts/actionlint.sh) checks the workflows' run: scripts with shellcheck.
apt_install shellcheck
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
# The development tools are the `dev` dependency group of pyproject.toml (PEP 735), which
# pip reads from 25.1 on; gssapi builds against libkrb5-dev.
"$venv/bin/python" -m pip install -q --disable-pip-version-check 'pip>=25.1' >&2
"$venv/bin/python" -m pip install -q --disable-pip-version-check --group "$root/pyproject.toml:dev" >&2
# Until 0.14 this project's distribution was called `winkerberos` (MongoDB's name on PyPI).
# An old development install of it would shadow the module files of the new name.
"$venv/bin/python" -m pip uninstall -q -y --disable-pip-version-check winkerberos >&2 2>/dev/null || true
# Consumers that say `import kerberos`, tested through winkerberos.install_as_kerberos():
# --no-deps, or pip would build pykerberos (their declared dependency) from source.
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps 'requests-kerberos==0.12.0' >&2

# cargo fuzz (scripts/fuzz.sh): from crates.io, once.
if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz"
  cargo install --locked cargo-fuzz >&2
fi

log "building winkerberos into $venv"
(cd "$root" && VIRTUAL_ENV=$venv "$venv/bin/maturin" develop -q --release >&2)
log "ready: $venv/bin/python -c 'import winkerberos'"
