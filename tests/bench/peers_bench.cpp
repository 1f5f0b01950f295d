// SPDX-License-Identifier: BSL-1.0
// tessera against its floor and the JWT libraries Debian packages (libjwt 1.10, cpp-jwt 1.4, both
// on OpenSSL), in one binary: the same token verified, the same claims signed, each library making
// the checks it can (peers/peers.hpp). Each row runs every contender in rotating blocks
// (interleaved.hpp), so a shared machine's drift falls on all alike; the table the binary prints
// at the end (main.cpp) is made of these rows. The floors are the primitive alone: for HMAC the
// same checks written by hand, for a signature Botan's signer or verifier called on
// the signing input. A library that lacks an algorithm (PS256 and EdDSA in both peers) is left out
// of its row.

#include "allocations.hpp"
#include "interleaved.hpp"
#include "peers/peers.hpp"

#include <tessera/core/constant_time.hpp>
#include <tessera/jwt.hpp>

#include <benchmark/benchmark.h>
#include <boost/json.hpp>
#include <botan/mac.h>
#include <botan/pubkey.h>

#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace jwt = tessera::jwt;

namespace {

const auto now = tessera::system_clock{}.now();
const std::int64_t now_s = now.time_since_epoch().count();
// An hour of validity: cpp-jwt checks `exp` on the system clock, and a whole run of `./dev bench` is shorter.
const peers::claims typical{"user-1234567890", "https://auth.example", "api", now_s, now_s + 3600};

jwt::claims tessera_claims()
{
    return jwt::claims{}
        .subject(typical.subject)
        .issuer(typical.issuer)
        .audience(typical.audience)
        .lifetime(now, std::chrono::hours{1})
        .set("role", "admin");
}

/// The peers' name of `Alg`, where the peers have it and were built (TESSERA_BENCH_PEERS).
template <class Alg>
constexpr std::optional<peers::alg> peer_alg = std::nullopt;
#if defined(TESSERA_BENCH_PEERS)
template <>
constexpr std::optional<peers::alg> peer_alg<jwt::hs256> = peers::alg::hs256;
template <>
constexpr std::optional<peers::alg> peer_alg<jwt::hs512> = peers::alg::hs512;
template <>
constexpr std::optional<peers::alg> peer_alg<jwt::rs256> = peers::alg::rs256;
template <>
constexpr std::optional<peers::alg> peer_alg<jwt::es256> = peers::alg::es256;
#endif

std::span<const std::uint8_t> bytes_of(std::string_view s)
{
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// One algorithm's keys, as tessera, Botan and the peers take them.
template <class Alg>
struct keys {
    keys()
    {
        if constexpr (jwt::symmetric_algorithm<Alg>) {
            secret.resize(Alg::hash_bytes);
            tessera::random_bytes(std::span{reinterpret_cast<std::uint8_t*>(secret.data()), secret.size()});
            signing = secret;
            verifying = secret;
        } else {
            const auto key = jwt::private_key<Alg>::generate();
            signing = key.to_pem();
            verifying = key.public_key().to_pem();
        }
    }
    [[nodiscard]] auto signing_key() const
    {
        if constexpr (jwt::symmetric_algorithm<Alg>)
            return jwt::hmac_key<Alg>::from_bytes(bytes_of(secret)).value();
        else
            return jwt::private_key<Alg>::from_pem(signing).value();
    }
    [[nodiscard]] jwt::verifier<Alg> verifier() const
    {
        const jwt::verify_options o{.issuers = {typical.issuer}, .audiences = {typical.audience}};
        if constexpr (jwt::symmetric_algorithm<Alg>)
            return jwt::verifier<Alg>{signing_key(), o};
        else
            return jwt::verifier<Alg>{jwt::public_key<Alg>::from_pem(verifying).value(), o};
    }
    std::string secret, signing, verifying;
};

std::string botan_mac_name(std::size_t hash_bytes) { return hash_bytes == 32 ? "HMAC(SHA-256)" : "HMAC(SHA-512)"; }

/// The HMAC verify floor: split, base64url into stack buffers, the header parsed into a stack arena and
/// its alg/typ/crit checked, MAC with a key set once, constant-time compare, the payload parsed into a
/// stack arena, exp/iat/iss/aud/sub checked. No claims are kept: nothing reaches the heap.
template <class Alg>
struct hmac_verify_floor {
    explicit hmac_verify_floor(const std::string& secret)
        : mac(Botan::MessageAuthenticationCode::create_or_throw(botan_mac_name(Alg::hash_bytes)))
    {
        mac->set_key(bytes_of(secret).data(), secret.size());
    }
    bool operator()(std::string_view t)
    {
        const auto d1 = t.find('.'), d2 = t.rfind('.');
        if (d1 == d2 || t.find('.', d1 + 1) != d2)
            return false;
        char header[256], payload[1024];
        std::uint8_t sig[Alg::hash_bytes], expected[Alg::hash_bytes];
        const auto h = tessera::base64url::decode_into(t.substr(0, d1), std::span{reinterpret_cast<std::uint8_t*>(header), sizeof header});
        const auto p = tessera::base64url::decode_into(t.substr(d1 + 1, d2 - d1 - 1),
                                                       std::span{reinterpret_cast<std::uint8_t*>(payload), sizeof payload});
        const auto s = tessera::base64url::decode_into(t.substr(d2 + 1), sig);
        if (!h || !p || !s || *s != sizeof sig)
            return false;
        unsigned char arena[2048];
        boost::json::monotonic_resource mr{arena, sizeof arena};
        boost::system::error_code ec;
        const auto hv = boost::json::parse(std::string_view{header, *h}, ec, &mr);
        if (ec || !hv.is_object())
            return false;
        const auto* alg = hv.get_object().if_contains("alg");
        const auto* typ = hv.get_object().if_contains("typ");
        if (!alg || !alg->is_string() || alg->get_string() != Alg::name || !typ || !typ->is_string() ||
            typ->get_string() != "JWT" || hv.get_object().contains("crit"))
            return false;
        mac->update(bytes_of(t).data(), d2);
        mac->final(expected);
        if (!tessera::constant_time_equal(sig, expected))
            return false;
        const auto v = boost::json::parse(std::string_view{payload, *p}, ec, &mr);
        if (ec || !v.is_object())
            return false;
        const auto& o = v.get_object();
        const auto *exp = o.if_contains("exp"), *iat = o.if_contains("iat"), *iss = o.if_contains("iss"),
                   *aud = o.if_contains("aud"), *sub = o.if_contains("sub");
        return exp && exp->is_int64() && now_s < exp->get_int64() + 60 && iat && iat->is_int64() &&
               iat->get_int64() <= now_s + 60 && iss && iss->is_string() && iss->get_string() == typical.issuer &&
               aud && aud->is_string() && aud->get_string() == typical.audience && sub && sub->is_string();
    }
    std::unique_ptr<Botan::MessageAuthenticationCode> mac;
};

/// The signature verify floor: Botan's verifier, made once, on the token's signing input and its
/// decoded signature.
template <class Alg>
struct signature_verify_floor {
    explicit signature_verify_floor(jwt::public_key<Alg> k)
        : key(std::move(k)),
          verifier(key.botan(), std::string{jwt::detail::padding<Alg>()}, jwt::detail::signature_format<Alg>())
    {
    }
    bool operator()(std::string_view token)
    {
        const auto dot = token.rfind('.');
        std::uint8_t sig[512];
        const auto n = tessera::base64url::decode_into(token.substr(dot + 1), sig);
        return n && verifier.verify_message(bytes_of(token).data(), dot, sig, *n);
    }
    jwt::public_key<Alg> key; // Botan's verifier refers to it
    Botan::PK_Verifier verifier;
};

template <class Alg>
void verify_row(benchmark::State& state)
{
    const keys<Alg> k;
    const auto token = jwt::signer<Alg>{k.signing_key()}.sign(tessera_claims()).value();
    const auto v = k.verifier();
    std::vector<bench::contender> row;
    if constexpr (jwt::symmetric_algorithm<Alg>)
        row.push_back({"floor", [&, floor = std::make_shared<hmac_verify_floor<Alg>>(k.secret)] { return (*floor)(token); }});
    else
        row.push_back({"floor", [&, floor = std::make_shared<signature_verify_floor<Alg>>(
                                        jwt::public_key<Alg>::from_pem(k.verifying).value())] { return (*floor)(token); }});
    row.push_back({"tessera", [&] {
                       auto claims = v.verify(token, now);
                       benchmark::DoNotOptimize(claims);
                       return claims.has_value();
                   }});
    if constexpr (peer_alg<Alg>.has_value()) {
        row.push_back({"libjwt", [&] {
                           return peers::libjwt_verify(*peer_alg<Alg>, token, k.verifying, typical.issuer,
                                                       typical.audience, now_s);
                       }});
        row.push_back({"cpp-jwt", [&] {
                           return peers::cppjwt_verify(*peer_alg<Alg>, token, k.verifying, typical.issuer,
                                                       typical.audience);
                       }});
    }
    bench::rotated<jwt::symmetric_algorithm<Alg> ? 64 : 4>(state, std::move(row));
}

/// The HMAC sign floor: the claims tessera signs (a fresh random `jti` included) written into the
/// token's one buffer by hand, the constant header encoded once, one keyed MAC.
template <class Alg>
struct hmac_sign_floor {
    explicit hmac_sign_floor(const std::string& secret) : mac(Botan::MessageAuthenticationCode::create_or_throw(botan_mac_name(Alg::hash_bytes)))
    {
        mac->set_key(bytes_of(secret).data(), secret.size());
        header = tessera::base64url::encode(bytes_of(R"({"alg":")" + std::string{Alg::name} + R"(","typ":"JWT"})"));
        jti.reserve(64);
        payload.reserve(512);
    }
    std::string operator()()
    {
        // Two buffers reused from call to call: only the token is allocated.
        std::uint8_t id[32];
        tessera::random_bytes(id);
        jti.clear();
        tessera::base64url::encode_to(id, jti);
        char digits[2][24];
        const auto iat = std::to_chars(digits[0], digits[0] + 24, typical.issued_at).ptr;
        const auto exp = std::to_chars(digits[1], digits[1] + 24, typical.expires_at).ptr;
        payload.clear();
        payload.append(R"({"sub":")").append(typical.subject).append(R"(","iss":")").append(typical.issuer);
        payload.append(R"(","aud":")").append(typical.audience).append(R"(","iat":)").append(digits[0], iat);
        payload.append(R"(,"exp":)").append(digits[1], exp).append(R"(,"role":"admin","jti":")").append(jti);
        payload.append(R"("})");
        const std::string_view p = payload;
        std::string token;
        token.reserve(header.size() + tessera::base64url::encoded_size(p.size()) + 2 + 88);
        token += header;
        token += '.';
        tessera::base64url::encode_to(bytes_of(p), token);
        std::uint8_t tag[Alg::hash_bytes];
        mac->update(bytes_of(token).data(), token.size());
        mac->final(tag);
        token += '.';
        tessera::base64url::encode_to(tag, token);
        return token;
    }
    std::unique_ptr<Botan::MessageAuthenticationCode> mac;
    std::string header, jti, payload;
};

template <class Alg>
void sign_row(benchmark::State& state)
{
    const keys<Alg> k;
    const auto v = k.verifier();
    const jwt::signer<Alg> signer{k.signing_key()};
    const auto c = tessera_claims();
    // What each contender signs, tessera verifies: the rows sign the same thing.
    auto verified = [&](const std::string& token) { return !token.empty() && v.verify(token, now).has_value(); };
    std::vector<bench::contender> row;
    if constexpr (jwt::symmetric_algorithm<Alg>) {
        row.push_back({"floor", [&, floor = std::make_shared<hmac_sign_floor<Alg>>(k.secret)] {
                           auto token = (*floor)();
                           benchmark::DoNotOptimize(token);
                           return !token.empty();
                       }});
        if (!verified((*std::make_shared<hmac_sign_floor<Alg>>(k.secret))()))
            return state.SkipWithError("the floor's token does not verify");
    } else {
        // The signing input of tessera's token, signed by Botan's signer alone.
        const auto token = signer.sign(c).value();
        const std::string input = token.substr(0, token.rfind('.'));
        const auto key = k.signing_key();
        auto floor = std::make_shared<Botan::PK_Signer>(key.botan(), tessera::system_rng(),
                                                       std::string{jwt::detail::padding<Alg>()},
                                                       jwt::detail::signature_format<Alg>());
        row.push_back({"floor", [input, key, floor] {
                           auto sig = floor->sign_message(bytes_of(input).data(), input.size(), tessera::system_rng());
                           benchmark::DoNotOptimize(sig);
                           return !sig.empty();
                       }});
    }
    if (!verified(signer.sign(c).value()))
        return state.SkipWithError("tessera's token does not verify");
    row.push_back({"tessera", [&] {
                       auto token = signer.sign(c);
                       benchmark::DoNotOptimize(token);
                       return token.has_value();
                   }});
    if constexpr (peer_alg<Alg>.has_value()) {
        if (!verified(peers::libjwt_sign(*peer_alg<Alg>, k.signing, typical)))
            return state.SkipWithError("libjwt's token does not verify");
        if (!verified(peers::cppjwt_sign(*peer_alg<Alg>, k.signing, typical)))
            return state.SkipWithError("cpp-jwt's token does not verify");
        row.push_back({"libjwt", [&] { return !peers::libjwt_sign(*peer_alg<Alg>, k.signing, typical).empty(); }});
        row.push_back({"cpp-jwt", [&] { return !peers::cppjwt_sign(*peer_alg<Alg>, k.signing, typical).empty(); }});
    }
    bench::rotated<jwt::symmetric_algorithm<Alg> ? 64 : 4>(state, std::move(row));
}

} // namespace

BENCHMARK(verify_row<jwt::hs256>)->Name("peers/verify/HS256");
BENCHMARK(verify_row<jwt::hs512>)->Name("peers/verify/HS512");
BENCHMARK(verify_row<jwt::rs256>)->Name("peers/verify/RS256");
BENCHMARK(verify_row<jwt::ps256>)->Name("peers/verify/PS256");
BENCHMARK(verify_row<jwt::es256>)->Name("peers/verify/ES256");
BENCHMARK(verify_row<jwt::eddsa>)->Name("peers/verify/EdDSA");
BENCHMARK(sign_row<jwt::hs256>)->Name("peers/sign/HS256");
BENCHMARK(sign_row<jwt::hs512>)->Name("peers/sign/HS512");
BENCHMARK(sign_row<jwt::rs256>)->Name("peers/sign/RS256");
BENCHMARK(sign_row<jwt::ps256>)->Name("peers/sign/PS256");
BENCHMARK(sign_row<jwt::es256>)->Name("peers/sign/ES256");
BENCHMARK(sign_row<jwt::eddsa>)->Name("peers/sign/EdDSA");
