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

    The authenticator knows no scheme and no policy by name: it is the class
    `scheme_of<Storage, Signing, Revocation, Clock>` names (scheme/), one
    header per scheme — scheme/session.hpp, scheme/jwt.hpp,
    scheme/hybrid.hpp — and a JWT scheme calls its revocation policy
    (revocation/policy.hpp), so a user-written policy composes with the
    built-in ones.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/result.hpp>
#include <tessera/credentials.hpp>
#include <tessera/events.hpp>
#include <tessera/options.hpp>
#include <tessera/revocation/policies.hpp>
#include <tessera/scheme/hybrid.hpp>
#include <tessera/scheme/jwt.hpp>
#include <tessera/scheme/scheme.hpp>
#include <tessera/scheme/session.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/memory.hpp>

#include <concepts>
#include <cstddef>
#include <string_view>

namespace tessera::inline v0 {

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

/** A scheme that lists where a subject is logged in (`sessions(subject)`) and ends one of them by the id
    listed (`revoke_session(subject, id)`): the session and hybrid schemes.
*/
template <class A>
concept listing_scheme = authentication_scheme<A> && requires(A& a, std::string_view text) {
    a.sessions(text);
    { a.revoke_session(text, text) } -> std::same_as<result<bool>>;
};

/// A scheme with `refresh` (sessions: a new id; hybrid: a new pair).
template <class A>
concept refreshable_scheme = authentication_scheme<A> && requires(A& a, std::string_view credential) {
    { a.refresh(credential) } -> std::same_as<result<credentials>>;
};

/** The composition of a storage, a signing and a revocation policy: the
    scheme `scheme_of` names for them, under one name. A combination that no
    scheme implements does not compile, and says what to write instead.
*/
template <class Storage, class Signing, class Revocation, clock Clock = system_clock, class Events = no_events>
class authenticator : public scheme_of<Storage, Signing, Revocation, Clock, Events>::type {
    static_assert(event_sink<Events>, "tessera: the Events policy must be callable with a const security_event& "
                                      "and noexcept (see events.hpp); no_events when nothing listens");
    using scheme = typename scheme_of<Storage, Signing, Revocation, Clock, Events>::type;

public:
    using scheme::scheme;
};

// ---- the aliases users start from ---------------------------------------------

/// Server-side sessions in `Store`.
template <class Store = memory_store, class Clock = system_clock, class Events = no_events>
using session_authenticator = authenticator<Store, opaque, server_side, Clock, Events>;

/// Stateless, short-lived JWTs signed with `Alg`.
template <class Alg = jwt::hs256, class Clock = system_clock, class Events = no_events>
using jwt_authenticator = authenticator<stateless, Alg, expiry_only, Clock, Events>;

/// JWT access tokens plus rotating refresh tokens kept in `Store`.
template <class Alg = jwt::eddsa, class Store = memory_store, class Clock = system_clock, class Events = no_events>
using hybrid_authenticator = authenticator<Store, Alg, refresh_rotation, Clock, Events>;

// Empty policies cost nothing: a stateless JWT authenticator is its signer,
// its verifier and its options, and not a byte more.
static_assert(sizeof(jwt_authenticator<jwt::hs256>) == sizeof(detail::jwt_core<jwt::hs256>));
static_assert(sizeof(session_authenticator<>) == sizeof(session_scheme<memory_store, system_clock, no_events>));

static_assert(authentication_scheme<session_authenticator<>> && authentication_scheme<jwt_authenticator<>> &&
              authentication_scheme<hybrid_authenticator<>>);
static_assert(listing_scheme<session_authenticator<>> && listing_scheme<hybrid_authenticator<>> &&
              !listing_scheme<jwt_authenticator<>>);

} // namespace tessera::inline v0
