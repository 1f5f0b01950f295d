// SPDX-License-Identifier: BSL-1.0
// Security events: each event of the vocabulary from every scheme that can emit it, with exact counts
// and contents; a store that cannot answer, with its cause; no credential in any event of a full run
// (every scheme, every store); and the JSON-lines sink's lines.

#include "faulty_store.hpp"
#include "store_fixtures.hpp"
#include "support.hpp"

#include <tessera/authenticator.hpp>
#include <tessera/events/caep.hpp>
#include <tessera/events/json_lines.hpp>
#include <tessera/http/csrf.hpp>
#include <tessera/password/throttle.hpp>
#include <tessera/jwt/verify.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

using namespace test::suite;

namespace {

using clock_t_ = tessera::manual_clock;
using tessera::event_kind;

/// An event as a test keeps it.
struct recorded {
    std::string kind{}, scheme{}, subject{}, handle{}, user_agent{}, ip{};
    std::size_t count = 0;
    std::string error{};
    bool operator==(const recorded&) const = default;
};

std::ostream& operator<<(std::ostream& os, const recorded& r)
{
    return os << r.kind << "{" << r.scheme << "," << r.subject << "," << r.handle << "," << r.user_agent << ","
              << r.ip << "," << r.count << "," << r.error << "}";
}

/// A sink that keeps every event (its copies share one log).
struct recorder {
    struct shared {
        std::mutex mutex;
        std::vector<recorded> events;
    };
    std::shared_ptr<shared> log = std::make_shared<shared>();

    void operator()(const tessera::security_event& e) const noexcept
    {
        try {
            const std::lock_guard lock{log->mutex};
            log->events.push_back({std::string{to_string(e.kind)}, std::string{e.scheme}, std::string{e.subject},
                                   std::string{e.handle}, std::string{e.user_agent}, std::string{e.ip}, e.count,
                                   e.error ? tessera::describe(e.error) : std::string{}});
        } catch (...) {
        }
    }
    /// The events since the last call.
    std::vector<recorded> take() const
    {
        const std::lock_guard lock{log->mutex};
        return std::exchange(log->events, {});
    }
};

/// Both sinks at once.
struct both_sinks {
    recorder record;
    tessera::json_lines_events lines;
    void operator()(const tessera::security_event& e) const noexcept
    {
        record(e);
        lines(e);
    }
};

const tessera::session_context client{"Firefox/140", "203.0.113.7"};

} // namespace

BOOST_AUTO_TEST_SUITE(events)

BOOST_AUTO_TEST_CASE_TEMPLATE(the_session_scheme_reports_each_event_once, F, test::store_fixtures)
{
    F f;
    recorder sink;
    tessera::session_authenticator<decltype(f.store), clock_t_, recorder> web{f.store, {}, f.clock, sink};
    auto login = must(web.issue("ann", {}, client));
    const auto handle = must(web.sessions("ann"))[0].handle;
    BOOST_TEST(sink.take() == (std::vector<recorded>{{"session_created", "session", "ann", handle, client.user_agent,
                                                      client.ip}}));
    BOOST_TEST(web.authenticate(login.access_token).has_value());
    BOOST_TEST(sink.take().empty()); // a request that works says nothing
    auto rotated = must(web.refresh(login.access_token));
    const auto rotated_handle = must(web.sessions("ann"))[0].handle;
    BOOST_TEST(sink.take() == (std::vector<recorded>{{"session_rotated", "session", "ann", rotated_handle}}));
    BOOST_TEST(must(web.revoke(rotated.access_token)));
    BOOST_TEST(!must(web.revoke(rotated.access_token))); // not live: nothing ended, nothing said
    BOOST_TEST(sink.take() == (std::vector<recorded>{{"session_revoked", "session", "", rotated_handle}}));
    must(web.issue("ann"));
    must(web.issue("ann"));
    BOOST_TEST(must(web.revoke_all("ann")) == 2u);
    const auto after = sink.take();
    BOOST_TEST_REQUIRE(after.size() == 3u);
    BOOST_TEST(after[2] == (recorded{"revoked_everywhere", "session", "ann", "", "", "", 2}));
}

