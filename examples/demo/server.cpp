// SPDX-License-Identifier: BSL-1.0
// One web application, three schemes: this source is built three times (tessera-demo-session,
// tessera-demo-jwt, tessera-demo-hybrid), and the only difference is the authenticator alias that
// TESSERA_DEMO_SCHEME picks below. Boost.Beast over Asio, a thread per core, graceful shutdown on
// SIGINT/SIGTERM, one access-log line per request (never a credential).

#include "page.hpp"

#include <tessera/beast.hpp>
#include <tessera/fleet/key_ring.hpp>
#include <tessera/http/guard.hpp>
#include <tessera/http/login.hpp>
#include <tessera/jwt/curl_fetcher.hpp>
#include <tessera/jwt/remote_key_set.hpp>
#include <tessera/tessera.hpp>
#ifdef TESSERA_DEMO_WITH_SQLITE
#include <tessera/store/sqlite.hpp>
#endif
#ifdef TESSERA_DEMO_WITH_REDIS
#include <tessera/store/redis.hpp>
#endif
#ifdef TESSERA_DEMO_WITH_POSTGRES
#include <tessera/store/postgres.hpp>
#endif

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace jwt = tessera::jwt;
namespace http = tessera::http;
using tcp = asio::ip::tcp;

#define TESSERA_DEMO_SESSION 1
#define TESSERA_DEMO_JWT 2
#define TESSERA_DEMO_HYBRID 3
#ifndef TESSERA_DEMO_SCHEME
#define TESSERA_DEMO_SCHEME TESSERA_DEMO_HYBRID
#endif

/// Key events (a ring's changes, a remote key set's fetches), told on standard output like the access log.
struct key_log {
    bool quiet = false;
    void operator()(const tessera::security_event& e) const noexcept
    {
        if (quiet)
            return;
        try {
            std::string line{to_string(e.kind)};
            line.append(" ").append(e.handle);
            if (e.error)
                line.append(" ").append(tessera::describe(e.error));
            std::printf("%s\n", line.c_str());
            std::fflush(stdout);
        } catch (...) {
        }
    }
};

// The one line that chooses the scheme (over whichever store --store names).
#if TESSERA_DEMO_SCHEME == TESSERA_DEMO_SESSION
template <class Store>
using scheme = tessera::session_authenticator<Store>;
constexpr std::string_view scheme_name = "session";
#elif TESSERA_DEMO_SCHEME == TESSERA_DEMO_JWT
template <class Store>
using scheme = tessera::authenticator<Store, jwt::hs256, tessera::all_of<tessera::deny_list, tessera::token_version>>;
constexpr std::string_view scheme_name = "jwt";
#else
/// The hybrid scheme signs with a key ring (its changes told on standard output).
using key_ring = jwt::key_ring<jwt::eddsa, key_log>;
template <class Store>
using scheme = tessera::hybrid_authenticator<key_ring, Store>;
constexpr std::string_view scheme_name = "hybrid";
#endif

namespace {

using request_t = bhttp::request<bhttp::string_body>;
using response_t = bhttp::response<bhttp::string_body>;

struct settings {
    std::string bind = "127.0.0.1";
    unsigned short port = 8080; // 0: any free port (printed at start)
    std::string users = "tessera-demo-users.txt";
    std::chrono::seconds access_ttl{900};
    std::chrono::seconds leeway{60};
    /// memory, sqlite:PATH, redis://[USER:PASSWORD@]HOST[:PORT][/DB], redis+unix://[USER:PASSWORD@]/PATH,
    /// postgresql://... (a libpq URI) or postgres:KEYWORDS (a libpq keyword string).
    std::string store = "memory";
    /// The signing key (jwt: HMAC bytes), the sealing key of the key ring in the store (hybrid) or the
    /// session scheme's CSRF key (random bytes, at least 32), shared by
    /// every instance started with the same file; created when absent. Empty: a fresh key per run.
    std::string key_file;
    /// The origins this instance is reached from (login and, for the session scheme, every unsafe request).
    std::vector<std::string> origins;
    /// No access log (the load benchmark).
    bool quiet = false;
    /// Threads running the server; 0: one per core.
    unsigned threads = 0;
    /// The hybrid scheme's signing key is replaced this often (0: never); a successor is published half
    /// of it ahead, and a retired key verifies for the access-token lifetime plus leeway.
    std::chrono::seconds rotate_every{0};
    /// The JWT demo as a resource server: `/api/me` takes the EdDSA access tokens of the instance
    /// publishing this JWK Set (a hybrid demo), through a remote key set. Empty: its own tokens.
    std::string jwks_url;
    /// How long past its freshness that set keeps serving while its publisher cannot be reached;
    /// past it, `/api/me` answers 503.
    std::chrono::seconds jwks_max_stale{3600};
};

/// The key file's content, created (mode 0600, never overwritten) from `make` when it does not exist.
template <class Make>
std::string key_file_content(const std::string& path, Make make)
{
    if (const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600); fd >= 0) {
        const std::string fresh = make();
        const bool written = ::write(fd, fresh.data(), fresh.size()) == static_cast<ssize_t>(fresh.size());
        ::close(fd);
        if (!written)
            throw std::runtime_error{"cannot write the key file " + path};
        return fresh;
    }
    std::ifstream in{path, std::ios::binary};
    std::string content{std::istreambuf_iterator<char>{in}, {}};
    if (!in.good() && !in.eof())
        throw std::runtime_error{"cannot read the key file " + path};
    return content;
}

