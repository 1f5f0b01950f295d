// SPDX-License-Identifier: BSL-1.0
// The shared stores measured against their own clients: each operation of
// an authenticator on Redis or PostgreSQL, interleaved with a floor that is
// one raw round trip to the same server (a hiredis HMGET of one record; a
// libpq prepared SELECT of one row). `x_floor` is then roughly the round
// trips an operation costs, plus its cryptography. The last benchmarks run
// session authenticate from 2 threads on one store (its connection pool)
// and report requests per second.
//
// Needs the servers `./dev bench` starts (TESSERA_SERVERS); without them
// these benchmarks report an error and the others still run. `./dev bench`
// runs the servers and the latency benchmarks on one CPU: on two, each
// round trip's cost depends on whether the client and the server process
// (a PostgreSQL backend per connection) share a core, which differs from
// one connection to the next and swamps the comparison. The throughput
// benchmarks (`throughput_*`) then run their 2 threads on every CPU.

#include "interleaved.hpp"

#include <tessera/authenticator.hpp>
#include <tessera/store/postgres.hpp>
#include <tessera/store/redis.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jwt = tessera::jwt;

namespace {

/// Calls per timed block: long enough to time, short enough for many rounds.
constexpr int block = 16;

std::optional<std::string> setting(const std::string& name)
{
    const char* dir = std::getenv("TESSERA_SERVERS");
    if (dir == nullptr)
        return std::nullopt;
    std::ifstream in{std::string{dir} + "/env"};
    std::string line, value;
    while (std::getline(in, line))
        if (line.starts_with(name + "="))
            value = line.substr(name.size() + 1);
    if (value.empty())
        return std::nullopt;
    return value;
}

std::optional<tessera::redis_store_options> redis_options()
{
    auto port = setting("TESSERA_REDIS_PORT");
    if (!port)
        return std::nullopt;
    tessera::redis_store_options o;
    o.port = std::stoi(*port);
    o.user = *setting("TESSERA_REDIS_USER");
    o.password = *setting("TESSERA_REDIS_PASSWORD");
    o.key_prefix = "bench-" + tessera::random_id(6);
    return o;
}

std::optional<tessera::postgres_store_options> postgres_options()
{
    auto conn = setting("TESSERA_POSTGRES");
    if (!conn)
        return std::nullopt;
    tessera::postgres_store_options o;
    o.connection = *conn;
    o.schema = "bench";
    return o;
}

/// The floor on Redis: one HMGET of a record on a connection of its own.
struct redis_floor {
    tessera::detail::redis_connection c;
    explicit redis_floor(const tessera::redis_store_options& o)
        : c(redisConnect(o.host.c_str(), o.port))
    {
        auto* r = static_cast<redisReply*>(
            redisCommand(c.get(), "AUTH %s %s", o.user.c_str(), o.password.c_str()));
        freeReplyObject(r);
    }
    void operator()() const
    {
        auto* r = static_cast<redisReply*>(redisCommand(c.get(), "HMGET %s v s e", "{floor}r:ses:x"));
        benchmark::DoNotOptimize(r);
        freeReplyObject(r);
    }
};

/// The floor on PostgreSQL: one prepared SELECT of a row by primary key.
struct postgres_floor {
    tessera::detail::pg_connection c;
    explicit postgres_floor(const tessera::postgres_store_options& o) : c(PQconnectdb(o.connection.c_str()))
    {
        PQsetNoticeProcessor(c.get(), [](void*, const char*) {}, nullptr);
        PQclear(PQexec(c.get(), "CREATE TABLE IF NOT EXISTS bench_floor(key bytea PRIMARY KEY, value bytea)"));
        PQclear(PQexec(c.get(), "INSERT INTO bench_floor VALUES('\\x01', '\\x02') ON CONFLICT DO NOTHING"));
        PQclear(PQprepare(c.get(), "floor", "SELECT value FROM bench_floor WHERE key = $1", 1, nullptr));
    }
    void operator()() const
    {
        const char* values[] = {"\x01"};
        const int lengths[] = {1}, formats[] = {1};
        auto* r = PQexecPrepared(c.get(), "floor", 1, values, lengths, formats, 1);
        benchmark::DoNotOptimize(r);
        PQclear(r);
    }
};

template <class Store>
struct fleet {
    tessera::session_authenticator<Store> web;
    tessera::authenticator<Store, jwt::hs256, tessera::all_of<tessera::deny_list, tessera::token_version>> api;
    tessera::hybrid_authenticator<jwt::eddsa, Store> mobile;
    explicit fleet(Store& s)
        : web(s), api(s, jwt::hmac_key<jwt::hs256>::generate(), {.issuer = "bench", .audience = "bench"}),
          mobile(s, jwt::private_key<jwt::eddsa>::generate(), {.issuer = "bench", .audience = "bench"})
    {
    }
};

/// What each store is measured at, in the order they run.
enum class operation { session_authenticate, jwt_deny_and_version_authenticate, hybrid_refresh };
constexpr std::pair<operation, const char*> operations[] = {
    {operation::session_authenticate, "session_authenticate"},
    {operation::jwt_deny_and_version_authenticate, "jwt_deny_and_version_authenticate"},
    {operation::hybrid_refresh, "hybrid_refresh"}};

template <class Store, class Floor, class Options>
void run(benchmark::State& state, const std::optional<Options>& options, operation op)
{
    if (!options) {
        state.SkipWithError("no servers: run through ./dev bench");
        return;
    }
    Store store{*options};
    Floor floor{*options};
    fleet<Store> f{store};
    switch (op) {
    case operation::session_authenticate: {
        const auto id = f.web.issue("user-1234567890")->access_token;
        bench::interleaved<block>(state, std::ref(floor), [&] { benchmark::DoNotOptimize(f.web.authenticate(id)); });
        break;
    }
    case operation::jwt_deny_and_version_authenticate: {
        const auto token = f.api.issue("user-1234567890")->access_token;
        bench::interleaved<block>(state, std::ref(floor),
                                  [&] { benchmark::DoNotOptimize(f.api.authenticate(token)); });
        break;
    }
    case operation::hybrid_refresh: {
        auto pair = *f.mobile.issue("user-1234567890");
        bench::interleaved<block>(state, std::ref(floor), [&] {
            auto next = f.mobile.refresh(pair.refresh_token);
            if (next)
                pair = std::move(*next);
            benchmark::DoNotOptimize(next);
        });
        break;
    }
    }
}

/// Registers `<name>_<operation>` for every operation on one store.
template <class Store, class Floor, class Options>
void register_store(const std::string& name, std::optional<Options> (*options)())
{
    for (const auto& [op, what] : operations)
        benchmark::RegisterBenchmark((name + "_" + what).c_str(),
                                     [options, op = op](benchmark::State& s) { run<Store, Floor>(s, options(), op); })
            ->MinTime(1.0);
}

[[maybe_unused]] const bool registered = [] {
    register_store<tessera::redis_store, redis_floor>("redis", redis_options);
    register_store<tessera::postgres_store, postgres_floor>("postgres", postgres_options);
    return true;
}();

/// Session authenticate from several threads on one store: requests per second.
template <class Store, class Options>
void concurrent_sessions(benchmark::State& state, const std::optional<Options>& options)
{
    static std::unique_ptr<Store> store;
    static std::unique_ptr<tessera::session_authenticator<Store>> web;
    static std::string id;
    if (!options) {
        state.SkipWithError("no servers: run through ./dev bench");
        return;
    }
    if (state.thread_index() == 0) {
        store = std::make_unique<Store>(*options);
        web = std::make_unique<tessera::session_authenticator<Store>>(*store);
        id = web->issue("user-1234567890")->access_token;
    }
    for (auto _ : state)
        benchmark::DoNotOptimize(web->authenticate(id));
    state.SetItemsProcessed(state.iterations());
}

void throughput_redis_sessions(benchmark::State& s)
{
    concurrent_sessions<tessera::redis_store>(s, redis_options());
}
void throughput_postgres_sessions(benchmark::State& s)
{
    concurrent_sessions<tessera::postgres_store>(s, postgres_options());
}

/// Session authenticate on the memory store from 1 and 2 threads: 1,024 users' sessions, each thread
/// going through all of them from its own place (one id would put every request on one shard's lock).
void throughput_memory_sessions(benchmark::State& state)
{
    constexpr std::size_t users = 1024;
    static std::unique_ptr<tessera::memory_store> store;
    static std::unique_ptr<tessera::session_authenticator<tessera::memory_store>> web;
    static std::vector<std::string> ids;
    if (state.thread_index() == 0) {
        store = std::make_unique<tessera::memory_store>();
        web = std::make_unique<tessera::session_authenticator<tessera::memory_store>>(*store);
        ids.clear();
        for (std::size_t i = 0; i < users; ++i)
            ids.push_back(web->issue("user-" + std::to_string(i))->access_token);
    }
    std::size_t next = static_cast<std::size_t>(state.thread_index()) * users / 2;
    for (auto _ : state)
        benchmark::DoNotOptimize(web->authenticate(ids[next++ % users]));
    state.SetItemsProcessed(state.iterations());
}

} // namespace

BENCHMARK(throughput_memory_sessions)->Threads(1)->Threads(2)->UseRealTime()->MinTime(1.0);
BENCHMARK(throughput_redis_sessions)->Threads(2)->UseRealTime()->MinTime(1.0);
BENCHMARK(throughput_postgres_sessions)->Threads(2)->UseRealTime()->MinTime(1.0);
