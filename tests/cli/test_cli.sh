#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# End-to-end tests of the `hotlist` command-line program.
#
#   usage: tests/cli/test_cli.sh PATH/TO/hotlist [SCRATCH_DIR]
#
# Uses the fixtures beside this script; writes only into SCRATCH_DIR (a new
# temporary directory when not given, removed at the end). Needs bash and
# python3 (to compare JSON output). Prints "N passed, N failed" and exits
# non-zero if any check failed. No check depends on timing beyond generous
# timeouts for things to happen (10 s), so a loaded machine is slow, not red.
set -u

bin=${1:?usage: test_cli.sh PATH/TO/hotlist [SCRATCH_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ge 2 ]; then
    tmp=$2
    mkdir -p "$tmp"
else
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
fi
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac

passed=0
failed=0

ok() {
    passed=$((passed + 1))
    echo "ok     $1"
}

not_ok() {
    failed=$((failed + 1))
    echo "FAILED $1"
    [ $# -ge 2 ] && [ -f "$2" ] && sed 's/^/       | /' "$2" | head -n 40
    return 0
}

# expect DESCRIPTION COMMAND...: the command must succeed.
expect() {
    local desc=$1
    shift
    if "$@" > "$tmp/expect.out" 2>&1; then ok "$desc"; else not_ok "$desc" "$tmp/expect.out"; fi
}

# run_status WANT_RC OUT ERR CMD...: run, record, compare the exit status.
run_status() {
    local want=$1 out=$2 err=$3
    shift 3
    "$@" > "$out" 2> "$err" < /dev/null
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "       exit status $rc, wanted $want: $*" > "$tmp/status.txt"
        cat "$err" >> "$tmp/status.txt"
        return 1
    fi
    return 0
}

# wait_for FILE PATTERN [SECONDS]: until PATTERN (fixed string) is in FILE,
# SECONDS (default 10) at most.
wait_for() {
    local i
    for i in $(seq 1 $((${3:-10} * 20))); do
        grep -qF -- "$2" "$1" 2> /dev/null && return 0
        sleep 0.05
    done
    return 1
}

# jsonl_equal ACTUAL EXPECTED [IGNORED_KEY...]: same JSON objects, same order.
jsonl_equal() {
    python3 - "$@" << 'EOF'
import json, sys
actual, expected, ignored = sys.argv[1], sys.argv[2], set(sys.argv[3:])
def load(path):
    with open(path, encoding="utf-8") as f:
        return [{k: v for k, v in json.loads(line).items() if k not in ignored}
                for line in f if line.strip()]
a, e = load(actual), load(expected)
if a != e:
    print("got %d objects, wanted %d" % (len(a), len(e)))
    for x, y in zip(a, e):
        if x != y:
            print("first difference:\n  got    %s\n  wanted %s" % (x, y))
            break
    sys.exit(1)
keys = ["camera", "ts_us", "read", "country", "list", "entry", "entry_country",
        "category", "priority", "reference", "covert", "match", "candidate",
        "matched_plate", "repaired", "format", "substitutions", "indels", "score",
        "entry_id", "hit_id", "attributes", "uuid", "site", "confidence"]
with open(actual, encoding="utf-8") as f:
    for line in f:
        got = list(json.loads(line).keys())
        if got != keys:
            print("keys %s, wanted %s" % (got, keys))
            sys.exit(1)
EOF
}

# jsonl_subset ACTUAL EXPECTED: as many objects, in order, each with the values
# the expected one gives (other keys not compared).
jsonl_subset() {
    python3 - "$@" << 'EOF'
import json, sys
def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
a, e = load(sys.argv[1]), load(sys.argv[2])
if len(a) != len(e):
    print("got %d objects, wanted %d" % (len(a), len(e)))
for x, y in zip(a, e):
    if {k: x.get(k, "<absent>") for k in y} != y:
        print("first difference:\n  got    %s\n  wanted %s" % (x, y))
        sys.exit(1)
sys.exit(len(a) != len(e))
EOF
}

if ! command -v python3 > /dev/null; then
    echo "python3 not found: cannot compare JSON output" >&2
    exit 2
fi

lists=(--list "$here/national.csv" --list "$here/local.csv")
o=$tmp/out
e=$tmp/err

# ---- top level ------------------------------------------------------------

want_version=$(sed -n 's/^#define HOTLIST_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\).*/\2/p' \
    "$here/../../include/hotlist.h" | paste -sd.)
if run_status 0 "$o" "$e" "$bin" --version && [ "$(cat "$o")" = "hotlist $want_version" ]; then
    ok "--version prints hotlist $want_version"
else
    not_ok "--version prints hotlist $want_version" "$o"
fi
if run_status 0 "$o" "$e" "$bin" --help && grep -q '^  match' "$o" && grep -q '^  check' "$o" &&
    grep -q '^  demo' "$o"; then
    ok "--help lists the commands"
else
    not_ok "--help lists the commands" "$o"
fi
if run_status 2 "$o" "$e" "$bin" frobnicate && grep -q "unknown command 'frobnicate'" "$e"; then
    ok "an unknown command exits 2"
else
    not_ok "an unknown command exits 2" "$tmp/status.txt"
fi
for cmd in demo match check; do
    if run_status 0 "$o" "$e" "$bin" "$cmd" --help && grep -q "^usage: hotlist $cmd" "$o"; then
        ok "$cmd --help"
    else
        not_ok "$cmd --help" "$o"
    fi
done
if run_status 2 "$o" "$e" "$bin" demo --cameras 0 && grep -q -- '--cameras' "$e"; then
    ok "demo --cameras 0 is refused with exit 2"
else
    not_ok "demo --cameras 0 is refused with exit 2" "$tmp/status.txt"
fi

# ---- match ----------------------------------------------------------------

if run_status 0 "$o" "$e" "$bin" match "${lists[@]}" --reads "$here/reads.csv" &&
    jsonl_equal "$o" "$here/expected_hits.jsonl" > "$tmp/cmp.txt"; then
    ok "match: CSV reads give exactly the expected hits"
else
    not_ok "match: CSV reads give exactly the expected hits" "$tmp/cmp.txt"
fi
if grep -qF "reads.csv:10: empty plate" "$e" && grep -qF "11 reads matched, 8 hits, 1 bad read lines" "$e"; then
    ok "match: a bad read line is reported with its line number, the rest matched"
else
    not_ok "match: a bad read line is reported with its line number, the rest matched" "$e"
fi
if grep -qF "loaded list 'national' from $here/national.csv: 8 rows, 8 loaded, 0 rejected" "$e" &&
    grep -qF "loaded list 'local' from $here/local.csv: 2 rows, 2 loaded" "$e"; then
    ok "match: load reports on stderr"
else
    not_ok "match: load reports on stderr" "$e"
fi

if run_status 0 "$o" "$e" "$bin" match "${lists[@]}" --reads "$here/reads.jsonl" &&
    jsonl_equal "$o" "$here/expected_hits.jsonl" > "$tmp/cmp.txt" &&
    grep -qF "reads.jsonl:9: empty plate" "$e"; then
    ok "match: JSON-lines reads give the same hits"
else
    not_ok "match: JSON-lines reads give the same hits" "$tmp/cmp.txt"
fi

if "$bin" match "${lists[@]}" < "$here/reads.jsonl" > "$o" 2> "$e" &&
    jsonl_equal "$o" "$here/expected_hits.jsonl" > "$tmp/cmp.txt"; then
    ok "match: reads from stdin"
else
    not_ok "match: reads from stdin" "$tmp/cmp.txt"
fi

# ';' reads, other column order, no ts_us: the time is "now", so not compared.
cat > "$tmp/semi_expected.jsonl" << 'EOF'
{"camera":"cam-x","read":"12-BDF-3","country":"NL","list":"local","entry":"12-BDF-3","entry_country":"NL","category":"observation, do not stop","priority":10,"reference":"LOC-\"Utrecht\"-1","covert":true,"match":"exact","candidate":0,"matched_plate":"12BDF3","repaired":false,"format":true,"substitutions":0,"indels":0,"score":100}
{"camera":"cam-x","read":"12-BDF-3","country":"NL","list":"national","entry":"12-BDF-3","entry_country":"NL","category":"stolen vehicle","priority":20,"reference":"NL-2026-000101","covert":false,"match":"exact","candidate":0,"matched_plate":"12BDF3","repaired":false,"format":true,"substitutions":0,"indels":0,"score":100}
{"camera":"cam;y","read":"KL 888 P","country":null,"list":"local","entry":"KL-888-P","entry_country":null,"category":"wanted person","priority":3,"reference":"LOC-2","covert":false,"match":"exact","candidate":0,"matched_plate":"KL888P","repaired":false,"format":null,"substitutions":0,"indels":0,"score":100}
EOF
if run_status 0 "$o" "$e" "$bin" match "${lists[@]}" --reads "$here/reads_semicolon.csv" &&
    jsonl_equal "$o" "$tmp/semi_expected.jsonl" ts_us hit_id entry_id attributes uuid site confidence > "$tmp/cmp.txt"; then
    ok "match: ';' reads in another column order"
else
    not_ok "match: ';' reads in another column order" "$tmp/cmp.txt"
fi
if python3 -c '
import json, sys, time
ts = [json.loads(l)["ts_us"] for l in open(sys.argv[1])]
sys.exit(0 if all(abs(t / 1e6 - time.time()) < 600 for t in ts) else 1)' "$o"; then
    ok "match: a read without ts_us is stamped with the current time"
else
    not_ok "match: a read without ts_us is stamped with the current time" "$o"
fi

if run_status 0 "$o" "$e" "$bin" match --list "$here/local.csv" --name watch --reads "$here/reads.csv" &&
    [ "$(grep -c '"list":"watch"' "$o")" -eq 2 ] && [ "$(wc -l < "$o")" -eq 2 ]; then
    ok "match: --name names the list"
else
    not_ok "match: --name names the list" "$o"
fi
if run_status 2 "$o" "$e" "$bin" match --list "$here/local.csv" --list "$here/local.csv" \
    --reads /dev/null && grep -q "used twice" "$e"; then
    ok "match: two lists with the same name are refused"
else
    not_ok "match: two lists with the same name are refused" "$tmp/status.txt"
fi

if run_status 2 "$o" "$e" "$bin" match --list "$here/national.csv" --list "$here/badrows.csv" \
    --reads "$here/reads.csv" && grep -qF "badrows.csv" "$e" &&
    grep -qF "too many bad rows" "$e" && grep -qF "badrows.csv:4: empty plate" "$e" &&
    [ ! -s "$o" ]; then
    ok "match: a refused list exits 2 naming the file and the reason"
else
    not_ok "match: a refused list exits 2 naming the file and the reason" "$tmp/status.txt"
fi
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00' > "$tmp/image.png"
if run_status 2 "$o" "$e" "$bin" match --list "$tmp/image.png" --reads "$here/reads.csv" &&
    grep -qF "image.png: not a hot-list file" "$e"; then
    ok "match: a binary list file exits 2"
else
    not_ok "match: a binary list file exits 2" "$tmp/status.txt"
fi
if run_status 2 "$o" "$e" "$bin" match --list "$tmp/no-such-file.csv" --reads "$here/reads.csv" &&
    grep -qF "no-such-file.csv: No such file or directory" "$e" &&
    ! grep -qiF "input/output" "$e"; then
    ok "match: a missing list file exits 2"
else
    not_ok "match: a missing list file exits 2" "$tmp/status.txt"
fi

# A list that loads with a bad row: the row is reported, the others hit.
{
    echo "plate,country,category"
    for i in $(seq 100 299); do echo "GG-$i-B,NL,stolen vehicle"; done
    echo "GG-777-B,NL1,stolen vehicle"
} > "$tmp/mostly_good.csv"
printf 'plate,country\nGG-150-B,NL\nGG-777-B,NL\n' > "$tmp/mostly_reads.csv"
if run_status 0 "$o" "$e" "$bin" match --list "$tmp/mostly_good.csv" --reads "$tmp/mostly_reads.csv" &&
    grep -qF "mostly_good.csv:202:" "$e" && grep -qF "1 rejected" "$e" &&
    [ "$(wc -l < "$o")" -eq 1 ] && grep -qF '"entry":"GG-150-B"' "$o"; then
    ok "match: a list with one bad row in 201 loads, the bad row reported"
else
    not_ok "match: a list with one bad row in 201 loads, the bad row reported" "$e"
fi

# ---- match: fuzzy, wildcard, candidates, OpenALPR, cross-border -----------------

fz=(--list "$here/fuzzy.csv")
cat > "$tmp/fz_expected.jsonl" << 'EOF'
{"read":"A8C123","entry":"ABC123","match":"ocr","candidate":0,"substitutions":1,"indels":0,"repaired":false,"format":null}
{"read":"ABCU123","entry":"ABC123","match":"indel","candidate":0,"substitutions":0,"indels":1}
{"read":"AB123","entry":"ABC123","match":"indel","candidate":0,"substitutions":0,"indels":1}
{"read":"ABC123","entry":"ABC123","match":"exact","candidate":0,"substitutions":0,"indels":0}
{"read":"GZ123B","country":"NL","entry":"GZ-12?-B","match":"wildcard","candidate":0}
{"read":"XF12JG","country":"NL","entry":"XF-123-G","match":"exact","candidate":2,"matched_plate":"XF123G","format":true}
EOF
if run_status 0 "$o" "$e" "$bin" match --ocr 1 --indel 1 "${fz[@]}" --reads "$here/fuzzy_reads.csv" &&
    jsonl_subset "$o" "$tmp/fz_expected.jsonl" > "$tmp/cmp.txt" &&
    jsonl_equal "$o" "$o" > "$tmp/cmp.txt" && grep -qF "list 'fuzzy': ocr 1, indel 1" "$e"; then
    ok "match --ocr 1 --indel 1: ocr, indel, wildcard and candidate hits with their costs"
else
    cat "$e" >> "$tmp/cmp.txt"
    not_ok "match --ocr 1 --indel 1: ocr, indel, wildcard and candidate hits with their costs" "$tmp/cmp.txt"
fi
if run_status 0 "$o" "$e" "$bin" match --ocr 1 --indel 1 --min-score 100 "${fz[@]}" \
        --reads "$here/fuzzy_reads.csv" && ! grep -qF '"read":"ABCU123"' "$o" &&
    grep -qF '"read":"ABC123"' "$o" && grep -qF "min score 100" "$e" &&
    run_status 0 "$o" "$e" "$bin" match --ocr 1 --indel 1 --min-score 100 --weak "${fz[@]}" \
        --reads "$here/fuzzy_reads.csv" &&
    grep -F '"read":"ABCU123"' "$o" | grep -qF '"weak":true' &&
    grep -F '"read":"ABC123"' "$o" | grep -qF '"score":100'; then
    ok "match --min-score 100: the weak fuzzy hit is not reported; with --weak it is, flagged"
else
    not_ok "match --min-score 100: the weak fuzzy hit is not reported; with --weak it is, flagged" "$o"
fi
grep -v -e '"A8C123"' -e '"ABCU123"' -e '"AB123"' "$tmp/fz_expected.jsonl" > "$tmp/fz_exact.jsonl"
if run_status 0 "$o" "$e" "$bin" match "${fz[@]}" --reads "$here/fuzzy_reads.csv" &&
    jsonl_subset "$o" "$tmp/fz_exact.jsonl" > "$tmp/cmp.txt"; then
    ok "match without list options: A8C123, ABCU123, AB123 do not hit; wildcard and candidate do"
else
    not_ok "match without list options: A8C123, ABCU123, AB123 do not hit; wildcard and candidate do" "$tmp/cmp.txt"
fi
printf '%s\n' '{"camera":"j","ts_us":5,"plate":"XF12JG","country":"NL","candidates":["X","XF1Z3G","XF123G"]}' \
    '{"camera":"j","ts_us":6,"plate":"XF12JG","country":"NL","candidates":null}' > "$tmp/cand.jsonl"
echo '{"read":"XF12JG","entry":"XF-123-G","match":"exact","candidate":3,"matched_plate":"XF123G"}' > "$tmp/cand_expected.jsonl"
if run_status 0 "$o" "$e" "$bin" match "${fz[@]}" --reads "$tmp/cand.jsonl" &&
    jsonl_subset "$o" "$tmp/cand_expected.jsonl" > "$tmp/cmp.txt"; then
    ok "match: JSON-lines candidates, the hit names the candidate (3)"
else
    not_ok "match: JSON-lines candidates, the hit names the candidate (3)" "$tmp/cmp.txt"
fi
if run_status 0 "$o" "$e" "$bin" match --ocr 1 "${fz[@]}" --ocr 0 --list "$here/fuzzy.csv" \
    --name loose --name strict --reads "$here/fuzzy_reads.csv" &&
    [ "$(grep -c '"read":"A8C123"' "$o")" -eq 1 ] &&
    grep -q '"read":"A8C123".*"list":"loose".*"match":"ocr"' "$o" &&
    [ "$(grep -c '"read":"ABC123".*"match":"exact"' "$o")" -eq 2 ]; then
    ok "match: list options apply to the --list after them (--ocr 1 one list, --ocr 0 the next)"
else
    not_ok "match: list options apply to the --list after them (--ocr 1 one list, --ocr 0 the next)" "$o"
fi

cat > "$tmp/alpr_expected.jsonl" << 'EOF'
{"camera":"1047","ts_us":1767225600123000,"read":"XF12JG","country":"NL","entry":"XF-123-G","match":"exact","candidate":1,"matched_plate":"XF123G","format":true}
{"camera":"a12-km31","ts_us":1767225603500000,"read":"ABC123","country":null,"entry":"ABC123","match":"exact","candidate":0}
EOF
if run_status 0 "$o" "$e" "$bin" match "${fz[@]}" --reads "$here/openalpr.jsonl" &&
    jsonl_subset "$o" "$tmp/alpr_expected.jsonl" > "$tmp/cmp.txt" &&
    grep -qF "4 reads matched, 2 hits, 0 bad read lines" "$e"; then
    ok "match: OpenALPR JSON: one read per result, candidate index, epoch_time ms, region 'zz' dropped"
else
    cat "$e" >> "$tmp/cmp.txt"
    not_ok "match: OpenALPR JSON: one read per result, candidate index, epoch_time ms, region 'zz' dropped" "$tmp/cmp.txt"
fi
cat > "$tmp/cb_expected.jsonl" << 'EOF'
{"read":"XF12JG","country":"NL","entry":"XF-123-G","entry_country":"NL","candidate":1}
{"read":"GZ123B","country":"DE","entry":"GZ-12?-B","entry_country":"NL","match":"wildcard","format":false}
{"read":"XF-123-G","country":"US","entry":"XF-123-G","entry_country":"NL","match":"exact"}
{"read":"ABC123","country":null,"entry":"ABC123"}
EOF
if run_status 0 "$o" "$e" "$bin" match --cross-border "${fz[@]}" --reads "$here/openalpr.jsonl" &&
    jsonl_subset "$o" "$tmp/cb_expected.jsonl" > "$tmp/cmp.txt"; then
    ok "match --cross-border: NL entries hit reads OpenALPR placed in DE (de-by) and US (us-ca)"
else
    not_ok "match --cross-border: NL entries hit reads OpenALPR placed in DE (de-by) and US (us-ca)" "$tmp/cmp.txt"
fi
if printf '%s\n' '{"plate":"ABC123","country":"ZZ"}' | "$bin" match "${fz[@]}" > "$o" 2> "$e" &&
    [ ! -s "$o" ] && grep -qF -- "-:1: country is not" "$e"; then
    ok "match: an unknown country given as 'country' is still a bad read"
else
    not_ok "match: an unknown country given as 'country' is still a bad read" "$e"
fi
if run_status 2 "$o" "$e" "$bin" match --ocr 3 "${fz[@]}" && grep -qF -- "--ocr: '3'" "$e" &&
    run_status 2 "$o" "$e" "$bin" match "${fz[@]}" --indel 1 && grep -qF "after the last --list" "$e" &&
    run_status 2 "$o" "$e" "$bin" match --ocr-classes "0O 0D" "${fz[@]}" --reads /dev/null &&
    grep -qF "cannot set the options of list 'fuzzy'" "$e"; then
    ok "match: --ocr 3, a list option after the last --list, bad --ocr-classes: exit 2"
else
    not_ok "match: --ocr 3, a list option after the last --list, bad --ocr-classes: exit 2" "$e"
fi

# SIGHUP keeps a list's options: an OCR hit before and after the reload.
fzf=$tmp/fz.fifo
fzl=$tmp/fzlive.csv
rm -f "$fzf"
mkfifo "$fzf"
printf 'plate\nABC123\n' > "$fzl"
"$bin" match --ocr 1 --list "$fzl" --reads "$fzf" > "$tmp/fzh.out" 2> "$tmp/fzh.err" &
pid=$!
exec 3> "$fzf"
fzh_ok=1
{
    echo '{"camera":"h1","plate":"A8C123"}' >&3
    wait_for "$tmp/fzh.out" '"read":"A8C123"' || { echo "no OCR hit before the reload"; fzh_ok=0; }
    printf 'plate\nABC123\nXYZ99\n' > "$fzl"
    kill -HUP "$pid"
    wait_for "$tmp/fzh.err" "reloaded list 'fzlive'" || { echo "no reload"; fzh_ok=0; }
    echo '{"camera":"h2","plate":"ABCI23"}' >&3
    wait_for "$tmp/fzh.out" '"read":"ABCI23"' || { echo "no OCR hit after the reload"; fzh_ok=0; }
} > "$tmp/fzh.log" 2>&1
exec 3>&-
wait "$pid" || fzh_ok=0
if [ "$fzh_ok" -eq 1 ] && [ "$(grep -c '"match":"ocr"' "$tmp/fzh.out")" -eq 2 ]; then
    ok "match: SIGHUP reload keeps the list options (--ocr 1)"
else
    cat "$tmp/fzh.err" "$tmp/fzh.out" >> "$tmp/fzh.log"
    not_ok "match: SIGHUP reload keeps the list options (--ocr 1)" "$tmp/fzh.log"
fi

# ---- match: SIGHUP reload ----------------------------------------------------

fifo=$tmp/reads.fifo
live=$tmp/live.csv
rm -f "$fifo"
mkfifo "$fifo"
printf 'plate,country,category\nKL-888-P,,wanted person\n' > "$live"
"$bin" match --list "$live" --reads "$fifo" > "$tmp/hup.out" 2> "$tmp/hup.err" &
pid=$!
exec 3> "$fifo"
hup_ok=1
{
    echo '{"camera":"c1","plate":"NEW-01","country":"NL"}' >&3
    echo '{"camera":"c1","plate":"KL888P","country":"NL"}' >&3
    wait_for "$tmp/hup.out" '"read":"KL888P"' || { echo "no hit before the reload"; hup_ok=0; }
    grep -qF '"read":"NEW-01"' "$tmp/hup.out" && { echo "NEW-01 hit before it was listed"; hup_ok=0; }
    printf 'plate,country,category\nNEW-01,NL,stolen vehicle\n' > "$live"
    kill -HUP "$pid"
    wait_for "$tmp/hup.err" "reloaded list 'live'" || { echo "no reload after SIGHUP"; hup_ok=0; }
    echo '{"camera":"c2","plate":"NEW01","country":"NL"}' >&3
    wait_for "$tmp/hup.out" '"read":"NEW01"' || { echo "no hit on the new entry"; hup_ok=0; }
    # A reload that fails keeps the live list.
    printf '\x00\x01\x02binary' > "$live"
    kill -HUP "$pid"
    wait_for "$tmp/hup.err" "reload of list 'live'" || { echo "no failed reload reported"; hup_ok=0; }
    echo '{"camera":"c3","plate":"N-E-W-0-1","country":"NL"}' >&3
    wait_for "$tmp/hup.out" '"read":"N-E-W-0-1"' || { echo "the live list was lost"; hup_ok=0; }
} > "$tmp/hup.log" 2>&1
exec 3>&-
wait "$pid"
rc=$?
[ "$rc" -eq 0 ] || { echo "exit status $rc at end of input" >> "$tmp/hup.log"; hup_ok=0; }
grep -qF "keeping version" "$tmp/hup.err" || { echo "no 'keeping version'" >> "$tmp/hup.log"; hup_ok=0; }
[ "$(grep -c . "$tmp/hup.out")" -eq 3 ] || { echo "not exactly 3 hits" >> "$tmp/hup.log"; hup_ok=0; }
if [ "$hup_ok" -eq 1 ]; then
    ok "match: SIGHUP reloads a changed list; a failed reload keeps the old one"
else
    cat "$tmp/hup.err" >> "$tmp/hup.log"
    not_ok "match: SIGHUP reloads a changed list; a failed reload keeps the old one" "$tmp/hup.log"
fi

# SIGHUP while input is always ready (a writer that never pauses): the reload
# must still happen, between reads.
busy_fifo=$tmp/busy.fifo
busy_list=$tmp/busy.csv
rm -f "$busy_fifo"
mkfifo "$busy_fifo"
printf 'plate,country\nKL-888-P,NL\n' > "$busy_list"
yes '{"camera":"c9","plate":"ZZ-99-ZZ","country":"NL"}' > "$busy_fifo" 2> /dev/null &
ypid=$!
"$bin" match --list "$busy_list" --reads "$busy_fifo" --suppress 3600 \
    > "$tmp/busy.out" 2> "$tmp/busy.err" &
pid=$!
busy_ok=1
{
    wait_for "$tmp/busy.err" "loaded list 'busy'" || { echo "list not loaded"; busy_ok=0; }
    printf 'plate,country\nZZ-99-ZZ,NL\n' > "$busy_list"
    kill -HUP "$pid"
    wait_for "$tmp/busy.err" "reloaded list 'busy'" || { echo "no reload under load"; busy_ok=0; }
    wait_for "$tmp/busy.out" '"entry":"ZZ-99-ZZ"' || { echo "no hit after the reload"; busy_ok=0; }
} > "$tmp/busy.log" 2>&1
kill "$ypid" 2> /dev/null
wait "$pid" || { echo "exit status $? at end of input" >> "$tmp/busy.log"; busy_ok=0; }
wait "$ypid" 2> /dev/null
if [ "$busy_ok" -eq 1 ] && [ "$(wc -l < "$tmp/busy.out")" -eq 1 ]; then
    ok "match: SIGHUP reloads while reads keep coming"
else
    cat "$tmp/busy.err" >> "$tmp/busy.log"
    not_ok "match: SIGHUP reloads while reads keep coming" "$tmp/busy.log"
fi

# A SIGHUP that is already pending when the reads arrive (sent while the
# program waits to open its input, after it installed its handler): input is
# ready at once, yet the reload must happen before the first read.
early_fifo=$tmp/early.fifo
early_list=$tmp/early.csv
rm -f "$early_fifo"
mkfifo "$early_fifo"
printf 'plate,country\nZZ-99-ZZ,NL\n' > "$early_list"
"$bin" match --list "$early_list" --reads "$early_fifo" > "$tmp/early.out" 2> "$tmp/early.err" &
pid=$!
early_ok=0
for _ in $(seq 1 200); do # until SIGHUP is caught and blocked (bit 0 of both masks)
    blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' "/proc/$pid/status" 2> /dev/null)
    cgt=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$pid/status" 2> /dev/null)
    if [ -n "$blk" ] && [ -n "$cgt" ] && (((16#$blk & 1) && (16#$cgt & 1))); then
        early_ok=1
        break
    fi
    sleep 0.05
done
[ "$early_ok" -eq 1 ] && kill -HUP "$pid"
echo '{"plate":"ZZ99ZZ","country":"NL"}' > "$early_fifo"
wait "$pid"
rc=$?
if [ "$early_ok" -eq 1 ] && [ "$rc" -eq 0 ] && grep -qF "reloaded list 'early'" "$tmp/early.err" &&
    [ "$(wc -l < "$tmp/early.out")" -eq 1 ]; then
    ok "match: a SIGHUP pending while input is ready is not lost"
else
    not_ok "match: a SIGHUP pending while input is ready is not lost" "$tmp/early.err"
fi

# ---- match --watch: reload a list file when it changes ------------------------
# Two lists in one directory, settle time 2 s. Every step waits for its effect
# (up to 30 s), never for a fixed time; the only timed part is the pause inside
# the in-place rewrite, which is 10 times shorter than the settle time.

wdir=$tmp/watched
rm -rf "$wdir"
mkdir -p "$wdir"
wfifo=$tmp/watch.fifo
rm -f "$wfifo" "$tmp/watch.audit"
mkfifo "$wfifo"
printf 'plate,category\nWA-001,stolen\nWA-002,stolen\n' > "$wdir/wa.csv"
printf 'plate,category\nWB-001,stolen\nWB-002,stolen\n' > "$wdir/wb.csv"
"$bin" match --watch --watch-settle 2000 --list "$wdir/wa.csv" --list "$wdir/wb.csv" \
    --audit "$tmp/watch.audit" --reads "$wfifo" > "$tmp/watch.out" 2> "$tmp/watch.err" &
pid=$!
exec 3> "$wfifo"
w_ok=1
{
    echo '{"camera":"c1","plate":"WA001"}' >&3
    wait_for "$tmp/watch.out" '"read":"WA001"' 30 || { echo "no hit before any change"; w_ok=0; }
    # 1. Replaced by rename (written elsewhere, renamed into place).
    printf 'plate,category\nWA-001,stolen\nWA-002,stolen\nWA-NEW,stolen\n' > "$wdir/.wa.tmp"
    mv "$wdir/.wa.tmp" "$wdir/wa.csv"
    wait_for "$tmp/watch.err" "reloaded list 'wa'" 30 || { echo "no reload after rename"; w_ok=0; }
    echo '{"camera":"c2","plate":"WANEW"}' >&3
    wait_for "$tmp/watch.out" '"read":"WANEW"' 30 || { echo "no hit on the renamed-in entry"; w_ok=0; }
    grep -qF "reloaded list 'wb'" "$tmp/watch.err" && { echo "wb reloaded for a change of wa"; w_ok=0; }
} > "$tmp/watch1.log" 2>&1
if [ "$w_ok" -eq 1 ]; then
    ok "match --watch: a list file replaced by rename is reloaded, and only that list"
else
    cat "$tmp/watch.err" >> "$tmp/watch1.log"
    not_ok "match --watch: a list file replaced by rename is reloaded, and only that list" \
        "$tmp/watch1.log"
fi
w_ok=1
{
    # 2. Rewritten in place in two writes with a pause shorter than the settle
    # time: one reload, of the whole file (a load of the first half alone
    # would succeed too: it keeps every live entry).
    {
        printf 'plate,category\nWB-001,stolen\nWB-002,stolen\n'
        sleep 0.2
        printf 'WB-003,stolen\n'
    } > "$wdir/wb.csv"
    wait_for "$tmp/watch.err" "reloaded list 'wb'" 30 || { echo "no reload after rewrite"; w_ok=0; }
    echo '{"camera":"c3","plate":"WB003"}' >&3
    wait_for "$tmp/watch.out" '"read":"WB003"' 30 || { echo "no hit on the new last row"; w_ok=0; }
    [ "$(grep -c "reloaded list 'wb'" "$tmp/watch.err")" -eq 1 ] || { echo "not one reload"; w_ok=0; }
    grep -qF "reloaded list 'wb' from $wdir/wb.csv: 3 rows" "$tmp/watch.err" ||
        { echo "the reload did not see the whole file"; w_ok=0; }
} > "$tmp/watch2.log" 2>&1
if [ "$w_ok" -eq 1 ]; then
    ok "match --watch: a file rewritten in place is loaded once, whole, after it settles"
else
    cat "$tmp/watch.err" >> "$tmp/watch2.log"
    not_ok "match --watch: a file rewritten in place is loaded once, whole, after it settles" \
        "$tmp/watch2.log"
fi
w_ok=1
{
    # 3. A bad new file (every row bad) keeps the live list, reported on
    # stderr and in the audit trail.
    printf 'plate,category\n!!,stolen\n??,stolen\n' > "$wdir/.wa.tmp"
    mv "$wdir/.wa.tmp" "$wdir/wa.csv"
    wait_for "$tmp/watch.err" "reload of list 'wa'" 30 || { echo "no failed reload reported"; w_ok=0; }
    wait_for "$tmp/watch.audit" '"list":"wa","source":"'"$wdir"'/wa.csv","ok":false' 30 ||
        { echo "no refused load in the audit trail"; w_ok=0; }
    echo '{"camera":"c4","plate":"W-A-N-E-W"}' >&3
    wait_for "$tmp/watch.out" '"read":"W-A-N-E-W"' 30 || { echo "the live list was lost"; w_ok=0; }
} > "$tmp/watch3.log" 2>&1
if [ "$w_ok" -eq 1 ]; then
    ok "match --watch: a bad new file keeps the live list, reported and audited"
else
    cat "$tmp/watch.err" "$tmp/watch.audit" >> "$tmp/watch3.log"
    not_ok "match --watch: a bad new file keeps the live list, reported and audited" \
        "$tmp/watch3.log"
fi
w_ok=1
{
    # 4. Deleted (the list stays live), then written again under the name.
    rm "$wdir/wa.csv"
    wait_for "$tmp/watch.err" "wa.csv was removed" 30 || { echo "removal not reported"; w_ok=0; }
    echo '{"camera":"c5","plate":"WA-NEW"}' >&3
    wait_for "$tmp/watch.out" '"read":"WA-NEW"' 30 || { echo "no hit after the removal"; w_ok=0; }
    printf 'plate,category\nWA-001,stolen\nWA-002,stolen\nWA-NEW,stolen\nWA-BACK,stolen\n' \
        > "$wdir/wa.csv"
    wait_for "$tmp/watch.err" "list 'wa' from $wdir/wa.csv: 4 rows, 4 loaded" 30 ||
        { echo "no reload of the re-created file"; w_ok=0; }
    echo '{"camera":"c6","plate":"WABACK"}' >&3
    wait_for "$tmp/watch.out" '"read":"WABACK"' 30 || { echo "no hit on the re-created list"; w_ok=0; }
} > "$tmp/watch4.log" 2>&1
exec 3>&-
wait "$pid" || { echo "exit status $? at end of input" >> "$tmp/watch4.log"; w_ok=0; }
if [ "$w_ok" -eq 1 ]; then
    ok "match --watch: a list file deleted then written again is reloaded"
else
    cat "$tmp/watch.err" >> "$tmp/watch4.log"
    not_ok "match --watch: a list file deleted then written again is reloaded" "$tmp/watch4.log"
fi

# --watch while input is always ready (a writer that never pauses): the
# reload must still happen, between reads.
wbusy_fifo=$tmp/wbusy.fifo
rm -f "$wbusy_fifo"
mkfifo "$wbusy_fifo"
printf 'plate,country\nKL-888-P,NL\n' > "$wdir/wbusy.csv"
yes '{"camera":"c9","plate":"ZZ-99-ZZ","country":"NL"}' > "$wbusy_fifo" 2> /dev/null &
ypid=$!
"$bin" match --watch --watch-settle 200 --list "$wdir/wbusy.csv" --reads "$wbusy_fifo" \
    --suppress 3600 > "$tmp/wbusy.out" 2> "$tmp/wbusy.err" &
pid=$!
w_ok=1
{
    wait_for "$tmp/wbusy.err" "loaded list 'wbusy'" 30 || { echo "list not loaded"; w_ok=0; }
    printf 'plate,country\nZZ-99-ZZ,NL\n' > "$wdir/.wbusy.tmp"
    mv "$wdir/.wbusy.tmp" "$wdir/wbusy.csv"
    wait_for "$tmp/wbusy.err" "reloaded list 'wbusy'" 30 || { echo "no reload under load"; w_ok=0; }
    wait_for "$tmp/wbusy.out" '"entry":"ZZ-99-ZZ"' 30 || { echo "no hit after the reload"; w_ok=0; }
} > "$tmp/wbusy.log" 2>&1
kill "$ypid" 2> /dev/null
wait "$pid" || { echo "exit status $? at end of input" >> "$tmp/wbusy.log"; w_ok=0; }
wait "$ypid" 2> /dev/null
if [ "$w_ok" -eq 1 ] && [ "$(wc -l < "$tmp/wbusy.out")" -eq 1 ]; then
    ok "match --watch: reloads while reads keep coming"
else
    cat "$tmp/wbusy.err" >> "$tmp/wbusy.log"
    not_ok "match --watch: reloads while reads keep coming" "$tmp/wbusy.log"
fi

if run_status 2 "$o" "$e" "$bin" match --watch-settle 10 --list "$wdir/wb.csv" &&
    grep -qF -- "--watch-settle without --watch" "$e" &&
    run_status 2 "$o" "$e" "$bin" match --watch --list "$tmp/no-such-dir/x.csv" &&
    grep -qF "cannot watch directory $tmp/no-such-dir" "$e"; then
    ok "match --watch: bad use is refused (--watch-settle alone, a missing directory)"
else
    not_ok "match --watch: bad use is refused (--watch-settle alone, a missing directory)" \
        "$tmp/status.txt"
fi

# ---- camera exports: column names and times ------------------------------------

printf '%s\n' 'Timestamp;CameraName;PlateNumber;Country' \
    '2026-01-01T00:00:00Z;gate-1;12-BDF-3;NL' \
    '2026-01-01 01:00:00.5+01:00;gate-2;G-123-BD;NL' \
    '1767225600123;gate-3;KL-888-P;' \
    '31/12/2026;gate-4;KL-888-P;' > "$tmp/export_reads.csv"
cat > "$tmp/export_expected.jsonl" << 'EOF'
{"camera":"gate-1","ts_us":1767225600000000,"list":"local","entry":"12-BDF-3"}
{"camera":"gate-1","ts_us":1767225600000000,"list":"national","entry":"12-BDF-3"}
{"camera":"gate-2","ts_us":1767225600500000,"list":"national","entry":"G-123-BD"}
{"camera":"gate-3","ts_us":1767225600123000,"list":"local","entry":"KL-888-P"}
EOF
if run_status 0 "$o" "$e" "$bin" match "${lists[@]}" --reads "$tmp/export_reads.csv" &&
    jsonl_subset "$o" "$tmp/export_expected.jsonl" > "$tmp/cmp.txt" &&
    grep -qF "export_reads.csv:5: time '31/12/2026' is not an ISO 8601 time" "$e" &&
    ! grep -qF "warning" "$e"; then
    ok "match: a camera export (Timestamp;CameraName;PlateNumber;Country), ISO and epoch-ms times"
else
    cat "$e" >> "$tmp/cmp.txt"
    not_ok "match: a camera export (Timestamp;CameraName;PlateNumber;Country), ISO and epoch-ms times" "$tmp/cmp.txt"
fi
printf '%s\n' '{"camera_id":"c9","timestamp":"2026-01-01T00:00:00Z","plate":"12-BDF-3"}' \
    '{"camera":"c8","ts_us":"2026-01-01T00:00:01Z","plate":"KL-888-P"}' > "$tmp/iso_reads.jsonl"
cat > "$tmp/iso_expected.jsonl" << 'EOF'
{"camera":"c9","ts_us":1767225600000000,"list":"local"}
{"camera":"c9","ts_us":1767225600000000,"list":"national"}
{"camera":"c8","ts_us":1767225601000000,"list":"local"}
EOF
if run_status 0 "$o" "$e" "$bin" match "${lists[@]}" --reads "$tmp/iso_reads.jsonl" &&
    jsonl_subset "$o" "$tmp/iso_expected.jsonl" > "$tmp/cmp.txt"; then
    ok "match: JSON reads with ISO 8601 times, camera_id and timestamp keys"
else
    not_ok "match: JSON reads with ISO 8601 times, camera_id and timestamp keys" "$tmp/cmp.txt"
fi
printf 'plate\n12-BDF-3\n' > "$tmp/bare_reads.csv"
if run_status 0 "$o" "$e" "$bin" match "${lists[@]}" --reads "$tmp/bare_reads.csv" &&
    grep -qF 'bare_reads.csv: warning: no camera column' "$e" &&
    grep -qF 'bare_reads.csv: warning: no time column' "$e" && [ "$(wc -l < "$o")" -eq 2 ]; then
    ok "match: a reads header without camera and time columns is read, with two warnings"
else
    not_ok "match: a reads header without camera and time columns is read, with two warnings" "$e"
fi
printf 'Timestamp;CameraName\n2026-01-01T00:00:00Z;gate-1\n' > "$tmp/noplate_reads.csv"
"$bin" match "${lists[@]}" --reads "$tmp/noplate_reads.csv" > "$o" 2> "$e" < /dev/null
if [ $? -ne 0 ] && grep -qF "no plate column (plate, plate_number" "$e" && [ ! -s "$o" ]; then
    ok "match: a reads header without a plate column is refused, naming the accepted names"
else
    not_ok "match: a reads header without a plate column is refused, naming the accepted names" "$e"
fi

# ---- check --------------------------------------------------------------------

if run_status 0 "$o" "$e" "$bin" check "$here/national.csv" && grep -qF "would load" "$o"; then
    ok "check: a good file exits 0"
else
    not_ok "check: a good file exits 0" "$tmp/status.txt"
fi
if run_status 0 "$o" "$e" "$bin" check --ocr 1 --indel 1 "$here/national.csv" &&
    grep -qF "would load" "$o" &&
    grep -qF "ocr 1 indel 1, threshold" "$o" && grep -qF "estimated innocent reads per 1,000" "$o" &&
    grep -qF "ocr 2 indel 1: alerting" "$o"; then
    ok "check --ocr 1 --indel 1: the estimated innocent fuzzy rates of the list, per budget"
else
    not_ok "check --ocr 1 --indel 1: the estimated innocent fuzzy rates of the list, per budget" "$o"
fi
if run_status 1 "$o" "$e" "$bin" check "$here/badrows.csv" &&
    grep -qF "badrows.csv:4: empty plate" "$o" && grep -qF "badrows.csv:6: " "$o" &&
    grep -qF "badrows.csv:7: " "$o" && grep -qF "badrows.csv:8: " "$o" &&
    [ "$(grep -c '^[^ ]*badrows.csv:[0-9]*: ' "$o")" -eq 4 ] &&
    grep -qF "would be refused: too many bad rows" "$o"; then
    ok "check: 4 bad rows of 8 are printed with line numbers, exit 1"
else
    not_ok "check: 4 bad rows of 8 are printed with line numbers, exit 1" "$o"
fi
if run_status 0 "$o" "$e" "$bin" check --max-bad 0.6 "$here/badrows.csv" &&
    grep -qF "8 rows, 4 valid (0 duplicates), 4 bad" "$o"; then
    ok "check: --max-bad 0.6 accepts 4 bad rows of 8"
else
    not_ok "check: --max-bad 0.6 accepts 4 bad rows of 8" "$o"
fi
if run_status 0 "$o" "$e" "$bin" check "$tmp/mostly_good.csv" &&
    grep -qF "mostly_good.csv:202: " "$o" && grep -qF "would load" "$o"; then
    ok "check: one bad row in 201 is printed, the file would load"
else
    not_ok "check: one bad row in 201 is printed, the file would load" "$o"
fi
printf 'plate,valid_from,expires\nOLD1,,2020-01-01\nOLD2,,2021-06-30T12:00:00Z\nNEW1,2099-01-01,\nNOW1,,\n' \
    > "$tmp/validity.csv"
if run_status 0 "$o" "$e" "$bin" check "$tmp/validity.csv" &&
    grep -qF "validity.csv: warning: 2 entries already expired, 1 not valid yet" "$o" &&
    grep -qF "would load" "$o" && run_status 0 "$o" "$e" "$bin" check "$here/local.csv" &&
    ! grep -qF "warning" "$o"; then
    ok "check: warns how many entries are already expired or not valid yet"
else
    not_ok "check: warns how many entries are already expired or not valid yet" "$o"
fi
if run_status 1 "$o" "$e" "$bin" check "$tmp/no-such-file.csv" &&
    grep -qF "no-such-file.csv: cannot read: No such file or directory (HOTLIST_ENOENT)" "$o"; then
    ok "check: a missing file says No such file or directory, exit 1"
else
    not_ok "check: a missing file says No such file or directory, exit 1" "$o"
fi
if run_status 1 "$o" "$e" "$bin" check "$here/badrows.csv" && ! grep -qiF "live list" "$o" &&
    run_status 1 "$o" "$e" "$bin" check "$here/../data" && grep -qF "Is a directory" "$o"; then
    ok "check: a refusal does not speak of a live list; a directory says so"
else
    not_ok "check: a refusal does not speak of a live list; a directory says so" "$o"
fi
if run_status 1 "$o" "$e" "$bin" check "$tmp/image.png" && grep -qF "not a hot-list file" "$o"; then
    ok "check: a binary file exits 1"
else
    not_ok "check: a binary file exits 1" "$tmp/status.txt"
fi

# ---- demo -----------------------------------------------------------------------

if run_status 0 "$o" "$e" timeout 60 "$bin" demo --seconds 2 --entries 20000 &&
    grep -q '^HIT cam-[0-9]* ' "$o" && grep -q '^summary: ' "$o" &&
    grep -q '^  reads  .* reads/s' "$o" && grep -q '^  latency async' "$o" &&
    grep -q '^  memory .*national' "$o"; then
    ok "demo --seconds 2 --entries 20000: hits, summary, exit 0"
else
    not_ok "demo --seconds 2 --entries 20000: hits, summary, exit 0" "$o"
fi
if python3 -c '
import re, sys
m = re.search(r"^  reads +(\d+) offered, (\d+) matched", open(sys.argv[1]).read(), re.M)
sys.exit(0 if m and int(m.group(1)) > 0 and m.group(1) == m.group(2) else 1)' "$o"; then
    ok "demo: every offered read was matched by the end"
else
    not_ok "demo: every offered read was matched by the end" "$o"
fi

"$bin" demo --seconds 60 --entries 20000 --quiet > "$tmp/int.out" 2>&1 &
pid=$!
sleep 1.5
kill -INT "$pid"
int_ok=0
# Up to 60 s for it to stop: under the sanitizers on a loaded 2-core machine
# the set-up and the drain take seconds; the run itself would take 60.
for _ in $(seq 1 1200); do
    kill -0 "$pid" 2> /dev/null || { int_ok=1; break; }
    sleep 0.05
done
if [ "$int_ok" -eq 1 ] && wait "$pid" && grep -q '^interrupted' "$tmp/int.out" &&
    grep -q '^summary: ' "$tmp/int.out" && ! grep -q '^HIT' "$tmp/int.out"; then
    ok "demo: Ctrl-C stops early and still prints the summary"
else
    kill -KILL "$pid" 2> /dev/null
    not_ok "demo: Ctrl-C stops early and still prints the summary" "$tmp/int.out"
fi

# ---- a hostile user (issue 10, item 8) ------------------------------------------

# stdout gone with SIGPIPE ignored (systemd's default): stop at the first hit
# that cannot be written, non-zero, rather than match on and drop every hit.
{
    echo "camera,ts_us,plate,country"
    for _ in $(seq 1 20000); do echo "cam-01,0,12-BDF-3,NL"; done
} > "$tmp/many_hits.csv"
(
    trap '' PIPE
    "$bin" match --list "$here/national.csv" --reads "$tmp/many_hits.csv" \
        2> "$tmp/pipe.err" | head -c1 > /dev/null
    echo "${PIPESTATUS[0]}" > "$tmp/pipe.rc"
)
if [ "$(cat "$tmp/pipe.rc")" != 0 ] && [ "$(grep -c 'cannot write a hit' "$tmp/pipe.err")" = 1 ] &&
    ! grep -q '^.*20000 reads matched' "$tmp/pipe.err"; then
    ok "match: stdout gone (SIGPIPE ignored): stops at the first failed hit, non-zero"
else
    not_ok "match: stdout gone (SIGPIPE ignored): stops at the first failed hit, non-zero" \
        "$tmp/pipe.err"
fi

# A refused read's text never reaches stderr raw (forged log lines, terminal
# escapes): the line number and the reason only.
printf '{"plate":"AB\\n\\u001b[31mFORGED LINE","camera":"c"}\n' > "$tmp/evil_reads.jsonl"
run_status 0 "$o" "$e" "$bin" match --list "$here/national.csv" --reads "$tmp/evil_reads.jsonl"
if ! grep -q $'\x1b' "$e" && ! grep -q '^.\{0,3\}\[31mFORGED' "$e" &&
    ! grep -q '^FORGED\|^\[31m' "$e" && grep -q 'evil_reads.jsonl:1:' "$e"; then
    ok "match: a refused read's plate (newline, ESC) is not printed"
else
    not_ok "match: a refused read's plate (newline, ESC) is not printed" "$e"
fi

# Reads with CR-only line ends (old Mac) are lines, not one header line.
printf 'camera,ts_us,plate,country\rcam-01,0,12-BDF-3,NL\rcam-02,0,XX999,NL\r' \
    > "$tmp/cr_reads.csv"
if run_status 0 "$o" "$e" "$bin" match --list "$here/national.csv" --reads "$tmp/cr_reads.csv" &&
    grep -qF '2 reads matched, 1 hits' "$e" && [ "$(wc -l < "$o")" = 1 ]; then
    ok "match: reads with CR-only line ends"
else
    not_ok "match: reads with CR-only line ends" "$e"
fi

# A list file cut short while rewritten in place, then reloaded: the shrink
# guard keeps the live list and says why; --force loads it.
live2=$tmp/shrink.csv
fifo2=$tmp/shrink.fifo
{ echo "plate,category"; for i in $(seq 100 199); do echo "SG-$i,stolen"; done; } > "$live2"
mkfifo "$fifo2"
"$bin" match --list "$live2" --reads "$fifo2" > "$tmp/sg.out" 2> "$tmp/sg.err" &
pid=$!
exec 4> "$fifo2"
sg_ok=1
{
    wait_for "$tmp/sg.err" "loaded list 'shrink'" || { echo "no first load"; sg_ok=0; }
    { echo "plate,category"; for i in $(seq 100 129); do echo "SG-$i,stolen"; done; } > "$live2"
    kill -HUP "$pid"
    wait_for "$tmp/sg.err" "keeping version" || { echo "cut-short reload not refused"; sg_ok=0; }
    grep -qF "rename it into place, or use --force" "$tmp/sg.err" || { echo "no advice"; sg_ok=0; }
    echo '{"camera":"c1","plate":"SG-199"}' >&4
    wait_for "$tmp/sg.out" '"read":"SG-199"' || { echo "the live list was lost"; sg_ok=0; }
} > "$tmp/sg.log" 2>&1
exec 4>&-
wait "$pid"
if [ "$sg_ok" -eq 1 ]; then
    ok "match: a cut-short list file does not replace the live list on reload (shrink guard)"
else
    cat "$tmp/sg.err" >> "$tmp/sg.log"
    not_ok "match: a cut-short list file does not replace the live list on reload (shrink guard)" \
        "$tmp/sg.log"
fi

# A list path that is a FIFO is refused at once (it would block the load,
# and a SIGHUP reload with it the read stream).
mkfifo "$tmp/list.fifo"
timeout 10 "$bin" match --list "$tmp/list.fifo" --reads "$here/reads.csv" > "$o" 2> "$e"
rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -q 'not a regular file' "$e"; then
    ok "match: a FIFO as list is refused without blocking"
else
    echo "exit status $rc" >> "$e"
    not_ok "match: a FIFO as list is refused without blocking" "$e"
fi
timeout 10 "$bin" check "$tmp/list.fifo" > "$o" 2> "$e"
rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 124 ]; then
    ok "check: a FIFO is refused without blocking"
else
    not_ok "check: a FIFO is refused without blocking" "$e"
fi

# ---- operator (issue 13): ids, vehicle details, audit ----------------------

cat > "$tmp/veh_expected.jsonl" << 'EOF'
{"read":"AB123C","entry":"AB-123-C","entry_id":"W-0001","attributes":{"make":"Volkswagen","model":"Golf","colour":"blue","VIN":"WVWZZZ1KZAW000001","note":"seen in Utrecht"}}
{"read":"XY99ZZ","entry":"XY-99-ZZ","attributes":{"warning markers":"firearms, violent"}}
{"read":"GH456J","entry":"GH-456-J","entry_id":"W-0003","attributes":{"make":"Škoda","model":"Octavia","colour":"grün"}}
EOF
rm -f "$tmp/audit.jsonl"
if run_status 0 "$o" "$e" "$bin" match --list "$here/vehicles.csv" --reads "$here/vehicle_reads.csv" \
    --audit "$tmp/audit.jsonl" &&
    jsonl_subset "$o" "$tmp/veh_expected.jsonl" > "$tmp/cmp.txt" &&
    python3 -c '
import json, sys
hits = [json.loads(l) for l in open(sys.argv[1])]
ids = [h["hit_id"] for h in hits]
derived = hits[1]["entry_id"]
ok = len(set(ids)) == 3 and all(len(i) == 16 for i in ids) and len(derived) == 16
sys.exit(0 if ok else 1)' "$o" >> "$tmp/cmp.txt" 2>&1; then
    ok "match: vehicle details as attributes, the list's ids, derived ids, hit ids"
else
    not_ok "match: vehicle details as attributes, the list's ids, derived ids, hit ids" "$tmp/cmp.txt"
fi
# the same reads again: the same hit ids (deterministic)
if "$bin" match --list "$here/vehicles.csv" --reads "$here/vehicle_reads.csv" > "$tmp/o2" 2> /dev/null &&
    cmp -s "$o" "$tmp/o2"; then
    ok "match: hit ids are the same for the same reads"
else
    not_ok "match: hit ids are the same for the same reads" "$tmp/o2"
fi
if python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
e = ev[0]
ok = (len(ev) == 1 and e["action"] == "load" and e["list"] == "vehicles" and e["ok"] is True
      and e["version"] == 1 and e["rows"] == 3 and e["loaded"] == 3 and e["rejected"] == 0
      and e["source"].endswith("vehicles.csv") and e["duration_us"] >= 0)
sys.exit(0 if ok else 1)' "$tmp/audit.jsonl"; then
    ok "match --audit: the load is recorded as one JSON line"
else
    not_ok "match --audit: the load is recorded as one JSON line" "$tmp/audit.jsonl"
fi
if run_status 2 "$o" "$e" "$bin" match --list "$here/vehicles.csv" --list "$here/badrows.csv" \
    --reads "$here/vehicle_reads.csv" --audit "$tmp/audit.jsonl" &&
    python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
e = ev[-1]
ok = (len(ev) == 3 and e["list"] == "badrows" and e["ok"] is False and e["error"]
      and "line" in e["reason"] and e["version"] == 0 and e["rejected"] > 0)
sys.exit(0 if ok else 1)' "$tmp/audit.jsonl"; then
    ok "match --audit: a refused load is recorded with its reason (appended)"
else
    not_ok "match --audit: a refused load is recorded with its reason (appended)" "$tmp/audit.jsonl"
fi

# ---- operator (issue 13): lists scoped to cameras and hours ---------------

# national everywhere; local only on A12 cameras from 07:00 to 18:59 (+01:00):
# 00:00 UTC is 01:00 local (out), 09:00 UTC is 10:00 local (in).
if run_status 0 "$o" "$e" "$bin" match --list "$here/national.csv" --cameras 'A12-*' \
    --hours 7-19 --tz +01:00 --list "$here/local.csv" --reads "$here/scope_reads.csv" &&
    python3 -c '
import json, sys
got = [(h["camera"], h["list"]) for h in map(json.loads, open(sys.argv[1]))]
want = [("A12-km31", "national"), ("city-1", "national"), ("A12-km40", "local"),
        ("A12-km40", "national")]
sys.exit(0 if got == want else 1)' "$o" &&
    grep -qF "list 'local': cameras A12-*, days all, hours 7-19, timezone +01:00" "$e"; then
    ok "match --cameras --hours --tz: a list applies only to its cameras and hours"
else
    not_ok "match --cameras --hours --tz: a list applies only to its cameras and hours" "$o"
fi
if run_status 2 "$o" "$e" "$bin" match --hours 7-25 --list "$here/local.csv" \
    --reads "$here/scope_reads.csv" && grep -q "cannot set the options" "$e"; then
    ok "match --hours 7-25 is refused with exit 2"
else
    not_ok "match --hours 7-25 is refused with exit 2" "$e"
fi

# named zones: 20:30 UTC is 21:30 CET on 2026-01-05 (out of 22-6) and 22:30
# CEST on 2026-07-06 (in); a fixed +01:00 would put both at 21:30 (out).
if [ -r /usr/share/zoneinfo/Europe/Amsterdam ]; then
    if run_status 0 "$o" "$e" "$bin" match --hours 22-6 --tz Europe/Amsterdam \
        --list "$here/local.csv" --reads "$here/tz_reads.csv" &&
        python3 -c '
import json, sys
got = [(h["camera"], h["list"]) for h in map(json.loads, open(sys.argv[1]))]
sys.exit(0 if got == [("A12-km40", "local")] else 1)' "$o" &&
        grep -qF "hours 22-6, timezone Europe/Amsterdam" "$e"; then
        ok "match --tz Europe/Amsterdam: hours follow daylight saving time"
    else
        not_ok "match --tz Europe/Amsterdam: hours follow daylight saving time" "$o"
    fi
    if run_status 0 "$o" "$e" "$bin" match --hours 22-6 --tz +01:00 \
        --list "$here/local.csv" --reads "$here/tz_reads.csv" && [ ! -s "$o" ]; then
        ok "match --tz +01:00: a fixed offset does not"
    else
        not_ok "match --tz +01:00: a fixed offset does not" "$o"
    fi
else
    ok "# SKIP match --tz Europe/Amsterdam (no tzdata)"
fi
if run_status 2 "$o" "$e" "$bin" match --hours 22-6 --tz Nowhere/Atlantis \
    --list "$here/local.csv" --reads "$here/tz_reads.csv" &&
    grep -qF -- "--tz 'Nowhere/Atlantis': not a UTC offset" "$e"; then
    ok "match --tz Nowhere/Atlantis is refused with exit 2, naming the zone"
else
    not_ok "match --tz Nowhere/Atlantis is refused with exit 2, naming the zone" "$e"
fi

# ---- operator (issue 13): OpenALPR as it really arrives --------------------

python3 - "$tmp/alpr_real.jsonl" << 'EOF'
import json, sys
crop = "A" * 300000  # a base64 plate crop: the line is ~300 KiB
lines = [
    {"data_type": "heartbeat", "company_id": "x", "agent_uid": "y", "timestamp": 1767225600000},
    {"data_type": "alpr_results", "uuid": "cam9-1767225600123", "site_id": "watchman-A12",
     "camera_id": 1047, "epoch_time": 1767225600123, "vehicle_crop_jpeg": crop,
     "results": [{"plate": "12BDF3", "confidence": 91.25, "region": "nl",
                  "candidates": [{"plate": "12BDF3", "confidence": 91.25}]}]},
    {"data_type": "alpr_group", "best_plate": {"plate": "12BDF3"}, "uuids": ["a"]},
]
with open(sys.argv[1], "w") as f:
    for l in lines:
        f.write(json.dumps(l) + "\n")
EOF
cat > "$tmp/alpr_real_expected.jsonl" << 'EOF'
{"camera":"1047","read":"12BDF3","list":"local","uuid":"cam9-1767225600123","site":"watchman-A12","confidence":91.25}
{"camera":"1047","read":"12BDF3","list":"national","uuid":"cam9-1767225600123","site":"watchman-A12","confidence":91.25}
EOF
if run_status 0 "$o" "$e" "$bin" match "${lists[@]}" --reads "$tmp/alpr_real.jsonl" &&
    jsonl_subset "$o" "$tmp/alpr_real_expected.jsonl" > "$tmp/cmp.txt" &&
    grep -qF "1 reads matched, 2 hits, 0 bad read lines" "$e" &&
    grep -qF "2 OpenALPR heartbeat/alpr_group lines skipped" "$e"; then
    ok "match: OpenALPR heartbeat and alpr_group skipped, a 300 KiB frame read, uuid/site/confidence on the hit"
else
    cat "$e" >> "$tmp/cmp.txt"
    not_ok "match: OpenALPR heartbeat and alpr_group skipped, a 300 KiB frame read, uuid/site/confidence on the hit" "$tmp/cmp.txt"
fi

# ---- match --retro: a reload's new entry hits a read made before it --------

rfifo=$tmp/retro.fifo
rlist=$tmp/retro.csv
rm -f "$rfifo"
mkfifo "$rfifo"
cp "$here/national.csv" "$rlist"
rts=$((($(date +%s) - 60) * 1000000)) # captured a minute ago
"$bin" match --retro 300 --list "$rlist" --reads "$rfifo" > "$tmp/retro.out" 2> "$tmp/retro.err" &
pid=$!
exec 4> "$rfifo"
retro_ok=1
{
    echo "{\"camera\":\"r1\",\"plate\":\"RET-01\",\"country\":\"NL\",\"ts_us\":$rts}" >&4
    echo "{\"camera\":\"r1\",\"plate\":\"RET-02\",\"country\":\"NL\",\"ts_us\":$((rts - 600000000))}" >&4
    echo '{"camera":"r2","plate":"DONE-1","country":"NL"}' >&4
    sleep 0.5 # the three reads matched (none hits)
    { cat "$here/national.csv"; printf 'stolen vehicle;NL;RET-01;;;NL-R1;10\nstolen vehicle;NL;RET-02;;;NL-R2;10\n'; } > "$rlist.new"
    mv "$rlist.new" "$rlist"
    kill -HUP "$pid"
    wait_for "$tmp/retro.err" "reloaded list 'retro'" || { echo "no reload"; retro_ok=0; }
    wait_for "$tmp/retro.out" '"retro":true' || { echo "no retro hit"; retro_ok=0; }
    echo '{"camera":"r3","plate":"RET01","country":"NL"}' >&4
    wait_for "$tmp/retro.out" '"camera":"r3"' || { echo "no live hit after the reload"; retro_ok=0; }
} > "$tmp/retro.log" 2>&1
exec 4>&-
wait "$pid" || retro_ok=0
# RET-01 (a minute old) hits retroactively with its capture time; RET-02 was
# captured 11 minutes ago, outside the 5-minute window, so it was never kept;
# the read after the reload hits live, unflagged.
cat > "$tmp/retro_expected.jsonl" << EOF
{"camera":"r1","ts_us":$rts,"read":"RET01","list":"retro","retro":true}
{"camera":"r3","read":"RET01","list":"retro"}
EOF
python3 - "$tmp/retro.out" "$tmp/retro_expected.jsonl" >> "$tmp/retro.log" 2>&1 << 'EOF' || retro_ok=0
import json, sys
got = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
want = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
assert len(got) == len(want), got
for g, w in zip(got, want):
    assert all(g.get(k) == v for k, v in w.items()), (g, w)
    assert ("retro" in g) == ("retro" in w), g
EOF
if [ "$retro_ok" -eq 1 ]; then
    ok "match --retro 300: a reload's new entry hits a read of a minute ago (\"retro\": true, original time)"
else
    cat "$tmp/retro.err" "$tmp/retro.out" >> "$tmp/retro.log"
    not_ok "match --retro 300: a reload's new entry hits a read of a minute ago (\"retro\": true, original time)" "$tmp/retro.log"
fi

# ---- match --second-read: two different weak misreads of one car alert on the second --
# AO123OD and AQ123OD are each one confusion from the listed AD123OD and
# weak under --min-score 100; the same text twice (camera s2) does not alert.
printf 'plate,country\nAD123OD,FR\n' > "$tmp/second.csv"
printf 'camera,ts_us,plate,country\ns1,1000000,AO123OD,FR\ns1,1200000,AQ123OD,FR\ns2,1000000,AO123OD,FR\ns2,1200000,AO123OD,FR\n' \
    > "$tmp/second_reads.csv"
printf '{"camera":"s1","read":"AQ123OD","list":"second","second_read":true,"score":100}\n' \
    > "$tmp/second_expected.jsonl"
if run_status 0 "$o" "$e" "$bin" match --ocr 1 --indel 1 --min-score 100 \
    --list "$tmp/second.csv" --reads "$tmp/second_reads.csv" --second-read 10 &&
    jsonl_subset "$o" "$tmp/second_expected.jsonl" > "$tmp/cmp.txt" &&
    [ "$(wc -l < "$o")" -eq 1 ] &&
    grep -qF "1 weak hits alerted by a second read" "$e" &&
    run_status 0 "$o" "$e" "$bin" match --ocr 1 --indel 1 --min-score 100 \
        --list "$tmp/second.csv" --reads "$tmp/second_reads.csv" &&
    [ ! -s "$o" ]; then
    ok "match --second-read 10: two different weak misreads alert on the second (\"second_read\": true); off: none"
else
    cat "$e" "$o" >> "$tmp/cmp.txt"
    not_ok "match --second-read 10: two different weak misreads alert on the second (\"second_read\": true); off: none" "$tmp/cmp.txt"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
