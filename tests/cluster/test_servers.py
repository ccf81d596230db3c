# SPDX-License-Identifier: MIT
"""Issue 12, guarantee 5: with one server of three down everything goes on
(publish, edit, feed, match: asserted exactly once); with two down,
publishing reads and lists fails loudly (non-zero exit, a message) and the
nodes report JetStream unavailable (/healthz 503); when the servers return,
none is invented and none is lost (asserted; hit ids stored twice are
printed) with the read stream in file storage (`node --read-storage file`) with both
servers restarted at once. With HOTLIST_LONG_TESTS=ON also in memory
storage (the default) with both started at the same instant through
`hotlist nats-gate` (the first by name starts, the other waits for a
quorum: asserted, from the gate's log), with the servers restarted one
at a time, each once the one before answers /healthz (asserted), and with
both restarted at once without the gate, which can lose the reads waiting
in the stream (the restarted replicas come back empty and may elect one of
themselves: printed, not asserted; docs/cluster.md, "Where reads are kept"
and "Starting the servers through the gate")."""

import collections
import json
import os
import signal

import pytest

import harness
from conftest import expected_hits, key, wait_drained, write_list


def reads_file(c, name, start, n, plates):
    path = os.path.join(c.dir, name)
    with open(path, "w") as f:
        f.write("camera,ts_us,plate,country\n")
        for i in range(start, start + n):
            p = plates[i % len(plates)] if i % 3 == 0 else f"ZZ{i:07d}"
            f.write(f"cam{i % 5},{1_700_000_000_000_000 + i},{p},NL\n")
    return path


def feed(c, path):
    """Feed as a producer does: again while `feed` says some read was not
    acknowledged (a leader election can swallow a publish in flight); the
    read ids make a repeat safe."""
    harness.wait_for(lambda: c.run("feed", "--timeout", "20", "--reads", path,
                                   check=False).returncode == 0, 180, f"feed {path}")


def read_stream_storage(c):
    """HL_READS's storage as the servers' monitoring port reports it."""
    for s in c.servers:
        code, body = harness.http_get(s.mport, "/jsz?streams=1&config=1", timeout=5)
        if code != 200:
            continue
        for a in json.loads(body).get("account_details", []):
            for st in a.get("stream_detail") or []:
                if st["name"] == "HL_READS":
                    return st["config"]["storage"]
    return None


# HOTLIST_LONG_TESTS=ON adds the memory stream: restarted together through
# the gate (asserted; out of the default suite for time: with it this test
# took 4 minutes on the 2-core VM, the gate mode alone 45-78 s; the gate's
# guarantee is in the default suite as test_gate_restart), restarted one at a time
# (asserted; in the default suite it failed CI once when nats-server 2.9.10
# left the first restarted replica's catch-up stalled past two minutes, so
# the second could not be started safely: docs/cluster.md, "Limits"), and
# with both servers restarted at once without the gate (reads waiting in
# the stream may be lost: printed, not asserted; the gate's negative control).
LONG = os.environ.get("HOTLIST_LONG_TESTS", "OFF").upper() in ("ON", "1", "TRUE", "YES")
GATE = "together, through the gate"
MODES = [("file", "together")] + (
    [("memory", GATE), ("memory", "one at a time"), ("memory", "together")] if LONG else [])


def back(s, timeout):
    """Wait for a restarted server's /healthz; on failure say why."""
    try:
        harness.wait_for(s.healthy, timeout, f"server {s.i} back")
    except AssertionError:
        print(f"server {s.i} /healthz: {s.health}")
        raise


