#pragma once

/** @file
    `authenticator<Storage, Signing, Revocation, Clock>`: three policies that
    compose into a session scheme, a JWT scheme or the hybrid scheme.

    | operation | session | jwt | hybrid |
    |---|---|---|---|
    | `issue` | new session, its id | signed access token | access token + refresh token (new family) |
    | `authenticate` | store lookup, timeouts, renewal | signature + claims (+ deny list / version) | access token, version checked |
    | `refresh` | rotate the id | does not exist | rotate the refresh token, new access token |
    | `revoke` | delete the session | deny the token (`deny_list` only) | revoke the family |
    | `revoke_all` | delete all of the subject | bump the version (`token_version` only) | revoke all families + bump |
    | `sessions` | list sessions | does not exist | list families |

    An operation a scheme cannot honour does not exist for it: calling it is a
    compile error. Invalid combinations do not compile either, with a
    `static_assert` that says what to write instead.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/result.hpp>
#include <tessera/credentials.hpp>
#include <tessera/jwt/sign.hpp>
#include <tessera/jwt/verify.hpp>
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

/// The Storage policy of a scheme that keeps no server-side state.
struct stateless {};

/// The Signing policy of sessions: a random 256-bit id whose meaning is in the store.
struct opaque {};

/// Lifetimes and names shared by every scheme; validated when the authenticator is made.
struct authenticator_options {
    /// `iss` of issued tokens, and the only issuer accepted.
    std::string issuer = "tessera";
    /// `aud` of issued tokens, and the audience required.
    std::string audience = "tessera";
    /// Lifetime of a JWT access token.
    std::chrono::seconds access_ttl = std::chrono::minutes{15};
    /// Clock skew tolerated when verifying access tokens.
    std::chrono::seconds leeway = std::chrono::seconds{60};
    /// Name of the claim carrying the subject's token version.
    std::string version_claim = "ver";
    /// Sessions (session scheme).
    session_options session;
    /// Refresh tokens and families (hybrid scheme).
    refresh_options refresh;
};

namespace detail {

template <class T>
inline constexpr bool always_false = false;

inline void validate(const authenticator_options& o)
{
    if (o.access_ttl <= std::chrono::seconds{0})
        throw std::invalid_argument{"access_ttl must be positive"};
    if (o.leeway < std::chrono::seconds{0} || o.leeway > std::chrono::minutes{5})
        throw std::invalid_argument{"leeway must be between 0 and 5 minutes"};
    if (o.issuer.empty() || o.audience.empty() || o.version_claim.empty())
        throw std::invalid_argument{"issuer, audience and version_claim must not be empty"};
}

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
};
template <>
struct storage_ref<stateless> {};

inline std::string deny_key(std::string_view iss, std::string_view jti)
{
    // The unit separator cannot appear in either part's meaning of the key: (iss, jti) stays a pair.
    std::string key = "deny:";
    key += iss;
    key += '\x1f';
    key += jti;
    return key;
}

inline std::string version_key(std::string_view subject)
{
    return "ver:" + std::string{subject};
}

/// How long a token-version counter is kept after its last use: far beyond any token it guards.
inline constexpr std::chrono::seconds version_horizon = std::chrono::hours{24 * 400};

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
    static_assert(!Revocation::needs_store || !std::is_same_v<Storage, stateless>,
                  "tessera: this revocation policy keeps state (deny list, token versions or refresh families); "
                  "give the authenticator a store, e.g. authenticator<memory_store, hs256, deny_list>");
    static_assert(std::is_same_v<Storage, stateless> || store<Storage>,
                  "tessera: the Storage policy must be stateless or satisfy tessera::store");
    static_assert(std::is_same_v<Signing, opaque> || jwt::algorithm<Signing>,
                  "tessera: the Signing policy must be opaque or a JWS algorithm such as hs256 or eddsa");
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
    explicit authenticator(Storage& store, authenticator_options options = {}, Clock clock = {})
        : options_(std::move(options)), sessions_(store, options_.session, clock), clock_(std::move(clock))
    {
        detail::validate(options_);
    }

    /// Starts a session; `claims` become its attributes.
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
        const auto expires_at = now_plus(found->max_age);
        return principal{std::move(found->data.subject), std::move(found->data.attributes), expires_at,
                         std::move(found->handle), found->renewed, found->max_age};
    }

    /// A new session id for the same session (login, privilege change); the old id dies.
    result<credentials> refresh(std::string_view session_id) { return credentials_of(sessions_.rotate(session_id)); }

    result<bool> revoke(std::string_view session_id) { return sessions_.revoke(session_id); }
    result<std::size_t> revoke_all(std::string_view subject) { return sessions_.revoke_all(subject); }
    result<std::vector<session_info>> sessions(std::string_view subject) { return sessions_.sessions(subject); }

    [[nodiscard]] const authenticator_options& options() const noexcept { return options_; }

private:
    time_point now_plus(std::chrono::seconds s) const { return clock_.now() + s; }

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
};

template <jwt::algorithm Alg>
jwt::verification_key_t<Alg> verification_of(const jwt::signing_key_t<Alg>& key)
{
    if constexpr (jwt::symmetric_algorithm<Alg>)
        return key;
    else
        return key.public_key();
}

} // namespace detail

/** JWT access tokens: `authenticator<Storage, Alg, Revocation>` with a JWT revocation policy.

    With `expiry_only` and `stateless` storage it touches no store at all.
    `deny_list` adds `revoke(token)` and one store read per authenticate;
    `token_version` adds `revoke_all(subject)` and one counter read;
    `all_of<deny_list, token_version>` both, and a token must pass both.

    @par Thread Safety
    Every member function may be called from many threads at once.
*/
template <class Storage, jwt::algorithm Alg, jwt_revocation Revocation, clock Clock>
    requires(!Revocation::needs_store || store<Storage>)
