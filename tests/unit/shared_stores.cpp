// SPDX-License-Identifier: BSL-1.0
// The Redis and PostgreSQL stores as a fleet uses them: round trips per
// operation, servers that stop, freeze, crash and come back, a reply lost
// on the wire, and two processes sharing one store.

#include "faulty_store.hpp"
#include "fleet.hpp"

#include <tessera/authenticator.hpp>

#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

using namespace test::suite;

namespace {
using test::clock_t_;
using test::fleet_member;
using test::in_child;
using test::impatient;
using test::postgres_kind;
using test::private_fleet;
using test::private_server;
using test::redis_kind;
using test::who;
using test::server_kinds;
using test::network_fixtures;
} // namespace

BOOST_AUTO_TEST_SUITE(shared_stores)

// The round trips each operation costs, counted by a wrapper that sees every store call (a `get_many`
// is one pipelined round trip). These are the figures the README quotes.
BOOST_AUTO_TEST_CASE_TEMPLATE(round_trips_per_operation, F, network_fixtures)
{
    F f;
    test::faulty_store counted{f.store};
    fleet_member m{counted, f.clock, jwt::hmac_key<jwt::hs256>::generate(), jwt::private_key<jwt::eddsa>::generate()};
    auto cost = [&](auto&& op) {
        const auto before = counted.calls();
        BOOST_TEST_REQUIRE(outcome(op()) == "ok");
        return counted.calls() - before;
    };
    auto s = must(m.web.issue("ann"));
    auto a = must(m.api.issue("ann"));
    auto h = must(m.mobile.issue("ann"));
    // Authenticate: one round trip each (a session renewal adds one write, at most once per interval).
    BOOST_TEST(cost([&] { return m.web.authenticate(s.access_token); }) == 1u);
    BOOST_TEST(cost([&] { return m.api.authenticate(a.access_token); }) == 1u);
    BOOST_TEST(counted.log().back() == "get_many"); // the deny entry and the version, at once
    BOOST_TEST(cost([&] { return m.mobile.authenticate(h.access_token); }) == 1u);
    f.clock.advance(2min);
    BOOST_TEST(cost([&] { return m.web.authenticate(s.access_token); }) == 2u);
    BOOST_TEST(cost([&] { return m.web.authenticate(s.access_token); }) == 1u);
    // Refresh: read the token, its used-marker and its family at once; then one atomic commit of the
    // marker, the successor and the family.
    BOOST_TEST(cost([&] { return m.mobile.refresh(h.refresh_token); }) == 2u);
    const auto log = counted.log();
    BOOST_TEST((std::vector<std::string>{log.end() - 2, log.end()} == std::vector<std::string>{"get_many", "insert_then"}));
    // Log out everywhere: one atomic call per scheme.
    BOOST_TEST(cost([&] { return m.web.revoke_all("ann"); }) == 1u);
    BOOST_TEST(cost([&] { return m.api.revoke_all("ann"); }) == 1u);
    BOOST_TEST(cost([&] { return m.mobile.revoke_all("ann"); }) == 1u);
    BOOST_TEST(who(m.web, s.access_token) == "unknown_session");
    BOOST_TEST(who(m.api, a.access_token) == "revoked");
    BOOST_TEST(who(m.mobile, h.access_token) == "revoked");
}

