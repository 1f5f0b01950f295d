// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The hybrid scheme, `authenticator<Store, Alg, refresh_rotation>`: a
    short-lived JWT access token (the JWT scheme's core, jwt.hpp) and an
    opaque refresh token that rotates on every use, in a family kept in the
    store (refresh_families.hpp). Every access token names its family in
    `sid`, and is accepted only while the family is alive.
*/

#include <tessera/context.hpp>
#include <tessera/core/clock.hpp>
#include <tessera/core/result.hpp>
#include <tessera/credentials.hpp>
#include <tessera/events.hpp>
#include <tessera/options.hpp>
#include <tessera/revocation/refresh_rotation.hpp>
#include <tessera/scheme/jwt.hpp>
#include <tessera/scheme/refresh_families.hpp>
#include <tessera/scheme/scheme.hpp>
#include <tessera/store/concepts.hpp>

#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::inline v0 {

/** Hybrid: a short JWT access token and a rotating, server-side refresh token.

    Each login starts a refresh family (refresh_families.hpp); every access
    token names its family in `sid`, and `authenticate` accepts it only while
    the family is alive: one store read, which answers logout of this device
    (`revoke`), "log out everywhere" (`revoke_all`), a detected refresh-token
    reuse, and a store that lost its state, at once.

    @par Thread Safety
    Every member function may be called from many threads at once.
*/
template <store Storage, jwt::signing_policy Signing, clock Clock, class Events>
class hybrid_scheme {
    using core = detail::jwt_core<Signing>;
    using key_argument = typename core::key_argument;

public:
    /** With one signing key or a key ring (which must outlive it) for the access tokens.
        @throws tessera::error `invalid_configuration` without issuer/audience, for lifetimes that cannot
        work, or with a ring whose retention is shorter than the access-token lifetime plus leeway.
    */
    hybrid_scheme(Storage& store, key_argument key, authenticator_options options, Clock clock = {},
                  Events events = {})
        : core_{core::make(static_cast<key_argument&&>(key), std::move(options))}, store_(store),
          families_(store, core_.options.refresh, clock), clock_(std::move(clock)), events_(std::move(events))
    {
    }

    /// A new family: an access token and its first refresh token.
    result<credentials> issue(std::string_view subject, boost::json::object claims = {},
                              const session_context& context = {})
    {
        auto ctx = begin();
        auto family = families_.start(ctx.now, subject, claims, context);
        ctx.report(name, family, [] {});
        if (!family)
            return fail(family.error());
        auto token = mint(ctx, subject, std::move(claims), family->family, family->family_expires_at);
        if (!token) {
            (void)families_.end(family->family); // never handed out
            return fail(token.error());
        }
        ctx.emit({event_kind::session_created, name, ctx.now, subject, family->family, context.user_agent, context.ip});
        token->refresh_token = std::move(family->token);
        token->refresh_expires_at = family->expires_at;
        return token;
    }

    /// The access token, and its family alive (one store read).
    result<principal> authenticate(std::string_view access_token)
    {
        auto ctx = begin();
        auto claims = core_.verify(access_token, ctx.now);
        if (!claims)
            return fail(claims.error());
        if (auto r = family_alive(*claims); !r) {
            ctx.report(name, r, [] {}, [&](const std::error_code& e) {
                if (e == errc::revoked) {
                    auto event = detail::about(event_kind::revoked_credential_presented, name, ctx.now, *claims);
                    event.handle = *claims->find_string(refresh_rotation::family_claim);
                    ctx.emit(event);
                }
            });
            return fail(r.error());
        }
        return core::principal_of(std::move(*claims));
    }

    /** Exchanges a refresh token for a new access token and a new refresh token.

        @return `refresh_reused` when the token was already used (outside the
        grace window): its family is ended, and every access token minted
        from it; `unknown_session` for a token with no live family;
        `store_unavailable` when the store cannot answer, leaving the token
        usable (or its retry gets the same successor).
    */
    result<credentials> refresh(std::string_view refresh_token)
    {
        auto ctx = begin();
        std::string subject, family;
        family_info reuse;
        auto next = families_.rotate(
            ctx.now, refresh_token,
            [&](const refresh_families_grant& grant) {
                if constexpr (request::observed) {
                    subject = grant.subject;
                    family = grant.family;
                }
                return mint(ctx, grant.subject, grant.claims, grant.family, grant.family_expires_at);
            },
            request::observed ? &reuse : nullptr);
        ctx.report(
            name, next, [&] { ctx.emit({event_kind::refresh_rotated, name, ctx.now, subject, family}); },
            [&](const std::error_code& e) {
                if (e == errc::refresh_reused)
                    ctx.emit({event_kind::refresh_reuse_detected, name, ctx.now, reuse.subject, reuse.family,
                              reuse.user_agent, reuse.ip});
            });
        return next;
    }

    /// Ends the family of `refresh_token` (logout of this device) and its access tokens at once.
    result<bool> revoke(std::string_view refresh_token)
    {
        auto ctx = begin();
        auto revoked = families_.revoke(refresh_token);
        ctx.report(name, revoked, [&] {
            if (*revoked) // the token's first part names its family; it opens nothing alone
                ctx.emit({event_kind::session_revoked, name, ctx.now, {}, refresh_token.substr(0, 22)});
        });
        return revoked;
    }

    /** Ends one family of `subject` by the id `sessions(subject)` listed (a device logged out from the
        list), and its access tokens at once. True if it was live and `subject`'s; another subject's
        family is never touched.
        @return `malformed` for an id not of a family id's shape (the store is not asked).
    */
    result<bool> revoke_session(std::string_view subject, std::string_view family)
    {
        auto ctx = begin();
        auto revoked = families_.end_of(subject, family);
        ctx.report(name, revoked, [&] {
            if (*revoked)
                ctx.emit({event_kind::session_revoked, name, ctx.now, subject, family});
        });
        return revoked;
    }

    /// Ends every family of `subject`, and every access token minted from them; returns how many families.
    result<std::size_t> revoke_all(std::string_view subject)
    {
        auto ctx = begin();
        auto ended = families_.revoke_all(subject);
        ctx.report_revoke_all(name, subject, ended);
        return ended;
    }

    /// The subject's live refresh families ("where you're logged in").
    result<std::vector<family_info>> sessions(std::string_view subject)
    {
        auto ctx = begin();
        auto listed = families_.list(subject);
        ctx.report(name, listed, [] {});
        return listed;
    }

    [[nodiscard]] const authenticator_options& options() const noexcept { return core_.options; }

private:
    using request = request_context<Storage, Events>;
    static constexpr std::string_view name = "hybrid";

    /// The operation's context: the clock is read here, once.
    request begin() const { return request{store_, clock_.now(), core_.options, events_}; }

    /// `revoked` unless the token's family is alive; `missing_claim` without one.
    result<void> family_alive(const jwt::verified_claims& claims)
    {
        const auto sid = claims.find_string(refresh_rotation::family_claim); // read in place
        if (!sid)
            return fail(claims.find(refresh_rotation::family_claim) == nullptr ? errc::missing_claim
                                                                                 : errc::malformed);
        return families_.check_alive(*sid);
    }

    result<credentials> mint(const request& ctx, std::string_view subject, boost::json::object claims,
                             std::string_view family, time_point family_end)
    {
        auto c = core_.claims_for(subject, std::move(claims), ctx.now, family_end);
        c.set(refresh_rotation::family_claim, boost::json::string{family});
        return core_.sign(c);
    }

    core core_;
    Storage& store_;
    refresh_families<Storage, Clock> families_;
    [[no_unique_address]] Clock clock_;
    [[no_unique_address]] mutable Events events_;
};

template <store Storage, jwt::signing_policy Signing, clock Clock, class Events>
struct scheme_of<Storage, Signing, refresh_rotation, Clock, Events> {
    using type = hybrid_scheme<Storage, Signing, Clock, Events>;
};

} // namespace tessera::inline v0
