#pragma once

/** @file
    Refresh-token families for the hybrid scheme (RFC 9700 §4.14.2).

    A login starts a family. Each refresh token is 256 random bits, stored
    only as its SHA-256, usable once: a refresh consumes it and hands out the
    family's next token. Presenting a consumed token is reuse — someone holds
    a copy — and revokes the whole family at once, and with it (through the
    token version) every access token of the subject: `refresh_reused`.

    Why a ticket and not just `take`: with `take`, a racing second request
    could find the token gone before the first has recorded that it used it,
    and report "unknown" instead of "reused". Here each presentation first
    draws a ticket from an atomic per-token counter. Ticket 1 rotates; any
    later ticket is a second use, decided without a window in which it can
    look like anything else.

    The grace window (default 0, at most 60 s) exists for one honest case: a
    client that sent the same refresh twice (two tabs, a retry after a lost
    response). Within it, a second use of the *immediately previous* token
    gets the *same* successor pair the first use got — never a new one, so
    the family never forks. The pair is kept encrypted under a key derived
    from the presented token, so the store still holds nothing that works
    without the token itself.
*/

#include <tessera/core/base64url.hpp>
#include <tessera/core/clock.hpp>
#include <tessera/core/random.hpp>
#include <tessera/core/result.hpp>
#include <tessera/credentials.hpp>
#include <tessera/detail/strict_json.hpp>
#include <tessera/session/session.hpp>
#include <tessera/store/concepts.hpp>

#include <botan/aead.h>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tessera::inline v0 {

/// Lifetimes of refresh tokens and families.
struct refresh_options {
    /// A refresh token unused this long expires (RFC 9700: expire after inactivity).
    std::chrono::seconds token_ttl = std::chrono::hours{24 * 30};
    /// A family ends this long after login, however often it is refreshed.
    std::chrono::seconds family_lifetime = std::chrono::hours{24 * 30};
    /// A second use of the immediately previous token within this window gets the same successor. At most 60 s.
    std::chrono::seconds grace = std::chrono::seconds{0};
};

/// The largest grace window tessera allows.
inline constexpr std::chrono::seconds max_refresh_grace{60};

/// A refresh family as listed for its subject.
struct family_info {
    std::string family;
    std::string subject;
    time_point created_at;
    time_point last_used;
    time_point expires_at;
    std::uint64_t generation = 0;
    std::string user_agent;
    std::string ip;
};

/// What a rotation grants: the subject and claims to put in the new access token.
struct refresh_families_grant {
    std::string subject;
    boost::json::object claims;
    std::string family;
};

/// A new family's first refresh token.
struct started_family {
    std::string token;
    time_point expires_at;
    std::string family;
};

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
    // After use, when a grace window is configured:
    std::optional<time_point> used_at;
    std::string successor; // base64url(nonce ‖ ciphertext)
};

inline std::int64_t epoch(time_point t) noexcept
{
    return t.time_since_epoch().count();
}

inline time_point from_epoch(const boost::json::object& o, std::string_view name)
{
    const auto* v = o.if_contains(name);
    return time_point{std::chrono::seconds{v != nullptr && v->is_int64() ? v->get_int64() : 0}};
}

inline std::string text_member(const boost::json::object& o, std::string_view name)
{
    const auto* v = o.if_contains(name);
    return v != nullptr && v->is_string() ? std::string{v->get_string()} : std::string{};
}

inline std::string encode(const family_record& f)
{
    boost::json::object o{{"sub", f.subject},           {"gen", f.generation},
                          {"created", epoch(f.created_at)}, {"last", epoch(f.last_used)},
                          {"exp", epoch(f.expires_at)},     {"claims", f.claims}};
    if (!f.user_agent.empty())
        o["ua"] = f.user_agent;
    if (!f.ip.empty())
        o["ip"] = f.ip;
    return boost::json::serialize(o);
}

