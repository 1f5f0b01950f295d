// SPDX-License-Identifier: BSL-1.0
// The shared stores as Redis and PostgreSQL are really run: eviction,
// snapshots instead of an append-only file, memory that fills up, settings
// changed under a running store. Revoked stays revoked: a store that cannot
// keep that promise is refused, and one that broke it fails closed.

#include "fleet.hpp"

#include <tessera/fleet/key_ring.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using test::clock_t_;
using test::fleet_member;
using test::must;
using test::outcome;
using test::private_server;
using test::who;
namespace jwt = tessera::jwt;

namespace {

tessera::redis_store_options redis_of(const private_server& server, tessera::redis_accepted_risks accept = {})
{
    auto o = test::impatient(test::redis_options(server.dir()));
    o.accept = accept;
    return o;
}

/// The error a store's construction throws, and its message.
template <class Store, class Options>
std::string refusal_of(const Options& options)
{
    try {
        Store store{options};
    } catch (const tessera::error& e) {
        return tessera::to_string(e.code()) + ": " + e.what();
    }
    return "accepted";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The system clock, off by `skew` and moved by `shift`, which the instances of one test share. A test
/// that counts whole seconds stops it at `base` (seconds since the epoch; 0 lets it run): a running clock
/// may pass a second's edge between two calls and make an exact bound look one second early.
struct skewed_clock {
    std::chrono::seconds skew{0};
    std::shared_ptr<std::atomic<long>> shift = std::make_shared<std::atomic<long>>(0);
    std::shared_ptr<std::atomic<long>> base = std::make_shared<std::atomic<long>>(0);
    [[nodiscard]] tessera::time_point now() const noexcept
    {
        const long at = base->load();
        const auto start = at != 0 ? tessera::time_point{std::chrono::seconds{at}} : tessera::system_clock{}.now();
        return start + skew + std::chrono::seconds{shift->load()};
    }
    void stop() const { base->store(static_cast<long>(tessera::system_clock{}.now().time_since_epoch().count())); }
};

template <class Kind>
auto skewed_options(std::chrono::seconds most)
{
    auto o = test::impatient(Kind::options_of(test::servers_dir()));
    o.max_clock_skew = most;
    return o;
}

/// Credentials of every scheme for `subject`, some of them revoked, as a fleet would hold them.
template <class Member>
struct held {
    explicit held(Member& m, const std::string& subject)
        : session(must(m.web.issue(subject))), ended_session(must(m.web.issue(subject))),
          token(must(m.api.issue(subject))), denied(must(m.api.issue(subject))), family(must(m.mobile.issue(subject)))
    {
        must(m.web.revoke(ended_session.access_token));
        must(m.api.revoke(denied.access_token));
        next = must(m.mobile.refresh(family.refresh_token));
    }
    tessera::credentials session, ended_session, token, denied, family, next;
};

} // namespace

BOOST_AUTO_TEST_SUITE(store_operations)

// A Redis that may drop acknowledged writes is refused at construction, with the setting and the fix
// named; each risk can be accepted in code, and only that one.
BOOST_AUTO_TEST_CASE(a_redis_that_can_lose_writes_is_refused_unless_accepted)
{
    private_server server{"redis"};
    using store = tessera::redis_store;
    BOOST_TEST(refusal_of<store>(redis_of(server)) == "accepted");
    for (const std::string policy : {"allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-ttl", "allkeys-random"}) {
        BOOST_TEST_CONTEXT("maxmemory-policy " << policy)
        {
            test::redis_cli(server.dir(), "CONFIG SET maxmemory-policy " + policy);
            const auto refused = refusal_of<store>(redis_of(server));
            BOOST_TEST(refused.starts_with("invalid_configuration: "), refused);
            BOOST_TEST(contains(refused, "maxmemory-policy is " + policy), refused);
            BOOST_TEST(contains(refused, "maxmemory-policy noeviction"), refused);
            BOOST_TEST(refusal_of<store>(redis_of(server, {.eviction = true})) == "accepted");
            BOOST_TEST(refusal_of<store>(redis_of(server, {.no_append_only_file = true})) != "accepted");
        }
    }
    test::redis_cli(server.dir(), "CONFIG SET maxmemory-policy noeviction");
    test::redis_cli(server.dir(), "CONFIG SET appendonly no");
    const auto refused = refusal_of<store>(redis_of(server));
    BOOST_TEST(refused.starts_with("invalid_configuration: "), refused);
    BOOST_TEST(contains(refused, "appendonly no"), refused);
    BOOST_TEST(contains(refused, "appendonly yes"), refused);
    BOOST_TEST(refusal_of<store>(redis_of(server, {.eviction = true})) != "accepted");
    BOOST_TEST(refusal_of<store>(redis_of(server, {.no_append_only_file = true})) == "accepted");
    // A user who may not run INFO cannot show the settings are safe: refused, saying so.
    test::redis_cli(server.dir(), "CONFIG SET appendonly yes");
    test::redis_cli(server.dir(), "ACL SETUSER blind on '>blind-password' '~*' '&*' '+@all' '-info'");
    auto blind = redis_of(server);
    blind.user = "blind";
    blind.password = "blind-password";
    const auto unseen = refusal_of<store>(blind);
    BOOST_TEST(unseen.starts_with("invalid_configuration: "), unseen);
    BOOST_TEST(contains(unseen, "INFO"), unseen);
    auto zero = redis_of(server);
    zero.settings_check_interval = 0ms;
    BOOST_TEST(refusal_of<store>(zero).starts_with("invalid_configuration: "));
}

// The settings changed under a running store (CONFIG SET): found within the check interval, and every
// scheme fails closed until they are restored.
BOOST_AUTO_TEST_CASE(settings_changed_at_run_time_fail_closed_until_restored)
{
    private_server server{"redis"};
    clock_t_ clock;
    auto options = redis_of(server);
    options.settings_check_interval = 50ms;
    tessera::basic_redis_store<clock_t_> store{options, clock};
    fleet_member m{store, clock, jwt::hmac_key<jwt::hs256>::generate(), jwt::private_key<jwt::eddsa>::generate()};
    held h{m, "ida"};
    for (const std::string change : {"maxmemory-policy allkeys-lru", "appendonly no"}) {
        BOOST_TEST_CONTEXT("CONFIG SET " << change)
        {
            test::redis_cli(server.dir(), "CONFIG SET " + change);
            std::this_thread::sleep_for(120ms); // past the interval: the next request checks
            BOOST_TEST(who(m.web, h.session.access_token) == "store_unavailable");
            BOOST_TEST(who(m.web, h.ended_session.access_token) == "store_unavailable");
            BOOST_TEST(who(m.api, h.token.access_token) == "store_unavailable");
            BOOST_TEST(who(m.api, h.denied.access_token) == "store_unavailable");
            BOOST_TEST(who(m.mobile, h.next.access_token) == "store_unavailable");
            BOOST_TEST(outcome(m.mobile.refresh(h.family.refresh_token)) == "store_unavailable");
            BOOST_TEST(outcome(m.web.issue("ida")) == "store_unavailable");
            test::redis_cli(server.dir(), change.starts_with("append") ? "CONFIG SET appendonly yes"
                                                                       : "CONFIG SET maxmemory-policy noeviction");
            BOOST_TEST(who(m.web, h.session.access_token) == "ida");
            BOOST_TEST(who(m.web, h.ended_session.access_token) == "unknown_session");
            BOOST_TEST(who(m.api, h.denied.access_token) == "revoked");
            BOOST_TEST(who(m.mobile, h.next.access_token) == "ida");
        }
    }
}

// Eviction accepted, and another tenant fills the server's memory: evictions happen, tessera's keys among
// them. No revoked credential comes back: from the first eviction every answer is store_unavailable, until
// an operator resets the statistics.
BOOST_AUTO_TEST_CASE(accepted_eviction_fails_closed_once_anything_is_evicted)
{
    for (const std::string policy : {"allkeys-lru", "volatile-lru"}) {
        BOOST_TEST_CONTEXT("maxmemory-policy " << policy)
        {
            private_server server{"redis", "--maxmemory 3mb --maxmemory-policy " + policy};
            clock_t_ clock;
            tessera::basic_redis_store<clock_t_> store{redis_of(server, {.eviction = true}), clock};
            fleet_member m{store, clock, jwt::hmac_key<jwt::hs256>::generate(),
                           jwt::private_key<jwt::eddsa>::generate()};
            std::vector<held<decltype(m)>> fleet;
            for (int i = 0; i < 40; ++i)
                fleet.emplace_back(m, "user" + std::to_string(i % 4));
            BOOST_TEST(who(m.api, fleet[0].denied.access_token) == "revoked");
            // The tenant's keys have TTLs, as a cache's do: volatile-lru may evict them, and ours (which have TTLs too).
            test::another_tenant_writes(server.dir(), 6000, 1024, 600'000);
            BOOST_TEST_REQUIRE(test::redis_cli(server.dir(), "INFO stats").find("evicted_keys:0") == std::string::npos);
            BOOST_TEST(test::why(m.api, fleet[0].denied.access_token) == "store_unavailable (lost_state)");
            for (auto& h : fleet) {
                BOOST_TEST(who(m.web, h.session.access_token) == "store_unavailable");
                BOOST_TEST(who(m.web, h.ended_session.access_token) == "store_unavailable");
                BOOST_TEST(who(m.api, h.denied.access_token) == "store_unavailable");
                BOOST_TEST(who(m.mobile, h.next.access_token) == "store_unavailable");
                BOOST_TEST(outcome(m.mobile.refresh(h.family.refresh_token)) == "store_unavailable");
            }
            BOOST_TEST(outcome(m.web.revoke_all("user1")) == "store_unavailable");
            BOOST_TEST(outcome(m.mobile.sessions("user1")) == "store_unavailable");
            // A new instance refuses the server too, saying why.
            const auto refused = refusal_of<tessera::redis_store>(redis_of(server, {.eviction = true}));
            BOOST_TEST(contains(refused, "evicted keys"), refused);
            // Once checked, the operator resets the statistics: the store answers again.
            test::redis_cli(server.dir(), "FLUSHALL");
            test::redis_cli(server.dir(), "CONFIG RESETSTAT");
            BOOST_TEST(who(m.web, must(m.web.issue("jo")).access_token) == "jo");
        }
    }
}

// A full Redis under noeviction refuses writes. A replayed refresh token must still end its family (the
// end is an erase, which a full server still makes), and nothing minted from the family works after.
BOOST_AUTO_TEST_CASE(a_full_redis_still_ends_a_reused_family)
{
    private_server server{"redis"};
    clock_t_ clock;
    tessera::basic_redis_store<clock_t_> store{redis_of(server), clock};
    fleet_member m{store, clock, jwt::hmac_key<jwt::hs256>::generate(), jwt::private_key<jwt::eddsa>::generate()};
    auto login = must(m.mobile.issue("kim"));
    auto next = must(m.mobile.refresh(login.refresh_token));
    // Full, exactly: a limit below what the server uses already. Every write is refused, deletions are not.
    test::redis_cli(server.dir(), "CONFIG SET maxmemory 1");
    BOOST_TEST_REQUIRE(outcome(m.web.issue("kim")) == "store_full"); // full: writes are refused, and said to be
    BOOST_TEST(outcome(m.mobile.refresh(login.refresh_token)) == "refresh_reused");
    BOOST_TEST(who(m.mobile, next.access_token) == "revoked");
    BOOST_TEST(outcome(m.mobile.refresh(next.refresh_token)) != "ok");
    BOOST_TEST(must(m.mobile.sessions("kim")).empty());
}

// Snapshots instead of an AOF, accepted: a restart from the last snapshot would undo what came after it.
// The store notices the data is of an earlier run of the server and fails closed, in running instances
// and in new ones, until an operator has checked and deleted the store's boot key.
BOOST_AUTO_TEST_CASE(a_redis_restored_from_a_snapshot_fails_closed)
{
    private_server server{"redis", "--appendonly no"};
    clock_t_ clock;
    const auto options = redis_of(server, {.no_append_only_file = true});
    BOOST_TEST(contains(refusal_of<tessera::redis_store>(redis_of(server)), "appendonly no"));
    tessera::basic_redis_store<clock_t_> store{options, clock};
    fleet_member m{store, clock, jwt::hmac_key<jwt::hs256>::generate(), jwt::private_key<jwt::eddsa>::generate()};
    auto session = must(m.web.issue("lu"));
    auto token = must(m.api.issue("lu")), versioned = must(m.api.issue("mo"));
    auto family = must(m.mobile.issue("lu"));
    test::redis_cli(server.dir(), "SAVE");
    // After the snapshot: a logout, a deny-listed JWT, a token-version revoke_all, a refresh.
    must(m.web.revoke(session.access_token));
    must(m.api.revoke(token.access_token));
    must(m.api.revoke_all("mo"));
    auto next = must(m.mobile.refresh(family.refresh_token));
    server.run("crash");
    server.run("start");
    BOOST_TEST(who(m.web, session.access_token) == "store_unavailable");
    BOOST_TEST(who(m.api, token.access_token) == "store_unavailable");
    BOOST_TEST(who(m.api, versioned.access_token) == "store_unavailable");
    BOOST_TEST(outcome(m.mobile.refresh(family.refresh_token)) == "store_unavailable");
    BOOST_TEST(who(m.mobile, next.access_token) == "store_unavailable");
    const auto refused = refusal_of<tessera::redis_store>(options);
    BOOST_TEST(refused.starts_with("store_unavailable: "), refused);
    BOOST_TEST(contains(refused, "snapshot"), refused);
    // A server that came back with nothing at all: running instances fail closed too.
    test::redis_cli(server.dir(), "FLUSHALL");
    BOOST_TEST(who(m.api, token.access_token) == "store_unavailable");
    BOOST_TEST(refusal_of<tessera::redis_store>(options) == "accepted"); // a new instance cannot tell: README
}

// A key ring kept in a Redis restored from a snapshot, with a key revoked after the snapshot. Every instance
// keeps the keys it holds (the one that revoked goes on refusing the key), and none can change the ring or
// start until an operator has checked the data; then instances start on the snapshot's ring, in which the
// key was never revoked: the operator revokes it again (README, "How the stores are run").
BOOST_AUTO_TEST_CASE(a_key_ring_in_a_redis_restored_from_a_snapshot_fails_closed)
{
    private_server server{"redis", "--appendonly no"};
    clock_t_ clock;
    const auto options = redis_of(server, {.no_append_only_file = true});
    using store_t = tessera::basic_redis_store<clock_t_>;
    using ring_t = tessera::fleet::stored_key_ring<jwt::eddsa, store_t>;
    store_t first{options, clock}, second{options, clock};
    const auto kek = jwt::ring_sealing_key::generate();
    const jwt::key_ring_options timeline{.propagation = 60s, .retention = 3600s, .rotate_every = 86400s};
    const auto t0 = clock.now();
    ring_t a{first, kek, timeline, {}, t0}, b{second, kek, timeline, {}, t0};
    const jwt::ring_keys<jwt::eddsa> on_a{a.ring()}, on_b{b.ring()};
    const auto k1 = a.ring().primary_kid();
    const auto token = on_a.sign(jwt::claims{}.subject("lu").lifetime(t0, 15min)).value();
    BOOST_TEST_REQUIRE(on_b.verify(token, t0).has_value());
    test::redis_cli(server.dir(), "SAVE");
    BOOST_TEST_REQUIRE(must(a.revoke(k1, t0 + 1s)));
    const auto revoked_at = a.ring().version();
    server.run("crash");
    server.run("start");

    BOOST_TEST(outcome(a.sync()) == "store_unavailable");
    BOOST_TEST(outcome(b.sync()) == "store_unavailable");
    BOOST_TEST(outcome(on_a.verify(token, t0 + 2s)) == "revoked"); // what an instance holds, it keeps
    BOOST_TEST(a.ring().version() == revoked_at);
    BOOST_TEST(outcome(b.rotate(t0 + 2s)) == "store_unavailable");
    BOOST_TEST(b.ring().version() == revoked_at - 1); // a change the store cannot take is not made
    BOOST_TEST(tessera::to_string(a.maintain(t0 + 86400s).error) == "store_unavailable");
    BOOST_CHECK_THROW((ring_t{first, kek, timeline, {}, t0 + 2s}), tessera::error);
    const auto refused = refusal_of<tessera::redis_store>(options);
    BOOST_TEST(contains(refused, "snapshot"), refused);

    // The operator checks and deletes the boot key; instances started then open the snapshot's ring.
    test::redis_cli(server.dir(), "DEL {" + options.key_prefix + "}boot");
    store_t restarted{options, clock};
    ring_t c{restarted, kek, timeline, {}, t0 + 3s};
    BOOST_TEST(c.ring().version() == revoked_at - 1);
    BOOST_TEST(c.ring().primary_kid() == k1);
    BOOST_TEST(must(c.revoke(k1, t0 + 3s)));
    BOOST_TEST(outcome(jwt::ring_keys<jwt::eddsa>{c.ring()}.verify(token, t0 + 3s)) == "revoked");
}

// Records that leave through their Redis TTLs leave nothing behind for long: the expiry set (which has
// no TTL, and so no eviction policy could reclaim) is trimmed by the writes that follow.
BOOST_AUTO_TEST_CASE(the_redis_expiry_set_stays_as_large_as_what_is_live)
{
    test::redis_fixture f;
    const auto zcard = [&] {
        return test::redis_cli(test::servers_dir(), "ZCARD '{" + f.store.options().key_prefix + "}x'");
    };
    for (int i = 0; i < 2000; ++i)
        must(f.store.put("gone:" + std::to_string(i), "v", f.clock.now() + 1s, "someone"));
    BOOST_TEST(zcard() == "2000");
    std::this_thread::sleep_for(1500ms); // the records' TTLs pass
    f.clock.advance(2s);
    BOOST_TEST(test::redis_cli(test::servers_dir(), "EXISTS '{" + f.store.options().key_prefix + "}r:gone:0'") == "0");
    for (int i = 0; i < 100; ++i)
        must(f.store.put("live:" + std::to_string(i), "v", f.clock.now() + 1h, "someone"));
    BOOST_TEST(zcard() == "100"); // 100 writes dropped up to 3,200 expired entries: all 2,000 of them
    BOOST_TEST(must(f.store.list_subject("someone")).size() == 100u);
}

// A Redis record that tessera did not write whole (a field missing: damaged, or written by something
// else) is refused, never read as "no record": the deny list would read "none" as "not revoked".
BOOST_AUTO_TEST_CASE(a_partial_redis_record_is_refused)
{
    test::redis_fixture f;
    const auto dir = test::servers_dir();
    const std::string tag = "'{" + f.store.options().key_prefix + "}";
    fleet_member m{f.store, f.clock, jwt::hmac_key<jwt::hs256>::generate(), jwt::private_key<jwt::eddsa>::generate()};
    auto denied = must(m.api.issue("pia"));
    must(m.api.revoke(denied.access_token));
    const auto deny_key = test::redis_cli(dir, "--scan --pattern " + tag + "r:deny:*'");
    BOOST_TEST_REQUIRE(deny_key.find('\n') == std::string::npos);
    BOOST_TEST_REQUIRE(!deny_key.empty());
    test::redis_cli(dir, "HDEL '" + deny_key + "' e");
    BOOST_TEST(who(m.api, denied.access_token) == "store_unavailable");

    must(f.store.put("k", "v", f.clock.now() + 1h, "pia-index"));
    must(f.store.increment("n", 3, f.clock.now() + 1h));
    test::redis_cli(dir, "HDEL " + tag + "r:k' e");
    test::redis_cli(dir, "HDEL " + tag + "c:n' e");
    BOOST_TEST(outcome(f.store.get("k")) == "store_unavailable");
    BOOST_TEST(outcome(f.store.take("k")) == "store_unavailable");
    BOOST_TEST(outcome(f.store.list_subject("pia-index")) == "store_unavailable");
    BOOST_TEST(outcome(f.store.counter("n")) == "store_unavailable");
    // Erasing by subject still erases it: a damaged record never outlives "log out everywhere".
    BOOST_TEST(must(f.store.erase_subject("pia-index")) == 1u);
    BOOST_TEST(!must(f.store.get("k")).has_value());
}

// A PostgreSQL schema dropped and created again empty under a running store (a migration tool, an
// operator, a second deployment starting on an empty database): its emptiness is never read as "nothing
// revoked". The running store refuses it, on its open connections and on new ones.
BOOST_AUTO_TEST_CASE(a_postgres_schema_created_again_under_a_running_store_is_refused)
{
    test::postgres_fixture f;
    fleet_member m{f.store, f.clock, jwt::hmac_key<jwt::hs256>::generate(), jwt::private_key<jwt::eddsa>::generate()};
    held h{m, "nia"};
    auto versioned = must(m.api.issue("oz"));
    must(m.api.revoke_all("oz"));
    BOOST_TEST(who(m.api, h.denied.access_token) == "revoked");
    const auto& options = f.store.options();
    test::pg_exec(options.connection, "DROP SCHEMA " + options.schema + " CASCADE");
    // Dropped: nothing to read.
    BOOST_TEST(who(m.api, h.denied.access_token) == "store_unavailable");
    // Created again, empty, by another instance starting: the running store still refuses it.
    tessera::postgres_store again{options};
    BOOST_TEST(test::why(m.api, h.denied.access_token) == "store_unavailable (lost_state)");
    BOOST_TEST(who(m.api, versioned.access_token) == "store_unavailable");
    BOOST_TEST(who(m.api, h.token.access_token) == "store_unavailable");
    BOOST_TEST(who(m.web, h.session.access_token) == "store_unavailable");
    BOOST_TEST(who(m.mobile, h.next.access_token) == "store_unavailable");
    BOOST_TEST(outcome(m.mobile.refresh(h.family.refresh_token)) == "store_unavailable");
    BOOST_TEST(outcome(m.mobile.sessions("nia")) == "store_unavailable");
    BOOST_TEST(outcome(f.store.take("anything")) == "store_unavailable");
    BOOST_TEST(outcome(f.store.counter("anything")) == "store_unavailable");
    // A store whose schema is there and its own answers as before.
    BOOST_TEST(!must(again.get("anything")).has_value());
    BOOST_TEST(must(again.counter("anything")) == 0);
}

// Listing a subject's records goes by the subject index, whatever the statistics say: on a table of
// 100,000 records that was never analyzed, the generic plan of the statement the store prepares.
BOOST_AUTO_TEST_CASE(a_postgres_subject_listing_uses_the_subject_index)
{
    test::postgres_fixture f;
    const auto& o = f.store.options();
    const std::string s = o.schema;
    test::pg_exec(o.connection, "ALTER TABLE " + s + ".records SET (autovacuum_enabled = false)");
    test::pg_exec(o.connection, "INSERT INTO " + s + ".records SELECT ('k' || i)::bytea, 'v'::bytea, ('s' || (i % 5000))::bytea, "
                                "4000000000 FROM generate_series(1, 100000) i");
    const auto& list = tessera::detail::pg_statements[static_cast<std::size_t>(tessera::detail::pg_op::list)];
    const auto plan = test::pg_exec(
        o.connection, "SET plan_cache_mode = force_generic_plan; PREPARE listing(bytea, bigint, text) AS " +
                          tessera::detail::pg_sql(list.sql, s) +
                          "; EXPLAIN EXECUTE listing('s7'::bytea, 0, 'id')");
    BOOST_TEST(contains(plan, "records_by_subject"), plan);
    BOOST_TEST(!contains(plan, "records_expiry"), plan);
    BOOST_TEST(!contains(plan, "Seq Scan on records"), plan);
}

namespace {
struct redis_skew {
    template <class C>
    using store = tessera::basic_redis_store<C>;
    static tessera::redis_store_options options_of(const std::filesystem::path& d) { return test::redis_options(d); }
};
struct postgres_skew {
    template <class C>
    using store = tessera::basic_postgres_store<C>;
    static tessera::postgres_store_options options_of(const std::filesystem::path& d)
    {
        return test::postgres_options(d);
    }
};
using skew_kinds = std::tuple<redis_skew, postgres_skew>;
} // namespace

// Instances decide expiry with their own clocks, so how far apart they may be is a setting: an instance
// further from the server's clock than `max_clock_skew` (30 s and 120 s, either way) is refused at
// construction, saying by how much and which way.
BOOST_AUTO_TEST_CASE_TEMPLATE(an_instance_whose_clock_is_off_is_refused, K, skew_kinds)
{
    using store_t = typename K::template store<skewed_clock>;
    for (const long off : {-120L, -30L, 30L, 120L}) {
        BOOST_TEST_CONTEXT("clock off by " << off << " s")
        {
            const skewed_clock clock{std::chrono::seconds{off}};
            std::string refused;
            try {
                store_t store{skewed_options<K>(5s), clock};
            } catch (const tessera::error& e) {
                refused = tessera::to_string(e.code()) + ": " + e.what();
            }
            BOOST_TEST(refused.starts_with("invalid_configuration: "), refused);
            BOOST_TEST(contains(refused, off > 0 ? "ahead of" : "behind"), refused);
            BOOST_TEST(contains(refused, "max_clock_skew (5 s)"), refused);
            // Allowed further apart, 30 s is accepted and 120 s still refused.
            bool accepted = true;
            try {
                store_t store{skewed_options<K>(60s), clock};
            } catch (const tessera::error&) {
                accepted = false;
            }
            BOOST_TEST(accepted == (off == 30 || off == -30));
        }
    }
    // In step: accepted with the default bound.
    BOOST_CHECK_NO_THROW((store_t{skewed_options<K>(5s), skewed_clock{}}));
}

// The sharpest skew: a JWT denied, inside its leeway, by an instance 20 s ahead, read by one 20 s behind.
// The entry must outlive what the behind instance accepts: without a margin it lived 2 s (a Redis TTL, or
// the ahead instance's purge), and the behind one accepted the denied token for 42 s more.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_denial_outlives_the_clocks_that_disagree_on_it, K, skew_kinds)
{
    using store_t = typename K::template store<skewed_clock>;
    const skewed_clock ahead{20s}, behind{-20s, ahead.shift};
    const auto options = skewed_options<K>(30s); // one namespace for both instances
    store_t ahead_store{options, ahead}, behind_store{options, behind};
    BOOST_TEST(tessera::clock_skew_of(ahead_store) == 30s);
    const auto key = jwt::hmac_key<jwt::hs256>::generate();
    tessera::authenticator<store_t, jwt::hs256, tessera::deny_list, skewed_clock> a{
        ahead_store, key, test::named({.access_ttl = 60s}), ahead};
    tessera::authenticator<store_t, jwt::hs256, tessera::deny_list, skewed_clock> b{
        behind_store, key, test::named({.access_ttl = 60s}), behind};
    auto token = must(a.issue("quin"));
    // Move both to 2 s before the ahead instance stops accepting the token (exp + leeway), and deny it there.
    const auto last = token.access_expires_at + 60s;
    ahead.shift->store(static_cast<long>((last - 2s - ahead.now()).count()));
    must(a.revoke(token.access_token));
    BOOST_TEST(who(b, token.access_token) == "revoked");
    // 3 s later: past the entry's end by the ahead clock without the margin; Redis's TTL and the ahead
    // instance's purge have had their chance.
    std::this_thread::sleep_for(2500ms);
    ahead.shift->fetch_add(3);
    (void)ahead_store.purge_expired(1000);
    BOOST_TEST(who(a, token.access_token) == "expired"); // past exp + leeway by its clock
    BOOST_TEST(who(b, token.access_token) == "revoked");  // 37 s before exp + leeway by its clock
}

// Within the bound, what the schemes that decide expiry by the instance's clock tolerate, exactly as
// README's table says: an instance `d` behind accepts a session (idle or absolute timeout) and rotates a
// refresh token (family lifetime) up to `d` late, never later; one `d` ahead refuses `d` early; the
// instance in step is exact. 30 s either way, with `max_clock_skew` 60 s, on Redis and PostgreSQL.
BOOST_AUTO_TEST_CASE_TEMPLATE(instances_whose_clocks_disagree_within_the_bound, K, skew_kinds)
{
    using store_t = typename K::template store<skewed_clock>;
    for (const long off : {-30L, 30L}) {
        BOOST_TEST_CONTEXT("the other instance's clock off by " << off << " s")
        {
            const skewed_clock exact{}, other{std::chrono::seconds{off}, exact.shift, exact.base};
            auto options = skewed_options<K>(60s); // one namespace for both instances
            // The test moves the instances' clocks up to 20 minutes past the server's: the periodic check
            // of Redis's settings and clock (which would fail them closed) must not run meanwhile.
            if constexpr (requires { options.settings_check_interval; })
                options.settings_check_interval = std::chrono::hours{1};
            store_t exact_store{options, exact}, other_store{options, other};
            exact.stop(); // both clocks: 299 s after a login is 299 s, whenever the second's edge falls
            const auto set = test::named({.session = {.idle_timeout = 300s, .absolute_timeout = 3600s,
                                                      .renewal_interval = 60s},
                                          .refresh = {.token_ttl = 3600s, .family_lifetime = 1200s}});
            const auto key = jwt::hmac_key<jwt::hs256>::generate();
            tessera::session_authenticator<store_t, skewed_clock> web_exact{exact_store, set, exact},
                web_other{other_store, set, other};
            tessera::hybrid_authenticator<jwt::hs256, store_t, skewed_clock> mobile_exact{exact_store, key, set, exact},
                mobile_other{other_store, key, set, other};
            const long d = off < 0 ? -off : off;
            // At `at` s after login (by the exact clock), a fresh session and family each, asked of `who`.
            const auto session_at = [&](long at, auto& who) {
                exact.shift->store(0);
                auto s = must(web_exact.issue("rae"));
                exact.shift->store(at);
                auto p = who.authenticate(s.access_token);
                return p ? std::string{"ok"} : tessera::to_string(p.error());
            };
            const auto rotate_at = [&](long at, auto& who) {
                exact.shift->store(0);
                auto c = must(mobile_exact.issue("rae")); // its token outlives the family: only the family ends it
                exact.shift->store(at);
                return outcome(who.refresh(c.refresh_token));
            };
            // The instance in step: exact at the idle timeout and the family's end.
            BOOST_TEST(session_at(299, web_exact) == "ok");
            BOOST_TEST(session_at(301, web_exact) == "unknown_session");
            BOOST_TEST(rotate_at(1199, mobile_exact) == "ok");
            BOOST_TEST(rotate_at(1201, mobile_exact) == "unknown_session");
            if (off < 0) { // behind: up to d late, never later
                BOOST_TEST(session_at(300 + d - 2, web_other) == "ok");
                BOOST_TEST(session_at(300 + d + 2, web_other) == "unknown_session");
                BOOST_TEST(rotate_at(1200 + d - 2, mobile_other) == "ok");
                BOOST_TEST(rotate_at(1200 + d + 2, mobile_other) == "unknown_session");
            } else { // ahead: d early
                BOOST_TEST(session_at(300 - d + 2, web_other) == "unknown_session");
                BOOST_TEST(session_at(300 - d - 2, web_other) == "ok");
                BOOST_TEST(rotate_at(1200 - d + 2, mobile_other) == "unknown_session");
                BOOST_TEST(rotate_at(1200 - d - 2, mobile_other) == "ok");
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
