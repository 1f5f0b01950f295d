# SPDX-License-Identifier: BSL-1.0
# Installs the headers, the CMake package (targets, config, version) and the
# pkg-config files, so that `find_package(tessera 0.1 REQUIRED COMPONENTS sqlite)`
# and `pkg-config --cflags --libs tessera` work from the install prefix.
#
# One export set per component: a program that asks for the core alone never
# needs SQLite, hiredis, libpq, libcurl or Boost.Beast to be installed.
include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TESSERA_CMAKE_DIR ${CMAKE_INSTALL_DATADIR}/cmake/tessera)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tessera DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The license travels with the headers (Boost Software License 1.0).
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/tessera)

install(TARGETS tessera EXPORT tessera-targets)
install(EXPORT tessera-targets NAMESPACE tessera:: DESTINATION ${TESSERA_CMAKE_DIR})

set(TESSERA_PC_COMPONENTS)
foreach(component sqlite redis postgres curl beast)
  if(TARGET tessera_${component})
    set_target_properties(tessera_${component} PROPERTIES EXPORT_NAME ${component})
    install(TARGETS tessera_${component} EXPORT tessera-${component}-targets)
    install(EXPORT tessera-${component}-targets NAMESPACE tessera:: DESTINATION ${TESSERA_CMAKE_DIR})
    list(APPEND TESSERA_PC_COMPONENTS ${component})
  endif()
endforeach()

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/tesseraConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/tesseraConfig.cmake
  INSTALL_DESTINATION ${TESSERA_CMAKE_DIR})
# 0.x: a minor version may change the interface, so only the same minor version is compatible.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/tesseraConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tesseraConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/tesseraConfigVersion.cmake
  DESTINATION ${TESSERA_CMAKE_DIR})

# pkg-config: tessera (core), tessera-sqlite, tessera-redis, tessera-postgres, tessera-curl, tessera-beast
# (Boost ships no pkg-config file: Beast's headers come with Boost.JSON's, its threads with -pthread).
set(TESSERA_PC_REQUIRES_sqlite ", sqlite3 >= 3.35")
set(TESSERA_PC_REQUIRES_redis ", hiredis >= 0.14")
set(TESSERA_PC_REQUIRES_postgres ", libpq >= 12")
set(TESSERA_PC_REQUIRES_curl ", libcurl >= 7.85")
set(TESSERA_PC_REQUIRES_beast "")
set(TESSERA_PC_LIBS_beast "-pthread")
set(TESSERA_PC_DESCRIPTION_sqlite "tessera's SQLite store")
set(TESSERA_PC_DESCRIPTION_redis "tessera's Redis store")
set(TESSERA_PC_DESCRIPTION_postgres "tessera's PostgreSQL store")
set(TESSERA_PC_DESCRIPTION_curl "tessera's libcurl fetcher of remote key sets")
set(TESSERA_PC_DESCRIPTION_beast "tessera's Boost.Beast adapter")
configure_file(${CMAKE_CURRENT_LIST_DIR}/tessera.pc.in ${CMAKE_CURRENT_BINARY_DIR}/pkgconfig/tessera.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pkgconfig/tessera.pc DESTINATION ${CMAKE_INSTALL_DATADIR}/pkgconfig)
foreach(component IN LISTS TESSERA_PC_COMPONENTS)
  set(TESSERA_PC_COMPONENT ${component})
  set(TESSERA_PC_COMPONENT_REQUIRES "${TESSERA_PC_REQUIRES_${component}}")
  set(TESSERA_PC_COMPONENT_LIBS "${TESSERA_PC_LIBS_${component}}")
  set(TESSERA_PC_COMPONENT_DESCRIPTION "${TESSERA_PC_DESCRIPTION_${component}}")
  configure_file(${CMAKE_CURRENT_LIST_DIR}/tessera-component.pc.in
    ${CMAKE_CURRENT_BINARY_DIR}/pkgconfig/tessera-${component}.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pkgconfig/tessera-${component}.pc
    DESTINATION ${CMAKE_INSTALL_DATADIR}/pkgconfig)
endforeach()
