// SPDX-License-Identifier: BSL-1.0
// The Boost.Beast adapter: a Beast request read by the HTTP layer, and each refusal written into a
// Beast response as the layer decides it.

#include "store_fixtures.hpp"
#include "support.hpp"

#include <tessera/authenticator.hpp>
#include <tessera/beast.hpp>

#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using namespace test::suite;
namespace bhttp = boost::beast::http;

namespace {

using request_t = bhttp::request<bhttp::string_body>;
using response_t = bhttp::response<bhttp::string_body>;

request_t get(std::string target)
{
    return request_t{bhttp::verb::get, target, 11};
}

std::string header(const response_t& res, bhttp::field f)
{
    return std::string{res[f]};
}

std::string error_of(const response_t& res)
{
    return std::string{boost::json::parse(res.body()).as_object().at("error").as_string()};
}

} // namespace

BOOST_AUTO_TEST_SUITE(beast_adapter)

BOOST_AUTO_TEST_CASE(a_beast_request_is_an_http_request)
{
    auto req = get("/api/me?x=1");
    req.set("Authorization", "Bearer abc");
    req.insert("cookie", "a=1");
    req.insert("Cookie", "__Host-session=s");
    const tessera::beast::request_view view{req};
    static_assert(tessera::http::request<decltype(view)>);
    BOOST_TEST(view.method() == "GET");
    BOOST_TEST(view.target() == "/api/me?x=1");
    BOOST_TEST(tessera::http::field_count(view, "COOKIE") == 2u);
    BOOST_TEST(outcome(tessera::http::find_credential(view, "__Host-session")) == "invalid_request"); // two ways
    req.erase(bhttp::field::authorization);
    BOOST_TEST(must(tessera::http::find_credential(tessera::beast::request_view{req}, "__Host-session")).value == "s");
}

BOOST_AUTO_TEST_CASE(a_protected_handler_is_a_few_lines)
{
    test::memory_fixture f;
    tessera::jwt_authenticator<jwt::hs256, tessera::manual_clock> api{jwt::hmac_key<jwt::hs256>::generate(), named(),
                                                                      f.clock};
    const tessera::http::guard guard{api, {.realm = "api"}};
    const auto token = must(api.issue("ada")).access_token;
    const auto me = [&](const request_t& req) {
        response_t res{bhttp::status::ok, req.version()};
        if (auto p = tessera::beast::authenticate(guard, req, res))
            tessera::beast::json(res, {{"sub", p->subject}});
        return res;
    };
    auto req = get("/api/me");
    req.set(bhttp::field::authorization, "Bearer " + token);
    auto res = me(req);
    BOOST_TEST(res.result_int() == 200u);
    BOOST_TEST(res.body() == R"({"sub":"ada"})");
    BOOST_TEST(header(res, bhttp::field::cache_control) == "no-store");
    BOOST_TEST(header(res, bhttp::field::content_type) == "application/json");

    res = me(get("/api/me"));
    BOOST_TEST(res.result_int() == 401u);
    BOOST_TEST(header(res, bhttp::field::www_authenticate) == "Bearer realm=\"api\"");
    BOOST_TEST(error_of(res) == "unauthenticated");

    req.set(bhttp::field::authorization, "Bearer " + token + "x");
    res = me(req);
    BOOST_TEST(res.result_int() == 401u);
    BOOST_TEST(header(res, bhttp::field::www_authenticate) == "Bearer realm=\"api\", error=\"invalid_token\"");
    BOOST_TEST(error_of(res) == "invalid_token"); // not "bad_signature": the body tells no more than the challenge

    f.clock.advance(2h);
    req.set(bhttp::field::authorization, "Bearer " + token);
    res = me(req);
    BOOST_TEST(error_of(res) == "expired");

    req.insert(bhttp::field::authorization, "Bearer " + token);
    res = me(req);
    BOOST_TEST(res.result_int() == 400u);
    BOOST_TEST(error_of(res) == "invalid_request");
}

// A session cookie refused is cleared; a renewed one is sent again with its new lifetime; an outage
// clears nothing and is a 503.
BOOST_AUTO_TEST_CASE(the_session_cookie_follows_its_session)
{
    test::memory_fixture f;
    tessera::session_authenticator<decltype(f.store), tessera::manual_clock> web{
        f.store, {.session = {.idle_timeout = 600s, .absolute_timeout = 3600s, .renewal_interval = 60s}}, f.clock};
    const tessera::http::guard guard{web, {.realm = "app", .cookie = tessera::http::cookie_options{},
                                           .origins = {{"https://app.example"}}}};
    const auto id = must(web.issue("bo")).access_token;
    auto req = get("/api/me");
    req.set(bhttp::field::cookie, "__Host-session=" + id);
    response_t res{bhttp::status::ok, 11};
    BOOST_TEST(tessera::beast::authenticate(guard, req, res).has_value());
    BOOST_TEST(res.count(bhttp::field::set_cookie) == 0u); // nothing moved
    f.clock.advance(120s);
    res = response_t{bhttp::status::ok, 11};
    BOOST_TEST(tessera::beast::authenticate(guard, req, res).has_value());
    BOOST_TEST(header(res, bhttp::field::set_cookie) ==
               "__Host-session=" + id + "; Max-Age=600; Path=/; Secure; HttpOnly; SameSite=Lax");
    must(web.revoke(id));
    res = response_t{bhttp::status::ok, 11};
    BOOST_TEST(!tessera::beast::authenticate(guard, req, res).has_value());
    BOOST_TEST(res.result_int() == 401u);
    BOOST_TEST(header(res, bhttp::field::set_cookie).starts_with("__Host-session=; Max-Age=0"));
    BOOST_TEST(res.count(bhttp::field::www_authenticate) == 0u);
    // A cross-site POST: 403 before the store is asked.
    auto post = request_t{bhttp::verb::post, "/logout", 11};
    post.set(bhttp::field::cookie, "__Host-session=" + id);
    post.set("Sec-Fetch-Site", "cross-site");
    res = response_t{bhttp::status::ok, 11};
    BOOST_TEST(!tessera::beast::authenticate(guard, post, res).has_value());
    BOOST_TEST(res.result_int() == 403u);
    BOOST_TEST(error_of(res) == "forbidden");
}

BOOST_AUTO_TEST_SUITE_END()
