// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Finding a request's credential: `Authorization: Bearer` (RFC 6750 §2.1)
    or the scheme's cookie, and never both.

    Everything here is read as hostile. The `Bearer` scheme name is matched
    without case (RFC 9110 §11.1), the token must be a `b64token`, the
    request may carry one `Authorization` field, and a credential sent two
    ways is refused: which of the two an intermediary or the application
    would have used is exactly what an attacker hopes to choose. Each
    refusal is `invalid_request` (400).
*/

#include <tessera/core/ascii.hpp>
#include <tessera/core/result.hpp>
#include <tessera/http/cookie.hpp>
#include <tessera/http/request.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tessera::inline v0::http {

/// Longest `Authorization` value read (a token is refused far below it, at `max_token_size`).
inline constexpr std::size_t max_authorization_size = 16 * 1024;

namespace detail {

/// The characters of a `b64token` before its padding, as a table: one load per character.
inline constexpr auto b64token_chars = [] {
    std::array<std::uint8_t, 256> t{};
    for (unsigned char c = 'a'; c <= 'z'; ++c)
        t[c] = 1;
    for (unsigned char c = 'A'; c <= 'Z'; ++c)
        t[c] = 1;
    for (unsigned char c = '0'; c <= '9'; ++c)
        t[c] = 1;
    for (char c : std::string_view{"-._~+/"})
        t[static_cast<unsigned char>(c)] = 1;
    return t;
}();

/// RFC 6750 §2.1 `b64token`: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
constexpr bool is_b64token(std::string_view t) noexcept
{
    const auto is_token_char = [&](std::size_t at) { return b64token_chars[static_cast<unsigned char>(t[at])]; };
    std::size_t i = 0;
    // Eight characters a step with no branch between them (a token is hundreds of characters long);
    // the step that holds the first other character is walked one by one.
    for (; i + 8 <= t.size(); i += 8)
        if ((is_token_char(i) & is_token_char(i + 1) & is_token_char(i + 2) & is_token_char(i + 3) &
             is_token_char(i + 4) & is_token_char(i + 5) & is_token_char(i + 6) & is_token_char(i + 7)) == 0)
            break;
    while (i < t.size() && is_token_char(i) != 0)
        ++i;
    if (i == 0)
        return false;
    for (; i < t.size(); ++i)
        if (t[i] != '=')
            return false;
    return true;
}

static_assert(is_b64token("eyJ.a-b_c~d+e/f==") && !is_b64token("") && !is_b64token("==") && !is_b64token("a=b") &&
              !is_b64token("a b") && !is_b64token("a,b"));

} // namespace detail

/** The token of an `Authorization: Bearer` field.

    @return nothing without an `Authorization` field, or with one of another scheme (`Basic`, `DPoP`:
    not a bearer credential); `invalid_request` for two `Authorization` fields, for a `Bearer` field
    whose value is not one `b64token` after one or more spaces, or for one over `max_authorization_size`.
*/
template <request R>
result<std::optional<std::string_view>> bearer_token(const R& r)
{
    auto field = single_field(r, "Authorization");
    if (!field)
        return fail(field.error());
    if (!*field)
        return std::nullopt;
    const std::string_view value = **field;
    if (value.size() > max_authorization_size)
        return fail(errc::invalid_request);
    constexpr std::string_view scheme = "Bearer";
    const auto scheme_end = value.find_first_of(" \t");
    if (!tessera::detail::equal_ignoring_ascii_case(value.substr(0, scheme_end), scheme))
        return std::nullopt; // another scheme, or a bare word that is none
    if (scheme_end == std::string_view::npos || value[scheme_end] != ' ')
        return fail(errc::invalid_request); // "Bearer" with no token, or not after a space
    const auto token_start = value.find_first_not_of(' ', scheme_end);
    if (token_start == std::string_view::npos)
        return fail(errc::invalid_request);
    const auto token = value.substr(token_start);
    if (!detail::is_b64token(token))
        return fail(errc::invalid_request);
    return token;
}

/** The value of cookie `name` across the request's `Cookie` fields (HTTP/2 may split one header in
    several).

    @return nothing when absent; `invalid_request` when the cookie is there twice with different
    values (a cookie planted by a sibling host beside the genuine one: guessing is how fixation gets in).
*/
template <request R>
result<std::optional<std::string_view>> request_cookie(const R& r, std::string_view name)
{
    std::optional<std::string_view> found;
    bool ambiguous = false;
    r.for_each_field("Cookie", [&](std::string_view header) {
        auto here = find_cookie(header, name);
        if (!here || (*here && found && **here != *found)) {
            ambiguous = true;
            return;
        }
        if (*here)
            found = **here;
    });
    if (ambiguous)
        return fail(errc::invalid_request);
    return found;
}

/// How a request carried its credential.
enum class carrier {
    /// It carried none.
    none,
    /// `Authorization: Bearer`.
    bearer,
    /// The scheme's cookie.
    cookie,
};

/// A credential found in a request, viewing it.
struct presented {
    std::string_view value{};
    http::carrier carrier = carrier::none;
    [[nodiscard]] explicit operator bool() const noexcept { return carrier != carrier::none; }
};

/** The request's credential: its bearer token, or its cookie `cookie_name` (empty: bearer only).

    @return `carrier::none` when it has neither; `invalid_request` when it has both (RFC 6750 §2: one
    method per request), or when either is malformed as `bearer_token` and `request_cookie` say.
*/
template <request R>
result<presented> find_credential(const R& r, std::string_view cookie_name = {})
{
    auto bearer = bearer_token(r);
    if (!bearer)
        return fail(bearer.error());
    std::optional<std::string_view> cookie;
    if (!cookie_name.empty()) {
        auto c = request_cookie(r, cookie_name);
        if (!c)
            return fail(c.error());
        cookie = *c;
    }
    if (*bearer && cookie)
        return fail(errc::invalid_request);
    if (*bearer)
        return presented{**bearer, carrier::bearer};
    if (cookie)
        return presented{*cookie, carrier::cookie};
    return presented{};
}

} // namespace tessera::inline v0::http
