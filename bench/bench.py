#!/usr/bin/python3
"""wecom-notify benchmark, side by side with Prometheus Alertmanager (Debian's 0.25).

Run through `bash bench/run.sh` (which installs and builds first); this file only orchestrates,
measures and prints. Python 3 standard library only.

Every server listens on 127.0.0.1 on a free port, runs in its own temporary directory and is
started fresh for each measurement, so one load point's alerts never weigh on the next. Every
process is stopped by PID (SIGTERM, then SIGKILL after 10 s) on the way out, also on Ctrl-C /
SIGTERM; their PIDs are also written to <work>/pids so run.sh's EXIT trap can stop leftovers.
Every loop is bounded in count and time.

Measurements:
  ingest     wrk + bench/wrk/alerts.lua, POST /api/v2/alerts, batch 1 and 100, 8 and 64
             connections: webhook-shim -> notifyd versus Alertmanager. alerts/s counts alerts of
             2xx answers; p50/p99 are wrk's per-request latencies. CPU-seconds per 100k alerts
             from /proc/<pid>/stat (utime + stime) over the measured window. The same load
             against nginx answering 204 without work gives the HTTP floor: the most any HTTP
             ingest can reach on this machine.
  grpc       bench/notify_load (C++ callback client) straight at notifyd's Notify.
  memory     VmRSS from /proc/<pid>/status: idle (and idle PSS, /proc/<pid>/smaps_rollup), after
             10k and 100k distinct active alerts (posted in batches of 100 on one keep-alive
             connection), and CPU-seconds for the 100k alerts. Twice: with the ingest load's
             small alert (4 labels, 1 annotation), and on fresh instances with a platform
             alert shaped like KubeSphere's KubePodCrashLooping (11 labels, 3 annotations, a
             long generator URL; values per pod and namespace, the rest its rule's).
  storm      50k alerts in 5k groups posted within 10 s, both systems configured with the same
             route + `wechat_configs` YAML to their own wecom-sim (rate limits on); every group
             to one user, then spread over 200 users. What reached the simulator, when, in how
             many requests, and what the users saw (read from /sim/messages).
  e2e        POST /api/v2/alerts -> WeCom request at the simulator (its time_unix_us), group_wait
             0, one alert at a time, each a new group, spread over users so that no rate limit
             delays one.
  listing    ingest of single alerts (wrk, 8 connections) while one client lists the 100k alerts
             held with GET /api/v2/alerts in a loop: what a big listing does to ingest, and how
             long a listing takes under ingest.

--only picks a subset of these parts (run.sh: BENCH_ONLY).
"""

import argparse
import datetime
import http.client
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WRK = "/usr/bin/wrk"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
NGINX = "/usr/sbin/nginx"
LUA = os.path.join(REPO, "bench", "wrk", "alerts.lua")
# The simulator's built-in app and on-call user (libs/wecom_sim/config.h, DefaultConfig()).
SIM_CORP, SIM_AGENT, SIM_SECRET, SIM_USER = "ww-sim-corp", 1000002, "sim-secret-1000002", "zhangsan"

PARTS = ("ingest", "grpc", "memory", "storm", "e2e", "listing")

# ----------------------------------------------------------------------------------------------
# processes


class Procs:
    """Every child process, stopped by PID."""

    def __init__(self, pidfile):
        self.pidfile = pidfile
        self.procs = []

    def start(self, name, argv, log_path):
        log = open(log_path, "ab")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        proc.bench_name = name
        self.procs.append(proc)
        self._write()
        return proc

    def stop(self, proc):
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        if proc in self.procs:
            self.procs.remove(proc)
        self._write()

    def stop_all(self):
        for proc in list(reversed(self.procs)):
            try:
                self.stop(proc)
            except Exception as e:  # keep stopping the others
                print(f"bench: cannot stop {proc.bench_name} (pid {proc.pid}): {e}", file=sys.stderr)

    def _write(self):
        with open(self.pidfile, "w") as f:
            f.write("".join(f"{p.pid}\n" for p in self.procs))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=2):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""
    except OSError:
        return None, ""


def wait_ready(url, procs, what, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"{what}: {p.bench_name} exited with {p.returncode}")
        if http_get(url, timeout=1)[0] == 200:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what}: not ready at {url} within {seconds} s")


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def rss_kib(pid, field="VmRSS"):
    """VmRSS (all resident pages, shared library pages included) or RssAnon (private heap)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for pid {pid}")


def pss_kib(pid):
    """Proportional set size: each resident page divided by the number of processes mapping it,
    so library pages notifyd and the shim share count once across the two (and a little less
    where other processes map the same library, e.g. libc)."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    raise RuntimeError(f"no Pss for pid {pid}")


def scrape(url):
    """A /metrics page; a loaded server may answer slowly, so a few tries with a long timeout
    (Alertmanager 0.25 takes 8-10 s to render /metrics while it holds 450k alerts)."""
    for _ in range(3):
        status, text = http_get(url, timeout=60)
        if status == 200:
            return text
        time.sleep(1)
    return None


def metric_sum(text, name):
    if text is None:
        return float("nan")  # could not scrape; shown as "nan" in the cross-checks
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (line[len(name)] in "{ "):
            total += float(line.rsplit(None, 1)[1])
    return total


# ----------------------------------------------------------------------------------------------
# the two systems


# The route both systems get for ingest, memory and gRPC: every alert is routed and grouped into
# one group of a receiver with nothing to send, so each pays for its dispatcher (a group holds
# its alerts) but no notification is sent. notifyd reads Alertmanager's route/receivers YAML.
NULL_ROUTE = """# Null receiver: the notification pipeline has nothing to send, ingest is measured alone.
route:
  receiver: 'null'
receivers:
  - name: 'null'
"""


class WecomNotify:
    label = "wecom-notify"

    def __init__(self, ctx, with_shim=True, config=NULL_ROUTE, in_process_api=False):
        """config: notifyd YAML (route + receivers); None = no --config.file, alerts are only
        stored. in_process_api: notifyd serves the HTTP API itself (--alerts-api.listen-address),
        no shim."""
        self.ctx = ctx
        self.dir = tempfile.mkdtemp(prefix="notify-", dir=ctx.work)
        self.grpc_addr = f"127.0.0.1:{free_port()}"
        self.web_port = free_port()
        self.shim_port = free_port()
        bin_dir = ctx.bin
        argv = [f"{bin_dir}/notifyd", f"--grpc.listen-address={self.grpc_addr}",
                f"--web.listen-address=127.0.0.1:{self.web_port}",
                f"--storage.path={self.dir}/data"]
        if config is not None:
            with open(f"{self.dir}/notifyd.yml", "w") as f:
                f.write(config)
            argv.append(f"--config.file={self.dir}/notifyd.yml")
        if in_process_api:
            argv.append(f"--alerts-api.listen-address=127.0.0.1:{self.shim_port}")
        self.notifyd = ctx.procs.start("notifyd", argv, f"{self.dir}/notifyd.log")
        self.procs = [self.notifyd]
        self.shim = None
        if with_shim:
            self.shim = ctx.procs.start(
                "webhook-shim",
                [f"{bin_dir}/webhook-shim", f"--web.listen-address=127.0.0.1:{self.shim_port}",
                 f"--notify.address={self.grpc_addr}"],
                f"{self.dir}/shim.log")
            self.procs.append(self.shim)
            wait_ready(f"http://127.0.0.1:{self.shim_port}/-/ready", self.procs, self.label)
        elif in_process_api:
            wait_ready(f"http://127.0.0.1:{self.shim_port}/-/ready", self.procs, self.label)
        else:
            wait_ready(f"http://127.0.0.1:{self.web_port}/-/ready", self.procs, self.label)
        self.alerts_url = f"http://127.0.0.1:{self.shim_port}/api/v2/alerts"

    @property
    def pids(self):
        return [p.pid for p in self.procs]

    def received(self):
        return metric_sum(scrape(f"http://127.0.0.1:{self.web_port}/metrics"),
                          "wecom_notify_alerts_received_total")

    def stop(self):
        for p in reversed(self.procs):
            self.ctx.procs.stop(p)


