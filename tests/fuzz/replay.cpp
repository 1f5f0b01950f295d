// SPDX-License-Identifier: BSL-1.0
// Replays every seed and every regression of every fuzz target, on each
// `./dev test` and with any compiler: what fuzzing once found stays fixed,
// and the seeds' properties hold without clang.

#include "targets.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace {

std::filesystem::path fuzz_dir()
{
    return std::filesystem::path{TESSERA_FUZZ_DIR};
}

std::size_t replay(const tessera_fuzz::target& t, const std::filesystem::path& dir)
{
    std::size_t n = 0;
    if (!std::filesystem::exists(dir))
        return n;
    for (const auto& entry : std::filesystem::directory_iterator{dir}) {
        if (!entry.is_regular_file())
            continue;
        std::ifstream in{entry.path(), std::ios::binary};
        const std::string bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
        BOOST_TEST_CONTEXT(entry.path().filename().string())
        {
            tessera_fuzz::run(t, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
        }
        ++n;
    }
    return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fuzz_replay)

BOOST_AUTO_TEST_CASE(every_target_has_seeds_and_they_hold)
{
    for (const auto& t : tessera_fuzz::targets) {
        const auto seeds = replay(t, fuzz_dir() / "seeds" / t.name);
        BOOST_TEST(seeds >= 3u, t.name << ": " << seeds << " seeds");
        const auto regressions = replay(t, fuzz_dir() / "regressions" / t.name);
        BOOST_TEST_MESSAGE(t.name << ": " << seeds << " seeds, " << regressions << " regressions replayed");
    }
}

BOOST_AUTO_TEST_SUITE_END()
