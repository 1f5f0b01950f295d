// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `authenticator_options`: the lifetimes and names every scheme shares,
    validated when an authenticator is made.
*/

#include <tessera/core/error.hpp>
#include <tessera/revocation/refresh_families.hpp>
#include <tessera/session/session.hpp>

#include <chrono>
#include <string>

namespace tessera::inline v0 {

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
