// SPDX-License-Identifier: BSL-1.0
// The three schemes end to end with a manual clock, one piece of application
// code over three aliases, revocation policies alone and composed, and
// refresh-token rotation under races.

#include "faulty_store.hpp"
#include "store_fixtures.hpp"

#include <tessera/authenticator.hpp>

#include <boost/test/unit_test.hpp>

#include <array>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace test::suite;

namespace {

using clock_t_ = tessera::manual_clock;
using store_t = tessera::basic_memory_store<clock_t_>;

using session_auth = tessera::session_authenticator<store_t, clock_t_>;
using jwt_auth = tessera::jwt_authenticator<jwt::hs256, clock_t_>;
using hybrid_auth = tessera::hybrid_authenticator<jwt::eddsa, store_t, clock_t_>;
using deny_auth = tessera::authenticator<store_t, jwt::es256, tessera::deny_list, clock_t_>;
using version_auth = tessera::authenticator<store_t, jwt::hs256, tessera::token_version, clock_t_>;
using both_auth =
    tessera::authenticator<store_t, jwt::hs256, tessera::all_of<tessera::deny_list, tessera::token_version>, clock_t_>;

/// The application code: the same for every scheme.
template <class Auth>
std::string who_is(Auth& auth, const tessera::credentials& c)
{
    auto p = auth.authenticate(c.access_token);
    return p ? p->subject : tessera::to_string(p.error());
}

template <class A>
concept can_refresh = requires(A& a) { a.refresh(""); };
template <class A>
concept can_revoke = requires(A& a) { a.revoke(""); };
template <class A>
concept can_revoke_all = requires(A& a) { a.revoke_all(""); };
template <class A>
concept can_list = requires(A& a) { a.sessions(""); };

// The same tests on every store (memory, SQLite, Redis, PostgreSQL).
template <class F>
using store_of = std::remove_cvref_t<decltype(std::declval<F&>().store)>;
template <class F>
using session_for = tessera::session_authenticator<store_of<F>, clock_t_>;
template <class F>
using hybrid_for = tessera::hybrid_authenticator<jwt::eddsa, store_of<F>, clock_t_>;
template <class F>
using deny_for = tessera::authenticator<store_of<F>, jwt::es256, tessera::deny_list, clock_t_>;
template <class F>
using version_for = tessera::authenticator<store_of<F>, jwt::hs256, tessera::token_version, clock_t_>;
template <class F>
using both_for = tessera::authenticator<store_of<F>, jwt::hs256,
                                        tessera::all_of<tessera::deny_list, tessera::token_version>, clock_t_>;

struct world {
    clock_t_ clock;
    store_t store{{}, clock};
};

} // namespace

BOOST_AUTO_TEST_SUITE(authenticator)

BOOST_AUTO_TEST_CASE_TEMPLATE(session_scheme, F, test::store_fixtures)
{
    F w;
    session_for<F> auth{w.store, {.session = {.idle_timeout = 30min, .absolute_timeout = 12h}}, w.clock};
    auto c = must(auth.issue("alice", boost::json::object{{"role", "admin"}}, {.user_agent = "firefox"}));
    BOOST_TEST(c.refresh_token.empty());
    auto p = must(auth.authenticate(c.access_token));
    BOOST_TEST(p.subject == "alice");
    BOOST_TEST(p.claims.at("role").as_string() == "admin");
    // Refresh rotates the id: the old one is dead at once.
    auto rotated = must(auth.refresh(c.access_token));
    BOOST_TEST(who_is(auth, c) == "unknown_session");
    BOOST_TEST(who_is(auth, rotated) == "alice");
    BOOST_TEST(must(auth.sessions("alice")).size() == 1u);
    // Idle expiry.
    w.clock.advance(30min);
    BOOST_TEST(who_is(auth, rotated) == "unknown_session");
    // Revoke and revoke_all take effect on the next request.
    auto a = must(auth.issue("alice")), b = must(auth.issue("alice"));
    BOOST_TEST(must(auth.revoke(a.access_token)));
    BOOST_TEST(who_is(auth, a) == "unknown_session");
    BOOST_TEST(who_is(auth, b) == "alice");
    BOOST_TEST(must(auth.revoke_all("alice")) == 1u);
    BOOST_TEST(who_is(auth, b) == "unknown_session");
}

