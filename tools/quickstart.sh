#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# One command from a fresh Debian 12 machine to a running hotlist:
#
#   tools/quickstart.sh demo    install what is missing, build, run the demo
#   tools/quickstart.sh test    install what is missing, then the whole suite:
#                               format check, warnings-as-errors build + tests,
#                               its Debian packages (.ci/package.sh),
#                               AddressSanitizer+UBSan build + tests,
#                               ThreadSanitizer build + tests
#   tools/quickstart.sh bench   install, build, run the benchmark suite
#
# Extra arguments after `demo` go to `hotlist demo` (e.g. --seconds 30).
# Environment: HOTLIST_JOBS (parallel build jobs, default nproc),
# HOTLIST_LONG_TESTS=1 (long soak/stress variants).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${HOTLIST_JOBS:-$(nproc)}
MODE=${1:-demo}
shift || true

PACKAGES=(build-essential cmake pkg-config liburcu-dev libxxhash-dev libjemalloc-dev
          check libjansson-dev libck-dev clang-format python3
          python3-pytest groff-base file
          libnats-dev libmicrohttpd-dev nats-server libzstd-dev)
# The camera tests (docs/cameras.md) play an MQTT camera with mosquitto_pub.
PACKAGES+=(mosquitto-clients)
# Named time zones of list scopes (--tz Europe/Amsterdam) are read from
# /usr/share/zoneinfo, which a minimal Debian 12 image lacks.
PACKAGES+=(tzdata)
BENCH_PACKAGES=(redis-server gnuplot-nox)

log() { printf '\n== %s\n' "$*"; }

install_missing() {
    local want=("$@") missing=()
    for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}"
}

# build DIR [cmake args...]
build() {
    local dir=$1
    shift
    cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j "$JOBS"
}

# run_suite DIR LABEL [ctest args...]
run_suite() {
    local dir=$1 label=$2
    shift 2
    log "tests: $label"
    (cd "$dir" && ctest --output-on-failure -j "$JOBS" "$@")
}

format_check() {
    log "clang-format check"
    local bad=0
    while IFS= read -r f; do
        if ! clang-format --dry-run -Werror "$f" 2>/dev/null; then
            echo "not formatted: $f"
            bad=1
        fi
    done < <(git ls-files '*.c' '*.h' 2>/dev/null || find include lib tests tools bench fuzz examples -name '*.[ch]')
    [ $bad -eq 0 ] && echo "all files formatted"
    return $bad
}

case "$MODE" in
demo)
    install_missing "${PACKAGES[@]}"
    log "build (build/)"
    build build -DHOTLIST_TESTS=OFF -DHOTLIST_BENCH=OFF
    log "hotlist demo $*"
    exec build/tools/hotlist demo "$@"
    ;;
test)
    install_missing "${PACKAGES[@]}"
    format_check
    log "generated tables match their generators"
    python3 tools/gen_fold_table.py --check lib/fold_table.h
    log "module layers"
    python3 "$ROOT/tools/check_layers.py" "$ROOT"
    python3 "$ROOT/tools/check_alloc.py" "$ROOT"
    long=()
    [ "${HOTLIST_LONG_TESTS:-0}" = 1 ] && long=(-DHOTLIST_LONG_TESTS=ON)
    log "build: warnings as errors (build-ci/)"
    build build-ci -DHOTLIST_WERROR=ON -DHOTLIST_DEBUG_CHECKS=ON "${long[@]}"
    run_suite build-ci "default build"
    log "Debian packages (build-ci/): cpack, contents, Depends, a scratch install run"
    bash .ci/package.sh build-ci
    log "build: AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)"
    # jemalloc off under the sanitizers: they bring their own allocator
    build build-asan -DHOTLIST_WERROR=ON -DHOTLIST_SANITIZE=address,undefined \
        -DHOTLIST_BENCH=OFF -DHOTLIST_JEMALLOC=OFF "${long[@]}"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        run_suite build-asan "address,undefined"
    log "build: ThreadSanitizer (build-tsan/)"
    build build-tsan -DHOTLIST_WERROR=ON -DHOTLIST_SANITIZE=thread -DHOTLIST_BENCH=OFF \
        -DHOTLIST_JEMALLOC=OFF "${long[@]}"
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$ROOT/tests/tsan.supp" \
        run_suite build-tsan "thread"
    log "all suites passed"
    ;;
bench)
    install_missing "${PACKAGES[@]}" "${BENCH_PACKAGES[@]}"
    log "build (build-bench/)"
    build build-bench -DCMAKE_BUILD_TYPE=Release -DHOTLIST_TESTS=OFF
    exec bash bench/run.sh build-bench "$@"
    ;;
*)
    echo "usage: $0 demo|test|bench [args]" >&2
    exit 2
    ;;
esac
