# SPDX-License-Identifier: MIT
"""A node in a police car, offline and back (docs/cameras.md, "Cameras in
cars"): a hub nats-server (JetStream domain hub) and a car nats-server
(domain car1, a leafnode of the hub through a TCP relay this test can cut),
`hotlist car setup`, and `hotlist node` on the car.

1. Online: list v1 published on the hub reaches the car's node; reads fed on
   the car hit it; the hits reach the hub's HL_HITS.
2. The link is cut mid-stream: reads are fed on the car in five chunks of
   480 (180 hits each), the link cut while the third is fed, so hits are on
   their way to the hub and more keep coming: the car keeps matching against v1 and
   keeps its hits on the car; `hotlist car status` says stale (hub
   unreachable). Meanwhile the hub gets list v2 and an edit (a new wanted
   plate): the car does not see them, a read of the new plate does not hit.
   The car then reboots, still offline (its server and node stopped and
   started): the node is ready from the car's disk alone, still on v1, and
   goes on matching and storing hits.
3. The link is restored: the car catches up (v2 and the edit applied) before
   `hotlist car status` says current; the hub then holds every hit the car
   made, each exactly once (count and distinct hit ids, compared with the
   car's own HL_HITS); a read of the new plate now hits and reaches the hub.

usage: leaf_e2e.py HOTLIST JS_TOOL WORKDIR
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import natsfixture as nf  # noqa: E402

HOTLIST, JS_TOOL, WORK = sys.argv[1:4]
check = nf.check


class Relay:
    """A TCP relay from a local port to the hub's leafnode port. cut() closes
    the listener and every relayed connection; restore() listens again on
    the same port."""

    def __init__(self, port, target):
        self.port, self.target = port, target
        self.lock = threading.Lock()
        self.socks = []
        self.listener = None

    def restore(self):
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        ls.listen(8)
        self.listener = ls
        threading.Thread(target=self._accept, args=(ls,), daemon=True).start()

    def cut(self):
        with self.lock:
            ls, self.listener = self.listener, None
            socks, self.socks = self.socks, []
        # shutdown() wakes the accept() blocked on it (close() alone does
        # not, and the car would reconnect through it)
        try:
            ls.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        ls.close()
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self, ls):
        while True:
            try:
                a, _ = ls.accept()
            except OSError:
                return
            try:
                b = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                a.close()
                continue
            with self.lock:
                if self.listener is not ls:
                    a.close()
                    b.close()
                    return
                self.socks += [a, b]
            for x, y in ((a, b), (b, a)):
                threading.Thread(target=self._pipe, args=(x, y), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                d = src.recv(65536)
                if not d:
                    break
                dst.sendall(d)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


T0 = time.monotonic()
NOHIT = [f"NO{i:04d}Y" for i in range(300)]
BURST_PASSES = 5  # the stream: v1[20:200] and 300 misses, five chunks
BURST_HITS = BURST_PASSES * 180


def hl(*args, check_rc=True, timeout=60):
    t = time.monotonic()
    r = subprocess.run([HOTLIST] + list(args), capture_output=True, text=True, timeout=timeout)
    print(f"leaf_e2e: {t - T0:6.2f}s +{time.monotonic() - t:5.2f}s hotlist {' '.join(args[:2])}")
    if check_rc and r.returncode != 0:
        raise AssertionError(f"hotlist {' '.join(args)}: rc {r.returncode}\n{r.stdout}{r.stderr}")
    return r


def write_list(path, plates):
    with open(path, "w") as f:
        f.write("plate,country,category\n")
        for p in plates:
            f.write(f"{p},NL,stolen vehicle\n")


def write_reads(path, plates, t0):
    with open(path, "w") as f:
        for i, p in enumerate(plates):
            f.write(json.dumps({"plate": p, "country": "NL", "camera": "car1-front",
                                "ts_us": t0 + i}) + "\n")


def start_node(procs, car_url, http_port, log):
    return procs.popen([HOTLIST, "node", "--nats", car_url, "--name", "car1", "--site", "car1",
                        "--http-port", str(http_port)],
                       stdout=open(f"{WORK}/{log}", "w"), stderr=subprocess.STDOUT)


def car_status(car_url, wait=0):
    r = hl("car", "status", "--nats", car_url, "--hub-domain", "hub", "--node", "car1",
           "--wait", str(wait), check_rc=False)
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    check(lines, f"car status printed nothing: {r.stderr}")
    return r.returncode, json.loads(lines[-1])


def hub_car(hub_url, want, timeout=30, why=""):
    """The car node as `hotlist cluster` on the hub lists it (sourced from the
    car's HL_NODES into the hub's HL_CARS), once want(status) holds."""
    end = time.monotonic() + timeout
    while True:
        r = hl("cluster", "--nats", hub_url, "--json", check_rc=False)
        st = json.loads(r.stdout)["cars"].get("car1") if r.returncode == 0 else None
        if st and want(st):
            return st
        check(time.monotonic() < end, f"hub's view of the car node {why}: {st} {r.stderr}")
        time.sleep(0.5)


def hit_ids(url, domain=None):
    return [m["msg_id"] for m in nf.dump(JS_TOOL, url, "HL_HITS", domain=domain)]


def main():
    nf.skip_unless("nats-server")
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    procs = nf.Procs()
    relay = None
    try:
        relay = run(procs)
    finally:
        procs.close()
        if relay and relay.listener:
            relay.cut()
    print("leaf_e2e: ok")


def run(procs):
    hub_port, leaf_port, relay_port = nf.free_port(), nf.free_port(), nf.free_port()
    car_port, http_port = nf.free_port(), nf.free_port()
    # The hub advertises the relay as its leafnode address: a 2.9 server
    # always tells its leaf remotes where it listens (no_advertise does not
    # cover that), and the car would go round a cut relay.
    hub = procs.server(WORK, "hub", f"""
