# SPDX-License-Identifier: MIT
"""Issue 12, guarantee 4: a node stopped (SIGTERM: drains, exits 0) and
restarted after a new list version and 50 edits catches up before it pulls a
single read. While it was away reads queued up that only the new version and
the edits can hit; it is the only node, so every one of them is matched by
it: had it pulled a read before catching up, that read's hit would be missing."""

import os
import signal

import harness
from conftest import expected_hits, key, wait_drained, write_list

EDITS = 50


def test_restarted_node_catches_up_first(cluster):
    c = cluster
    v1, v2 = os.path.join(c.dir, "v1.csv"), os.path.join(c.dir, "v2.csv")
    write_list(v1, 1000, prefix="OLD")
    c.run("publish", "--list", "national", v1)
    n1 = c.node("n1").start()
    harness.wait_for(n1.ready, 30, "n1 ready")
    assert n1.kill(signal.SIGTERM) == 0  # drains and exits 0

    plates = write_list(v2, 20000, prefix="NEW")
    c.run("publish", "--list", "national", v2)
    for i in range(EDITS):
        c.run("edit", "--list", "national", "put", f"ED{i:03d}", "--country", "NL")
    c.run("edit", "--list", "national", "remove", "NEW00001")
    reads = os.path.join(c.dir, "reads.csv")
    with open(reads, "w") as f:
        f.write("camera,ts_us,plate,country\n")
        for i in range(400):
            p = [f"ED{i % EDITS:03d}", plates[i], "OLD00005", "NEW00001"][i % 4]
            f.write(f"cam,{1000 + i},{p},NL\n")
    c.run("feed", "--reads", reads)

    # The oracle: the new version plus the edits, matched locally.
    final = os.path.join(c.dir, "final.csv")
    with open(final, "w") as f:
        f.write("plate,country,category,reference\n")
        f.writelines(l for l in open(v2).readlines()[1:] if not l.startswith("NEW00001,"))
        f.writelines(f"ED{i:03d},NL,,\n" for i in range(EDITS))
    expected = expected_hits(final, reads, "national")

    n1.start()
    wait_drained(c)
    got = c.hits(all_copies=True)  # the stream: a stored copy fails the comparison
    assert sorted(map(key, got)) == sorted(map(key, expected))
    assert {h["node"] for h in got} == {"n1"}
    m = n1.metrics()
    assert m['hotlist_node_list_version{list="national"}'] == 2
