// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Reading a token WITHOUT verifying it, for debugging tools only.

    Nothing returned here may be trusted: anyone can write any header and
    claims. The names say so (`unverified_token`, `decode_unverified`).
*/

#include <tessera/jwt/token.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessera::inline v0::jwt {

/// A token's contents as written by whoever made it. Not verified.
struct unverified_token {
    boost::json::object header;
    /// The payload as text (a JWS payload need not be JSON).
    std::string payload_text;
    /// The payload as a JSON object, when it is one.
    std::optional<boost::json::object> claims;
    std::vector<std::uint8_t> signature;
};

/** Decodes the three segments of a token without checking the signature.

    The same strict rules as verification apply to the encoding (three
    parts, canonical base64url, a strict JSON header object), so a token the
    debugger shows is one a verifier would at least parse.

    @param max_size the size limit; debugging tools may raise it.
*/
inline result<unverified_token> decode_unverified(std::string_view token, std::size_t max_size = default_max_token_size)
{
    auto parts = split(token, max_size);
    if (!parts)
        return parts.error();
    auto header_text = base64url::decode_to_string(parts->header);
    if (!header_text)
        return header_text.error();
    auto header = tessera::detail::parse_object(*header_text);
    if (!header)
        return header.error();
    auto payload = base64url::decode_to_string(parts->payload);
    if (!payload)
        return payload.error();
    auto signature = base64url::decode(parts->signature);
    if (!signature)
        return signature.error();
    unverified_token out{std::move(*header), std::move(*payload), std::nullopt, std::move(*signature)};
    if (auto claims = tessera::detail::parse_object(out.payload_text))
        out.claims = std::move(*claims);
    return out;
}

} // namespace tessera::inline v0::jwt
