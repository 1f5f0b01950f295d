// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The JWT scheme, `authenticator<Storage, Alg, Revocation>` with a
    revocation policy (revocation/policy.hpp): signed access tokens that any
    service verifies with the key alone, and whatever revocation the policy
    adds. `detail::jwt_core` — the signer, the verifier and the options — is
    what every JWT-carrying scheme holds; the hybrid scheme (hybrid.hpp) is
    built on it too.
*/

#include <tessera/context.hpp>
#include <tessera/core/clock.hpp>
#include <tessera/core/random.hpp>
#include <tessera/core/result.hpp>
#include <tessera/credentials.hpp>
#include <tessera/events.hpp>
#include <tessera/jwt/key_ring.hpp>
#include <tessera/jwt/sign.hpp>
#include <tessera/jwt/verify.hpp>
#include <tessera/options.hpp>
#include <tessera/revocation/policy.hpp>
#include <tessera/scheme/scheme.hpp>
#include <tessera/store/concepts.hpp>

#include <boost/json/object.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace tessera::inline v0 {

namespace detail {

inline jwt::verify_options verify_options_of(const authenticator_options& o)
{
    jwt::verify_options v;
    v.issuers = {o.issuer};
    v.audiences = {o.audience};
    v.leeway = o.leeway;
    v.type = "JWT";
    v.cache_size = o.verified_cache;
    return v;
}

/// The keys of a JWT scheme: one signing key and the verifier of its public half, or a key ring.
template <jwt::signing_policy Signing>
struct jwt_keys {
    using argument = jwt::signing_key_t<Signing>;

    jwt::signer<Signing> signer;
    jwt::verifier<Signing> verifier;

    static jwt_keys make(argument key, jwt::verify_options verify, const authenticator_options&)
    {
        auto verification = verification_of(key);
        return jwt_keys{jwt::signer<Signing>{std::move(key)},
                        jwt::verifier<Signing>{std::move(verification), std::move(verify)}};
    }

    static jwt::verification_key_t<Signing> verification_of(const argument& key)
    {
        if constexpr (jwt::symmetric_algorithm<Signing>)
            return key;
        else
            return key.public_key();
    }

    result<jwt::verified_claims> verify(std::string_view token, time_point now) const
    {
        return verifier.verify(token, now);
    }
    result<std::string> sign(const jwt::claims& c) const { return signer.sign(c); }
};

template <jwt::algorithm Alg, class RingEvents>
struct jwt_keys<jwt::key_ring<Alg, RingEvents>> {
    using argument = const jwt::key_ring<Alg, RingEvents>&;

    jwt::ring_keys<Alg, RingEvents> ring;

    /// @throws tessera::error `invalid_configuration` when a retired key would stop verifying before
    /// the access tokens it signed expire.
    static jwt_keys make(argument ring, jwt::verify_options verify, const authenticator_options& o)
    {
        if (ring.options().retention < o.access_ttl + o.leeway)
            throw error{errc::invalid_configuration, "tessera: the key ring's retention is shorter than the access-token "
                                                     "lifetime plus leeway: a rotation would refuse live tokens"};
        return jwt_keys{jwt::ring_keys<Alg, RingEvents>{ring, std::move(verify)}};
    }

    result<jwt::verified_claims> verify(std::string_view token, time_point now) const
    {
        return ring.verify(token, now);
    }
    result<std::string> sign(const jwt::claims& c) const { return ring.sign(c); }
};

/// What every JWT authenticator holds, whatever its policies: the sizeof baseline.
template <jwt::signing_policy Signing>
struct jwt_core {
    using key_argument = typename jwt_keys<Signing>::argument;

    jwt_keys<Signing> keys;
    authenticator_options options;

    static jwt_core make(key_argument key, authenticator_options options)
    {
        validate(options, true);
        auto verify_options = verify_options_of(options);
        auto keys = jwt_keys<Signing>::make(static_cast<key_argument&&>(key), std::move(verify_options), options);
        return jwt_core{std::move(keys), std::move(options)};
    }

    result<jwt::verified_claims> verify(std::string_view token, time_point now) const
    {
        return keys.verify(token, now);
    }

    /// Registered claims of a new token; `exp` no later than `not_after`.
    jwt::claims claims_for(std::string_view subject, boost::json::object extra, time_point now,
                           time_point not_after) const
    {
        jwt::claims c{std::move(extra)};
        c.subject(subject).issuer(options.issuer).audience(options.audience);
        c.issued_at(now).expires_at(std::min(now + options.access_ttl, not_after)).jwt_id(random_id());
        return c;
    }

    /// Signs, refusing what the verifier would refuse for its size.
    result<credentials> sign(const jwt::claims& c) const
    {
        auto token = keys.sign(c);
        if (!token)
            return fail(token.error());
        if (token->size() > jwt::default_max_token_size)
            return fail(errc::token_too_large);
        const auto exp = c.json().at("exp").as_int64();
        return credentials{std::move(*token), time_point{std::chrono::seconds{exp}}, {}, {}};
    }

