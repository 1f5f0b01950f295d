// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The one place that knows which Botan tessera is built against: Botan 2
    (2.19, Debian 12's) or Botan 3 (what vcpkg and Conan ship). Everything
    that is spelled differently in the two goes through here, selected by
    `BOTAN_VERSION_MAJOR`; no other header has a version test.

    What differs: the names of ECDSA's signature scheme (`EMSA1(SHA-256)` in
    Botan 2, the hash alone in 3), the signature format and cipher direction
    enumerations (scoped in 3), how an EC group is named, and EC points and
    scalars (Botan 3 replaces `PointGFp` and `BigInt` scalars with
    `EC_AffinePoint` and `EC_Scalar`, and deprecates the old calls).
*/

#include <botan/bigint.h>
#include <botan/build.h>
#include <botan/cipher_mode.h>
#include <botan/ec_group.h>
#include <botan/ecdsa.h>
#include <botan/ed25519.h>
#include <botan/pubkey.h>
#include <botan/secmem.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#if BOTAN_VERSION_MAJOR >= 3
#include <botan/ec_apoint.h>
#include <botan/ec_scalar.h>
#endif

namespace tessera::inline v0::detail::botan {

/// The Botan major version tessera was compiled against.
inline constexpr int major_version = BOTAN_VERSION_MAJOR;

#if BOTAN_VERSION_MAJOR >= 3
inline constexpr auto encryption = Botan::Cipher_Dir::Encryption;
inline constexpr auto decryption = Botan::Cipher_Dir::Decryption;
/// JOSE's ECDSA signatures: the fixed-size R‖S concatenation, never DER.
inline constexpr auto fixed_size_signatures = Botan::Signature_Format::Standard;
#else
inline constexpr auto encryption = Botan::ENCRYPTION;
inline constexpr auto decryption = Botan::DECRYPTION;
inline constexpr auto fixed_size_signatures = Botan::IEEE_1363;
#endif

/// Botan's name for ECDSA with SHA-2 of `hash_bytes` bytes.
constexpr std::string_view ecdsa_scheme(std::size_t hash_bytes) noexcept
{
#if BOTAN_VERSION_MAJOR >= 3
    return hash_bytes == 32 ? "SHA-256" : hash_bytes == 48 ? "SHA-384" : "SHA-512";
#else
    return hash_bytes == 32 ? "EMSA1(SHA-256)" : hash_bytes == 48 ? "EMSA1(SHA-384)" : "EMSA1(SHA-512)";
#endif
}

/// The curve named `name` (`secp256r1`...).
inline Botan::EC_Group ec_group(std::string_view name)
{
#if BOTAN_VERSION_MAJOR >= 3
    return Botan::EC_Group::from_name(name);
#else
    return Botan::EC_Group{std::string{name}};
#endif
}

/// The ECDSA public key at affine point (x, y); null when the point is not on the curve (or is its identity).
inline std::unique_ptr<Botan::ECDSA_PublicKey> ec_public_key(const Botan::EC_Group& group,
                                                             std::span<const std::uint8_t> x,
                                                             std::span<const std::uint8_t> y)
{
    const Botan::BigInt bx{x.data(), x.size()}, by{y.data(), y.size()};
#if BOTAN_VERSION_MAJOR >= 3
    const auto point = Botan::EC_AffinePoint::from_bigint_xy(group, bx, by);
    if (!point || point->is_identity())
        return nullptr;
    return std::make_unique<Botan::ECDSA_PublicKey>(group, *point);
#else
    const auto point = group.point(bx, by);
    if (!point.on_the_curve() || point.is_zero())
        return nullptr;
    return std::make_unique<Botan::ECDSA_PublicKey>(group, point);
#endif
}

/// The ECDSA private key of scalar `d` (big-endian); null unless 1 <= d <= n-1.
inline std::unique_ptr<Botan::ECDSA_PrivateKey> ec_private_key(const Botan::EC_Group& group,
                                                               std::span<const std::uint8_t> d,
                                                               Botan::RandomNumberGenerator& rng)
{
#if BOTAN_VERSION_MAJOR >= 3
    (void)rng;
    const auto scalar = Botan::EC_Scalar::deserialize(group, d);
    if (!scalar || scalar->is_zero())
        return nullptr;
    return std::make_unique<Botan::ECDSA_PrivateKey>(group, *scalar);
#else
    // Botan 2 reads a zero scalar as "generate a key": refused here, as is n or more.
    const Botan::BigInt scalar{d.data(), d.size()};
    if (scalar.is_zero() || scalar >= group.get_order())
        return nullptr;
    return std::make_unique<Botan::ECDSA_PrivateKey>(rng, group, scalar);
#endif
}

inline std::vector<std::uint8_t> big_endian(const Botan::BigInt& n, std::size_t size);

/// The affine coordinates of an EC public key, each exactly `size` bytes (big-endian).
inline std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>> ec_public_xy(const Botan::EC_PublicKey& key,
                                                                                 std::size_t size)
{
#if BOTAN_VERSION_MAJOR >= 3
    const auto& point = key._public_ec_point();
    (void)size;
    return {point.x_bytes<std::vector<std::uint8_t>>(), point.y_bytes<std::vector<std::uint8_t>>()};
#else
    const auto& point = key.public_point();
    return {big_endian(point.get_affine_x(), size), big_endian(point.get_affine_y(), size)};
#endif
}

/// A non-negative integer's big-endian bytes, as short as they can be (an RSA modulus or exponent in a JWK).
inline std::vector<std::uint8_t> big_endian(const Botan::BigInt& n)
{
#if BOTAN_VERSION_MAJOR >= 3
    return n.serialize<std::vector<std::uint8_t>>();
#else
    return Botan::BigInt::encode(n);
#endif
}

/// A non-negative integer's big-endian bytes, left-padded to exactly `size` (an EC coordinate or scalar).
inline std::vector<std::uint8_t> big_endian(const Botan::BigInt& n, std::size_t size)
{
#if BOTAN_VERSION_MAJOR >= 3
    return n.serialize<std::vector<std::uint8_t>>(size);
#else
    return Botan::unlock(Botan::BigInt::encode_1363(n, size));
#endif
}

/// An Ed25519 public key's 32 bytes (RFC 8037's `x`).
inline std::vector<std::uint8_t> ed25519_public_bytes(const Botan::Ed25519_PublicKey& key)
{
#if BOTAN_VERSION_MAJOR >= 3
    return key.raw_public_key_bits();
#else
    return key.get_public_key();
#endif
}

/// An Ed25519 private key from its 32-byte seed (RFC 8037's `d`).
inline std::unique_ptr<Botan::Ed25519_PrivateKey> ed25519_private_key(std::span<const std::uint8_t> seed)
{
#if BOTAN_VERSION_MAJOR >= 3
    return std::make_unique<Botan::Ed25519_PrivateKey>(Botan::Ed25519_PrivateKey::from_seed(seed));
#else
    return std::make_unique<Botan::Ed25519_PrivateKey>(Botan::secure_vector<std::uint8_t>(seed.begin(), seed.end()));
#endif
}

} // namespace tessera::inline v0::detail::botan
