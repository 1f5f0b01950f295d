// SPDX-License-Identifier: BSL-1.0
// Where the pieces meet: several schemes and policies on one store, another
// request running between two store calls of this one, a store failing at
// each call (and the client's retry), a store that lost its state, a record
// that comes back corrupt, and the bounds of what is issued.

#include "faulty_store.hpp"
#include "store_fixtures.hpp"

#include <policies/tenant_kill_switch.hpp>

#include <tessera/authenticator.hpp>
#include <tessera/fleet/key_ring.hpp>
#include <tessera/password/throttle.hpp>

#include <boost/test/unit_test.hpp>

#include <limits>
#include <set>
#include <thread>

using namespace test::suite;

namespace {

using clock_t_ = tessera::manual_clock;

template <class Auth>
std::string who_is(Auth& auth, const std::string& credential)
{
    auto p = auth.authenticate(credential);
    return p ? p->subject : tessera::to_string(p.error());
}

/// Every scheme and policy of an application, on one store.
template <class Store>
struct application {
    using session_auth = tessera::session_authenticator<Store, clock_t_>;
    using deny_auth = tessera::authenticator<Store, jwt::hs256, tessera::deny_list, clock_t_>;
    using version_auth = tessera::authenticator<Store, jwt::hs256, tessera::token_version, clock_t_>;
    using hybrid_auth = tessera::hybrid_authenticator<jwt::hs256, Store, clock_t_>;

    application(Store& store, clock_t_ clock)
        : web(store, {}, clock), api(store, jwt::hmac_key<jwt::hs256>::generate(), named(), clock),
          versions(store, jwt::hmac_key<jwt::hs256>::generate(), named(), clock),
          mobile(store, jwt::hmac_key<jwt::hs256>::generate(), named(), clock), throttle(store, {}, clock)
    {
    }

    session_auth web;
    deny_auth api;
    version_auth versions;
    hybrid_auth mobile;
    tessera::login_throttle<Store, clock_t_> throttle;
};

} // namespace

BOOST_AUTO_TEST_SUITE(composition)

// Each revoke and revoke_all ends exactly its own credentials, on one store.
BOOST_AUTO_TEST_CASE_TEMPLATE(schemes_sharing_a_store_never_touch_each_others_records, F, test::store_fixtures)
{
    F f;
    application<decltype(f.store)> app{f.store, f.clock};
    auto session = must(app.web.issue("alice"));
    auto denied = must(app.api.issue("alice"));
    auto token = must(app.api.issue("alice"));
    auto versioned = must(app.versions.issue("alice"));
    auto device = must(app.mobile.issue("alice"));
    must(app.throttle.record_failure("alice", "192.0.2.1"));
    // A fleet's key ring in the same store, and an API signing with it.
    using ring_t = tessera::fleet::stored_key_ring<jwt::hs256, decltype(f.store)>;
    const auto kek = jwt::ring_sealing_key::generate();
    const jwt::key_ring_options timeline{.propagation = 60s, .retention = 3600s, .rotate_every = 86400s};
    ring_t ring{f.store, kek, timeline, {.name = "signing"}, f.clock.now()};
    tessera::jwt_authenticator<jwt::key_ring<jwt::hs256>, clock_t_> rotating{ring.ring(), named(), f.clock};
    const auto ring_token = must(rotating.issue("alice"));
    const auto ring_version = ring.ring().version();

    // The API denies one token.
    BOOST_TEST(must(app.api.revoke(denied.access_token)));
    BOOST_TEST(who_is(app.api, denied.access_token) == "revoked");

    // "Log out everywhere" on the web: sessions only. The denied token stays denied (it was let back in
    // when revoke_all erased every record of the subject), the refresh family lives, the version is kept.
    BOOST_TEST(must(app.web.revoke_all("alice")) == 1u);
    BOOST_TEST(who_is(app.web, session.access_token) == "unknown_session");
    BOOST_TEST(who_is(app.api, denied.access_token) == "revoked");
    BOOST_TEST(who_is(app.api, token.access_token) == "alice");
    BOOST_TEST(who_is(app.versions, versioned.access_token) == "alice");
    BOOST_TEST(who_is(app.mobile, device.access_token) == "alice");
    BOOST_TEST(must(app.mobile.sessions("alice")).size() == 1u);

    // A refresh on the shared store rotates its family and touches nothing else.
    device = must(app.mobile.refresh(device.refresh_token));
    BOOST_TEST(who_is(app.web, session.access_token) == "unknown_session");
    BOOST_TEST(who_is(app.api, token.access_token) == "alice");
    BOOST_TEST(who_is(app.mobile, device.access_token) == "alice");

    // The mobile app's "log out everywhere": its families only.
    auto session2 = must(app.web.issue("alice"));
    BOOST_TEST(must(app.mobile.revoke_all("alice")) == 1u);
    BOOST_TEST(who_is(app.mobile, device.access_token) == "revoked");
    BOOST_TEST(who_is(app.web, session2.access_token) == "alice");
    BOOST_TEST(must(app.web.sessions("alice")).size() == 1u);
    BOOST_TEST(who_is(app.api, denied.access_token) == "revoked");

    // Token versions: their own tokens only.
    must(app.versions.revoke_all("alice"));
    BOOST_TEST(who_is(app.versions, versioned.access_token) == "revoked");
    BOOST_TEST(who_is(app.api, token.access_token) == "alice");
    BOOST_TEST(who_is(app.web, session2.access_token) == "alice");

    // Throttling is untouched by all of it, and touches nothing.
    BOOST_TEST(outcome(app.throttle.check("alice", "192.0.2.1")) == "ok");
    must(app.throttle.record_success("alice"));
    BOOST_TEST(who_is(app.web, session2.access_token) == "alice");

    // A session's listing holds sessions only, though families and deny entries share the store.
    auto listed = must(app.web.sessions("alice"));
    BOOST_REQUIRE_EQUAL(listed.size(), 1u);
    BOOST_TEST(listed[0].data.subject == "alice");

    // The key ring's records were touched by none of it: the ring finds nothing newer and nothing lost,
    // an instance opened now reads the same ring, and the ring's token still verifies.
    BOOST_TEST(must(ring.sync()) == false);
    BOOST_TEST(ring.ring().version() == ring_version);
    ring_t reopened{f.store, kek, timeline, {.name = "signing"}, f.clock.now()};
    BOOST_TEST(reopened.ring().version() == ring_version);
    BOOST_TEST(reopened.ring().primary_kid() == ring.ring().primary_kid());
    BOOST_TEST(who_is(rotating, ring_token.access_token) == "alice");
}

// A subject that looks like another kind's index entry reaches nothing of it.
BOOST_AUTO_TEST_CASE(subjects_cannot_forge_another_kinds_index)
{
    test::memory_fixture f;
    application<decltype(f.store)> app{f.store, f.clock};
    auto device = must(app.mobile.issue("bob"));
    auto families = must(app.mobile.sessions("bob"));
    BOOST_REQUIRE_EQUAL(families.size(), 1u);
    // The family's tokens are listed under "rtk:" + family: a session subject of that spelling is another entry.
    BOOST_TEST(must(app.web.revoke_all("rtk:" + families[0].family)) == 0u);
    BOOST_TEST(must(app.web.revoke_all("fam:bob")) == 0u);
    BOOST_TEST(outcome(app.mobile.refresh(device.refresh_token)) == "ok");
}

// ---- another request between two store calls -------------------------------------

// "Log out everywhere" between a rotation's write of the new session and its take of the old one.
BOOST_AUTO_TEST_CASE_TEMPLATE(rotate_interleaved_with_revoke_all_leaves_nothing, F, test::store_fixtures)
{
    F f;
    test::faulty_store store{f.store};
    tessera::session_authenticator<decltype(store), clock_t_> web{store, {}, f.clock};
    // Every point between the rotation's store calls.
    for (std::size_t at = 1; at <= 3; ++at) {
        auto login = must(web.issue("carol"));
        store.arm(at, test::fault::none, [&] { must(web.revoke_all("carol")); });
        auto rotated = web.refresh(login.access_token);
        store.heal();
        BOOST_TEST(outcome(rotated) == "unknown_session", "revoke_all before call " << at);
        BOOST_TEST(who_is(web, login.access_token) == "unknown_session");
        BOOST_TEST(must(web.sessions("carol")).empty());
    }
}

