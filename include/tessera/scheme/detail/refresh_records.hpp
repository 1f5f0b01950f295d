// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The records of refresh families (refresh_families.hpp) as the store keeps
    them — a family, a refresh token, a used-marker — and the sealing of a
    used token's successor pair under a key only that token gives. Every
    decoder refuses what tessera did not write (`store_unavailable`: the
    store is not answering truthfully).
*/

#include <tessera/core/base64url.hpp>
#include <tessera/core/clock.hpp>
#include <tessera/core/random.hpp>
#include <tessera/core/result.hpp>
#include <tessera/credentials.hpp>
#include <tessera/detail/aead.hpp>
#include <tessera/detail/botan.hpp>
#include <tessera/detail/opaque.hpp>
#include <tessera/detail/strict_json.hpp>
#include <tessera/store/keys.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::inline v0 {

namespace detail {

struct family_record {
    std::string subject;
    std::uint64_t generation = 0;
    time_point created_at, last_used, expires_at;
    std::string user_agent, ip;
    boost::json::object claims;
};

struct refresh_record {
    std::string family;
    std::uint64_t generation = 0;
    time_point expires_at;
};

/// What marks a refresh token used: when, and its successor sealed under a key only the token gives.
struct used_record {
    time_point used_at;
    std::string successor; // base64url(nonce ‖ ciphertext)
};

inline std::int64_t epoch(time_point t) noexcept
{
    return t.time_since_epoch().count();
}

/// Reads a member of a record; false when it is absent or not what tessera wrote.
inline bool read_member(const boost::json::object& o, std::string_view name, time_point& out)
{
    const auto* v = o.if_contains(name);
    if (v == nullptr || !v->is_int64() || v->get_int64() < 0 || v->get_int64() > max_time_seconds)
        return false;
    out = time_point{std::chrono::seconds{v->get_int64()}};
    return true;
}

inline bool read_member(const boost::json::object& o, std::string_view name, std::uint64_t& out)
{
    const auto* v = o.if_contains(name);
    if (v == nullptr)
        return false;
    if (v->is_uint64())
        out = v->get_uint64();
    else if (v->is_int64() && v->get_int64() >= 0)
        out = static_cast<std::uint64_t>(v->get_int64());
    else
        return false;
    return true;
}

inline bool read_member(const boost::json::object& o, std::string_view name, std::string& out, bool required = true)
{
    const auto* v = o.if_contains(name);
    if (v == nullptr)
        return !required;
    if (!v->is_string())
        return false;
    out = v->get_string();
    return true;
}

/// A client context member, written as text or (bytes that are not UTF-8) base64url; never both.
inline bool read_context(const boost::json::object& o, std::string_view text, std::string_view encoded, std::string& out)
{
    std::string b64;
    if (!read_member(o, text, out, false) || !read_member(o, encoded, b64, false))
        return false;
    if (b64.empty())
        return true;
    auto bytes = base64url::decode(b64);
    if (!out.empty() || !bytes || bytes->empty())
        return false;
    out.assign(bytes->begin(), bytes->end());
    return true;
}

inline std::string encode(const family_record& f)
{
    boost::json::object o{{"sub", f.subject},           {"gen", f.generation},
                          {"created", epoch(f.created_at)}, {"last", epoch(f.last_used)},
                          {"exp", epoch(f.expires_at)},     {"claims", f.claims}};
    // The client's context is whatever bytes it sent (HTTP allows a User-Agent that is not UTF-8): text
    // that a JSON reader takes is written as text, anything else base64url-encoded, so that both come back.
    const auto context = [&o](const std::string& value, std::string_view text, std::string_view encoded) {
        if (value.empty())
            return;
        if (tessera::detail::valid_utf8(value))
            o[text] = value;
        else
            o[encoded] = base64url::encode(value);
    };
    context(f.user_agent, "ua", "ua64");
    context(f.ip, "ip", "ip64");
    return boost::json::serialize(o);
}

/// A record that does not decode was not written by tessera: the store is not answering truthfully.
inline result<family_record> decode_family(std::string_view text)
{
    auto o = tessera::detail::parse_object(text);
    family_record f;
    if (!o || !read_member(*o, "sub", f.subject) || !read_member(*o, "gen", f.generation) ||
        !read_member(*o, "created", f.created_at) || !read_member(*o, "last", f.last_used) ||
        !read_member(*o, "exp", f.expires_at) || !read_context(*o, "ua", "ua64", f.user_agent) ||
        !read_context(*o, "ip", "ip64", f.ip))
        return fail(store_failure::corrupt_reply);
    const auto* c = o->if_contains("claims");
    if (c == nullptr || !c->is_object())
        return fail(store_failure::corrupt_reply);
    f.claims = c->get_object();
    return f;
}

inline std::string encode(const refresh_record& r)
{
    return boost::json::serialize(
        boost::json::object{{"fam", r.family}, {"gen", r.generation}, {"exp", epoch(r.expires_at)}});
}

inline result<refresh_record> decode_refresh(std::string_view text)
{
    auto o = tessera::detail::parse_object(text);
    refresh_record r;
    if (!o || !read_member(*o, "fam", r.family) || !read_member(*o, "gen", r.generation) ||
        !read_member(*o, "exp", r.expires_at) || r.family.empty())
        return fail(store_failure::corrupt_reply);
    return r;
}

inline std::string encode(const used_record& u)
{
    return boost::json::serialize(boost::json::object{{"used", epoch(u.used_at)}, {"next", u.successor}});
}

inline result<used_record> decode_used(std::string_view text)
{
    auto o = tessera::detail::parse_object(text);
    used_record u;
    if (!o || !read_member(*o, "used", u.used_at) || !read_member(*o, "next", u.successor))
        return fail(store_failure::corrupt_reply);
    return u;
}

/// The key that seals a token's successor: derived from the token, distinct from its lookup hash.
inline std::array<std::uint8_t, 32> grace_key(std::span<const std::uint8_t> raw_token)
{
    constexpr std::string_view label = "tessera refresh grace v1";
    std::vector<std::uint8_t> input(label.begin(), label.end());
    input.insert(input.end(), raw_token.begin(), raw_token.end());
    auto key = sha256(input);
    Botan::secure_scrub_memory(input.data(), input.size());
    return key;
}

inline std::string seal(std::span<const std::uint8_t> raw_token, std::string_view plaintext)
{
    const auto key = grace_key(raw_token);
    return base64url::encode(tessera::detail::aead_seal(
        "ChaCha20Poly1305", key, {},
        std::span{reinterpret_cast<const std::uint8_t*>(plaintext.data()), plaintext.size()}));
}

inline std::optional<std::string> unseal(std::span<const std::uint8_t> raw_token, std::string_view sealed)
{
    auto bytes = base64url::decode(sealed);
    if (!bytes)
        return std::nullopt;
    const auto key = grace_key(raw_token);
    auto opened = tessera::detail::aead_open("ChaCha20Poly1305", key, {}, *bytes);
    if (!opened)
        return std::nullopt;
    return std::string{opened->begin(), opened->end()};
}

inline std::string credentials_json(const credentials& c)
{
    return boost::json::serialize(boost::json::object{{"a", c.access_token},
                                                      {"ae", epoch(c.access_expires_at)},
                                                      {"r", c.refresh_token},
                                                      {"re", epoch(c.refresh_expires_at)}});
}

inline std::optional<credentials> credentials_from_json(std::string_view text)
{
    auto o = tessera::detail::parse_object(text);
    credentials c;
    if (!o || !read_member(*o, "a", c.access_token) || !read_member(*o, "ae", c.access_expires_at) ||
        !read_member(*o, "r", c.refresh_token) || !read_member(*o, "re", c.refresh_expires_at))
        return std::nullopt;
    return c;
}

/// The hash a refresh token's key names (its used-marker is keyed by the same hash).
inline std::string_view refresh_hash_of(std::string_view key)
{
    return *keys::id_of(keys::kind::refresh_token, key);
}

/// A presented refresh token: its store key and the family it names.
struct parsed_refresh_token {
    std::string key;
    std::string_view family;
};

/** `family` + '.' + secret: the family id (22 base64url characters, 128 bits) routes the token to
    its family without a store read, so a refresh reads token, marker and family in one round trip;
    the secret (43 characters, 256 bits) is what the store knows only the hash of. The key is
    `rtk:` + base64url(SHA-256(secret)), after checking the token's exact shape.
*/
inline result<parsed_refresh_token> refresh_token_key(std::string_view token, std::span<std::uint8_t, opaque_bytes> raw)
{
    constexpr std::size_t family_length = 22;
    if (token.size() != family_length + 1 + opaque_length || token[family_length] != '.')
        return fail(errc::malformed);
    const auto family = token.substr(0, family_length);
    std::array<std::uint8_t, 16> id{};
    if (auto n = base64url::decode_into(family, id); !n || *n != id.size())
        return fail(errc::malformed);
    auto key = opaque_key(token.substr(family_length + 1), keys::prefix(keys::kind::refresh_token), raw);
    if (!key)
        return fail(key.error());
    return parsed_refresh_token{std::move(*key), family};
}

} // namespace detail

} // namespace tessera::inline v0
