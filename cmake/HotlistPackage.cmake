# SPDX-License-Identifier: MIT
# Debian packages with CPack, one per install component (HotlistInstall.cmake):
#   libhotlist0     lib      the shared library
#   libhotlist-dev  dev      header, static library, .so link, .pc, CMake
#                            package, libhotlist(3), docs and examples
#   hotlist         program  the hotlist program and hotlist(1)
# Built and inspected by .ci/package.sh (cpack -G DEB in a build tree).
# Depends of the binaries come from dpkg-shlibdeps (dpkg-dev). The first
# line of each component's description is the package's summary.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hotlist)
set(CPACK_PACKAGE_VENDOR "the hotlist authors")
set(CPACK_PACKAGE_CONTACT "the hotlist authors <hotlist@invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_CURRENT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL lib dev)
if(HOTLIST_TOOLS)
  list(APPEND CPACK_COMPONENTS_ALL program)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# A shlibs file for libhotlist0. Policy "=": in 0.x the soname stays 0 while
# minor versions may change the ABI, so a program depends on the exact
# version it was built with.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY "=")

set(CPACK_DEBIAN_LIB_PACKAGE_NAME libhotlist0)
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_LIB_DESCRIPTION
    "match ANPR plate reads against live hot lists (shared library)\n\
libhotlist checks number-plate reads from many cameras against hot lists of\n\
stolen and wanted vehicles, with exact, OCR-tolerant and wildcard matching,\n\
while the lists are replaced or edited live (RCU).")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libhotlist-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# The static library needs these at link time; the .pc and the CMake
# package ask for them.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libhotlist0 (= ${PROJECT_VERSION}), liburcu-dev, libxxhash-dev, pkg-config")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "match ANPR plate reads against live hot lists (development files)\n\
Header, static library, pkg-config and CMake files, the libhotlist(3)\n\
manual page, documentation and examples.")

set(CPACK_DEBIAN_PROGRAM_PACKAGE_NAME hotlist)
set(CPACK_DEBIAN_PROGRAM_PACKAGE_SECTION utils)
set(CPACK_COMPONENT_PROGRAM_DESCRIPTION
    "match ANPR plate reads against live hot lists (command-line program)\n\
hotlist check validates hot-list files, hotlist match matches read streams\n\
(CSV, JSON lines, OpenALPR) against them with SIGHUP reloads, hotlist demo\n\
runs a live demonstration. Linked with the static library.")

include(CPack)
