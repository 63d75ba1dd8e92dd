#!/usr/bin/env bash
# shellcheck disable=SC2016 # the checks run bash -c '...' programs that get their values as "$1"...: nothing in them may expand here
# wheels.sh - build the release artefacts of winkerberos-rs into dist/ and check every one.
#
#   scripts/wheels.sh                       # all seven wheels and the sdist
#   scripts/wheels.sh --targets manylinux-x86_64,manylinux-aarch64 --sdist
#   scripts/wheels.sh --targets macos-arm64 --no-run
#
# Targets (one abi3 wheel each, for CPython >= 3.10):
#   manylinux-x86_64  manylinux-aarch64     manylinux_2_17 (manylinux2014), linked with zig
#   musllinux-x86_64  musllinux-aarch64     musllinux_1_2, linked with zig
#   macos-x86_64      macos-arm64           macOS 10.12 / 11.0, linked with rust-lld
#                                           (scripts/dist/macos-ld says why not zig)
#   windows-x86_64                          the cross-build of scripts/windows/wheel.sh
# Options:
#   --targets LIST   comma-separated targets, or `all`; without it: all, plus the sdist
#   --sdist          also build the sdist (implied when --targets is not given)
#   --no-run         build and check the files only; skip the three runs below
#   --out DIR        where the artefacts go (default dist/); same-target files are replaced
#
# Checks of every wheel: the file name has the expected abi3 and platform tags; the metadata
# names winkerberos-rs, Apache-2.0 (License-Expression) and the LICENSE file, which is in the
# wheel, byte for byte the repository's; the package's stubs and py.typed are in it; the
# extension links no Kerberos library (ELF NEEDED, Mach-O load commands, PE imports) and
# exports only PyInit__native. Linux wheels: `auditwheel show` finds the tag of the file
# name, and manylinux needs no glibc symbol newer than 2.17. macOS: the minimum OS version
# in the binary is not above the tag's. The sdist: LICENSE and the licence metadata, README's
# install line naming this distribution, the sources, and nothing of target/ or the virtual
# environment.
# Runs (unless --no-run), each against a throwaway realm (tests/support/realmctl.py):
#   * the manylinux aarch64 wheel, installed by the arm64 pip into an arm64 Debian userland
#     (scripts/dist/arm64-root.sh) and run with qemu-aarch64-static: Kerberos and SPNEGO
#     handshakes, wrap/unwrap, a password login, an error (scripts/wheel-handshake.py);
#   * the manylinux x86_64 wheel in a fresh virtual environment: the pytest suite;
#   * the sdist, installed by pip (building with maturin and cargo) into a fresh virtual
#     environment: the demo (examples/demo.py).
# Musl and macOS wheels are built and checked, not run. Prints one line per check and a
# table of the artefacts; exits non-zero if any check failed.
#
# Installs what it needs (idempotently): the project's .venv (scripts/setup.sh) with the
# `wheels` dependency group of pyproject.toml (maturin, ziglang, auditwheel), the Rust
# standard library of each target (rustup target add), and Debian's qemu-user-static and
# debootstrap (aarch64 run) and llvm (Mach-O and PE inspection) when they are needed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${WINKERBEROS_VENV:-$root/.venv}
python=${PYTHON:-python3}
cd "$root"
# Flags meant for other builds (e.g. test.sh's SSPI type-check cfg) must not leak in.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS

all_targets=(manylinux-x86_64 manylinux-aarch64 musllinux-x86_64 musllinux-aarch64
  macos-x86_64 macos-arm64 windows-x86_64)
declare -A triple=(
  [manylinux-x86_64]=x86_64-unknown-linux-gnu [manylinux-aarch64]=aarch64-unknown-linux-gnu
  [musllinux-x86_64]=x86_64-unknown-linux-musl [musllinux-aarch64]=aarch64-unknown-linux-musl
  [macos-x86_64]=x86_64-apple-darwin [macos-arm64]=aarch64-apple-darwin
  [windows-x86_64]=x86_64-pc-windows-gnu)
