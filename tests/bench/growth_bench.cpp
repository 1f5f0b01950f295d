// SPDX-License-Identifier: BSL-1.0
// How the cost of a session grows with the number of live sessions: the memory store filled with N
// sessions of N users, then `authenticate` of ids drawn at random from all N (so the table is
// read where the caches do not hold it), interleaved with the floor (floors.hpp: a locked hash
// map keyed by the id's SHA-256) filled with the same N ids. Counters as interleaved.hpp's, and
// `bytes_per_session` (the heap the store holds per live session, subject index included, read
// from the C library's allocator) and `floor_bytes_per_session`; `issue_ns`, one more session
// issued at N (a median over blocks). Each size runs once: filling 10 M sessions takes a while.

#include "floors.hpp"
#include "interleaved.hpp"

#include <tessera/authenticator.hpp>

#include <benchmark/benchmark.h>

#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

const tessera::manual_clock growth_clock{tessera::time_point{std::chrono::seconds{1'800'000'000}}};
constexpr std::size_t id_size = 43;

std::size_t heap_in_use()
{
    malloc_trim(0);
    return mallinfo2().uordblks;
}

/// A small fast generator of indices, the same sequence for every run.
struct xorshift {
    std::uint64_t state = 0x9e3779b97f4a7c15u;
    std::uint64_t operator()() noexcept
    {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
};

void session_growth(benchmark::State& state)
{
    const auto n = static_cast<std::size_t>(state.range(0));
    tessera::manual_clock clock = growth_clock;
    using store_t = tessera::basic_memory_store<tessera::manual_clock>;
    store_t store{{.max_records = 2 * n + 1024}, clock};
    tessera::session_authenticator<store_t, tessera::manual_clock> auth{store, {}, clock};
    // The ids side by side in one buffer: they take no heap of their own while the store is measured.
    std::vector<char> ids(n * id_size);
    const auto id = [&](std::size_t i) { return std::string_view{ids.data() + i * id_size, id_size}; };

    const auto before = heap_in_use();
    for (std::size_t i = 0; i < n; ++i) {
        auto issued = auth.issue("user-" + std::to_string(i));
        if (!issued)
            return state.SkipWithError("issue failed while filling the store");
        std::copy(issued->access_token.begin(), issued->access_token.end(), ids.begin() + static_cast<std::ptrdiff_t>(i * id_size));
    }
    const auto store_bytes = heap_in_use() - before;

    const auto floor_before = heap_in_use();
    floors::sessions by_hand;
    const std::int64_t now = growth_clock.now().time_since_epoch().count();
    for (std::size_t i = 0; i < n; ++i)
        by_hand.add(id(i), {"user-" + std::to_string(i), now, now + 43'200});
    const auto floor_bytes = heap_in_use() - floor_before;

    // One more session at N, timed in blocks (a median), on its own users.
    std::vector<double> issue_ns;
    std::size_t extra = 0;
    std::size_t failed = 0;
    auto issue_one = [&] {
        auto c = auth.issue("extra-" + std::to_string(extra++));
        failed += c ? 0u : 1u;
        benchmark::DoNotOptimize(c);
    };
    for (int block = 0; block < 9; ++block)
        issue_ns.push_back(bench::block_ns<64>(issue_one));

    xorshift pick_floor, pick_ours;
    bench::interleaved<64>(
        state,
        [&] {
            auto p = by_hand.authenticate(id(pick_floor() % n), now);
            benchmark::DoNotOptimize(p);
        },
        [&] {
            auto p = auth.authenticate(id(pick_ours() % n));
            benchmark::DoNotOptimize(p);
        });
    state.counters["bytes_per_session"] = static_cast<double>(store_bytes) / static_cast<double>(n);
    state.counters["floor_bytes_per_session"] = static_cast<double>(floor_bytes) / static_cast<double>(n);
    state.counters["issue_ns"] = bench::median(issue_ns);
    state.counters["issue_min_ns"] = *std::min_element(issue_ns.begin(), issue_ns.end());
    state.counters["issue_max_ns"] = *std::max_element(issue_ns.begin(), issue_ns.end());
    state.counters["issue_failed"] = static_cast<double>(failed);
}

} // namespace

BENCHMARK(session_growth)
    ->Name("growth/memory_store/sessions")
    ->Arg(1'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Iterations(3'000);
