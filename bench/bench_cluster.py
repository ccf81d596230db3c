#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Scale-out benchmark (issue 12 item 4): a 3-server NATS JetStream cluster of
its own on loopback (R3, free ports, temporary storage), K hotlist nodes.

Prints one key=value line per figure:
  feed_reads_per_s        hotlist feed alone, reads stored by the servers per second
  drain_reads_per_s       K nodes draining a backlog: read -> match -> hit stored -> ack
  pipeline_reads_per_s    feed and nodes at once, first read fed to last read acked
  e2e_p50_ms/e2e_p99_ms   feed time (the read's ts_us) -> hit stored (stream time), paced
  edit_p50_ms/...         edit published -> applied, per node (node's clock = publisher's)
  replace_<N>_upload_s    hotlist publish of an N-entry list (read, digest, upload, manifest)
  replace_<N>_apply_ms    manifest written -> node applied (fetch, verify, load), per node
  cpu_<proc>_pct          CPU of each process during the drain phase (100 = one core)
  cpu_<proc>_us_per_read  CPU time each process spent per read drained

Usage: bench/bench_cluster.py [--build DIR] [--reads N] [--nodes K] [--batch B]
                              [--replace N[,N...]] [--smoke] [--replace-only] [--random-refs]
                              [--zstd LEVEL]
"""

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import threading
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "tests", "cluster"))


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_list(path, n, prefix, random_refs=False):
    """n entries; with random_refs each reference is 16 random hex digits, so
    the file compresses about as much as a real list (~3x) rather than ~50x."""
    rng = random.Random(n)
    with open(path, "w") as f:
        f.write("plate,country,category,reference\n")
        for i in range(n):
            ref = f"{rng.getrandbits(64):016x}" if random_refs else f"ref-{i}"
            f.write(f"{prefix}{i:07d},NL,stolen,{ref}\n")


def reads_text(n, start, hit_plates, hit_every, with_ts=True):
    rng = random.Random(start)
    lines = ["camera,ts_us,plate,country\n" if with_ts else "camera,plate,country\n"]
    for i in range(start, start + n):
        p = rng.choice(hit_plates) if i % hit_every == 0 else f"ZZ{i:08d}"
        lines.append(f"cam{i % 16},{1_700_000_000_000_000 + i},{p},NL\n" if with_ts else
                     f"cam{i % 16},{p},NL\n")
    return "".join(lines)


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]


def total_reads(nodes):
    return sum(n.metrics().get("hotlist_node_reads_total", 0) for n in nodes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(root, "build"))
    ap.add_argument("--reads", type=int, default=200000)
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--replace", default="1000000")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--zstd", type=int, default=None,
                    help="hotlist publish --zstd LEVEL for the replaces (default: its own)")
    ap.add_argument("--random-refs", action="store_true",
                    help="replace lists with random references (less compressible)")
    ap.add_argument("--replace-only", action="store_true",
                    help="only start the nodes and time the replaces (F)")
    a = ap.parse_args()
    if a.smoke:
        a.reads, a.replace = 5000, "20000"
    os.environ.setdefault("HOTLIST", os.path.join(a.build, "tools", "hotlist"))
    import harness

    print(f"# bench_cluster: 3 servers (nats-server, R3, loopback), {a.nodes} nodes, "
          f"batch {a.batch}, {a.reads} reads, {os.cpu_count()} CPUs, "
          f"git {subprocess.run(['git', '-C', root, 'describe', '--always', '--dirty'], capture_output=True, text=True).stdout.strip()}")
    print(f"# load average at start: {open('/proc/loadavg').read().split()[:3]} "
          "(a shared machine: other processes take CPU; per-read CPU costs are the "
          "figures that survive that)")
    c = harness.Cluster()
    try:
        c.start()
        lp = os.path.join(c.dir, "national.csv")
        write_list(lp, 100000, "HL")
        plates = [f"HL{i:07d}" for i in range(100000)]
        c.run("publish", "--list", "national", lp)

        if not a.replace_only:
            # A: feed alone (a backlog for B).
            text = reads_text(a.reads, 0, plates, 100)
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.time()
            c.run("feed", input=text, timeout=600)
            dt = time.time() - t
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            print(f"feed_reads_per_s={a.reads / dt:.0f}")
            print(f"cpu_feed_pct={100 * (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / dt:.0f}")

        # B: K nodes drain the backlog.
        nodes = [c.node(f"n{i}", "--batch", str(a.batch)).start() for i in range(a.nodes)]
        for n in nodes:
            harness.wait_for(n.ready, 60, f"{n.name} ready")
        if not a.replace_only:
            procs = {f"server{s.i}": s.proc.pid for s in c.servers}
            procs.update({n.name: n.proc.pid for n in nodes})
            cpu0 = {k: cpu_s(p) for k, p in procs.items()}
            t = time.time()
            harness.wait_for(lambda: total_reads(nodes) >= a.reads, 600, "drain", step=0.02)
            dt = time.time() - t
            cpu1 = {k: cpu_s(p) for k, p in procs.items()}
            print(f"drain_reads_per_s={a.reads / dt:.0f}")
            for k in procs:
                used = cpu1[k] - cpu0[k]
                print(f"cpu_{k}_pct={100 * used / dt:.0f} cpu_{k}_us_per_read={1e6 * used / a.reads:.1f}")
            srv = sum(cpu1[k] - cpu0[k] for k in procs if k.startswith("server"))
            nod = sum(cpu1[k] - cpu0[k] for k in procs if not k.startswith("server"))
            print(f"cpu_servers_us_per_read={1e6 * srv / a.reads:.1f} "
                  f"cpu_nodes_us_per_read={1e6 * nod / a.reads:.1f}")
            print(f"# load average after drain: {open('/proc/loadavg').read().split()[:3]}")

            # C: feed and match at once.
            base = total_reads(nodes)
            text = reads_text(a.reads, 10_000_000, plates, 100)
            t = time.time()
            c.run("feed", input=text, timeout=600)
            harness.wait_for(lambda: total_reads(nodes) >= base + a.reads, 600, "pipeline",
                             step=0.02)
            print(f"pipeline_reads_per_s={a.reads / (time.time() - t):.0f}")

            # D: end-to-end latency at a paced rate, every read a hit; ts_us = feed time.
            rate, secs = (500, 4) if a.smoke else (1000, 10)
            before = len(c.hits())
            feed = subprocess.Popen([harness.HOTLIST, "feed", "--nats", c.urls],
                                    stdin=subprocess.PIPE, text=True)
            feed.stdin.write("camera,plate,country\n")
            t0 = time.time()
            for i in range(rate * secs):
                while time.time() < t0 + i / rate:
                    time.sleep(0.0005)
                feed.stdin.write(f"lat{i % 8},{plates[i % len(plates)]},NL\n")
                feed.stdin.flush()
            feed.stdin.close()
            feed.wait()
            harness.wait_for(lambda: len(c.hits()) >= before + rate * secs, 120, "latency hits",
                             step=0.5)
            once = c.hits()
            lat = [(h["stored_us"] - h["ts_us"]) / 1e3 for h in once[before:]]
            # The latencies are of each hit once, as a control room reads them; the
            # stream's own copies of a hit id (which `hotlist hits` skips) are counted.
            copies = len(c.hits(all_copies=True)) - len(once)
            print(f"e2e_rate_reads_per_s={rate} e2e_hits={len(lat)} "
                  f"e2e_p50_ms={pct(lat, 0.5):.2f} e2e_p99_ms={pct(lat, 0.99):.2f} "
                  f"e2e_max_ms={max(lat):.2f} e2e_hit_copies={copies}")

            # E: edits.
            n_edits = 20 if a.smoke else 200
            for i in range(n_edits):
                c.run("edit", "--list", "national", "put", f"ED{i:05d}", "--country", "NL")
            for n in nodes:
                harness.wait_for(lambda: n.metrics().get("hotlist_node_edits_total", 0) >= n_edits,
                                 60, "edits")
                m = n.metrics()
                q = lambda k: m[f'hotlist_node_edit_delay_seconds{{quantile="{k}"}}'] * 1e3
                print(f"edit_node={n.name} edits={n_edits} edit_p50_ms={q('0.5'):.2f} "
                      f"edit_p99_ms={q('0.99'):.2f} edit_max_ms={q('1'):.2f}")

        # F: replaces.
        for size in [int(x) for x in a.replace.split(",") if x]:
            big = os.path.join(c.dir, f"list{size}.csv")
            write_list(big, size, "BG", a.random_refs)
            t = time.time()
            zopt = [] if a.zstd is None else ["--zstd", str(a.zstd)]
            r = c.run("publish", "--list", "national", "--wait", "--timeout", "600", *zopt,
                      big, timeout=900)
            total = time.time() - t
            for line in r.stdout.splitlines():
                if "applied" in line:
                    node = line.split()[1].rstrip(":")
                    ms = float(line.split(" in ")[1].split()[0])
                    print(f"replace_{size}_node={node} replace_{size}_apply_ms={ms:.0f}")
                elif line.startswith("published"):
                    print(f"# {line}")
            key = 'hotlist_node_list_apply_seconds{list="national"}'
            fkey = 'hotlist_node_list_fetch_seconds{list="national"}'
            for n in nodes:
                m = n.metrics()
                print(f"replace_{size}_node={n.name} replace_{size}_fetch_verify_load_s="
                      f"{m[key]:.2f} replace_{size}_fetch_verify_s={m[fkey]:.2f}")
            print(f"replace_{size}_publish_wait_total_s={total:.2f}")
            os.unlink(big)
    finally:
        c.close()


if __name__ == "__main__":
    main()
