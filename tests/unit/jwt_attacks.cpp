// SPDX-License-Identifier: BSL-1.0
// The attack corpus: every known way to get a JWT verifier to accept what it
// must not, each refused with its exact error name.

#include "../data/rfc_vectors.hpp"
#include "jwt_support.hpp"

#include <tessera/detail/botan.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using test::at;
using test::forge;
using test::outcome;

namespace {

using test::now;
const std::string valid_claims = R"({"sub":"alice","exp":1700000600})";
const std::string hs256_header = R"({"alg":"HS256","typ":"JWT"})";

jwt::verifier<jwt::hs256> hs256_verifier(jwt::verify_options options = {})
{
    return jwt::verifier<jwt::hs256>{test::hs256_key(), std::move(options)};
}

std::string hs256(std::string_view header, std::string_view payload)
{
    return forge(header, payload, test::hs256_key());
}

std::string segment(std::string_view json)
{
    return tessera::base64url::encode(json);
}

// The RFC 7515 A.3 token's segments, for ES256 signature attacks.
const std::string_view a3 = vectors::a3_token;
const std::string a3_signing_input{a3.substr(0, a3.rfind('.'))};
const auto before_a3_expiry = at(1300819000);

jwt::verifier<jwt::es256> es256_verifier()
{
    return jwt::verifier<jwt::es256>{jwt::public_key<jwt::es256>::from_jwk(vectors::a3_jwk).value()};
}

} // namespace

BOOST_AUTO_TEST_SUITE(jwt_attacks)

BOOST_AUTO_TEST_CASE(alg_none_in_every_spelling)
{
    auto verify = hs256_verifier();
    for (std::string alg : {"none", "None", "NONE", "nOnE"}) {
        const std::string header = R"({"alg":")" + alg + R"("})";
        // As an unsecured JWS (empty signature) and with a signature attached.
        BOOST_TEST(outcome(verify.verify(segment(header) + "." + segment(valid_claims) + ".", now)) ==
                   "unsupported_algorithm");
        BOOST_TEST(outcome(verify.verify(hs256(header, valid_claims), now)) == "unsupported_algorithm");
    }
    // Other algorithms tessera does not implement are refused the same way.
    for (std::string alg : {"hs256", "HS257", "RSA-OAEP", "ES256K", "", "HS256 "})
        BOOST_TEST(outcome(verify.verify(hs256(R"({"alg":")" + alg + R"("})", valid_claims), now)) ==
                   "unsupported_algorithm");
}

BOOST_AUTO_TEST_CASE(algorithm_confusion_rsa_public_key_as_hmac_secret)
{
    // The attacker MACs an HS256 token with the bytes of the server's RSA public key PEM.
    const auto pem_as_secret = jwt::hmac_key<jwt::hs256>::from_secret(
                                   tessera::secret::from_text(vectors::a2_public_pem))
                                   .value();
    const auto token = forge(hs256_header, valid_claims, pem_as_secret);
    jwt::verifier<jwt::rs256> verify{jwt::public_key<jwt::rs256>::from_pem(vectors::a2_public_pem).value()};
    BOOST_TEST(outcome(verify.verify(token, now)) == "algorithm_mismatch");

    // And the structural defence: the key types do not convert into each other.
    static_assert(!std::is_constructible_v<jwt::verifier<jwt::hs256>, jwt::public_key<jwt::rs256>>);
    static_assert(!std::is_constructible_v<jwt::hmac_key<jwt::hs256>, jwt::public_key<jwt::rs256>>);
    static_assert(!std::is_constructible_v<jwt::verifier<jwt::rs256>, jwt::hmac_key<jwt::hs256>>);
    static_assert(!std::is_constructible_v<jwt::verifier<jwt::es256>, jwt::public_key<jwt::es384>>);
    static_assert(!std::is_constructible_v<jwt::hmac_key<jwt::hs256>, std::string>);
}

BOOST_AUTO_TEST_CASE(algorithm_not_pinned)
{
    // A valid HS384 token against an HS256 verifier.
    auto key384 = jwt::hmac_key<jwt::hs384>::generate();
    const auto token = forge(R"({"alg":"HS384"})", valid_claims, key384);
    BOOST_TEST(outcome(hs256_verifier().verify(token, now)) == "algorithm_mismatch");
}

BOOST_AUTO_TEST_CASE(ecdsa_psychic_signature_all_zero)
{
    // CVE-2022-21449: r = s = 0 must never verify.
    const std::string token = a3_signing_input + "." + tessera::base64url::encode(std::vector<std::uint8_t>(64, 0));
    BOOST_TEST(outcome(es256_verifier().verify(token, before_a3_expiry)) == "bad_signature");
}

