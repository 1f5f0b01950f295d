// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `refresh_rotation`: the hybrid scheme's revocation. Opaque, single-use
    refresh tokens in families (`refresh_families`), with reuse detection;
    every access token carries its family's id in the `sid` claim, and is
    accepted only while that family is alive. One store read per
    authenticate answers every revocation question: logout of this device
    (`revoke`), "log out everywhere" (`revoke_all`), a detected reuse, and a
    store that lost its state (no family: refused).
*/

#include <tessera/revocation/policy.hpp>
#include <tessera/revocation/refresh_families.hpp>

#include <string_view>

namespace tessera::inline v0 {

struct refresh_rotation {
    static constexpr bool needs_store = true;

    /// The claim naming the access token's family (OpenID Connect's session id claim).
    static constexpr std::string_view family_claim = "sid";

    /// `revoked` unless the token's family is alive; `missing_claim` without one.
    template <class Ctx, class Families>
    static result<void> check(Ctx&, Families& families, const jwt::verified_claims& claims)
    {
        const auto* sid = claims.find(family_claim);
        if (sid == nullptr)
            return fail(errc::missing_claim);
        if (!sid->is_string())
            return fail(errc::malformed);
        return families.check_alive(sid->get_string());
    }
};

} // namespace tessera::inline v0