inline result<family_record> decode_family(std::string_view text)
{
    auto o = tessera::detail::parse_object(text);
    if (!o || !o->contains("gen") || !o->at("gen").is_number())
        return fail(errc::store_unavailable);
    family_record f{text_member(*o, "sub"), o->at("gen").to_number<std::uint64_t>(), from_epoch(*o, "created"),
                    from_epoch(*o, "last"), from_epoch(*o, "exp"), text_member(*o, "ua"), text_member(*o, "ip"), {}};
    if (const auto* c = o->if_contains("claims"); c != nullptr && c->is_object())
        f.claims = c->get_object();
    return f;
}

inline std::string encode(const refresh_record& r)
{
    boost::json::object o{{"fam", r.family}, {"gen", r.generation}, {"exp", epoch(r.expires_at)}};
    if (r.used_at) {
        o["used"] = epoch(*r.used_at);
        o["next"] = r.successor;
    }
    return boost::json::serialize(o);
}

inline result<refresh_record> decode_refresh(std::string_view text)
{
    auto o = tessera::detail::parse_object(text);
    if (!o || !o->contains("gen") || !o->at("gen").is_number())
        return fail(errc::store_unavailable);
    refresh_record r{text_member(*o, "fam"), o->at("gen").to_number<std::uint64_t>(), from_epoch(*o, "exp"),
                     std::nullopt, text_member(*o, "next")};
    if (o->contains("used"))
        r.used_at = from_epoch(*o, "used");
    return r;
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
    auto aead = Botan::AEAD_Mode::create_or_throw("ChaCha20Poly1305", Botan::ENCRYPTION);
    const auto key = grace_key(raw_token);
    aead->set_key(key.data(), key.size());
    std::array<std::uint8_t, 12> nonce;
    random_bytes(nonce);
    aead->start(nonce.data(), nonce.size());
    Botan::secure_vector<std::uint8_t> buffer(plaintext.begin(), plaintext.end());
    aead->finish(buffer);
    std::vector<std::uint8_t> out(nonce.begin(), nonce.end());
    out.insert(out.end(), buffer.begin(), buffer.end());
    return base64url::encode(out);
}

inline std::optional<std::string> unseal(std::span<const std::uint8_t> raw_token, std::string_view sealed)
{
    auto bytes = base64url::decode(sealed);
    if (!bytes || bytes->size() < 12 + 16)
        return std::nullopt;
    try {
        auto aead = Botan::AEAD_Mode::create_or_throw("ChaCha20Poly1305", Botan::DECRYPTION);
        const auto key = grace_key(raw_token);
        aead->set_key(key.data(), key.size());
        aead->start(bytes->data(), 12);
        Botan::secure_vector<std::uint8_t> buffer(bytes->begin() + 12, bytes->end());
        aead->finish(buffer);
        return std::string{buffer.begin(), buffer.end()};
    } catch (const std::exception&) {
        return std::nullopt;
    }
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
    if (!o)
        return std::nullopt;
    return credentials{text_member(*o, "a"), from_epoch(*o, "ae"), text_member(*o, "r"), from_epoch(*o, "re")};
}

} // namespace detail

/** The refresh families of one store.

    @par Thread Safety
    Every member function may be called from many threads at once.
*/
template <store Store, clock Clock = system_clock>
class refresh_families {
public:
    /// @throws std::invalid_argument for non-positive lifetimes or a grace window over 60 s.
    refresh_families(Store& store, refresh_options options = {}, Clock clock = {})
        : store_(store), options_(options), clock_(std::move(clock))
    {
        using std::chrono::seconds;
        if (options_.token_ttl <= seconds{0} || options_.family_lifetime <= seconds{0})
            throw std::invalid_argument{"refresh lifetimes must be positive"};
        if (options_.grace < seconds{0} || options_.grace > max_refresh_grace)
            throw std::invalid_argument{"the refresh grace window must be between 0 and 60 seconds"};
    }

    /// Starts a family for `subject`; `claims` go into every access token it yields.
    result<started_family> start(std::string_view subject, boost::json::object claims, const session_context& context)
    {
        const auto now = clock_.now();
        detail::family_record family{std::string{subject}, 0, now, now, now + options_.family_lifetime,
                                     context.user_agent, context.ip, std::move(claims)};
        const std::string id = random_id(16);
        if (auto r = store_.put(family_key(id), detail::encode(family), family.expires_at, subject); !r)
            return fail(r.error());
        auto token = store_token(id, 0, family.expires_at, now);
        if (!token)
            return fail(token.error());
        return started_family{std::move(token->first), token->second, id};
    }

