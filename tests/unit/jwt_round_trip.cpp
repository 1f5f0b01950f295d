// SPDX-License-Identifier: BSL-1.0
// Every algorithm signs and verifies its own tokens, and never another key's.

#include "../data/rfc_vectors.hpp"
#include "jwt_support.hpp"

#include <tuple>

using test::at;
using test::outcome;

namespace {

using test::now;

using algorithms = std::tuple<jwt::hs256, jwt::hs384, jwt::hs512, jwt::rs256, jwt::rs384, jwt::rs512, jwt::ps256,
                              jwt::ps384, jwt::ps512, jwt::es256, jwt::es384, jwt::es512, jwt::eddsa>;

/// Two different signing keys of `Alg`. RSA keys come from the RFCs, since
/// generating 2048-bit keys is slow under the sanitizers.
template <class Alg>
std::pair<jwt::signing_key_t<Alg>, jwt::signing_key_t<Alg>> two_keys()
{
    if constexpr (jwt::symmetric_algorithm<Alg>)
        return {jwt::hmac_key<Alg>::generate(), jwt::hmac_key<Alg>::generate()};
    else if constexpr (Alg::family == jwt::algorithm_family::rsa_pkcs1 || Alg::family == jwt::algorithm_family::rsa_pss)
        return {jwt::private_key<Alg>::from_jwk(vectors::a2_jwk).value(),
                jwt::private_key<Alg>::from_jwk(vectors::rfc7520_rsa_jwk).value()};
    else
        return {jwt::private_key<Alg>::generate(), jwt::private_key<Alg>::generate()};
}

template <class Alg>
jwt::verification_key_t<Alg> verification_of(const jwt::signing_key_t<Alg>& key)
{
    if constexpr (jwt::symmetric_algorithm<Alg>)
        return key;
    else
        return key.public_key();
}

} // namespace

BOOST_AUTO_TEST_SUITE(jwt_round_trip)