std::string random_bytes_text(std::size_t n)
{
    std::string out(n, '\0');
    tessera::random_bytes(std::span{reinterpret_cast<std::uint8_t*>(out.data()), out.size()});
    return out;
}

/// 32 bytes or more from the key file (the CSRF key, the HMAC key), or fresh ones.
std::vector<std::uint8_t> secret_bytes(const settings& s)
{
    const auto text = s.key_file.empty() ? random_bytes_text(64) : key_file_content(s.key_file, [] {
        return random_bytes_text(64);
    });
    if (text.size() < 32)
        throw std::runtime_error{"the key file " + s.key_file + " holds under 32 bytes"};
    return {text.begin(), text.end()};
}

/// The users file: one `name:phc` per line; a demo user is added, and printed, when it has none.
class users {
public:
    users(const std::string& path, const tessera::password_hasher& hasher)
    {
        std::ifstream in{path};
        for (std::string line; std::getline(in, line);)
            if (const auto colon = line.find(':'); colon != std::string::npos && colon > 0)
                hashes_.emplace(line.substr(0, colon), line.substr(colon + 1));
        if (hashes_.empty()) {
            const auto password = tessera::random_id(12);
            hashes_.emplace("demo", hasher.hash(password));
            std::ofstream out{path, std::ios::app};
            out << "demo:" << hashes_.at("demo") << "\n";
            std::cout << "demo user: demo  password: " << password << "  (written to " << path << ")\n";
        }
    }
    std::optional<std::string> hash_of(std::string_view name) const
    {
        const auto it = hashes_.find(std::string{name});
        return it == hashes_.end() ? std::nullopt : std::optional<std::string>{it->second};
    }

private:
    std::map<std::string, std::string> hashes_;
};

#if TESSERA_DEMO_SCHEME == TESSERA_DEMO_HYBRID
/** The hybrid scheme's key ring, kept sealed in the store (so every instance on one store signs with one
    ring, and rotates it together) under the key file's first 32 bytes, and rotated every `--rotate-every`.
*/
template <class Store>
class signing_keys {
public:
    signing_keys(Store& store, const settings& s)
        : ring_(store, sealing_key(s), timeline(s), {.name = "demo"}, tessera::system_clock{}.now(), {s.quiet}),
          rotating_(s.rotate_every.count() > 0)
    {
    }

    key_ring& ring() noexcept { return ring_.ring(); }

    /// Once a second: the schedule (one instance makes each change), or at least what the others changed.
    void tick()
    {
        if (rotating_)
            (void)ring_.maintain(tessera::system_clock{}.now());
        else
            (void)ring_.sync();
    }

private:
    static jwt::ring_sealing_key sealing_key(const settings& s)
    {
        const auto bytes = secret_bytes(s);
        if (std::string_view{reinterpret_cast<const char*>(bytes.data()), bytes.size()}.starts_with("-----BEGIN"))
            throw std::runtime_error{"the key file " + s.key_file + " holds a PEM key: the hybrid demo's key file is "
                                     "now its key ring's sealing key (random bytes); remove it to make a new one"};
        return jwt::ring_sealing_key::from_secret(tessera::secret{std::span{bytes}.first(32)}).value();
    }