# The platform tag each wheel's file name must end with.
declare -A platform_tag=(
  [manylinux-x86_64]=manylinux2014_x86_64.manylinux_2_17_x86_64
  [manylinux-aarch64]=manylinux2014_aarch64.manylinux_2_17_aarch64
  [musllinux-x86_64]=musllinux_1_2_x86_64 [musllinux-aarch64]=musllinux_1_2_aarch64
  [macos-x86_64]=macosx_10_12_x86_64 [macos-arm64]=macosx_11_0_arm64
  [windows-x86_64]=win_amd64)

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

targets=()
sdist=0
run=1
out=$root/dist
targets_given=0
while (($#)); do
  case $1 in
    --targets)
      targets_given=1
      [[ ${2:-} ]] || { echo "wheels.sh: --targets needs a list" >&2; exit 2; }
      if [[ $2 == all ]]; then
        targets=("${all_targets[@]}")
      else
        IFS=, read -r -a targets <<<"$2"
      fi
      shift 2 ;;
    --sdist) sdist=1; shift ;;
    --no-run) run=0; shift ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "wheels.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if ((!targets_given)); then
  targets=("${all_targets[@]}")
  sdist=1
fi
for t in "${targets[@]}"; do
  [[ -n ${triple[$t]:-} ]] || {
    echo "wheels.sh: unknown target '$t'; known: ${all_targets[*]}" >&2
    exit 2
  }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

