#!/usr/bin/env bash
# crate-contents.sh - check what `cargo package` would publish of the winkerberos crate: its
# library source, README.md, SAFETY.md and LICENSE (plus the files cargo itself adds), and
# nothing else: no examples, no tests that need the repository's scripts.
#
#   scripts/dist/crate-contents.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
files=$(cargo package --list --allow-dirty --locked -p winkerberos 2>/dev/null)
status=0
for required in README.md SAFETY.md LICENSE src/lib.rs; do
  grep -qx "$required" <<<"$files" || { echo "crate-contents: $required is missing"; status=1; }
done
unexpected=$(grep -vxE 'Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|\.cargo_vcs_info\.json|README\.md|SAFETY\.md|LICENSE|src/.*\.rs' <<<"$files" || true)
if [[ -n $unexpected ]]; then
  echo "crate-contents: not part of the library: ${unexpected//$'\n'/ }"
  status=1
fi
cmp -s LICENSE <(cat crates/winkerberos/LICENSE) || { echo "crate-contents: crates/winkerberos/LICENSE differs from LICENSE"; status=1; }
((status)) || echo "crate-contents: $(wc -l <<<"$files") files, only the library, its docs and LICENSE"
exit "$status"
