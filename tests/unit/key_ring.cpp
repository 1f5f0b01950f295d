// SPDX-License-Identifier: BSL-1.0
// Key rings: RFC 7638 thumbprints as kids, the next → primary → retired → dropped timeline and its
// refusals, revocation, the schedule, the JWK Set, authenticators on a ring, the verified-token cache
// across a change of keys, and rotations while threads verify.

#include "jwt_support.hpp"
#include "faulty_store.hpp"
#include "store_fixtures.hpp"

#include <tessera/authenticator.hpp>
#include <tessera/fleet/key_ring.hpp>

#include <botan/hash.h>

#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

const auto t0 = test::at(1'800'000'000);

/// Every event of a ring, as `kind kid`.
struct ring_log {
    struct shared {
        std::mutex mutex;
        std::vector<std::string> lines;
    };
    std::shared_ptr<shared> log = std::make_shared<shared>();

    void operator()(const tessera::security_event& e) const noexcept
    {
        try {
            const std::lock_guard lock{log->mutex};
            log->lines.push_back(std::string{to_string(e.kind)} + " " + std::string{e.scheme} + " " +
                                 std::string{e.handle});
        } catch (...) {
        }
    }
    std::vector<std::string> take() const
    {
        const std::lock_guard lock{log->mutex};
        return std::exchange(log->lines, {});
    }
};

/// Claims valid from `at` for a day.
jwt::claims day_claims(tessera::time_point at, std::string subject = "ada")
{
    jwt::claims c;
    c.subject(subject).issued_at(at).expires_at(at + 24h);
    return c;
}

/// The `kid` of a token's header.
std::string kid_of(const std::string& token)
{
    auto decoded = jwt::decode_unverified(token);
    BOOST_TEST_REQUIRE(decoded.has_value());
    return std::string{decoded->header.at("kid").as_string()};
}

template <class Ring>
std::string state_of(const Ring& ring, std::string_view kid)
{
    const auto contents = ring.contents();
    const auto* k = contents->find(kid);
    BOOST_TEST_REQUIRE(k != nullptr);
    return std::string{to_string(k->state)};
}

std::string sha256_b64(std::string_view text)
{
    auto hash = Botan::HashFunction::create_or_throw("SHA-256");
    hash->update(std::string{text});
    return tessera::base64url::encode(hash->final());
}

const jwt::key_ring_options timeline{.propagation = 600s, .retention = 3600s, .rotate_every = 86400s};

using families = boost::mpl::list<jwt::hs256, jwt::hs512, jwt::es256, jwt::eddsa, jwt::rs256>;

} // namespace

BOOST_AUTO_TEST_SUITE(key_ring)