// A server that is gone: every operation of every scheme is store_unavailable (nobody is authenticated
// by a store that cannot answer); then the server comes back with what it had, and the same store
// objects work again.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_crashed_server_fails_closed_and_comes_back_with_its_state, K, server_kinds)
{
    private_fleet<K> fleet;
    auto& server = fleet.server;
    auto& m = fleet.m;
    auto session = must(m.web.issue("bo"));
    auto denied = must(m.api.issue("bo")), kept = must(m.api.issue("bo"));
    must(m.api.revoke(denied.access_token));
    auto old_version = must(m.api.issue("cy"));
    must(m.api.revoke_all("cy"));
    auto fresh_version = must(m.api.issue("cy"));
    auto family = must(m.mobile.issue("bo"));

    server.run("crash"); // SIGKILL (Redis, AOF fsync always) / immediate shutdown (PostgreSQL)
    BOOST_TEST(who(m.web, session.access_token) == "store_unavailable");
    BOOST_TEST(who(m.api, kept.access_token) == "store_unavailable");
    BOOST_TEST(who(m.api, denied.access_token) == "store_unavailable");
    BOOST_TEST(who(m.mobile, family.access_token) == "store_unavailable");
    BOOST_TEST(outcome(m.mobile.refresh(family.refresh_token)) == "store_unavailable");
    BOOST_TEST(outcome(m.web.issue("bo")) == "store_unavailable");
    BOOST_TEST(outcome(m.api.issue("bo")) == "store_unavailable");
    BOOST_TEST(outcome(m.mobile.issue("bo")) == "store_unavailable");
    BOOST_TEST(outcome(m.web.revoke_all("bo")) == "store_unavailable");
    BOOST_TEST(outcome(m.api.revoke(kept.access_token)) == "store_unavailable");
    BOOST_TEST(outcome(fleet.store.purge_expired(10)) == "store_unavailable");

    server.run("start");
    BOOST_TEST(who(m.web, session.access_token) == "bo");
    BOOST_TEST(who(m.api, kept.access_token) == "bo");
    BOOST_TEST(who(m.api, denied.access_token) == "revoked");
    BOOST_TEST(who(m.api, old_version.access_token) == "revoked");
    BOOST_TEST(who(m.api, fresh_version.access_token) == "cy");
    auto next = must(m.mobile.refresh(family.refresh_token));
    BOOST_TEST(who(m.mobile, next.access_token) == "bo");
    BOOST_TEST(outcome(m.mobile.refresh(family.refresh_token)) == "refresh_reused");
}

// A server frozen (SIGSTOP) rather than gone: requests time out instead of hanging; once it thaws, the
// same store works again.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_frozen_server_times_out_then_recovers, K, server_kinds)
{
    private_fleet<K> fleet;
    auto& server = fleet.server;
    auto& m = fleet.m;
    auto session = must(m.web.issue("di"));
    auto token = must(m.api.issue("di"));
    auto family = must(m.mobile.issue("di"));
    server.run("freeze");
    // Each answer comes within a few timeouts of 200 ms (a connection attempt, a command, a read-back);
    // 5 s is a bound on hanging, far above what the timeouts allow, not a measure of speed.
    const auto answered_in_time = [](auto&& op) {
        const auto start = std::chrono::steady_clock::now();
        auto r = op();
        const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        BOOST_TEST(waited.count() < 5000, "answered after " << waited.count() << " ms");
        return r;
    };
    BOOST_TEST(answered_in_time([&] { return who(m.web, session.access_token); }) == "store_unavailable");
    BOOST_TEST(answered_in_time([&] { return who(m.api, token.access_token); }) == "store_unavailable");
    BOOST_TEST(answered_in_time([&] { return who(m.mobile, family.access_token); }) == "store_unavailable");
    BOOST_TEST(outcome(answered_in_time([&] { return m.mobile.refresh(family.refresh_token); })) ==
               "store_unavailable");
    BOOST_TEST(outcome(answered_in_time([&] { return m.web.revoke(session.access_token); })) == "store_unavailable");
    BOOST_TEST(outcome(answered_in_time([&] { return m.web.issue("di"); })) == "store_unavailable");
    server.run("thaw");
    // The revoke sent to the frozen server may have run once it thawed: the session is then gone.
    const auto after = who(m.web, session.access_token);
    BOOST_TEST((after == "di" || after == "unknown_session"));
    BOOST_TEST(who(m.api, token.access_token) == "di");
    BOOST_TEST(who(m.web, must(m.web.issue("di")).access_token) == "di");
    BOOST_TEST(outcome(m.mobile.refresh(family.refresh_token)) == "ok"); // the refresh never reached the server
}

