#pragma once

/** @file
    What an authenticator hands out (`credentials`) and what it finds out (`principal`).
*/

#include <tessera/core/clock.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <string>

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
    /// The verified JWT claims, or the session's attributes.
    boost::json::object claims;
    time_point expires_at;
    /// The `jti`, or the session's handle: what to revoke later.
    std::string id;
    /// Sessions: the expiry moved, re-send the cookie with `max_age`.
    bool renewed = false;
    std::chrono::seconds max_age{0};
};

} // namespace tessera::inline v0