t0=$SECONDS
log() { echo "wheels.sh [+$((SECONDS - t0))s]: $*" >&2; }
wants() {
  local t
  for t in "${targets[@]}"; do [[ $t == "$1" ]] && return 0; done
  return 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/winkerberos-wheels.XXXXXX")
cleanup() {
  python3 "$root/tests/support/realmctl.py" stop "$work/realm" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- prerequisites ------------------------------------------------------------------------

apt_install() {
  local missing=() pkg sudo=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  ((EUID == 0)) || sudo=(sudo)
  log "installing Debian packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -q >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install \
    -y -q --no-install-recommends "${missing[@]}" >&2
}

[[ -x $venv/bin/maturin ]] || bash "$root/scripts/setup.sh"
"$venv/bin/python" -m pip install -q --disable-pip-version-check 'pip>=25.1' >&2
"$venv/bin/python" -m pip install -q --disable-pip-version-check --group "$root/pyproject.toml:wheels" >&2
export PATH=$venv/bin:$PATH # maturin finds zig (the ziglang package) through it

packages=(binutils)
if wants macos-x86_64 || wants macos-arm64 || wants windows-x86_64; then
  packages+=(llvm)
fi
if ((run)) && wants manylinux-aarch64; then
  packages+=(qemu-user-static debootstrap)
fi
if wants musllinux-x86_64 || wants musllinux-aarch64; then packages+=(patchelf); fi
if wants musllinux-x86_64; then packages+=(musl); fi
if wants musllinux-aarch64; then packages+=(debootstrap qemu-user-static); fi
apt_install "${packages[@]}"

for t in "${targets[@]}"; do
  [[ $t == windows-* ]] && continue # Debian's rustc builds its std (scripts/windows/cargo)
  if [[ ! -d $(rustc --print target-libdir --target "${triple[$t]}") ]]; then
    command -v rustup >/dev/null || {
      log "the Rust standard library for ${triple[$t]} is missing and rustup is not on PATH"
      exit 1
    }
    rustup target add "${triple[$t]}" >&2
  fi
done

# --- checks ---------------------------------------------------------------------------------

passed=0
failed=0
declare -A verdict=()
current=""
ok() { echo "  ok    $current: $*"; passed=$((passed + 1)); }
bad() { echo "  FAIL  $current: $*"; failed=$((failed + 1)); verdict[$current]=FAILED; }
expect() { # expect DESCRIPTION COMMAND...: one check, passing if the command succeeds
  local what=$1
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}

kerberos_re='krb5|gssapi|k5crypto|com_err|heimdal|kerberos|gss\.framework|secur32|sspicli'

# Names that are neither empty nor Kerberos: fails (printing them) if any is Kerberos.
no_kerberos() {
  local hits
  [[ -n $1 ]] || { echo "      (no libraries found: the parser saw nothing)"; return 1; }
  hits=$(grep -iE "$kerberos_re" <<<"$1" || true)
  [[ -z $hits ]] || { echo "      links: $hits"; return 1; }
}

only_init_exported() {
  [[ $1 == "$2" ]] || { echo "      exports: $(tr '\n' ' ' <<<"$1" | cut -c1-300)"; return 1; }
}

version_le() { [[ $(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1) == "$1" ]]; }

check_license_and_metadata() { # DIR (an unpacked wheel)
  local meta
  meta=$(find "$1" -path '*.dist-info/METADATA')
  expect "LICENSE in the wheel, identical to the repository's" \
    cmp -s "$root/LICENSE" "$(dirname "$meta")/licenses/LICENSE"
  expect "metadata: Name winkerberos-rs, License-Expression Apache-2.0, License-File LICENSE" \
    bash -c 'grep -qx "Name: winkerberos-rs" "$1" && grep -qx "License-Expression: Apache-2.0" "$1" &&
      grep -qx "License-File: LICENSE" "$1"' _ "$meta"
  expect "metadata: no placeholder URL, no Free Threading claim" \
    bash -c '! grep -qiE "example\.invalid|Free Threading" "$1"' _ "$meta"
  expect "package ships _native.pyi and py.typed" \
    test -f "$1/winkerberos/_native.pyi" -a -f "$1/winkerberos/py.typed"
}

check_elf() { # TARGET EXT WHEEL
  local needed exports glibc
  needed=$(readelf -d "$2" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  expect "links no Kerberos library (NEEDED: $(tr '\n' ' ' <<<"$needed"))" no_kerberos "$needed"
  exports=$(readelf -W --dyn-syms "$2" |
    awk '$7 != "UND" && ($5 == "GLOBAL" || $5 == "WEAK") { sub(/@.*/, "", $8); print $8 }' |
    sort -u)
  expect "exports only PyInit__native" only_init_exported "$exports" PyInit__native
  local tag=${platform_tag[$1]##*.} shown ldpaths=()
  # A musl wheel's only NEEDED is libc.so, the name musl's loader answers itself. auditwheel
  # must find musl's libc.so for the wheel's architecture (Debian's musl package; the arm64
  # root for aarch64), not glibc's linker script of that name in the host's library paths.
  local musl_libc="" loader=()
  case $1 in
    musllinux-x86_64) musl_libc=/usr/lib/x86_64-linux-musl/libc.so ;;
    musllinux-aarch64)
      local arm64
      arm64=$(bash "$root/scripts/dist/arm64-root.sh")
      # Debian's musl package puts it in /lib; the unmerged root keeps it there.
      musl_libc=$arm64/lib/aarch64-linux-musl/libc.so
      loader=(qemu-aarch64-static -L "$arm64") ;;
  esac
  [[ -z $musl_libc ]] || ldpaths=(--ldpaths "$(dirname "$musl_libc")")
  shown=$(auditwheel show "${ldpaths[@]}" "$3" 2>&1 | tr '\n' ' ' | tr -s ' ' |
    sed -n 's/.*consistent with the following platform tag: "\([^"]*\)".*/\1/p' || true)
  expect "auditwheel show: consistent with ${shown:-nothing} (tag $tag)" test "$shown" = "$tag"
  if [[ -n $musl_libc ]]; then
    # musl's loader in ldd mode maps the module and resolves its symbols: everything but the
    # CPython API (which the interpreter provides) must come from musl 1.2.
    local listing unresolved other
    listing=$("${loader[@]}" "$musl_libc" --list "$2" 2>&1 || true)
    unresolved=$(sed -n 's/^Error relocating [^:]*: \([^:]*\): symbol not found$/\1/p' <<<"$listing" |
      grep -v '^_\{0,1\}Py' || true)
    # Anything but the loader's own lines, its libc mapping and relocation errors is a failure
    # to load (a crash leaves no mapping line at all).
    other=$(grep -vE '^Error relocating |^[[:space:]]+/.*libc\.so \(0x|^[[:space:]]+libc\.musl-[a-z0-9_]+\.so\.1 => ' \
      <<<"$listing" || true)
    expect "musl's loader maps it; unresolved beyond the CPython API: ${unresolved:-none}" \
      bash -c '[[ -z $1 && -z $2 ]] && grep -q "libc\.musl-.*=> " <<<"$3" || { echo "      $2"; exit 1; }' \
      _ "$unresolved" "$other" "$listing"
  fi
  if [[ $1 == manylinux-* ]]; then
    glibc=$(readelf -W -V "$2" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
    expect "highest glibc symbol version is ${glibc:-none} (manylinux_2_17 allows 2.17)" \
      version_le "${glibc:-99}" 2.17
  fi
}

check_macho() { # TARGET EXT
  local libs exports arch minos want
  libs=$(llvm-objdump --macho --dylibs-used "$2" | tail -n +2 | awk '{print $1}' |
    grep -v '^@rpath/winkerberos\._native' || true)
  expect "links no Kerberos library (load commands: $(tr '\n' ' ' <<<"$libs"))" no_kerberos "$libs"
  exports=$(llvm-objdump --macho --exports-trie "$2" | awk '/^0x/ {print $2}' | sort -u)
  expect "exports only _PyInit__native" only_init_exported "$exports" _PyInit__native
  arch=$(llvm-readobj --file-headers "$2" | awk '/^Arch:/ {print $2}')
  want=x86_64
  [[ $1 == macos-arm64 ]] && want=aarch64 # LLVM's name for arm64
  expect "architecture $arch" test "$arch" = "$want"
  minos=$(llvm-objdump --macho --private-headers "$2" |
    awk '/cmd LC_BUILD_VERSION/ {b=1} b && $1 == "minos" {print $2; exit}
         /cmd LC_VERSION_MIN_MACOSX/ {v=1} v && $1 == "version" {print $2; exit}')
  [[ ${platform_tag[$1]} =~ ^macosx_([0-9]+)_([0-9]+)_ ]]
  want=${BASH_REMATCH[1]}.${BASH_REMATCH[2]}
  expect "minimum macOS ${minos:-unknown} is not above the tag's $want" version_le "${minos:-99}" "$want"
}

check_pe() { # TARGET EXT
  local dlls exports
  dlls=$(llvm-readobj --coff-imports "$2" | awk '/^Import \{/ {getline; print tolower($2)}' | sort -u)
  # secur32/sspicli (SSPI) are what the Windows build is for; only Kerberos DLLs are foreign.
  expect "imports no Kerberos library (DLLs: $(tr '\n' ' ' <<<"$dlls"))" \
    no_kerberos "$(grep -viE '^(secur32|sspicli)\.dll$' <<<"$dlls")"
  expect "imports python3.dll (the stable ABI), not a versioned python3X.dll" \
    bash -c 'grep -qx python3.dll <<<"$1" && ! grep -qE "^python3[0-9]+\.dll$" <<<"$1"' _ "$dlls"
  exports=$(llvm-readobj --coff-exports "$2" | awk '$1 == "Name:" {print $2}' | sort -u)
  expect "exports only PyInit__native" only_init_exported "$exports" PyInit__native
}

check_wheel() { # TARGET WHEEL
  local unpacked=$work/unpacked-$1 ext name
  name=$(basename "$2")
  rm -rf "$unpacked"
  "$venv/bin/python" -m zipfile -e "$2" "$unpacked"
  expect "file name $name" \
    bash -c '[[ $1 == winkerberos_rs-*-cp310-abi3-$2.whl ]]' _ "$name" "${platform_tag[$1]}"
  check_license_and_metadata "$unpacked"
  ext=$(find "$unpacked/winkerberos" -maxdepth 1 -name '_native*' ! -name '*.pyi')
  case $1 in
    windows-*) expect "one extension module, _native.pyd" test "$(basename "$ext")" = _native.pyd ;;
    *) expect "one extension module, _native.abi3.so" test "$(basename "$ext")" = _native.abi3.so ;;
  esac
  [[ -f $ext ]] || return 0
  case $1 in
    manylinux-* | musllinux-*) check_elf "$1" "$ext" "$2" ;;
    macos-*) check_macho "$1" "$ext" ;;
    windows-*) check_pe "$1" "$ext" ;;
  esac
}

