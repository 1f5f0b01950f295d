// SPDX-License-Identifier: BSL-1.0
#pragma once
// Helpers every suite uses.

#include <tessera/core/result.hpp>
#include <tessera/options.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <type_traits>

namespace test {

/// The error name of a failed result, or "ok": makes failures readable in the log.
template <class R>
std::string outcome(const R& r)
{
    return r ? std::string{"ok"} : tessera::to_string(r.error());
}

/// The value of a result the test needs; a failure ends the test case with the error's name.
template <class T>
T must(tessera::result<T> r)
{
    BOOST_TEST_REQUIRE(r.has_value(), "failed: " << tessera::to_string(r.error()));
    if constexpr (!std::is_void_v<T>)
        return std::move(*r);
}

/// Options for a JWT scheme, which must be told who issues its tokens and for which API.
inline tessera::authenticator_options named(tessera::authenticator_options o = {})
{
    o.issuer = "https://auth.example";
    o.audience = "api";
    return o;
}

} // namespace test