server_name: hub
listen: 127.0.0.1:{hub_port}
jetstream {{ domain: hub, store_dir: "{WORK}/hub" }}
leafnodes {{ listen: 127.0.0.1:{leaf_port}, advertise: "127.0.0.1:{relay_port}" }}
""", hub_port).start()
    relay = Relay(relay_port, leaf_port)
    relay.restore()
    car = procs.server(WORK, "car", f"""
server_name: car1
listen: 127.0.0.1:{car_port}
jetstream {{ domain: car1, store_dir: "{WORK}/car" }}
leafnodes {{
    reconnect: 1
    remotes [ {{
        url: "nats-leaf://127.0.0.1:{relay_port}"
        deny_imports: ["hl.>", "$KV.>"]
        deny_exports: ["hl.>", "$KV.>"]
    }} ]
}}
""", car_port).start()

    # The hub's streams come with its first publish; then the car's.
    v1 = [f"V1{i:04d}A" for i in range(200)]
    write_list(f"{WORK}/v1.csv", v1)
    hl("publish", "--nats", hub.url, "--list", "stolen", f"{WORK}/v1.csv")
    end = time.monotonic() + 20
    while True:
        r = hl("car", "setup", "--nats", car.url, "--hub-domain", "hub", check_rc=False)
        if r.returncode == 0:
            break
        check(time.monotonic() < end, f"car setup: rc {r.returncode} {r.stdout} {r.stderr}")
        time.sleep(0.3)
    node = start_node(procs, car.url, http_port, "node.log")
    rc, st = car_status(car.url, wait=30)
    check(rc == 0 and st["current"], f"car node never current: {st}")
    check(st["lists"]["stolen"]["applied"] == 1, f"v1 not applied: {st}")
    # the hub lists the car's node: online, its domain, the version it applied
    hub_car(hub.url, lambda s: s["online"] and s["ready"] and s["domain"] == "car1" and
            s["lists"]["stolen"]["applied"] == 1, why="online with v1")

    # 1. online: hits reach the hub
    t0 = 1767225600000000
    write_reads(f"{WORK}/r1.jsonl", v1[:20] + [f"NO{i:04d}X" for i in range(20)], t0)
    hl("feed", "--nats", car.url, "--site", "car1", "--reads", f"{WORK}/r1.jsonl")
    nf.wait_count(JS_TOOL, hub.url, "HL_HITS", 20)

    # 2. a stream of reads in chunks, the link cut during the third: the
    #    car's hits are on their way to the hub, and more keep coming
    chunks = [[p for p in v1[20:200] + NOHIT] for _ in range(BURST_PASSES)]
    fed = []

    def feeder():
        for k, chunk in enumerate(chunks):
            write_reads(f"{WORK}/r2-{k}.jsonl", chunk, t0 + 1000 + k * 1000)
            try:
                r = subprocess.run([HOTLIST, "feed", "--nats", car.url, "--site", "car1",
                                    "--reads", f"{WORK}/r2-{k}.jsonl"], capture_output=True,
                                   timeout=90)
                fed.append(r.returncode)
            except subprocess.TimeoutExpired as e:
                fed.append(f"chunk {k}: feed still running after 90 s: {e.stderr}")
            time.sleep(0.3)

    th = threading.Thread(target=feeder)
    th.start()
    end = time.monotonic() + 30
    while len(fed) < 2:
        check(time.monotonic() < end, "the first chunks were not fed")
        time.sleep(0.01)
    time.sleep(0.35)  # the third chunk is being fed and matched
    relay.cut()
    time.sleep(0.5)  # what the hub had read off the socket is stored by now
    at_cut = nf.count(JS_TOOL, hub.url, "HL_HITS")
    th.join(timeout=600)
    check(fed == [0] * BURST_PASSES, f"feeds of the stream: {fed}")
    # the hub moves on without the car
    v2 = v1[:100] + [f"V2{i:04d}B" for i in range(100)]
    write_list(f"{WORK}/v2.csv", v2)
    hl("publish", "--nats", hub.url, "--list", "stolen", f"{WORK}/v2.csv")
    hl("edit", "--nats", hub.url, "--list", "stolen", "--country", "NL", "--category",
       "wanted person", "put", "NEW0001Z")
    rc, st = car_status(car.url)
    check(rc == 1 and st["stale"] and st["hub"] == "unreachable",
          f"offline car not reported stale: {st}")
    check(st["lists"]["stolen"]["applied"] == 1, f"offline car lost v1: {st}")
    # offline: v1 plates still hit, v2's and the edit's do not (yet)
    write_reads(f"{WORK}/r3.jsonl", v1[150:200] + [v2[150], "NEW0001Z"], t0 + 5000)
    hl("feed", "--nats", car.url, "--site", "car1", "--reads", f"{WORK}/r3.jsonl")
    nf.wait_count(JS_TOOL, car.url, "HL_HITS", 20 + BURST_HITS + 50)
    # the car reboots while offline: its server and node start again from
    # what is on the car's disk, the node ready without the hub
    rc = procs.stop(node)
    check(rc == 0, f"node exit status {rc} on SIGTERM")
    car.stop()
    car.start()
    node = start_node(procs, car.url, http_port, "node2.log")
    end = time.monotonic() + 30
    while True:
        rc, st = car_status(car.url)
        if st.get("ready") and st.get("live") or time.monotonic() > end:
            break
        time.sleep(0.2)
    check(rc == 1 and st["ready"] and st["hub"] == "unreachable" and
          st["lists"]["stolen"]["applied"] == 1, f"rebooted offline car: {st}")
    nf.wait_count(JS_TOOL, car.url, "HL_READS", 0, timeout=30)  # made again by the node
    write_reads(f"{WORK}/r3b.jsonl", v1[:10] + [v2[199]], t0 + 7000)
    hl("feed", "--nats", car.url, "--site", "car1", "--reads", f"{WORK}/r3b.jsonl")
    car_hits_offline = 20 + BURST_HITS + 50 + 10
    nf.wait_count(JS_TOOL, car.url, "HL_HITS", car_hits_offline)
    time.sleep(1.0)
    check(nf.count(JS_TOOL, car.url, "HL_HITS") == car_hits_offline,
          "the car stored hits for plates it should not know yet")
    check(nf.count(JS_TOOL, hub.url, "HL_HITS") == at_cut < car_hits_offline,
          f"hits reached the hub while the link was cut, or all before it "
          f"({at_cut} at the cut)")
    print(f"leaf_e2e: {at_cut} of {20 + BURST_HITS} hits at the hub when the link was cut; "
          f"{car_hits_offline} on the car")

    # the hub still lists the car's node, offline, with when it was last seen
    st = hub_car(hub.url, lambda s: not s["online"], why="offline")
    check(st["lists"]["stolen"]["applied"] == 1 and st["last_seen_us"] > 0,
          f"hub's view of the offline car: {st}")
    r = hl("cluster", "--nats", hub.url)
    check("car node car1 (domain car1): OFFLINE, last seen" in r.stdout, r.stdout)

    # 3. link back: caught up before current, every hit at the hub once
    relay.restore()
    rc, st = car_status(car.url, wait=60)
    check(rc == 0 and st["current"], f"car never current after the link came back: {st}")
    check(st["lists"]["stolen"]["applied"] == 2 and st["edit_seq"] >= st["hub_edit_seq"] >= 1,
          f"current before catching up: {st}")
    hub_car(hub.url, lambda s: s["online"] and s["lists"]["stolen"]["applied"] == 2,
            why="online again with v2")
    nf.wait_count(JS_TOOL, hub.url, "HL_HITS", car_hits_offline, timeout=60)
    time.sleep(2.0)  # a duplicate would arrive now
    hub_ids, car_ids = hit_ids(hub.url), hit_ids(car.url)
    check(len(car_ids) == car_hits_offline and len(set(car_ids)) == len(car_ids),
          f"car: {len(car_ids)} hits, {len(set(car_ids))} distinct")
    check(len(hub_ids) == len(set(hub_ids)), f"hub stored a hit twice: {len(hub_ids)} "
          f"hits, {len(set(hub_ids))} distinct")
    check(sorted(hub_ids) == sorted(car_ids), f"hub has {len(hub_ids)} hits, car "
          f"{len(car_ids)}: lost or extra")
    # the new versions are live on the car
    write_reads(f"{WORK}/r4.jsonl", [v2[150], "NEW0001Z", v1[199]], t0 + 9000)
    hl("feed", "--nats", car.url, "--site", "car1", "--reads", f"{WORK}/r4.jsonl")
    nf.wait_count(JS_TOOL, hub.url, "HL_HITS", car_hits_offline + 2, timeout=30)
    time.sleep(1.0)
    check(nf.count(JS_TOOL, hub.url, "HL_HITS") == car_hits_offline + 2,
          "after catching up: want hits for the v2 plate and the edit only")
    rc = procs.stop(node)
    check(rc == 0, f"node exit status {rc} on SIGTERM")
    return relay


if __name__ == "__main__":
    main()
