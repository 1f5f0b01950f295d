// SPDX-License-Identifier: BSL-1.0
#pragma once
// The hand-written floors that tessera's authenticate is measured against,
// shared by the wall-clock benchmark and the instruction counter: the same
// checks and the same result, with Botan and Boost.JSON called directly.

#include <tessera/core/base64url.hpp>
#include <tessera/core/constant_time.hpp>
#include <tessera/jwt/key_ring.hpp>

#include <boost/json.hpp>
#include <botan/hash.h>
#include <botan/mac.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace floors {

/// The timeline of the key-ring benchmarks, and a ring as it is between rotations (retired, primary, next)
/// as of `t0`: what an authenticator on a ring is measured with.
inline const tessera::jwt::key_ring_options ring_timeline{.propagation = std::chrono::seconds{60},
                                                          .retention = std::chrono::seconds{86400},
                                                          .rotate_every = std::chrono::seconds{864000}};
template <class Ring>
void between_rotations(Ring& ring, tessera::time_point t0)
{
    const auto second = ring.publish_new(t0 - std::chrono::seconds{120}).value();
    (void)ring.promote(second, t0 - std::chrono::seconds{60});
    (void)ring.publish_new(t0 - std::chrono::seconds{60});
}

/// What a hand-written authenticate hands its caller: who, until when, the
/// id to revoke, and the claims. They outlive the call, so they are on the heap.
struct hand_principal {
    std::string subject;
    boost::json::object claims;
    std::int64_t expires_at = 0;
    std::string id;
};

// The same checks the authenticator makes, written out by hand: split, strict
// base64url, header alg/typ/crit, MAC or signature, payload parsed,
// exp/iat/iss/aud/sub, and the same result. What it leaves out and tessera
// does: refusing repeated member names, the nesting limit, `nbf`, `kid`.
template <class CheckSignature>
std::optional<hand_principal> by_hand(std::string_view t, std::string_view alg_name, std::int64_t now,
                                      CheckSignature&& check)
{
    const auto d1 = t.find('.'), d2 = t.rfind('.');
    if (d1 == d2 || t.find('.', d1 + 1) != d2)
        return std::nullopt;
    char header[256], payload[2048];
    std::uint8_t sig[256];
    auto h = tessera::base64url::decode_into(t.substr(0, d1),
                                             std::span{reinterpret_cast<std::uint8_t*>(header), sizeof header});
    auto p = tessera::base64url::decode_into(t.substr(d1 + 1, d2 - d1 - 1),
                                             std::span{reinterpret_cast<std::uint8_t*>(payload), sizeof payload});
    auto s = tessera::base64url::decode_into(t.substr(d2 + 1), sig);
    if (!h || !p || !s)
        return std::nullopt;
    unsigned char buffer[1024];
    boost::json::monotonic_resource mr{buffer, sizeof buffer};
    boost::system::error_code ec;
    auto hv = boost::json::parse(std::string_view{header, *h}, ec, &mr);
    if (ec || !hv.is_object())
        return std::nullopt;
    const auto& ho = hv.get_object();
    const auto* alg = ho.if_contains("alg");
    const auto* typ = ho.if_contains("typ");
    if (!alg || !alg->is_string() || alg->get_string() != alg_name || !typ || !typ->is_string() ||
        typ->get_string() != "JWT" || ho.contains("crit"))
        return std::nullopt;
    if (!check(t.substr(0, d2), std::span<const std::uint8_t>{sig, *s}))
        return std::nullopt;
    auto v = boost::json::parse(std::string_view{payload, *p}, ec);
    if (ec || !v.is_object())
        return std::nullopt;
    auto& o = v.get_object();
    const auto* exp = o.if_contains("exp");
    const auto* iat = o.if_contains("iat");
    const auto* iss = o.if_contains("iss");
    const auto* aud = o.if_contains("aud");
    const auto* sub = o.if_contains("sub");
    const auto* jti = o.if_contains("jti");
    if (!(exp && exp->is_int64() && now < exp->get_int64() + 60 && iat && iat->is_int64() &&
          iat->get_int64() <= now + 60 && iss && iss->is_string() && iss->get_string() == "tessera" && aud &&
          aud->is_string() && aud->get_string() == "tessera" && sub && sub->is_string() && jti && jti->is_string()))
        return std::nullopt;
    hand_principal out{std::string{sub->get_string()}, {}, exp->get_int64(), std::string{jti->get_string()}};
    out.claims = std::move(o);
    return out;
}

/// HS256 by hand: one keyed MAC object, reused.
class hs256 {
public:
    explicit hs256(std::span<const std::uint8_t> key)
        : mac_(Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)"))
    {
        mac_->set_key(key.data(), key.size());
    }

    std::optional<hand_principal> authenticate(std::string_view token, std::int64_t now)
    {
        return by_hand(token, "HS256", now, [&](std::string_view input, std::span<const std::uint8_t> sig) {
            std::uint8_t expected[32];
            mac_->update(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
            mac_->final(expected);
            return tessera::constant_time_equal(sig, expected);
        });
    }

private:
    std::unique_ptr<Botan::MessageAuthenticationCode> mac_;
};

/// Sessions by hand: a locked hash map keyed by SHA-256 of the id, the subject copied out.
class sessions {
public:
    struct record {
        std::string subject;
        std::int64_t last_seen, absolute;
    };

    sessions() : hash_(Botan::HashFunction::create_or_throw("SHA-256")) {}

    void add(std::string_view id, record r) { table_[key_of(id)] = std::move(r); }

    std::optional<std::string> authenticate(std::string_view id, std::int64_t now)
    {
        std::lock_guard lock{mutex_};
        auto it = table_.find(key_of(id));
        if (it == table_.end() || now >= it->second.last_seen + 1800 || now >= it->second.absolute)
            return std::nullopt;
        return it->second.subject;
    }

private:
    std::string key_of(std::string_view id)
    {
        std::uint8_t raw[32], digest[32];
        (void)tessera::base64url::decode_into(id, raw);
        hash_->update(raw, 32);
        hash_->final(digest);
        return tessera::base64url::encode(digest);
    }

    std::unique_ptr<Botan::HashFunction> hash_;
    std::mutex mutex_;
    std::unordered_map<std::string, record> table_;
};

} // namespace floors
