// Instruction counts for the zero-overhead contract, for machines too noisy
// for wall-clock ratios: `./dev instructions` runs each mode under
// callgrind and prints tessera's count per call over the hand-written floor's.
//
//   tessera_instructions MODE CALLS     MODE: hs256 | hs256-floor | session | session-floor

#include <tessera/authenticator.hpp>

#include <boost/json/parse.hpp>
#include <botan/hash.h>
#include <botan/mac.h>

#include <charconv>
#include <cstdio>
#include <mutex>
#include <string>
#include <unordered_map>

namespace jwt = tessera::jwt;

namespace {

const tessera::manual_clock clock_at{tessera::time_point{std::chrono::seconds{1'800'000'000}}};
const std::vector<std::uint8_t> hs256_key(64, 7);

using jwt_auth = tessera::jwt_authenticator<jwt::hs256, tessera::manual_clock>;

std::size_t hs256(int calls)
{
    jwt_auth auth{jwt::hmac_key<jwt::hs256>::from_bytes(hs256_key).value(), {}, clock_at};
    const auto token = auth.issue("user-1234567890")->access_token;
    std::size_t n = 0;
    for (int i = 0; i < calls; ++i)
        if (auto p = auth.authenticate(token))
            n += p->subject.size();
    return n;
}

// The same checks written out by hand (as in authenticator_bench.cpp).
std::size_t hs256_floor(int calls)
{
    jwt_auth auth{jwt::hmac_key<jwt::hs256>::from_bytes(hs256_key).value(), {}, clock_at};
    const auto token = auth.issue("user-1234567890")->access_token;
    auto mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    mac->set_key(hs256_key);
    const std::int64_t now = clock_at.now().time_since_epoch().count();
    std::size_t n = 0;
    for (int i = 0; i < calls; ++i) {
        const std::string_view t = token;
        const auto d1 = t.find('.'), d2 = t.rfind('.');
        char header[256], payload[2048];
        std::uint8_t sig[256], expected[32];
        auto h = tessera::base64url::decode_into(t.substr(0, d1),
                                                 std::span{reinterpret_cast<std::uint8_t*>(header), sizeof header});
        auto p = tessera::base64url::decode_into(t.substr(d1 + 1, d2 - d1 - 1),
                                                 std::span{reinterpret_cast<std::uint8_t*>(payload), sizeof payload});
        auto s = tessera::base64url::decode_into(t.substr(d2 + 1), sig);
        if (!h || !p || !s)
            continue;
        unsigned char buffer[4096];
        boost::json::monotonic_resource mr{buffer, sizeof buffer};
        boost::system::error_code ec;
        auto hv = boost::json::parse(std::string_view{header, *h}, ec, &mr);
        mac->update(reinterpret_cast<const std::uint8_t*>(t.data()), d2);
        mac->final(expected);
        if (ec || !hv.is_object() || hv.get_object().contains("crit") ||
            !tessera::constant_time_equal(std::span<const std::uint8_t>{sig, *s}, expected))
            continue;
        auto v = boost::json::parse(std::string_view{payload, *p}, ec, &mr);
        if (ec || !v.is_object())
            continue;
        const auto& o = v.get_object();
        const auto* exp = o.if_contains("exp");
        const auto* iss = o.if_contains("iss");
        const auto* aud = o.if_contains("aud");
        const auto* sub = o.if_contains("sub");
        if (exp && exp->is_int64() && exp->get_int64() + 60 > now && iss && iss->is_string() &&
            iss->get_string() == "tessera" && aud && aud->is_string() && aud->get_string() == "tessera" && sub &&
            sub->is_string())
            n += std::string{sub->get_string()}.size();
    }
    return n;
}

std::size_t session(int calls)
{
    tessera::manual_clock clock = clock_at;
    tessera::basic_memory_store<tessera::manual_clock> store{{}, clock};
    tessera::session_authenticator<decltype(store), tessera::manual_clock> auth{store, {}, clock};
    const auto id = auth.issue("user-1234567890")->access_token;
    std::size_t n = 0;
    for (int i = 0; i < calls; ++i)
        if (auto p = auth.authenticate(id))
            n += p->subject.size();
    return n;
}

// A locked hash map keyed by SHA-256 of the id, the record copied out.
std::size_t session_floor(int calls)
{
    struct record {
        std::string subject;
        std::int64_t last_seen, absolute;
    };
    std::unordered_map<std::string, record> table;
    std::mutex m;
    auto hash = Botan::HashFunction::create_or_throw("SHA-256");
    auto key_of = [&](std::string_view id) {
        std::uint8_t raw[32], digest[32];
        (void)tessera::base64url::decode_into(id, raw);
        hash->update(raw, 32);
        hash->final(digest);
        return tessera::base64url::encode(digest);
    };
    const std::string id = tessera::random_id();
    table[key_of(id)] = {"user-1234567890", 1'800'000'000, 1'800'043'200};
    const std::int64_t now = 1'800'000'000;
    std::size_t n = 0;
    for (int i = 0; i < calls; ++i) {
        std::lock_guard lock{m};
        auto it = table.find(key_of(id));
        if (it != table.end() && now < it->second.last_seen + 1800 && now < it->second.absolute) {
            record copy = it->second;
            n += copy.subject.size();
        }
    }
    return n;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: tessera_instructions hs256|hs256-floor|session|session-floor CALLS\n");
        return 2;
    }
    const std::string_view mode = argv[1];
    int calls = 0;
    std::from_chars(argv[2], argv[2] + std::char_traits<char>::length(argv[2]), calls);
    std::size_t n = mode == "hs256"           ? hs256(calls)
                    : mode == "hs256-floor"   ? hs256_floor(calls)
                    : mode == "session"       ? session(calls)
                    : mode == "session-floor" ? session_floor(calls)
                                              : static_cast<std::size_t>(-1);
    if (n == static_cast<std::size_t>(-1))
        return 2;
    std::printf("%zu\n", n);
    return 0;
}
