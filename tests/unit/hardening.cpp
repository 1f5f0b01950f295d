// SPDX-License-Identifier: BSL-1.0
// What fuzzing and the sanitizers found, each kept as a regression test:
// hostile input on every request and hostile records from a store must be
// refused by name, never thrown, never undefined behaviour.

#include "jwt_support.hpp"
#include "store_fixtures.hpp"

#include <tessera/authenticator.hpp>
#include <tessera/jwt/decode.hpp>
#include <tessera/jwt/jwks.hpp>
#include <tessera/password/hash.hpp>
#include <tessera/password/throttle.hpp>

#include "../data/rfc_vectors.hpp"

#include <boost/test/unit_test.hpp>

#include <limits>

using namespace test::suite;

namespace {

std::string hs256_token(const jwt::hmac_key<jwt::hs256>& key, const std::string& header, const std::string& payload)
{
    return test::forge(header, payload, key);
}

} // namespace

BOOST_AUTO_TEST_SUITE(hardening)

// Argon2 needs m >= 8p; a stored hash with m=8, p=16 made Botan throw through verify and the login path.
BOOST_AUTO_TEST_CASE(an_argon2_hash_botan_refuses_is_not_a_throw)
{
    const std::string bad = "$argon2id$v=19$m=8,t=1,p=16$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A";
    const tessera::password_hasher hasher;
    bool verified = true;
    BOOST_CHECK_NO_THROW(verified = hasher.verify("password", bad));
    BOOST_TEST(!verified);
    BOOST_TEST(hasher.needs_rehash(bad));
    // On the login path: a refusal by name.
    test::memory_fixture f;
    tessera::login_throttle throttle{f.store, {}, f.clock};
    BOOST_TEST(outcome(tessera::check_password(hasher, throttle, "alice", "192.0.2.1", "password",
                                               std::string_view{bad})) == "bad_credentials");
    // m = 8p exactly is valid Argon2 (if below tessera's cost for new hashes): parsed and verified.
    BOOST_TEST(!hasher.verify("password", "$argon2id$v=19$m=16,t=1,p=2$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A"));
}

// A refresh-token record whose generation is not a whole non-negative number made refresh throw.
BOOST_AUTO_TEST_CASE(a_refresh_record_that_does_not_decode_is_store_unavailable)
{
    test::memory_fixture f;
    tessera::hybrid_authenticator<jwt::hs256, decltype(f.store), tessera::manual_clock> mobile{
        f.store, jwt::hmac_key<jwt::hs256>::generate(), {.issuer = "https://auth.example", .audience = "api"}, f.clock};
    auto login = must(mobile.issue("alice"));
    std::array<std::uint8_t, 32> raw;
    // A refresh token is family id (22), '.', secret (43); the store keys the secret's hash.
    const auto key = must(tessera::detail::opaque_key(login.refresh_token.substr(23),
                                                      tessera::keys::prefix(tessera::keys::kind::refresh_token), raw));
    const auto family = must(mobile.sessions("alice")).at(0).family;
    for (std::string gen : {"0.5", "-1", "1e400", "18446744073709551616", "\"0\"", "null"}) {
        const std::string record = R"({"fam":")" + family + R"(","gen":)" + gen + R"(,"exp":1800000000})";
        must(f.store.put(key, record, f.clock.now() + 1h, tessera::keys::index(tessera::keys::kind::refresh_token, family)));
        tessera::result<tessera::credentials> r = tessera::fail(tessera::errc::malformed);
        BOOST_CHECK_NO_THROW(r = mobile.refresh(login.refresh_token));
        BOOST_TEST(outcome(r) == "store_unavailable", gen);
        BOOST_CHECK_NO_THROW((void)mobile.revoke(login.refresh_token));
    }
}