BOOST_AUTO_TEST_CASE(a_jwt_principals_claims_are_built_once_whoever_reads_them_first)
{
    clock_t_ clock;
    jwt_auth auth{jwt::hmac_key<jwt::hs256>::generate(), named({}), clock};
    const auto c = must(auth.issue("bob", boost::json::object{{"scope", "read"}, {"n", 7}}));
    const auto p = must(auth.authenticate(c.access_token));
    // Nothing but the claims' text until a claim is read; then one object, the same for every reader.
    BOOST_TEST(p.claims.text().find("\"scope\":\"read\"") != std::string_view::npos);
    constexpr int readers = 8;
    std::array<const boost::json::object*, readers> seen{};
    std::array<std::string, readers> scopes;
    {
        std::vector<std::jthread> threads;
        for (int i = 0; i < readers; ++i)
            threads.emplace_back([&, i] {
                scopes[static_cast<std::size_t>(i)] = std::string{p.claims.at("scope").as_string()};
                seen[static_cast<std::size_t>(i)] = &p.claims.json();
            });
    }
    for (int i = 0; i < readers; ++i) {
        BOOST_TEST(scopes[static_cast<std::size_t>(i)] == "read");
        BOOST_TEST(seen[static_cast<std::size_t>(i)] == seen[0]);
    }
    BOOST_TEST(p.claims.at("n").as_int64() == 7);
    BOOST_TEST(p.claims.at("sub").as_string() == "bob");
    // Copied and moved, the claims stay readable and equal; a moved-from set is empty.
    auto copy = p;
    BOOST_TEST(copy.claims == p.claims);
    auto moved = std::move(copy);
    BOOST_TEST(moved.claims.at("scope").as_string() == "read");
    BOOST_TEST(copy.claims.empty()); // NOLINT(bugprone-use-after-move): what a moved-from set holds
    BOOST_CHECK_THROW((void)p.claims.at("absent"), std::out_of_range);
}

BOOST_AUTO_TEST_CASE(authenticate_allocates_only_what_its_principal_keeps)
{
    // Keys built on the stack, records read where the memory store keeps them, claims read in place:
    // a session costs its handle, a JWT its claims' text and its id, and nothing else.
    clock_t_ clock;
    store_t store{{}, clock};
    session_auth web{store, {}, clock};
    const auto id = must(web.issue("alice")).access_token;
    (void)must(web.authenticate(id)); // what a thread allocates once (its hash object) is not the call's
    bool ok = false;
    BOOST_TEST(allocations_of([&] { ok = web.authenticate(id).has_value(); }) == 1);
    BOOST_TEST(ok);
    both_auth api{store, jwt::hmac_key<jwt::hs256>::generate(), named(), clock};
    const auto token = must(api.issue("alice")).access_token;
    (void)must(api.authenticate(token));
    BOOST_TEST(allocations_of([&] { ok = api.authenticate(token).has_value(); }) == 2);
    BOOST_TEST(ok);
    // A refusal costs nothing at all.
    auto forged = token; // a character inside the signature: its last one also carries padding bits
    auto& c = forged[forged.size() - 5];
    c = c == 'A' ? 'B' : 'A';
    std::error_code refused;
    BOOST_TEST(allocations_of([&] { refused = api.authenticate(forged).error(); }) == 0);
    BOOST_TEST((refused == tessera::errc::bad_signature));
}

BOOST_AUTO_TEST_CASE(a_deny_list_key_too_long_for_the_stack_is_the_same_key)
{
    // An issuer past the inline capacity of keys::key_text: the key moves to the heap whole.
    clock_t_ clock;
    store_t store{{}, clock};
    const std::string issuer = "https://" + std::string(tessera::keys::key_text::inline_capacity, 'i') + ".example";
    auto options = named();
    options.issuer = issuer;
    both_auth api{store, jwt::hmac_key<jwt::hs256>::generate(), options, clock};
    const auto a = must(api.issue("alice"));
    const auto b = must(api.issue("alice"));
    const auto jti = must(api.authenticate(a.access_token)).id;
    BOOST_TEST(must(api.revoke(a.access_token)));
    BOOST_TEST(who_is(api, a) == "revoked");
    BOOST_TEST(who_is(api, b) == "alice");
    const auto key = tessera::deny_list::key(issuer, jti);
    BOOST_TEST(key.view().size() > tessera::keys::key_text::inline_capacity);
    BOOST_TEST(key.view() == tessera::keys::key(tessera::keys::kind::deny, issuer + '\x1f' + jti));
    BOOST_TEST(must(store.get(key)).has_value());
}