BOOST_AUTO_TEST_CASE(ecdsa_r_or_s_out_of_range)
{
    const auto p256 = tessera::detail::botan::ec_group("secp256r1");
    const auto n = tessera::detail::botan::big_endian(p256.get_order(), 32);
    const auto sig = tessera::base64url::decode(a3.substr(a3.rfind('.') + 1)).value();
    auto with = [&](const auto& r, const auto& s) {
        std::vector<std::uint8_t> raw(r.begin(), r.end());
        raw.insert(raw.end(), s.begin(), s.end());
        return a3_signing_input + "." + tessera::base64url::encode(raw);
    };
    const std::vector<std::uint8_t> r(sig.begin(), sig.begin() + 32), s(sig.begin() + 32, sig.end());
    const std::vector<std::uint8_t> zero(32, 0), ones(32, 0xff);
    auto verify = es256_verifier();
    BOOST_TEST(outcome(verify.verify(with(r, s), before_a3_expiry)) == "ok");
    BOOST_TEST(outcome(verify.verify(with(n, n), before_a3_expiry)) == "bad_signature");
    BOOST_TEST(outcome(verify.verify(with(n, s), before_a3_expiry)) == "bad_signature");
    BOOST_TEST(outcome(verify.verify(with(r, n), before_a3_expiry)) == "bad_signature");
    BOOST_TEST(outcome(verify.verify(with(zero, s), before_a3_expiry)) == "bad_signature");
    BOOST_TEST(outcome(verify.verify(with(r, zero), before_a3_expiry)) == "bad_signature");
    BOOST_TEST(outcome(verify.verify(with(ones, s), before_a3_expiry)) == "bad_signature");
}

BOOST_AUTO_TEST_CASE(ecdsa_high_s_is_accepted_as_the_rfcs_require)
{
    // JOSE has no low-S rule: (r, n - s) is a valid signature of the same input.
    // tessera accepts it; its deny list keys on (iss, jti), never on signature bytes.
    const auto p256 = tessera::detail::botan::ec_group("secp256r1");
    const auto sig = tessera::base64url::decode(a3.substr(a3.rfind('.') + 1)).value();
    const Botan::BigInt s{sig.data() + 32, 32};
    auto high_s = tessera::detail::botan::big_endian(p256.get_order() - s, 32);
    std::vector<std::uint8_t> raw(sig.begin(), sig.begin() + 32);
    raw.insert(raw.end(), high_s.begin(), high_s.end());
    BOOST_TEST(outcome(es256_verifier().verify(a3_signing_input + "." + tessera::base64url::encode(raw),
                                               before_a3_expiry)) == "ok");
}

BOOST_AUTO_TEST_CASE(ecdsa_der_and_wrong_length_signatures)
{
    auto verify = es256_verifier();
    // The A.3 signature re-encoded as ASN.1 DER, and DER of r = s = 0.
    for (const char* sig : {"MEUCIA7RIVN5Y2xIPC9_FVgH1AKjsigDOvl8fheBmsMWnqZlAiEAxQoH04w8cOXY8S2vCEpUgKZlkMXyk1Cajz9_ioOjVNU",
                            "MAYCAQACAQA",
                            // each half left-padded with 0x00 to 33 bytes
                            "AA7RIVN5Y2xIPC9_FVgH1AKjsigDOvl8fheBmsMWnqZlAMUKB9OMPHDl2PEtrwhKVICmZZDF8pNQmo8_f4qDo1TV"})
        BOOST_TEST(outcome(verify.verify(a3_signing_input + "." + sig, before_a3_expiry)) == "bad_signature");
}

BOOST_AUTO_TEST_CASE(stripped_signature)
{
    const auto token = hs256(hs256_header, valid_claims);
    BOOST_TEST(outcome(hs256_verifier().verify(token.substr(0, token.rfind('.') + 1), now)) == "malformed");
}

