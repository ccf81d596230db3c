# SPDX-License-Identifier: MIT
# Install the build tree into a scratch prefix, then build and run a
# consumer four ways: find_package (shared, static) and pkg-config (shared,
# static). Called by ctest with -DSRC -DBIN -DWORK.
file(REMOVE_RECURSE ${WORK})
set(PREFIX ${WORK}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(LAST_OUT "${out}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install ${BIN} --prefix ${PREFIX})
run(${CMAKE_COMMAND} -S ${SRC}/tests/consumer -B ${WORK}/cm -DCMAKE_PREFIX_PATH=${PREFIX})
run(${CMAKE_COMMAND} --build ${WORK}/cm)
set(ENV{LD_LIBRARY_PATH} ${PREFIX}/lib)
run(${WORK}/cm/consumer_shared)
run(${WORK}/cm/consumer_static)

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
run(pkg-config --static --cflags --libs hotlist)
string(STRIP "${LAST_OUT}" sflags)
string(REPLACE "-lhotlist" "-Wl,-Bstatic -lhotlist -Wl,-Bdynamic" sflags "${sflags}")
separate_arguments(sflags UNIX_COMMAND "${sflags}")
run(cc ${SRC}/tests/consumer/main.c -o ${WORK}/pc_static ${sflags})
run(${WORK}/pc_static)
message(STATUS "consumer built and ran: find_package shared+static, pkg-config shared+static")
