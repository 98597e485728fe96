#!/usr/bin/env bash
# bench/run.sh — the one benchmark command (issue 7): installs the Debian packages, builds
# Release into build/bench, then runs bench/bench.py: wecom-notify (webhook-shim + notifyd) and
# Debian's Alertmanager side by side on 127.0.0.1 (storm and end-to-end also with the WeCom
# simulator services/wecom-sim), one fresh instance per load point, and prints
# the table (also written to build/bench/results.md; raw log build/bench/bench.log).
#
#   bash bench/run.sh               # ≈ 5 minutes
#   bash bench/run.sh --profile     # also perf-profiles notifyd and the shim (build/bench/profile)
#   BENCH_DURATION=5 bash bench/run.sh   # seconds per measured load point (default 10)
#   BENCH_ONLY=storm,e2e bash bench/run.sh   # only these parts (ingest,grpc,memory,storm,e2e,listing)
#   BENCH_STORM_DRAIN=60 BENCH_E2E_ALERTS=100   # storm: s to wait after posting; e2e: alerts
#
# Every process is stopped by PID: bench.py stops its children itself, and the EXIT trap below
# stops bench.py and any child PID it recorded in build/bench/pids.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=()
for arg in "$@"; do
  case "$arg" in
    --profile) profile=(--profile build/bench/profile) ;;
    *) echo "usage: bash bench/run.sh [--profile]" >&2; exit 2 ;;
  esac
done

bash scripts/install-deps.sh
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DWECOM_NOTIFY_BUILD_TESTS=OFF \
  -DWECOM_NOTIFY_BUILD_BENCH=ON >/dev/null
cmake --build build/bench -j"$(nproc)" --target notifyd webhook-shim wecom-sim notify_load

pidfile=build/bench/pids
: >"$pidfile"
bench_pid=""
cleanup() {
  if [ -n "$bench_pid" ]; then kill "$bench_pid" 2>/dev/null || true; wait "$bench_pid" 2>/dev/null || true; fi
  # Leftovers only if bench.py itself died hard; a PID is killed only if it is still one of ours.
  while read -r pid; do
    [ -n "$pid" ] && grep -qaE 'notifyd|webhook-shim|wecom-sim|alertmanager|notify_load|nginx' \
      "/proc/$pid/cmdline" 2>/dev/null && kill "$pid" 2>/dev/null || true
  done <"$pidfile"
}
trap cleanup EXIT

/usr/bin/python3 bench/bench.py --bin build/bench/bin --out build/bench/results.md \
  --log build/bench/bench.log --pidfile "$pidfile" --duration "${BENCH_DURATION:-10}" \
  --only "${BENCH_ONLY:-ingest,grpc,memory,storm,e2e,listing}" --storm-drain "${BENCH_STORM_DRAIN:-60}" \
  --e2e-alerts "${BENCH_E2E_ALERTS:-100}" \
  "${profile[@]}" &
bench_pid=$!
wait "$bench_pid"
status=$?
bench_pid=""
exit "$status"