class WecomNotifyOneProcess(WecomNotify):
    """notifyd serving the HTTP API itself (--alerts-api.listen-address): no sidecar, no gRPC hop."""
    label = "one process"

    def __init__(self, ctx, config=NULL_ROUTE):
        super().__init__(ctx, with_shim=False, config=config, in_process_api=True)


class OneProcessServer:
    """A server that is one process listening on self.port, ready when /-/ready answers 200,
    taking alerts at /api/v2/alerts. Subclasses set ctx, dir, port, then call _start."""

    def _start(self, name, argv):
        self.proc = self.ctx.procs.start(name, argv, f"{self.dir}/{name}.log")
        self.procs = [self.proc]
        wait_ready(f"http://127.0.0.1:{self.port}/-/ready", self.procs, self.label)
        self.alerts_url = f"http://127.0.0.1:{self.port}/api/v2/alerts"

    @property
    def pids(self):
        return [self.proc.pid]

    def stop(self):
        self.ctx.procs.stop(self.proc)


class Alertmanager(OneProcessServer):
    label = "alertmanager"

    def __init__(self, ctx, config=NULL_ROUTE):
        """config: alertmanager.yml text."""
        self.ctx = ctx
        self.dir = tempfile.mkdtemp(prefix="am-", dir=ctx.work)
        self.port = free_port()
        with open(f"{self.dir}/alertmanager.yml", "w") as f:
            f.write(config)
        self._start("alertmanager",
                    [ALERTMANAGER, f"--config.file={self.dir}/alertmanager.yml",
                     f"--storage.path={self.dir}/data", f"--web.listen-address=127.0.0.1:{self.port}",
                     "--cluster.listen-address="])

    def received(self):
        return metric_sum(scrape(f"http://127.0.0.1:{self.port}/metrics"),
                          "alertmanager_alerts_received_total")


class HttpFloor(OneProcessServer):
    """nginx (Debian's nginx-light) answering every request with 204 without looking at it: what
    the HTTP round trip alone costs on this machine, with wrk on the same cores. No server that
    takes alerts over HTTP can beat its rate here, so its ratio to Alertmanager is the most any
    HTTP ingest can show on this machine (a yardstick for the ingest targets, not a competitor).
    One nginx process (master_process off), so that its PID is all there is to stop and measure."""

    label = "http floor"

    def __init__(self, ctx):
        self.ctx = ctx
        self.dir = tempfile.mkdtemp(prefix="nginx-", dir=ctx.work)
        self.port = free_port()
        temp_paths = "".join(f"  {kind}_temp_path {self.dir}/{kind};\n"
                             for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        with open(f"{self.dir}/nginx.conf", "w") as f:
            f.write(f"daemon off;\nmaster_process off;\npid {self.dir}/nginx.pid;\n"
                    f"error_log {self.dir}/error.log;\nevents {{ worker_connections 1024; }}\n"
                    f"http {{\n  access_log off;\n{temp_paths}"
                    f"  server {{\n    listen 127.0.0.1:{self.port};\n"
                    "    location = /-/ready { return 200; }\n    location / { return 204; }\n  }\n}\n")
        self._start("nginx", [NGINX, "-p", self.dir, "-e", f"{self.dir}/error.log",
                              "-c", f"{self.dir}/nginx.conf"])

    def received(self):
        return 0  # it keeps nothing


class WecomSim:
    """services/wecom-sim on a free port, rate limits on; its /sim/ API read on one keep-alive
    connection. `users`: the directory's users (department 2); None = the built-in directory."""

    label = "wecom-sim"

    def __init__(self, ctx, users=None):
        self.ctx = ctx
        self.dir = tempfile.mkdtemp(prefix="sim-", dir=ctx.work)
        self.port = free_port()
        argv = [f"{ctx.bin}/wecom-sim", f"--web.listen-address=127.0.0.1:{self.port}",
                "--rate-limits=on"]
        if users is not None:
            with open(f"{self.dir}/wecom-sim.yml", "w") as f:
                f.write("users:\n" + "".join(f"  - {{userid: {u}, departments: [2]}}\n"
                                             for u in users))
            argv.append(f"--config.file={self.dir}/wecom-sim.yml")
        self.proc = ctx.procs.start("wecom-sim", argv, f"{self.dir}/wecom-sim.log")
        wait_ready(f"http://127.0.0.1:{self.port}/sim/healthz", [self.proc], self.label)
        self.api_url = f"http://127.0.0.1:{self.port}/cgi-bin/"
        self.conn = None

    def get(self, path):
        """GET a /sim/ JSON document; one reconnect on a broken keep-alive connection."""
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.conn.request("GET", path)
                resp = self.conn.getresponse()
                body = resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"wecom-sim GET {path}: HTTP {resp.status}")
                return json.loads(body)
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def messages(self, since):
        """Messages with seq > since, in delivery order."""
        return self.get(f"/sim/messages?since={since}")["messages"]

    def stop(self):
        if self.conn is not None:
            self.conn.close()
        self.ctx.procs.stop(self.proc)


def wechat_receiver(name, sim, to_user):
    """One receiver in the syntax both notifyd and Alertmanager read (`wechat_configs`): the
    simulator's default app, text messages, no resolved notifications (Alertmanager's default)."""
    return (f"  - name: {name}\n"
            f"    wechat_configs:\n"
            f"      - api_url: '{sim.api_url}'\n"
            f"        corp_id: {SIM_CORP}\n"
            f"        agent_id: '{SIM_AGENT}'\n"
            f"        api_secret: {SIM_SECRET}\n"
            f"        to_user: '{to_user}'\n"
            f"        message_type: text\n"
            f"        send_resolved: false\n")


# ----------------------------------------------------------------------------------------------
# load generators