    static principal principal_of(jwt::verified_claims&& claims)
    {
        // Read in place by the verifier; the claims' text moves into the principal, parsed only if read.
        std::string subject{claims.subject()};
        std::string id{claims.jwt_id()};
        const auto expires_at = claims.expires_at().value_or(time_point{});
        return principal{std::move(subject), std::move(claims).release(), expires_at, std::move(id)};
    }
};

/// An event about the verified token `claims`: its subject, and its `jti` as the handle.
inline security_event about(event_kind kind, std::string_view scheme, time_point at, const jwt::verified_claims& claims)
{
    return security_event{kind, scheme, at, claims.subject(), claims.jwt_id()};
}

} // namespace detail

/** JWT access tokens: `authenticator<Storage, Alg, Revocation>` with a revocation policy.

    The authenticator calls its policy (revocation/policy.hpp) and knows
    none by name: `issue` runs the policy's `issue` before signing,
    `authenticate` its `check` after verifying, and `revoke`/`revoke_all`
    exist exactly when the policy offers them. With `expiry_only` and
    `stateless` storage it touches no store at all.

    @par Thread Safety
    Every member function may be called from many threads at once.
*/
template <class Storage, jwt::signing_policy Signing, class Revocation, clock Clock, class Events>
class jwt_scheme {
    using request = request_context<Storage, Events>;
    using core = detail::jwt_core<Signing>;
    using key_argument = typename core::key_argument;
    static constexpr std::string_view name = "jwt";

public:
    /** A stateless authenticator (`expiry_only`), with one signing key or a key ring (which must
        outlive it). @throws tessera::error `invalid_configuration` without issuer/audience, or with a
        ring whose retention is shorter than the access-token lifetime plus leeway.
    */
    explicit jwt_scheme(key_argument key, authenticator_options options, Clock clock = {}, Events events = {})
        requires std::is_same_v<Storage, stateless>
        : core_{core::make(static_cast<key_argument&&>(key), std::move(options))}, clock_(std::move(clock)),
          events_(std::move(events))
    {
    }

    /// An authenticator whose revocation state lives in `store`.
    jwt_scheme(Storage& store, key_argument key, authenticator_options options, Clock clock = {}, Events events = {})
        requires(!std::is_same_v<Storage, stateless>)
        : core_{core::make(static_cast<key_argument&&>(key), std::move(options))}, storage_(store),
          clock_(std::move(clock)), events_(std::move(events))
    {
    }

    /** A signed access token for `subject` with `claims` added (registered claims are set by tessera).
        @return `malformed` for an empty or oversized subject, `token_too_large` for claims
        that would make a token the verifier refuses.
    */
    result<credentials> issue(std::string_view subject, boost::json::object claims = {},
                              const session_context& = {})
    {
        if (auto ok = check_subject(subject); !ok)
            return fail(ok.error());
        auto ctx = begin();
        auto c = core_.claims_for(subject, std::move(claims), ctx.now, time_point::max());
        if constexpr (policy_issues<Revocation, request>) {
            auto r = Revocation::issue(ctx, subject, c);
            ctx.report(name, r, [] {});
            if (!r)
                return fail(r.error());
        }
        return core_.sign(c);
    }

    /// Verifies signature and claims, then asks the revocation policy.
    result<principal> authenticate(std::string_view token)
    {
        auto ctx = begin();
        auto claims = core_.verify(token, ctx.now);
        if (!claims)
            return fail(claims.error());
        if (auto r = Revocation::check(ctx, *claims); !r) {
            ctx.report(name, r, [] {}, [&](const std::error_code& e) {
                if (e == errc::revoked)
                    ctx.emit(detail::about(event_kind::revoked_credential_presented, name, ctx.now, *claims));
            });
            return fail(r.error());
        }
        return core::principal_of(std::move(*claims));
    }

    /// Revokes `token` as the policy does it (`deny_list`: until its `exp`). True once done.
    result<bool> revoke(std::string_view token)
        requires policy_revokes<Revocation, request>
    {
        auto ctx = begin();
        auto claims = core_.verify(token, ctx.now);
        if (!claims)
            return fail(claims.error());
        const auto revoked = Revocation::revoke(ctx, *claims);
        ctx.report(name, revoked,
                   [&] { ctx.emit(detail::about(event_kind::session_revoked, name, ctx.now, *claims)); });
        return revoked ? result<bool>{true} : fail(revoked.error());
    }

    /** Makes every token issued so far to `subject` fail (`revoked`), as the policy does it
        (`token_version`: a new version). Returns the number of server-side records ended (0 for token versions).
    */
    result<std::size_t> revoke_all(std::string_view subject)
        requires policy_revokes_all<Revocation, request>
    {
        auto ctx = begin();
        auto ended = Revocation::revoke_all(ctx, subject);
        ctx.report_revoke_all(name, subject, ended);
        return ended;
    }

    [[nodiscard]] const authenticator_options& options() const noexcept { return core_.options; }

private:
    /// The operation's context: the clock is read here, once.
    request begin() const { return request{storage_.get(), clock_.now(), core_.options, events_}; }

    core core_;
    [[no_unique_address]] detail::storage_ref<Storage> storage_;
    [[no_unique_address]] Clock clock_;
    [[no_unique_address]] mutable Events events_;
};

template <class Storage, jwt::signing_policy Signing, class Revocation, clock Clock, class Events>
    requires(revocation_policy<Revocation, Storage> && (!Revocation::needs_store || store<Storage>))
struct scheme_of<Storage, Signing, Revocation, Clock, Events> {
    using type = jwt_scheme<Storage, Signing, Revocation, Clock, Events>;
};

} // namespace tessera::inline v0