// A remembered token skips its signature, never its lifetime or its revocation: every check after
// verification runs on every request, as without the cache.
BOOST_AUTO_TEST_CASE(a_remembered_access_token_is_still_revoked_expired_and_refused_when_the_store_is_down)
{
    clock_t_ clock;
    store_t store{{}, clock};
    test::faulty_store shaky{store};
    auto options = named({.access_ttl = 15min, .leeway = 0s});
    options.verified_cache = 16;
    tessera::authenticator<decltype(shaky), jwt::hs256, tessera::all_of<tessera::deny_list, tessera::token_version>,
                           clock_t_>
        api{shaky, jwt::hmac_key<jwt::hs256>::generate(), options, clock};
    const auto a = must(api.issue("ida")), b = must(api.issue("ida")), c = must(api.issue("ida"));
    for (const auto* t : {&a, &b, &c}) {
        BOOST_TEST(who_is(api, *t) == "ida");
        BOOST_TEST(who_is(api, *t) == "ida"); // the second time from the cache
    }
    shaky.break_down();
    BOOST_TEST(who_is(api, a) == "store_unavailable");
    shaky.heal();
    BOOST_TEST(must(api.revoke(a.access_token)));
    BOOST_TEST(who_is(api, a) == "revoked");
    BOOST_TEST(who_is(api, b) == "ida");
    must(api.revoke_all("ida"));
    BOOST_TEST(who_is(api, b) == "revoked");
    const auto d = must(api.issue("ida"));
    BOOST_TEST(who_is(api, d) == "ida");
    clock.advance(15min);
    BOOST_TEST(who_is(api, d) == "expired");
    // A store that lost the subject's version (evicted, restored from an older snapshot): refused,
    // remembered token or not.
    const auto e = must(api.issue("ida"));
    BOOST_TEST(who_is(api, e) == "ida");
    BOOST_TEST(who_is(api, e) == "ida");
    BOOST_TEST(must(store.erase(tessera::token_version::key("ida"))));
    BOOST_TEST(who_is(api, e) == "revoked");

    auto hybrid_options = named({.access_ttl = 15min, .leeway = 0s});
    hybrid_options.verified_cache = 16;
    hybrid_auth mobile{store, jwt::private_key<jwt::eddsa>::generate(), hybrid_options, clock};
    const auto phone = must(mobile.issue("ida"));
    BOOST_TEST(who_is(mobile, phone) == "ida");
    BOOST_TEST(who_is(mobile, phone) == "ida");
    BOOST_TEST(must(mobile.revoke(phone.refresh_token)));
    BOOST_TEST(who_is(mobile, phone) == "revoked"); // its family ended: the remembered access token with it
}

