# SPDX-License-Identifier: MIT
"""Issue 12, guarantee 2: an edit reaches every node. 100 edits, the
publish-to-applied time per node printed as p50/p99/max (not asserted:
timings are measured by bench/, never asserted); then reads of the new
plates hit on whichever node matches them, and a removed plate no longer hits."""

import os

import harness
from conftest import wait_drained, write_list

EDITS = 100


def test_edits_reach_every_node(cluster):
    c = cluster
    lp = os.path.join(c.dir, "wanted.csv")
    write_list(lp, 100, prefix="WA")
    c.run("publish", "--list", "wanted", lp)
    nodes = [c.node(f"n{i}").start() for i in range(3)]
    for n in nodes:
        harness.wait_for(n.ready, 30, f"{n.name} ready")
    for i in range(EDITS):
        c.run("edit", "--list", "wanted", "put", f"NEW{i:03d}", "--country", "NL",
              "--category", "wanted person", "--priority", "1")
    c.run("edit", "--list", "wanted", "remove", "WA00007")
    for n in nodes:
        harness.wait_for(lambda: n.metrics().get("hotlist_node_edits_total", 0) >= EDITS + 1,
                         30, f"{n.name} applied every edit")
        m = n.metrics()
        q = lambda k: m[f'hotlist_node_edit_delay_seconds{{quantile="{k}"}}'] * 1e3
        print(f"node {n.name}: {EDITS + 1} edits, publish-to-applied p50 {q('0.5'):.2f} ms "
              f"p99 {q('0.99'):.2f} ms max {q('1'):.2f} ms")
        assert m['hotlist_node_list_entries{list="wanted"}'] == 100 + EDITS - 1
        assert m["hotlist_node_edit_errors_total"] == 0
    reads = "camera,ts_us,plate,country\n" + "".join(
        f"cam{i},{1000 + i},NEW{i:03d},NL\n" for i in range(0, EDITS, 10)) + \
        "cam9,5000,WA00007,NL\ncam9,5001,WA00008,NL\n"
    c.run("feed", input=reads)
    wait_drained(c)
    got = sorted(h["entry"] for h in c.hits(all_copies=True))  # a stored copy fails it
    assert got == sorted([f"NEW{i:03d}" for i in range(0, EDITS, 10)] + ["WA00008"])
