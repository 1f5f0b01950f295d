// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `tessera::result<T>`: a value or a `std::error_code`, never an exception on
    the request path. It is `boost::system::result`, so `has_value()`, `*r`,
    `r.error()` and the throwing `r.value()` behave as Boost documents.
*/

#include <tessera/core/error.hpp>

#include <boost/system/result.hpp>

#include <system_error>

namespace tessera::inline v0 {

/// A `T` or the `std::error_code` saying why there is none.
template <class T>
using result = boost::system::result<T, std::error_code>;

/** The error half of a `result`, for `return fail(errc::expired);`.

    Converts to every `result<T>`, including `result<bool>`, which a bare
    `std::error_code` does not (an error code is explicitly convertible to bool).
*/
struct failure {
    std::error_code code;

    template <class T>
    operator result<T>() const noexcept // NOLINT(google-explicit-constructor): that is its purpose
    {
        return result<T>{boost::system::in_place_error, code};
    }
};

inline failure fail(errc e) noexcept
{
    return {make_error_code(e)};
}

/// A store's failure, with its cause: `return fail(store_failure::timeout);`.
inline failure fail(store_failure f) noexcept
{
    return {make_error_code(f)};
}

/// Passes on an error from another result: `return fail(r.error());`.
/// A remote key set's failure, with its cause: `return fail(fetch_failure::timeout);`.
inline failure fail(fetch_failure f) noexcept
{
    return {make_error_code(f)};
}

inline failure fail(std::error_code ec) noexcept
{
    return {ec};
}

} // namespace tessera::inline v0
