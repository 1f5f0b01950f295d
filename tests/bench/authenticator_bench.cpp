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

#include <benchmark/benchmark.h>
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
