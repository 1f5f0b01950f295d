// SPDX-License-Identifier: BSL-1.0
// Instruction counts for the zero-overhead contract, for machines too noisy
// for wall-clock ratios: `./dev instructions` runs each mode under
// callgrind and prints tessera's count per call over the hand-written floor's.
//
//   tessera_instructions MODE CALLS     MODE: hs256 | hs256-floor | session | session-floor | ring | ring-floor

#include "floors.hpp"

#include <tessera/authenticator.hpp>


#include <charconv>
#include <cstdio>
#include <string>

namespace jwt = tessera::jwt;

namespace {

const tessera::manual_clock clock_at{tessera::time_point{std::chrono::seconds{1'800'000'000}}};
const std::vector<std::uint8_t> hs256_key(64, 7);

using jwt_auth = tessera::jwt_authenticator<jwt::hs256, tessera::manual_clock>;

std::size_t size_of(const std::string& subject) { return subject.size(); }
template <class Principal>
std::size_t size_of(const Principal& p)
{
    return p.subject.size();
}

/// Makes `calls` calls, adding up the subjects' sizes (so that no call can be left out).
template <class Call>
std::size_t repeat(int calls, Call call)
{
    std::size_t n = 0;
    for (int i = 0; i < calls; ++i)
        if (auto p = call())
            n += size_of(*p);
    return n;
}

std::size_t hs256(int calls)
{
    jwt_auth auth{jwt::hmac_key<jwt::hs256>::from_bytes(hs256_key).value(), {.issuer = "tessera", .audience = "tessera"}, clock_at};
    const auto token = auth.issue("user-1234567890")->access_token;
    return repeat(calls, [&] { return auth.authenticate(token); });
}

// The same checks written out by hand, with the same result (floors.hpp).
std::size_t hs256_floor(int calls)
{
    jwt_auth auth{jwt::hmac_key<jwt::hs256>::from_bytes(hs256_key).value(), {.issuer = "tessera", .audience = "tessera"}, clock_at};
    const auto token = auth.issue("user-1234567890")->access_token;
    floors::hs256 by_hand{hs256_key};
    const std::int64_t now = clock_at.now().time_since_epoch().count();
    return repeat(calls, [&] { return by_hand.authenticate(token, now); });
}

std::size_t session(int calls)
{
    tessera::manual_clock clock = clock_at;
    tessera::basic_memory_store<tessera::manual_clock> store{{}, clock};
    tessera::session_authenticator<decltype(store), tessera::manual_clock> auth{store, {}, clock};
    const auto id = auth.issue("user-1234567890")->access_token;
    return repeat(calls, [&] { return auth.authenticate(id); });
}

// A locked hash map keyed by SHA-256 of the id (floors.hpp).
std::size_t session_floor(int calls)
{
    const std::string id = tessera::random_id();
    const std::int64_t now = 1'800'000'000;
    floors::sessions by_hand;
    by_hand.add(id, {"user-1234567890", now, now + 43'200});
    return repeat(calls, [&] { return by_hand.authenticate(id, now); });
}

// An authenticator on a key ring of three keys (retired, primary, next), and its floor: the same
// authenticator with the ring's primary key as its only key.
std::size_t ring(int calls, bool floor)
{
    const auto t0 = clock_at.now();
    tessera::jwt::key_ring<jwt::hs256> keys{jwt::hmac_key<jwt::hs256>::from_bytes(hs256_key).value(),
                                            floors::ring_timeline, t0 - std::chrono::seconds{120}};
    floors::between_rotations(keys, t0);
    const tessera::authenticator_options options{.issuer = "tessera", .audience = "tessera"};
    tessera::jwt_authenticator<jwt::key_ring<jwt::hs256>, tessera::manual_clock> rotating{keys, options, clock_at};
    const auto token = rotating.issue("user-1234567890")->access_token;
    if (!floor)
        return repeat(calls, [&] { return rotating.authenticate(token); });
    jwt_auth fixed{*keys.contents()->primary().key, options, clock_at};
    return repeat(calls, [&] { return fixed.authenticate(token); });
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: tessera_instructions hs256|hs256-floor|session|session-floor|ring|ring-floor CALLS\n");
        return 2;
    }
    const std::string_view mode = argv[1];
    int calls = 0;
    std::from_chars(argv[2], argv[2] + std::char_traits<char>::length(argv[2]), calls);
    std::size_t n = mode == "hs256"           ? hs256(calls)
                    : mode == "hs256-floor"   ? hs256_floor(calls)
                    : mode == "session"       ? session(calls)
                    : mode == "session-floor" ? session_floor(calls)
                    : mode == "ring"          ? ring(calls, false)
                    : mode == "ring-floor"    ? ring(calls, true)
                                              : static_cast<std::size_t>(-1);
    if (n == static_cast<std::size_t>(-1))
        return 2;
    std::printf("%zu\n", n);
    return 0;
}
