// SPDX-License-Identifier: BSL-1.0
#pragma once

// What keys.hpp's classes hold, and every Botan call they make: loading PEM
// and JWK, checking a key fits its algorithm, signing and verifying.

#include <tessera/core/base64url.hpp>
#include <tessera/core/random.hpp>
#include <tessera/core/result.hpp>
#include <tessera/core/secret.hpp>
#include <tessera/detail/botan.hpp>
#include <tessera/detail/object_pool.hpp>
#include <tessera/jwt/algorithms.hpp>
#include <tessera/detail/strict_json.hpp>

#include <botan/bigint.h>
#include <botan/data_src.h>
#include <botan/ec_group.h>
#include <botan/ecdsa.h>
#include <botan/ed25519.h>
#include <botan/hash.h>
#include <botan/mac.h>
#include <botan/pk_keys.h>
#include <botan/pkcs8.h>
#include <botan/pubkey.h>
#include <botan/rsa.h>
#include <botan/x509_key.h>

#include <boost/json/object.hpp>

#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::inline v0::jwt::detail {

// ---- what a key holds -------------------------------------------------------

struct hmac_material {
    hmac_material(secret k, std::string id, std::string_view hash)
        : key(std::move(k)), kid(std::move(id)), mac_name("HMAC(" + std::string{hash} + ")")
    {
    }

    std::unique_ptr<Botan::MessageAuthenticationCode> make_mac() const
    {
        auto mac = Botan::MessageAuthenticationCode::create_or_throw(mac_name);
        mac->set_key(key.reveal().data(), key.size());
        return mac;
    }

    secret key;
    std::string kid;
    std::string mac_name;
    tessera::detail::object_pool<Botan::MessageAuthenticationCode> macs;
};

struct public_material {
    public_material(std::unique_ptr<Botan::Public_Key> k, std::string id) : key(std::move(k)), kid(std::move(id)) {}

    std::unique_ptr<Botan::Public_Key> key;
    std::string kid;
    tessera::detail::object_pool<Botan::PK_Verifier> verifiers;
};

struct private_material {
    private_material(std::unique_ptr<Botan::Private_Key> k, std::string id) : key(std::move(k)), kid(std::move(id)) {}

    std::unique_ptr<Botan::Private_Key> key;
    std::string kid;
    tessera::detail::object_pool<Botan::PK_Signer> signers;
};

// ---- Botan names for each algorithm --------------------------------------

/// Botan's name for the algorithm's signature scheme (spelled out: no string building on any path).
template <algorithm Alg>
constexpr std::string_view padding() noexcept
{
    constexpr std::size_t h = Alg::hash_bytes;
    if constexpr (Alg::family == algorithm_family::rsa_pkcs1)
        return h == 32 ? "EMSA3(SHA-256)" : h == 48 ? "EMSA3(SHA-384)" : "EMSA3(SHA-512)";
    else if constexpr (Alg::family == algorithm_family::rsa_pss)
        // MGF1 with the same hash, salt as long as the hash (RFC 7518 §3.5).
        return h == 32 ? "PSSR(SHA-256,MGF1,32)" : h == 48 ? "PSSR(SHA-384,MGF1,48)" : "PSSR(SHA-512,MGF1,64)";
    else if constexpr (Alg::family == algorithm_family::ecdsa)
        return tessera::detail::botan::ecdsa_scheme(h);
    else
        return "Pure";
}

template <algorithm Alg>
constexpr auto signature_format() noexcept
{
    // JOSE ECDSA signatures are the fixed-size R‖S concatenation, never DER.
    return tessera::detail::botan::fixed_size_signatures;
}

template <algorithm Alg>
constexpr std::string_view jwk_kty() noexcept
{
    switch (Alg::family) {
    case algorithm_family::hmac: return "oct";
    case algorithm_family::rsa_pkcs1:
    case algorithm_family::rsa_pss: return "RSA";
    case algorithm_family::ecdsa: return "EC";
    case algorithm_family::eddsa: return "OKP";
    }
    return "";
}

// ---- checks ---------------------------------------------------------------

/// Minimum RSA modulus (RFC 7518 §3.3).
inline constexpr std::size_t min_rsa_bits = 2048;

