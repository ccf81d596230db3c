#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write what the plate normaliser must make of every BMP code point.

    python3 tests/fold_oracle.py OUT

The contract of docs/plate-rules ("Characters"), computed from Python's
unicodedata and written independently of lib/normalise.c and of
tools/gen_fold_table.py. One line per code point U+0080..U+FFFF that is not
an error: "XXXX LETTERS" (folds to A-Z letters) or "XXXX -" (separator).
Every code point not listed, and every one past U+FFFF, is an error.
test_normalise (test_plate_oracle) runs each through hotlist__normalise_plate.
"""
import sys
import unicodedata as ud

# Letters plates spell with A-Z although Unicode gives them no decomposition.
BY_HAND = {
    "Æ": "AE", "æ": "AE", "Œ": "OE", "œ": "OE", "Ø": "O", "ø": "O",
    "Ð": "D", "ð": "D", "Đ": "D", "đ": "D", "Þ": "TH", "þ": "TH",
    "ß": "SS", "ẞ": "SS", "Ł": "L", "ł": "L", "Ħ": "H", "ħ": "H",
    "Ŧ": "T", "ŧ": "T", "Ŋ": "N", "ŋ": "N", "ı": "I", "ĸ": "K",
    "Ŀ": "L", "ŀ": "L", "ŉ": "N",
}


def latin_letters(decomposed):
    """Uppercase A-Z of a decomposition with its marks dropped, or None."""
    out = ""
    for ch in decomposed:
        if ud.category(ch)[0] == "M":
            continue
        ch = BY_HAND.get(ch, ch)
        if not (ch.isascii() and ch.isalpha()):
            return None
        out += ch.upper()
    return out or None


def expect(cp):
    ch = chr(cp)
    cat = ud.category(ch)
    latin_block = 0x00C0 <= cp <= 0x024F or 0x1E00 <= cp <= 0x1EFF
    if ch in BY_HAND:
        return BY_HAND[ch]
    if 0x00A0 <= cp <= 0x00BF:
        return None if cat[0] in "LN" else "-"  # ª º ¹ ² ³ µ ¼ ½ ¾ refused
    if 0xFF01 <= cp <= 0xFF5E:  # fullwidth ASCII is ASCII
        a = ud.normalize("NFKC", ch)
        return a.upper() if a.isalnum() else "-"
    if 0x2000 <= cp <= 0x206F or cp in (0x2212, 0x3000, 0xFEFF):
        return "-"
    if cat[0] == "L":
        if latin_block:
            return latin_letters(ud.normalize("NFKD", ch))
        f = latin_letters(ud.normalize("NFD", ch))
        return f if f and ud.normalize("NFD", ch) != ch else None
    if latin_block and cat[0] in "SPZ":
        return "-"
    return None


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: fold_oracle.py OUT\n")
        return 2
    with open(sys.argv[1], "w", encoding="ascii") as f:
        f.write("# Unicode %s\n" % ud.unidata_version)
        for cp in range(0x80, 0x10000):
            if 0xD800 <= cp <= 0xDFFF:
                continue
            e = expect(cp)
            if e is not None:
                f.write("%04X %s\n" % (cp, e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
