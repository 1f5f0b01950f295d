// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Opaque credentials, the layer both cookie-carried schemes stand on
    (session ids, refresh tokens): 256 random bits the client holds, and a
    store key that is a hash of them, so that the store never sees a
    credential. Nothing here knows sessions or refresh families.
*/

#include <tessera/core/base64url.hpp>
#include <tessera/core/random.hpp>
#include <tessera/core/result.hpp>

#include <botan/hash.h>
#include <botan/mem_ops.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace tessera::inline v0::detail {

/// An opaque credential is 32 random bytes, 43 base64url characters.
inline constexpr std::size_t opaque_bytes = 32;
inline constexpr std::size_t opaque_length = 43;

inline std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> bytes)
{
    // One hash object per thread: creating it costs more than hashing 32 bytes.
    thread_local const std::unique_ptr<Botan::HashFunction> hash = Botan::HashFunction::create_or_throw("SHA-256");
    std::array<std::uint8_t, 32> out;
    hash->update(bytes.data(), bytes.size());
    hash->final(out.data());
    return out;
}

/** Whether `id` is exactly `N` bytes in canonical base64url: the shape of every handle and id tessera
    lists (a session's handle, a SHA-256; a family's id, 16 random bytes). What is not is refused before
    a store sees it.
*/
template <std::size_t N>
bool is_listed_id(std::string_view id) noexcept
{
    std::array<std::uint8_t, N> raw;
    if (id.size() != base64url::encoded_size(N))
        return false;
    auto n = base64url::decode_into(id, raw);
    return n && *n == N;
}

/** The store key of an opaque credential (session id, refresh token): `prefix`
    and base64url(SHA-256(its 32 bytes)). `raw` receives the decoded bytes.
    @return `malformed` unless `token` is exactly 43 canonical base64url characters.
*/
inline result<std::string> opaque_key(std::string_view token, std::string_view prefix,
                                      std::span<std::uint8_t, opaque_bytes> raw)
{
    if (token.size() != opaque_length)
        return fail(errc::malformed);
    auto n = base64url::decode_into(token, raw);
    if (!n || *n != raw.size())
        return fail(errc::malformed);
    std::string key;
    key.reserve(prefix.size() + opaque_length);
    key = prefix;
    base64url::encode_to(sha256(raw), key);
    return key;
}

/** The store key of an opaque credential built where it is used, without the heap: `prefix`
    (at most 8 characters, as every prefix of the key schema is) and the 43 characters of the hash.
*/
struct opaque_store_key {
    char text[8 + opaque_length];
    std::uint8_t prefix_size = 0;

    [[nodiscard]] std::string_view view() const noexcept { return {text, prefix_size + opaque_length}; }
    /// The hash alone (the handle a session is listed under).
    [[nodiscard]] std::string_view hash() const noexcept { return {text + prefix_size, opaque_length}; }
};

/// As `opaque_key`, into `out`; the raw bytes are wiped before it returns.
inline result<void> opaque_key_into(std::string_view token, std::string_view prefix, opaque_store_key& out)
{
    if (token.size() != opaque_length || prefix.size() > sizeof out.text - opaque_length)
        return fail(errc::malformed);
    std::array<std::uint8_t, opaque_bytes> raw;
    auto n = base64url::decode_into(token, raw);
    if (!n || *n != raw.size()) {
        Botan::secure_scrub_memory(raw.data(), raw.size());
        return fail(errc::malformed);
    }
    const auto digest = sha256(raw);
    Botan::secure_scrub_memory(raw.data(), raw.size());
    std::copy(prefix.begin(), prefix.end(), out.text);
    out.prefix_size = static_cast<std::uint8_t>(prefix.size());
    (void)base64url::encode_into(digest, out.text + prefix.size());
    return {};
}

/// Wipes a credential's raw bytes when the scope that decoded them ends, however it ends.
struct scrub_on_exit {
    explicit scrub_on_exit(std::span<std::uint8_t> raw) noexcept : bytes(raw) {}
    scrub_on_exit(const scrub_on_exit&) = delete;
    scrub_on_exit& operator=(const scrub_on_exit&) = delete;
    ~scrub_on_exit() { Botan::secure_scrub_memory(bytes.data(), bytes.size()); }

private:
    std::span<std::uint8_t> bytes;
};

/// A fresh opaque credential and its store key; the raw bytes are wiped.
struct opaque_credential {
    std::string token;
    std::string key;
};

inline opaque_credential new_opaque(std::string_view prefix)
{
    std::array<std::uint8_t, opaque_bytes> raw;
    random_bytes(raw);
    opaque_credential out{base64url::encode(raw), std::string{prefix}};
    base64url::encode_to(sha256(raw), out.key);
    Botan::secure_scrub_memory(raw.data(), raw.size());
    return out;
}

} // namespace tessera::inline v0::detail
