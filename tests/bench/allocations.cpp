// SPDX-License-Identifier: BSL-1.0
// The binary's malloc, calloc and realloc, which the dynamic linker gives every shared library in
// place of the C library's: each counts, then calls the C library's own (glibc's `__libc_` names),
// so memory from either is freed alike.
#include "allocations.hpp"

#include <cstddef>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
}

namespace {
thread_local std::uint64_t counted = 0;
}

std::uint64_t bench::allocations() noexcept { return counted; }

extern "C" {
void* malloc(std::size_t n)
{
    ++counted;
    return __libc_malloc(n);
}
void* calloc(std::size_t count, std::size_t size)
{
    ++counted;
    return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t n)
{
    ++counted;
    return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
}
