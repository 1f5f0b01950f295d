#pragma once

/** @file
    The revocation policies: how a credential stops working before it expires.

    Each policy is an empty tag; the authenticator reads what it needs from
    the tag at compile time and keeps any state in its own storage policy.
    (The first design gave `deny_list` and `token_version` a store parameter
    of their own; the authenticator already has one, and two stores that can
    disagree about a revocation is exactly the bug this library exists to
    prevent, so the policies use the authenticator's.)

    | policy | what revokes | latency |
    |---|---|---|
    | `server_side` | deleting the session record | immediate |
    | `expiry_only` | nothing; tokens are short-lived | up to the access-token lifetime |
    | `deny_list` | `(iss, jti)` kept until the token's `exp` | immediate |
    | `token_version` | a per-subject counter carried as a claim | immediate, for every token of the subject |
    | `refresh_rotation` | deleting the refresh family and bumping the token version | immediate |
*/

#include <type_traits>

namespace tessera::inline v0 {

/// Sessions: the record in the store is the credential; deleting it revokes.
struct server_side {
    static constexpr bool needs_store = true;
};

/// Stateless JWTs that nothing revokes: keep them short-lived. `revoke` does not exist.
struct expiry_only {
    static constexpr bool needs_store = false;
};

/// Revoked tokens' `(iss, jti)` kept exactly until their `exp`, checked on every authenticate.
struct deny_list {
    static constexpr bool needs_store = true;
};

/// A per-subject counter carried in every token; `revoke_all` bumps it and older tokens fail.
struct token_version {
    static constexpr bool needs_store = true;
};

/// Hybrid: opaque single-use refresh tokens in families, with reuse detection.
struct refresh_rotation {
    static constexpr bool needs_store = true;
};

/// Several JWT revocation policies at once: a token passes only if every one accepts it.
template <class... Policies>
struct all_of {
    static constexpr bool needs_store = (Policies::needs_store || ...);
};

namespace detail {

template <class Policy, class Revocation>
struct includes_policy : std::is_same<Policy, Revocation> {};
template <class Policy, class... Ps>
struct includes_policy<Policy, all_of<Ps...>> : std::bool_constant<(includes_policy<Policy, Ps>::value || ...)> {};

template <class R>
struct is_jwt_revocation : std::false_type {};
template <>
struct is_jwt_revocation<expiry_only> : std::true_type {};
template <>
struct is_jwt_revocation<deny_list> : std::true_type {};
template <>
struct is_jwt_revocation<token_version> : std::true_type {};
template <class... Ps>
struct is_jwt_revocation<all_of<Ps...>> : std::bool_constant<(is_jwt_revocation<Ps>::value && ...)> {};

} // namespace detail

/// True when `Revocation` is `Policy` or an `all_of` that contains it.
template <class Policy, class Revocation>
inline constexpr bool includes_policy_v = detail::includes_policy<Policy, Revocation>::value;

/// A revocation policy a pure JWT authenticator can use.
template <class R>
concept jwt_revocation = detail::is_jwt_revocation<R>::value;

} // namespace tessera::inline v0
