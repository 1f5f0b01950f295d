#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# tessera as its users take it: installed into a prefix, then found by CMake
# or pkg-config, or added as a subdirectory. Run by CTest on every `./dev test`.
#
#   run.sh install BUILD_DIR WORK       cmake --install BUILD_DIR into WORK/prefix
#   run.sh CASE SOURCE_DIR WORK         build and run one consumer against WORK/prefix:
#     find_package      find_package(tessera 0.1 REQUIRED), tessera::tessera
#     components        find_package(tessera 0.1 REQUIRED COMPONENTS sqlite beast), tessera::sqlite, tessera::beast
#     test_package      the Conan recipe's test_package, built with plain CMake
#     add_subdirectory  add_subdirectory(tessera source tree)
#     pkg_config        c++ $(pkg-config --cflags --libs tessera)
# CXX chooses the compiler (the build's).
set -euo pipefail
what="$1" from="$2" work="$3"
prefix="$work/prefix"
consumers="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cxx="${CXX:-c++}"

configure_build_run() { # SOURCE [CMAKE ARGS...]
  local source="$1" build="$work/build-$what"
  shift
  rm -rf "$build"
  cmake -S "$source" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=Release "$@" >"$work/$what.log" 2>&1 || { cat "$work/$what.log"; exit 1; }
  cmake --build "$build" >>"$work/$what.log" 2>&1 || { cat "$work/$what.log"; exit 1; }
  local program
  program="$(find "$build" -maxdepth 1 -type f -perm -u+x \( -name consumer -o -name test_package \) | head -n1)"
  "$program"
}

case "$what" in
  install)
    rm -rf "$work"
    mkdir -p "$work"
    cmake --install "$from" --prefix "$prefix" >"$work/install.log"
    # Nothing of the build tree may leak into the installed package.
    if grep -rl "$(cd "$from" && pwd)" "$prefix/share" >/dev/null 2>&1; then
      echo "the installed package names the build tree:" >&2
      grep -rl "$(cd "$from" && pwd)" "$prefix/share" >&2
      exit 1
    fi
    [[ -f "$prefix/share/doc/tessera/LICENSE" ]] || { echo "the installed package has no LICENSE" >&2; exit 1; }
    echo "installed into $prefix: $(find "$prefix" -type f | wc -l) files"
    ;;
  find_package) configure_build_run "$consumers/find_package" ;;
  components) configure_build_run "$consumers/components" ;;
  test_package) configure_build_run "$from/test_package" ;;
  add_subdirectory) configure_build_run "$consumers/add_subdirectory" -DTESSERA_SOURCE_DIR="$from" ;;
  pkg_config)
    mkdir -p "$work/build-pkg_config"
    flags="$(PKG_CONFIG_PATH="$prefix/share/pkgconfig" pkg-config --cflags --libs tessera)"
    # shellcheck disable=SC2086 # the flags are words
    "$cxx" -std=c++20 "$consumers/round_trip.cpp" -o "$work/build-pkg_config/consumer" $flags
    "$work/build-pkg_config/consumer"
    for component in sqlite redis postgres curl beast; do
      PKG_CONFIG_PATH="$prefix/share/pkgconfig" pkg-config --exists "tessera-$component" ||
        { echo "no tessera-$component.pc" >&2; exit 1; }
    done
    ;;
  *) echo "run.sh: unknown case '$what'" >&2; exit 2 ;;
esac
