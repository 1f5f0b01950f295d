// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Keys bound to one algorithm each: `hmac_key<A>` for HS*, `public_key<A>`
    and `private_key<A>` for RS*, PS*, ES* and EdDSA.

    A key is checked when it is made, never when a token arrives: an HMAC
    secret shorter than the hash output is `weak_key` (RFC 7518 §3.2), an RSA
    modulus under 2048 bits is `weak_key` (§3.3), an EC key on another curve
    or a key of another type is `invalid_key`. Each key type exists only for
    the algorithms of its family, so `hmac_key<rs256>` does not compile and
    `public_key<hs256>` does not exist: the RSA public key that algorithm
    confusion attacks feed to an HMAC verifier cannot even be passed.

    Keys are cheap to copy (they share their material) and safe to use from
    many threads: each keeps a small pool of ready Botan objects.
*/

#include <tessera/core/base64url.hpp>
#include <tessera/core/constant_time.hpp>
#include <tessera/core/random.hpp>
#include <tessera/core/result.hpp>
#include <tessera/core/secret.hpp>
#include <tessera/detail/object_pool.hpp>
#include <tessera/jwt/algorithms.hpp>
#include <tessera/jwt/detail/key_material.hpp>

#include <boost/json/object.hpp>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::inline v0::jwt {

/** The shared secret of an HMAC algorithm (HS256, HS384, HS512).

    @tparam Alg the one algorithm this key may be used with.
    @par Thread Safety
    Distinct objects: safe. Shared objects: `sign` and `verify` are safe.
*/
template <symmetric_algorithm Alg>
class hmac_key {
public:
    using algorithm_type = Alg;
    /// Bytes of a MAC (and the least key size).
    static constexpr std::size_t mac_size = Alg::hash_bytes;

    /** Checks and keeps `key`.
        @return `errc::weak_key` when `key` is shorter than the hash output.
    */
    static result<hmac_key> from_secret(secret key, std::string kid = {})
    {
        if (key.size() < Alg::hash_bytes)
            return fail(errc::weak_key);
        return hmac_key{checked, std::move(key), std::move(kid)};
    }

    /// `from_secret` of the raw bytes.
    static result<hmac_key> from_bytes(std::span<const std::uint8_t> bytes, std::string kid = {})
    {
        return from_secret(secret{bytes}, std::move(kid));
    }

    /** A key from a JWK of `"kty":"oct"` (its `k` member).

        @return `invalid_key` for another `kty`, a missing or malformed `k`, a
        `use` other than `sig` or an `alg` other than `Alg`; `weak_key` if short.
    */
    static result<hmac_key> from_jwk(const boost::json::object& jwk)
    {
        auto material = detail::hmac_from_jwk<Alg>(jwk);
        if (!material)
            return material.error();
        return from_secret(std::move(material->key), std::move(material->kid));
    }

    /// `from_jwk` of JSON text.
    static result<hmac_key> from_jwk(std::string_view json)
    {
        auto object = detail::parse_jwk(json);
        if (!object)
            return object.error();
        return from_jwk(*object);
    }

    /// A new random key of twice the least size (e.g. 64 bytes for HS256).
    static hmac_key generate(std::string kid = {})
    {
        Botan::secure_vector<std::uint8_t> bytes(Alg::hash_bytes * 2);
        random_bytes(bytes);
        return hmac_key{checked, secret{std::move(bytes)}, std::move(kid)};
    }

    /** Throwing form of `from_secret`, for configuration code.
        @throws tessera::error `weak_key`.
    */
    explicit hmac_key(secret key, std::string kid = {})
    {
        if (key.size() < Alg::hash_bytes)
            throw error{errc::weak_key, std::string{Alg::name} + " keys need at least " +
                                            std::to_string(Alg::hash_bytes) + " bytes"};
        *this = hmac_key{checked, std::move(key), std::move(kid)};
    }

    /// The key id written into the header of tokens signed with this key (may be empty).
    [[nodiscard]] const std::string& kid() const noexcept { return state_->kid; }

    /// The same secret under another key id.
    [[nodiscard]] hmac_key with_kid(std::string kid) const { return hmac_key{checked, state_->key, std::move(kid)}; }

    /// The secret itself, for sealing it at rest (a key ring's `seal`). Handle with care.
    [[nodiscard]] const secret& material() const noexcept { return state_->key; }

