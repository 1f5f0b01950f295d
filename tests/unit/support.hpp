// SPDX-License-Identifier: BSL-1.0
#pragma once
// Helpers every suite uses.

#include <tessera/core/result.hpp>
#include <tessera/options.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <type_traits>

namespace test {

/// How many times this thread has called `operator new` so far (counted by the test program's own).
long allocations() noexcept;

/** How many allocations `f()` makes on this thread. */
template <class F>
long allocations_of(F&& f)
{
    const long before = allocations();
    f();
    return allocations() - before;
}

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

namespace tessera::inline v0::jwt {
}

/// What every suite's file names without qualification: `using namespace test::suite;`.
namespace test::suite {
using namespace std::chrono_literals;
using test::allocations_of;
using test::must;
using test::named;
using test::outcome;
namespace jwt = tessera::jwt;
} // namespace test::suite
