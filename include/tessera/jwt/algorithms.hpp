// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The JWS algorithms (RFC 7518 §3, RFC 8037 §3.1) as types: the Signing policy.

    An algorithm is an empty tag type that names its `alg` at compile time and
    the family its keys belong to. Keys are templates over the algorithm
    (`hmac_key<hs256>`, `public_key<rs256>`), so a key of one algorithm cannot
    be handed to a verifier of another: an RSA public key where an HMAC secret
    is expected does not compile, which removes algorithm confusion by
    construction. There is no `none`.
*/

#include <cstddef>
#include <string_view>
#include <type_traits>

namespace tessera::inline v0::jwt {

/// How an algorithm signs; decides the key type.
enum class algorithm_family { hmac, rsa_pkcs1, rsa_pss, ecdsa, eddsa };

namespace detail {

template <algorithm_family Family, std::size_t HashBytes>
struct algorithm_base {
    static constexpr algorithm_family family = Family;
    /// Bytes of the hash output; also the least HMAC key size (RFC 7518 §3.2).
    static constexpr std::size_t hash_bytes = HashBytes;
    static constexpr std::string_view hash_name = HashBytes == 32   ? "SHA-256"
                                                  : HashBytes == 48 ? "SHA-384"
                                                                    : "SHA-512";
};

} // namespace detail

/// HMAC using SHA-256.
struct hs256 : detail::algorithm_base<algorithm_family::hmac, 32> {
    static constexpr std::string_view name = "HS256";
};
/// HMAC using SHA-384.
struct hs384 : detail::algorithm_base<algorithm_family::hmac, 48> {
    static constexpr std::string_view name = "HS384";
};
/// HMAC using SHA-512.
struct hs512 : detail::algorithm_base<algorithm_family::hmac, 64> {
    static constexpr std::string_view name = "HS512";
};

/// RSASSA-PKCS1-v1_5 using SHA-256.
struct rs256 : detail::algorithm_base<algorithm_family::rsa_pkcs1, 32> {
    static constexpr std::string_view name = "RS256";
};
/// RSASSA-PKCS1-v1_5 using SHA-384.
struct rs384 : detail::algorithm_base<algorithm_family::rsa_pkcs1, 48> {
    static constexpr std::string_view name = "RS384";
};
/// RSASSA-PKCS1-v1_5 using SHA-512.
struct rs512 : detail::algorithm_base<algorithm_family::rsa_pkcs1, 64> {
    static constexpr std::string_view name = "RS512";
};

/// RSASSA-PSS using SHA-256, MGF1 with SHA-256, salt of 32 bytes.
struct ps256 : detail::algorithm_base<algorithm_family::rsa_pss, 32> {
    static constexpr std::string_view name = "PS256";
};
/// RSASSA-PSS using SHA-384, MGF1 with SHA-384, salt of 48 bytes.
struct ps384 : detail::algorithm_base<algorithm_family::rsa_pss, 48> {
    static constexpr std::string_view name = "PS384";
};
/// RSASSA-PSS using SHA-512, MGF1 with SHA-512, salt of 64 bytes.
struct ps512 : detail::algorithm_base<algorithm_family::rsa_pss, 64> {
    static constexpr std::string_view name = "PS512";
};

/// ECDSA on P-256 with SHA-256; signatures are the 64-byte JOSE R‖S form.
struct es256 : detail::algorithm_base<algorithm_family::ecdsa, 32> {
    static constexpr std::string_view name = "ES256";
    static constexpr std::string_view curve = "secp256r1";
    static constexpr std::string_view jwk_curve = "P-256";
    static constexpr std::size_t coordinate_bytes = 32;
};
/// ECDSA on P-384 with SHA-384; signatures are 96 bytes.
struct es384 : detail::algorithm_base<algorithm_family::ecdsa, 48> {
    static constexpr std::string_view name = "ES384";
    static constexpr std::string_view curve = "secp384r1";
    static constexpr std::string_view jwk_curve = "P-384";
    static constexpr std::size_t coordinate_bytes = 48;
};
/// ECDSA on P-521 with SHA-512; signatures are 132 bytes.
struct es512 : detail::algorithm_base<algorithm_family::ecdsa, 64> {
    static constexpr std::string_view name = "ES512";
    static constexpr std::string_view curve = "secp521r1";
    static constexpr std::string_view jwk_curve = "P-521";
    static constexpr std::size_t coordinate_bytes = 66;
};

/// Ed25519 (RFC 8037); the only EdDSA curve tessera accepts.
struct eddsa : detail::algorithm_base<algorithm_family::eddsa, 64> {
    static constexpr std::string_view name = "EdDSA";
    static constexpr std::string_view jwk_curve = "Ed25519";
};

/** A JWS algorithm tag: a name and a family.

    Anything else (a string, an enum value, a user type without these members)
    is not an algorithm, so `verifier<"HS256">` or `verifier<none>` do not compile.
*/
template <class A>
concept algorithm = std::is_empty_v<A> && requires {
    { A::name } -> std::convertible_to<std::string_view>;
    { A::family } -> std::convertible_to<algorithm_family>;
    { A::hash_bytes } -> std::convertible_to<std::size_t>;
};

/// An algorithm whose one key both signs and verifies (HS*).
template <class A>
concept symmetric_algorithm = algorithm<A> && A::family == algorithm_family::hmac;

/// An algorithm with a private key that signs and a public key that verifies.
template <class A>
concept asymmetric_algorithm = algorithm<A> && A::family != algorithm_family::hmac;

/// Every algorithm tessera implements, in the order `tessera-jwt` lists them.
template <class... A>
struct algorithm_list {};
using all_algorithms =
    algorithm_list<hs256, hs384, hs512, rs256, rs384, rs512, ps256, ps384, ps512, es256, es384, es512, eddsa>;

/// True if `name` is the `alg` of an algorithm tessera implements (case-sensitive, as RFC 7515 requires).
constexpr bool is_known_algorithm(std::string_view name) noexcept
{
    return []<class... A>(algorithm_list<A...>, std::string_view n) {
        return ((A::name == n) || ...);
    }(all_algorithms{}, name);
}

} // namespace tessera::inline v0::jwt
