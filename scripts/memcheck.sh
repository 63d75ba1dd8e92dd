#!/usr/bin/env bash
# memcheck.sh - valgrind memcheck of a short leak workload against a throwaway realm.
#
#   scripts/memcheck.sh [ROUNDS [ITERATIONS]]     # default 2 rounds of 10 iterations
#
# Runs tests/support/leak_workload.py (successful and failing handshakes, wrap, unwrap, WinRM) under
# valgrind with Python's own allocator off (PYTHONMALLOC=malloc), so that every block is seen.
# Fails (exit 99) on any invalid read or write, use of uninitialised memory, or "definitely
# lost" block; the full report is in the realm directory's memcheck.log (path printed).
# Interpreter and libkrb5 one-time allocations show as "still reachable"/"possibly lost" and
# are not errors. Takes a few minutes (valgrind is ~50x slower). Needs valgrind (apt).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${WINKERBEROS_VENV:-$root/.venv}
rounds=${1:-2}
iterations=${2:-10}
command -v valgrind >/dev/null || { echo "memcheck.sh: install valgrind (apt-get install valgrind)" >&2; exit 1; }

dir=$(mktemp -d)
# The realm stops on exit; the directory (with the report) stays for reading.
realmctl=$root/tests/support/realmctl.py
trap 'python3 "$realmctl" stop "$dir" >/dev/null 2>&1 || true' EXIT
python3 "$realmctl" start "$dir" --watch $$ >/dev/null
eval "$(python3 "$realmctl" env "$dir" --export)"

echo "memcheck.sh: report in $dir/memcheck.log" >&2
status=0
PYTHONMALLOC=malloc valgrind --tool=memcheck --leak-check=full \
  --show-leak-kinds=definite --errors-for-leak-kinds=definite --error-exitcode=99 \
  --suppressions="$root/scripts/memcheck.supp" --log-file="$dir/memcheck.log" \
  "$venv/bin/python" "$root/tests/support/leak_workload.py" "$rounds" "$iterations" || status=$?
grep -E "ERROR SUMMARY|definitely lost|indirectly lost" "$dir/memcheck.log" >&2 || true
exit $status
