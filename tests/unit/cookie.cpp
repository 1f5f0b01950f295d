// SPDX-License-Identifier: BSL-1.0
// Set-Cookie rendering with its prefix rules, and Cookie header parsing of hostile input.

#include "support.hpp"

#include <tessera/http/cookie.hpp>

#include <boost/test/unit_test.hpp>

using namespace std::chrono_literals;
using test::outcome;
namespace http = tessera::http;

BOOST_AUTO_TEST_SUITE(cookie)

BOOST_AUTO_TEST_CASE(defaults_are_the_strictest)
{
    const http::cookie_policy session{};
    BOOST_TEST(*session.set_cookie("abc") == "__Host-session=abc; Path=/; Secure; HttpOnly; SameSite=Lax");
    BOOST_TEST(*session.set_cookie("abc", 1800s) ==
               "__Host-session=abc; Max-Age=1800; Path=/; Secure; HttpOnly; SameSite=Lax");
    BOOST_TEST(session.clear_cookie() ==
               "__Host-session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; "
               "SameSite=Lax");
    BOOST_TEST(http::cache_control_no_store == "no-store");
    BOOST_TEST(http::clear_site_data_cookies == "\"cookies\"");
}

BOOST_AUTO_TEST_CASE(refresh_cookie_scoped_to_its_endpoint)
{
    const http::cookie_policy refresh{
        {.name = "__Secure-refresh", .path = "/auth/refresh", .same_site = http::same_site::strict}};
    BOOST_TEST(*refresh.set_cookie("r", 2592000s) ==
               "__Secure-refresh=r; Max-Age=2592000; Path=/auth/refresh; Secure; HttpOnly; SameSite=Strict");
    BOOST_TEST(*http::cookie_policy{http::refresh_cookie_options()}.set_cookie("r") ==
               "__Secure-refresh=r; Path=/refresh; Secure; HttpOnly; SameSite=Strict");
    BOOST_TEST(http::refresh_cookie_options("/auth").path == "/auth");
    const http::cookie_policy shared{{.name = "sid", .domain = "example.com", .same_site = http::same_site::none}};
    BOOST_TEST(*shared.set_cookie("x") == "sid=x; Path=/; Domain=example.com; Secure; HttpOnly; SameSite=None");
}

BOOST_AUTO_TEST_CASE(prefix_rules_are_enforced_at_construction)
{
    auto refused = [](http::cookie_options o) {
        return http::cookie_options_error(o).has_value();
    };
    // __Host-: Secure, Path=/, no Domain; the prefix is matched without case.
    BOOST_TEST(refused({.name = "__Host-s", .secure = false}));
    BOOST_TEST(refused({.name = "__Host-s", .path = "/app"}));
    BOOST_TEST(refused({.name = "__Host-s", .domain = "example.com"}));
    BOOST_TEST(refused({.name = "__host-s", .domain = "example.com"}));
    BOOST_TEST(refused({.name = "__HOST-s", .secure = false}));
    // __Secure-: Secure.
    BOOST_TEST(refused({.name = "__Secure-s", .secure = false}));
    BOOST_TEST(refused({.name = "__secure-s", .secure = false}));
    BOOST_TEST(!refused({.name = "__Secure-s", .path = "/app", .domain = "example.com"}));
    // SameSite=None needs Secure.
    BOOST_TEST(refused({.name = "s", .secure = false, .same_site = http::same_site::none}));
    BOOST_TEST(!refused({.name = "s", .secure = false, .same_site = http::same_site::lax}));
    // Names, paths and domains that would break the header.
    BOOST_TEST(refused({.name = ""}));
    BOOST_TEST(refused({.name = "a b"}));
    BOOST_TEST(refused({.name = "a;b"}));
    BOOST_TEST(refused({.name = "a=b"}));
    BOOST_TEST(refused({.name = "s", .path = "/a;Domain=evil"}));
    BOOST_TEST(refused({.name = "s", .path = "relative"}));
    BOOST_TEST(refused({.name = "s", .domain = "evil.com; Secure"}));
    BOOST_CHECK_THROW(http::cookie_policy({.name = "__Host-s", .path = "/app"}), tessera::error);
    BOOST_CHECK_NO_THROW(http::cookie_policy{});
}

