# SPDX-License-Identifier: MIT
# Run the README's program on LIST and compare its output with the block
# the README shows after "it prints". Called by ctest with -DPROG -DREADME -DLIST.
file(READ ${README} text)
string(REGEX MATCH "it\nprints\n\n```\n([^`]*)```" m "${text}")
if(NOT m)
  message(FATAL_ERROR "README.md: no output block after 'it prints'")
endif()
set(want "${CMAKE_MATCH_1}")
execute_process(COMMAND ${PROG} ${LIST} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out STREQUAL want)
  message(FATAL_ERROR "README program: exit ${rc}\n--- got:\n${out}${err}--- README says:\n${want}")
endif()
message(STATUS "README program prints what the README says")
