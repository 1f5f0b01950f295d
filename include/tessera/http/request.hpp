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

/// The longest path segment `path_segment` returns.
inline constexpr std::size_t max_path_segment_size = 128;

/** The one path segment that follows `prefix` in `target` (whose query is ignored), as a route such as
    `DELETE /api/sessions/{id}` takes its id; nothing unless it is 1 to `max_path_segment_size`
    unreserved characters (RFC 3986 §2.3: letters, digits, `-` `.` `_` `~`) and not `.` or `..`.
    So an id needs no decoding, and holds no `/`, no `%`, no dot segment and nothing a store's key
    syntax gives a meaning to; a target a proxy would normalise differently is refused, not guessed at.
*/
[[nodiscard]] constexpr std::optional<std::string_view> path_segment(std::string_view target,
                                                                     std::string_view prefix) noexcept
{
    const auto path = target.substr(0, target.find('?'));
    if (!path.starts_with(prefix))
        return std::nullopt;
    const auto segment = path.substr(prefix.size());
    if (segment.empty() || segment.size() > max_path_segment_size || segment == "." || segment == "..")
        return std::nullopt;
    for (const char c : segment)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_' || c == '~'))
            return std::nullopt;
    return segment;
}

static_assert(path_segment("/api/sessions/a-Z_9~?x=/", "/api/sessions/") == "a-Z_9~" &&
              !path_segment("/api/sessions/", "/api/sessions/") && !path_segment("/api/sessions/a/b", "/api/sessions/") &&
              !path_segment("/api/sessions/..", "/api/sessions/") && !path_segment("/api/sessions/%41", "/api/sessions/"));

} // namespace tessera::inline v0::http
