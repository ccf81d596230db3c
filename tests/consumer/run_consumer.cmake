# SPDX-License-Identifier: MIT
# Install the build tree into a scratch prefix, then build and run a
# consumer five ways: find_package (shared, static, dlopen) and pkg-config
# (shared, static), and check what each binary loads: the static ones no
# libhotlist.so, none of them jemalloc (the library must not impose an
# allocator on the process that links it). Called by ctest with -DSRC -DBIN
# -DWORK.
file(REMOVE_RECURSE ${WORK})
set(PREFIX ${WORK}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(LAST_OUT "${out}" PARENT_SCOPE)
endfunction()

# needed(FILE WANT...): FILE's DT_NEEDED entries must match "WANT" (must be
# there) or "!WANT" (must not), as regular expressions.
function(needed file)
  run(readelf -d ${file})
  string(REGEX MATCHALL "Shared library: \\[[^]]*\\]" libs "${LAST_OUT}")
  foreach(want ${ARGN})
    set(neg FALSE)
    if(want MATCHES "^!(.*)")
      set(neg TRUE)
      set(want "${CMAKE_MATCH_1}")
    endif()
    set(found FALSE)
    foreach(l ${libs})
      if(l MATCHES "${want}")
        set(found TRUE)
      endif()
    endforeach()
    if(found STREQUAL neg)
      message(FATAL_ERROR "${file}: NEEDED ${libs}: expected ${ARGV}")
    endif()
  endforeach()
endfunction()

run(${CMAKE_COMMAND} --install ${BIN} --prefix ${PREFIX})
file(GLOB solib ${PREFIX}/lib*/libhotlist.so.[0-9]*.*)
needed(${solib} "!jemalloc")
run(${CMAKE_COMMAND} -S ${SRC}/tests/consumer -B ${WORK}/cm -DCMAKE_PREFIX_PATH=${PREFIX})
run(${CMAKE_COMMAND} --build ${WORK}/cm)
set(ENV{LD_LIBRARY_PATH} ${PREFIX}/lib)
run(${WORK}/cm/consumer_shared)
needed(${WORK}/cm/consumer_shared "libhotlist\\.so" "!jemalloc")
run(${WORK}/cm/consumer_static)
needed(${WORK}/cm/consumer_static "!libhotlist" "!jemalloc")
run(${WORK}/cm/consumer_dlopen)
needed(${WORK}/cm/consumer_dlopen "!libhotlist" "!jemalloc")

# pkg-config, from a moved copy of the prefix: the .pc file is relocatable.
file(RENAME ${PREFIX} ${WORK}/moved)
set(PREFIX ${WORK}/moved)
set(ENV{LD_LIBRARY_PATH} ${PREFIX}/lib)
file(GLOB pcdirs ${PREFIX}/lib*/pkgconfig ${PREFIX}/lib/*/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "${pcdirs}")
run(pkg-config --cflags --libs hotlist)
string(STRIP "${LAST_OUT}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
run(cc ${SRC}/tests/consumer/main.c -o ${WORK}/pc_shared ${flags})
run(${WORK}/pc_shared)
needed(${WORK}/pc_shared "libhotlist\\.so" "!jemalloc")
# --static as it comes, no editing of the flags: it must link libhotlist.a.
run(pkg-config --static --cflags --libs hotlist)
string(STRIP "${LAST_OUT}" sflags)
separate_arguments(sflags UNIX_COMMAND "${sflags}")
run(cc ${SRC}/tests/consumer/main.c -o ${WORK}/pc_static ${sflags})
run(${WORK}/pc_static)
needed(${WORK}/pc_static "!libhotlist" "!jemalloc" "liburcu-bp")
message(STATUS "consumer built and ran: find_package shared+static+dlopen, "
               "pkg-config shared+static; no jemalloc, static ones without libhotlist.so")
