// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Password hashing with Argon2id (RFC 9106), stored in the PHC string form
    `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` that other Argon2 tools read.
*/

#include <tessera/core/constant_time.hpp>
#include <tessera/core/random.hpp>
#include <tessera/core/result.hpp>

#include <botan/base64.h>
#include <botan/pwdhash.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::inline v0 {

/** Argon2id cost. The defaults are OWASP's minimum (m = 19 MiB, t = 2, p = 1);
    lower values are refused. Raise them as far as the login latency allows.
*/
struct password_options {
    std::uint32_t memory_kib = 19 * 1024;
    std::uint32_t iterations = 2;
    std::uint32_t parallelism = 1;
};

/// Longest password accepted; longer ones are `bad_credentials` without hashing (no hashing DoS).
inline constexpr std::size_t max_password_size = 1024;

namespace detail {

/// Standard base64 without padding, as the PHC string format uses (Botan's codec, its padding dropped).
inline std::string phc_b64(std::span<const std::uint8_t> in)
{
    auto out = Botan::base64_encode(in.data(), in.size());
    while (!out.empty() && out.back() == '=')
        out.pop_back();
    return out;
}

/** Reads PHC base64: the standard alphabet, no padding, no whitespace, and canonical (the text
    `phc_b64` writes for the bytes it stands for, unused low bits zero); anything else is none.
*/
inline std::optional<std::vector<std::uint8_t>> phc_unb64(std::string_view in)
{
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (in.find_first_not_of(alphabet) != std::string_view::npos || in.size() % 4 == 1)
        return std::nullopt;
    std::string padded{in};
    padded.append((4 - in.size() % 4) % 4, '=');
    std::vector<std::uint8_t> out;
    try {
        const auto bytes = Botan::base64_decode(padded, false);
        out.assign(bytes.begin(), bytes.end());
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (phc_b64(out) != in)
        return std::nullopt;
    return out;
}

struct phc_hash {
    password_options options;
    std::vector<std::uint8_t> salt;
    std::vector<std::uint8_t> hash;
};

/// Parses `$argon2id$v=19$m=..,t=..,p=..$salt$hash`, refusing costs no honest hash has.
inline std::optional<phc_hash> parse_phc(std::string_view s)
{
    constexpr std::string_view prefix = "$argon2id$v=19$m=";
    if (!s.starts_with(prefix))
        return std::nullopt;
    s.remove_prefix(prefix.size());
    phc_hash out;
    auto number = [&](std::uint32_t& value, std::string_view then) {
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
        if (ec != std::errc{})
            return false;
        s.remove_prefix(static_cast<std::size_t>(end - s.data()));
        if (!s.starts_with(then))
            return false;
        s.remove_prefix(then.size());
        return true;
    };
    if (!number(out.options.memory_kib, ",t=") || !number(out.options.iterations, ",p=") ||
        !number(out.options.parallelism, "$"))
        return std::nullopt;
    // A stored hash is input too: bound what verifying it may cost (1 GiB, 64 passes, 16 lanes).
    // Argon2 also needs at least 8 KiB per lane (RFC 9106 §3.1: m >= 8p), or Botan throws.
    if (out.options.memory_kib < 8 || out.options.memory_kib > 1024 * 1024 || out.options.iterations < 1 ||
        out.options.iterations > 64 || out.options.parallelism < 1 || out.options.parallelism > 16 ||
        out.options.memory_kib < 8 * out.options.parallelism)
        return std::nullopt;
    const auto dollar = s.find('$');
    if (dollar == std::string_view::npos)
        return std::nullopt;
    auto salt = phc_unb64(s.substr(0, dollar));
    auto hash = phc_unb64(s.substr(dollar + 1));
    if (!salt || !hash || salt->size() < 8 || hash->size() < 16 || hash->size() > 64)
        return std::nullopt;
    out.salt = std::move(*salt);
    out.hash = std::move(*hash);
    return out;
}

inline void argon2id(const password_options& o, std::string_view password, std::span<const std::uint8_t> salt,
                     std::span<std::uint8_t> out)
{
    auto family = Botan::PasswordHashFamily::create_or_throw("Argon2id");
    auto hash = family->from_params(o.memory_kib, o.iterations, o.parallelism);
    hash->derive_key(out.data(), out.size(), password.data(), password.size(), salt.data(), salt.size());
}

} // namespace detail

/** Hashes and verifies passwords.

    @par Thread Safety
    Every member function may be called from many threads at once.
*/
class password_hasher {
public:
    /// @throws tessera::error `invalid_configuration` when the cost is below OWASP's minimum.
    explicit password_hasher(password_options options = {}) : options_(options)
    {
        if (options_.memory_kib < 19 * 1024 || options_.iterations < 2 || options_.parallelism < 1)
            throw error{errc::invalid_configuration, "Argon2id below OWASP's minimum (m=19 MiB, t=2, p=1)"};
        // The dummy hash unknown users are checked against: same cost as a real one.
        dummy_ = hash("tessera dummy password");
    }

    /// A new PHC string for `password`, with a fresh 16-byte salt.
    [[nodiscard]] std::string hash(std::string_view password) const
    {
        std::array<std::uint8_t, 16> salt;
        random_bytes(salt);
        std::array<std::uint8_t, 32> out;
        detail::argon2id(options_, password, salt, out);
        return "$argon2id$v=19$m=" + std::to_string(options_.memory_kib) + ",t=" +
               std::to_string(options_.iterations) + ",p=" + std::to_string(options_.parallelism) + "$" +
               detail::phc_b64(salt) + "$" + detail::phc_b64(out);
    }

    /** True when `password` matches `phc`. A malformed `phc`, or a password
        longer than `max_password_size`, is false; the comparison is constant-time.
    */
    [[nodiscard]] bool verify(std::string_view password, std::string_view phc) const
    {
        auto parsed = detail::parse_phc(phc);
        if (!parsed || password.size() > max_password_size)
            return false;
        std::vector<std::uint8_t> out(parsed->hash.size());
        try {
            detail::argon2id(parsed->options, password, parsed->salt, out);
        } catch (const std::exception&) {
            return false; // parameters Botan refuses, though parse_phc should have refused them first
        }
        return constant_time_equal(out, parsed->hash);
    }

    /** Spends the time of one verification without any account: call it when
        the user does not exist, so response times do not tell which accounts do.
    */
    void verify_dummy(std::string_view password) const { (void)verify(password, dummy_); }

    /// True when `phc` was made with other parameters than the current ones: rehash after a successful login.
    [[nodiscard]] bool needs_rehash(std::string_view phc) const
    {
        auto parsed = detail::parse_phc(phc);
        return !parsed || parsed->options.memory_kib != options_.memory_kib ||
               parsed->options.iterations != options_.iterations ||
               parsed->options.parallelism != options_.parallelism || parsed->hash.size() != 32;
    }

    [[nodiscard]] const password_options& options() const noexcept { return options_; }

private:
    password_options options_;
    std::string dummy_;
};

} // namespace tessera::inline v0