BOOST_AUTO_TEST_CASE(padding_spaces_and_standard_base64_in_segments)
{
    auto verify = hs256_verifier();
    const auto token = hs256(hs256_header, valid_claims);
    const auto first = token.find('.'), second = token.rfind('.');
    const std::string h = token.substr(0, first), p = token.substr(first + 1, second - first - 1),
                      s = token.substr(second + 1);
    // N4 of the reference: a padded header segment.
    BOOST_TEST(outcome(verify.verify(h + "=." + p + "." + s, now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(h + "." + p + "==." + s, now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(h + "." + p + "." + s + "=", now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(" " + token, now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(token + "\n", now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(h + ". " + p + "." + s, now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(h + "." + p + "." + s.substr(0, 5) + " " + s.substr(5), now)) == "malformed");

    // Standard-alphabet characters: a payload whose encoding contains '-' and '_', spelled with '+' and '/'.
    const std::string claims_with_specials = R"({"sub":"a?>","x":"~~~","exp":1700000600})";
    const auto special = hs256(hs256_header, claims_with_specials);
    BOOST_TEST_REQUIRE(outcome(verify.verify(special, now)) == "ok");
    std::string standard = special;
    for (auto i = standard.find('.') + 1; i < standard.rfind('.'); ++i)
        standard[i] = standard[i] == '-' ? '+' : standard[i] == '_' ? '/' : standard[i];
    BOOST_TEST_REQUIRE(standard != special);
    BOOST_TEST(outcome(verify.verify(standard, now)) == "malformed");
}

BOOST_AUTO_TEST_CASE(non_canonical_base64url_signature)
{
    // N3 of the reference: the same MAC bytes with the unused trailing bits set.
    const auto key = jwt::hmac_key<jwt::hs256>::from_jwk(vectors::a1_jwk).value();
    jwt::verifier<jwt::hs256> verify{key, {.require_exp = false}};
    const std::string valid = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.BIC7xT8EuMEAD668BKXR2PoFeoJVC9skevIe2lntN5I";
    BOOST_TEST(outcome(verify.verify(valid, now)) == "ok");
    BOOST_TEST(outcome(verify.verify(test::with_char(valid, valid.size() - 1, 'J'), now)) == "malformed");
    // N1 and N2: a swapped payload and a flipped signature character.
    const std::string n1 = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9."
                           "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    BOOST_TEST(outcome(verify.verify(n1, now)) == "bad_signature");
    std::string n2{vectors::a1_token};
    n2[n2.rfind('.') + 1] = 'e';
    BOOST_TEST(outcome(verify.verify(n2, at(1300819000))) == "bad_signature");
}

BOOST_AUTO_TEST_CASE(two_or_four_parts)
{
    auto verify = hs256_verifier();
    const auto token = hs256(hs256_header, valid_claims);
    BOOST_TEST(outcome(verify.verify(token.substr(0, token.rfind('.')), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(token + ".AAAA", now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(token + ".", now)) == "malformed");
    BOOST_TEST(outcome(verify.verify("a.b.c.d.e", now)) == "malformed");
    BOOST_TEST(outcome(verify.verify("", now)) == "malformed");
    BOOST_TEST(outcome(verify.verify("..", now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(std::string(5000, '.'), now)) == "malformed");
}

BOOST_AUTO_TEST_CASE(token_of_one_mebibyte)
{
    std::string big = hs256(hs256_header, R"({"sub":"x","exp":1700000600,"pad":")" + std::string(1 << 20, 'a') + "\"}");
    BOOST_TEST(outcome(hs256_verifier().verify(big, now)) == "token_too_large");
    // Just above the default limit.
    std::string over = hs256(hs256_header, R"({"exp":1700000600,"pad":")" + std::string(6200, 'a') + "\"}");
    BOOST_TEST_REQUIRE(over.size() > jwt::default_max_token_size);
    BOOST_TEST(outcome(hs256_verifier().verify(over, now)) == "token_too_large");
    jwt::verify_options roomy;
    roomy.max_token_size = 16 * 1024;
    BOOST_TEST(outcome(hs256_verifier(roomy).verify(over, now)) == "ok");
}

BOOST_AUTO_TEST_CASE(json_nested_ten_thousand_deep)
{
    jwt::verify_options roomy;
    roomy.max_token_size = 256 * 1024;
    auto verify = hs256_verifier(roomy);
    const std::string deep_array = std::string(10000, '[') + std::string(10000, ']');
    // In the header (never reaches the signature check) and in a correctly signed payload.
    BOOST_TEST(outcome(verify.verify(hs256(R"({"alg":"HS256","x":)" + deep_array + "}", valid_claims), now)) ==
               "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1700000600,"x":)" + deep_array + "}"), now)) ==
               "malformed");
    std::string deep_object;
    for (int i = 0; i < 10000; ++i)
        deep_object += R"({"a":)";
    deep_object += "1" + std::string(10000, '}');
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, deep_object), now)) == "malformed");
}

BOOST_AUTO_TEST_CASE(json_depth_limit_is_exact)
{
    // The claims object is level 1; `x` opens levels 2..depth.
    auto nested = [](std::size_t depth) {
        return R"({"exp":1700000600,"x":)" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
    };
    auto verify = hs256_verifier();
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, nested(16)), now)) == "ok");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, nested(17)), now)) == "malformed");
    jwt::verify_options shallow;
    shallow.max_json_depth = 4;
    BOOST_TEST(outcome(hs256_verifier(shallow).verify(hs256(hs256_header, nested(4)), now)) == "ok");
    BOOST_TEST(outcome(hs256_verifier(shallow).verify(hs256(hs256_header, nested(5)), now)) == "malformed");
}

