// SPDX-License-Identifier: BSL-1.0
// Remote key sets, against a JWKS server of this suite on loopback (plain HTTP, and HTTPS under a
// throwaway authority made by `openssl`), through the libcurl fetcher: a provider that rotates,
// stalls, fails, serves junk, an empty set, a huge body or a redirect; a kid flood and a hundred
// waiters counted in the server's requests; freshness, revalidation and bounded staleness on an
// injected clock (no sleeps); OpenID discovery; and every outcome's event.

#include "jwt_support.hpp"

#include <tessera/jwt/curl_fetcher.hpp>
#include <tessera/jwt/remote_key_set.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

const auto t0 = test::at(1'800'000'000);

/// Seconds since the epoch, for comparisons Boost.Test can print.
std::int64_t epoch(tessera::time_point t) { return t.time_since_epoch().count(); }

/// What the server was asked.
struct seen_request {
    std::string target;
    std::string if_none_match;
    std::string cache_control;
};

/// What it answers.
struct reply {
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> fields{};
    /// Wait this long before answering (a provider that stalls).
    std::chrono::milliseconds stall{0};
};

/// The certificate and key a TLS server presents.
struct tls_files {
    std::string certificate;
    std::string key;
};

/** A JWKS server on 127.0.0.1: a thread per connection (a stalled answer holds no other), every
    request counted and answered by `handler`. With `tls`, HTTPS.
*/
class key_server {
public:
    explicit key_server(std::optional<tls_files> tls = std::nullopt) : tls_(std::move(tls))
    {
        acceptor_.open(asio::ip::tcp::v4());
        acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
        acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        if (tls_) {
            ssl_.emplace(asio::ssl::context::tls_server);
            ssl_->use_certificate_chain_file(tls_->certificate);
            ssl_->use_private_key_file(tls_->key, asio::ssl::context::pem);
        }
        thread_ = std::thread{[this] { serve(); }};
    }

    key_server(const key_server&) = delete;
    key_server& operator=(const key_server&) = delete;

    ~key_server()
    {
        stop_ = true;
        release();
        boost::system::error_code ec;
        asio::ip::tcp::socket poke{io_};
        poke.connect({asio::ip::make_address("127.0.0.1"), port_}, ec); // wakes the accept
        thread_.join();
        for (auto& c : connections_)
            c.join();
    }

    void answer(std::function<reply(const seen_request&)> handler)
    {
        const std::lock_guard lock{m_};
        handler_ = std::move(handler);
    }
    /// Serves `body` as a key set with these fields.
    void serve_set(std::string body, std::vector<std::pair<std::string, std::string>> fields = {})
    {
        answer([body = std::move(body), fields = std::move(fields)](const seen_request&) {
            return reply{200, body, fields};
        });
    }

    /// Holds every answer until `release`.
    void hold()
    {
        const std::lock_guard lock{m_};
        held_ = true;
    }
    void release()
    {
        {
            const std::lock_guard lock{m_};
            held_ = false;
        }
        gate_.notify_all();
    }
    /// Waits until a request is held.
    void wait_for_held_request()
    {
        std::unique_lock lock{m_};
        gate_.wait(lock, [&] { return holding_; });
    }

    [[nodiscard]] int requests() const noexcept { return requests_.load(); }
    [[nodiscard]] std::vector<seen_request> seen() const
    {
        const std::lock_guard lock{m_};
        return seen_;
    }
    [[nodiscard]] std::string url(std::string_view path, std::string_view host = "127.0.0.1") const
    {
        return std::string{tls_ ? "https://" : "http://"} + std::string{host} + ":" + std::to_string(port_) +
               std::string{path};
    }

private:
    void serve()
    {
        while (!stop_) {
            asio::ip::tcp::socket socket{io_};
            boost::system::error_code ec;
            acceptor_.accept(socket, ec);
            if (ec || stop_)
                continue;
            connections_.emplace_back([this, socket = std::move(socket)]() mutable { connection(std::move(socket)); });
        }
    }

    void connection(asio::ip::tcp::socket socket)
    {
        try {
            if (ssl_) {
                boost::beast::ssl_stream<asio::ip::tcp::socket> stream{std::move(socket), *ssl_};
                stream.handshake(asio::ssl::stream_base::server);
                exchange(stream);
                boost::system::error_code ignored;
                stream.shutdown(ignored);
            } else {
                exchange(socket);
            }
        } catch (const std::exception&) { // a client that gave up (a timeout, a refused certificate)
        }
    }

    template <class Stream>
    void exchange(Stream& stream)
    {
        boost::beast::flat_buffer buffer;
        bhttp::request<bhttp::string_body> req;
        bhttp::read(stream, buffer, req);
        ++requests_;
        seen_request s{std::string{req.target()}, std::string{req[bhttp::field::if_none_match]},
                       std::string{req[bhttp::field::cache_control]}};
        std::function<reply(const seen_request&)> handler;
        {
            std::unique_lock lock{m_};
            seen_.push_back(s);
            holding_ = held_;
            gate_.notify_all();
            gate_.wait(lock, [&] { return !held_; });
            holding_ = false;
            handler = handler_;
        }
        reply r = handler ? handler(s) : reply{404, "no such key set"};
        if (r.stall > 0ms)
            std::this_thread::sleep_for(r.stall);
        bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
        res.set(bhttp::field::content_type, "application/json");
        for (const auto& [name, value] : r.fields)
            res.set(name, value);
        res.body() = std::move(r.body);
        res.keep_alive(false);
        res.prepare_payload();
        boost::system::error_code ec;
        bhttp::write(stream, res, ec);
    }

    std::optional<tls_files> tls_;
    asio::io_context io_;
    asio::ip::tcp::acceptor acceptor_{io_};
    std::optional<asio::ssl::context> ssl_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> requests_{0};
    mutable std::mutex m_;
    std::condition_variable gate_;
    bool held_ = false;
    bool holding_ = false;
    std::function<reply(const seen_request&)> handler_;
    std::vector<seen_request> seen_;
    std::vector<std::thread> connections_; // touched by the accepting thread only, then by the destructor
    std::thread thread_;
};

/// Every event, as `kind cause` (the cause: `describe` of the error, when there is one).
struct event_log {
    struct shared {
        std::mutex mutex;
        std::vector<std::string> lines;
    };
    std::shared_ptr<shared> log = std::make_shared<shared>();

    void operator()(const tessera::security_event& e) const noexcept
    {
        try {
            const std::lock_guard lock{log->mutex};
            std::string line{to_string(e.kind)};
            if (e.error)
                line += " " + tessera::describe(e.error);
            if (e.kind == tessera::event_kind::key_set_fetched)
                line += " " + std::to_string(e.count);
            log->lines.push_back(std::move(line));
        } catch (...) {
        }
    }
    std::vector<std::string> take() const
    {
        const std::lock_guard lock{log->mutex};
        return std::exchange(log->lines, {});
    }
};

using es256_set = jwt::remote_key_set<jwt::verifier<jwt::es256>, jwt::curl_fetcher, event_log>;

/// A provider's signing key: ES256, its kid its thumbprint.
struct provider_key {
    jwt::private_key<jwt::es256> key = jwt::private_key<jwt::es256>::generate();
    provider_key() { key = key.with_kid(key.thumbprint()); }

    [[nodiscard]] std::string token(tessera::time_point at = t0, std::string issuer = "https://issuer.example") const
    {
        jwt::claims c;
        c.issuer(std::move(issuer)).subject("ada").audience("api").issued_at(at).expires_at(at + 24h);
        return jwt::signer<jwt::es256>{key}.sign(c).value();
    }
    [[nodiscard]] boost::json::object jwk() const { return key.public_key().to_jwk(); }
};

std::string set_of(std::initializer_list<boost::json::object> keys)
{
    boost::json::array a;
    for (const auto& k : keys)
        a.push_back(k);
    return boost::json::serialize(boost::json::object{{"keys", std::move(a)}});
}

jwt::remote_key_set_options options(bool background = false)
{
    jwt::remote_key_set_options o;
    o.verify.issuers = {"https://issuer.example"};
    o.verify.audiences = {"api"};
    o.background = background;
    o.timeout = 2000ms;
    return o;
}

/// A token whose header names `kid` (its signature is never reached: no key has that kid).
std::string token_with_kid(std::string_view kid)
{
    const std::string header = R"({"alg":"ES256","typ":"JWT","kid":")" + std::string{kid} + R"("})";
    return tessera::base64url::encode(header) + "." + tessera::base64url::encode(R"({"sub":"x"})") + ".AAAA";
}

std::string cause(const std::error_code& ec) { return tessera::describe(ec); }

} // namespace

