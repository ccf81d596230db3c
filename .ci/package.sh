#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Build the Debian packages of a build tree with CPack and check them:
#   .ci/package.sh [BUILD_DIR]     (default build-ci/ of the checkout, built already)
#
# Lists each package's control fields and contents (dpkg-deb -I / -c),
# checks that every file is in the package it belongs to and that the
# Depends are what the binaries need (libhotlist0 and the program must not
# depend on jemalloc's package unless they link it: only the program does),
# unpacks all three into a scratch root (dpkg -x, no root needed, nothing
# installed on the machine) and runs from there: the program (check, and
# match compared with the CLI fixture's expected hits), the man pages, a
# consumer built with the installed pkg-config file (shared and static) and
# with the installed CMake package (shared, static, dlopen), and the Python
# binding on the installed library. tools/quickstart.sh test runs it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build-ci}" && pwd) # relative to where it is called from
cd "$ROOT"
JOBS=${HOTLIST_JOBS:-$(nproc)}
fail=0
bad() { echo "FAIL: $*"; fail=1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== cpack -G DEB ($BUILD)"
rm -f "$BUILD"/*.deb
(cd "$BUILD" && cpack -G DEB >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log"; exit 1; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD/CMakeCache.txt")
arch=$(dpkg --print-architecture)

# has DEB REGEX...: the package lists a path matching each regex.
has() {
    local deb=$1
    shift
    for re in "$@"; do
        grep -Eq -- "$re" "$tmp/$deb.list" || bad "$deb: no file matching $re"
    done
}
# lacks DEB REGEX...: the package lists no path matching any of them.
lacks() {
    local deb=$1
    shift
    for re in "$@"; do
        ! grep -Eq -- "$re" "$tmp/$deb.list" || bad "$deb: has $(grep -E -- "$re" "$tmp/$deb.list" | head -1)"
    done
}

for pkg in libhotlist0 libhotlist-dev hotlist; do
    deb="$BUILD/${pkg}_${version}_${arch}.deb"
    [ -f "$deb" ] || { bad "no $deb"; continue; }
    echo "== $pkg: dpkg-deb -I"
    dpkg-deb -I "$deb" | sed -n '/^ *[0-9]* bytes, /p'
    dpkg-deb -f "$deb"
    echo "== $pkg: dpkg-deb -c"
    dpkg-deb -c "$deb" | awk '{ if ($7 == "->") print $6, $7, $8; else print $6 }' | tee "$tmp/$pkg.list" | grep -v '/$' |
        grep -v '/docs/' || true
    dpkg-deb -f "$deb" Depends >"$tmp/$pkg.depends"
    dpkg -x "$deb" "$tmp/root"
done

has libhotlist0 '/libhotlist\.so\.0 ' '/libhotlist\.so\.[0-9]+\.[0-9]+\.[0-9]+$'
lacks libhotlist0 '\.h$' '\.a$' '/libhotlist\.so ' 'bin/' 'man'
has libhotlist-dev 'include/hotlist\.h$' '/libhotlist\.a$' '/libhotlist\.so -> ' \
    'pkgconfig/hotlist\.pc$' 'pkgconfig/hotlist-lib\.pc$' 'cmake/hotlist/hotlistConfig\.cmake$' \
    'man3/libhotlist\.3' 'doc/hotlist/LICENSE$' 'doc/hotlist/examples/.*\.c$'
lacks libhotlist-dev '/libhotlist\.so\.0' 'bin/'
has hotlist 'usr/bin/hotlist$' 'man1/hotlist\.1'
lacks hotlist 'libhotlist' 'include/'
grep -q 'liburcu' "$tmp/libhotlist0.depends" || bad "libhotlist0 does not depend on liburcu"
grep -q 'jemalloc' "$tmp/libhotlist0.depends" && bad "libhotlist0 depends on jemalloc"
grep -q "libhotlist0 (= $version)" "$tmp/libhotlist-dev.depends" ||
    bad "libhotlist-dev does not depend on libhotlist0 (= $version)"
grep -q 'libjansson' "$tmp/hotlist.depends" || bad "hotlist does not depend on libjansson"
dpkg-deb --ctrl-tarfile "$BUILD/libhotlist0_${version}_${arch}.deb" | tar -xO ./shlibs |
    grep -q "^libhotlist 0 libhotlist0" || bad "libhotlist0 has no shlibs entry"

usr=$tmp/root/usr
solib=$(find "$usr" -name libhotlist.so.0)
libdir=$(dirname "$solib")
export LD_LIBRARY_PATH=$libdir

echo "== the installed program"
"$usr/bin/hotlist" --version | grep -qx "hotlist $version" || bad "hotlist --version"
"$usr/bin/hotlist" check tests/cli/national.csv >/dev/null || bad "hotlist check"
"$usr/bin/hotlist" match --list tests/cli/national.csv --list tests/cli/local.csv \
    --reads tests/cli/reads.csv 2>/dev/null >"$tmp/hits.jsonl" || bad "hotlist match"
cmp -s "$tmp/hits.jsonl" tests/cli/expected_hits.jsonl || bad "hotlist match: hits differ"
for page in "$usr"/share/man/man1/hotlist.1 "$usr"/share/man/man3/libhotlist.3; do
    out=$(groff -man -ww -z -Tutf8 "$page" 2>&1) && [ -z "$out" ] || bad "$page: $out"
done

echo "== a consumer of the installed library"
pcdir=$(dirname "$(find "$usr" -name hotlist.pc)")
export PKG_CONFIG_PATH=$pcdir
cc tests/consumer/main.c -o "$tmp/pc_shared" $(pkg-config --cflags --libs hotlist) &&
    "$tmp/pc_shared" >/dev/null || bad "pkg-config shared consumer"
readelf -d "$tmp/pc_shared" | grep -q 'NEEDED.*libhotlist\.so\.0' || bad "shared consumer: no libhotlist.so.0"
cc tests/consumer/main.c -o "$tmp/pc_static" $(pkg-config --static --cflags --libs hotlist) &&
    "$tmp/pc_static" >/dev/null || bad "pkg-config static consumer"
readelf -d "$tmp/pc_static" | grep -q 'NEEDED.*libhotlist' && bad "static consumer needs libhotlist.so"
cmake -S tests/consumer -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$usr" >/dev/null &&
    cmake --build "$tmp/cm" -j "$JOBS" >/dev/null || bad "CMake consumer build"
for c in consumer_shared consumer_static consumer_dlopen; do
    "$tmp/cm/$c" >/dev/null || bad "$c"
done
if python3 -c 'import ctypes' 2>/dev/null; then
    HOTLIST_LIBRARY=$solib PYTHONPATH=$ROOT/bindings/python python3 -c '
import hotlist
with hotlist.Engine() as e:
    e.put("l", hotlist.Entry("GZ-123-B", "NL"))
    assert [h.plate for h in e.match("gz 123 b", country="nl")] == ["GZ-123-B"]
' || bad "Python binding on the installed library"
fi

[ $fail -eq 0 ] || exit 1
echo "== packages built, inspected, unpacked and run: libhotlist0 libhotlist-dev hotlist $version"
