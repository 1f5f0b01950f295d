// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    What an authenticator's `Signing` policy may be when it signs JWTs: a JWS algorithm (one key for
    the authenticator's life) or a `key_ring` of one (keys that rotate; key_ring.hpp).
*/

#include <tessera/jwt/algorithms.hpp>

namespace tessera::inline v0::jwt {

template <algorithm Alg, class Events>
class key_ring;

/// True for `key_ring<Alg, Events>`.
template <class T>
inline constexpr bool is_key_ring = false;
template <algorithm Alg, class Events>
inline constexpr bool is_key_ring<key_ring<Alg, Events>> = true;

/// A JWS algorithm, or a key ring of one.
template <class S>
concept signing_policy = algorithm<S> || is_key_ring<S>;

/// The algorithm of a signing policy.
template <signing_policy S>
struct algorithm_of {
    using type = S;
};
template <algorithm Alg, class Events>
struct algorithm_of<key_ring<Alg, Events>> {
    using type = Alg;
};
template <signing_policy S>
using algorithm_of_t = typename algorithm_of<S>::type;

} // namespace tessera::inline v0::jwt
