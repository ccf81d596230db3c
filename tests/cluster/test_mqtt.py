# SPDX-License-Identifier: MIT
"""Cameras over MQTT 3.1.1 through nats-server's own MQTT listener, with the
configuration docs/cameras.md gives (JetStream on, server_name set, an
mqtt {} block): reads published with `mosquitto_pub -V mqttv311 -q 1` to
topic hl/read/<site> arrive on the HL_READS stream as subject
hl.read.<site>, all of them, in order, with their JSON unchanged and no
Nats-Msg-Id (the node takes such a read's id from its stream sequence).

It also pins the caveat the page states: the server acknowledges a QoS 1
PUBLISH (PUBACK) without waiting for HL_READS to store it, so when the stream
is full (DiscardNew) mosquitto_pub still succeeds and the read is not stored.

usage: test_mqtt.py JS_TOOL WORKDIR
"""

import json
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import natsfixture as nf  # noqa: E402

JS_TOOL, WORK = sys.argv[1:3]
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


def main():
    nf.skip_unless("nats-server", "mosquitto_pub")
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    procs = nf.Procs()
    try:
        run(procs)
    finally:
        procs.close()
    print("test_mqtt: ok")


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
    nf.js(JS_TOOL, srv.url, "add", "HL_READS", "hl.read.>", "--memory")

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

    # The caveat: a full stream refuses the read, the camera still gets PUBACK.
    nf.js(JS_TOOL, srv.url, "add", "HL_SMALL", "hl.small.>", "--memory", "--max-msgs", "5")
    r = mqtt_pub(mport, "hl/small/site1", [read(i, "site1") for i in range(10)], "cam-small")
    check(r.returncode == 0, f"mosquitto_pub to a full stream: rc {r.returncode} {r.stderr}")
    check(nf.count(JS_TOOL, srv.url, "HL_SMALL") == 5,
          "a full stream stored more than its limit, or fewer than it holds")


if __name__ == "__main__":
    main()
