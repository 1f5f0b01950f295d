#pragma once

/** @file
    The compact JWS serialization: splitting `header.payload.signature` and
    reading the protected header, strictly (RFC 7515 §5.2, §7.1).
*/

#include <tessera/core/base64url.hpp>
#include <tessera/core/result.hpp>
#include <tessera/jwt/algorithms.hpp>
#include <tessera/detail/strict_json.hpp>

#include <boost/json/monotonic_resource.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace tessera::inline v0::jwt {

/// Tokens longer than this are refused before any decoding (`token_too_large`).
inline constexpr std::size_t default_max_token_size = 8 * 1024;

/// The three segments of a compact JWS, still base64url-encoded, viewing the token.
struct token_parts {
    std::string_view header;
    std::string_view payload;
    std::string_view signature;
    /// `header.payload`: the exact received bytes the signature covers (RFC 7515 §5.2 step 8).
    std::string_view signing_input;
};

/** Splits a compact JWS into its three segments.

    The scan stops at the first character after the second dot that is a
    dot: the input is never split into an unbounded list of parts.

    An empty signature is returned as such (an unsecured JWS, RFC 7515 A.5):
    the verifier refuses it after reading the header, so that `alg: none`
    is reported as `unsupported_algorithm` and a stripped signature as `malformed`.

    @return `token_too_large` above `max_size`; `malformed` unless there are
    exactly three segments and the header and payload are non-empty.
*/
inline result<token_parts> split(std::string_view token, std::size_t max_size = default_max_token_size) noexcept
{
    if (token.size() > max_size)
        return fail(errc::token_too_large);
    const auto first = token.find('.');
    if (first == std::string_view::npos)
        return fail(errc::malformed);
    const auto second = token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        return fail(errc::malformed);
    token_parts parts{token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1),
                      token.substr(0, second)};
    if (parts.header.empty() || parts.payload.empty())
        return fail(errc::malformed);
    return parts;
}

/** The members of a protected header that tessera acts on.

    `jku`, `x5u`, `jwk` and `x5c` are never used: key material is chosen by
    the verifier, not by the token (RFC 8725 §3.10).
*/
struct jose_header {
    std::string alg;
    std::string typ;
    std::string kid;
    bool has_typ = false;
    bool has_kid = false;
};


/** Decodes and checks a protected header segment.

    @return `malformed` for bad base64url or JSON, a missing or non-string
    `alg`, non-string `typ`/`kid`, any `crit` (tessera understands no
    extension, so RFC 7515 §4.1.11 requires rejection), or `cty` of `JWT`
    (nested tokens are not accepted); `unsupported_algorithm` for an `alg`
    tessera does not implement, `none` in every spelling included.
*/
inline result<jose_header> parse_header(std::string_view encoded, std::size_t max_depth = 16)
{
    // Headers are small: decode and parse them on the stack when they fit.
    std::array<std::uint8_t, 1024> text_buffer;
    std::string heap_text;
    std::string_view text;
    const auto size = base64url::decoded_size(encoded.size());
    if (!size)
        return fail(errc::malformed);
    if (*size <= text_buffer.size()) {
        auto n = base64url::decode_into(encoded, text_buffer);
        if (!n)
            return n.error();
        text = {reinterpret_cast<const char*>(text_buffer.data()), *n};
    } else {
        auto decoded = base64url::decode_to_string(encoded);
        if (!decoded)
            return decoded.error();
        heap_text = std::move(*decoded);
        text = heap_text;
    }

    std::array<unsigned char, 2048> json_buffer;
    boost::json::monotonic_resource resource{json_buffer.data(), json_buffer.size()};
    auto object = tessera::detail::parse_object(text, &resource, {max_depth});
    if (!object)
        return object.error();

    // One pass over the members instead of a lookup per name.
    jose_header header;
    bool has_alg = false;
    for (const auto& member : *object) {
        const std::string_view name = member.key();
        const auto& v = member.value();
        if (name == "alg" || name == "typ" || name == "kid") {
            if (!v.is_string())
                return fail(errc::malformed);
            const std::string_view value_text = v.get_string();
            if (name == "alg") {
                header.alg.assign(value_text);
                has_alg = true;
            } else if (name == "typ") {
                header.typ.assign(value_text);
                header.has_typ = true;
            } else {
                header.kid.assign(value_text);
                header.has_kid = true;
            }
        } else if (name == "crit") {
            return fail(errc::malformed);
        } else if (name == "cty") {
            if (!v.is_string())
                return fail(errc::malformed);
            std::string_view c = v.get_string();
            if (c.size() == 3 && (c[0] | 0x20) == 'j' && (c[1] | 0x20) == 'w' && (c[2] | 0x20) == 't')
                return fail(errc::malformed);
        }
    }
    if (!has_alg)
        return fail(errc::malformed);
    if (!is_known_algorithm(header.alg))
        return fail(errc::unsupported_algorithm);
    return header;
}

} // namespace tessera::inline v0::jwt
