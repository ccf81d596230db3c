# SPDX-License-Identifier: MIT
"""Cameras over MQTT 3.1.1 through nats-server's own MQTT listener, with the
configuration docs/cameras.md gives (JetStream on, server_name set, an
mqtt {} block): reads published with `mosquitto_pub -V mqttv311 -q 1` to
topic hl/read/<site> arrive on the HL_READS stream as subject
hl.read.<site>, all of them, in order, with their JSON unchanged and no
Nats-Msg-Id (the node takes such a read's id from its stream sequence).

With a `hotlist node` on the server, the reads hit a published list, each
hit carrying the read's site; after a restart of the server (the memory
read stream comes back empty and counts from 1 again) a new read still gives
a new hit, not one dropped as a duplicate of an old hit id.

It also pins the caveat the page states: the server acknowledges a QoS 1
PUBLISH (PUBACK) without waiting for HL_READS to store it, so when the stream
is full (DiscardNew) mosquitto_pub still succeeds and the read is not stored.

usage: mqtt_e2e.py HOTLIST JS_TOOL WORKDIR
"""

import http.client
import json
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import natsfixture as nf  # noqa: E402

HOTLIST, JS_TOOL, WORK = sys.argv[1:4]
N = 50


def mqtt_pub(mport, topic, lines, client_id):
    """Publish each line as one QoS 1 message; mosquitto_pub waits for every PUBACK."""
    r = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(mport), "-V", "mqttv311",
                        "-q", "1", "-i", client_id, "-t", topic, "-l"],
                       input="".join(l + "\n" for l in lines), capture_output=True, text=True,
                       timeout=60)
    return r


def read(i, site):
    return json.dumps({"plate": f"MQ{i:03d}X", "country": "NL", "camera": f"{site}-cam1",
                       "ts_us": 1767225600000000 + i, "candidates": [f"MQ{i:03d}K"],
                       "site": site})


def ready(port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        c.request("GET", "/healthz")
        ok = c.getresponse().status == 200
        c.close()
        return ok
    except OSError:
        return False


def wait_ready(port, timeout=30.0):
    end = time.monotonic() + timeout
    while not ready(port):
        nf.check(time.monotonic() < end, "node never ready")
        time.sleep(0.1)


def main():
    nf.skip_unless("nats-server", "mosquitto_pub")
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    procs = nf.Procs()
    try:
        run(procs)
    finally:
        procs.close()
    print("mqtt_e2e: ok")


def run(procs):
    check = nf.check
    nport, mport = nf.free_port(), nf.free_port()
    # The configuration of docs/cameras.md, on test ports and storage.
    srv = procs.server(WORK, "nats", f"""
listen: 127.0.0.1:{nport}
server_name: mqtt_test
jetstream {{ store_dir: "{WORK}/js" }}
mqtt {{
    listen: 127.0.0.1:{mport}
    ack_wait: "30s"
    max_ack_pending: 1024
}}
""", nport).start()
    nf.wait_port(mport)
    # The cluster's streams, as `hotlist publish` makes them, and a node.
    hit_plates = [f"MQ{i:03d}X" for i in range(0, 2 * N, 10)]
    with open(f"{WORK}/list.csv", "w") as f:
        f.write("plate,country,category\n")
        f.writelines(f"{p},NL,stolen vehicle\n" for p in hit_plates)
    r = subprocess.run([HOTLIST, "publish", "--nats", srv.url, "--list", "stolen",
                        f"{WORK}/list.csv"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"publish: {r.stderr}")
    hport = nf.free_port()
    node = procs.popen([HOTLIST, "node", "--nats", srv.url, "--name", "n1", "--http-port",
                        str(hport)],
                stdout=open(f"{WORK}/node.log", "w"), stderr=subprocess.STDOUT)
    wait_ready(hport)

    sent = {"site1": [read(i, "site1") for i in range(N)],
            "a12-km31": [read(i + N, "a12-km31") for i in range(N)]}
    for site, lines in sent.items():
        r = mqtt_pub(mport, f"hl/read/{site}", lines, f"cam-{site}")
        check(r.returncode == 0, f"mosquitto_pub {site}: rc {r.returncode} {r.stderr}")
    nf.wait_count(JS_TOOL, srv.url, "HL_READS", 2 * N)
    msgs = nf.dump(JS_TOOL, srv.url, "HL_READS")
    check(len(msgs) == 2 * N, f"{len(msgs)} reads stored, want {2 * N}")
    for site, lines in sent.items():
        got = [m for m in msgs if m["subject"] == f"hl.read.{site}"]
        check([json.dumps(m["data"]) for m in got] == lines,
              f"{site}: reads differ or out of order")
        for m in got:
            check(m["msg_id"] is None, "an MQTT read has no Nats-Msg-Id")
            check(m["headers"].get("Nmqtt-Pub") == "1", f"headers {m['headers']}")

    # Every read of a listed plate hits, with its site and a read id.
    nf.wait_count(JS_TOOL, srv.url, "HL_HITS", len(hit_plates))
    time.sleep(0.5)
    hits = nf.dump(JS_TOOL, srv.url, "HL_HITS")
    check(sorted(h["data"]["read"] for h in hits) == sorted(hit_plates),
          f"hits {[h['data']['read'] for h in hits]}")
    for h in hits:
        want_site = "site1" if int(h["data"]["read"][2:5]) < N else "a12-km31"
        check(h["data"]["site"] == want_site and h["data"]["read_id"], f"hit {h['data']}")

    # Restart: HL_READS (memory) comes back empty and counts from 1 again. A
    # new read of a listed plate must still give a new hit.
    # On one server the memory stream itself is gone until the node makes it
    # again (an MQTT read published before that is lost: docs/cameras.md).
    srv.stop()
    srv.start()
    nf.wait_port(mport)
    wait_ready(hport)
    nf.wait_count(JS_TOOL, srv.url, "HL_READS", 0, timeout=30)
    again = json.loads(sent["site1"][0])
    again["ts_us"] += 3600 * 1000000  # an hour later: a new read
    r = mqtt_pub(mport, "hl/read/site1", [json.dumps(again)], "cam-site1")
    check(r.returncode == 0, f"mosquitto_pub after restart: {r.stderr}")
    nf.wait_count(JS_TOOL, srv.url, "HL_HITS", len(hit_plates) + 1)

    # The caveat: a full stream refuses the read, the camera still gets PUBACK.
    nf.js(JS_TOOL, srv.url, "add", "HL_SMALL", "hl.small.>", "--memory", "--max-msgs", "5")
    r = mqtt_pub(mport, "hl/small/site1", [read(i, "site1") for i in range(10)], "cam-small")
    check(r.returncode == 0, f"mosquitto_pub to a full stream: rc {r.returncode} {r.stderr}")
    check(nf.count(JS_TOOL, srv.url, "HL_SMALL") == 5,
          "a full stream stored more than its limit, or fewer than it holds")
    rc = procs.stop(node)
    check(rc == 0, f"node exit status {rc} on SIGTERM")


if __name__ == "__main__":
    main()
