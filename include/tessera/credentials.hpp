// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    What an authenticator hands out (`credentials`) and what it finds out (`principal`).
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/result.hpp>
#include <tessera/detail/claim_set.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace tessera::inline v0 {

/// What `issue` and `refresh` hand to the client.
struct credentials {
    /// The session id (session scheme) or the JWT access token.
    std::string access_token;
    time_point access_expires_at;
    /// The refresh token (hybrid scheme only; empty otherwise). Send it only in an HttpOnly cookie.
    std::string refresh_token;
    time_point refresh_expires_at;
};

/// Who made a request, as `authenticate` found out.
struct principal {
    std::string subject;
    /// The verified JWT claims (read from the token's payload when first asked for), or the session's attributes.
    claim_set claims;
    time_point expires_at;
    /// The `jti`, or the session's handle: what to revoke later.
    std::string id;
    /// Sessions: the expiry moved, re-send the cookie with `max_age`.
    bool renewed = false;
    std::chrono::seconds max_age{0};
};

/// The longest subject tessera issues a credential to (an e-mail address is at most 254 bytes).
inline constexpr std::size_t max_subject_size = 1024;

/** Refuses at `issue` a subject that nothing could later authenticate or revoke:
    empty (it would be in no subject index, so "log out everywhere" could not
    find it) or longer than `max_subject_size`.
    @return `malformed` for such a subject.
*/
inline result<void> check_subject(std::string_view subject) noexcept
{
    if (subject.empty() || subject.size() > max_subject_size)
        return fail(errc::malformed);
    return {};
}

} // namespace tessera::inline v0
