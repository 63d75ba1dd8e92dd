#!/usr/bin/env bash
# compare.sh - run the Wine leg under Wine 8 (the host's) and Wine 10 (the trixie root of
# scripts/windows/wine10.sh) and print one table: check -> Wine 8 result -> Wine 10 result.
#
#   scripts/windows/compare.sh             # both runs, then the table (about 3 minutes warm)
#   scripts/windows/compare.sh --table     # only the table, from the last runs' outputs
#
# The table is Markdown (docs/windows.md carries a copy); rows whose results differ are
# marked. Outputs and logs stay in target/wine/compare. Exits non-zero if either run failed.
set -uo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
cd "$root" || exit 1
out=${WINKERBEROS_WINE_ROOT:-$root/target/wine}/compare
mkdir -p "$out"

status=0
if [[ ${1:-} != --table ]]; then
  for version in 8 10; do
    echo "compare.sh: the Wine leg under Wine $version" >&2
    bash scripts/windows/test.sh --wine "$version" >"$out/wine$version.txt" 2>"$out/wine$version.err" ||
      status=1
    tail -n 1 "$out/wine$version.txt" >&2
  done
fi

python3 - "$out/wine8.txt" "$out/wine10.txt" <<'PY' || status=1
import re
import sys

LINE = re.compile(r"^(PASS|FAIL|DIVERGENCE|SKIP) (\S+)")


def results(path):
    found = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = LINE.match(line)
            if m:
                found[m.group(2)] = m.group(1)
    return found


wine8, wine10 = results(sys.argv[1]), results(sys.argv[2])
names = list(wine8) + [n for n in wine10 if n not in wine8]
print("| check | Wine 8.0 | Wine 10.0 |")
print("|---|---|---|")
for name in names:
    a, b = wine8.get(name, "not run"), wine10.get(name, "not run")
    mark = " **changed**" if a != b and "not run" not in (a, b) else ""
    print(f"| `{name}` | {a} | {b}{mark} |")
for label, found in (("Wine 8.0", wine8), ("Wine 10.0", wine10)):
    counts = {k: list(found.values()).count(k) for k in ("PASS", "FAIL", "DIVERGENCE", "SKIP")}
    print(
        f"\n{label}: {counts['PASS']} passed, {counts['FAIL']} failed, "
        f"{counts['DIVERGENCE']} known Wine divergences, {counts['SKIP']} skipped",
    )
PY
exit "$status"
