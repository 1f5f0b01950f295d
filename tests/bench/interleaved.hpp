// SPDX-License-Identifier: BSL-1.0
#pragma once
// Two pieces of code timed in alternating blocks, so that the drift of a shared machine falls on
// both alike: every benchmark iteration is one round of a block of floor calls and a block of
// tessera calls, in alternating order. Counters: `floor_ns` and `tessera_ns` per call (medians
// over rounds) and `x_floor`, the median of the rounds' ratios.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
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
}

} // namespace bench
