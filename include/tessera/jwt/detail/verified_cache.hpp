// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The verified-token cache of a `jwt::verifier`: tokens it accepted, remembered by their exact bytes.

    A client presents one access token on every request of its lifetime. The answer to "do these
    bytes carry a valid signature, and what claims do they say" never changes for one verifier (its
    keys and its options are fixed when it is made), so it is remembered: a token seen again skips
    the signature and the parse, which are nearly all of a verification (an Ed25519 or ECDSA check
    is tens of microseconds). What does change is checked again on every call: the instant (`exp`,
    `nbf`, `iat`, maximum age) and, in an authenticator, the revocation policy.

    - A token is remembered only once it verified completely; a refused token is never remembered.
    - A remembered token is found only by comparing every byte, in constant time (a slot is chosen by
      a hash of the signature, which a forger controls; the comparison is what decides).
    - Bounded: `entries` slots, one token each; a token longer than `max_cached_token` is verified
      every time. A new token takes the slot of the one it hashes with.
*/

#include <tessera/core/constant_time.hpp>
#include <tessera/jwt/claims.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tessera::inline v0::jwt {

/// How a verifier's cache of verified tokens has served.
struct verify_cache_stats {
    /// Verifications answered from the cache.
    std::uint64_t hits = 0;
    /// Verifications that looked and did not find the token (and then verified it in full).
    std::uint64_t misses = 0;
};

namespace detail {

class verified_cache {
public:
    /// The longest token remembered: 2 KiB (tessera's own tokens are a few hundred bytes).
    static constexpr std::size_t max_cached_token = 2048;

    explicit verified_cache(std::size_t entries) : slots_(std::make_unique<slot[]>(entries)), size_(entries) {}

    /// The claims `token` verified to, if it is remembered (a copy: the caller keeps it).
    [[nodiscard]] std::optional<verified_claims> find(std::string_view token) const
    {
        if (token.size() > max_cached_token)
            return std::nullopt;
        auto& s = slot_of(token);
        {
            std::lock_guard lock{s.mutex};
            if (s.claims && constant_time_equal(std::string_view{s.token}, token)) {
                hits_.fetch_add(1, std::memory_order_relaxed);
                return *s.claims;
            }
        }
        misses_.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }

    /// Remembers that `token` verified to `claims` (the signature and every check passed).
    void remember(std::string_view token, const verified_claims& claims)
    {
        if (token.size() > max_cached_token)
            return;
        std::string bytes{token};
        std::optional<verified_claims> copy{claims};
        auto& s = slot_of(token);
        {
            std::lock_guard lock{s.mutex};
            s.token.swap(bytes);
            s.claims.swap(copy);
        }
        // What the slot held before is freed here, outside its lock.
    }

    [[nodiscard]] verify_cache_stats stats() const noexcept
    {
        return {hits_.load(std::memory_order_relaxed), misses_.load(std::memory_order_relaxed)};
    }

private:
    struct slot {
        std::mutex mutex;
        std::string token;
        std::optional<verified_claims> claims;
    };

    slot& slot_of(std::string_view token) const noexcept
    {
        // The signature segment: distinct for every token the issuer signs, and short to hash.
        const auto dot = token.rfind('.');
        const auto signature = dot == std::string_view::npos ? token : token.substr(dot + 1);
        return slots_[std::hash<std::string_view>{}(signature) % size_];
    }

    std::unique_ptr<slot[]> slots_;
    std::size_t size_;
    mutable std::atomic<std::uint64_t> hits_{0};
    mutable std::atomic<std::uint64_t> misses_{0};
};

} // namespace detail

} // namespace tessera::inline v0::jwt
