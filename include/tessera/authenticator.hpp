// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `authenticator<Storage, Signing, Revocation, Clock>`: three policies that
    compose into a session scheme, a JWT scheme or the hybrid scheme.

    | operation | session | jwt | hybrid |
    |---|---|---|---|
    | `issue` | new session, its id | signed access token | access token + refresh token (new family) |
    | `authenticate` | store lookup, timeouts, renewal | signature + claims (+ deny list / version) | access token, version checked |
    | `refresh` | rotate the id | does not exist | rotate the refresh token, new access token |
    | `revoke` | delete the session | what the policies offer (`deny_list`: deny the token) | end the family |
    | `revoke_all` | delete all sessions of the subject | what the policies offer (`token_version`: new version) | end all families |
    | `sessions` | list sessions | does not exist | list families |

    Every scheme satisfies `authentication_scheme`; `revoke` returns
    `result<bool>` and `revoke_all` `result<std::size_t>` wherever they exist.
    An operation a scheme cannot honour does not exist for it: calling it is a
    compile error. Invalid combinations do not compile either, with a
    `static_assert` that says what to write instead.

    A JWT authenticator knows none of its revocation policies by name: it
    calls them (revocation/policy.hpp), so a user-written policy composes
    with the built-in ones.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/result.hpp>
#include <tessera/credentials.hpp>
#include <tessera/jwt/sign.hpp>
#include <tessera/jwt/verify.hpp>
#include <tessera/options.hpp>
#include <tessera/revocation/policies.hpp>
#include <tessera/revocation/refresh_families.hpp>
#include <tessera/session/session.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/memory.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace tessera::inline v0 {

/// The Signing policy of sessions: a random 256-bit id whose meaning is in the store.
struct opaque {};

/// What every scheme offers: `issue` a credential, `authenticate` one.
template <class A>
concept authentication_scheme = requires(A& a, std::string_view text) {
    { a.issue(text) } -> std::same_as<result<credentials>>;
    { a.authenticate(text) } -> std::same_as<result<principal>>;
    { a.options() } -> std::same_as<const authenticator_options&>;
};

/// A scheme that can end one credential: `revoke(credential)`, true if it was live.
template <class A>
concept revocable_scheme = authentication_scheme<A> && requires(A& a, std::string_view credential) {
    { a.revoke(credential) } -> std::same_as<result<bool>>;
};

/// A scheme that can end every credential of a subject ("log out everywhere").
template <class A>
concept subject_revocable_scheme = authentication_scheme<A> && requires(A& a, std::string_view subject) {
    { a.revoke_all(subject) } -> std::same_as<result<std::size_t>>;
};

/// A scheme with `refresh` (sessions: a new id; hybrid: a new pair).
template <class A>
concept refreshable_scheme = authentication_scheme<A> && requires(A& a, std::string_view credential) {
    { a.refresh(credential) } -> std::same_as<result<credentials>>;
};

namespace detail {

template <class T>
inline constexpr bool always_false = false;

inline jwt::verify_options verify_options_of(const authenticator_options& o)
{
    jwt::verify_options v;
    v.issuers = {o.issuer};
    v.audiences = {o.audience};
    v.leeway = o.leeway;
    v.type = "JWT";
    return v;
}

/// Where an authenticator keeps its store: nothing for `stateless`, a reference otherwise.
template <class Storage>
struct storage_ref {
    explicit storage_ref(Storage& s) noexcept : store(&s) {}
    Storage* store;
    Storage& get() const noexcept { return *store; }
};
template <>
struct storage_ref<stateless> {
    stateless& get() const noexcept
    {
        static stateless none;
        return none;
    }
};

} // namespace detail