BOOST_AUTO_TEST_CASE(jwt_scheme_is_stateless_and_expires)
{
    clock_t_ clock;
    jwt_auth auth{jwt::hmac_key<jwt::hs256>::generate(), named({.access_ttl = 15min, .leeway = 0s}), clock};
    auto c = must(auth.issue("bob", boost::json::object{{"scope", "read"}}));
    BOOST_TEST(c.refresh_token.empty());
    auto p = must(auth.authenticate(c.access_token));
    BOOST_TEST(p.subject == "bob");
    BOOST_TEST(p.claims.at("scope").as_string() == "read");
    BOOST_TEST(p.claims.at("iss").as_string() == "https://auth.example");
    BOOST_TEST(p.id.size() == 43u);
    clock.advance(15min - 1s);
    BOOST_TEST(who_is(auth, c) == "bob");
    clock.advance(1s);
    BOOST_TEST(who_is(auth, c) == "expired");
    // A token from another key, or for another audience, is refused.
    jwt_auth other{jwt::hmac_key<jwt::hs256>::generate(), named(), clock};
    BOOST_TEST(who_is(auth, must(other.issue("bob"))) == "bad_signature");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(deny_list_revokes_one_token_until_its_exp, F, test::store_fixtures)
{
    F w;
    deny_for<F> auth{w.store, jwt::private_key<jwt::es256>::generate(), named({.access_ttl = 10min, .leeway = 0s}), w.clock};
    auto a = must(auth.issue("carol")), b = must(auth.issue("carol"));
    BOOST_TEST(must(auth.revoke(a.access_token)));
    BOOST_TEST(who_is(auth, a) == "revoked");
    BOOST_TEST(who_is(auth, b) == "carol");
    if constexpr (requires { w.store.size(); })
        BOOST_TEST(w.store.size() == 1u);
    // The entry lives exactly as long as the token could: then it is gone, and so is the token.
    w.clock.advance(10min);
    BOOST_TEST(must(w.store.purge_expired(100)) == 1u);
    if constexpr (requires { w.store.size(); })
        BOOST_TEST(w.store.size() == 0u);
    BOOST_TEST(who_is(auth, a) == "expired");
    // Revoking a token that does not verify is refused, not recorded.
    BOOST_TEST(outcome(auth.revoke("not.a.token")) == "malformed");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(token_version_logs_a_subject_out_everywhere, F, test::store_fixtures)
{
    F w;
    version_for<F> auth{w.store, jwt::hmac_key<jwt::hs256>::generate(), named(), w.clock};
    auto a = must(auth.issue("dave")), b = must(auth.issue("dave")), e = must(auth.issue("erin"));
    BOOST_TEST(must(auth.revoke_all("dave")) == 0u); // nothing server-side to count: every token carries the old version
    BOOST_TEST(who_is(auth, a) == "revoked");
    BOOST_TEST(who_is(auth, b) == "revoked");
    BOOST_TEST(who_is(auth, e) == "erin");
    BOOST_TEST(who_is(auth, must(auth.issue("dave"))) == "dave");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(composed_policies_must_all_accept, F, test::store_fixtures)
{
    F w;
    both_for<F> auth{w.store, jwt::hmac_key<jwt::hs256>::generate(), named(), w.clock};
    auto a = must(auth.issue("fay")), b = must(auth.issue("fay"));
    // Denied by one policy: refused though the other accepts.
    BOOST_TEST(must(auth.revoke(a.access_token)));
    BOOST_TEST(who_is(auth, a) == "revoked");
    BOOST_TEST(who_is(auth, b) == "fay");
    // Revoked by the other policy: refused though the deny list has nothing.
    BOOST_TEST(must(auth.revoke_all("fay")) == 0u);
    BOOST_TEST(who_is(auth, b) == "revoked");
    BOOST_TEST(who_is(auth, must(auth.issue("fay"))) == "fay");
}

BOOST_AUTO_TEST_CASE(revocation_checks_fail_closed)
{
    test::sqlite_fixture f;
    using sqlite_both = tessera::authenticator<decltype(f.store), jwt::hs256,
                                               tessera::all_of<tessera::deny_list, tessera::token_version>, clock_t_>;
    sqlite_both auth{f.store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    auto a = must(auth.issue("gus"));
    BOOST_TEST(outcome(auth.authenticate(a.access_token)) == "ok");
    test::remove_db(f.path);
    // Never "not revoked" when the store cannot say.
    BOOST_TEST(outcome(auth.authenticate(a.access_token)) == "store_unavailable");
    BOOST_TEST(outcome(auth.revoke(a.access_token)) == "store_unavailable");
    BOOST_TEST(outcome(auth.issue("gus")) == "store_unavailable");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(hybrid_scheme, F, test::store_fixtures)
{
    F w;
    hybrid_for<F> auth{w.store, jwt::private_key<jwt::eddsa>::generate(), named({.access_ttl = 15min, .leeway = 0s}), w.clock};
    auto c = must(auth.issue("hal", boost::json::object{{"role", "editor"}}, {.user_agent = "phone"}));
    // The family id (22 characters), '.', the secret (43 characters, 256 bits).
    BOOST_TEST(c.refresh_token.size() == 66u);
    BOOST_TEST(c.refresh_token.substr(0, 22) == must(auth.sessions("hal")).at(0).family);
    BOOST_TEST(who_is(auth, c) == "hal");

    w.clock.advance(15min);
    BOOST_TEST(who_is(auth, c) == "expired");
    auto next = must(auth.refresh(c.refresh_token));
    BOOST_TEST(next.refresh_token != c.refresh_token);
    BOOST_TEST(who_is(auth, next) == "hal");
    BOOST_TEST(must(auth.authenticate(next.access_token)).claims.at("role").as_string() == "editor");

    auto families = must(auth.sessions("hal"));
    BOOST_TEST_REQUIRE(families.size() == 1u);
    BOOST_TEST(families[0].generation == 1u);
    BOOST_TEST(families[0].user_agent == "phone");

    // Logout: the family dies, its refresh token with it.
    BOOST_TEST(must(auth.revoke(next.refresh_token)));
    BOOST_TEST(outcome(auth.refresh(next.refresh_token)) == "unknown_session");
    BOOST_TEST(must(auth.sessions("hal")).empty());
}

// The family id in a refresh token only routes it: the secret must belong to that family.
BOOST_AUTO_TEST_CASE(a_refresh_token_under_another_family_is_unknown)
{
    world w;
    hybrid_auth auth{w.store, jwt::private_key<jwt::eddsa>::generate(), named(), w.clock};
    auto mine = must(auth.issue("pat")), theirs = must(auth.issue("quin"));
    const std::string swapped = theirs.refresh_token.substr(0, 22) + mine.refresh_token.substr(22);
    BOOST_TEST(outcome(auth.refresh(swapped)) == "unknown_session");
    BOOST_TEST(outcome(auth.refresh(mine.refresh_token.substr(23))) == "malformed");          // secret alone
    BOOST_TEST(outcome(auth.refresh(mine.refresh_token.substr(0, 22) + "!" + mine.refresh_token.substr(23))) ==
               "malformed");
    BOOST_TEST(outcome(auth.refresh("AAAAAAAAAAAAAAAAAAAAA." + mine.refresh_token.substr(23))) == "malformed");
    // Nothing was used up by the refusals.
    BOOST_TEST(outcome(auth.refresh(mine.refresh_token)) == "ok");
    BOOST_TEST(outcome(auth.refresh(theirs.refresh_token)) == "ok");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(hybrid_reuse_revokes_the_family_and_its_access_tokens, F, test::store_fixtures)
{
    F w;
    hybrid_for<F> auth{w.store, jwt::private_key<jwt::eddsa>::generate(), named(), w.clock};
    auto first = must(auth.issue("ivy"));
    auto second = must(auth.refresh(first.refresh_token));
    auto other_device = must(auth.issue("ivy"));
    // The first token again: someone holds a copy.
    BOOST_TEST(outcome(auth.refresh(first.refresh_token)) == "refresh_reused");
    // The family is ended: its current token is reuse too, and its access tokens die at once.
    BOOST_TEST(outcome(auth.refresh(second.refresh_token)) == "refresh_reused");
    BOOST_TEST(who_is(auth, second) == "revoked");
    BOOST_TEST(who_is(auth, first) == "revoked");
    // The other device's family is not the stolen one: it lives on.
    BOOST_TEST(who_is(auth, other_device) == "ivy");
    auto renewed = must(auth.refresh(other_device.refresh_token));
    BOOST_TEST(who_is(auth, renewed) == "ivy");
    BOOST_TEST(must(auth.sessions("ivy")).size() == 1u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(hybrid_revoke_all_kills_families_and_access_tokens, F, test::store_fixtures)
{
    F w;
    hybrid_for<F> auth{w.store, jwt::private_key<jwt::eddsa>::generate(), named(), w.clock};
    auto a = must(auth.issue("jo")), b = must(auth.issue("jo")), k = must(auth.issue("kim"));
    BOOST_TEST(must(auth.revoke_all("jo")) == 2u);
    BOOST_TEST(who_is(auth, a) == "revoked");
    BOOST_TEST(outcome(auth.refresh(a.refresh_token)) == "unknown_session");
    BOOST_TEST(outcome(auth.refresh(b.refresh_token)) == "unknown_session");
    BOOST_TEST(who_is(auth, k) == "kim");
    BOOST_TEST(outcome(auth.refresh(k.refresh_token)) == "ok");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(hybrid_family_absolute_lifetime, F, test::store_fixtures)
{
    F w;
    hybrid_for<F> auth{w.store, jwt::private_key<jwt::eddsa>::generate(),
                     named({.refresh = {.token_ttl = 2h, .family_lifetime = 5h}}), w.clock};
    auto c = must(auth.issue("lu"));
    const auto family_end = w.clock.now() + 5h;
    for (int i = 0; i < 4; ++i) {
        w.clock.advance(1h);
        c = must(auth.refresh(c.refresh_token));
        // The token's own lifetime, cut at the family's end.
        BOOST_TEST((c.refresh_expires_at == std::min(w.clock.now() + 2h, family_end)));
    }
    w.clock.advance(1h); // 5 h after login
    BOOST_TEST(outcome(auth.refresh(c.refresh_token)) == "unknown_session");
    // Inactivity: a token unused for its ttl expires.
    auto d = must(auth.issue("lu"));
    w.clock.advance(2h);
    BOOST_TEST(outcome(auth.refresh(d.refresh_token)) == "unknown_session");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(refresh_race_without_grace_has_one_winner_and_kills_the_family, F, test::store_fixtures)
{
    F w;
    hybrid_for<F> auth{w.store, jwt::private_key<jwt::eddsa>::generate(), named(), w.clock};
    auto c = must(auth.issue("mo"));
    std::vector<tessera::result<tessera::credentials>> results(8, tessera::fail(tessera::errc::malformed));
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < results.size(); ++t)
        pool.emplace_back([&, t] { results[t] = auth.refresh(c.refresh_token); });
    for (auto& th : pool)
        th.join();
    std::multiset<std::string> outcomes;
    tessera::credentials winner;
    for (const auto& r : results) {
        outcomes.insert(outcome(r));
        if (r)
            winner = *r;
    }
    // Exactly one presentation rotates; every other is reported as the reuse it is.
    const std::multiset<std::string> expected{"ok", "refresh_reused", "refresh_reused", "refresh_reused",
                                              "refresh_reused", "refresh_reused", "refresh_reused", "refresh_reused"};
    BOOST_TEST(outcomes == expected, boost::test_tools::per_element());
    // The reuses ended the family: the winner's pair is dead too.
    BOOST_TEST(outcome(auth.refresh(winner.refresh_token)) == "refresh_reused");
    BOOST_TEST(who_is(auth, winner) == "revoked");
    BOOST_TEST(must(auth.sessions("mo")).empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(refresh_race_with_grace_hands_everyone_the_same_successor, F, test::store_fixtures)
{
    F w;
    hybrid_for<F> auth{w.store, jwt::private_key<jwt::eddsa>::generate(), named({.refresh = {.grace = 10s}}), w.clock};
    auto c = must(auth.issue("ned"));
    std::vector<tessera::result<tessera::credentials>> results(8, tessera::fail(tessera::errc::malformed));
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < results.size(); ++t)
        pool.emplace_back([&, t] { results[t] = auth.refresh(c.refresh_token); });
    for (auto& th : pool)
        th.join();
    std::set<std::string> refresh_tokens, access_tokens;
    for (const auto& r : results) {
        BOOST_TEST_REQUIRE(outcome(r) == "ok");
        refresh_tokens.insert(r->refresh_token);
        access_tokens.insert(r->access_token);
    }
    BOOST_TEST(refresh_tokens.size() == 1u); // the family did not fork
    BOOST_TEST(access_tokens.size() == 1u);
    const std::string successor = *refresh_tokens.begin();

    // A replay after the window is reuse: the family dies, the successor with it.
    w.clock.advance(11s);
    BOOST_TEST(outcome(auth.refresh(c.refresh_token)) == "refresh_reused");
    BOOST_TEST(outcome(auth.refresh(successor)) == "refresh_reused");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(grace_covers_only_the_immediately_previous_token, F, test::store_fixtures)
{
    F w;
    hybrid_for<F> auth{w.store, jwt::private_key<jwt::eddsa>::generate(), named({.refresh = {.grace = 30s}}), w.clock};
    auto g0 = must(auth.issue("ola"));
    auto g1 = must(auth.refresh(g0.refresh_token));
    // Within the window, the previous token gets the same pair again.
    auto again = must(auth.refresh(g0.refresh_token));
    BOOST_TEST(again.refresh_token == g1.refresh_token);
    auto g2 = must(auth.refresh(g1.refresh_token));
    // g0 is now the grandparent: presenting it is reuse, even inside the window.
    BOOST_TEST(outcome(auth.refresh(g0.refresh_token)) == "refresh_reused");
    BOOST_TEST(outcome(auth.refresh(g2.refresh_token)) == "refresh_reused");
    BOOST_TEST(who_is(auth, g2) == "revoked");
}

BOOST_AUTO_TEST_CASE(configuration_is_validated)
{
    world w;
    auto key = jwt::private_key<jwt::eddsa>::generate();
    const auto misconfigured = [](const tessera::error& e) { return e.code() == tessera::errc::invalid_configuration; };
    BOOST_CHECK_EXCEPTION((hybrid_auth{w.store, key, named({.refresh = {.grace = 61s}}), w.clock}), tessera::error,
                          misconfigured);
    BOOST_CHECK_EXCEPTION((hybrid_auth{w.store, key, named({.access_ttl = 0s}), w.clock}), tessera::error,
                          misconfigured);
    BOOST_CHECK_EXCEPTION((session_auth{w.store, {.session = {.idle_timeout = 13h}}, w.clock}), tessera::error,
                          misconfigured);
    // A JWT scheme must be told its issuer and audience: no default lets two services accept each other's tokens.
    BOOST_CHECK_EXCEPTION((hybrid_auth{w.store, key, {}, w.clock}), tessera::error, misconfigured);
    BOOST_CHECK_EXCEPTION((jwt_auth{jwt::hmac_key<jwt::hs256>::generate(), {.issuer = "https://auth.example"}, w.clock}),
                          tessera::error, misconfigured);
    BOOST_CHECK_EXCEPTION((version_auth{w.store, jwt::hmac_key<jwt::hs256>::generate(), {.audience = "api"}, w.clock}),
                          tessera::error, misconfigured);
    BOOST_CHECK_NO_THROW((session_auth{w.store, {}, w.clock})); // sessions have no issuer
    BOOST_CHECK_NO_THROW((hybrid_auth{w.store, key, named({.refresh = {.grace = 60s}}), w.clock}));
}

BOOST_AUTO_TEST_CASE(operations_a_scheme_cannot_honour_do_not_exist)
{
    static_assert(!can_refresh<jwt_auth> && !can_revoke<jwt_auth> && !can_revoke_all<jwt_auth> &&
                  !can_list<jwt_auth>);
    static_assert(can_revoke<deny_auth> && !can_revoke_all<deny_auth> && !can_refresh<deny_auth>);
    static_assert(!can_revoke<version_auth> && can_revoke_all<version_auth>);
    static_assert(can_revoke<both_auth> && can_revoke_all<both_auth>);
    static_assert(can_refresh<session_auth> && can_revoke<session_auth> && can_revoke_all<session_auth> &&
                  can_list<session_auth>);
    static_assert(can_refresh<hybrid_auth> && can_revoke<hybrid_auth> && can_revoke_all<hybrid_auth> &&
                  can_list<hybrid_auth>);
    // Empty policies cost nothing.
    static_assert(sizeof(tessera::jwt_authenticator<jwt::hs256>) ==
                  sizeof(tessera::detail::jwt_core<jwt::hs256>));
    // The scheme concepts, positive and negative.
    static_assert(tessera::authentication_scheme<jwt_auth> && tessera::authentication_scheme<session_auth> &&
                  tessera::authentication_scheme<hybrid_auth> && tessera::authentication_scheme<both_auth>);
    static_assert(!tessera::authentication_scheme<store_t> && !tessera::authentication_scheme<int>);
    static_assert(tessera::revocable_scheme<session_auth> && tessera::revocable_scheme<hybrid_auth> &&
                  tessera::revocable_scheme<deny_auth> && !tessera::revocable_scheme<jwt_auth> &&
                  !tessera::revocable_scheme<version_auth>);
    static_assert(tessera::subject_revocable_scheme<session_auth> && tessera::subject_revocable_scheme<hybrid_auth> &&
                  tessera::subject_revocable_scheme<version_auth> && !tessera::subject_revocable_scheme<deny_auth>);
    static_assert(tessera::refreshable_scheme<session_auth> && tessera::refreshable_scheme<hybrid_auth> &&
                  !tessera::refreshable_scheme<both_auth>);
    // What is a revocation policy, and what is not.
    static_assert(tessera::revocation_policy<tessera::expiry_only> &&
                  tessera::revocation_policy<tessera::deny_list, store_t> &&
                  tessera::revocation_policy<tessera::all_of<tessera::deny_list, tessera::token_version>, store_t>);
    static_assert(!tessera::revocation_policy<tessera::server_side, store_t> &&
                  !tessera::revocation_policy<tessera::refresh_rotation, store_t> &&
                  !tessera::revocation_policy<std::string, store_t>);
}

BOOST_AUTO_TEST_SUITE_END()
