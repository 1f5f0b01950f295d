// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `expiry_only`: stateless JWTs that nothing revokes before their `exp`.
    Keep them short-lived. `revoke` and `revoke_all` do not exist.
*/

#include <tessera/revocation/policy.hpp>

namespace tessera::inline v0 {

/// Nothing to check beyond the signature and the registered claims: costs nothing.
struct expiry_only {
    static constexpr bool needs_store = false;

    template <class Ctx>
    static result<void> check(Ctx&, const jwt::verified_claims&) noexcept
    {
        return {};
    }
};

} // namespace tessera::inline v0