/** The composition of a storage, a signing and a revocation policy.

    The primary template is reached only by combinations that make no sense;
    it explains what to write instead.
*/
template <class Storage, class Signing, class Revocation, clock Clock = system_clock>
class authenticator {
    static_assert(!std::is_same_v<Signing, opaque> || !std::is_same_v<Storage, stateless>,
                  "tessera: opaque credentials live in a store; use authenticator<memory_store, opaque, "
                  "server_side> (session_authenticator<>) or a JWS algorithm with stateless storage");
    static_assert(!std::is_same_v<Signing, opaque> || std::is_same_v<Revocation, server_side>,
                  "tessera: sessions (opaque) are revoked by deleting their record; use server_side");
    static_assert(std::is_same_v<Signing, opaque> || !std::is_same_v<Revocation, server_side>,
                  "tessera: server_side revocation is for opaque session ids; for JWTs use expiry_only, deny_list, "
                  "token_version, all_of<...> or refresh_rotation");
    static_assert(std::is_same_v<Storage, stateless> || store<Storage>,
                  "tessera: the Storage policy must be stateless or satisfy tessera::store");
    static_assert(std::is_same_v<Signing, opaque> || jwt::algorithm<Signing>,
                  "tessera: the Signing policy must be opaque or a JWS algorithm such as hs256 or eddsa");
    static_assert(std::is_same_v<Revocation, refresh_rotation> || std::is_same_v<Revocation, server_side> ||
                      revocation_policy<Revocation, Storage>,
                  "tessera: the Revocation policy must be server_side, refresh_rotation or a revocation policy "
                  "(an empty type with needs_store and a static check(ctx, claims); see revocation/policy.hpp)");
    static_assert(!Revocation::needs_store || !std::is_same_v<Storage, stateless>,
                  "tessera: this revocation policy keeps state (deny list, token versions or refresh families); "
                  "give the authenticator a store, e.g. authenticator<memory_store, hs256, deny_list>");
    static_assert(detail::always_false<Revocation>, "tessera: unsupported combination of policies");
};

// ---- the session scheme -------------------------------------------------------

/** Server-side sessions: `authenticator<Store, opaque, server_side>`.

    @par Thread Safety
    Every member function may be called from many threads at once.
*/
template <store Storage, clock Clock>
class authenticator<Storage, opaque, server_side, Clock> {
public:
    /// @throws tessera::error `invalid_configuration` for lifetimes that cannot work.
    explicit authenticator(Storage& store, authenticator_options options = {}, Clock clock = {})
        : options_(checked(std::move(options))), sessions_(store, options_.session, clock), clock_(std::move(clock))
    {
    }

    /// Starts a session; `claims` become its attributes. `malformed` for an empty or oversized subject.
    result<credentials> issue(std::string_view subject, boost::json::object claims = {},
                              const session_context& context = {})
    {
        return credentials_of(sessions_.create(subject, context, std::move(claims)));
    }

    /// Looks the session up, enforcing idle and absolute timeouts, renewing when due.
    result<principal> authenticate(std::string_view session_id)
    {
        auto found = sessions_.validate(session_id);
        if (!found)
            return fail(found.error());
        const auto expires_at = clock_.now() + found->max_age;
        return principal{std::move(found->data.subject), std::move(found->data.attributes), expires_at,
                         std::move(found->handle), found->renewed, found->max_age};
    }

    /// A new session id for the same session (login, privilege change); the old id dies.
    result<credentials> refresh(std::string_view session_id) { return credentials_of(sessions_.rotate(session_id)); }

    /// As `refresh`, and the session's attributes become `attributes`, in the same step (a role granted).
    result<credentials> refresh(std::string_view session_id, boost::json::object attributes)
    {
        return credentials_of(sessions_.rotate(session_id, std::move(attributes)));
    }

    /// Ends the session (logout). True if it was live.
    result<bool> revoke(std::string_view session_id) { return sessions_.revoke(session_id); }

    /// Ends every session of `subject`; returns how many were live.
    result<std::size_t> revoke_all(std::string_view subject) { return sessions_.revoke_all(subject); }

    result<std::vector<session_info>> sessions(std::string_view subject) { return sessions_.sessions(subject); }

    [[nodiscard]] const authenticator_options& options() const noexcept { return options_; }

private:
    static authenticator_options checked(authenticator_options o)
    {
        detail::validate(o, false);
        return o;
    }

    static result<credentials> credentials_of(result<issued_session> s)
    {
        if (!s)
            return fail(s.error());
        const auto expiry = s->data.created_at + s->max_age;
        return credentials{std::move(s->id), expiry, {}, {}};
    }

    authenticator_options options_;
    session_manager<Storage, Clock> sessions_;
    [[no_unique_address]] Clock clock_;
};

// ---- the JWT scheme -----------------------------------------------------------

namespace detail {

/// What every JWT authenticator holds, whatever its policies: the sizeof baseline.
template <jwt::algorithm Alg>
struct jwt_core {
    jwt::signer<Alg> signer;
    jwt::verifier<Alg> verifier;
    authenticator_options options;

    static jwt_core make(jwt::signing_key_t<Alg> key, authenticator_options options)
    {
        validate(options, true);
        auto verification = verification_of(key);
        auto verify_options = verify_options_of(options);
        return jwt_core{jwt::signer<Alg>{std::move(key)},
                        jwt::verifier<Alg>{std::move(verification), std::move(verify_options)}, std::move(options)};
    }

