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

#include <boost/json/serializer.hpp>

#include <algorithm>
#include <array>
#include <span>
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
        const auto& json = c.json();
        if (auto ok = detail::check_registered_types(json); !ok)
            return ok.error();
        if (!tessera::detail::readable_back(json))
            return fail(errc::malformed);
        // The payload is written into a stack buffer (a large one spills to the heap), the `jti`
        // appended in place of the closing brace: the token is the call's one allocation.
        constexpr std::size_t jti_member = 9 + base64url::encoded_size(default_id_bytes) + 2; // ,"jti":"…"}
        std::array<char, 1024> stack;
        std::string spill;
        std::string_view payload = serialize(json, std::span{stack}.first(stack.size() - jti_member), spill);
        if (options_.generate_jti && !c.contains("jti")) {
            std::array<std::uint8_t, default_id_bytes> raw;
            random_bytes(raw);
            std::array<char, jti_member> member;
            char* out = member.data();
            const std::string_view name = json.empty() ? R"("jti":")" : R"(,"jti":")";
            out = std::copy(name.begin(), name.end(), out);
            out += base64url::encode_into(raw, out);
            *out++ = '"';
            *out++ = '}';
            const std::string_view suffix{member.data(), static_cast<std::size_t>(out - member.data())};
            payload.remove_suffix(1); // the closing brace
            if (payload.data() == stack.data()) {
                std::copy(suffix.begin(), suffix.end(), stack.data() + payload.size());
                payload = {stack.data(), payload.size() + suffix.size()};
            } else {
                spill.pop_back();
                spill += suffix;
                payload = spill;
            }
        }
        return sign_payload(payload);
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
    /// `json` serialized into `stack` when it fits, else into `spill`.
    static std::string_view serialize(const boost::json::object& json, std::span<char> stack, std::string& spill)
    {
        boost::json::serializer writer;
        writer.reset(&json);
        std::size_t used = 0;
        while (!writer.done() && used < stack.size())
            used += writer.read(stack.data() + used, stack.size() - used).size();
        if (writer.done())
            return {stack.data(), used};
        spill.assign(stack.data(), used);
        std::array<char, 512> chunk;
        while (!writer.done())
            spill += writer.read(chunk.data(), chunk.size());
        return spill;
    }

    key_type key_;
    sign_options options_;
    std::string header_;
};

} // namespace tessera::inline v0::jwt
