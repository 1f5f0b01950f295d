// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Cookies for session ids and refresh tokens: rendering `Set-Cookie` with
    safe defaults and enforced prefix rules, and reading a `Cookie` header
    that an attacker wrote.
*/

#include <tessera/core/ascii.hpp>
#include <tessera/core/result.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::inline v0::http {

/// The SameSite attribute; always written explicitly.
enum class same_site { strict, lax, none };

/// Longest cookie (name and value) tessera writes or accepts (RFC 6265 §6.1 minimum, OWASP ASVS 5 §3.3.5).
inline constexpr std::size_t max_cookie_size = 4096;
/// Longest `Cookie` header tessera reads; longer ones are ignored whole.
inline constexpr std::size_t max_cookie_header_size = 16 * 1024;

/// `Cache-Control` value for every response that sets a session cookie (no shared cache may keep it).
inline constexpr std::string_view cache_control_no_store = "no-store";
/// `Clear-Site-Data` value for logout responses: the browser drops this site's cookies.
inline constexpr std::string_view clear_site_data_cookies = "\"cookies\"";

/** How a cookie is written. The defaults are the strictest that work for a
    session on one host: the `__Host-` prefix, `Secure`, `HttpOnly`,
    `SameSite=Lax`, `Path=/`, no `Domain`, no `Max-Age` (a browser-session cookie).
*/
struct cookie_options {
    std::string name = "__Host-session";
    std::string path = "/";
    /// Empty: the cookie goes back only to the host that set it.
    std::string domain{};
    bool secure = true;
    bool http_only = true;
    http::same_site same_site = same_site::lax;
};

/** The refresh token's cookie (hybrid scheme): `__Secure-refresh`, sent only to `path` (the refresh
    endpoint, which must also be where the application ends a family), `SameSite=Strict`, `Secure`,
    `HttpOnly`. The `__Secure-` prefix, since `__Host-` requires `Path=/`.
*/
inline cookie_options refresh_cookie_options(std::string path = "/refresh")
{
    return {.name = "__Secure-refresh", .path = std::move(path), .same_site = same_site::strict};
}

namespace detail {

/// RFC 9110 tchar: the characters of a cookie name.
constexpr bool is_token_char(char c) noexcept
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

/// RFC 6265 §4.1.1 cookie-octet: printable ASCII except space, `"`, `,`, `;` and `\`.
constexpr bool is_cookie_octet(char c) noexcept
{
    const auto u = static_cast<unsigned char>(c);
    return u == 0x21 || (u >= 0x23 && u <= 0x2b) || (u >= 0x2d && u <= 0x3a) || (u >= 0x3c && u <= 0x5b) ||
           (u >= 0x5d && u <= 0x7e);
}

constexpr bool all_of(std::string_view s, bool (*pred)(char) noexcept) noexcept
{
    for (char c : s)
        if (!pred(c))
            return false;
    return true;
}

constexpr bool is_path_char(char c) noexcept
{
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f && c != ';';
}

constexpr bool is_domain_char(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

} // namespace detail

/** Why `options` cannot make a cookie, or nothing if they can.

    The prefix rules (RFC 6265bis §4.1.3) are enforced here, once, so a
    misconfigured cookie is a startup error and never a silent downgrade:
    `__Host-` needs Secure, Path=/ and no Domain; `__Secure-` needs Secure;
    `SameSite=None` needs Secure.
*/
constexpr std::optional<std::string_view> cookie_options_error(const cookie_options& o) noexcept
{
    if (o.name.empty() || !detail::all_of(o.name, detail::is_token_char))
        return "cookie name must be a non-empty token";
    if (o.path.empty() || o.path.front() != '/' || !detail::all_of(o.path, detail::is_path_char))
        return "cookie path must start with '/' and hold no ';' or control characters";
    if (!detail::all_of(o.domain, detail::is_domain_char))
        return "cookie domain may hold only letters, digits, '-' and '.'";
    // The prefixes are matched case-insensitively by browsers (RFC 6265bis).
    auto has_prefix = [&](std::string_view prefix) {
        return tessera::detail::starts_with_ignoring_ascii_case(o.name, prefix);
    };
    if (has_prefix("__Host-")) {
        if (!o.secure)
            return "__Host- cookies must be Secure";
        if (o.path != "/")
            return "__Host- cookies must have Path=/";
        if (!o.domain.empty())
            return "__Host- cookies must not have a Domain";
    }
    if (has_prefix("__Secure-") && !o.secure)
        return "__Secure- cookies must be Secure";
    if (o.same_site == same_site::none && !o.secure)
        return "SameSite=None cookies must be Secure";
    return std::nullopt;
}

/** Writes one cookie's `Set-Cookie` header values.

    @par Example
    @code
    const http::cookie_policy session_cookie{};                    // __Host-session; Secure; HttpOnly; Lax
    res.set("Set-Cookie", *session_cookie.set_cookie(login->id));
    res.set("Cache-Control", http::cache_control_no_store);
    @endcode
*/
class cookie_policy {
public:
    /// @throws tessera::error `invalid_configuration` with the reason from `cookie_options_error`.
    explicit cookie_policy(cookie_options options = {}) : options_(std::move(options))
    {
        if (auto reason = cookie_options_error(options_))
            throw error{errc::invalid_configuration, std::string{*reason}};
    }

