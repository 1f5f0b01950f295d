// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Equality of secrets in time that depends only on their lengths.
*/

#include <botan/mem_ops.h>

#include <cstdint>
#include <span>
#include <string_view>

namespace tessera::inline v0 {

/** True when `a` and `b` hold the same bytes.

    The time taken depends on the lengths alone, never on where the first
    difference is, so a MAC, a session secret or a CSRF token cannot be
    guessed one byte at a time. Lengths are not secret (they are fixed by the
    algorithm), so unequal lengths return early.
*/
inline bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept
{
    if (a.size() != b.size())
        return false;
    return Botan::constant_time_compare(a.data(), b.data(), a.size());
}

/// `constant_time_equal` for secrets held as text (base64url ids, CSRF tokens).
inline bool constant_time_equal(std::string_view a, std::string_view b) noexcept
{
    return constant_time_equal(std::span{reinterpret_cast<const std::uint8_t*>(a.data()), a.size()},
                               std::span{reinterpret_cast<const std::uint8_t*>(b.data()), b.size()});
}

} // namespace tessera::inline v0
