// SPDX-License-Identifier: BSL-1.0
#include <tessera/core.hpp>

#include <boost/test/unit_test.hpp>

#include <set>
#include <sstream>
#include <thread>
#include <type_traits>

using namespace std::chrono_literals;
using tessera::errc;

namespace {

// `secret` must not be printable: detect a usable operator<< at compile time.
template <class T>
concept streamable = requires(std::ostream& os, const T& t) { os << t; };

} // namespace

BOOST_AUTO_TEST_SUITE(core)

BOOST_AUTO_TEST_CASE(error_names_are_stable)
{
    BOOST_TEST(tessera::to_string(errc::malformed) == "malformed");
    BOOST_TEST(tessera::to_string(errc::token_too_large) == "token_too_large");
    BOOST_TEST(tessera::to_string(errc::unsupported_algorithm) == "unsupported_algorithm");
    BOOST_TEST(tessera::to_string(errc::algorithm_mismatch) == "algorithm_mismatch");
    BOOST_TEST(tessera::to_string(errc::bad_signature) == "bad_signature");
    BOOST_TEST(tessera::to_string(errc::expired) == "expired");
    BOOST_TEST(tessera::to_string(errc::not_yet_valid) == "not_yet_valid");
    BOOST_TEST(tessera::to_string(errc::wrong_issuer) == "wrong_issuer");
    BOOST_TEST(tessera::to_string(errc::wrong_audience) == "wrong_audience");
    BOOST_TEST(tessera::to_string(errc::wrong_type) == "wrong_type");
    BOOST_TEST(tessera::to_string(errc::missing_claim) == "missing_claim");
    BOOST_TEST(tessera::to_string(errc::revoked) == "revoked");
    BOOST_TEST(tessera::to_string(errc::unknown_session) == "unknown_session");
    BOOST_TEST(tessera::to_string(errc::refresh_reused) == "refresh_reused");
    BOOST_TEST(tessera::to_string(errc::store_unavailable) == "store_unavailable");
    BOOST_TEST(tessera::to_string(errc::store_full) == "store_full");
    BOOST_TEST((std::error_code{errc::store_full} == tessera::condition::unavailable));
    BOOST_TEST(tessera::to_string(errc::invalid_key) == "invalid_key");
    BOOST_TEST(tessera::to_string(errc::weak_key) == "weak_key");
    BOOST_TEST(tessera::to_string(errc::csrf_mismatch) == "csrf_mismatch");
    BOOST_TEST(tessera::to_string(errc::rate_limited) == "rate_limited");
    BOOST_TEST(tessera::to_string(errc::bad_credentials) == "bad_credentials");
    BOOST_TEST(tessera::to_string(errc::unknown_key) == "unknown_key");
    BOOST_TEST(tessera::to_string(errc::wrong_subject) == "wrong_subject");
}

BOOST_AUTO_TEST_CASE(error_code_round_trip)
{
    std::error_code ec = errc::expired;
    BOOST_TEST(ec.category().name() == std::string{"tessera"});
    BOOST_TEST(ec.message() == "expired");
    BOOST_TEST(tessera::to_string(ec) == "expired");
    BOOST_TEST((ec == errc::expired));
    BOOST_TEST((ec != errc::revoked));
    BOOST_TEST(tessera::to_string(std::make_error_code(std::errc::timed_out)) ==
               std::make_error_code(std::errc::timed_out).message());
}

BOOST_AUTO_TEST_CASE(result_carries_value_or_error)
{
    auto ok = []() -> tessera::result<int> { return 42; }();
    auto bad = []() -> tessera::result<int> { return tessera::fail(errc::revoked); }();
    BOOST_TEST(ok.has_value());
    BOOST_TEST(*ok == 42);
    BOOST_TEST(!bad.has_value());
    BOOST_TEST((bad.error() == errc::revoked));
    BOOST_CHECK_THROW(bad.value(), std::system_error);
}

