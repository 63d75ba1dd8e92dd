#!/usr/bin/env bash
# test.sh - the Windows leg: build winkerberos for x86_64-pc-windows-gnu and test its SSPI
# backend under Wine against a throwaway MIT KDC and the native (GSSAPI) build.
#
#   scripts/windows/test.sh [--wine 8|10]
#
# --wine 10 runs the Windows programs under Wine 10 from a Debian trixie root
# (scripts/windows/wine10.sh, set up on first use) instead of the host's Wine 8, and skips
# the wheel (it is built, not run, so the Wine version does not matter to it).
#
# Steps (installing what is missing first, with scripts/windows/setup.sh):
#   1. build the interop peer (crates/winkerberos-peer) for Windows (SSPI) and natively (GSSAPI);
#   2. run the crate's unit tests as a Windows program under Wine;
#   3. start a realm (tests/support/realmctl.py, with kadmind and kpasswd) and run `peer check`:
#      handshakes both ways with Kerberos and Negotiate, default and explicit credentials,
#      error cases, channel bindings, names, wrap/unwrap (Wine<->native and Wine<->Wine) and
#      password changes (checked natively afterwards); then the same checks, and a few that
#      need Active Directory, against a Samba AD DC (tests/support/samba_ad.py), named samba-ad/...;
#   4. build the abi3 wheel for Windows with maturin and check its .pyd: it must export
#      PyInit__native and import nothing but python3.dll and system DLLs.
#
# Prints PASS/FAIL/DIVERGENCE/SKIP lines and finally "N passed, N failed, N known Wine
# divergences, N skipped". A skipped check could not run here (the NTLM loopback, which
# Wine's NTLM cannot complete without a domain); the reason is printed. A divergence is a place where Wine is known to differ from Windows (see
# docs/windows.md); it is reported with its reason and is not a failure. Exits non-zero if
# anything failed. Logs: $WINKERBEROS_WINE_ROOT/logs (default target/wine/logs).
set -uo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
cd "$root" || exit 1

wine_version=8
while (($#)); do
  case $1 in
    --wine)
      wine_version=${2:-}
      shift 2 || true
      ;;
    *)
      echo "usage: scripts/windows/test.sh [--wine 8|10]" >&2
      exit 2
      ;;
  esac
done
[[ $wine_version == 8 || $wine_version == 10 ]] || {
  echo "windows/test.sh: --wine takes 8 or 10" >&2
  exit 2
}
export WINKERBEROS_WINE=$wine_version

t0=$SECONDS
note() { echo "windows/test.sh [+$((SECONDS - t0))s]: $*" >&2; }

bash scripts/windows/setup.sh || {
  echo "FAIL windows-setup"
  echo "0 passed, 1 failed, 0 known Wine divergences"
  exit 1
}
state=${WINKERBEROS_WINE_ROOT:-$root/target/wine}
# shellcheck source=/dev/null
. "$state/env.sh"
logs=$state/logs
if ((wine_version == 10)); then
  bash scripts/windows/wine10.sh setup || {
    echo "FAIL wine10-setup"
    echo "0 passed, 1 failed, 0 known Wine divergences"
    exit 1
  }
  # shellcheck source=/dev/null
  . "${WINKERBEROS_WINE10_ROOT:-$root/target/wine10}/env.sh"
  logs=$state/logs-wine10
fi
rm -rf "$logs"
mkdir -p "$logs"

passed=0
failed=0
diverged=0
skipped=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

# run NAME COMMAND...: a step whose success is one check; its output goes to the log.
run() {
  local name=$1
  shift
  if "$@" >"$logs/$name.log" 2>&1; then
    pass "$name"
  else
    fail "$name (log: $logs/$name.log)"
    tail -n 15 "$logs/$name.log" | sed 's/^/    /'
    return 1
  fi
}

wcargo=scripts/windows/cargo
exe=${WINKERBEROS_WINDOWS_TARGET_DIR:-$root/target/windows}/x86_64-pc-windows-gnu/release/peer.exe

realm_dir=$state/realm
samba_dir=$state/samba-ad
cleanup() {
  python3 tests/support/realmctl.py stop "$realm_dir" >/dev/null 2>&1 || true
  python3 tests/support/samba_ad.py stop "$samba_dir" >/dev/null 2>&1 || true
  # Only this leg's Wine prefix: its wineserver and what still runs in it.
  "$WINESERVER" -k >/dev/null 2>&1 || true
}
trap cleanup EXIT

# 1. builds ---------------------------------------------------------------------
note "building for Windows (a cold build first compiles the standard library)"
built=1
run windows-build-peer "$wcargo" build --release --locked -p winkerberos-peer || built=0
note "building the native peer"
run native-build-peer cargo build --locked -p winkerberos-peer || built=0
native_peer=${CARGO_TARGET_DIR:-$root/target}/debug/peer

# 2. unit tests as a Windows program ---------------------------------------------
note "unit tests under Wine"
if run windows-unit-tests "$wcargo" test --release --locked -p winkerberos --lib; then
  grep -E '^test result:' "$logs/windows-unit-tests.log" | sed 's/^/    /'
fi

