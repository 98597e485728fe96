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
             from /proc/<pid>/stat (utime + stime) over the measured window.
  grpc       bench/notify_load (C++ callback client) straight at notifyd's Notify.
  memory     VmRSS from /proc/<pid>/status: idle, after 10k and 100k distinct active alerts
             (posted in batches of 100 on one keep-alive connection), and CPU-seconds for the
             100k alerts.
  storm, e2e not yet measurable: they need the dispatch engine (grouping, WeCom delivery) and
             the WeCom simulator in the loop. The rows are printed as n/a; fill in
             measure_storm() / measure_e2e() when the engine lands.
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WRK = "/usr/bin/wrk"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
LUA = os.path.join(REPO, "bench", "wrk", "alerts.lua")

NA_ENGINE = "n/a (not measured yet: measure_storm / measure_e2e are stubs)"

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


def scrape(url):
    """A /metrics page; a loaded server may answer slowly, so a few tries with a long timeout."""
    for _ in range(3):
        status, text = http_get(url, timeout=10)
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


class WecomNotify:
    label = "wecom-notify"

    def __init__(self, ctx, with_shim=True):
        self.ctx = ctx
        self.dir = tempfile.mkdtemp(prefix="notify-", dir=ctx.work)
        self.grpc_addr = f"127.0.0.1:{free_port()}"
        self.web_port = free_port()
        self.shim_port = free_port()
        bin_dir = ctx.bin
        self.notifyd = ctx.procs.start(
            "notifyd",
            [f"{bin_dir}/notifyd", f"--grpc.listen-address={self.grpc_addr}",
             f"--web.listen-address=127.0.0.1:{self.web_port}",
             f"--storage.path={self.dir}/data"],
            f"{self.dir}/notifyd.log")
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


class Alertmanager:
    label = "alertmanager"

    CONFIG = """# Null receiver: the notification pipeline has nothing to send, ingest is measured alone.
route:
  receiver: 'null'
receivers:
  - name: 'null'
"""

    def __init__(self, ctx):
        self.ctx = ctx
        self.dir = tempfile.mkdtemp(prefix="am-", dir=ctx.work)
        self.port = free_port()
        with open(f"{self.dir}/alertmanager.yml", "w") as f:
            f.write(self.CONFIG)
        self.proc = ctx.procs.start(
            "alertmanager",
            [ALERTMANAGER, f"--config.file={self.dir}/alertmanager.yml",
             f"--storage.path={self.dir}/data", f"--web.listen-address=127.0.0.1:{self.port}",
             "--cluster.listen-address="],
            f"{self.dir}/alertmanager.log")
        self.procs = [self.proc]
        wait_ready(f"http://127.0.0.1:{self.port}/-/ready", self.procs, self.label)
        self.alerts_url = f"http://127.0.0.1:{self.port}/api/v2/alerts"

    @property
    def pids(self):
        return [self.proc.pid]

    def received(self):
        return metric_sum(scrape(f"http://127.0.0.1:{self.port}/metrics"),
                          "alertmanager_alerts_received_total")

    def stop(self):
        self.ctx.procs.stop(self.proc)


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


def post_alerts(url, first, count, batch=100, prefix="mem"):
    """Posts alerts first..first+count-1 (distinct) on one keep-alive connection; bounded."""
    host, port = url.split("/")[2].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        for start in range(first, first + count, batch):
            body = json.dumps([
                {"labels": {"alertname": "BenchMemory", "job": "bench", "severity": "warning",
                            "instance": f"{prefix}-{i}"},
                 "annotations": {"summary": f"bench alert {i}"},
                 "generatorURL": "http://127.0.0.1/bench"}
                for i in range(start, min(start + batch, first + count))]).encode()
            conn.request("POST", "/api/v2/alerts", body, {"Content-Type": "application/json"})
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
            before_cpu, before_rx = cpu_seconds(system.pids), system.received()
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


def measure_memory(ctx, cls):
    system = cls(ctx)
    try:
        time.sleep(ctx.settle)
        r = {"idle": sum(rss_kib(p) for p in system.pids),
             "idle_anon": sum(rss_kib(p, "RssAnon") for p in system.pids)}
        if isinstance(system, WecomNotify):
            r["idle_notifyd"] = rss_kib(system.notifyd.pid)
            r["idle_shim"] = rss_kib(system.shim.pid)
        cpu0 = cpu_seconds(system.pids)
        post_alerts(system.alerts_url, 0, 10_000)
        time.sleep(ctx.settle)
        r["10k"] = sum(rss_kib(p) for p in system.pids)
        post_alerts(system.alerts_url, 10_000, 90_000)
        r["cpu_100k"] = cpu_seconds(system.pids) - cpu0
        time.sleep(ctx.settle)
        r["100k"] = sum(rss_kib(p) for p in system.pids)
        r["received"] = system.received()
        r["per_alert_kib"] = (r["100k"] - r["idle"]) / 100_000
    finally:
        system.stop()
    ctx.log(f"memory {cls.label}: {json.dumps(r)}")
    return r


