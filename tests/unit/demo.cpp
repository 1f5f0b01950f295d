// SPDX-License-Identifier: BSL-1.0
// The demo application (examples/demo) over HTTP, as a browser and an attacker use it: each of its
// three binaries started on loopback, every endpoint and every refusal with its status and challenge,
// a store stopped under it and started again, two instances on one Redis and one PostgreSQL.

#include "fleet.hpp"

#include <tessera/password/hash.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using namespace std::chrono_literals;
namespace bhttp = boost::beast::http;
namespace fs = std::filesystem;

constexpr std::string_view password = "correct horse battery staple";

struct scheme_binary {
    std::string_view name;
    const char* path;
};
constexpr scheme_binary schemes[] = {{"session", TESSERA_DEMO_SESSION_PATH},
                                     {"jwt", TESSERA_DEMO_JWT_PATH},
                                     {"hybrid", TESSERA_DEMO_HYBRID_PATH}};

std::string read_file(const fs::path& p)
{
    std::ifstream in{p, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, {}};
}

/// A folder of the test's own: the users file (user `demo`, the password above), the key file, the logs.
class workdir {
public:
    workdir() : dir_(fs::temp_directory_path() / test::unique_name("tessera-demo-"))
    {
        fs::create_directories(dir_);
        static const std::string line = "demo:" + tessera::password_hasher{}.hash(password) + "\n";
        std::ofstream{dir_ / "users.txt"} << line;
    }
    ~workdir() { fs::remove_all(dir_); }
    workdir(const workdir&) = delete;
    workdir& operator=(const workdir&) = delete;
    [[nodiscard]] const fs::path& path() const { return dir_; }

private:
    fs::path dir_;
};