    static jwt::key_ring_options timeline(const settings& s)
    {
        const auto every = s.rotate_every.count() > 0 ? s.rotate_every : std::chrono::seconds{365LL * 86400};
        return {.propagation = every / 2, .retention = s.access_ttl + s.leeway, .rotate_every = every};
    }

    tessera::fleet::stored_key_ring<jwt::eddsa, Store, key_log> ring_;
    bool rotating_;
};
#else
/// The other schemes' keys are fixed for the process's life (the JWT demo's is an HMAC secret: nothing to publish).
template <class Store>
struct signing_keys {
    signing_keys(Store&, const settings&) {}
    void tick() {}
};
#endif

template <class Store>
scheme<Store> make_auth(Store& store, const settings& s, [[maybe_unused]] signing_keys<Store>& keys)
{
    tessera::authenticator_options o;
    o.issuer = "tessera-demo"; // one issuer for every instance, whatever its port
    o.audience = "tessera-demo";
    o.access_ttl = s.access_ttl;
    o.leeway = s.leeway;
    // A page presents its access token on every call: each is verified once, then its bytes are known.
    o.verified_cache = 4096;
#if TESSERA_DEMO_SCHEME == TESSERA_DEMO_SESSION
    return scheme<Store>{store, o};
#elif TESSERA_DEMO_SCHEME == TESSERA_DEMO_JWT
    auto key = jwt::hmac_key<jwt::hs256>::from_bytes(secret_bytes(s));
    if (!key)
        throw std::runtime_error{"the key file " + s.key_file + " is not an HMAC key: " + key.error().message()};
    return scheme<Store>{store, std::move(*key), o};
#else
    return scheme<Store>{store, keys.ring(), o};
#endif
}

/** Another instance's access tokens, verified with the keys it publishes (`--jwks-url`): a remote key
    set, refreshed in the background and followed through the publisher's rotations. Its bounds are a
    demo's (freshness from 1 s, a cooldown of 1 s) so that a rotation every few seconds is followed at once.
*/
class remote_tokens {
public:
    using keys_type = jwt::remote_key_set<jwt::verifier<jwt::eddsa>, jwt::curl_fetcher, key_log>;

    explicit remote_tokens(const settings& s) : keys_(options_of(s), s.jwks_url, {}, key_log{s.quiet}) {}

    tessera::result<tessera::principal> authenticate(std::string_view token)
    {
        auto claims = keys_.verify(token);
        if (!claims)
            return claims.error();
        tessera::principal p;
        p.subject = std::string{claims->subject()};
        p.expires_at = claims->expires_at().value_or(tessera::time_point{});
        p.id = std::string{claims->jwt_id()};
        return p;
    }

private:
    static jwt::remote_key_set_options options_of(const settings& s)
    {
        jwt::remote_key_set_options o;
        o.verify.issuers = {"tessera-demo"};
        o.verify.audiences = {"tessera-demo"};
        o.verify.type = "JWT";
        o.verify.leeway = s.leeway;
        o.min_freshness = std::chrono::seconds{1};
        o.cooldown = std::chrono::seconds{1};
        o.max_staleness = s.jwks_max_stale;
        return o;
    }

    keys_type keys_;
};

http::guard_options guard_options_of(const settings& s)
{
    http::guard_options o{.realm = "tessera-demo"};
    if constexpr (scheme_name == "session") {
        // Plain HTTP on loopback: the demo's cookie cannot be `__Host-` (Secure); behind TLS, keep the default.
        o.cookie = http::cookie_options{.name = "tessera-session", .secure = false, .same_site = http::same_site::strict};
        o.origins.trusted_origins = s.origins;
    }
    return o;
}

