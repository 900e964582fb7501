#!/usr/bin/env bash
# The fuzz targets, named after their sources: fuzz/<name>_fuzz.cc gives <name>, except the
# canary (fuzz/canary_fuzz.cc, a planted bug that fuzz/run_canary.sh runs on its own). The one
# list that fuzz/run_fuzzers.sh (all targets by default) and the nightly workflow's matrix
# (.github/workflows/fuzz.yml) use, so that a new target is fuzzed everywhere once its file exists.
#
#   fuzz/list_targets.sh           names, one a line, sorted
#   fuzz/list_targets.sh --json    the same as a JSON array: ["cartridge","commit_record",...]
#   fuzz/list_targets.sh --check   exit 1 unless every target has its corpus (fuzz/corpus/<name>/),
#                                  its dictionary (fuzz/dict/<name>.dict) and its CMake target
#                                  (northstar_fuzz_target(<name>_fuzz ...) in fuzz/CMakeLists.txt)
set -euo pipefail
cd "$(dirname "$0")"

targets=()
for source in *_fuzz.cc; do
  name="${source%_fuzz.cc}"
  [[ "$name" == canary ]] || targets+=("$name")
done
((${#targets[@]} > 0)) || { echo "list_targets: no fuzz/*_fuzz.cc" >&2; exit 1; }

case "${1:-}" in
  "")
    printf '%s\n' "${targets[@]}" ;;
  --json)
    json=""
    for name in "${targets[@]}"; do json+="${json:+,}\"$name\""; done
    echo "[$json]" ;;
  --check)
    missing=0
    for name in "${targets[@]}"; do
      [[ -d "corpus/$name" ]] || { echo "fuzz target $name: no fuzz/corpus/$name/" >&2; missing=1; }
      [[ -f "dict/$name.dict" ]] || { echo "fuzz target $name: no fuzz/dict/$name.dict" >&2; missing=1; }
      grep -q "^northstar_fuzz_target(${name}_fuzz " CMakeLists.txt ||
        { echo "fuzz target $name: not built by fuzz/CMakeLists.txt" >&2; missing=1; }
    done
    for corpus in corpus/*/; do
      corpus="${corpus%/}"; corpus="${corpus#corpus/}"
      [[ -f "${corpus}_fuzz.cc" ]] ||
        { echo "fuzz/corpus/$corpus: no fuzz/${corpus}_fuzz.cc to fuzz it" >&2; missing=1; }
    done
    ((missing == 0)) && echo "list_targets: ${#targets[@]} targets, each with its corpus, dictionary and CMake target"
    exit "$missing" ;;
  *)
    echo "usage: fuzz/list_targets.sh [--json|--check]" >&2; exit 2 ;;
esac
