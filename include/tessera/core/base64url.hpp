// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    base64url without padding (RFC 4648 §5, as JWS uses it: RFC 7515 §2).

    Decoding is strict. Every string has at most one accepted spelling, so
    two different token strings can never carry the same bytes: padding,
    whitespace, characters outside the URL-safe alphabet (`+` and `/`
    included), impossible lengths and non-zero unused trailing bits are all
    `errc::malformed`.
*/

#include <tessera/core/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::inline v0::base64url {

namespace detail {

inline constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

inline constexpr std::uint8_t invalid = 0xff;

inline constexpr std::array<std::uint8_t, 256> decode_table = [] {
    std::array<std::uint8_t, 256> table{};
    table.fill(invalid);
    for (std::size_t i = 0; i < alphabet.size(); ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
    return table;
}();

} // namespace detail

/// Characters needed to encode `n` bytes (no padding).
constexpr std::size_t encoded_size(std::size_t n) noexcept
{
    return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/** Bytes that `encoded_length` characters decode to.

    @return `errc::malformed` for a length no encoder produces (4k + 1).
*/
inline result<std::size_t> decoded_size(std::size_t encoded_length) noexcept
{
    if (encoded_length % 4 == 1)
        return fail(errc::malformed);
    return encoded_length / 4 * 3 + (encoded_length % 4 == 0 ? 0 : encoded_length % 4 - 1);
}

/** Writes the encoding of `in` to `out`, which holds at least `encoded_size(in.size())` characters.
    @return the number of characters written.
*/
inline std::size_t encode_into(std::span<const std::uint8_t> in, char* out) noexcept
{
    char* o = out;
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        const std::uint32_t v = std::uint32_t{in[i]} << 16 | std::uint32_t{in[i + 1]} << 8 | in[i + 2];
        *o++ = detail::alphabet[v >> 18 & 63];
        *o++ = detail::alphabet[v >> 12 & 63];
        *o++ = detail::alphabet[v >> 6 & 63];
        *o++ = detail::alphabet[v & 63];
    }
    if (const std::size_t rest = in.size() - i; rest != 0) {
        std::uint32_t v = std::uint32_t{in[i]} << 16;
        if (rest == 2)
            v |= std::uint32_t{in[i + 1]} << 8;
        *o++ = detail::alphabet[v >> 18 & 63];
        *o++ = detail::alphabet[v >> 12 & 63];
        if (rest == 2)
            *o++ = detail::alphabet[v >> 6 & 63];
    }
    return static_cast<std::size_t>(o - out);
}

/// Appends the encoding of `in` to `out`.
inline void encode_to(std::span<const std::uint8_t> in, std::string& out)
{
    const std::size_t start = out.size();
    out.resize(start + encoded_size(in.size()));
    (void)encode_into(in, out.data() + start);
}

/// The encoding of `in`.
inline std::string encode(std::span<const std::uint8_t> in)
{
    std::string out;
    encode_to(in, out);
    return out;
}

/// The encoding of the bytes of `in` (for JSON text and other strings).
inline std::string encode(std::string_view in)
{
    return encode(std::span{reinterpret_cast<const std::uint8_t*>(in.data()), in.size()});
}

/** Decodes `in` into `out`, which must hold at least `decoded_size(in.size())` bytes.

    Nothing is allocated. On failure the contents of `out` are unspecified.
    @return the number of bytes written, or `errc::malformed`.
*/
inline result<std::size_t> decode_into(std::string_view in, std::span<std::uint8_t> out) noexcept
{
    const auto size = decoded_size(in.size());
    if (!size || *size > out.size())
        return fail(errc::malformed);

    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    const std::size_t full = in.size() / 4 * 4;
    std::uint8_t* o = out.data();
    // OR-ing every table entry lets the loop run without a branch per character;
    // any invalid entry (0xff) leaves its top bits set in `bad`.
    std::uint8_t bad = 0;
    for (std::size_t i = 0; i < full; i += 4) {
        const std::uint8_t a = detail::decode_table[p[i]], b = detail::decode_table[p[i + 1]],
                           c = detail::decode_table[p[i + 2]], d = detail::decode_table[p[i + 3]];
        bad |= a | b | c | d;
        const std::uint32_t v = std::uint32_t{a} << 18 | std::uint32_t{b} << 12 | std::uint32_t{c} << 6 | d;
        *o++ = static_cast<std::uint8_t>(v >> 16);
        *o++ = static_cast<std::uint8_t>(v >> 8);
        *o++ = static_cast<std::uint8_t>(v);
    }
    if (bad & 0xc0)
        return fail(errc::malformed);

    switch (in.size() - full) {
    case 2: {
        const std::uint8_t a = detail::decode_table[p[full]], b = detail::decode_table[p[full + 1]];
        // One byte is 8 bits; the second character's low 4 bits are unused and must be 0.
        if ((a | b) & 0xc0 || (b & 0x0f) != 0)
            return fail(errc::malformed);
        *o++ = static_cast<std::uint8_t>(a << 2 | b >> 4);
        break;
    }
    case 3: {
        const std::uint8_t a = detail::decode_table[p[full]], b = detail::decode_table[p[full + 1]],
                           c = detail::decode_table[p[full + 2]];
        // Two bytes are 16 bits; the third character's low 2 bits are unused and must be 0.
        if ((a | b | c) & 0xc0 || (c & 0x03) != 0)
            return fail(errc::malformed);
        *o++ = static_cast<std::uint8_t>(a << 2 | b >> 4);
        *o++ = static_cast<std::uint8_t>((b & 0x0f) << 4 | c >> 2);
        break;
    }
    default: break;
    }
    return *size;
}

/// Decodes `in` into a new byte vector, or `errc::malformed`.
inline result<std::vector<std::uint8_t>> decode(std::string_view in)
{
    const auto size = decoded_size(in.size());
    if (!size)
        return size.error();
    std::vector<std::uint8_t> out(*size);
    if (auto r = decode_into(in, out); !r)
        return r.error();
    return out;
}

/// Decodes `in` into a string (for JSON text), or `errc::malformed`.
inline result<std::string> decode_to_string(std::string_view in)
{
    const auto size = decoded_size(in.size());
    if (!size)
        return size.error();
    std::string out(*size, '\0');
    if (auto r = decode_into(in, std::span{reinterpret_cast<std::uint8_t*>(out.data()), out.size()}); !r)
        return r.error();
    return out;
}

} // namespace tessera::inline v0::base64url