template <algorithm Alg>
result<void> check_key_fits(const Botan::Public_Key& key)
{
    const std::string name = key.algo_name();
    if constexpr (Alg::family == algorithm_family::rsa_pkcs1 || Alg::family == algorithm_family::rsa_pss) {
        if (name != "RSA")
            return fail(errc::invalid_key);
        if (key.key_length() < min_rsa_bits)
            return fail(errc::weak_key);
    } else if constexpr (Alg::family == algorithm_family::ecdsa) {
        const auto* ec = dynamic_cast<const Botan::EC_PublicKey*>(&key);
        if (name != "ECDSA" || ec == nullptr)
            return fail(errc::invalid_key);
        if (ec->domain().get_curve_oid() != tessera::detail::botan::ec_group(Alg::curve).get_curve_oid())
            return fail(errc::invalid_key);
    } else if constexpr (Alg::family == algorithm_family::eddsa) {
        if (name != "Ed25519")
            return fail(errc::invalid_key);
    }
    return {};
}

// ---- PEM --------------------------------------------------------------------

inline result<std::unique_ptr<Botan::Private_Key>> load_private_pem(std::string_view pem)
{
    try {
        Botan::DataSource_Memory source{reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size()};
        auto key = Botan::PKCS8::load_key(source);
        if (!key)
            return fail(errc::invalid_key);
        return key;
    } catch (const std::exception&) {
        return fail(errc::invalid_key);
    }
}

/// The public half of a private key, as a key object of its own.
inline std::unique_ptr<Botan::Public_Key> public_half(const Botan::Private_Key& key)
{
    return std::unique_ptr<Botan::Public_Key>{Botan::X509::load_key(key.subject_public_key())};
}

inline result<std::unique_ptr<Botan::Public_Key>> load_public_pem(std::string_view pem)
{
    if (pem.find("PRIVATE KEY-----") != std::string_view::npos) {
        auto priv = load_private_pem(pem);
        if (!priv)
            return priv.error();
        try {
            return public_half(**priv);
        } catch (const std::exception&) {
            return fail(errc::invalid_key);
        }
    }
    try {
        Botan::DataSource_Memory source{reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size()};
        std::unique_ptr<Botan::Public_Key> key{Botan::X509::load_key(source)};
        if (!key)
            return fail(errc::invalid_key);
        return key;
    } catch (const std::exception&) {
        return fail(errc::invalid_key);
    }
}

inline std::string public_pem(const Botan::Public_Key& key)
{
    return Botan::X509::PEM_encode(key);
}

inline std::string private_pem(const Botan::Private_Key& key)
{
    return Botan::PKCS8::PEM_encode(key);
}

// ---- JWK --------------------------------------------------------------------

inline result<boost::json::object> parse_jwk(std::string_view json)
{
    auto object = tessera::detail::parse_object(json);
    if (!object)
        return fail(errc::invalid_key);
    return object;
}

/// A string member of a JWK, or nullptr if absent; `invalid_key` if not a string.
inline result<const boost::json::string*> jwk_string(const boost::json::object& jwk, std::string_view name)
{
    const auto* v = jwk.if_contains(name);
    if (v == nullptr)
        return nullptr;
    if (!v->is_string())
        return fail(errc::invalid_key);
    return &v->get_string();
}

/// The decoded bytes of a required base64url member of a JWK.
inline result<std::vector<std::uint8_t>> jwk_bytes(const boost::json::object& jwk, std::string_view name)
{
    auto s = jwk_string(jwk, name);
    if (!s)
        return s.error();
    if (*s == nullptr)
        return fail(errc::invalid_key);
    auto bytes = base64url::decode(**s);
    if (!bytes)
        return fail(errc::invalid_key);
    return bytes;
}

