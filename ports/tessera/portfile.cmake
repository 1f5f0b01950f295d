# SPDX-License-Identifier: BSL-1.0
# An overlay port: `vcpkg install tessera --overlay-ports=<tessera>/ports` builds from this source tree.
# Headers only: one (release) configuration is all there is to install.
set(VCPKG_BUILD_TYPE release)
set(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../..")

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DTESSERA_BUILD_TESTS=OFF
    -DTESSERA_BUILD_EXAMPLES=OFF
    -DTESSERA_INSTALL=ON)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME tessera CONFIG_PATH share/cmake/tessera)
vcpkg_fixup_pkgconfig()

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
