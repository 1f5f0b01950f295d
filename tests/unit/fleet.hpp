// SPDX-License-Identifier: BSL-1.0
#pragma once
// What the suites of the shared stores share: a server of a test's own (to
// stop, crash, freeze, reconfigure and restart), the three schemes and the
// composed JWT policies on one store, and short timeouts.

#include "store_fixtures.hpp"

#include <tessera/authenticator.hpp>

#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <tuple>

namespace test {

using namespace std::chrono_literals;
namespace jwt = tessera::jwt;

using clock_t_ = tessera::manual_clock;

/// A Redis or PostgreSQL server of this test's own, to stop, freeze, crash and start again.
class private_server {
public:
    /// `redis_flags`: settings of this server's own (tests/servers.sh, TESSERA_REDIS_FLAGS), kept across restarts.
    explicit private_server(std::string which, const std::string& redis_flags = {})
        : which_(std::move(which)),
          dir_(test::servers_dir() / test::unique_name("private-")) // stopped with the run's servers if not before
    {
        run("start", redis_flags);
    }
    ~private_server() { (void)std::system(("bash " TESSERA_SERVERS_SH " stop all " + dir_.string()).c_str()); }
    private_server(const private_server&) = delete;
    private_server& operator=(const private_server&) = delete;

    void run(const std::string& action, const std::string& redis_flags = {}) const
    {
        const std::string command = (redis_flags.empty() ? "" : "TESSERA_REDIS_FLAGS='" + redis_flags + "' ") +
                                    "bash " TESSERA_SERVERS_SH " " + action + " " + which_ + " " + dir_.string();
        BOOST_TEST_REQUIRE(std::system(command.c_str()) == 0, command);
    }
    [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

private:
    std::string which_;
    std::filesystem::path dir_;
};

// Short timeouts: a server that cannot answer is found out in a fifth of a second.
template <class Options>
Options impatient(Options o)
{
    o.connect_timeout = 200ms;
    o.command_timeout = 200ms;
    o.connections = 2;
    return o;
}

struct redis_kind {
    static constexpr const char* server = "redis";
    using store = tessera::basic_redis_store<clock_t_>;
    static store open(const std::filesystem::path& dir, clock_t_ c)
    {
        return store{impatient(test::redis_options(dir)), c};
    }
};

struct postgres_kind {
    static constexpr const char* server = "postgres";
    using store = tessera::basic_postgres_store<clock_t_>;
    static store open(const std::filesystem::path& dir, clock_t_ c)
    {
        return store{impatient(test::postgres_options(dir)), c};
    }
};

using server_kinds = std::tuple<redis_kind, postgres_kind>;
using network_fixtures = std::tuple<test::redis_fixture, test::postgres_fixture>;

/// The three schemes and the composed JWT policies on one store.
template <class Store>
struct fleet_member {
    using both = tessera::all_of<tessera::deny_list, tessera::token_version>;
    fleet_member(Store& store, clock_t_ clock, const jwt::hmac_key<jwt::hs256>& key,
                 const jwt::private_key<jwt::eddsa>& signing, tessera::refresh_options refresh = {})
        : web(store, {}, clock), api(store, key, named(), clock),
          mobile(store, signing, named({.refresh = refresh}), clock)
    {
    }
    tessera::session_authenticator<Store, clock_t_> web;
    tessera::authenticator<Store, jwt::hs256, both, clock_t_> api;
    tessera::hybrid_authenticator<jwt::eddsa, Store, clock_t_> mobile;
};

template <class Auth>
std::string who(Auth& auth, const std::string& token)
{
    auto p = auth.authenticate(token);
    return p ? p->subject : tessera::to_string(p.error());
}

/// What `authenticate` says of `token` to the operator: the subject, or the error with its cause.
template <class Auth>
std::string why(Auth& auth, const std::string& token)
{
    auto p = auth.authenticate(token);
    return p ? p->subject : tessera::describe(p.error());
}

/// A server of the test's own, a store on it with short timeouts, and the three schemes on the store.
template <class K>
struct private_fleet {
    private_server server{K::server};
    clock_t_ clock;
    typename K::store store = K::open(server.dir(), clock);
    fleet_member<typename K::store> m{store, clock, jwt::hmac_key<jwt::hs256>::generate(),
                                      jwt::private_key<jwt::eddsa>::generate()};
};

/// The exit status of a child process that ran `body` (which returns its status).
template <class Body>
int in_child(Body body)
{
    const pid_t pid = ::fork();
    BOOST_TEST_REQUIRE(pid >= 0);
    if (pid == 0)
        ::_exit(body());
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}


/// What `redis-cli` prints for `args` against the Redis of `dir` (its port, user and password).
inline std::string redis_cli(const std::filesystem::path& dir, const std::string& args)
{
    const std::string command = "redis-cli -p " + server_setting(dir, "TESSERA_REDIS_PORT") + " --user " +
                                server_setting(dir, "TESSERA_REDIS_USER") + " --pass " +
                                server_setting(dir, "TESSERA_REDIS_PASSWORD") + " --no-auth-warning " + args;
    std::string out;
    if (FILE* p = ::popen(command.c_str(), "r")) {
        char buffer[512];
        for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, p)) > 0;)
            out.append(buffer, n);
        BOOST_TEST_REQUIRE(::pclose(p) == 0, command);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
        out.pop_back();
    return out;
}

