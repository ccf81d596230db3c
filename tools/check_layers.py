#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that the modules of lib/ depend on each other one way only.

Every internal header of lib/ has a layer (LAYERS below, bottom first; the
same graph is drawn in docs/DESIGN.md, "Modules"). A file may include its
own module's headers and the headers of lower layers, never one of its own
layer (another module) or of a higher one. A .c file belongs to the module
of the header with its name (snapshot_*.c to snapshot, plates.c also owns
its data table); the façade files, which implement the public API on top of
everything, are listed in FACADE. Only lib/snapshot.c may include liburcu.

Usage: tools/check_layers.py [repository root]. Exit 1 on a violation, a
lib/ file the tables do not know, or an include of a lib/ header that does
not exist.
"""
import os
import re
import sys

# header -> layer. Same layer: unrelated modules, which must not include
# each other.
LAYERS = {
    "common.h": 0,  # macros: likely/unlikely, cache line, HL_DEBUG_ASSERT
    "abi.h": 1,  # versioned public structs (docs/ABI.md)
    "alloc.h": 1,  # allocator front end
    "clock.h": 1,  # clocks and random seeds
    "normalise.h": 1,  # plate text, countries, struct hl_key
    "fold_table.h": 1,  # data of normalise.c (generated)
    "logodds.h": 1,  # fuzzy scores <-> log-odds (score.c, second.c)
    "date.h": 1,  # dates and times of lists and reads
    "csvtok.h": 1,  # the CSV tokenizer (also used by tools/readparse.c)
    "table.h": 2,  # exact-match index
    "csv.h": 2,  # hot-list file parsing
    "stats.h": 2,  # counters and latency histograms
    "suppress.h": 2,  # repeat-hit suppression
    "plates.h": 2,  # per-country plate formats
    "scope.h": 2,  # where and when a list applies (cameras, hours)
    "retro.h": 2,  # window of recent reads kept for retroactive hits
    "second.h": 2,  # recent weak fuzzy hits kept for second-read evidence
    "plates_de_districts.h": 2,  # data of plates.c
    "ingest.h": 3,  # async queues and workers
    "pattern.h": 3,  # wildcard entries
    "list.h": 4,  # immutable list contents (bases) and their builder
    "fuzzy.h": 5,  # list options, OCR/indel index
    "score.h": 5,  # score of fuzzy hits, innocent-rate estimate (module fuzzy)
    "snapshot.h": 6,  # published list versions, edits, RCU
    "snapshot_impl.h": 6,  # private to snapshot*.c
    "engine.h": 7,  # struct hotlist (data only)
    "match.h": 8,  # matching
}
FACADE_LAYER = 9
FACADE = {"engine.c", "load.c", "version.c"}
# headers of one module (each may include the others' declarations)
MODULES = [
    {"snapshot.h", "snapshot_impl.h"},
    {"plates.h", "plates_de_districts.h"},
    {"normalise.h", "fold_table.h"},
    {"fuzzy.h", "score.h"},
]
URCU_ALLOWED = {"snapshot.c"}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def module_of(header):
    for m in MODULES:
        if header in m:
            return m
    return {header}


def own_headers(name):
    """The headers of the module a lib/ file belongs to, and its layer."""
    if name.endswith(".h"):
        return module_of(name), LAYERS[name]
    if name in FACADE:
        return set(), FACADE_LAYER
    stem = name[:-2]
    if stem.startswith("snapshot"):
        stem = "snapshot"
    header = stem + ".h"
    if header not in LAYERS:
        return None, None
    return module_of(header), LAYERS[header]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    lib = os.path.join(root, "lib")
    errors = []
    files = sorted(f for f in os.listdir(lib) if f.endswith((".c", ".h")))
    for f in files:
        if f.endswith(".h") and f not in LAYERS:
            errors.append(f"lib/{f}: header without a layer (add it to LAYERS in {sys.argv[0]})")
            continue
        own, layer = own_headers(f)
        if own is None:
            errors.append(f"lib/{f}: no module header lib/{f[:-2]}.h and not in FACADE")
            continue
        with open(os.path.join(lib, f), encoding="utf-8") as fh:
            text = fh.read()
        for kind, inc in INCLUDE.findall(text):
            if kind == "<":
                if inc.startswith("urcu") and f not in URCU_ALLOWED:
                    errors.append(f"lib/{f}: includes <{inc}>: only "
                                  f"{', '.join(sorted(URCU_ALLOWED))} may include liburcu")
                continue
            if inc == "hotlist.h":
                continue  # the public header, below everything
            if inc not in LAYERS:
                errors.append(f"lib/{f}: includes \"{inc}\", which is not a lib/ header")
            elif inc not in own and LAYERS[inc] >= layer:
                errors.append(f"lib/{f} (layer {layer}): includes \"{inc}\" "
                              f"(layer {LAYERS[inc]}): must point down")
    for e in errors:
        print(e)
    if errors:
        print(f"check_layers: {len(errors)} violation(s); see docs/DESIGN.md, \"Modules\"")
        return 1
    print(f"check_layers: {len(files)} lib/ files, every include points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
