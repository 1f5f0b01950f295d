// SPDX-License-Identifier: BSL-1.0
#pragma once
// Two pieces of code timed in alternating blocks, so that the drift of a shared machine falls on
// both alike: every benchmark iteration is one round of a block of floor calls and a block of
// tessera calls, in alternating order. Counters: `floor_ns` and `tessera_ns` per call (medians
// over rounds), `x_floor`, the median of the rounds' ratios, and `allocs`, tessera's heap
// allocations per call (allocations.hpp). Several contenders: `rotated`.

#include "allocations.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace bench {

template <int Block, class F>
double block_ns(F& f)
{
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < Block; ++i)
        f();
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / Block;
}

inline double median(std::vector<double> v)
{
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
}

/// Runs `floor` and `ours` in alternating blocks of `Block` calls and reports both and their ratio.
template <int Block, class Floor, class Ours>
void interleaved(benchmark::State& state, Floor floor, Ours ours)
{
    constexpr int counted_calls = 16;
    const auto before = allocations();
    for (int k = 0; k < counted_calls; ++k)
        ours();
    const auto allocs = static_cast<double>(allocations() - before) / counted_calls;
    std::vector<double> floor_ns, ours_ns, ratio;
    bool floor_first = true;
    for (auto _ : state) {
        double f = 0, o = 0;
        if (floor_first) {
            f = block_ns<Block>(floor);
            o = block_ns<Block>(ours);
        } else {
            o = block_ns<Block>(ours);
            f = block_ns<Block>(floor);
        }
        floor_first = !floor_first;
        floor_ns.push_back(f);
        ours_ns.push_back(o);
        ratio.push_back(o / f);
    }
    if (ratio.empty())
        return;
    state.counters["floor_ns"] = median(floor_ns);
    state.counters["tessera_ns"] = median(ours_ns);
    state.counters["x_floor"] = median(ratio);
    state.counters["allocs"] = allocs;
}

/// One contender of `rotated`: a name (a counter prefix) and a call that answers whether it succeeded.
struct contender {
    std::string name;
    std::function<bool()> call;
};

/** Several pieces of code doing one job, timed in rotating blocks of `Block` calls: each benchmark
    iteration is one round of a block of each, the first of the round moving one along every round.
    `contenders[0]` is the floor and `contenders[1]` tessera; the others are peers.
    Counters: `floor_ns`, `tessera_ns` and `x_floor` as `interleaved`'s; `allocs` (tessera's heap
    allocations per call) and `floor_allocs`; for each peer NAME, `NAME_ns`, `NAME_allocs` and
    `NAME_x`, the median of the rounds' ratios of the peer to tessera.
*/
template <int Block>
void rotated(benchmark::State& state, std::vector<contender> contenders)
{
    const auto n = contenders.size();
    std::vector<double> allocs(n);
    for (std::size_t i = 0; i < n; ++i) {
        if (!contenders[i].call())
            return state.SkipWithError((contenders[i].name + " failed before the loop").c_str());
        constexpr int counted_calls = 16;
        const auto before = allocations();
        for (int k = 0; k < counted_calls; ++k)
            (void)contenders[i].call();
        allocs[i] = static_cast<double>(allocations() - before) / counted_calls;
    }
    std::vector<std::vector<double>> ns(n), ratio(n);
    std::size_t first = 0;
    for (auto _ : state) {
        std::vector<double> round(n);
        for (std::size_t k = 0; k < n; ++k) {
            const auto i = (first + k) % n;
            round[i] = block_ns<Block>(contenders[i].call);
        }
        first = (first + 1) % n;
        for (std::size_t i = 0; i < n; ++i) {
            ns[i].push_back(round[i]);
            ratio[i].push_back(i == 1 ? round[1] / round[0] : round[i] / round[1]);
        }
    }
    if (ns[0].empty())
        return;
    state.counters["floor_ns"] = median(ns[0]);
    state.counters["floor_allocs"] = allocs[0];
    state.counters["tessera_ns"] = median(ns[1]);
    state.counters["allocs"] = allocs[1];
    state.counters["x_floor"] = median(ratio[1]);
    for (std::size_t i = 2; i < n; ++i) {
        state.counters[contenders[i].name + "_ns"] = median(ns[i]);
        state.counters[contenders[i].name + "_allocs"] = allocs[i];
        state.counters[contenders[i].name + "_x"] = median(ratio[i]);
    }
}

} // namespace bench
