# SPDX-License-Identifier: MIT
"""`hotlist nats-gate`'s decision against fake peers: small HTTP servers on
loopback answering /healthz 200 or 503 (or accepting and never answering),
and ports where nothing listens (a server down). Each branch of the gate
(tools/cmd_gate.c; docs/cluster.md, "Starting the servers through the
gate"), the timeout included. No nats-server needed."""

import http.server
import os
import socket
import subprocess
import threading
import time

import pytest

import harness


class Peer:
    """A fake server's monitoring port: /healthz answers `code`; set code to
    None to stop it (then nothing listens on the port: a server down)."""

    def __init__(self, code):
        self.code = None
        self.port = harness.free_port()
        self.httpd = None
        self.set(code)

    def set(self, code):
        if code is None and self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None
        elif code is not None and not self.httpd:
            peer = self

            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    body = (b'{"status":"ok"}' if peer.code == 200 else
                            b'{"status":"unavailable","error":"fake: not current"}')
                    self.send_response(peer.code)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

                def log_message(self, *a):
                    pass

            self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
            threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.code = code

    def close(self):
        self.set(None)


class Hung:
    """A port that accepts connections (the kernel completes them from the
    listen backlog) and never answers: a server up but stuck."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


@pytest.fixture
def peers():
    made = []

    def make(code="down"):
        p = Hung() if code == "hung" else Peer(None if code == "down" else code)
        made.append(p)
        return p
    yield make
    for p in made:
        p.close()


def gate(name, peers, *extra):
    """The gate as a process: `peers` maps a name to a Peer or Hung."""
    argv = [harness.HOTLIST, "nats-gate", "--name", name]
    for n, p in peers.items():
        argv += ["--peer", f"{n}=http://127.0.0.1:{p.port}"]
    return subprocess.Popen(argv + list(extra), stderr=subprocess.PIPE, text=True)


def finish(proc, within):
    """Exit status and stderr of a gate that must return within `within` s."""
    try:
        _, err = proc.communicate(timeout=within)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"the gate did not return within {within} s:\n{err}")
    print(err.strip())
    return proc.returncode, err


def still_waiting(proc, for_s):
    """The gate is still running (waiting) after for_s seconds."""
    time.sleep(for_s)
    return proc.poll() is None


def test_usage():
    h = harness.HOTLIST
    for argv in ([], ["--name", "a"], ["--peer", "b=http://127.0.0.1:1"],
                 ["--name", "a", "--peer", "b"], ["--name", "a", "--peer", "b=https://x:1"],
                 ["--name", "a", "--peer", "b=http://x"],
                 ["--name", "a", "--peer", "a=http://127.0.0.1:1"],
                 ["--name", "a", "--peer", "b=127.0.0.1:1", "--peer", "b=127.0.0.1:2"],
                 ["--name", "a", "--peer", "b=127.0.0.1:1", "--timeout", "x"]):
        r = subprocess.run([h, "nats-gate"] + argv, capture_output=True, text=True, timeout=10)
        assert r.returncode == 2, (argv, r.stderr)
    r = subprocess.run([h, "nats-gate", "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and "--peer" in r.stdout and "--timeout" in r.stdout


def test_a_quorum_serves_start(peers):
    # Both peers current: a quorum serves without this server, and this
    # server is the only replica not caught up.
    rc, err = finish(gate("c", {"a": peers(200), "b": peers(200)}), 10)
    assert rc == 0 and "a quorum serves (2 of 2 peers up, 2 current)" in err


def test_a_peer_catching_up_waits(peers):
    # One peer current (the leader), the other up and not current (a
    # follower still catching up): starting now would make two of three
    # replicas not caught up, a majority that elects one of themselves if
    # the leader misses its heartbeats (seen: the survivor SIGSTOPped for
    # 12 s then, HL_READS served 0 of 2 000; docs/cluster.md). Wait until b
    # is current too, then start.
    a, b = peers(200), peers(503)
    p = gate("c", {"a": a, "b": b}, "--timeout", "0")
    assert still_waiting(p, 2), p.communicate()[1]
    b.set(200)
    rc, err = finish(p, 10)
    assert rc == 0
    assert "2 of 2 peers up, 1 current: waiting" in err
    assert "a quorum serves (2 of 2 peers up, 2 current): start" in err


def test_all_down_start(peers):
    # A full start: no peer's monitoring port answers.
    rc, err = finish(gate("c", {"a": peers(), "b": peers()}), 10)
    assert rc == 0 and "no peer is up" in err


def test_first_by_name_of_the_down_starts(peers):
    # Two of three down (this one and c), the survivor a up but without a
    # quorum: b is the first by name of the servers down.
    rc, err = finish(gate("b", {"a": peers(503), "c": peers()}), 10)
    assert rc == 0 and "first by name of the servers down: start" in err


def test_not_first_waits_for_a_quorum(peers):
    # c waits for b (first of the down); b comes up (not current yet): still
    # waiting (two up, none current: b catching up, an election); a becomes
    # current (elected): still waiting (b catching up from it); b current:
    # start.
    a, b = peers(503), peers()
    p = gate("c", {"a": a, "b": b}, "--timeout", "0")
    assert still_waiting(p, 2), p.communicate()[1]
    b.set(503)
    assert still_waiting(p, 2), p.communicate()[1]
    a.set(200)
    assert still_waiting(p, 2), p.communicate()[1]
    b.set(200)
    rc, err = finish(p, 10)
    assert rc == 0
    assert "waiting for b (first by name of the servers down)" in err
    assert "2 of 2 peers up but none current: waiting for a quorum" in err
    assert "2 of 2 peers up, 1 current: waiting for those catching up" in err
    assert "a quorum serves (2 of 2 peers up, 2 current)" in err


def test_a_lone_current_peer_is_not_a_quorum(peers):
    # A survivor answers 200 for up to ~20 s after losing its quorum: alone,
    # its 200 does not count; c, not the first of the down, waits for b, and
    # starts at the timeout (b never returns).
    t0 = time.monotonic()
    rc, err = finish(gate("c", {"a": peers(200), "b": peers()}, "--timeout", "3"), 15)
    assert rc == 0 and time.monotonic() - t0 >= 3
    assert "waiting for b" in err and "(--timeout): start anyway" in err
    assert "a quorum serves" not in err


def test_timeout(peers):
    t0 = time.monotonic()
    p = gate("c", {"a": peers(503), "b": peers()}, "--timeout", "2")
    rc, err = finish(p, 15)
    assert rc == 0 and time.monotonic() - t0 >= 2 and "start anyway" in err


def test_up_but_none_current_waits_even_first(peers):
    # Both peers up, none current (e.g. one restarted and catching up, no
    # leader yet): even the first by name waits, for a quorum or the timeout.
    p = gate("a", {"b": peers(503), "c": peers(503)}, "--timeout", "3")
    rc, err = finish(p, 15)
    assert rc == 0 and "none current: waiting for a quorum" in err and "start anyway" in err


def test_a_hung_peer_counts_as_up(peers):
    # A port that accepts but never answers is a server up (not current):
    # with b hung and c up, a waits; were b taken as down, a (first of the
    # down) would start at once.
    t0 = time.monotonic()
    rc, err = finish(gate("a", {"b": peers("hung"), "c": peers(503)}, "--timeout", "3"), 20)
    assert rc == 0 and time.monotonic() - t0 >= 3
    assert "b up (no answer within" in err and "start anyway" in err


def test_everyone_gone_while_waiting_start(peers):
    # Waiting for b; the survivor a goes down too: a full start.
    a = peers(503)
    p = gate("c", {"a": a, "b": peers()}, "--timeout", "0")
    assert still_waiting(p, 2), p.communicate()[1]
    a.set(None)
    rc, err = finish(p, 10)
    assert rc == 0 and "no peer is up" in err


def test_five_servers(peers):
    # N = 5, majority 3: two up (no quorum), three down (c, d, e): c, the
    # first of the down, starts; d waits (for c).
    up = {"a": peers(503), "b": peers(503)}
    down = {"d": peers(), "e": peers()}
    rc, err = finish(gate("c", {**up, **down}), 10)
    assert rc == 0 and "2 of 4 peers up, fewer than a majority of 3" in err
    p = gate("d", {**up, "c": peers(), "e": down["e"]}, "--timeout", "2")
    rc, err = finish(p, 15)
    assert "waiting for c" in err and "start anyway" in err


def test_five_servers_catching_up(peers):
    # N = 5, majority 3, e restarting: three peers up, two current: with e
    # the replicas not caught up are two (c and e), a minority: start. Only
    # one current: three not caught up would be a majority: wait.
    d = peers()
    rc, err = finish(gate("e", {"a": peers(200), "b": peers(200), "c": peers(503), "d": d}), 10)
    assert rc == 0 and "a quorum serves (3 of 4 peers up, 2 current)" in err
    p = gate("e", {"a": peers(200), "b": peers(503), "c": peers(503), "d": d}, "--timeout", "2")
    rc, err = finish(p, 15)
    assert "3 of 4 peers up, 1 current: waiting for those catching up" in err
    assert "start anyway" in err
