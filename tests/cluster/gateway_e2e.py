# SPDX-License-Identifier: MIT
"""`hotlist gateway` end to end against its own nats-server (JetStream, free
loopback port, storage in the work directory):

- every plate of every alprd frame lands on HL_READS, on hl.read.<site_id>
  (or hl.read.<--site> without one), with Nats-Msg-Id = read_id, the frame's
  uuid and site, the plate confidence and candidates, and is there the moment
  the POST is answered 200 (the answer waits for the server's ack);
- heartbeats and plate groups are answered 200 and publish nothing;
- a frame posted again is stored once (de-duplication by read id);
- bodies that are not alprd messages get 400, bodies over --max-body 413
  (declared by Content-Length, and chunked);
- a `hotlist node` matches them, and each hit carries the frame's uuid and
  site_id (so it can be traced to the image);
- with the server stopped a frame is not answered (the connection drops, as
  open-source alprd needs to retry), or gets 503 with --on-failure 503, and
  is not lost: posted again after the server is back it is stored, once.

usage: gateway_e2e.py HOTLIST JS_TOOL OPENALPR_JSONL WORKDIR
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

HOTLIST, JS_TOOL, SAMPLE, WORK = sys.argv[1:5]
MAX_BODY = 65536


def post(port, body, path="/push", chunked=False):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    data = body.encode() if isinstance(body, str) else body
    if chunked:
        c.request("POST", path, body=iter([data[i:i + 4096] for i in range(0, len(data), 4096)]),
                  headers={"Content-Type": "application/json"}, encode_chunked=True)
    else:
        c.request("POST", path, body=data, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    out = (r.status, r.read().decode(errors="replace"))
    c.close()
    return out


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path)
    r = c.getresponse()
    out = (r.status, r.read().decode())
    c.close()
    return out


def metric(port, name):
    for line in get(port, "/metrics")[1].splitlines():
        if line.startswith(f"hotlist_gateway_{name} "):
            return int(line.split()[1])
    raise AssertionError(f"no metric {name}")


def wait_healthy(port, want=200, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if get(port, "/healthz")[0] == want:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"/healthz never {want}")


def main():
    nf.skip_unless("nats-server")
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    procs = nf.Procs()
    try:
        run(procs)
    finally:
        procs.close()
    print("gateway_e2e: ok")


def run(procs):
    check = nf.check
    nport, hport = nf.free_port(), nf.free_port()
    srv = procs.server(WORK, "nats", f"""
