// SPDX-License-Identifier: BSL-1.0
// CSRF: the origin check's every branch, and signed double-submit tokens.

#include "support.hpp"

#include <tessera/http/csrf.hpp>

#include <boost/test/unit_test.hpp>

using test::outcome;
namespace http = tessera::http;

namespace {

const http::origin_policy policy{.trusted_origins = {"https://app.example.com", "http://localhost:8080"}};

std::string check(http::request_origin r, const http::origin_policy& p = policy)
{
    return outcome(http::check_origin(r, p));
}

} // namespace

BOOST_AUTO_TEST_SUITE(csrf)

BOOST_AUTO_TEST_CASE(fetch_metadata_first)
{
    BOOST_TEST(check({.method = "POST", .sec_fetch_site = "same-origin"}) == "ok");
    BOOST_TEST(check({.method = "POST", .sec_fetch_site = "none"}) == "ok");
    BOOST_TEST(check({.method = "POST", .sec_fetch_site = "cross-site"}) == "csrf_mismatch");
    BOOST_TEST(check({.method = "POST", .sec_fetch_site = "same-site"}) == "csrf_mismatch");
    BOOST_TEST(check({.method = "POST", .sec_fetch_site = "same-site"},
                     {.trusted_origins = {}, .allow_same_site = true}) == "ok");
    // Fetch Metadata decides even when Origin looks trusted.
    BOOST_TEST(check({.method = "POST", .sec_fetch_site = "cross-site", .origin = "https://app.example.com"}) ==
               "csrf_mismatch");
    BOOST_TEST(check({.method = "POST", .sec_fetch_site = "bogus"}) == "csrf_mismatch");
}

BOOST_AUTO_TEST_CASE(exact_origin_then_referer)
{
    BOOST_TEST(check({.method = "POST", .origin = "https://app.example.com"}) == "ok");
    BOOST_TEST(check({.method = "DELETE", .origin = "http://localhost:8080"}) == "ok");
    BOOST_TEST(check({.method = "POST", .origin = "https://app.example.com.attacker.com"}) == "csrf_mismatch");
    BOOST_TEST(check({.method = "POST", .origin = "http://app.example.com"}) == "csrf_mismatch");
    BOOST_TEST(check({.method = "POST", .origin = "https://app.example.com:8443"}) == "csrf_mismatch");
    BOOST_TEST(check({.method = "POST", .origin = "null"}) == "csrf_mismatch");
    BOOST_TEST(check({.method = "POST", .referer = "https://app.example.com/settings?tab=1"}) == "ok");
    BOOST_TEST(check({.method = "POST", .referer = "https://app.example.com"}) == "ok");
    BOOST_TEST(check({.method = "POST", .referer = "https://app.example.com.attacker.com/x"}) == "csrf_mismatch");
    BOOST_TEST(check({.method = "POST", .referer = "https://attacker.com/https://app.example.com"}) ==
               "csrf_mismatch");
    BOOST_TEST(check({.method = "POST", .referer = "not a url"}) == "csrf_mismatch");
}

BOOST_AUTO_TEST_CASE(no_evidence_refuses_unsafe_methods)
{
    BOOST_TEST(check({.method = "POST"}) == "csrf_mismatch");
    BOOST_TEST(check({.method = "PUT"}) == "csrf_mismatch");
    BOOST_TEST(check({.method = "PATCH"}) == "csrf_mismatch");
    BOOST_TEST(check({.method = "GET"}) == "ok");
    BOOST_TEST(check({.method = "HEAD", .sec_fetch_site = "cross-site"}) == "ok");
    BOOST_TEST(check({.method = "OPTIONS"}) == "ok");
}

BOOST_AUTO_TEST_CASE(tokens_are_bound_signed_and_constant_length)
{
    const http::csrf_tokens tokens{tessera::secret::from_text("0123456789abcdef0123456789abcdef")};
    const auto token = tokens.issue("session-handle-1");
    BOOST_TEST(token.size() == http::csrf_tokens::token_length);
    BOOST_TEST(outcome(tokens.verify(token, "session-handle-1")) == "ok");
    BOOST_TEST(tokens.issue("session-handle-1") != token); // fresh nonce each time
    // Another session (login rotates the binding), another key, a tampered or truncated token.
    BOOST_TEST(outcome(tokens.verify(token, "session-handle-2")) == "csrf_mismatch");
    const http::csrf_tokens other{tessera::secret::from_text("fedcba9876543210fedcba9876543210")};
    BOOST_TEST(outcome(other.verify(token, "session-handle-1")) == "csrf_mismatch");
    std::string tampered = token;
    tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
    BOOST_TEST(outcome(tokens.verify(tampered, "session-handle-1")) == "csrf_mismatch");
    BOOST_TEST(outcome(tokens.verify(token.substr(1), "session-handle-1")) == "csrf_mismatch");
    BOOST_TEST(outcome(tokens.verify("", "session-handle-1")) == "csrf_mismatch");
    BOOST_TEST(outcome(tokens.verify(std::string(token.size(), '='), "session-handle-1")) == "csrf_mismatch");
    // The naive double submit (token equals the cookie) is not what this checks.
    BOOST_TEST(outcome(tokens.verify("session-handle-1", "session-handle-1")) == "csrf_mismatch");
    BOOST_CHECK_THROW(http::csrf_tokens{tessera::secret::from_text("short")}, tessera::error);
}

BOOST_AUTO_TEST_SUITE_END()
