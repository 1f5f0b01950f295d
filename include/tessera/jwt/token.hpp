// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The compact JWS serialization: splitting `header.payload.signature` and
    reading the protected header, strictly (RFC 7515 §5.2, §7.1).
*/

#include <tessera/core/ascii.hpp>
#include <tessera/core/base64url.hpp>
#include <tessera/core/result.hpp>
#include <tessera/jwt/algorithms.hpp>
#include <tessera/detail/strict_json.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <cstddef>
#include <cmath>
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


namespace detail {

/** Reads a protected header without building a DOM: the members tessera acts
    on are captured as they stream past, everything else is only validated
    (grammar, UTF-8, depth, no repeated names).
*/
class header_handler {
public:
    static constexpr std::size_t max_object_size = boost::json::object::max_size();
    static constexpr std::size_t max_array_size = boost::json::array::max_size();
    static constexpr std::size_t max_key_size = boost::json::string::max_size();
    static constexpr std::size_t max_string_size = boost::json::string::max_size();

    explicit header_handler(jose_header& out) : out_(out) {}

    bool on_document_begin(boost::json::error_code&) { return true; }
    bool on_document_end(boost::json::error_code&) { return true; }
    bool on_object_begin(boost::json::error_code& ec)
    {
        if (names_.depth() == 0 && seen_top_)
            return refuse(ec); // not reachable: a document has one top-level value
        if (names_.depth() == 1 && target_ != target::none)
            return refuse(ec);
        seen_top_ = true;
        names_.enter_object();
        return true;
    }
    bool on_object_end(std::size_t, boost::json::error_code&)
    {
        names_.leave_object();
        return true;
    }
    bool on_array_begin(boost::json::error_code& ec)
    {
        // A top-level array, or an array where alg/typ/kid/cty needs a string.
        if (names_.depth() == 0 || (names_.depth() == 1 && target_ != target::none))
            return refuse(ec);
        ++array_depth_;
        return true;
    }
    bool on_array_end(std::size_t, boost::json::error_code&)
    {
        --array_depth_;
        return true;
    }
    bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&)
    {
        names_.key_part(s);
        return true;
    }
    bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code& ec)
    {
        if (!names_.key(s))
            return refuse(ec);
        target_ = target::none;
        if (names_.depth() != 1)
            return true;
        const auto name = names_.last();
        if (name == "alg")
            target_ = target::alg;
        else if (name == "typ")
            target_ = target::typ;
        else if (name == "kid")
            target_ = target::kid;
        else if (name == "cty")
            target_ = target::cty;
        else if (name == "crit")
            return refuse(ec); // tessera implements no extension (RFC 7515 §4.1.11)
        return true;
    }
    bool on_string_part(boost::json::string_view s, std::size_t, boost::json::error_code& ec)
    {
        return capture(s, ec);
    }
    bool on_string(boost::json::string_view s, std::size_t, boost::json::error_code& ec)
    {
        if (!capture(s, ec))
            return false;
        if (at_member()) {
            if (target_ == target::alg)
                has_alg_ = true;
            else if (target_ == target::typ)
                out_.has_typ = true;
            else if (target_ == target::kid)
                out_.has_kid = true;
            else if (target_ == target::cty && is_jwt(cty_))
                return refuse(ec); // nested tokens are not accepted
        }
        return true;
    }
    bool on_number_part(boost::json::string_view, boost::json::error_code&) { return true; }
    bool on_int64(std::int64_t, boost::json::string_view, boost::json::error_code& ec) { return scalar(ec); }
    bool on_uint64(std::uint64_t, boost::json::string_view, boost::json::error_code& ec) { return scalar(ec); }
    // A number Boost.JSON reads as infinite is refused here as everywhere tessera parses JSON, so that the
    // verifier and the unverified decoder read the same headers.
    bool on_double(double d, boost::json::string_view, boost::json::error_code& ec)
    {
        return std::isfinite(d) ? scalar(ec) : refuse(ec);
    }
    bool on_bool(bool, boost::json::error_code& ec) { return scalar(ec); }
    bool on_null(boost::json::error_code& ec) { return scalar(ec); }
    bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

    [[nodiscard]] bool has_alg() const noexcept { return has_alg_; }
    void input(std::string_view text) noexcept { names_.input(text); }

private:
    enum class target { none, alg, typ, kid, cty };

    bool at_member() const noexcept { return names_.depth() == 1 && array_depth_ == 0 && target_ != target::none; }

    bool capture(std::string_view s, boost::json::error_code& ec)
    {
        if (names_.depth() == 0)
            return refuse(ec); // a top-level string
        if (!at_member())
            return true;
        switch (target_) {
        case target::alg: out_.alg.append(s); break;
        case target::typ: out_.typ.append(s); break;
        case target::kid: out_.kid.append(s); break;
        case target::cty: cty_.append(s); break;
        case target::none: break;
        }
        return true;
    }

    bool scalar(boost::json::error_code& ec)
    {
        // A top-level scalar, or a non-string where alg/typ/kid/cty needs a string.
        if (names_.depth() == 0 || at_member())
            return refuse(ec);
        return true;
    }

    static bool refuse(boost::json::error_code& ec)
    {
        ec = boost::json::error::syntax;
        return false;
    }

    static bool is_jwt(std::string_view c) noexcept
    {
        return tessera::detail::equal_ignoring_ascii_case(c, "jwt");
    }

    jose_header& out_;
    tessera::detail::member_names names_;
    std::string cty_;
    target target_ = target::none;
    std::size_t array_depth_ = 0;
    bool has_alg_ = false;
    bool seen_top_ = false;
};

} // namespace detail

/** Decodes and checks a protected header segment.

    @return `malformed` for bad base64url or JSON, a missing or non-string
    `alg`, non-string `typ`/`kid`, any `crit` (tessera understands no
    extension, so RFC 7515 §4.1.11 requires rejection), or `cty` of `JWT`
    (nested tokens are not accepted). Whether `alg` is one tessera implements
    is the verifier's question (`unsupported_algorithm`), asked only when it
    is not one the verifier pins.
*/
inline result<jose_header> parse_header(std::string_view encoded, std::size_t max_depth = 16)
{
    // Headers are small: decode them on the stack when they fit.
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

    jose_header header;
    boost::json::parse_options options;
    options.max_depth = max_depth;
    boost::json::basic_parser<detail::header_handler> parser{options, header};
    parser.handler().input(text);
    boost::json::error_code ec;
    const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
    if (ec || used != text.size() || !parser.done() || !parser.handler().has_alg())
        return fail(errc::malformed);
    return header;
}

/** The protected header segment tessera's signer writes:
    base64url of `{"alg":..,"typ":..,"kid":..}`, `typ` and `kid` left out when empty.
*/
inline std::string encode_header(std::string_view alg, std::string_view typ, std::string_view kid)
{
    boost::json::object header;
    header["alg"] = alg;
    if (!typ.empty())
        header["typ"] = typ;
    if (!kid.empty())
        header["kid"] = kid;
    return base64url::encode(boost::json::serialize(header));
}

} // namespace tessera::inline v0::jwt
