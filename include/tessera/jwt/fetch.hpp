// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    How a remote key set reaches its provider: a **fetch policy**, any callable that takes a
    `fetch_request` (a URL, a validator, a deadline, a body limit) and answers a `fetch_response`
    (the status, the two headers a key set reads, the body) or a `fetch_failure`. tessera's own is
    `jwt::curl_fetcher` (curl_fetcher.hpp, component `tessera::curl`); tests and applications with
    their own HTTP client bring theirs.

    Also here: which URLs a key set may be fetched from (`detail::check_fetch_url`) and how a
    `Cache-Control` field is read (`detail::max_age_of`).
*/

#include <tessera/core/ascii.hpp>
#include <tessera/core/result.hpp>

#include <charconv>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::inline v0::jwt {

/// One GET a remote key set asks of its fetch policy.
struct fetch_request {
    /// An absolute `https` URL (plain `http` only to a loopback address), checked before it is asked.
    std::string_view url{};
    /// The `ETag` of the set in hand, sent as `If-None-Match`; empty: none (the answer must be 200).
    std::string_view if_none_match{};
    /// Ask caches on the way not to answer from what they keep (`Cache-Control: no-cache`): a refetch
    /// for a `kid` the set in hand lacks.
    bool no_cache = false;
    /// The whole exchange's deadline, connecting included.
    std::chrono::milliseconds timeout{5000};
    /// The longest body accepted: a longer one is `fetch_failure::too_large`, and is not read to its end.
    std::size_t max_body = 256 * 1024;
};

/// What the provider answered. Redirects are never followed: a 3xx is handed back as it came.
struct fetch_response {
    int status = 0;
    /// The `ETag` field, or empty (absent, or sent twice with different values).
    std::string etag{};
    /// Every `Cache-Control` field, joined by commas.
    std::string cache_control{};
    std::string body{};
};

/** A fetch policy: `result<fetch_response> operator()(const fetch_request&) const`, callable from
    several threads at once, bounded by the request's timeout and body limit, answering a transport
    failure with its `fetch_failure` (`unreachable`, `timeout`, `tls`, `too_large`).
*/
template <class F>
concept fetch_policy = requires(const F& fetch, const fetch_request& request) {
    { fetch(request) } -> std::same_as<result<fetch_response>>;
};

namespace detail {

/// A URL a key set may be fetched from, in parts.
struct fetch_url {
    bool https = false;
    std::string_view host{};
    std::uint16_t port = 0;
    /// `localhost`, an address in 127.0.0.0/8, or `[::1]`: plain `http` is accepted there only.
    bool loopback = false;
};

/// The longest URL a key set or a discovery document may name.
inline constexpr std::size_t max_url_size = 2048;

inline bool is_loopback_ipv4(std::string_view host) noexcept
{
    int parts = 0;
    unsigned first = 0;
    while (!host.empty()) {
        const auto dot = host.find('.');
        const auto part = host.substr(0, dot);
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (ec != std::errc{} || end != part.data() + part.size() || part.empty() || part.size() > 3 || value > 255 ||
            (part.size() > 1 && part.front() == '0'))
            return false;
        if (parts++ == 0)
            first = value;
        if (dot == std::string_view::npos)
            break;
        host.remove_prefix(dot + 1);
        if (host.empty())
            return false;
    }
    return parts == 4 && first == 127;
}

/** Checks `url`: `https://` or `http://` (lower case), a host, an optional port, a path; no user
    information, no fragment, nothing but printable ASCII, at most `max_url_size` bytes; `http` only
    to a loopback host. The host is not resolved: `localhost` counts as loopback because libcurl
    (7.78 and later) and every resolver tessera knows answer it with a loopback address only.
    @return the parts, or `fetch_failure::insecure_url`.
*/
inline result<fetch_url> check_fetch_url(std::string_view url) noexcept
{
    if (url.empty() || url.size() > max_url_size)
        return fail(fetch_failure::insecure_url);
    for (const char c : url)
        if (c <= ' ' || c >= 0x7f || c == '#' || c == '\\')
            return fail(fetch_failure::insecure_url);
    fetch_url out;
    if (url.starts_with("https://")) {
        out.https = true;
        url.remove_prefix(8);
    } else if (url.starts_with("http://")) {
        url.remove_prefix(7);
    } else {
        return fail(fetch_failure::insecure_url);
    }
    auto authority = url.substr(0, url.find_first_of("/?"));
    if (authority.empty() || authority.find('@') != std::string_view::npos)
        return fail(fetch_failure::insecure_url);
    std::string_view port;
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos)
            return fail(fetch_failure::insecure_url);
        out.host = authority.substr(0, close + 1);
        const auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':')
                return fail(fetch_failure::insecure_url);
            port = rest.substr(1);
        }
        out.loopback = out.host == "[::1]";
    } else {
        const auto colon = authority.find(':');
        out.host = authority.substr(0, colon);
        if (colon != std::string_view::npos)
            port = authority.substr(colon + 1);
        if (out.host.empty() || out.host.find_first_of("[]") != std::string_view::npos)
            return fail(fetch_failure::insecure_url);
        out.loopback = tessera::detail::equal_ignoring_ascii_case(out.host, "localhost") || is_loopback_ipv4(out.host);
    }
    if (authority.back() == ':')
        return fail(fetch_failure::insecure_url);
    if (!port.empty()) {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535 || port.size() > 5)
            return fail(fetch_failure::insecure_url);
        out.port = static_cast<std::uint16_t>(value);
    }
    if (!out.https && !out.loopback)
        return fail(fetch_failure::insecure_url);
    return out;
}

/** The freshness a `Cache-Control` field gives (RFC 9111 §5.2.2): `max-age`'s seconds; zero for
    `no-cache` or `no-store`; none when it says neither. A field that says it two ways (`max-age`
    twice with different values, a value that is not digits) gives the shortest reading, zero for a
    value it cannot read: a cache that cannot tell how long it may keep a set keeps it the least.
*/
inline std::optional<std::chrono::seconds> max_age_of(std::string_view field) noexcept
{
    std::optional<std::chrono::seconds> out;
    auto shortest = [&](std::chrono::seconds s) {
        if (!out || s < *out)
            out = s;
    };
    while (!field.empty()) {
        const auto comma = field.find(',');
        auto directive = tessera::detail::trim_ows(field.substr(0, comma));
        field = comma == std::string_view::npos ? std::string_view{} : field.substr(comma + 1);
        const auto eq = directive.find('=');
        const auto name = tessera::detail::trim_ows(directive.substr(0, eq));
        if (tessera::detail::equal_ignoring_ascii_case(name, "no-cache") ||
            tessera::detail::equal_ignoring_ascii_case(name, "no-store")) {
            shortest(std::chrono::seconds{0});
        } else if (tessera::detail::equal_ignoring_ascii_case(name, "max-age")) {
            const auto value = eq == std::string_view::npos ? std::string_view{}
                                                            : tessera::detail::trim_ows(directive.substr(eq + 1));
            std::int64_t seconds = 0;
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
            // RFC 9111 §1.2.2: a delta-seconds greater than 2^31 (however many digits) is taken as 2^31.
            constexpr std::int64_t greatest = std::int64_t{1} << 31;
            const bool digits = !value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos;
            if (digits && (ec == std::errc::result_out_of_range || seconds > greatest))
                seconds = greatest;
            else if (!digits || ec != std::errc{} || end != value.data() + value.size())
                seconds = 0;
            shortest(std::chrono::seconds{seconds});
        }
    }
    return out;
}

} // namespace detail

} // namespace tessera::inline v0::jwt