/// The application: every endpoint, the same for the three schemes where the scheme has it. (A template
/// so that what one scheme lacks is not compiled for it.)
template <class Store>
class application {
    using Auth = scheme<Store>;

public:
    application(Store& store, const settings& s)
        : hasher_(), users_(s.users, hasher_), keys_(store, s), auth_(make_auth(store, s, keys_)),
          // The key file is the session scheme's CSRF key; the other schemes' is their signing key, and a key
          // serves one purpose: theirs gets a fresh CSRF key (which they do not use).
          csrf_(tessera::secret{std::span<const std::uint8_t>{
              scheme_name == "session" ? secret_bytes(s) : secret_bytes(settings{})}}),
          guard_(auth_, guard_options_of(s), scheme_name == "session" ? &csrf_ : nullptr),
          throttle_(store, {}),
          refresh_cookie_(http::cookie_options{.name = "tessera-refresh", .path = "/refresh", .secure = false,
                                               .same_site = http::same_site::strict}),
          login_origins_{s.origins}
    {
        if (!s.jwks_url.empty()) {
            remote_ = std::make_unique<remote_tokens>(s);
            remote_guard_.emplace(*remote_, http::guard_options{.realm = "tessera-demo"});
        }
    }

    response_t handle(const request_t& req, const std::string& ip)
    {
        response_t res{bhttp::status::ok, req.version()};
        res.keep_alive(req.keep_alive());
        const std::string_view target{req.target().data(), req.target().size()};
        const auto path = target.substr(0, target.find('?'));
        const auto method = req.method();
        if (method == bhttp::verb::get && path == "/") {
            res.set(bhttp::field::content_type, "text/html; charset=utf-8");
            res.set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; "
                                                           "style-src 'unsafe-inline'");
            res.body() = demo::page(scheme_name);
            res.prepare_payload();
        } else if (method == bhttp::verb::post && path == "/login") {
            login(req, res, ip);
        } else if (method == bhttp::verb::get && path == "/api/floor") {
            // The load benchmark's floor (./dev bench): what /api/me answers, for a fixed user and without
            // authentication, through the same server, parser and writer.
            res.set(bhttp::field::cache_control, http::cache_control_no_store);
            tessera::beast::json(res, {{"sub", "demo"}, {"exp", 0}, {"scheme", scheme_name}});
        } else if (method == bhttp::verb::get && path == "/api/me" && remote_guard_) {
            if (auto p = tessera::beast::authenticate(*remote_guard_, req, res))
                tessera::beast::json(res, {{"sub", p->subject},
                                           {"exp", p->expires_at.time_since_epoch().count()},
                                           {"scheme", scheme_name},
                                           {"verified_by", "remote_key_set"}});
        } else if (method == bhttp::verb::get && path == "/api/me") {
            if (auto p = tessera::beast::authenticate(guard_, req, res)) {
                tessera::beast::json(res, {{"sub", p->subject},
                                           {"exp", p->expires_at.time_since_epoch().count()},
                                           {"scheme", scheme_name}});
            }
        } else if (scheme_name == "session" && method == bhttp::verb::get && path == "/api/csrf") {
            // A reloaded page's CSRF token (the session scheme's): asked once, not signed on every call.
            if (auto p = tessera::beast::authenticate(guard_, req, res))
                tessera::beast::json(res, {{"sub", p->subject}, {"scheme", scheme_name}, {"csrf", csrf_.issue(p->id)}});
        } else if (method == bhttp::verb::post && path == "/refresh") {
            refresh(req, res);
        } else if (method == bhttp::verb::post && path == "/logout") {
            logout(req, res);
        } else if (method == bhttp::verb::post && path == "/logout-all") {
            if (auto p = tessera::beast::authenticate(guard_, req, res)) {
                auto n = auth_.revoke_all(p->subject);
                if (!n) {
                    refused(res, n.error());
                    return res;
                }
                end_credentials(res);
                tessera::beast::json(res, {{"ended", *n}});
            }
        } else if (path == "/api/sessions" || path.starts_with("/api/sessions/")) {
            devices(req, res, path);
        } else if (method == bhttp::verb::get && path == "/.well-known/jwks.json") {
            jwks(res);
        } else {
            not_found(res);
        }
        return res;
    }

    /// The signing keys' schedule (the server's timer calls it once a second).
    void tick() { keys_.tick(); }

