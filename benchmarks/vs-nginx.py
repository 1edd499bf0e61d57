#!/usr/bin/env python3
"""Server CPU per connection: `serve` against nginx (and tcnative), side by side in one run.

Run by `bin/benchmark --nginx` (or `--full`); alone:
    benchmarks/vs-nginx.py --root . --out /tmp/nginx.md [--quick|--full] [--json FILE]

Every server runs in its own process pinned to one CPU (--server-cpu, default 0), the client on the
other (--client-cpu, default 1): nginx (one worker, `ssl_session_cache shared`, tickets off), `serve`
with the embedded store, `serve` with Netty's tcnative engine instead of this one (TcnativeServe), and
two `serve` processes sharing one redis-server (a session made on node A is resumed on node B). The
client is this script (`client` subcommand): one connection at a time, `GET / HTTP/1.0`, the response
read to the end (so TLS 1.3 tickets arrive), then the next connection offers the newest session.
Server CPU is the run time of all the server process's threads (/proc/PID/task/*/schedstat, ns),
cross-checked against utime+stime of /proc/PID/stat; per round, divided by the connections of the
round. Rounds are interleaved (A B C A B C, order reversed every other round); a row is the median of
its rounds. Every round checks what it claims: a full row has no resumed connection, a resumed row
has every connection resumed, both as the client saw it (SSL_session_reused) and as the server said
it in the response body (`resumed: yes` / nginx's `$ssl_session_reused`), and `serve`'s own meters
must agree; otherwise the script exits 1 and says which round failed.
"""
import argparse
import json
import os
import re
import secrets
import base64
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

CLIENT_REQUEST = b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"


# ---------------------------------------------------------------------------------------------- client

