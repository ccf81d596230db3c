# SPDX-License-Identifier: MIT
# Install rules: the header, both libraries, a CMake package with the
# hotlist::hotlist and hotlist::hotlist_static targets, a relocatable
# hotlist.pc, the man pages, docs and examples. Each file belongs to one
# component, which is one Debian package (cmake/HotlistPackage.cmake):
#   lib      libhotlist0     the shared library
#   dev      libhotlist-dev  header, static library, .so link, .pc, CMake
#                            package, libhotlist(3), docs and examples
#   program  hotlist         the hotlist program (tools/), hotlist(1)
# `cmake --install build` installs all of them.
include(CMakePackageConfigHelpers)

install(FILES include/hotlist.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(TARGETS hotlist EXPORT hotlistTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT lib
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS hotlist_static EXPORT hotlistTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT hotlistTargets NAMESPACE hotlist::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hotlist COMPONENT dev)
configure_package_config_file(cmake/hotlistConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/hotlistConfig.cmake
    INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hotlist)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/hotlistConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/hotlistConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/hotlistConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hotlist COMPONENT dev)

# pkg-config: paths relative to ${pcfiledir} so the tree can be moved.
file(RELATIVE_PATH HL_PC_PREFIX_REL
     "${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
set(HL_PC_REQUIRES_PRIVATE "liburcu-bp libxxhash")
# Two files so that --static links libhotlist.a (see hotlist.pc.in).
configure_file(cmake/hotlist.pc.in ${CMAKE_CURRENT_BINARY_DIR}/hotlist.pc @ONLY)
configure_file(cmake/hotlist-lib.pc.in ${CMAKE_CURRENT_BINARY_DIR}/hotlist-lib.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/hotlist.pc ${CMAKE_CURRENT_BINARY_DIR}/hotlist-lib.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# Man pages (hand-written roff, man/) and the documentation. The program's
# page goes with the program, wherever tools/ installs it.
if(HOTLIST_TOOLS)
  install(FILES man/hotlist.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT program)
endif()
install(FILES man/libhotlist.3 DESTINATION ${CMAKE_INSTALL_MANDIR}/man3 COMPONENT dev)
install(FILES README.md LICENSE CHANGELOG.md CONTRIBUTING.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT dev)
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs COMPONENT dev
        FILES_MATCHING PATTERN "*.md")
install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT dev
        FILES_MATCHING PATTERN "*.c")
