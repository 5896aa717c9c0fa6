#!/usr/bin/env bash
# Runs the test suite N times in a row with CPU burners beside it (two `yes > /dev/null` by default, as many as the
# cores of the 2-core machine the suite is meant for), to show that no test depends on an idle machine. Prints each
# run's result and duration; exits 1 if any run failed. Arguments after `--` go to vitest (e.g. a test folder).
#
#   tools/busy-test.sh [-n RUNS] [-b BURNERS] [-- vitest args]   defaults: 3 runs, 2 burners, the whole suite
#   tools/busy-test.sh --help
set -euo pipefail

usage() {
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
}

runs=3
burners=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) runs=${2:?}; shift 2 ;;
    -b) burners=${2:?}; shift 2 ;;
    --help | -h) usage; exit 0 ;;
    --) shift; break ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ && "$burners" =~ ^[0-9]+$ ]] || { usage >&2; exit 2; }

cd "$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)"
pids=()
stop_burners() {
  # Only the processes this script started, by their ids.
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap stop_burners EXIT
for ((i = 0; i < burners; i++)); do
  yes >/dev/null &
  pids+=("$!")
done
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $burners CPU burners running (pids ${pids[*]:-none})"

failed=0
for ((run = 1; run <= runs; run++)); do
  log=$(mktemp "${TMPDIR:-/tmp}/busy-test.XXXXXX.log")
  start=$(date +%s)
  if npx vitest run "$@" >"$log" 2>&1; then result=PASS; else result=FAIL; failed=$((failed + 1)); fi
  took=$(($(date +%s) - start))
  tests=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^\s+Tests\s' | tail -1 | sed 's/^ *//' || true)
  echo "run $run/$runs: $result in ${took}s  ${tests}"
  if [[ $result == FAIL ]]; then
    echo "  log: $log"
    sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '(FAIL|×)' | sort -u | head -20 || true
  else
    rm -f "$log"
  fi
done
echo "{\"runs\":$runs,\"burners\":$burners,\"failed\":$failed}"
[[ $failed -eq 0 ]]
