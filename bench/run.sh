#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Run the benchmark suite and keep the evidence:
#   bench/results/<host>-<date>.txt     every result line (key=value)
#   bench/results/<host>-<date>-*.png   plots (gnuplot)
#
# Usage: bench/run.sh [--smoke] [--build DIR | DIR]
#   --smoke      every program with --smoke (seconds; checks the pipeline)
#   --build DIR  build tree to use (default: build-bench/ in the repository,
#                configured RelWithDebInfo and built here if needed); a
#                relative DIR is taken from the repository root
#
# Sized for a 2-core machine: about 3-4 minutes in all. One program runs at
# a time; each prints medians of 3 repetitions. Environment: HOTLIST_BENCH_GIT
# overrides the `git describe` printed in each header.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench"
smoke=0
while [ $# -gt 0 ]; do
    case "$1" in
    --smoke) smoke=1 ;;
    --build) build="$2"; shift ;;
    -*) echo "usage: $0 [--smoke] [--build DIR | DIR]" >&2; exit 2 ;;
    *) build="$1" ;;
    esac
    shift
done

case "$build" in /*) ;; *) build="$root/$build" ;; esac
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOTLIST_BENCH=ON \
        -DHOTLIST_TESTS=OFF -DHOTLIST_EXAMPLES=OFF -DHOTLIST_TOOLS=OFF >/dev/null
fi
cmake --build "$build" -j2 --target bench_floor bench_lookup bench_scaling bench_reload \
    bench_stall bench_latency >/dev/null
cmake --build "$build" -j2 --target bench_flood >/dev/null # hash flooding (bench_flood.c)
cmake --build "$build" -j2 --target bench_fuzzy_quality >/dev/null # fuzzy alerts and recall
bin="$build/bench"

host=$(hostname -s 2>/dev/null || echo host)
# One description of the source for every program's header line.
HOTLIST_BENCH_GIT=${HOTLIST_BENCH_GIT:-$(git -C "$root" describe --always --dirty --tags 2>/dev/null || echo unknown)}
export HOTLIST_BENCH_GIT
stamp=$(date +%Y%m%d-%H%M)
mkdir -p "$root/bench/results"
if [ "$smoke" = 1 ]; then
    work=$(mktemp -d)
    out="$work/$host-$stamp-smoke.txt"
    png="$work/$host-$stamp-smoke"
else
    work=$(mktemp -d)
    out="$root/bench/results/$host-$stamp.txt"
    png="$root/bench/results/$host-$stamp"
fi
trap 'rm -rf "$work"' EXIT

# CPU time (s) the whole machine spent busy, from /proc/stat (USER_HZ = 100).
busy_s() { awk '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / 100 }' /proc/stat; }
steal_s() { awk '/^cpu / { printf "%.2f", $9 / 100 }' /proc/stat; }
# CPU time (s) of this shell's finished children (user + sys), from `times`
# (run in this shell, not in a $(...) subshell, which has no children).
children_s() {
    times >"$work/times"
    awk 'NR == 2 { split($0, f, /[ ms]+/); printf "%.2f", f[1] * 60 + f[2] + f[3] * 60 + f[4] }' \
        "$work/times"
}

# run NAME ARGS...: one program, its lines appended to the results file, then
# how busy the machine was meanwhile: cpu_other_s is CPU time used by other
# processes (this is a shared machine), steal_s time taken by the hypervisor.
run() {
    local name=$1
    shift
    echo "== $name $*" >&2
    local t0=$SECONDS b0 s0 c0 rc=0
    children_s >"$work/c0"
    b0=$(busy_s); s0=$(steal_s); c0=$(cat "$work/c0")
    echo "# run: $name $*" >>"$out"
    "$bin/$name" "$@" | tee -a "$out" || rc=$?
    if [ "$rc" != 0 ]; then
        echo "# check=FAIL $name exited with status $rc" | tee -a "$out"
    fi
    local b1 s1 c1
    children_s >"$work/c1"
    b1=$(busy_s); s1=$(steal_s); c1=$(cat "$work/c1")
    awk -v n="$name" -v w=$((SECONDS - t0)) -v bb0="$b0" -v bb1="$b1" \
        -v s0="$s0" -v s1="$s1" -v c0="$c0" -v c1="$c1" -v la="$(cut -d' ' -f1-3 /proc/loadavg)" \
        'BEGIN { printf "# took %s: wall_s=%d cpu_self_s=%.1f cpu_other_s=%.1f steal_s=%.1f loadavg=%s\n",
                 n, w, c1 - c0, (bb1 - bb0) - (c1 - c0), s1 - s0, la }' >>"$out"
}

{
    echo "# hotlist benchmark suite, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "# host=$host kernel=$(uname -r) cores=$(nproc)" \
        "mem_gib=$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)" \
        "thp=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown)"
    echo "# git=$HOTLIST_BENCH_GIT build=$build"
    echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out"

if [ "$smoke" = 1 ]; then
    run bench_floor --smoke
    run bench_lookup --smoke
    run bench_scaling --smoke
    run bench_reload --smoke --trace-prefix "$work/reload"
    run bench_stall --smoke
    run bench_latency --smoke
    run bench_flood --smoke
    run bench_fuzzy_quality --smoke
else
    run bench_floor --mib 1024
    run bench_lookup --max-entries 1e7 --lookups 2e6 --redis-lookups 20000 --e2e-reads 2e6
    run bench_scaling --min-entries 1e6 --max-entries 1e7 --ms 300
    run bench_reload --max-entries 1e7 --trace-prefix "$work/reload"
    # The machine's own stalls of a clock-only thread (the floor of the
    # readers' longest gaps above) while the other CPU writes memory.
    run bench_stall
    run bench_latency --entries 1e6
    # Diagnostic: the same with one producer thread instead of 8, to tell the
    # engine's queueing from the scheduling of 10 threads on 2 cores.
    run bench_latency --entries 1e6 --producers 1
    # Hash flooding: plates crafted against a known seed, 1e6 entries (~40 s).
    run bench_flood --entries 1e6
    # Fuzzy matching: innocent alerts, recall per error kind, cost; 10^4..10^6
    # entries (10^7 with --ten-million: ~25 GB and an hour on this VM).
    run bench_fuzzy_quality
fi
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out"

# ---- data for the plots ------------------------------------------------------------
# pick FILTER FIELDS: the FIELDS of the result lines whose keys match FILTER.
pick() {
    awk -v filter="$1" -v fields="$2" '
        function get(k,   i, n) {
            for (i = 1; i <= NF; i++) {
                n = index($i, "=")
                if (n > 0 && substr($i, 1, n - 1) == k) return substr($i, n + 1)
            }
            return ""
        }
        BEGIN { nf = split(filter, F, " "); nk = split(fields, K, " ") }
        /^bench=/ {
            for (i = 1; i <= nf; i++) { split(F[i], p, "="); if (get(p[1]) != p[2]) next }
            line = ""
            for (j = 1; j <= nk; j++) line = line (j > 1 ? " " : "") get(K[j])
            print line
        }' "$out"
}

dat="$work/dat"
mkdir -p "$dat"
for s in plain ck_hs cds_lfht redis redis_pipe64 hotlist_single hotlist_bulk; do
    for hr in 0.001 0.1; do
        pick "bench=lookup system=$s hit_ratio=$hr" "entries mops" >"$dat/lookup-$s-$hr.dat"
    done
done
maxn=$(pick "bench=scaling" "entries" | sort -n | tail -1)
maxn=${maxn:-0}
for s in plain ck_hs cds_lfht hotlist_single hotlist_bulk; do
    pick "bench=scaling system=$s entries=$maxn" "threads mops" >"$dat/scaling-$s.dat"
done
pick "bench=latency path=inline" "p50_ns p99_ns p999_ns p9999_ns max_ns" |
    awk '{ split("p50 p99 p99.9 p99.99 max", n, " ");
           for (i = 1; i <= 5; i++) print i - 1, n[i], $i }' >"$dat/latency-inline.dat"
for p in 8 1; do
    for r in 10000 100000 1000000; do
        pick "bench=latency path=async producers=$p offered_rps=$r" \
            "p50_ns p99_ns p999_ns p9999_ns max_ns" |
            awk '{ split("p50 p99 p99.9 p99.99 max", n, " ");
                   for (i = 1; i <= 5; i++) print i - 1, n[i], $i }' \
                >"$dat/latency-async$p-$r.dat"
    done
done
rmax=$(pick "bench=reload_readers" "entries" | sort -n | tail -1)
if [ -n "$rmax" ] && [ -f "$work/reload-$rmax.dat" ]; then
    # 5 ms samples, averaged k at a time (same phase) to keep ~500 points.
    awk '/^#/ { next } { t[n] = $1; v[n] = $2; ph[n] = $3; n++ }
         END {
             k = int(n / 500) + 1
             for (i = 0; i < n; i += k) {
                 s = 0; m = 0
                 for (j = i; j < i + k && j < n && ph[j] == ph[i]; j++) { s += v[j]; m++ }
                 p = (ph[i] == "before") ? 0 : (ph[i] == "mem") ? 1 : (ph[i] == "csv") ? 2 : 3
                 print t[i], s / m, p
             }
         }' "$work/reload-$rmax.dat" >"$dat/reload-trace.dat"
fi
floor=$(pick "bench=floor pages=2m mode=independent" "ns_per_load" | head -1)
gnuplot -e "dat='$dat'; out='$png'; floor=${floor:-0}; maxn=${rmax:-0}" "$root/bench/plot.gp"
# fuzzy: innocent alerts against recall per error kind, k = 1 d = 1, per list size
for n in $(pick "bench=fuzzy_curve k=1 d=1" "entries" | sort -un); do
    pick "bench=fuzzy_curve entries=$n k=1 d=1" \
        "threshold innocent_alerts_per_1000 recall_sub recall_drop recall_double recall_two" \
        >"$dat/fuzzy-$n.dat"
done
if ls "$dat"/fuzzy-*.dat >/dev/null 2>&1; then
    gnuplot -e "dat='$dat'; out='$png'" "$root/bench/plot_fuzzy.gp"
fi

echo "results: $out" >&2
ls "$png"-*.png >&2
if [ "$smoke" = 1 ]; then
    keep="${BENCH_SMOKE_KEEP:-}"
    if [ -n "$keep" ]; then mkdir -p "$keep" && cp "$out" "$png"-*.png "$dat"/* "$keep"/; fi
fi
if grep -q 'check=FAIL' "$out"; then
    echo "some checks FAILED (grep check=FAIL $out)" >&2
    exit 1
fi
