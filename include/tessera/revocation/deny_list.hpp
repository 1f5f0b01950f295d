// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `deny_list`: one token revoked by its `(iss, jti)`, kept exactly until the
    token's `exp` (plus leeway), checked with one store read per authenticate.

    What a lost store means: a deny list records revocations, so a store that
    forgot its state (a `memory_store` after a restart, a restored backup)
    forgets them too, and the denied tokens work again until their `exp`.
    Keep access tokens short-lived, keep the deny list in a store that
    survives restarts, or add `token_version`, which fails closed:
    `all_of<deny_list, token_version>`.
*/

#include <tessera/revocation/policy.hpp>
#include <tessera/store/keys.hpp>

#include <string_view>

namespace tessera::inline v0 {

struct deny_list {
    static constexpr bool needs_store = true;

    /// The deny entry of a token: the unit separator keeps (iss, jti) a pair.
    static keys::key_text key(std::string_view iss, std::string_view jti)
    {
        keys::key_text k{keys::kind::deny, iss};
        k.append('\x1f').append(jti);
        return k;
    }

    /// The record to read: `missing_claim` without a `jti` (no token tessera issued lacks one).
    template <class Ctx>
    static result<keys::key_text> lookup(Ctx&, const jwt::verified_claims& claims)
    {
        if (claims.jwt_id().empty())
            return fail(errc::missing_claim);
        return key(claims.issuer(), claims.jwt_id());
    }

    /// `revoked` if the token's deny entry is there.
    template <class Ctx>
    static result<void> judge(Ctx&, const jwt::verified_claims&, const record_view* denied)
    {
        if (denied != nullptr)
            return fail(errc::revoked);
        return {};
    }

    /// `revoked` if denied; one store read.
    template <class Ctx>
    static result<void> check(Ctx& ctx, const jwt::verified_claims& claims)
    {
        return check_by_lookup<deny_list>(ctx, claims);
    }

    /** Denies the token until the verifier would refuse it anyway: its `exp` plus leeway, plus twice
        the store's `max_clock_skew` (`clock_skew_of`), so that an instance whose clock is behind the
        revoker's still finds the entry for as long as it would accept the token.
    */
    template <class Ctx>
    static result<void> revoke(Ctx& ctx, const jwt::verified_claims& claims)
    {
        if (claims.jwt_id().empty())
            return fail(errc::missing_claim);
        const auto exp = claims.expires_at();
        if (!exp)
            return fail(errc::missing_claim);
        return ctx.store.put(key(claims.issuer(), claims.jwt_id()), "",
                             *exp + ctx.options.leeway + 2 * clock_skew_of(ctx.store), {});
    }
};

} // namespace tessera::inline v0
