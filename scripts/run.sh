#!/usr/bin/env bash
# README command 1: install, build, and run the main job on the embedded default — notifyd and
# webhook-shim on 127.0.0.1, a sample alert posted the way Alertmanager posts it, and what
# notifyd stored printed back. Both processes are stopped by PID when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DWECOM_NOTIFY_BUILD_TESTS=OFF
cmake --build build/release -j"$(nproc)" --target notifyd webhook-shim

bin=build/release/bin
run_dir=$(mktemp -d /tmp/wecom-notify-run.XXXXXX)
grpc_addr=127.0.0.1:${NOTIFYD_GRPC_PORT:-9097}
web_addr=127.0.0.1:${NOTIFYD_WEB_PORT:-9098}
shim_addr=127.0.0.1:${SHIM_PORT:-9099}

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

"$bin/notifyd" --grpc.listen-address="$grpc_addr" --web.listen-address="$web_addr" \
  --storage.path="$run_dir/data" 2>"$run_dir/notifyd.log" &
pids+=($!)
"$bin/webhook-shim" --web.listen-address="$shim_addr" --notify.address="$grpc_addr" \
  2>"$run_dir/shim.log" &
pids+=($!)

for _ in $(seq 1 100); do
  curl -sf "http://$shim_addr/-/ready" >/dev/null && break
  sleep 0.1
done
curl -sf "http://$shim_addr/-/ready" >/dev/null || { echo "webhook-shim did not get ready"; cat "$run_dir"/*.log; exit 1; }

echo "== posting a sample Alertmanager webhook (payload v4) to http://$shim_addr/webhook"
curl -sS -o /dev/null -w "   HTTP %{http_code}\n" -H 'Content-Type: application/json' \
  --data-binary @deploy/examples/sample-webhook.json "http://$shim_addr/webhook"

echo "== alerts notifyd stored (GET http://$shim_addr/api/v2/alerts, via notifyd's gRPC ListAlerts)"
curl -sS "http://$shim_addr/api/v2/alerts" | /usr/bin/python3 -m json.tool

echo "== notifyd metrics (http://$web_addr/metrics)"
curl -sS "http://$web_addr/metrics" | grep '^wecom_notify_alerts_received_total' || true
echo "== logs and state in $run_dir"
