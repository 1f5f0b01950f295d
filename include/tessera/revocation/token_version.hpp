// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `token_version`: a per-subject version carried in every token; `revoke_all`
    replaces it, and every token carrying an older one is `revoked`.

    The version is not a counter but 128 random bits, kept in the store under
    `ver:` + subject and copied into each token's `ver` claim (the claim's
    name is `options.version_claim`). This is what makes it fail closed:
    - a token whose subject has no version in the store is refused: a token
      tessera issued always had one, so its absence means the store lost its
      state (a `memory_store` restarted, a SQLite file recreated, a record
      corrupted) and nothing it revoked may come back;
    - after such a loss, the next login draws a new random version, which no
      old token carries (a counter would restart at a number old tokens have).
    A store restored from an older backup holds an older version, and tokens
    revoked after that backup match it again: after restoring, also rotate the
    signing key (which ends every token at once).

    Costs one store read per authenticate and, at issue, one read (and a write
    the first time, or once in half the record's lifetime).
*/

#include <tessera/core/random.hpp>
#include <tessera/revocation/policy.hpp>
#include <tessera/store/keys.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace tessera::inline v0 {

struct token_version {
    static constexpr bool needs_store = true;

    /// How long a subject's version is kept after it was last written: far beyond any token it guards.
    static constexpr std::chrono::seconds horizon = std::chrono::hours{24 * 400};

    static keys::key_text key(std::string_view subject) { return {keys::kind::token_version, subject}; }

    /// Puts the subject's current version in the token, creating it on the subject's first token.
    template <class Ctx>
    static result<void> issue(Ctx& ctx, std::string_view subject, jwt::claims& claims)
    {
        const auto k = key(subject);
        auto found = ctx.store.get(k);
        if (!found)
            return fail(found.error());
        std::string version;
        if (*found) {
            version = std::move((*found)->value);
            // Kept alive while the subject keeps logging in; a failed extension costs nothing now.
            if ((*found)->expires_at - ctx.now < horizon / 2)
                (void)ctx.store.replace(k, version, ctx.now + horizon);
        } else {
            version = random_id(16);
            auto created = ctx.store.insert(k, version, ctx.now + horizon, {});
            if (!created)
                return fail(created.error());
            if (!*created) { // another login created it first: use that one
                auto again = ctx.store.get(k);
                if (!again)
                    return fail(again.error());
                if (!*again)
                    return fail(store_failure::corrupt_reply);
                version = std::move((*again)->value);
            }
        }
        claims.set(ctx.options.version_claim, boost::json::string{version});
        return {};
    }

    /// The record to read: `missing_claim` without a version claim, `malformed` if it is not a string.
    template <class Ctx>
    static result<keys::key_text> lookup(Ctx& ctx, const jwt::verified_claims& claims)
    {
        if (!claims.find_string(ctx.options.version_claim)) // absent, or not a string (read in place)
            return fail(claims.find(ctx.options.version_claim) == nullptr ? errc::missing_claim : errc::malformed);
        return key(claims.subject());
    }

    /// `revoked` unless the token's version is the subject's current one.
    template <class Ctx>
    static result<void> judge(Ctx& ctx, const jwt::verified_claims& claims, const record_view* current)
    {
        const auto ver = claims.find_string(ctx.options.version_claim);
        // No version where one must be: the store lost it. Fail closed.
        if (!ver || current == nullptr || current->value != *ver)
            return fail(errc::revoked);
        return {};
    }

    /// `revoked` unless the token's version is the subject's current one; one store read.
    template <class Ctx>
    static result<void> check(Ctx& ctx, const jwt::verified_claims& claims)
    {
        return check_by_lookup<token_version>(ctx, claims);
    }

    /// A new version for `subject`: every token issued to it so far is `revoked`. Counts nothing (returns 0).
    template <class Ctx>
    static result<std::size_t> revoke_all(Ctx& ctx, std::string_view subject)
    {
        if (auto r = ctx.store.put(key(subject), random_id(16), ctx.now + horizon, {}); !r)
            return fail(r.error());
        return std::size_t{0};
    }
};

} // namespace tessera::inline v0