private:
    /// The public keys of the hybrid scheme's ring, for verifiers elsewhere; 404 for the other schemes.
    void jwks(response_t& res)
    {
#if TESSERA_DEMO_SCHEME == TESSERA_DEMO_HYBRID
        res.set(bhttp::field::content_type, "application/jwk-set+json");
        res.set(bhttp::field::cache_control, keys_.ring().jwks_cache_control());
        res.body() = boost::json::serialize(keys_.ring().jwks());
        res.prepare_payload();
#else
        not_found(res);
#endif
    }

    static void not_found(response_t& res)
    {
        res.result(bhttp::status::not_found);
        tessera::beast::json(res, {{"error", "not_found"}});
    }

    void refused(response_t& res, const std::error_code& ec, http::carrier from = http::carrier::bearer) const
    {
        tessera::beast::refuse(res, guard_.challenge().refuse(ec, from), guard_.cookie());
    }

    void login(const request_t& req, response_t& res, const std::string& ip)
    {
        // A login form posted from another site (login CSRF) is refused like any cross-site request.
        const http::request_origin origin{"POST", std::string_view{req["Sec-Fetch-Site"]},
                                          std::string_view{req[bhttp::field::origin]},
                                          std::string_view{req[bhttp::field::referer]}};
        if (auto same = http::check_origin(origin, login_origins_); !same)
            return refused(res, same.error(), http::carrier::none);
        auto in = http::log_in(
            auth_, hasher_, throttle_, req.body(), ip, [&](std::string_view u) { return users_.hash_of(u); },
            {.user_agent = std::string{req[bhttp::field::user_agent]}, .ip = ip});
        if (!in) {
            tessera::beast::refuse(res, guard_.challenge().refuse(in.error, http::carrier::none, in.retry_after));
            return;
        }
        credentials_out(res, *in.credentials, in.subject);
    }

    /// What a login or a refresh hands the page: the access token in the body (the session scheme: its
    /// cookie and CSRF token), the refresh token only in its HttpOnly cookie.
    void credentials_out(response_t& res, const tessera::credentials& c, const std::string& subject)
    {
        boost::json::object body{{"sub", subject}, {"scheme", scheme_name}};
        if constexpr (scheme_name == "session") {
            auto handle = auth_.authenticate(c.access_token);
            if (!handle)
                return refused(res, handle.error());
            res.insert(bhttp::field::set_cookie, *guard_.cookie()->set_cookie(c.access_token));
            body["csrf"] = csrf_.issue(handle->id);
        } else {
            body["access_token"] = c.access_token;
            body["exp"] = c.access_expires_at.time_since_epoch().count();
        }
        if (!c.refresh_token.empty()) {
            const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(c.refresh_expires_at -
                                                                              tessera::system_clock{}.now());
            res.insert(bhttp::field::set_cookie, *refresh_cookie_.set_cookie(c.refresh_token, ttl));
        }
        tessera::beast::json(res, body);
    }

    void refresh(const request_t& req, response_t& res)
    {
        if constexpr (tessera::refreshable_scheme<Auth>) {
            std::string credential;
            http::carrier from = http::carrier::cookie;
            std::string subject;
            if constexpr (scheme_name == "session") {
                auto p = tessera::beast::authenticate(guard_, req, res);
                if (!p)
                    return;
                credential = std::string{tessera::beast::request_cookie_value(req, *guard_.cookie())};
                subject = p->subject;
            } else {
                auto c = http::request_cookie(tessera::beast::request_view{req}, refresh_cookie_.name());
                if (!c)
                    return refused(res, c.error());
                if (!*c) {
                    tessera::beast::refuse(res, guard_.challenge().missing());
                    return;
                }
                credential = std::string{**c};
            }
            auto next = auth_.refresh(credential);
            if (!next) {
                tessera::beast::refuse(res, guard_.challenge().refuse(next.error(), from),
                                       scheme_name == "session" ? guard_.cookie()
                                                                : std::optional<http::cookie_policy>{refresh_cookie_});
                return;
            }
            if (subject.empty())
                if (auto p = auth_.authenticate(next->access_token))
                    subject = p->subject;
            credentials_out(res, *next, subject);
        } else {
            not_found(res); // a JWT scheme has no refresh
            (void)req;
        }
    }

    void logout(const request_t& req, response_t& res)
    {
        auto p = tessera::beast::authenticate(guard_, req, res);
        if (!p)
            return;
        tessera::result<bool> ended = false;
        if constexpr (scheme_name == "session")
            ended = auth_.revoke(tessera::beast::request_cookie_value(req, *guard_.cookie()));
        else if constexpr (scheme_name == "jwt")
            ended = auth_.revoke(**http::bearer_token(tessera::beast::request_view{req})); // the guard found it
        else
            ended = auth_.revoke_session(p->subject, p->claims.at("sid").as_string());
        if (!ended)
            return refused(res, ended.error());
        end_credentials(res);
        tessera::beast::json(res, {{"ended", *ended}});
    }

    void devices(const request_t& req, response_t& res, std::string_view path)
    {
        if constexpr (tessera::listing_scheme<Auth>) {
            auto p = tessera::beast::authenticate(guard_, req, res);
            if (!p)
                return;
            if (path != "/api/sessions") {
                // DELETE /api/sessions/{id}: an id that is not one segment of unreserved characters, is not
                // an id this scheme lists, or is not this subject's is not found (never a 401, which would
                // tell the page to forget its credential).
                const auto id = http::path_segment(path, "/api/sessions/");
                if (req.method() != bhttp::verb::delete_ || !id)
                    return not_found(res);
                auto ended = auth_.revoke_session(p->subject, *id);
                if (!ended && ended.error() != tessera::errc::malformed)
                    return refused(res, ended.error());
                if (!ended || !*ended)
                    return not_found(res);
                tessera::beast::json(res, {{"ended", true}});
                return;
            }
            if (req.method() != bhttp::verb::get)
                return not_found(res);
            auto listed = auth_.sessions(p->subject);
            if (!listed)
                return refused(res, listed.error());
            boost::json::array out;
            for (const auto& s : *listed) {
                if constexpr (scheme_name == "session")
                    out.push_back(boost::json::object{{"id", s.handle},
                                                      {"created_at", s.data.created_at.time_since_epoch().count()},
                                                      {"user_agent", s.data.user_agent},
                                                      {"ip", s.data.ip},
                                                      {"current", s.handle == p->id}});
                else
                    out.push_back(boost::json::object{{"id", s.family},
                                                      {"created_at", s.created_at.time_since_epoch().count()},
                                                      {"user_agent", s.user_agent},
                                                      {"ip", s.ip},
                                                      {"current", s.family == p->claims.at("sid").as_string()}});
            }
            tessera::beast::json(res, {{"sessions", std::move(out)}});
        } else {
            not_found(res); // a JWT scheme keeps no sessions
            (void)req;
            (void)path;
        }
    }

    /// A logout's answer: the credential cookies cleared, and the browser told to drop this site's.
    void end_credentials(response_t& res) const
    {
        if (guard_.cookie())
            res.insert(bhttp::field::set_cookie, guard_.cookie()->clear_cookie());
        if constexpr (scheme_name == "hybrid")
            res.insert(bhttp::field::set_cookie, refresh_cookie_.clear_cookie());
        res.set("Clear-Site-Data", http::clear_site_data_cookies);
    }

    tessera::password_hasher hasher_;
    users users_;
    signing_keys<Store> keys_; // before auth_, which signs with them
    Auth auth_;
    http::csrf_tokens csrf_;
    http::guard<Auth> guard_;
    tessera::login_throttle<Store> throttle_;
    http::cookie_policy refresh_cookie_;
    http::origin_policy login_origins_;
    std::unique_ptr<remote_tokens> remote_;
    std::optional<http::guard<remote_tokens>> remote_guard_;
};

