# What a user builds against: pkg-config files (tsheap, tsheapt), the CMake
# package (tsheap::tsheap, tsheap::tsheapt) and the man pages.
include(CMakePackageConfigHelpers)

# relocatable: prefix is found from where the .pc file is
file(RELATIVE_PATH TSHEAP_PC_UP /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
set(TSHEAP_PC_PREFIX "\${pcfiledir}/${TSHEAP_PC_UP}")
set(TSHEAP_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
set(TSHEAP_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
foreach(PC_NAME tsheap tsheapt)
  if(PC_NAME STREQUAL tsheapt)
    set(PC_DESCRIPTION "Per-thread-state heaps, free-threaded build")
    set(PC_CFLAGS " -D${TSHEAP_GUARD}")
  else()
    set(PC_DESCRIPTION "Per-thread-state heaps, GIL build")
    set(PC_CFLAGS "")
  endif()
  configure_file(${PROJECT_SOURCE_DIR}/packaging/tsheap.pc.in ${PROJECT_BINARY_DIR}/${PC_NAME}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${PC_NAME}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

set(TSHEAP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tsheap)
install(EXPORT tsheap-targets NAMESPACE tsheap:: DESTINATION ${TSHEAP_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/packaging/tsheap-config.cmake.in
  ${PROJECT_BINARY_DIR}/tsheap-config.cmake INSTALL_DESTINATION ${TSHEAP_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tsheap-config-version.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tsheap-config.cmake ${PROJECT_BINARY_DIR}/tsheap-config-version.cmake
  DESTINATION ${TSHEAP_CMAKE_DIR})

install(FILES ${TSHEAP_GEN_DIR}/man/tsheap.3 DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
install(FILES ${PROJECT_SOURCE_DIR}/codegen/tsheap-gen.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
