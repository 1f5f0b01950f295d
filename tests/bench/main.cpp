// SPDX-License-Identifier: BSL-1.0
// The benchmark binary's main: Google Benchmark's console output, then one table of every row
// measured against a floor (the benchmarks with an `x_floor` counter: interleaved.hpp) with its
// peers where the row has them (peers_bench.cpp). With --benchmark_format=csv or json the
// output is Google Benchmark's alone, for scripts.

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

class table_reporter : public benchmark::ConsoleReporter {
public:
    explicit table_reporter(OutputOptions options) : ConsoleReporter(options) {}

    void ReportRuns(const std::vector<Run>& runs) override
    {
        ConsoleReporter::ReportRuns(runs);
        for (const auto& run : runs) {
            if (run.error_occurred || run.run_type != Run::RT_Iteration || !run.counters.contains("x_floor"))
                continue;
            // The name without Google Benchmark's own settings (`/min_time:1.000`).
            std::string shown = run.benchmark_name();
            for (auto at = shown.find("/min_time:"); at != std::string::npos; at = shown.find("/min_time:"))
                shown.erase(at, shown.find('/', at + 1) - at);
            row r{std::move(shown), {}};
            for (const auto& [name, counter] : run.counters) {
                r.counters[name] = counter.value;
                if (name.ends_with("_x")) {
                    const auto peer = name.substr(0, name.size() - 2);
                    if (std::find(peers_.begin(), peers_.end(), peer) == peers_.end())
                        peers_.push_back(peer);
                }
            }
            rows_.push_back(std::move(r));
        }
    }

    void Finalize() override
    {
        ConsoleReporter::Finalize();
        if (rows_.empty())
            return;
        auto& out = GetOutputStream();
        out << "\nEach row: tessera against its floor (x floor = tessera / floor) and against each peer"
               " (x = peer / tessera),\nmedians of rotating rounds in this run; allocs = heap allocations per call.\n\n";
        std::string line = cell("operation", -40) + cell("floor", 10) + cell("tessera", 10) + cell("x floor", 8) +
                           cell("allocs", 7);
        for (const auto& peer : peers_)
            line += " |" + cell(peer, 10) + cell("x", 7) + cell("allocs", 7);
        out << line << '\n' << std::string(line.size(), '-') << '\n';
        for (const auto& r : rows_) {
            line = cell(r.name, -40) + cell(time(r.at("floor_ns")), 10) + cell(time(r.at("tessera_ns")), 10) +
                   cell(fixed(r.at("x_floor"), 2), 8) + cell(fixed(r.at("allocs"), 1), 7);
            for (const auto& peer : peers_) {
                if (!r.counters.contains(peer + "_x")) {
                    line += " |" + cell("-", 10) + cell("", 7) + cell("", 7);
                    continue;
                }
                line += " |" + cell(time(r.at(peer + "_ns")), 10) + cell(fixed(r.at(peer + "_x"), 1), 7) +
                        cell(fixed(r.at(peer + "_allocs"), 0), 7);
            }
            out << line << '\n';
        }
    }

private:
    struct row {
        std::string name;
        std::map<std::string, double> counters;
        [[nodiscard]] double at(const std::string& key) const
        {
            const auto it = counters.find(key);
            return it == counters.end() ? -1 : it->second;
        }
    };

    /// `text` right-aligned in `width` characters, or left-aligned in `-width`.
    static std::string cell(std::string_view text, int width)
    {
        const auto w = static_cast<std::size_t>(width < 0 ? -width : width);
        const std::string pad(text.size() < w ? w - text.size() : 0, ' ');
        return width < 0 ? std::string{text} + pad : " " + pad + std::string{text};
    }
    static std::string fixed(double v, int decimals)
    {
        if (v < 0)
            return "?";
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
        return buffer;
    }
    static std::string time(double ns)
    {
        if (ns < 0)
            return "?";
        char buffer[32];
        if (ns < 1'000)
            std::snprintf(buffer, sizeof buffer, "%.0f ns", ns);
        else if (ns < 1'000'000)
            std::snprintf(buffer, sizeof buffer, "%.2f us", ns / 1e3);
        else
            std::snprintf(buffer, sizeof buffer, "%.2f ms", ns / 1e6);
        return buffer;
    }

    std::vector<row> rows_;
    std::vector<std::string> peers_;
};

} // namespace

int main(int argc, char** argv)
{
    bool for_scripts = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        for_scripts = for_scripts || (arg.starts_with("--benchmark_format=") && arg != "--benchmark_format=console");
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    if (for_scripts) {
        benchmark::RunSpecifiedBenchmarks();
    } else {
        table_reporter reporter{isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Color
                                                      : benchmark::ConsoleReporter::OO_None};
        benchmark::RunSpecifiedBenchmarks(&reporter);
    }
    benchmark::Shutdown();
    return 0;
}