// Every store failure is `store_unavailable` on the request path, and says why to the operator: a frozen
// server times out, a crashed one first breaks the connections that were open, then refuses new ones,
// and a login the server no longer accepts is an authentication failure.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_store_failure_says_why, K, server_kinds)
{
    private_server server{K::server};
    clock_t_ clock;
    auto store = K::open(server.dir(), clock);
    const auto answer = [&] {
        auto r = store.get("k");
        BOOST_TEST((r || tessera::to_string(r.error()) == "store_unavailable"));
        return r ? std::string{"answered"} : tessera::describe(r.error());
    };
    BOOST_TEST(answer() == "answered");

    server.run("freeze");
    BOOST_TEST(answer() == "store_unavailable (timeout)"); // on the open connection
    BOOST_TEST(answer() == "store_unavailable (timeout)"); // a new one: connected, and no answer
    server.run("thaw");
    BOOST_TEST(answer() == "answered");

    server.run("crash");
    // As many broken connections as were open (at most the pool's two), then refusals.
    std::vector<std::string> seen;
    for (int i = 0; i < 3; ++i)
        seen.push_back(answer());
    BOOST_TEST(seen.back() == "store_unavailable (refused)");
    for (const auto& a : seen)
        BOOST_TEST((a == "store_unavailable (connection_lost)" || a == "store_unavailable (refused)"), a);
    server.run("start");
    BOOST_TEST(answer() == "answered");

    // The login stops working under the running store; its connections are closed by the server.
    if constexpr (std::is_same_v<K, redis_kind>) {
        (void)test::redis_cli(server.dir(), "CLIENT KILL TYPE normal");
        (void)test::redis_cli(server.dir(),
                              "ACL SETUSER " + test::server_setting(server.dir(), "TESSERA_REDIS_USER") + " resetpass >other");
    } else {
        const auto connection = test::server_setting(server.dir(), "TESSERA_POSTGRES");
        (void)test::pg_exec(connection, "ALTER ROLE CURRENT_USER PASSWORD 'other'; "
                                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        "WHERE pid <> pg_backend_pid() AND usename = CURRENT_USER");
    }
    seen.clear();
    for (int i = 0; i < 3; ++i)
        seen.push_back(answer());
    BOOST_TEST(seen.back() == "store_unavailable (authentication)");
    for (const auto& a : seen)
        BOOST_TEST((a == "store_unavailable (connection_lost)" || a == "store_unavailable (authentication)"), a);
}

// The commit of a refresh reaches the server, its reply does not (the server froze, the connection
// timed out), and the read-back fails too. The client retries: with a grace window the retry gets the
// pair the lost reply carried, or a first rotation if the commit never ran; it is never reuse.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_refresh_whose_reply_is_lost_is_retried_not_reused, K, server_kinds)
{
    private_server server{K::server};
    clock_t_ clock;
    auto inner = K::open(server.dir(), clock);
    test::faulty_store store{inner};
    fleet_member m{store, clock, jwt::hmac_key<jwt::hs256>::generate(), jwt::private_key<jwt::eddsa>::generate(),
                   {.grace = 10s}};
    auto login = must(m.mobile.issue("eve"));
    // Call 2 of a refresh is the commit (one read of token, marker and family; then marker, successor, family).
    store.clear_log();
    store.arm(2, test::fault::none, [&] { server.run("freeze"); });
    auto first = m.mobile.refresh(login.refresh_token);
    BOOST_TEST(outcome(first) == "store_unavailable");
    BOOST_TEST(store.log().at(1) == "insert_then");
    server.run("thaw");
    auto retry = must(m.mobile.refresh(login.refresh_token));
    BOOST_TEST(who(m.mobile, retry.access_token) == "eve");
    auto next = must(m.mobile.refresh(retry.refresh_token));
    BOOST_TEST(who(m.mobile, next.access_token) == "eve");
    BOOST_TEST(must(m.mobile.sessions("eve")).size() == 1u);
}

