# Warnings are errors for tessera's own targets (tests, examples, benchmarks),
# never for the targets of a project that consumes tessera.
include_guard(GLOBAL)

add_library(tessera_warnings INTERFACE)
target_compile_options(tessera_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror
  -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor -Wold-style-cast
  # GCC 12 warns about members left out of designated initializers, which is
  # how tessera's option structs are meant to be used.
  -Wno-missing-field-initializers)
