#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Markdown tables from a results file of bench/run.sh, for docs/PERFORMANCE.md
# (so that the figures there are copied by a program, not by hand).
#
# Usage: bench/report.sh bench/results/<host>-<date>.txt
set -euo pipefail
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
    echo "usage: $0 RESULTS.txt" >&2
    exit 2
fi

awk '
function get(k,   i, n) {
    for (i = 1; i <= NF; i++) {
        n = index($i, "=")
        if (n > 0 && substr($i, 1, n - 1) == k) return substr($i, n + 1)
    }
    return ""
}
function si(n) { return n >= 1e6 ? n / 1e6 "M" : n >= 1e3 ? n / 1e3 "k" : n }
/^# took / { took = took "| " substr($3, 1, length($3) - 1) " | " get("wall_s") " | " \
             get("cpu_self_s") " | " get("cpu_other_s") " | " get("steal_s") " |\n" }
/^bench=floor/ {
    floor = floor sprintf("| %s | %s | %s | %s | %.1f |\n", get("pages"), get("mode"),
        get("in_flight") == 0 ? "all" : get("in_flight"), get("ns_per_load"),
        get("mloads_per_s"))
}
/^bench=build/ {
    how = get("mem")
    if (how == "heap_delta") how = "heap delta (" get("heap_method") ")"
    if (get("memory_bytes_per_entry") != "")
        how = how "; whole engine " get("memory_bytes_per_entry") " B/entry"
    bpe = get("bytes_per_entry")
    build = build sprintf("| %s | %s | %s | %s | %s |\n", get("system"), si(get("entries")),
        get("build_ms"), bpe == "" ? "-" : bpe, how)
}
/^bench=lookup/ {
    key = get("entries") " " get("hit_ratio")
    if (!(key in seen)) { seen[key] = 1; order[++ng] = key }
    r = get("ratio_vs_cds_lfht")
    lk[key] = lk[key] sprintf("| %s | %s | %s | %s | %s |\n", get("system"), get("ns_per_op"),
        get("mops"), r == "" ? "" : r, get("ratio_vs_plain"))
}
/^bench=e2e/ {
    e2e = e2e sprintf("| %s | %s | %s | %s | %s | %s | %s |\n", get("system"), get("match"),
        si(get("entries")), get("hit_ratio"), get("ns_per_read"), get("mreads_per_s"),
        get("check"))
}
/^bench=reload / {
    rl = rl sprintf("| %s | %s | %s | %s | %s | %s |\n", si(get("entries")), get("source"),
        get("readers"), get("ms"), get("reps"),
        get("mb_per_s") == "" ? "" : get("mb_per_s"))
}
/^bench=reload_readers/ {
    rr = rr sprintf("| %s | %s | %s | %s | %s | %s / %s | %s |\n", si(get("entries")),
        get("before_mreads_per_s"), get("mem_mreads_per_s"), get("csv_mreads_per_s"),
        get("after_mreads_per_s"), get("kept_pct_mem"), get("kept_pct_csv"),
        get("max_batch_us_before") " / " get("max_batch_us_mem") " / " get("max_batch_us_csv"))
}
/^bench=(edit|edit_loaded) / {
    ed = ed sprintf("| %s%s | %s / %s / %s | %s / %s / %s | %s / %s |\n", si(get("entries")),
        $1 == "bench=edit_loaded" ? ", edits pending" : "",
        get("put_visible_p50_us"), get("put_visible_p99_us"), get("put_visible_max_us"),
        get("remove_visible_p50_us"), get("remove_visible_p99_us"), get("remove_visible_max_us"),
        get("put_call_p50_us"), get("put_call_p99_us"))
}
/^bench=stall / {
    st = st sprintf("| %s | %s | %s | %s | %s |\n", get("round"), get("phase"),
        get("max_gap_us"), get("gaps_over_1ms"), get("lost_ms"))
}
/^bench=latency/ {
    lat = lat sprintf("| %s | %s | %s | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %s |\n",
        get("path"), get("producers") == "" ? "-" : get("producers"), get("offered_rps") == "" ? "-" : get("offered_rps"),
        get("achieved_rps") == "" ? "-" : get("achieved_rps"),
        get("p50_ns") / 1e3, get("p99_ns") / 1e3, get("p999_ns") / 1e3, get("p9999_ns") / 1e3,
        get("max_ns") / 1e3, get("late_p99_us") == "" ? "-" : get("late_p99_us"))
}
/^bench=scaling/ {
    sc = sc sprintf("| %s | %s | %s | %s | %s | %s |\n", get("system"), si(get("entries")),
        get("threads"), get("mops"), get("speedup_vs_1"), get("ratio_vs_cds_lfht"))
}
END {
    print "### Machine load during each program\n"
    print "| program | wall s | CPU s (bench) | CPU s (other processes) | steal s |"
    print "|---|---|---|---|---|"
    printf "%s\n", took
    print "### DRAM floor (bench_floor, 1 GiB buffer)\n"
    print "| pages | mode | loads in flight | ns per load | M loads/s |"
    print "|---|---|---|---|---|"
    printf "%s\n", floor
    print "### Exact lookup, one thread (bench_lookup)\n"
    for (g = 1; g <= ng; g++) {
        split(order[g], p, " ")
        printf "%s entries, hit ratio %s:\n\n", si(p[1]), p[2]
        print "| system | ns/lookup | M lookups/s | ours vs cds_lfht | ours vs plain |"
        print "|---|---|---|---|---|"
        printf "%s\n", lk[order[g]]
    }
    print "### Build and memory (bench_lookup)\n"
    print "| system | entries | build ms | bytes/entry (index) | how measured |"
    print "|---|---|---|---|---|"
    printf "%s\n", build
    print "### End to end (bench_lookup): raw text -> callback\n"
    print "| call | match | entries | hit ratio | ns/read | M reads/s | check |"
    print "|---|---|---|---|---|---|---|"
    printf "%s\n", e2e
    print "### Reload (bench_reload)\n"
    print "| entries | source | readers | ms (median) | reps | MB/s |"
    print "|---|---|---|---|---|---|"
    printf "%s\n", rl
    print "| entries | readers M reads/s before | during replace | during CSV load | after | kept % (replace / CSV) | longest batch µs (before / replace / CSV) |"
    print "|---|---|---|---|---|---|---|"
    printf "%s\n", rr
    print "| entries | put visible µs (p50 / p99 / max) | remove visible µs (p50 / p99 / max) | put call µs (p50 / p99) |"
    print "|---|---|---|---|"
    printf "%s\n", ed
    print "### Pauses of a clock-only thread while the other CPU works (bench_stall)\n"
    print "| round | other CPU | longest pause µs | pauses > 1 ms | ms lost in pauses > 100 µs |"
    print "|---|---|---|---|---|"
    printf "%s\n", st
    print "### Latency, read to callback (bench_latency), µs\n"
    print "| path | producers | offered reads/s | achieved | p50 | p99 | p99.9 | p99.99 | max | producers late p99 µs |"
    print "|---|---|---|---|---|---|---|---|---|---|"
    printf "%s\n", lat
    print "### Scaling (bench_scaling)\n"
    print "| system | entries | threads | M lookups/s | speedup vs 1 | ours vs cds_lfht |"
    print "|---|---|---|---|---|---|"
    printf "%s\n", sc
}' "$1"
