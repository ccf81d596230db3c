#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ctest entry: run one cluster test file; exit 77 (skipped) without nats-server or pytest.
--no-server first: the file needs no nats-server (test_gate.py)."""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
args = sys.argv[1:]
if args[:1] == ["--no-server"]:
    args = args[1:]
elif not os.access(os.environ.get("NATS_SERVER", "/usr/sbin/nats-server"), os.X_OK):
    print("SKIP: no nats-server (apt install nats-server)")
    sys.exit(77)
try:
    import pytest
except ImportError:
    print("SKIP: no pytest (apt install python3-pytest)")
    sys.exit(77)
sys.path.insert(0, here)
sys.exit(pytest.main(["-x", "-q", "-s", "-p", "no:cacheprovider",
                      "--rootdir", here] + [os.path.join(here, a) for a in args]))
