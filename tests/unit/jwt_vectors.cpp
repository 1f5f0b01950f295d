// SPDX-License-Identifier: BSL-1.0
// Conformance: the RFC 7515, RFC 7520 and RFC 8037 examples verify with the
// RFCs' keys, deterministic ones are reproduced byte for byte, and each
// fails after one changed character.

#include "../data/rfc_vectors.hpp"
#include "jwt_support.hpp"

using test::at;
using test::outcome;

namespace {

// The RFC 7515 examples expire at 1300819380 (2011-03-22T18:43:00Z).
const auto before_a1_expiry = at(1300819000);

/// One character of the payload segment changed: the signature no longer covers it.
std::string tamper_payload(std::string_view token)
{
    std::string t{token};
    const auto dot = t.find('.');
    t[dot + 5] = t[dot + 5] == 'A' ? 'B' : 'A';
    return t;
}

/// The first character of the signature changed (all its bits are significant).
std::string tamper_signature(std::string_view token)
{
    std::string t{token};
    const auto dot = t.rfind('.');
    t[dot + 1] = t[dot + 1] == 'A' ? 'B' : 'A';
    return t;
}

jwt::verify_options no_exp_required()
{
    jwt::verify_options o;
    o.require_exp = false;
    return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(jwt_vectors)

BOOST_AUTO_TEST_CASE(rfc7515_a1_hs256)
{
    auto key = jwt::hmac_key<jwt::hs256>::from_jwk(vectors::a1_jwk);
    BOOST_TEST_REQUIRE(key.has_value());
    jwt::verifier<jwt::hs256> verify{*key, {.type = "JWT"}};

    auto claims = verify.verify(vectors::a1_token, before_a1_expiry);
    BOOST_TEST_REQUIRE(outcome(claims) == "ok");
    BOOST_TEST(claims->issuer() == "joe");
    BOOST_TEST(claims->expires_at()->time_since_epoch().count() == 1300819380);
    BOOST_TEST(claims->find("http://example.com/is_root")->as_bool());
    BOOST_TEST(claims->header().typ == "JWT");

    BOOST_TEST(outcome(verify.verify(vectors::a1_token)) == "expired");
    BOOST_TEST(outcome(verify.verify(tamper_payload(vectors::a1_token), before_a1_expiry)) == "bad_signature");
    BOOST_TEST(outcome(verify.verify(tamper_signature(vectors::a1_token), before_a1_expiry)) == "bad_signature");
}

BOOST_AUTO_TEST_CASE(rfc7515_a1_boundary_of_exp_and_leeway)
{
    auto key = jwt::hmac_key<jwt::hs256>::from_jwk(vectors::a1_jwk).value();
    jwt::verifier<jwt::hs256> verify{key}; // leeway 60 s
    BOOST_TEST(outcome(verify.verify(vectors::a1_token, at(1300819380 + 59))) == "ok");
    BOOST_TEST(outcome(verify.verify(vectors::a1_token, at(1300819380 + 60))) == "expired");
    jwt::verifier<jwt::hs256> strict{key, {.leeway = std::chrono::seconds{0}}};
    BOOST_TEST(outcome(strict.verify(vectors::a1_token, at(1300819379))) == "ok");
    BOOST_TEST(outcome(strict.verify(vectors::a1_token, at(1300819380))) == "expired");
}

BOOST_AUTO_TEST_CASE(rfc7520_4_4_hs256_with_kid_is_a_jws_but_not_a_jwt)
{
    auto key = jwt::hmac_key<jwt::hs256>::from_jwk(vectors::rfc7520_hs256_jwk);
    BOOST_TEST_REQUIRE(key.has_value());
    BOOST_TEST(key->kid() == "018c0ae5-4d9b-471b-bfd6-eef314bc7037");
    jwt::verifier<jwt::hs256> verify{*key};
    auto jws = verify.verify_signature(vectors::rfc7520_hs256_token);
    BOOST_TEST_REQUIRE(outcome(jws) == "ok");
    BOOST_TEST(jws->payload.starts_with("It\xe2\x80\x99s a dangerous business, Frodo"));
    BOOST_TEST(jws->header.kid == "018c0ae5-4d9b-471b-bfd6-eef314bc7037");
    // RFC 7519 §7.2 step 10: a JWT's payload must be a JSON object.
    BOOST_TEST(outcome(verify.verify(vectors::rfc7520_hs256_token)) == "malformed");
    BOOST_TEST(outcome(verify.verify_signature(tamper_payload(vectors::rfc7520_hs256_token))) == "bad_signature");
}

BOOST_AUTO_TEST_CASE(rfc7515_a2_rs256_verifies_and_is_reproduced)
{
    auto from_jwk = jwt::public_key<jwt::rs256>::from_jwk(vectors::a2_jwk);
    auto from_pem = jwt::public_key<jwt::rs256>::from_pem(vectors::a2_public_pem);
    BOOST_TEST_REQUIRE(from_jwk.has_value());
    BOOST_TEST_REQUIRE(from_pem.has_value());
    for (const auto& key : {*from_jwk, *from_pem}) {
        jwt::verifier<jwt::rs256> verify{key};
        BOOST_TEST(outcome(verify.verify(vectors::a2_token, before_a1_expiry)) == "ok");
        BOOST_TEST(outcome(verify.verify(tamper_payload(vectors::a2_token), before_a1_expiry)) == "bad_signature");
        BOOST_TEST(outcome(verify.verify(tamper_signature(vectors::a2_token), before_a1_expiry)) == "bad_signature");
    }

    // RSASSA-PKCS1-v1_5 is deterministic: signing the same input gives the RFC's token.
    auto private_key = jwt::private_key<jwt::rs256>::from_jwk(vectors::a2_jwk);
    BOOST_TEST_REQUIRE(private_key.has_value());
    jwt::signer<jwt::rs256> sign{*private_key, {.type = ""}};
    const std::string payload = "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
    BOOST_TEST(sign.sign_payload(payload) == vectors::a2_token);
    BOOST_TEST(private_key->public_key().to_pem() == std::string{vectors::a2_public_pem});
}

BOOST_AUTO_TEST_CASE(rfc7520_4_1_rs256_and_4_2_ps384)
{
    auto rs = jwt::public_key<jwt::rs256>::from_jwk(vectors::rfc7520_rsa_jwk);
    auto ps = jwt::public_key<jwt::ps384>::from_jwk(vectors::rfc7520_rsa_jwk);
    BOOST_TEST_REQUIRE(rs.has_value());
    BOOST_TEST_REQUIRE(ps.has_value());
    BOOST_TEST(rs->kid() == "bilbo.baggins@hobbiton.example");
    const jwt::verifier<jwt::rs256> verify_rs{*rs};
    const jwt::verifier<jwt::ps384> verify_ps{*ps};
    BOOST_TEST(outcome(verify_rs.verify_signature(vectors::rfc7520_rs256_token)) == "ok");
    BOOST_TEST(outcome(verify_ps.verify_signature(vectors::rfc7520_ps384_token)) == "ok");
    BOOST_TEST(outcome(verify_ps.verify_signature(tamper_payload(vectors::rfc7520_ps384_token))) == "bad_signature");
    BOOST_TEST(outcome(verify_rs.verify(vectors::rfc7520_rs256_token)) == "malformed");

    auto signing = jwt::private_key<jwt::rs256>::from_jwk(vectors::rfc7520_rsa_jwk);
    BOOST_TEST_REQUIRE(signing.has_value());
    const std::string_view token = vectors::rfc7520_rs256_token;
    const auto payload = tessera::base64url::decode_to_string(token.substr(token.find('.') + 1,
                                                                           token.rfind('.') - token.find('.') - 1));
    const jwt::signer<jwt::rs256> sign{*signing, {.type = ""}};
    BOOST_TEST(sign.sign_payload(*payload) == token);
}

BOOST_AUTO_TEST_CASE(rfc7515_a3_es256)
{
    auto from_jwk = jwt::public_key<jwt::es256>::from_jwk(vectors::a3_jwk);
    auto from_pem = jwt::public_key<jwt::es256>::from_pem(vectors::a3_public_pem);
    BOOST_TEST_REQUIRE(from_jwk.has_value());
    BOOST_TEST_REQUIRE(from_pem.has_value());
    for (const auto& key : {*from_jwk, *from_pem}) {
        jwt::verifier<jwt::es256> verify{key};
        BOOST_TEST(outcome(verify.verify(vectors::a3_token, before_a1_expiry)) == "ok");
        BOOST_TEST(outcome(verify.verify(tamper_payload(vectors::a3_token), before_a1_expiry)) == "bad_signature");
        BOOST_TEST(outcome(verify.verify(tamper_signature(vectors::a3_token), before_a1_expiry)) == "bad_signature");
    }
    // The private JWK signs tokens its public half verifies (ECDSA is randomised: no byte comparison).
    auto private_key = jwt::private_key<jwt::es256>::from_jwk(vectors::a3_jwk);
    BOOST_TEST_REQUIRE(private_key.has_value());
    const jwt::signer<jwt::es256> sign{*private_key};
    auto token = sign.sign(jwt::claims{}.subject("a3").expires_at(at(2000)));
    const jwt::verifier<jwt::es256> verify{*from_jwk};
    BOOST_TEST(outcome(verify.verify(*token, at(1000))) == "ok");
}

BOOST_AUTO_TEST_CASE(rfc7515_a4_es512)
{
    auto key = jwt::public_key<jwt::es512>::from_jwk(vectors::a4_jwk);
    BOOST_TEST_REQUIRE(key.has_value());
    jwt::verifier<jwt::es512> verify{*key};
    auto jws = verify.verify_signature(vectors::a4_token);
    BOOST_TEST_REQUIRE(outcome(jws) == "ok");
    BOOST_TEST(jws->payload == "Payload");
    BOOST_TEST(outcome(verify.verify_signature(tamper_signature(vectors::a4_token))) == "bad_signature");
    BOOST_TEST(outcome(verify.verify(vectors::a4_token)) == "malformed");
}

BOOST_AUTO_TEST_CASE(rfc8037_ed25519_sign_and_verify)
{
    auto private_key = jwt::private_key<jwt::eddsa>::from_jwk(vectors::ed25519_jwk);
    auto public_key = jwt::public_key<jwt::eddsa>::from_jwk(vectors::ed25519_jwk);
    BOOST_TEST_REQUIRE(private_key.has_value());
    BOOST_TEST_REQUIRE(public_key.has_value());
    // A.4: Ed25519 is deterministic.
    jwt::signer<jwt::eddsa> sign{*private_key, {.type = ""}};
    BOOST_TEST(sign.sign_payload("Example of Ed25519 signing") == vectors::ed25519_token);
    // A.5
    jwt::verifier<jwt::eddsa> verify{*public_key};
    auto jws = verify.verify_signature(vectors::ed25519_token);
    BOOST_TEST_REQUIRE(outcome(jws) == "ok");
    BOOST_TEST(jws->payload == "Example of Ed25519 signing");
    BOOST_TEST(outcome(verify.verify_signature(tamper_payload(vectors::ed25519_token))) == "bad_signature");
    BOOST_TEST(outcome(verify.verify_signature(tamper_signature(vectors::ed25519_token))) == "bad_signature");
    BOOST_TEST(outcome(verify.verify(vectors::ed25519_token)) == "malformed");
    // The public JWK tessera writes is the RFC's A.2 key.
    const auto jwk = public_key->to_jwk();
    BOOST_TEST(jwk.at("x").as_string() == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    BOOST_TEST(jwk.at("crv").as_string() == "Ed25519");
}

BOOST_AUTO_TEST_CASE(rfc7515_a5_unsecured_jws_is_refused)
{
    auto key = jwt::hmac_key<jwt::hs256>::from_jwk(vectors::a1_jwk).value();
    jwt::verifier<jwt::hs256> verify{key, no_exp_required()};
    BOOST_TEST(outcome(verify.verify(vectors::a5_none_token, before_a1_expiry)) == "unsupported_algorithm");
}

BOOST_AUTO_TEST_CASE(public_jwks_round_trip_through_to_jwk)
{
    auto rsa = jwt::public_key<jwt::rs256>::from_jwk(vectors::a2_jwk).value();
    auto again = jwt::public_key<jwt::rs256>::from_jwk(rsa.to_jwk());
    BOOST_TEST_REQUIRE(again.has_value());
    const jwt::verifier<jwt::rs256> verify{*again};
    BOOST_TEST(outcome(verify.verify(vectors::a2_token, before_a1_expiry)) == "ok");
    auto ec = jwt::public_key<jwt::es256>::from_jwk(vectors::a3_jwk).value();
    BOOST_TEST(ec.to_jwk().at("x").as_string() == "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU");
    BOOST_TEST(ec.to_jwk().at("y").as_string() == "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0");
}

BOOST_AUTO_TEST_SUITE_END()