/** Checks what every JWK of `Alg` must satisfy and returns its `kid`.

    `kty` must be the algorithm's; `use`, when present, must be `sig`; `alg`,
    when present, must be exactly `Alg` (RFC 8725 §3.1: one key, one
    algorithm). Every refusal is `invalid_key`: a JWK that does not fit is a
    configuration error, not a token's fault (the verifier names a token
    whose `kid` is such a key `algorithm_mismatch` itself).
*/
template <algorithm Alg>
result<std::string> check_jwk(const boost::json::object& jwk)
{
    auto kty = jwk_string(jwk, "kty");
    if (!kty)
        return kty.error();
    if (*kty == nullptr || **kty != jwk_kty<Alg>())
        return fail(errc::invalid_key);
    auto use = jwk_string(jwk, "use");
    if (!use)
        return use.error();
    if (*use != nullptr && **use != "sig")
        return fail(errc::invalid_key);
    auto alg = jwk_string(jwk, "alg");
    if (!alg)
        return alg.error();
    if (*alg != nullptr && **alg != Alg::name)
        return fail(errc::invalid_key);
    if constexpr (Alg::family == algorithm_family::ecdsa || Alg::family == algorithm_family::eddsa) {
        auto crv = jwk_string(jwk, "crv");
        if (!crv)
            return crv.error();
        if (*crv == nullptr || **crv != Alg::jwk_curve)
            return fail(errc::invalid_key);
    }
    auto kid = jwk_string(jwk, "kid");
    if (!kid)
        return kid.error();
    return *kid == nullptr ? std::string{} : std::string{**kid};
}

struct hmac_jwk {
    secret key;
    std::string kid;
};

template <algorithm Alg>
result<hmac_jwk> hmac_from_jwk(const boost::json::object& jwk)
{
    auto kid = check_jwk<Alg>(jwk);
    if (!kid)
        return kid.error();
    auto k = jwk_bytes(jwk, "k");
    if (!k)
        return k.error();
    hmac_jwk out{secret{*k}, std::move(*kid)};
    Botan::secure_scrub_memory(k->data(), k->size());
    return out;
}

template <class Key>
struct loaded_key {
    std::unique_ptr<Key> key;
    std::string kid;
};

inline Botan::BigInt big_int(const std::vector<std::uint8_t>& bytes)
{
    return Botan::BigInt{bytes.data(), bytes.size()};
}

/// An EC coordinate or scalar must have exactly the curve's size (RFC 7518 §6.2.1.2).
template <algorithm Alg>
result<std::vector<std::uint8_t>> ec_member(const boost::json::object& jwk, std::string_view name)
{
    auto bytes = jwk_bytes(jwk, name);
    if (!bytes)
        return bytes.error();
    if (bytes->size() != Alg::coordinate_bytes)
        return fail(errc::invalid_key);
    return bytes;
}

/// Ed25519 members are exactly 32 bytes (RFC 8037 §2).
inline result<std::vector<std::uint8_t>> okp_member(const boost::json::object& jwk, std::string_view name)
{
    auto bytes = jwk_bytes(jwk, name);
    if (!bytes)
        return bytes.error();
    if (bytes->size() != 32)
        return fail(errc::invalid_key);
    return bytes;
}

template <algorithm Alg>
result<loaded_key<Botan::Public_Key>> public_from_jwk(const boost::json::object& jwk)
{
    auto kid = check_jwk<Alg>(jwk);
    if (!kid)
        return kid.error();
    try {
        if constexpr (Alg::family == algorithm_family::rsa_pkcs1 || Alg::family == algorithm_family::rsa_pss) {
            auto n = jwk_bytes(jwk, "n");
            auto e = jwk_bytes(jwk, "e");
            if (!n || !e)
                return fail(errc::invalid_key);
            return loaded_key<Botan::Public_Key>{std::make_unique<Botan::RSA_PublicKey>(big_int(*n), big_int(*e)),
                                                 std::move(*kid)};
        } else if constexpr (Alg::family == algorithm_family::ecdsa) {
            auto x = ec_member<Alg>(jwk, "x");
            auto y = ec_member<Alg>(jwk, "y");
            if (!x || !y)
                return fail(errc::invalid_key);
            auto key = tessera::detail::botan::ec_public_key(tessera::detail::botan::ec_group(Alg::curve), *x, *y);
            if (!key)
                return fail(errc::invalid_key);
            return loaded_key<Botan::Public_Key>{std::move(key), std::move(*kid)};
        } else {
            auto x = okp_member(jwk, "x");
            if (!x)
                return x.error();
            return loaded_key<Botan::Public_Key>{std::make_unique<Botan::Ed25519_PublicKey>(*x), std::move(*kid)};
        }
    } catch (const std::exception&) {
        return fail(errc::invalid_key);
    }
}

