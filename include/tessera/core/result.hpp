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

/// The error half of a `result`, for `return fail(errc::expired);`.
inline std::error_code fail(errc e) noexcept
{
    return make_error_code(e);
}

} // namespace tessera::inline v0
