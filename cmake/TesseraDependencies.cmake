# Finds what every tessera header needs: Boost.JSON and Botan 2.
#
# Botan 2 ships no CMake package on Debian, only a pkg-config file, so it is
# wrapped here in an imported target `tessera::botan`. Imported targets give
# their include directories to consumers as SYSTEM includes, which keeps
# Botan's own warnings out of builds that use -Werror.
include_guard(GLOBAL)

find_package(Boost 1.81 REQUIRED COMPONENTS json)

if(NOT TARGET tessera::botan)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(TESSERA_BOTAN REQUIRED IMPORTED_TARGET GLOBAL botan-2>=2.19)
  add_library(tessera::botan INTERFACE IMPORTED GLOBAL)
  target_link_libraries(tessera::botan INTERFACE PkgConfig::TESSERA_BOTAN)
endif()
