# SPDX-License-Identifier: MIT
"""Issue 12, guarantee 1: SIGKILL of a node mid-stream, and of a server (then
restarted): every read matched, every hit stored exactly once, no phantom
hit. The negative control (--unsafe-ack-early acks reads before their hits
are stored) must be caught losing hits by the same check."""

import collections
import os
import signal
import subprocess
import threading
import time

import harness
from conftest import expected_hits, key, wait_drained, write_list, write_reads

# HOTLIST_LONG_TESTS=ON: ten times the reads and ten node kills.
LONG = os.environ.get("HOTLIST_LONG_TESTS", "OFF").upper() in ("ON", "1", "TRUE", "YES")
READS = int(os.environ.get("HL_TEST_READS", "200000" if LONG else "20000"))
KILLS = 10 if LONG else 3


def setup_data(c):
    lp, rp = os.path.join(c.dir, "national.csv"), os.path.join(c.dir, "reads.csv")
    plates = write_list(lp, 2000)
    write_reads(rp, READS, plates)
    c.run("publish", "--list", "national", lp)
    return lp, rp, expected_hits(lp, rp, "national")


def check_exactly_once(c, expected):
    """(lost, duplicated, phantom) against the oracle."""
    got = c.hits(all_copies=True)  # the stream itself: a stored copy is a duplicate
    ids = collections.Counter(h["hit_id"] for h in got)
    keys = collections.Counter(key(h) for h in got)
    want = collections.Counter(key(h) for h in expected)
    lost = sum((want - keys).values())
    phantom = sum((keys - want).values())
    dup = sum(v - 1 for v in ids.values() if v > 1)
    print(f"hits expected {len(expected)} stored {len(got)}: lost {lost} "
          f"duplicated {dup} phantom {phantom}")
    if lost:
        # Lost, or only late? (Both fail the test; which one says where to look.)
        time.sleep(10)
        again = collections.Counter(key(h) for h in c.hits(all_copies=True))
        print(f"10 s later: {sum((want - again).values())} still missing; "
              f"read stream and consumers: {c.replicas('HL_READS')}")
    return lost, dup, phantom


# Reads n1 matches in each life before it is killed: a few batches, so that it
# dies mid-stream. (1500 was too many under load: n2 drained the backlog while
# n1 restarted, and n1 never got there: the test failed "n1 matching".)
PER_LIFE = 300


def kill_nodes_midstream(c, node_args):
    """Backlog every read, start two nodes, SIGKILL n1 KILLS times mid-drain."""
    n1 = c.node("n1", "--ack-wait", "2000", "--batch", "64", *node_args).start()
    n2 = c.node("n2", "--ack-wait", "2000", "--batch", "64", *node_args).start()
    for k in range(KILLS):
        harness.wait_for(n1.ready, 30, "n1 ready")
        harness.wait_for(lambda: n1.metrics().get("hotlist_node_reads_total", 0) >= PER_LIFE,
                         60, "n1 matching")
        assert n1.kill(signal.SIGKILL) == -signal.SIGKILL
        n1.start()
    harness.wait_for(n1.ready, 30, "n1 ready")
    return n1, n2


def test_node_sigkill_exactly_once(cluster):
    c = cluster
    lp, rp, expected = setup_data(c)
    c.run("feed", "--reads", rp)
    kill_nodes_midstream(c, [])
    wait_drained(c)
    assert check_exactly_once(c, expected) == (0, 0, 0)


def test_negative_control_unsafe_ack_early_loses(cluster):
    """Same run, nodes acking reads before their hits are stored: the check
    above must see hits lost, or it could not catch the bug it guards."""
    c = cluster
    lp, rp, expected = setup_data(c)
    c.run("feed", "--reads", rp)
    kill_nodes_midstream(c, ["--unsafe-ack-early"])
    wait_drained(c)
    lost, dup, phantom = check_exactly_once(c, expected)
    assert lost > 0, "the negative control lost nothing: the test cannot detect loss"
    assert phantom == 0


def test_server_sigkill_exactly_once(cluster):
    """Feed while two nodes match; SIGKILL one server (the first: it held the
    connections of both nodes and the feeder), restart it after 3 s."""
    c = cluster
    lp, rp, expected = setup_data(c)
    for name in ("n1", "n2"):
        c.node(name, "--ack-wait", "3000", "--batch", "64").start()
    for n in c.nodes:
        harness.wait_for(n.ready, 30, f"{n.name} ready")
    # The producer's contract: `feed` exits 1 when a publish in flight as the
    # server died was never acknowledged; feeding again is safe (read ids
    # de-duplicate) and is what a producer does.
    # Whether every read was stored, as the feeder thread found: an exception
    # in a thread does not fail the test, and before this was checked a
    # `feed` that hung (and was killed by the timeout below) made the test
    # count the reads never fed as lost ("lost 1391", "lost 431" under load:
    # docs/cluster.md, "cluster_exactly_once").
    fed = []

    def feed_until_stored():
        for attempt in range(5):
            try:  # a feed that hangs is a failure (feed's contract: exit 0 or 1)
                r = c.run("feed", "--timeout", "20", "--reads", rp, check=False, timeout=300)
            except subprocess.TimeoutExpired:
                fed.append(f"feed attempt {attempt + 1} still running after 300 s")
                return
            print(f"feed attempt {attempt + 1}: exit {r.returncode}",
                  r.stderr.strip().splitlines()[-1:])
            if r.returncode == 0:
                fed.append(True)
                return
        fed.append("feed never had every read stored in 5 attempts")
    feeder = threading.Thread(target=feed_until_stored)
    feeder.start()
    harness.wait_for(lambda: sum(n.metrics().get("hotlist_node_reads_total", 0)
                                 for n in c.nodes) >= READS // 5, 60, "matching under way")
    c.servers[0].kill(signal.SIGKILL)
    time.sleep(3)
    c.servers[0].start()
    feeder.join()
    assert fed == [True], fed
    # nats-server 2.9.10 can leave the restarted server's catch-up stalled
    # even after one more restart (docs/cluster.md, "Limits"; seen under
    # load): what exactly-once needs is a quorum, the other two servers.
    try:
        c.servers[0].back(30)
    except AssertionError:
        print("NOTE: server 0 still not current after its restart; "
              "going on with the other two")
        for s in c.servers[1:]:
            harness.wait_for(s.healthy, 60, f"server {s.i} current")
    wait_drained(c)
    assert check_exactly_once(c, expected) == (0, 0, 0)
