// SPDX-License-Identifier: BSL-1.0
// The framework-neutral HTTP layer: a request's credential found as RFC 6750 says, refused when it is
// ambiguous, and every refusal answered with its status and challenge.

#include "faulty_store.hpp"
#include "store_fixtures.hpp"
#include "support.hpp"

#include <tessera/authenticator.hpp>
#include <tessera/http/answer.hpp>
#include <tessera/http/credential.hpp>
#include <tessera/http/guard.hpp>
#include <tessera/http/login.hpp>
#include <tessera/http/request.hpp>

#include <boost/test/unit_test.hpp>

#include <initializer_list>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using namespace test::suite;
namespace http = tessera::http;
using tessera::errc;

namespace {

/// A GET of /api/me with `fields`.
struct get_request {
    std::vector<http::header_field> fields;
    get_request(std::initializer_list<http::header_field> f) : fields(f) {}
    [[nodiscard]] http::request_view view() const { return {"GET", "/api/me", fields}; }
};

/// What `find_credential` makes of `fields`, as "<carrier>:<value>" or the error's name.
std::string credential_of(std::initializer_list<http::header_field> fields, std::string_view cookie = "__Host-session")
{
    const get_request r{fields};
    auto c = http::find_credential(r.view(), cookie);
    if (!c)
        return tessera::to_string(c.error());
    switch (c->carrier) {
    case http::carrier::none: return "none";
    case http::carrier::bearer: return "bearer:" + std::string{c->value};
    case http::carrier::cookie: return "cookie:" + std::string{c->value};
    }
    return "?";
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_layer)

// RFC 6750 §2.1: `Bearer` without case, one or more spaces, one b64token and nothing else.
BOOST_AUTO_TEST_CASE(a_bearer_token_is_read_as_rfc_6750_writes_it)
{
    BOOST_TEST(credential_of({{"Authorization", "Bearer eyJ.abc-_~+/=="}}) == "bearer:eyJ.abc-_~+/==");
    BOOST_TEST(credential_of({{"authorization", "bEaReR  tok"}}) == "bearer:tok"); // names and scheme: no case
    BOOST_TEST(credential_of({}) == "none");
    BOOST_TEST(credential_of({{"Authorization", "Basic dXNlcjpwYXNz"}}) == "none"); // not a bearer credential
    BOOST_TEST(credential_of({{"Authorization", "Bearertok"}}) == "none");
    for (const std::string_view bad : {"Bearer", "Bearer ", "Bearer\ttok", "Bearer a b", "Bearer a,b", "Bearer =abc",
                                       "Bearer a=b", "Bearer tok\"", "Bearer t\xc3\xa9"})
        BOOST_TEST(credential_of({{"Authorization", bad}}) == "invalid_request", bad);
    const std::string huge = "Bearer " + std::string(http::max_authorization_size, 'a');
    BOOST_TEST(credential_of({{"Authorization", huge}}) == "invalid_request");
    // Two Authorization fields: which one a proxy read is not for tessera to guess, even if they agree.
    BOOST_TEST(credential_of({{"Authorization", "Bearer a"}, {"Authorization", "Bearer a"}}) == "invalid_request");
    BOOST_TEST(credential_of({{"Authorization", "Bearer a"}, {"authorization", "Basic b"}}) == "invalid_request");
}

BOOST_AUTO_TEST_CASE(a_cookie_credential_is_found_and_never_guessed)
{
    BOOST_TEST(credential_of({{"Cookie", "theme=dark; __Host-session=abc"}}) == "cookie:abc");
    BOOST_TEST(credential_of({{"Cookie", "theme=dark"}}) == "none");
    // HTTP/2 may split the header: the fields are read together.
    BOOST_TEST(credential_of({{"Cookie", "theme=dark"}, {"cookie", "__Host-session=abc"}}) == "cookie:abc");
    BOOST_TEST(credential_of({{"Cookie", "__Host-session=abc"}, {"Cookie", "__Host-session=abc"}}) == "cookie:abc");
    // Two values (a sibling host planted one): refused, in one field or across two.
    BOOST_TEST(credential_of({{"Cookie", "__Host-session=abc; __Host-session=evil"}}) == "invalid_request");
    BOOST_TEST(credential_of({{"Cookie", "__Host-session=abc"}, {"Cookie", "__Host-session=evil"}}) ==
               "invalid_request");
    // A scheme without a cookie does not look at cookies.
    BOOST_TEST(credential_of({{"Cookie", "__Host-session=abc"}}, "") == "none");
}

// RFC 6750 §2: one method per request. Sent both ways, even with the same value, a credential is refused.
BOOST_AUTO_TEST_CASE(a_credential_sent_two_ways_is_refused)
{
    BOOST_TEST(credential_of({{"Authorization", "Bearer abc"}, {"Cookie", "__Host-session=abc"}}) ==
               "invalid_request");
    BOOST_TEST(credential_of({{"Authorization", "Bearer abc"}, {"Cookie", "__Host-session=xyz"}}) ==
               "invalid_request");
    BOOST_TEST(credential_of({{"Authorization", "Bearer abc"}, {"Cookie", "other=xyz"}}) == "bearer:abc");
}

BOOST_AUTO_TEST_CASE(single_fields_are_single)
{
    const get_request r{{"Origin", "https://a.example"}, {"origin", "https://b.example"}, {"Sec-Fetch-Site", "none"}};
    BOOST_TEST(http::field_count(r.view(), "ORIGIN") == 2u);
    BOOST_TEST(outcome(http::single_field(r.view(), "Origin")) == "invalid_request");
    BOOST_TEST(http::field_or_empty(r.view(), "Origin").empty());
    BOOST_TEST(http::field_or_empty(r.view(), "sec-fetch-site") == "none");
    BOOST_TEST(!*http::single_field(r.view(), "Referer"));
}

// Every outcome's status and challenge, as the table in answer.hpp (and README) says.
BOOST_AUTO_TEST_CASE(every_refusal_has_its_status_and_challenge)
{
    const http::challenge api{"api"};
    const auto missing = api.missing();
    BOOST_TEST(missing.status == 401);
    BOOST_TEST(missing.www_authenticate == "Bearer realm=\"api\""); // no error code (RFC 6750 §3.1)

    // Every refusal of a credential reads the same, but an expiry.
    for (auto e : {errc::bad_signature, errc::wrong_issuer, errc::wrong_audience, errc::revoked, errc::unknown_session,
                   errc::refresh_reused, errc::malformed, errc::algorithm_mismatch, errc::unsupported_algorithm}) {
        const auto r = api.refuse(e);
        BOOST_TEST(r.status == 401, tessera::to_string(e));
        BOOST_TEST(r.www_authenticate == "Bearer realm=\"api\", error=\"invalid_token\"", tessera::to_string(e));
        BOOST_TEST(!r.clear_cookie);
    }
    BOOST_TEST(api.refuse(errc::expired).www_authenticate ==
               "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"The access token expired\"");
    BOOST_TEST(api.refuse(errc::invalid_request).status == 400);
    BOOST_TEST(api.refuse(errc::invalid_request).www_authenticate == "Bearer realm=\"api\", error=\"invalid_request\"");
    BOOST_TEST(api.refuse(errc::csrf_mismatch).status == 403);
    BOOST_TEST(api.refuse(errc::csrf_mismatch).www_authenticate.empty());
    const auto throttled = api.refuse(errc::rate_limited, http::carrier::bearer, 42s);
    BOOST_TEST(throttled.status == 429);
    BOOST_TEST(throttled.retry_after.value_or(0s).count() == 42);
    // A store down is never a 401: a client would throw its good tokens away.
    for (const std::error_code ec : {make_error_code(errc::store_unavailable), make_error_code(errc::store_full),
                                     make_error_code(tessera::store_failure::timeout)}) {
        const auto r = api.refuse(ec);
        BOOST_TEST(r.status == 503);
        BOOST_TEST(r.www_authenticate.empty());
        BOOST_TEST(!r.clear_cookie);
    }
    BOOST_TEST(api.refuse(errc::invalid_configuration).status == 500);
    BOOST_TEST(api.refuse(std::make_error_code(std::errc::io_error)).status == 500);

    // A cookie-carried credential: no challenge, and a refused one is cleared; an outage clears nothing.
    const auto ended = api.refuse(errc::unknown_session, http::carrier::cookie);
    BOOST_TEST(ended.status == 401);
    BOOST_TEST(ended.www_authenticate.empty());
    BOOST_TEST(ended.clear_cookie);
    BOOST_TEST(!api.refuse(errc::store_unavailable, http::carrier::cookie).clear_cookie);
    BOOST_TEST(api.refuse(errc::invalid_request, http::carrier::cookie).www_authenticate.empty());
}

BOOST_AUTO_TEST_CASE(a_realm_is_checked_once)
{
    for (const std::string& bad : std::vector<std::string>{"", "a\"b", "a\\b", "a\nb", std::string(257, 'r')})
        BOOST_CHECK_EXCEPTION(http::challenge{bad}, tessera::error,
                              [](const tessera::error& e) { return e.code() == errc::invalid_configuration; });
    BOOST_TEST(http::challenge{"tessera demo"}.missing().www_authenticate == "Bearer realm=\"tessera demo\"");
}

namespace {

/// A request of `method` with `fields`, as the guard sees it.
struct any_request {
    std::string method;
    std::vector<http::header_field> fields;
    [[nodiscard]] http::request_view view() const { return {method, "/api/me", fields}; }
};

/// What a guard decided, as "<subject>" or "<status> <challenge>".
template <class Guard>
std::string verdict_of(const Guard& g, const any_request& r)
{
    auto v = g.check(r.view());
    if (v)
        return v->subject;
    return std::to_string(v.answer.status) + (v.answer.www_authenticate.empty() ? "" : " " + v.answer.www_authenticate) +
           (v.answer.clear_cookie ? " (clear)" : "");
}

const auto csrf_key = tessera::secret::from_text("0123456789abcdef0123456789abcdef");

} // namespace

// A bearer scheme: each outcome's status and challenge, the store's outage a 503.
BOOST_AUTO_TEST_CASE(a_guard_answers_a_bearer_scheme)
{
    test::memory_fixture f;
    test::faulty_store store{f.store};
    tessera::authenticator<decltype(store), jwt::hs256, tessera::deny_list, tessera::manual_clock> api{
        store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    const http::guard guard{api, {.realm = "api"}};
    const auto token = must(api.issue("ada")).access_token;
    const auto bearer = [](const std::string& t) { return http::header_field{"Authorization", "Bearer " + t}; };
    std::string auth_value = "Bearer " + token;
    BOOST_TEST(verdict_of(guard, {"GET", {{"Authorization", auth_value}}}) == "ada");
    BOOST_TEST(verdict_of(guard, {"GET", {}}) == "401 Bearer realm=\"api\"");
    std::string tampered = auth_value;
    tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
    BOOST_TEST(verdict_of(guard, {"GET", {{"Authorization", tampered}}}) ==
               "401 Bearer realm=\"api\", error=\"invalid_token\"");
    BOOST_TEST(verdict_of(guard, {"GET", {{"Authorization", "Bearer a b"}}}) ==
               "400 Bearer realm=\"api\", error=\"invalid_request\"");
    // A bearer scheme reads no cookie: the same token in one is not a credential sent two ways.
    BOOST_TEST(verdict_of(guard, {"POST", {{"Authorization", auth_value}, {"Cookie", "__Host-session=" + token}}}) ==
               "ada");
    store.break_down();
    BOOST_TEST(verdict_of(guard, {"GET", {{"Authorization", auth_value}}}) == "503");
    store.heal();
    must(api.revoke(token));
    BOOST_TEST(verdict_of(guard, {"GET", {{"Authorization", auth_value}}}) ==
               "401 Bearer realm=\"api\", error=\"invalid_token\"");
    f.clock.advance(2h);
    const auto late = must(api.issue("ada")).access_token;
    f.clock.advance(2h);
    BOOST_TEST(verdict_of(guard, {"GET", {{"Authorization", "Bearer " + late}}}) ==
               "401 Bearer realm=\"api\", error=\"invalid_token\", error_description=\"The access token expired\"");
    (void)bearer;
}

// The whole check of a request costs what its principal keeps: the session's handle; the JWT's text and id.
BOOST_AUTO_TEST_CASE(a_guards_check_allocates_only_what_its_principal_keeps)
{
    test::memory_fixture f;
    tessera::session_authenticator<decltype(f.store), tessera::manual_clock> web{f.store, {}, f.clock};
    const http::csrf_tokens csrf{csrf_key};
    const http::guard pages{web, {.realm = "app", .cookie = http::cookie_options{}, .origins = {{"https://app.example"}}},
                            &csrf};
    const std::string cookie = "theme=dark; __Host-session=" + must(web.issue("bo")).access_token + "; lang=en";
    const std::vector<http::header_field> with_cookie{{"Host", "app.example"}, {"Cookie", cookie}};
    const http::request_view page{"GET", "/api/me", with_cookie};
    BOOST_TEST_REQUIRE(pages.check(page).principal.has_value());
    bool seen = false;
    BOOST_TEST(allocations_of([&] { seen = pages.check(page).principal->subject == "bo"; }) == 1);
    BOOST_TEST(seen);

    tessera::authenticator<decltype(f.store), jwt::hs256, tessera::all_of<tessera::deny_list, tessera::token_version>,
                           tessera::manual_clock>
        api{f.store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock};
    const http::guard calls{api, {.realm = "api"}};
    const std::string bearer = "Bearer " + must(api.issue("ada")).access_token;
    const std::vector<http::header_field> with_bearer{{"Host", "api.example"}, {"Authorization", bearer}};
    const http::request_view call{"GET", "/api/me", with_bearer};
    BOOST_TEST_REQUIRE(calls.check(call).principal.has_value());
    BOOST_TEST(allocations_of([&] { seen = calls.check(call).principal->subject == "ada"; }) == 2);
    BOOST_TEST(seen);
}

// A cookie scheme: the cookie or a bearer header, never both; an unsafe request from another site is
// refused before the store is asked, and one without the session's CSRF token after.
BOOST_AUTO_TEST_CASE(a_guard_keeps_a_cookie_scheme_from_other_sites)
{
    test::memory_fixture f;
    test::faulty_store store{f.store};
    tessera::session_authenticator<decltype(store), tessera::manual_clock> web{store, {}, f.clock};
    const http::csrf_tokens csrf{csrf_key};
    const http::guard guard{web,
                            {.realm = "app", .cookie = http::cookie_options{},
                             .origins = {{"https://app.example"}}},
                            &csrf};
    const auto id = must(web.issue("bo")).access_token;
    const auto handle = must(web.authenticate(id)).id;
    const std::string cookie = "__Host-session=" + id;
    const auto token = csrf.issue(handle);
    BOOST_TEST(verdict_of(guard, {"GET", {{"Cookie", cookie}}}) == "bo");
    BOOST_TEST(verdict_of(guard, {"GET", {{"Authorization", "Bearer " + id}}}) == "bo"); // a client that is no browser
    BOOST_TEST(verdict_of(guard, {"GET", {{"Authorization", "Bearer " + id}, {"Cookie", cookie}}}) ==
               "400 Bearer realm=\"app\", error=\"invalid_request\"");
    // Unsafe requests: from the site with its token; refused from elsewhere, or without the token.
    BOOST_TEST(verdict_of(guard, {"POST", {{"Cookie", cookie}, {"Sec-Fetch-Site", "same-origin"}, {"X-CSRF-Token", token}}}) ==
               "bo");
    BOOST_TEST(verdict_of(guard, {"POST", {{"Cookie", cookie}, {"Origin", "https://app.example"}, {"x-csrf-token", token}}}) ==
               "bo");
    store.clear_log();
    BOOST_TEST(verdict_of(guard, {"POST", {{"Cookie", cookie}, {"Sec-Fetch-Site", "cross-site"}, {"X-CSRF-Token", token}}}) ==
               "403");
    BOOST_TEST(verdict_of(guard, {"POST", {{"Cookie", cookie}, {"Origin", "https://evil.example"}, {"X-CSRF-Token", token}}}) ==
               "403");
    BOOST_TEST(verdict_of(guard, {"POST", {{"Cookie", cookie}, {"X-CSRF-Token", token}}}) == "403"); // no origin at all
    BOOST_TEST(store.log().empty()); // none of them cost a lookup
    BOOST_TEST(verdict_of(guard, {"POST", {{"Cookie", cookie}, {"Sec-Fetch-Site", "same-origin"}}}) == "403");
    BOOST_TEST(verdict_of(guard, {"POST", {{"Cookie", cookie}, {"Sec-Fetch-Site", "same-origin"},
                                           {"X-CSRF-Token", csrf.issue("another session")}}}) == "403");
    BOOST_TEST(verdict_of(guard, {"POST", {{"Cookie", cookie}, {"Sec-Fetch-Site", "same-origin"},
                                           {"X-CSRF-Token", token}, {"X-CSRF-Token", token}}}) == "403");
    // A bearer-carried session id needs no CSRF token: no other site can make a browser send it.
    BOOST_TEST(verdict_of(guard, {"POST", {{"Authorization", "Bearer " + id}}}) == "bo");
    // Ended, or its store down: cleared, or kept for when the store is back.
    store.break_down();
    BOOST_TEST(verdict_of(guard, {"GET", {{"Cookie", cookie}}}) == "503");
    store.heal();
    must(web.revoke(id));
    BOOST_TEST(verdict_of(guard, {"GET", {{"Cookie", cookie}}}) == "401 (clear)");
    BOOST_TEST(verdict_of(guard, {"GET", {}}) == "401 Bearer realm=\"app\"");
    BOOST_CHECK_EXCEPTION((http::guard{web, {.cookie = http::cookie_options{}}}), tessera::error,
                          [](const tessera::error& e) { return e.code() == errc::invalid_configuration; });
}

BOOST_AUTO_TEST_CASE(a_login_body_is_read_strictly)
{
    BOOST_TEST(must(http::parse_login(R"({"username":"ada","password":"pw"})")).username == "ada");
    BOOST_TEST(must(http::parse_login(R"( {"password":"pw","username":"ada"} )")).password == "pw");
    for (const std::string& bad : std::vector<std::string>{
             "", "[]", "{}", R"({"username":"ada"})", R"({"username":"ada","password":"pw","admin":true})",
             R"({"username":"ada","password":"pw","password":"other"})", R"({"username":1,"password":"pw"})",
             R"({"username":"","password":"pw"})", R"({"username":"ada","password":""})",
             R"({"username":"ada","password":"pw"} x)", "{\"username\":\"\xff\",\"password\":\"pw\"}",
             R"({"username":"ada","password":")" + std::string(tessera::max_password_size + 1, 'p') + "\"}",
             R"({"username":"ada","password":"pw"})" + std::string(http::max_login_body_size, ' ')})
        BOOST_TEST(outcome(http::parse_login(bad)) == "invalid_request", bad.substr(0, 60));
}

// The login flow: a throttled attempt waits without Argon2 and says how long; a body that is no login
// counts nothing; a good one issues.
BOOST_AUTO_TEST_CASE(a_login_throttles_checks_and_issues)
{
    test::memory_fixture f;
    tessera::session_authenticator<decltype(f.store), tessera::manual_clock> web{f.store, {}, f.clock};
    static const tessera::password_hasher hasher{};
    tessera::login_throttle throttle{f.store, {.free_attempts = 2, .base_delay = 30s}, f.clock};
    const auto stored = hasher.hash("correct horse battery");
    const auto users = [&](std::string_view name) -> std::optional<std::string> {
        return name == "cy" ? std::optional<std::string>{stored} : std::nullopt;
    };
    const auto login = [&](std::string_view body) {
        return http::log_in(web, hasher, throttle, body, "192.0.2.1", users, {.user_agent = "test", .ip = "192.0.2.1"});
    };
    auto in = login(R"({"username":"cy","password":"correct horse battery"})");
    BOOST_TEST_REQUIRE(static_cast<bool>(in));
    BOOST_TEST(in.subject == "cy");
    BOOST_TEST(must(web.authenticate(in->access_token)).subject == "cy");
    BOOST_TEST(tessera::to_string(login("not json").error) == "invalid_request");
    BOOST_TEST(tessera::to_string(login(R"({"username":"cy","password":"wrong"})").error) == "bad_credentials");
    // The client's second failure (an unknown user counts alike) locks it for the base delay.
    BOOST_TEST(tessera::to_string(login(R"({"username":"nobody","password":"x"})").error) == "bad_credentials");
    auto locked = login(R"({"username":"cy","password":"correct horse battery"})");
    BOOST_TEST(tessera::to_string(locked.error) == "rate_limited");
    BOOST_TEST(locked.retry_after.value_or(0s).count() == 30);
    f.clock.advance(10s);
    BOOST_TEST(login(R"({"username":"cy","password":"correct horse battery"})").retry_after.value_or(0s).count() == 20);
    const auto answer = http::challenge{"app"}.refuse(locked.error, http::carrier::none, locked.retry_after);
    BOOST_TEST(answer.status == 429);
    BOOST_TEST(answer.www_authenticate.empty());
    BOOST_TEST(http::challenge{"app"}.refuse(make_error_code(errc::bad_credentials), http::carrier::none)
                   .www_authenticate.empty());
    f.clock.advance(21s);
    BOOST_TEST(static_cast<bool>(login(R"({"username":"cy","password":"correct horse battery"})")));
}

namespace {

/// A login's world over a store that injects faults: a session scheme and a throttle sharing it.
struct login_world {
    test::memory_fixture f;
    test::faulty_store<decltype(f.store)> store{f.store};
    tessera::session_authenticator<decltype(store), tessera::manual_clock> web{store, {}, f.clock};
    tessera::login_throttle<decltype(store), tessera::manual_clock> throttle{store, {.free_attempts = 1}, f.clock};
};

const tessera::password_hasher& login_hasher()
{
    static const tessera::password_hasher hasher{};
    return hasher;
}

const std::string& stored_hash()
{
    static const std::string hash = login_hasher().hash("correct horse battery");
    return hash;
}

http::login_outcome log_in_as(login_world& w, std::string_view password)
{
    const auto body = boost::json::serialize(boost::json::object{{"username", "cy"}, {"password", password}});
    return http::log_in(w.web, login_hasher(), w.throttle, body, "192.0.2.1",
                        [](std::string_view name) {
                            return name == "cy" ? std::optional<std::string>{stored_hash()} : std::nullopt;
                        },
                        {.ip = "192.0.2.1"});
}

/// Runs `op` clean to count its store calls (and name them), then once with each fault at each of them;
/// `check` judges, told the fault, the call it hit (1-based) and the clean run's calls.
template <class Op, class Check>
void login_fault_matrix(Op op, Check check)
{
    std::size_t calls = 0;
    {
        login_world w;
        const auto before = w.store.calls();
        op(w);
        calls = w.store.calls() - before;
    }
    BOOST_TEST_REQUIRE(calls >= 2u);
    std::vector<std::string> clean;
    {
        login_world w;
        op(w);
        clean = w.store.log();
    }
    for (auto kind : {test::fault::fail, test::fault::drop_reply}) {
        for (std::size_t at = 1; at <= calls; ++at) {
            BOOST_TEST_CONTEXT((kind == test::fault::fail ? "fail" : "drop_reply") << " at call " << at << " of " << calls)
            {
                login_world w;
                w.store.arm(at, kind);
                auto first = op(w);
                BOOST_TEST_REQUIRE((w.store.injected() == std::vector<test::fault>{kind}));
                w.store.heal();
                check(w, first, kind, at, clean);
            }
        }
    }
}

} // namespace

// A right password with a fault at each store call (the throttle's check, its reset, the session's writes):
// the answer is the login or 503, never 401 or 429; the client's retry logs in; and exactly no failure was
// counted (with one free attempt, the next wrong password is the first failure, and only then a wait).
BOOST_AUTO_TEST_CASE(a_login_with_a_fault_at_every_store_call_then_retry)
{
    login_fault_matrix([](login_world& w) { return log_in_as(w, "correct horse battery"); },
                       [](login_world& w, http::login_outcome& first, test::fault, std::size_t,
                          const std::vector<std::string>&) {
                           if (!first) { // never 401: a fault is not a wrong password
                               BOOST_TEST(tessera::to_string(first.error) == "store_unavailable");
                               BOOST_TEST(http::challenge{"app"}.refuse(first.error, http::carrier::none).status == 503);
                           }
                           auto retry = first ? std::move(first) : log_in_as(w, "correct horse battery");
                           BOOST_TEST_REQUIRE(static_cast<bool>(retry));
                           BOOST_TEST(must(w.web.authenticate(retry->access_token)).subject == "cy");
                           BOOST_TEST(tessera::to_string(log_in_as(w, "wrong").error) == "bad_credentials");
                           BOOST_TEST(tessera::to_string(log_in_as(w, "correct horse battery").error) == "rate_limited");
                       });
}

// A wrong password with a fault at each store call (the two locks read; per key, the failure counted, then
// the lock written): every fault is 503, never a 401 that counted nothing. The client's retry is held back
// exactly when the subject's lock was written (before the fault, or by the call whose answer was lost);
// otherwise it is a wrong password again, whose lock then follows (a failure counted without its lock still
// counts: the next one locks for twice as long). Either way the right password then waits.
BOOST_AUTO_TEST_CASE(a_wrong_password_with_a_fault_at_every_store_call_then_retry)
{
    login_fault_matrix([](login_world& w) { return log_in_as(w, "wrong"); },
                       [](login_world& w, http::login_outcome& first, test::fault kind, std::size_t at,
                          const std::vector<std::string>& clean) {
                           BOOST_TEST_REQUIRE((clean == std::vector<std::string>{"get", "get", "increment", "put",
                                                                                 "increment", "put"}));
                           const std::size_t subject_lock = 4;
                           const bool locked = at > subject_lock || (at == subject_lock && kind == test::fault::drop_reply);
                           BOOST_TEST(tessera::to_string(first.error) == "store_unavailable");
                           auto retry = log_in_as(w, "wrong");
                           BOOST_TEST(tessera::to_string(retry.error) == (locked ? "rate_limited" : "bad_credentials"));
                           auto held = log_in_as(w, "correct horse battery");
                           BOOST_TEST(tessera::to_string(held.error) == "rate_limited");
                           BOOST_TEST(held.retry_after.value_or(0s).count() >= 1);
                       });
}

// A password change with a fault at each store call of the current password's check: 503 or the new hash;
// the retry gives a hash of the new password; the current password is never counted as wrong.
BOOST_AUTO_TEST_CASE(a_password_change_with_a_fault_at_every_store_call_then_retry)
{
    const auto change = [](login_world& w) {
        return tessera::change_password(login_hasher(), w.throttle, "cy", "192.0.2.1", "correct horse battery",
                                        stored_hash(), "a much longer new passphrase");
    };
    login_fault_matrix(change, [&](login_world& w, tessera::result<std::string>& first, test::fault, std::size_t,
                                   const std::vector<std::string>&) {
        BOOST_TEST((outcome(first) == "ok" || outcome(first) == "store_unavailable"));
        auto hash = first ? *first : must(change(w));
        BOOST_TEST(login_hasher().verify("a much longer new passphrase", hash));
        BOOST_TEST(!login_hasher().verify("correct horse battery", hash));
        BOOST_TEST(static_cast<bool>(log_in_as(w, "correct horse battery")));
    });
}

BOOST_AUTO_TEST_SUITE_END()