    static jwt::verification_key_t<Alg> verification_of(const jwt::signing_key_t<Alg>& key)
    {
        if constexpr (jwt::symmetric_algorithm<Alg>)
            return key;
        else
            return key.public_key();
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
        auto token = signer.sign(c);
        if (!token)
            return fail(token.error());
        if (token->size() > jwt::default_max_token_size)
            return fail(errc::token_too_large);
        const auto exp = c.json().at("exp").as_int64();
        return credentials{std::move(*token), time_point{std::chrono::seconds{exp}}, {}, {}};
    }

    static principal principal_of(jwt::verified_claims claims)
    {
        // The verifier checked every registered claim's type; read them in one pass.
        const auto& r = claims.registered();
        std::string subject{r.sub != nullptr ? std::string_view{r.sub->get_string()} : std::string_view{}};
        std::string id{r.jti != nullptr ? std::string_view{r.jti->get_string()} : std::string_view{}};
        const auto expires_at =
            r.exp != nullptr
                ? time_point{std::chrono::seconds{*jwt::detail::numeric_date(*r.exp, jwt::detail::rounding::down)}}
                : time_point{};
        // Constructed, not assigned: the claims' table moves, nothing is copied.
        return principal{std::move(subject), std::move(claims).json(), expires_at, std::move(id)};
    }
};

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
template <class Storage, jwt::algorithm Alg, class Revocation, clock Clock>
    requires(revocation_policy<Revocation, Storage> && (!Revocation::needs_store || store<Storage>))
class authenticator<Storage, Alg, Revocation, Clock> {
    using context = policy_context<Storage>;

public:
    /// A stateless authenticator (`expiry_only`). @throws tessera::error `invalid_configuration` without issuer/audience.
    explicit authenticator(jwt::signing_key_t<Alg> key, authenticator_options options, Clock clock = {})
        requires std::is_same_v<Storage, stateless>
        : core_{detail::jwt_core<Alg>::make(std::move(key), std::move(options))}, clock_(std::move(clock))
    {
    }

    /// An authenticator whose revocation state lives in `store`.
    authenticator(Storage& store, jwt::signing_key_t<Alg> key, authenticator_options options, Clock clock = {})
        requires(!std::is_same_v<Storage, stateless>)
        : core_{detail::jwt_core<Alg>::make(std::move(key), std::move(options))}, storage_(store),
          clock_(std::move(clock))
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
        auto ctx = context_at(clock_.now());
        auto c = core_.claims_for(subject, std::move(claims), ctx.now, time_point::max());
        if constexpr (policy_issues<Revocation, context>)
            if (auto r = Revocation::issue(ctx, subject, c); !r)
                return fail(r.error());
        return core_.sign(c);
    }

    /// Verifies signature and claims, then asks the revocation policy.
    result<principal> authenticate(std::string_view token)
    {
        const auto now = clock_.now();
        auto claims = core_.verifier.verify(token, now);
        if (!claims)
            return fail(claims.error());
        if constexpr (!std::is_same_v<Revocation, expiry_only>) {
            auto ctx = context_at(now);
            if (auto r = Revocation::check(ctx, *claims); !r)
                return fail(r.error());
        }
        return detail::jwt_core<Alg>::principal_of(std::move(*claims));
    }

    /// Revokes `token` as the policy does it (`deny_list`: until its `exp`). True once done.
    result<bool> revoke(std::string_view token)
        requires policy_revokes<Revocation, context>
    {
        const auto now = clock_.now();
        auto claims = core_.verifier.verify(token, now);
        if (!claims)
            return fail(claims.error());
        auto ctx = context_at(now);
        if (auto r = Revocation::revoke(ctx, *claims); !r)
            return fail(r.error());
        return true;
    }

    /** Makes every token issued so far to `subject` fail (`revoked`), as the policy does it
        (`token_version`: a new version). Returns the number of server-side records ended (0 for token versions).
    */
    result<std::size_t> revoke_all(std::string_view subject)
        requires policy_revokes_all<Revocation, context>
    {
        auto ctx = context_at(clock_.now());
        return Revocation::revoke_all(ctx, subject);
    }

    [[nodiscard]] const authenticator_options& options() const noexcept { return core_.options; }

private:
    context context_at(time_point now) const { return context{storage_.get(), now, core_.options}; }

    detail::jwt_core<Alg> core_;
    [[no_unique_address]] detail::storage_ref<Storage> storage_;
    [[no_unique_address]] Clock clock_;
};

