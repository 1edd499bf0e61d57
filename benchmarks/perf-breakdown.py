#!/usr/bin/env python3
"""Where a server's CPU goes, from `perf record -g` samples: per bucket, share of the samples.

    benchmarks/perf-breakdown.py FILE.data [FILE.data ...] [--connections N] [--top 15] [--markdown]

The leaf frame of each sample decides its bucket: the kernel, libssl, libcrypto, libc, the JVM's own
code (split by thread: JIT compiler, GC/VM, or on the Java threads), nginx's own code, or Java code the
JIT compiled (from the JVM's perf map, /tmp/perf-PID.map: `-XX:+UnlockDiagnosticVMOptions
-XX:+DumpPerfMapAtExit` or `jcmd PID Compiler.perfmap`), which is split by the leaf Java frame's
package: this project's engine (io.tlssessioncache.netty), the rest of this project, Netty's SslHandler,
Netty's HTTP codecs, the rest of Netty (channel, pipeline, buffers, event loop), FFM and method-handle
glue (java.lang.invoke, jdk.internal.foreign, downcall/upcall stubs), other JDK code, the interpreter.
With --connections, also µs per connection (samples × period / connections).
"""
import argparse
import collections
import re
import subprocess
import sys

JAVA_BUCKETS = [
    ("Java: this engine (io.tlssessioncache.netty)", re.compile(r"io[./]tlssessioncache[./]netty")),
    ("Java: rest of this project (server, store, core)", re.compile(r"io[./]tlssessioncache")),
    ("Java: Netty SslHandler", re.compile(r"io[./]netty[./]handler[./]ssl")),
    ("Java: Netty HTTP codec", re.compile(r"io[./]netty[./]handler[./]codec")),
    ("Java: Netty channel/pipeline/buffers/event loop", re.compile(r"io[./]netty")),
    ("Java: FFM and method-handle glue", re.compile(r"java[./]lang[./]invoke|jdk[./]internal[./]foreign|"
                                                     r"nep_invoker|upcall|downcall|LambdaForm|Invokers")),
    ("Java: interpreter", re.compile(r"^Interpreter")),
    ("Java: JDK (collections, NIO, strings, ...)", re.compile(r"java[./]|jdk[./]|sun[./]")),
]


def bucket(comm, sym, dso):
    d = dso.rsplit("/", 1)[-1]
    if d.startswith("[kernel") or dso == "[kernel.kallsyms]" or d.startswith("[vdso"):
        return "kernel"
    if d.startswith("libssl"):
        return "libssl"
    if d.startswith("libcrypto"):
        return "libcrypto"
    if d.startswith("libc.so") or d.startswith("ld-linux") or d.startswith("libpthread"):
        return "libc"
    if d.startswith("libjvm"):
        if comm.startswith("C1 Compiler") or comm.startswith("C2 Compiler"):
            return "JVM: JIT compiler threads"
        if comm.startswith(("GC ", "G1 ", "VM Thread", "VM Periodic")):
            return "JVM: GC and VM threads"
        return "JVM: runtime on the Java threads (allocation, FFM transitions, safepoints, ...)"
    if d == "nginx":
        return "nginx itself"
    if d.startswith("perf-") and d.endswith(".map"):
        for name, rx in JAVA_BUCKETS:
            if rx.search(sym):
                return name
        return "Java: other compiled code / stubs"
    if d.startswith("libnetty") or "tcnative" in d:
        return "tcnative (BoringSSL, statically linked)"
    if d in ("[unknown]", "unknown"):
        return "unknown (JIT code without a map entry)"
    return "other: " + d


def samples(path):
    """(comm, period, leaf sym, leaf dso) per sample."""
    p = subprocess.Popen(["perf", "script", "-i", path, "-F", "comm,period,ip,sym,dso", "--no-inline"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, errors="replace")
    head = None
    leaf = None
    for line in p.stdout:
        if not line.strip():
            if head:
                yield head[0], head[1], leaf[0] if leaf else "?", leaf[1] if leaf else "?"
            head, leaf = None, None
            continue
        if not line.startswith((" ", "\t")):
            # comm may contain spaces; the period is the last number on the line
            m = re.match(r"^(.*?)\s+(\d+)\s*$", line.rstrip())
            if m:
                head = (m.group(1).strip(), int(m.group(2)))
            else:
                parts = line.split()
                head = (" ".join(parts[:-1]), 1)
            # with -F ...ip,sym,dso and no callchain, the frame is on the same line
            m2 = re.search(r"\s+[0-9a-f]+\s+(.*)\s+\((.*)\)\s*$", line)
            if m2:
                m3 = re.match(r"^(.*?)\s+(\d+)\s+[0-9a-f]+\s", line)
                if m3:
                    head = (m3.group(1).strip(), int(m3.group(2)))
                leaf = (m2.group(1), m2.group(2))
            continue
        if leaf is None:
            m = re.match(r"^\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$", line)
            if m:
                leaf = (m.group(1), m.group(2))
    if head:
        yield head[0], head[1], leaf[0] if leaf else "?", leaf[1] if leaf else "?"
    p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--connections", type=int, help="connections served while recording (µs per connection)")
    ap.add_argument("--top", type=int, default=12, help="how many leaf symbols to list")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--exclude-jit", action="store_true", help="leave out the JIT compiler threads' samples (a JVM "
                    "still warming up), reported on a separate line")
    a = ap.parse_args()
    by_bucket = collections.Counter()
    by_sym = collections.Counter()
    total = 0
    n = 0
    jit = 0
    for f in a.files:
        for comm, period, sym, dso in samples(f):
            b = bucket(comm, sym, dso)
            if a.exclude_jit and comm.startswith(("C1 Compiler", "C2 Compiler")):
                jit += period
                continue
            by_bucket[b] += period
            by_sym[(b, re.sub(r"\+0x[0-9a-f]+$", "", sym))] += period
            total += period
            n += 1
    if not total:
        sys.exit("no samples")
    per = (lambda ns: f"{ns / 1000 / a.connections:.1f}") if a.connections else (lambda ns: "–")
    if a.markdown:
        print(f"{n} samples" + (f", {a.connections} connections" if a.connections else "")
              + (f"; left out: JIT compiler threads, {per(jit)} µs per connection" if a.exclude_jit else "") + "\n")
        print("| bucket | share | µs per connection |\n|---|---|---|")
        for b, v in by_bucket.most_common():
            print(f"| {b} | {100 * v / total:.1f}% | {per(v)} |")
        print("\nTop leaf symbols:\n\n| symbol | bucket | share |\n|---|---|---|")
        for (b, s), v in by_sym.most_common(a.top):
            print(f"| `{s[:90]}` | {b} | {100 * v / total:.1f}% |")
    else:
        print(f"{n} samples, {total / 1e9:.2f} s" + (f" (left out: JIT compiler threads {per(jit)} µs/conn)" if a.exclude_jit else ""))
        for b, v in by_bucket.most_common():
            print(f"  {100 * v / total:5.1f}%  {per(v):>8} µs/conn  {b}")
        print("top leaf symbols:")
        for (b, s), v in by_sym.most_common(a.top):
            print(f"  {100 * v / total:5.1f}%  {s[:100]}  [{b}]")


if __name__ == "__main__":
    main()