    /** Consumes `token` and returns `mint(grant)` plus the family's next refresh token.

        @param mint makes the access token: `result<credentials>(const refresh_families_grant&)`.
        @param on_reuse called with the subject when reuse is detected (the authenticator bumps the token version).
    */
    template <class Mint, class OnReuse>
    result<credentials> rotate(std::string_view token, Mint&& mint, OnReuse&& on_reuse)
    {
        std::array<std::uint8_t, detail::session_id_bytes> raw;
        auto key = token_key(token, raw);
        if (!key)
            return fail(key.error());
        auto found = store_.get(*key);
        if (!found)
            return fail(found.error());
        if (!*found)
            return fail(errc::unknown_session);
        auto record = detail::decode_refresh((*found)->value);
        if (!record)
            return fail(record.error());
        const std::string family_id = record->family;

        // The ticket: exactly one presentation of a token ever draws 1.
        auto ticket = store_.increment("rtn:" + key->substr(3), 1, (*found)->expires_at);
        if (!ticket)
            return fail(ticket.error());
        if (*ticket != 1)
            return second_use(raw, *key, *record, std::forward<OnReuse>(on_reuse));

        const auto now = clock_.now();
        auto family_found = store_.get(family_key(family_id));
        if (!family_found)
            return fail(family_found.error());
        if (!*family_found)
            return fail(errc::unknown_session);
        auto family = detail::decode_family((*family_found)->value);
        if (!family)
            return fail(family.error());
        if (family->generation != record->generation) // an old token that was never recorded as used
            return kill(family_id, family->subject, std::forward<OnReuse>(on_reuse));

        auto granted = mint(refresh_families_grant{family->subject, family->claims, family_id});
        if (!granted)
            return fail(granted.error());
        auto next = store_token(family_id, family->generation + 1, family->expires_at, now);
        if (!next)
            return fail(next.error());
        granted->refresh_token = std::move(next->first);
        granted->refresh_expires_at = next->second;

        family->generation += 1;
        family->last_used = now;
        auto alive = store_.replace(family_key(family_id), detail::encode(*family), family->expires_at);
        if (!alive || !*alive) {
            // The family was revoked while we rotated: the new token must not outlive it.
            std::array<std::uint8_t, detail::session_id_bytes> next_raw;
            if (auto next_key = token_key(granted->refresh_token, next_raw))
                (void)store_.erase(*next_key);
            return alive ? fail(errc::refresh_reused) : fail(alive.error());
        }

        if (options_.grace > std::chrono::seconds{0}) {
            record->used_at = now;
            record->successor = detail::seal(raw, detail::credentials_json(*granted));
            (void)store_.replace(*key, detail::encode(*record), (*found)->expires_at);
        }
        Botan::secure_scrub_memory(raw.data(), raw.size());
        return granted;
    }

    /// Revokes the family of `token` (logout). True if there was one.
    result<bool> revoke(std::string_view token)
    {
        std::array<std::uint8_t, detail::session_id_bytes> raw;
        auto key = token_key(token, raw);
        if (!key)
            return fail(key.error());
        auto found = store_.get(*key);
        if (!found)
            return fail(found.error());
        if (!*found)
            return false;
        auto record = detail::decode_refresh((*found)->value);
        if (!record)
            return fail(record.error());
        if (auto r = erase_family(record->family); !r)
            return fail(r.error());
        return true;
    }

    /// Revokes every family of `subject`; returns how many were live.
    result<std::size_t> revoke_all(std::string_view subject)
    {
        auto listed = store_.list_subject(subject);
        if (!listed)
            return fail(listed.error());
        std::size_t revoked = 0;
        for (const auto& r : *listed) {
            if (!r.key.starts_with("fam:"))
                continue;
            if (auto e = erase_family(r.key.substr(4)); !e)
                return fail(e.error());
            ++revoked;
        }
        return revoked;
    }

