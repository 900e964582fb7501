#!/usr/bin/env bash
# Proves that the fuzzing set-up can find a bug: builds canary_fuzz (fuzz/canary_fuzz.cc, a
# planted one-byte out-of-bounds read behind a 4-byte pattern) in the `fuzz` preset, fuzzes it
# from an empty corpus, and passes only if libFuzzer reports the heap-buffer-overflow within the
# time limit (default 60 s). Prints how long it took. Not part of CTest.
#
#   fuzz/run_canary.sh [--seconds N] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

limit=60
build=1
while (($# > 0)); do
  case "$1" in
    --seconds) limit="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "usage: $0 [--seconds N] [--no-build]" >&2; exit 2 ;;
  esac
done

if ((build)); then
  cmake --preset fuzz > /dev/null
  cmake --build --preset fuzz -j "${NORTHSTAR_BUILD_JOBS:-2}" --target canary_fuzz
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
start=$(date +%s%N)
status=0
build/fuzz/fuzz/canary_fuzz -max_total_time="$limit" -artifact_prefix="$work/" \
  "$work/corpus" > "$work/log" 2>&1 || status=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))

if ((status != 0)) && grep -q 'heap-buffer-overflow' "$work/log" && compgen -G "$work/crash-*" > /dev/null; then
  runs=$(grep -oE '^#[0-9]+' "$work/log" | tail -n 1)
  echo "canary: found the planted out-of-bounds read in ${elapsed_ms} ms (${runs:-#?} runs)"
  exit 0
fi
echo "canary: NOT found within ${limit} s (exit ${status}); the fuzzing set-up is broken" >&2
tail -n 30 "$work/log" >&2
exit 1