class authenticator<Storage, Alg, Revocation, Clock> {
    static constexpr bool uses_deny_list = includes_policy_v<deny_list, Revocation>;
    static constexpr bool uses_version = includes_policy_v<token_version, Revocation>;

public:
    /// A stateless authenticator (`expiry_only`).
    explicit authenticator(jwt::signing_key_t<Alg> key, authenticator_options options = {}, Clock clock = {})
        requires std::is_same_v<Storage, stateless>
        : core_{make_core(std::move(key), std::move(options))}, clock_(std::move(clock))
    {
    }

    /// An authenticator whose revocation state lives in `store`.
    authenticator(Storage& store, jwt::signing_key_t<Alg> key, authenticator_options options = {}, Clock clock = {})
        requires(!std::is_same_v<Storage, stateless>)
        : core_{make_core(std::move(key), std::move(options))}, storage_(store), clock_(std::move(clock))
    {
    }

    /// A signed access token for `subject` with `claims` added (registered claims are set by tessera).
    result<credentials> issue(std::string_view subject, boost::json::object claims = {},
                              const session_context& = {})
    {
        const auto now = clock_.now();
        jwt::claims c{std::move(claims)};
        c.subject(subject).issuer(core_.options.issuer).audience(core_.options.audience);
        c.lifetime(now, core_.options.access_ttl).jwt_id(random_id());
        if constexpr (uses_version) {
            auto version = storage_.store->increment(detail::version_key(subject), 0, now + detail::version_horizon);
            if (!version)
                return fail(version.error());
            c.set(core_.options.version_claim, *version);
        }
        auto token = core_.signer.sign(c);
        if (!token)
            return fail(token.error());
        return credentials{std::move(*token), now + core_.options.access_ttl, {}, {}};
    }

    /// Verifies signature and claims, then asks each revocation policy; all must accept.
    result<principal> authenticate(std::string_view token)
    {
        auto claims = core_.verifier.verify(token, clock_.now());
        if (!claims)
            return fail(claims.error());
        if constexpr (uses_deny_list) {
            if (claims->jwt_id().empty())
                return fail(errc::missing_claim);
            auto denied = storage_.store->get(detail::deny_key(claims->issuer(), claims->jwt_id()));
            if (!denied)
                return fail(denied.error());
            if (*denied)
                return fail(errc::revoked);
        }
        if constexpr (uses_version) {
            if (auto ok = check_version(*claims); !ok)
                return fail(ok.error());
        }
        return principal_of(std::move(*claims));
    }

    /// Denies `token` until its `exp` (logout of one token). Only with `deny_list`.
    result<bool> revoke(std::string_view token)
        requires uses_deny_list
    {
        auto claims = core_.verifier.verify(token, clock_.now());
        if (!claims)
            return fail(claims.error());
        if (claims->jwt_id().empty())
            return fail(errc::missing_claim);
        // Kept while the verifier would still accept the token, and not a second longer.
        const auto until = *claims->expires_at() + core_.options.leeway;
        if (auto r = storage_.store->put(detail::deny_key(claims->issuer(), claims->jwt_id()), "", until,
                                         claims->subject());
            !r)
            return fail(r.error());
        return true;
    }

