// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `refresh_rotation`: the revocation of the hybrid scheme,
    `authenticator<Store, Alg, refresh_rotation>`. Opaque, single-use refresh
    tokens in families, with reuse detection; every access token carries its
    family's id in the `sid` claim, and is accepted only while that family is
    alive. One store read per authenticate answers every revocation question:
    logout of this device (`revoke`), "log out everywhere" (`revoke_all`), a
    detected reuse, and a store that lost its state (no family: refused). Its
    behaviour is the hybrid scheme's (scheme/hybrid.hpp, over
    scheme/refresh_families.hpp).
*/

#include <string_view>

namespace tessera::inline v0 {

/// The hybrid scheme's revocation: refresh families in the store.
struct refresh_rotation {
    static constexpr bool needs_store = true;

    /// The claim naming the access token's family (OpenID Connect's session id claim).
    static constexpr std::string_view family_claim = "sid";
};

} // namespace tessera::inline v0
