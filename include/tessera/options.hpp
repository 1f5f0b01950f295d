// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The options of every scheme: sessions, refresh families, and
    `authenticator_options`, which holds them with the lifetimes and names the
    JWT schemes share; validated when an authenticator is made. Plain structs
    over `core` only, so that any layer may name them.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/error.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace tessera::inline v0 {

/// Lifetimes of sessions; validated when a `session_manager` is made.
struct session_options {
    /// A session unused this long ends (OWASP: 15-30 minutes for most applications).
    std::chrono::seconds idle_timeout = std::chrono::minutes{30};
    /// A session ends this long after login, however active it is.
    std::chrono::seconds absolute_timeout = std::chrono::hours{12};
    /// `last_seen` is written at most this often, so a busy user does not cost a write per request.
    std::chrono::seconds renewal_interval = std::chrono::minutes{1};
};

/// Where a session was created from; shown when a user lists their sessions.
struct session_context {
    std::string user_agent{};
    std::string ip{};
};

/// Lifetimes of refresh tokens and families.
struct refresh_options {
    /// A refresh token unused this long expires (RFC 9700: expire after inactivity).
    std::chrono::seconds token_ttl = std::chrono::hours{24 * 30};
    /// A family ends this long after login, however often it is refreshed.
    std::chrono::seconds family_lifetime = std::chrono::hours{24 * 30};
    /// A second use of the immediately previous token within this window gets the same successor. At most 60 s.
    std::chrono::seconds grace = std::chrono::seconds{0};
};

/// The largest grace window tessera allows.
inline constexpr std::chrono::seconds max_refresh_grace{60};

/// Lifetimes and names shared by every scheme; validated when the authenticator is made.
struct authenticator_options {
    /** `iss` of issued tokens, and the only issuer accepted. Required by every
        JWT scheme (there is no default: two services that shared a key and a
        default name would accept each other's tokens).
    */
    std::string issuer{};
    /// `aud` of issued tokens, and the audience required. Required by every JWT scheme.
    std::string audience{};
    /// Lifetime of a JWT access token.
    std::chrono::seconds access_ttl = std::chrono::minutes{15};
    /// Clock skew tolerated when verifying access tokens.
    std::chrono::seconds leeway = std::chrono::seconds{60};
    /// Name of the claim carrying the subject's token version (`token_version`).
    std::string version_claim = "ver";
    /** Access tokens remembered once verified, by their exact bytes (0, the default: none; JWT and
        hybrid schemes). A token presented again skips its signature check and its parse; its
        lifetime and the revocation policy are checked on every request as before. Worth most for
        asymmetric algorithms (an EdDSA or ECDSA check costs tens of microseconds).
        See `jwt::verify_options::cache_size`.
    */
    std::size_t verified_cache = 0;
    /// Sessions (session scheme).
    session_options session{};
    /// Refresh tokens and families (hybrid scheme).
    refresh_options refresh{};
};

namespace detail {

/// @throws tessera::error `invalid_configuration`, saying which setting and why.
inline void validate(const authenticator_options& o, bool jwt_scheme)
{
    const auto refuse = [](const char* why) { throw error{errc::invalid_configuration, why}; };
    if (o.access_ttl <= std::chrono::seconds{0} || o.access_ttl > max_lifetime)
        refuse("tessera: access_ttl must be positive and at most 100 years");
    if (o.leeway < std::chrono::seconds{0} || o.leeway > std::chrono::minutes{5})
        refuse("tessera: leeway must be between 0 and 5 minutes");
    if (jwt_scheme && (o.issuer.empty() || o.audience.empty()))
        refuse("tessera: a JWT scheme needs options.issuer and options.audience (who issues its tokens, and the "
               "API they are for); without them two services sharing a key would accept each other's tokens");
    if (o.version_claim.empty())
        refuse("tessera: version_claim must not be empty");
}

} // namespace detail

} // namespace tessera::inline v0