check_sdist() { # SDIST
  local listing top
  listing=$(tar tzf "$1")
  top=$(head -n 1 <<<"$listing" | cut -d/ -f1)
  expect "file name $(basename "$1")" bash -c '[[ $1 == winkerberos_rs-*.tar.gz ]]' _ "$(basename "$1")"
  expect "LICENSE in the sdist, identical to the repository's" \
    bash -c 'tar xzf "$1" -O "$2/LICENSE" | cmp -s - "$3"' _ "$1" "$top" "$root/LICENSE"
  expect "PKG-INFO: Name winkerberos-rs, License-Expression Apache-2.0, License-File LICENSE" \
    bash -c 'm=$(tar xzf "$1" -O "$2/PKG-INFO"); grep -qx "Name: winkerberos-rs" <<<"$m" &&
      grep -qx "License-Expression: Apache-2.0" <<<"$m" && grep -qx "License-File: LICENSE" <<<"$m"' \
    _ "$1" "$top"
  # PKG-INFO's description is README.md: its install line must install this distribution.
  expect "README (the PyPI description) says pip install winkerberos-rs" \
    bash -c 'tar xzf "$1" -O "$2/PKG-INFO" | grep -qE "pip install winkerberos-rs([^[:alnum:]_.-]|$)"' \
    _ "$1" "$top"
  expect "holds pyproject.toml, Cargo.lock, both crates and the Python package" \
    bash -c 'for f in pyproject.toml Cargo.lock crates/winkerberos/src/lib.rs \
      crates/winkerberos-python/src/lib.rs python/winkerberos/__init__.py \
      python/winkerberos/_native.pyi; do grep -qx "$2/$f" <<<"$1" || { echo "      missing $f"; exit 1; }; done' \
    _ "$listing" "$top"
  expect "holds nothing of target/, .venv/ or build leftovers" \
    bash -c '! grep -E "/(target|\.venv|dist)/|\.so$|__pycache__" <<<"$1"' _ "$listing"
}

