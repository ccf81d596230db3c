#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate lib/fold_table.h: the Latin letters the plate normaliser folds.

    python3 tools/gen_fold_table.py > lib/fold_table.h      # regenerate
    python3 tools/gen_fold_table.py --check lib/fold_table.h  # CI: fails on drift

Only the Python standard library (unicodedata) is used, so the Unicode version
of the table is that of the python3 that ran it; the header says which.

Rule: a letter (general category L*) in the Latin letter blocks folds to the
A-Z letters its compatibility decomposition (NFKD) leaves once combining marks
(category M*) are dropped, uppercased: E-acute -> E, S-comma-below -> S,
DZ-caron -> DZ. Outside those blocks only the canonical decomposition (NFD)
counts (the Kelvin sign is K, the Angstrom sign is A); compatibility forms
there (superscripts, circled, mathematical letters) are not plate letters.
SPECIAL lists the letters Unicode does not decompose that we fold anyway;
they also apply inside a decomposition (AE-macron -> AE, O-stroke-acute -> O).
Symbols and punctuation in the blocks (x and division signs) are separators.
"""
import sys
import unicodedata

# The Latin letter blocks: Latin-1 Supplement letters, Latin Extended-A,
# Latin Extended-B, Latin Extended Additional.
BLOCKS = [
    (0x00C0, 0x024F, "latin", "U+00C0..U+024F: Latin-1 letters, Latin Extended-A and -B"),
    (0x1E00, 0x1EFF, "latin_add", "U+1E00..U+1EFF: Latin Extended Additional"),
]

# Letters without a decomposition to A-Z that plates nevertheless spell with
# A-Z: what lib/normalise.c has always done with them.
SPECIAL = {
    0x00C6: "AE", 0x00E6: "AE",  # AE ligature
    0x00D0: "D", 0x00F0: "D",  # eth
    0x00D8: "O", 0x00F8: "O",  # O with stroke
    0x00DE: "TH", 0x00FE: "TH",  # thorn
    0x00DF: "SS", 0x1E9E: "SS",  # sharp s, capital sharp s
    0x0110: "D", 0x0111: "D",  # D with stroke
    0x0126: "H", 0x0127: "H",  # H with stroke
    0x0131: "I",  # dotless i
    0x0138: "K",  # kra
    0x013F: "L", 0x0140: "L",  # L with middle dot
    0x0141: "L", 0x0142: "L",  # L with stroke
    0x0149: "N",  # n preceded by apostrophe
    0x014A: "N", 0x014B: "N",  # eng
    0x0152: "OE", 0x0153: "OE",  # OE ligature
    0x0166: "T", 0x0167: "T",  # T with stroke
}

ERROR, SEP = 0, 1  # table codes; 'A'..'Z' are themselves, pairs from PAIR_BASE
PAIR_BASE = 2


def letters(s):
    """s with marks dropped and SPECIAL applied, uppercased, if only A-Z remain."""
    out = []
    for c in s:
        if unicodedata.category(c).startswith("M"):
            continue
        c = SPECIAL.get(ord(c), c)
        if not all("A" <= x.upper() <= "Z" and x.isascii() for x in c):
            return None
        out.append(c.upper())
    return "".join(out) or None


def fold(cp, in_block):
    """The fold of code point cp: a string of A-Z, SEP, or ERROR."""
    c = chr(cp)
    cat = unicodedata.category(c)
    if cp in SPECIAL:
        return SPECIAL[cp]
    if cat[0] == "L":
        f = letters(unicodedata.normalize("NFKD" if in_block else "NFD", c))
        if f and (in_block or f != c.upper()):
            return f
        return ERROR
    if in_block and cat[0] in "SPZ":
        return SEP
    return ERROR


def tables():
    pairs = []
    blocks = []
    for lo, hi, name, what in BLOCKS:
        codes = []
        for cp in range(lo, hi + 1):
            f = fold(cp, True)
            if f in (ERROR, SEP):
                codes.append(f)
            elif len(f) == 1:
                codes.append(ord(f))
            else:
                assert len(f) == 2, (hex(cp), f)
                if f not in pairs:
                    pairs.append(f)
                codes.append(PAIR_BASE + pairs.index(f))
        blocks.append((lo, hi, name, what, codes))
    others = []
    for cp in range(0x80, 0x10000):
        if 0xD800 <= cp <= 0xDFFF or any(lo <= cp <= hi for lo, hi, *_ in BLOCKS):
            continue
        if 0xFF01 <= cp <= 0xFF5E:
            continue  # fullwidth ASCII: normalise.c maps these through its ASCII table
        f = fold(cp, False)
        if f not in (ERROR, SEP):
            assert len(f) == 1, (hex(cp), f)
            others.append((cp, f))
    assert PAIR_BASE + len(pairs) < ord("A")
    return pairs, blocks, others


def c_char(code):
    if code == ERROR:
        return "E_"
    if code == SEP:
        return "S_"
    if code >= ord("A"):
        return "'%s'" % chr(code)
    return "P%d" % (code - PAIR_BASE)


def render():
    pairs, blocks, others = tables()
    o = []
    w = o.append
    w("/* SPDX-License-Identifier: MIT */")
    w("/*")
    w(" * fold_table.h — the Latin letters plate text folds to A-Z. GENERATED: do not")
    w(" * edit. Regenerate with")
    w(" *     python3 tools/gen_fold_table.py > lib/fold_table.h")
    w(" * (ctest fold_table_drift fails when this file and the generator disagree).")
    w(" * Unicode %s (Python %d.%d unicodedata)." % (unicodedata.unidata_version,
                                                      *sys.version_info[:2]))
    w(" *")
    w(" * A letter of the Latin blocks folds to the letters of its NFKD")
    w(" * decomposition with the combining marks dropped; a handful that Unicode does")
    w(" * not decompose (AE, eth, O/D/H/L/T with stroke, thorn, sharp s, dotless i,")
    w(" * kra, eng, OE) are folded by hand, see SPECIAL in the generator. Outside the")
    w(" * blocks only canonical singletons fold (hl_fold_other).")
    w(" *")
    w(" * Codes: HL_FOLD_ERR = no plate has it, HL_FOLD_SEP = separator, 'A'..'Z' =")
    w(" * that letter, HL_FOLD_PAIR + i = the two letters hl_fold_pairs[i].")
    for lo, hi, name, what, codes in blocks:
        n = sum(1 for c in codes if c not in (ERROR, SEP))
        w(" * %s: %d letters fold." % (what, n))
    w(" */")
    w("#ifndef HOTLIST_FOLD_TABLE_H")
    w("#define HOTLIST_FOLD_TABLE_H")
    w("")
    w("#include <stdint.h>")
    w("")
    w("#define HL_FOLD_ERR %d" % ERROR)
    w("#define HL_FOLD_SEP %d" % SEP)
    w("#define HL_FOLD_PAIR %d" % PAIR_BASE)
    w("")
    w("/* clang-format off */")
    w("static const char hl_fold_pairs[%d][2] = {" % len(pairs))
    for i in range(0, len(pairs), 6):
        w("\t" + ", ".join("{ '%s', '%s' }" % (p[0], p[1]) for p in pairs[i:i + 6]) + ",")
    w("};")
    w("")
    w("#define E_ HL_FOLD_ERR")
    w("#define S_ HL_FOLD_SEP")
    for i in range(len(pairs)):
        w("#define P%d (HL_FOLD_PAIR + %d) /* %s */" % (i, i, pairs[i]))
    for lo, hi, name, what, codes in blocks:
        w("")
        w("#define HL_FOLD_%s_FIRST 0x%04x" % (name.upper(), lo))
        w("#define HL_FOLD_%s_LAST 0x%04x" % (name.upper(), hi))
        w("/* %s */" % what)
        w("static const uint8_t hl_fold_%s[0x%04x - 0x%04x + 1] = {" % (name, hi, lo))
        for row in range(lo, hi + 1, 16):
            cells = [c_char(codes[cp - lo]) for cp in range(row, min(row + 16, hi + 1))]
            w("\t/* %04X */ %s," % (row, ", ".join("%3s" % c for c in cells)))
        w("};")
    w("")
    w("#undef E_")
    w("#undef S_")
    for i in range(len(pairs)):
        w("#undef P%d" % i)
    w("")
    w("/* Letters outside the blocks whose canonical decomposition is a Latin letter. */")
    w("#define HL_FOLD_OTHER_FIRST 0x%04x" % min(cp for cp, _ in others))
    w("#define HL_FOLD_OTHER_LAST 0x%04x" % max(cp for cp, _ in others))
    w("static const struct {")
    w("\tuint16_t cp;")
    w("\tchar letter;")
    w("} hl_fold_other[%d] = {" % len(others))
    for cp, f in others:
        w("\t{ 0x%04x, '%s' }, /* %s */" % (cp, f, unicodedata.name(chr(cp))))
    w("};")
    w("/* clang-format on */")
    w("")
    w("#endif /* HOTLIST_FOLD_TABLE_H */")
    return "\n".join(o) + "\n"


def main(argv):
    text = render()
    if len(argv) == 3 and argv[1] == "--check":
        with open(argv[2], encoding="utf-8") as f:
            have = f.read()
        if have != text:
            sys.stderr.write("%s differs from the output of %s (Unicode %s): regenerate it\n"
                             % (argv[2], argv[0], unicodedata.unidata_version))
            return 1
        return 0
    if len(argv) != 1:
        sys.stderr.write("usage: %s [--check FILE]\n" % argv[0])
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
