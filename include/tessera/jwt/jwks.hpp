// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    A JWK Set (RFC 7517 §5): the keys an identity provider publishes, from
    which a verifier picks one by the token's `kid`.
*/

#include <tessera/core/result.hpp>
#include <tessera/detail/strict_json.hpp>

#include <boost/json/object.hpp>

#include <string_view>
#include <vector>

namespace tessera::inline v0::jwt {

/** The keys of a JWK Set, as JSON objects.

    Nothing is converted here: a `verifier<Algs...>` built from the set turns
    each key into a key of every pinned algorithm it fits (by `kty`, `crv`,
    `use` and `alg`), once, when it is constructed. Rotating keys means
    building a new verifier from the new set.
*/
class key_set {
public:
    key_set() = default;

    /** Parses `{"keys":[...]}`.
        @return `invalid_key` unless the text is a JSON object whose `keys`
        member is an array of objects.
    */
    static result<key_set> from_json(std::string_view json)
    {
        auto object = tessera::detail::parse_object(json);
        if (!object)
            return fail(errc::invalid_key);
        return from_object(*object);
    }

    static result<key_set> from_object(const boost::json::object& jwks)
    {
        const auto* keys = jwks.if_contains("keys");
        if (keys == nullptr || !keys->is_array())
            return fail(errc::invalid_key);
        key_set set;
        for (const auto& k : keys->get_array()) {
            if (!k.is_object())
                return fail(errc::invalid_key);
            set.keys_.push_back(k.get_object());
        }
        return set;
    }

    /// Adds one JWK (a public key, or an `oct` key for HMAC).
    key_set& add(boost::json::object jwk)
    {
        keys_.push_back(std::move(jwk));
        return *this;
    }

    [[nodiscard]] const std::vector<boost::json::object>& keys() const noexcept { return keys_; }
    [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }

    /// The set as JSON, for serving at a `jwks_uri`.
    [[nodiscard]] boost::json::object json() const
    {
        boost::json::array keys;
        for (const auto& k : keys_)
            keys.push_back(k);
        return boost::json::object{{"keys", std::move(keys)}};
    }

private:
    std::vector<boost::json::object> keys_;
};

} // namespace tessera::inline v0::jwt