template <algorithm Alg>
result<loaded_key<Botan::Private_Key>> private_from_jwk(const boost::json::object& jwk)
{
    auto kid = check_jwk<Alg>(jwk);
    if (!kid)
        return kid.error();
    try {
        if constexpr (Alg::family == algorithm_family::rsa_pkcs1 || Alg::family == algorithm_family::rsa_pss) {
            auto n = jwk_bytes(jwk, "n");
            auto e = jwk_bytes(jwk, "e");
            auto d = jwk_bytes(jwk, "d");
            auto p = jwk_bytes(jwk, "p");
            auto q = jwk_bytes(jwk, "q");
            if (!n || !e || !d || !p || !q)
                return fail(errc::invalid_key);
            auto key = std::make_unique<Botan::RSA_PrivateKey>(big_int(*p), big_int(*q), big_int(*e), big_int(*d),
                                                               big_int(*n));
            if (!key->check_key(system_rng(), false))
                return fail(errc::invalid_key);
            return loaded_key<Botan::Private_Key>{std::move(key), std::move(*kid)};
        } else if constexpr (Alg::family == algorithm_family::ecdsa) {
            auto d = ec_member<Alg>(jwk, "d");
            if (!d)
                return d.error();
            // The scalar must be in [1, n-1] (Botan 2 reads 0 as "generate a key", which would load
            // a different random key on every call).
            auto key = tessera::detail::botan::ec_private_key(tessera::detail::botan::ec_group(Alg::curve), *d,
                                                              system_rng());
            Botan::secure_scrub_memory(d->data(), d->size());
            if (!key)
                return fail(errc::invalid_key);
            // When the JWK also states the public point, it must be the one d gives.
            auto x = ec_member<Alg>(jwk, "x");
            auto y = ec_member<Alg>(jwk, "y");
            if (x && y) {
                const auto [px, py] = tessera::detail::botan::ec_public_xy(*key, Alg::coordinate_bytes);
                if (px != *x || py != *y)
                    return fail(errc::invalid_key);
            }
            return loaded_key<Botan::Private_Key>{std::move(key), std::move(*kid)};
        } else {
            auto d = okp_member(jwk, "d");
            if (!d)
                return d.error();
            auto key = tessera::detail::botan::ed25519_private_key(*d);
            Botan::secure_scrub_memory(d->data(), d->size());
            auto x = okp_member(jwk, "x");
            if (x && *x != tessera::detail::botan::ed25519_public_bytes(*key))
                return fail(errc::invalid_key);
            return loaded_key<Botan::Private_Key>{std::move(key), std::move(*kid)};
        }
    } catch (const std::exception&) {
        return fail(errc::invalid_key);
    }
}

template <algorithm Alg>
boost::json::object public_jwk(const Botan::Public_Key& key, const std::string& kid)
{
    boost::json::object jwk;
    jwk["kty"] = boost::json::string_view{jwk_kty<Alg>().data(), jwk_kty<Alg>().size()};
    if (!kid.empty())
        jwk["kid"] = kid;
    jwk["use"] = "sig";
    jwk["alg"] = boost::json::string_view{Alg::name.data(), Alg::name.size()};
    if constexpr (Alg::family == algorithm_family::rsa_pkcs1 || Alg::family == algorithm_family::rsa_pss) {
        const auto& rsa = dynamic_cast<const Botan::RSA_PublicKey&>(key);
        jwk["n"] = base64url::encode(tessera::detail::botan::big_endian(rsa.get_n()));
        jwk["e"] = base64url::encode(tessera::detail::botan::big_endian(rsa.get_e()));
    } else if constexpr (Alg::family == algorithm_family::ecdsa) {
        const auto& ec = dynamic_cast<const Botan::EC_PublicKey&>(key);
        jwk["crv"] = boost::json::string_view{Alg::jwk_curve.data(), Alg::jwk_curve.size()};
        const auto [x, y] = tessera::detail::botan::ec_public_xy(ec, Alg::coordinate_bytes);
        jwk["x"] = base64url::encode(x);
        jwk["y"] = base64url::encode(y);
    } else {
        const auto& ed = dynamic_cast<const Botan::Ed25519_PublicKey&>(key);
        jwk["crv"] = boost::json::string_view{Alg::jwk_curve.data(), Alg::jwk_curve.size()};
        jwk["x"] = base64url::encode(tessera::detail::botan::ed25519_public_bytes(ed));
    }
    return jwk;
}