    /** The `Set-Cookie` value carrying `value`.

        @param max_age omitted: a cookie that ends with the browser session.
        @return `malformed` if `value` holds characters a cookie cannot carry
        or name and value exceed 4096 bytes.
    */
    [[nodiscard]] result<std::string> set_cookie(std::string_view value,
                                                 std::optional<std::chrono::seconds> max_age = std::nullopt) const
    {
        if (!detail::all_of(value, detail::is_cookie_octet) || options_.name.size() + value.size() > max_cookie_size)
            return fail(errc::malformed);
        std::string out = options_.name;
        out += '=';
        out += value;
        if (max_age)
            out += "; Max-Age=" + std::to_string(std::max<std::int64_t>(max_age->count(), 0));
        append_attributes(out);
        return out;
    }

    /// The `Set-Cookie` value that deletes the cookie (logout): empty, expired.
    [[nodiscard]] std::string clear_cookie() const
    {
        std::string out = options_.name + "=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
        append_attributes(out);
        return out;
    }

    [[nodiscard]] const std::string& name() const noexcept { return options_.name; }
    [[nodiscard]] const cookie_options& options() const noexcept { return options_; }

private:
    void append_attributes(std::string& out) const
    {
        out += "; Path=";
        out += options_.path;
        if (!options_.domain.empty()) {
            out += "; Domain=";
            out += options_.domain;
        }
        if (options_.secure)
            out += "; Secure";
        if (options_.http_only)
            out += "; HttpOnly";
        switch (options_.same_site) {
        case same_site::strict: out += "; SameSite=Strict"; break;
        case same_site::lax: out += "; SameSite=Lax"; break;
        case same_site::none: out += "; SameSite=None"; break;
        }
    }

    cookie_options options_;
};

/// One `name=value` pair of a `Cookie` header, viewing the header.
struct cookie_pair {
    std::string_view name;
    std::string_view value;
};

/** `visit(pair)` for each well-formed pair of a `Cookie` request header (RFC 6265 §5.4), in order.

    Never throws on content and never fails: pairs without `=`, with an
    empty or non-token name, or with a value holding characters no cookie
    can carry are skipped; a value in double quotes is unquoted. A header
    longer than `max_cookie_header_size` yields nothing.
*/
template <class Visit>
void for_each_cookie(std::string_view header, Visit&& visit)
{
    if (header.size() > max_cookie_header_size)
        return;
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
            s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
            s.remove_suffix(1);
        return s;
    };
    while (!header.empty()) {
        const auto end = header.find(';');
        const auto piece = trim(header.substr(0, end));
        header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
        const auto eq = piece.find('=');
        if (eq == std::string_view::npos)
            continue;
        const auto name = trim(piece.substr(0, eq));
        auto value = trim(piece.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        if (name.empty() || !detail::all_of(name, detail::is_token_char) ||
            !detail::all_of(value, detail::is_cookie_octet) || name.size() + value.size() > max_cookie_size)
            continue;
        visit(cookie_pair{name, value});
    }
}

/// The pairs `for_each_cookie` visits, in a vector.
inline std::vector<cookie_pair> parse_cookie_header(std::string_view header)
{
    std::vector<cookie_pair> out;
    for_each_cookie(header, [&](const cookie_pair& pair) { out.push_back(pair); });
    return out;
}

/** The value of cookie `name` in a `Cookie` header, or nothing.

    @return `malformed` when the header holds `name` twice with different
    values: a browser sends both when a subdomain has planted a cookie of the
    same name (cookie tossing), and guessing which is genuine is how session
    fixation gets in. The same value twice is accepted.
*/
inline result<std::optional<std::string_view>> find_cookie(std::string_view header, std::string_view name)
{
    std::optional<std::string_view> found;
    bool ambiguous = false;
    for_each_cookie(header, [&](const cookie_pair& pair) {
        if (pair.name != name)
            return;
        ambiguous = ambiguous || (found && *found != pair.value);
        found = pair.value;
    });
    if (ambiguous)
        return fail(errc::malformed);
    return found;
}

} // namespace tessera::inline v0::http
