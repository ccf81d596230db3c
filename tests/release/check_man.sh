#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The man pages render without a warning, and hotlist(1) documents exactly
# the commands `hotlist --help` lists, each with every option its own --help
# prints and every hit key of `hotlist match`, for the version the program
# reports.
# Usage: check_man.sh PATH/TO/hotlist MANDIR
set -euo pipefail
prog=$1 mandir=$2
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for page in "$mandir"/hotlist.1 "$mandir"/libhotlist.3; do
    out=$(groff -man -ww -z -Tutf8 "$page" 2>&1) || bad "groff failed on $page"
    [ -z "$out" ] || bad "groff warnings on $page: $out"
    if command -v man >/dev/null; then
        out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || bad "man -l failed on $page"
        [ -z "$out" ] || bad "man warnings on $page: $out"
    fi
done

page=$mandir/hotlist.1
version=$("$prog" --version | awk '{print $2}')
for p in "$mandir"/hotlist.1 "$mandir"/libhotlist.3; do
    grep -q "^\.TH .* \"hotlist $version\"" "$p" || bad "$p: .TH does not say hotlist $version"
done

# Commands: the indented names under "commands:" in `hotlist --help`.
mapfile -t cmds < <("$prog" --help | sed -n '/^commands:/,/^$/p' | awk 'NF > 1 && /^  /{print $1}')
[ ${#cmds[@]} -gt 0 ] || bad "no commands in hotlist --help"
mapfile -t sections < <(sed -n 's/^\.SS "hotlist \([a-z-]*\) .*/\1/p' "$page")
[ "$(printf '%s\n' "${cmds[@]}" | sort)" = "$(printf '%s\n' "${sections[@]}" | sort)" ] ||
    bad "commands in hotlist --help (${cmds[*]}) differ from the sections of hotlist.1 (${sections[*]})"

for c in "${cmds[@]}"; do
    # The command's section: from its .SS to the next .SS or .SH.
    text=$(awk -v c="$c" '/^\.S[SH] /{on = ($0 ~ "^\\.SS \"hotlist " c " ")} on' "$page")
    mapfile -t opts < <("$prog" "$c" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
    [ ${#opts[@]} -gt 0 ] || bad "hotlist $c --help lists no option"
    for o in "${opts[@]}"; do
        roff=${o//-/\\-}
        grep -qF -- "$roff" <<<"$text" || bad "hotlist.1, section hotlist $c: no $o"
    done
done
# The hit keys `hotlist match` prints (the CLI test's expected output) are
# named in its section.
hits=$mandir/../tests/cli/expected_hits.jsonl
text=$(awk '/^\.S[SH] /{on = ($0 ~ "^\\.SS \"hotlist match ")} on' "$page")
for k in $(head -1 "$hits" | grep -o '"[a-z_]*":' | tr -d '":'); do
    grep -qE "^\.BR? $k( |\$)|^\.BR .* $k\$" <<<"$text" || bad "hotlist.1, section hotlist match: no hit key $k"
done
[ $fail -eq 0 ] && echo "man pages: render cleanly; commands ${cmds[*]} and their options documented"
exit $fail