std::mutex log_mutex;
/// Requests read and not yet answered: a stop waits for them (at most the grace period), not for idle connections.
std::atomic<int> in_flight{0};

template <class App>
asio::awaitable<void> serve(tcp::socket socket, App& app, const std::atomic<bool>& stopping, bool quiet)
{
    boost::system::error_code peer_ec;
    const auto peer = socket.remote_endpoint(peer_ec);
    const std::string ip = peer_ec ? std::string{} : peer.address().to_string();
    boost::beast::tcp_stream stream{std::move(socket)};
    boost::beast::flat_buffer buffer;
    for (;;) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.body_limit(http::max_login_body_size);
        parser.header_limit(16 * 1024);
        stream.expires_after(std::chrono::seconds{30});
        boost::system::error_code ec;
        co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (ec)
            break;
        const auto started = std::chrono::steady_clock::now();
        ++in_flight;
        auto req = parser.release();
        auto res = app.handle(req, ip);
        if (stopping)
            res.keep_alive(false);
        if (!quiet) {
            const std::string_view target{req.target().data(), req.target().size()};
            const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                                  started);
            const std::lock_guard lock{log_mutex}; // the path only: a query string could carry anything
            std::printf("%s %.*s %u %lldus\n", std::string{req.method_string()}.c_str(),
                        static_cast<int>(target.substr(0, target.find('?')).size()), target.data(),
                        res.result_int(), static_cast<long long>(us.count()));
            std::fflush(stdout);
        }
        const bool keep = res.keep_alive();
        co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        --in_flight;
        if (ec || !keep)
            break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