// The same race with threads, many rounds: never a survivor.
BOOST_AUTO_TEST_CASE_TEMPLATE(rotate_racing_revoke_all_never_survives, F, test::store_fixtures)
{
    F f;
    tessera::session_authenticator<decltype(f.store), clock_t_> web{f.store, {}, f.clock};
    int survivors = 0, rotated = 0, refused = 0;
    for (int round = 0; round < 300; ++round) {
        auto login = must(web.issue("dan"));
        tessera::result<tessera::credentials> next = tessera::fail(tessera::errc::malformed);
        std::thread rotator{[&] { next = web.refresh(login.access_token); }};
        std::thread revoker{[&] { must(web.revoke_all("dan")); }};
        rotator.join();
        revoker.join();
        if (next)
            ++rotated;
        else if (next.error() == tessera::errc::unknown_session) // the revocation came first
            ++refused;
        if (next && who_is(web, next->access_token) == "dan")
            ++survivors;
        survivors += static_cast<int>(must(web.sessions("dan")).size());
    }
    BOOST_TEST(survivors == 0);
    // Every round ended one of the two ways the race allows, and no other.
    BOOST_TEST(rotated + refused == 300);
    BOOST_TEST_MESSAGE("rotations that completed before the revocation: " << rotated << " of 300");
}

// A racing refresh inside the grace window, deterministically between the winner's steps: the same pair.
BOOST_AUTO_TEST_CASE(a_racing_refresh_in_the_grace_window_gets_the_same_pair_without_waiting)
{
    test::memory_fixture f;
    test::faulty_store store{f.store};
    tessera::hybrid_authenticator<jwt::hs256, decltype(store), clock_t_> mobile{
        store, jwt::hmac_key<jwt::hs256>::generate(), named({.refresh = {.grace = 10s}}), f.clock};
    auto login = must(mobile.issue("erin"));
    // Count the calls of one refresh, then put a whole second refresh before each of them in turn.
    store.clear_log();
    auto probe_login = must(mobile.issue("erin"));
    const auto before = store.calls();
    must(mobile.refresh(probe_login.refresh_token));
    const auto steps = store.calls() - before;
    BOOST_TEST(steps == 6u); // get token, get marker, get family, put successor, insert marker, replace family
    for (std::size_t at = 1; at <= steps; ++at) {
        auto start = must(mobile.issue("erin"));
        tessera::result<tessera::credentials> other = tessera::fail(tessera::errc::malformed);
        store.arm(at, test::fault::none, [&] { other = mobile.refresh(start.refresh_token); });
        auto mine = mobile.refresh(start.refresh_token);
        BOOST_TEST_REQUIRE(outcome(other) == "ok");
        BOOST_TEST_REQUIRE(outcome(mine) == "ok", "second refresh before call " << at);
        BOOST_TEST(mine->refresh_token == other->refresh_token);
        BOOST_TEST(mine->access_token == other->access_token);
        BOOST_TEST(who_is(mobile, mine->access_token) == "erin");
        BOOST_TEST(outcome(mobile.refresh(mine->refresh_token)) == "ok");
    }
    BOOST_TEST(who_is(mobile, login.access_token) == "erin");
}