    /// Makes every token issued so far to `subject` fail (`revoked`). Only with `token_version`.
    result<std::int64_t> revoke_all(std::string_view subject)
        requires uses_version
    {
        return storage_.store->increment(detail::version_key(subject), 1, clock_.now() + detail::version_horizon);
    }

    [[nodiscard]] const authenticator_options& options() const noexcept { return core_.options; }

private:
    static detail::jwt_core<Alg> make_core(jwt::signing_key_t<Alg> key, authenticator_options options)
    {
        detail::validate(options);
        auto verification = detail::verification_of<Alg>(key);
        auto verify_options = detail::verify_options_of(options);
        return detail::jwt_core<Alg>{jwt::signer<Alg>{std::move(key)},
                                     jwt::verifier<Alg>{std::move(verification), std::move(verify_options)},
                                     std::move(options)};
    }

    result<void> check_version(const jwt::verified_claims& claims)
    {
        const auto* ver = claims.find(core_.options.version_claim);
        if (ver == nullptr)
            return fail(errc::missing_claim);
        if (!ver->is_int64())
            return fail(errc::malformed);
        auto current = storage_.store->counter(detail::version_key(claims.subject()));
        if (!current)
            return fail(current.error());
        if (ver->get_int64() != *current)
            return fail(errc::revoked);
        return {};
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

    detail::jwt_core<Alg> core_;
    [[no_unique_address]] detail::storage_ref<Storage> storage_;
    [[no_unique_address]] Clock clock_;
};

// ---- the hybrid scheme --------------------------------------------------------

/** Hybrid: a short JWT access token and a rotating, server-side refresh token.

    Access tokens carry the subject's token version; `revoke_all` and a
    detected refresh-token reuse bump it, so outstanding access tokens die at
    once (one counter read per authenticate). Refresh tokens are single-use
    members of a family (see `refresh_families`).

    @par Thread Safety
    Every member function may be called from many threads at once.
*/
template <store Storage, jwt::algorithm Alg, clock Clock>
class authenticator<Storage, Alg, refresh_rotation, Clock> {
    using access = authenticator<Storage, Alg, token_version, Clock>;

public:
    authenticator(Storage& store, jwt::signing_key_t<Alg> key, authenticator_options options = {}, Clock clock = {})
        : access_(store, std::move(key), options, clock), families_(store, options.refresh, std::move(clock))
    {
    }

    /// A new family: an access token and its first refresh token.
    result<credentials> issue(std::string_view subject, boost::json::object claims = {},
                              const session_context& context = {})
    {
        auto token = access_.issue(subject, claims, context);
        if (!token)
            return fail(token.error());
        auto refresh = families_.start(subject, claims, context);
        if (!refresh)
            return fail(refresh.error());
        token->refresh_token = std::move(refresh->token);
        token->refresh_expires_at = refresh->expires_at;
        return token;
    }

    result<principal> authenticate(std::string_view access_token) { return access_.authenticate(access_token); }

    /** Exchanges a refresh token for a new access token and a new refresh token.

        @return `refresh_reused` when the token was already used (outside the
        grace window): its family is revoked and the subject's access tokens
        die; `unknown_session` for a token with no live family.
    */
    result<credentials> refresh(std::string_view refresh_token)
    {
        return families_.rotate(refresh_token, [&](const refresh_families_grant& grant) -> result<credentials> {
            auto token = access_.issue(grant.subject, grant.claims);
            if (!token)
                return fail(token.error());
            return token;
        }, [&](std::string_view subject) { return access_.revoke_all(subject); });
    }

    /// Revokes the family of `refresh_token` (logout).
    result<bool> revoke(std::string_view refresh_token) { return families_.revoke(refresh_token); }

    /// Revokes every family of `subject` and every access token issued to it.
    result<std::size_t> revoke_all(std::string_view subject)
    {
        auto families = families_.revoke_all(subject);
        if (!families)
            return fail(families.error());
        if (auto bumped = access_.revoke_all(subject); !bumped)
            return fail(bumped.error());
        return families;
    }

    /// The subject's live refresh families ("where you're logged in").
    result<std::vector<family_info>> sessions(std::string_view subject) { return families_.list(subject); }

    [[nodiscard]] const authenticator_options& options() const noexcept { return access_.options(); }

private:
    access access_;
    refresh_families<Storage, Clock> families_;
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

} // namespace tessera::inline v0