template <class App>
asio::awaitable<void> accept(tcp::acceptor& acceptor, App& app, const std::atomic<bool>& stopping, bool quiet)
{
    for (;;) {
        boost::system::error_code ec;
        auto socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec)
            co_return; // closed: shutting down
        asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), app, stopping, quiet), asio::detached);
    }
}

std::optional<settings> parse(int argc, char** argv)
{
    settings s;
    const auto seconds = [](std::string_view v, long long min, std::chrono::seconds& out) {
        long long n = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc{} || end != v.data() + v.size() || n < min || n > 365LL * 86400)
            return false;
        out = std::chrono::seconds{n};
        return true;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--quiet") {
            s.quiet = true;
            continue;
        }
        if (i + 1 >= argc)
            return std::nullopt;
        const std::string_view v = argv[++i];
        if (a == "--port") {
            const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), s.port);
            if (ec != std::errc{} || end != v.data() + v.size())
                return std::nullopt;
        } else if (a == "--bind") {
            s.bind = std::string{v};
        } else if (a == "--users") {
            s.users = std::string{v};
        } else if (a == "--store") {
            s.store = std::string{v};
        } else if (a == "--key-file") {
            s.key_file = std::string{v};
        } else if (a == "--access-ttl") {
            if (!seconds(v, 1, s.access_ttl))
                return std::nullopt;
        } else if (a == "--threads") {
            const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), s.threads);
            if (ec != std::errc{} || end != v.data() + v.size() || s.threads > 256)
                return std::nullopt;
        } else if (a == "--leeway") {
            if (!seconds(v, 0, s.leeway))
                return std::nullopt;
        } else if (a == "--rotate-every" && scheme_name == "hybrid") {
            if (!seconds(v, 2, s.rotate_every))
                return std::nullopt;
        } else if (a == "--jwks-url" && scheme_name == "jwt") {
            s.jwks_url = std::string{v};
        } else if (a == "--jwks-max-stale" && scheme_name == "jwt") {
            if (!seconds(v, 0, s.jwks_max_stale))
                return std::nullopt;
        } else {
            return std::nullopt;
        }
    }
    return s;
}

/// Serves `store` until SIGINT or SIGTERM.
template <class Store>
void serve_with(Store& store, settings s)
{
    asio::io_context io;
    tcp::acceptor acceptor{io, {asio::ip::make_address(s.bind), s.port}};
    const auto port = std::to_string(acceptor.local_endpoint().port());
    s.origins = {"http://" + s.bind + ":" + port, "http://localhost:" + port};
    application<Store> app{store, s};
    std::atomic<bool> stopping{false};
    asio::signal_set signals{io, SIGINT, SIGTERM};
    asio::steady_timer grace{io};
    // A stop: no new connection; the requests in flight are answered (for at most 2 s), then the idle
    // connections are dropped with the rest.
    std::chrono::steady_clock::time_point deadline_of_stop;
    std::function<void()> wait_for_requests = [&] {
        if (in_flight == 0 || std::chrono::steady_clock::now() > deadline_of_stop) {
            io.stop();
            return;
        }
        grace.expires_after(std::chrono::milliseconds{10});
        grace.async_wait([&](const boost::system::error_code&) { wait_for_requests(); });
    };
    signals.async_wait([&](const boost::system::error_code&, int) {
        stopping = true;
        acceptor.close();
        deadline_of_stop = std::chrono::steady_clock::now() + std::chrono::seconds{2};
        wait_for_requests();
    });
    // The signing keys' schedule, once a second, until the stop.
    asio::steady_timer schedule{io};
    std::function<void()> tick = [&] {
        app.tick();
        schedule.expires_after(std::chrono::seconds{1});
        schedule.async_wait([&](const boost::system::error_code& ec) {
            if (!ec && !stopping)
                tick();
        });
    };
    tick();
    asio::co_spawn(io, accept(acceptor, app, stopping, s.quiet), asio::detached);
    std::printf("tessera-demo-%s on http://%s:%s/ (store: %s)\n", std::string{scheme_name}.c_str(), s.bind.c_str(),
                port.c_str(), s.store.substr(0, s.store.find_first_of(":")).c_str());
    std::fflush(stdout);
    std::vector<std::thread> threads;
    const unsigned n = s.threads != 0 ? s.threads : std::max(1U, std::thread::hardware_concurrency());
    for (unsigned i = 1; i < n; ++i)
        threads.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : threads)
        t.join();
    std::printf("stopped\n");
}

