// SPDX-License-Identifier: BSL-1.0
// The framework-neutral HTTP layer: a request's credential found as RFC 6750 says, refused when it is
// ambiguous, and every refusal answered with its status and challenge.

#include "support.hpp"

#include <tessera/http/answer.hpp>
#include <tessera/http/credential.hpp>
#include <tessera/http/request.hpp>

#include <boost/test/unit_test.hpp>

#include <initializer_list>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using test::outcome;
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

BOOST_AUTO_TEST_SUITE_END()
