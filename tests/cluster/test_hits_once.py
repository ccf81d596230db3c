# SPDX-License-Identifier: MIT
"""`hotlist hits` prints each hit once, although the hit stream may hold a
copy of one (docs/cluster.md, "Limits": after two of three servers died, a
few hit ids were once stored twice). The copies are made here as that
failure made them: the same hit JSON published twice with different
Nats-Msg-Id, which JetStream's de-duplication does not catch. One server is
enough (hits are read the same way from one replica or three)."""

import json
import os
import queue
import random
import subprocess
import threading

import pytest

import harness

JS_TOOL = os.environ.get("JS_TOOL", "")


@pytest.fixture
def server(request):
    if not os.access(JS_TOOL, os.X_OK):
        pytest.skip("JS_TOOL (tests/cluster/js_tool.c, built with the tests) not set")
    yield from harness.cluster_session(request, n=1)  # `hotlist cluster` made the streams


_msg_ids = iter(range(1, 1 << 30))


def store(c, data):
    """Publish one message to the hit stream with a Nats-Msg-Id never used
    before (so de-duplication does not drop a copy); its sequence."""
    body = data if isinstance(data, str) else json.dumps(data)
    r = subprocess.run([JS_TOOL, c.servers[0].url, "pub", "hl.hit.national", body,
                        f"test-{next(_msg_ids)}"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    word, seq = r.stdout.split()
    assert word == "seq", r.stdout  # stored, not dropped as a duplicate
    return int(seq)


def hit(hid, plate):
    """A stored hit as a node writes one (the fields `hotlist hits` reads)."""
    return {"hit_id": hid, "read_id": "r-" + hid, "node": "n1", "camera": "cam1",
            "ts_us": 1_700_000_000_000_000, "read": plate, "list": "national",
            "entry": plate, "entry_country": "NL"}


def hits(c, *opts):
    """`hotlist hits` with opts: (the JSON lines it printed, its stderr)."""
    r = c.run("hits", *opts, timeout=120)
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()], r.stderr


def skipped_line(n):
    return f"hotlist hits: {n} copies of hits already printed skipped"


def test_hits_prints_each_hit_once(server):
    c = server
    a, b = "a" * 32, "b" * 32
    first = store(c, hit(a, "AB12CD"))
    copy = store(c, hit(a, "AB12CD"))  # the same hit stored again: the failure
    store(c, hit(b, "XY34ZZ"))
    got, err = hits(c)
    assert [h["hit_id"] for h in got] == [a, b], got
    assert got[0]["seq"] == first  # the first copy is the one printed
    assert skipped_line(1) in err, err
    got, err = hits(c, "--all-copies")  # every stored message, as before
    assert [(h["hit_id"], h["seq"]) for h in got] == [(a, first), (a, copy), (b, copy + 1)]
    assert "skipped" not in err, err


def test_hits_without_an_id_are_always_printed(server):
    """A message without a hit_id (an older format, or not JSON) cannot be
    told from another: printed every time, never counted as skipped."""
    c = server
    a = "c" * 32
    old = {k: v for k, v in hit("x", "OLD1").items() if k != "hit_id"}
    for data in (hit(a, "AB12CD"), old, old, "not json", "not json", hit(a, "AB12CD")):
        store(c, data)
    r = c.run("hits", timeout=120)
    lines = r.stdout.splitlines()
    assert len(lines) == 5, r.stdout
    assert lines.count("not json") == 2
    assert sum('"read": "OLD1"' in l or '"read":"OLD1"' in l for l in lines) == 2
    assert skipped_line(1) in r.stderr, r.stderr


def test_hits_remembers_the_last_n_ids(server):
    """The ids printed are remembered FIFO, the last N: a copy stored more
    than N printed hits after the first is printed again. Against a model,
    with N small (--test-seen-max, tests only) so that the set's index
    wraps, probes long runs and deletes from them many times."""
    c = server
    rng = random.Random(12)
    pool = [f"{rng.getrandbits(128):032x}" for _ in range(40)]
    order = [rng.choice(pool) for _ in range(400)]
    for i, hid in enumerate(order):
        store(c, hit(hid, f"P{i:05d}"))
    for n in (1, 3, 7, 16, 32):
        printed, last = [], []  # the model: ids printed, the last n of them
        for hid in order:
            if hid not in last:
                printed.append(hid)
                last = (last + [hid])[-n:]
        got, err = hits(c, "--test-seen-max", str(n))
        assert [h["hit_id"] for h in got] == printed, n
        skips = len(order) - len(printed)
        print(f"remembering {n} ids: {len(printed)} of {len(order)} printed, {skips} skipped")
        assert (skipped_line(skips) in err) if skips else ("skipped" not in err), (n, err)
    got, err = hits(c)  # 1 M remembered: each id once
    assert sorted(h["hit_id"] for h in got) == sorted(set(order))


def test_hits_follow_prints_each_hit_once(server):
    """--follow: copies stored before it started and while it runs are
    skipped, each said on stderr as it is skipped."""
    c = server
    a, b, d = "d" * 32, "e" * 32, "f" * 32
    store(c, hit(a, "AB12CD"))
    store(c, hit(a, "AB12CD"))
    p = subprocess.Popen([harness.HOTLIST, "hits", "--follow", "--nats", c.urls],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in p.stdout], daemon=True).start()
    try:
        got = [json.loads(lines.get(timeout=60))["hit_id"]]
        for data in (hit(b, "XY34ZZ"), hit(b, "XY34ZZ"), hit(a, "AB12CD"), hit(d, "GH56JK")):
            store(c, data)
        got += [json.loads(lines.get(timeout=60))["hit_id"] for _ in range(2)]
        assert got == [a, b, d]  # the third line is d's: the copies were skipped
    finally:
        p.terminate()  # ours, by pid
        p.wait(timeout=30)
    err = p.stderr.read()
    assert err.count("hotlist hits: a copy of a hit already printed skipped") == 3, err
    assert lines.empty()