    /** The RFC 7638 thumbprint of the key as an `oct` JWK: a SHA-256 of the secret, safe to publish
        for a secret of full strength (it is no better an oracle than any token's MAC).
    */
    [[nodiscard]] std::string thumbprint() const { return detail::hmac_thumbprint(state_->key); }

    /// The MAC of `input`.
    [[nodiscard]] std::array<std::uint8_t, mac_size> sign(std::string_view input) const
    {
        std::array<std::uint8_t, mac_size> mac;
        auto lease = state_->macs.acquire([this] { return state_->make_mac(); });
        lease->update(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
        lease->final(mac.data());
        return mac;
    }

    /// True when `signature` is the MAC of `input`; the comparison is constant-time.
    [[nodiscard]] bool verify(std::string_view input, std::span<const std::uint8_t> signature) const
    {
        if (signature.size() != mac_size)
            return false;
        const auto expected = sign(input);
        return constant_time_equal(expected, signature);
    }

private:
    struct checked_t {};
    static constexpr checked_t checked{};

    hmac_key(checked_t, secret key, std::string kid)
        : state_(std::make_shared<detail::hmac_material>(std::move(key), std::move(kid), Alg::hash_name))
    {
    }

    std::shared_ptr<detail::hmac_material> state_;
};

/** The public key of an asymmetric algorithm: verifies signatures.

    @tparam Alg the one algorithm this key may be used with (RS*, PS*, ES*, EdDSA).
    @par Thread Safety
    Distinct objects: safe. Shared objects: `verify` is safe.
*/
template <asymmetric_algorithm Alg>
class public_key {
public:
    using algorithm_type = Alg;

    /** Loads a PEM public key (SPKI, `BEGIN PUBLIC KEY`) or, for convenience,
        takes the public half of a PKCS#8 private key.

        @return `invalid_key` if unparsable or of the wrong type or curve; `weak_key` if RSA < 2048 bits.
    */
    static result<public_key> from_pem(std::string_view pem, std::string kid = {})
    {
        auto key = detail::load_public_pem(pem);
        if (!key)
            return key.error();
        return from_botan(std::move(*key), std::move(kid));
    }

    /** A key from a public (or private) JWK of the algorithm's `kty` and `crv`.

        @return `invalid_key` for another `kty`/`crv`, malformed members, a
        point off the curve, `use` other than `sig` or `alg` other than `Alg`.
    */
    static result<public_key> from_jwk(const boost::json::object& jwk)
    {
        auto loaded = detail::public_from_jwk<Alg>(jwk);
        if (!loaded)
            return loaded.error();
        return from_botan(std::move(loaded->key), std::move(loaded->kid));
    }

    /// `from_jwk` of JSON text.
    static result<public_key> from_jwk(std::string_view json)
    {
        auto object = detail::parse_jwk(json);
        if (!object)
            return object.error();
        return from_jwk(*object);
    }

    /// Adopts a Botan key after checking its type, curve and size.
    static result<public_key> from_botan(std::unique_ptr<Botan::Public_Key> key, std::string kid = {})
    {
        if (!key)
            return fail(errc::invalid_key);
        if (auto ok = detail::check_key_fits<Alg>(*key); !ok)
            return ok.error();
        return public_key{std::make_shared<detail::public_material>(std::move(key), std::move(kid))};
    }

    [[nodiscard]] const std::string& kid() const noexcept { return state_->kid; }

    /// The same key under another key id.
    [[nodiscard]] public_key with_kid(std::string kid) const
    {
        return from_botan(detail::load_public_pem(to_pem()).value(), std::move(kid)).value();
    }

    /// The RFC 7638 thumbprint of the key (RFC 8037 §2 for Ed25519).
    [[nodiscard]] std::string thumbprint() const { return detail::public_thumbprint<Alg>(*state_->key); }

    /** True when `signature` is a valid JWS signature of `input`.

        ECDSA signatures must be exactly the JOSE R‖S size, and Botan refuses
        r or s outside [1, n−1] (the all-zero "psychic" signature included).
    */
    [[nodiscard]] bool verify(std::string_view input, std::span<const std::uint8_t> signature) const
    {
        return detail::verify_signature<Alg>(*state_, input, signature);
    }

    /// The key as a public JWK (with `kid`, `alg` and `"use":"sig"`), for publishing in a JWKS.
    [[nodiscard]] boost::json::object to_jwk() const { return detail::public_jwk<Alg>(*state_->key, state_->kid); }

    /// The key as SPKI PEM.
    [[nodiscard]] std::string to_pem() const { return detail::public_pem(*state_->key); }