BOOST_AUTO_TEST_CASE(a_keys_thumbprint_is_rfc_7638s)
{
    // RFC 7638 §3.1 (the RSA key of RFC 7517 Appendix A.1).
    const auto rsa = jwt::public_key<jwt::rs256>::from_jwk(
        R"({"kty":"RSA","e":"AQAB","alg":"RS256","kid":"2011-04-29","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"})");
    BOOST_TEST_REQUIRE(rsa.has_value());
    BOOST_TEST(rsa->thumbprint() == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    // RFC 8037 Appendix A.3.
    const auto ed = jwt::public_key<jwt::eddsa>::from_jwk(
        R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
    BOOST_TEST_REQUIRE(ed.has_value());
    BOOST_TEST(ed->thumbprint() == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    // A private key's is its public half's; an EC key's covers crv, x and y.
    const auto es = jwt::private_key<jwt::es256>::generate();
    BOOST_TEST(es.thumbprint() == es.public_key().thumbprint());
    const auto jwk = es.public_key().to_jwk();
    auto member = [&](const char* n) { return std::string{jwk.at(n).as_string()}; };
    BOOST_TEST(es.thumbprint() == sha256_b64(R"({"crv":"P-256","kty":"EC","x":")" + member("x") + R"(","y":")" +
                                             member("y") + R"("})"));
    // An HMAC key's: of its `oct` JWK.
    const auto hs = test::hs256_key();
    BOOST_TEST(hs.thumbprint() ==
               sha256_b64(R"({"k":")" + tessera::base64url::encode(std::string(32, '\x5a')) + R"(","kty":"oct"})"));
    BOOST_TEST(hs.thumbprint() != jwt::hmac_key<jwt::hs256>::generate().thumbprint());
    // with_kid renames, and keeps the key.
    const auto renamed = hs.with_kid("other");
    BOOST_TEST(renamed.kid() == "other");
    BOOST_TEST(renamed.thumbprint() == hs.thumbprint());
    const auto es_renamed = es.with_kid("x");
    BOOST_TEST(es_renamed.kid() == "x");
    BOOST_TEST(es_renamed.public_key().verify("m", es.sign("m")));
    BOOST_TEST(es.public_key().with_kid("y").kid() == "y");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(tokens_verify_exactly_while_their_key_verifies, Alg, families)
{
    jwt::key_ring<Alg> ring{timeline, t0};
    jwt::ring_keys<Alg> keys{ring, {.leeway = 0s}};
    const auto k1 = ring.primary_kid();
    const auto a = keys.sign(day_claims(t0)).value();
    BOOST_TEST(kid_of(a) == k1);
    BOOST_TEST(keys.verify(a, t0).has_value());

    // Published: it verifies, it does not sign, and it cannot sign before it has propagated.
    const auto k2 = ring.publish_new(t0).value();
    BOOST_TEST(k2 != k1);
    BOOST_TEST(state_of(ring, k2) == "next");
    BOOST_TEST(kid_of(keys.sign(day_claims(t0)).value()) == k1);
    BOOST_TEST(tessera::to_string(ring.promote(k2, t0 + 599s).error()) == "not_yet_valid");
    BOOST_TEST(ring.promote(k2, t0 + 600s).has_value());
    BOOST_TEST(state_of(ring, k1) == "retired");
    BOOST_TEST(state_of(ring, k2) == "primary");

    // Promoted: new tokens carry it; the retired key's tokens still verify until its retention ends.
    const auto b = keys.sign(day_claims(t0 + 600s)).value();
    BOOST_TEST(kid_of(b) == k2);
    BOOST_TEST(keys.verify(a, t0 + 600s).has_value());
    BOOST_TEST(keys.verify(b, t0 + 600s).has_value());
    BOOST_TEST(ring.maintain(t0 + 600s + 3599s).dropped == 0u);
    BOOST_TEST(keys.verify(a, t0 + 4199s).has_value());
    BOOST_TEST(ring.maintain(t0 + 600s + 3600s).dropped == 1u);
    BOOST_TEST(tessera::to_string(keys.verify(a, t0 + 4200s).error()) == "unknown_key"); // dropped: a key no longer known
    BOOST_TEST(keys.verify(b, t0 + 4200s).has_value());

    // Revoked: refused at once, the primary replaced at once, and the kid never accepted again.
    BOOST_TEST(ring.revoke(k2, t0 + 4300s).value() == true);
    BOOST_TEST(tessera::to_string(keys.verify(b, t0 + 4300s).error()) == "revoked");
    const auto k3 = ring.primary_kid();
    BOOST_TEST(k3 != k2);
    const auto c = keys.sign(day_claims(t0 + 4300s)).value();
    BOOST_TEST(kid_of(c) == k3);
    BOOST_TEST(keys.verify(c, t0 + 4300s).has_value());
    BOOST_TEST(ring.revoke(k2, t0 + 4301s).value() == false);
    BOOST_TEST(state_of(ring, k2) == "revoked");
    BOOST_TEST(!ring.contents()->find(k2)->key.has_value()); // the material is gone
}

BOOST_AUTO_TEST_CASE(a_ring_refuses_the_transitions_its_invariants_forbid)
{
    jwt::key_ring<jwt::hs256> ring{test::hs256_key().with_kid("chosen"), timeline, t0};
    const auto k1 = ring.primary_kid();
    BOOST_TEST(k1 == test::hs256_key().thumbprint()); // never the kid the key came with

    BOOST_TEST(tessera::to_string(ring.promote(k1, t0 + 1000s).error()) == "wrong_key_state");
    BOOST_TEST(tessera::to_string(ring.promote("nobody", t0).error()) == "unknown_key");
    BOOST_TEST(tessera::to_string(ring.retire(k1, t0).error()) == "wrong_key_state"); // exactly one primary
    BOOST_TEST(tessera::to_string(ring.retire("nobody", t0).error()) == "unknown_key");
    BOOST_TEST(tessera::to_string(ring.revoke("nobody", t0).error()) == "unknown_key");
    BOOST_TEST(tessera::to_string(ring.publish(test::hs256_key(), t0).error()) == "wrong_key_state");
    BOOST_TEST(tessera::to_string(ring.rotate(t0).error()) == "not_yet_valid"); // nothing has propagated

    const auto spare = jwt::hmac_key<jwt::hs256>::generate();
    const auto k2 = ring.publish(spare, t0).value();
    BOOST_TEST(k2 == spare.thumbprint());
    BOOST_TEST(tessera::to_string(ring.rotate(t0 + 599s).error()) == "not_yet_valid");
    BOOST_TEST(ring.retire(k2, t0 + 1s).has_value()); // withdrawn before it signed
    BOOST_TEST(tessera::to_string(ring.promote(k2, t0 + 1000s).error()) == "wrong_key_state");
    BOOST_TEST(tessera::to_string(ring.retire(k2, t0 + 2s).error()) == "wrong_key_state");

    // A revoked key can never come back, even as the same bytes under another kid.
    BOOST_TEST(ring.revoke(k2, t0 + 3s).value());
    BOOST_TEST(tessera::to_string(ring.publish(spare, t0 + 4s).error()) == "revoked");
    BOOST_TEST(tessera::to_string(ring.publish(spare.with_kid("fresh-name"), t0 + 4s).error()) == "revoked");
    BOOST_TEST(ring.primary_kid() == k1); // revoking a key that did not sign changes no primary

    // Each refusal left the ring as it was: no version was spent on it.
    const auto version = ring.version();
    (void)ring.promote(k1, t0 + 5s);
    (void)ring.revoke(k2, t0 + 5s); // revoked already: nothing to do
    (void)ring.maintain(t0 + 5s);   // nothing due
    BOOST_TEST(ring.version() == version);

    auto bad = [](jwt::key_ring_options o) {
        try {
            jwt::key_ring<jwt::hs256> r{o, t0};
        } catch (const tessera::error& e) {
            return std::string{tessera::to_string(static_cast<tessera::errc>(e.code().value()))};
        }
        return std::string{"accepted"};
    };
    BOOST_TEST(bad({.propagation = -1s, .retention = 1s, .rotate_every = 10s}) == "invalid_configuration");
    BOOST_TEST(bad({.propagation = 1s, .retention = 0s, .rotate_every = 10s}) == "invalid_configuration");
    BOOST_TEST(bad({.propagation = 10s, .retention = 1s, .rotate_every = 10s}) == "invalid_configuration");
    BOOST_TEST(bad({.propagation = 0s, .retention = 1s, .rotate_every = 1s}) == "accepted");
}

BOOST_AUTO_TEST_CASE(rotate_promotes_the_oldest_key_that_propagated_and_publishes_its_successor)
{
    jwt::key_ring<jwt::hs256> ring{timeline, t0};
    const auto k1 = ring.primary_kid();
    const auto k2 = ring.publish_new(t0).value();
    const auto k3 = ring.publish_new(t0 + 100s).value();
    BOOST_TEST(ring.rotate(t0 + 600s).value() == k2);
    BOOST_TEST(state_of(ring, k1) == "retired");
    BOOST_TEST(state_of(ring, k3) == "next");
    const auto contents = ring.contents();
    BOOST_TEST_REQUIRE(contents->keys.size() == 4u); // k1, k2, k3 and the successor
    BOOST_TEST(to_string(contents->keys.back().state) == "next");
    BOOST_TEST((contents->keys.back().published_at == t0 + 600s));
    BOOST_TEST(ring.rotate(t0 + 700s).value() == k3);
}

BOOST_AUTO_TEST_CASE(maintain_keeps_the_schedule_and_every_token_verifies_when_it_should)
{
    jwt::key_ring<jwt::hs256, ring_log> ring{{.propagation = 100s, .retention = 300s, .rotate_every = 1000s}, t0};
    jwt::ring_keys<jwt::hs256, ring_log> keys{ring, {.leeway = 0s}};
    const auto k1 = ring.primary_kid();
    const auto before = keys.sign(day_claims(t0)).value();

    auto done = ring.maintain(t0 + 899s);
    BOOST_TEST((!done.published && !done.promoted && done.dropped == 0u));
    done = ring.maintain(t0 + 900s); // the successor, `propagation` ahead
    BOOST_TEST((done.published && !done.promoted));
    const auto contents = ring.contents();
    const auto k2 = contents->keys.back().kid;
    const auto during = keys.sign(day_claims(t0 + 950s)).value();
    BOOST_TEST(kid_of(during) == k1);
    BOOST_TEST(!ring.maintain(t0 + 999s).promoted);
    BOOST_TEST(ring.maintain(t0 + 1000s).promoted);
    BOOST_TEST(ring.primary_kid() == k2);
    const auto after = keys.sign(day_claims(t0 + 1000s)).value();
    BOOST_TEST(kid_of(after) == k2);
    for (const auto& token : {before, during, after})
        BOOST_TEST(keys.verify(token, t0 + 1299s).has_value());
    BOOST_TEST(ring.maintain(t0 + 1300s).dropped == 1u);
    BOOST_TEST(tessera::to_string(keys.verify(before, t0 + 1300s).error()) == "unknown_key");
    BOOST_TEST(tessera::to_string(keys.verify(during, t0 + 1300s).error()) == "unknown_key");
    BOOST_TEST(keys.verify(after, t0 + 1300s).has_value());

    // Every change was told, with its kid, in order.
    const std::vector<std::string> expected{
        "key_published key_ring " + k1, "key_promoted key_ring " + k1, "key_published key_ring " + k2,
        "key_retired key_ring " + k1,   "key_promoted key_ring " + k2, "key_dropped key_ring " + k1};
    BOOST_TEST(ring.events().take() == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_revoked_primary_is_replaced_at_once_by_the_key_verifiers_are_likeliest_to_hold)
{
    jwt::key_ring<jwt::es256, ring_log> ring{timeline, t0};
    jwt::ring_keys<jwt::es256, ring_log> keys{ring, {.leeway = 0s}};
    const auto k1 = ring.primary_kid();
    const auto old = keys.sign(day_claims(t0)).value();
    const auto k2 = ring.publish_new(t0).value();
    const auto k3 = ring.publish_new(t0 + 500s).value();
    (void)ring.events().take();
    BOOST_TEST(ring.revoke(k1, t0 + 700s).value()); // k2 propagated, k3 not yet
    BOOST_TEST(ring.primary_kid() == k2);
    BOOST_TEST(ring.revoke(k2, t0 + 800s).value()); // none propagated: the newest next key
    BOOST_TEST(ring.primary_kid() == k3);
    BOOST_TEST(ring.revoke(k3, t0 + 900s).value()); // no next key: a new one
    const auto k4 = ring.primary_kid();
    BOOST_TEST((k4 != k1 && k4 != k2 && k4 != k3));
    // A token of a revoked key is told apart from one of a key never known, and the presentation told.
    BOOST_TEST(tessera::to_string(keys.verify(old, t0 + 901s).error()) == "revoked");
    auto stranger = old;
    stranger.replace(0, stranger.find('.'), tessera::base64url::encode(std::string_view{
                                                R"({"alg":"ES256","kid":"never-published","typ":"JWT"})"}));
    BOOST_TEST(tessera::to_string(keys.verify(stranger, t0 + 901s).error()) == "unknown_key");
    const std::vector<std::string> expected{"key_revoked key_ring " + k1, "key_promoted key_ring " + k2,
                                            "key_revoked key_ring " + k2, "key_promoted key_ring " + k3,
                                            "key_revoked key_ring " + k3, "key_published key_ring " + k4,
                                            "key_promoted key_ring " + k4,
                                            "revoked_credential_presented key_ring " + k1};
    BOOST_TEST(ring.events().take() == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_jwk_set_lists_the_public_keys_that_verify_and_never_a_revoked_or_private_one)
{
    jwt::key_ring<jwt::es256> ring{timeline, t0};
    jwt::ring_keys<jwt::es256> keys{ring, {.leeway = 0s}};
    const auto k1 = ring.primary_kid();
    const auto old = keys.sign(day_claims(t0)).value();
    const auto k2 = ring.publish_new(t0).value();
    BOOST_TEST(ring.promote(k2, t0 + 600s).has_value());
    const auto k3 = ring.publish_new(t0 + 600s).value();
    const auto fresh = keys.sign(day_claims(t0 + 600s)).value();
    BOOST_TEST(ring.revoke(k3, t0 + 601s).value());

    const auto jwks = ring.jwks();
    const auto& listed = jwks.at("keys").as_array();
    std::set<std::string> kids;
    for (const auto& k : listed) {
        kids.insert(std::string{k.at("kid").as_string()});
        BOOST_TEST(!k.as_object().contains("d"));
        BOOST_TEST(k.at("alg").as_string() == "ES256");
        BOOST_TEST(k.at("use").as_string() == "sig");
    }
    BOOST_TEST((kids == std::set<std::string>{k1, k2}));
    BOOST_TEST(ring.jwks_cache_control() == "public, max-age=300");

    // A verifier elsewhere, built from the published set alone, accepts what the ring signed.
    const jwt::verifier<jwt::es256> remote{jwt::key_set::from_object(jwks).value(), {.leeway = 0s}};
    BOOST_TEST(remote.verify(old, t0 + 601s).has_value());
    BOOST_TEST(remote.verify(fresh, t0 + 601s).has_value());
}

BOOST_AUTO_TEST_CASE(authenticators_on_a_ring_keep_their_users_through_a_rotation_and_lose_them_to_a_revocation)
{
    tessera::manual_clock clock{t0};
    jwt::key_ring<jwt::hs256> ring{timeline, t0};
    tessera::authenticator<tessera::stateless, jwt::key_ring<jwt::hs256>, tessera::expiry_only,
                           tessera::manual_clock>
        api{ring, test::named({.access_ttl = 900s, .leeway = 60s, .verified_cache = 16}), clock};
    const auto k1 = ring.primary_kid();
    const auto first = api.issue("ada").value();
    BOOST_TEST(kid_of(first.access_token) == k1);
    BOOST_TEST(api.authenticate(first.access_token).value().subject == "ada");
    BOOST_TEST(api.authenticate(first.access_token).has_value()); // now remembered by the cache

    const auto k2 = ring.publish_new(clock.now()).value();
    clock.advance(600s);
    BOOST_TEST(ring.rotate(clock.now()).value() == k2);
    const auto second = api.issue("ada").value();
    BOOST_TEST(kid_of(second.access_token) == k2);
    BOOST_TEST(api.authenticate(first.access_token).value().subject == "ada"); // nobody logged out
    BOOST_TEST(api.authenticate(second.access_token).value().subject == "ada");

    // A remembered token of a revoked key is refused at once: a change of keys empties the cache.
    BOOST_TEST(ring.revoke(k1, clock.now()).value());
    BOOST_TEST(tessera::to_string(api.authenticate(first.access_token).error()) == "revoked");
    BOOST_TEST(api.authenticate(second.access_token).has_value());

    // The hybrid scheme signs its access tokens with the ring too; its refresh tokens are its own.
    tessera::basic_memory_store<tessera::manual_clock> store{{}, clock};
    tessera::hybrid_authenticator<jwt::key_ring<jwt::hs256>, decltype(store), tessera::manual_clock> app{
        store, ring, test::named({.access_ttl = 900s}), clock};
    auto pair = app.issue("bob").value();
    BOOST_TEST(kid_of(pair.access_token) == k2);
    const auto k3 = ring.contents()->keys.back().kid; // the successor the last rotation published
    BOOST_TEST(state_of(ring, k3) == "next");
    clock.advance(600s);
    BOOST_TEST(ring.rotate(clock.now()).value() == k3);
    BOOST_TEST(app.authenticate(pair.access_token).value().subject == "bob");
    auto next = app.refresh(pair.refresh_token).value();
    BOOST_TEST(kid_of(next.access_token) == k3);
    BOOST_TEST(app.authenticate(next.access_token).value().subject == "bob");

    // A ring that would drop a key while its tokens live is refused when the authenticator is made.
    jwt::key_ring<jwt::hs256> short_lived{{.propagation = 60s, .retention = 900s, .rotate_every = 3600s}, t0};
    auto make = [&](std::chrono::seconds ttl) {
        try {
            tessera::jwt_authenticator<jwt::key_ring<jwt::hs256>> a{short_lived, test::named({.access_ttl = ttl})};
        } catch (const tessera::error& e) {
            return std::string{tessera::to_string(static_cast<tessera::errc>(e.code().value()))};
        }
        return std::string{"accepted"};
    };
    BOOST_TEST(make(900s) == "invalid_configuration"); // 900 s + 60 s leeway > 900 s
    BOOST_TEST(make(840s) == "accepted");
}

BOOST_AUTO_TEST_CASE(rotations_while_eight_threads_verify_answer_every_token_exactly)
{
    jwt::key_ring<jwt::hs256> ring{{.propagation = 0s, .retention = 86400s, .rotate_every = 86401s}, t0};
    jwt::ring_keys<jwt::hs256> keys{ring, {.leeway = 0s, .cache_size = 64}};
    const auto kept = keys.sign(day_claims(t0)).value();                 // its key retires, and stays
    const auto doomed_kid = ring.publish_new(t0).value();
    BOOST_TEST(ring.promote(doomed_kid, t0).has_value());
    const auto doomed = keys.sign(day_claims(t0, "eve")).value();        // its key is revoked mid-run
    BOOST_TEST(kid_of(doomed) == doomed_kid);
    // Retired before the threads start: what they sign is signed by keys that stay.
    const auto third = ring.publish_new(t0).value();
    BOOST_TEST(ring.promote(third, t0).has_value());

    constexpr int threads = 8;
    constexpr int rounds = 400;
    std::atomic<bool> revoked{false};
    std::atomic<int> kept_ok{0}, own_ok{0}, doomed_after_revocation_ok{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (int i = 0; i < rounds; ++i) {
                if (keys.verify(kept, t0).has_value())
                    ++kept_ok;
                // Signed and verified across changes: whichever key signed it is retained.
                const auto own = keys.sign(day_claims(t0));
                if (own && keys.verify(*own, t0).has_value())
                    ++own_ok;
                const bool after = revoked.load(std::memory_order_acquire);
                const auto d = keys.verify(doomed, t0);
                if (after && d.has_value())
                    ++doomed_after_revocation_ok;
            }
        });
    for (int r = 0; r < 50; ++r) {
        const auto kid = ring.publish_new(t0).value();
        BOOST_TEST(ring.promote(kid, t0).has_value());
        if (r == 25) {
            BOOST_TEST(ring.revoke(doomed_kid, t0).value());
            revoked.store(true, std::memory_order_release);
        }
        std::this_thread::yield();
    }
    for (auto& th : pool)
        th.join();
    BOOST_TEST(kept_ok.load() == threads * rounds);
    BOOST_TEST(own_ok.load() == threads * rounds);
    BOOST_TEST(doomed_after_revocation_ok.load() == 0);
    BOOST_TEST(tessera::to_string(keys.verify(doomed, t0).error()) == "revoked");
    BOOST_TEST(ring.contents()->keys.size() == 53u); // the first, the doomed (a tombstone), the third, 50 more
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_sealed_ring_opens_to_the_same_keys_states_and_instants, Alg, families)
{
    jwt::key_ring<Alg> ring{timeline, t0};
    jwt::ring_keys<Alg> keys{ring, {.leeway = 0s}};
    const auto old = keys.sign(day_claims(t0)).value();
    const auto gone = ring.publish_new(t0).value();
    BOOST_TEST(ring.revoke(gone, t0 + 1s).value()); // a tombstone
    (void)ring.publish_new(t0 + 1s).value();
    BOOST_TEST(ring.rotate(t0 + 601s).has_value()); // the first retired, the successor next
    const auto fresh = keys.sign(day_claims(t0 + 601s)).value();
    const auto kek = jwt::ring_sealing_key::generate();

    const auto document = ring.seal(kek);
    BOOST_TEST(document.find("PRIVATE KEY") == std::string::npos);
    BOOST_TEST(document.find(ring.primary_kid()) == std::string::npos); // not even the kids are in clear
    const auto opened = jwt::key_ring<Alg>::unseal(document, kek);
    BOOST_TEST_REQUIRE(opened.has_value());
    const auto original = ring.contents();
    BOOST_TEST((*opened)->version == original->version);
    BOOST_TEST_REQUIRE((*opened)->keys.size() == original->keys.size());
    for (std::size_t i = 0; i < original->keys.size(); ++i) {
        const auto &a = original->keys[i], &b = (*opened)->keys[i];
        BOOST_TEST(a.kid == b.kid);
        BOOST_TEST(to_string(a.state) == to_string(b.state));
        BOOST_TEST((a.published_at == b.published_at && a.changed_at == b.changed_at));
        BOOST_TEST(a.key.has_value() == b.key.has_value());
    }

    // Another instance on the unsealed ring: the same primary signs, every token verifies as it did.
    jwt::key_ring<Alg> restored{*opened, timeline};
    jwt::ring_keys<Alg> elsewhere{restored, {.leeway = 0s}};
    BOOST_TEST(restored.version() == ring.version());
    BOOST_TEST(kid_of(elsewhere.sign(day_claims(t0 + 601s)).value()) == ring.primary_kid());
    BOOST_TEST(elsewhere.verify(old, t0 + 601s).has_value());
    BOOST_TEST(elsewhere.verify(fresh, t0 + 601s).has_value());
    BOOST_TEST(keys.verify(elsewhere.sign(day_claims(t0 + 601s)).value(), t0 + 601s).has_value());
    BOOST_TEST(restored.publish_new(t0 + 602s).has_value()); // and it changes on its own from there
    BOOST_TEST(tessera::to_string(restored.publish(*std::find_if(original->keys.begin(), original->keys.end(), [&](const auto& k) {
                                                       return k.state == tessera::jwt::key_state::primary;
                                                   })->key, t0 + 601s).error()) == "wrong_key_state");
}

BOOST_AUTO_TEST_CASE(a_sealed_ring_that_was_changed_or_is_opened_with_another_key_is_refused_whole)
{
    jwt::key_ring<jwt::hs256> ring{timeline, t0};
    (void)ring.publish_new(t0);
    const auto kek = jwt::ring_sealing_key::generate();
    const auto document = ring.seal(kek);
    using ring_t = jwt::key_ring<jwt::hs256>;
    auto refusal = [&](std::string_view doc, const jwt::ring_sealing_key& k) {
        auto r = ring_t::unseal(doc, k);
        return r ? std::string{"opened"} : std::string{tessera::to_string(r.error())};
    };
    BOOST_TEST(refusal(document, kek) == "opened");
    BOOST_TEST(refusal(document, jwt::ring_sealing_key::generate()) == "invalid_key");
    const auto same_bytes_other_cipher = jwt::ring_sealing_key::from_secret(
        tessera::secret{kek.bytes()}, jwt::ring_sealing_key::cipher::chacha20_poly1305).value();
    BOOST_TEST(refusal(document, same_bytes_other_cipher) == "invalid_key");
    BOOST_TEST(tessera::to_string(jwt::ring_sealing_key::from_secret(tessera::secret{std::vector<std::uint8_t>(31, 1)}).error()) ==
               "weak_key");

    // Every bit of the sealed message is covered: flip one in each byte, and nothing opens.
    auto doc = tessera::detail::parse_object(document).value();
    const auto sealed = tessera::base64url::decode(std::string{doc.at("sealed").as_string()}).value();
    int opened = 0;
    for (std::size_t i = 0; i < sealed.size(); ++i) {
        auto changed = sealed;
        changed[i] ^= 0x01;
        doc["sealed"] = tessera::base64url::encode(changed);
        opened += refusal(boost::json::serialize(doc), kek) == "opened" ? 1 : 0;
    }
    BOOST_TEST(opened == 0);

    // What is in clear is bound too: another version, another algorithm, a lost member.
    doc = tessera::detail::parse_object(document).value();
    doc["version"] = doc.at("version").to_number<std::uint64_t>() + 1;
    BOOST_TEST(refusal(boost::json::serialize(doc), kek) == "invalid_key");
    BOOST_TEST(tessera::to_string(jwt::key_ring<jwt::hs512>::unseal(document, kek).error()) == "algorithm_mismatch");
    for (const auto* name : {"format", "alg", "cipher", "version", "sealed"}) {
        doc = tessera::detail::parse_object(document).value();
        doc.erase(name);
        BOOST_TEST(refusal(boost::json::serialize(doc), kek) != "opened", name);
    }
    doc = tessera::detail::parse_object(document).value();
    doc["extra"] = 1;
    BOOST_TEST(refusal(boost::json::serialize(doc), kek) == "malformed");
    BOOST_TEST(refusal("", kek) == "malformed");
    BOOST_TEST(refusal("{\"format\":\"tessera key ring 1\"}", kek) == "malformed");
    BOOST_TEST(refusal(document.substr(0, document.size() / 2), kek) == "malformed");
}

BOOST_AUTO_TEST_CASE(contents_that_break_a_rings_invariants_are_refused)
{
    jwt::key_ring<jwt::hs256> ring{timeline, t0};
    (void)ring.publish_new(t0);
    using ring_t = jwt::key_ring<jwt::hs256>;
    auto broken = [&](auto change) {
        auto c = std::make_shared<tessera::jwt::ring_contents<jwt::hs256>>(*ring.contents());
        c->version += 1;
        change(*c);
        return std::shared_ptr<const tessera::jwt::ring_contents<jwt::hs256>>{c};
    };
    const std::vector<std::shared_ptr<const tessera::jwt::ring_contents<jwt::hs256>>> cases{
        broken([](auto& c) { c.keys[1].state = tessera::jwt::key_state::primary; }), // two primaries
        broken([](auto& c) { c.keys[0].state = tessera::jwt::key_state::retired; }), // none
        broken([](auto& c) { c.keys[1].kid = c.keys[0].kid; }),                       // one kid twice
        broken([](auto& c) { c.keys[1].key = c.keys[1].key->with_kid("chosen"); }),   // a kid not its own
        broken([](auto& c) { c.keys[1].key = c.keys[0].key; }),                       // a key under another's kid
        broken([](auto& c) { c.keys[1].state = tessera::jwt::key_state::revoked; }),  // a revoked key's material kept
        broken([](auto& c) { c.version = 0; }),
    };
    for (const auto& c : cases) {
        BOOST_TEST(tessera::to_string(ring.adopt(c).error()) == "wrong_key_state");
        BOOST_TEST(!ring_t::check(*c));
        BOOST_CHECK_THROW((ring_t{c, timeline}), tessera::error);
    }
    BOOST_TEST(ring_t::check(*ring.contents()));
}

BOOST_AUTO_TEST_CASE(an_instance_adopts_a_newer_ring_and_never_goes_back)
{
    const auto kek = jwt::ring_sealing_key::generate(jwt::ring_sealing_key::cipher::chacha20_poly1305);
    jwt::key_ring<jwt::eddsa> first{timeline, t0};
    jwt::key_ring<jwt::eddsa> second{jwt::key_ring<jwt::eddsa>::unseal(first.seal(kek), kek).value(), timeline};
    jwt::ring_keys<jwt::eddsa> there{second, {.leeway = 0s}};
    const auto at_one = first.seal(kek);

    const auto k2 = first.publish_new(t0).value();
    BOOST_TEST(first.promote(k2, t0 + 600s).has_value());
    jwt::ring_keys<jwt::eddsa> here{first, {.leeway = 0s}};
    const auto token = here.sign(day_claims(t0 + 600s)).value();
    BOOST_TEST(tessera::to_string(there.verify(token, t0 + 600s).error()) == "unknown_key"); // not seen yet

    BOOST_TEST(second.adopt(jwt::key_ring<jwt::eddsa>::unseal(first.seal(kek), kek).value()).value() == true);
    BOOST_TEST(second.version() == first.version());
    BOOST_TEST(there.verify(token, t0 + 600s).has_value());
    BOOST_TEST(kid_of(there.sign(day_claims(t0 + 600s)).value()) == k2);
    // The same version again, or an older one replayed, changes nothing.
    BOOST_TEST(second.adopt(jwt::key_ring<jwt::eddsa>::unseal(first.seal(kek), kek).value()).value() == false);
    BOOST_TEST(second.adopt(jwt::key_ring<jwt::eddsa>::unseal(at_one, kek).value()).value() == false);
    BOOST_TEST(second.primary_kid() == k2);
}

BOOST_AUTO_TEST_CASE(a_ring_kept_in_a_file_survives_a_restart_and_a_change_it_cannot_keep_is_not_made)
{
    namespace fs = std::filesystem;
    const auto dir = fs::temp_directory_path() / test::unique_name("tessera-ring-");
    fs::create_directories(dir);
    const auto path = (dir / "ring").string();
    const auto kek = jwt::ring_sealing_key::generate();
    using ring_t = jwt::key_ring<jwt::es256, ring_log>;

    BOOST_TEST(!jwt::read_ring_file(path).value().has_value()); // no ring yet
    ring_t ring{timeline, t0};
    bool refuse = false;
    int writes = 0;
    BOOST_TEST(ring.persist_with([&](const tessera::jwt::ring_contents<jwt::es256>& c) -> tessera::result<void> {
                       if (refuse)
                           return tessera::fail(errc::store_unavailable);
                       ++writes;
                       return jwt::write_ring_file(path, ring_t::seal(c, kek));
                   }).has_value());
    BOOST_TEST(writes == 1); // the ring as it was, at once
    BOOST_TEST(((fs::status(path).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write)));
    const auto k2 = ring.publish_new(t0).value();
    BOOST_TEST(writes == 2);
    auto on_disk = ring_t::unseal(jwt::read_ring_file(path).value().value(), kek).value();
    BOOST_TEST(on_disk->version == ring.version());
    BOOST_TEST(on_disk->find(k2) != nullptr);

    // A change the file cannot keep is not made: no version, no event, the file as it was.
    (void)ring.events().take();
    refuse = true;
    const auto version = ring.version();
    const auto k1 = ring.primary_kid();
    BOOST_TEST(tessera::to_string(ring.publish_new(t0 + 1s).error()) == "store_unavailable");
    BOOST_TEST(tessera::to_string(ring.promote(k2, t0 + 600s).error()) == "store_unavailable");
    BOOST_TEST(tessera::to_string(ring.revoke(k1, t0 + 600s).error()) == "store_unavailable");
    const auto due = ring.maintain(t0 + 86400s); // a promotion was due
    BOOST_TEST((!due.promoted && due.published == false && due.dropped == 0u));
    BOOST_TEST(tessera::to_string(due.error) == "store_unavailable");
    BOOST_TEST(ring.version() == version);
    BOOST_TEST(ring.primary_kid() == k1);
    BOOST_TEST(ring.events().take().empty());
    BOOST_TEST(ring_t::unseal(jwt::read_ring_file(path).value().value(), kek).value()->version == version);
    refuse = false;
    BOOST_TEST(ring.promote(k2, t0 + 600s).has_value()); // and it is made once the file takes it

    // The restart: a ring from the file signs with the same primary and knows every key.
    jwt::ring_keys<jwt::es256, ring_log> keys{ring, {.leeway = 0s}};
    const auto token = keys.sign(day_claims(t0 + 600s)).value();
    ring_t restarted{ring_t::unseal(jwt::read_ring_file(path).value().value(), kek).value(), timeline};
    jwt::ring_keys<jwt::es256, ring_log> again{restarted, {.leeway = 0s}};
    BOOST_TEST(again.verify(token, t0 + 600s).has_value());
    BOOST_TEST(restarted.primary_kid() == k2);

    // A persistence that cannot keep the ring as it is is not taken.
    ring_t other{timeline, t0};
    BOOST_TEST(tessera::to_string(other.persist_with([](const auto&) -> tessera::result<void> {
                                           return tessera::fail(errc::store_unavailable);
                                       }).error()) == "store_unavailable");
    BOOST_TEST(other.publish_new(t0).has_value()); // not persisted, so not refused

    // What the file functions refuse.
    BOOST_TEST(tessera::to_string(jwt::write_ring_file((dir / "no" / "such" / "folder").string(), "x").error()) ==
               "store_unavailable");
    BOOST_TEST(tessera::to_string(jwt::read_ring_file(dir.string()).error()) == "malformed"); // a folder
    fs::create_symlink(path, dir / "link");
    BOOST_TEST(tessera::to_string(jwt::read_ring_file((dir / "link").string()).error()) == "store_unavailable");
    fs::remove_all(dir);
}

template <class F>
using stored_for = tessera::fleet::stored_key_ring<jwt::hs256, std::remove_cvref_t<decltype(std::declval<F&>().store)>>;

BOOST_AUTO_TEST_CASE_TEMPLATE(instances_on_one_store_rotate_as_one_ring, F, test::store_fixtures)
{
    F w;
    const auto kek = jwt::ring_sealing_key::generate();
    const tessera::fleet::stored_ring_options where{.name = test::unique_name("ring_")};
    stored_for<F> a{w.store, kek, timeline, where, t0};
    stored_for<F> b{w.store, kek, timeline, where, t0}; // opens what the first made
    BOOST_TEST(b.ring().primary_kid() == a.ring().primary_kid());
    BOOST_TEST(b.ring().version() == a.ring().version());
    jwt::ring_keys<jwt::hs256> on_a{a.ring(), {.leeway = 0s}}, on_b{b.ring(), {.leeway = 0s}};
    const auto first = on_a.sign(day_claims(t0)).value();
    BOOST_TEST(on_b.verify(first, t0).has_value());

    // A change on one is seen by the other at its next sync, and not before.
    const auto k2 = a.publish_new(t0).value();
    BOOST_TEST(b.ring().contents()->find(k2) == nullptr);
    BOOST_TEST(b.sync().value() == true);
    BOOST_TEST(b.ring().contents()->find(k2) != nullptr);
    BOOST_TEST(b.sync().value() == false); // nothing newer
    BOOST_TEST(a.rotate(t0 + 600s).value() == k2);
    BOOST_TEST(b.sync().value());
    const auto second = on_b.sign(day_claims(t0 + 600s)).value();
    BOOST_TEST(kid_of(second) == k2);
    BOOST_TEST(on_a.verify(second, t0 + 600s).has_value());

    // Both change at once: each change is made exactly once, on top of the other.
    const auto version = a.ring().version();
    const auto from_a = a.publish_new(t0 + 601s).value();
    const auto from_b = b.publish_new(t0 + 601s).value(); // b had not seen a's: it takes the next version
    BOOST_TEST(b.ring().version() == version + 2);
    BOOST_TEST(a.sync().value());
    BOOST_TEST(a.ring().version() == version + 2);
    for (const auto* r : {&a, &b}) {
        const auto c = r->ring().contents();
        BOOST_TEST((c->find(from_a) != nullptr && c->find(from_b) != nullptr));
    }

    // The emergency on one: the other refuses the key's tokens once it syncs.
    const auto k1 = kid_of(first);
    BOOST_TEST(a.revoke(k1, t0 + 602s).value());
    BOOST_TEST(b.sync().value());
    BOOST_TEST(tessera::to_string(on_b.verify(first, t0 + 602s).error()) == "revoked");

    // Nothing in the store is readable without the sealing key.
    for (std::uint64_t v = 1; v <= a.ring().version(); ++v) {
        auto held = w.store.get(a.version_key(v)).value();
        BOOST_TEST_REQUIRE(held.has_value());
        BOOST_TEST(held->value.find(k1) == std::string::npos);
    }
    // A third instance, opened now, gets the latest; one with another sealing key cannot open it.
    stored_for<F> c{w.store, kek, timeline, where, t0};
    BOOST_TEST(c.ring().version() == a.ring().version());
    BOOST_CHECK_THROW((stored_for<F>{w.store, jwt::ring_sealing_key::generate(), timeline, where, t0}), tessera::error);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_stored_ring_fails_closed_and_never_goes_back, F, test::store_fixtures)
{
    F w;
    const auto kek = jwt::ring_sealing_key::generate();
    const tessera::fleet::stored_ring_options where{.name = test::unique_name("ring_")};
    stored_for<F> a{w.store, kek, timeline, where, t0};
    stored_for<F> b{w.store, kek, timeline, where, t0};
    (void)a.publish_new(t0).value();
    const auto old_document = w.store.get(a.version_key(a.ring().version())).value()->value;

    // A document that does not open is refused, and nothing of it is used.
    const auto next = a.ring().version() + 1;
    BOOST_TEST(w.store.put(a.version_key(next), "{\"not\":\"a ring\"}", t0 + 86400s * 365).has_value());
    const auto before = b.ring().version();
    BOOST_TEST(tessera::to_string(b.sync().error()) == "malformed");
    BOOST_TEST(b.ring().version() == before);
    // An older version's document moved under a newer version's key does not open either.
    BOOST_TEST(w.store.put(a.version_key(next), old_document, t0 + 86400s * 365).has_value());
    BOOST_TEST(tessera::to_string(b.sync().error()) == "invalid_key");
    BOOST_TEST(w.store.erase(a.version_key(next)).has_value());
    BOOST_TEST(b.sync().value());
    BOOST_TEST(b.ring().version() == a.ring().version());

    // A store that lost the ring gets it back from the next instance that syncs; a hint pointing back is ignored.
    for (std::uint64_t v = 1; v <= a.ring().version(); ++v)
        (void)w.store.erase(a.version_key(v));
    BOOST_TEST(w.store.put(a.head_key(), "1", t0 + 86400s * 365).has_value());
    BOOST_TEST(a.sync().value() == false);
    BOOST_TEST(w.store.get(a.version_key(a.ring().version())).value().has_value());
    stored_for<F> c{w.store, kek, timeline, where, t0};
    BOOST_TEST(c.ring().primary_kid() == a.ring().primary_kid());
    BOOST_TEST(c.ring().version() == a.ring().version());
}

BOOST_AUTO_TEST_CASE(a_change_the_store_cannot_take_is_not_made_and_its_retry_is)
{
    test::memory_fixture w;
    test::faulty_store faulty{w.store};
    const auto kek = jwt::ring_sealing_key::generate();
    using stored_t = tessera::fleet::stored_key_ring<jwt::hs256, decltype(faulty)>;
    stored_t a{faulty, kek, timeline, {}, t0};
    for (auto kind : {test::fault::fail, test::fault::drop_reply}) {
        // A fault at each store call of a change, in turn: the change is made or refused, never half.
        for (std::size_t at = 1;; ++at) {
            const auto version = a.ring().version();
            const auto faults = faulty.injected().size();
            faulty.arm(at, kind);
            auto published = a.publish_new(t0);
            const bool injected = faulty.injected().size() > faults;
            faulty.heal();
            if (published) {
                BOOST_TEST(a.ring().version() == version + 1);
                if (!injected)
                    break; // the fault was past the change's last call: every call has had one
            } else {
                BOOST_TEST(tessera::to_string(published.error()) == "store_unavailable");
                BOOST_TEST(a.ring().version() == version); // not made
                // The retry is made (on top of the lost reply's version, which the store kept and it adopts).
                const auto retried = a.publish_new(t0);
                BOOST_TEST_REQUIRE(retried.has_value());
                BOOST_TEST(a.ring().version() > version);
            }
            // Whatever happened, another instance opens what this one holds, or a later version.
            stored_t other{faulty, kek, timeline, {}, t0};
            BOOST_TEST(other.ring().version() >= a.ring().version());
            BOOST_TEST(other.ring().primary_kid() == a.ring().primary_kid());
            BOOST_TEST_REQUIRE(at < 50u);
        }
    }
    // Each kind hit every call of a change (sync's reads, the insert, the hint): several, not none.
    BOOST_TEST(faulty.injected().size() >= 8u);
    faulty.break_down();
    const auto version = a.ring().version();
    BOOST_TEST(tessera::to_string(a.revoke(a.ring().primary_kid(), t0).error()) == "store_unavailable");
    BOOST_TEST(a.ring().version() == version);
    BOOST_TEST(tessera::to_string(a.maintain(t0 + 86400s * 60).error) == "store_unavailable");
    BOOST_CHECK_THROW((stored_t{faulty, kek, timeline, {}, t0}), tessera::error);
    faulty.heal();
    BOOST_CHECK_THROW((stored_t{faulty, kek, timeline, {.name = "no spaces"}, t0}), tessera::error);
}

BOOST_AUTO_TEST_SUITE_END()
