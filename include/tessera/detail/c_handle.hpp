// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `c_handle<T, Free>`: the sole owner of an object a C library allocated,
    released with that library's function (`PQfinish`, `freeReplyObject`...)
    whichever way the scope ends.
*/

#include <memory>

namespace tessera::inline v0::detail {

/// Calls `Free` on what a `std::unique_ptr` releases.
template <auto Free>
struct freed_by {
    template <class T>
    void operator()(T* p) const noexcept
    {
        Free(p);
    }
};

template <class T, auto Free>
using c_handle = std::unique_ptr<T, freed_by<Free>>;

} // namespace tessera::inline v0::detail
