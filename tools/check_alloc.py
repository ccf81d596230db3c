#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that lib/ allocates only through the engine's allocator (alloc.h).

A caller may pass its own struct hotlist_allocator and is promised that it
sees every byte the engine takes; a direct malloc, calloc, realloc, free,
strdup and the like in lib/ breaks that silently. Comments and string
literals are ignored, and so are member calls (a->free(...)). ALLOWED lists
the files that may: alloc.c is the default allocator itself.

Usage: tools/check_alloc.py [repository root]. Exit 1 on a direct call.
"""
import os
import re
import sys

ALLOWED = {"alloc.c"}
CALL = re.compile(
    r"(?<![\w.>])(malloc|calloc|realloc|reallocarray|free|strdup|strndup|"
    r"aligned_alloc|posix_memalign|memalign|valloc|asprintf|vasprintf)\s*\(")
COMMENT_OR_STRING = re.compile(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'",
                               re.S)


def blank(m):
    # keep line numbers: replace everything but newlines
    return re.sub(r"[^\n]", " ", m.group(0))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    lib = os.path.join(root, "lib")
    bad = 0
    for name in sorted(os.listdir(lib)):
        if not name.endswith((".c", ".h")) or name in ALLOWED:
            continue
        with open(os.path.join(lib, name), encoding="utf-8") as f:
            text = COMMENT_OR_STRING.sub(blank, f.read())
        for m in CALL.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            print(f"lib/{name}:{line}: direct {m.group(1)}(): use hotlist__alloc/__free "
                  "(alloc.h)")
            bad += 1
    if bad:
        return 1
    print("check_alloc: lib/ allocates only through alloc.h")
    return 0


if __name__ == "__main__":
    sys.exit(main())
