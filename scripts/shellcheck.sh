#!/usr/bin/env bash
# scripts/shellcheck.sh - run shellcheck (Debian's package, installed by scripts/setup.sh) on
# every shell script of the repository: the tracked files named *.sh and those whose first
# line runs sh or bash (.ci/run, scripts/windows/cargo, ...). Any finding fails; a finding
# that is intended is disabled where it stands, with a comment saying why.
#
#   scripts/shellcheck.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
command -v shellcheck >/dev/null || { echo "shellcheck.sh: shellcheck is missing: run scripts/setup.sh" >&2; exit 1; }

scripts=()
while IFS= read -r -d '' file; do
  [[ -f $file ]] || continue
  if [[ $file == *.sh ]] || head -n 1 "$file" | grep -qE '^#!.*\b(ba)?sh\b'; then
    scripts+=("$file")
  fi
done < <(git ls-files -z)
((${#scripts[@]})) || { echo "shellcheck.sh: found no shell scripts (not a git checkout?)" >&2; exit 1; }
# -x follows `source`d files that name a path; --severity=info keeps even notes.
shellcheck -x --severity=info "${scripts[@]}"
echo "shellcheck.sh: ${#scripts[@]} scripts clean"
