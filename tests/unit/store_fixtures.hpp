#pragma once
// One fixture per store, each with a manual clock the test moves. The
// Redis and PostgreSQL stores join the suites by adding a fixture here.

#include "support.hpp"

#include <tessera/core/random.hpp>
#include <tessera/store/memory.hpp>
#include <tessera/store/sqlite.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
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

using store_fixtures = std::tuple<memory_fixture, sqlite_fixture>;

} // namespace test
