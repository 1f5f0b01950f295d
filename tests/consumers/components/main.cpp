// SPDX-License-Identifier: BSL-1.0
// The SQLite store and the Beast adapter from the installed package: a session survives reopening
// the file, and a Beast request carrying it as a bearer token is let in by the guard; the libcurl
// fetcher links, and refuses plain http to a host that is not loopback before any connection.
#include <tessera/beast.hpp>
#include <tessera/jwt/curl_fetcher.hpp>
#include <tessera/http/guard.hpp>
#include <tessera/authenticator.hpp>
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
    tessera::session_authenticator<tessera::sqlite_store> auth{store};
    const auto bob = auth.issue("bob");
    const tessera::http::guard guard{auth, {.realm = "consumer"}};
    boost::beast::http::request<boost::beast::http::string_body> req{boost::beast::http::verb::get, "/me", 11};
    boost::beast::http::response<boost::beast::http::string_body> res;
    if (bob)
        req.set(boost::beast::http::field::authorization, "Bearer " + bob->access_token);
    const auto p = tessera::beast::authenticate(guard, req, res);
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(path.string() + suffix);
    if (!found || found->data.subject != "alice") {
        std::cerr << "the session did not survive\n";
        return 1;
    }
    std::cout << "session of " << found->data.subject << " read back from SQLite\n";
    if (!p || p->subject != "bob") {
        std::cerr << "the Beast adapter refused a valid session: " << res.result_int() << "\n";
        return 1;
    }
    std::cout << "a Beast request of " << p->subject << " let in\n";
    const tessera::jwt::curl_fetcher fetch;
    const auto plain = fetch({.url = "http://provider.example/jwks.json"});
    if (plain || plain.error() != tessera::fetch_failure::insecure_url) {
        std::cerr << "the libcurl fetcher did not refuse plain http\n";
        return 1;
    }
    std::cout << "libcurl fetcher: plain http refused (" << tessera::describe(plain.error()) << ")\n";
    return 0;
}
