// SPDX-License-Identifier: BSL-1.0
// The store conformance suite: written once, run for every store.
// The Redis and PostgreSQL stores join by adding a fixture to `store_fixtures`.

#include "faulty_store.hpp"
#include "store_fixtures.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <tuple>

using namespace std::chrono_literals;
using tessera::errc;

using test::must;
using test::remove_db;
using test::store_fixtures;
using test::temp_db;

namespace {

std::vector<std::string> keys_of(const std::vector<tessera::keyed_record>& records)
{
    std::vector<std::string> keys;
    for (const auto& r : records)
        keys.push_back(r.key);
    std::sort(keys.begin(), keys.end());
    return keys;
}

} // namespace

BOOST_AUTO_TEST_SUITE(store_conformance)

BOOST_AUTO_TEST_CASE_TEMPLATE(put_get_erase, F, store_fixtures)
{
    F f;
    auto& s = f.store;
    const auto later = f.clock.now() + 60s;
    BOOST_TEST(!must(s.get("k")).has_value());
    must(s.put("k", std::string_view{"v\0x", 3}, later, "alice"));
    auto r = must(s.get("k"));
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->value == std::string(std::string_view{"v\0x", 3}));
    BOOST_TEST(r->subject == "alice");
    BOOST_TEST((r->expires_at == later));
    must(s.put("k", "w", later + 60s, "alice"));
    BOOST_TEST(must(s.get("k"))->value == "w");
    BOOST_TEST(must(s.erase("k")));
    BOOST_TEST(!must(s.erase("k")));
    BOOST_TEST(!must(s.get("k")).has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(ttl_expiry_with_the_clock, F, store_fixtures)
{
    F f;
    auto& s = f.store;
    const auto start = f.clock.now();
    must(s.put("k", "v", start + 10s, "alice"));
    f.clock.advance(9s);
    BOOST_TEST(must(s.get("k")).has_value());
    f.clock.advance(1s); // exactly at expires_at: gone
    BOOST_TEST(!must(s.get("k")).has_value());
    BOOST_TEST(!must(s.take("k")).has_value());
    BOOST_TEST(!must(s.replace("k", "v2", start + 100s)));
    BOOST_TEST(!must(s.get("k")).has_value());
    BOOST_TEST(must(s.list_subject("alice")).empty());
    // A put that is already expired stores nothing.
    must(s.put("dead", "v", f.clock.now(), "alice"));
    BOOST_TEST(!must(s.get("dead")).has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(replace_never_resurrects, F, store_fixtures)
{
    F f;
    auto& s = f.store;
    const auto later = f.clock.now() + 60s;
    BOOST_TEST(!must(s.replace("k", "v", later)));
    must(s.put("k", "v", later, "alice"));
    BOOST_TEST(must(s.replace("k", "v2", later + 60s)));
    auto r = must(s.get("k"));
    BOOST_TEST(r->value == "v2");
    BOOST_TEST(r->subject == "alice");
    BOOST_TEST((r->expires_at == later + 60s));
    BOOST_TEST(must(s.erase("k")));
    BOOST_TEST(!must(s.replace("k", "v3", later)));
    BOOST_TEST(!must(s.get("k")).has_value());
    BOOST_TEST(must(s.list_subject("alice")).empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(take_is_atomic_under_contention, F, store_fixtures)
{
    F f;
    auto& s = f.store;
    constexpr int threads = 8, rounds = 25;
    for (int round = 0; round < rounds; ++round) {
        const std::string key = "refresh-" + std::to_string(round);
        must(s.put(key, "family-7", f.clock.now() + 60s, "alice"));
        std::atomic<int> winners{0}, failures{0};
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&] {
                auto r = s.take(key);
                if (!r)
                    ++failures;
                else if (r->has_value() && (*r)->value == "family-7")
                    ++winners;
            });
        for (auto& th : pool)
            th.join();
        BOOST_TEST(winners.load() == 1);
        BOOST_TEST(failures.load() == 0);
    }
    BOOST_TEST(must(s.list_subject("alice")).empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(insert_writes_only_where_no_live_record_is, F, store_fixtures)
{
    F f;
    auto& s = f.store;
    BOOST_TEST(must(s.insert("k", "first", f.clock.now() + 10s, "alice")));
    BOOST_TEST(!must(s.insert("k", "second", f.clock.now() + 60s, "bob")));
    auto r = must(s.get("k"));
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->value == "first");
    BOOST_TEST(r->subject == "alice");
    BOOST_TEST(must(s.list_subject("bob")).empty());
    // Over an expired record it writes, and the index follows the new owner.
    f.clock.advance(10s);
    BOOST_TEST(must(s.insert("k", "third", f.clock.now() + 10s, "bob")));
    BOOST_TEST(must(s.get("k"))->value == "third");
    BOOST_TEST(must(s.list_subject("alice")).empty());
    BOOST_TEST(must(s.list_subject("bob")).size() == 1u);
}

// The write rules, one per case, the same on every store (the store concept states them).

// A put whose expiry is not after now erases: the record and its index entry are gone.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_put_with_a_past_expiry_erases, F, store_fixtures)
{
    F f;
    auto& s = f.store;
    must(s.put("k", "v", f.clock.now() + 60s, "alice"));
    must(s.put("k", "w", f.clock.now(), "alice"));
    BOOST_TEST(!must(s.get("k")).has_value());
    BOOST_TEST(must(s.list_subject("alice")).empty());
    must(s.put("k2", "v", f.clock.now() - 10s, "alice"));
    BOOST_TEST(!must(s.get("k2")).has_value());
    BOOST_TEST(must(s.list_subject("alice")).empty());
}

// An insert decides among racing callers, so what it writes lives at least 1 s: an earlier expiry is
// raised to now + 1 s, and within that second every other insert is refused.
BOOST_AUTO_TEST_CASE_TEMPLATE(an_insert_lives_at_least_a_second, F, store_fixtures)
{
    F f;
    auto& s = f.store;
    for (const auto asked : {f.clock.now(), f.clock.now() - 10s}) {
        const auto key = "k" + std::to_string(asked.time_since_epoch().count());
        BOOST_TEST(must(s.insert(key, "first", asked, "alice")));
        BOOST_TEST(!must(s.insert(key, "second", asked, "alice")));
        auto r = must(s.get(key));
        BOOST_TEST_REQUIRE(r.has_value());
        BOOST_TEST(r->value == "first");
        BOOST_TEST((r->expires_at == f.clock.now() + 1s));
        BOOST_TEST(must(s.list_subject("alice")).size() == 1u);
        f.clock.advance(1s);
        BOOST_TEST(!must(s.get(key)).has_value());
        BOOST_TEST(must(s.insert(key, "third", f.clock.now() + 60s, "alice")));
        must(s.erase(key));
    }
}

// A replace whose expiry is not after now writes nothing and erases what was there.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_replace_with_a_past_expiry_erases, F, store_fixtures)
{
    F f;
    auto& s = f.store;
    must(s.put("k", "v", f.clock.now() + 60s, "alice"));
    BOOST_TEST(!must(s.replace("k", "w", f.clock.now())));
    BOOST_TEST(!must(s.get("k")).has_value());
    BOOST_TEST(must(s.list_subject("alice")).empty());
    BOOST_TEST(!must(s.replace("k", "w", f.clock.now() + 60s))); // and never brings it back
}

// An increment is a decision too (the first failed login, a new token version): its counter lives at
// least 1 s, so two callers never both see the first count.
BOOST_AUTO_TEST_CASE_TEMPLATE(an_increment_lives_at_least_a_second, F, store_fixtures)
{
    F f;
    auto& s = f.store;
    BOOST_TEST(must(s.increment("c", 1, f.clock.now() - 10s)) == 1);
    BOOST_TEST(must(s.increment("c", 1, f.clock.now())) == 2);
    BOOST_TEST(must(s.counter("c")) == 2);
    f.clock.advance(1s);
    BOOST_TEST(must(s.counter("c")) == 0);
    BOOST_TEST(must(s.increment("c", 5, f.clock.now() + 60s)) == 5);
}

// The longest lifetime tessera's options allow is kept to the second.
BOOST_AUTO_TEST_CASE_TEMPLATE(the_longest_lifetime_is_kept, F, store_fixtures)
{
    F f;
    auto& s = f.store;
    const auto far = f.clock.now() + tessera::max_lifetime;
    must(s.put("k", "v", far, "alice"));
    BOOST_TEST((must(s.get("k"))->expires_at == far));
    BOOST_TEST(must(s.insert("i", "v", far)));
    BOOST_TEST((must(s.get("i"))->expires_at == far));
    BOOST_TEST(must(s.replace("k", "w", far + 1s)));
    BOOST_TEST((must(s.get("k"))->expires_at == far + 1s));
    BOOST_TEST(must(s.increment("c", 1, far)) == 1);
    BOOST_TEST(must(s.counter("c")) == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(insert_is_atomic_under_contention, F, store_fixtures)
{
    F f;
    auto& s = f.store;
    constexpr int threads = 8, rounds = 25;
    for (int round = 0; round < rounds; ++round) {
        const std::string key = "used-" + std::to_string(round);
        std::vector<int> won(threads, -1);
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                auto r = s.insert(key, "by-" + std::to_string(t), f.clock.now() + 60s, "alice");
                won[static_cast<std::size_t>(t)] = r ? (*r ? 1 : 0) : 2;
            });
        for (auto& th : pool)
            th.join();
        BOOST_TEST(std::count(won.begin(), won.end(), 1) == 1);
        BOOST_TEST(std::count(won.begin(), won.end(), 0) == threads - 1);
        const auto winner = std::find(won.begin(), won.end(), 1) - won.begin();
        BOOST_TEST(must(s.get(key))->value == "by-" + std::to_string(winner));
    }
}

// The optional batch operations, on the stores that have them (the network stores, where a round
// trip is the cost; memory and SQLite answer each call in-process).
using batching_fixtures = std::tuple<test::redis_fixture, test::postgres_fixture>;
static_assert(tessera::batch_reads<decltype(test::redis_fixture::store)> &&
              tessera::conditional_batches<decltype(test::postgres_fixture::store)>);

BOOST_AUTO_TEST_CASE_TEMPLATE(get_many_reads_in_order, F, batching_fixtures)
{
    F f;
    auto& s = f.store;
    {
        const auto now = f.clock.now();
        must(s.put("a", std::string_view{"1\0", 2}, now + 60s, "alice"));
        must(s.put("c", "3", now + 5s));
        const std::vector<std::string> wanted{"c", "missing", "a", "a"};
        auto found = must(s.get_many(wanted));
        BOOST_TEST_REQUIRE(found.size() == 4u);
        BOOST_TEST(found[0]->value == "3");
        BOOST_TEST(!found[1].has_value());
        BOOST_TEST(found[2]->value == std::string(std::string_view{"1\0", 2}));
        BOOST_TEST(found[2]->subject == "alice");
        BOOST_TEST((found[3] == found[2]));
        f.clock.advance(5s); // c expires
        found = must(s.get_many(wanted));
        BOOST_TEST(!found[0].has_value());
        BOOST_TEST(must(s.get_many(std::vector<std::string>{})).empty());
        // Every batch size, the small ones having statements of their own on PostgreSQL.
        for (std::size_t size = 1; size <= 5; ++size) {
            std::vector<std::string> some{"a", "b", "missing", "a", "b"};
            some.resize(size);
            must(s.put("b", "2", f.clock.now() + 60s));
            auto got = must(s.get_many(some));
            BOOST_TEST_REQUIRE(got.size() == size);
            for (std::size_t i = 0; i < size; ++i)
                BOOST_TEST(got[i].has_value() == (some[i] != "missing"), "size " << size << " at " << i);
            BOOST_TEST(got[0]->value == std::string(std::string_view{"1\0", 2}));
        }
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(insert_then_is_all_or_nothing, F, batching_fixtures)
{
    F f;
    auto& s = f.store;
    {
        const auto now = f.clock.now();
        must(s.put("family", "v1", now + 60s, "fam:alice"));
        using w = tessera::store_write;
        const std::array<w, 3> then{w{"next", "n", now + 30s, "rtk:f"}, w{"family", "v2", now + 90s, {}, true},
                                    w{"absent", "x", now + 90s, {}, true}};
        BOOST_TEST(must(s.insert_then(w{"marker", "m", now + 30s, "rtk:f"}, then)));
        BOOST_TEST(must(s.get("next"))->value == "n");
        BOOST_TEST(must(s.get("family"))->value == "v2");
        BOOST_TEST(must(s.get("family"))->subject == "fam:alice"); // a replace keeps the index entry
        BOOST_TEST((must(s.get("family"))->expires_at == now + 90s));
        BOOST_TEST(!must(s.get("absent")).has_value()); // a replace never creates
        BOOST_TEST(must(s.list_subject("rtk:f")).size() == 2u);
        // The guard is taken: nothing at all is written.
        const std::array<w, 2> again{w{"other", "o", now + 30s}, w{"family", "v3", now + 90s, {}, true}};
        BOOST_TEST(!must(s.insert_then(w{"marker", "m2", now + 30s}, again)));
        BOOST_TEST(must(s.get("marker"))->value == "m");
        BOOST_TEST(!must(s.get("other")).has_value());
        BOOST_TEST(must(s.get("family"))->value == "v2");
        // Many racing batches on one guard: exactly one is written.
        std::atomic<int> won{0}, failed{0};
        std::vector<std::thread> pool;
        for (int t = 0; t < 8; ++t)
            pool.emplace_back([&, t] {
                const std::string mine = "succ-" + std::to_string(t);
                const std::array<w, 1> one{w{mine, "s", now + 30s}};
                auto r = s.insert_then(w{"race", std::to_string(t), now + 30s}, one);
                if (!r)
                    ++failed;
                else if (*r)
                    ++won;
            });
        for (auto& th : pool)
            th.join();
        BOOST_TEST(won.load() == 1);
        BOOST_TEST(failed.load() == 0);
        const auto winner = must(s.get("race"))->value;
        for (int t = 0; t < 8; ++t)
            BOOST_TEST(must(s.get("succ-" + std::to_string(t))).has_value() == (std::to_string(t) == winner));
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(subject_index_stays_consistent, F, store_fixtures)
{
    F f;
    auto& s = f.store;
    const auto now = f.clock.now();
    must(s.put("a1", "1", now + 100s, "alice"));
    must(s.put("a2", "2", now + 10s, "alice"));
    must(s.put("a3", "3", now + 100s, "alice"));
    must(s.put("b1", "4", now + 100s, "bob"));
    must(s.put("n1", "5", now + 100s));
    BOOST_TEST((keys_of(must(s.list_subject("alice"))) == std::vector<std::string>{"a1", "a2", "a3"}));

    BOOST_TEST(must(s.erase("a3")));
    BOOST_TEST((keys_of(must(s.list_subject("alice"))) == std::vector<std::string>{"a1", "a2"}));

    f.clock.advance(10s); // a2 expires
    BOOST_TEST((keys_of(must(s.list_subject("alice"))) == std::vector<std::string>{"a1"}));

    // A key given to another subject leaves the first subject's index.
    must(s.put("a1", "1", now + 100s, "bob"));
    BOOST_TEST(must(s.list_subject("alice")).empty());
    BOOST_TEST((keys_of(must(s.list_subject("bob"))) == std::vector<std::string>{"a1", "b1"}));

    // A record taken or erased never comes back through the index.
    must(s.put("a4", "x", now + 100s, "alice"));
    BOOST_TEST(must(s.take("a4")).has_value());
    BOOST_TEST(must(s.list_subject("alice")).empty());

    BOOST_TEST(must(s.erase_subject("bob")) == 2u);
    BOOST_TEST(must(s.list_subject("bob")).empty());
    BOOST_TEST(!must(s.get("b1")).has_value());
    BOOST_TEST(must(s.get("n1")).has_value());
    BOOST_TEST(must(s.erase_subject("nobody")) == 0u);
    BOOST_TEST(must(s.list_subject("")).empty());

    auto listed = must(s.list_subject("carol"));
    BOOST_TEST(listed.empty());
    must(s.put("c1", "meta", now + 100s, "carol"));
    listed = must(s.list_subject("carol"));
    BOOST_TEST_REQUIRE(listed.size() == 1u);
    BOOST_TEST(listed[0].data.value == "meta");
    BOOST_TEST(listed[0].data.subject == "carol");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(erase_subject_races_with_puts, F, store_fixtures)
{
    F f;
    auto& s = f.store;
    const auto later = f.clock.now() + 600s;
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        for (int i = 0; !stop; ++i)
            (void)s.put("w" + std::to_string(i % 64), "v", later, "dave");
    });
    for (int i = 0; i < 50; ++i)
        (void)must(s.erase_subject("dave"));
    stop = true;
    writer.join();
    // Whatever survived is listed, and everything listed exists.
    for (const auto& r : must(s.list_subject("dave")))
        BOOST_TEST(must(s.get(r.key)).has_value());
    must(s.erase_subject("dave"));
    BOOST_TEST(must(s.list_subject("dave")).empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(counters_are_atomic, F, store_fixtures)
{
    F f;
    auto& s = f.store;
    const auto later = f.clock.now() + 60s;
    BOOST_TEST(must(s.counter("ver:alice")) == 0);
    constexpr int threads = 4, each = 250;
    std::atomic<int> failures{0}; // Boost.Test assertions are not thread-safe: count, check after
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (int i = 0; i < each; ++i)
                if (!s.increment("ver:alice", 1, later))
                    ++failures;
        });
    for (auto& th : pool)
        th.join();
    BOOST_TEST(failures.load() == 0);
    BOOST_TEST(must(s.counter("ver:alice")) == threads * each);
    BOOST_TEST(must(s.increment("ver:alice", -3, later)) == threads * each - 3);
    // Expiry is extended by a later increment, never shortened.
    BOOST_TEST(must(s.increment("ver:alice", 0, f.clock.now() + 1s)) == threads * each - 3);
    f.clock.advance(30s);
    BOOST_TEST(must(s.counter("ver:alice")) == threads * each - 3);
    f.clock.advance(30s);
    BOOST_TEST(must(s.counter("ver:alice")) == 0);
    BOOST_TEST(must(s.increment("ver:alice", 1, f.clock.now() + 60s)) == 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(purge_removes_only_expired, F, store_fixtures)
{
    F f;
    auto& s = f.store;
    const auto now = f.clock.now();
    for (int i = 0; i < 20; ++i)
        must(s.put("k" + std::to_string(i), "v", now + std::chrono::seconds{i < 15 ? 5 : 500}, "erin"));
    must(s.increment("c", 1, now + 5s));
    f.clock.advance(10s);
    std::size_t purged = 0;
    for (int i = 0; i < 10 && purged < 15; ++i)
        purged += must(s.purge_expired(4));
    BOOST_TEST(purged == 15u);
    BOOST_TEST(must(s.purge_expired(100)) == 0u);
    BOOST_TEST(must(s.list_subject("erin")).size() == 5u);
    BOOST_TEST(must(s.counter("c")) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(store_memory)

BOOST_AUTO_TEST_CASE(bounded_at_max_records)
{
    tessera::manual_clock clock;
    tessera::basic_memory_store<tessera::manual_clock> s{{.max_records = 10, .shards = 2}, clock};
    for (int i = 0; i < 10; ++i)
        BOOST_TEST(s.put("k" + std::to_string(i), "v", clock.now() + std::chrono::seconds{10 + i}).has_value());
    // Full: a new key is refused, an existing one may still be overwritten, nothing is evicted.
    auto refused = s.put("new", "v", clock.now() + 100s);
    BOOST_TEST_REQUIRE(!refused);
    BOOST_TEST((refused.error() == errc::store_full));
    BOOST_TEST(s.put("k3", "v2", clock.now() + 100s).has_value());
    for (int i = 0; i < 10; ++i)
        BOOST_TEST(s.get("k" + std::to_string(i))->has_value());
    BOOST_TEST(s.size() == 10u);
    // Once records expire, their room is reclaimed on demand.
    clock.advance(15s);
    BOOST_TEST(s.put("new", "v", clock.now() + 100s).has_value());
    BOOST_TEST(s.get("new")->has_value());
}

BOOST_AUTO_TEST_CASE(read_lends_the_live_record_in_place)
{
    tessera::manual_clock clock;
    tessera::basic_memory_store<tessera::manual_clock> s{{.max_records = 10, .shards = 2}, clock};
    static_assert(tessera::reads_in_place<decltype(s)>);
    BOOST_TEST(s.put("k", "value", clock.now() + 10s, "alice").has_value());
    const char* lent = nullptr;
    auto seen = s.read("k", [&](const tessera::record_view* r) {
        lent = r ? r->value.data() : nullptr;
        return r ? std::string{r->value} + "/" + std::string{r->subject} : std::string{"none"};
    });
    BOOST_TEST(*seen == "value/alice");
    // The very bytes the store keeps, not a copy: a second read lends the same ones.
    BOOST_TEST(*s.read("k", [&](const tessera::record_view* r) { return r && r->value.data() == lent; }));
    BOOST_TEST(*s.read("missing", [](const tessera::record_view* r) { return r == nullptr; }));
    // Expired: read sees nothing, and the record is gone (as get deletes it).
    clock.advance(10s);
    BOOST_TEST(*s.read("k", [](const tessera::record_view* r) { return r == nullptr; }));
    BOOST_TEST(s.size() == 0u);
    // Stores without it are read through a copy, with the same answer and the same errors.
    BOOST_TEST(s.put("k", "again", clock.now() + 10s).has_value());
    test::faulty_store<decltype(s)> wrapped{s};
    static_assert(!tessera::reads_in_place<decltype(wrapped)>);
    auto value_of = [](const tessera::record_view* r) { return r ? std::string{r->value} : std::string{"none"}; };
    BOOST_TEST(*tessera::detail::read_record(wrapped, "k", value_of) == "again");
    BOOST_TEST(*tessera::detail::read_record(wrapped, "missing", value_of) == "none");
    wrapped.arm(1, test::fault::fail);
    int called = 0;
    auto failed = tessera::detail::read_record(wrapped, "k", [&](const tessera::record_view*) { return ++called; });
    BOOST_TEST_REQUIRE(!failed);
    BOOST_TEST((failed.error() == tessera::condition::unavailable));
    BOOST_TEST(called == 0);
}

// Readers see a record whole while a writer changes it: in place (a value of the same size) and by
// replacing its block (another size), subject index included. Two shards, so readers and the writer
// meet on one shard's lock, from many threads, each with its own counter slot or sharing one.
BOOST_AUTO_TEST_CASE(readers_never_see_a_record_half_written)
{
    tessera::manual_clock clock;
    tessera::basic_memory_store<tessera::manual_clock> s{{.max_records = 100, .shards = 2}, clock};
    const std::string a(64, 'a'), b(64, 'b'), c(200, 'c');
    BOOST_REQUIRE(s.put("k", a, clock.now() + 1h, "alice").has_value());
    std::atomic<bool> done{false};
    std::atomic<int> torn{0}, missing{0}, reads{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 18; ++t) // more threads than the lock has counters: some share one
        readers.emplace_back([&] {
            while (!done.load()) {
                auto r = s.read("k", [](const tessera::record_view* v) -> int {
                    if (v == nullptr)
                        return 2;
                    const auto& value = v->value;
                    const bool whole = value.find_first_not_of(value.front()) == std::string_view::npos &&
                                       (value.size() == 64 || (value.size() == 200 && value.front() == 'c')) &&
                                       v->subject == "alice";
                    return whole ? 0 : 1;
                });
                torn += *r == 1;
                missing += *r == 2;
                ++reads;
            }
        });
    for (int i = 0; i < 600; ++i) {
        const auto& next = i % 3 == 0 ? a : i % 3 == 1 ? b : c;
        if (i % 2 == 0)
            BOOST_REQUIRE(s.put("k", next, clock.now() + 1h, "alice").has_value());
        else
            BOOST_REQUIRE(*s.replace("k", next, clock.now() + 1h));
    }
    done = true;
    for (auto& r : readers)
        r.join();
    BOOST_TEST(torn.load() == 0);
    BOOST_TEST(missing.load() == 0);
    BOOST_TEST(reads.load() > 0);
    // Listed once, under its subject, whatever block it ended in.
    auto listed = s.list_subject("alice");
    BOOST_REQUIRE(listed.has_value());
    BOOST_TEST(listed->size() == 1u);
    BOOST_TEST(s.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(store_sqlite)

BOOST_AUTO_TEST_CASE(records_survive_reopening)
{
    const auto path = temp_db();
    tessera::manual_clock clock;
    {
        tessera::basic_sqlite_store<tessera::manual_clock> s{path.string(), {}, clock};
        BOOST_TEST(s.put("k", "persisted", clock.now() + 60s, "alice").has_value());
        BOOST_TEST(s.increment("c", 5, clock.now() + 60s).has_value());
    }
    {
        tessera::basic_sqlite_store<tessera::manual_clock> s{path.string(), {}, clock};
        auto r = s.get("k");
        BOOST_TEST_REQUIRE(r->has_value());
        BOOST_TEST((*r)->value == "persisted");
        BOOST_TEST(s.list_subject("alice")->size() == 1u);
        BOOST_TEST(*s.counter("c") == 5);
    }
    remove_db(path);
}

BOOST_AUTO_TEST_CASE(store_unavailable_when_the_file_is_gone)
{
    const auto path = temp_db();
    tessera::manual_clock clock;
    tessera::basic_sqlite_store<tessera::manual_clock> s{path.string(), {}, clock};
    BOOST_TEST(s.put("k", "v", clock.now() + 60s, "alice").has_value());
    remove_db(path);
    auto expect_unavailable = [](const auto& r) {
        BOOST_TEST_REQUIRE(!r.has_value());
        // The request-path answer, and for the operator its cause: the file this store opened is gone.
        BOOST_TEST(tessera::to_string(r.error()) == "store_unavailable");
        BOOST_TEST((r.error() == tessera::condition::unavailable));
        BOOST_TEST(tessera::describe(r.error()) == "store_unavailable (lost_state)");
    };
    // Every operation fails closed: no read says "absent", no write goes to a deleted file.
    expect_unavailable(s.get("k"));
    expect_unavailable(s.put("k2", "v", clock.now() + 60s));
    expect_unavailable(s.take("k"));
    expect_unavailable(s.erase("k"));
    expect_unavailable(s.replace("k", "v", clock.now() + 60s));
    expect_unavailable(s.list_subject("alice"));
    expect_unavailable(s.erase_subject("alice"));
    expect_unavailable(s.increment("c", 1, clock.now() + 60s));
    expect_unavailable(s.counter("c"));
    expect_unavailable(s.purge_expired(10));
}

BOOST_AUTO_TEST_CASE(recovers_when_a_deleted_file_is_restored)
{
    const auto path = temp_db();
    const auto backup = temp_db();
    tessera::manual_clock clock;
    tessera::basic_sqlite_store<tessera::manual_clock> s{path.string(), {}, clock};
    must(s.put("deny:token", "", clock.now() + 1h, {}));
    {
        // A backup taken by another connection, as an operator would.
        sqlite3* db = nullptr;
        sqlite3_open(path.string().c_str(), &db);
        const std::string sql = "VACUUM INTO '" + backup.string() + "'";
        BOOST_TEST_REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    remove_db(path);
    BOOST_TEST(test::outcome(s.get("deny:token")) == "store_unavailable");
    BOOST_TEST(test::outcome(s.get("deny:token")) == "store_unavailable"); // still gone: still refused
    std::filesystem::copy_file(backup, path);
    // The same object, without a restart.
    auto back = must(s.get("deny:token"));
    BOOST_TEST(back.has_value());
    must(s.put("k", "v", clock.now() + 1h, {}));
    BOOST_TEST(must(s.get("k")).has_value());
    remove_db(path);
    remove_db(backup);
}

BOOST_AUTO_TEST_CASE(never_reads_a_recreated_empty_file)
{
    const auto path = temp_db();
    tessera::manual_clock clock;
    tessera::basic_sqlite_store<tessera::manual_clock> s{path.string(), {}, clock};
    must(s.put("deny:token", "", clock.now() + 1h, {}));
    remove_db(path);
    BOOST_TEST(test::outcome(s.get("deny:token")) == "store_unavailable");
    // Someone (another instance, an operator) creates a fresh database at the same path.
    tessera::basic_sqlite_store<tessera::manual_clock> fresh{path.string(), {}, clock};
    BOOST_TEST(!must(fresh.get("deny:token")).has_value());
    // This store's revocations are not in it: it refuses to answer rather than say "not denied".
    BOOST_TEST(test::outcome(s.get("deny:token")) == "store_unavailable");
    BOOST_TEST(test::outcome(s.put("x", "v", clock.now() + 1h, {})) == "store_unavailable");
    remove_db(path);
}

BOOST_AUTO_TEST_CASE(recovers_when_a_lock_is_released)
{
    const auto path = temp_db();
    tessera::manual_clock clock;
    tessera::basic_sqlite_store<tessera::manual_clock> s{path.string(), {.busy_timeout = 50ms}, clock};
    must(s.put("k", "v", clock.now() + 1h, {}));
    sqlite3* other = nullptr;
    sqlite3_open(path.string().c_str(), &other);
    BOOST_TEST_REQUIRE(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
    BOOST_TEST(test::outcome(s.put("k2", "v", clock.now() + 1h, {})) == "store_unavailable");
    BOOST_TEST_REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(other);
    must(s.put("k2", "v", clock.now() + 1h, {}));
    BOOST_TEST(must(s.get("k")).has_value());
    remove_db(path);
}

BOOST_AUTO_TEST_CASE(refuses_what_it_cannot_open)
{
    try {
        tessera::sqlite_store s{"/nonexistent-dir/tessera/store.db"};
        BOOST_FAIL("opened a database in a missing directory");
    } catch (const tessera::error& e) {
        BOOST_TEST((e.code() == errc::store_unavailable));
    }
    // A file with a newer schema is refused rather than misread.
    const auto path = temp_db();
    {
        tessera::sqlite_store s{path.string()};
    }
    {
        sqlite3* db = nullptr;
        sqlite3_open(path.string().c_str(), &db);
        sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
        sqlite3_close(db);
    }
    BOOST_CHECK_THROW(tessera::sqlite_store{path.string()}, tessera::error);
    // Garbage instead of a database.
    remove_db(path);
    {
        std::ofstream{path} << std::string(4096, 'x');
    }
    BOOST_CHECK_THROW(tessera::sqlite_store{path.string()}, tessera::error);
    remove_db(path);
}

BOOST_AUTO_TEST_SUITE_END()
