// SPDX-License-Identifier: BSL-1.0
// The libFuzzer entry point for every target: the target is chosen by the
// environment variable TESSERA_FUZZ_TARGET (one binary, built once by clang).
// `./dev fuzz [seconds]` runs each target in turn.

#include "targets.hpp"

#include <cstdio>
#include <cstdlib>

namespace {
const tessera_fuzz::target* chosen = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    const char* name = std::getenv("TESSERA_FUZZ_TARGET");
    chosen = name != nullptr ? tessera_fuzz::find(name) : nullptr;
    if (chosen == nullptr) {
        std::fprintf(stderr, "set TESSERA_FUZZ_TARGET to one of:");
        for (const auto& t : tessera_fuzz::targets)
            std::fprintf(stderr, " %s", t.name);
        std::fprintf(stderr, "\n");
        std::exit(2);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    tessera_fuzz::run(*chosen, data, size);
    return 0;
}
