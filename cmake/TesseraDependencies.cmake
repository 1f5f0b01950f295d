# SPDX-License-Identifier: BSL-1.0
# Finds what every tessera header needs: Boost.JSON and Botan (3.x or 2.19+).
#
# Botan 3 ships a CMake package (vcpkg, Conan, a source build: `./dev deps botan3`);
# it is used when found. Otherwise Botan 2, which Debian ships with only a
# pkg-config file. Either is wrapped in one imported target, `tessera::botan`.
# Imported targets give their include directories to consumers as SYSTEM
# includes, which keeps Botan's own warnings out of builds that use -Werror.
#
# TESSERA_BOTAN_MAJOR is 2 or 3 afterwards; TESSERA_BOTAN_INCLUDE_DIRS its headers' folder.
include_guard(GLOBAL)

find_package(Boost 1.81 REQUIRED COMPONENTS json)

option(TESSERA_REQUIRE_BOTAN3 "Fail unless Botan 3 is found" OFF)

if(NOT TARGET tessera::botan)
  find_package(Botan 3 CONFIG QUIET)
  if(Botan_FOUND)
    add_library(tessera::botan INTERFACE IMPORTED GLOBAL)
    if(TARGET Botan::Botan-static)
      target_link_libraries(tessera::botan INTERFACE Botan::Botan-static)
      get_target_property(TESSERA_BOTAN_INCLUDE_DIRS Botan::Botan-static INTERFACE_INCLUDE_DIRECTORIES)
    else()
      target_link_libraries(tessera::botan INTERFACE Botan::Botan)
      get_target_property(TESSERA_BOTAN_INCLUDE_DIRS Botan::Botan INTERFACE_INCLUDE_DIRECTORIES)
    endif()
    set(TESSERA_BOTAN_MAJOR 3)
    set(TESSERA_BOTAN_PC botan-3)
    message(STATUS "tessera: Botan ${Botan_VERSION}")
  elseif(TESSERA_REQUIRE_BOTAN3)
    message(FATAL_ERROR "tessera: Botan 3 was asked for (TESSERA_REQUIRE_BOTAN3) and not found; "
                        "`./dev deps botan3` builds it and prints the prefix for CMAKE_PREFIX_PATH")
  else()
    find_package(PkgConfig REQUIRED)
    pkg_check_modules(TESSERA_BOTAN REQUIRED IMPORTED_TARGET GLOBAL botan-2>=2.19)
    add_library(tessera::botan INTERFACE IMPORTED GLOBAL)
    target_link_libraries(tessera::botan INTERFACE PkgConfig::TESSERA_BOTAN)
    set(TESSERA_BOTAN_INCLUDE_DIRS ${TESSERA_BOTAN_INCLUDE_DIRS})
    set(TESSERA_BOTAN_MAJOR 2)
    set(TESSERA_BOTAN_PC botan-2)
  endif()
endif()