/// `user:password@` at the start of a URL's authority, taken off.
std::pair<std::string, std::string> take_credentials(std::string_view& rest)
{
    const auto at = rest.find('@');
    if (at == std::string_view::npos)
        return {};
    const auto userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos)
        return {std::string{userinfo}, {}};
    return {std::string{userinfo.substr(0, colon)}, std::string{userinfo.substr(colon + 1)}};
}

/// Opens the store `--store` names and serves with it; false when the name is not one this build has.
bool run(const settings& s)
{
    const std::string_view name = s.store;
    if (name == "memory") {
        tessera::memory_store store;
        serve_with(store, s);
        return true;
    }
#ifdef TESSERA_DEMO_WITH_SQLITE
    if (name.starts_with("sqlite:")) {
        tessera::sqlite_store store{std::string{name.substr(7)}};
        serve_with(store, s);
        return true;
    }
#endif
#ifdef TESSERA_DEMO_WITH_REDIS
    if (name.starts_with("redis://") || name.starts_with("redis+unix://")) {
        const bool unix_socket = name.starts_with("redis+unix://");
        auto rest = name.substr(unix_socket ? 13 : 8);
        tessera::redis_store_options o;
        std::tie(o.user, o.password) = take_credentials(rest);
        if (unix_socket) {
            o.unix_socket = std::string{rest};
        } else {
            if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
                const auto db = rest.substr(slash + 1);
                if (std::from_chars(db.data(), db.data() + db.size(), o.database).ec != std::errc{})
                    return false;
                rest = rest.substr(0, slash);
            }
            if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
                const auto port = rest.substr(colon + 1);
                if (std::from_chars(port.data(), port.data() + port.size(), o.port).ec != std::errc{})
                    return false;
                rest = rest.substr(0, colon);
            }
            o.host = std::string{rest};
        }
        tessera::redis_store store{o};
        serve_with(store, s);
        return true;
    }
#endif
#ifdef TESSERA_DEMO_WITH_POSTGRES
    if (name.starts_with("postgresql://") || name.starts_with("postgres://") || name.starts_with("postgres:")) {
        tessera::postgres_store store{tessera::postgres_store_options{
            .connection = std::string{name.starts_with("postgres:") && !name.starts_with("postgres://")
                                          ? name.substr(9)
                                          : name}}};
        serve_with(store, s);
        return true;
    }
#endif
    return false;
}

} // namespace

int main(int argc, char** argv)
{
    const auto s = parse(argc, argv);
    if (!s) {
        std::fprintf(stderr,
                     "usage: tessera-demo-%s [--port N] [--bind ADDR] [--users FILE] [--store STORE] [--key-file FILE]\n"
                     "                       [--access-ttl SECONDS] [--leeway SECONDS] [--threads N] [--quiet]\n"
                     "                       [--rotate-every SECONDS]   (hybrid: rotate the signing key)\n"
                     "                       [--jwks-url URL]           (jwt: /api/me takes the tokens of the\n"
                     "                                                   instance publishing this JWK Set)\n"
                     "                       [--jwks-max-stale SECONDS] (jwt: how long that set serves while its\n"
                     "                                                   publisher is down; default 3600)\n"
                     "  STORE: memory (the default), sqlite:PATH, redis://[USER:PASSWORD@]HOST[:PORT][/DB],\n"
                     "         redis+unix://[USER:PASSWORD@]/SOCKET, postgresql://URI or postgres:KEYWORDS\n",
                     std::string{scheme_name}.c_str());
        return 2;
    }
    try {
        if (!run(*s)) {
            std::fprintf(stderr, "tessera-demo-%s: no store '%s' in this build\n", std::string{scheme_name}.c_str(),
                         s->store.c_str());
            return 2;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tessera-demo-%s: %s\n", std::string{scheme_name}.c_str(), e.what());
        return 1;
    }
    return 0;
}