/// Another tenant of the same Redis writes `count` keys of `size` bytes (one pipeline), each with a TTL
/// when `ttl_ms` is not 0; how many it could.
inline std::size_t another_tenant_writes(const std::filesystem::path& dir, std::size_t count, std::size_t size,
                                         long ttl_ms = 0)
{
    redisContext* c = redisConnect("127.0.0.1", std::stoi(server_setting(dir, "TESSERA_REDIS_PORT")));
    BOOST_TEST_REQUIRE((c != nullptr && c->err == 0));
    const std::string user = server_setting(dir, "TESSERA_REDIS_USER"),
                      password = server_setting(dir, "TESSERA_REDIS_PASSWORD");
    freeReplyObject(redisCommand(c, "AUTH %s %s", user.c_str(), password.c_str()));
    const std::string value(size, 'x');
    static std::atomic<std::size_t> written_before{0}; // every key new
    const std::size_t first = written_before.fetch_add(count);
    for (std::size_t i = 0; i < count; ++i) { // hiredis 0.14 formats neither %zu nor %ld
        const std::string key = "tenant:" + std::to_string(first + i), ttl = std::to_string(ttl_ms);
        if (ttl_ms != 0)
            redisAppendCommand(c, "SET %s %b PX %s", key.c_str(), value.data(), value.size(), ttl.c_str());
        else
            redisAppendCommand(c, "SET %s %b", key.c_str(), value.data(), value.size());
    }
    std::size_t written = 0;
    for (std::size_t i = 0; i < count; ++i) {
        void* reply = nullptr;
        if (redisGetReply(c, &reply) != REDIS_OK)
            break;
        if (static_cast<redisReply*>(reply)->type == REDIS_REPLY_STATUS)
            ++written;
        freeReplyObject(reply);
    }
    redisFree(c);
    return written;
}

/// Runs `sql` on the PostgreSQL at `connection`; the rows' first columns, as text, one per line.
inline std::string pg_exec(const std::string& connection, const std::string& sql)
{
    PGconn* c = PQconnectdb(connection.c_str());
    BOOST_TEST_REQUIRE(PQstatus(c) == CONNECTION_OK, PQerrorMessage(c));
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
    PGresult* r = PQexec(c, sql.c_str());
    const auto status = PQresultStatus(r);
    BOOST_TEST((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK), sql << ": " << PQresultErrorMessage(r));
    std::string out;
    for (int row = 0; row < PQntuples(r); ++row)
        out.append(PQgetvalue(r, row, 0)).append("\n");
    PQclear(r);
    PQfinish(c);
    return out;
}

} // namespace test