BOOST_AUTO_TEST_SUITE(remote_key_set)

BOOST_AUTO_TEST_CASE(which_urls_a_key_set_may_come_from)
{
    using jwt::detail::check_fetch_url;
    for (const char* ok : {"https://issuer.example/jwks", "https://issuer.example:8443/a?b=c", "http://127.0.0.1:9/k",
                           "http://localhost/k", "http://LOCALHOST:80/k", "http://[::1]:8080/k", "http://127.255.0.1/",
                           "https://[2001:db8::1]/k"})
        BOOST_TEST(check_fetch_url(ok).has_value(), ok);
    for (const char* bad : {"http://issuer.example/jwks", "ftp://issuer.example/", "HTTPS://issuer.example/", "https://",
                            "https:///k", "https://user@issuer.example/", "https://issuer.example/#frag",
                            "https://issuer.example/ a", "http://128.0.0.1/", "http://127.0.0.01/", "http://127.0.0/",
                            "http://localhost.evil.example/", "http://[::2]/", "https://issuer.example:0/",
                            "https://issuer.example:65536/", "https://issuer.example:/", "https://[::1/",
                            "http://127.0.0.1.nip.io/", "file:///etc/passwd", ""})
        BOOST_TEST(cause(check_fetch_url(bad).error()) == "keys_unavailable (insecure_url)", bad);
    BOOST_TEST(!check_fetch_url("https://issuer.example/" + std::string(2100, 'a')));
}