    /// The live families of `subject`, oldest first.
    result<std::vector<family_info>> list(std::string_view subject)
    {
        auto listed = store_.list_subject(subject);
        if (!listed)
            return fail(listed.error());
        std::vector<family_info> out;
        for (const auto& r : *listed) {
            if (!r.key.starts_with("fam:"))
                continue;
            auto f = detail::decode_family(r.data.value);
            if (!f)
                return fail(f.error());
            out.push_back({r.key.substr(4), f->subject, f->created_at, f->last_used, f->expires_at, f->generation,
                           f->user_agent, f->ip});
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created_at < b.created_at; });
        return out;
    }

    [[nodiscard]] const refresh_options& options() const noexcept { return options_; }

private:
    static std::string family_key(std::string_view id) { return "fam:" + std::string{id}; }

    /// "rt:" + base64url(SHA-256(token)), after checking the token's exact shape.
    static result<std::string> token_key(std::string_view token, std::span<std::uint8_t, detail::session_id_bytes> raw)
    {
        return detail::opaque_key(token, "rt:", raw);
    }

    /// A new token of `family` at `generation`; returns it and its expiry.
    result<std::pair<std::string, time_point>> store_token(const std::string& family, std::uint64_t generation,
                                                            time_point family_end, time_point now)
    {
        auto credential = detail::new_opaque("rt:");
        const auto expires = std::min(now + options_.token_ttl, family_end);
        detail::refresh_record record{family, generation, expires, std::nullopt, {}};
        // Indexed under the family, so revoking the family finds every token of it.
        if (auto r = store_.put(credential.key, detail::encode(record), expires, "fam:" + family); !r)
            return fail(r.error());
        return std::pair{std::move(credential.token), expires};
    }

    /// A token presented again: the same successor inside the grace window, else the family dies.
    template <class OnReuse>
    result<credentials> second_use(std::span<const std::uint8_t> raw, const std::string& key,
                                   const detail::refresh_record& record, OnReuse&& on_reuse)
    {
        if (options_.grace > std::chrono::seconds{0}) {
            // The first use may still be writing its successor: wait for it, briefly.
            for (int attempt = 0; attempt < 200; ++attempt) {
                auto again = store_.get(key);
                if (!again)
                    return fail(again.error());
                if (!*again)
                    break;
                auto current = detail::decode_refresh((*again)->value);
                if (!current)
                    return fail(current.error());
                if (current->used_at) {
                    if (auto pair = grace_successor(raw, *current))
                        return *pair;
                    break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds{5});
            }
        }
        auto family = store_.get(family_key(record.family));
        if (!family)
            return fail(family.error());
        const std::string subject = *family ? (*family)->subject : std::string{};
        return kill(record.family, subject, std::forward<OnReuse>(on_reuse));
    }

    std::optional<credentials> grace_successor(std::span<const std::uint8_t> raw, const detail::refresh_record& used)
    {
        const auto now = clock_.now();
        if (now - *used.used_at > options_.grace)
            return std::nullopt;
        // Only the immediately previous token: its successor must still be the family's current token.
        auto family = store_.get(family_key(used.family));
        if (!family || !*family)
            return std::nullopt;
        auto f = detail::decode_family((*family)->value);
        if (!f || f->generation != used.generation + 1)
            return std::nullopt;
        auto plain = detail::unseal(raw, used.successor);
        if (!plain)
            return std::nullopt;
        return detail::credentials_from_json(*plain);
    }

    template <class OnReuse>
    result<credentials> kill(const std::string& family, const std::string& subject, OnReuse&& on_reuse)
    {
        if (auto r = erase_family(family); !r)
            return fail(r.error());
        if (!subject.empty())
            if (auto r = on_reuse(subject); !r)
                return fail(r.error());
        return fail(errc::refresh_reused);
    }

    result<void> erase_family(const std::string& family)
    {
        if (auto r = store_.erase(family_key(family)); !r)
            return fail(r.error());
        if (auto r = store_.erase_subject("fam:" + family); !r)
            return fail(r.error());
        return {};
    }

    Store& store_;
    refresh_options options_;
    [[no_unique_address]] Clock clock_;
};

} // namespace tessera::inline v0
