# SPDX-License-Identifier: MIT
"""Issue 12, guarantee 3: a bad list version (bad rows over the threshold, a
corrupted chunk, a missing chunk, header only) is refused on every node,
reported by `publish --wait` and `cluster`; the live list keeps answering;
the next good version applies everywhere."""

import os
import random
import signal

import harness
from conftest import live_list_answers, publish_version, write_list

NODES = 2


def write_noisy_list(path, n):
    """The plates of write_list, each with a random reference: blobs are
    zstd-compressed, and a list this random still takes several chunks."""
    rng = random.Random(7)
    with open(path, "w") as f:
        f.write("plate,country,category,reference\n")
        for i in range(n):
            f.write(f"HL{i:05d},NL,stolen,{rng.getrandbits(128):032x}\n")


def publish_bad(c, path, *opts):
    return publish_version(c, path, *opts, refused_on=NODES)


def test_bad_versions_refused_everywhere(cluster):
    c = cluster
    good = os.path.join(c.dir, "good.csv")
    write_noisy_list(good, 20000)  # about 1 MB, zstd about 370 KB: 3 chunks
    c.run("publish", "--list", "national", "--wait", good)
    nodes = [c.node(f"n{i}").start() for i in range(NODES)]
    for n in nodes:
        harness.wait_for(n.ready, 30, f"{n.name} ready")

    badrows = os.path.join(c.dir, "badrows.csv")
    with open(badrows, "w") as f:
        f.write("plate,country\n" + "".join(
            f"{'!!!' if i % 2 else 'OK%05d' % i},NL\n" for i in range(1000)))
    r = c.run("publish", "--list", "national", badrows, check=False)
    assert r.returncode == 2 and "not published" in r.stderr  # the local check
    out = publish_bad(c, badrows, "--no-check")
    assert "too many bad rows" in out
    assert "compressed data corrupt" in publish_bad(c, good, "--test-corrupt-chunk", "1")
    assert "chunk 1 missing" in publish_bad(c, good, "--test-drop-chunk", "1")
    header = os.path.join(c.dir, "header.csv")
    with open(header, "w") as f:
        f.write("plate,country,category\n")
    assert "no valid entries" in publish_bad(c, header, "--no-check")

    st = c.status()
    for n in nodes:
        lst = st["nodes"][n.name]["lists"]["national"]
        assert lst["applied"] == 1 and lst["refused"] == 5, lst
    text = c.run("cluster").stdout
    print(text)
    assert text.count("REFUSED version 5") == NODES
    assert text.count("kept: the current version was refused") == NODES
    assert live_list_answers(c, "HL00042", 1)  # version 1 still answers

    # A node (re)started while the current version is bad falls back to the
    # last good one, as the running nodes kept it, rather than having none.
    assert nodes[0].kill(signal.SIGTERM) == 0
    nodes[0].start()
    harness.wait_for(nodes[0].ready, 60, "restarted node ready")
    lst = harness.wait_for(
        lambda: c.status()["nodes"].get(nodes[0].name, {}).get("lists", {}).get("national"),
        10, "restarted node's status")
    assert lst["applied"] == 1 and lst["refused"] == 5, lst
    assert nodes[1].kill(signal.SIGTERM) == 0  # now only the restarted node matches
    assert live_list_answers(c, "HL00043", 4)
    nodes[1].start()
    harness.wait_for(nodes[1].ready, 60, "restarted node ready")

    newer = os.path.join(c.dir, "newer.csv")
    write_list(newer, 500, prefix="NW")
    r = c.run("publish", "--list", "national", "--wait", newer)
    print(r.stdout.strip())
    assert r.stdout.count("applied version 6") == NODES
    assert live_list_answers(c, "NW00042", 2)
    assert not live_list_answers(c, "HL00042", 3)
