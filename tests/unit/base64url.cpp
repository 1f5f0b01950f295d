// SPDX-License-Identifier: BSL-1.0
#include <tessera/core/base64url.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

namespace b64 = tessera::base64url;
using tessera::errc;

namespace {

std::string decoded(std::string_view in)
{
    auto r = b64::decode_to_string(in);
    BOOST_TEST_REQUIRE(r.has_value(), "decode of '" << in << "' failed");
    return *r;
}

bool refused(std::string_view in)
{
    auto r = b64::decode(in);
    return !r && r.error() == errc::malformed;
}

} // namespace

BOOST_AUTO_TEST_SUITE(base64url)

// RFC 4648 §10 vectors; base64url and base64 agree on these because none
// contains '+' or '/', and the padding is dropped (RFC 7515 §2).
BOOST_AUTO_TEST_CASE(rfc4648_vectors_encode)
{
    BOOST_TEST(b64::encode(std::string_view{""}) == "");
    BOOST_TEST(b64::encode(std::string_view{"f"}) == "Zg");
    BOOST_TEST(b64::encode(std::string_view{"fo"}) == "Zm8");
    BOOST_TEST(b64::encode(std::string_view{"foo"}) == "Zm9v");
    BOOST_TEST(b64::encode(std::string_view{"foob"}) == "Zm9vYg");
    BOOST_TEST(b64::encode(std::string_view{"fooba"}) == "Zm9vYmE");
    BOOST_TEST(b64::encode(std::string_view{"foobar"}) == "Zm9vYmFy");
}

BOOST_AUTO_TEST_CASE(rfc4648_vectors_decode)
{
    BOOST_TEST(decoded("") == "");
    BOOST_TEST(decoded("Zg") == "f");
    BOOST_TEST(decoded("Zm8") == "fo");
    BOOST_TEST(decoded("Zm9v") == "foo");
    BOOST_TEST(decoded("Zm9vYg") == "foob");
    BOOST_TEST(decoded("Zm9vYmE") == "fooba");
    BOOST_TEST(decoded("Zm9vYmFy") == "foobar");
}

BOOST_AUTO_TEST_CASE(url_safe_alphabet)
{
    // 0xfb 0xff 0xbf encodes to the two characters that differ from base64.
    const std::uint8_t bytes[] = {0xfb, 0xff, 0xbf};
    BOOST_TEST(b64::encode(bytes) == "-_-_");
    auto back = b64::decode("-_-_");
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST(*back == std::vector<std::uint8_t>(std::begin(bytes), std::end(bytes)), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(round_trip_every_length_and_byte)
{
    std::vector<std::uint8_t> bytes;
    for (int n = 0; n < 300; ++n) {
        auto enc = b64::encode(bytes);
        BOOST_TEST(enc.size() == b64::encoded_size(bytes.size()));
        BOOST_TEST(enc.find('=') == std::string::npos);
        auto dec = b64::decode(enc);
        BOOST_TEST_REQUIRE(dec.has_value());
        BOOST_TEST((*dec == bytes));
        bytes.push_back(static_cast<std::uint8_t>(n * 7 + 3));
    }
}

BOOST_AUTO_TEST_CASE(rfc7515_header_example)
{
    // RFC 7515 A.1: the JOSE header with its literal CRLF.
    BOOST_TEST(decoded("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9") == "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}");
}

BOOST_AUTO_TEST_CASE(rejects_padding)
{
    BOOST_TEST(refused("Zg=="));
    BOOST_TEST(refused("Zm8="));
    BOOST_TEST(refused("Zg="));
    BOOST_TEST(refused("===="));
}

BOOST_AUTO_TEST_CASE(rejects_standard_base64_characters)
{
    BOOST_TEST(refused("+/+/"));
    BOOST_TEST(refused("ab+c"));
    BOOST_TEST(refused("ab/c"));
}

BOOST_AUTO_TEST_CASE(rejects_whitespace)
{
    BOOST_TEST(refused(" Zm9v"));
    BOOST_TEST(refused("Zm9v "));
    BOOST_TEST(refused("Zm 9v"));
    BOOST_TEST(refused("Zm9v\n"));
    BOOST_TEST(refused("Zm9v\r\nYg"));
    BOOST_TEST(refused("Zm\t9v"));
}

BOOST_AUTO_TEST_CASE(rejects_impossible_lengths)
{
    BOOST_TEST(refused("Z"));
    BOOST_TEST(refused("Zm9vY"));
    BOOST_TEST(refused("Zm9vYmFyZ"));
}

BOOST_AUTO_TEST_CASE(rejects_non_canonical_trailing_bits)
{
    // "Zg" is the only spelling of "f": Zh..Zv set unused bits.
    BOOST_TEST(refused("Zh"));
    BOOST_TEST(refused("Zv"));
    // "Zm8" is the only spelling of "fo": Zm9 sets an unused bit.
    BOOST_TEST(refused("Zm9"));
    BOOST_TEST(refused("Zm-"));
    // The N3 vector of the JWT reference: valid "...N5I", non-canonical "...N5J".
    BOOST_TEST(!refused("BIC7xT8EuMEAD668BKXR2PoFeoJVC9skevIe2lntN5I"));
    BOOST_TEST(refused("BIC7xT8EuMEAD668BKXR2PoFeoJVC9skevIe2lntN5J"));
}

BOOST_AUTO_TEST_CASE(rejects_control_nul_and_non_ascii)
{
    BOOST_TEST(refused(std::string_view{"Zm\0v", 4}));
    BOOST_TEST(refused("Zm9\x7f"));
    BOOST_TEST(refused("Zm9\xc3\xa9"));
    BOOST_TEST(refused("Zm.v"));
    BOOST_TEST(refused("Zm9v*A=="));
}

BOOST_AUTO_TEST_CASE(decode_into_refuses_a_short_buffer)
{
    std::uint8_t out[2];
    auto r = b64::decode_into("Zm9v", out);
    BOOST_TEST(!r);
    BOOST_TEST((r.error() == errc::malformed));
}

BOOST_AUTO_TEST_CASE(decoded_size_matches_encoded_size)
{
    for (std::size_t n = 0; n < 64; ++n) {
        auto size = b64::decoded_size(b64::encoded_size(n));
        BOOST_TEST_REQUIRE(size.has_value());
        BOOST_TEST(*size == n);
    }
}

BOOST_AUTO_TEST_SUITE_END()