BOOST_AUTO_TEST_CASE(the_jwt_scheme_reports_revocations_and_revoked_tokens)
{
    test::memory_fixture f;
    recorder sink;
    tessera::authenticator<decltype(f.store), jwt::hs256, tessera::deny_list, clock_t_, recorder> api{
        f.store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock, sink};
    auto token = must(api.issue("bea"));
    const auto jti = must(api.authenticate(token.access_token)).id;
    BOOST_TEST(sink.take().empty()); // a JWT is not a session: issuing one and using it say nothing
    must(api.revoke(token.access_token));
    BOOST_TEST(sink.take() == (std::vector<recorded>{{"session_revoked", "jwt", "bea", jti}}));
    BOOST_TEST(outcome(api.authenticate(token.access_token)) == "revoked");
    BOOST_TEST(outcome(api.authenticate(token.access_token)) == "revoked");
    BOOST_TEST(sink.take() == (std::vector<recorded>{{"revoked_credential_presented", "jwt", "bea", jti},
                                                     {"revoked_credential_presented", "jwt", "bea", jti}}));

    tessera::authenticator<decltype(f.store), jwt::hs256, tessera::token_version, clock_t_, recorder> versions{
        f.store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock, sink};
    auto old = must(versions.issue("cid"));
    const auto old_jti = must(versions.authenticate(old.access_token)).id;
    BOOST_TEST(must(versions.revoke_all("cid")) == 0u);
    BOOST_TEST(outcome(versions.authenticate(old.access_token)) == "revoked");
    BOOST_TEST(sink.take() == (std::vector<recorded>{{"revoked_everywhere", "jwt", "cid", "", "", "", 0},
                                                     {"revoked_credential_presented", "jwt", "cid", old_jti}}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(the_hybrid_scheme_reports_rotation_and_reuse_with_the_client_of_the_login, F,
                              test::store_fixtures)
{
    F f;
    recorder sink;
    tessera::hybrid_authenticator<jwt::hs256, decltype(f.store), clock_t_, recorder> mobile{
        f.store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock, sink};
    auto login = must(mobile.issue("dee", {}, client));
    const auto family = must(mobile.sessions("dee"))[0].family;
    BOOST_TEST(sink.take() == (std::vector<recorded>{{"session_created", "hybrid", "dee", family, client.user_agent,
                                                      client.ip}}));
    auto next = must(mobile.refresh(login.refresh_token));
    BOOST_TEST(sink.take() == (std::vector<recorded>{{"refresh_rotated", "hybrid", "dee", family}}));
    // The first token again: someone holds a copy. The family ends, and the event names the device it was for.
    BOOST_TEST(outcome(mobile.refresh(login.refresh_token)) == "refresh_reused");
    BOOST_TEST(sink.take() == (std::vector<recorded>{{"refresh_reuse_detected", "hybrid", "dee", family,
                                                      client.user_agent, client.ip}}));
    BOOST_TEST(outcome(mobile.authenticate(next.access_token)) == "revoked");
    BOOST_TEST(sink.take() == (std::vector<recorded>{{"revoked_credential_presented", "hybrid", "dee", family}}));
    auto phone = must(mobile.issue("dee"));
    const auto phone_family = must(mobile.sessions("dee"))[0].family;
    must(mobile.revoke(phone.refresh_token));
    must(mobile.issue("dee"));
    BOOST_TEST(must(mobile.revoke_all("dee")) == 1u);
    const auto after = sink.take();
    BOOST_TEST_REQUIRE(after.size() == 4u);
    BOOST_TEST(after[1] == (recorded{"session_revoked", "hybrid", "", phone_family}));
    BOOST_TEST(after[3] == (recorded{"revoked_everywhere", "hybrid", "dee", "", "", "", 1}));
}

// A device logged out from the list is one `session_revoked`, naming its subject and what was listed; an id
// that ends nothing (another's, or already ended) says nothing.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_device_logged_out_from_the_list_is_reported_once, F, test::store_fixtures)
{
    F f;
    recorder sink;
    tessera::session_authenticator<decltype(f.store), clock_t_, recorder> web{f.store, {}, f.clock, sink};
    tessera::hybrid_authenticator<jwt::hs256, decltype(f.store), clock_t_, recorder> mobile{
        f.store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock, sink};
    must(web.issue("eve"));
    must(mobile.issue("eve"));
    const auto handle = must(web.sessions("eve"))[0].handle;
    const auto family = must(mobile.sessions("eve"))[0].family;
    (void)sink.take();
    BOOST_TEST(!must(web.revoke_session("fay", handle)));
    BOOST_TEST(!must(mobile.revoke_session("fay", family)));
    BOOST_TEST(must(web.revoke_session("eve", handle)));
    BOOST_TEST(must(mobile.revoke_session("eve", family)));
    BOOST_TEST(!must(mobile.revoke_session("eve", family)));
    BOOST_TEST(sink.take() == (std::vector<recorded>{{"session_revoked", "session", "eve", handle},
                                                     {"session_revoked", "hybrid", "eve", family}}),
               boost::test_tools::per_element());
}

// A store that cannot answer is one event per operation, on every scheme, with its cause.
BOOST_AUTO_TEST_CASE(a_store_that_cannot_answer_is_reported_with_its_cause)
{
    test::memory_fixture f;
    test::faulty_store store{f.store};
    recorder sink;
    tessera::session_authenticator<decltype(store), clock_t_, recorder> web{store, {}, f.clock, sink};
    tessera::authenticator<decltype(store), jwt::hs256, tessera::deny_list, clock_t_, recorder> api{
        store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock, sink};
    tessera::hybrid_authenticator<jwt::hs256, decltype(store), clock_t_, recorder> mobile{
        store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock, sink};
    auto session = must(web.issue("eve"));
    auto token = must(api.issue("eve"));
    auto device = must(mobile.issue("eve"));
    (void)sink.take();
    store.break_down();
    BOOST_TEST(outcome(web.authenticate(session.access_token)) == "store_unavailable");
    BOOST_TEST(outcome(api.authenticate(token.access_token)) == "store_unavailable");
    BOOST_TEST(outcome(mobile.authenticate(device.access_token)) == "store_unavailable");
    BOOST_TEST(outcome(mobile.refresh(device.refresh_token)) == "store_unavailable");
    BOOST_TEST(outcome(web.revoke_all("eve")) == "store_unavailable");
    const std::vector<recorded> unavailable{{"store_unavailable", "session", "", "", "", "", 0, "store_unavailable"},
                                            {"store_unavailable", "jwt", "", "", "", "", 0, "store_unavailable"},
                                            {"store_unavailable", "hybrid", "", "", "", "", 0, "store_unavailable"},
                                            {"store_unavailable", "hybrid", "", "", "", "", 0, "store_unavailable"},
                                            {"store_unavailable", "session", "", "", "", "", 0, "store_unavailable"}};
    BOOST_TEST(sink.take() == unavailable);

    // A real cause: the SQLite file this store opened is gone.
    const auto path = test::temp_db();
    tessera::basic_sqlite_store<clock_t_> lite{path.string(), {}, f.clock};
    tessera::session_authenticator<decltype(lite), clock_t_, recorder> local{lite, {}, f.clock, sink};
    auto kept = must(local.issue("eve"));
    (void)sink.take();
    test::remove_db(path);
    BOOST_TEST(outcome(local.authenticate(kept.access_token)) == "store_unavailable");
    BOOST_TEST(sink.take() == (std::vector<recorded>{
                                  {"store_unavailable", "session", "", "", "", "", 0, "store_unavailable (lost_state)"}}));
}

// Every event of a whole run — logins, requests, rotations, a reuse, logouts, on every scheme — and every
// line the JSON-lines sink wrote: none holds any credential the run minted, nor a refresh token's secret.
BOOST_AUTO_TEST_CASE_TEMPLATE(events_carry_no_credential, F, test::store_fixtures)
{
    F f;
    std::ostringstream lines;
    both_sinks sink{recorder{}, tessera::json_lines_events{lines}};
    tessera::session_authenticator<decltype(f.store), clock_t_, both_sinks> web{f.store, {}, f.clock, sink};
    tessera::authenticator<decltype(f.store), jwt::hs256, tessera::all_of<tessera::deny_list, tessera::token_version>,
                           clock_t_, both_sinks>
        api{f.store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock, sink};
    tessera::hybrid_authenticator<jwt::hs256, decltype(f.store), clock_t_, both_sinks> mobile{
        f.store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock, sink};
    std::vector<std::string> minted;
    const auto keep = [&](const tessera::credentials& c) {
        minted.push_back(c.access_token);
        if (!c.refresh_token.empty()) {
            minted.push_back(c.refresh_token);
            minted.push_back(c.refresh_token.substr(c.refresh_token.find('.') + 1)); // the secret alone
        }
        return c;
    };
    for (std::string user : {"fay", "gil"}) {
        auto s = keep(must(web.issue(user, {}, client)));
        auto r = keep(must(web.refresh(s.access_token)));
        must(web.revoke(r.access_token));
        auto t = keep(must(api.issue(user)));
        must(api.revoke(t.access_token));
        (void)api.authenticate(t.access_token);
        auto d = keep(must(mobile.issue(user, {}, client)));
        auto n = keep(must(mobile.refresh(d.refresh_token)));
        (void)mobile.refresh(d.refresh_token); // reuse
        (void)mobile.authenticate(n.access_token);
        keep(must(mobile.issue(user)));
        must(web.revoke_all(user));
        must(api.revoke_all(user));
        must(mobile.revoke_all(user));
    }
    const auto events = sink.record.take();
    std::vector<std::string> kinds;
    for (const auto& e : events)
        kinds.push_back(e.scheme + "/" + e.kind);
    const std::vector<std::string> per_user{
        "session/session_created", "session/session_rotated",  "session/session_revoked",
        "jwt/session_revoked",     "jwt/revoked_credential_presented",
        "hybrid/session_created",  "hybrid/refresh_rotated",   "hybrid/refresh_reuse_detected",
        "hybrid/revoked_credential_presented", "hybrid/session_created",
        "session/revoked_everywhere", "jwt/revoked_everywhere", "hybrid/revoked_everywhere"};
    std::vector<std::string> expected = per_user;
    expected.insert(expected.end(), per_user.begin(), per_user.end());
    BOOST_TEST(kinds == expected, boost::test_tools::per_element());
    for (const auto& e : events)
        for (const auto& secret : minted)
            for (const auto& field : {e.subject, e.handle, e.user_agent, e.ip, e.error})
                BOOST_TEST(field.find(secret) == std::string::npos, e.kind << " holds a credential");
    const auto text = lines.str();
    for (const auto& secret : minted)
        BOOST_TEST(text.find(secret) == std::string::npos);
    // One line per event, each a JSON object naming its event.
    std::istringstream in{text};
    std::size_t n = 0;
    for (std::string line; std::getline(in, line); ++n)
        BOOST_TEST(boost::json::parse(line).as_object().at("event").as_string() == events[n].kind);
    BOOST_TEST(n == events.size());
}

BOOST_AUTO_TEST_CASE(json_lines_write_one_object_per_event)
{
    std::ostringstream out;
    const tessera::json_lines_events sink{out};
    sink({event_kind::refresh_reuse_detected, "hybrid", tessera::time_point{std::chrono::seconds{1764600000}}, "alice",
          "q1aaaaaaaaaaaaaaaaaaaa", "Firefox/140", "203.0.113.7"});
    sink({event_kind::revoked_everywhere, "session", tessera::time_point{std::chrono::seconds{1764600001}}, "alice", {},
          "\xff\xfe", {}, 3});
    sink({event_kind::store_unavailable, "jwt", tessera::time_point{std::chrono::seconds{1764600002}}, {}, {}, {}, {}, 0,
          make_error_code(tessera::store_failure::timeout)});
    BOOST_TEST(out.str() ==
               "{\"event\":\"refresh_reuse_detected\",\"scheme\":\"hybrid\",\"at\":1764600000,\"sub\":\"alice\","
               "\"handle\":\"q1aaaaaaaaaaaaaaaaaaaa\",\"ua\":\"Firefox/140\",\"ip\":\"203.0.113.7\"}\n"
               "{\"event\":\"revoked_everywhere\",\"scheme\":\"session\",\"at\":1764600001,\"sub\":\"alice\","
               "\"ua64\":\"__4\",\"count\":3}\n"
               "{\"event\":\"store_unavailable\",\"scheme\":\"jwt\",\"at\":1764600002,"
               "\"error\":\"store_unavailable (timeout)\"}\n");
}

namespace {

/// Where the CAEP sink delivers: every SET, kept.
struct outbox {
    std::shared_ptr<std::vector<std::string>> sets = std::make_shared<std::vector<std::string>>();
    void operator()(std::string_view set) const { sets->emplace_back(set); }
};

using caep_sink = tessera::caep_events<jwt::eddsa, outbox>;

} // namespace

// The revocations, told to other services as signed CAEP session-revoked SETs that verify with the key,
// name who (and which session) was logged out, and carry no credential; other events send nothing.
BOOST_AUTO_TEST_CASE(caep_sets_tell_other_services_who_was_logged_out)
{
    test::memory_fixture f;
    const auto key = jwt::private_key<jwt::eddsa>::generate();
    outbox sent;
    caep_sink caep{key, {.issuer = "https://auth.example", .audience = "https://receiver.example/caep"}, sent};
    tessera::hybrid_authenticator<jwt::hs256, decltype(f.store), clock_t_, caep_sink> mobile{
        f.store, jwt::hmac_key<jwt::hs256>::generate(), named(), f.clock, caep};
    auto login = must(mobile.issue("hal", {}, client));
    const auto family = must(mobile.sessions("hal"))[0].family;
    must(mobile.refresh(login.refresh_token));
    BOOST_TEST(sent.sets->empty()); // a login and a rotation are not revocations
    BOOST_TEST(outcome(mobile.refresh(login.refresh_token)) == "refresh_reused");
    auto phone = must(mobile.issue("hal"));
    const auto phone_family = must(mobile.sessions("hal"))[0].family;
    must(mobile.revoke(phone.refresh_token));
    must(mobile.revoke_all("hal"));
    BOOST_TEST_REQUIRE(sent.sets->size() == 3u);

    jwt::verify_options o;
    o.issuers = {"https://auth.example"};
    o.audiences = {"https://receiver.example/caep"};
    o.type = "secevent+jwt";
    o.require_exp = false; // a SET states a fact; it does not expire (RFC 8417 §2.2)
    const jwt::verifier<jwt::eddsa> receiver{key.public_key(), o};
    std::vector<boost::json::object> claims;
    for (const auto& set : *sent.sets) {
        claims.push_back(must(receiver.verify(set, f.clock.now())).json());
        BOOST_TEST(set.find(login.refresh_token.substr(23)) == std::string::npos);
        BOOST_TEST(set.find(phone.refresh_token.substr(23)) == std::string::npos);
    }
    const auto event = [](const boost::json::object& c) {
        return c.at("events").as_object().at(tessera::caep_session_revoked).as_object();
    };
    const boost::json::object hal{{"format", "iss_sub"}, {"iss", "https://auth.example"}, {"sub", "hal"}};
    // The reuse: the family and its user, by policy, with the reason.
    BOOST_TEST(claims[0].at("sub_id").as_object() ==
               (boost::json::object{{"format", "complex"},
                                    {"session", boost::json::object{{"format", "opaque"}, {"id", family}}},
                                    {"user", hal}}));
    BOOST_TEST(event(claims[0]).at("initiating_entity").as_string() == "policy");
    BOOST_TEST(event(claims[0]).at("reason_admin").as_object().at("en").as_string() == "refresh token reuse detected");
    // A logout of one device: that session (its token names no user).
    BOOST_TEST(claims[1].at("sub_id").as_object() ==
               (boost::json::object{{"format", "opaque"}, {"id", phone_family}}));
    BOOST_TEST(event(claims[1]).at("initiating_entity").as_string() == "user");
    // Log out everywhere: the user, every session.
    BOOST_TEST(claims[2].at("sub_id").as_object() == hal);
    BOOST_TEST(event(claims[2]).at("event_timestamp").as_int64() == f.clock.now().time_since_epoch().count());
    BOOST_TEST(claims[0].at("jti").as_string() != claims[1].at("jti").as_string());
}

// A login tells what happened to it, naming the subject and the client, never the password.
BOOST_AUTO_TEST_CASE(a_login_reports_success_failure_and_throttling)
{
    test::memory_fixture f;
    recorder sink;
    static const tessera::password_hasher hasher{};
    const auto stored = hasher.hash("correct horse");
    tessera::login_throttle<decltype(f.store), clock_t_> throttle{f.store, {.free_attempts = 2}, f.clock};
    const auto login = [&](std::string_view password, std::optional<std::string_view> hash) {
        return outcome(tessera::check_password(hasher, throttle, "ida", "198.51.100.9", password, hash, sink));
    };
    BOOST_TEST(login("correct horse", stored) == "ok");
    BOOST_TEST(login("wrong horse", stored) == "bad_credentials");
    BOOST_TEST(login("correct horse", std::nullopt) == "bad_credentials"); // an unknown user looks the same
    BOOST_TEST(login("correct horse", stored) == "rate_limited");
    const auto events = sink.take();
    const std::vector<recorded> expected{
        {"login_succeeded", "", "ida", "", "", "198.51.100.9"},
        {"login_failed", "", "ida", "", "", "198.51.100.9", 0, "bad_credentials"},
        {"login_failed", "", "ida", "", "", "198.51.100.9", 0, "bad_credentials"},
        {"login_throttled", "", "ida", "", "", "198.51.100.9", 0, "rate_limited"}};
    BOOST_TEST(events == expected, boost::test_tools::per_element());
    for (const auto& e : events)
        for (const auto& field : {e.subject, e.handle, e.user_agent, e.ip, e.error})
            BOOST_TEST(field.find("horse") == std::string::npos);
}

// A password change tells the check of the current password as a login does, then the change; other
// services hear it as a CAEP credential-change SET. No password reaches either.
BOOST_AUTO_TEST_CASE(a_password_change_is_reported_and_told_to_other_services)
{
    test::memory_fixture f;
    static const tessera::password_hasher hasher{};
    const auto stored = hasher.hash("correct horse battery");
    tessera::login_throttle<decltype(f.store), clock_t_> throttle{f.store, {}, f.clock};
    recorder sink;
    const auto change = [&](std::string_view current, std::string_view next, auto& events) {
        return outcome(tessera::change_password(hasher, throttle, "ida", "198.51.100.9", current, stored, next, {},
                                                events));
    };
    BOOST_TEST(change("correct horse battery", "too short", sink) == "weak_password");
    BOOST_TEST(change("wrong horse battery", "a new long passphrase", sink) == "bad_credentials");
    BOOST_TEST(change("correct horse battery", "a new long passphrase", sink) == "ok");
    const auto events = sink.take();
    const std::vector<recorded> expected{{"login_failed", "", "ida", "", "", "198.51.100.9", 0, "bad_credentials"},
                                         {"login_succeeded", "", "ida", "", "", "198.51.100.9"},
                                         {"credential_changed", "", "ida", "", "", "198.51.100.9"}};
    BOOST_TEST(events == expected, boost::test_tools::per_element());

    const auto key = jwt::private_key<jwt::eddsa>::generate();
    outbox sent;
    caep_sink caep{key, {.issuer = "https://auth.example", .audience = "https://receiver.example/caep"}, sent};
    BOOST_TEST(change("correct horse battery", "another long passphrase", caep) == "ok"); // `stored` was never replaced
    BOOST_TEST_REQUIRE(sent.sets->size() == 1u); // the check of the current password is no revocation
    const auto& set = sent.sets->front();
    BOOST_TEST(set.find("passphrase") == std::string::npos);
    jwt::verify_options o;
    o.issuers = {"https://auth.example"};
    o.audiences = {"https://receiver.example/caep"};
    o.type = "secevent+jwt";
    o.require_exp = false;
    const auto claims = must(jwt::verifier<jwt::eddsa>{key.public_key(), o}.verify(set, f.clock.now())).json();
    BOOST_TEST(claims.at("sub_id").as_object() ==
               (boost::json::object{{"format", "iss_sub"}, {"iss", "https://auth.example"}, {"sub", "ida"}}));
    BOOST_TEST(claims.at("events").as_object() ==
               (boost::json::object{{tessera::caep_credential_change,
                                     boost::json::object{{"credential_type", "password"},
                                                         {"change_type", "update"},
                                                         {"initiating_entity", "user"},
                                                         {"event_timestamp", f.clock.now().time_since_epoch().count()}}}}));
}

BOOST_AUTO_TEST_CASE(a_cross_site_request_is_reported)
{
    recorder sink;
    const tessera::http::origin_policy policy{{"https://app.example"}};
    const auto at = tessera::time_point{std::chrono::seconds{1764600000}};
    BOOST_TEST(outcome(tessera::http::check_origin({"POST", "cross-site", "", ""}, policy, sink, at)) == "csrf_mismatch");
    BOOST_TEST(outcome(tessera::http::check_origin({"POST", "same-origin", "", ""}, policy, sink, at)) == "ok");
    // A double-submit token of another session, and the right one.
    const tessera::http::csrf_tokens tokens{tessera::secret::from_text("0123456789abcdef0123456789abcdef")};
    const auto token = tokens.issue("handle-a");
    BOOST_TEST(outcome(tokens.verify(token, "handle-b", sink, at)) == "csrf_mismatch");
    BOOST_TEST(outcome(tokens.verify(token, "handle-a", sink, at)) == "ok");
    const auto refused = recorded{"csrf_refused", "", "", "", "", "", 0, "csrf_mismatch"};
    BOOST_TEST(sink.take() == (std::vector<recorded>{refused, refused}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
