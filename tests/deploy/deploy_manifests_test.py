#!/usr/bin/python3
"""Checks deploy/ against the real binaries.

Every YAML file under deploy/ is parsed; the flags used in the Kubernetes manifests, the
Dockerfile and the systemd units must appear in the binaries' --help; ports, probe ports, Service
targetPorts, ServiceMonitor endpoints and the receiver URLs must agree with the listen addresses
in the container args; the HTTP paths they name are requested from the binaries, started on
127.0.0.1 with the manifests' own flags and configuration, and must answer 200; the Dockerfile
must build with scripts/install-deps.sh, copy CMake targets that exist and install exactly the
Debian packages owning the libraries the binaries load; amtool and promtool validate the
Alertmanager, Prometheus and rule files, and the rules must fire as
tests/deploy/prometheusrule_test.yml expects (promtool test rules).

Usage: deploy_manifests_test.py --notifyd BIN --webhook-shim BIN --source-dir DIR
Standard library + python3-yaml; python3-grpcio (already a test dependency) for the gRPC probe.
"""

import argparse
import glob
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

import yaml

NOTIFYD = "notifyd"
SHIM = "webhook-shim"
BINARIES = (NOTIFYD, SHIM)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
ANY_HOSTS = {"", "0.0.0.0", "::", "[::]"}
# Shared libraries of a sanitizer build (scripts/test.sh runs every test under ASan + UBSan);
# a Release image never loads them.
SANITIZER_PACKAGE = re.compile(r"^lib(asan|ubsan|lsan|tsan|hwasan)\d+$")
# Runtime packages the Dockerfile may install without a library of the binaries needing them.
RUNTIME_EXTRAS = {
    "ca-certificates": "HTTPS to the WeCom API needs the CA bundle",
    # Boost.System is header-only in use; an optimized build inlines it away, an unoptimized
    # (e.g. sanitizer) build still links libboost_system.so. Installed so either build runs.
    "libboost-system1.74.0": "linked by unoptimized builds of Boost.Asio users",
}
# The files deploy/ must contain (relative to deploy/).
REQUIRED_FILES = [
    "README.md",
    "kubernetes/deployment.yaml", "kubernetes/service.yaml", "kubernetes/configmap.yaml",
    "kubernetes/secret.example.yaml", "kubernetes/pvc.yaml", "kubernetes/servicemonitor.yaml",
    "kubernetes/alertmanagerconfig.yaml", "kubernetes/prometheusrule.yaml",
    "kubernetes/kustomization.yaml",
    "alertmanager/alertmanager.yml", "prometheus/prometheus.yml",
    "docker/Dockerfile", "systemd/notifyd.service", "systemd/webhook-shim.service",
]


class CheckFailed(Exception):
    pass


class Context:
    """What one check learns and the next one needs."""

    def __init__(self, args):
        self.source_dir = os.path.abspath(args.source_dir)
        self.deploy_dir = os.path.join(self.source_dir, "deploy")
        self.binaries = {NOTIFYD: os.path.abspath(args.notifyd),
                         SHIM: os.path.abspath(args.webhook_shim)}
        self.errors = []
        self.yaml_docs = {}        # relative path -> [documents]
        self.help_flags = {}       # binary -> set of flag names
        self.objects = {}          # (kind, name) -> Kubernetes object
        self.namespace = None
        self.containers = {}       # binary -> container spec
        self.flags = {}            # binary -> {flag: value} from the Deployment
        self.listen = {}           # (binary, role) -> port; roles: grpc, web
        self.pod_ports = {}        # port name or number -> (binary, role)
        self.service_ports = {}    # service port number -> (binary, role)
        self.service_port_names = {}  # service port name -> (binary, role)
        self.http_paths = set()    # (binary, method, path) the manifests rely on
        self.config_text = None    # notifyd.yml from the ConfigMap
        self.secret_files = {}     # mount path of a Secret volume in notifyd -> {key: content}
        self.dockerfile = None

    def fail(self, message):
        self.errors.append(message)

    def rel(self, path):
        return os.path.relpath(path, self.source_dir)


# ----------------------------------------------------------------------------------------------
# helpers


def split_host_port(address):
    """'0.0.0.0:9097' -> ('0.0.0.0', 9097); ':9099' -> ('', 9099); '[::]:1' -> ('[::]', 1)."""
    m = re.fullmatch(r"(\[[^\]]*\]|[^:\[\]]*):(\d+)", address)
    if not m:
        raise CheckFailed(f"not a host:port listen address: {address!r}")
    return m.group(1), int(m.group(2))


def parse_flags(ctx, binary, argv, where):
    """Checks --flag=value arguments against the binary's --help; returns {flag: value}."""
    known = ctx.help_flags[binary]
    out = {}
    for arg in argv:
        m = re.fullmatch(r"--([A-Za-z0-9][\w.-]*)=(.*)", arg, re.S)
        if not m:
            ctx.fail(f"{where}: argument {arg!r} is not of the form --flag=value")
            continue
        flag, value = m.group(1), m.group(2)
        if flag not in known:
            ctx.fail(f"{where}: {binary} has no flag --{flag} (its --help lists: "
                     f"{', '.join(sorted(known))})")
        if flag in out:
            ctx.fail(f"{where}: --{flag} given twice")
        out[flag] = value
    return out


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_request(port, method, path, body=None, headers=None, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def run(cmd, **kwargs):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=60, **kwargs)


def service_host_matches(ctx, host, where):
    """The host of a URL must name the Service: <svc>.<ns>[.svc[.cluster.local]]."""
    svc = ctx.objects.get(("Service", "wecom-notify"))
    if svc is None:
        raise CheckFailed("no Service wecom-notify")
    name, ns = svc["metadata"]["name"], svc["metadata"]["namespace"]
    allowed = {f"{name}.{ns}", f"{name}.{ns}.svc", f"{name}.{ns}.svc.cluster.local"}
    if host not in allowed:
        ctx.fail(f"{where}: host {host!r} is not the Service (one of {sorted(allowed)})")


def service_target(ctx, port, where):
    """(binary, role) behind a Service port number, or None after recording a failure."""
    target = ctx.service_ports.get(port)
    if target is None:
        ctx.fail(f"{where}: port {port} is not a port of the Service "
                 f"(ports: {sorted(ctx.service_ports)})")
    return target