/// One demo binary running on a free loopback port; stopped with SIGTERM, which it must survive (exit 0).
class demo_process {
public:
    demo_process(const scheme_binary& scheme, const workdir& dir, std::vector<std::string> args = {})
        : name_(scheme.name), out_(dir.path() / test::unique_name("out-")), err_(dir.path() / test::unique_name("err-"))
    {
        std::vector<std::string> argv{scheme.path, "--port", "0", "--users", (dir.path() / "users.txt").string(),
                                      "--key-file", (dir.path() / ("key-" + std::string{scheme.name})).string()};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<char*> c_argv;
        for (auto& a : argv)
            c_argv.push_back(a.data());
        c_argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int spawned = posix_spawn(&pid_, scheme.path, &actions, nullptr, c_argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        BOOST_TEST_REQUIRE(spawned == 0, "cannot start " << scheme.path);
        // The first line names the port; a sanitizer's build may take seconds to get there.
        for (int i = 0; i < 600 && port_ == 0; ++i) {
            const auto out = read_file(out_);
            if (const auto at = out.find("on http://127.0.0.1:"); at != std::string::npos && out.find('\n', at) != std::string::npos)
                port_ = static_cast<unsigned short>(std::stoi(out.substr(at + 20)));
            else if (int status = 0; waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = 0;
                BOOST_FAIL(scheme.path << " ended at start: " << read_file(err_));
            } else
                std::this_thread::sleep_for(50ms);
        }
        BOOST_TEST_REQUIRE(port_ != 0, scheme.path << " did not start: " << read_file(err_));
    }
    ~demo_process()
    {
        if (pid_ != 0)
            (void)stop();
    }
    demo_process(const demo_process&) = delete;
    demo_process& operator=(const demo_process&) = delete;

    /// SIGTERM, then the exit status (0: a graceful stop).
    int stop()
    {
        ::kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    [[nodiscard]] unsigned short port() const { return port_; }
    [[nodiscard]] std::string_view scheme() const { return name_; }
    /// What it printed: the start line and the access log.
    [[nodiscard]] std::string output() const { return read_file(out_); }
    [[nodiscard]] std::string errors() const { return read_file(err_); }

private:
    std::string_view name_;
    fs::path out_, err_;
    pid_t pid_ = 0;
    unsigned short port_ = 0;
};

struct reply {
    bhttp::response<bhttp::string_body> raw;

    [[nodiscard]] unsigned status() const { return raw.result_int(); }
    [[nodiscard]] std::string field(std::string_view name) const
    {
        const auto it = raw.find(boost::beast::string_view{name.data(), name.size()});
        return it == raw.end() ? std::string{"(none)"} : std::string{it->value()};
    }
    [[nodiscard]] std::vector<std::string> set_cookies() const
    {
        std::vector<std::string> out;
        for (auto [it, end] = raw.equal_range(bhttp::field::set_cookie); it != end; ++it)
            out.emplace_back(it->value());
        return out;
    }
    /// The one Set-Cookie of `name`, or "(none)".
    [[nodiscard]] std::string set_cookie(std::string_view name) const
    {
        for (const auto& c : set_cookies())
            if (c.starts_with(std::string{name} + "="))
                return c;
        return "(none)";
    }
    [[nodiscard]] boost::json::object json() const
    {
        boost::system::error_code ec;
        auto v = boost::json::parse(raw.body(), ec);
        return !ec && v.is_object() ? v.as_object() : boost::json::object{};
    }
    [[nodiscard]] std::string error() const
    {
        const auto j = json();
        const auto* e = j.if_contains("error");
        return e != nullptr && e->is_string() ? std::string{e->as_string()} : std::string{"(none)"};
    }
};

using fields = std::vector<std::pair<std::string, std::string>>;

/// One request on a connection of its own.
reply send(unsigned short port, bhttp::verb method, const std::string& target, const fields& extra = {},
           std::string body = {})
{
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket{io};
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    bhttp::request<bhttp::string_body> req{method, target, 11};
    req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
    for (const auto& [name, value] : extra)
        req.insert(name, value);
    if (!body.empty())
        req.set(bhttp::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    bhttp::write(socket, req);
    boost::beast::flat_buffer buffer;
    reply r;
    bhttp::read(socket, buffer, r.raw);
    return r;
}

/// What a browser tab does: a cookie jar (the path of each cookie respected; cookies ignore the port, as
/// browsers' do), the access token kept in memory, the CSRF token, a same-origin Origin on unsafe calls.
class tab {
public:
    explicit tab(unsigned short port) : port_(port) {}

    void at(unsigned short port) { port_ = port; }

    reply call(bhttp::verb method, const std::string& target, const std::string& body = {}, fields extra = {})
    {
        std::string cookies;
        for (const auto& [name, c] : jar_)
            if (target.starts_with(c.path))
                cookies += (cookies.empty() ? "" : "; ") + name + "=" + c.value;
        if (!cookies.empty())
            extra.emplace_back("Cookie", cookies);
        if (!access.empty())
            extra.emplace_back("Authorization", "Bearer " + access);
        if (method != bhttp::verb::get) {
            extra.emplace_back("Origin", "http://127.0.0.1:" + std::to_string(port_));
            extra.emplace_back("Sec-Fetch-Site", "same-origin");
            if (!csrf.empty())
                extra.emplace_back("X-CSRF-Token", csrf);
        }
        auto r = send(port_, method, target, extra, body);
        for (const auto& set : r.set_cookies())
            keep(set);
        const auto j = r.json();
        if (const auto* a = j.if_contains("access_token"))
            access = std::string{a->as_string()};
        if (const auto* c = j.if_contains("csrf"))
            csrf = std::string{c->as_string()};
        return r;
    }

    reply login(std::string_view pw = password)
    {
        return call(bhttp::verb::post, "/login",
                    boost::json::serialize(boost::json::object{{"username", "demo"}, {"password", pw}}));
    }
    reply me() { return call(bhttp::verb::get, "/api/me"); }

    [[nodiscard]] std::string cookie(const std::string& name) const
    {
        const auto it = jar_.find(name);
        return it == jar_.end() ? std::string{} : it->second.value;
    }
    void set_cookie_value(const std::string& name, std::string value) { jar_[name].value = std::move(value); }

    std::string access, csrf;

private:
    struct cookie_entry {
        std::string value, path = "/";
    };
    void keep(const std::string& set)
    {
        const auto eq = set.find('='), semi = set.find(';');
        const auto name = set.substr(0, eq);
        const auto value = set.substr(eq + 1, semi == std::string::npos ? std::string::npos : semi - eq - 1);
        if (set.find("Max-Age=0") != std::string::npos) {
            jar_.erase(name);
            return;
        }
        auto& c = jar_[name];
        c.value = value;
        if (const auto p = set.find("Path="); p != std::string::npos)
            c.path = set.substr(p + 5, set.find(';', p) == std::string::npos ? std::string::npos : set.find(';', p) - p - 5);
    }

    unsigned short port_;
    std::map<std::string, cookie_entry> jar_;
};

const std::string challenge = "Bearer realm=\"tessera-demo\"";
const std::string invalid_token = challenge + ", error=\"invalid_token\"";

/// The same token with one character of its signature changed.
std::string tampered(std::string token)
{
    auto& c = token[token.size() - 3];
    c = c == 'A' ? 'B' : 'A';
    return token;
}

/// The token's payload under `{"alg":"none"}` and no signature.
std::string unsigned_copy(const std::string& token)
{
    const auto first = token.find('.'), second = token.find('.', first + 1);
    return tessera::base64url::encode(std::string_view{R"({"alg":"none","typ":"JWT"})"}) + "." +
           token.substr(first + 1, second - first - 1) + ".";
}

/// The demo's `--store` values for a private Redis and a private PostgreSQL.
std::vector<std::string> store_flags(const test::private_server& redis, const test::private_server& postgres)
{
    const auto r = test::redis_options(redis.dir());
    return {"redis://" + r.user + ":" + r.password + "@127.0.0.1:" + std::to_string(r.port),
            "postgres:" + test::server_setting(postgres.dir(), "TESSERA_POSTGRES")};
}

} // namespace

BOOST_AUTO_TEST_SUITE(demo_server)

BOOST_AUTO_TEST_CASE(the_page_and_a_login_for_each_scheme)
{
    const workdir dir;
    for (const auto& scheme : schemes) {
        BOOST_TEST_CONTEXT(scheme.name)
        {
            demo_process demo{scheme, dir};
            const auto page = send(demo.port(), bhttp::verb::get, "/");
            BOOST_TEST(page.status() == 200U);
            BOOST_TEST(page.field("Content-Type") == "text/html; charset=utf-8");
            BOOST_TEST(page.raw.body().find("const scheme = \"" + std::string{scheme.name} + "\"") != std::string::npos);
            BOOST_TEST(send(demo.port(), bhttp::verb::get, "/nothing-here").status() == 404U);

            tab browser{demo.port()};
            auto wrong = browser.login("not the password");
            BOOST_TEST(wrong.status() == 401U);
            BOOST_TEST(wrong.error() == "bad_credentials");
            BOOST_TEST(wrong.field("WWW-Authenticate") == "(none)"); // a login carried no bearer credential
            BOOST_TEST(wrong.set_cookies().empty());

            auto in = browser.login();
            BOOST_TEST_REQUIRE(in.status() == 200U);
            BOOST_TEST(in.field("Cache-Control") == "no-store");
            BOOST_TEST(in.json().at("sub").as_string() == "demo");
            if (scheme.name == "session") {
                const auto c = in.set_cookie("tessera-session");
                BOOST_TEST(c.find("; HttpOnly") != std::string::npos, c);
                BOOST_TEST(c.find("; SameSite=Strict") != std::string::npos, c);
                BOOST_TEST(c.find("; Path=/") != std::string::npos, c);
                BOOST_TEST(!browser.csrf.empty());
                BOOST_TEST(!in.json().contains("access_token"));
            } else {
                BOOST_TEST(std::count(browser.access.begin(), browser.access.end(), '.') == 2);
                BOOST_TEST(in.json().at("exp").as_int64() > 0);
            }
            if (scheme.name == "hybrid") {
                const auto c = in.set_cookie("tessera-refresh");
                BOOST_TEST(c.find("; HttpOnly") != std::string::npos, c);
                BOOST_TEST(c.find("; SameSite=Strict") != std::string::npos, c);
                BOOST_TEST(c.find("; Path=/refresh") != std::string::npos, c);
                BOOST_TEST(c.find("; Max-Age=") != std::string::npos, c);
            } else if (scheme.name == "jwt") {
                BOOST_TEST(in.set_cookies().empty());
            }
            auto me = browser.me();
            BOOST_TEST(me.status() == 200U);
            BOOST_TEST(me.json().at("sub").as_string() == "demo");
            BOOST_TEST(me.json().at("scheme").as_string() == scheme.name);
            BOOST_TEST(me.field("Cache-Control") == "no-store");
            BOOST_TEST(!me.json().contains("csrf")); // signed once per page, not on every call
            browser.csrf.clear(); // as after a reload: the later unsafe calls of this case need it back
            const auto csrf = browser.call(bhttp::verb::get, "/api/csrf");
            if (scheme.name == "session") { // what a reloaded page asks for: a token bound to the same session
                BOOST_TEST(csrf.status() == 200U);
                BOOST_TEST(csrf.field("Cache-Control") == "no-store");
                BOOST_TEST(!browser.csrf.empty());
            } else {
                BOOST_TEST(csrf.status() == 404U);
            }

            // The access log names paths and statuses, never a credential.
            const auto log = demo.output();
            BOOST_TEST(log.find("POST /login 200") != std::string::npos, log);
            BOOST_TEST(log.find("GET /api/me 200") != std::string::npos, log);
            const auto credential = scheme.name == "session" ? browser.cookie("tessera-session") : browser.access;
            BOOST_TEST(log.find(credential) == std::string::npos);
            BOOST_TEST(log.find(password) == std::string::npos);
            BOOST_TEST(demo.stop() == 0, demo.errors());
        }
    }
}

BOOST_AUTO_TEST_CASE(every_refused_credential_gets_its_status_and_challenge)
{
    const workdir dir;
    for (const auto& scheme : schemes) {
        BOOST_TEST_CONTEXT(scheme.name)
        {
            demo_process demo{scheme, dir};
            const auto port = demo.port();
            auto none = send(port, bhttp::verb::get, "/api/me");
            BOOST_TEST(none.status() == 401U);
            BOOST_TEST(none.field("WWW-Authenticate") == challenge); // RFC 6750 §3.1: no error code
            BOOST_TEST(none.error() == "unauthenticated");

            tab browser{port};
            BOOST_TEST_REQUIRE(browser.login().status() == 200U);
            const auto two = send(port, bhttp::verb::get, "/api/me", {{"Authorization", "Bearer a"}, {"Authorization", "Bearer b"}});
            BOOST_TEST(two.status() == 400U);
            BOOST_TEST(two.error() == "invalid_request");
            const auto not_b64 = send(port, bhttp::verb::get, "/api/me", {{"Authorization", "Bearer a b"}});
            BOOST_TEST(not_b64.status() == 400U);

            if (scheme.name == "session") {
                const auto id = browser.cookie("tessera-session");
                const auto both = send(port, bhttp::verb::get, "/api/me",
                                       {{"Cookie", "tessera-session=" + id}, {"Authorization", "Bearer " + id}});
                BOOST_TEST(both.status() == 400U); // one credential, two carriers: ambiguous
                BOOST_TEST(both.error() == "invalid_request");
                const auto wrong = send(port, bhttp::verb::get, "/api/me", {{"Cookie", "tessera-session=" + tampered(id)}});
                BOOST_TEST(wrong.status() == 401U);
                BOOST_TEST(wrong.field("WWW-Authenticate") == "(none)"); // a cookie gets no Bearer challenge
                BOOST_TEST(wrong.error() == "invalid_token");
                BOOST_TEST(wrong.set_cookie("tessera-session").find("Max-Age=0") != std::string::npos);
            } else {
                for (const auto& forged : {tampered(browser.access), unsigned_copy(browser.access)}) {
                    const auto r = send(port, bhttp::verb::get, "/api/me", {{"Authorization", "Bearer " + forged}});
                    BOOST_TEST(r.status() == 401U);
                    BOOST_TEST(r.field("WWW-Authenticate") == invalid_token); // which check failed is not said
                    BOOST_TEST(r.error() == "invalid_token");
                }
                const auto lower = send(port, bhttp::verb::get, "/api/me", {{"Authorization", "bearer " + browser.access}});
                BOOST_TEST(lower.status() == 200U); // the scheme name is case-insensitive (RFC 9110 §11.1)
            }
            BOOST_TEST(browser.me().status() == 200U);
        }
    }
}

BOOST_AUTO_TEST_CASE(an_expired_access_token_is_told_apart_and_refreshed)
{
    const workdir dir;
    for (const auto& scheme : {schemes[1], schemes[2]}) {
        BOOST_TEST_CONTEXT(scheme.name)
        {
            demo_process demo{scheme, dir, {"--access-ttl", "1", "--leeway", "0"}};
            tab browser{demo.port()};
            BOOST_TEST_REQUIRE(browser.login().status() == 200U);
            std::this_thread::sleep_for(2100ms);
            auto late = browser.me();
            BOOST_TEST(late.status() == 401U);
            BOOST_TEST(late.field("WWW-Authenticate") == invalid_token + ", error_description=\"The access token expired\"");
            BOOST_TEST(late.error() == "expired");
            auto again = browser.call(bhttp::verb::post, "/refresh");
            if (scheme.name == "jwt") {
                BOOST_TEST(again.status() == 404U); // the JWT scheme has no refresh: log in again
            } else {
                BOOST_TEST(again.status() == 200U);
                BOOST_TEST(browser.me().status() == 200U);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(logging_out_ends_the_credential_and_clears_the_cookies)
{
    const workdir dir;
    for (const auto& scheme : schemes) {
        BOOST_TEST_CONTEXT(scheme.name)
        {
            demo_process demo{scheme, dir};
            tab browser{demo.port()};
            BOOST_TEST_REQUIRE(browser.login().status() == 200U);
            const auto access = browser.access;
            const auto session = browser.cookie("tessera-session");
            const auto refresh = browser.cookie("tessera-refresh");
            auto out = browser.call(bhttp::verb::post, "/logout");
            BOOST_TEST_REQUIRE(out.status() == 200U);
            BOOST_TEST(out.json().at("ended").as_bool());
            BOOST_TEST(out.field("Clear-Site-Data") == "\"cookies\"");
            BOOST_TEST(out.field("Cache-Control") == "no-store");
            if (scheme.name == "session")
                BOOST_TEST(out.set_cookie("tessera-session").find("Max-Age=0") != std::string::npos);
            if (scheme.name == "hybrid")
                BOOST_TEST(out.set_cookie("tessera-refresh").find("Max-Age=0") != std::string::npos);
            BOOST_TEST(browser.cookie("tessera-session").empty());
            BOOST_TEST(browser.cookie("tessera-refresh").empty());

            // The old credential, presented again: refused at once.
            if (scheme.name == "session") {
                const auto old = send(demo.port(), bhttp::verb::get, "/api/me", {{"Cookie", "tessera-session=" + session}});
                BOOST_TEST(old.status() == 401U);
                BOOST_TEST(old.error() == "invalid_token");
            } else {
                const auto old = send(demo.port(), bhttp::verb::get, "/api/me", {{"Authorization", "Bearer " + access}});
                BOOST_TEST(old.status() == 401U);
                BOOST_TEST(old.field("WWW-Authenticate") == invalid_token);
            }
            if (scheme.name == "hybrid") {
                const auto old = send(demo.port(), bhttp::verb::post, "/refresh", {{"Cookie", "tessera-refresh=" + refresh}});
                BOOST_TEST(old.status() == 401U);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(logging_out_everywhere_and_one_device_from_the_list)
{
    const workdir dir;
    for (const auto& scheme : schemes) {
        BOOST_TEST_CONTEXT(scheme.name)
        {
            demo_process demo{scheme, dir};
            tab laptop{demo.port()}, phone{demo.port()}, tablet{demo.port()};
            for (auto* t : {&laptop, &phone, &tablet})
                BOOST_TEST_REQUIRE(t->login().status() == 200U);
            if (scheme.name == "jwt") {
                BOOST_TEST(laptop.call(bhttp::verb::get, "/api/sessions").status() == 404U); // it keeps no list
            } else {
                auto listed = laptop.call(bhttp::verb::get, "/api/sessions");
                BOOST_TEST_REQUIRE(listed.status() == 200U);
                const auto body = listed.json();
                const auto& all = body.at("sessions").as_array();
                BOOST_TEST_REQUIRE(all.size() == 3U);
                BOOST_TEST(std::count_if(all.begin(), all.end(), [](const auto& s) { return s.at("current").as_bool(); }) == 1);
                // Log the phone out from the laptop's list: not the laptop, and not this one.
                auto phones = phone.call(bhttp::verb::get, "/api/sessions").json().at("sessions").as_array();
                std::string phone_id;
                for (const auto& s : phones)
                    if (s.at("current").as_bool())
                        phone_id = std::string{s.at("id").as_string()};
                BOOST_TEST_REQUIRE(!phone_id.empty());
                for (const auto& bad : {std::string{"garbage"}, std::string{".."}, phone_id + "%2F", phone_id + "/x",
                                        std::string(200, 'A')}) {
                    const auto r = laptop.call(bhttp::verb::delete_, "/api/sessions/" + bad);
                    BOOST_TEST(r.status() == 404U, bad); // never 401: the laptop's page keeps its credential
                }
                auto ended = laptop.call(bhttp::verb::delete_, "/api/sessions/" + phone_id);
                BOOST_TEST(ended.status() == 200U);
                BOOST_TEST(phone.me().status() == 401U);
                BOOST_TEST(laptop.me().status() == 200U);
                BOOST_TEST(tablet.me().status() == 200U);
                BOOST_TEST(laptop.call(bhttp::verb::delete_, "/api/sessions/" + phone_id).status() == 404U); // gone
                BOOST_TEST(laptop.call(bhttp::verb::get, "/api/sessions").json().at("sessions").as_array().size() == 2U);
            }
            auto all = tablet.call(bhttp::verb::post, "/logout-all");
            BOOST_TEST_REQUIRE(all.status() == 200U);
            BOOST_TEST(all.field("Clear-Site-Data") == "\"cookies\"");
            BOOST_TEST(laptop.me().status() == 401U);
            BOOST_TEST(tablet.me().status() == 401U);
            BOOST_TEST(tab{demo.port()}.login().status() == 200U); // a new login works
        }
    }
}

BOOST_AUTO_TEST_CASE(a_replayed_refresh_cookie_ends_its_family)
{
    const workdir dir;
    demo_process demo{schemes[2], dir};
    tab browser{demo.port()};
    BOOST_TEST_REQUIRE(browser.login().status() == 200U);
    const auto first = browser.cookie("tessera-refresh");
    auto rotated = browser.call(bhttp::verb::post, "/refresh");
    BOOST_TEST_REQUIRE(rotated.status() == 200U);
    BOOST_TEST(rotated.field("Cache-Control") == "no-store");
    const auto second = browser.cookie("tessera-refresh");
    BOOST_TEST(second != first);
    BOOST_TEST(browser.me().status() == 200U);
    // A thief replays the first cookie: refused, and the family ends with every token minted from it.
    const auto replay = send(demo.port(), bhttp::verb::post, "/refresh", {{"Cookie", "tessera-refresh=" + first}});
    BOOST_TEST(replay.status() == 401U);
    BOOST_TEST(replay.error() == "invalid_token");
    BOOST_TEST(replay.set_cookie("tessera-refresh").find("Max-Age=0") != std::string::npos);
    BOOST_TEST(browser.me().status() == 401U);
    BOOST_TEST(browser.call(bhttp::verb::post, "/refresh").status() == 401U);
    // No refresh cookie at all: the challenge without an error code.
    const auto none = send(demo.port(), bhttp::verb::post, "/refresh");
    BOOST_TEST(none.status() == 401U);
    BOOST_TEST(none.field("WWW-Authenticate") == challenge);
}

BOOST_AUTO_TEST_CASE(a_cross_site_request_with_the_session_cookie_is_refused)
{
    const workdir dir;
    demo_process demo{schemes[0], dir};
    const auto port = demo.port();
    tab browser{port};
    BOOST_TEST_REQUIRE(browser.login().status() == 200U);
    const std::string cookie = "tessera-session=" + browser.cookie("tessera-session");
    const std::string origin = "http://127.0.0.1:" + std::to_string(port);
    const std::vector<std::pair<std::string_view, fields>> attempts{
        {"no CSRF token", {{"Cookie", cookie}, {"Origin", origin}, {"Sec-Fetch-Site", "same-origin"}}},
        {"a wrong CSRF token",
         {{"Cookie", cookie}, {"Origin", origin}, {"Sec-Fetch-Site", "same-origin"}, {"X-CSRF-Token", tampered(browser.csrf)}}},
        {"cross-site", {{"Cookie", cookie}, {"Sec-Fetch-Site", "cross-site"}, {"X-CSRF-Token", browser.csrf}}},
        {"another origin",
         {{"Cookie", cookie}, {"Origin", "http://evil.example"}, {"X-CSRF-Token", browser.csrf}}},
    };
    for (const auto& [what, extra] : attempts) {
        const auto r = send(port, bhttp::verb::post, "/logout-all", extra);
        BOOST_TEST(r.status() == 403U, what);
        BOOST_TEST(r.error() == "forbidden", what);
        BOOST_TEST(r.set_cookies().empty(), what); // the session is not cleared: the attacker cannot log one out
    }
    // A login form posted from another site is refused before any password is checked.
    const auto login_csrf = send(port, bhttp::verb::post, "/login",
                                 {{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}},
                                 R"({"username":"demo","password":"x"})");
    BOOST_TEST(login_csrf.status() == 403U);
    BOOST_TEST(browser.me().status() == 200U);
    BOOST_TEST(browser.call(bhttp::verb::post, "/logout").status() == 200U);
}

BOOST_AUTO_TEST_CASE(failed_logins_beyond_the_free_ones_wait)
{
    const workdir dir;
    demo_process demo{schemes[1], dir};
    tab browser{demo.port()};
    for (int i = 0; i < 5; ++i)
        BOOST_TEST(browser.login("wrong").status() == 401U);
    for (const auto& pw : {std::string_view{"wrong"}, password}) { // the right password waits too
        auto held = browser.login(pw);
        BOOST_TEST(held.status() == 429U);
        BOOST_TEST(held.error() == "rate_limited");
        BOOST_TEST(std::stoi(held.field("Retry-After")) >= 1);
    }
    const auto malformed = send(demo.port(), bhttp::verb::post, "/login", {{"Origin", "http://127.0.0.1:" + std::to_string(demo.port())}},
                                R"({"username":"demo","password":"x","password":"y"})");
    BOOST_TEST(malformed.status() == 400U);
    BOOST_TEST(malformed.error() == "invalid_request");
}

BOOST_AUTO_TEST_CASE(a_store_that_is_down_answers_503_and_nobody_is_logged_out)
{
    const workdir dir;
    const test::private_server redis{"redis"};
    const auto o = test::redis_options(redis.dir());
    const std::string url = "redis://" + o.user + ":" + o.password + "@127.0.0.1:" + std::to_string(o.port);
    for (const auto& scheme : schemes) {
        BOOST_TEST_CONTEXT(scheme.name)
        {
            demo_process demo{scheme, dir, {"--store", url}};
            tab browser{demo.port()};
            BOOST_TEST_REQUIRE(browser.login().status() == 200U);
            redis.run("stop");
            auto me = browser.me();
            BOOST_TEST(me.status() == 503U);
            BOOST_TEST(me.error() == "unavailable");
            BOOST_TEST(me.field("WWW-Authenticate") == "(none)");
            BOOST_TEST(me.set_cookies().empty()); // nothing tells the client to drop its credential
            BOOST_TEST(tab{demo.port()}.login().status() == 503U);
            if (scheme.name != "jwt") {
                auto refreshed = browser.call(bhttp::verb::post, "/refresh");
                BOOST_TEST(refreshed.status() == 503U);
                BOOST_TEST(refreshed.set_cookies().empty());
            }
            redis.run("start");
            BOOST_TEST(browser.me().status() == 200U); // the same credential, once the store is back
            if (scheme.name == "hybrid")
                BOOST_TEST(browser.call(bhttp::verb::post, "/refresh").status() == 200U);
            BOOST_TEST(browser.call(bhttp::verb::post, "/logout").status() == 200U);
        }
    }
}

BOOST_AUTO_TEST_CASE(two_instances_on_one_store)
{
    const workdir dir;
    const test::private_server redis{"redis"}, postgres{"postgres"};
    const auto stores = store_flags(redis, postgres);
    for (const auto& store : stores) {
        for (const auto& scheme : schemes) {
            BOOST_TEST_CONTEXT(scheme.name << " on " << store.substr(0, 5))
            {
                // The key file, made by the first, is read by the second: one key, one issuer for both.
                demo_process first{scheme, dir, {"--store", store}}, second{scheme, dir, {"--store", store}};
                tab browser{first.port()};
                BOOST_TEST_REQUIRE(browser.login().status() == 200U);
                browser.at(second.port());
                BOOST_TEST(browser.me().status() == 200U);
                if (scheme.name == "hybrid") {
                    // The same refresh cookie at both at once: exactly one rotates it.
                    const std::string cookie = "tessera-refresh=" + browser.cookie("tessera-refresh");
                    auto a = std::async(std::launch::async, [&] { return send(first.port(), bhttp::verb::post, "/refresh", {{"Cookie", cookie}}); });
                    auto b = std::async(std::launch::async, [&] { return send(second.port(), bhttp::verb::post, "/refresh", {{"Cookie", cookie}}); });
                    const unsigned sa = a.get().status(), sb = b.get().status();
                    BOOST_TEST((sa == 200U) + (sb == 200U) == 1, sa << " " << sb);
                    BOOST_TEST((sa == 401U) + (sb == 401U) == 1, sa << " " << sb);
                    BOOST_TEST_REQUIRE(browser.login().status() == 200U);
                }
                tab other{first.port()};
                BOOST_TEST_REQUIRE(other.login().status() == 200U);
                BOOST_TEST(browser.call(bhttp::verb::post, "/logout-all").status() == 200U); // on the second
                BOOST_TEST(other.me().status() == 401U);                                     // the first refuses at once
                BOOST_TEST(first.stop() == 0);
                BOOST_TEST(second.stop() == 0);
            }
        }
    }
}

/// The `kid` in an access token's header.
std::string kid_in(const std::string& token)
{
    const auto header = tessera::base64url::decode(token.substr(0, token.find('.')));
    BOOST_TEST_REQUIRE(header.has_value());
    auto v = boost::json::parse(std::string_view{reinterpret_cast<const char*>(header->data()), header->size()});
    return std::string{v.at("kid").as_string()};
}

/// The kids of a JWK Set document.
std::set<std::string> kids_in(const reply& r)
{
    std::set<std::string> out;
    const auto document = r.json();
    for (const auto& k : document.at("keys").as_array())
        out.insert(std::string{k.at("kid").as_string()});
    return out;
}

BOOST_AUTO_TEST_CASE(the_hybrid_demo_rotates_its_signing_key_and_logs_nobody_out)
{
    const workdir dir;
    demo_process demo{schemes[2], dir, {"--rotate-every", "4", "--access-ttl", "30"}};
    tab before{demo.port()};
    BOOST_TEST_REQUIRE(before.login().status() == 200U);
    const auto k1 = kid_in(before.access);
    auto published = send(demo.port(), bhttp::verb::get, "/.well-known/jwks.json");
    BOOST_TEST(published.status() == 200U);
    BOOST_TEST(published.field("Content-Type") == "application/jwk-set+json");
    BOOST_TEST(published.field("Cache-Control") == "public, max-age=1"); // half the propagation time
    BOOST_TEST(kids_in(published).count(k1) == 1U);
    BOOST_TEST(published.raw.body().find("\"d\"") == std::string::npos); // public keys only

    // Within a few seconds a new key signs; the old one still verifies, and both are published.
    tab after{demo.port()};
    std::string k2 = k1;
    for (int i = 0; i < 100 && k2 == k1; ++i) {
        std::this_thread::sleep_for(100ms);
        BOOST_TEST_REQUIRE(after.login().status() == 200U);
        k2 = kid_in(after.access);
    }
    BOOST_TEST_REQUIRE(k2 != k1);
    BOOST_TEST(before.me().status() == 200U); // signed by the retired key: nobody is logged out
    BOOST_TEST(after.me().status() == 200U);
    BOOST_TEST(kids_in(send(demo.port(), bhttp::verb::get, "/.well-known/jwks.json")).count(k1) == 1U);
    BOOST_TEST_REQUIRE(before.call(bhttp::verb::post, "/refresh").status() == 200U);
    BOOST_TEST(kid_in(before.access) != k1); // a refresh gets a token of the key that signs now
    BOOST_TEST(before.me().status() == 200U);
    BOOST_TEST(demo.output().find("key_promoted " + k2) != std::string::npos);
    BOOST_TEST(demo.stop() == 0);

    // The other schemes publish nothing: the session scheme signs nothing, the JWT demo's key is a secret.
    for (const auto& scheme : {schemes[0], schemes[1]}) {
        demo_process other{scheme, dir};
        BOOST_TEST(send(other.port(), bhttp::verb::get, "/.well-known/jwks.json").status() == 404U, scheme.name);
    }
}

BOOST_AUTO_TEST_CASE(two_hybrid_instances_on_one_store_rotate_one_key_ring)
{
    const workdir dir;
    const test::private_server redis{"redis"}, postgres{"postgres"};
    const auto stores = store_flags(redis, postgres);
    for (const auto& store : stores) {
        BOOST_TEST_CONTEXT(store.substr(0, 5))
        {
            const std::vector<std::string> args{"--store", store, "--rotate-every", "4", "--access-ttl", "30"};
            demo_process first{schemes[2], dir, args}, second{schemes[2], dir, args};
            tab on_first{first.port()};
            BOOST_TEST_REQUIRE(on_first.login().status() == 200U);
            const auto k1 = kid_in(on_first.access);
            // One ring in the store: the second signs with the first's key, and the other way round.
            tab on_second{second.port()};
            BOOST_TEST_REQUIRE(on_second.login().status() == 200U);
            BOOST_TEST(kid_in(on_second.access) == k1);
            // Whichever instance rotates, both sign with the new key within a second of each other.
            std::string k2 = k1;
            for (int i = 0; i < 100 && k2 == k1; ++i) {
                std::this_thread::sleep_for(100ms);
                BOOST_TEST_REQUIRE(on_first.login().status() == 200U);
                k2 = kid_in(on_first.access);
            }
            BOOST_TEST_REQUIRE(k2 != k1);
            bool seen = false;
            for (int i = 0; i < 30 && !seen; ++i) {
                seen = kids_in(send(second.port(), bhttp::verb::get, "/.well-known/jwks.json")).count(k2) == 1U;
                if (!seen)
                    std::this_thread::sleep_for(100ms);
            }
            BOOST_TEST(seen);
            on_first.at(second.port());
            BOOST_TEST(on_first.me().status() == 200U); // the first's new token, on the second
            on_second.at(first.port());
            BOOST_TEST(on_second.me().status() == 200U); // the second's old token, on the first
            BOOST_TEST(first.stop() == 0);
            BOOST_TEST(second.stop() == 0);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_jwt_demo_verifies_a_rotating_publisher_through_its_key_set)
{
    const workdir dir;
    auto publisher = std::make_unique<demo_process>(schemes[2], dir,
                                                    std::vector<std::string>{"--rotate-every", "4", "--access-ttl", "60"});
    const auto url = "http://127.0.0.1:" + std::to_string(publisher->port()) + "/.well-known/jwks.json";
    demo_process resource{schemes[1], dir, {"--jwks-url", url, "--jwks-max-stale", "2"}};
    tab user{publisher->port()};
    BOOST_TEST_REQUIRE(user.login().status() == 200U);
    const auto first = user.access;
    user.at(resource.port());
    auto me = user.me();
    BOOST_TEST_REQUIRE(me.status() == 200U, me.raw.body());
    BOOST_TEST(me.json().at("sub").as_string() == "demo");
    BOOST_TEST(me.json().at("verified_by").as_string() == "remote_key_set");
    user.access = tampered(first);
    BOOST_TEST(user.me().status() == 401U);
    BOOST_TEST(user.me().field("WWW-Authenticate") == invalid_token);

    // The publisher rotates: a token of its new key is accepted on the request that first shows it.
    tab later{publisher->port()};
    std::string kid = kid_in(first);
    for (int i = 0; i < 100 && kid == kid_in(first); ++i) {
        std::this_thread::sleep_for(100ms);
        BOOST_TEST_REQUIRE(later.login().status() == 200U);
        kid = kid_in(later.access);
    }
    BOOST_TEST_REQUIRE(kid != kid_in(first));
    later.at(resource.port());
    BOOST_TEST(later.me().status() == 200U);
    user.access = first;
    BOOST_TEST(user.me().status() == 200U); // the retired key is still published, still verifies

    // The publisher goes away: the last set serves for its freshness (1 s) and two seconds more, then every
    // answer is 503 (the keys are unavailable), never 401 (the tokens are not at fault).
    BOOST_TEST(publisher->stop() == 0);
    publisher.reset();
    std::vector<unsigned> answers;
    for (int i = 0; i < 100 && (answers.empty() || answers.back() != 503U); ++i) {
        answers.push_back(later.me().status());
        std::this_thread::sleep_for(100ms);
    }
    BOOST_TEST_REQUIRE(answers.back() == 503U);
    const auto first_503 = std::find(answers.begin(), answers.end(), 503U);
    BOOST_TEST(std::all_of(answers.begin(), first_503, [](unsigned a) { return a == 200U; }));
    BOOST_TEST((first_503 != answers.begin())); // served stale first
    const auto down = later.me();
    BOOST_TEST(down.status() == 503U);
    BOOST_TEST(down.error() == "unavailable");
    BOOST_TEST(down.field("WWW-Authenticate") == "(none)");
    BOOST_TEST(resource.output().find("key_set_stale_served") != std::string::npos);
    BOOST_TEST(resource.output().find("key_set_unavailable") != std::string::npos);
    BOOST_TEST(resource.stop() == 0);
}

BOOST_AUTO_TEST_CASE(the_page_in_a_real_browser)
{
    // tests/browser/demo_page.mjs: Debian's chromium, headless, driven by playwright-core (./dev deps).
    const std::string browser_dir = TESSERA_BROWSER_DIR, shots = TESSERA_SCREENSHOT_DIR;
    BOOST_TEST_REQUIRE(fs::exists(browser_dir + "/node_modules/playwright-core/package.json"),
                       "playwright-core is not installed: run ./dev deps");
    BOOST_TEST_REQUIRE(fs::exists("/usr/bin/chromium"), "chromium is not installed: run ./dev deps");
    fs::create_directories(shots);
    const workdir dir;
    for (const auto& scheme : schemes) {
        BOOST_TEST_CONTEXT(scheme.name)
        {
            demo_process demo{scheme, dir, {"--access-ttl", "3", "--leeway", "0"}};
            const auto report = dir.path() / ("browser-" + std::string{scheme.name} + ".txt");
            const std::string command = "node '" + browser_dir + "/demo_page.mjs' http://127.0.0.1:" +
                                        std::to_string(demo.port()) + "/ " + std::string{scheme.name} + " '" +
                                        std::string{password} + "' 3 '" + shots + "' > '" + report.string() + "' 2>&1";
            const int status = std::system(command.c_str());
            const auto lines = read_file(report);
            BOOST_TEST(status == 0, lines);
            BOOST_TEST(lines.find("ok      " + std::string{scheme.name} + ": the first browser is refused at once") !=
                           std::string::npos,
                       lines);
            BOOST_TEST(fs::exists(shots + "/" + std::string{scheme.name} + "-5-logged-out-everywhere.png"));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