# --- builds -----------------------------------------------------------------------------------

# The macOS linker's stub libraries: zig's libSystem.tbd (zig 0.17 lists arm64 only as
# arm64e/arm64e.x1, which lld does not know, so plain arm64 is added and the .x1 entries
# dropped); libc and libm are libSystem, as in Apple's SDK; Rust's libc crate links
# libiconv, whose stub only needs to name the library.
macos_sdk() {
  local sdk=$root/target/macos-sdk zig_lib
  zig_lib=$("$venv/bin/python" -c 'import os, ziglang; print(os.path.dirname(ziglang.__file__))')/lib
  mkdir -p "$sdk"
  sed -E 's/arm64e\.x1-(macos|maccatalyst)//g; s/arm64e-(macos|maccatalyst)/arm64-\1, arm64e-\1/g;
      s/, *,/,/g; s/, *\]/ ]/g; s/\[ *,/[/g' "$zig_lib/libc/darwin/libSystem.tbd" >"$sdk/libSystem.tbd"
  ln -sf libSystem.tbd "$sdk/libc.tbd"
  ln -sf libSystem.tbd "$sdk/libm.tbd"
  cat >"$sdk/libiconv.tbd" <<'EOF'
--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '/usr/lib/libiconv.2.dylib'
current-version: 7
compatibility-version: 7
...
EOF
  echo "$sdk"
}

# musl_soname DIR ARCH: zig links musl wheels against `libc.so`. musl's loader answers that
# name itself, but the soname of musl's libc on Alpine, in the musllinux build images and in
# auditwheel's musllinux policy is libc.musl-ARCH.so.1 (which musl's loader also answers
# itself): rename the dependency, as auditwheel repair would, and repack the wheel so that
# its RECORD hashes stay right.
musl_soname() {
  local wheel unpacked=$1/unpacked ext
  wheel=$(find "$1" -maxdepth 1 -name '*.whl')
  python -m wheel unpack -d "$unpacked" "$wheel" >/dev/null
  ext=$(find "$unpacked" -name '_native*.so')
  readelf -d "$ext" | grep -q '(NEEDED).*\[libc\.so\]' || return 0
  patchelf --replace-needed libc.so "libc.musl-$2.so.1" "$ext"
  rm -f "$wheel"
  python -m wheel pack -d "$1" "$unpacked"/* >/dev/null
  rm -rf "$unpacked"
}

build_wheel() { # TARGET DIR
  local t=$1 tr=${triple[$1]} common=(--release --locked --strip --out "$2")
  case $t in
    manylinux-*) maturin build "${common[@]}" --zig --target "$tr" --compatibility manylinux2014 ;;
    musllinux-*)
      maturin build "${common[@]}" --zig --target "$tr" --compatibility musllinux_1_2 &&
        musl_soname "$2" "${tr%%-*}" ;;
    macos-*)
      local sdk env_tr=${tr^^}
      sdk=$(macos_sdk)
      env_tr=${env_tr//-/_}
      env WHEELS_RUST_LLD="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/rust-lld" \
        "CARGO_TARGET_${env_tr}_LINKER=$root/scripts/dist/macos-ld" \
        "CARGO_TARGET_${env_tr}_RUSTFLAGS=-C linker-flavor=ld64.lld -L native=$sdk" \
        maturin build "${common[@]}" --target "$tr" ;;
    windows-*) bash "$root/scripts/windows/wheel.sh" "$2" --strip ;;
  esac
}

declare -A built=() size=() seconds=()
for t in "${targets[@]}"; do
  current=$t
  log "building $t (${triple[$t]})"
  dir=$work/build-$t
  start=$SECONDS
  if build_wheel "$t" "$dir" >"$work/build-$t.log" 2>&1; then
    wheel=$(find "$dir" -name '*.whl' | head -n 1)
    seconds[$t]=$((SECONDS - start))
    [[ -n $wheel ]] || { bad "maturin reported success but left no wheel"; continue; }
    rm -f "$out"/winkerberos_rs-*-"${platform_tag[$t]}".whl
    mv "$wheel" "$out/"
    built[$t]=$out/$(basename "$wheel")
    size[$t]=$(stat -c %s "${built[$t]}")
    verdict[$t]=ok
    check_wheel "$t" "${built[$t]}"
  else
    seconds[$t]=$((SECONDS - start))
    tail -n 25 "$work/build-$t.log" | sed 's/^/      /'
    bad "build failed"
  fi
done

if ((sdist)); then
  current=sdist
  log "building the sdist"
  start=$SECONDS
  if maturin sdist --out "$work/sdist" >"$work/sdist.log" 2>&1; then
    seconds[sdist]=$((SECONDS - start))
    file=$(find "$work/sdist" -name '*.tar.gz' | head -n 1)
    [[ -n $file ]] || { echo "maturin left no sdist" >&2; exit 1; }
    rm -f "$out"/winkerberos_rs-*.tar.gz
    mv "$file" "$out/"
    built[sdist]=$out/$(basename "$file")
    size[sdist]=$(stat -c %s "${built[sdist]}")
    verdict[sdist]=ok
    check_sdist "${built[sdist]}"
  else
    seconds[sdist]=$((SECONDS - start))
    tail -n 25 "$work/sdist.log" | sed 's/^/      /'
    bad "maturin sdist failed"
  fi
fi

# --- runs -------------------------------------------------------------------------------------

# with_realm COMMAND...: run COMMAND in a subshell with the environment of a throwaway realm,
# started on first use and shared by the runs (the pytest suite starts its own).
with_realm() {
  local realmctl=$root/tests/support/realmctl.py
  if [[ ! -s $work/realm/realm.env ]]; then
    python3 "$realmctl" start "$work/realm" --watch $$ >/dev/null || return 1
  fi
  (
    eval "$(python3 "$realmctl" env "$work/realm" --export)"
    unset KRB5_CLIENT_KTNAME # clients authenticate from the ticket cache or a password
    "$@"
  )
}

run_aarch64() { # WHEEL
  local arm64 pip site=$work/arm64-site
  arm64=$(bash "$root/scripts/dist/arm64-root.sh") || return 1
  pip=$(find "$arm64/usr/share/python-wheels" -name 'pip-*.whl' | head -n 1)
  # The arm64 pip decides whether the wheel's tags fit an aarch64 glibc system. The host's
  # pip settings (PIP_* variables, and its config files, which qemu -L falls back to when
  # the root has none) are kept out.
  echo "installing with the arm64 pip under qemu-aarch64-static:"
  (
    for var in $(compgen -e); do [[ $var != PIP_* ]] || unset "$var"; done
    PIP_CONFIG_FILE=/dev/null qemu-aarch64-static -L "$arm64" "$arm64/usr/bin/python3" "$pip/pip" \
      install --no-index --no-deps --no-compile --disable-pip-version-check \
      --root-user-action=ignore --target "$site" "$1"
  ) || return 1
  with_realm env PYTHONPATH="$site" PYTHONNOUSERSITE=1 WHEEL_EXPECT_MACHINE=aarch64 \
    qemu-aarch64-static -L "$arm64" "$arm64/usr/bin/python3" "$root/scripts/wheel-handshake.py"
}

run_pytest() { # WHEEL
  local env_dir=$work/venv-wheel
  "$python" -m venv "$env_dir" || return 1
  "$env_dir/bin/python" -m pip install -q --disable-pip-version-check 'pip>=25.1' || return 1
  "$env_dir/bin/python" -m pip install -q --disable-pip-version-check \
    --group "$root/pyproject.toml:test" "$1" || return 1
  # As in setup.sh: --no-deps, or pip would build pykerberos, its declared dependency.
  "$env_dir/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
    'requests-kerberos==0.12.0' || return 1
  # From the repository root, where `import winkerberos` could only find the source tree if
  # something put python/ on sys.path: the module must come from the venv.
  "$env_dir/bin/python" -c 'import sys, winkerberos; print("module:", winkerberos.__file__);
sys.exit(sys.prefix not in winkerberos.__file__)' || return 1
  "$env_dir/bin/python" -m pytest -q -p no:cacheprovider tests
}

run_sdist() { # SDIST
  local env_dir=$work/venv-sdist
  "$python" -m venv "$env_dir" || return 1
  # pip builds the sdist in isolation (maturin from PyPI, then cargo); the cargo target
  # directory is kept between runs only to reuse compiled dependencies.
  CARGO_TARGET_DIR=$root/target/sdist-build "$env_dir/bin/python" -m pip install \
    --disable-pip-version-check "$1" || return 1
  (cd "$work" && "$env_dir/bin/python" -c 'import sys, winkerberos; print("module:", winkerberos.__file__);
sys.exit(sys.prefix not in winkerberos.__file__)') || return 1
  with_realm "$env_dir/bin/python" "$root/examples/demo.py"
}

timed_run() { # NAME LOG FUNCTION ARG: run, keep the log, count one check
  local what=$1 logfile=$2 start=$SECONDS
  shift 2
  log "run: $what"
  if "$@" >"$logfile" 2>&1; then
    sed 's/^/      /' "$logfile"
    ok "$what ($((SECONDS - start)) s)"
  else
    sed 's/^/      /' "$logfile" | tail -n 60
    bad "$what ($((SECONDS - start)) s; log above)"
  fi
}

if ((run)); then
  if [[ -n ${built[manylinux-aarch64]:-} ]]; then
    current=manylinux-aarch64
    timed_run "handshake, wrap/unwrap under qemu-aarch64-static" "$work/run-aarch64.log" \
      run_aarch64 "${built[manylinux-aarch64]}"
  fi
  if [[ -n ${built[manylinux-x86_64]:-} ]]; then
    current=manylinux-x86_64
    timed_run "pytest suite on the installed wheel" "$work/run-pytest.log" \
      run_pytest "${built[manylinux-x86_64]}"
  fi
  if [[ -n ${built[sdist]:-} ]]; then
    current=sdist
    timed_run "pip install of the sdist, then the demo" "$work/run-sdist.log" \
      run_sdist "${built[sdist]}"
  fi
fi

# --- summary ----------------------------------------------------------------------------------

echo
printf '%-20s %-8s %9s %7s  %s\n' artefact result KiB build file
for t in "${targets[@]}" $( ((sdist)) && echo sdist); do
  printf '%-20s %-8s %9s %6ss  %s\n' "$t" "${verdict[$t]:-FAILED}" \
    "$(((${size[$t]:-0} + 1023) / 1024))" "${seconds[$t]:-?}" "$(basename "${built[$t]:-none}")"
done
echo "wheels.sh: $passed checks passed, $failed failed, in $((SECONDS - t0)) s; artefacts in $out"
((failed == 0))