BOOST_AUTO_TEST_CASE(cache_control_is_read_shortest_first)
{
    using jwt::detail::max_age_of;
    BOOST_TEST(!max_age_of("").has_value());
    BOOST_TEST(!max_age_of("public, must-revalidate").has_value());
    BOOST_TEST(max_age_of("public, max-age=300")->count() == 300);
    BOOST_TEST(max_age_of("Max-Age=60 , public")->count() == 60);
    BOOST_TEST(max_age_of("max-age=300, max-age=60")->count() == 60);
    BOOST_TEST(max_age_of("max-age=300, no-cache")->count() == 0);
    BOOST_TEST(max_age_of("no-store")->count() == 0);
    BOOST_TEST(max_age_of("max-age=\"300\"")->count() == 0); // unreadable: the least
    BOOST_TEST(max_age_of("max-age=-5")->count() == 0);
    BOOST_TEST(max_age_of("max-age=99999999999999999999999")->count() == (std::int64_t{1} << 31));
    BOOST_TEST(max_age_of("max-age=9999999999")->count() == (std::int64_t{1} << 31)); // fits 64 bits, not 2^31
    BOOST_TEST(max_age_of("max-age=2147483648")->count() == (std::int64_t{1} << 31));
    BOOST_TEST(max_age_of("max-age=2147483647")->count() == (std::int64_t{1} << 31) - 1);
}

