# SPDX-License-Identifier: MIT
"""Test harness for the cluster tests: a 3-server NATS JetStream cluster of
our own on free loopback ports (never 4222), in a temporary directory, and
hotlist nodes. Only processes started here are ever signalled, by pid."""

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

NATS_SERVER = os.environ.get("NATS_SERVER", "/usr/sbin/nats-server")
HOTLIST = os.environ.get("HOTLIST", "hotlist")


_given = set()


def free_port():
    """A loopback port free now, never 4222, never one handed out before."""
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port != 4222 and port not in _given:
            _given.add(port)
            return port


def http_get(port, path, timeout=1.0):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return None, ""


# The gate's --timeout for the servers started through it here. Its default
# (60 s) is a production fallback for a lower-named server that never
# returns; on the loaded 2-core VM (load 10-20) a restarted server's
# election and catch-up can outlast it, the waiting server then starts
# anyway and the test measures the timeout, not the gate's rules. The tests
# wait on the gate's own condition (a quorum serving) and assert that no
# gate started on its timeout.
GATE_TIMEOUT_S = 400

# How long a restarted server may stay not current, from its start, before
# it is taken for nats-server 2.9.10's stalled catch-up (docs/cluster.md,
# "Limits") and restarted once, as an operator would (Server.back, and
# gate_waits while another server's gate waits for it). In
# cluster_gate_restart hl2's gate waited for hl1's catch-up up to 17 s in
# 58 runs at load average up to 23 (docs/cluster.md); the stalled ones
# stayed not current for over 60 s. Detection (60 s), a restart and a
# catch-up (seconds; back() allows 60 s) fit well within GATE_TIMEOUT_S, so
# a gate waiting on a stalled server still starts on its rules, not at its
# timeout, once the stalled one has been restarted.
STALL_S = 60

# nats-server's line for a replica whose catch-up made no progress (every
# 10 s while it lasts).
STALLED = re.compile(r"Catchup for stream '.*' stalled")

# How long a server's monitoring port may take to answer /healthz: a loaded
# machine answered after more than the 1 s it had, which read as "not
# current" (and, for a survivor expected to lose its quorum, as lost).
HEALTHZ_TIMEOUT_S = 5