BOOST_AUTO_TEST_CASE_TEMPLATE(sign_then_verify, Alg, algorithms)
{
    auto [key, other] = two_keys<Alg>();
    const jwt::signer<Alg> sign{key};
    auto token = sign.sign(jwt::claims{}
                               .subject("user-42")
                               .issuer("https://auth.example")
                               .audiences({"api", "admin"})
                               .lifetime(now, std::chrono::minutes{15})
                               .set("role", "admin")
                               .set("scopes", boost::json::array{"read", "write"}));
    BOOST_TEST_REQUIRE(outcome(token) == "ok");

    const jwt::verifier<Alg> verify{verification_of<Alg>(key),
                                    {.issuers = {"https://auth.example"}, .audiences = {"admin"}, .type = "JWT"}};
    auto claims = verify.verify(*token, now);
    BOOST_TEST_REQUIRE(outcome(claims) == "ok");
    BOOST_TEST(claims->subject() == "user-42");
    BOOST_TEST(claims->issuer() == "https://auth.example");
    BOOST_TEST(claims->has_audience("api"));
    BOOST_TEST(!claims->has_audience("other"));
    BOOST_TEST(claims->expires_at()->time_since_epoch().count() == 1'700'000'900);
    BOOST_TEST(claims->issued_at()->time_since_epoch().count() == 1'700'000'000);
    BOOST_TEST(claims->jwt_id().size() == 43u); // generated, 256 bits
    BOOST_TEST(claims->find("role")->as_string() == "admin");
    BOOST_TEST(claims->find("scopes")->as_array().size() == 2u);
    BOOST_TEST(claims->header().alg == Alg::name);

    // A signature from one key never verifies under another.
    const jwt::verifier<Alg> stranger{verification_of<Alg>(other), {.audiences = {"api"}}};
    BOOST_TEST(outcome(stranger.verify(*token, now)) == "bad_signature");

    // Nor after any single character of the signed part changes.
    std::string t = *token;
    const auto last = t.rfind('.');
    for (std::size_t i : {std::size_t{2}, t.find('.') + 3, last - 2}) {
        std::string tampered = t;
        tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
        const auto r = verify.verify(tampered, now);
        BOOST_TEST((r.error() == errc::bad_signature || r.error() == errc::malformed));
    }
    // Expired fifteen minutes and a leeway later.
    BOOST_TEST(outcome(verify.verify(*token, now + std::chrono::seconds{900 + 60})) == "expired");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(verifier_pinning_a_set_of_algorithms, Alg, algorithms)
{
    // One verifier accepts HS256, ES256 and EdDSA; every other algorithm is a mismatch.
    auto hs = jwt::hmac_key<jwt::hs256>::generate();
    auto es = jwt::private_key<jwt::es256>::generate();
    auto ed = jwt::private_key<jwt::eddsa>::generate();
    const jwt::verifier<jwt::hs256, jwt::es256, jwt::eddsa> verify{hs, es.public_key(), ed.public_key()};

    auto [key, other] = two_keys<Alg>();
    const auto token = jwt::signer<Alg>{key}.sign(jwt::claims{}.expires_at(now + std::chrono::seconds{60}));
    const bool pinned = std::is_same_v<Alg, jwt::hs256> || std::is_same_v<Alg, jwt::es256> ||
                        std::is_same_v<Alg, jwt::eddsa>;
    // Pinned algorithms reach the signature check (with a key that did not sign): bad_signature.
    BOOST_TEST(outcome(verify.verify(*token, now)) == (pinned ? "bad_signature" : "algorithm_mismatch"));
}

BOOST_AUTO_TEST_CASE(kid_is_written_and_used)
{
    auto key = jwt::private_key<jwt::eddsa>::generate("2026-11");
    const auto token = jwt::signer<jwt::eddsa>{key}.sign(jwt::claims{}.expires_at(now + std::chrono::seconds{60}));
    auto decoded = jwt::decode_unverified(*token);
    BOOST_TEST_REQUIRE(outcome(decoded) == "ok");
    BOOST_TEST(decoded->header.at("kid").as_string() == "2026-11");
    BOOST_TEST(decoded->header.at("typ").as_string() == "JWT");
    BOOST_TEST(decoded->signature.size() == 64u);

    const jwt::verifier<jwt::eddsa> verify{jwt::key_set{}.add(key.public_key().to_jwk())};
    BOOST_TEST(outcome(verify.verify(*token, now)) == "ok");
}

BOOST_AUTO_TEST_CASE(sign_refuses_registered_claims_of_the_wrong_type)
{
    const jwt::signer<jwt::hs256> sign{jwt::hmac_key<jwt::hs256>::generate()};
    BOOST_TEST(outcome(sign.sign(jwt::claims{}.set("exp", "tomorrow"))) == "malformed");
    BOOST_TEST(outcome(sign.sign(jwt::claims{}.set("sub", 42))) == "malformed");
    BOOST_TEST(outcome(sign.sign(jwt::claims{}.set("aud", boost::json::array{"a", 1}))) == "malformed");
    const jwt::signer<jwt::hs256> no_jti{jwt::hmac_key<jwt::hs256>::generate(), {.generate_jti = false}};
    auto token = no_jti.sign(jwt::claims{}.subject("x"));
    BOOST_TEST(!jwt::decode_unverified(*token)->claims->contains("jti"));
}

BOOST_AUTO_TEST_CASE(the_payload_is_the_claims_serialized_with_one_jti_added_at_every_size)
{
    const auto key = jwt::hmac_key<jwt::hs256>::generate();
    const jwt::signer<jwt::hs256> sign{key};
    const jwt::verifier<jwt::hs256> verify{key};
    // Payloads on both sides of the signer's stack buffer, where the added `jti` no longer fits.
    for (std::size_t padding = 900; padding <= 1100; ++padding) {
        const std::string pad(padding, 'p');
        const auto c = jwt::claims{}.subject("u").expires_at(now + std::chrono::seconds{60}).set("pad", boost::json::string_view{pad});
        const auto token = sign.sign(c);
        BOOST_TEST_REQUIRE(outcome(token) == "ok");
        const auto decoded = jwt::decode_unverified(*token);
        BOOST_TEST_REQUIRE(outcome(decoded) == "ok");
        auto expected = c.json();
        const auto& claims = *decoded->claims;
        BOOST_TEST_REQUIRE(claims.contains("jti"));
        BOOST_TEST(claims.at("jti").as_string().size() == 43u);
        expected["jti"] = claims.at("jti");
        BOOST_TEST((claims == expected));
        BOOST_TEST(outcome(verify.verify(*token, now)) == "ok");
    }
    // No claims but the jti; a jti of the application's, kept and not doubled.
    const auto bare = jwt::decode_unverified(*sign.sign(jwt::claims{}));
    BOOST_TEST(bare->claims->size() == 1u);
    BOOST_TEST(bare->claims->at("jti").as_string().size() == 43u);
    const auto own = *sign.sign(jwt::claims{}.jwt_id("mine"));
    const auto payload = tessera::base64url::decode_to_string(own.substr(own.find('.') + 1, own.rfind('.') - own.find('.') - 1));
    BOOST_TEST(*payload == R"({"jti":"mine"})");
}

// The heap, per call (every operator new of this binary is counted: tests/main.cpp): a signer
// allocates the token alone, a verifier the claims' text alone, and the claims' object is built
// once, when a claim that is not read in place is first asked for. The subject is an e-mail
// address, longer than a string's inline buffer, as most real subjects are.
BOOST_AUTO_TEST_CASE(hs256_sign_and_verify_allocate_once)
{
    const auto key = jwt::hmac_key<jwt::hs256>::generate();
    const jwt::signer<jwt::hs256> signer{key};
    const auto c = jwt::claims{}.subject("someone@mail.example").issuer("https://auth.example").audience("api")
                       .lifetime(now, std::chrono::minutes{15}).set("role", "admin");
    const jwt::verifier<jwt::hs256> verifier{key, {.issuers = {"https://auth.example"}, .audiences = {"api"}}};
    const auto token = signer.sign(c).value();
    (void)verifier.verify(token, now).value(); // the key's MAC object is made once, on first use
    bool ok = false;
    BOOST_TEST(test::allocations_of([&] { ok = signer.sign(c).has_value(); }) == 1);
    BOOST_TEST(ok);
    BOOST_TEST(test::allocations_of([&] { ok = verifier.verify(token, now).has_value(); }) == 1);
    BOOST_TEST(ok);
    const auto claims = verifier.verify(token, now).value();
    BOOST_TEST(claims.subject() == "someone@mail.example");
    BOOST_TEST(test::allocations_of([&] { ok = claims.subject().size() + claims.jwt_id().size() == 63; }) == 0);
    BOOST_TEST(ok);
    BOOST_TEST(test::allocations_of([&] { ok = claims.find("role") != nullptr; }) > 0);
    BOOST_TEST(test::allocations_of([&] { ok = claims.find("role")->as_string() == "admin"; }) == 0);
    BOOST_TEST(ok);
}

BOOST_AUTO_TEST_CASE(verify_from_many_threads)
{
    auto key = jwt::private_key<jwt::es256>::generate();
    const jwt::signer<jwt::es256> sign{key};
    const jwt::verifier<jwt::es256> verify{key.public_key()};
    const jwt::verifier<jwt::hs256> verify_hs{test::hs256_key()};
    std::vector<std::string> tokens;
    for (int i = 0; i < 8; ++i)
        tokens.push_back(*sign.sign(jwt::claims{}.subject(std::to_string(i)).expires_at(now + std::chrono::seconds{60})));
    const auto hs_token = *jwt::signer<jwt::hs256>{test::hs256_key()}.sign(
        jwt::claims{}.subject("h").expires_at(now + std::chrono::seconds{60}));
    std::atomic<int> accepted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int round = 0; round < 10; ++round)
                for (const auto& token : tokens)
                    if (verify.verify(token, now) && verify_hs.verify(hs_token, now))
                        ++accepted;
        });
    for (auto& th : threads)
        th.join();
    BOOST_TEST(accepted.load() == 4 * 10 * 8);
}

BOOST_AUTO_TEST_SUITE_END()