BOOST_AUTO_TEST_CASE(a_fetched_set_keeps_only_keys_it_may_use)
{
    const provider_key a;
    const provider_key b;
    auto read = [](const std::string& text) { return jwt::detail::read_key_set<jwt::es256>(text, 100); };
    auto refused = [&](const std::string& text) { return cause(read(text).error()); };

    BOOST_TEST(read(set_of({a.jwk(), b.jwk()}))->usable == 2);
    BOOST_TEST(refused("not json") == "keys_unavailable (malformed)");
    BOOST_TEST(refused(R"({"keys":{}})") == "keys_unavailable (malformed)");
    BOOST_TEST(refused(R"({"keys":[1]})") == "keys_unavailable (malformed)");
    BOOST_TEST(refused(R"({"keys":[],"keys":[]})") == "keys_unavailable (malformed)");
    BOOST_TEST(refused(R"({"keys":[]})") == "keys_unavailable (no_usable_key)");
    BOOST_TEST(refused(set_of({a.jwk(), a.jwk()})) == "keys_unavailable (duplicate_kid)");
    auto twin = b.jwk();
    twin["kid"] = a.key.kid();
    BOOST_TEST(refused(set_of({a.jwk(), twin})) == "keys_unavailable (duplicate_kid)");
    BOOST_TEST(jwt::detail::read_key_set<jwt::es256>(set_of({a.jwk(), b.jwk()}), 1).error() ==
               tessera::fetch_failure::too_many_keys);

    // Skipped, never used: each of these beside one good key leaves one usable key.
    auto with = [&](std::string_view name, boost::json::value v) {
        auto k = b.jwk();
        k[name] = std::move(v);
        return read(set_of({a.jwk(), k}))->usable;
    };
    BOOST_TEST(with("use", "enc") == 1u);
    BOOST_TEST(with("alg", "RS256") == 1u);
    BOOST_TEST(with("alg", "none") == 1u);
    BOOST_TEST(with("crv", "P-384") == 1u);
    BOOST_TEST(with("key_ops", boost::json::array{"encrypt"}) == 1u);
    BOOST_TEST(with("key_ops", "verify") == 1u);
    BOOST_TEST(with("key_ops", boost::json::array{"verify", 7}) == 1u);
    BOOST_TEST(with("key_ops", boost::json::array{"sign", "verify"}) == 2u);
    BOOST_TEST(with("d", "AAAA") == 1u); // a private key published by mistake is not taken
    BOOST_TEST(with("kid", boost::json::string(300, 'k')) == 1u);
    BOOST_TEST(with("kid", 7) == 1u);
    BOOST_TEST(with("x", "AAAA") == 1u);
    BOOST_TEST(read(set_of({a.jwk(), {{"kty", "oct"}, {"k", "c2VjcmV0"}}}))->usable == 1u);
    BOOST_TEST(read(set_of({a.jwk(), {{"kty", "RSA"}, {"n", boost::json::string(1400, 'A')}, {"e", "AQAB"}}}))->usable == 1u);
    // Only unusable keys: the set is refused.
    auto enc = a.jwk();
    enc["use"] = "enc";
    BOOST_TEST(refused(set_of({enc})) == "keys_unavailable (no_usable_key)");
}