def wait_for(pred, timeout, what, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Server:
    def __init__(self, cluster, i):
        self.cluster, self.i = cluster, i
        self.port, self.cport, self.mport = free_port(), free_port(), free_port()
        self.proc = None
        self.health = ""
        self.gated = False
        self.paused = False  # pause()d, not killed since
        self.started = None  # time.time() of the last start()
        self.log_at = 0  # the length of its log at the last start()

    def config(self):
        d = self.cluster.dir
        routes = ",".join(f"nats-route://127.0.0.1:{s.cport}"
                          for s in self.cluster.servers if s is not self)
        conf = f"""server_name: hl{self.i}
listen: 127.0.0.1:{self.port}
http: 127.0.0.1:{self.mport}
jetstream {{ store_dir: "{d}/s{self.i}", max_memory_store: 1G, max_file_store: 4G }}
"""
        if len(self.cluster.servers) == 1:  # a lone server: no cluster to form
            return conf
        return conf + f"""cluster {{ name: hltest, listen: 127.0.0.1:{self.cport}, routes: [{routes}] }}
"""

    def gate_argv(self):
        """`hotlist nats-gate` for this server: every other server a peer."""
        argv = [HOTLIST, "nats-gate", "--name", f"hl{self.i}", "--timeout", str(GATE_TIMEOUT_S)]
        for s in self.cluster.servers:
            if s is not self:
                argv += ["--peer", f"hl{s.i}=http://127.0.0.1:{s.mport}"]
        return argv

    def start(self, gate=None):
        """Start the server; with gate=True (kept for later starts) through
        `hotlist nats-gate`, as cluster/nats-server-hotlist.service does
        (ExecStartPre=): the gate, then the server in its place (exec: the
        same pid), in a process group of its own so that kill() reaches a
        gate still waiting. The gate's decisions go to the server's log."""
        if gate is not None:
            self.gated = gate
        path = os.path.join(self.cluster.dir, f"s{self.i}.conf")
        with open(path, "w") as f:
            f.write(self.config())
        log = open(os.path.join(self.cluster.dir, f"s{self.i}.log"), "a")
        self.log_at, self.started = log.tell(), time.time()
        if self.gated:
            cmd = (" ".join(map(shlex.quote, self.gate_argv())) + " && exec " +
                   " ".join(map(shlex.quote, [NATS_SERVER, "-c", path])))
            self.proc = subprocess.Popen(["sh", "-c", cmd], stdout=log, stderr=log,
                                         start_new_session=True)
        else:
            self.proc = subprocess.Popen([NATS_SERVER, "-c", path], stdout=log, stderr=log)
        log.close()

    def log(self, since_start=False):
        """The server's log (its gate's lines too), as lines; since_start:
        only what its last start() wrote."""
        with open(os.path.join(self.cluster.dir, f"s{self.i}.log"), errors="replace") as f:
            if since_start:
                f.seek(self.log_at)
            return [l.rstrip() for l in f]

    def gate_log(self, since_start=False):
        """The gate's decisions, from the server's log."""
        return [l for l in self.log(since_start) if l.startswith("hotlist nats-gate:")]

    def gate_started(self):
        """The gate of the last start() has let the server start (on its
        rules, or at its timeout)."""
        g = self.gate_log(since_start=True)
        return bool(g) and (g[-1].endswith(": start") or "start anyway" in g[-1])

    def healthz(self):
        """/healthz's status code, None if the port did not answer (the
        server is down, or slower than HEALTHZ_TIMEOUT_S)."""
        code, self.health = http_get(self.mport, "/healthz", timeout=HEALTHZ_TIMEOUT_S)
        return code

    def healthy(self):
        return self.healthz() == 200

    def not_current(self):
        """The server answers /healthz, and not 200: a definite "not
        current", not a port too slow to answer."""
        return self.healthz() not in (None, 200)

    def gate_timed_out(self):
        return any("start anyway" in l for l in self.gate_log())

    def stalled(self, after=STALL_S):
        """Why the running server counts as stalled in catch-up (None when
        it does not): it is not current (/healthz not 200, or no answer) and
        since its last start its log says "Catchup for stream ... stalled"
        or `after` seconds have passed. A paused server reads as stalled
        after `after` seconds: the tests' way to provoke this."""
        if not self.proc or self.proc.poll() is not None or self.healthy():
            return None
        line = next((l for l in self.log(since_start=True) if STALLED.search(l)), None)
        if line:
            return f"its log: {line}"
        waited = time.time() - self.started
        if waited >= after:
            return f"not current {waited:.0f} s after its start ({self.health or 'no answer'})"
        return None

    def send_signal(self, sig):
        """Send sig to the server: to the group started for it when gated
        (the server, or the gate and its shell)."""
        if self.gated:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
        else:
            self.proc.send_signal(sig)

    def pause(self):
        """Stop the server (SIGSTOP): up (its ports accept) and answering
        nothing, the tests' stalled server. kill() then SIGKILLs it."""
        self.send_signal(signal.SIGSTOP)
        self.paused = True

    def kill(self, sig=signal.SIGKILL):
        """Stop the server with sig and wait for it. A paused server is
        SIGKILLed whatever sig: given SIGTERM (and SIGCONT, as systemd
        sends) it first handles what reached it while stopped, in the moment
        before it exits. Seen once: hl0 was elected leader of the file
        streams in the 10 ms a stopped hl1 ran before it exited, and hl1,
        restarted, stayed not current on them for 6 minutes (nats-server
        2.9.10)."""
        if self.proc and self.proc.poll() is None:
            self.send_signal(signal.SIGKILL if self.paused else sig)
            self.proc.wait(timeout=120)  # SIGTERM: a clean shutdown, slow when loaded
        self.proc = None
        self.paused = False

    def back(self, first=60, after=60):
        """Wait until the restarted server is current (/healthz 200). On
        nats-server 2.9.10 a replica's catch-up can stall ("Catchup for
        stream ... stalled" every 10 s; docs/cluster.md, "Limits"): then
        restart it once, as an operator would, and wait again."""
        try:
            wait_for(self.healthy, first, f"server {self.i} back")
            return
        except AssertionError:
            print(f"NOTE: server {self.i} not current {first} s after its start "
                  f"({self.health}); restarting it")
        self.kill(signal.SIGTERM)
        self.start()
        try:
            wait_for(self.healthy, after, f"server {self.i} back after its restart")
        except AssertionError:
            print(f"server {self.i} /healthz: {self.health}")
            raise
        print(f"NOTE: server {self.i} current after its restart")

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"


def gate_waits(waiting, peers, after=STALL_S):
    """Wait until the gate of `waiting` (started through it) lets it start;
    while it waits, restart a server of `peers` that is stalled in catch-up
    (Server.stalled: the known nats-server 2.9.10 stall, "Limits" in
    docs/cluster.md), once in all, as it was started (through its gate), as
    an operator would: the waiting gate waits for exactly that server to be
    current (rule 1), up to its --timeout. Returns the servers restarted.
    A gate that times out all the same returns here too; the caller asserts
    on how it started (gate_timed_out, its last line)."""
    restarted = []
    deadline = time.time() + GATE_TIMEOUT_S + 60  # the gate decides by its timeout
    while not waiting.gate_started():
        if time.time() > deadline:
            raise AssertionError(f"server {waiting.i}'s gate still waiting after "
                                 f"{GATE_TIMEOUT_S + 60} s: {waiting.gate_log()[-1:]}")
        for s in peers if not restarted else []:
            why = s.stalled(after)
            if why:
                print(f"NOTE: server {s.i} stalled in catch-up while server {waiting.i}'s "
                      f"gate waits ({why}); restarting it through its gate, once")
                s.kill(signal.SIGTERM)
                s.start()
                restarted.append(s)
                break
        time.sleep(0.5)
    for s in restarted:
        print(f"NOTE: server {waiting.i}'s gate: {waiting.gate_log()[-1]}")
    return restarted


class Node:
    def __init__(self, cluster, name, args=()):
        self.cluster, self.name, self.args = cluster, name, list(args)
        self.hport = free_port()
        self.proc = None

    def start(self, extra=()):
        log = open(os.path.join(self.cluster.dir, f"node-{self.name}.log"), "a")
        self.proc = subprocess.Popen(
            [HOTLIST, "node", "--name", self.name, "--nats", self.cluster.urls,
             "--http-port", str(self.hport)] + self.args + list(extra),
            stdout=log, stderr=log)
        log.close()
        return self

    def ready(self):
        return http_get(self.hport, "/healthz")[0] == 200

    def metrics(self):
        code, text = http_get(self.hport, "/metrics", timeout=5)
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                out[k] = float(v)
        return out

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            rc = self.proc.wait(timeout=60)
            self.proc = None
            return rc
        self.proc = None
        return None


class Cluster:
    """Three servers (or n); cleaned up on close(), also after a failure."""

    def __init__(self, n=3):
        self.dir = tempfile.mkdtemp(prefix="hotlist-cluster-")
        self.servers = [Server(self, i) for i in range(n)]
        self.nodes = []

    @property
    def urls(self):
        return ",".join(s.url for s in self.servers)

    def start(self):
        for s in self.servers:
            s.start()
        for s in self.servers:
            try:
                wait_for(s.healthy, 120, f"server {s.i} /healthz")
            except AssertionError:
                print(open(os.path.join(self.dir, f"s{s.i}.log")).read()[-3000:])
                raise
        # JetStream meta leader elected: a stream can be created.
        wait_for(lambda: self.run("cluster", "--json", check=False, timeout=20).returncode == 0,
                 120, "JetStream ready")
        return self

    def node(self, name, *args):
        n = Node(self, name, args)
        self.nodes.append(n)
        return n

    def run(self, cmd, *args, check=True, input=None, timeout=120):
        r = subprocess.run([HOTLIST, cmd, "--nats", self.urls] + list(args),
                           input=input, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"hotlist {cmd} {args}: exit {r.returncode}\n"
                                 f"{r.stdout}\n{r.stderr}")
        return r

    def status(self):
        """The cluster's state; asked again while a failover makes it time out."""
        r = wait_for(lambda: (lambda r: r if r.returncode == 0 else None)(
            self.run("cluster", "--json", check=False)), 120, "hotlist cluster", step=0.2)
        return json.loads(r.stdout)

    def replicas(self, stream):
        """Each running server's own copy of a stream, from its monitoring
        port (/jsz): {server: (messages, first_seq, last_seq, leader)}. The
        replicas of a stream must agree; the JetStream API shows one."""
        out = {}
        for s in self.servers:
            if not s.proc:
                continue
            code, body = http_get(s.mport, "/jsz?streams=1", timeout=5)
            if code != 200:
                continue
            for a in json.loads(body).get("account_details", []):
                for st in a.get("stream_detail") or []:
                    if st["name"] == stream:
                        cl = st.get("cluster") or {}
                        out[s.i] = (st["state"]["messages"], st["state"]["first_seq"],
                                    st["state"]["last_seq"], cl.get("leader"))
        return out

    def hits(self, all_copies=False):
        """The stored hits as `hotlist hits` prints them: each hit once, as
        a control room reads them; all_copies=True: every stored message,
        copies of one hit id too (what a check of the stream itself, such as
        exactly once, must read)."""
        out = self.run("hits", *(["--all-copies"] if all_copies else []), timeout=300).stdout
        return [json.loads(l) for l in out.splitlines() if l.strip()]

    def report(self, lines=40):
        """What each server and node was doing, printed when a test failed
        (a flake must explain itself from the ctest output alone): for each
        server its process, /healthz, its copy of HL_READS, the gate's
        decisions and the tail of its log; for each node the tail of its
        log. Asked with short timeouts: the servers may be the problem."""
        print(f"\n==== cluster report ({self.dir}) ====")
        try:
            reads = self.replicas("HL_READS")
        except Exception as e:  # noqa: BLE001 (a report must not raise)
            reads = f"unreadable: {e}"
        print("HL_READS per server (messages, first_seq, last_seq, leader):", reads)
        for s in self.servers:
            rc = s.proc.poll() if s.proc else "not started"
            code, body = http_get(s.mport, "/healthz", timeout=2)
            print(f"---- server hl{s.i} (pid {s.proc.pid if s.proc else '-'}, exit {rc}, "
                  f"gated {s.gated}, ports {s.port}/{s.cport}/{s.mport}): "
                  f"/healthz {code} {body.strip()}")
            _tail(os.path.join(self.dir, f"s{s.i}.log"), lines)
        for n in self.nodes:
            rc = n.proc.poll() if n.proc else "not running"
            print(f"---- node {n.name} (exit {rc}, http port {n.hport})")
            _tail(os.path.join(self.dir, f"node-{n.name}.log"), lines)
        print("==== end of cluster report ====")

    def close(self, keep=False):
        """Stop every process started here, by pid; remove the directory
        unless keep (a failed test) or HOTLIST_KEEP_CLUSTER is set."""
        for n in self.nodes:
            n.kill()
        for s in self.servers:
            s.kill()
        if keep or os.environ.get("HOTLIST_KEEP_CLUSTER"):
            print("kept", self.dir)
        else:
            subprocess.run(["rm", "-rf", self.dir])


def _tail(path, n):
    try:
        with open(path, errors="replace") as f:
            text = f.readlines()
    except OSError as e:
        print(f"  ({e})")
        return
    if len(text) > n:
        print(f"  ... {len(text) - n} lines before")
    for line in text[-n:]:
        print("  " + line.rstrip())


def cluster_session(request, n=3):
    """A started cluster for a fixture (yield from it): closed afterwards
    whatever happens; when the start or the test failed, its report is
    printed first and its directory kept (conftest.py records the
    outcome)."""
    c = Cluster(n=n)
    failed = True
    try:
        c.start()
        yield c
        rep = getattr(request.node, "rep_call", None)
        failed = rep is None or rep.failed
    finally:
        if failed:
            c.report()
        c.close(keep=failed)
