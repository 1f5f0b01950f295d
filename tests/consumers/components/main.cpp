// SPDX-License-Identifier: BSL-1.0
// The SQLite store from the installed package: a session survives reopening the file.
#include <tessera/session/session.hpp>
#include <tessera/store/sqlite.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

int main()
{
    const auto path = std::filesystem::temp_directory_path() / ("tessera-consumer-" + tessera::random_id(8) + ".db");
    std::string id;
    {
        tessera::sqlite_store store{path.string()};
        tessera::session_manager<tessera::sqlite_store> sessions{store};
        id = sessions.create("alice")->id;
    }
    tessera::sqlite_store store{path.string()};
    tessera::session_manager<tessera::sqlite_store> sessions{store};
    auto found = sessions.validate(id);
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(path.string() + suffix);
    if (!found || found->data.subject != "alice") {
        std::cerr << "the session did not survive\n";
        return 1;
    }
    std::cout << "session of " << found->data.subject << " read back from SQLite\n";
    return 0;
}
