// SPDX-License-Identifier: BSL-1.0
#pragma once
// Heap allocations counted in the benchmark binary: every malloc, calloc and realloc of this
// thread, from tessera, Botan, Boost, the peers' C libraries and OpenSSL alike (operator new
// calls malloc), so that every library's count is made the same way.

#include <cstdint>

namespace bench {

/// This thread's allocations so far.
std::uint64_t allocations() noexcept;

} // namespace bench
