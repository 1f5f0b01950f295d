// SPDX-License-Identifier: BSL-1.0
// Session lifecycle on every store: creation, idle and absolute expiry,
// throttled sliding renewal, rotation, revocation and listing.

#include "faulty_store.hpp"
#include "store_fixtures.hpp"

#include <tessera/session/session.hpp>

#include <boost/test/unit_test.hpp>

#include <set>

using namespace std::chrono_literals;
using test::must;
using test::outcome;
using test::store_fixtures;

namespace {

template <class F>
auto manager(F& f, tessera::session_options o = {})
{
    return tessera::session_manager<decltype(f.store), tessera::manual_clock>{f.store, std::move(o), f.clock};
}

} // namespace

BOOST_AUTO_TEST_SUITE(session)

BOOST_AUTO_TEST_CASE_TEMPLATE(create_and_validate, F, store_fixtures)
{
    F f;
    auto sessions = manager(f);
    auto login = must(sessions.create("alice", {.user_agent = "curl/8", .ip = "203.0.113.7"},
                                      boost::json::object{{"role", "admin"}}));
    BOOST_TEST(login.id.size() == 43u);
    BOOST_TEST((login.max_age == 30min));
    auto who = must(sessions.validate(login.id));
    BOOST_TEST(who.data.subject == "alice");
    BOOST_TEST(who.data.user_agent == "curl/8");
    BOOST_TEST(who.data.ip == "203.0.113.7");
    BOOST_TEST(who.data.attributes.at("role").as_string() == "admin");
    BOOST_TEST(!who.renewed);
    // Ids are random and distinct.
    std::set<std::string> ids;
    for (int i = 0; i < 50; ++i)
        ids.insert(must(sessions.create("bob")).id);
    BOOST_TEST(ids.size() == 50u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(the_store_never_holds_the_id, F, store_fixtures)
{
    F f;
    auto sessions = manager(f);
    auto login = must(sessions.create("alice"));
    const auto listed = must(f.store.list_subject(tessera::keys::index(tessera::keys::kind::session, "alice")));
    BOOST_TEST_REQUIRE(listed.size() == 1u);
    for (const auto& r : listed) {
        BOOST_TEST(r.key.find(login.id) == std::string::npos);
        BOOST_TEST(r.data.value.find(login.id) == std::string::npos);
    }
    BOOST_TEST(must(f.store.get(must(sessions.key_of(login.id)))).has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ids_of_the_wrong_shape_never_reach_the_store, F, store_fixtures)
{
    F f;
    test::faulty_store store{f.store};
    tessera::session_manager<decltype(store), tessera::manual_clock> sessions{store, {}, f.clock};
    auto login = must(sessions.create("alice"));
    const std::string& id = login.id;
    const auto calls = store.calls();
    for (const std::string& bad : std::vector<std::string>{std::string{}, id.substr(1), id + "A", id.substr(0, 42) + "=", id.substr(0, 42) + "+",
                            id.substr(0, 42) + " ", std::string(43, '.'), std::string(4096, 'A'),
                            // the same bytes with an unused trailing bit set: a second spelling of the id
                            id.substr(0, 42) + tessera::base64url::detail::alphabet[
                                tessera::base64url::detail::decode_table[static_cast<unsigned char>(id.back())] | 1]})
        BOOST_TEST(outcome(sessions.validate(bad)) == (bad == id ? "ok" : "malformed"));
    BOOST_TEST(store.calls() == calls); // not one of them was looked up
    // A well-formed id the server never issued.
    BOOST_TEST(outcome(sessions.validate(tessera::random_id())) == "unknown_session");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(idle_timeout_at_the_boundary, F, store_fixtures)
{
    F f;
    auto sessions = manager(f, {.idle_timeout = 10min, .absolute_timeout = 1h, .renewal_interval = 1min});
    auto login = must(sessions.create("alice"));
    f.clock.advance(10min - 1s);
    BOOST_TEST(outcome(sessions.validate(login.id)) == "ok"); // renews: last_seen = now
    f.clock.advance(10min - 1s);
    BOOST_TEST(outcome(sessions.validate(login.id)) == "ok");
    f.clock.advance(10min);
    BOOST_TEST(outcome(sessions.validate(login.id)) == "unknown_session");
    BOOST_TEST(outcome(sessions.validate(login.id)) == "unknown_session");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(absolute_timeout_is_never_extended, F, store_fixtures)
{
    F f;
    auto sessions = manager(f, {.idle_timeout = 10min, .absolute_timeout = 30min, .renewal_interval = 1min});
    auto login = must(sessions.create("alice"));
    std::string id = login.id;
    // Active every 5 minutes, rotated once on the way: still ends 30 minutes after login.
    for (int i = 1; i <= 5; ++i) {
        f.clock.advance(5min);
        auto who = must(sessions.validate(id));
        // Renewed: the idle timeout from now, or what is left of the absolute one, whichever ends first.
        BOOST_TEST((who.max_age == std::min<std::chrono::seconds>(10min, 30min - i * 5min)));
        if (i == 3)
            id = must(sessions.rotate(id)).id;
    }
    f.clock.advance(5min - 1s); // 29:59 after login
    BOOST_TEST(outcome(sessions.validate(id)) == "ok");
    f.clock.advance(1s); // 30:00
    BOOST_TEST(outcome(sessions.validate(id)) == "unknown_session");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(renewal_is_throttled_and_reported, F, store_fixtures)
{
    F f;
    auto sessions = manager(f, {.idle_timeout = 30min, .absolute_timeout = 12h, .renewal_interval = 5min});
    auto login = must(sessions.create("alice"));
    const auto key = must(sessions.key_of(login.id));
    const auto written = must(f.store.get(key))->expires_at;
    f.clock.advance(4min);
    auto early = must(sessions.validate(login.id));
    BOOST_TEST(!early.renewed);
    BOOST_TEST((must(f.store.get(key))->expires_at == written)); // no write
    BOOST_TEST((early.max_age == 26min));
    f.clock.advance(1min);
    auto due = must(sessions.validate(login.id));
    BOOST_TEST(due.renewed);
    BOOST_TEST((due.max_age == 30min));
    BOOST_TEST((must(f.store.get(key))->expires_at == f.clock.now() + 30min));
}

// A request that only asks who it is does not read the user agent and IP; the renewal it makes
// writes the whole record back, and keeps them.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_renewal_without_the_context_read_keeps_it, F, store_fixtures)
{
    F f;
    auto sessions = manager(f, {.idle_timeout = 30min, .absolute_timeout = 12h, .renewal_interval = 5min});
    auto login = must(sessions.create("alice", {.user_agent = "Mozilla/5.0 (X11; Linux x86_64) tessera-test/1.0",
                                                .ip = "203.0.113.7"},
                                      boost::json::object{{"role", "admin"}}));
    using tessera::detail::session_fields;
    auto light = must(sessions.validate(f.clock.now(), login.id, session_fields::without_context));
    BOOST_TEST(light.data.subject == "alice");
    BOOST_TEST(light.data.user_agent.empty());
    BOOST_TEST(light.data.ip.empty());
    BOOST_TEST(light.data.attributes.at("role").as_string() == "admin");
    BOOST_TEST(!light.renewed);
    f.clock.advance(6min);
    BOOST_TEST(must(sessions.validate(f.clock.now(), login.id, session_fields::without_context)).renewed);
    auto whole = must(sessions.validate(login.id));
    BOOST_TEST(whole.data.user_agent == "Mozilla/5.0 (X11; Linux x86_64) tessera-test/1.0");
    BOOST_TEST(whole.data.ip == "203.0.113.7");
    BOOST_TEST(whole.data.attributes.at("role").as_string() == "admin");
    BOOST_TEST((whole.data.last_seen == f.clock.now()));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(renewal_capped_by_the_absolute_limit_is_not_reported, F, store_fixtures)
{
    F f;
    auto sessions = manager(f, {.idle_timeout = 10min, .absolute_timeout = 12min, .renewal_interval = 1min});
    auto login = must(sessions.create("alice"));
    f.clock.advance(3min); // the expiry moves from 10 min to the absolute 12 min
    BOOST_TEST(must(sessions.validate(login.id)).renewed);
    f.clock.advance(2min); // idle would reach 15 min, but the absolute limit holds it at 12: no new cookie
    auto who = must(sessions.validate(login.id));
    BOOST_TEST(!who.renewed);
    BOOST_TEST((who.max_age == 7min));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(rotation_kills_the_old_id, F, store_fixtures)
{
    F f;
    auto sessions = manager(f);
    auto login = must(sessions.create("alice", {}, boost::json::object{{"role", "user"}}));
    auto rotated = must(sessions.rotate(login.id));
    BOOST_TEST(rotated.id != login.id);
    BOOST_TEST(outcome(sessions.validate(login.id)) == "unknown_session");
    BOOST_TEST(outcome(sessions.rotate(login.id)) == "unknown_session");
    auto who = must(sessions.validate(rotated.id));
    BOOST_TEST(who.data.subject == "alice");
    BOOST_TEST(who.data.attributes.at("role").as_string() == "user");
    BOOST_TEST((who.data.created_at == login.data.created_at));
    BOOST_TEST(must(sessions.sessions("alice")).size() == 1u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(concurrent_rotation_has_one_winner, F, store_fixtures)
{
    F f;
    auto sessions = manager(f);
    auto login = must(sessions.create("alice"));
    std::atomic<int> winners{0}, unknown{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < 6; ++t)
        pool.emplace_back([&] {
            auto r = sessions.rotate(login.id);
            if (r)
                ++winners;
            else if (r.error() == tessera::errc::unknown_session)
                ++unknown;
        });
    for (auto& th : pool)
        th.join();
    BOOST_TEST(winners.load() == 1);
    BOOST_TEST(unknown.load() == 5);
    BOOST_TEST(must(sessions.sessions("alice")).size() == 1u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(logout_makes_a_stolen_id_useless, F, store_fixtures)
{
    F f;
    auto sessions = manager(f);
    auto login = must(sessions.create("alice"));
    const std::string stolen = login.id;
    BOOST_TEST(must(sessions.revoke(login.id)));
    BOOST_TEST(outcome(sessions.validate(stolen)) == "unknown_session");
    BOOST_TEST(!must(sessions.revoke(stolen)));
    BOOST_TEST(must(sessions.sessions("alice")).empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(revoke_all_and_all_but_current, F, store_fixtures)
{
    F f;
    auto sessions = manager(f);
    auto laptop = must(sessions.create("alice", {.user_agent = "laptop"}));
    f.clock.advance(1s);
    auto phone = must(sessions.create("alice", {.user_agent = "phone"}));
    f.clock.advance(1s);
    auto tablet = must(sessions.create("alice", {.user_agent = "tablet"}));
    auto bob = must(sessions.create("bob"));

    auto listed = must(sessions.sessions("alice"));
    BOOST_TEST_REQUIRE(listed.size() == 3u);
    BOOST_TEST(listed[0].data.user_agent == "laptop"); // oldest first
    BOOST_TEST(listed[2].data.user_agent == "tablet");
    for (const auto& s : listed) {
        BOOST_TEST(s.handle.find(laptop.id) == std::string::npos); // handles are not ids
        BOOST_TEST(s.handle.size() == 43u);
    }

    BOOST_TEST(must(sessions.revoke_all_except("alice", phone.id)) == 2u);
    BOOST_TEST(outcome(sessions.validate(laptop.id)) == "unknown_session");
    BOOST_TEST(outcome(sessions.validate(tablet.id)) == "unknown_session");
    BOOST_TEST(outcome(sessions.validate(phone.id)) == "ok");

    // Another subject cannot end alice's session by its handle; alice can.
    const auto handle = must(sessions.sessions("alice")).at(0).handle;
    BOOST_TEST(!must(sessions.revoke_handle("bob", handle)));
    BOOST_TEST(outcome(sessions.validate(phone.id)) == "ok");
    BOOST_TEST(must(sessions.revoke_handle("alice", handle)));
    BOOST_TEST(outcome(sessions.validate(phone.id)) == "unknown_session");

    auto again = must(sessions.create("alice"));
    BOOST_TEST(must(sessions.revoke_all("alice")) == 1u);
    BOOST_TEST(outcome(sessions.validate(again.id)) == "unknown_session");
    BOOST_TEST(outcome(sessions.validate(bob.id)) == "ok");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(renewal_racing_logout_never_resurrects, F, store_fixtures)
{
    F f;
    auto sessions = manager(f, {.idle_timeout = 30min, .absolute_timeout = 12h, .renewal_interval = 0s});
    for (int round = 0; round < 20; ++round) {
        auto login = must(sessions.create("alice"));
        std::thread renewer([&] {
            for (int i = 0; i < 20; ++i)
                (void)sessions.validate(login.id);
        });
        (void)sessions.revoke(login.id);
        renewer.join();
        BOOST_TEST(outcome(sessions.validate(login.id)) == "unknown_session");
    }
    BOOST_TEST(must(sessions.sessions("alice")).empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_corrupt_record_is_not_a_session, F, store_fixtures)
{
    F f;
    auto sessions = manager(f);
    auto login = must(sessions.create("alice", {.user_agent = "ua"}, boost::json::object{{"k", 1}}));
    const auto key = must(sessions.key_of(login.id));
    for (std::string garbage : {"", "2|1|2|3|", "1|x|", "1|1|2|3|5:ali", "1|1|2|3|5:alice2:ua0:{not json"}) {
        must(f.store.put(key, garbage, f.clock.now() + 1h, "alice"));
        BOOST_TEST(outcome(sessions.validate(login.id)) == "store_unavailable");
    }
}

// A record of the previous layout (version 1, written by an older build) is read as it was, and the
// next renewal rewrites it in today's layout with every field kept.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_version_1_record_is_read_and_renewed_as_version_2, F, store_fixtures)
{
    F f;
    auto sessions = manager(f, {.idle_timeout = 30min, .absolute_timeout = 12h, .renewal_interval = 5min});
    auto login = must(sessions.create("alice"));
    const auto key = must(sessions.key_of(login.id));
    const auto t = f.clock.now().time_since_epoch().count();
    const auto at = [&](std::int64_t s) { return std::to_string(t + s); };
    const std::string v1 = "1|" + at(0) + "|" + at(0) + "|" + at(43'200) + "|5:alice11:Mozilla/5.011:203.0.113.7" +
                           R"({"role":"admin"})";
    must(f.store.put(key, v1, f.clock.now() + 30min, tessera::keys::index(tessera::keys::kind::session, "alice")));
    auto read = must(sessions.validate(login.id));
    BOOST_TEST(read.data.subject == "alice");
    BOOST_TEST(read.data.user_agent == "Mozilla/5.0");
    BOOST_TEST(read.data.ip == "203.0.113.7");
    BOOST_TEST(boost::json::serialize(read.data.attributes) == R"({"role":"admin"})");
    BOOST_TEST((read.data.absolute_expires_at == f.clock.now() + 12h));
    BOOST_TEST(must(f.store.get(key))->value == v1); // not due for renewal: not written
    f.clock.advance(6min);
    auto renewed = must(sessions.validate(login.id));
    BOOST_TEST(renewed.renewed);
    const auto written = must(f.store.get(key))->value;
    BOOST_TEST(written.front() == '\x02');
    auto again = must(tessera::detail::decode_session(written));
    BOOST_TEST(again.subject == "alice");
    BOOST_TEST(again.user_agent == "Mozilla/5.0");
    BOOST_TEST(again.ip == "203.0.113.7");
    BOOST_TEST(boost::json::serialize(again.attributes) == R"({"role":"admin"})");
    BOOST_TEST((again.created_at == read.data.created_at));
    BOOST_TEST((again.last_seen == f.clock.now()));
    BOOST_TEST((again.absolute_expires_at == read.data.absolute_expires_at));
    BOOST_TEST(must(sessions.sessions("alice")).size() == 1u);
}

BOOST_AUTO_TEST_CASE(options_are_validated)
{
    test::memory_fixture f;
    using manager_t = tessera::session_manager<decltype(f.store), tessera::manual_clock>;
    BOOST_CHECK_THROW((manager_t{f.store, {.idle_timeout = 0s}, f.clock}), tessera::error);
    BOOST_CHECK_THROW((manager_t{f.store, {.idle_timeout = 2h, .absolute_timeout = 1h}, f.clock}),
                      tessera::error);
    BOOST_CHECK_THROW((manager_t{f.store, {.idle_timeout = 10min, .renewal_interval = 10min}, f.clock}),
                      tessera::error);
}

BOOST_AUTO_TEST_CASE(a_store_that_cannot_answer_fails_closed)
{
    test::sqlite_fixture f;
    auto sessions = manager(f);
    auto login = must(sessions.create("alice"));
    test::remove_db(f.path);
    BOOST_TEST(outcome(sessions.validate(login.id)) == "store_unavailable");
    BOOST_TEST(outcome(sessions.create("alice")) == "store_unavailable");
    BOOST_TEST(outcome(sessions.rotate(login.id)) == "store_unavailable");
    BOOST_TEST(outcome(sessions.revoke(login.id)) == "store_unavailable");
    BOOST_TEST(outcome(sessions.revoke_all("alice")) == "store_unavailable");
    BOOST_TEST(outcome(sessions.sessions("alice")) == "store_unavailable");
}

BOOST_AUTO_TEST_SUITE_END()
