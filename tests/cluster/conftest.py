# SPDX-License-Identifier: MIT
import json
import os
import random
import subprocess
import time

import pytest

import harness


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report on the test item (item.rep_setup, rep_call,
    rep_teardown): the cluster fixture prints its report when the test
    failed."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture
def cluster(request):
    yield from harness.cluster_session(request)


def write_list(path, n, prefix="HL"):
    """A list of n plates PREFIX00000..; returns the plates."""
    plates = [f"{prefix}{i:05d}" for i in range(n)]
    with open(path, "w") as f:
        f.write("plate,country,category,reference\n")
        for p in plates:
            f.write(f"{p},NL,stolen,case-{p}\n")
    return plates


def write_reads(path, n, plates, hit_every=4, seed=1, camera="cam"):
    """n reads, unique (camera, ts_us); every hit_every-th is a listed plate."""
    rng = random.Random(seed)
    with open(path, "w") as f:
        f.write("camera,ts_us,plate,country\n")
        for i in range(n):
            p = rng.choice(plates) if i % hit_every == 0 else f"ZZ{i:07d}"
            f.write(f"{camera}{i % 7},{1_700_000_000_000_000 + i},{p},NL\n")


def expected_hits(list_path, reads_path, name):
    """The hits `hotlist match` finds on its own: the oracle."""
    r = subprocess.run([harness.HOTLIST, "match", "--list", list_path, "--name", name,
                        "--reads", reads_path], capture_output=True, text=True, check=True)
    import json
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]


def key(h):
    return (h["camera"], h["ts_us"], h["read"], h["list"], h["entry"], h["entry_country"])


def wait_drained(c, timeout=180):
    """Every live node ready with nothing pending or unacked, in a status it
    wrote after this call began (a node writes its status every second: one
    written before the last reads were stored says lag 0 too early; the lag
    in it is asked for just before, hence the margin), with its read
    consumer answering: a node that could not ask for its lag reports it as
    null (before, it repeated the last figure it had, and a stale 0 said
    "drained" while reads were still waiting)."""
    since_us = int(time.time() * 1e6) + 500_000
    last = {}

    def done():
        st = c.status()
        nodes = [n for n in st["nodes"].values() if not n.get("stopped")]
        last["nodes"] = nodes
        return nodes and all(n["ready"] and n["jetstream"] and n["lag"] == 0
                             and n["updated_us"] > since_us for n in nodes)
    try:
        harness.wait_for(done, timeout, "nodes drained", step=0.5)
        # And as the servers see it: every read consumer's ack floor at the
        # read stream's last sequence (what "every read acked" means, not
        # through the consumer's pending count alone).
        harness.wait_for(lambda: reads_acked(c, last), 60, "every read acked", step=0.5)
    except AssertionError:
        for n in last.get("nodes", []):
            print(f"node {n['name']}: ready {n['ready']} jetstream {n['jetstream']} "
                  f"lag {n['lag']} reads {n['reads']} hits {n['hits']}")
        print("read stream and consumers, by their leaders:", last.get("acked"))
        raise


def publish_version(c, path, *opts, refused_on=0):
    """`hotlist publish --list national --wait` of path: applied everywhere
    (exit 0), or with refused_on > 0 refused on that many nodes (exit 3, one
    REFUSED line each). Returns its output."""
    r = c.run("publish", "--list", "national", "--wait", "--timeout", "30", *opts, path,
              check=False)
    print(r.stdout.strip())
    if refused_on:
        assert r.returncode == 3, r.stdout + r.stderr
        assert r.stdout.count("REFUSED") == refused_on
    else:
        assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def live_list_answers(c, plate, ts):
    """A read of plate at ts fed and drained hits the live list."""
    c.run("feed", input=f"camera,ts_us,plate,country\nlive,{ts},{plate},NL\n")
    wait_drained(c)
    return any(h["ts_us"] == ts and h["entry"] == plate for h in c.hits())


def reads_acked(c, out=None):
    """True when, on the servers' monitoring ports, the read stream's leader
    has a last sequence and every durable read consumer's leader has nothing
    pending or unacked and its ack floor at that sequence (the tests' nodes
    take every site: their consumer's floor reaches the stream's end)."""
    last, cons = None, {}
    for s in c.servers:
        if not s.proc:
            continue
        code, body = harness.http_get(s.mport, "/jsz?consumers=1", timeout=5)
        if code != 200:
            continue
        for a in json.loads(body).get("account_details", []):
            for st in a.get("stream_detail") or []:
                if st["name"] != "HL_READS":
                    continue
                if (st.get("cluster") or {}).get("leader") == f"hl{s.i}":
                    last = st["state"]["last_seq"]
                for k in st.get("consumer_detail") or []:
                    if (k.get("cluster") or {}).get("leader") == f"hl{s.i}":
                        cons[k["name"]] = (k["num_pending"], k["num_ack_pending"],
                                           k["ack_floor"]["stream_seq"])
    if out is not None:
        out["acked"] = (last, cons)
    return last is not None and cons and all(
        p == 0 and ap == 0 and floor >= last for p, ap, floor in cons.values())