BOOST_AUTO_TEST_CASE(key_locating_headers_are_ignored)
{
    // jku, x5u, jwk and x5c name or carry a key: tessera never fetches or trusts one. A token with them
    // verifies with the verifier's own key, and one signed with the key it carries does not.
    auto verify = hs256_verifier();
    for (std::string extra : {R"("jku":"https://attacker.example/keys.json")", R"("x5u":"https://attacker.example/c.pem")",
                              R"("jwk":{"kty":"oct","k":"YXR0YWNrZXIta2V5LWF0dGFja2VyLWtleS1hdHRhY2tlcg"})",
                              R"("x5c":["MIIBszCCAVmgAwIBAgIUQ"])"}) {
        const std::string header = R"({"alg":"HS256","typ":"JWT",)" + extra + "}";
        BOOST_TEST(outcome(verify.verify(hs256(header, valid_claims), now)) == "ok", extra);
        BOOST_TEST(outcome(verify.verify(forge(header, valid_claims, jwt::hmac_key<jwt::hs256>::generate()), now)) ==
                       "bad_signature",
                   extra);
    }
}

BOOST_AUTO_TEST_CASE(duplicate_members)
{
    auto verify = hs256_verifier();
    BOOST_TEST(outcome(verify.verify(hs256(R"({"alg":"HS256","alg":"HS256"})", valid_claims), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(R"({"alg":"none","alg":"HS256"})", valid_claims), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1700000600,"exp":9999999999})"), now)) ==
               "malformed");
    // Same name after unescaping.
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1700000600,"\u0065xp":9999999999})"), now)) ==
               "malformed");
    // Nested duplicates too; the same name at different levels is fine.
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1700000600,"o":{"a":1,"a":2}})"), now)) ==
               "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1700000600,"o":{"exp":1}})"), now)) == "ok");
    // Several escaped names: each is compared as itself, not as whatever the parser unescaped last.
    auto claims = verify.verify(hs256(hs256_header, R"({"exp":1700000600,"\u0061":1,"\u0062":2,"\u0063":3})"), now);
    BOOST_TEST_REQUIRE(outcome(claims) == "ok");
    BOOST_TEST(claims->json().size() == 4u);
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1700000600,"\u0061":1,"\u0062":2,"a":3})"),
                                     now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(R"({"\u0061lg":"HS256","\u0074yp":"JWT"})", valid_claims), now)) == "ok");
    BOOST_TEST(outcome(verify.verify(hs256(R"({"\u0061lg":"HS256","\u0061lg":"HS256"})", valid_claims), now)) ==
               "malformed");
    // A claim set of a hundred members and more.
    std::string big = R"({"exp":1700000600)";
    for (int i = 0; i < 100; ++i)
        big += ",\"claim-" + std::to_string(i) + "\":\"" + std::string(20, 'x') + "\"";
    auto many = verify.verify(hs256(hs256_header, big + "}"), now);
    BOOST_TEST_REQUIRE(outcome(many) == "ok");
    BOOST_TEST(many->json().size() == 101u);
    BOOST_TEST(many->json().at("claim-99").as_string() == std::string(20, 'x'));
}

BOOST_AUTO_TEST_CASE(crit_and_nested_tokens)
{
    auto verify = hs256_verifier();
    BOOST_TEST(outcome(verify.verify(hs256(R"({"alg":"HS256","crit":["exp"],"exp":1})", valid_claims), now)) ==
               "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(R"({"alg":"HS256","crit":[]})", valid_claims), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(R"({"alg":"HS256","b64":false,"crit":["b64"]})", valid_claims), now)) ==
               "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(R"({"alg":"HS256","cty":"JWT"})", valid_claims), now)) == "malformed");
}

BOOST_AUTO_TEST_CASE(header_shape)
{
    auto verify = hs256_verifier();
    BOOST_TEST(outcome(verify.verify(hs256(R"({"typ":"JWT"})", valid_claims), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(R"({"alg":256})", valid_claims), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(R"(["HS256"])", valid_claims), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(R"({"alg":"HS256","kid":7})", valid_claims), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(R"({"alg":"HS256"} )", valid_claims), now)) == "ok");
    BOOST_TEST(outcome(verify.verify(hs256(R"({"alg":"HS256"}x)", valid_claims), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(R"({"alg":"HS256",})", valid_claims), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256("{\"alg\":\"HS256\",\"x\":\"\xff\"}", valid_claims), now)) == "malformed");
}

BOOST_AUTO_TEST_CASE(claims_of_the_wrong_type)
{
    auto verify = hs256_verifier();
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":"1700000600"})"), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":null})"), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1700000600,"nbf":true})"), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1700000600,"iat":[1]})"), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":-1})"), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1e300})"), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":18446744073709551615})"), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1700000600,"iss":1})"), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1700000600,"sub":{}})"), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1700000600,"aud":["api",1]})"), now)) ==
               "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"([1700000600])"), now)) == "malformed");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, "\"claims\""), now)) == "malformed");
    // A fractional NumericDate is a number, and valid.
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1700000600.5})"), now)) == "ok");
}