def client_main(argv):
    """One client run: prints 'ready' once primed, waits for a line on stdin, runs, prints one JSON line."""
    p = argparse.ArgumentParser(prog="vs-nginx.py client")
    p.add_argument("--protocol", choices=["TLSv1.2", "TLSv1.3"], required=True)
    p.add_argument("--mode", choices=["full", "resume", "pair"], required=True)
    p.add_argument("--a", required=True, help="HOST:PORT of the server (pair: where sessions are made)")
    p.add_argument("--b", help="pair: HOST:PORT where they are resumed")
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--connections", type=int, help="stop after this many connections (pair: pairs) instead")
    a = p.parse_args(argv)
    version = ssl.TLSVersion.TLSv1_3 if a.protocol == "TLSv1.3" else ssl.TLSVersion.TLSv1_2
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # loopback benchmark, self-signed certificate
    ctx.minimum_version = version
    ctx.maximum_version = version
    addr_a = hostport(a.a)
    addr_b = hostport(a.b) if a.b else None

    def connect(addr, session):
        t0 = time.perf_counter_ns()
        s = socket.create_connection(addr, timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t = ctx.wrap_socket(s, server_hostname="localhost", session=session)
        try:
            t.sendall(CLIENT_REQUEST)
            chunks = []
            while True:
                d = t.recv(16384)
                if not d:
                    break
                chunks.append(d)
            body = b"".join(chunks)
            # the newest session: after the whole response, so TLS 1.3 tickets have been read
            return t.session_reused, server_said_resumed(body), t.session, t.version(), body, \
                (time.perf_counter_ns() - t0) // 1000
        finally:
            t.close()

    session = None
    if a.mode == "resume":  # prime: one full handshake whose session the run offers
        _, _, session, _, _, _ = connect(addr_a, None)
    print("ready", flush=True)
    sys.stdin.readline()
    counts = {"connections": 0, "a": 0, "b": 0, "reused": 0, "server_resumed": 0, "server_unknown": 0,
              "offered": 0, "errors": 0, "first_error": None, "versions": {}, "status_not_200": 0}
    lat_resumed = []
    lat_full = []
    end = time.monotonic() + a.seconds
    while time.monotonic() < end if a.connections is None else counts["a"] < a.connections:
        try:
            if a.mode == "pair":
                reused, said, made, v, body, us = connect(addr_a, None)  # full on A
                record(counts, reused, said, v, body, offered=False)
                counts["a"] += 1
                lat_full.append(us)
                reused, said, _, v, body, us = connect(addr_b, made)
                record(counts, reused, said, v, body, offered=True)
                counts["b"] += 1
                lat_resumed.append(us)
            else:
                offer = session if a.mode == "resume" else None
                reused, said, newest, v, body, us = connect(addr_a, offer)
                record(counts, reused, said, v, body, offered=offer is not None)
                counts["a"] += 1
                (lat_resumed if offer is not None else lat_full).append(us)
                if a.mode == "resume":
                    session = newest
        except (OSError, ssl.SSLError) as e:
            counts["errors"] += 1
            counts["first_error"] = counts["first_error"] or repr(e)
            if a.mode == "resume":  # start over with a fresh session
                try:
                    _, _, session, _, _, _ = connect(addr_a, None)
                except (OSError, ssl.SSLError):
                    time.sleep(0.01)
    counts["latency_resumed_us"] = summary(lat_resumed)
    counts["latency_full_us"] = summary(lat_full)
    print(json.dumps(counts), flush=True)


def record(counts, reused, said, version, body, offered):
    counts["connections"] += 1
    counts["offered"] += 1 if offered else 0
    counts["reused"] += 1 if reused else 0
    if said is None:
        counts["server_unknown"] += 1
    elif said:
        counts["server_resumed"] += 1
    counts["versions"][version] = counts["versions"].get(version, 0) + 1
    if not body.startswith(b"HTTP/1.") or b" 200 " not in body.split(b"\r\n", 1)[0]:
        counts["status_not_200"] += 1


def server_said_resumed(body):
    """`serve`'s page says `resumed: yes|no|unknown`; the nginx config below answers `resumed: r` or `resumed: .`."""
    m = re.search(rb"\r\n\r\nresumed: (\S+)", body)
    if not m or m.group(1) == b"unknown":
        return None
    return m.group(1) in (b"yes", b"r")


def summary(values):
    if not values:
        return None
    v = sorted(values)
    return {"n": len(v), "mean": sum(v) / len(v), "p50": v[len(v) // 2], "p99": v[min(len(v) - 1, int(len(v) * 0.99))]}


def hostport(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


# ---------------------------------------------------------------------------------------------- servers

def cpu_ns(pid):
    """Run time of every thread of pid (ns), from /proc/PID/task/*/schedstat."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that just ended
    return total


THREAD_KINDS = [("jit", re.compile(r"^C[12] Compiler")), ("gc", re.compile(r"^(GC |G1 |VM Thread|VM Periodic)")),
                ("event loop", re.compile(r"^(multiThreadIoEv|nioEventLoop|epollEventLoop|ioUringEventL)")),
                ("lettuce", re.compile(r"^lettuce"))]


def cpu_by_thread_kind(pid):
    """As cpu_ns, split by what the thread is (from its name): jit, gc, event loop, lettuce, other."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue
        kind = next((k for k, rx in THREAD_KINDS if rx.search(name)), "other")
        out[kind] = out.get(kind, 0) + ns
    return out


CLK_TCK = os.sysconf("SC_CLK_TCK")


def stat_ns(pid):
    """utime+stime of /proc/PID/stat (every thread of the process, in clock ticks), in ns."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1_000_000_000 // CLK_TCK


def settle(servers, quiet_ns=2_000_000, step=0.1, most=5.0):
    """Waits (at most `most` s) until no server used more than `quiet_ns` of CPU in a `step`-s interval.
    A metrics scrape runs code that no connection runs; the JIT compiles it on its own threads after the
    scrape has returned, so without this wait a round would count compilations caused by the measurement
    itself (measured: 125-166 us per resumed TLS 1.2 connection in a 4 s round right after a first scrape)."""
    deadline = time.monotonic() + most
    last = {s.name: s.cpu() for s in servers}
    while time.monotonic() < deadline:
        time.sleep(step)
        now = {s.name: s.cpu() for s in servers}
        if all(now[n] - last[n] <= quiet_ns for n in now):
            return
        last = now


class Server:
    def __init__(self, name, cmd, cwd, log, cpu, ready_regex=r"listening on (\S+)", env=None, address=None):
        self.name = name
        self.log_path = log
        self.logf = open(log, "w")
        self.proc = subprocess.Popen(["taskset", "-c", str(cpu)] + cmd, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=self.logf, text=True, env=env, start_new_session=True)
        self.address = address
        self.metrics = None
        self.pids = [self.proc.pid]  # taskset and bin/tls-session-cache exec: this pid becomes the server
        try:
            self._await(name, cmd, log, ready_regex)
        except BaseException:  # a signal or a failed start: do not leave the process behind
            self.proc.kill()
            self.proc.wait(10)
            raise

    def _await(self, name, cmd, log, ready_regex):
        if ready_regex:
            deadline = time.monotonic() + 120
            while self.address is None:
                line = self.proc.stdout.readline()
                if not line:
                    raise SystemExit(f"error: {name} exited before it listened (log: {log}):\n" + tail(log))
                self.logf.write(line)
                self.logf.flush()
                m = re.search(ready_regex, line)
                if m:
                    self.address = m.group(1)
                m2 = re.search(r"metrics on (http://\S+)", line)
                if m2:
                    self.metrics = m2.group(1)
                if time.monotonic() > deadline:
                    raise SystemExit(f"error: {name} did not start within 120 s")
            if "--metrics-listen" in cmd:  # printed after the listeners
                line = self.proc.stdout.readline()
                m2 = re.search(r"metrics on (http://\S+)", line)
                self.metrics = m2.group(1) if m2 else None

    def cpu(self):
        return sum(cpu_ns(p) for p in self.pids)

    def threads(self):
        out = {}
        for p in self.pids:
            for k, v in cpu_by_thread_kind(p).items():
                out[k] = out.get(k, 0) + v
        return out

    def stat(self):
        return sum(stat_ns(p) for p in self.pids)

    def meters(self):
        if not self.metrics:
            return {}
        text = urllib.request.urlopen(self.metrics, timeout=10).read().decode()
        out = {}
        for line in text.splitlines():
            m = re.match(r"(tls_session_cache_\w+?)_total(\{[^}]*\})? (\S+)", line)
            if m:
                key = m.group(1)[len("tls_session_cache_"):] + (m.group(2) or "")
                out[key] = out.get(key, 0) + float(m.group(3))
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.logf.close()


def java_home(root):
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    r = subprocess.run(["bash", "-c", f". '{root}/bin/jdk25.sh' && find_jdk25 >/dev/null && echo \"$JAVA_HOME\""],
                       capture_output=True, text=True, check=True)
    return r.stdout.strip()


def tail(path, n=30):
    try:
        with open(path) as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"error: {what} did not listen on 127.0.0.1:{port}")


NGINX_CONF = """worker_processes 1;
daemon off;
master_process on;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy; fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:bench:10m;
    ssl_session_tickets off;
    # tiny static page; the one variable tells the client whether the server resumed
    location = / {{ default_type text/plain; return 200 "resumed: $ssl_session_reused\\n"; }}
  }}
}}
"""


def start_nginx(work, cert, key, cpu):
    port = free_port()
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(dir=work, port=port, cert=cert, key=key))
    s = Server("nginx", ["nginx", "-p", work, "-c", conf, "-e", os.path.join(work, "nginx-error.log")], work,
               os.path.join(work, "nginx.log"), cpu, ready_regex=None, address=f"127.0.0.1:{port}")
    wait_port(port, "nginx")
    # the master forks one worker: measure both (the master does next to nothing)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = subprocess.run(["pgrep", "-P", str(s.proc.pid)], capture_output=True, text=True).stdout.split()
        if children:
            s.pids = [s.proc.pid] + [int(c) for c in children]
            break
        time.sleep(0.05)
    if len(s.pids) != 2:
        raise SystemExit(f"error: expected nginx master + 1 worker, found pids {s.pids}")
    return s


def nginx_version():
    r = subprocess.run(["nginx", "-V"], capture_output=True, text=True)
    text = r.stderr + r.stdout
    v = re.search(r"nginx version: (\S+)", text)
    # "built with OpenSSL X (running with OpenSSL Y)": Y is the library it uses
    o = re.search(r"running with (OpenSSL [^\s)]+)", text) or re.search(r"built with (OpenSSL [^\s)]+)", text)
    return (v.group(1) if v else "?"), (o.group(1) if o else "?")


# ---------------------------------------------------------------------------------------------- runs

class Harness:
    def __init__(self, args):
        self.args = args
        self.here = os.path.dirname(os.path.abspath(__file__))
        self.servers = {}
        self.samples = []  # one dict per measured run
        self.still_compiling = []

    def client(self, protocol, mode, a, b, seconds):
        cmd = ["taskset", "-c", str(self.args.client_cpu), sys.executable, os.path.abspath(__file__), "client",
               "--protocol", protocol, "--mode", mode, "--a", a, "--seconds", str(seconds)]
        if b:
            cmd += ["--b", b]
        return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, kind, protocol, seconds, measure=True, perf=None):
        """One client run of `kind`; returns the sample (None when not measured). perf: record the measured
        server (pair: node B) with `perf record -g` into this file while the client runs."""
        spec = KINDS[kind]
        a = self.servers[spec["a"]]
        b = self.servers[spec["b"]] if spec.get("b") else None
        c = self.client(protocol, spec["mode"], a.address, b.address if b else None, seconds)
        line = c.stdout.readline()
        if line.strip() != "ready":
            raise SystemExit(f"error: client for {kind} {protocol} did not start: {line!r}")
        watched = [a] + ([b] if b else []) + [self.servers[x] for x in spec.get("also", [])]
        meters0 = {s.name: s.meters() for s in watched} if measure else None
        if measure:
            settle(watched)
        cpu0 = {s.name: s.cpu() for s in watched}
        stat0 = {s.name: s.stat() for s in watched}
        thr0 = {s.name: s.threads() for s in watched}
        recorder = None
        if perf:
            target = b or a
            recorder = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "2999", "-g", "-o", perf,
                                         "-p", ",".join(str(x) for x in target.pids)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)  # perf attaches
        c.stdin.write("go\n")
        c.stdin.flush()
        out = c.stdout.readline()
        if recorder:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(60)
        cpu1 = {s.name: s.cpu() for s in watched}
        stat1 = {s.name: s.stat() for s in watched}
        thr1 = {s.name: s.threads() for s in watched}
        c.wait(30)
        if not out:
            raise SystemExit(f"error: client for {kind} {protocol} printed no result")
        r = json.loads(out)
        if not measure:
            return None
        time.sleep(0.05)  # let the meters see the last connection's puts
        meters1 = {s.name: s.meters() for s in watched}
        settle(watched)  # what this scrape sets off runs now, not in the next round (CPU 0 is shared)
        sample = {"kind": kind, "protocol": protocol, "client": r,
                  "cpu_ns": {n: cpu1[n] - cpu0[n] for n in cpu0},
                  "stat_ns": {n: stat1[n] - stat0[n] for n in stat0},
                  "threads_ns": {n: {k: thr1[n].get(k, 0) - thr0[n].get(k, 0) for k in thr1[n]} for n in thr1},
                  "meters": {n: {k: meters1[n].get(k, 0) - meters0[n].get(k, 0) for k in meters1[n]} for n in meters1}}
        self.check(sample)
        self.samples.append(sample)
        return sample

    def warm_up(self, protocols, kinds, slice_seconds, budget, least=0.0):
        """Mixed load per server (every row it serves, both protocols, at once, so that the JIT compiles with
        every path profiled), in slices, until its JIT threads use < 3% of its CPU in a slice or the budget is
        spent (but for at least `least` seconds per JVM group: equal warm-ups for variants that compile at
        different speeds, e.g. with and without an AOT cache); nginx gets one slice per row."""
        groups = {}
        for k in kinds:
            groups.setdefault(KINDS[k]["a"] if KINDS[k]["a"] != "serve-a" else "redis", []).append(k)
        for group, ks in groups.items():
            runs = [(k, p) for p in protocols for k in ks]
            began = time.monotonic()
            deadline = began + budget / max(1, len([g for g in groups if g != "nginx"]))
            while True:
                shares = self.run_many(runs, slice_seconds)
                # every JVM of the group on its own: a resuming Redis node compiles long after its peer
                share = max(shares.values(), default=0)
                print(f"  warm-up {group:9} ({len(runs)} clients at once) JIT {share:5.1%} of its CPU"
                      + (f" (the most of {', '.join(f'{n} {x:.1%}' for n, x in shares.items())})" if len(shares) > 1 else ""),
                      flush=True)
                if group == "nginx" or (share < 0.03 and time.monotonic() - began >= least):
                    break
                if time.monotonic() > deadline:
                    print(f"  warm-up budget spent; {group} still compiling", flush=True)
                    self.still_compiling.append(group)
                    break

    def run_many(self, runs, seconds):
        """Clients of several runs at once (unchecked, for warm-up): each JVM server's JIT share of its CPU."""
        clients = []
        servers = {}
        for kind, protocol in runs:
            spec = KINDS[kind]
            a = self.servers[spec["a"]]
            b = self.servers[spec["b"]] if spec.get("b") else None
            servers[a.name] = a
            if b:
                servers[b.name] = b
            clients.append(self.client(protocol, spec["mode"], a.address, b.address if b else None, seconds))
        for c in clients:
            if c.stdout.readline().strip() != "ready":
                raise SystemExit("error: a warm-up client did not start")
        jvms = [s for s in servers.values() if s.name not in ("nginx", "redis")]
        t0 = {s.name: s.threads() for s in jvms}
        for c in clients:
            c.stdin.write("go\n")
            c.stdin.flush()
        for c in clients:
            c.stdout.readline()
            c.wait(30)
        for s in jvms:  # the rounds scrape the meters: compile that path here too, not in a measured round
            s.meters()
        t1 = {s.name: s.threads() for s in jvms}
        shares = {}
        for n in t0:
            cpu = sum(t1[n].values()) - sum(t0[n].values())
            shares[n] = (t1[n].get("jit", 0) - t0[n].get("jit", 0)) / cpu if cpu else 0
        return shares

    def check(self, s):
        """Fails loudly when a round did not do what its row claims."""
        r = s["client"]
        spec = KINDS[s["kind"]]
        where = f"{s['kind']} {s['protocol']}"
        problems = []
        if r["errors"]:
            problems.append(f"{r['errors']} failed connections (first: {r['first_error']})")
        if r["connections"] < 50:
            problems.append(f"only {r['connections']} connections")
        if r["status_not_200"]:
            problems.append(f"{r['status_not_200']} responses were not 200")
        if set(r["versions"]) != {s["protocol"]}:
            problems.append(f"negotiated {r['versions']}")
        offered = r["offered"]
        if spec["mode"] == "full" and (r["reused"] or r["server_resumed"]):
            problems.append(f"a full row resumed {r['reused']} (server said {r['server_resumed']})")
        if spec["mode"] in ("resume", "pair"):
            need = spec.get("min_resumed", 1.0)
            if r["reused"] < need * offered:
                problems.append(f"resumed {r['reused']} of {offered} offers (need {need:.0%})")
            if r["server_unknown"] == 0 and r["server_resumed"] != r["reused"]:
                problems.append(f"server said resumed {r['server_resumed']}, client saw {r['reused']}")
        # serve's meters: every resumption is a store hit, every offer a lookup
        m = s["meters"].get(spec.get("b") or spec["a"], {})
        if m and spec["mode"] in ("resume", "pair"):
            hits = m.get("near_hits", 0) + m.get("store_hits", 0)
            if round(hits) != r["reused"]:
                problems.append(f"{spec.get('b') or spec['a']}'s meters count {hits:.0f} hits for {r['reused']} resumptions")
        if problems:
            raise SystemExit(f"error: round {where} is not what its row claims: " + "; ".join(problems))

    def start(self, work, jar_server, jar_bench, cert, key):
        cpu = self.args.server_cpu
        java = os.path.join(java_home(self.args.root), "bin", "java")
        serve = [os.path.join(self.args.root, "bin", "tls-session-cache"), "serve", "--listen", "127.0.0.1:0",
                 "--cert", cert, "--key", key, "--metrics-listen", "127.0.0.1:0"]
        env = dict(os.environ)
        # serve as shipped: without a JDK AOT cache, whether or not this checkout has one (a variant can
        # add -XX:AOTCache=FILE to its JVM options)
        env["TLS_SESSION_CACHE_AOT_CACHE"] = os.path.join(work, "no-aot-cache")
        if self.args.java_options:
            env["JAVA_TOOL_OPTIONS"] = self.args.java_options
        self.servers["nginx"] = start_nginx(work, cert, key, cpu)
        self.servers["serve"] = Server("serve", serve, self.args.root, os.path.join(work, "serve.log"), cpu, env=env)
        tcn = [java, "--enable-native-access=ALL-UNNAMED", "-cp", jar_bench, "io.tlssessioncache.server.TcnativeServe",
               "--listen", "127.0.0.1:0", "--cert", cert, "--key", key]
        self.servers["tcnative"] = Server("tcnative", tcn, self.args.root, os.path.join(work, "tcnative.log"), cpu, env=env)
        rport = free_port()
        self.servers["redis"] = Server("redis", ["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                                                 "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
                                       work, os.path.join(work, "redis.log"),
                                       cpu if self.args.redis_cpu is None else self.args.redis_cpu, ready_regex=None,
                                       address=f"127.0.0.1:{rport}")
        wait_port(rport, "redis-server")
        keys = os.path.join(work, "sealing.keys")
        with open(keys, "w") as f:
            f.write("1:" + base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
        os.chmod(keys, 0o600)
        def variant_env(opts):
            venv = dict(env)
            venv["JAVA_TOOL_OPTIONS"] = " ".join(x for x in (self.args.java_options, opts) if x)
            return venv
        for label, root, opts in self.args.variants:
            venv = variant_env(opts)
            vserve = [os.path.join(root or self.args.root, "bin", "tls-session-cache")] + serve[1:]
            self.servers[label] = Server(label, vserve, root or self.args.root, os.path.join(work, label + ".log"), cpu,
                                         env=venv)
        for node in ("serve-a", "serve-b"):
            cmd = serve + ["--store", f"redis://127.0.0.1:{rport}", "--sealing-key-file", keys, "--key-prefix", "bench"]
            self.servers[node] = Server(node, cmd, self.args.root, os.path.join(work, node + ".log"), cpu, env=env)
        for label, root, opts in self.args.redis_variants:
            venv = variant_env(opts)
            for node in (label + "-a", label + "-b"):
                cmd = [os.path.join(root or self.args.root, "bin", "tls-session-cache")] + serve[1:] + [
                    "--store", f"redis://127.0.0.1:{rport}", "--sealing-key-file", keys, "--key-prefix", "bench"]
                self.servers[node] = Server(node, cmd, root or self.args.root, os.path.join(work, node + ".log"), cpu,
                                            env=venv)

    def stop(self):
        for s in reversed(list(self.servers.values())):
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001 - best effort at the end
                print(f"stopping {s.name}: {e}", file=sys.stderr)


# what each run does: mode, server(s), and which rows it feeds
KINDS = {
    "nginx-full": {"mode": "full", "a": "nginx"},
    "serve-full": {"mode": "full", "a": "serve"},
    "tcnative-full": {"mode": "full", "a": "tcnative"},
    "nginx-resumed": {"mode": "resume", "a": "nginx"},
    "serve-resumed": {"mode": "resume", "a": "serve"},
    # tcnative's own in-process resumption (TLS 1.2: its session cache; TLS 1.3: BoringSSL's stateless
    # tickets): what Netty's path costs a resumed connection with Netty's fastest engine
    "tcnative-resumed": {"mode": "resume", "a": "tcnative"},
    # Redis: made on A (full), resumed on B; redis-server's CPU is watched too
    "redis-other": {"mode": "pair", "a": "serve-a", "b": "serve-b", "also": ["redis"], "min_resumed": 0.99},
    # Redis, the same node: the offered session was made (TLS 1.3: ticket issued) by this node
    "redis-same": {"mode": "resume", "a": "serve-a", "also": ["redis"], "min_resumed": 0.99},
}


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def per_conn(sample, server, conns_key):
    n = sample["client"][conns_key]
    return sample["cpu_ns"][server] / 1000 / n if n else float("nan")


def analyse(h):
    """Per (protocol, row): medians over rounds, in µs of server CPU per connection."""
    res = {}
    for p in ("TLSv1.3", "TLSv1.2"):
        def vals(kind, server, key="a"):
            return [per_conn(s, server, key) for s in h.samples if s["kind"] == kind and s["protocol"] == p]

        def nojit(kind, server, key="a"):
            return median([(x["cpu_ns"][server] - x["threads_ns"][server].get("jit", 0)) / 1000 / x["client"][key]
                           for x in h.samples if x["kind"] == kind and x["protocol"] == p])

        def stat_total(kind, server, key="a"):
            ss = [s for s in h.samples if s["kind"] == kind and s["protocol"] == p]
            n = sum(s["client"][key] for s in ss)
            return (sum(s["stat_ns"][server] for s in ss) / 1000 / n, sum(s["cpu_ns"][server] for s in ss) / 1000 / n) if n else (0, 0)

        def lat(kind, which):
            ss = [s["client"][which] for s in h.samples if s["kind"] == kind and s["protocol"] == p and s["client"][which]]
            return median([x["mean"] for x in ss]), median([x["p50"] for x in ss])

        def conns(kind, key="a"):
            return sum(s["client"][key] for s in h.samples if s["kind"] == kind and s["protocol"] == p)

        def resumed(kind):
            return sum(s["client"]["reused"] for s in h.samples if s["kind"] == kind and s["protocol"] == p)

        def ratios(kind_x, sx, kind_y, sy, kx="a", ky="a"):
            xs, ys = vals(kind_x, sx, kx), vals(kind_y, sy, ky)
            return [x / y for x, y in zip(xs, ys)]

        r = {
            "full": {"nginx": median(vals("nginx-full", "nginx")), "serve": median(vals("serve-full", "serve")),
                     "serve_nojit": nojit("serve-full", "serve"), "tcnative_nojit": nojit("tcnative-full", "tcnative"),
                     "redis_nojit": nojit("redis-other", "serve-a"),
                     "tcnative": median(vals("tcnative-full", "tcnative")),
                     "redis": median(vals("redis-other", "serve-a")),
                     "ratio_rounds": ratios("serve-full", "serve", "nginx-full", "nginx"),
                     "tcn_rounds": ratios("serve-full", "serve", "tcnative-full", "tcnative"),
                     "redis_rounds": ratios("redis-other", "serve-a", "nginx-full", "nginx"),
                     "conns": {k: conns(k) for k in ("nginx-full", "serve-full", "tcnative-full")} | {"redis-other A": conns("redis-other", "a")},
                     "stat": {k: stat_total(k, KINDS[k]["a"]) for k in ("nginx-full", "serve-full", "tcnative-full")}},
            "resumed": {"nginx": median(vals("nginx-resumed", "nginx")), "serve": median(vals("serve-resumed", "serve")),
                        "serve_nojit": nojit("serve-resumed", "serve"), "redis_nojit": nojit("redis-other", "serve-b", "b"),
                        "redis": median(vals("redis-other", "serve-b", "b")),
                        "redis_same": median(vals("redis-same", "serve-a")),
                        "ratio_rounds": ratios("serve-resumed", "serve", "nginx-resumed", "nginx"),
                        "redis_rounds": ratios("redis-other", "serve-b", "nginx-resumed", "nginx", "b"),
                        "tcnative": median(vals("tcnative-resumed", "tcnative")),
                        "tcnative_nojit": nojit("tcnative-resumed", "tcnative"),
                        "tcn_rounds": ratios("serve-resumed", "serve", "tcnative-resumed", "tcnative"),
                        "conns": {"nginx-resumed": conns("nginx-resumed"), "serve-resumed": conns("serve-resumed"),
                                  "tcnative-resumed": conns("tcnative-resumed"),
                                  "redis-other B": conns("redis-other", "b"), "redis-same": conns("redis-same")},
                        "resumed": {"nginx-resumed": resumed("nginx-resumed"), "serve-resumed": resumed("serve-resumed"),
                                    "tcnative-resumed": resumed("tcnative-resumed"),
                                    "redis-other B": resumed("redis-other"), "redis-same": resumed("redis-same")},
                        "stat": {k: stat_total(k, KINDS[k]["a"]) for k in ("nginx-resumed", "serve-resumed")}},
            "latency": {"same": lat("redis-same", "latency_resumed_us"), "other": lat("redis-other", "latency_resumed_us")},
            "redis_cpu": {"other": median([s["cpu_ns"]["redis"] / 1000 / s["client"]["b"] for s in h.samples
                                           if s["kind"] == "redis-other" and s["protocol"] == p]),
                          "same": median([s["cpu_ns"]["redis"] / 1000 / s["client"]["a"] for s in h.samples
                                          if s["kind"] == "redis-same" and s["protocol"] == p])},
        }
        th = {}
        for label, kind, server, key in (("serve full", "serve-full", "serve", "a"),
                                         ("serve resumed", "serve-resumed", "serve", "a"),
                                         ("tcnative full", "tcnative-full", "tcnative", "a"),
                                         ("tcnative resumed (its own cache / tickets)", "tcnative-resumed", "tcnative", "a"),
                                         ("Redis node A (full)", "redis-other", "serve-a", "a"),
                                         ("Redis node B (resumed, other node)", "redis-other", "serve-b", "b")):
            ss = [x for x in h.samples if x["kind"] == kind and x["protocol"] == p]
            if ss:
                th[label] = {k: median([x["threads_ns"][server].get(k, 0) / 1000 / x["client"][key] for x in ss])
                             for k in ("event loop", "jit", "gc", "lettuce", "other")}
        r["threads"] = th
        res[p] = r
    return res


def fmt(x, d=0):
    return "–" if x != x else f"{x:,.{d}f}"


def ratio(x, y, bold=True):
    if x != x or y != y or not y:
        return "–"
    return f"**{x / y:.2f}×**" if bold else f"{x / y:.2f}×"


def spread(xs):
    return "–" if not xs else f"{min(xs):.2f}–{max(xs):.2f}"


def markdown(h, res, meta):
    a = h.args
    L = []
    L.append("## 0. Against nginx: server CPU per connection, side by side\n")
    L.append(f"Separate server processes pinned with `taskset` to CPU {a.server_cpu}, the client to CPU {a.client_cpu}; "
             f"{meta['rounds']} interleaved rounds of {meta['seconds']:g} s per row and server (order reversed every other "
             f"round), median of the rounds; before them, a warm-up of each server with every row it serves at once "
             f"(both protocols, {meta['warmup']:g} s slices, so the JIT sees every path) until its JIT compiler threads used "
             f"< 3% of its CPU in a slice (at most {meta['budget']:.0f} s; {meta['warm']}). Same ECDSA P-256 certificate for all. "
             f"**nginx** {meta['nginx']} ({meta['nginx_openssl']}; one worker, `ssl_session_cache shared`, "
             "`ssl_session_tickets off`, TLS 1.2 + 1.3, a one-line `return 200` page); **serve**: `bin/tls-session-cache "
             "serve` as shipped (embedded store, default JVM options); **tcnative**: the same `serve` (same `ServerNode`, "
             "pipeline and page) with Netty's `SslProvider.OPENSSL` (netty-tcnative-boringssl-static) instead of this "
             "engine (`TcnativeServe`, benchmarks module); **Redis**: two `serve --store redis://…` processes (shared "
             "sealing key file) and one `redis-server`, "
             + ("all on the same CPU" if a.redis_cpu in (None, a.server_cpu) else f"`redis-server` on CPU {a.redis_cpu}")
             + ": each client step makes a session on node A "
             "(a full handshake) and resumes it on node B.\n")
    L.append(f"Client: `benchmarks/vs-nginx.py client` (Python's `ssl`, {meta.get('client_openssl', 'the same OpenSSL')}), one connection at a time: "
             "TCP connect, handshake, `GET / HTTP/1.0`, the whole response read (so TLS 1.3 tickets arrive before the "
             "next connection offers the newest session), close. *Server CPU* = run time of all the server process's "
             "threads (JIT, GC and Lettuce included; nginx: master + worker) from `/proc/PID/task/*/schedstat`, over the "
             "round, divided by the round's connections to that server; `utime+stime` of `/proc/PID/stat` (10 ms "
             "ticks) is shown as a cross-check over all rounds. Every round is checked: full rows resumed nothing, "
             "resumed rows resumed every offer as the client saw it **and** as the server's page said it (`resumed: "
             "yes`, nginx's `$ssl_session_reused`), and `serve`'s meters counted one store hit per resumption; a round "
             "that fails this stops the run.\n")
    L.append(f"Load average before → after: {meta['load_before']} → {meta['load_after']} (2 CPUs; other builds share "
             "them).\n")
    L.append("| server CPU µs per connection | nginx | serve | serve/nginx (rounds) | serve + Redis, session from another node | "
             "Redis/nginx (rounds) | tcnative | serve/tcnative (rounds) | the same three ratios without the JVMs' JIT "
             "threads |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for p in ("TLSv1.3", "TLSv1.2"):
        v = p.replace("TLSv", "TLS ")
        f = res[p]["full"]
        rr = res[p]["resumed"]
        L.append(f"| {v} full | {fmt(f['nginx'])} | {fmt(f['serve'])} | **{f['serve'] / f['nginx']:.2f}×** "
                 f"({spread(f['ratio_rounds'])}) | {fmt(f['redis'])} (node A) | **{f['redis'] / f['nginx']:.2f}×** "
                 f"({spread(f['redis_rounds'])}) | {fmt(f['tcnative'])} | **{f['serve'] / f['tcnative']:.2f}×** "
                 f"({spread(f['tcn_rounds'])}) | {f['serve_nojit'] / f['nginx']:.2f}× / {f['redis_nojit'] / f['nginx']:.2f}× / "
                 f"{f['serve_nojit'] / f['tcnative_nojit']:.2f}× |")
        L.append(f"| {v} resumed | {fmt(rr['nginx'])} | {fmt(rr['serve'])} | **{rr['serve'] / rr['nginx']:.2f}×** "
                 f"({spread(rr['ratio_rounds'])}) | {fmt(rr['redis'])} (node B) | **{rr['redis'] / rr['nginx']:.2f}×** "
                 f"({spread(rr['redis_rounds'])}) | {fmt(rr['tcnative'])} | {ratio(rr['serve'], rr['tcnative'])} "
                 f"({spread(rr['tcn_rounds'])}) | {rr['serve_nojit'] / rr['nginx']:.2f}× / "
                 f"{rr['redis_nojit'] / rr['nginx']:.2f}× / {ratio(rr['serve_nojit'], rr['tcnative_nojit'], bold=False)} |")
    L.append("")
    L.append("The last column leaves out the CPU of the JVMs' JIT compiler threads in the measured rounds (a JVM "
             "that had not finished compiling: see the per-thread table below); the targets use the full numbers. "
             "tcnative's resumed rows use its own in-process resumption (TLS 1.2: its session cache; TLS 1.3: "
             "BoringSSL's stateless tickets, no store at all): not this product's design, but the cost of Netty's "
             "path per resumed connection with Netty's fastest engine, the floor a Netty server starts from.\n")
    L.append("Resumption on another node vs the same node, `serve` as shipped with Redis (Lettuce on its own threads, "
             "near-cache on, 5 ms miss retry). *Same node*: the client offers node A the session A made (TLS 1.2: the "
             "same session id again, a near-cache hit; TLS 1.3: A's newest ticket, a Redis `GETDEL` like any ticket). "
             "*Other node*: A's session offered to B. Rate = 1 / mean client-side latency of the resumed connection "
             "(this client's own time included, which compresses the ratio); node CPU per resumption is the server-side "
             "view.\n")
    L.append("| | same node: latency mean / p50 µs | other node: latency mean / p50 µs | other/same rate | node CPU µs, same / other | Redis CPU µs per resumption, same / other |")
    L.append("|---|---|---|---|---|---|")
    for p in ("TLSv1.3", "TLSv1.2"):
        lt = res[p]["latency"]
        rr = res[p]["resumed"]
        rc = res[p]["redis_cpu"]
        L.append(f"| {p.replace('TLSv', 'TLS ')} | {fmt(lt['same'][0])} / {fmt(lt['same'][1])} | {fmt(lt['other'][0])} / "
                 f"{fmt(lt['other'][1])} | **{lt['same'][0] / lt['other'][0]:.2f}×** | {fmt(rr['redis_same'])} / "
                 f"{fmt(rr['redis'])} | {fmt(rc['same'], 1)} / {fmt(rc['other'], 1)} |")
    L.append("")
    L.append("Where the JVM servers' CPU goes, by thread (median µs per connection; thread names from "
             "`/proc/PID/task/*/comm`; *other* is mostly Netty's accept/global threads, the JVM's service threads "
             "and the metrics registry):\n")
    L.append("| | event loop | JIT compiler | GC + VM thread | Lettuce | other |")
    L.append("|---|---|---|---|---|---|")
    for p in ("TLSv1.3", "TLSv1.2"):
        for label, t in res[p]["threads"].items():
            L.append(f"| {p.replace('TLSv', 'TLS ')} {label} | {fmt(t['event loop'])} | {fmt(t['jit'], 1)} | "
                     f"{fmt(t['gc'], 1)} | {fmt(t['lettuce'], 1)} | {fmt(t['other'], 1)} |")
    L.append("")
    L.append("Counts over all measured rounds (every one checked as above), and `utime+stime` vs run time per connection:\n")
    for p in ("TLSv1.3", "TLSv1.2"):
        f = res[p]["full"]
        rr = res[p]["resumed"]
        parts = [f"{k} {n:,}" for k, n in f["conns"].items()]
        parts += [f"{k} {n:,} ({rr['resumed'][k]:,} resumed)" for k, n in rr["conns"].items()]
        chk = [f"{k} {u:.0f}/{c:.0f}" for k, (u, c) in list(f["stat"].items()) + list(rr["stat"].items())]
        L.append(f"- {p}: connections {', '.join(parts)}; µs from stat/schedstat: {', '.join(chk)}")
    L.append("")
    return "\n".join(L) + "\n"


def targets(res):
    """Rows for the report's targets table."""
    rows = []

    def row(what, ours, theirs, goal, detail=""):
        ratio = ours / theirs
        rows.append(f"| {what} (section 0) | {ratio:.2f}× ({ours:.0f} vs {theirs:.0f} µs{detail}) | "
                    f"{'yes' if ratio <= goal else '**no**'} |")

    for p in ("TLSv1.3", "TLSv1.2"):
        for kind in ("full", "resumed"):
            x = res[p][kind]
            row(f"{p} {kind}: `serve` server CPU per connection ≤ 1.15× nginx (embedded store)", x["serve"], x["nginx"],
                1.15, f"; rounds {spread(x['ratio_rounds'])}; without its JIT threads {x['serve_nojit'] / x['nginx']:.2f}×")
    for p in ("TLSv1.3", "TLSv1.2"):
        for kind in ("full", "resumed"):
            x = res[p][kind]
            row(f"{p} {kind}: with Redis, session from another node, ≤ 1.3× nginx", x["redis"], x["nginx"], 1.3,
                f", node {'A' if kind == 'full' else 'B'}; without its JIT threads {x['redis_nojit'] / x['nginx']:.2f}×")
    for p in ("TLSv1.3", "TLSv1.2"):
        x = res[p]["full"]
        row(f"{p} full: server CPU ≤ 1.0× tcnative (`serve` vs the same server on tcnative)", x["serve"], x["tcnative"], 1.0,
            f"; both without their JIT threads {x['serve_nojit'] / x['tcnative_nojit']:.2f}×")
    lt = res["TLSv1.2"]["latency"]
    ratio = lt["same"][0] / lt["other"][0]
    rr = res["TLSv1.2"]["resumed"]
    rows.append(f"| TLSv1.2 resumption on another node ≥ 0.9× the same node, `serve`'s shipped configuration "
                f"(rate = 1 / mean latency, section 0) | {ratio:.2f}× (node CPU {rr['redis_same']:.0f} same vs "
                f"{rr['redis']:.0f} µs other: {rr['redis_same'] / rr['redis']:.2f}×) | {'yes' if ratio >= 0.9 else '**no**'} |")
    return "\n".join(rows) + "\n"


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        return client_main(sys.argv[2:])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    p.add_argument("--out", required=True, help="markdown section to write")
    p.add_argument("--targets", help="markdown rows for the targets table to write")
    p.add_argument("--json", help="raw samples to write")
    p.add_argument("--full", action="store_true", help="5 rounds of 4 s (default: 3 rounds of 2.5 s)")
    p.add_argument("--rounds", type=int)
    p.add_argument("--seconds", type=float)
    p.add_argument("--warmup", type=float)
    p.add_argument("--warmup-budget", type=float, help="most seconds of warm-up slices in all")
    p.add_argument("--warmup-least", type=float, default=0.0,
                   help="least seconds of warm-up per JVM group, even once its JIT is quiet (equal warm-ups for variants)")
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--redis-cpu", type=int, help="CPU for redis-server (default: the servers' CPU; the client's CPU "
                   "stands in for Redis on its own host, as in production)")
    p.add_argument("--kinds", help="comma-separated subset of: " + ", ".join(KINDS) + " (partial run, no report)")
    p.add_argument("--protocols", default="TLSv1.3,TLSv1.2")
    p.add_argument("--from-json", metavar="FILE", help="render --out/--targets from a --json file of an earlier run "
                   "(no servers started)")
    p.add_argument("--variant", action="append", default=[], metavar="LABEL;ROOT;JAVA_OPTIONS",
                   help="one more `serve` (embedded store) to compare with: ROOT another checkout (empty: this one), "
                   "JAVA_OPTIONS for it; adds the kinds LABEL-full and LABEL-resumed (use with --kinds)")
    p.add_argument("--redis-variant", action="append", default=[], metavar="LABEL;ROOT;JAVA_OPTIONS",
                   help="two more `serve --store redis://` nodes (LABEL-a, LABEL-b) on the same redis-server: ROOT "
                   "another checkout (empty: this one), JAVA_OPTIONS for them; adds the kind LABEL-other (use with --kinds)")
    p.add_argument("--java-options", help="JAVA_TOOL_OPTIONS for the serve/tcnative JVMs (e.g. for profiling)")
    p.add_argument("--profile", metavar="DIR", help="after the rounds, record each kind's server with perf into DIR "
                   "(use --rounds 0; --java-options '-XX:+PreserveFramePointer' for Java stacks)")
    p.add_argument("--profile-seconds", type=float, default=10)
    a = p.parse_args()
    a.root = os.path.abspath(a.root)
    a.variants = []
    for v in a.variant:
        label, root, opts = (v.split(";", 2) + ["", ""])[:3]
        if label in KINDS or label in ("nginx", "serve", "tcnative", "redis", "serve-a", "serve-b"):
            raise SystemExit(f"error: variant label {label} is taken")
        a.variants.append((label, os.path.abspath(root) if root else "", opts))
        KINDS[label + "-full"] = {"mode": "full", "a": label}
        KINDS[label + "-resumed"] = {"mode": "resume", "a": label}
    a.redis_variants = []
    for v in a.redis_variant:
        label, root, opts = (v.split(";", 2) + ["", ""])[:3]
        if label + "-other" in KINDS or "-" in label or label in ("nginx", "serve", "tcnative", "redis"):
            raise SystemExit(f"error: redis variant label {label} is taken or has a '-'")
        a.redis_variants.append((label, os.path.abspath(root) if root else "", opts))
        KINDS[label + "-other"] = {"mode": "pair", "a": label + "-a", "b": label + "-b", "also": ["redis"],
                                   "min_resumed": 0.99}
    rounds = a.rounds if a.rounds is not None else (5 if a.full else 3)
    seconds = a.seconds or (4.0 if a.full else 2.5)
    warmup = a.warmup if a.warmup is not None else 5.0
    budget = a.warmup_budget if a.warmup_budget is not None else (900.0 if a.full else 240.0)
    for tool in ("nginx", "redis-server", "taskset"):
        if not shutil.which(tool):
            raise SystemExit(f"error: {tool} is needed on PATH")
    if os.cpu_count() < 2:
        raise SystemExit("error: needs 2 CPUs (server and client pinned apart)")
    jar_bench = os.path.join(a.root, "benchmarks", "target", "benchmarks.jar")
    jar_server = os.path.join(a.root, "server", "target", "server-0.1.0-SNAPSHOT.jar")
    for j in (jar_bench, jar_server):
        if not os.path.exists(j):
            raise SystemExit(f"error: {j} is missing: bin/mvn -B -ntp -pl benchmarks -am package -DskipTests")
    if a.from_json:
        with open(a.from_json) as f:
            saved = json.load(f)
        h = Harness(a)
        h.samples = saved["samples"]
        res = analyse(h)
        with open(a.out, "w") as f:
            f.write(markdown(h, res, saved["meta"]))
        if a.targets:
            with open(a.targets, "w") as f:
                f.write(targets(res))
        return
    kinds = a.kinds.split(",") if a.kinds else list(KINDS)
    protocols = a.protocols.split(",")
    work = tempfile.mkdtemp(prefix="vs-nginx.")
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "2", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    os.chmod(work, 0o755)  # nginx's worker (another user) reads the certificate via the master: fine; temp dirs too
    h = Harness(a)

    def stop_on_signal(signum, frame):
        raise SystemExit(f"vs-nginx: signal {signum}, stopping the servers")
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    load_before = load()
    started = time.monotonic()
    try:
        h.start(work, jar_server, jar_bench, cert, key)
        print(f"vs-nginx: servers up ({', '.join(f'{n} {s.address}' for n, s in h.servers.items())})", flush=True)
        t_warm = time.monotonic()
        h.warm_up(protocols, kinds, warmup, budget, a.warmup_least)
        h.warm_seconds = time.monotonic() - t_warm
        print("vs-nginx: warm-up done", flush=True)
        for rnd in range(rounds):
            for pr in protocols:
                order = kinds if rnd % 2 == 0 else list(reversed(kinds))
                for k in order:
                    s = h.run(k, pr, seconds)
                    c = s["client"]
                    srv = KINDS[k].get("b") or KINDS[k]["a"]
                    n = c["b"] if KINDS[k]["mode"] == "pair" else c["a"]
                    print(f"  round {rnd + 1} {pr} {k:15} {n:6} conns, {c['reused']:6} resumed, "
                          f"{srv} {s['cpu_ns'][srv] / 1000 / n:7.1f} µs/conn (JIT {s['threads_ns'][srv].get('jit', 0) / 1000 / n:.1f})",
                          flush=True)
        if a.profile:
            os.makedirs(a.profile, exist_ok=True)
            for pr in protocols:
                for k in kinds:
                    path = os.path.join(a.profile, f"{pr}-{k}.data")
                    s = h.run(k, pr, a.profile_seconds, perf=path)
                    n = s["client"]["b"] if KINDS[k]["mode"] == "pair" else s["client"]["a"]
                    with open(path + ".json", "w") as f:
                        json.dump({"connections": n, "sample": s}, f)
                    print(f"  profiled {pr} {k}: {n} connections -> {path}", flush=True)
            # the JIT's symbols, for perf script (/tmp/perf-PID.map)
            for srv in h.servers.values():
                if srv.name not in ("nginx", "redis"):
                    subprocess.run([os.path.join(java_home(a.root), "bin", "jcmd"), str(srv.proc.pid), "Compiler.perfmap"],
                                   capture_output=True)
    finally:
        h.stop()
    meta = {"rounds": rounds, "seconds": seconds, "warmup": warmup, "budget": budget,
            "warm": ("still compiling after it: " + ", ".join(h.still_compiling))
            if h.still_compiling else f"took {h.warm_seconds:.0f} s", "load_before": load_before, "load_after": load(),
            "elapsed": time.monotonic() - started}
    meta["nginx"], meta["nginx_openssl"] = nginx_version()
    meta["client_openssl"] = ssl.OPENSSL_VERSION
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"meta": meta, "samples": h.samples}, f, indent=1)
    if a.kinds or len(protocols) < 2 or rounds == 0:
        print("vs-nginx: partial run (--kinds/--protocols): no report; medians over the rounds:")
        for pr in protocols:
            base = {}
            for k in kinds:
                srv = KINDS[k].get("b") or KINDS[k]["a"]
                key = "b" if KINDS[k]["mode"] == "pair" else "a"
                ss = [x for x in h.samples if x["kind"] == k and x["protocol"] == pr]
                if not ss:
                    continue
                v = median([per_conn(x, srv, key) for x in ss])
                jit = median([x["threads_ns"][srv].get("jit", 0) / 1000 / x["client"][key] for x in ss])
                loop = median([x["threads_ns"][srv].get("event loop", 0) / 1000 / x["client"][key] for x in ss])
                kindname = k.split("-", 1)[1] if "-" in k else k
                base.setdefault(kindname, (v, loop))
                print(f"  {pr} {k:22} {v:8.1f} µs/conn (JIT {jit:.1f}, event loop {loop:.1f})  vs first of its kind: "
                      f"{v / base[kindname][0]:.3f}× (event loop {loop / base[kindname][1] if base[kindname][1] else float('nan'):.3f}×)")
        shutil.rmtree(work, ignore_errors=True)
        return
    res = analyse(h)
    md = markdown(h, res, meta)
    with open(a.out, "w") as f:
        f.write(md)
    if a.targets:
        with open(a.targets, "w") as f:
            f.write(targets(res))
    print(md)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
