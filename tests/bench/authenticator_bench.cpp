// SPDX-License-Identifier: BSL-1.0
// The zero-overhead contract, measured: each authenticator's authenticate
// against hand-written code doing the same checks with Botan and Boost.JSON
// directly (floors.hpp), in the same binary. The two run interleaved: every
// benchmark iteration is one round of a block of floor calls and a block of
// tessera calls, in alternating order, so that the machine's drift (it is
// shared) falls on both alike. Counters: `floor_ns` and `tessera_ns` per call
// (medians over rounds) and `x_floor`, the median of the rounds' ratios.

#include "floors.hpp"
#include "interleaved.hpp"

#include <tessera/authenticator.hpp>
#include <tessera/jwt/remote_key_set.hpp>

#include <benchmark/benchmark.h>
#include <boost/json/serialize.hpp>
#include <botan/pubkey.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace jwt = tessera::jwt;

namespace {

/// Calls per timed block: long enough to time, short enough for many rounds.
constexpr int block = 64;

/// `floor()` against `auth.authenticate(credential)`, interleaved.
template <class Floor, class Auth>
void against(benchmark::State& state, Floor floor, Auth& auth, const std::string& credential)
{
    bench::interleaved<block>(state, std::move(floor), [&] {
        auto p = auth.authenticate(credential);
        benchmark::DoNotOptimize(p);
    });
}

const tessera::manual_clock clock_at{tessera::time_point{std::chrono::seconds{1'800'000'000}}};
const std::int64_t now = 1'800'000'000;

void authenticate_hs256(benchmark::State& state)
{
    const std::vector<std::uint8_t> raw(64, 7);
    tessera::jwt_authenticator<jwt::hs256, tessera::manual_clock> auth{
        jwt::hmac_key<jwt::hs256>::from_bytes(raw).value(), {.issuer = "tessera", .audience = "tessera"}, clock_at};
    const auto token = auth.issue("user-1234567890")->access_token;
    floors::hs256 by_hand{raw};
    against(
        state,
        [&] {
            auto p = by_hand.authenticate(token, now);
            benchmark::DoNotOptimize(p);
        },
        auth, token);
}

void authenticate_eddsa(benchmark::State& state)
{
    auto key = jwt::private_key<jwt::eddsa>::generate();
    tessera::jwt_authenticator<jwt::eddsa, tessera::manual_clock> auth{key, {.issuer = "tessera", .audience = "tessera"}, clock_at};
    const auto token = auth.issue("user-1234567890")->access_token;
    auto public_key = key.public_key();
    Botan::PK_Verifier verifier{public_key.botan(), "Pure"};
    against(
        state,
        [&] {
            auto p = floors::by_hand(token, "EdDSA", now,
                                     [&](std::string_view input, std::span<const std::uint8_t> sig) {
                                         return verifier.verify_message(
                                             reinterpret_cast<const std::uint8_t*>(input.data()), input.size(),
                                             sig.data(), sig.size());
                                     });
            benchmark::DoNotOptimize(p);
        },
        auth, token);
}

/// A key ring against one fixed key: the floor is the same authenticator with the ring's primary key
/// as its only key, and the ring holds three keys (retired, primary, next) as it does between rotations.
void authenticate_hs256_ring(benchmark::State& state)
{
    const auto t0 = clock_at.now();
    jwt::key_ring<jwt::hs256> ring{floors::ring_timeline, t0 - std::chrono::seconds{120}};
    floors::between_rotations(ring, t0);
    const tessera::authenticator_options options{.issuer = "tessera", .audience = "tessera"};
    tessera::jwt_authenticator<jwt::key_ring<jwt::hs256>, tessera::manual_clock> rotating{ring, options, clock_at};
    const auto token = rotating.issue("user-1234567890")->access_token;
    tessera::jwt_authenticator<jwt::hs256, tessera::manual_clock> fixed{*ring.contents()->primary().key, options,
                                                                         clock_at};
    against(
        state,
        [&] {
            auto p = fixed.authenticate(token);
            benchmark::DoNotOptimize(p);
        },
        rotating, token);
}

/// A fetch policy that answers every request with one JWK Set, at once.
struct served_set {
    std::string body;
    tessera::result<jwt::fetch_response> operator()(const jwt::fetch_request&) const
    {
        return jwt::fetch_response{200, {}, "max-age=86400", body};
    }
};

/// A remote key set against the verifier it serves from: the floor is a `jwt::verifier` built from the
/// same three keys (EdDSA, as a provider publishes them between rotations), the set already fetched.
void verify_eddsa_remote_key_set(benchmark::State& state)
{
    const auto t0 = clock_at.now();
    jwt::key_ring<jwt::eddsa> ring{floors::ring_timeline, t0 - std::chrono::seconds{120}};
    floors::between_rotations(ring, t0);
    const jwt::verify_options options{.issuers = {"tessera"}, .audiences = {"tessera"}};
    const auto token = jwt::ring_keys<jwt::eddsa>{ring}
                           .sign(jwt::claims{}
                                     .subject("user-1234567890")
                                     .issuer("tessera")
                                     .audience("tessera")
                                     .lifetime(t0, std::chrono::minutes{15}))
                           .value();
    using remote_t = jwt::remote_key_set<jwt::verifier<jwt::eddsa>, served_set>;
    remote_t remote{{.verify = options, .background = false}, "https://issuer.example/jwks",
                    served_set{boost::json::serialize(ring.jwks())}};
    if (!remote.refresh(t0) || remote.status().keys != 3) {
        state.SkipWithError("the key set was not taken");
        return;
    }
    const jwt::verifier<jwt::eddsa> bare{ring.contents()->verification_keys(), options};
    bench::interleaved<block>(
        state,
        [&] {
            auto c = bare.verify(token, t0);
            benchmark::DoNotOptimize(c);
        },
        [&] {
            auto c = remote.verify(token, t0);
            benchmark::DoNotOptimize(c);
        });
}

void authenticate_session(benchmark::State& state)
{
    tessera::manual_clock clock = clock_at;
    tessera::basic_memory_store<tessera::manual_clock> store{{}, clock};
    tessera::session_authenticator<decltype(store), tessera::manual_clock> auth{store, {}, clock};
    const auto id = auth.issue("user-1234567890")->access_token;
    floors::sessions by_hand;
    by_hand.add(id, {"user-1234567890", now, now + 43'200});
    against(
        state,
        [&] {
            auto p = by_hand.authenticate(id, now);
            benchmark::DoNotOptimize(p);
        },
        auth, id);
}

} // namespace

BENCHMARK(authenticate_hs256)->MinTime(1.0);
BENCHMARK(authenticate_hs256_ring)->MinTime(1.0);
BENCHMARK(authenticate_eddsa)->MinTime(2.0);
BENCHMARK(authenticate_session)->MinTime(1.0);
BENCHMARK(verify_eddsa_remote_key_set)->MinTime(2.0);
