// SPDX-License-Identifier: BSL-1.0
#pragma once
// One fixture per store, each with a manual clock the test moves. The Redis
// and PostgreSQL fixtures connect to the throwaway servers CTest starts
// (tests/servers.sh, through the TESSERA_SERVERS folder); each fixture gets
// its own key prefix or schema, so tests never see each other's records.

#include "support.hpp"

#include <tessera/core/random.hpp>
#include <tessera/store/memory.hpp>
#include <tessera/store/postgres.hpp>
#include <tessera/store/redis.hpp>
#include <tessera/store/sqlite.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <tuple>

namespace test {

inline std::filesystem::path temp_db()
{
    return std::filesystem::temp_directory_path() / ("tessera-store-" + tessera::random_id(12) + ".db");
}

inline void remove_db(const std::filesystem::path& path)
{
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(path.string() + suffix);
}

struct memory_fixture {
    tessera::manual_clock clock;
    tessera::basic_memory_store<tessera::manual_clock> store{{}, clock};
};

struct sqlite_fixture {
    tessera::manual_clock clock;
    std::filesystem::path path = temp_db();
    tessera::basic_sqlite_store<tessera::manual_clock> store{path.string(), {}, clock};
    ~sqlite_fixture() { remove_db(path); }
};

/// The folder of the servers this test run started (CTest sets TESSERA_SERVERS).
inline std::filesystem::path servers_dir()
{
    const char* dir = std::getenv("TESSERA_SERVERS");
    if (dir == nullptr || *dir == '\0')
        throw std::runtime_error{"the Redis and PostgreSQL tests need their servers: run them with ctest, or run "
                                 "`tests/servers.sh start all DIR` and set TESSERA_SERVERS=DIR"};
    return dir;
}

/// A value the server script wrote to DIR/env (TESSERA_REDIS_PORT, TESSERA_POSTGRES...).
inline std::string server_setting(const std::filesystem::path& dir, const std::string& name)
{
    std::ifstream in{dir / "env"};
    std::string line, value;
    while (std::getline(in, line))
        if (line.starts_with(name + "="))
            value = line.substr(name.size() + 1);
    if (value.empty())
        throw std::runtime_error{"no " + name + " in " + (dir / "env").string()};
    return value;
}

/// A name no other fixture uses: lower-case letters, digits and '_'.
inline std::string unique_name(const char* prefix)
{
    std::string id = tessera::random_id(12);
    std::transform(id.begin(), id.end(), id.begin(), [](char c) {
        return c == '-' ? '_' : static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    return prefix + id;
}

inline tessera::redis_store_options redis_options(const std::filesystem::path& dir = servers_dir())
{
    tessera::redis_store_options o;
    o.port = std::stoi(server_setting(dir, "TESSERA_REDIS_PORT"));
    o.user = server_setting(dir, "TESSERA_REDIS_USER");
    o.password = server_setting(dir, "TESSERA_REDIS_PASSWORD");
    o.key_prefix = unique_name("t_");
    o.max_clock_skew = std::chrono::seconds{0}; // the fixtures' manual clocks stand in 2023
    return o;
}

inline tessera::postgres_store_options postgres_options(const std::filesystem::path& dir = servers_dir())
{
    tessera::postgres_store_options o;
    o.connection = server_setting(dir, "TESSERA_POSTGRES");
    o.schema = unique_name("t_");
    o.max_clock_skew = std::chrono::seconds{0};
    return o;
}

struct redis_fixture {
    tessera::manual_clock clock;
    tessera::basic_redis_store<tessera::manual_clock> store{redis_options(), clock};
};

struct postgres_fixture {
    tessera::manual_clock clock;
    tessera::basic_postgres_store<tessera::manual_clock> store{postgres_options(), clock};
};

using store_fixtures = std::tuple<memory_fixture, sqlite_fixture, redis_fixture, postgres_fixture>;

} // namespace test
