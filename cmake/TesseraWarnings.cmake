# SPDX-License-Identifier: BSL-1.0
# Warnings are errors for tessera's own targets (tests, examples, benchmarks),
# never for the targets of a project that consumes tessera.
include_guard(GLOBAL)

add_library(tessera_warnings INTERFACE)
target_compile_options(tessera_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror
  -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor -Wold-style-cast)
# (Every member of tessera's option structs has a default member initializer,
# so designated initializers that leave members out do not warn under -Wextra.)
# GCC 12 reports impossible sizes inside libstdc++'s std::string at -O3
# (GCC bugs 105329, 105651): false positives that say nothing about our code.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(tessera_warnings INTERFACE -Wno-stringop-overflow -Wno-array-bounds -Wno-restrict)
endif()
