# SPDX-License-Identifier: MIT
# Install rules: the header, both libraries, a CMake package with the
# hotlist::hotlist and hotlist::hotlist_static targets, and a relocatable
# hotlist.pc.
include(CMakePackageConfigHelpers)

install(FILES include/hotlist.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS hotlist hotlist_static EXPORT hotlistTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT hotlistTargets NAMESPACE hotlist::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hotlist)
configure_package_config_file(cmake/hotlistConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/hotlistConfig.cmake
    INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hotlist)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/hotlistConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/hotlistConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/hotlistConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hotlist)

# pkg-config: paths relative to ${pcfiledir} so the tree can be moved.
file(RELATIVE_PATH HL_PC_PREFIX_REL
     "${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
set(HL_PC_REQUIRES_PRIVATE "liburcu-bp libxxhash")
# Two files so that --static links libhotlist.a (see hotlist.pc.in).
configure_file(cmake/hotlist.pc.in ${CMAKE_CURRENT_BINARY_DIR}/hotlist.pc @ONLY)
configure_file(cmake/hotlist-lib.pc.in ${CMAKE_CURRENT_BINARY_DIR}/hotlist-lib.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/hotlist.pc ${CMAKE_CURRENT_BINARY_DIR}/hotlist-lib.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
