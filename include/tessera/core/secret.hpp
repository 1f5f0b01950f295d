// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `secret`: key material that is wiped from memory when it is destroyed and
    that cannot be printed by accident.
*/

#include <tessera/core/constant_time.hpp>

#include <botan/secmem.h>

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string_view>

namespace tessera::inline v0 {

/** Bytes of key material (an HMAC key, a pepper, a CSRF key).

    The bytes live in a `Botan::secure_vector`, which zeroes them when the
    memory is released. There is no `operator<<` and no implicit conversion
    to text: reading the bytes takes an explicit call to `reveal()`, which is
    easy to find in a review. Equality is constant-time.
*/
class secret {
public:
    secret() = default;

    /// Copies `bytes`; the caller remains responsible for wiping its own copy.
    explicit secret(std::span<const std::uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}

    /// Copies the bytes of `text` (for a key read from a file or an environment variable).
    static secret from_text(std::string_view text)
    {
        return secret{std::span{reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}};
    }

    /// Takes ownership of an already-secure buffer.
    explicit secret(Botan::secure_vector<std::uint8_t> bytes) noexcept : bytes_(std::move(bytes)) {}

    /// The bytes, for handing to a MAC or a KDF. Keep the view short-lived.
    [[nodiscard]] std::span<const std::uint8_t> reveal() const noexcept { return bytes_; }

    [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }
    [[nodiscard]] bool empty() const noexcept { return bytes_.empty(); }

    friend bool operator==(const secret& a, const secret& b) noexcept
    {
        return constant_time_equal(a.reveal(), b.reveal());
    }

    /// Secrets are never printed; this overload exists to make the attempt a compile error.
    template <class Char, class Traits>
    friend std::basic_ostream<Char, Traits>& operator<<(std::basic_ostream<Char, Traits>&, const secret&) = delete;

private:
    Botan::secure_vector<std::uint8_t> bytes_;
};

} // namespace tessera::inline v0