BOOST_AUTO_TEST_CASE(time_claims)
{
    auto verify = hs256_verifier(); // leeway 60 s
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1699999940})"), now)) == "expired");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1699999941})"), now)) == "ok");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1700000600,"nbf":1700000061})"), now)) ==
               "not_yet_valid");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1700000600,"nbf":1700000060})"), now)) == "ok");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"exp":1700000600,"iat":1700000061})"), now)) ==
               "not_yet_valid");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, R"({"sub":"no exp"})"), now)) == "missing_claim");
    BOOST_TEST(outcome(hs256_verifier({.require_exp = false}).verify(hs256(hs256_header, R"({"sub":"x"})"), now)) ==
               "ok");

    auto young = hs256_verifier({.leeway = std::chrono::seconds{0}, .max_age = std::chrono::seconds{300}});
    BOOST_TEST(outcome(young.verify(hs256(hs256_header, R"({"exp":1700000600,"iat":1699999700})"), now)) == "ok");
    BOOST_TEST(outcome(young.verify(hs256(hs256_header, R"({"exp":1700000600,"iat":1699999699})"), now)) ==
               "expired");
    BOOST_TEST(outcome(young.verify(hs256(hs256_header, R"({"exp":1700000600})"), now)) == "missing_claim");
}

BOOST_AUTO_TEST_CASE(issuer_audience_subject_type)
{
    jwt::verify_options o;
    o.issuers = {"https://auth.example"};
    o.audiences = {"api", "api2"};
    o.subject = "alice";
    o.type = "at+jwt";
    auto verify = hs256_verifier(o);
    const std::string typed = R"({"alg":"HS256","typ":"at+JWT"})";
    const std::string good = R"({"iss":"https://auth.example","aud":"api","sub":"alice","exp":1700000600})";
    BOOST_TEST(outcome(verify.verify(hs256(typed, good), now)) == "ok");
    BOOST_TEST(outcome(verify.verify(hs256(R"({"alg":"HS256","typ":"application/at+jwt"})", good), now)) == "ok");
    BOOST_TEST(outcome(verify.verify(hs256(hs256_header, good), now)) == "wrong_type");
    BOOST_TEST(outcome(verify.verify(hs256(R"({"alg":"HS256"})", good), now)) == "wrong_type");

    auto claims_with = [&](std::string_view member) {
        return R"({"exp":1700000600,"iss":"https://auth.example","aud":"api","sub":"alice",)" + std::string{member} +
               "}";
    };
    // Exact comparison: no prefix, suffix or case folding.
    BOOST_TEST(outcome(verify.verify(hs256(typed, claims_with(R"("iss":"https://auth.example.evil")")), now)) ==
               "malformed"); // a duplicate iss is refused before any comparison
    BOOST_TEST(outcome(verify.verify(hs256(typed, R"({"exp":1700000600,"iss":"https://auth.example.evil","aud":"api","sub":"alice"})"), now)) == "wrong_issuer");
    BOOST_TEST(outcome(verify.verify(hs256(typed, R"({"exp":1700000600,"iss":"https://AUTH.example","aud":"api","sub":"alice"})"), now)) == "wrong_issuer");
    BOOST_TEST(outcome(verify.verify(hs256(typed, R"({"exp":1700000600,"aud":"api","sub":"alice"})"), now)) == "missing_claim");
    BOOST_TEST(outcome(verify.verify(hs256(typed, R"({"exp":1700000600,"iss":"https://auth.example","aud":"apix","sub":"alice"})"), now)) == "wrong_audience");
    BOOST_TEST(outcome(verify.verify(hs256(typed, R"({"exp":1700000600,"iss":"https://auth.example","aud":["other","api2"],"sub":"alice"})"), now)) == "ok");
    BOOST_TEST(outcome(verify.verify(hs256(typed, R"({"exp":1700000600,"iss":"https://auth.example","aud":[],"sub":"alice"})"), now)) == "wrong_audience");
    BOOST_TEST(outcome(verify.verify(hs256(typed, R"({"exp":1700000600,"iss":"https://auth.example","sub":"alice"})"), now)) == "missing_claim");
    BOOST_TEST(outcome(verify.verify(hs256(typed, R"({"exp":1700000600,"iss":"https://auth.example","aud":"api","sub":"mallory"})"), now)) == "wrong_subject");

    // A token naming an audience is refused by a verifier that has none (RFC 7519 §4.1.3).
    BOOST_TEST(outcome(hs256_verifier().verify(hs256(hs256_header, R"({"exp":1700000600,"aud":"api"})"), now)) ==
               "wrong_audience");

    jwt::verify_options required;
    required.required_claims = {"jti", "role"};
    BOOST_TEST(outcome(hs256_verifier(required).verify(hs256(hs256_header, R"({"exp":1700000600,"jti":"x"})"), now)) ==
               "missing_claim");
    BOOST_TEST(outcome(hs256_verifier(required).verify(
                   hs256(hs256_header, R"({"exp":1700000600,"jti":"x","role":"admin"})"), now)) == "ok");
}

BOOST_AUTO_TEST_CASE(kid_lookup_in_a_key_set)
{
    auto a = jwt::private_key<jwt::es256>::generate("key-a");
    auto b = jwt::private_key<jwt::es256>::generate("key-b");
    auto set = jwt::key_set{}.add(a.public_key().to_jwk()).add(b.public_key().to_jwk());
    jwt::verifier<jwt::es256> verify{set};
    const auto claims = jwt::claims{}.subject("s").expires_at(at(1700000600));

    BOOST_TEST(outcome(verify.verify(*jwt::signer<jwt::es256>{a}.sign(claims), now)) == "ok");
    BOOST_TEST(outcome(verify.verify(*jwt::signer<jwt::es256>{b}.sign(claims), now)) == "ok");

    // A key that is not in the set, and kids that look like paths or SQL: they simply match nothing.
    for (std::string kid : {"key-c", "../../../../dev/null", "key-a' OR '1'='1", "key-a\x01", "KEY-A", "key-a "}) {
        auto stranger = jwt::private_key<jwt::es256>::from_pem(a.to_pem(), kid).value();
        BOOST_TEST(outcome(verify.verify(*jwt::signer<jwt::es256>{stranger}.sign(claims), now)) == "unknown_key");
    }
    // The right kid on a signature made by another key.
    auto impostor = jwt::private_key<jwt::es256>::from_pem(b.to_pem(), "key-a").value();
    BOOST_TEST(outcome(verify.verify(*jwt::signer<jwt::es256>{impostor}.sign(claims), now)) == "bad_signature");
}

BOOST_AUTO_TEST_CASE(key_set_key_for_another_algorithm)
{
    auto rsa = jwt::private_key<jwt::rs256>::from_jwk(vectors::a2_jwk).value();
    auto jwk = rsa.public_key().to_jwk(); // "alg":"RS256"
    jwk["kid"] = "rsa-1";
    auto set = jwt::key_set{}.add(jwk);
    // The set's key says RS256; the verifier pins PS256.
    jwt::verifier<jwt::ps256> verify{set};
    auto as_ps256 = jwt::private_key<jwt::ps256>::from_pem(rsa.to_pem(), "rsa-1").value();
    BOOST_TEST(outcome(verify.verify(*jwt::signer<jwt::ps256>{as_ps256}.sign(
                                         jwt::claims{}.expires_at(at(1700000600))),
                                     now)) == "algorithm_mismatch");
    // Loading it directly as a PS256 key is a configuration error, as documented: invalid_key.
    BOOST_TEST(outcome(jwt::public_key<jwt::ps256>::from_jwk(jwk)) == "invalid_key");
    // An encryption key is never used to verify.
    jwk["use"] = "enc";
    jwk.erase("alg");
    BOOST_TEST(outcome(jwt::public_key<jwt::rs256>::from_jwk(jwk)) == "invalid_key");
}

BOOST_AUTO_TEST_CASE(weak_and_wrong_keys_are_refused_at_construction)
{
    const std::vector<std::uint8_t> sixteen(16, 7), thirty_one(31, 7), thirty_two(32, 7), forty_seven(47, 7);
    BOOST_TEST(outcome(jwt::hmac_key<jwt::hs256>::from_bytes(sixteen)) == "weak_key");
    BOOST_TEST(outcome(jwt::hmac_key<jwt::hs256>::from_bytes(thirty_one)) == "weak_key");
    BOOST_TEST(outcome(jwt::hmac_key<jwt::hs256>::from_bytes(thirty_two)) == "ok");
    BOOST_TEST(outcome(jwt::hmac_key<jwt::hs384>::from_bytes(forty_seven)) == "weak_key");
    BOOST_CHECK_THROW(jwt::hmac_key<jwt::hs256>{tessera::secret{sixteen}}, tessera::error);
    BOOST_TEST(outcome(jwt::hmac_key<jwt::hs256>::from_jwk(R"({"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA"})")) ==
               "weak_key");

    // An RSA key under 2048 bits (generated here: 1024 bits).
    auto small = jwt::detail::generate_private<jwt::rs256>(1024);
    BOOST_TEST(outcome(jwt::private_key<jwt::rs256>::from_botan(std::move(small))) == "weak_key");
    // A P-384 key for ES256, an EC key for RS256, an RSA key for EdDSA.
    const auto p384 = jwt::private_key<jwt::es384>::generate().to_pem();
    BOOST_TEST(outcome(jwt::private_key<jwt::es256>::from_pem(p384)) == "invalid_key");
    BOOST_TEST(outcome(jwt::public_key<jwt::rs256>::from_pem(p384)) == "invalid_key");
    BOOST_TEST(outcome(jwt::public_key<jwt::eddsa>::from_pem(vectors::a2_public_pem)) == "invalid_key");
    BOOST_TEST(outcome(jwt::public_key<jwt::es256>::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")) ==
               "invalid_key");
    BOOST_TEST(outcome(jwt::public_key<jwt::es256>::from_pem("")) == "invalid_key");

    // A JWK point that is not on the curve.
    auto off_curve = jwt::detail::parse_jwk(vectors::a3_jwk).value();
    // y with its lowest bit flipped: canonical base64url of 32 bytes, so it is the curve check that refuses.
    auto y = tessera::base64url::decode(off_curve["y"].as_string()).value();
    BOOST_TEST_REQUIRE(y.size() == 32u);
    y[31] ^= 1;
    off_curve["y"] = tessera::base64url::encode(y);
    off_curve.erase("d");
    BOOST_TEST(outcome(jwt::public_key<jwt::es256>::from_jwk(off_curve)) == "invalid_key");
    // The same with the true y loads: the refusal above is the point's, not the encoding's.
    y[31] ^= 1;
    off_curve["y"] = tessera::base64url::encode(y);
    BOOST_TEST(outcome(jwt::public_key<jwt::es256>::from_jwk(off_curve)) == "ok");
    y[31] ^= 1;
    off_curve["y"] = tessera::base64url::encode(y);
    BOOST_TEST(outcome(jwt::public_key<jwt::es256>::from_jwk(off_curve)) == "invalid_key");
    // Coordinates of the wrong length, missing members, the wrong kty.
    off_curve["y"] = "AAAA";
    BOOST_TEST(outcome(jwt::public_key<jwt::es256>::from_jwk(off_curve)) == "invalid_key");
    BOOST_TEST(outcome(jwt::public_key<jwt::es256>::from_jwk(R"({"kty":"EC","crv":"P-256"})")) == "invalid_key");
    BOOST_TEST(outcome(jwt::public_key<jwt::es256>::from_jwk(vectors::a2_jwk)) == "invalid_key");
    BOOST_TEST(outcome(jwt::hmac_key<jwt::hs256>::from_jwk(vectors::a3_jwk)) == "invalid_key");
    BOOST_TEST(outcome(jwt::public_key<jwt::es256>::from_jwk("not json")) == "invalid_key");
}

// The cache of verified tokens: what it remembers is exactly what verified, found only by every byte;
// the instant is checked on every call.
BOOST_AUTO_TEST_CASE(a_verified_token_cache_remembers_exact_bytes_and_rechecks_the_instant)
{
    const auto verifier = hs256_verifier({.audiences = {"api"}, .leeway = 0s, .cache_size = 4});
    const auto token = hs256(hs256_header, R"({"sub":"alice","aud":"api","nbf":1700000000,"exp":1700000600})");
    BOOST_TEST(verifier.verify(token, now)->subject() == "alice");
    BOOST_TEST(verifier.cache_stats().misses == 1u);
    BOOST_TEST(verifier.verify(token, now)->subject() == "alice");
    BOOST_TEST(verifier.cache_stats().hits == 1u);
    // Remembered, and still judged at the instant of each call.
    BOOST_TEST(outcome(verifier.verify(token, at(1'700'000'600))) == "expired");
    BOOST_TEST(outcome(verifier.verify(token, at(1'699'999'999))) == "not_yet_valid");
    BOOST_TEST(verifier.cache_stats().hits == 3u);
    // The same signature over other claims, or one character of the signature changed: never a hit.
    const auto dot = token.rfind('.');
    const auto other_claims = segment(R"({"sub":"mallory","aud":"api","exp":1700000600})");
    const auto spliced = token.substr(0, token.find('.') + 1) + other_claims + token.substr(dot);
    for (int i = 0; i < 2; ++i)
        BOOST_TEST(outcome(verifier.verify(spliced, now)) == "bad_signature");
    const auto last = token.size() - 2;
    const auto flipped = test::with_char(token, last, token[last] == 'A' ? 'B' : 'A');
    for (int i = 0; i < 2; ++i)
        BOOST_TEST(outcome(verifier.verify(flipped, now)) == "bad_signature");
    BOOST_TEST(verifier.cache_stats().hits == 3u);
    // A token refused by a claim is not remembered either: asked again, it is verified again.
    const auto elsewhere = hs256(hs256_header, R"({"sub":"alice","aud":"other","exp":1700000600})");
    for (int i = 0; i < 2; ++i)
        BOOST_TEST(outcome(verifier.verify(elsewhere, now)) == "wrong_audience");
    const auto early = hs256(hs256_header, R"({"sub":"bob","aud":"api","nbf":1700000100,"exp":1700000600})");
    BOOST_TEST(outcome(verifier.verify(early, now)) == "not_yet_valid");
    const auto before = verifier.cache_stats();
    BOOST_TEST(verifier.verify(early, at(1'700'000'100))->subject() == "bob"); // verified in full, then remembered
    BOOST_TEST(verifier.cache_stats().misses == before.misses + 1);
    BOOST_TEST(verifier.verify(early, at(1'700'000'100))->subject() == "bob");
    BOOST_TEST(verifier.cache_stats().hits == before.hits + 1);
    // Copies share the cache; a token too long to remember is verified every time.
    const auto copy = verifier;
    BOOST_TEST(copy.verify(token, now)->subject() == "alice");
    BOOST_TEST(verifier.cache_stats().hits == before.hits + 2);
    const auto long_token = hs256(hs256_header, R"({"sub":"carol","aud":"api","exp":1700000600,"pad":")" +
                                                    std::string(3000, 'p') + "\"}");
    for (int i = 0; i < 2; ++i)
        BOOST_TEST(verifier.verify(long_token, now)->subject() == "carol");
    BOOST_TEST(verifier.cache_stats().hits == before.hits + 2);
    BOOST_CHECK_EXCEPTION(hs256_verifier({.cache_size = jwt::max_cache_size + 1}), tessera::error,
                          [](const tessera::error& e) { return e.code() == errc::invalid_configuration; });
    // Without a cache nothing is counted.
    const auto plain = hs256_verifier();
    BOOST_TEST(plain.verify(hs256(hs256_header, valid_claims), now).has_value());
    BOOST_TEST(plain.cache_stats().hits + plain.cache_stats().misses == 0u);
}

// Eight threads over one slot too few: tokens take each other's slots all the time, and every answer
// is still exactly the token's own.
BOOST_AUTO_TEST_CASE(a_verified_token_cache_under_contention_answers_each_token_exactly)
{
    const auto verifier = hs256_verifier({.cache_size = 3});
    std::vector<std::pair<std::string, std::string>> tokens; // token, expected answer
    for (const char* who : {"ann", "ben", "cat", "dan"})
        tokens.emplace_back(hs256(hs256_header, std::string{R"({"sub":")"} + who + R"(","exp":1700000600})"), who);
    for (std::size_t i = 0; i < 2; ++i) {
        auto forged = tokens[i].first;
        forged[forged.size() - 3] = forged[forged.size() - 3] == 'x' ? 'y' : 'x';
        tokens.emplace_back(forged, "bad_signature");
    }
    constexpr int threads = 8, rounds = 300;
    std::atomic<int> wrong{0}, right{0};
    {
        std::vector<std::jthread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                for (int r = 0; r < rounds; ++r)
                    for (std::size_t i = 0; i < tokens.size(); ++i) {
                        const auto& [token, expected] = tokens[(i + static_cast<std::size_t>(t)) % tokens.size()];
                        auto v = verifier.verify(token, now);
                        const std::string got = v ? std::string{v->subject()} : tessera::to_string(v.error());
                        (got == expected ? right : wrong).fetch_add(1);
                    }
            });
    }
    BOOST_TEST(wrong.load() == 0);
    BOOST_TEST(right.load() == threads * rounds * static_cast<int>(tokens.size()));
    const auto stats = verifier.cache_stats();
    BOOST_TEST(stats.hits + stats.misses == static_cast<std::uint64_t>(threads * rounds) * tokens.size());
    BOOST_TEST(stats.hits > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
