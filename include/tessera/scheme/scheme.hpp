// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    How three policies choose a scheme: `scheme_of<Storage, Signing,
    Revocation, Clock>::type` is the class that implements the combination.
    Each scheme's header (session.hpp, jwt.hpp, hybrid.hpp beside this one)
    adds the specialization for the combinations it implements; the
    authenticator (authenticator.hpp) is whatever its `scheme_of` names, and
    knows no scheme and no policy by name. A combination no scheme implements
    reaches the primary template here, which says what to write instead.
*/

#include <tessera/core/clock.hpp>
#include <tessera/events.hpp>
#include <tessera/jwt/algorithms.hpp>
#include <tessera/jwt/signing_policy.hpp>
#include <tessera/revocation/policies.hpp>
#include <tessera/store/concepts.hpp>

#include <type_traits>

namespace tessera::inline v0 {

/// The Signing policy of sessions: a random 256-bit id whose meaning is in the store.
struct opaque {};

namespace detail {

template <class T>
inline constexpr bool always_false = false;

/// What a combination of policies no scheme implements stands for (after its diagnostic).
struct no_scheme {};

/// Where a scheme keeps its store: nothing for `stateless`, a reference otherwise.
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

/** The scheme that implements a combination of policies.

    The primary template is reached only by combinations that make no sense;
    it explains what to write instead.
*/
template <class Storage, class Signing, class Revocation, class Clock, class Events>
struct scheme_of {
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
    static_assert(std::is_same_v<Signing, opaque> || jwt::signing_policy<Signing>,
                  "tessera: the Signing policy must be opaque, a JWS algorithm such as hs256 or eddsa, or a "
                  "jwt::key_ring of one");
    static_assert(std::is_same_v<Revocation, refresh_rotation> || std::is_same_v<Revocation, server_side> ||
                      revocation_policy<Revocation, Storage>,
                  "tessera: the Revocation policy must be server_side, refresh_rotation or a revocation policy "
                  "(an empty type with needs_store and a static check(ctx, claims); see revocation/policy.hpp)");
    static_assert(!Revocation::needs_store || !std::is_same_v<Storage, stateless>,
                  "tessera: this revocation policy keeps state (deny list, token versions or refresh families); "
                  "give the authenticator a store, e.g. authenticator<memory_store, hs256, deny_list>");
    static_assert(detail::always_false<Revocation>, "tessera: unsupported combination of policies");
    using type = detail::no_scheme;
};

} // namespace tessera::inline v0
