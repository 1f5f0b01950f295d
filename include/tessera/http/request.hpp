// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    What tessera reads of an HTTP request, whatever framework parsed it: the
    method, the target, and the values of a header field by name.

    Any type with `method()`, `target()` and `for_each_field(name, visit)`
    is an `http::request`: an adapter of a few lines makes a framework's
    request one (`tessera/beast.hpp` does so for Boost.Beast), and
    `request_view` is one over fields the caller holds. Nothing is copied:
    every value a function of this layer returns views the request.
*/

#include <tessera/core/ascii.hpp>
#include <tessera/core/result.hpp>

#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace tessera::inline v0::http {

/** A request as tessera reads it.

    `for_each_field(name, visit)` calls `visit(value)` for every field named
    `name` (compared without ASCII case, as RFC 9110 §5.1 says), in the
    order the request has them; a field sent twice is visited twice.
*/
template <class R>
concept request = requires(const R& r, std::string_view name, void (*visit)(std::string_view)) {
    { r.method() } -> std::convertible_to<std::string_view>;
    { r.target() } -> std::convertible_to<std::string_view>;
    r.for_each_field(name, visit);
};

/// One header field, viewing its name and value.
struct header_field {
    std::string_view name;
    std::string_view value;
};

/// A request over fields the caller holds (a test, a framework without an adapter).
class request_view {
public:
    constexpr request_view(std::string_view method, std::string_view target,
                           std::span<const header_field> fields = {}) noexcept
        : method_(method), target_(target), fields_(fields)
    {
    }

    [[nodiscard]] constexpr std::string_view method() const noexcept { return method_; }
    [[nodiscard]] constexpr std::string_view target() const noexcept { return target_; }

    template <class Visit>
    constexpr void for_each_field(std::string_view name, Visit&& visit) const
    {
        for (const auto& f : fields_)
            if (tessera::detail::equal_ignoring_ascii_case(f.name, name))
                visit(f.value);
    }

private:
    std::string_view method_;
    std::string_view target_;
    std::span<const header_field> fields_;
};

static_assert(request<request_view>);

/// How many fields named `name` the request has.
template <request R>
std::size_t field_count(const R& r, std::string_view name)
{
    std::size_t n = 0;
    r.for_each_field(name, [&](std::string_view) { ++n; });
    return n;
}

/** The value of a field that may appear once: nothing when absent, `invalid_request` when the request
    has it more than once (which copy a proxy or the application would read is not for tessera to guess).
*/
template <request R>
result<std::optional<std::string_view>> single_field(const R& r, std::string_view name)
{
    std::optional<std::string_view> value;
    bool twice = false;
    r.for_each_field(name, [&](std::string_view v) {
        twice = twice || value.has_value();
        value = v;
    });
    if (twice)
        return fail(errc::invalid_request);
    return value;
}

/// The value of `name`, or empty when it is absent or sent more than once (for fields read as hints).
template <request R>
std::string_view field_or_empty(const R& r, std::string_view name)
{
    auto v = single_field(r, name);
    return v && *v ? **v : std::string_view{};
}

} // namespace tessera::inline v0::http