# count_checks PREFIX LOG: report the PASS/FAIL/DIVERGENCE lines of a `peer check` log, each
# check name prefixed with PREFIX (which KDC it ran against).
count_checks() {
  local prefix=$1 log=$2 line
  while IFS= read -r line; do
    case $line in
      PASS\ *) echo "PASS $prefix${line#PASS }"; passed=$((passed + 1)) ;;
      FAIL\ *) echo "FAIL $prefix${line#FAIL }"; failed=$((failed + 1)) ;;
      DIVERGENCE\ *) echo "DIVERGENCE $prefix${line#DIVERGENCE }"; diverged=$((diverged + 1)) ;;
      SKIP\ *) echo "SKIP $prefix${line#SKIP }"; skipped=$((skipped + 1)) ;;
    esac
  done <"$log"
  grep -qE '^[0-9]+ passed, [0-9]+ failed' "$log" ||
    fail "${prefix}peer-check (did not finish; log: $log)"
  grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | sed "s|^|    ${prefix:-mit/}: |" >&2
}

# run_checks PREFIX LOG: `peer check` in the current environment, then count_checks.
run_checks() {
  "$native_peer" check --runner "$WINE" --exe "$exe" --logs "$logs" >"$2" 2>&1
  count_checks "$1" "$2"
}

# 3. the cross-platform checks against a realm ----------------------------------------
if ((built)); then
  note "starting the test realm"
  mkdir -p "$realm_dir"
  # --kadmind: the password-change checks need kpasswd.
  if python3 tests/support/realmctl.py start "$realm_dir" --watch $$ --kadmind \
    >/dev/null 2>"$logs/realm.log"; then
    eval "$(python3 tests/support/realmctl.py env "$realm_dir" --export)"
    note "running the checks against the MIT realm (Windows side under $WINE)"
    run_checks "" "$logs/checks.log"
    python3 tests/support/realmctl.py stop "$realm_dir" >/dev/null 2>&1
  else
    fail "realm-start (log: $logs/realm.log)"
  fi
  note "provisioning and starting a Samba AD DC"
  rm -rf "$samba_dir"
  if samba_env=$(python3 tests/support/samba_ad.py start "$samba_dir" --watch $$ 2>"$logs/samba-ad.log"); then
    note "running the checks against the Samba AD DC"
    # In a subshell: the domain's variables replace the realm's only for these checks.
    (
      while IFS= read -r line; do
        [[ $line == *=* ]] && export "${line%%=*}=${line#*=}"
      done <<<"$samba_env"
      "$native_peer" check --runner "$WINE" --exe "$exe" --logs "$logs/samba-ad" \
        >"$logs/checks-samba-ad.log" 2>&1
    )
    count_checks samba-ad/ "$logs/checks-samba-ad.log"
    python3 tests/support/samba_ad.py stop "$samba_dir" >/dev/null 2>&1
  else
    fail "samba-ad-start (log: $logs/samba-ad.log)"
    tail -n 15 "$logs/samba-ad.log" | sed 's/^/    /'
  fi
else
  fail "peer-check (not run: a build failed)"
fi

# 4. the Windows wheel --------------------------------------------------------------
if ((wine_version == 10)); then
  note "done in $((SECONDS - t0)) s under $("$WINE" --version); logs in $logs"
  echo "$passed passed, $failed failed, $diverged known Wine divergences, $skipped skipped"
  ((failed == 0))
  exit
fi
note "building the Windows wheel"
wheels=$state/wheels
rm -rf "$wheels"
if run windows-wheel-build bash scripts/windows/wheel.sh "$wheels"; then
  wheel=$(find "$wheels" -name '*.whl' | head -n 1)
  echo "    $(basename "$wheel")"
  unpacked=$state/wheel-contents
  rm -rf "$unpacked"
  mkdir -p "$unpacked"
  check_pyd() {
    python3 -m zipfile -e "$wheel" "$unpacked" || return 1
    local pyd
    pyd=$(find "$unpacked" -name '_native*.pyd' | head -n 1)
    [[ -n $pyd ]] || { echo "no _native .pyd in $wheel"; return 1; }
    echo "pyd: ${pyd#"$unpacked"/}"
    x86_64-w64-mingw32-objdump -p "$pyd" >"$logs/pyd-objdump.txt" || return 1
    local exports imports bad=0 dll
    exports=$(awk '/\[Ordinal\/Name Pointer\] Table/ {on=1; next} on && NF==0 {on=0} on {print $NF}' \
      "$logs/pyd-objdump.txt")
    imports=$(awk '/DLL Name:/ {print tolower($3)}' "$logs/pyd-objdump.txt" | sort -u)
    # shellcheck disable=SC2086 # each list on one line
    echo "exports:" $exports
    # shellcheck disable=SC2086
    echo "imports:" $imports
    grep -qx PyInit__native <<<"$exports" || { echo "PyInit__native is not exported"; bad=1; }
    for dll in $imports; do
      case $dll in
        python3.dll | kernel32.dll | ntdll.dll | advapi32.dll | secur32.dll | \
          bcryptprimitives.dll | ws2_32.dll | userenv.dll | msvcrt.dll | api-ms-win-*.dll) ;;
        *) echo "unexpected DLL import: $dll"; bad=1 ;;
      esac
    done
    grep -qx python3.dll <<<"$imports" || { echo "python3.dll (abi3) is not imported"; bad=1; }
    ((bad == 0))
  }
  if run windows-wheel-pyd-check check_pyd; then
    sed 's/^/    /' "$logs/windows-wheel-pyd-check.log"
  fi
fi

note "done in $((SECONDS - t0)) s; logs in $logs"
echo "$passed passed, $failed failed, $diverged known Wine divergences, $skipped skipped"
((failed == 0))