// Log out (one device, or everywhere) between the two round trips of a refresh: the refresh may
// answer, but the pair it hands out is already dead.
BOOST_AUTO_TEST_CASE_TEMPLATE(revocation_between_the_round_trips_of_a_refresh, F, network_fixtures)
{
    F f;
    test::faulty_store store{f.store};
    fleet_member m{store, f.clock, jwt::hmac_key<jwt::hs256>::generate(), jwt::private_key<jwt::eddsa>::generate()};
    for (bool everywhere : {false, true}) {
        BOOST_TEST_CONTEXT((everywhere ? "revoke_all" : "revoke") << " before the commit")
        {
            auto login = must(m.mobile.issue("hugo"));
            store.arm(2, test::fault::none, [&] {
                if (everywhere)
                    BOOST_TEST(must(m.mobile.revoke_all("hugo")) == 1u);
                else
                    BOOST_TEST(must(m.mobile.revoke(login.refresh_token)));
            });
            auto pair = must(m.mobile.refresh(login.refresh_token));
            store.heal();
            BOOST_TEST(who(m.mobile, pair.access_token) == "revoked");
            BOOST_TEST(outcome(m.mobile.refresh(pair.refresh_token)) == "unknown_session");
            // The presented token again: logging out one device erased its tokens (unknown); logging out
            // everywhere erased the families only, and this token's marker says it was used (reuse).
            BOOST_TEST(outcome(m.mobile.refresh(login.refresh_token)) ==
                       (everywhere ? "refresh_reused" : "unknown_session"));
            BOOST_TEST(must(m.mobile.sessions("hugo")).empty());
        }
    }
}

// What a store refuses at construction: bad options, a wrong password, a server that is not there.
BOOST_AUTO_TEST_CASE(network_stores_check_their_settings)
{
    const auto dir = test::servers_dir();
    const auto refused = [](tessera::errc e) {
        return [e](const tessera::error& x) { return x.code() == e; };
    };
    auto redis = test::redis_options(dir);
    auto bad = redis;
    bad.password = "wrong";
    BOOST_CHECK_EXCEPTION(tessera::redis_store{bad}, tessera::error, refused(tessera::errc::store_unavailable));
    bad = redis;
    bad.key_prefix = "a}b";
    BOOST_CHECK_EXCEPTION(tessera::redis_store{bad}, tessera::error, refused(tessera::errc::invalid_configuration));
    bad = redis;
    bad.connections = 0;
    BOOST_CHECK_EXCEPTION(tessera::redis_store{bad}, tessera::error, refused(tessera::errc::invalid_configuration));
    bad = redis;
    bad.port = 1; // nothing listens there
    BOOST_CHECK_EXCEPTION(tessera::redis_store{bad}, tessera::error, refused(tessera::errc::store_unavailable));
    // A Unix socket, and a database index: the same records under the same prefix.
    auto local = redis;
    local.unix_socket = test::server_setting(dir, "TESSERA_REDIS_SOCKET");
    tessera::redis_store over_tcp{redis}, over_socket{local};
    const auto later = tessera::system_clock{}.now() + 60s;
    must(over_tcp.put("k", "v", later, "s"));
    BOOST_TEST(must(over_socket.get("k"))->value == "v");
    auto other_db = redis;
    other_db.database = 3;
    tessera::redis_store db3{other_db};
    BOOST_TEST(!must(db3.get("k")).has_value());

    auto pg = test::postgres_options(dir);
    auto wrong = pg;
    wrong.connection += " password=wrong";
    BOOST_CHECK_EXCEPTION(tessera::postgres_store{wrong}, tessera::error, refused(tessera::errc::store_unavailable));
    wrong = pg;
    wrong.schema = "Robert'); DROP TABLE students;--";
    BOOST_CHECK_EXCEPTION(tessera::postgres_store{wrong}, tessera::error,
                          refused(tessera::errc::invalid_configuration));
    wrong = pg;
    wrong.connection = "host=127.0.0.1 port=1 connect_timeout=2";
    BOOST_CHECK_EXCEPTION(tessera::postgres_store{wrong}, tessera::error, refused(tessera::errc::store_unavailable));
}

