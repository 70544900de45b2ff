#!/usr/bin/env python3
"""tool.py: small helpers for bench/run.sh (python3 stdlib only).

  tool.py free-port
  tool.py wait-healthy PORT PID [TIMEOUT_S]        exit 0 once GET /health is 200
  tool.py create-tenant PORT ADMIN_TOKEN NAME      prints the tenant's API key
  tool.py expect PORT PATH STATUS [KEY]            one GET; exit 1 unless STATUS
  tool.py startup BIN WORKDIR MODE RUNS            MODE fresh|existing; prints
                                                   "STARTUP ms=... ms=..." per run
  tool.py summary RESULTS_TSV                      the results table (medians)

Results TSV lines: CONFIG<TAB>METRIC<TAB>VALUE, one per measured run (several
lines for one CONFIG/METRIC are several runs; the table shows their median).
"""
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port, path, key=None, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        h = {"Authorization": "Bearer " + key} if key else {}
        conn.request("GET", path, headers=h)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def cmd_wait_healthy(port, pid, timeout="15"):
    port, pid = int(port), int(pid)
    deadline = time.monotonic() + float(timeout)
    while time.monotonic() < deadline:
        if not alive(pid):
            print("saasd (pid %d) exited before becoming healthy" % pid, file=sys.stderr)
            return 1
        try:
            if get(port, "/health", timeout=2)[0] == 200:
                return 0
        except OSError:
            pass
        time.sleep(0.01)
    print("saasd did not answer 200 on /health within %ss" % timeout, file=sys.stderr)
    return 1


def cmd_create_tenant(port, admin_token, name):
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
    try:
        conn.request("POST", "/admin/tenants", body=json.dumps({"name": name}),
                     headers={"Authorization": "Bearer " + admin_token,
                              "Content-Type": "application/json"})
        r = conn.getresponse()
        body = r.read()
    finally:
        conn.close()
    if r.status != 201:
        print("POST /admin/tenants answered %d: %s" % (r.status, body[:300]), file=sys.stderr)
        return 1
    print(json.loads(body)["api_key"])
    return 0


def cmd_expect(port, path, status, key=None):
    got, body = get(int(port), path, key)
    if got != int(status):
        print("GET %s answered %d (expected %s): %s" % (path, got, status, body[:300]),
              file=sys.stderr)
        return 1
    return 0


HEALTH_REQ = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def health_once(port):
    """True on a 200; False when refused or not yet 200."""
    s = socket.socket()
    try:
        s.settimeout(2)
        s.connect(("127.0.0.1", port))
        s.sendall(HEALTH_REQ)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(256)
            if not chunk:
                break
            data += chunk
        return data.startswith(b"HTTP/1.1 200") or data.startswith(b"HTTP/1.0 200")
    except OSError:
        return False
    finally:
        s.close()


def one_start(binary, workdir, env, dbdir):
    port = free_port()
    env = dict(env, PORT=str(port), DATABASE_URL="sqlite:" + os.path.join(dbdir, "saasd.db"))
    with open(os.path.join(workdir, "startup.stderr.log"), "ab") as err, \
            open(os.path.join(workdir, "startup.stdout.log"), "ab") as out:
        t0 = time.monotonic()
        proc = subprocess.Popen([binary, "serve"], env=env, cwd=dbdir, stdout=out, stderr=err)
        ms = None
        try:
            while time.monotonic() - t0 < 15:
                if health_once(port):
                    ms = (time.monotonic() - t0) * 1000
                    break
                if proc.poll() is not None:
                    break
                time.sleep(0.0005)  # poll every ~0.5 ms
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if ms is None:
        raise SystemExit("saasd did not become healthy (see %s)" % workdir)
    return ms


def cmd_startup(binary, workdir, mode, runs):
    """Time from fork/exec to the first 200 on /health. fresh: a new empty
    SQLite database each time (migrations run); existing: the same database,
    already migrated (a restart)."""
    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ")}
    env.update({"HOST": "127.0.0.1", "ADMIN_TOKEN": "adm_startup", "JWT_SECRET": "bench-startup",
                "ENVIRONMENT": "development", "EMAIL_PROVIDER": "log"})
    os.makedirs(workdir, exist_ok=True)
    shared = os.path.join(workdir, "startup-existing")
    if mode == "existing":
        os.makedirs(shared, exist_ok=True)
        one_start(binary, workdir, env, shared)  # creates and migrates it; not timed
    for i in range(int(runs)):
        if mode == "fresh":
            dbdir = os.path.join(workdir, "startup-fresh-%d" % i)
            os.makedirs(dbdir)
        else:
            dbdir = shared
        print("STARTUP ms=%.2f" % one_start(binary, workdir, env, dbdir), flush=True)
    return 0


# ---------------------------------------------------------------- summary

TARGETS = {
    # metric name -> (comparison, limit, text)
    "rps": (">=", 30000, ">= 30 000"),
    "p99_ms": ("<=", 10, "<= 10 ms"),
    "rss_idle_kib": ("<=", 15 * 1024, "<= 15 MiB"),
    "startup_ms": ("<=", 50, "<= 50 ms"),
}
TARGETED_CONFIGS = {
    "rps": ("tenant sqlite log>file",),
    "p99_ms": ("tenant sqlite log>file",),
    "rss_idle_kib": ("sqlite log>file",),
    "startup_ms": ("startup fresh db", "startup existing db"),
}


def fmt(metric, v):
    if metric == "rps":
        return "{:,.0f}".format(v).replace(",", " ")
    if metric.endswith("_kib"):
        return "%.1f MiB" % (v / 1024)
    if metric.endswith("_us_req"):
        return "%.1f us" % v
    if metric.endswith("_cores"):
        return "%.2f" % v
    if metric.endswith("_ms"):
        return "%.2f ms" % v
    return "%g" % v


def verdict(config, metric, v):
    if metric not in TARGETS or config not in TARGETED_CONFIGS.get(metric, ()):
        return ""
    op, limit, text = TARGETS[metric]
    ok = v >= limit if op == ">=" else v <= limit
    return ("met" if ok else "MISSED") + " (target " + text + ")"


def cmd_summary(path):
    rows = {}
    order = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                continue
            key = (parts[0], parts[1])
            if key not in rows:
                rows[key] = []
                order.append(key)
            rows[key].append(float(parts[2]))
    width = max([len(c) for c, _ in order] + [10])
    print("%-*s  %-18s %12s  %-5s %-34s %s" % (width, "benchmark", "metric", "median", "runs",
                                                "all runs", "target"))
    print("-" * (width + 95))
    for config, metric in order:
        vals = rows[(config, metric)]
        med = statistics.median(vals)
        every = " ".join(fmt(metric, v).split(" ")[0] if metric != "rps" else fmt(metric, v)
                         for v in vals)
        if len(every) > 34:
            every = every[:31] + "..."
        print("%-*s  %-18s %12s  %-5d %-34s %s" % (width, config, metric, fmt(metric, med),
                                                    len(vals), every, verdict(config, metric, med)))
    return 0


def main(argv):
    cmds = {
        "free-port": lambda: print(free_port()) or 0,
        "wait-healthy": cmd_wait_healthy,
        "create-tenant": cmd_create_tenant,
        "expect": cmd_expect,
        "startup": cmd_startup,
        "summary": cmd_summary,
    }
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[argv[1]](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
