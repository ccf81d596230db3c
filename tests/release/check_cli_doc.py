#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""docs/cli.md shows hit lines as `hotlist match` prints them: every JSON
hit line in it has the keys, in order, of the lines the program printed for
the CLI test (tests/cli/expected_hits.jsonl, which test_cli compares with
the program's output), and the key table of docs/cli.md names each key.
Usage: check_cli_doc.py SOURCE_DIR"""
import json
import re
import sys
from pathlib import Path

src = Path(sys.argv[1])
expected = [json.loads(l) for l in (src / "tests/cli/expected_hits.jsonl").read_text().splitlines() if l]
keys = list(expected[0])
assert all(list(o) == keys for o in expected), "expected_hits.jsonl: lines with different keys"
doc = (src / "docs/cli.md").read_text()
bad = []
lines = [l for l in doc.splitlines() if l.startswith('{"camera"')]
for l in lines:
    if list(json.loads(l)) != keys:
        bad.append(f"docs/cli.md hit line with keys {list(json.loads(l))}")
named = set(re.findall(r"`([a-z_]+)`", "\n".join(l for l in doc.splitlines() if l.strip().startswith("| `"))))
for k in keys:
    if k not in named:
        bad.append(f"docs/cli.md: key {k} not in the key table")
for b in bad:
    print("FAIL:", b)
if not lines:
    print("FAIL: no hit lines in docs/cli.md")
    sys.exit(1)
if bad:
    sys.exit(1)
print(f"docs/cli.md: {len(lines)} hit lines, all with the {len(keys)} keys the program prints")