BOOST_AUTO_TEST_CASE(constant_time_equal_compares_contents_and_length)
{
    BOOST_TEST(tessera::constant_time_equal(std::string_view{"abc"}, std::string_view{"abc"}));
    BOOST_TEST(!tessera::constant_time_equal(std::string_view{"abc"}, std::string_view{"abd"}));
    BOOST_TEST(!tessera::constant_time_equal(std::string_view{"abc"}, std::string_view{"ab"}));
    BOOST_TEST(!tessera::constant_time_equal(std::string_view{"xbc"}, std::string_view{"abc"}));
    BOOST_TEST(tessera::constant_time_equal(std::string_view{}, std::string_view{}));
    // Words and the bytes after them: any one bit changed anywhere is a difference.
    for (std::size_t n = 1; n <= 40; ++n) {
        std::string a(n, 'x');
        for (std::size_t i = 0; i < n; ++i)
            a[i] = static_cast<char>('a' + (i * 7) % 26);
        BOOST_TEST(tessera::constant_time_equal(a, std::string{a}));
        for (std::size_t at = 0; at < n; ++at)
            for (int bit = 0; bit < 8; ++bit) {
                auto b = a;
                b[at] = static_cast<char>(b[at] ^ (1 << bit));
                BOOST_TEST(!tessera::constant_time_equal(a, b), "n " << n << " byte " << at << " bit " << bit);
            }
    }
}

BOOST_AUTO_TEST_CASE(secret_is_not_printable_and_compares)
{
    static_assert(!streamable<tessera::secret>, "a secret must never reach a stream");
    static_assert(!std::is_convertible_v<tessera::secret, std::string_view>);
    auto a = tessera::secret::from_text("0123456789abcdef");
    auto b = tessera::secret::from_text("0123456789abcdef");
    auto c = tessera::secret::from_text("0123456789abcdeX");
    BOOST_TEST(a.size() == 16u);
    BOOST_TEST((a == b));
    BOOST_TEST(!(a == c));
    BOOST_TEST(a.reveal()[0] == '0');
    tessera::secret moved = std::move(a);
    BOOST_TEST(moved.size() == 16u);
}

BOOST_AUTO_TEST_CASE(random_ids_are_256_bit_base64url_and_distinct)
{
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        auto id = tessera::random_id();
        BOOST_TEST_REQUIRE(id.size() == 43u);
        auto raw = tessera::base64url::decode(id);
        BOOST_TEST_REQUIRE(raw.has_value());
        BOOST_TEST(raw->size() == 32u);
        seen.insert(std::move(id));
    }
    BOOST_TEST(seen.size() == 1000u);
    BOOST_TEST(tessera::random_id(16).size() == 22u);
    BOOST_TEST(tessera::random_id(100).size() == tessera::base64url::encoded_size(100));
}

BOOST_AUTO_TEST_CASE(random_bytes_are_not_constant)
{
    std::uint8_t a[32] = {}, b[32] = {};
    tessera::random_bytes(a);
    tessera::random_bytes(b);
    BOOST_TEST(!tessera::constant_time_equal(a, b));
}

BOOST_AUTO_TEST_CASE(random_ids_from_many_threads)
{
    std::vector<std::string> ids(4 * 200);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i)
                ids[static_cast<std::size_t>(t * 200 + i)] = tessera::random_id();
        });
    for (auto& th : threads)
        th.join();
    BOOST_TEST(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
}

BOOST_AUTO_TEST_CASE(system_clock_tells_seconds)
{
    tessera::system_clock clock;
    auto a = clock.now();
    auto wall = std::chrono::system_clock::now();
    BOOST_TEST(std::chrono::abs(wall - a) < 2s);
    static_assert(std::is_empty_v<tessera::system_clock>);
}

BOOST_AUTO_TEST_CASE(manual_clock_moves_when_told)
{
    tessera::manual_clock clock{tessera::time_point{1000s}};
    BOOST_TEST(clock.now().time_since_epoch().count() == 1000);
    clock.advance(61s);
    BOOST_TEST(clock.now().time_since_epoch().count() == 1061);
    clock.set(tessera::time_point{5s});
    BOOST_TEST(clock.now().time_since_epoch().count() == 5);
    // Copies share one time, so a store and its test see the same instant.
    tessera::manual_clock copy = clock;
    clock.advance(1s);
    BOOST_TEST(copy.now().time_since_epoch().count() == 6);
    static_assert(tessera::clock<tessera::manual_clock>);
    static_assert(tessera::clock<tessera::system_clock>);
    static_assert(!tessera::clock<int>);
}

BOOST_AUTO_TEST_SUITE_END()
