// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Cross-site request forgery defences for credentials carried in cookies
    (OWASP CSRF Prevention Cheat Sheet).

    Two layers, both failing with `csrf_mismatch`:
    - `check_origin`: the browser's own account of where a request comes from.
      `Sec-Fetch-Site` first; without it an exact `Origin` match; without
      that an exact match of the `Referer`'s origin; with none of them an
      unsafe request is refused.
    - `csrf_tokens`: a signed double-submit token, `HMAC(key, binding ‖ nonce)`,
      bound to the session (or refresh family, or a pre-login cookie for the
      login form itself). A new session means a new binding, so tokens rotate
      at login by construction.
*/

#include <tessera/core/base64url.hpp>
#include <tessera/core/constant_time.hpp>
#include <tessera/core/random.hpp>
#include <tessera/core/result.hpp>
#include <tessera/core/secret.hpp>
#include <tessera/events.hpp>

#include <botan/mac.h>

#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::inline v0::http {

/// The request headers the origin check reads (empty when absent).
struct request_origin {
    std::string_view method{};
    std::string_view sec_fetch_site{};
    std::string_view origin{};
    std::string_view referer{};
};

/// Who may send state-changing requests.
struct origin_policy {
    /// Exact origins (`https://app.example.com`, with a port when not the default) allowed to send unsafe requests.
    std::vector<std::string> trusted_origins{};
    /// Accept `Sec-Fetch-Site: same-site` (sibling subdomains). Off: a subdomain takeover is not a CSRF vector.
    bool allow_same_site = false;
};

namespace detail {

inline bool is_safe_method(std::string_view m) noexcept
{
    return m == "GET" || m == "HEAD" || m == "OPTIONS";
}

/// `scheme://host[:port]` of a URL, or empty if it has none.
inline std::string_view origin_of(std::string_view url) noexcept
{
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos || scheme == 0)
        return {};
    const auto end = url.find_first_of("/?#", scheme + 3);
    return url.substr(0, end);
}

inline bool trusted(const origin_policy& p, std::string_view origin) noexcept
{
    for (const auto& o : p.trusted_origins)
        if (o == origin)
            return true;
    return false;
}

} // namespace detail

/** Refuses unsafe requests that a browser says, or cannot deny, come from another site.

    Safe methods (GET, HEAD, OPTIONS) always pass: they must not change state.
    Comparisons are exact, so `https://example.org.attacker.com` is not
    `https://example.org`, and `Origin: null` matches nothing.
*/
inline result<void> check_origin(const request_origin& r, const origin_policy& policy)
{
    if (detail::is_safe_method(r.method))
        return {};
    if (!r.sec_fetch_site.empty()) {
        if (r.sec_fetch_site == "same-origin" || r.sec_fetch_site == "none")
            return {};
        if (r.sec_fetch_site == "same-site" && policy.allow_same_site)
            return {};
        return fail(errc::csrf_mismatch);
    }
    if (!r.origin.empty())
        return detail::trusted(policy, r.origin) ? result<void>{} : fail(errc::csrf_mismatch);
    if (!r.referer.empty()) {
        const auto origin = detail::origin_of(r.referer);
        return !origin.empty() && detail::trusted(policy, origin) ? result<void>{} : fail(errc::csrf_mismatch);
    }
    return fail(errc::csrf_mismatch);
}

namespace detail {

/// `checked`, after telling `events` of a refusal (`csrf_refused`, at `now`).
template <event_sink Events>
result<void> told_csrf(result<void> checked, Events& events, time_point now)
{
    if (!checked)
        events(security_event{event_kind::csrf_refused, {}, now, {}, {}, {}, {}, 0, checked.error()});
    return checked;
}

} // namespace detail

/// `check_origin`, telling `events` of a refusal (`csrf_refused`, at `now`).
template <event_sink Events>
result<void> check_origin(const request_origin& r, const origin_policy& policy, Events& events, time_point now)
{
    return detail::told_csrf(check_origin(r, policy), events, now);
}

/** Signed double-submit CSRF tokens.

    @par Thread Safety
    `issue` and `verify` may be called from many threads at once.
*/
class csrf_tokens {
public:
    static constexpr std::size_t nonce_bytes = 16;
    static constexpr std::size_t mac_bytes = 32;
    /// Length of a token: base64url of nonce ‖ MAC.
    static constexpr std::size_t token_length = base64url::encoded_size(nonce_bytes + mac_bytes);

    /// @throws tessera::error `invalid_configuration` for a key shorter than 32 bytes.
    explicit csrf_tokens(secret key) : key_(std::move(key))
    {
        if (key_.size() < 32)
            throw error{errc::invalid_configuration, "a CSRF key needs at least 32 bytes"};
    }

    /// A new token bound to `binding` (the session handle, the refresh family, or a pre-login cookie value).
    [[nodiscard]] std::string issue(std::string_view binding) const
    {
        std::array<std::uint8_t, nonce_bytes + mac_bytes> raw;
        random_bytes(std::span{raw}.first(nonce_bytes));
        mac(binding, std::span{raw}.first(nonce_bytes), std::span{raw}.last(mac_bytes));
        return base64url::encode(raw);
    }

    /// `csrf_mismatch` unless `token` was issued for `binding` by this key. Constant-time.
    [[nodiscard]] result<void> verify(std::string_view token, std::string_view binding) const
    {
        std::array<std::uint8_t, nonce_bytes + mac_bytes> raw;
        if (token.size() != token_length)
            return fail(errc::csrf_mismatch);
        if (auto n = base64url::decode_into(token, raw); !n || *n != raw.size())
            return fail(errc::csrf_mismatch);
        std::array<std::uint8_t, mac_bytes> expected;
        mac(binding, std::span{raw}.first(nonce_bytes), expected);
        if (!constant_time_equal(expected, std::span{raw}.last(mac_bytes)))
            return fail(errc::csrf_mismatch);
        return {};
    }

    /// `verify`, telling `events` of a refusal (`csrf_refused`, at `now`; neither the token nor the binding).
    template <event_sink Events>
    [[nodiscard]] result<void> verify(std::string_view token, std::string_view binding, Events& events,
                                      time_point now) const
    {
        return detail::told_csrf(verify(token, binding), events, now);
    }

private:
    void mac(std::string_view binding, std::span<const std::uint8_t> nonce, std::span<std::uint8_t> out) const
    {
        auto hmac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
        hmac->set_key(key_.reveal().data(), key_.size());
        // Length-prefix the binding so (binding, nonce) pairs cannot be re-split.
        const std::uint64_t length = binding.size();
        std::array<std::uint8_t, 8> prefix;
        for (std::size_t i = 0; i < 8; ++i)
            prefix[i] = static_cast<std::uint8_t>(length >> (56 - 8 * i));
        hmac->update(prefix.data(), prefix.size());
        hmac->update(reinterpret_cast<const std::uint8_t*>(binding.data()), binding.size());
        hmac->update(nonce.data(), nonce.size());
        hmac->final(out.data());
    }

    secret key_;
};

} // namespace tessera::inline v0::http