def camel_to_snake(value):
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower(): camel_to_snake(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [camel_to_snake(v) for v in value]
    return value


# ----------------------------------------------------------------------------------------------
# checks, in order; each may rely on what the earlier ones stored in ctx


def check_files_and_yaml(ctx):
    for rel in REQUIRED_FILES:
        if not os.path.isfile(os.path.join(ctx.deploy_dir, rel)):
            ctx.fail(f"deploy/{rel} is missing")
    paths = sorted(glob.glob(os.path.join(ctx.deploy_dir, "**", "*.yaml"), recursive=True)
                   + glob.glob(os.path.join(ctx.deploy_dir, "**", "*.yml"), recursive=True))
    if not paths:
        raise CheckFailed("no YAML file under deploy/")
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                docs = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            ctx.fail(f"{ctx.rel(path)}: {e}")
            continue
        if not docs:
            ctx.fail(f"{ctx.rel(path)}: empty")
        ctx.yaml_docs[os.path.relpath(path, ctx.deploy_dir)] = docs
    print(f"  parsed {len(paths)} YAML files")


def check_help(ctx):
    for binary, path in ctx.binaries.items():
        proc = run([path, "--help"])
        if proc.returncode != 0:
            raise CheckFailed(f"{path} --help exited {proc.returncode}: {proc.stdout}")
        # Option lines start with the flag: "  --web.listen-address arg (=:9099)  ...".
        flags = set(re.findall(r"^\s+(?:-\w \[ )?--([A-Za-z0-9][\w.-]*)", proc.stdout, re.M))
        if "help" not in flags or "log.level" not in flags:
            raise CheckFailed(f"cannot read the flags of {binary} --help:\n{proc.stdout}")
        ctx.help_flags[binary] = flags
        print(f"  {binary}: {len(flags)} flags")


def check_kubernetes_objects(ctx):
    kustomization = None
    for rel, docs in ctx.yaml_docs.items():
        if not rel.startswith("kubernetes/"):
            continue
        for doc in docs:
            if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
                ctx.fail(f"deploy/{rel}: a document without apiVersion/kind")
                continue
            if doc["kind"] == "Kustomization":
                kustomization = (rel, doc)
                continue
            meta = doc.get("metadata") or {}
            if not meta.get("name"):
                ctx.fail(f"deploy/{rel}: {doc['kind']} without metadata.name")
                continue
            key = (doc["kind"], meta["name"])
            if key in ctx.objects:
                ctx.fail(f"deploy/{rel}: {key} defined twice")
            doc["_file"] = rel
            ctx.objects[key] = doc
    for kind, name in [("Deployment", "wecom-notify"), ("Service", "wecom-notify"),
                       ("ConfigMap", "wecom-notify-config"), ("Secret", "wecom-notify-secrets"),
                       ("PersistentVolumeClaim", "wecom-notify-data"),
                       ("ServiceMonitor", "wecom-notify"), ("AlertmanagerConfig", "wecom-notify"),
                       ("PrometheusRule", "wecom-notify")]:
        if (kind, name) not in ctx.objects:
            raise CheckFailed(f"no {kind} {name} under deploy/kubernetes")
    if kustomization is None:
        raise CheckFailed("no Kustomization under deploy/kubernetes")
    rel, kust = kustomization
    ctx.namespace = kust.get("namespace")
    for obj in ctx.objects.values():
        ns = obj["metadata"].get("namespace")
        if ns != ctx.namespace:
            ctx.fail(f"deploy/{obj['_file']}: namespace {ns!r}, kustomization says "
                     f"{ctx.namespace!r}")
    resources = kust.get("resources") or []
    kdir = os.path.join(ctx.deploy_dir, os.path.dirname(rel))
    for res in resources:
        if not os.path.isfile(os.path.join(kdir, res)):
            ctx.fail(f"deploy/{rel}: resource {res} does not exist")
    for rel2 in ctx.yaml_docs:
        if rel2.startswith("kubernetes/") and rel2 != rel:
            base = os.path.basename(rel2)
            if base == "secret.example.yaml":
                if base in resources:
                    ctx.fail(f"deploy/{rel}: lists {base}; its placeholder secrets must never "
                             "be applied")
            elif base not in resources:
                ctx.fail(f"deploy/{rel}: does not list {base}")


def check_deployment(ctx):
    dep = ctx.objects[("Deployment", "wecom-notify")]
    where = f"deploy/{dep['_file']}"
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"].get("labels") or {}
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        ctx.fail(f"{where}: selector {selector} does not match the pod labels {labels}")

    # One container per binary, started by absolute path with --flag=value args.
    for c in pod.get("containers", []):
        cmd = c.get("command") or []
        if len(cmd) != 1 or not cmd[0].startswith("/"):
            ctx.fail(f"{where}: container {c.get('name')}: command must be the binary's absolute "
                     f"path, got {cmd}")
            continue
        binary = os.path.basename(cmd[0])
        if binary not in BINARIES:
            ctx.fail(f"{where}: container {c.get('name')} runs {cmd[0]}, not one of {BINARIES}")
            continue
        if binary in ctx.containers:
            ctx.fail(f"{where}: two containers run {binary}")
        ctx.containers[binary] = c
        ctx.flags[binary] = parse_flags(ctx, binary, c.get("args") or [],
                                        f"{where}: container {c['name']}")
    for binary in BINARIES:
        if binary not in ctx.containers:
            raise CheckFailed(f"{where}: no container runs {binary}")
    images = {c.get("image") for c in ctx.containers.values()}
    if len(images) != 1:
        ctx.fail(f"{where}: the containers use different images {images}; the Dockerfile builds one")

    # Listen addresses: reachable from outside the pod, and the shim reaches notifyd on loopback.
    roles = {NOTIFYD: {"grpc": "grpc.listen-address", "web": "web.listen-address"},
             SHIM: {"web": "web.listen-address"}}
    for binary, by_role in roles.items():
        for role, flag in by_role.items():
            value = ctx.flags[binary].get(flag)
            if value is None:
                ctx.fail(f"{where}: {binary} needs --{flag} (its default listens on loopback "
                         "only or is not stated in the manifest)")
                continue
            host, port = split_host_port(value)
            if host not in ANY_HOSTS:
                ctx.fail(f"{where}: {binary} --{flag}={value}: other pods and Prometheus cannot "
                         "reach it; listen on 0.0.0.0 or an empty host")
            ctx.listen[(binary, role)] = port
    notify_address = ctx.flags[SHIM].get("notify.address", "127.0.0.1:9097")
    host, port = split_host_port(notify_address)
    if host not in LOOPBACK_HOSTS or port != ctx.listen.get((NOTIFYD, "grpc")):
        ctx.fail(f"{where}: webhook-shim --notify.address={notify_address} is not notifyd's gRPC "
                 f"port on the pod's loopback (127.0.0.1:{ctx.listen.get((NOTIFYD, 'grpc'))})")

    # Container ports: exactly the listen ports of their container.
    for binary, c in ctx.containers.items():
        declared = {}
        for p in c.get("ports") or []:
            declared[p["containerPort"]] = p.get("name")
        wanted = {port: role for (b, role), port in ctx.listen.items() if b == binary}
        if set(declared) != set(wanted):
            ctx.fail(f"{where}: {binary} declares containerPorts {sorted(declared)}, it listens "
                     f"on {sorted(wanted)}")
        for port, name in declared.items():
            if port in wanted:
                ctx.pod_ports[port] = (binary, wanted[port])
                if name:
                    ctx.pod_ports[name] = (binary, wanted[port])

    # Probes.
    for binary, c in ctx.containers.items():
        for kind in ("livenessProbe", "readinessProbe"):
            probe = c.get(kind)
            if not probe:
                ctx.fail(f"{where}: {binary} has no {kind}")
                continue
            if "grpc" in probe:
                if kind == "livenessProbe":
                    ctx.fail(f"{where}: {binary} livenessProbe is the gRPC health check, which "
                             "reports readiness (NOT_SERVING while the store fails writes): the "
                             "kubelet would restart notifyd in a loop; use httpGet /-/healthy")
                port = probe["grpc"].get("port")
                if not isinstance(port, int):
                    ctx.fail(f"{where}: {binary} {kind}: a gRPC probe takes a port number, got "
                             f"{port!r}")
                elif ctx.pod_ports.get(port) != (binary, "grpc"):
                    ctx.fail(f"{where}: {binary} {kind}: gRPC probe on port {port}, which is not "
                             f"{binary}'s gRPC listen port")
            elif "httpGet" in probe:
                get = probe["httpGet"]
                target = ctx.pod_ports.get(get.get("port"))
                if target != (binary, "web"):
                    ctx.fail(f"{where}: {binary} {kind}: httpGet port {get.get('port')!r} is not "
                             f"{binary}'s HTTP listen port")
                path = get.get("path", "/")
                ctx.http_paths.add((binary, "GET", path))
                if kind == "livenessProbe" and path == "/-/ready":
                    ctx.fail(f"{where}: {binary} livenessProbe uses /-/ready, which fails whenever "
                             "notifyd is down; use /-/healthy")
            else:
                ctx.fail(f"{where}: {binary} {kind}: expected a grpc or httpGet probe")
    if not any("grpc" in (ctx.containers[NOTIFYD].get(k) or {})
               for k in ("livenessProbe", "readinessProbe")):
        ctx.fail(f"{where}: notifyd has no native gRPC probe")

    # Volumes: storage, configuration, secrets.
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    mounts = {m["mountPath"].rstrip("/"): m for m in ctx.containers[NOTIFYD].get("volumeMounts") or []}
    storage = ctx.flags[NOTIFYD].get("storage.path", "data/").rstrip("/")
    m = mounts.get(storage)
    if m is None:
        ctx.fail(f"{where}: notifyd --storage.path={storage} is not a volume mount; the state "
                 "would live in the container's (read-only) root filesystem")
    else:
        vol = volumes.get(m["name"], {})
        if m.get("readOnly"):
            ctx.fail(f"{where}: the --storage.path mount is read-only")
        if "persistentVolumeClaim" in vol:
            claim = vol["persistentVolumeClaim"].get("claimName")
            pvc = ctx.objects.get(("PersistentVolumeClaim", claim))
            if pvc is None:
                ctx.fail(f"{where}: volume {m['name']} claims {claim!r}, no such PVC")
            elif "ReadWriteOnce" in (pvc["spec"].get("accessModes") or []):
                if spec.get("replicas", 1) != 1:
                    ctx.fail(f"{where}: a ReadWriteOnce claim serves one replica, not "
                             f"{spec.get('replicas')}")
                if (spec.get("strategy") or {}).get("type") != "Recreate":
                    ctx.fail(f"{where}: with a ReadWriteOnce claim the strategy must be Recreate "
                             "(a rolling update would wait for the volume forever)")
        elif "emptyDir" not in vol:
            ctx.fail(f"{where}: the --storage.path volume is neither a PVC nor an emptyDir")
    config_file = ctx.flags[NOTIFYD].get("config.file")
    if not config_file:
        ctx.fail(f"{where}: notifyd has no --config.file")
    else:
        m = mounts.get(os.path.dirname(config_file))
        vol = volumes.get(m["name"], {}) if m else {}
        if "configMap" not in vol:
            ctx.fail(f"{where}: --config.file={config_file} is not in a ConfigMap volume mount")
        else:
            cm = ctx.objects.get(("ConfigMap", vol["configMap"]["name"]))
            key = os.path.basename(config_file)
            for item in vol["configMap"].get("items") or []:
                if item.get("path") == key:
                    key = item["key"]
            if cm is None or key not in (cm.get("data") or {}):
                ctx.fail(f"{where}: ConfigMap {vol['configMap']['name']} has no key {key}")
            else:
                ctx.config_text = cm["data"][key]
    secret_vols = [v for v in volumes.values() if "secret" in v]
    if not secret_vols:
        ctx.fail(f"{where}: the WeCom secrets are not mounted from a Secret")
    for v in secret_vols:
        secret = ctx.objects.get(("Secret", v["secret"].get("secretName")))
        if secret is None:
            ctx.fail(f"{where}: volume {v['name']} mounts Secret {v['secret'].get('secretName')}, "
                     "which secret.example.yaml does not define")
            continue
        for path, m in mounts.items():
            if m["name"] == v["name"]:
                ctx.secret_files[path] = dict(secret.get("stringData") or {})
    sc = pod.get("securityContext") or {}
    if sc.get("runAsNonRoot") is not True or not sc.get("runAsUser"):
        ctx.fail(f"{where}: the pod must set runAsNonRoot: true and a non-zero runAsUser")


def check_service(ctx):
    svc = ctx.objects[("Service", "wecom-notify")]
    where = f"deploy/{svc['_file']}"
    pod_labels = ctx.objects[("Deployment", "wecom-notify")]["spec"]["template"]["metadata"]["labels"]
    selector = svc["spec"].get("selector") or {}
    if not selector or any(pod_labels.get(k) != v for k, v in selector.items()):
        ctx.fail(f"{where}: selector {selector} does not select the pod (labels {pod_labels})")
    for p in svc["spec"].get("ports") or []:
        target = p.get("targetPort", p.get("port"))
        behind = ctx.pod_ports.get(target)
        if behind is None:
            ctx.fail(f"{where}: port {p.get('name')}: targetPort {target!r} is no container port")
            continue
        listen = ctx.listen[behind]
        if p["port"] != listen:
            ctx.fail(f"{where}: port {p.get('name')} is {p['port']} but forwards to {listen}; "
                     "keep them equal so in-cluster URLs use the binaries' ports")
        ctx.service_ports[p["port"]] = behind
        if p.get("name"):
            ctx.service_port_names[p["name"]] = behind
    for role in ctx.listen:
        if role not in ctx.service_ports.values():
            ctx.fail(f"{where}: no Service port reaches {role[0]}'s {role[1]} listener")


def check_servicemonitor(ctx):
    sm = ctx.objects[("ServiceMonitor", "wecom-notify")]
    svc = ctx.objects[("Service", "wecom-notify")]
    where = f"deploy/{sm['_file']}"
    sel = (sm["spec"].get("selector") or {}).get("matchLabels") or {}
    svc_labels = svc["metadata"].get("labels") or {}
    if not sel or any(svc_labels.get(k) != v for k, v in sel.items()):
        ctx.fail(f"{where}: selector {sel} does not select the Service (labels {svc_labels})")
    names = (sm["spec"].get("namespaceSelector") or {}).get("matchNames")
    if names is not None and svc["metadata"]["namespace"] not in names:
        ctx.fail(f"{where}: namespaceSelector {names} misses {svc['metadata']['namespace']}")
    scraped = set()
    for ep in sm["spec"].get("endpoints") or []:
        behind = ctx.service_port_names.get(ep.get("port"))
        if behind is None:
            ctx.fail(f"{where}: endpoint port {ep.get('port')!r} is no named Service port")
            continue
        if behind[1] != "web":
            ctx.fail(f"{where}: endpoint {ep['port']} is {behind[0]}'s {behind[1]} port, not HTTP")
            continue
        ctx.http_paths.add((behind[0], "GET", ep.get("path", "/metrics")))
        scraped.add(behind[0])
    for binary in BINARIES:
        if binary not in scraped:
            ctx.fail(f"{where}: {binary}'s /metrics is not scraped")


def check_webhook_url(ctx, url, where):
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http":
        ctx.fail(f"{where}: {url}: the shim serves plain HTTP in the manifests")
    service_host_matches(ctx, u.hostname, where)
    target = service_target(ctx, u.port or 80, f"{where}: {url}")
    if target and target != (SHIM, "web"):
        ctx.fail(f"{where}: {url} reaches {target[0]}'s {target[1]} port, not webhook-shim")
    if u.path != "/webhook":
        ctx.fail(f"{where}: {url}: Alertmanager webhooks go to /webhook")
    ctx.http_paths.add((SHIM, "POST", u.path))


def check_alerting_configs(ctx):
    # AlertmanagerConfig (Prometheus Operator).
    amc = ctx.objects[("AlertmanagerConfig", "wecom-notify")]
    where = f"deploy/{amc['_file']}"
    urls = [w.get("url") for r in amc["spec"].get("receivers") or []
            for w in r.get("webhookConfigs") or []]
    if not urls:
        ctx.fail(f"{where}: no webhookConfigs")
    for url in urls:
        check_webhook_url(ctx, url, where)
    # Plain alertmanager.yml.
    am = ctx.yaml_docs["alertmanager/alertmanager.yml"][0]
    urls = [w.get("url") for r in am.get("receivers") or [] for w in r.get("webhook_configs") or []]
    if not urls:
        ctx.fail("deploy/alertmanager/alertmanager.yml: no webhook_configs")
    for url in urls:
        check_webhook_url(ctx, url, "deploy/alertmanager/alertmanager.yml")
    # prometheus.yml: the shim as an Alertmanager, and the scrape targets.
    where = "deploy/prometheus/prometheus.yml"
    prom = ctx.yaml_docs["prometheus/prometheus.yml"][0]
    ams = (prom.get("alerting") or {}).get("alertmanagers") or []
    if not ams:
        ctx.fail(f"{where}: no alerting.alertmanagers")
    for am_cfg in ams:
        if am_cfg.get("api_version", "v2") != "v2":
            ctx.fail(f"{where}: the shim serves API v2 only, api_version is {am_cfg['api_version']}")
        prefix = am_cfg.get("path_prefix", "/").rstrip("/")
        for sc in am_cfg.get("static_configs") or []:
            for t in sc.get("targets") or []:
                host, port = split_host_port(t)
                service_host_matches(ctx, host, where)
                if service_target(ctx, port, f"{where}: {t}") not in (None, (SHIM, "web")):
                    ctx.fail(f"{where}: alertmanager target {t} is not webhook-shim")
        ctx.http_paths.add((SHIM, "POST", prefix + "/api/v2/alerts"))
    scraped = set()
    for job in prom.get("scrape_configs") or []:
        for sc in job.get("static_configs") or []:
            for t in sc.get("targets") or []:
                host, port = split_host_port(t)
                service_host_matches(ctx, host, where)
                target = service_target(ctx, port, f"{where}: {t}")
                if target and target[1] != "web":
                    ctx.fail(f"{where}: scrape target {t} is {target[0]}'s gRPC port")
                elif target:
                    ctx.http_paths.add((target[0], "GET", job.get("metrics_path", "/metrics")))
                    scraped.add(target[0])
    for binary in BINARIES:
        if binary not in scraped:
            ctx.fail(f"{where}: {binary} is not scraped")


def check_amtool_promtool(ctx):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(ctx.deploy_dir, "alertmanager", "alertmanager.yml")
        proc = run(["amtool", "check-config", path])
        if proc.returncode != 0:
            ctx.fail(f"amtool check-config {ctx.rel(path)}:\n{proc.stdout}")
        # The AlertmanagerConfig's route and receivers are Alertmanager's own in camelCase: convert
        # them and let amtool judge (extend camel_to_snake if matchers or secrets get used).
        amc = ctx.objects[("AlertmanagerConfig", "wecom-notify")]["spec"]
        converted = {"route": camel_to_snake(amc["route"]),
                     "receivers": camel_to_snake(amc["receivers"])}
        conv = os.path.join(tmp, "alertmanagerconfig-as-alertmanager.yml")
        with open(conv, "w") as f:
            yaml.safe_dump(converted, f)
        proc = run(["amtool", "check-config", conv])
        if proc.returncode != 0:
            ctx.fail(f"amtool check-config on alertmanagerconfig.yaml's spec:\n{proc.stdout}")
        # Check that the two configurations route the same way.
        am = ctx.yaml_docs["alertmanager/alertmanager.yml"][0]
        if converted["route"].get("repeat_interval") != (am.get("route") or {}).get(
                "repeat_interval"):
            ctx.fail("alertmanagerconfig.yaml and alertmanager.yml use different repeat_interval")

        rule = ctx.objects[("PrometheusRule", "wecom-notify")]
        rules = os.path.join(tmp, "rules.yml")
        with open(rules, "w") as f:
            yaml.safe_dump({"groups": rule["spec"]["groups"]}, f)
        proc = run(["promtool", "check", "rules", rules])
        if proc.returncode != 0:
            ctx.fail(f"promtool check rules (deploy/{rule['_file']} spec.groups):\n{proc.stdout}")
        rule_tests = os.path.join(tmp, "prometheusrule_test.yml")
        shutil.copy(os.path.join(ctx.source_dir, "tests", "deploy", "prometheusrule_test.yml"),
                    rule_tests)
        proc = run(["promtool", "test", "rules", rule_tests])
        if proc.returncode != 0:
            ctx.fail(f"promtool test rules tests/deploy/prometheusrule_test.yml:\n{proc.stdout}")
        svc_name = ctx.objects[("Service", "wecom-notify")]["metadata"]["name"]
        for group in rule["spec"]["groups"]:
            for r in group.get("rules") or []:
                for job in re.findall(r'\bjob\s*=\s*"([^"]*)"', str(r.get("expr"))):
                    if job != svc_name:
                        ctx.fail(f"deploy/{rule['_file']}: {r.get('alert')}: job={job!r}, but the "
                                 f"ServiceMonitor's job label is the Service name {svc_name!r}")
        path = os.path.join(ctx.deploy_dir, "prometheus", "prometheus.yml")
        proc = run(["promtool", "check", "config", "--syntax-only", path])
        if proc.returncode != 0:
            ctx.fail(f"promtool check config {ctx.rel(path)}:\n{proc.stdout}")
        prom = ctx.yaml_docs["prometheus/prometheus.yml"][0]
        for job in prom.get("scrape_configs") or []:
            if job.get("job_name") != svc_name:
                ctx.fail(f"deploy/prometheus/prometheus.yml: job_name {job.get('job_name')!r} "
                         f"differs from the ServiceMonitor's job {svc_name!r} the rules use")


def parse_dockerfile(path):
    """[(instruction, argument text)] with continuations joined and comments dropped."""
    out, buf = [], ""
    with open(path) as f:
        for line in f:
            stripped = line.strip()
            if stripped.startswith("#") or not stripped:
                continue  # also inside a continuation, as Docker does
            if stripped.endswith("\\"):
                buf += stripped[:-1] + " "
                continue
            buf += stripped
            instr, _, rest = buf.partition(" ")
            out.append((instr.upper(), rest.strip()))
            buf = ""
    return out


def ldd_packages(ctx):
    """{Debian package: 'library (binary)'} for every shared library the binaries load."""
    libs = {}  # library path -> binary
    for binary, path in ctx.binaries.items():
        proc = run(["ldd", path])
        if proc.returncode != 0:
            raise CheckFailed(f"ldd {path}: {proc.stdout}")
        for line in proc.stdout.splitlines():
            if "not found" in line:
                ctx.fail(f"ldd {path}: {line.strip()}")
                continue
            m = re.match(r"\s*(\S+)(?:\s+=>\s+(\S+))?", line)
            lib = m.group(2) or m.group(1)
            if lib.startswith("/"):  # not linux-vdso
                libs.setdefault(lib, binary)
    # /lib is /usr/lib on Debian 12, but dpkg knows each file under the name its package ships.
    aliases = {}
    for lib in libs:
        for cand in {lib, os.path.realpath(lib)}:
            for alias in (cand, "/usr" + cand if not cand.startswith("/usr/") else cand[4:]):
                aliases[alias] = lib
    # One dpkg call for all (it takes about a second per call).
    proc = run(["dpkg", "-S"] + sorted(aliases))
    owners = {}
    for line in proc.stdout.splitlines():
        pkgs, sep, path = line.partition(": ")
        if sep and path.strip() in aliases:
            owners[aliases[path.strip()]] = pkgs.split(",")[0].split(":")[0].strip()
    packages = {}
    for lib, binary in sorted(libs.items()):
        if lib not in owners:
            ctx.fail(f"no Debian package owns {lib} (loaded by {binary})")
        else:
            packages.setdefault(owners[lib], f"{lib} ({binary})")
    return packages


def check_dockerfile(ctx):
    path = os.path.join(ctx.deploy_dir, "docker", "Dockerfile")
    where = ctx.rel(path)
    instrs = parse_dockerfile(path)
    stages = []
    for instr, arg in instrs:
        if instr == "FROM":
            words = arg.split()
            stages.append({"image": words[0],
                           "name": words[2] if len(words) >= 3 and words[1].upper() == "AS" else None,
                           "instrs": []})
        elif not stages:
            if instr != "ARG":
                ctx.fail(f"{where}: {instr} before FROM")
        else:
            stages[-1]["instrs"].append((instr, arg))
    if len(stages) < 2:
        raise CheckFailed(f"{where}: not multi-stage ({len(stages)} stage)")
    build, runtime = stages[0], stages[-1]
    if build["image"] not in ("debian:12", "debian:bookworm"):
        ctx.fail(f"{where}: the build stage is FROM {build['image']}, not debian:12")
    if runtime["image"] not in ("debian:12-slim", "debian:bookworm-slim"):
        ctx.fail(f"{where}: the runtime stage is FROM {runtime['image']}, not debian:12-slim")

    # Build stage: the README's installer, then the CMake targets.
    with open(os.path.join(ctx.source_dir, "README.md")) as f:
        if "scripts/install-deps.sh" not in f.read():
            ctx.fail("README.md no longer names scripts/install-deps.sh")
    runs = [a for i, a in build["instrs"] if i == "RUN"]
    copies = [a for i, a in build["instrs"] if i == "COPY"]
    install_idx = next((k for k, (i, a) in enumerate(build["instrs"])
                        if i == "RUN" and re.search(r"\bbash scripts/install-deps\.sh\b", a)), None)
    if install_idx is None:
        ctx.fail(f"{where}: the build stage does not run `bash scripts/install-deps.sh`")
    elif not any(i == "COPY" and ("scripts/install-deps.sh" in a.split() or a.split()[0] == ".")
                 for i, a in build["instrs"][:install_idx]):
        ctx.fail(f"{where}: scripts/install-deps.sh is run before it is copied in")
    if not any(a.split()[:2] == [".", "."] for a in copies):
        ctx.fail(f"{where}: the source tree is not copied into the build stage (COPY . .)")
    targets = set()
    for cml in glob.glob(os.path.join(ctx.source_dir, "services", "*", "CMakeLists.txt")):
        with open(cml) as f:
            targets |= set(re.findall(r"add_executable\(\s*([\w-]+)", f.read()))
    built, build_dir = set(), None
    for a in runs:
        for cmd in re.split(r"&&|;", a):
            words = shlex.split(cmd)
            if words[:1] == ["cmake"] and "-B" in words:
                build_dir = words[words.index("-B") + 1]
                if "-DCMAKE_BUILD_TYPE=Release" not in words:
                    ctx.fail(f"{where}: the CMake configure is not a Release build: {cmd.strip()}")
            if words[:2] == ["cmake", "--build"] and "--target" in words:
                built |= {w for w in words[words.index("--target") + 1:] if not w.startswith("-")}
    if not built:
        ctx.fail(f"{where}: no `cmake --build ... --target ...` in the build stage")
    for t in sorted(built - targets):
        ctx.fail(f"{where}: builds target {t}, which no services/*/CMakeLists.txt defines "
                 f"(targets: {sorted(targets)})")

    # Runtime stage: copies of built binaries, packages, user, ports.
    copied = {}  # basename -> destination path
    for instr, arg in runtime["instrs"]:
        if instr == "COPY" and arg.startswith("--from="):
            words = arg.split()
            stage = words[0].split("=", 1)[1]
            if stage != build["name"]:
                ctx.fail(f"{where}: COPY {arg}: no stage named {stage}")
            srcs, dest = words[1:-1], words[-1]
            for src in srcs:
                name = os.path.basename(src)
                if name not in built:
                    ctx.fail(f"{where}: copies {src}, which the build stage does not build")
                if build_dir and os.path.dirname(src) != build_dir.rstrip("/") + "/bin":
                    ctx.fail(f"{where}: copies {src}, but CMake puts executables in "
                             f"{build_dir.rstrip('/')}/bin")
                copied[name] = os.path.join(dest, name) if dest.endswith("/") or len(srcs) > 1 \
                    else dest
    for binary in BINARIES:
        if binary not in copied:
            ctx.fail(f"{where}: the runtime stage does not copy {binary}")
    for binary, c in ctx.containers.items():
        if c["command"][0] != copied.get(binary):
            ctx.fail(f"deploy/kubernetes/deployment.yaml: runs {c['command'][0]}, the image has "
                     f"{binary} at {copied.get(binary)}")

    listed = set()
    for instr, arg in runtime["instrs"]:
        if instr == "RUN":
            for cmd in re.split(r"&&|;", arg):
                words = shlex.split(cmd)
                if words[:2] == ["apt-get", "install"]:
                    listed |= {w for w in words[2:] if not w.startswith("-")}
    needed = {pkg: why for pkg, why in ldd_packages(ctx).items()
              if not SANITIZER_PACKAGE.match(pkg)}
    for pkg in sorted(set(needed) - listed):
        ctx.fail(f"{where}: the runtime stage does not install {pkg}, which provides {needed[pkg]}")
    for pkg in sorted(listed - set(needed) - set(RUNTIME_EXTRAS)):
        ctx.fail(f"{where}: the runtime stage installs {pkg}, which no library of the binaries "
                 "needs (add it to RUNTIME_EXTRAS in this test with the reason if it is needed)")
    print(f"  runtime packages from ldd: {len(needed)}; listed: {len(listed)}")

    user = [a for i, a in runtime["instrs"] if i == "USER"]
    uid = user[-1].split(":")[0] if user else "0"
    if not uid.isdigit() or uid == "0":
        ctx.fail(f"{where}: the runtime stage must end with a numeric non-root USER (got {uid!r}); "
                 "runAsNonRoot can only verify numeric IDs")
    sc = ctx.objects[("Deployment", "wecom-notify")]["spec"]["template"]["spec"].get(
        "securityContext") or {}
    if uid.isdigit() and sc.get("runAsUser") != int(uid):
        ctx.fail(f"deploy/kubernetes/deployment.yaml: runAsUser {sc.get('runAsUser')} is not the "
                 f"image's USER {uid}")
    exposed = set()
    for i, a in runtime["instrs"]:
        if i == "EXPOSE":
            exposed |= {int(p.split("/")[0]) for p in a.split()}
    if exposed != set(ctx.listen.values()):
        ctx.fail(f"{where}: EXPOSE {sorted(exposed)}, the binaries listen on "
                 f"{sorted(set(ctx.listen.values()))} in the Deployment")
    for i, a in runtime["instrs"]:
        if i in ("CMD", "ENTRYPOINT"):
            try:
                argv = json.loads(a)
            except ValueError:
                ctx.fail(f"{where}: {i} must use the JSON (exec) form so signals reach the binary")
                continue
            binary = os.path.basename(argv[0])
            if binary not in copied:
                ctx.fail(f"{where}: {i} runs {argv[0]}, which the image does not contain")
            else:
                flags = parse_flags(ctx, binary, argv[1:], f"{where}: {i}")
                for flag in ("grpc.listen-address", "web.listen-address"):
                    if flag in flags and split_host_port(flags[flag])[0] not in ANY_HOSTS:
                        ctx.fail(f"{where}: {i} --{flag}={flags[flag]} is unreachable from "
                                 "outside the container")


def parse_unit(path):
    """{section: [(key, value)]} of a systemd unit, continuation lines joined."""
    sections, current, buf = {}, None, ""
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not buf and (not line.strip() or line.lstrip()[:1] in ("#", ";")):
                continue
            if line.endswith("\\"):
                buf += line[:-1] + " "
                continue
            line, buf = buf + line, ""
            m = re.fullmatch(r"\[(\w+)\]", line.strip())
            if m:
                current = sections.setdefault(m.group(1), [])
                continue
            key, sep, value = line.partition("=")
            if not sep or current is None:
                raise CheckFailed(f"{path}: cannot parse {line!r}")
            current.append((key.strip(), value.strip()))
    return sections


def check_systemd(ctx):
    units = {}
    for binary in BINARIES:
        path = os.path.join(ctx.deploy_dir, "systemd", f"{binary}.service")
        where = ctx.rel(path)
        unit = parse_unit(path)
        service = dict(unit.get("Service", []))
        exec_start = service.get("ExecStart", "")
        argv = shlex.split(exec_start)
        if not argv or os.path.basename(argv[0]) != binary or not argv[0].startswith("/"):
            ctx.fail(f"{where}: ExecStart must start {binary} by absolute path: {exec_start!r}")
            continue
        flags = parse_flags(ctx, binary, argv[1:], f"{where}: ExecStart")
        units[binary] = (where, unit, service, flags, argv[0])
        if service.get("DynamicUser") != "yes" and service.get("User", "root") in ("root", "0"):
            ctx.fail(f"{where}: runs as root; set DynamicUser=yes or User=")
        for key, value in [("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                           ("PrivateTmp", "yes"), ("NoNewPrivileges", "yes"),
                           ("CapabilityBoundingSet", "")]:
            if service.get(key) != value:
                ctx.fail(f"{where}: expected {key}={value}, got {service.get(key)!r}")
        if "WantedBy" not in dict(unit.get("Install", [])):
            ctx.fail(f"{where}: no [Install] WantedBy=")
    if set(units) != set(BINARIES):
        return
    where, _, service, flags, _ = units[NOTIFYD]
    state = service.get("StateDirectory")
    storage = flags.get("storage.path", "data/").rstrip("/")
    if not state or storage != f"/var/lib/{state}":
        ctx.fail(f"{where}: --storage.path={storage} is not the StateDirectory "
                 f"(/var/lib/{state}); with ProtectSystem=strict nothing else is writable")
    grpc = flags.get("grpc.listen-address", "127.0.0.1:9097")
    where_s, unit_s, _, flags_s, _ = units[SHIM]
    notify = flags_s.get("notify.address", "127.0.0.1:9097")
    gh, gp = split_host_port(grpc)
    nh, np_ = split_host_port(notify)
    if gp != np_ or (gh in LOOPBACK_HOSTS and nh not in LOOPBACK_HOSTS):
        ctx.fail(f"{where_s}: --notify.address={notify} does not reach notifyd's "
                 f"--grpc.listen-address={grpc}")
    after = " ".join(v for k, v in unit_s.get("Unit", []) if k == "After").split()
    if "notifyd.service" not in after:
        ctx.fail(f"{where_s}: not After=notifyd.service")

    # systemd's own verdict, with ExecStart pointed at the built binary (it checks the path).
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        print("  SKIP systemd-analyze verify/security: systemd-analyze is not installed")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for binary, (where, _, _, _, exe) in units.items():
            with open(os.path.join(ctx.deploy_dir, "systemd", f"{binary}.service")) as f:
                text = f.read().replace(exe, ctx.binaries[binary])
            unit_path = os.path.join(tmp, f"{binary}.service")
            with open(unit_path, "w") as f:
                f.write(text)
            proc = run([analyze, "verify", unit_path])
            # verify also reports problems of unrelated host units; keep the lines about ours.
            ours = [l for l in proc.stdout.splitlines() if f"{binary}.service" in l]
            if ours:
                ctx.fail(f"{where}: systemd-analyze verify:\n" + "\n".join(ours))
            proc = run([analyze, "security", "--offline=yes", unit_path])
            m = re.search(r"Overall exposure level for \S+: ([\d.]+)", proc.stdout)
            if not m:
                ctx.fail(f"{where}: systemd-analyze security gave no exposure level:\n"
                         f"{proc.stdout[-2000:]}")
            elif float(m.group(1)) > 2.0:
                ctx.fail(f"{where}: systemd-analyze security exposure {m.group(1)} > 2.0")
            else:
                print(f"  {binary}.service: systemd exposure level {m.group(1)}")


class Process:
    def __init__(self, argv, log_path):
        self.argv = argv
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        """SIGTERM by PID. Returns the exit code, None if it had to be killed, or "gone" if it
        had already exited (a failure reported where it was noticed)."""
        if self.proc.poll() is not None:
            self.log.close()
            return "gone"
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self.log.close()
        return rc


def wait_for(port, path, proc, want=200, timeout=15):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        if proc.proc.poll() is not None:
            raise CheckFailed(f"{' '.join(proc.argv)} exited {proc.proc.returncode}:\n"
                              f"{proc.output()}")
        try:
            last = http_request(port, "GET", path, timeout=2)
            if last[0] == want:
                return
        except OSError as e:
            last = e
        time.sleep(0.1)
    raise CheckFailed(f"GET 127.0.0.1:{port}{path} never answered {want} (last: {last})")


def grpc_health_serving(port):
    """grpc.health.v1.Health/Check with service "", as Kubernetes' grpc probe sends it."""
    import grpc  # python3-grpcio
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        # HealthCheckRequest{service: ""} encodes to no bytes; SERVING (1) as field 1 is 08 01.
        return check(b"", timeout=5) == b"\x08\x01"


def pod_config_here(ctx, tmp):
    """The ConfigMap's notifyd.yml as the pod would read it, laid out under `tmp`: each Secret
    volume's keys (the example's placeholders) become files under tmp, and the configuration's
    paths into a mount point there. WeCom's API URL becomes a closed port on 127.0.0.1, so a
    delivery attempt never leaves the machine. Every secret file the configuration names must be
    a key of a mounted Secret (else notifyd would not start in the pod)."""
    config = yaml.safe_load(ctx.config_text) or {}
    for i, (mount, files) in enumerate(sorted(ctx.secret_files.items())):
        here = os.path.join(tmp, f"secret-volume-{i}")
        os.makedirs(here)
        for key, content in files.items():
            with open(os.path.join(here, key), "w") as f:
                f.write(content)
        for receiver in config.get("receivers") or []:
            for kind, key in (("wecom_configs", "api_secret_file"),
                              ("wecom_robot_configs", "webhook_key_file")):
                for entry in receiver.get(kind) or []:
                    path = entry.get(key)
                    if path and os.path.dirname(path).rstrip("/") == mount:
                        if os.path.basename(path) not in files:
                            ctx.fail(f"deploy/kubernetes/configmap.yaml: {key} {path} is no key "
                                     f"of the Secret mounted at {mount}")
                        entry[key] = os.path.join(here, os.path.basename(path))
    config.setdefault("global", {})["wecom_api_url"] = f"http://127.0.0.1:{free_port()}/cgi-bin/"
    return yaml.safe_dump(config, sort_keys=False)


def check_binaries_serve(ctx):
    """Starts both binaries with the Deployment's flags and configuration (listen addresses moved
    to free ports on 127.0.0.1, storage to a temporary directory) and requests every path."""
    if ctx.config_text is None or set(ctx.flags) != set(BINARIES):
        raise CheckFailed("the Deployment checks failed; nothing to start")
    with tempfile.TemporaryDirectory() as tmp:
        config_text = pod_config_here(ctx, tmp)
        config = os.path.join(tmp, "notifyd.yml")
        with open(config, "w") as f:
            f.write(config_text)
        ports = {role: free_port() for role in ctx.listen}
        n_flags = dict(ctx.flags[NOTIFYD])
        n_flags.update({"config.file": config, "storage.path": os.path.join(tmp, "data"),
                        "grpc.listen-address": f"127.0.0.1:{ports[(NOTIFYD, 'grpc')]}",
                        "web.listen-address": f"127.0.0.1:{ports[(NOTIFYD, 'web')]}"})
        s_flags = dict(ctx.flags[SHIM])
        s_flags.update({"web.listen-address": f"127.0.0.1:{ports[(SHIM, 'web')]}",
                        "notify.address": f"127.0.0.1:{ports[(NOTIFYD, 'grpc')]}"})
        procs = {}
        try:
            procs[NOTIFYD] = Process([ctx.binaries[NOTIFYD]] + [f"--{k}={v}" for k, v in
                                                                n_flags.items()],
                                     os.path.join(tmp, "notifyd.log"))
            procs[SHIM] = Process([ctx.binaries[SHIM]] + [f"--{k}={v}" for k, v in s_flags.items()],
                                  os.path.join(tmp, "shim.log"))
            web = {NOTIFYD: ports[(NOTIFYD, "web")], SHIM: ports[(SHIM, "web")]}
            wait_for(web[NOTIFYD], "/-/healthy", procs[NOTIFYD])
            wait_for(web[SHIM], "/-/ready", procs[SHIM])  # the shim sees notifyd SERVING
            if not grpc_health_serving(ports[(NOTIFYD, "grpc")]):
                ctx.fail("notifyd's gRPC health check does not answer SERVING for service \"\"")
            print(f"  gRPC health (probe of notifyd): SERVING")
            with open(os.path.join(ctx.deploy_dir, "examples", "sample-webhook.json"), "rb") as f:
                webhook = f.read()
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            bodies = {
                "/webhook": webhook,
                "/api/v2/alerts": json.dumps([{"labels": {"alertname": "DeployTest"},
                                               "startsAt": now}]).encode(),
            }
            for binary, method, path in sorted(ctx.http_paths):
                body = None
                headers = {}
                if method == "POST":
                    body = bodies.get(path)
                    if body is None:
                        ctx.fail(f"the manifests POST to {binary} {path}, which it does not serve")
                        continue
                    headers = {"Content-Type": "application/json"}
                status, text = http_request(web[binary], method, path, body, headers)
                print(f"  {binary} {method} {path} -> {status}")
                if status != 200:
                    ctx.fail(f"{binary} {method} {path} answered {status}: {text[:300]}")
            # The same request to a path no binary serves must fail, or the loop above proves
            # nothing.
            for binary in BINARIES:
                status, _ = http_request(web[binary], "GET", "/-/no-such-path")
                if status == 200:
                    ctx.fail(f"{binary} answers 200 for any path; the path checks are void")
            # An invalid alert, so that every counter family has a sample to show.
            http_request(web[SHIM], "POST", "/api/v2/alerts",
                         json.dumps([{"labels": {}, "startsAt": now}]).encode(),
                         {"Content-Type": "application/json"})
            exported = set()
            for binary in BINARIES:
                _, text = http_request(web[binary], "GET", "/metrics")
                exported |= set(re.findall(r"^([a-zA-Z_:][\w:]*?)(?:_bucket|_sum|_count)?[{ ]",
                                           text, re.M))
                exported |= set(re.findall(r"^# TYPE (\S+)", text, re.M))
            rule = ctx.objects[("PrometheusRule", "wecom-notify")]
            for group in rule["spec"]["groups"]:
                for r in group.get("rules") or []:
                    for name in re.findall(r"\bwecom_notify_\w+", str(r.get("expr"))):
                        if name not in exported:
                            ctx.fail(f"deploy/{rule['_file']}: {r.get('alert')} uses {name}, "
                                     "which neither binary exports")
        finally:
            for binary, p in procs.items():
                rc = p.stop()
                if rc not in (0, "gone"):
                    ctx.fail(f"{binary} did not exit 0 on SIGTERM (exit {rc}); Kubernetes and "
                             f"systemd stop it that way:\n{p.output()[-2000:]}")
        for binary, p in procs.items():
            for files in ctx.secret_files.values():
                for key, content in files.items():
                    if content.strip() and content.strip() in p.output():
                        ctx.fail(f"{binary}'s log shows the Secret's {key}")
        # notifyd refuses an unknown key, so the start above proves the ConfigMap is accepted;
        # make sure that refusal still happens (else the start proves nothing).
        bad = os.path.join(tmp, "bad.yml")
        with open(bad, "w") as f:
            f.write(config_text + "no_such_key_for_the_test: 1\n")
        p = Process([ctx.binaries[NOTIFYD], f"--config.file={bad}",
                     f"--storage.path={os.path.join(tmp, 'data')}",
                     "--grpc.listen-address=127.0.0.1:0", "--web.listen-address=127.0.0.1:0"],
                    os.path.join(tmp, "bad.log"))
        try:
            rc = p.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
        p.stop()
        if rc in (None, 0) or "no_such_key_for_the_test" not in p.output():
            ctx.fail("notifyd starts with an unknown configuration key; the ConfigMap check is "
                     "void")


def check_readme(ctx):
    path = os.path.join(ctx.deploy_dir, "README.md")
    with open(path) as f:
        text = f.read()
    for root, _, files in os.walk(ctx.deploy_dir):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), ctx.deploy_dir)
            if rel == "README.md":
                continue
            if rel not in text and name not in text:
                ctx.fail(f"deploy/README.md does not mention {rel}")
    for word in ("emptyDir", "PersistentVolumeClaim", "ReadWriteOnce"):
        if word not in text:
            ctx.fail(f"deploy/README.md does not explain {word}")


CHECKS = [
    check_files_and_yaml,
    check_help,
    check_kubernetes_objects,
    check_deployment,
    check_service,
    check_servicemonitor,
    check_alerting_configs,
    check_amtool_promtool,
    check_dockerfile,
    check_systemd,
    check_binaries_serve,
    check_readme,
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notifyd", required=True)
    parser.add_argument("--webhook-shim", required=True)
    parser.add_argument("--source-dir", required=True)
    ctx = Context(parser.parse_args())
    failed = []
    for check in CHECKS:
        print(f"== {check.__name__}")
        before = len(ctx.errors)
        try:
            check(ctx)
        except CheckFailed as e:
            ctx.fail(str(e))
        except Exception:  # a malformed manifest must fail the check, not crash the others
            ctx.fail(f"{check.__name__} crashed:\n{traceback.format_exc()}")
        for err in ctx.errors[before:]:
            print(f"  FAIL {err}")
        if len(ctx.errors) > before:
            failed.append(check.__name__)
        else:
            print("  ok")
    if failed:
        print(f"\n{len(ctx.errors)} problem(s) in: {', '.join(failed)}")
        return 1
    print("\nall deploy checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
