// SPDX-License-Identifier: BSL-1.0
// The one Boost.Test entry point; every suite lives in its own source file.
#define BOOST_TEST_MODULE tessera
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <new>

// Every allocation of this program is counted on the thread that makes it, so that a test can
// assert what one call allocates (test::allocations in support.hpp).
namespace test {
thread_local long allocations_here = 0;
long allocations() noexcept { return allocations_here; }
} // namespace test

void* operator new(std::size_t size)
{
    ++test::allocations_here;
    if (void* p = std::malloc(size == 0 ? 1 : size))
        return p;
    throw std::bad_alloc{};
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept
{
    ++test::allocations_here;
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
