#!/usr/bin/env bash
# README command 1: install, build, and run the main job on the embedded default — the local
# WeCom simulator (no real credentials needed), notifyd routing to it, and webhook-shim, all on
# 127.0.0.1; a sample alert posted the way Alertmanager posts it; then what notifyd stored and
# the WeCom message the simulator received. Every process is stopped by PID when it ends.
#
# With real credentials (WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET, WECOM_TO_USER) the same
# run delivers to the real WeCom instead of the simulator.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DWECOM_NOTIFY_BUILD_TESTS=OFF
cmake --build build/release -j"$(nproc)" --target notifyd webhook-shim wecom-sim

bin=build/release/bin
run_dir=$(mktemp -d /tmp/wecom-notify-run.XXXXXX)
grpc_addr=127.0.0.1:${NOTIFYD_GRPC_PORT:-9097}
web_addr=127.0.0.1:${NOTIFYD_WEB_PORT:-9098}
shim_addr=127.0.0.1:${SHIM_PORT:-9099}
sim_addr=127.0.0.1:${WECOM_SIM_PORT:-9180}

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

if [ -n "${WECOM_SECRET:-}" ]; then
  api_url=https://qyapi.weixin.qq.com/cgi-bin/
  corp_id=$WECOM_CORP_ID agent_id=$WECOM_AGENT_ID secret=$WECOM_SECRET to_user=$WECOM_TO_USER
  echo "== delivering to the real WeCom (corp $corp_id, agent $agent_id, to $to_user)"
else
  "$bin/wecom-sim" --web.listen-address="$sim_addr" >"$run_dir/wecom-sim.log" 2>&1 &
  pids+=($!)
  api_url=http://$sim_addr/cgi-bin/
  corp_id=ww-sim-corp agent_id=1000002 secret=sim-secret-1000002 to_user=zhangsan
  echo "== no WECOM_SECRET given: delivering to the local WeCom simulator on $sim_addr"
fi
printf '%s' "$secret" >"$run_dir/app-secret"
cat >"$run_dir/notifyd.yml" <<YAML
global:
  wecom_api_url: $api_url
route:
  receiver: ops
  group_by: [alertname, cluster]
  group_wait: 1s
receivers:
  - name: ops
    wecom_configs:
      - corp_id: $corp_id
        agent_id: $agent_id
        api_secret_file: app-secret
        to_user: [$to_user]
        message_type: markdown
YAML

"$bin/notifyd" --config.file="$run_dir/notifyd.yml" --grpc.listen-address="$grpc_addr" \
  --web.listen-address="$web_addr" --storage.path="$run_dir/data" 2>"$run_dir/notifyd.log" &
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
curl -sS "http://$shim_addr/api/v2/alerts" | /usr/bin/python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), indent=2, ensure_ascii=False))'

if [ -z "${WECOM_SECRET:-}" ]; then
  echo "== the WeCom message the simulator received (group_wait 1s)"
  for _ in $(seq 1 50); do
    count=$(curl -sS "http://$sim_addr/sim/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"]["messages"])')
    [ "$count" -gt 0 ] && break
    sleep 0.2
  done
  curl -sS "http://$sim_addr/sim/messages?touser=$to_user" | /usr/bin/python3 -c '
import json, sys
for m in json.load(sys.stdin)["messages"]:
    print("-- to %s (agent %s, %s):" % (",".join(m["touser"]), m["agentid"], m["msgtype"]))
    print(m["content"].get("content", m["content"]))'
fi

echo "== notifyd metrics (http://$web_addr/metrics)"
curl -sS "http://$web_addr/metrics" | grep -E '^wecom_notify_(alerts_received_total|wecom_requests_total)' || true
echo "== logs and state in $run_dir"