    /// The Botan key, for code that needs what tessera does not wrap.
    [[nodiscard]] const Botan::Public_Key& botan() const noexcept { return *state_->key; }

private:
    explicit public_key(std::shared_ptr<detail::public_material> state) noexcept : state_(std::move(state)) {}

    std::shared_ptr<detail::public_material> state_;
};

/** The private key of an asymmetric algorithm: signs tokens.

    @par Thread Safety
    Distinct objects: safe. Shared objects: `sign` is safe.
*/
template <asymmetric_algorithm Alg>
class private_key {
public:
    using algorithm_type = Alg;

    /// Loads an unencrypted PKCS#8 PEM private key (`BEGIN PRIVATE KEY`).
    static result<private_key> from_pem(std::string_view pem, std::string kid = {})
    {
        auto key = detail::load_private_pem(pem);
        if (!key)
            return key.error();
        return from_botan(std::move(*key), std::move(kid));
    }

    /// A key from a private JWK (`d` and, for RSA, `p`, `q`).
    static result<private_key> from_jwk(const boost::json::object& jwk)
    {
        auto loaded = detail::private_from_jwk<Alg>(jwk);
        if (!loaded)
            return loaded.error();
        return from_botan(std::move(loaded->key), std::move(loaded->kid));
    }

    /// `from_jwk` of JSON text.
    static result<private_key> from_jwk(std::string_view json)
    {
        auto object = detail::parse_jwk(json);
        if (!object)
            return object.error();
        return from_jwk(*object);
    }

    /// Adopts a Botan private key after checking its type, curve and size.
    static result<private_key> from_botan(std::unique_ptr<Botan::Private_Key> key, std::string kid = {})
    {
        if (!key)
            return fail(errc::invalid_key);
        if (auto ok = detail::check_key_fits<Alg>(*key); !ok)
            return ok.error();
        return private_key{std::make_shared<detail::private_material>(std::move(key), std::move(kid))};
    }

    /// A new key: RSA of `rsa_bits` (default 2048), or on the algorithm's curve.
    static private_key generate(std::string kid = {}, std::size_t rsa_bits = 2048)
    {
        return from_botan(detail::generate_private<Alg>(rsa_bits), std::move(kid)).value();
    }

    [[nodiscard]] const std::string& kid() const noexcept { return state_->kid; }

    /// The same key under another key id.
    [[nodiscard]] private_key with_kid(std::string kid) const
    {
        return from_botan(detail::load_private_pem(to_pem()).value(), std::move(kid)).value();
    }

    /// The RFC 7638 thumbprint of the key's public half.
    [[nodiscard]] std::string thumbprint() const { return detail::public_thumbprint<Alg>(*state_->key); }

    /// The JWS signature of `input` (R‖S for ECDSA).
    [[nodiscard]] std::vector<std::uint8_t> sign(std::string_view input) const
    {
        return detail::sign_message<Alg>(*state_, input);
    }

    /// The matching public key, with the same `kid`.
    [[nodiscard]] jwt::public_key<Alg> public_key() const
    {
        return jwt::public_key<Alg>::from_botan(detail::public_half(*state_->key), state_->kid).value();
    }

    /// The key as unencrypted PKCS#8 PEM. Handle with care.
    [[nodiscard]] std::string to_pem() const { return detail::private_pem(*state_->key); }

    [[nodiscard]] const Botan::Private_Key& botan() const noexcept { return *state_->key; }

private:
    explicit private_key(std::shared_ptr<detail::private_material> state) noexcept : state_(std::move(state)) {}

    std::shared_ptr<detail::private_material> state_;
};

/// The key that verifies tokens of `Alg`: `hmac_key<Alg>` or `public_key<Alg>`.
template <algorithm Alg>
struct verification_key {
    using type = public_key<Alg>;
};
template <symmetric_algorithm Alg>
struct verification_key<Alg> {
    using type = hmac_key<Alg>;
};
template <algorithm Alg>
using verification_key_t = typename verification_key<Alg>::type;

/// The key that signs tokens of `Alg`: `hmac_key<Alg>` or `private_key<Alg>`.
template <algorithm Alg>
struct signing_key {
    using type = private_key<Alg>;
};
template <symmetric_algorithm Alg>
struct signing_key<Alg> {
    using type = hmac_key<Alg>;
};
template <algorithm Alg>
using signing_key_t = typename signing_key<Alg>::type;

} // namespace tessera::inline v0::jwt
