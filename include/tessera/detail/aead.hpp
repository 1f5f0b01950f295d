// SPDX-License-Identifier: BSL-1.0
#pragma once

// Authenticated encryption for what tessera keeps sealed: nonce (12 random bytes) ‖ ciphertext ‖
// tag (16 bytes), under a 32-byte key, with associated data bound to the ciphertext.

#include <tessera/core/random.hpp>
#include <tessera/detail/botan.hpp>

#include <botan/aead.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace tessera::inline v0::detail {

inline constexpr std::size_t aead_nonce_size = 12;
inline constexpr std::size_t aead_tag_size = 16;

/// `algorithm` is Botan's name: "ChaCha20Poly1305" or "AES-256/GCM".
inline std::vector<std::uint8_t> aead_seal(std::string_view algorithm, std::span<const std::uint8_t> key,
                                           std::string_view associated, std::span<const std::uint8_t> plaintext)
{
    auto aead = Botan::AEAD_Mode::create_or_throw(std::string{algorithm}, botan::encryption);
    aead->set_key(key.data(), key.size());
    aead->set_associated_data(reinterpret_cast<const std::uint8_t*>(associated.data()), associated.size());
    std::vector<std::uint8_t> out(aead_nonce_size);
    random_bytes(out);
    aead->start(out.data(), out.size());
    Botan::secure_vector<std::uint8_t> buffer(plaintext.begin(), plaintext.end());
    aead->finish(buffer);
    out.insert(out.end(), buffer.begin(), buffer.end());
    return out;
}

/// The plaintext, or nothing when `sealed` was not sealed under `key` with `associated` (or is not of the shape).
inline std::optional<Botan::secure_vector<std::uint8_t>> aead_open(std::string_view algorithm,
                                                                   std::span<const std::uint8_t> key,
                                                                   std::string_view associated,
                                                                   std::span<const std::uint8_t> sealed)
{
    if (sealed.size() < aead_nonce_size + aead_tag_size)
        return std::nullopt;
    try {
        auto aead = Botan::AEAD_Mode::create_or_throw(std::string{algorithm}, botan::decryption);
        aead->set_key(key.data(), key.size());
        aead->set_associated_data(reinterpret_cast<const std::uint8_t*>(associated.data()), associated.size());
        aead->start(sealed.data(), aead_nonce_size);
        Botan::secure_vector<std::uint8_t> buffer(sealed.begin() + aead_nonce_size, sealed.end());
        aead->finish(buffer);
        return buffer;
    } catch (const std::exception&) { // a wrong tag (Botan's Invalid_Authentication_Tag), or a bad size
        return std::nullopt;
    }
}

} // namespace tessera::inline v0::detail
