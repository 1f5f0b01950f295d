// The zero-overhead contract, measured: each authenticator's authenticate
// against hand-written code doing the same checks with Botan and Boost.JSON
// directly, in the same binary. Each benchmark reports its ratio to its
// floor as the counter "x_floor" (the floors run first).

#include <tessera/authenticator.hpp>

#include <benchmark/benchmark.h>
#include <boost/json.hpp>
#include <botan/hash.h>
#include <botan/mac.h>
#include <botan/pubkey.h>

#include <map>
#include <unordered_map>

namespace jwt = tessera::jwt;

namespace {

std::map<std::string, double>& floors()
{
    static std::map<std::string, double> f;
    return f;
}

/// Times the benchmark loop itself: nanoseconds per iteration.
template <class Body>
double timed(benchmark::State& state, Body&& body)
{
    const auto start = std::chrono::steady_clock::now();
    for (auto _ : state)
        body();
    const auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    return state.iterations() > 0 ? ns / static_cast<double>(state.iterations()) : 0;
}

void record_floor(benchmark::State&, const std::string& name, double ns)
{
    floors()[name] = ns;
}

void report_ratio(benchmark::State& state, const std::string& floor, double ns)
{
    // Our time per call over the floor's, measured in the same run.
    auto it = floors().find(floor);
    state.counters["x_floor"] = it != floors().end() && it->second > 0 ? ns / it->second : 0;
}

const tessera::manual_clock clock_at{tessera::time_point{std::chrono::seconds{1'800'000'000}}};

// The same checks the authenticator makes, written out by hand: split, strict
// base64url, header alg/typ, MAC or signature, payload parsed into a stack
// buffer, exp/nbf/iat/iss/aud.
template <class CheckSignature>
bool by_hand(std::string_view t, std::int64_t now, CheckSignature&& check)
{
    const auto d1 = t.find('.'), d2 = t.rfind('.');
    if (d1 == d2 || t.find('.', d1 + 1) != d2)
        return false;
    char header[256], payload[2048];
    std::uint8_t sig[256];
    auto h = tessera::base64url::decode_into(t.substr(0, d1),
                                             std::span{reinterpret_cast<std::uint8_t*>(header), sizeof header});
    auto p = tessera::base64url::decode_into(t.substr(d1 + 1, d2 - d1 - 1),
                                             std::span{reinterpret_cast<std::uint8_t*>(payload), sizeof payload});
    auto s = tessera::base64url::decode_into(t.substr(d2 + 1), sig);
    if (!h || !p || !s)
        return false;
    unsigned char buffer[4096];
    boost::json::monotonic_resource mr{buffer, sizeof buffer};
    boost::system::error_code ec;
    auto hv = boost::json::parse(std::string_view{header, *h}, ec, &mr);
    if (ec || !hv.is_object() || hv.get_object().contains("crit"))
        return false;
    if (!check(t.substr(0, d2), std::span<const std::uint8_t>{sig, *s}))
        return false;
    auto v = boost::json::parse(std::string_view{payload, *p}, ec, &mr);
    if (ec || !v.is_object())
        return false;
    const auto& o = v.get_object();
    const auto* exp = o.if_contains("exp");
    const auto* iat = o.if_contains("iat");
    const auto* iss = o.if_contains("iss");
    const auto* aud = o.if_contains("aud");
    return exp && exp->is_int64() && exp->get_int64() + 60 > now && iat && iat->is_int64() &&
           iat->get_int64() <= now + 60 && iss && iss->is_string() && iss->get_string() == "tessera" && aud &&
           aud->is_string() && aud->get_string() == "tessera" && o.if_contains("sub") && o.at("sub").is_string();
}

void floor_hs256(benchmark::State& state)
{
    std::vector<std::uint8_t> raw(64, 7);
    auto key = jwt::hmac_key<jwt::hs256>::from_bytes(raw).value();
    tessera::jwt_authenticator<jwt::hs256, tessera::manual_clock> auth{key, {}, clock_at};
    const auto token = auth.issue("user-1234567890")->access_token;
    auto mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    mac->set_key(raw);
    const auto now = clock_at.now().time_since_epoch().count();
    const double ns = timed(state, [&] {
        bool ok = by_hand(token, now, [&](std::string_view input, std::span<const std::uint8_t> sig) {
            std::uint8_t expected[32];
            mac->update(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
            mac->final(expected);
            return tessera::constant_time_equal(sig, expected);
        });
        benchmark::DoNotOptimize(ok);
    });
    record_floor(state, "hs256", ns);
}

void tessera_hs256(benchmark::State& state)
{
    std::vector<std::uint8_t> raw(64, 7);
    tessera::jwt_authenticator<jwt::hs256, tessera::manual_clock> auth{
        jwt::hmac_key<jwt::hs256>::from_bytes(raw).value(), {}, clock_at};
    const auto token = auth.issue("user-1234567890")->access_token;
    const double ns = timed(state, [&] {
        auto p = auth.authenticate(token);
        benchmark::DoNotOptimize(p);
    });
    report_ratio(state, "hs256", ns);
}

void floor_eddsa(benchmark::State& state)
{
    auto key = jwt::private_key<jwt::eddsa>::generate();
    tessera::jwt_authenticator<jwt::eddsa, tessera::manual_clock> auth{key, {}, clock_at};
    const auto token = auth.issue("user-1234567890")->access_token;
    auto public_key = key.public_key();
    Botan::PK_Verifier verifier{public_key.botan(), "Pure"};
    const auto now = clock_at.now().time_since_epoch().count();
    const double ns = timed(state, [&] {
        bool ok = by_hand(token, now, [&](std::string_view input, std::span<const std::uint8_t> sig) {
            return verifier.verify_message(reinterpret_cast<const std::uint8_t*>(input.data()), input.size(),
                                           sig.data(), sig.size());
        });
        benchmark::DoNotOptimize(ok);
    });
    record_floor(state, "eddsa", ns);
}

void tessera_eddsa(benchmark::State& state)
{
    tessera::jwt_authenticator<jwt::eddsa, tessera::manual_clock> auth{jwt::private_key<jwt::eddsa>::generate(), {},
                                                                     clock_at};
    const auto token = auth.issue("user-1234567890")->access_token;
    const double ns = timed(state, [&] {
        auto p = auth.authenticate(token);
        benchmark::DoNotOptimize(p);
    });
    report_ratio(state, "eddsa", ns);
}

// Sessions: the floor is a hash-map lookup of SHA-256(id) and a check of two expiries.
struct hand_session {
    std::string subject;
    std::int64_t last_seen, absolute;
};

void floor_session(benchmark::State& state)
{
    std::unordered_map<std::string, hand_session> table;
    std::mutex m;
    const std::string id = tessera::random_id();
    auto hash = Botan::HashFunction::create_or_throw("SHA-256");
    auto key_of = [&](std::string_view s) {
        std::uint8_t raw[32], digest[32];
        (void)tessera::base64url::decode_into(s, raw);
        hash->update(raw, 32);
        hash->final(digest);
        return tessera::base64url::encode(digest);
    };
    table[key_of(id)] = {"user-1234567890", 1'800'000'000, 1'800'040'000};
    const std::int64_t now = 1'800'000'000;
    const double ns = timed(state, [&] {
        std::lock_guard lock{m};
        auto it = table.find(key_of(id));
        bool ok = it != table.end() && now < it->second.last_seen + 1800 && now < it->second.absolute;
        std::string subject = ok ? it->second.subject : std::string{};
        benchmark::DoNotOptimize(subject);
    });
    record_floor(state, "session", ns);
}

void tessera_session(benchmark::State& state)
{
    tessera::manual_clock clock = clock_at;
    tessera::basic_memory_store<tessera::manual_clock> store{{}, clock};
    tessera::session_authenticator<decltype(store), tessera::manual_clock> auth{store, {}, clock};
    const auto id = auth.issue("user-1234567890")->access_token;
    const double ns = timed(state, [&] {
        auto p = auth.authenticate(id);
        benchmark::DoNotOptimize(p);
    });
    report_ratio(state, "session", ns);
}

} // namespace

BENCHMARK(floor_hs256)->MinTime(0.5);
BENCHMARK(tessera_hs256)->MinTime(0.5);
BENCHMARK(floor_eddsa)->MinTime(0.5);
BENCHMARK(tessera_eddsa)->MinTime(0.5);
BENCHMARK(floor_session)->MinTime(0.5);
BENCHMARK(tessera_session)->MinTime(0.5);