// ---- RFC 7638 thumbprints ----------------------------------------------------

/** base64url(SHA-256) of `{"name":"value",...}`: the required members of a JWK, given in
    lexicographic order, with no whitespace (RFC 7638 §3). Every value here is base64url or a
    fixed name, so none needs escaping.
*/
inline std::string thumbprint_of(std::initializer_list<std::pair<std::string_view, std::string_view>> members)
{
    std::string canonical = "{";
    for (const auto& [name, value] : members) {
        if (canonical.size() > 1)
            canonical += ',';
        canonical.append("\"").append(name).append("\":\"").append(value).append("\"");
    }
    canonical += '}';
    auto hash = Botan::HashFunction::create_or_throw("SHA-256");
    hash->update(canonical);
    return base64url::encode(hash->final());
}

/// The RFC 7638 thumbprint of a public key of `Alg` (RFC 8037 §2 for Ed25519).
template <algorithm Alg>
std::string public_thumbprint(const Botan::Public_Key& key)
{
    const auto jwk = public_jwk<Alg>(key, {});
    auto member = [&](std::string_view name) {
        const auto& v = jwk.at(name).as_string();
        return std::string_view{v.data(), v.size()};
    };
    if constexpr (Alg::family == algorithm_family::rsa_pkcs1 || Alg::family == algorithm_family::rsa_pss)
        return thumbprint_of({{"e", member("e")}, {"kty", "RSA"}, {"n", member("n")}});
    else if constexpr (Alg::family == algorithm_family::ecdsa)
        return thumbprint_of({{"crv", member("crv")}, {"kty", "EC"}, {"x", member("x")}, {"y", member("y")}});
    else
        return thumbprint_of({{"crv", member("crv")}, {"kty", "OKP"}, {"x", member("x")}});
}

/// The RFC 7638 thumbprint of an HMAC key as a JWK of `"kty":"oct"`.
inline std::string hmac_thumbprint(const secret& key)
{
    return thumbprint_of({{"k", base64url::encode(key.reveal())}, {"kty", "oct"}});
}

template <algorithm Alg>
std::unique_ptr<Botan::Private_Key> generate_private(std::size_t rsa_bits)
{
    if constexpr (Alg::family == algorithm_family::rsa_pkcs1 || Alg::family == algorithm_family::rsa_pss)
        return std::make_unique<Botan::RSA_PrivateKey>(system_rng(), rsa_bits);
    else if constexpr (Alg::family == algorithm_family::ecdsa)
        return std::make_unique<Botan::ECDSA_PrivateKey>(system_rng(), tessera::detail::botan::ec_group(Alg::curve));
    else
        return std::make_unique<Botan::Ed25519_PrivateKey>(system_rng());
}

// ---- signatures ---------------------------------------------------------------

template <algorithm Alg>
bool verify_signature(public_material& material, std::string_view input, std::span<const std::uint8_t> signature)
{
    if constexpr (Alg::family == algorithm_family::ecdsa) {
        if (signature.size() != 2 * Alg::coordinate_bytes)
            return false;
    } else if constexpr (Alg::family == algorithm_family::eddsa) {
        if (signature.size() != 64)
            return false;
    } else {
        // RSA signatures have exactly the modulus' size (RFC 8017 §8.2.2 step 1).
        if (signature.size() != (material.key->key_length() + 7) / 8)
            return false;
    }
    try {
        auto verifier = material.verifiers.acquire([&] {
            return std::make_unique<Botan::PK_Verifier>(*material.key, std::string{padding<Alg>()},
                                                         signature_format<Alg>());
        });
        return verifier->verify_message(reinterpret_cast<const std::uint8_t*>(input.data()), input.size(),
                                        signature.data(), signature.size());
    } catch (const std::exception&) {
        return false;
    }
}

template <algorithm Alg>
std::vector<std::uint8_t> sign_message(private_material& material, std::string_view input)
{
    auto signer = material.signers.acquire([&] {
        return std::make_unique<Botan::PK_Signer>(*material.key, system_rng(), std::string{padding<Alg>()},
                                                   signature_format<Alg>());
    });
    return signer->sign_message(reinterpret_cast<const std::uint8_t*>(input.data()), input.size(), system_rng());
}

} // namespace tessera::inline v0::jwt::detail
