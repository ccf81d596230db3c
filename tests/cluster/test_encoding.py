# SPDX-License-Identifier: MIT
"""List blobs travel zstd-compressed (docs/cluster.md, "List versions"). A
version whose blob decompresses to more than its manifest's raw size (a
decompression bomb) or to less, and one with a corrupted compressed chunk,
are refused on every node while the live list keeps answering; a plain
version (a manifest without an encoding, as written before compression)
still applies."""

import os

import harness
from conftest import live_list_answers, publish_version, write_list

NODES = 2


def publish(c, path, *opts, ok=True):
    return publish_version(c, path, *opts, refused_on=0 if ok else NODES)


def test_encodings(cluster):
    c = cluster
    good = os.path.join(c.dir, "good.csv")
    write_list(good, 20000)
    raw = os.path.getsize(good)
    out = publish(c, good, "--zstd", "0")  # version 1: plain, no encoding
    assert f"({raw} bytes, {raw} bytes in 5 chunks)" in out
    nodes = [c.node(f"n{i}").start() for i in range(NODES)]
    for n in nodes:
        harness.wait_for(n.ready, 30, f"{n.name} ready")

    out = publish(c, good)  # version 2: zstd
    assert out.count("applied version 2") == NODES
    assert f"({raw} bytes, zstd " in out

    # A bomb: 40 MB of one repeated row in a few hundred KB, its manifest
    # claiming 1 000 bytes. The node stops at the claim; it never holds 40 MB.
    bomb = os.path.join(c.dir, "bomb.csv")
    with open(bomb, "w") as f:
        f.write("plate,country\n" + "BOMB1,NL\n" * 4_000_000)
    out = publish(c, bomb, "--no-check", "--test-raw-size", "1000", ok=False)
    assert "decompresses to more than the manifest's raw size (1000 bytes)" in out
    # One byte short is as much a refusal; one byte over too.
    out = publish(c, good, "--test-raw-size", str(raw - 1), ok=False)
    assert f"decompresses to more than the manifest's raw size ({raw - 1} bytes)" in out
    out = publish(c, good, "--test-raw-size", str(raw + 1), ok=False)
    assert f"decompresses to {raw} bytes, the manifest says {raw + 1}" in out
    # A corrupted compressed chunk: zstd's checksum, before the digest.
    out = publish(c, good, "--test-corrupt-chunk", "0", ok=False)
    assert "compressed data corrupt" in out
    # The plain encoding keeps its own check: the digest.
    out = publish(c, good, "--zstd", "0", "--test-corrupt-chunk", "1", ok=False)
    assert "digest mismatch" in out

    st = c.status()
    for n in nodes:
        lst = st["nodes"][n.name]["lists"]["national"]
        assert lst["applied"] == 2 and lst["refused"] == 7, lst
    assert live_list_answers(c, "HL00042", 1)  # version 2 still answers

    newer = os.path.join(c.dir, "newer.csv")
    write_list(newer, 500, prefix="NW")
    out = publish(c, newer)
    assert out.count("applied version 8") == NODES
    assert live_list_answers(c, "NW00042", 2)
    assert not live_list_answers(c, "HL00042", 3)