def run_wrk(ctx, url, batch, conns, seconds, run_id):
    argv = [WRK, "-t2", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s", "-s", LUA, url,
            "--", str(batch), run_id]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    ctx.log(f"$ {' '.join(argv)}\n{out.stdout}{out.stderr}")
    m = re.search(r"^WRK_RESULT (.*)$", out.stdout, re.M)
    if not m:
        raise RuntimeError(f"wrk printed no result (exit {out.returncode}): {out.stderr.strip()}")
    r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    ok = r["requests"] - r["non2xx"]
    secs = r["duration_us"] / 1e6
    return {
        "alerts": ok * batch,
        "alerts_per_s": ok * batch / secs,
        "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000,
        "errors": r["non2xx"] + r["connect_errors"] + r["read_errors"] + r["write_errors"]
                  + r["timeouts"],
        "raw": r,
    }


def run_notify_load(ctx, target, batch, conc, seconds, prefix):
    argv = [f"{ctx.bin}/notify_load", f"--target={target}", f"--batch={batch}",
            f"--concurrency={conc}", f"--duration={seconds}", f"--prefix={prefix}"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    ctx.log(f"$ {' '.join(argv)}\n{out.stdout}{out.stderr}")
    m = re.search(r"^RESULT (.*)$", out.stdout, re.M)
    if not m:
        raise RuntimeError(f"notify_load printed no result (exit {out.returncode}): {out.stderr}")
    r = {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    return {"alerts": r["alerts"], "alerts_per_s": r["alerts_per_s"], "p50_ms": r["p50_ms"],
            "p99_ms": r["p99_ms"], "errors": r["failed"], "raw": r}


def small_alert(i, prefix="mem"):
    """The memory part's default alert: the ingest load's shape (bench/wrk/alerts.lua)."""
    return {"labels": {"alertname": "BenchMemory", "job": "bench", "severity": "warning",
                       "instance": f"{prefix}-{i}"},
            "annotations": {"summary": f"bench alert {i}"},
            "generatorURL": "http://127.0.0.1/bench"}


def platform_alert(i):
    """An alert as a KubeSphere platform's Prometheus sends it (the sample alert of
    notification-manager's docs/api: KubePodCrashLooping from kube-state-metrics), one per pod
    across 200 namespaces: what differs per alert is the pod, its namespace and address."""
    namespace, pod = f"team-{i % 200}", f"web-{i:07d}-7d9f8c6b5-x{i % 97:02d}q"
    return {"labels": {"alertname": "KubePodCrashLooping", "cluster": "default",
                       "container": "app", "endpoint": "http",
                       "instance": f"10.233.{i % 250}.{i % 199}:8080",
                       "job": "kube-state-metrics", "namespace": namespace, "pod": pod,
                       "prometheus": "kubesphere-monitoring-system/k8s",
                       "service": "kube-state-metrics", "severity": "warning"},
            "annotations": {
                "message": f"Pod {namespace}/{pod} (app) is restarting 1.07 times / 5 minutes.",
                "runbook_url": "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/"
                               "kubepodcrashlooping",
                "summary": "Pod is crash looping."},
            "generatorURL": "http://prometheus-k8s-0:9090/graph?g0.expr=max_over_time%28kube_pod_"
                            "container_status_waiting_reason%7Breason%3D%22CrashLoopBackOff%22%2C"
                            "job%3D%22kube-state-metrics%22%7D%5B5m%5D%29+%3E%3D+1&g0.tab=1"}


def post_alerts(url, first, count, batch=100, make=small_alert):
    """Posts alerts make(first)..make(first+count-1) (distinct) on one keep-alive connection;
    bounded."""
    host, port = url.split("/")[2].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        for start in range(first, first + count, batch):
            body = json.dumps([make(i) for i in range(start, min(start + batch, first + count))])
            conn.request("POST", "/api/v2/alerts", body.encode(),
                         {"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"POST {url}: HTTP {resp.status}")
    finally:
        conn.close()


# ----------------------------------------------------------------------------------------------
# measurements


def measure_ingest(ctx, batch, conns, order):
    """One load point against both systems, in `order`; each on a fresh instance."""
    out = {}
    for cls in order:
        system = cls(ctx)
        try:
            run_id = f"{cls.label[:2]}b{batch}c{conns}"
            run_wrk(ctx, system.alerts_url, batch, conns, ctx.warmup, run_id + "w")
            # Scrape before the CPU reading: Alertmanager's /metrics walks every alert it holds
            # (seconds of CPU at 100k+ alerts), which is not ingest work.
            before_rx = system.received()
            before_cpu = cpu_seconds(system.pids)
            r = run_wrk(ctx, system.alerts_url, batch, conns, ctx.duration, run_id)
            cpu = cpu_seconds(system.pids) - before_cpu
            r["server_received"] = system.received() - before_rx
            r["cpu_per_100k"] = cpu / r["alerts"] * 1e5 if r["alerts"] else None
            r["rss_mib"] = sum(rss_kib(p) for p in system.pids) / 1024
        finally:
            system.stop()
        ctx.log(f"ingest batch={batch} conns={conns} {cls.label}: "
                + json.dumps({k: v for k, v in r.items() if k != "raw"}))
        out[cls.label] = r
    return out


def measure_grpc(ctx, batch, conc):
    system = WecomNotify(ctx, with_shim=False)
    try:
        run_notify_load(ctx, system.grpc_addr, batch, conc, ctx.warmup, f"w{batch}-{conc}")
        before = cpu_seconds(system.pids)
        r = run_notify_load(ctx, system.grpc_addr, batch, conc, ctx.duration, f"g{batch}-{conc}")
        cpu = cpu_seconds(system.pids) - before
        r["cpu_per_100k"] = cpu / r["alerts"] * 1e5 if r["alerts"] else None
    finally:
        system.stop()
    ctx.log(f"grpc batch={batch} concurrency={conc}: "
            + json.dumps({k: v for k, v in r.items() if k != "raw"}))
    return r


LISTING_ALERTS = 100_000


def measure_listing(ctx, cls):
    """Single-alert ingest at 8 connections while GET /api/v2/alerts lists LISTING_ALERTS alerts
    in a loop (one client, each listing bounded by a 120 s timeout, the loop by the wrk run)."""
    system = cls(ctx)
    try:
        post_alerts(system.alerts_url, 0, LISTING_ALERTS, make=lambda i: small_alert(i, "list"))
        stop = threading.Event()
        took, failed = [], []

        def lister():
            host, port = system.alerts_url.split("/")[2].split(":")
            while not stop.is_set():
                conn = http.client.HTTPConnection(host, int(port), timeout=120)
                try:
                    t = time.monotonic()
                    conn.request("GET", "/api/v2/alerts")
                    resp = conn.getresponse()
                    resp.read()
                    (took if resp.status == 200 else failed).append(time.monotonic() - t)
                except OSError:
                    failed.append(0)
                finally:
                    conn.close()

        thread = threading.Thread(target=lister)
        thread.start()
        try:
            r = run_wrk(ctx, system.alerts_url, 1, 8, ctx.duration, f"{cls.label[:2]}list")
        finally:
            stop.set()
            thread.join(timeout=130)
        r["listings"] = len(took)
        r["listings_failed"] = len(failed)
        r["listing_ms"] = 1000 * statistics.median(took) if took else None
    finally:
        system.stop()
    ctx.log(f"listing {cls.label}: " + json.dumps({k: v for k, v in r.items() if k != "raw"}))
    return r


def measure_memory(ctx, cls, make=small_alert):
    system = cls(ctx)
    try:
        time.sleep(ctx.settle)
        r = {"idle": sum(rss_kib(p) for p in system.pids),
             "idle_anon": sum(rss_kib(p, "RssAnon") for p in system.pids),
             "idle_pss": sum(pss_kib(p) for p in system.pids)}
        if isinstance(system, WecomNotify) and system.shim:
            r["idle_notifyd"] = rss_kib(system.notifyd.pid)
            r["idle_shim"] = rss_kib(system.shim.pid)
        cpu0 = cpu_seconds(system.pids)
        post_alerts(system.alerts_url, 0, 10_000, make=make)
        time.sleep(ctx.settle)
        r["10k"] = sum(rss_kib(p) for p in system.pids)
        post_alerts(system.alerts_url, 10_000, 90_000, make=make)
        r["cpu_100k"] = cpu_seconds(system.pids) - cpu0
        time.sleep(ctx.settle)
        r["100k"] = sum(rss_kib(p) for p in system.pids)
        r["received"] = system.received()
        r["per_alert_kib"] = (r["100k"] - r["idle"]) / 100_000
    finally:
        system.stop()
    ctx.log(f"memory {cls.label}, {make.__name__}: {json.dumps(r)}")
    return r


STORM_GROUPS = 5000
STORM_PER_GROUP = 10
STORM_ALERT_ID = re.compile(r"st(\d{4})x(\d)")
STORM_POST_BATCH = 100  # alerts per POST: 10 whole groups
# The spread scenario's users: 5,000 groups / 200 = 25 messages per user, under WeCom's 30/min.
STORM_SPREAD_USERS = 200


def storm_config(sim, group_wait, users):
    """One group per storm_group label. users None: every group to one on-call user
    (zhangsan); else group g to users[g % len(users)] by a child route per user."""
    head = (f"route:\n"
            f"  receiver: oncall\n"
            f"  group_by: [alertname, storm_group]\n"
            f"  group_wait: {group_wait}\n"
            f"  group_interval: 5m\n"
            f"  repeat_interval: 12h\n")
    if users is None:
        return head + "receivers:\n" + wechat_receiver("oncall", sim, SIM_USER)
    routes = "".join(f"    - matchers: ['storm_user=\"{u}\"']\n      receiver: {u}\n"
                     for u in users)
    return (head + f"  routes:\n{routes}receivers:\n"
            + wechat_receiver("oncall", sim, SIM_USER)
            + "".join(wechat_receiver(u, sim, u) for u in users))


def storm_users():
    return [f"storm{u:03d}" for u in range(STORM_SPREAD_USERS)]


def storm_bodies():
    """STORM_GROUPS groups of STORM_PER_GROUP alerts, group after group, in POST bodies of
    STORM_POST_BATCH alerts. Every alert carries its id st<group>x<k> in `instance` and in its
    summary, so the simulator's message contents tell which alerts a message covered."""
    alerts = []
    for g in range(STORM_GROUPS):
        for k in range(STORM_PER_GROUP):
            aid = f"st{g:04d}x{k}"
            alerts.append({"labels": {"alertname": "BenchStorm", "storm_group": f"g{g:04d}",
                                      "storm_user": f"storm{g % STORM_SPREAD_USERS:03d}",
                                      "instance": aid},
                           "annotations": {"summary": f"storm alert {aid}"}})
    return [json.dumps(alerts[i:i + STORM_POST_BATCH]).encode()
            for i in range(0, len(alerts), STORM_POST_BATCH)]


class Poster:
    """POSTs to /api/v2/alerts on one keep-alive connection; reconnects after an error."""

    def __init__(self, url):
        host, port = url.split("/")[2].split(":")
        self.host, self.port, self.path = host, int(port), "/" + url.split("/", 3)[3]
        self.conn = None

    def post(self, body):
        """True on HTTP 200."""
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.conn.request("POST", self.path, body, {"Content-Type": "application/json"})
            resp = self.conn.getresponse()
            resp.read()
            return resp.status == 200
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return False

    def close(self):
        if self.conn is not None:
            self.conn.close()


def storm_one(ctx, cls, bodies, users):
    sim = WecomSim(ctx, None if users is None else [SIM_USER] + users)
    system = None
    try:
        system = cls(ctx, config=storm_config(sim, ctx.storm_group_wait, users))
        cpu0 = cpu_seconds(system.pids)
        poster = Poster(system.alerts_url)
        # Paced: POST k leaves at start + k * window / len(bodies), never before; a slow server
        # makes the posting take longer than the window, which is reported.
        start = time.time()
        failed = 0
        for k, body in enumerate(bodies):
            delay = start + k * ctx.storm_window / len(bodies) - time.time()
            if delay > 0:
                time.sleep(delay)
            if not poster.post(body):
                failed += 1
            if time.time() - start > ctx.storm_window + 120:
                failed += len(bodies) - k - 1
                break
        post_end = time.time()
        poster.close()
        total = STORM_GROUPS * STORM_PER_GROUP
        seen, seen_delivered = set(), set()
        requests = delivered = 0
        since, last_us, done_us = 0, None, None
        deadline = post_end + ctx.storm_drain
        while True:  # bounded by `deadline`
            for m in sim.messages(since):
                since = m["seq"]
                if m["endpoint"] != "message/send":
                    continue
                requests += 1
                last_us = m["time_unix_us"]
                ids = set(STORM_ALERT_ID.findall(m["content"].get("content", "")))
                seen |= ids
                if m["touser"]:
                    delivered += 1
                    seen_delivered |= ids
                if done_us is None and len(seen) == total:
                    done_us = last_us
            if done_us is not None or time.time() > deadline:
                break
            time.sleep(1)
        drain_end = time.time()
        stats = sim.get("/sim/stats")
        cpu = cpu_seconds(system.pids) - cpu0
    finally:
        if system is not None:
            system.stop()
        sim.stop()
    r = {"post_seconds": post_end - start, "post_failed": failed * STORM_POST_BATCH,
         "requests": requests, "delivered": delivered,
         "alerts_reached": len(seen), "alerts_delivered": len(seen_delivered),
         "seconds_to_last": None if done_us is None else done_us / 1e6 - start,
         "seconds_waited": drain_end - start if done_us is None else None,
         "last_request_s": None if last_us is None else last_us / 1e6 - start,
         "aggregation": len(seen) / requests if requests else None,
         "sim_counts": stats["counts"], "cpu_seconds": cpu}
    ctx.log(f"storm {cls.label} {'one user' if users is None else 'spread'}: {json.dumps(r)}")
    return r


def measure_storm(ctx):
    """50k alerts in 5k groups posted within 10 s (paced, 100 per POST), through WeCom app
    messages, the simulator's rate limits on (30 / min and 1000 / h per user: over them WeCom
    drops the message silently and answers errcode 0). Two scenarios: every group to one user
    (the on-call person; the per-user limit binds), and the groups spread over
    STORM_SPREAD_USERS users (25 messages each: the limit does not bind, the delivery pipeline
    does).

    Per system, on a fresh simulator: WeCom send requests until every alert appeared in some
    request's content (or ctx.storm_drain seconds after the posting ended), how many of them
    reached the user (not dropped), and the aggregation ratio (alerts per request).
    """
    bodies = storm_bodies()
    return {scenario: {cls.label: storm_one(ctx, cls, bodies, users)
                       for cls in (WecomNotify, Alertmanager)}
            for scenario, users in (("one user", None), (f"{STORM_SPREAD_USERS} users", storm_users()))}


def storm_summary(r):
    total = STORM_GROUPS * STORM_PER_GROUP
    done = (f"all alerts at the simulator after {r['seconds_to_last']:.1f} s"
            if r["seconds_to_last"] is not None else
            f"{r['alerts_reached']:,} of {total:,} alerts at the simulator after "
            f"{r['seconds_waited']:.0f} s (stopped waiting)")
    return (f"{done}; {r['requests']:,} requests ({fmt(r['aggregation'])} alerts/request), "
            f"{r['delivered']:,} reached the user ({r['alerts_delivered']:,} alerts); "
            f"posting took {r['post_seconds']:.1f} s")


def e2e_config(sim, users):
    """group_by the alert's own id (a new group per alert), group_wait 0; a child route per
    user, so that no user receives more than a few messages (WeCom's per-user limit stays out)."""
    routes = "".join(f"    - matchers: ['e2e_user=\"{u}\"']\n      receiver: {u}\n" for u in users)
    return (f"route:\n"
            f"  receiver: {users[0]}\n"
            f"  group_by: [e2e_id]\n"
            f"  group_wait: 0s\n"
            f"  group_interval: 5m\n"
            f"  repeat_interval: 12h\n"
            f"  routes:\n{routes}"
            f"receivers:\n" + "".join(wechat_receiver(u, sim, u) for u in users))


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def e2e_one(ctx, cls):
    n = ctx.e2e_alerts
    users = [f"bench{u:03d}" for u in range(max(10, (n + 9) // 10))]  # <= 11 messages per user
    sim = WecomSim(ctx, users)
    system = None
    latencies, lost = [], 0
    try:
        system = cls(ctx, config=e2e_config(sim, users))
        poster = Poster(system.alerts_url)
        since = 0
        # First one warm-up alert per user, not counted: the first send of each receiver fetches
        # an access token (Alertmanager keeps one per receiver).
        for i in range(-len(users), n):
            aid = f"e2eid{i + len(users):05d}"
            body = json.dumps([{"labels": {"alertname": "BenchE2E", "e2e_id": aid,
                                           "e2e_user": users[i % len(users)],
                                           "instance": aid}}]).encode()
            t0 = time.time()
            ok = poster.post(body)
            got = None
            while ok and got is None and time.time() - t0 < ctx.e2e_timeout:  # bounded
                for m in sim.messages(since):
                    since = m["seq"]
                    if aid in m["content"].get("content", ""):
                        got = m["time_unix_us"] / 1e6 - t0
                if got is None:
                    time.sleep(0.002)
            if i < 0:
                continue
            if got is None:
                lost += 1
            else:
                latencies.append(got * 1000)
        poster.close()
    finally:
        if system is not None:
            system.stop()
        sim.stop()
    r = {"alerts": n, "lost": lost, "p50_ms": percentile(latencies, 50) if latencies else None,
         "p99_ms": percentile(latencies, 99) if latencies else None,
         "max_ms": max(latencies) if latencies else None}
    ctx.log(f"e2e {cls.label}: {json.dumps(r)} latencies_ms={[round(x, 2) for x in latencies]}")
    return r


def measure_e2e(ctx):
    """Alert in (POST /api/v2/alerts) -> WeCom request out (the simulator's receipt timestamp),
    group_wait 0, one alert at a time, each in a new group; ctx.e2e_alerts alerts per system."""
    return {cls.label: e2e_one(ctx, cls) for cls in (WecomNotify, Alertmanager)}


# ----------------------------------------------------------------------------------------------
# profile (optional, --profile): perf on notifyd and webhook-shim under load


def profile(ctx, out_dir):
    perf = shutil.which("perf")
    if not perf or subprocess.run([perf, "record", "-e", "cpu-clock", "-o", "/dev/null", "true"],
                                  capture_output=True).returncode != 0:
        ctx.say("profile: perf record unusable here, skipped")
        return
    os.makedirs(out_dir, exist_ok=True)
    for batch, conns in ((1, 64), (100, 64)):
        system = WecomNotify(ctx)
        try:
            recs = []
            for proc in system.procs:
                data = f"{out_dir}/{proc.bench_name}-b{batch}.perf.data"
                recs.append((proc.bench_name, data, subprocess.Popen(
                    [perf, "record", "-e", "cpu-clock", "-F", "999", "-p", str(proc.pid),
                     "-o", data, "--", "sleep", str(ctx.duration + 1)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
            r = run_wrk(ctx, system.alerts_url, batch, conns, ctx.duration, f"pb{batch}")
            for _, _, p in recs:
                p.wait(timeout=60)
        finally:
            system.stop()
        ctx.say(f"profile batch={batch} conns={conns}: {r['alerts_per_s']:.0f} alerts/s")
        for name, data, _ in recs:
            for sort in ("dso", "dso,symbol"):
                txt = f"{out_dir}/{name}-b{batch}.{sort.replace(',', '-')}.txt"
                with open(txt, "w") as f:
                    subprocess.run([perf, "report", "-i", data, "--stdio", "--no-children",
                                    "--sort", sort, "--percent-limit", "0.5"],
                                   stdout=f, stderr=subprocess.DEVNULL, timeout=300)
                ctx.say(f"  {txt}")


# ----------------------------------------------------------------------------------------------
# the table


def fmt(v, unit=""):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return f"{v:,}{unit}"
    if abs(v) >= 1000:
        return f"{v:,.0f}{unit}"
    if abs(v) >= 10:
        return f"{v:.1f}{unit}"
    return f"{v:.2f}{unit}" if abs(v) >= 0.1 else f"{v:.3f}{unit}"


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


class Table:
    def __init__(self):
        self.rows = []

    def section(self, title):
        self.rows.append(("section", title))

    def row(self, figure, ours, theirs, unit="", want=None, absolute=None):
        """want: ('>=', x) or ('<=', x) on ours/theirs; absolute: ('<', x) on ours alone."""
        r = ratio(ours, theirs) if not isinstance(ours, str) and not isinstance(theirs, str) else None
        met = "—"
        if isinstance(ours, (int, float)):
            checks = []
            if want and r is not None:
                checks.append(r >= want[1] if want[0] == ">=" else r <= want[1])
            if absolute:
                checks.append(ours < absolute[1])
            if checks:
                met = ("yes" if all(checks) else "NO")
                parts = []
                if want and r is not None:
                    parts.append(f"ratio {want[0]} {want[1]:g}×")
                if absolute:
                    parts.append(f"< {absolute[1]:g}{unit}")
                met += f" ({', '.join(parts)})"
        self.rows.append(("row", figure, fmt(ours, unit), fmt(theirs, unit),
                          "—" if r is None else f"{r:.2f}×" if r < 10 else f"{r:.1f}×", met))

    def markdown(self):
        lines = ["| figure | wecom-notify | alertmanager | ratio (wecom-notify / alertmanager) | target met? |",
                 "| --- | ---: | ---: | ---: | --- |"]
        for r in self.rows:
            if r[0] == "section":
                lines.append(f"| **{r[1]}** | | | | |")
            else:
                lines.append("| " + " | ".join(r[1:]) + " |")
        return "\n".join(lines)


# ----------------------------------------------------------------------------------------------


class Ctx:
    def __init__(self, args):
        self.bin = os.path.abspath(args.bin)
        self.work = tempfile.mkdtemp(prefix="wecom-notify-bench.")
        self.procs = Procs(args.pidfile)
        self.duration = args.duration
        self.warmup = args.warmup
        self.settle = args.settle
        self.storm_window = args.storm_window
        self.storm_group_wait = args.storm_group_wait
        self.storm_drain = args.storm_drain
        self.e2e_alerts = args.e2e_alerts
        self.e2e_timeout = args.e2e_timeout
        self.logfile = open(args.log, "w")

    def log(self, text):
        self.logfile.write(text.rstrip("\n") + "\n")
        self.logfile.flush()

    def say(self, text):
        print(text, flush=True)
        self.log(text)


def build_type(bin_dir):
    """CMAKE_BUILD_TYPE of the build tree that holds bin_dir, as its CMakeCache.txt says."""
    cache = os.path.join(os.path.dirname(os.path.abspath(bin_dir)), "CMakeCache.txt")
    try:
        with open(cache, encoding="utf-8") as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    return line.split("=", 1)[1].strip() or "unknown type"
    except OSError:
        pass
    return "unknown type"


def git_describe():
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except Exception:
        return "unknown"


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = 0
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024
    return f"{os.cpu_count()} × {model}, {mem} MiB RAM, {platform.release()}"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="directory holding notifyd, webhook-shim, notify_load")
    ap.add_argument("--out", required=True, help="results file (Markdown)")
    ap.add_argument("--log", required=True, help="raw log of every run")
    ap.add_argument("--pidfile", required=True)
    ap.add_argument("--duration", type=int, default=10, help="seconds per measured load point")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per load point")
    ap.add_argument("--settle", type=float, default=2, help="seconds before reading RSS")
    ap.add_argument("--profile", metavar="DIR", help="also profile with perf into DIR")
    ap.add_argument("--only", default=",".join(PARTS),
                    help=f"comma-separated subset of {','.join(PARTS)} (default: all)")
    ap.add_argument("--storm-window", type=float, default=10,
                    help="seconds over which the storm's 50k alerts are posted")
    ap.add_argument("--storm-group-wait", default="1s", help="group_wait of the storm route")
    ap.add_argument("--storm-drain", type=float, default=60,
                    help="seconds after the storm's last POST to wait for the notifications")
    ap.add_argument("--e2e-alerts", type=int, default=100,
                    help="alerts (one at a time) per system in the end-to-end latency run")
    ap.add_argument("--e2e-timeout", type=float, default=10,
                    help="seconds to wait for one end-to-end alert's WeCom request")
    args = ap.parse_args()
    only = set(args.only.split(","))
    if not only <= set(PARTS):
        ap.error(f"--only: unknown part(s) {','.join(sorted(only - set(PARTS)))}; "
                 f"choose from {','.join(PARTS)}")

    ctx = Ctx(args)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    started = time.monotonic()
    am_version = subprocess.run([ALERTMANAGER, "--version"], capture_output=True,
                                text=True).stdout.splitlines()[0]
    header = [
        f"# wecom-notify benchmark — {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        "",
        f"- commit: {git_describe()}; {build_type(args.bin)} build (`{args.bin}`)",
        f"- machine: {machine()}; load average at start: {loadavg()}",
        f"- compared with: {am_version} (`--cluster.listen-address=`); both systems read the "
        "same route YAML: a null receiver for ingest, gRPC and memory (every alert routed and "
        "grouped, nothing sent); for storm and end-to-end a `wechat_configs` receiver, to a "
        "wecom-sim with WeCom's rate limits on",
        f"- parts run: {', '.join(p for p in PARTS if p in only)}",
        *([f"- load: wrk 4.1 (`-t2`, Lua script bench/wrk/alerts.lua, distinct alerts), "
           f"{args.warmup} s warm-up + {args.duration} s measured per load point, "
           "each system started fresh per load point, all on 127.0.0.1"]
          if only & {"ingest", "grpc"} else []),
        "- **durable acknowledgement: ON.** notifyd writes accepted alerts to SQLite (WAL, "
        "synchronous=NORMAL, group commit) under --storage.path before a 200 / OK. "
        "Alertmanager acknowledges from memory (it does not persist alerts).",
        "- the machine is shared and noisy: the figures are what this run measured, not a "
        "controlled lab result.",
    ]
    print("\n".join(header), flush=True)
    ctx.log("\n".join(header))

    table = Table()
    points = [(1, 8), (1, 64), (100, 8), (100, 64)]
    ingest, grpc, memory, storm, e2e, listing = {}, {}, {}, None, None, {}
    platform_memory = {}
    try:
        # ingest, alternating which system goes first
        for i, (batch, conns) in enumerate(points if "ingest" in only else []):
            order = ((WecomNotify, WecomNotifyOneProcess, Alertmanager, HttpFloor) if i % 2 == 0
                     else (HttpFloor, Alertmanager, WecomNotifyOneProcess, WecomNotify))
            ctx.say(f"ingest: batch {batch}, {conns} connections ...")
            ingest[(batch, conns)] = measure_ingest(ctx, batch, conns, order)
            for label in ("wecom-notify", "one process", "alertmanager", "http floor"):
                r = ingest[(batch, conns)][label]
                ctx.say(f"  {label:13} {r['alerts_per_s']:10.0f} alerts/s  p50 {r['p50_ms']:8.2f} ms"
                        f"  p99 {r['p99_ms']:8.2f} ms  errors {r['errors']}"
                        f"  CPU-s/100k {fmt(r['cpu_per_100k'])}")
        for batch, conc in points if "grpc" in only else []:
            ctx.say(f"grpc Notify direct: batch {batch}, {conc} in flight ...")
            r = grpc[(batch, conc)] = measure_grpc(ctx, batch, conc)
            ctx.say(f"  notifyd       {r['alerts_per_s']:10.0f} alerts/s  p50 {r['p50_ms']:8.2f} ms"
                    f"  p99 {r['p99_ms']:8.2f} ms  errors {r['errors']:.0f}")
        for cls in (WecomNotify, WecomNotifyOneProcess, Alertmanager) if "memory" in only else ():
            ctx.say(f"memory: {cls.label} idle, 10k, 100k active alerts ...")
            r = memory[cls.label] = measure_memory(ctx, cls)
            ctx.say(f"  {cls.label:13} idle {r['idle'] / 1024:.1f} MiB, 10k {r['10k'] / 1024:.1f} MiB, "
                    f"100k {r['100k'] / 1024:.1f} MiB, {r['per_alert_kib'] * 1024:.0f} B/alert, "
                    f"{r['cpu_100k']:.2f} CPU-s/100k")
        for cls in (WecomNotify, Alertmanager) if "memory" in only else ():
            ctx.say(f"memory: {cls.label}, 100k platform-shaped alerts ...")
            r = platform_memory[cls.label] = measure_memory(ctx, cls, platform_alert)
            ctx.say(f"  {cls.label:13} {r['per_alert_kib'] * 1024:.0f} B/alert")
        if "storm" in only:
            ctx.say(f"storm: {STORM_GROUPS * STORM_PER_GROUP:,} alerts in {STORM_GROUPS:,} groups "
                    f"within {args.storm_window:g} s, WeCom rate limits on ...")
            storm = measure_storm(ctx)
            for scenario, by_label in storm.items():
                for label, r in by_label.items():
                    ctx.say(f"  {scenario}, {label}: {storm_summary(r)}")
        if "e2e" in only:
            ctx.say(f"end-to-end: {args.e2e_alerts} alerts one at a time, group_wait 0 ...")
            e2e = measure_e2e(ctx)
            for label, r in e2e.items():
                ctx.say(f"  {label:13} p50 {fmt(r['p50_ms'], ' ms')}  p99 {fmt(r['p99_ms'], ' ms')}"
                        f"  max {fmt(r['max_ms'], ' ms')}  lost {r['lost']}")
        for cls in (WecomNotify, Alertmanager) if "listing" in only else ():
            ctx.say(f"listing: {cls.label}, 1 alert/request at 8 connections while listing "
                    f"{LISTING_ALERTS:,} alerts in a loop ...")
            r = listing[cls.label] = measure_listing(ctx, cls)
            ctx.say(f"  {cls.label:13} {r['alerts_per_s']:10.0f} alerts/s  p99 {r['p99_ms']:8.2f} ms"
                    f"  {r['listings']} listings, median {fmt(r['listing_ms'], ' ms')}")
        if args.profile:
            ctx.say(f"profile: perf on notifyd and webhook-shim -> {args.profile}")
            profile(ctx, args.profile)
    finally:
        ctx.procs.stop_all()
        shutil.rmtree(ctx.work, ignore_errors=True)

    # ---- table
    checks, notes = [], []
    if ingest:
        table.section("Ingest: POST /api/v2/alerts (wecom-notify: webhook-shim → notifyd)")
    for (batch, conns), by_label in ingest.items():
        w, a = by_label["wecom-notify"], by_label["alertmanager"]
        p = f"{batch} alert{'s' if batch > 1 else ''}/request, {conns} conns"
        table.row(f"{p}: alerts/s", w["alerts_per_s"], a["alerts_per_s"], want=(">=", 10))
        table.row(f"{p}: p50 latency", w["p50_ms"], a["p50_ms"], unit=" ms")
        table.row(f"{p}: p99 latency", w["p99_ms"], a["p99_ms"], unit=" ms", absolute=("<", 10))
        table.row(f"{p}: CPU-s per 100k alerts", w["cpu_per_100k"], a["cpu_per_100k"],
                  want=("<=", 0.1))
        o = by_label["one process"]
        table.row(f"{p}, one process (notifyd --alerts-api, no shim): alerts/s",
                  o["alerts_per_s"], a["alerts_per_s"], want=(">=", 10))
        table.row(f"{p}, one process: p99 latency", o["p99_ms"], a["p99_ms"], unit=" ms",
                  absolute=("<", 10))
        table.row(f"{p}, one process: CPU-s per 100k alerts", o["cpu_per_100k"],
                  a["cpu_per_100k"], want=("<=", 0.1))
        f = by_label["http floor"]
        table.row(f"{p}, HTTP floor (nginx answering 204, no work): requests × batch / s",
                  f["alerts_per_s"], a["alerts_per_s"])
        table.row(f"{p}, HTTP floor: CPU-s per 100 000 × batch requests", f["cpu_per_100k"],
                  a["cpu_per_100k"])
        for label, r in by_label.items():
            if r["errors"]:
                checks.append(f"- {label}, batch {batch}, {conns} conns: {r['errors']} failed "
                              f"requests (non-2xx, socket errors or timeouts) — see the log")
            if label == "http floor":
                continue
            checks.append(f"- {label}, batch {batch}, {conns} conns: client counted "
                          f"{r['alerts']:,} acknowledged alerts, server counted "
                          f"{r['server_received']:,.0f} received")
    if ingest:
        notes += ["", "HTTP floor: nginx answering every POST with 204 without looking at it, under "
                  "the same wrk load — the HTTP round trip alone on this machine, wrk included. No "
                  "server that takes alerts over HTTP can reach more here, so its ratio is the "
                  "most any HTTP ingest can show against Alertmanager on this machine."]
    if grpc:
        table.section("gRPC Notify direct (bench/notify_load → notifyd; Alertmanager has no gRPC API)")
    for (batch, conc), r in grpc.items():
        p = f"{batch} alert{'s' if batch > 1 else ''}/call, {conc} in flight"
        table.row(f"{p}: alerts/s", r["alerts_per_s"], "n/a")
        table.row(f"{p}: p50 latency", r["p50_ms"], "n/a", unit=" ms")
        table.row(f"{p}: p99 latency", r["p99_ms"], "n/a", unit=" ms")
        table.row(f"{p}: CPU-s per 100k alerts (notifyd)", r["cpu_per_100k"], "n/a")
    if memory:
        table.section("Memory (VmRSS; wecom-notify = notifyd + webhook-shim) and CPU")
        w, a = memory["wecom-notify"], memory["alertmanager"]
        table.row("RSS idle", w["idle"] / 1024, a["idle"] / 1024, unit=" MiB", absolute=("<", 15))
        table.row("  of which anonymous (RssAnon; the rest is mapped library code)",
                  w["idle_anon"] / 1024, a["idle_anon"] / 1024, unit=" MiB")
        table.row("  PSS idle (pages shared by notifyd and the shim counted once)",
                  w["idle_pss"] / 1024, a["idle_pss"] / 1024, unit=" MiB")
        table.row("RSS with 10k active alerts", w["10k"] / 1024, a["10k"] / 1024, unit=" MiB")
        table.row("RSS with 100k active alerts", w["100k"] / 1024, a["100k"] / 1024, unit=" MiB")
        table.row("RSS per active alert ((100k − idle) / 100k)", w["per_alert_kib"] * 1024,
                  a["per_alert_kib"] * 1024, unit=" B", want=("<=", 0.1))
        table.row("CPU-s per 100k alerts ingested (100/request, 1 conn)", w["cpu_100k"],
                  a["cpu_100k"], want=("<=", 0.1))
        pw, pa = platform_memory["wecom-notify"], platform_memory["alertmanager"]
        table.row("RSS per active platform alert (KubePodCrashLooping-shaped, 11 labels)",
                  pw["per_alert_kib"] * 1024, pa["per_alert_kib"] * 1024, unit=" B",
                  want=("<=", 0.1))
        o = memory["one process"]
        table.row("one process (notifyd --alerts-api, no shim): RSS idle", o["idle"] / 1024,
                  a["idle"] / 1024, unit=" MiB", absolute=("<", 15))
        table.row("one process: RSS per active alert", o["per_alert_kib"] * 1024,
                  a["per_alert_kib"] * 1024, unit=" B", want=("<=", 0.1))
        for label in ("wecom-notify", "one process", "alertmanager"):
            checks.append(f"- memory, {label}: server counted {memory[label]['received']:,.0f} "
                          f"alerts received (100,000 posted)")
        for label, r in platform_memory.items():
            checks.append(f"- memory, {label}, platform alerts: server counted "
                          f"{r['received']:,.0f} alerts received (100,000 posted)")
        notes += ["", f"Idle RSS split: notifyd {w['idle_notifyd'] / 1024:.1f} MiB, webhook-shim "
                  f"{w['idle_shim'] / 1024:.1f} MiB. CPU-s per 100k alerts in the ingest rows are "
                  "utime + stime of the server processes over the measured window (wrk's own CPU "
                  "not counted; on 2 cores wrk competes with the servers for CPU)."]
    for scenario, by_label in (storm or {}).items():
        total = STORM_GROUPS * STORM_PER_GROUP
        table.section(f"Storm, {scenario}: {total:,} alerts in {STORM_GROUPS:,} groups posted "
                      f"within {args.storm_window:g} s, WeCom rate limits on (wecom-sim)")
        w, a = by_label["wecom-notify"], by_label["alertmanager"]

        def until_all(r):
            if r["seconds_to_last"] is not None:
                return r["seconds_to_last"]
            return f"not all within {r['seconds_waited']:.0f} s"

        p = f"storm, {scenario}"
        table.row(f"{p}: s from the first POST until every alert reached the simulator",
                  until_all(w), until_all(a), unit=" s")
        table.row(f"{p}: alerts that reached the simulator (of {total:,})",
                  w["alerts_reached"], a["alerts_reached"])
        table.row(f"{p}: WeCom send requests", w["requests"], a["requests"])
        table.row(f"{p}: alerts per WeCom request (aggregation ratio)", w["aggregation"],
                  a["aggregation"])
        table.row(f"{p}: requests that reached the user (the rest: dropped silently by WeCom's "
                  "per-user limit)", w["delivered"], a["delivered"])
        table.row(f"{p}: alerts the users saw (in delivered requests)", w["alerts_delivered"],
                  a["alerts_delivered"])
        table.row(f"{p}: s to post the alerts (server-paced)", w["post_seconds"],
                  a["post_seconds"], unit=" s")
        for label, r in by_label.items():
            c = r["sim_counts"]
            checks.append(f"- {p}, {label}: {r['post_failed']:,} alerts in failed POSTs; "
                          f"simulator counted {c['messages']:,} accepted sends, {c['rejected']:,} "
                          f"rejected, {c['dropped']:,} person-times dropped by the rate limit, "
                          f"{c['tokens_issued']:,} tokens issued; last request "
                          f"{fmt(r['last_request_s'], ' s')} after the first POST; "
                          f"{r['cpu_seconds']:.1f} CPU-s in the system's processes")
    if storm:
        notes += ["", "Storm: WeCom allows 30 app messages per minute and 1000 per hour per user; "
                  "above that it drops the message silently and still answers errcode 0 (the "
                  "simulator does the same). notifyd's limiter waits for a free slot instead of "
                  "sending into the drop, so it never loses a message but needs about one message "
                  "per group: at 30/min and 1000/h, 5,000 groups take hours. Alertmanager sends "
                  "every group at once and WeCom drops all but the first 30. Spread over "
                  f"{STORM_SPREAD_USERS} users (25 messages each) the limit does not bind and the "
                  "figure is the delivery pipeline's. 'not all within N s' = the run stopped "
                  "waiting (--storm-drain)."]
    if e2e:
        table.section(f"End-to-end: POST /api/v2/alerts → WeCom request at the simulator, "
                      f"group_wait 0, {args.e2e_alerts} alerts one at a time, each a new group")
        w, a = e2e["wecom-notify"], e2e["alertmanager"]
        table.row("end-to-end latency p50", w["p50_ms"], a["p50_ms"], unit=" ms")
        table.row("end-to-end latency p99", w["p99_ms"], a["p99_ms"], unit=" ms")
        for label, r in e2e.items():
            checks.append(f"- end-to-end, {label}: {r['alerts'] - r['lost']} of {r['alerts']} "
                          f"alerts arrived within {args.e2e_timeout:g} s, max "
                          f"{fmt(r['max_ms'], ' ms')}")

    if listing:
        table.section(f"Ingest while listing: 1 alert/request, 8 conns, while one client lists the "
                      f"{LISTING_ALERTS:,} alerts held (GET /api/v2/alerts) in a loop")
        w, a = listing["wecom-notify"], listing["alertmanager"]
        table.row("while listing: alerts/s", w["alerts_per_s"], a["alerts_per_s"])
        table.row("while listing: p99 latency", w["p99_ms"], a["p99_ms"], unit=" ms",
                  absolute=("<", 10))
        table.row("while listing: listings completed", w["listings"], a["listings"])
        table.row("while listing: median listing time", w["listing_ms"], a["listing_ms"],
                  unit=" ms")
        for label, r in listing.items():
            checks.append(f"- listing, {label}: {r['listings_failed']} failed listings; "
                          f"{r['errors']} failed posts")

    elapsed = time.monotonic() - started
    text = "\n".join(header + [
        "", table.markdown(), "",
        "Ratio = wecom-notify / alertmanager. Targets (issue 7): ≥ 10× Alertmanager's alerts/s at "
        "every load point, p99 < 10 ms, ≤ 1/10 of its RSS and CPU per alert, notifyd + shim idle "
        "< 15 MiB. Benchmark figures, never asserted in tests.",
        *notes, "",
        "Cross-checks (client vs. server counters; the server may count a few requests still in "
        "flight when wrk stops):", *checks, "",
        f"Finished in {elapsed:.0f} s; load average at end: {loadavg()}. Raw log: {args.log}",
    ])
    with open(args.out, "w") as f:
        f.write(text + "\n")
    print()
    print(table.markdown())
    print()
    print(f"results: {args.out}\nraw log: {args.log}")


if __name__ == "__main__":
    main()
