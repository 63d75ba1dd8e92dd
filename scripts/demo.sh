#!/usr/bin/env bash
# demo.sh - the main job: build winkerberos, start a throwaway Kerberos realm on 127.0.0.1,
# run a complete client/server authentication through it (examples/demo.py), and stop the
# realm again.
#
#   scripts/demo.sh
#
# Installs what it needs first (scripts/setup.sh). Nothing outside this checkout and a
# temporary directory is touched; /etc/krb5.conf is neither read nor written.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${WINKERBEROS_VENV:-$root/.venv}
realmctl=$root/tests/support/realmctl.py

bash "$root/scripts/setup.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/winkerberos-demo.XXXXXX")
cleanup() {
  python3 "$realmctl" stop "$work/realm" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "Starting a throwaway realm in $work/realm ..."
python3 "$realmctl" start "$work/realm" --watch $$ >/dev/null
eval "$(python3 "$realmctl" env "$work/realm" --export)"
unset KRB5_CLIENT_KTNAME
echo "KDC for $WKTEST_REALM on 127.0.0.1:$WKTEST_KDC_PORT; service keytab $KRB5_KTNAME"

"$venv/bin/python" "$root/examples/demo.py"
