// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Equality of secrets in time that depends only on their lengths.
*/

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace tessera::inline v0 {

namespace detail {

/// `v`, hidden from the optimizer: it cannot know a difference was found and stop early.
inline std::uint64_t value_barrier(std::uint64_t v) noexcept
{
#if defined(__GNUC__) || defined(__clang__)
    __asm__("" : "+r"(v));
#endif
    return v;
}

} // namespace detail

/** True when `a` and `b` hold the same bytes.

    The time taken depends on the lengths alone, never on where the first
    difference is, so a MAC, a session secret or a CSRF token cannot be
    guessed one byte at a time. Lengths are not secret (they are fixed by the
    algorithm), so unequal lengths return early. Eight bytes a step: every
    difference is OR-ed into one word that is read only at the end, through a
    barrier the compiler cannot see through (so it cannot return early either).
*/
inline bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept
{
    if (a.size() != b.size())
        return false;
    const std::size_t n = a.size();
    std::uint64_t diff = 0;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t x, y;
        std::memcpy(&x, a.data() + i, 8);
        std::memcpy(&y, b.data() + i, 8);
        diff = detail::value_barrier(diff | (x ^ y));
    }
    for (; i < n; ++i)
        diff = detail::value_barrier(diff | static_cast<std::uint64_t>(a[i] ^ b[i]));
    return diff == 0;
}

/// `constant_time_equal` for secrets held as text (base64url ids, CSRF tokens).
inline bool constant_time_equal(std::string_view a, std::string_view b) noexcept
{
    return constant_time_equal(std::span{reinterpret_cast<const std::uint8_t*>(a.data()), a.size()},
                               std::span{reinterpret_cast<const std::uint8_t*>(b.data()), b.size()});
}

} // namespace tessera::inline v0