// A session record with times near INT64_MAX overflowed in the expiry arithmetic (UBSan).
BOOST_AUTO_TEST_CASE(session_times_out_of_range_are_a_corrupt_record)
{
    test::memory_fixture f;
    tessera::session_manager<decltype(f.store), tessera::manual_clock> sessions{f.store, {}, f.clock};
    auto login = must(sessions.create("alice"));
    const auto key = must(sessions.key_of(login.id));
    const auto index = tessera::keys::index(tessera::keys::kind::session, "alice");
    const auto max = std::to_string(std::numeric_limits<std::int64_t>::max());
    for (const std::string& record : {"1|1700000000|" + max + "|1700043200|5:alice0:0:",
                                     "1|1700000000|1700000000|" + max + "|5:alice0:0:",
                                     std::string{"1|-9223372036854775808|1700000000|1700043200|5:alice0:0:"},
                                     std::string{"1|1700000000|-1|1700043200|5:alice0:0:"},
                                     // Numbers that are not plain digits, or too many digits for any time.
                                     std::string{"1|+1700000000|1700000000|1700043200|5:alice0:0:"},
                                     std::string{"1||1700000000|1700043200|5:alice0:0:"},
                                     std::string{"1|1700000000|1700000000|1700043200|0000000000000000005:alice0:0:"},
                                     std::string{"1|1700000000|1700000000|1700043200|5 :alice0:0:"}}) {
        must(f.store.put(key, record, f.clock.now() + 1h, index));
        BOOST_TEST(outcome(sessions.validate(login.id)) == "store_unavailable", record);
        BOOST_TEST(outcome(sessions.rotate(login.id)) == "store_unavailable", record);
    }
}

