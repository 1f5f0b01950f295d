// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The answer to a request tessera refused, from the error's condition:
    the status, the `WWW-Authenticate` challenge (RFC 6750 §3), `Retry-After`
    and whether to clear the credential's cookie.

    | outcome | status | `WWW-Authenticate` (a bearer credential) |
    |---|---|---|
    | no credential | 401 | `Bearer realm="…"`, no error code (RFC 6750 §3.1) |
    | credential refused (`rejected`) | 401 | `error="invalid_token"`; a description only for `expired` |
    | `invalid_request`, `weak_password` (`bad_request`) | 400 | `error="invalid_request"` |
    | CSRF refused (`forbidden`) | 403 | none |
    | throttled | 429 | none; `Retry-After` |
    | store unavailable | 503 | none: **never 401**, which makes a client throw good tokens away |
    | misconfigured, or an error of no tessera category | 500 | none |

    A refused credential says nothing of which check failed: a bad
    signature, a wrong issuer or audience, a revoked or unknown credential
    all read `invalid_token`; only an expiry is worth telling the client,
    which then refreshes. A cookie-carried credential gets no challenge (no
    `Authorization` scheme would help), and a refused one is cleared; a
    refusal of no credential (`carrier::none`: a login) gets neither.
*/

#include <tessera/core/error.hpp>
#include <tessera/http/credential.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace tessera::inline v0::http {

/// What to send back.
struct refusal {
    int status = 500;
    /** What the client may read of why, the same for every refusal of one kind (a body's `error`):
        `unauthenticated` (no credential), `invalid_token` (and `expired`, the one refusal worth
        telling apart), `bad_credentials` (a login's), `invalid_request` (and `weak_password`, a new
        password refused), `forbidden`, `rate_limited`, `unavailable`, `server_error`. Never which
        check failed.
    */
    std::string_view error = "server_error";
    /// The `WWW-Authenticate` value; empty: send none.
    std::string www_authenticate{};
    /// `Retry-After` in seconds, for 429 (and a 503 whose end is known).
    std::optional<std::chrono::seconds> retry_after{};
    /// Clear the credential's cookie (`cookie_policy::clear_cookie`): it will never be accepted again.
    bool clear_cookie = false;
};

/** The realm of the challenges, checked once.

    @par Example
    @code
    const http::challenge bearer{"api"};
    auto credential = http::find_credential(request);
    if (!credential) return send(bearer.refuse(credential.error(), http::carrier::bearer));
    if (!*credential) return send(bearer.missing());
    @endcode
*/
class challenge {
public:
    /// @throws tessera::error `invalid_configuration` for a realm that is empty or not a plain quoted-string body.
    explicit challenge(std::string realm) : realm_(std::move(realm))
    {
        if (realm_.empty() || realm_.size() > 256)
            throw error{errc::invalid_configuration, "a realm must have 1 to 256 characters"};
        for (const char c : realm_) {
            const auto u = static_cast<unsigned char>(c);
            if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\')
                throw error{errc::invalid_configuration, "a realm may hold printable ASCII but '\"' and '\\'"};
        }
    }

    /// A request with no credential: 401, `Bearer realm="…"` and no error code.
    [[nodiscard]] refusal missing() const { return {401, "unauthenticated", "Bearer realm=\"" + realm_ + "\""}; }

    /// A request refused with `ec`, whose credential came by `from` (`none`: a request that carried none, a login).
    [[nodiscard]] refusal refuse(const std::error_code& ec, carrier from = carrier::bearer,
                                 std::optional<std::chrono::seconds> retry_after = std::nullopt) const
    {
        refusal r;
        r.status = http_status(ec);
        r.error = public_error(ec, r.status);
        const bool bearer = from == carrier::bearer;
        if (r.status == 401) {
            r.clear_cookie = from == carrier::cookie;
            if (bearer) {
                r.www_authenticate = "Bearer realm=\"" + realm_ + "\", error=\"invalid_token\"";
                if (ec == errc::expired)
                    r.www_authenticate += ", error_description=\"The access token expired\"";
            }
        } else if (r.status == 400 && bearer) {
            r.www_authenticate = "Bearer realm=\"" + realm_ + "\", error=\"invalid_request\"";
        } else if (r.status == 429) {
            r.retry_after = retry_after.value_or(std::chrono::seconds{1});
        } else if (r.status == 503) {
            r.retry_after = retry_after;
        }
        return r;
    }

    [[nodiscard]] const std::string& realm() const noexcept { return realm_; }

private:
    static std::string_view public_error(const std::error_code& ec, int status) noexcept
    {
        switch (status) {
        case 400: return ec == errc::weak_password ? "weak_password" : "invalid_request";
        case 401:
            return ec == errc::expired ? "expired" : ec == errc::bad_credentials ? "bad_credentials" : "invalid_token";
        case 403: return "forbidden";
        case 429: return "rate_limited";
        case 503: return "unavailable";
        default: return "server_error";
        }
    }

    std::string realm_;
};

} // namespace tessera::inline v0::http