// Without grace, the same interleavings: one rotation, one reuse, never two pairs.
BOOST_AUTO_TEST_CASE(a_racing_refresh_without_grace_is_reuse_at_every_step)
{
    test::memory_fixture f;
    test::faulty_store store{f.store};
    tessera::hybrid_authenticator<jwt::hs256, decltype(store), clock_t_> mobile{
        store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    for (std::size_t at = 1; at <= 6; ++at) {
        auto start = must(mobile.issue("fay"));
        tessera::result<tessera::credentials> other = tessera::fail(tessera::errc::malformed);
        store.arm(at, test::fault::none, [&] { other = mobile.refresh(start.refresh_token); });
        auto mine = mobile.refresh(start.refresh_token);
        const std::multiset<std::string> outcomes{outcome(mine), outcome(other)};
        BOOST_TEST((outcomes == std::multiset<std::string>{"ok", "refresh_reused"}), "second refresh before call "
                                                                                        << at);
        const auto& winner = mine ? *mine : *other;
        BOOST_TEST(who_is(mobile, winner.access_token) == "revoked");
        BOOST_TEST(who_is(mobile, start.access_token) == "revoked");
    }
}

// The family's current token presented between each store call of a reuse that ends the family: it
// rotates (and its pair dies with the family), or it is the reuse it has become; never `unknown_session`,
// which would tell the thief's victim that they had merely been logged out.
BOOST_AUTO_TEST_CASE(a_family_ending_for_reuse_is_reuse_at_every_step)
{
    test::memory_fixture f;
    test::faulty_store store{f.store};
    tessera::hybrid_authenticator<jwt::hs256, decltype(store), clock_t_> mobile{
        store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    auto probe = must(mobile.issue("gil"));
    must(mobile.refresh(probe.refresh_token));
    const auto before = store.calls();
    BOOST_TEST(outcome(mobile.refresh(probe.refresh_token)) == "refresh_reused");
    const auto steps = store.calls() - before;
    BOOST_TEST(steps == 4u); // get token, get marker, put the ended marker, take the family
    for (std::size_t at = 1; at <= steps; ++at) {
        auto stolen = must(mobile.issue("gil"));
        auto current = must(mobile.refresh(stolen.refresh_token));
        tessera::result<tessera::credentials> other = tessera::fail(tessera::errc::malformed);
        store.arm(at, test::fault::none, [&] { other = mobile.refresh(current.refresh_token); });
        BOOST_TEST(outcome(mobile.refresh(stolen.refresh_token)) == "refresh_reused");
        BOOST_TEST((outcome(other) == "ok" || outcome(other) == "refresh_reused"), "current token before call "
                                                                                      << at << ": "
                                                                                      << outcome(other));
        if (other)
            BOOST_TEST(who_is(mobile, other->access_token) == "revoked");
        BOOST_TEST(outcome(mobile.refresh(current.refresh_token)) == "refresh_reused");
        BOOST_TEST(who_is(mobile, current.access_token) == "revoked");
    }
    BOOST_TEST(must(mobile.sessions("gil")).empty());
}

// "Log out everywhere" between each store call of a reuse that ends a family. It erases the families,
// not their tokens, so the stolen token is still found used: the reuse is reported, and from then on the
// family's other tokens say so too (`refresh_reused`, not `unknown_session`: the victim learns that a
// token was stolen, which is true). Nothing of the family works afterwards, and the subject has no family.
BOOST_AUTO_TEST_CASE(revoke_all_between_the_store_calls_of_a_reuse)
{
    test::memory_fixture f;
    test::faulty_store store{f.store};
    tessera::hybrid_authenticator<jwt::hs256, decltype(store), clock_t_> mobile{
        store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    for (std::size_t at = 1; at <= 4; ++at) { // get token, get marker, put the ended marker, take the family
        auto stolen = must(mobile.issue("hew"));
        auto current = must(mobile.refresh(stolen.refresh_token));
        store.arm(at, test::fault::none, [&] { must(mobile.revoke_all("hew")); });
        BOOST_TEST(outcome(mobile.refresh(stolen.refresh_token)) == "refresh_reused", "revoke_all before call " << at);
        store.heal();
        BOOST_TEST(outcome(mobile.refresh(current.refresh_token)) == "refresh_reused");
        BOOST_TEST(who_is(mobile, current.access_token) == "revoked");
        BOOST_TEST(who_is(mobile, stolen.access_token) == "revoked");
        BOOST_TEST(must(mobile.sessions("hew")).empty());
    }
}

// "Log out everywhere" (and logout of the device) between each store call of a refresh and of a login:
// whatever the operation returns, nothing of the family works afterwards.
BOOST_AUTO_TEST_CASE(revocation_between_the_store_calls_of_refresh_and_issue)
{
    test::memory_fixture f;
    test::faulty_store store{f.store};
    tessera::hybrid_authenticator<jwt::hs256, decltype(store), clock_t_> mobile{
        store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    for (bool whole_subject : {true, false}) {
        // Refresh: get token, get marker, get family, put successor, insert marker, replace family.
        for (std::size_t at = 1; at <= 6; ++at) {
            auto start = must(mobile.issue("ike"));
            store.arm(at, test::fault::none, [&] {
                if (whole_subject)
                    must(mobile.revoke_all("ike"));
                else
                    must(mobile.revoke(start.refresh_token));
            });
            auto next = mobile.refresh(start.refresh_token);
            store.heal();
            // Before the family was read, the refresh sees it gone; after, it completes, but with a dead pair.
            BOOST_TEST(outcome(next) == (at <= 3 ? "unknown_session" : "ok"), "revocation before call " << at);
            if (next) {
                BOOST_TEST(who_is(mobile, next->access_token) == "revoked");
                BOOST_TEST(outcome(mobile.refresh(next->refresh_token)) == "unknown_session");
            }
            BOOST_TEST(who_is(mobile, start.access_token) == "revoked");
            BOOST_TEST(must(mobile.sessions("ike")).empty());
        }
    }
    // Login: put family, put token. "Log out everywhere" between them leaves the login dead.
    for (std::size_t at = 1; at <= 2; ++at) {
        store.arm(at, test::fault::none, [&] { must(mobile.revoke_all("ike")); });
        auto login = mobile.issue("ike");
        store.heal();
        BOOST_TEST_REQUIRE(outcome(login) == "ok");
        BOOST_TEST(who_is(mobile, login->access_token) == (at == 1 ? "ike" : "revoked"), "before call " << at);
        BOOST_TEST(outcome(mobile.refresh(login->refresh_token)) == (at == 1 ? "ok" : "unknown_session"));
        must(mobile.revoke_all("ike"));
    }
    // Token versions: a new version written between the read and the creation of the subject's version.
    tessera::authenticator<decltype(store), jwt::hs256, tessera::token_version, clock_t_> api{
        store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    for (std::size_t at = 1; at <= 2; ++at) {
        const std::string subject = "jim-" + std::to_string(at);
        store.arm(at, test::fault::none, [&] { must(api.revoke_all(subject)); });
        auto token = must(api.issue(subject));
        store.heal();
        // The token took the version the revocation wrote: issued after it, it stays valid; the next revocation ends it.
        BOOST_TEST(who_is(api, token.access_token) == subject);
        must(api.revoke_all(subject));
        BOOST_TEST(who_is(api, token.access_token) == "revoked");
    }
}

// Concurrent presentations of one token: exactly one rotates, every other is reuse, every round.
BOOST_AUTO_TEST_CASE(concurrent_presentations_have_exactly_one_winner)
{
    test::memory_fixture f;
    tessera::hybrid_authenticator<jwt::hs256, decltype(f.store), clock_t_> mobile{
        f.store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    for (std::size_t threads : {2u, 4u, 16u}) {
        for (int round = 0; round < 20; ++round) {
            auto start = must(mobile.issue("gus"));
            std::vector<tessera::result<tessera::credentials>> results(threads,
                                                                       tessera::fail(tessera::errc::malformed));
            std::vector<std::thread> pool;
            for (std::size_t t = 0; t < threads; ++t)
                pool.emplace_back([&, t] { results[t] = mobile.refresh(start.refresh_token); });
            for (auto& th : pool)
                th.join();
            std::size_t ok = 0, reused = 0;
            for (const auto& r : results) {
                ok += r ? 1u : 0u;
                reused += outcome(r) == "refresh_reused" ? 1u : 0u;
            }
            BOOST_TEST(ok == 1u);
            BOOST_TEST(reused == threads - 1);
        }
    }
}

// ---- a store failing at each call, and the retry ------------------------------------

namespace {

template <class F = test::memory_fixture>
struct fault_world {
    F f;
    test::faulty_store<decltype(f.store)> store{f.store};
    tessera::session_authenticator<decltype(store), clock_t_> web{store, {}, f.clock};
    tessera::authenticator<decltype(store), jwt::hs256, tessera::all_of<tessera::deny_list, tessera::token_version>,
                           clock_t_>
        api{store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    tessera::hybrid_authenticator<jwt::hs256, decltype(store), clock_t_> mobile{
        store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
};

/// Runs `op` clean (where it answers `clean`) to count its store calls, then with `kind` at each of them;
/// `check` judges each outcome.
template <class World, class Setup, class Op, class Check>
void at_every_call(Setup setup, Op op, Check check, std::string_view clean = "ok")
{
    std::size_t calls = 0;
    {
        World w;
        auto state = setup(w);
        const auto before = w.store.calls();
        BOOST_TEST_REQUIRE(outcome(op(w, state)) == clean);
        calls = w.store.calls() - before;
    }
    BOOST_TEST_REQUIRE(calls > 0u);
    for (auto kind : {test::fault::fail, test::fault::drop_reply}) {
        for (std::size_t at = 1; at <= calls; ++at) {
            BOOST_TEST_CONTEXT("fault " << (kind == test::fault::fail ? "fail" : "drop_reply") << " at call " << at
                                        << " of " << calls)
            {
                World w;
                auto state = setup(w);
                w.store.arm(at, kind);
                auto first = op(w, state);
                // The fault was injected, exactly once, as armed: a matrix that injected nothing would pass.
                BOOST_TEST_REQUIRE((w.store.injected() == std::vector<test::fault>{kind}));
                w.store.heal();
                check(w, state, first);
            }
        }
    }
}

} // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(hybrid_refresh_with_a_fault_at_every_call_then_retry, F, test::store_fixtures)
{
    struct state {
        tessera::credentials login;
    };
    at_every_call<fault_world<F>>([](auto& w) { return state{must(w.mobile.issue("hal"))}; },
                  [](auto& w, state& s) { return w.mobile.refresh(s.login.refresh_token); },
                  [](auto& w, state& s, const tessera::result<tessera::credentials>& first) {
                      BOOST_TEST((outcome(first) == "ok" || outcome(first) == "store_unavailable"));
                      // The retry after the fault: as if the fault never happened.
                      auto pair = first ? *first : must(w.mobile.refresh(s.login.refresh_token));
                      BOOST_TEST(who_is(w.mobile, pair.access_token) == "hal");
                      auto next = must(w.mobile.refresh(pair.refresh_token));
                      BOOST_TEST(who_is(w.mobile, next.access_token) == "hal");
                      // And only a real second presentation is reuse.
                      BOOST_TEST(outcome(w.mobile.refresh(s.login.refresh_token)) == "refresh_reused");
                  });
}

// A stolen token presented again, with a fault at each store call of the reuse that ends its family: the
// answer is the reuse or `store_unavailable`, the client's retry is the reuse, and the family is dead
// either way. Only a lost ended-marker (a best-effort write) turns its other tokens' answer into
// `unknown_session`; nothing of the family works again.
BOOST_AUTO_TEST_CASE_TEMPLATE(hybrid_reuse_with_a_fault_at_every_call_then_retry, F, test::store_fixtures)
{
    struct state {
        tessera::credentials stolen, current;
    };
    at_every_call<fault_world<F>>(
        [](auto& w) {
            auto stolen = must(w.mobile.issue("ivo"));
            auto current = must(w.mobile.refresh(stolen.refresh_token));
            return state{stolen, current};
        },
        [](auto& w, state& s) { return w.mobile.refresh(s.stolen.refresh_token); },
        [](auto& w, state& s, const tessera::result<tessera::credentials>& first) {
            const bool marker_lost =
                w.store.injected().front() == test::fault::fail && w.store.injected_into().front() == "put";
            BOOST_TEST((outcome(first) == "refresh_reused" || outcome(first) == "store_unavailable"));
            if (!first && first.error() == tessera::errc::store_unavailable)
                BOOST_TEST(outcome(w.mobile.refresh(s.stolen.refresh_token)) == "refresh_reused");
            BOOST_TEST(outcome(w.mobile.refresh(s.current.refresh_token)) ==
                       (marker_lost ? "unknown_session" : "refresh_reused"));
            BOOST_TEST(who_is(w.mobile, s.current.access_token) == "revoked");
            BOOST_TEST(who_is(w.mobile, s.stolen.access_token) == "revoked");
            BOOST_TEST(must(w.mobile.sessions("ivo")).empty());
        },
        "refresh_reused");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(hybrid_issue_revoke_and_authenticate_with_a_fault_at_every_call, F, test::store_fixtures)
{
    struct state {
        tessera::credentials login;
    };
    // Issue: a failed login leaves no family behind.
    at_every_call<fault_world<F>>([](auto&) { return 0; }, [](auto& w, int&) { return w.mobile.issue("ida"); },
                  [](auto& w, int&, const tessera::result<tessera::credentials>& first) {
                      BOOST_TEST((outcome(first) == "ok" || outcome(first) == "store_unavailable"));
                      const auto expected = first ? 1u : 0u;
                      BOOST_TEST(must(w.mobile.sessions("ida")).size() == expected);
                      if (first)
                          BOOST_TEST(who_is(w.mobile, first->access_token) == "ida");
                  });
    // Logout of one device: after the retry, its access and refresh tokens are dead.
    at_every_call<fault_world<F>>([](auto& w) { return state{must(w.mobile.issue("ida"))}; },
                  [](auto& w, state& s) { return w.mobile.revoke(s.login.refresh_token); },
                  [](auto& w, state& s, const tessera::result<bool>& first) {
                      BOOST_TEST((outcome(first) == "ok" || outcome(first) == "store_unavailable"));
                      if (!first)
                          BOOST_TEST(outcome(w.mobile.revoke(s.login.refresh_token)) == "ok");
                      BOOST_TEST(who_is(w.mobile, s.login.access_token) == "revoked");
                      BOOST_TEST(outcome(w.mobile.refresh(s.login.refresh_token)) == "unknown_session");
                  });
    // Log out everywhere, retried: every family and access token of the subject is dead, others live.
    at_every_call<fault_world<F>>(
        [](auto& w) {
            must(w.mobile.issue("ida"));
            must(w.mobile.issue("ivo"));
            return state{must(w.mobile.issue("ida"))};
        },
        [](auto& w, state&) { return w.mobile.revoke_all("ida"); },
        [](auto& w, state& s, const tessera::result<std::size_t>& first) {
            if (!first)
                must(w.mobile.revoke_all("ida"));
            BOOST_TEST(who_is(w.mobile, s.login.access_token) == "revoked");
            BOOST_TEST(outcome(w.mobile.refresh(s.login.refresh_token)) == "unknown_session");
            BOOST_TEST(must(w.mobile.sessions("ida")).empty());
            BOOST_TEST(must(w.mobile.sessions("ivo")).size() == 1u);
        });
    // Authenticate: never "ok" when the store did not answer.
    at_every_call<fault_world<F>>([](auto& w) { return state{must(w.mobile.issue("ida"))}; },
                  [](auto& w, state& s) { return w.mobile.authenticate(s.login.access_token); },
                  [](auto& w, state& s, const tessera::result<tessera::principal>& first) {
                      BOOST_TEST(outcome(first) == "store_unavailable");
                      BOOST_TEST(who_is(w.mobile, s.login.access_token) == "ida");
                  });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(session_operations_with_a_fault_at_every_call, F, test::store_fixtures)
{
    struct state {
        tessera::credentials login;
    };
    // Rotation: the old id stays usable or the new one is handed out; never both alive, never neither.
    at_every_call<fault_world<F>>([](auto& w) { return state{must(w.web.issue("jan"))}; },
                  [](auto& w, state& s) { return w.web.refresh(s.login.access_token); },
                  [](auto& w, state& s, const tessera::result<tessera::credentials>& first) {
                      BOOST_TEST((outcome(first) == "ok" || outcome(first) == "store_unavailable"));
                      auto next = first ? *first : must(w.web.refresh(s.login.access_token));
                      BOOST_TEST(who_is(w.web, next.access_token) == "jan");
                      BOOST_TEST(who_is(w.web, s.login.access_token) == "unknown_session");
                      BOOST_TEST(must(w.web.sessions("jan")).size() == 1u);
                  });
    // Logout everywhere, retried: nothing of the subject survives.
    at_every_call<fault_world<F>>([](auto& w) { return state{must(w.web.issue("jan"))}; },
                  [](auto& w, state&) { return w.web.revoke_all("jan"); },
                  [](auto& w, state& s, const tessera::result<std::size_t>& first) {
                      if (!first)
                          must(w.web.revoke_all("jan"));
                      BOOST_TEST(who_is(w.web, s.login.access_token) == "unknown_session");
                  });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(session_issue_authenticate_and_revoke_with_a_fault_at_every_call, F, test::store_fixtures)
{
    struct state {
        tessera::credentials login;
    };
    // Login: a failed one leaves no session behind that "where you're logged in" would list.
    at_every_call<fault_world<F>>([](auto&) { return 0; }, [](auto& w, int&) { return w.web.issue("kai"); },
                  [](auto& w, int&, const tessera::result<tessera::credentials>& first) {
                      BOOST_TEST((outcome(first) == "ok" || outcome(first) == "store_unavailable"));
                      if (first)
                          BOOST_TEST(who_is(w.web, first->access_token) == "kai");
                      auto again = must(w.web.issue("kai"));
                      BOOST_TEST(who_is(w.web, again.access_token) == "kai");
                  });
    // A request that renews the session (a read, then a write): never "ok" without both, never a lost session.
    at_every_call<fault_world<F>>(
        [](auto& w) {
            state s{must(w.web.issue("kai"))};
            w.f.clock.advance(5min); // past the renewal interval: this request writes
            return s;
        },
        [](auto& w, state& s) { return w.web.authenticate(s.login.access_token); },
        [](auto& w, state& s, const tessera::result<tessera::principal>& first) {
            BOOST_TEST((outcome(first) == "ok" || outcome(first) == "store_unavailable"));
            BOOST_TEST(who_is(w.web, s.login.access_token) == "kai");
        });
    // Logout, retried: the session is gone.
    at_every_call<fault_world<F>>([](auto& w) { return state{must(w.web.issue("kai"))}; },
                  [](auto& w, state& s) { return w.web.revoke(s.login.access_token); },
                  [](auto& w, state& s, const tessera::result<bool>& first) {
                      if (!first)
                          must(w.web.revoke(s.login.access_token));
                      BOOST_TEST(who_is(w.web, s.login.access_token) == "unknown_session");
                  });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(jwt_policies_with_a_fault_at_every_call, F, test::store_fixtures)
{
    struct state {
        tessera::credentials token;
    };
    at_every_call<fault_world<F>>([](auto& w) { return state{must(w.api.issue("kim"))}; },
                  [](auto& w, state& s) { return w.api.authenticate(s.token.access_token); },
                  [](auto& w, state& s, const tessera::result<tessera::principal>& first) {
                      BOOST_TEST(outcome(first) == "store_unavailable");
                      BOOST_TEST(who_is(w.api, s.token.access_token) == "kim");
                  });
    at_every_call<fault_world<F>>([](auto& w) { return state{must(w.api.issue("kim"))}; },
                  [](auto& w, state& s) { return w.api.revoke(s.token.access_token); },
                  [](auto& w, state& s, const tessera::result<bool>& first) {
                      if (!first)
                          must(w.api.revoke(s.token.access_token));
                      BOOST_TEST(who_is(w.api, s.token.access_token) == "revoked");
                  });
    at_every_call<fault_world<F>>([](auto& w) { return state{must(w.api.issue("kim"))}; },
                  [](auto& w, state&) { return w.api.revoke_all("kim"); },
                  [](auto& w, state& s, const tessera::result<std::size_t>& first) {
                      if (!first)
                          must(w.api.revoke_all("kim"));
                      BOOST_TEST(who_is(w.api, s.token.access_token) == "revoked");
                      BOOST_TEST(who_is(w.api, must(w.api.issue("kim")).access_token) == "kim");
                  });
    at_every_call<fault_world<F>>([](auto&) { return 0; }, [](auto& w, int&) { return w.api.issue("kim"); },
                  [](auto& w, int&, const tessera::result<tessera::credentials>& first) {
                      BOOST_TEST((outcome(first) == "ok" || outcome(first) == "store_unavailable"));
                      auto token = first ? *first : must(w.api.issue("kim"));
                      BOOST_TEST(who_is(w.api, token.access_token) == "kim");
                  });
}

// ---- one store read per authenticate ------------------------------------------------

// One device logged out from the list, on both schemes that list: only that device, only the subject's own
// (another subject's id is `false`, as an ended one), a hostile id `malformed` before the store is asked.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_device_is_logged_out_from_the_list, F, test::store_fixtures)
{
    F f;
    test::faulty_store store{f.store};
    tessera::session_authenticator<decltype(store), clock_t_> web{store, {}, f.clock};
    tessera::hybrid_authenticator<jwt::hs256, decltype(store), clock_t_> mobile{
        store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    const auto check = [&](auto& scheme, std::string_view ended) {
        auto phone = must(scheme.issue("ann"));
        f.clock.advance(1s);
        auto laptop = must(scheme.issue("ann"));
        auto bens = must(scheme.issue("ben"));
        auto listed = must(scheme.sessions("ann"));
        BOOST_TEST_REQUIRE(listed.size() == 2u);
        std::string first;
        if constexpr (requires { listed[0].handle; })
            first = listed[0].handle; // oldest first: the phone
        else
            first = listed[0].family;
        BOOST_TEST(!must(scheme.revoke_session("ben", first))); // not ben's: untouched
        BOOST_TEST(who_is(scheme, phone.access_token) == "ann");
        BOOST_TEST(must(scheme.revoke_session("ann", first)));
        BOOST_TEST(who_is(scheme, phone.access_token) == ended);
        BOOST_TEST(who_is(scheme, laptop.access_token) == "ann");
        BOOST_TEST(who_is(scheme, bens.access_token) == "ben");
        BOOST_TEST(!must(scheme.revoke_session("ann", first))); // already ended
        BOOST_TEST(must(scheme.sessions("ann")).size() == 1u);
        store.clear_log();
        for (const std::string& bad : std::vector<std::string>{"", "x", first + "A", first.substr(1), "../../etc",
                                                               std::string(first.size(), '!')})
            BOOST_TEST(outcome(scheme.revoke_session("ann", bad)) == "malformed", bad);
        BOOST_TEST(store.log().empty());
    };
    check(web, "unknown_session");
    check(mobile, "revoked");
    // Two schemes on one store: an id one lists never ends the other's records.
    must(web.issue("cat"));
    must(mobile.issue("cat"));
    const auto handle = must(web.sessions("cat"))[0].handle;
    const auto family = must(mobile.sessions("cat"))[0].family;
    BOOST_TEST(outcome(mobile.revoke_session("cat", handle)) == "malformed");
    BOOST_TEST(outcome(web.revoke_session("cat", family)) == "malformed");
    BOOST_TEST(must(web.sessions("cat")).size() == 1u);
    BOOST_TEST(must(mobile.sessions("cat")).size() == 1u);
    // "Log out everywhere" between its read and its erase: the device stays ended, nothing comes back.
    store.arm(2, test::fault::none, [&] { must(web.revoke_all("cat")); });
    BOOST_TEST(!must(web.revoke_session("cat", handle))); // erased by the logout in between
    BOOST_TEST(must(web.sessions("cat")).empty());
    store.arm(2, test::fault::none, [&] { must(mobile.revoke_all("cat")); });
    BOOST_TEST(!must(mobile.revoke_session("cat", family))); // ended by the logout in between
    BOOST_TEST(must(mobile.sessions("cat")).empty());
}

// Ending a listed device with a fault at every store call: after the client's retry, that device is
// dead, the other alive.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_device_logged_out_from_the_list_with_a_fault_at_every_call, F, test::store_fixtures)
{
    struct state {
        tessera::credentials login, other;
        std::string id;
    };
    const auto check = [](auto& scheme, state& s, const tessera::result<bool>& first) {
        BOOST_TEST((outcome(first) == "ok" || outcome(first) == "store_unavailable"));
        if (!first)
            (void)must(scheme.revoke_session("kim", s.id)); // true, or false if the lost reply had ended it
        BOOST_TEST(who_is(scheme, s.login.access_token) != "kim");
        BOOST_TEST(who_is(scheme, s.other.access_token) == "kim");
        BOOST_TEST(must(scheme.sessions("kim")).size() == 1u);
    };
    at_every_call<fault_world<F>>(
        [](auto& w) {
            auto login = must(w.web.issue("kim"));
            auto id = must(w.web.authenticate(login.access_token)).id; // the session's handle, as listed
            return state{login, must(w.web.issue("kim")), id};
        },
        [](auto& w, state& s) { return w.web.revoke_session("kim", s.id); },
        [&](auto& w, state& s, const tessera::result<bool>& first) { check(w.web, s, first); });
    at_every_call<fault_world<F>>(
        [](auto& w) {
            auto login = must(w.mobile.issue("kim"));
            return state{login, must(w.mobile.issue("kim")), login.refresh_token.substr(0, 22)};
        },
        [](auto& w, state& s) { return w.mobile.revoke_session("kim", s.id); },
        [&](auto& w, state& s, const tessera::result<bool>& first) {
            check(w.mobile, s, first);
            BOOST_TEST(outcome(w.mobile.refresh(s.login.refresh_token)) == "unknown_session");
        });
}

BOOST_AUTO_TEST_CASE(hybrid_logout_of_one_device_is_immediate_at_one_read)
{
    test::memory_fixture f;
    test::faulty_store store{f.store};
    tessera::hybrid_authenticator<jwt::hs256, decltype(store), clock_t_> mobile{
        store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    auto phone = must(mobile.issue("lea")), laptop = must(mobile.issue("lea"));
    store.clear_log();
    BOOST_TEST(who_is(mobile, phone.access_token) == "lea");
    BOOST_TEST((store.log() == std::vector<std::string>{"get"}));
    BOOST_TEST(must(mobile.revoke(phone.refresh_token)));
    // At once, not after access_ttl.
    BOOST_TEST(who_is(mobile, phone.access_token) == "revoked");
    BOOST_TEST(who_is(mobile, laptop.access_token) == "lea");
    // A refreshed pair's earlier access token belongs to the same family and dies with it.
    auto next = must(mobile.refresh(laptop.refresh_token));
    BOOST_TEST(must(mobile.revoke(next.refresh_token)));
    BOOST_TEST(who_is(mobile, laptop.access_token) == "revoked");
    BOOST_TEST(who_is(mobile, next.access_token) == "revoked");
}

// ---- a store that lost its state -------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_restarted_memory_store_brings_no_revoked_token_back)
{
    clock_t_ clock;
    const auto key = jwt::hmac_key<jwt::hs256>::generate();
    using version_auth = tessera::authenticator<tessera::basic_memory_store<clock_t_>, jwt::hs256,
                                                tessera::token_version, clock_t_>;
    using hybrid_auth = tessera::hybrid_authenticator<jwt::hs256, tessera::basic_memory_store<clock_t_>, clock_t_>;
    std::string revoked, hybrid_token;
    {
        tessera::basic_memory_store<clock_t_> store{{}, clock};
        version_auth api{store, key, named(), clock};
        hybrid_auth mobile{store, key, named(), clock};
        revoked = must(api.issue("max")).access_token;
        must(api.revoke_all("max"));
        BOOST_TEST(who_is(api, revoked) == "revoked");
        hybrid_token = must(mobile.issue("max")).access_token;
    }
    // The process restarts with the same signing key and an empty store.
    tessera::basic_memory_store<clock_t_> store{{}, clock};
    version_auth api{store, key, named(), clock};
    hybrid_auth mobile{store, key, named(), clock};
    BOOST_TEST(who_is(api, revoked) == "revoked");
    BOOST_TEST(who_is(mobile, hybrid_token) == "revoked");
    // A new login does not bring it back either (a counter would restart at the old number).
    auto fresh = must(api.issue("max"));
    BOOST_TEST(who_is(api, fresh.access_token) == "max");
    BOOST_TEST(who_is(api, revoked) == "revoked");
}

BOOST_AUTO_TEST_CASE(a_recreated_sqlite_file_brings_no_revoked_token_back)
{
    clock_t_ clock;
    const auto path = test::temp_db();
    const auto key = jwt::hmac_key<jwt::hs256>::generate();
    using store_t = tessera::basic_sqlite_store<clock_t_>;
    using version_auth = tessera::authenticator<store_t, jwt::hs256, tessera::token_version, clock_t_>;
    std::string revoked;
    {
        store_t store{path.string(), {}, clock};
        version_auth api{store, key, named(), clock};
        revoked = must(api.issue("ned")).access_token;
        must(api.revoke_all("ned"));
    }
    test::remove_db(path);
    store_t store{path.string(), {}, clock};
    version_auth api{store, key, named(), clock};
    BOOST_TEST(who_is(api, revoked) == "revoked");
    must(api.issue("ned"));
    BOOST_TEST(who_is(api, revoked) == "revoked");
    test::remove_db(path);
}

BOOST_AUTO_TEST_CASE(a_corrupt_version_or_family_record_refuses)
{
    test::memory_fixture f;
    using version_auth = tessera::authenticator<decltype(f.store), jwt::hs256, tessera::token_version, clock_t_>;
    version_auth api{f.store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    tessera::hybrid_authenticator<jwt::hs256, decltype(f.store), clock_t_> mobile{
        f.store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    auto token = must(api.issue("ola"));
    auto device = must(mobile.issue("ola"));
    const auto version_key = tessera::token_version::key("ola");
    auto stored = must(f.store.get(version_key));
    BOOST_TEST_REQUIRE(stored.has_value());
    // Every single-byte change of the version is a refusal, never an acceptance.
    for (std::size_t i = 0; i < stored->value.size(); ++i) {
        auto corrupt = stored->value;
        corrupt[i] = static_cast<char>(corrupt[i] ^ 0x01);
        must(f.store.put(version_key, corrupt, stored->expires_at, {}));
        BOOST_TEST(who_is(api, token.access_token) == "revoked");
    }
    // A family record that does not decode: refresh is store_unavailable, never an exception.
    auto families = must(mobile.sessions("ola"));
    BOOST_REQUIRE_EQUAL(families.size(), 1u);
    const auto family_key = tessera::keys::key(tessera::keys::kind::family, families[0].family);
    const std::string rest = R"(,"created":1700000000,"last":1700000000,"exp":1800000000,"claims":{}})";
    for (std::string garbage : {R"({"sub":"ola","gen":0.5)" + rest, R"({"sub":"ola","gen":-1)" + rest,
                                R"({"sub":"ola","gen":1e400)" + rest, R"({"sub":"ola","gen":1e19)" + rest,
                                R"({"sub":"ola","gen":"1")" + rest, std::string{"{"}, std::string{}}) {
        must(f.store.put(family_key, garbage, f.clock.now() + 1h, tessera::keys::index(tessera::keys::kind::family, "ola")));
        auto r = mobile.refresh(device.refresh_token);
        BOOST_TEST(outcome(r) == "store_unavailable");
        BOOST_TEST((!r && tessera::describe(r.error()) == "store_unavailable (corrupt_reply)"));
    }
}

// A record of another kind listed under a subject's sessions or families (an index that came back
// corrupt): the listing fails closed, it never hands out a handle cut from a foreign key.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_foreign_record_in_an_index_fails_the_listing_closed, F, test::store_fixtures)
{
    namespace keys = tessera::keys;
    F f;
    tessera::session_authenticator<decltype(f.store), clock_t_> web{f.store, {}, f.clock};
    tessera::hybrid_authenticator<jwt::hs256, decltype(f.store), clock_t_> mobile{
        f.store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    auto session = must(web.issue("pia"));
    auto family = must(mobile.issue("pia"));
    const auto live_session = must(f.store.get(keys::key(keys::kind::session, must(web.sessions("pia"))[0].handle)));
    const auto live_family = must(f.store.get(keys::key(keys::kind::family, must(mobile.sessions("pia"))[0].family)));
    BOOST_TEST_REQUIRE(live_session.has_value());
    BOOST_TEST_REQUIRE(live_family.has_value());
    // Each record's value, under a key of another kind, listed where its own kind is.
    must(f.store.put(keys::key(keys::kind::deny, "x"), live_session->value, f.clock.now() + 1h,
                     keys::index(keys::kind::session, "pia")));
    must(f.store.put(keys::key(keys::kind::deny, "y"), live_family->value, f.clock.now() + 1h,
                     keys::index(keys::kind::family, "pia")));
    BOOST_TEST(outcome(web.sessions("pia")) == "store_unavailable");
    BOOST_TEST(outcome(mobile.sessions("pia")) == "store_unavailable");
    BOOST_TEST(tessera::describe(web.sessions("pia").error()) == "store_unavailable (corrupt_reply)");
    BOOST_TEST(who_is(web, session.access_token) == "pia"); // what is not listed is untouched
    BOOST_TEST(who_is(mobile, family.access_token) == "pia");
}

// The key schema recovers a key's kind and what it names from the string alone, for every kind.
BOOST_AUTO_TEST_CASE(the_key_schema_reads_back_every_kind)
{
    namespace keys = tessera::keys;
    for (keys::kind k : keys::all_kinds) {
        const auto key = keys::key(k, "n\x1fm");
        BOOST_TEST((keys::kind_of(key) == k), key);
        BOOST_TEST((keys::id_of(k, key) == std::optional<std::string_view>{"n\x1fm"}), key);
        for (keys::kind other : keys::all_kinds)
            if (other != k) {
                BOOST_TEST(!keys::id_of(other, key).has_value(), key);
                BOOST_TEST(!keys::prefix(other).starts_with(keys::prefix(k)), keys::prefix(other));
            }
        BOOST_TEST(keys::take_id(k, keys::key(k, "abc")) == "abc");
    }
    BOOST_TEST(std::size(keys::all_kinds) == static_cast<std::size_t>(keys::kind::key_ring) + 1);
    BOOST_TEST(!keys::kind_of("sess:x").has_value());
    BOOST_TEST(!keys::kind_of("").has_value());
}

// ---- bounds -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(issue_refuses_what_authenticate_would_refuse)
{
    test::memory_fixture f;
    application<decltype(f.store)> app{f.store, f.clock};
    const std::string huge(10'000, 'x');
    BOOST_TEST(outcome(app.web.issue("")) == "malformed");
    BOOST_TEST(outcome(app.api.issue("")) == "malformed");
    BOOST_TEST(outcome(app.versions.issue("")) == "malformed");
    BOOST_TEST(outcome(app.mobile.issue("")) == "malformed");
    BOOST_TEST(outcome(app.web.issue(huge)) == "malformed");
    BOOST_TEST(outcome(app.api.issue(huge)) == "malformed");
    BOOST_TEST(outcome(app.mobile.issue(huge)) == "malformed");
    // The longest subject allowed works end to end.
    const std::string longest(tessera::max_subject_size, 's');
    BOOST_TEST(who_is(app.api, must(app.api.issue(longest)).access_token) == longest);
    // Claims that would make a token the verifier refuses are refused at issue, and leave no family behind.
    boost::json::object big{{"blob", std::string(9'000, 'b')}};
    BOOST_TEST(outcome(app.api.issue("pat", big)) == "token_too_large");
    BOOST_TEST(outcome(app.mobile.issue("pat", big)) == "token_too_large");
    BOOST_TEST(must(app.mobile.sessions("pat")).empty());
}

// A hybrid login whose access token cannot be minted ends the family it started by its id: no read,
// and nothing of it left (the family, its token).
BOOST_AUTO_TEST_CASE(a_hybrid_login_that_cannot_mint_undoes_its_family_without_a_read)
{
    fault_world<> w;
    boost::json::object big{{"blob", std::string(9'000, 'b')}};
    const auto before = w.store.log().size();
    BOOST_TEST(outcome(w.mobile.issue("pat", big)) == "token_too_large");
    const auto log = w.store.log();
    std::string calls;
    for (auto i = before; i < log.size(); ++i)
        calls += (calls.empty() ? "" : " ") + log[i];
    // The family, its first token; then the undo: the family, the tokens listed under it.
    BOOST_TEST(calls == "put put erase erase_subject");
    BOOST_TEST(must(w.mobile.sessions("pat")).empty());
}

namespace {
/// A claims object `depth` deep, itself counting as one.
boost::json::object nested(int depth)
{
    boost::json::object o{{"leaf", 1}};
    for (int i = 1; i < depth; ++i)
        o = boost::json::object{{"a", std::move(o)}};
    return o;
}
} // namespace

// Whatever `issue` accepts, `authenticate`, `refresh` and `sessions` accept: every input a reader would
// refuse (a non-finite number, bytes that are not UTF-8, nesting past the reader's depth) is refused at
// issue as malformed, and a client's context of any bytes round-trips, on every store.
BOOST_AUTO_TEST_CASE_TEMPLATE(whatever_is_issued_authenticates_and_refreshes, F, test::store_fixtures)
{
    F f;
    using store_t = decltype(f.store);
    tessera::session_authenticator<store_t, clock_t_> web{f.store, {}, f.clock};
    tessera::authenticator<store_t, jwt::hs256, tessera::all_of<tessera::deny_list, tessera::token_version>, clock_t_>
        api{f.store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    tessera::hybrid_authenticator<jwt::eddsa, store_t, clock_t_> mobile{f.store, jwt::private_key<jwt::eddsa>::generate(),
                                                                         named(), f.clock};
    struct input {
        std::string name, subject;
        boost::json::object claims;
        tessera::session_context context;
        std::string web, api, mobile; // "ok" or the refusal at issue
    };
    const std::vector<input> inputs{
        {"infinite number", "ana", {{"x", std::numeric_limits<double>::infinity()}}, {}, "malformed", "malformed", "malformed"},
        {"NaN", "ana", {{"x", std::numeric_limits<double>::quiet_NaN()}}, {}, "malformed", "malformed", "malformed"},
        {"claim not UTF-8", "ana", {{"x", "\xff\xfe"}}, {}, "malformed", "malformed", "malformed"},
        {"claim name not UTF-8", "ana", {{"\xc0\xaf", 1}}, {}, "malformed", "malformed", "malformed"},
        {"surrogate", "ana", {{"x", "\xed\xa0\x80"}}, {}, "malformed", "malformed", "malformed"},
        {"subject not UTF-8", "\xff\xfe", {}, {}, "ok", "malformed", "malformed"},
        {"nested 17 deep", "ana", nested(17), {}, "malformed", "malformed", "malformed"},
        {"nested 16 deep", "ana", nested(16), {}, "ok", "ok", "malformed"},
        {"nested 15 deep", "ana", nested(15), {}, "ok", "ok", "ok"},
        {"user agent not UTF-8", "ana", {{"x", "caf\xc3\xa9"}}, {"Caf\xe9/1.0", "192.0.2.\xff"}, "ok", "ok", "ok"},
    };
    for (const auto& in : inputs) {
        BOOST_TEST_CONTEXT(in.name)
        {
            auto s = web.issue(in.subject, in.claims, in.context);
            BOOST_TEST_REQUIRE(outcome(s) == in.web);
            if (s) {
                BOOST_TEST(who_is(web, s->access_token) == in.subject);
                BOOST_TEST(outcome(web.refresh(s->access_token)) == "ok");
                auto listed = must(web.sessions(in.subject));
                BOOST_TEST_REQUIRE(!listed.empty());
                BOOST_TEST(listed.back().data.user_agent == in.context.user_agent);
            }
            auto a = api.issue(in.subject, in.claims);
            BOOST_TEST(outcome(a) == in.api);
            if (a)
                BOOST_TEST(who_is(api, a->access_token) == in.subject);
            auto h = mobile.issue(in.subject, in.claims, in.context);
            BOOST_TEST_REQUIRE(outcome(h) == in.mobile);
            if (h) {
                BOOST_TEST(who_is(mobile, h->access_token) == in.subject);
                auto next = must(mobile.refresh(h->refresh_token));
                BOOST_TEST(who_is(mobile, next.access_token) == in.subject);
                auto families = must(mobile.sessions(in.subject));
                BOOST_TEST_REQUIRE(families.size() == 1u);
                BOOST_TEST(families[0].user_agent == in.context.user_agent);
                BOOST_TEST(families[0].ip == in.context.ip);
                must(mobile.revoke_all(in.subject));
            } else {
                BOOST_TEST(must(mobile.sessions(in.subject)).empty()); // a refused login leaves no family
            }
            must(web.revoke_all(in.subject));
        }
    }
    // The signer refuses what no verifier reads, on its own too.
    jwt::signer<jwt::hs256> sign{jwt::hmac_key<jwt::hs256>::generate()};
    BOOST_TEST(outcome(sign.sign(jwt::claims{}.set("x", std::numeric_limits<double>::infinity()))) == "malformed");
    BOOST_TEST(outcome(sign.sign(jwt::claims{}.subject("\xff"))) == "malformed");
}

BOOST_AUTO_TEST_CASE(a_full_memory_store_purges_every_shard_and_bounds_counters)
{
    tessera::manual_clock clock;
    tessera::basic_memory_store<tessera::manual_clock> store{{.max_records = 64, .shards = 16}, clock};
    for (int i = 0; i < 64; ++i)
        must(store.put("short:" + std::to_string(i), "v", clock.now() + 1s, {}));
    BOOST_TEST(outcome(store.put("one-more", "v", clock.now() + 1h, {})) == "store_full");
    clock.advance(1s);
    // Expired records in other shards make room, whichever shard the new key falls in.
    for (int i = 0; i < 64; ++i)
        must(store.put("long:" + std::to_string(i), "v", clock.now() + 1h, {}));
    BOOST_TEST(store.size() == 64u);
    // Counters count against the bound: 200,000 client addresses cannot grow the store without limit.
    BOOST_TEST(outcome(store.increment("client:192.0.2.1", 1, clock.now() + 1h)) == "store_full");
    must(store.erase("long:0"));
    BOOST_TEST(must(store.increment("client:192.0.2.1", 1, clock.now() + 1h)) == 1);
    BOOST_TEST(store.size() == 64u);
}

// A used-marker lost (evicted, or lost with the store's state) never lets its token rotate again: the
// family has moved past the token, so presenting it is reuse all the same, and the family ends.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_lost_used_marker_is_still_reuse, F, test::store_fixtures)
{
    F f;
    tessera::hybrid_authenticator<jwt::eddsa, decltype(f.store), clock_t_> mobile{
        f.store, jwt::private_key<jwt::eddsa>::generate(), named(), f.clock};
    auto login = must(mobile.issue("uma"));
    auto next = must(mobile.refresh(login.refresh_token));
    const auto family = login.refresh_token.substr(0, 22);
    std::size_t forgotten = 0;
    for (const auto& r : must(f.store.list_subject(tessera::keys::index(tessera::keys::kind::refresh_token, family))))
        if (tessera::keys::kind_of(r.key) == tessera::keys::kind::refresh_used) {
            must(f.store.erase(r.key));
            ++forgotten;
        }
    BOOST_TEST_REQUIRE(forgotten == 1u);
    BOOST_TEST(outcome(mobile.refresh(login.refresh_token)) == "refresh_reused");
    BOOST_TEST(who_is(mobile, next.access_token) == "revoked");
    BOOST_TEST(outcome(mobile.refresh(next.refresh_token)) == "refresh_reused");
    BOOST_TEST(must(mobile.sessions("uma")).empty());
}

// A refresh refused by a full store (a definite refusal, not a lost answer) leaves nothing behind: its
// retry succeeds as soon as the two records a rotation needs are free, however often it was refused.
BOOST_AUTO_TEST_CASE(a_refresh_refused_by_a_full_store_leaves_nothing_behind)
{
    tessera::manual_clock clock;
    tessera::basic_memory_store<tessera::manual_clock> store{{.max_records = 16, .shards = 4}, clock};
    tessera::hybrid_authenticator<jwt::eddsa, decltype(store), clock_t_> mobile{
        store, jwt::private_key<jwt::eddsa>::generate(), named(), clock};
    auto login = must(mobile.issue("rue")); // the family and its first token
    std::vector<std::string> filler;
    for (std::size_t i = store.size(); i < 16; ++i) {
        filler.push_back("filler:" + std::to_string(i));
        must(store.put(filler.back(), "v", clock.now() + 1h, {}));
    }
    for (int attempt = 0; attempt < 5; ++attempt)
        BOOST_TEST(outcome(mobile.refresh(login.refresh_token)) == "store_full");
    BOOST_TEST(store.size() == 16u);
    must(store.erase(filler.back()));
    BOOST_TEST(outcome(mobile.refresh(login.refresh_token)) == "store_full"); // one free: a rotation needs two
    BOOST_TEST(store.size() == 15u);
    must(store.erase(filler.front()));
    auto next = must(mobile.refresh(login.refresh_token));
    BOOST_TEST(who_is(mobile, next.access_token) == "rue");
    BOOST_TEST(store.size() == 16u);
}

BOOST_AUTO_TEST_CASE(rotation_can_set_new_attributes)
{
    test::memory_fixture f;
    tessera::session_authenticator<decltype(f.store), clock_t_> web{f.store, {}, f.clock};
    auto login = must(web.issue("quinn", boost::json::object{{"role", "guest"}}));
    auto elevated = must(web.refresh(login.access_token, boost::json::object{{"role", "admin"}}));
    BOOST_TEST(must(web.authenticate(elevated.access_token)).claims.at("role").as_string() == "admin");
    BOOST_TEST(who_is(web, login.access_token) == "unknown_session");
    auto kept = must(web.refresh(elevated.access_token));
    BOOST_TEST(must(web.authenticate(kept.access_token)).claims.at("role").as_string() == "admin");
}

// A policy written outside tessera composes with a built-in one, in the order written.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_user_written_policy_composes_with_a_built_in_one, F, test::store_fixtures)
{
    F f;
    using store_t = decltype(f.store);
    static_assert(tessera::revocation_policy<tenant_kill_switch, store_t>);
    using api_t = tessera::authenticator<store_t, jwt::hs256, tessera::all_of<tessera::token_version, tenant_kill_switch>,
                                         clock_t_>;
    static_assert(tessera::subject_revocable_scheme<api_t> && !tessera::revocable_scheme<api_t>);
    api_t api{f.store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    auto alice = must(api.issue("alice", {{"tenant", "acme"}}));
    auto bob = must(api.issue("bob", {{"tenant", "globex"}}));
    BOOST_TEST(outcome(api.issue("carol")) == "missing_claim");
    BOOST_TEST(outcome(api.issue("carol", {{"tenant", 7}})) == "missing_claim");
    BOOST_TEST(who_is(api, alice.access_token) == "alice");

    must(tenant_kill_switch::switch_off(f.store, "acme", f.clock.now() + 24h));
    BOOST_TEST(who_is(api, alice.access_token) == "revoked");
    BOOST_TEST(who_is(api, bob.access_token) == "bob");
    // The built-in member's operation is still there, and its check still runs.
    BOOST_TEST(must(api.revoke_all("bob")) == 0u);
    BOOST_TEST(who_is(api, bob.access_token) == "revoked");
    BOOST_TEST(must(tenant_kill_switch::switch_on(f.store, "acme")));
    BOOST_TEST(who_is(api, alice.access_token) == "alice");
    // Its records are its own: "log out everywhere" of sessions on the same store does not touch them.
    tessera::session_authenticator<store_t, clock_t_> web{f.store, {}, f.clock};
    must(tenant_kill_switch::switch_off(f.store, "acme", f.clock.now() + 24h));
    must(web.revoke_all("acme"));
    BOOST_TEST(who_is(api, alice.access_token) == "revoked");
    // And a store that cannot answer fails closed through it.
    test::faulty_store faulty{f.store};
    using faulty_api = tessera::authenticator<decltype(faulty), jwt::hs256, tenant_kill_switch, clock_t_>;
    faulty_api guarded{faulty, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    auto dave = must(guarded.issue("dave", {{"tenant", "initech"}}));
    faulty.break_down();
    BOOST_TEST(who_is(guarded, dave.access_token) == "store_unavailable");
}

BOOST_AUTO_TEST_CASE(errors_map_to_http_conditions)
{
    using tessera::condition;
    using tessera::errc;
    for (auto e : {errc::malformed, errc::expired, errc::bad_signature, errc::revoked, errc::unknown_session,
                   errc::refresh_reused, errc::bad_credentials, errc::missing_claim, errc::wrong_audience}) {
        BOOST_TEST((make_error_code(e) == condition::rejected), tessera::to_string(e));
        BOOST_TEST(tessera::http_status(e) == 401);
    }
    BOOST_TEST((make_error_code(errc::csrf_mismatch) == condition::forbidden));
    BOOST_TEST((make_error_code(errc::rate_limited) == condition::throttled));
    BOOST_TEST((make_error_code(errc::store_unavailable) == condition::unavailable));
    BOOST_TEST((make_error_code(errc::weak_key) == condition::misconfigured));
    BOOST_TEST((make_error_code(errc::invalid_configuration) == condition::misconfigured));
    BOOST_TEST((make_error_code(errc::store_unavailable) != condition::rejected));
    BOOST_TEST(tessera::http_status(errc::csrf_mismatch) == 403);
    BOOST_TEST(tessera::http_status(errc::rate_limited) == 429);
    BOOST_TEST(tessera::http_status(errc::store_unavailable) == 503);
    BOOST_TEST(tessera::http_status(errc::invalid_key) == 500);
    BOOST_TEST((make_error_code(errc::weak_password) == condition::bad_request));
    BOOST_TEST(tessera::http_status(errc::weak_password) == 400);
    BOOST_TEST((make_error_code(errc::invalid_request) == condition::bad_request));
    BOOST_TEST(tessera::http_status(errc::invalid_request) == 400);
    BOOST_TEST(std::string{tessera::to_string(condition::bad_request)} == "bad_request");
    BOOST_TEST(tessera::http_status(std::make_error_code(std::errc::io_error)) == 500);
    BOOST_TEST((std::make_error_code(std::errc::io_error) != condition::rejected));
    BOOST_TEST(std::string{tessera::to_string(condition::unavailable)} == "unavailable");
    // A store's failure carries its cause, and is store_unavailable to everything on the request path.
    using tessera::store_failure;
    for (auto f : {store_failure::refused, store_failure::timeout, store_failure::authentication,
                   store_failure::connection_lost, store_failure::server_error, store_failure::corrupt_reply,
                   store_failure::lost_state, store_failure::refused_settings, store_failure::busy}) {
        const auto ec = make_error_code(f);
        BOOST_TEST(tessera::to_string(ec) == "store_unavailable");
        BOOST_TEST((ec == condition::unavailable));
        BOOST_TEST((ec != condition::rejected));
        BOOST_TEST(tessera::http_status(ec) == 503);
        BOOST_TEST((tessera::cause_of(ec) == f));
        BOOST_TEST(tessera::describe(ec) == "store_unavailable (" + std::string{tessera::to_string(f)} + ")");
        BOOST_TEST(ec.message() == tessera::describe(ec));
    }
    BOOST_TEST(!tessera::cause_of(make_error_code(errc::store_unavailable)).has_value());
    BOOST_TEST(tessera::describe(make_error_code(errc::store_unavailable)) == "store_unavailable");
    BOOST_TEST(tessera::describe(make_error_code(errc::expired)) == "expired");
}

BOOST_AUTO_TEST_SUITE_END()