// Today's record layout (version 2: a fixed binary header, then the strings, then JSON): every cut,
// every size that runs past the end, every time out of range is a corrupt record, never a session.
BOOST_AUTO_TEST_CASE(a_version_2_record_that_does_not_add_up_is_corrupt)
{
    test::memory_fixture f;
    tessera::session_manager<decltype(f.store), tessera::manual_clock> sessions{f.store, {}, f.clock};
    auto login = must(sessions.create("alice", {.user_agent = "ua", .ip = "203.0.113.7"}, boost::json::object{{"k", 1}}));
    const auto key = must(sessions.key_of(login.id));
    const auto index = tessera::keys::index(tessera::keys::kind::session, "alice");
    const auto good = must(f.store.get(key))->value;
    BOOST_REQUIRE(good.front() == '\x02');
    BOOST_REQUIRE(good.size() == tessera::detail::session_header_size + 5 + 2 + 11 + 7);
    std::vector<std::string> bad;
    // Cut anywhere (a cut inside the attributes leaves JSON that does not parse), except right
    // before them: that is a session without attributes.
    for (std::size_t n = 0; n < good.size(); ++n)
        if (n != good.size() - 7)
            bad.push_back(good.substr(0, n));
    auto with = [&](std::size_t at, std::uint64_t v, int bytes) {
        auto r = good;
        for (int i = 0; i < bytes; ++i)
            r[at + static_cast<std::size_t>(i)] = static_cast<char>(v >> (8 * i) & 0xff);
        return r;
    };
    for (std::size_t time = 0; time < 3; ++time) {
        bad.push_back(with(1 + 8 * time, static_cast<std::uint64_t>(tessera::max_time_seconds) + 1, 8));
        bad.push_back(with(1 + 8 * time, ~std::uint64_t{0}, 8)); // -1
        bad.push_back(with(1 + 8 * time, std::uint64_t{1} << 63, 8)); // INT64_MIN
    }
    for (std::size_t size = 0; size < 3; ++size) {
        bad.push_back(with(25 + 4 * size, 0xffff'ffffu, 4));
        bad.push_back(with(25 + 4 * size, good.size(), 4));
    }
    bad.push_back(with(25, 5 + 2 + 11 + 8, 4) + "x"); // the subject takes the rest: the next sizes run past the end
    bad.push_back(good + "}");
    for (const auto& record : bad) {
        must(f.store.put(key, record, f.clock.now() + 1h, index));
        BOOST_TEST(outcome(sessions.validate(login.id)) == "store_unavailable", record.size());
        BOOST_TEST(outcome(sessions.validate(f.clock.now(), login.id, tessera::detail::session_fields::without_context)) ==
                       "store_unavailable",
                   record.size());
        BOOST_TEST(outcome(sessions.rotate(login.id)) == "store_unavailable", record.size());
    }
    must(f.store.put(key, good, f.clock.now() + 1h, index));
    BOOST_TEST(must(sessions.validate(login.id)).data.ip == "203.0.113.7");
}

// Move assignment left the moved-from claims pointing into the table they gave away (ASan: use after free).
BOOST_AUTO_TEST_CASE(a_moved_from_claim_set_reads_nothing_freed)
{
    const auto key = jwt::hmac_key<jwt::hs256>::generate();
    jwt::verifier<jwt::hs256> verify{key, {.issuers = {"https://auth.example"}}};
    jwt::signer<jwt::hs256> sign{key};
    const auto now = tessera::system_clock{}.now();
    auto token = [&](std::string_view sub) {
        return must(sign.sign(jwt::claims{}.subject(sub).issuer("https://auth.example").lifetime(now, 5min)));
    };
    auto a = must(verify.verify(token("alice"), now));
    auto b = must(verify.verify(token("bob"), now));
    const auto other = must(verify.verify(token("carol"), now));
    b = std::move(a);
    BOOST_TEST(b.subject() == "alice");
    b = other; // frees the table a's registered claims pointed into, before the fix
    BOOST_TEST(b.subject() == "carol");
    BOOST_TEST(a.subject().empty()); // NOLINT(bugprone-use-after-move): that is the test
    BOOST_TEST(!a.expires_at().has_value());
    auto& alias = a; // self-move (through a reference, as generic code does it) leaves it usable
    a = std::move(alias);
    BOOST_TEST(a.subject().empty());
}

// An EC private JWK with d = 0 made Botan generate a fresh random key on every load.
BOOST_AUTO_TEST_CASE(an_ec_private_scalar_outside_one_to_n_minus_one_is_invalid)
{
    auto jwk = jwt::detail::parse_jwk(vectors::a3_jwk).value();
    jwk.erase("x");
    jwk.erase("y");
    // 0, and the group order n of P-256 (both 32 bytes, canonical base64url).
    const std::array<std::string, 2> scalars{
        std::string(43, 'A'),
        "_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE"};
    for (const auto& d : scalars) {
        jwk["d"] = d;
        BOOST_TEST(outcome(jwt::private_key<jwt::es256>::from_jwk(jwk)) == "invalid_key", d);
    }
    // The true d loads, and twice gives the same key.
    jwk["d"] = jwt::detail::parse_jwk(vectors::a3_jwk).value().at("d");
    auto one = must(jwt::private_key<jwt::es256>::from_jwk(jwk));
    auto two = must(jwt::private_key<jwt::es256>::from_jwk(jwk));
    BOOST_TEST(one.public_key().to_jwk() == two.public_key().to_jwk());
}

// `typ` folded case with `c | 0x20`, so byte 0x0F matched '/': letters only are folded.
BOOST_AUTO_TEST_CASE(typ_folds_case_of_letters_only)
{
    const auto key = jwt::hmac_key<jwt::hs256>::generate();
    jwt::verifier<jwt::hs256> verify{key, {.type = "JWT"}};
    const std::string claims = R"({"exp":4000000000})";
    const auto now = tessera::time_point{std::chrono::seconds{1'700'000'000}};
    for (std::string typ : {"JWT", "jwt", "application/jwt", "APPLICATION/JWT"})
        BOOST_TEST(outcome(verify.verify(hs256_token(key, R"({"alg":"HS256","typ":")" + typ + "\"}", claims), now)) ==
                       "ok",
                   typ);
    for (std::string typ : {"application\\u000fJWT", "applicationOJWT", "\\u000awt", "J\\u0017T", "JW\\u0014"})
        BOOST_TEST(outcome(verify.verify(hs256_token(key, R"({"alg":"HS256","typ":")" + typ + "\"}", claims), now)) ==
                       "wrong_type",
                   typ);
}

// A 100,000-member object took 3.25 s (a quadratic duplicate check); linear now, and bounded in size.
BOOST_AUTO_TEST_CASE(large_objects_are_checked_in_linear_time_and_bounded)
{
    auto object_of = [](std::size_t members, bool repeat_first) {
        std::string text = "{";
        for (std::size_t i = 0; i < members; ++i)
            text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
        if (repeat_first)
            text += ",\"k0\":2";
        return text + "}";
    };
    const auto big = object_of(60'000, false);
    BOOST_TEST_REQUIRE(big.size() < 1024u * 1024u);
    BOOST_TEST(must(tessera::detail::parse_object(big)).size() == 60'000u);
    BOOST_TEST(outcome(tessera::detail::parse_object(object_of(60'000, true))) == "malformed");
    // Every member the same as one seen much earlier, and escaped spellings of the same name.
    BOOST_TEST(outcome(tessera::detail::parse_object(object_of(40, true))) == "malformed");
    BOOST_TEST(outcome(tessera::detail::parse_object(object_of(40, false).insert(1, R"("k\u0031":0,)"))) ==
               "malformed");
    // Nested large objects keep their own names.
    BOOST_TEST(outcome(tessera::detail::parse_object("{\"a\":" + object_of(100, false) + ",\"b\":" +
                                                     object_of(100, false) + "}")) == "ok");
    // Past the size bound: refused before parsing, as a key set too.
    const auto huge = object_of(120'000, false);
    BOOST_TEST_REQUIRE(huge.size() > 1024u * 1024u);
    BOOST_TEST(outcome(tessera::detail::parse_object(huge)) == "malformed");
    BOOST_TEST(outcome(jwt::key_set::from_json(huge)) != "ok");
}

// Boost.JSON reads 1e400 as infinity, which cannot be written back: refused wherever tessera parses JSON.
BOOST_AUTO_TEST_CASE(non_finite_numbers_are_refused)
{
    for (std::string n : {"1e400", "-1e400", "1e99999"})
        BOOST_TEST(outcome(tessera::detail::parse_object(R"({"x":)" + n + "}")) == "malformed", n);
    BOOST_TEST(outcome(tessera::detail::parse_object(R"({"x":1.7976931348623157e308})")) == "ok");
    // A stored session whose attributes hold one is a corrupt record, not a session renewed into garbage.
    test::memory_fixture f;
    tessera::session_manager<decltype(f.store), tessera::manual_clock> sessions{f.store, {}, f.clock};
    auto login = must(sessions.create("alice"));
    must(f.store.put(must(sessions.key_of(login.id)), "1|1700000000|1700000000|1700043200|5:alice0:0:{\"x\":1e400}",
                     f.clock.now() + 1h, tessera::keys::index(tessera::keys::kind::session, "alice")));
    BOOST_TEST(outcome(sessions.validate(login.id)) == "store_unavailable");
    // And an application cannot store one.
    BOOST_TEST(outcome(sessions.create("bob", {}, {{"x", std::numeric_limits<double>::infinity()}})) == "malformed");
    BOOST_TEST(outcome(sessions.create("bob", {}, {{"x", boost::json::array{std::nan("")}}})) == "malformed");
    // Nor a token claim, nor a header member (found by fuzzing: the verifier's header reader took
    // what the unverified decoder refused).
    const auto key = jwt::hmac_key<jwt::hs256>::generate();
    jwt::verifier<jwt::hs256> verify{key};
    const auto at = tessera::time_point{std::chrono::seconds{1'700'000'000}};
    BOOST_TEST(outcome(verify.verify(hs256_token(key, R"({"alg":"HS256"})", R"({"exp":4000000000,"x":1e400})"), at)) ==
               "malformed");
    const auto token = hs256_token(key, R"({"alg":"HS256","x":[1,5e2331]})", R"({"exp":4000000000})");
    BOOST_TEST(outcome(verify.verify(token, at)) == "malformed");
    BOOST_TEST(outcome(jwt::decode_unverified(token)) == "malformed");
}

BOOST_AUTO_TEST_SUITE_END()
