#!/usr/bin/env bash
# fuzz.sh - run the fuzz targets: cargo fuzz on the Rust parsers, atheris on the Python API.
#
#   scripts/fuzz.sh                 # short run: 20 s per target (what scripts/test.sh runs)
#   scripts/fuzz.sh --long [SECS]   # long run: SECS per target (default 600), one job each
#   scripts/fuzz.sh TARGET...       # only these (base64 sasl principal service_name keytab python)
#   FUZZ_SECONDS=60 scripts/fuzz.sh # any duration
#
# The cargo targets live in fuzz/ (its own workspace); the seeds in fuzz/corpus/<target>/ are
# real tokens and files from the test realm (fuzz/make_seeds.py). New inputs go to
# target/fuzz-corpus/<target>/, never into the repository. A crash stops the run with the
# reproducer in fuzz/artifacts/<target>/ (cargo) or target/fuzz-artifacts/python/ (atheris).
# cargo fuzz needs nightly flags (-Zsanitizer); RUSTC_BOOTSTRAP=1 lets the stable toolchain
# take them. cargo-fuzz is installed from crates.io when missing. Prints, per target, the
# executions and the time they took.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${WINKERBEROS_VENV:-$root/.venv}
seconds=${FUZZ_SECONDS:-20}
if [[ ${1:-} == --long ]]; then
  shift
  seconds=${1:-600}
  [[ $# -gt 0 ]] && shift
fi
all=(base64 sasl principal service_name keytab python)
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")

log() { echo "fuzz.sh: $*" >&2; }

export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz from crates.io"
  cargo install --locked cargo-fuzz >&2
fi

summary=()
run_cargo_target() {
  local target=$1 work=$root/target/fuzz-corpus/$1 out
  mkdir -p "$work"
  # One job, no fork: the machine's cores are shared. -rss_limit_mb catches runaway memory.
  out=$(cd "$root/fuzz" && cargo fuzz run -O "$target" "$work" "corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1) || {
    echo "$out" | tail -40 >&2
    log "$target: FAILED (reproducer in fuzz/artifacts/$target/)"
    exit 1
  }
  local runs
  runs=$(echo "$out" | sed -n 's/^stat::number_of_executed_units: *//p' | tail -1)
  summary+=("$target: ${runs:-?} executions in ${seconds}s, 0 crashes")
  log "${summary[-1]}"
}

run_python_target() {
  local work=$root/target/fuzz-corpus/python artifacts=$root/target/fuzz-artifacts/python/ out
  mkdir -p "$work" "$artifacts"
  out=$("$venv/bin/python" "$root/fuzz/python_api.py" "$work" "$root/fuzz/corpus/python" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts" 2>&1) || {
    echo "$out" | tail -40 >&2
    log "python: FAILED (reproducer in $artifacts)"
    exit 1
  }
  local runs
  runs=$(echo "$out" | sed -n 's/^stat::number_of_executed_units: *//p' | tail -1)
  summary+=("python: ${runs:-?} executions in ${seconds}s, 0 crashes")
  log "${summary[-1]}"
}

# One build of every cargo target up front (they share all dependencies).
if [[ " ${targets[*]} " != " python " ]]; then
  (cd "$root/fuzz" && cargo fuzz build -O >&2)
fi

for target in "${targets[@]}"; do
  case $target in
  python) run_python_target ;;
  base64 | sasl | principal | service_name | keytab) run_cargo_target "$target" ;;
  *) log "unknown target $target (known: ${all[*]})"; exit 2 ;;
  esac
done
printf 'fuzz.sh: %s\n' "${summary[@]}" >&2