// Options that cannot work are refused before any connection is tried, each with what to change; the
// checks both network stores share are one function, run here on both.
BOOST_AUTO_TEST_CASE(network_stores_refuse_options_that_cannot_work)
{
    const auto dir = test::servers_dir();
    const auto refusal = [](auto make) -> std::string {
        try {
            make();
        } catch (const tessera::error& e) {
            return e.what(); // the setting and why, then the code
        }
        return "accepted";
    };
    const auto shared = [&](std::string_view store, auto options, auto make) {
        using namespace std::chrono_literals;
        auto o = options;
        o.connections = 0;
        BOOST_TEST(refusal([&] { make(o); }) ==
                   std::string{store} + ": connections must be 1 to 256: invalid_configuration");
        o.connections = 257;
        BOOST_TEST(refusal([&] { make(o); }) ==
                   std::string{store} + ": connections must be 1 to 256: invalid_configuration");
        o = options;
        o.connect_timeout = 0ms;
        BOOST_TEST(refusal([&] { make(o); }) ==
                   std::string{store} + ": timeouts must be positive: invalid_configuration");
        o = options;
        o.command_timeout = -1ms;
        BOOST_TEST(refusal([&] { make(o); }) ==
                   std::string{store} + ": timeouts must be positive: invalid_configuration");
        o = options;
        o.max_clock_skew = -1s;
        BOOST_TEST(refusal([&] { make(o); }) ==
                   std::string{store} + ": max_clock_skew cannot be negative: invalid_configuration");
        o = options;
        o.connections = 256; // the bound itself is accepted
        BOOST_TEST(refusal([&] { make(o); }) == "accepted");
    };
    const auto redis = test::redis_options(dir);
    const auto make_redis = [](const tessera::redis_store_options& o) { tessera::redis_store s{o}; };
    shared("redis_store", redis, make_redis);
    auto r = redis;
    r.settings_check_interval = std::chrono::milliseconds{0};
    BOOST_TEST(refusal([&] { make_redis(r); }) ==
               "redis_store: the settings check interval must be positive: invalid_configuration");
    r = redis;
    r.database = -1;
    BOOST_TEST(refusal([&] { make_redis(r); }) ==
               "redis_store: the database index must be non-negative: invalid_configuration");
    r = redis;
    r.key_prefix = "";
    BOOST_TEST(refusal([&] { make_redis(r); }) ==
               "redis_store: the key prefix must be non-empty, without braces: invalid_configuration");

    const auto pg = test::postgres_options(dir);
    shared("postgres_store", pg, [](const tessera::postgres_store_options& o) { tessera::postgres_store s{o}; });
}

