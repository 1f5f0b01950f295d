// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `signer<Alg>`: makes compact JWS tokens from claims.
*/

#include <tessera/core/random.hpp>
#include <tessera/detail/strict_json.hpp>
#include <tessera/jwt/claims.hpp>
#include <tessera/jwt/keys.hpp>
#include <tessera/jwt/token.hpp>

#include <boost/json/serialize.hpp>

#include <string>
#include <string_view>

namespace tessera::inline v0::jwt {

/// What a signer writes besides the claims.
struct sign_options {
    /// The header's `typ`; empty leaves it out. RFC 9068 access tokens use `at+jwt`.
    std::string type = "JWT";
    /// Add a random 256-bit `jti` when the claims have none (deny lists need one).
    bool generate_jti = true;
};

/** Signs claims with one key of one algorithm.

    @tparam Alg the algorithm; the key type follows from it.
    @par Thread Safety
    `sign` may be called from many threads on one signer.
*/
template <algorithm Alg>
class signer {
public:
    using algorithm_type = Alg;
    using key_type = signing_key_t<Alg>;

    explicit signer(key_type key, sign_options options = {})
        : key_(std::move(key)), options_(std::move(options)), header_(encode_header(Alg::name, options_.type, key_.kid()))
    {
    }

    /** A compact JWS of `c` with header `{"alg":..,"typ":..,"kid":..}`.
        @return `malformed` when a registered claim has the wrong JSON type, or when the claims could
        not be read back by a verifier (a non-finite number, a string or name that is not UTF-8,
        nesting deeper than a verifier's default 16): nothing is signed that tessera would refuse.
    */
    [[nodiscard]] result<std::string> sign(const claims& c) const
    {
        if (auto ok = detail::check_registered_types(c.json()); !ok)
            return ok.error();
        if (!tessera::detail::readable_back(c.json()))
            return fail(errc::malformed);
        if (options_.generate_jti && !c.contains("jti")) {
            boost::json::object with_jti = c.json();
            with_jti["jti"] = random_id();
            return sign_payload(boost::json::serialize(with_jti));
        }
        return sign_payload(boost::json::serialize(c.json()));
    }

    /// A compact JWS over arbitrary payload bytes (a JWS that need not be a JWT).
    [[nodiscard]] std::string sign_payload(std::string_view payload) const
    {
        std::string token;
        // Room for the signature of every algorithm up to RSA-2048 (342 characters): one allocation.
        token.reserve(header_.size() + base64url::encoded_size(payload.size()) + 2 + 344);
        token += header_; // the same for every token of this signer: encoded once
        token += '.';
        base64url::encode_to(std::span{reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}, token);
        const auto signature = key_.sign(token);
        token += '.';
        base64url::encode_to(signature, token);
        return token;
    }

    [[nodiscard]] const key_type& key() const noexcept { return key_; }

private:
    key_type key_;
    sign_options options_;
    std::string header_;
};

} // namespace tessera::inline v0::jwt