def measure_storm(ctx):
    """50k alerts in 5k groups within 10 s, WeCom rate limits on, through the WeCom simulator.

    Needs the dispatch engine (grouping, WeCom delivery) and wecom-sim in the loop. Return a dict
    {"seconds_to_last": float, "messages": int, "aggregation": alerts per message} once it exists.
    """
    return None


def measure_e2e(ctx):
    """Alert in (POST /api/v2/alerts) -> WeCom request out at the simulator, group_wait 0.

    Needs the dispatch engine. Return {"p50_ms": float, "p99_ms": float} once it exists.
    """
    return None


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
        self.logfile = open(args.log, "w")

    def log(self, text):
        self.logfile.write(text.rstrip("\n") + "\n")
        self.logfile.flush()

    def say(self, text):
        print(text, flush=True)
        self.log(text)


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
    args = ap.parse_args()

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
        f"- commit: {git_describe()}; Release build",
        f"- machine: {machine()}; load average at start: {loadavg()}",
        f"- compared with: {am_version} (`--cluster.listen-address=`, null receiver)",
        f"- load: wrk 4.1 (`-t2`, Lua script bench/wrk/alerts.lua, distinct alerts), "
        f"{args.warmup} s warm-up + {args.duration} s measured per load point, "
        "each system started fresh per load point, all on 127.0.0.1",
        "- **durable acknowledgement: ON.** notifyd writes accepted alerts to SQLite (WAL, "
        "synchronous=NORMAL, group commit) under --storage.path before a 200 / OK. "
        "Alertmanager acknowledges from memory (it does not persist alerts).",
        "- the machine is shared and noisy: the figures are what this run measured, not a "
        "controlled lab result.",
    ]
    print("\n".join(header), flush=True)
    ctx.log("\n".join(header))

    table = Table()
    try:
        # ingest, alternating which system goes first
        points = [(1, 8), (1, 64), (100, 8), (100, 64)]
        ingest = {}
        for i, (batch, conns) in enumerate(points):
            order = (WecomNotify, Alertmanager) if i % 2 == 0 else (Alertmanager, WecomNotify)
            ctx.say(f"ingest: batch {batch}, {conns} connections ...")
            ingest[(batch, conns)] = measure_ingest(ctx, batch, conns, order)
            for label in ("wecom-notify", "alertmanager"):
                r = ingest[(batch, conns)][label]
                ctx.say(f"  {label:13} {r['alerts_per_s']:10.0f} alerts/s  p50 {r['p50_ms']:8.2f} ms"
                        f"  p99 {r['p99_ms']:8.2f} ms  errors {r['errors']}"
                        f"  CPU-s/100k {fmt(r['cpu_per_100k'])}")
        grpc = {}
        for batch, conc in points:
            ctx.say(f"grpc Notify direct: batch {batch}, {conc} in flight ...")
            r = grpc[(batch, conc)] = measure_grpc(ctx, batch, conc)
            ctx.say(f"  notifyd       {r['alerts_per_s']:10.0f} alerts/s  p50 {r['p50_ms']:8.2f} ms"
                    f"  p99 {r['p99_ms']:8.2f} ms  errors {r['errors']:.0f}")
        memory = {}
        for cls in (WecomNotify, Alertmanager):
            ctx.say(f"memory: {cls.label} idle, 10k, 100k active alerts ...")
            r = memory[cls.label] = measure_memory(ctx, cls)
            ctx.say(f"  {cls.label:13} idle {r['idle'] / 1024:.1f} MiB, 10k {r['10k'] / 1024:.1f} MiB, "
                    f"100k {r['100k'] / 1024:.1f} MiB, {r['per_alert_kib'] * 1024:.0f} B/alert, "
                    f"{r['cpu_100k']:.2f} CPU-s/100k")
        storm = measure_storm(ctx)
        e2e = measure_e2e(ctx)
        if args.profile:
            ctx.say(f"profile: perf on notifyd and webhook-shim -> {args.profile}")
            profile(ctx, args.profile)
    finally:
        ctx.procs.stop_all()
        shutil.rmtree(ctx.work, ignore_errors=True)

    # ---- table
    table.section("Ingest: POST /api/v2/alerts (wecom-notify: webhook-shim → notifyd)")
    for batch, conns in points:
        w, a = ingest[(batch, conns)]["wecom-notify"], ingest[(batch, conns)]["alertmanager"]
        p = f"{batch} alert{'s' if batch > 1 else ''}/request, {conns} conns"
        table.row(f"{p}: alerts/s", w["alerts_per_s"], a["alerts_per_s"], want=(">=", 10))
        table.row(f"{p}: p50 latency", w["p50_ms"], a["p50_ms"], unit=" ms")
        table.row(f"{p}: p99 latency", w["p99_ms"], a["p99_ms"], unit=" ms", absolute=("<", 10))
        table.row(f"{p}: CPU-s per 100k alerts", w["cpu_per_100k"], a["cpu_per_100k"],
                  want=("<=", 0.1))
    table.section("gRPC Notify direct (bench/notify_load → notifyd; Alertmanager has no gRPC API)")
    for batch, conc in points:
        r = grpc[(batch, conc)]
        p = f"{batch} alert{'s' if batch > 1 else ''}/call, {conc} in flight"
        table.row(f"{p}: alerts/s", r["alerts_per_s"], "n/a")
        table.row(f"{p}: p50 latency", r["p50_ms"], "n/a", unit=" ms")
        table.row(f"{p}: p99 latency", r["p99_ms"], "n/a", unit=" ms")
        table.row(f"{p}: CPU-s per 100k alerts (notifyd)", r["cpu_per_100k"], "n/a")
    table.section("Memory (VmRSS; wecom-notify = notifyd + webhook-shim) and CPU")
    w, a = memory["wecom-notify"], memory["alertmanager"]
    table.row("RSS idle", w["idle"] / 1024, a["idle"] / 1024, unit=" MiB", absolute=("<", 15))
    table.row("  of which anonymous (RssAnon; the rest is mapped library code)",
              w["idle_anon"] / 1024, a["idle_anon"] / 1024, unit=" MiB")
    table.row("RSS with 10k active alerts", w["10k"] / 1024, a["10k"] / 1024, unit=" MiB")
    table.row("RSS with 100k active alerts", w["100k"] / 1024, a["100k"] / 1024, unit=" MiB")
    table.row("RSS per active alert ((100k − idle) / 100k)", w["per_alert_kib"] * 1024,
              a["per_alert_kib"] * 1024, unit=" B", want=("<=", 0.1))
    table.row("CPU-s per 100k alerts ingested (100/request, 1 conn)", w["cpu_100k"], a["cpu_100k"],
              want=("<=", 0.1))
    table.section("Storm and end-to-end (not yet measurable)")
    for figure, value in (
            ("storm: 50k alerts / 5k groups in 10 s → s until all delivered",
             storm and storm["seconds_to_last"]),
            ("storm: WeCom messages sent (aggregation ratio)", storm and storm["messages"]),
            ("end-to-end alert in → WeCom request out, group_wait 0: p50", e2e and e2e["p50_ms"]),
            ("end-to-end alert in → WeCom request out, group_wait 0: p99", e2e and e2e["p99_ms"])):
        if value is None:
            table.rows.append(("row", figure, NA_ENGINE, NA_ENGINE, "—", "—"))
        else:
            table.row(figure, value, None)

    checks = []
    for batch, conns in points:
        for label in ("wecom-notify", "alertmanager"):
            r = ingest[(batch, conns)][label]
            if r["errors"]:
                checks.append(f"- {label}, batch {batch}, {conns} conns: {r['errors']} failed "
                              f"requests (non-2xx, socket errors or timeouts) — see the log")
            checks.append(f"- {label}, batch {batch}, {conns} conns: client counted "
                          f"{r['alerts']:,} acknowledged alerts, server counted "
                          f"{r['server_received']:,.0f} received")
    for label in ("wecom-notify", "alertmanager"):
        checks.append(f"- memory, {label}: server counted {memory[label]['received']:,.0f} "
                      f"alerts received (100,000 posted)")
    w = memory["wecom-notify"]
    elapsed = time.monotonic() - started
    text = "\n".join(header + [
        "", table.markdown(), "",
        "Ratio = wecom-notify / alertmanager. Targets (issue 7): ≥ 10× Alertmanager's alerts/s at "
        "every load point, p99 < 10 ms, ≤ 1/10 of its RSS and CPU per alert, notifyd + shim idle "
        "< 15 MiB. Benchmark figures, never asserted in tests.",
        "",
        f"Idle RSS split: notifyd {w['idle_notifyd'] / 1024:.1f} MiB, webhook-shim "
        f"{w['idle_shim'] / 1024:.1f} MiB. CPU-s per 100k alerts in the ingest rows are "
        "utime + stime of the server processes over the measured window (wrk's own CPU not "
        "counted; on 2 cores wrk competes with the servers for CPU).",
        "",
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