listen: 127.0.0.1:{nport}
server_name: gw_test
jetstream {{ store_dir: "{WORK}/js" }}
""", nport).start()
    # The cluster's streams as `hotlist publish` makes them, a list, a node.
    with open(f"{WORK}/list.csv", "w") as f:
        f.write("plate,country,category\nXF12JG,NL,stolen vehicle\nOUT2,NL,stolen vehicle\n")
    r = subprocess.run([HOTLIST, "publish", "--nats", srv.url, "--list", "stolen",
                        f"{WORK}/list.csv"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"publish: {r.stderr}")
    nport_http = nf.free_port()
    node = procs.popen([HOTLIST, "node", "--nats", srv.url, "--name", "n1", "--http-port",
                        str(nport_http)], stdout=open(f"{WORK}/node.log", "w"),
                       stderr=subprocess.STDOUT)
    wait_healthy(nport_http)
    gw = procs.popen([HOTLIST, "gateway", "--nats", srv.url, "--listen", f"127.0.0.1:{hport}",
                      "--site", "fallback", "--max-body", str(MAX_BODY),
                      "--publish-timeout-ms", "1000"])
    hport503 = nf.free_port()
    gw503 = procs.popen([HOTLIST, "gateway", "--nats", srv.url, "--listen", f"127.0.0.1:{hport503}",
                 "--on-failure", "503", "--publish-timeout-ms", "1000"])
    nf.wait_port(hport)
    nf.wait_port(hport503)
    wait_healthy(hport)
    wait_healthy(hport503)

    frames = [l for l in open(SAMPLE) if l.strip()]
    # The sample's first frame as alprd sends it: with a uuid.
    first = json.loads(frames[0])
    first["uuid"] = "a12-km31-cam1047-1767225600123"
    frames[0] = json.dumps(first)
    want_reads = sum(len(json.loads(f)["results"]) for f in frames)
    stored = 0
    for f in frames:
        status, body = post(hport, f)
        check(status == 200, f"POST frame: {status} {body}")
        n = len(json.loads(f)["results"])
        stored += n
        # answered only after the acks: the reads are there already
        check(nf.count(JS_TOOL, srv.url, "HL_READS") == stored,
              f"{stored} reads answered, not all stored yet")
    check(stored == want_reads and stored >= 4, f"sample has {stored} plates")

    msgs = nf.dump(JS_TOOL, srv.url, "HL_READS")
    by_plate = {m["data"]["plate"]: m for m in msgs}
    xf = by_plate["XF12JG"]
    check(xf["subject"] == "hl.read.a12-km31", f"subject {xf['subject']}")
    check(xf["data"]["site"] == "a12-km31", "site_id kept")
    check(xf["data"]["uuid"] == first["uuid"], "uuid kept")
    check(xf["data"]["confidence"] == 91.2, "confidence kept")
    check(xf["data"]["candidates"] == ["XF123G", "XF1Z3G"], f"candidates {xf['data']}")
    check(xf["data"]["camera"] == "1047" and xf["data"]["ts_us"] == 1767225600123000,
          "camera and time")
    check(xf["data"]["country"] == "nl", "country from the region")
    check("country" not in by_plate["ABC123"]["data"], "region zz is no country")
    for m in msgs:
        check(m["msg_id"] and m["msg_id"] == m["data"]["read_id"], f"msg id {m}")
    check(len({m["msg_id"] for m in msgs}) == len(msgs), "read ids distinct")
    check(by_plate["XF-123-G"]["subject"] == "hl.read.fallback", "no site_id: --site")

    # heartbeats and groups: 200, nothing published
    hb = {"data_type": "heartbeat", "company_id": "c", "agent_uid": "a", "video_streams": []}
    grp = {"data_type": "alpr_group", "uuid": "g1", "site_id": "a12-km31",
           "best_plate": {"plate": "ZZ99ZZ"}, "best_plate_number": "ZZ99ZZ",
           "best_uuid": "u", "results": [{"plate": "ZZ99ZZ"}]}
    for body in (hb, grp, hb):
        status, _ = post(hport, json.dumps(body))
        check(status == 200, f"POST {body['data_type']}: {status}")
    check(nf.count(JS_TOOL, srv.url, "HL_READS") == stored, "group or heartbeat published")
    check(metric(hport, "heartbeats_total") == 2 and metric(hport, "groups_total") == 1,
          "ignored messages counted")

    # the same frame again (alprd retrying): stored once
    status, _ = post(hport, frames[0])
    check(status == 200, f"repost: {status}")
    check(nf.count(JS_TOOL, srv.url, "HL_READS") == stored, "repost stored twice")
    check(metric(hport, "duplicates_total") == 2, "duplicates counted")

    # refusals
    check(post(hport, "not json")[0] == 400, "bad JSON accepted")
    check(post(hport, '{"data_type":"alpr_results","results":[{"plate":""}]}')[0] == 400,
          "empty plate accepted")
    check(post(hport, json.dumps({"data_type": "alpr_results", "site_id": "a.b",
                                  "results": [{"plate": "AB12CD"}]}))[0] == 200,
          "site_id with a dot: fallback site")
    stored += 1
    big = json.dumps({"data_type": "alpr_group", "best_plate_jpeg": "A" * MAX_BODY})
    check(post(hport, big)[0] == 413, "body over the limit (Content-Length)")
    check(post(hport, big, chunked=True)[0] == 413, "body over the limit (chunked)")
    check(metric(hport, "too_large_total") == 2, "413s counted")
    ok_big = json.dumps({"data_type": "alpr_group", "best_plate_jpeg": "A" * (MAX_BODY - 100)})
    check(post(hport, ok_big, chunked=True)[0] == 200, "body under the limit")
    check(get(hport, "/nowhere")[0] == 404, "GET elsewhere")

    # server gone: no answer (or 503), and the frame is not lost when it is
    # posted again
    frame = json.dumps({"data_type": "alpr_results", "uuid": "site9-cam1-1", "site_id": "site9",
                        "epoch_time": 1767225609000, "camera_id": 1,
                        "results": [{"plate": "OUT1", "confidence": 80.0},
                                    {"plate": "OUT2", "confidence": 70.0}]})
    srv.stop()
    try:
        status, body = post(hport, frame)
        check(False, f"POST with no server answered {status} {body}")
    except (http.client.RemoteDisconnected, ConnectionResetError):
        pass
    check(metric(hport, "unavailable_total") == 1, "failure counted")
    status, body = post(hport503, frame)
    check(status == 503, f"POST with no server, --on-failure 503: {status} {body}")
    check(metric(hport503, "unavailable_total") == 1, "503 counted")
    check(get(hport, "/healthz")[0] == 503, "healthz while disconnected")
    srv.start()
    # one server keeps no memory stream across a restart: the node makes it again
    nf.wait_count(JS_TOOL, srv.url, "HL_READS", 0, timeout=30)
    wait_healthy(hport)
    wait_healthy(hport503)
    status, body = post(hport, frame)
    check(status == 200, f"POST after the server came back: {status} {body}")
    status, body = post(hport503, frame)
    check(status == 200, f"POST after the server came back (503 mode): {status} {body}")
    status, body = post(hport, frame)
    check(status == 200, f"and again: {status}")
    after = nf.dump(JS_TOOL, srv.url, "HL_READS")
    check(sorted(m["data"]["plate"] for m in after) == ["OUT1", "OUT2"],
          f"after restart: {[m['data']['plate'] for m in after]}")
    check(all(m["subject"] == "hl.read.site9" for m in after), "site9 subject")

    # The hits trace back to the frame: its uuid and site. XF12JG was posted
    # twice (one read), OUT2 three times (one read): one hit each.
    nf.wait_count(JS_TOOL, srv.url, "HL_HITS", 2)
    time.sleep(1.0)
    hits = {h["data"]["read"]: h["data"] for h in nf.dump(JS_TOOL, srv.url, "HL_HITS")}
    check(sorted(hits) == ["OUT2", "XF12JG"], f"hits {sorted(hits)}")
    check(hits["XF12JG"]["uuid"] == first["uuid"] and hits["XF12JG"]["site"] == "a12-km31",
          f"hit not traceable to its frame: {hits['XF12JG']}")
    check(hits["XF12JG"]["read_id"] == xf["msg_id"], "hit names its read")
    check(hits["OUT2"]["uuid"] == "site9-cam1-1" and hits["OUT2"]["site"] == "site9",
          f"hit {hits['OUT2']}")

    # SIGTERM: each exits 0 (and a sanitizer build finds nothing to report)
    for name, p in (("gateway", gw), ("gateway 503", gw503), ("node", node)):
        rc = procs.stop(p)
        check(rc == 0, f"{name} exit status {rc} on SIGTERM")


if __name__ == "__main__":
    main()
