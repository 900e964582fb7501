#!/usr/bin/env bash
# Builds the fuzz targets (the `fuzz` preset: clang, libFuzzer, ASan) and fuzzes each one for a
# while, starting from its committed corpus. .ci/run uses it as a short smoke run; the nightly
# workflow (.github/workflows/fuzz.yml) runs it longer. Fails if any target reports a crash, a
# leak, a timeout or running out of memory; the input that did it is kept in
# <work>/artifacts/<target>/ and the last lines of libFuzzer's log are printed.
#
#   fuzz/run_fuzzers.sh [--seconds N] [--work DIR] [--no-build] [target ...]
#
#   --seconds N   fuzzing time per target (default 20)
#   --work DIR    where logs, new corpus entries and crash artifacts go (default build/fuzz-runs)
#   --no-build    use the binaries already in build/fuzz
#   target        target names (fuzz/<target>_fuzz.cc): default, all of them, as listed by
#                 fuzz/list_targets.sh (every fuzz/*_fuzz.cc but the canary)
#
# New inputs go to <work>/corpus/<target>, never into fuzz/corpus/ (fuzz/README.md says how to
# merge them). Prints per target: runs, exec/s, and libFuzzer's final cov: and ft: figures.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t all_targets < <(fuzz/list_targets.sh)
((${#all_targets[@]} > 0)) || { echo "run_fuzzers: fuzz/list_targets.sh listed no target" >&2; exit 2; }
seconds=20
work=build/fuzz-runs
build=1
targets=()
while (($# > 0)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    -*) echo "run_fuzzers: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
((${#targets[@]} > 0)) || targets=("${all_targets[@]}")

binaries=()
for target in "${targets[@]}"; do
  [[ -d "fuzz/corpus/$target" ]] || { echo "run_fuzzers: no target '$target'" >&2; exit 2; }
  binaries+=("${target}_fuzz")
done

if ((build)); then
  build_start=$SECONDS
  cmake --preset fuzz > /dev/null
  cmake --build --preset fuzz -j "${NORTHSTAR_BUILD_JOBS:-2}" --target "${binaries[@]}"
  echo "run_fuzzers: built ${#binaries[@]} targets in $((SECONDS - build_start)) s"
fi

# The last status line libFuzzer printed ("#1234 ... cov: 56 ft: 78 ... exec/s: 90 ...").
field() {  # field <name> <line>
  sed -n "s/.* $1: *\([0-9]*\).*/\1/p" <<< "$2"
}

failed=()
summary=()
for target in "${targets[@]}"; do
  mkdir -p "$work/corpus/$target" "$work/artifacts/$target"
  log="$work/$target.log"
  status=0
  "build/fuzz/fuzz/${target}_fuzz" \
    -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -malloc_limit_mb=512 \
    -print_final_stats=1 -dict="fuzz/dict/$target.dict" \
    -artifact_prefix="$work/artifacts/$target/" \
    "$work/corpus/$target" "fuzz/corpus/$target" > "$log" 2>&1 || status=$?
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  line=$(printf '%-15s runs %-9s exec/s %-6s cov %-6s ft %-6s' "$target" "${runs:-?}" \
    "$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")" \
    "$(field cov "$last")" "$(field ft "$last")")
  if ((status != 0)); then
    line+=" FAILED (exit $status; artifacts in $work/artifacts/$target/)"
    failed+=("$target")
    echo "---- $target: last lines of $log"
    tail -n 40 "$log"
  fi
  echo "$line"
  summary+=("$line")
done

echo "---- fuzz summary (${seconds} s per target)"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
  echo "run_fuzzers: FAILED: ${failed[*]}" >&2
  exit 1
fi
