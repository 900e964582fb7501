#!/usr/bin/env bash
# The table of tools/mutants/run counts seeds and seconds over every scenario a torture run took,
# not the first scenario's: a real `northstar torture` of a directory of two small scenarios (3
# seeds each) must give 6 seeds, 2 scenarios and the run's seconds; a summary whose per-scenario
# seeds do not add up to its total gives "?". Needs no mutant build: it sources the script's
# functions and runs the given binary.
#
# usage: tools/mutants/run_test.sh <path to northstar>
set -euo pipefail
northstar="${1:?usage: tools/mutants/run_test.sh <path to northstar>}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# shellcheck source=tools/mutants/run
source "$repo/tools/mutants/run"

fail() { echo "run_test: FAILED: $*" >&2; exit 1; }

mkdir "$work/scenarios"
cp "$repo/scenarios/smoke.toml" "$repo/scenarios/task-queue.toml" "$work/scenarios/"
"$northstar" torture "$work/scenarios" --seeds 3 --time-budget 60s --jobs 1 --max-failures 1 \
  --out "$work/failures" --json "$work/summary.json" > "$work/torture.log" 2>&1 ||
  { cat "$work/torture.log" >&2; fail "torture of two scenarios failed"; }

read -r seeds seconds scenarios < <(torture_totals "$work/summary.json")
[[ "$seeds" == 6 ]] || fail "seeds over both scenarios: got '$seeds', want 6"
[[ "$scenarios" == 2 ]] || fail "scenarios: got '$scenarios', want 2"
[[ "$seconds" == "$(json_number "$work/summary.json" seconds)" && "$seconds" =~ ^[0-9.]+$ ]] ||
  fail "seconds: got '$seconds', want the run's"
# What the table printed before: the first scenario's seeds only.
[[ "$(json_number "$work/summary.json" seeds)" == 3 ]] || fail "fixture: first scenario's seeds"

sed 's/^  "seeds": 6,$/  "seeds": 7,/' "$work/summary.json" > "$work/bad.json"
read -r seeds _ _ < <(torture_totals "$work/bad.json")
[[ "$seeds" == "?" ]] || fail "a total that is not the sum of the scenarios: got '$seeds', want ?"

echo "run_test: torture_totals: 6 seeds over 2 scenarios in $seconds s; a bad total flagged"