// ---- the hybrid scheme --------------------------------------------------------

/** Hybrid: a short JWT access token and a rotating, server-side refresh token.

    Each login starts a refresh family (refresh_families.hpp); every access
    token names its family in `sid`, and `authenticate` accepts it only while
    the family is alive: one store read, which answers logout of this device
    (`revoke`), "log out everywhere" (`revoke_all`), a detected refresh-token
    reuse, and a store that lost its state, at once.

    @par Thread Safety
    Every member function may be called from many threads at once.
*/
template <store Storage, jwt::algorithm Alg, clock Clock>
class authenticator<Storage, Alg, refresh_rotation, Clock> {
public:
    /// @throws tessera::error `invalid_configuration` without issuer/audience, or for lifetimes that cannot work.
    authenticator(Storage& store, jwt::signing_key_t<Alg> key, authenticator_options options, Clock clock = {})
        : core_{detail::jwt_core<Alg>::make(std::move(key), std::move(options))}, store_(store),
          families_(store, core_.options.refresh, clock), clock_(std::move(clock))
    {
    }

    /// A new family: an access token and its first refresh token.
    result<credentials> issue(std::string_view subject, boost::json::object claims = {},
                              const session_context& context = {})
    {
        auto family = families_.start(subject, claims, context);
        if (!family)
            return fail(family.error());
        auto token = mint(subject, std::move(claims), family->family, family->family_expires_at);
        if (!token) {
            (void)families_.revoke(family->token); // never handed out
            return fail(token.error());
        }
        token->refresh_token = std::move(family->token);
        token->refresh_expires_at = family->expires_at;
        return token;
    }

    /// The access token, and its family alive (one store read).
    result<principal> authenticate(std::string_view access_token)
    {
        const auto now = clock_.now();
        auto claims = core_.verifier.verify(access_token, now);
        if (!claims)
            return fail(claims.error());
        auto ctx = policy_context<Storage>{store_, now, core_.options};
        if (auto r = refresh_rotation::check(ctx, families_, *claims); !r)
            return fail(r.error());
        return detail::jwt_core<Alg>::principal_of(std::move(*claims));
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
        return families_.rotate(refresh_token, [&](const refresh_families_grant& grant) {
            return mint(grant.subject, grant.claims, grant.family, grant.family_expires_at);
        });
    }

    /// Ends the family of `refresh_token` (logout of this device) and its access tokens at once.
    result<bool> revoke(std::string_view refresh_token) { return families_.revoke(refresh_token); }

    /// Ends every family of `subject`, and every access token minted from them; returns how many families.
    result<std::size_t> revoke_all(std::string_view subject) { return families_.revoke_all(subject); }

    /// The subject's live refresh families ("where you're logged in").
    result<std::vector<family_info>> sessions(std::string_view subject) { return families_.list(subject); }

    [[nodiscard]] const authenticator_options& options() const noexcept { return core_.options; }

private:
    result<credentials> mint(std::string_view subject, boost::json::object claims, std::string_view family,
                             time_point family_end)
    {
        auto c = core_.claims_for(subject, std::move(claims), clock_.now(), family_end);
        c.set(refresh_rotation::family_claim, boost::json::string{family});
        return core_.sign(c);
    }

    detail::jwt_core<Alg> core_;
    Storage& store_;
    refresh_families<Storage, Clock> families_;
    [[no_unique_address]] Clock clock_;
};

// ---- the aliases users start from ---------------------------------------------

/// Server-side sessions in `Store`.
template <class Store = memory_store, class Clock = system_clock>
using session_authenticator = authenticator<Store, opaque, server_side, Clock>;

/// Stateless, short-lived JWTs signed with `Alg`.
template <class Alg = jwt::hs256, class Clock = system_clock>
using jwt_authenticator = authenticator<stateless, Alg, expiry_only, Clock>;

/// JWT access tokens plus rotating refresh tokens kept in `Store`.
template <class Alg = jwt::eddsa, class Store = memory_store, class Clock = system_clock>
using hybrid_authenticator = authenticator<Store, Alg, refresh_rotation, Clock>;

// Empty policies cost nothing: a stateless JWT authenticator is its signer,
// its verifier and its options, and not a byte more.
static_assert(sizeof(jwt_authenticator<jwt::hs256>) == sizeof(detail::jwt_core<jwt::hs256>));

static_assert(authentication_scheme<session_authenticator<>> && authentication_scheme<jwt_authenticator<>> &&
              authentication_scheme<hybrid_authenticator<>>);

} // namespace tessera::inline v0