@pytest.mark.parametrize("storage,restart", MODES)
def test_one_down_continues_two_down_fails_loudly(cluster, storage, restart):
    c = cluster
    lp = os.path.join(c.dir, "national.csv")
    plates = write_list(lp, 1000)
    c.run("publish", "--list", "national", lp)
    nodes = [c.node(f"n{i}", "--ack-wait", "3000", "--read-storage", storage).start()
             for i in range(2)]
    for n in nodes:
        harness.wait_for(n.ready, 120, f"{n.name} ready")
    assert read_stream_storage(c) == storage
    assert c.status()["reads"]["storage"] == storage  # as `hotlist cluster` says
    # A node asking for the other storage is refused, loudly.
    other = "memory" if storage == "file" else "file"
    r = c.run("node", "--name", "wrong", "--read-storage", other, check=False, timeout=180)
    assert r.returncode != 0 and f"with {storage} storage, not the {other}" in r.stderr, r.stderr
    batches = []

    # One of three down: everything continues.
    c.servers[2].kill(signal.SIGKILL)
    # A node's list watcher or blob read may sit on the dead server until
    # libnats re-creates it (seen: over 30 s on the loaded VM): allow 120 s.
    r = c.run("publish", "--list", "national", "--wait", "--timeout", "120", lp, timeout=180)
    assert r.stdout.count("applied version 2") == 2, r.stdout
    c.run("edit", "--list", "national", "put", "ONEDOWN1", "--country", "NL")
    # `edit` returns once the server stored the edit; a node applies it a
    # moment later (and a read matched before that misses it: retroactive
    # hits are issue 13's). Feed only once every node has applied it (a node
    # on the dead server's watcher may take long: CI's ASan run once fed first).
    for n in nodes:
        harness.wait_for(lambda: n.metrics().get("hotlist_node_edits_total", 0) >= 1, 120,
                         f"{n.name} applied the edit")
    batches.append(reads_file(c, "a.csv", 0, 3000, plates + ["ONEDOWN1"]))
    feed(c, batches[-1])
    wait_drained(c)
    final = os.path.join(c.dir, "final.csv")
    with open(final, "w") as f:
        f.write(open(lp).read() + "ONEDOWN1,NL,,\n")
    want_a = collections.Counter(map(key, expected_hits(final, batches[-1], "national")))
    got_a = c.hits(all_copies=True)  # the stream: a stored copy is a duplicate
    assert collections.Counter(map(key, got_a)) == want_a  # one down: exactly once
    assert len({h["hit_id"] for h in got_a}) == len(got_a)

    # Reads in the stream when the second server goes.
    batches.append(reads_file(c, "b.csv", 3000, 3000, plates))
    feed(c, batches[-1])
    c.servers[1].kill(signal.SIGKILL)
    batches.append(reads_file(c, "c.csv", 6000, 500, plates))
    r = c.run("feed", "--timeout", "5", "--reads", batches[-1], check=False, timeout=120)
    print("feed with two servers down:", r.returncode, r.stderr.strip().splitlines()[-1:])
    assert r.returncode != 0 and r.stderr.strip()
    r = c.run("publish", "--list", "national", lp, check=False, timeout=120)
    print("publish with two servers down:", r.returncode, r.stderr.strip().splitlines()[-1:])
    assert r.returncode != 0 and r.stderr.strip()
    for n in nodes:
        harness.wait_for(lambda: n.metrics().get("hotlist_node_jetstream_up") == 0, 120,
                         f"{n.name} reports JetStream unavailable")
        assert not n.ready()

    # Both return: the failed feed is retried, nothing is lost or doubled.
    # "one at a time": each after the one before answers /healthz, as an
    # operator restarts servers; "together": as after a power cut.
    # GATE: both at the same instant, each through `hotlist nats-gate`, as
    # cluster/nats-server-hotlist.service starts them after a power cut.
    for s in c.servers[1:]:
        s.start(gate=restart == GATE)
        if restart == "one at a time":
            s.back()
    # Through the gate hl2 waits for hl1 to be current; hl1 stalled in
    # catch-up is restarted once, through its gate (as in test_gate_restart).
    restarted = harness.gate_waits(c.servers[2], c.servers[1:2]) if restart == GATE else []
    # nats-server 2.9.10 can leave a restarted replica's catch-up stalled
    # ("Catchup for stream ... stalled" every 10 s in its log, /healthz "not
    # current") while the other two serve the stream (docs/cluster.md,
    # "Limits"). What is asserted is the cluster's: a quorum of two current
    # servers. A third still stalled is restarted once, as an operator would,
    # and whether that cured it is printed.
    late = []
    for s in c.servers:
        try:
            back(s, 120)
        except AssertionError:
            late.append(s)
    assert len(late) <= 1, "no quorum of current servers after the restart"
    for s in late:
        try:
            s.back(first=0.1)  # it had its 120 s above
        except AssertionError:
            print(f"NOTE: server {s.i} still not current 60 s after its restart")
    if restart == GATE:
        # hl0 survived; hl1 and hl2 start together: hl1, the first by name of
        # the two down, starts at once (hl0 alone is no quorum); hl2 waits
        # (for hl1, or for a quorum) and starts once hl0 and hl1 serve, or
        # at the gate's timeout.
        for s in c.servers[1:]:
            print("\n".join(s.gate_log()))
        g1, g2 = c.servers[1].gate_log(), c.servers[2].gate_log()
        assert len(g1) == 1 + len(restarted), g1  # again if restarted (hl2 still down)
        assert all("first by name of the servers down: start" in l for l in g1), g1
        assert "waiting for" in g2[0], g2
        assert not c.servers[2].gate_timed_out(), g2  # as in test_gate_restart
    retry = harness.wait_for(lambda: (lambda r: r if r.returncode == 0 else None)(
        c.run("feed", "--timeout", "10", "--reads", batches[-1], check=False)), 120,
        "feed accepted again")
    print("feed again after the outage:", retry.stderr.strip().splitlines()[-1:])
    wait_drained(c)
    all_reads = os.path.join(c.dir, "all.csv")
    with open(all_reads, "w") as f:
        f.write("camera,ts_us,plate,country\n")
        for b in batches:
            f.writelines(open(b).readlines()[1:])
    want = collections.Counter(map(key, expected_hits(final, all_reads, "national")))
    got = c.hits(all_copies=True)  # the stream: doubled hit ids are counted below
    have = collections.Counter(map(key, got))
    ids = collections.Counter(h["hit_id"] for h in got)
    doubled = sum(n - 1 for n in ids.values())
    print(f"hits expected {sum(want.values())} stored {len(got)}; hit ids stored twice: {doubled}")
    if doubled:
        # Which copy is which: two stream sequences = stored twice; and
        # whether the three replicas of the hit stream agree.
        for hid, n in ids.items():
            if n > 1:
                print("doubled", hid, [(h["seq"], h["node"], h["stored_us"]) for h in got
                                       if h["hit_id"] == hid][:4])
        print("HL_HITS per server (messages, first, last, leader):", c.replicas("HL_HITS"))
    # KNOWN LIMIT (docs/cluster.md, "Limits"): after two of three servers
    # died, a few hits were once stored twice (same hit id: a consumer
    # de-duplicates by it) -- seen once in ~10 runs, cause not established
    # (a hit accepted by a leader without quorum, committed after its
    # redelivered copy passed de-duplication, is the suspect). Printed, not
    # asserted; with one server down exactly once IS asserted above.
    have = collections.Counter(set(map(key, got)))
    assert not have - want  # no phantom
    acked = collections.Counter(k for k in want if k[1] < 1_700_000_000_000_000 + 6000)
    lost_acked = sum((acked - have).values())
    lost_again = sum((want - acked - have).values())
    print(f"{storage} read stream, restarted {restart}: hits of reads acknowledged before the outage missing: "
          f"{lost_acked}; of reads fed again after it: {lost_again}")
    if storage == "file" or restart != "together":
        assert not want - have  # nothing lost
    # Memory, both restarted together: the loss is the documented limit
    # (docs/cluster.md, "Where reads are kept"); printed above, not asserted
    # either way (some runs lose nothing: it depends on which replica the
    # restarted servers elect).
