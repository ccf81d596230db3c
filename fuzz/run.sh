#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Long fuzzing runs with libFuzzer (clang), one target at a time.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Builds the library and the targets with -fsanitize=fuzzer-no-link plus
# ASan+UBSan, and the library's debug checks (its assertions: the corpus
# replay in CI has them, so a run without them could add inputs that CI then
# fails on), into build-fuzz/, then runs each target (default: all) for the
# given time (default 600 s) on a scratch copy of its corpus, and merges the
# new inputs that add coverage back into fuzz/corpus/<target>/ (minimised).
# A crash stops the run; the crashing input is left in build-fuzz/ as
# crash-<sha1> for you to add to the corpus once fixed.
# Set FUZZ_RUNS=N to stop after N executions instead of a time, and
# FUZZ_FORK=N to run N fuzzing processes at once (libFuzzer's -fork mode; use
# the machine's cores: 10^8 executions of fuzz_csv take about 4 hours on one).
# fuzz_match runs with -detect_leaks=0: it keeps one engine for the whole run,
# whose replaced lists are freed later by liburcu's call_rcu thread, so
# nearly every input ends with allocations outstanding and libFuzzer would
# run a full leak scan after it (17x slower). Leaks in the matcher are
# checked by test_alloc_fail (zero allocations outstanding after destroy)
# and by the corpus replay under LeakSanitizer in CI.
# ASan's quarantine (freed memory kept poisoned before reuse) is 16 MiB here,
# not its default 256 MiB: still far more than one input frees, so a use
# after free within an input (and for many inputs after) is still caught,
# but cycling 256 MiB of freed blocks made allocations touch fresh pages:
# fuzz_reads and fuzz_match spent a large share of their CPU time in it
# (docs/RELIABILITY.md, "Fuzzing"). Set ASAN_OPTIONS to override.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=${1:-600}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(normalise csv reads match)

command -v clang >/dev/null || { echo "fuzz/run.sh needs clang (apt-get install clang)"; exit 2; }
SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
export ASAN_OPTIONS=${ASAN_OPTIONS-quarantine_size_mb=16}
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS="$SAN" -DHOTLIST_FUZZ=ON -DHOTLIST_DEBUG_CHECKS=ON -DHOTLIST_JEMALLOC=OFF \
    -DHOTLIST_TESTS=OFF \
    -DHOTLIST_BENCH=OFF -DHOTLIST_EXAMPLES=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target $(printf 'fuzz_%s ' "${TARGETS[@]}")

for t in "${TARGETS[@]}"; do
    corpus=fuzz/corpus/$t
    work=build-fuzz/corpus-$t
    rm -rf "$work" && mkdir -p "$work" && cp -r "$corpus"/. "$work"/
    dict=()
    [ -f "fuzz/$t.dict" ] && dict=(-dict="$PWD/fuzz/$t.dict")
    limit=(-max_total_time="$SECONDS_PER")
    [ -n "${FUZZ_RUNS:-}" ] && limit=(-runs="$FUZZ_RUNS")
    [ -n "${FUZZ_FORK:-}" ] && limit+=(-fork="$FUZZ_FORK")
    [ "$t" = match ] && limit+=(-detect_leaks=0)
    echo "== fuzz_$t: ${limit[*]}"
    # libFuzzer exits 72 when interrupted (SIGINT: a run cut short by
    # hand); what it found is still merged. Anything else non-zero (a
    # crash, a leak, a timeout) stops the script here.
    rc=0
    (cd build-fuzz && ./fuzz/fuzz_"$t" "${limit[@]}" "${dict[@]}" -print_final_stats=1 \
        "corpus-$t" 2>&1 | tail -n 20) || rc=$?
    [ "$rc" -eq 0 ] || [ "$rc" -eq 72 ] || exit "$rc"
    ./build-fuzz/fuzz/fuzz_"$t" -merge=1 "$corpus" "$work" >/dev/null 2>&1 || true
    echo "   corpus now $(ls "$corpus" | wc -l) files"
done
