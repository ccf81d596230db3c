# SPDX-License-Identifier: MIT
"""Servers for the camera and leaf-node tests: nats-server processes on free
loopback ports with their own config and storage under the test's work
directory. Only the processes started here are ever stopped, by their pid."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

SKIP = 77  # ctest SKIP_RETURN_CODE


def skip_unless(*programs):
    for p in programs:
        if not shutil.which(p):
            print(f"SKIP: {p} not installed")
            sys.exit(SKIP)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class Server:
    """One nats-server with a config file; start(), stop() (SIGTERM or
    SIGKILL), start() again on the same storage."""

    def __init__(self, work, name, conf, port):
        self.work = work
        self.name = name
        self.port = port
        self.url = f"nats://127.0.0.1:{port}"
        self.conf_path = os.path.join(work, f"{name}.conf")
        self.log_path = os.path.join(work, f"{name}.log")
        with open(self.conf_path, "w") as f:
            f.write(conf)
        self.proc = None

    def start(self):
        assert self.proc is None
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(["nats-server", "-c", self.conf_path],
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_port(self.port)
        return self

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


class Procs:
    """Everything a test started, stopped at the end whatever happens."""

    def __init__(self):
        self.servers = []
        self.others = []

    def server(self, *args):
        s = Server(*args)
        self.servers.append(s)
        return s

    def popen(self, argv, **kw):
        p = subprocess.Popen(argv, **kw)
        self.others.append(p)
        return p

    def stop(self, p, timeout=30):
        """SIGTERM one process started here; its exit status (a sanitizer
        build reports leaks and errors through it)."""
        if p.poll() is None:
            p.terminate()
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return "killed: no exit within %ss of SIGTERM" % timeout

    def close(self):
        for p in self.others:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for s in self.servers:
            s.stop()


def js(tool, url, *args, domain=None, check=True):
    argv = [tool, url] + (["--domain", domain] if domain else []) + list(args)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: rc {r.returncode}: {r.stderr}")
    return r


def dump(tool, url, stream, domain=None):
    out = js(tool, url, "dump", stream, domain=domain).stdout
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def count(tool, url, stream, domain=None):
    return int(js(tool, url, "count", stream, domain=domain).stdout)


def wait_count(tool, url, stream, want, timeout=20.0, domain=None):
    end = time.monotonic() + timeout
    n = -1
    while time.monotonic() < end:
        r = js(tool, url, "count", stream, domain=domain, check=False)
        if r.returncode == 0:
            n = int(r.stdout)
            if n >= want:
                return n
        time.sleep(0.1)
    raise AssertionError(f"{stream}: {n} messages after {timeout}s, want {want}")


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
