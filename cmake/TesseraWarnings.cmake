# Warnings are errors for tessera's own targets (tests, examples, benchmarks),
# never for the targets of a project that consumes tessera.
include_guard(GLOBAL)

add_library(tessera_warnings INTERFACE)
target_compile_options(tessera_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror
  -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor -Wold-style-cast)
