# SPDX-License-Identifier: MIT
"""Issue 12, guarantee 5: with one server of three down everything goes on
(publish, edit, feed, match); with two down, publishing reads and lists fails
loudly (non-zero exit, a message) and the nodes report JetStream unavailable
(/healthz 503); when the servers return nothing is lost: reads fed before
the outage and reads whose feed failed and was retried are each matched,
every hit stored exactly once."""

import collections
import os
import signal

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


def test_one_down_continues_two_down_fails_loudly(cluster):
    c = cluster
    lp = os.path.join(c.dir, "national.csv")
    plates = write_list(lp, 1000)
    c.run("publish", "--list", "national", lp)
    nodes = [c.node(f"n{i}", "--ack-wait", "3000").start() for i in range(2)]
    for n in nodes:
        harness.wait_for(n.ready, 30, f"{n.name} ready")
    batches = []

    # One of three down: everything continues.
    c.servers[2].kill(signal.SIGKILL)
    r = c.run("publish", "--list", "national", "--wait", "--timeout", "30", lp)
    assert r.stdout.count("applied version 2") == 2, r.stdout
    c.run("edit", "--list", "national", "put", "ONEDOWN1", "--country", "NL")
    batches.append(reads_file(c, "a.csv", 0, 3000, plates + ["ONEDOWN1"]))
    c.run("feed", "--reads", batches[-1])
    wait_drained(c)

    # Reads in the stream when the second server goes.
    batches.append(reads_file(c, "b.csv", 3000, 3000, plates))
    c.run("feed", "--reads", batches[-1])
    c.servers[1].kill(signal.SIGKILL)
    batches.append(reads_file(c, "c.csv", 6000, 500, plates))
    r = c.run("feed", "--timeout", "5", "--reads", batches[-1], check=False, timeout=120)
    print("feed with two servers down:", r.returncode, r.stderr.strip().splitlines()[-1:])
    assert r.returncode != 0 and r.stderr.strip()
    r = c.run("publish", "--list", "national", lp, check=False, timeout=120)
    print("publish with two servers down:", r.returncode, r.stderr.strip().splitlines()[-1:])
    assert r.returncode != 0 and r.stderr.strip()
    for n in nodes:
        harness.wait_for(lambda: n.metrics().get("hotlist_node_jetstream_up") == 0, 30,
                         f"{n.name} reports JetStream unavailable")
        assert not n.ready()

    # Both return: the failed feed is retried, nothing is lost or doubled.
    for s in c.servers[1:]:
        s.start()
    for s in c.servers:
        harness.wait_for(s.healthy, 30, f"server {s.i} back")
    harness.wait_for(lambda: c.run("feed", "--timeout", "10", "--reads", batches[-1],
                                   check=False).returncode == 0, 120, "feed accepted again")
    wait_drained(c)
    final = os.path.join(c.dir, "final.csv")
    with open(final, "w") as f:
        f.write(open(lp).read() + "ONEDOWN1,NL,,\n")
    all_reads = os.path.join(c.dir, "all.csv")
    with open(all_reads, "w") as f:
        f.write("camera,ts_us,plate,country\n")
        for b in batches:
            f.writelines(open(b).readlines()[1:])
    want = collections.Counter(map(key, expected_hits(final, all_reads, "national")))
    got = c.hits()
    have = collections.Counter(map(key, got))
    ids = collections.Counter(h["hit_id"] for h in got)
    print(f"hits expected {sum(want.values())} stored {len(got)}")
    assert have == want
    assert max(ids.values()) == 1