BOOST_AUTO_TEST_CASE(values_that_cannot_travel_are_refused)
{
    const http::cookie_policy session{};
    for (const std::string& bad : std::vector<std::string>{"a b", "a;b", "a,b", "a\"b", "a\\b", "a\x7f", "caf\xc3\xa9",
                                                         std::string("a\0b", 3)})
        BOOST_TEST(outcome(session.set_cookie(bad)) == "malformed");
    BOOST_TEST(outcome(session.set_cookie(std::string(4096 - 14, 'a'))) == "ok");
    BOOST_TEST(outcome(session.set_cookie(std::string(4096 - 13, 'a'))) == "malformed");
    BOOST_TEST(outcome(session.set_cookie("")) == "ok");
}

BOOST_AUTO_TEST_CASE(parses_well_formed_headers)
{
    auto pairs = http::parse_cookie_header("a=1; b=2;c=3 ;  d=\"4\"; e=");
    BOOST_TEST_REQUIRE(pairs.size() == 5u);
    BOOST_TEST(pairs[0].name == "a");
    BOOST_TEST(pairs[1].value == "2");
    BOOST_TEST(pairs[2].name == "c");
    BOOST_TEST(pairs[2].value == "3");
    BOOST_TEST(pairs[3].value == "4");
    BOOST_TEST(pairs[4].value == "");
    auto session = http::find_cookie("theme=dark; __Host-session=abc123; lang=en", "__Host-session");
    BOOST_TEST_REQUIRE(outcome(session) == "ok");
    BOOST_TEST(session->value() == "abc123");
    BOOST_TEST(!http::find_cookie("theme=dark", "__Host-session")->has_value());
}

BOOST_AUTO_TEST_CASE(survives_malformed_headers)
{
    // Each is junk a client (or an attacker) can send; none may throw, and none yields the session.
    const std::string malformed[] = {
        "",
        ";",
        ";;;;",
        "=",
        "=abc",
        "__Host-session",
        "__Host-session abc",
        "__Host-session=a b",
        "__Host-session=a,b",
        "__Host-session=\"abc",
        "__Host-session=a\"bc",
        "__Host-session=a\\bc",
        "__Host-sess ion=abc",
        "__Host-session=\x01\x02",
        "__Host-session=caf\xc3\xa9",
        std::string("__Host-session=a\0b", 18),
        "__Host-session=" + std::string(5000, 'a'),
        std::string(20000, ';') + "__Host-session=abc",
        "__Host-session=abc; " + std::string(20000, 'x'),
        "\xff\xfe\xfd=abc",
    };
    int checked = 0;
    for (const auto& header : malformed) {
        BOOST_CHECK_NO_THROW(http::parse_cookie_header(header));
        auto found = http::find_cookie(header, "__Host-session");
        BOOST_TEST((!found || !found->has_value()), "header " << checked << " yielded a session");
        ++checked;
    }
    // Junk around a good pair does not hide it.
    auto found = http::find_cookie("junk; =x; a b=c; __Host-session=good; x=\"", "__Host-session");
    BOOST_TEST_REQUIRE(outcome(found) == "ok");
    BOOST_TEST(found->value() == "good");
}

BOOST_AUTO_TEST_CASE(duplicates_with_different_values_are_ambiguous)
{
    BOOST_TEST(outcome(http::find_cookie("__Host-session=a; __Host-session=b", "__Host-session")) == "malformed");
    BOOST_TEST(outcome(http::find_cookie("__Host-session=a; x=1; __Host-session=\"a\"", "__Host-session")) == "ok");
    // Names are case-sensitive: a different name is a different cookie.
    auto found = http::find_cookie("__host-session=evil; __Host-session=good", "__Host-session");
    BOOST_TEST(found->value() == "good");
}

BOOST_AUTO_TEST_SUITE_END()