BOOST_AUTO_TEST_CASE(a_provider_that_rotates_is_followed_after_one_fetch)
{
    key_server server;
    const provider_key k1;
    const provider_key k2;
    server.serve_set(set_of({k1.jwk()}), {{"Cache-Control", "max-age=3600"}, {"ETag", "\"one\""}});
    event_log log;
    es256_set keys{options(), server.url("/jwks"), {}, log};

    BOOST_TEST(keys.verify(k1.token(), t0).has_value());
    BOOST_TEST(server.requests() == 1);
    BOOST_TEST(keys.verify(k1.token(), t0 + 10s).has_value());
    BOOST_TEST(server.requests() == 1); // served from memory

    // The provider publishes k2 and signs with it at once: the first token of k2 waits for one
    // refetch (asking caches not to answer it) and is accepted.
    server.serve_set(set_of({k1.jwk(), k2.jwk()}), {{"Cache-Control", "max-age=3600"}});
    BOOST_TEST(keys.verify(k2.token(), t0 + 31s).has_value());
    BOOST_TEST(server.requests() == 2);
    BOOST_TEST(server.seen().back().cache_control == "no-cache");
    BOOST_TEST(server.seen().back().if_none_match == "\"one\"");
    BOOST_TEST(keys.status().keys == 2u);

    // An unknown kid within the cooldown: refused at once, no fetch.
    const provider_key k3;
    BOOST_TEST(tessera::to_string(keys.verify(k3.token(), t0 + 40s).error()) == "unknown_key");
    BOOST_TEST(server.requests() == 2);

    // The provider drops k1: once the set is fetched again, k1's tokens are unknown.
    server.serve_set(set_of({k2.jwk()}), {{"Cache-Control", "max-age=3600"}});
    BOOST_TEST(tessera::to_string(keys.verify(k3.token(), t0 + 61s).error()) == "unknown_key");
    BOOST_TEST(server.requests() == 3);
    BOOST_TEST(tessera::to_string(keys.verify(k1.token(), t0 + 62s).error()) == "unknown_key");
    BOOST_TEST(keys.verify(k2.token(), t0 + 62s).has_value());
    BOOST_TEST(server.requests() == 3);

    const std::vector<std::string> told{"key_set_fetched 1", "key_set_fetched 2", "key_set_fetched 1"};
    BOOST_TEST(log.take() == told, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(freshness_comes_from_cache_control_clamped_and_etag_revalidates)
{
    key_server server;
    const provider_key k1;
    std::atomic<int> fresh_bodies{0};
    server.answer([&](const seen_request& r) {
        if (r.if_none_match == "\"v1\"")
            return reply{304, "", {{"Cache-Control", "max-age=300"}, {"ETag", "\"v1\""}}};
        ++fresh_bodies;
        return reply{200, set_of({k1.jwk()}), {{"Cache-Control", "max-age=300"}, {"ETag", "\"v1\""}}};
    });
    es256_set keys{options(), server.url("/jwks")};
    BOOST_TEST(keys.verify(k1.token(), t0).has_value());
    BOOST_TEST(epoch(keys.status().fresh_until) == epoch(t0 + 300s));
    BOOST_TEST(epoch(keys.status().usable_until) == epoch(t0 + 300s + 1h));
    BOOST_TEST(keys.status().etag == "\"v1\"");
    // Refreshed at 80 % of the freshness: not before.
    BOOST_TEST(keys.verify(k1.token(), t0 + 239s).has_value());
    BOOST_TEST(server.requests() == 1);
    BOOST_TEST(keys.verify(k1.token(), t0 + 240s).has_value());
    BOOST_TEST(server.requests() == 2);
    BOOST_TEST(server.seen().back().if_none_match == "\"v1\"");
    BOOST_TEST(server.seen().back().cache_control.empty()); // a refresh on schedule may be answered by a cache
    BOOST_TEST(fresh_bodies == 1); // 304: the set is kept, and renewed from then
    BOOST_TEST(epoch(keys.status().fresh_until) == epoch(t0 + 540s));
    BOOST_TEST(keys.verify(k1.token(), t0 + 479s).has_value());
    BOOST_TEST(server.requests() == 2);

    // max-age below the floor, above the ceiling, absent.
    for (const auto& [field, freshness] : std::vector<std::pair<std::string, std::chrono::seconds>>{
             {"max-age=5", 60s}, {"max-age=99999999", 24h}, {"public", 600s}, {"no-cache", 60s}}) {
        key_server other;
        other.serve_set(set_of({k1.jwk()}), {{"Cache-Control", field}});
        es256_set set{options(), other.url("/jwks")};
        BOOST_TEST(set.refresh(t0).has_value());
        BOOST_TEST((set.status().fresh_until - t0).count() == freshness.count(), field);
    }
}

BOOST_AUTO_TEST_CASE(a_provider_that_is_down_is_served_stale_within_the_bound_then_unavailable)
{
    key_server server;
    const provider_key k1;
    server.serve_set(set_of({k1.jwk()}), {{"Cache-Control", "max-age=100"}});
    event_log log;
    auto o = options();
    o.max_staleness = 600s;
    es256_set keys{o, server.url("/jwks"), {}, log};
    BOOST_TEST(keys.verify(k1.token(), t0).has_value());

    std::atomic<bool> down{true};
    server.answer([&](const seen_request&) {
        return down ? reply{500, "oops"} : reply{200, set_of({k1.jwk()}), {{"Cache-Control", "max-age=100"}}};
    });
    BOOST_TEST(keys.verify(k1.token(), t0 + 80s).has_value()); // the refresh fails; the set serves
    BOOST_TEST(server.requests() == 2);
    BOOST_TEST(cause(keys.status().last_error) == "keys_unavailable (bad_status)");
    BOOST_TEST(keys.verify(k1.token(), t0 + 100s).has_value()); // stale: within the cooldown, no fetch
    BOOST_TEST(server.requests() == 2);
    BOOST_TEST(keys.verify(k1.token(), t0 + 699s).has_value()); // the last second of the bound
    BOOST_TEST(server.requests() == 3);

    // Past the bound: unavailable (503, never 401), and within the cooldown nothing is asked.
    const auto past = keys.verify(k1.token(), t0 + 700s);
    BOOST_TEST(tessera::to_string(past.error()) == "keys_unavailable");
    BOOST_TEST((past.error() == tessera::condition::unavailable));
    BOOST_TEST(tessera::http_status(past.error()) == 503);
    BOOST_TEST(server.requests() == 3);
    BOOST_TEST(tessera::to_string(keys.verify(k1.token(), t0 + 728s).error()) == "keys_unavailable");
    BOOST_TEST(server.requests() == 3);
    BOOST_TEST(tessera::to_string(keys.verify(k1.token(), t0 + 729s).error()) == "keys_unavailable");
    BOOST_TEST(server.requests() == 4); // one try per cooldown

    down = false; // the provider is back: the next fetch after the cooldown restores service
    BOOST_TEST(tessera::to_string(keys.verify(k1.token(), t0 + 758s).error()) == "keys_unavailable");
    BOOST_TEST(keys.verify(k1.token(), t0 + 759s).has_value());
    BOOST_TEST(server.requests() == 5);

    const std::vector<std::string> told{
        "key_set_fetched 1", "key_set_fetch_failed keys_unavailable (bad_status)", "key_set_stale_served",
        "key_set_fetch_failed keys_unavailable (bad_status)", "key_set_unavailable",
        "key_set_fetch_failed keys_unavailable (bad_status)", "key_set_fetched 1"};
    BOOST_TEST(log.take() == told, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(what_a_provider_must_not_answer_is_refused_and_the_set_in_hand_kept)
{
    const provider_key k1;
    const std::vector<std::pair<std::string, reply>> answers{
        {"keys_unavailable (timeout)", reply{200, set_of({k1.jwk()}), {}, 1500ms}},
        {"keys_unavailable (bad_status)", reply{500, "oops"}},
        {"keys_unavailable (bad_status)", reply{404, "{}"}},
        {"keys_unavailable (bad_status)", reply{304, ""}}, // no validator was sent
        {"keys_unavailable (malformed)", reply{200, "<html>maintenance</html>"}},
        {"keys_unavailable (malformed)", reply{200, R"({"keys":[)"}},
        {"keys_unavailable (no_usable_key)", reply{200, R"({"keys":[]})"}},
        {"keys_unavailable (too_large)", reply{200, std::string(10 * 1024 * 1024, ' ') + set_of({k1.jwk()})}},
        {"keys_unavailable (redirect)", reply{302, "", {{"Location", "https://elsewhere.example/jwks"}}}},
        {"keys_unavailable (redirect)", reply{301, set_of({k1.jwk()}), {{"Location", "/jwks"}}}},
    };
    for (const auto& [expected, answer] : answers) {
        const reply bad = answer; // a lambda may not capture a structured binding (clang 14)
        key_server server;
        server.answer([&](const seen_request&) { return bad; });
        auto o = options();
        o.timeout = 500ms;
        event_log log;
        es256_set keys{o, server.url("/jwks"), {}, log};
        // No set yet: unavailable, and why.
        BOOST_TEST(tessera::to_string(keys.verify(k1.token(), t0).error()) == "keys_unavailable", expected);
        BOOST_TEST(cause(keys.status().last_error) == expected);
        BOOST_TEST(server.requests() == 1);
        BOOST_TEST(!keys.status().loaded);

        // A good set, then the same bad answer in its place: the good one stays.
        server.serve_set(set_of({k1.jwk()}), {{"Cache-Control", "max-age=100"}});
        BOOST_TEST(keys.verify(k1.token(), t0 + 30s).has_value(), expected);
        server.answer([&](const seen_request&) { return bad; });
        BOOST_TEST(keys.verify(k1.token(), t0 + 110s).has_value(), expected);
        BOOST_TEST(server.requests() == 3);
        BOOST_TEST(cause(keys.status().last_error) == expected);
        BOOST_TEST(keys.status().keys == 1u);
        const auto lines = log.take();
        BOOST_TEST_REQUIRE(lines.size() == 4u);
        const bool refused = expected.find("malformed") != std::string::npos || expected.find("no_usable") != std::string::npos;
        BOOST_TEST(lines[0] == (refused ? "key_set_refused " : "key_set_fetch_failed ") + expected);
        BOOST_TEST(lines[1] == "key_set_unavailable");
    }
}

BOOST_AUTO_TEST_CASE(a_flood_of_random_kids_is_one_fetch_per_cooldown)
{
    key_server server;
    const provider_key k1;
    server.serve_set(set_of({k1.jwk()}), {{"Cache-Control", "max-age=3600"}});
    es256_set keys{options(), server.url("/jwks")};
    BOOST_TEST(keys.verify(k1.token(), t0).has_value());

    // 10,000 tokens naming random kids over 303 seconds, a cooldown of 30 s: one refetch at each of
    // t0+30, t0+60, ..., t0+300.
    std::mt19937_64 random{42};
    int unknown = 0;
    for (int i = 0; i < 10'000; ++i) {
        const auto at = t0 + std::chrono::seconds{i / 33};
        const auto r = keys.verify(token_with_kid(std::to_string(random())), at);
        unknown += r.error() == errc::unknown_key ? 1 : 0;
    }
    BOOST_TEST(unknown == 10'000);
    BOOST_TEST(server.requests() == 1 + 10);

    // And when the provider is down, failures start the cooldown too.
    server.answer([](const seen_request&) { return reply{503, "down"}; });
    for (int i = 0; i < 10'000; ++i)
        (void)keys.verify(token_with_kid(std::to_string(random())), t0 + 400s + std::chrono::seconds{i / 33});
    BOOST_TEST(server.requests() == 11 + 11);
    BOOST_TEST(keys.verify(k1.token(), t0 + 710s).has_value()); // the set in hand still serves
}

BOOST_AUTO_TEST_CASE(a_hundred_requests_waiting_for_keys_cause_one_fetch)
{
    key_server server;
    const provider_key k1;
    server.serve_set(set_of({k1.jwk()}));
    server.hold();
    es256_set keys{options(), server.url("/jwks")};
    const auto token = k1.token();
    std::atomic<int> accepted{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 100; ++i)
        threads.emplace_back([&] { accepted += keys.verify(token, t0).has_value() ? 1 : 0; });
    server.wait_for_held_request();
    while (keys.status().waiting != 99u) // one thread fetches, the 99 others wait for its outcome
        std::this_thread::yield();
    BOOST_TEST(server.requests() == 1);
    server.release();
    for (auto& t : threads)
        t.join();
    BOOST_TEST(accepted == 100);
    BOOST_TEST(server.requests() == 1);
}

BOOST_AUTO_TEST_CASE(a_background_refresh_does_not_hold_the_request_that_starts_it)
{
    key_server server;
    const provider_key k1;
    const provider_key k2;
    server.serve_set(set_of({k1.jwk()}), {{"Cache-Control", "max-age=100"}});
    es256_set keys{options(true), server.url("/jwks")};
    BOOST_TEST(keys.verify(k1.token(), t0).has_value());

    server.serve_set(set_of({k1.jwk(), k2.jwk()}), {{"Cache-Control", "max-age=100"}});
    server.hold();
    // Due at 80 s: this request starts the refresh and is answered from the set in hand while the
    // provider holds the refresh.
    BOOST_TEST(keys.verify(k1.token(), t0 + 80s).has_value());
    server.wait_for_held_request();
    BOOST_TEST(keys.status().fetching);
    BOOST_TEST(keys.verify(k1.token(), t0 + 81s).has_value());
    BOOST_TEST(keys.status().keys == 1u);
    server.release();
    keys.wait_idle();
    BOOST_TEST(server.requests() == 2);
    BOOST_TEST(keys.status().keys == 2u);
    BOOST_TEST(epoch(keys.status().fresh_until) == epoch(t0 + 180s));
    BOOST_TEST(keys.verify(k2.token(), t0 + 82s).has_value());
    BOOST_TEST(server.requests() == 2);
}

BOOST_AUTO_TEST_CASE(discovery_follows_the_jwks_uri_of_exactly_the_configured_issuer)
{
    key_server server;
    const provider_key k1;
    const auto issuer = server.url("");
    std::string claimed_issuer = issuer;
    std::string jwks_uri = server.url("/keys");
    std::mutex m;
    server.answer([&](const seen_request& r) {
        const std::lock_guard lock{m};
        if (r.target == "/.well-known/openid-configuration")
            return reply{200, boost::json::serialize(boost::json::object{{"issuer", claimed_issuer}, {"jwks_uri", jwks_uri}})};
        if (r.target == "/keys")
            return reply{200, set_of({k1.jwk()})};
        return reply{404, "{}"};
    });
    auto o = options();
    o.verify.issuers.clear(); // from the issuer
    {
        auto keys = es256_set::from_issuer(issuer, o);
        BOOST_TEST(keys.verify(k1.token(t0, issuer), t0).has_value());
        BOOST_TEST(server.requests() == 2);
        BOOST_TEST(keys.status().url == jwks_uri);
        BOOST_TEST(tessera::to_string(keys.verify(k1.token(t0), t0).error()) == "wrong_issuer");
    }
    // The issuer with a trailing slash: the same document's place, but no longer the same issuer.
    for (const auto& [claimed, uri, expected] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {issuer + "/", server.url("/keys"), "keys_unavailable (wrong_issuer)"},
             {issuer, "http://keys.example/keys", "keys_unavailable (insecure_url)"},
             {issuer, "", "keys_unavailable (insecure_url)"}}) {
        {
            const std::lock_guard lock{m};
            claimed_issuer = claimed;
            jwks_uri = uri;
        }
        event_log log;
        auto keys = es256_set::from_issuer(issuer, o, {}, log);
        BOOST_TEST(tessera::to_string(keys.verify(k1.token(t0, issuer), t0).error()) == "keys_unavailable");
        BOOST_TEST(cause(keys.status().last_error) == expected);
        BOOST_TEST(log.take().front() == "key_set_refused " + expected);
    }
    BOOST_CHECK_THROW(es256_set::from_issuer("http://issuer.example", o), tessera::error);
    BOOST_CHECK_THROW((es256_set{o, "http://issuer.example/jwks"}), tessera::error);
    auto bad = o;
    bad.min_freshness = 0s;
    BOOST_CHECK_THROW((es256_set{bad, "https://issuer.example/jwks"}), tessera::error);
}

namespace {

/// A throwaway authority, a server certificate it signed for localhost and 127.0.0.1, one it signed
/// for another name, and another authority; made by `openssl`, removed at the end.
struct throwaway_pki {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("tessera-pki-" + tessera::random_id(6));

    throwaway_pki()
    {
        std::filesystem::create_directories(dir);
        const auto d = dir.string();
        std::ofstream{dir / "good.ext"} << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
        std::ofstream{dir / "wrong.ext"} << "subjectAltName=DNS:wrong.example\n";
        const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes ";
        const std::string quiet = " >/dev/null 2>&1";
        auto run = [&](const std::string& command) { BOOST_TEST_REQUIRE(std::system(command.c_str()) == 0, command); };
        for (const char* ca : {"ca", "other-ca"})
            run("openssl req -x509" + key + "-keyout " + d + "/" + ca + ".key -out " + d + "/" + ca +
                ".pem -subj /CN=tessera-test-" + ca + " -days 2" + quiet);
        for (const char* name : {"good", "wrong"}) {
            run("openssl req" + key + "-keyout " + d + "/" + name + ".key -out " + d + "/" + name +
                ".csr -subj /CN=" + name + quiet);
            run("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + d + "/ca.pem -CAkey " + d +
                "/ca.key -CAcreateserial -days 2 -extfile " + d + "/" + name + ".ext -out " + d + "/" + name + ".pem" +
                quiet);
        }
    }
    ~throwaway_pki()
    {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    [[nodiscard]] std::string file(std::string_view name) const { return (dir / std::string{name}).string(); }
    [[nodiscard]] tls_files server(std::string_view name) const
    {
        return {file(std::string{name} + ".pem"), file(std::string{name} + ".key")};
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(https_verifies_the_certificate_and_the_host_name)
{
    const throwaway_pki pki;
    const provider_key k1;
    const auto body = set_of({k1.jwk()});
    auto fetch_with = [&](std::string_view ca, const key_server& server, std::string_view host) {
        es256_set keys{options(), server.url("/jwks", host), jwt::curl_fetcher{{.ca_file = std::string{ca}}}};
        const auto r = keys.verify(k1.token(), t0);
        return r ? std::string{"ok"} : cause(keys.status().last_error);
    };
    key_server good{pki.server("good")};
    good.serve_set(body);
    BOOST_TEST(fetch_with(pki.file("ca.pem"), good, "localhost") == "ok");
    BOOST_TEST(fetch_with(pki.file("ca.pem"), good, "127.0.0.1") == "ok");
    BOOST_TEST(fetch_with(pki.file("other-ca.pem"), good, "localhost") == "keys_unavailable (tls)");
    BOOST_TEST(fetch_with("", good, "localhost") == "keys_unavailable (tls)"); // the system's authorities
    key_server wrong{pki.server("wrong")};
    wrong.serve_set(body);
    BOOST_TEST(fetch_with(pki.file("ca.pem"), wrong, "localhost") == "keys_unavailable (tls)");
    BOOST_TEST(good.requests() == 2);
    BOOST_TEST(wrong.requests() == 0);

    // The fetcher alone: plain http elsewhere than loopback is refused before any connection.
    const jwt::curl_fetcher fetch;
    BOOST_TEST(cause(fetch({.url = "http://issuer.example/jwks"}).error()) == "keys_unavailable (insecure_url)");
    BOOST_TEST(cause(fetch({.url = "http://127.0.0.1:1/jwks"}).error()) == "keys_unavailable (unreachable)");
}

BOOST_AUTO_TEST_SUITE_END()