// Two processes, one store: what one does, the other sees before the call returns.
BOOST_AUTO_TEST_CASE_TEMPLATE(two_processes_share_one_store, F, network_fixtures)
{
    F f;
    const auto key = jwt::hmac_key<jwt::hs256>::generate();
    const auto signing = jwt::private_key<jwt::eddsa>::generate();
    fleet_member here{f.store, f.clock, key, signing};
    const auto options = f.store.options();
    // The other process opens its own store on the same server and namespace.
    auto elsewhere = [&](auto body) {
        return in_child([&] {
            try {
                decltype(f.store) store{options, f.clock};
                fleet_member there{store, f.clock, key, signing};
                return body(there) ? 0 : 1;
            } catch (...) {
                return 2;
            }
        });
    };
    auto session = must(here.web.issue("fay"));
    auto family = must(here.mobile.issue("fay"));
    // Created here, valid there.
    BOOST_TEST(elsewhere([&](auto& there) {
                   return who(there.web, session.access_token) == "fay" &&
                          who(there.mobile, family.access_token) == "fay";
               }) == 0);
    // Logged out there: gone here as soon as the other process's call has returned.
    BOOST_TEST(elsewhere([&](auto& there) { return must(there.web.revoke_all("fay")) == 1u; }) == 0);
    BOOST_TEST(who(here.web, session.access_token) == "unknown_session");
    BOOST_TEST(elsewhere([&](auto& there) { return must(there.mobile.revoke_all("fay")) == 1u; }) == 0);
    BOOST_TEST(who(here.mobile, family.access_token) == "revoked");

    // A refresh race across the processes, many rounds: exactly one winner, the other is reuse.
    for (int round = 0; round < 10; ++round) {
        auto login = must(here.mobile.issue("gil"));
        int pipe_fds[2];
        BOOST_TEST_REQUIRE(::pipe(pipe_fds) == 0);
        const pid_t pid = ::fork();
        BOOST_TEST_REQUIRE(pid >= 0);
        if (pid == 0) {
            int status = 3;
            try {
                decltype(f.store) store{options, f.clock};
                fleet_member there{store, f.clock, key, signing};
                char go = 0;
                if (::read(pipe_fds[0], &go, 1) == 1) {
                    auto r = there.mobile.refresh(login.refresh_token);
                    status = r ? 0 : (r.error() == tessera::errc::refresh_reused ? 1 : 2);
                }
            } catch (...) {
            }
            ::_exit(status);
        }
        BOOST_TEST_REQUIRE(::write(pipe_fds[1], "g", 1) == 1);
        auto mine = here.mobile.refresh(login.refresh_token);
        int status = 0;
        ::waitpid(pid, &status, 0);
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);
        const int theirs = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
        const bool i_won = mine.has_value();
        BOOST_TEST_CONTEXT("round " << round << ": here " << outcome(mine) << ", there " << theirs)
        {
            BOOST_TEST((i_won ? theirs == 1 : (theirs == 0 && outcome(mine) == "refresh_reused")));
        }
    }

    // The same race with a grace window: both processes get one and the same successor pair.
    fleet_member graced{f.store, f.clock, key, signing, {.grace = 10s}};
    for (int round = 0; round < 10; ++round) {
        auto login = must(graced.mobile.issue("gil"));
        int go[2], back[2];
        BOOST_TEST_REQUIRE((::pipe(go) == 0 && ::pipe(back) == 0));
        const pid_t pid = ::fork();
        BOOST_TEST_REQUIRE(pid >= 0);
        if (pid == 0) {
            std::string answer = "error";
            try {
                decltype(f.store) store{options, f.clock};
                fleet_member there{store, f.clock, key, signing, {.grace = 10s}};
                char signal = 0;
                if (::read(go[0], &signal, 1) == 1) {
                    auto r = there.mobile.refresh(login.refresh_token);
                    answer = r ? r->refresh_token : tessera::to_string(r.error());
                }
            } catch (...) {
            }
            const bool sent = ::write(back[1], answer.data(), answer.size()) == static_cast<ssize_t>(answer.size());
            ::_exit(sent ? 0 : 1);
        }
        ::close(back[1]);
        BOOST_TEST_REQUIRE(::write(go[1], "g", 1) == 1);
        auto mine = graced.mobile.refresh(login.refresh_token);
        std::string theirs;
        char buffer[256];
        for (ssize_t n; (n = ::read(back[0], buffer, sizeof buffer)) > 0;)
            theirs.append(buffer, static_cast<std::size_t>(n));
        ::waitpid(pid, nullptr, 0);
        for (int fd : {go[0], go[1], back[0]})
            ::close(fd);
        BOOST_TEST_REQUIRE(outcome(mine) == "ok");
        BOOST_TEST(theirs == mine->refresh_token, "round " << round);
    }
}

BOOST_AUTO_TEST_SUITE_END()
