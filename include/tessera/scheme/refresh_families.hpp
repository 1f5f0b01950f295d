// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Refresh-token families for the hybrid scheme (RFC 9700 §4.14.2).

    A login starts a family. Each refresh token is 256 random bits, stored
    only as its SHA-256, usable once: a refresh consumes it and hands out the
    family's next token. Presenting a consumed token is reuse — someone holds
    a copy — and ends the whole family at once, and with it every access
    token minted from it (they carry the family in their `sid` claim, and the
    hybrid authenticator checks that the family is alive): `refresh_reused`.

    Reuse is decided by one atomic store operation, the `insert` of the
    presented token's used-marker, made only after everything that can fail
    has been done. So a refresh that fails on the server's side leaves the
    token usable, and of several presentations of one token exactly one
    rotates it: every other is `refresh_reused`, and ends the family.

    The grace window (default 0, at most 60 s) exists for one honest case: a
    client that sent the same refresh twice (two tabs, a retry after a lost
    response). Within it, a second use of the *immediately previous* token
    gets the *same* successor pair the first use got — never a new one, so
    the family never forks. The pair is kept encrypted under a key derived
    from the presented token, so the store still holds nothing that works
    without the token itself.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/random.hpp>
#include <tessera/core/result.hpp>
#include <tessera/credentials.hpp>
#include <tessera/detail/opaque.hpp>
#include <tessera/detail/strict_json.hpp>
#include <tessera/options.hpp>
#include <tessera/scheme/detail/refresh_records.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/keys.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::inline v0 {

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
    /// No access token of the family should outlive it.
    time_point family_expires_at;
};

/// A new family's first refresh token.
struct started_family {
    std::string token;
    time_point expires_at;
    std::string family;
    time_point family_expires_at;
};

/** The refresh families of one store.

    @par Rotation, step by step
    1. Read the presented token's record (none: `unknown_session`) and its
       used-marker (there: a second use, step 5).
    2. Read the family (gone: `unknown_session`; ended by reuse: `refresh_reused`).
    3. Mint the access token and write the successor's record. Nothing the
       client holds has changed yet: a failure up to here leaves the
       presented token as usable as before, and the retry simply runs again.
    4. Commit: `insert` the presented token's used-marker, holding the
       successor pair sealed under a key derived from the token. Exactly one
       presentation's insert succeeds; it returns its pair. If the store's
       answer is lost, the marker is read back to learn whether it was ours.
    5. Every other presentation, concurrent or later, is a second use:
       within the grace window, and while the successor is itself unused, it
       gets the same refresh token (and a fresh access token of the family);
       otherwise the family ends (`refresh_reused`), and with it every access
       token minted from it.

    No presentation ever waits for another: a racing one decides from what
    the store holds at once.

    @par Thread Safety
    Every member function may be called from many threads at once.
*/
template <store Store, clock Clock = system_clock>
class refresh_families {
public:
    /// @throws tessera::error `invalid_configuration` for non-positive lifetimes or a grace window over 60 s.
    refresh_families(Store& store, refresh_options options = {}, Clock clock = {})
        : store_(store), options_(options), clock_(std::move(clock))
    {
        using std::chrono::seconds;
        if (options_.token_ttl <= seconds{0} || options_.family_lifetime <= seconds{0} ||
            options_.token_ttl > max_lifetime || options_.family_lifetime > max_lifetime)
            throw error{errc::invalid_configuration, "refresh lifetimes must be positive and at most 100 years"};
        if (options_.grace < seconds{0} || options_.grace > max_refresh_grace)
            throw error{errc::invalid_configuration, "the refresh grace window must be between 0 and 60 seconds"};
    }

    /// Starts a family for `subject`; `claims` go into every access token it yields.
    result<started_family> start(std::string_view subject, boost::json::object claims, const session_context& context)
    {
        return start(clock_.now(), subject, std::move(claims), context);
    }

    /// `start` at `now`, the instant of the caller's request.
    result<started_family> start(time_point now, std::string_view subject, boost::json::object claims,
                                 const session_context& context)
    {
        if (auto ok = check_subject(subject); !ok)
            return fail(ok.error());
        // What the family record's reader would refuse is refused here: its subject is JSON text, and
        // its claims sit one level down in it.
        if (!tessera::detail::valid_utf8(subject) ||
            !tessera::detail::readable_back(claims, tessera::detail::json_limits{}.max_depth - 1))
            return fail(errc::malformed);
        detail::family_record family{std::string{subject}, 0, now, now, now + options_.family_lifetime,
                                     context.user_agent, context.ip, std::move(claims)};
        const std::string id = random_id(16);
        // A login that fails leaves nothing behind, even if the store did what it could not confirm.
        if (auto r = store_.put(family_key(id), detail::encode(family), family.expires_at,
                                keys::index(keys::kind::family, subject));
            !r) {
            (void)store_.erase(family_key(id));
            return fail(r.error());
        }
        auto token = store_token(id, 0, family.expires_at, now);
        if (!token) {
            (void)erase_family(id);
            return fail(token.error());
        }
        return started_family{std::move(token->token), token->expires_at, id, family.expires_at};
    }

    /** Consumes `token` and returns `mint(grant)` plus the family's next refresh token.

        @param mint makes the access token: `result<credentials>(const refresh_families_grant&)`.
        @return `unknown_session` for a token with no live family (logged out,
        expired, never issued); `refresh_reused` for a second use (the family
        is now ended); `store_unavailable` when the store cannot answer, in
        which case the token is as usable as before, or its retry gets the
        same successor.
    */
    template <class Mint>
    result<credentials> rotate(std::string_view token, Mint&& mint)
    {
        return rotate(clock_.now(), token, std::forward<Mint>(mint));
    }

    /** `rotate` at `now`, the instant of the caller's request: every decision of the rotation is made at it.
        When it detects a reuse (`refresh_reused`) and `reuse` is given, `*reuse` says which family ended,
        whose it was and the client it was issued to (for the security event).
    */
    template <class Mint>
    result<credentials> rotate(time_point now, std::string_view token, Mint&& mint, family_info* reuse = nullptr)
    {
        std::array<std::uint8_t, detail::opaque_bytes> raw;
        auto parsed = detail::refresh_token_key(token, raw);
        if (!parsed)
            return fail(parsed.error());
        const detail::scrub_on_exit scrub{raw};
        const std::string& key = parsed->key;
        const std::string used_key = keys::key(keys::kind::refresh_used, detail::refresh_hash_of(key));

        // Read: the token's record, its used-marker and its family; one round trip where the store
        // reads in batches, otherwise one read at a time, each only when the last one allows.
        std::optional<record> found, used, family_found;
        bool family_read = false;
        if constexpr (batch_reads<Store>) {
            const std::array<std::string, 3> wanted{key, used_key, family_key(parsed->family)};
            auto all = store_.get_many(wanted);
            if (!all)
                return fail(all.error());
            if (all->size() != wanted.size())
                return fail(store_failure::corrupt_reply);
            found = std::move((*all)[0]);
            used = std::move((*all)[1]);
            family_found = std::move((*all)[2]);
            family_read = true;
        } else {
            auto r = store_.get(key);
            if (!r)
                return fail(r.error());
            found = std::move(*r);
            if (found) {
                auto u = store_.get(used_key);
                if (!u)
                    return fail(u.error());
                used = std::move(*u);
            }
        }
        if (!found)
            return fail(errc::unknown_session);
        auto record = detail::decode_refresh(found->value);
        if (!record)
            return fail(record.error());
        if (record->family != parsed->family) // a secret presented under another family's id
            return fail(errc::unknown_session);
        if (used)
            return second_use(raw, *record, used->value, now, reuse);

        auto family = family_read ? family_from(record->family, family_found) : live_family(record->family);
        if (!family)
            return fail(family.error());
        // The family moved past this token, so it was rotated before: a second use. Its marker is written
        // before the family moves (or with it), so it is read again, in case that rotation committed after
        // the first read (the grace window needs its sealed pair); a marker that is gone even so was lost
        // (evicted, lost with the store's state), and the family ends all the same. Losing a marker never
        // lets a used token rotate again and fork the family.
        if (family->generation > record->generation) {
            auto again = store_.get(used_key);
            if (!again)
                return fail(again.error());
            return second_use(raw, *record, *again ? std::string_view{(*again)->value} : std::string_view{}, now,
                              reuse);
        }
        auto granted = mint(refresh_families_grant{family->subject, family->claims, record->family, family->expires_at});
        if (!granted)
            return fail(granted.error());

        // The commit: one insert decides which presentation rotated the token. The marker lives as long
        // as the token's record (so a later presentation is reuse, not unknown), and is live when written
        // even if the token expires this very second: every store gives an insert at least
        // `min_decision_life` (an expired write would let two presentations win).
        family->generation = record->generation + 1;
        family->last_used = now;
        const auto mark_expires = found->expires_at;
        const auto token_index = keys::index(keys::kind::refresh_token, record->family);
        result<bool> committed = false;
        std::string successor_key;
        if constexpr (conditional_batches<Store>) {
            // Marker, successor and family in one atomic step: the successor exists exactly when the marker does.
            auto next = detail::new_opaque(keys::prefix(keys::kind::refresh_token));
            const auto expires = std::min(now + options_.token_ttl, family->expires_at);
            granted->refresh_token = record->family + "." + next.token;
            granted->refresh_expires_at = expires;
            const detail::used_record mark{now, detail::seal(raw, detail::credentials_json(*granted))};
            const auto mark_value = detail::encode(mark);
            const auto successor_value = detail::encode(detail::refresh_record{record->family, family->generation, expires});
            const auto family_value = detail::encode(*family);
            const std::string fam = family_key(record->family);
            const std::array<store_write, 2> then{
                store_write{next.key, successor_value, expires, token_index},
                store_write{fam, family_value, family->expires_at, {}, true}};
            committed = store_.insert_then(store_write{used_key, mark_value, mark_expires, token_index}, then);
        } else {
            auto next = store_token(record->family, record->generation + 1, family->expires_at, now);
            if (!next)
                return fail(next.error());
            granted->refresh_token = std::move(next->token);
            granted->refresh_expires_at = next->expires_at;
            successor_key = std::move(next->key);
            const detail::used_record mark{now, detail::seal(raw, detail::credentials_json(*granted))};
            committed = store_.insert(used_key, detail::encode(mark), mark_expires, token_index);
        }
        if (committed && !*committed) {
            if (!successor_key.empty())
                (void)store_.erase(successor_key);
            auto winner = store_.get(used_key);
            if (!winner)
                return fail(winner.error());
            return second_use(raw, *record, *winner ? std::string_view{(*winner)->value} : std::string_view{}, now,
                              reuse);
        }
        if (!committed && committed.error() == errc::store_full) {
            // A definite refusal: the commit did not run, so the successor is nobody's. Leaving it would
            // take, at each retry, the room the retry needs.
            if (!successor_key.empty())
                (void)store_.erase(successor_key);
            return fail(committed.error());
        }
        if (!committed && !ours(raw, used_key, granted->refresh_token)) {
            // Not known to be committed: the token stays usable. The successor is left in place (it
            // expires with the token's lifetime): the commit may yet have run, and its sealed pair,
            // which a retry in the grace window is handed, must then still work.
            return fail(committed.error());
        }
        if constexpr (!conditional_batches<Store>) {
            // Listing data only; a family ended meanwhile stays ended (replace never creates a record).
            (void)store_.replace(family_key(record->family), detail::encode(*family), family->expires_at);
        }
        return granted;
    }

    /// Ends the family of `token` (logout): its refresh tokens and its access tokens. True if there was one.
    result<bool> revoke(std::string_view token)
    {
        std::array<std::uint8_t, detail::opaque_bytes> raw;
        auto parsed = detail::refresh_token_key(token, raw);
        Botan::secure_scrub_memory(raw.data(), raw.size());
        if (!parsed)
            return fail(parsed.error());
        auto found = store_.get(parsed->key);
        if (!found)
            return fail(found.error());
        if (!*found)
            return false;
        auto record = detail::decode_refresh((*found)->value);
        if (!record)
            return fail(record.error());
        return erase_family(record->family);
    }

    /** Ends the family `id` if it is `subject`'s: one device logged out from the list `list` gives.
        Another's family is `false`, as an ended one is.
        @return `malformed` for an id not of a family id's shape (the store is not asked).
    */
    result<bool> end_of(std::string_view subject, std::string_view id)
    {
        if (!detail::is_listed_id<16>(id))
            return fail(errc::malformed);
        auto found = store_.get(family_key(id));
        if (!found)
            return fail(found.error());
        if (!*found)
            return false;
        auto family = detail::decode_family((*found)->value);
        if (!family)
            return fail(family.error());
        if (family->subject != subject)
            return false;
        return erase_family(id);
    }

    /// Ends the family `id` and erases its tokens, without a read (a login whose access token could not be minted).
    result<bool> end(std::string_view id) { return erase_family(id); }

    /** Ends every family of `subject`, in one atomic store call; returns how many were live.

        Only the family records are erased: their refresh tokens are refused from that instant
        (a token whose family is gone is `unknown_session`, and so are access tokens carrying its
        `sid`), and their records go when they expire. One round trip on a network store, and a
        family started while it runs is either ended by it or started after it.
    */
    result<std::size_t> revoke_all(std::string_view subject)
    {
        return store_.erase_subject(keys::index(keys::kind::family, subject));
    }

    /// The live families of `subject`, oldest first.
    result<std::vector<family_info>> list(std::string_view subject)
    {
        auto listed = store_.list_subject(keys::index(keys::kind::family, subject));
        if (!listed)
            return fail(listed.error());
        std::vector<family_info> out;
        for (const auto& r : *listed) {
            auto f = detail::decode_family(r.data.value);
            if (!f)
                return fail(f.error());
            auto id = keys::id_of(keys::kind::family, r.key);
            if (!id) // listed under a subject's families, yet not a family: a corrupt index
                return fail(store_failure::corrupt_reply);
            out.push_back({std::string{*id}, f->subject, f->created_at, f->last_used, f->expires_at, f->generation,
                           f->user_agent, f->ip});
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created_at < b.created_at; });
        return out;
    }

    /** Whether the family `id` is alive: what an access token minted from it asks on every request.
        @return `revoked` when it was logged out, ended by reuse or lost with the store's state (fail closed).
    */
    result<void> check_alive(std::string_view id)
    {
        auto found = store_.get(family_key(id));
        if (!found)
            return fail(found.error());
        if (!*found)
            return fail(errc::revoked);
        return {};
    }

    [[nodiscard]] const refresh_options& options() const noexcept { return options_; }

private:
    struct stored_token {
        std::string token;
        std::string key;
        time_point expires_at;
    };

    static std::string family_key(std::string_view id) { return keys::key(keys::kind::family, id); }

    /// The family `id`, if alive; `unknown_session` if gone, `refresh_reused` if ended by reuse.
    result<detail::family_record> live_family(std::string_view id)
    {
        auto found = store_.get(family_key(id));
        if (!found)
            return fail(found.error());
        return family_from(id, *found);
    }

    /// The family `id` from its record as read, or why there is none (one more read when it is gone).
    result<detail::family_record> family_from(std::string_view id, const std::optional<record>& found)
    {
        if (found)
            return detail::decode_family(found->value);
        // Gone: logged out (unknown), or ended because one of its tokens was used twice (reuse).
        auto ended = store_.get(keys::key(keys::kind::family_ended, id));
        if (!ended)
            return fail(ended.error());
        return *ended ? fail(errc::refresh_reused) : fail(errc::unknown_session);
    }

    /// A new token of `family` at `generation`, stored and listed under its family.
    result<stored_token> store_token(const std::string& family, std::uint64_t generation, time_point family_end,
                                     time_point now)
    {
        auto credential = detail::new_opaque(keys::prefix(keys::kind::refresh_token));
        const auto expires = std::min(now + options_.token_ttl, family_end);
        if (auto r = store_.put(credential.key, detail::encode(detail::refresh_record{family, generation, expires}),
                                expires, keys::index(keys::kind::refresh_token, family));
            !r) {
            (void)store_.erase(credential.key); // never handed out
            return fail(r.error());
        }
        return stored_token{family + "." + credential.token, std::move(credential.key), expires};
    }

    /// After a lost answer to the commit: is the marker there, and is its successor ours?
    bool ours(std::span<const std::uint8_t> raw, const std::string& used_key, std::string_view successor)
    {
        auto again = store_.get(used_key);
        if (!again || !*again)
            return false;
        auto mark = detail::decode_used((*again)->value);
        if (!mark)
            return false;
        auto plain = detail::unseal(raw, mark->successor);
        if (!plain)
            return false;
        auto pair = detail::credentials_from_json(*plain);
        return pair && pair->refresh_token == successor;
    }

    /// A token presented after its rotation was committed: the grace successor, or the family ends.
    result<credentials> second_use(std::span<const std::uint8_t> raw, const detail::refresh_record& record,
                                   std::string_view used_value, time_point now,
                                   family_info* reuse)
    {
        if (options_.grace > std::chrono::seconds{0} && !used_value.empty()) {
            auto successor = grace_successor(raw, used_value, now);
            if (!successor)
                return fail(successor.error());
            if (*successor)
                return std::move(**successor);
        }
        auto ended = kill(record.family, now, reuse);
        if (!ended)
            return fail(ended.error());
        return fail(errc::refresh_reused);
    }

    /// The sealed pair, if the first use is within the grace window and its successor is still unused.
    result<std::optional<credentials>> grace_successor(std::span<const std::uint8_t> raw, std::string_view used_value,
                                                      time_point now)
    {
        auto mark = detail::decode_used(used_value);
        if (!mark)
            return fail(mark.error());
        if (now - mark->used_at > options_.grace)
            return std::optional<credentials>{};
        auto plain = detail::unseal(raw, mark->successor);
        if (!plain)
            return fail(store_failure::corrupt_reply);
        auto pair = detail::credentials_from_json(*plain);
        if (!pair)
            return fail(store_failure::corrupt_reply);
        std::array<std::uint8_t, detail::opaque_bytes> next_raw;
        auto next_key = detail::refresh_token_key(pair->refresh_token, next_raw);
        Botan::secure_scrub_memory(next_raw.data(), next_raw.size());
        if (!next_key)
            return fail(store_failure::corrupt_reply);
        // Only the immediately previous token: its successor must not have been used itself.
        auto next_used = store_.get(keys::key(keys::kind::refresh_used, detail::refresh_hash_of(next_key->key)));
        if (!next_used)
            return fail(next_used.error());
        if (*next_used)
            return std::optional<credentials>{};
        return std::optional<credentials>{std::move(*pair)};
    }

    /** Ends a family for reuse, in one atomic step: the family record is taken (erased), and from then on
        nothing minted from it works, its access tokens included. An erase is what even a full store
        still does (Redis under `noeviction` at its memory limit refuses writes, not deletions); a rotation
        finishing meanwhile cannot write the family back (`replace` never creates).

        A marker saying why the family is gone is written *before* the take, so that its other tokens
        answer `refresh_reused` rather than `unknown_session` even when they are presented between the
        two steps (a racing presentation that finds the family gone reads the marker next). It is kept
        for the longest a family may live; one that lives longer gets it again for its own end. A store
        that cannot write it changes that answer, never the outcome. A reuse of a family that was already
        gone (its subject logged out everywhere, which erases families, not tokens) writes the marker
        too: the reuse happened, and the family's other tokens then say so (`refresh_reused`).
    */
    result<void> kill(const std::string& family, time_point now, family_info* reuse)
    {
        const std::string ended_key = keys::key(keys::kind::family_ended, family);
        const auto index = keys::index(keys::kind::refresh_token, family);
        const auto kept_until = now + options_.family_lifetime;
        (void)store_.put(ended_key, "", kept_until, index);
        auto found = store_.take(family_key(family));
        if (!found)
            return fail(found.error());
        if (reuse != nullptr) {
            reuse->family = family;
            if (*found)
                if (auto f = detail::decode_family((*found)->value))
                    *reuse = family_info{family,    f->subject,    f->created_at, f->last_used,
                                         f->expires_at, f->generation, f->user_agent, f->ip};
        }
        if (*found && (*found)->expires_at > kept_until)
            (void)store_.put(ended_key, "", (*found)->expires_at, index);
        return {};
    }

    /// Erases a family and every token of it; true if the family record was there.
    result<bool> erase_family(std::string_view family)
    {
        auto erased = store_.erase(family_key(family));
        if (!erased)
            return fail(erased.error());
        if (auto r = store_.erase_subject(keys::index(keys::kind::refresh_token, family)); !r)
            return fail(r.error());
        return *erased;
    }

    Store& store_;
    refresh_options options_;
    [[no_unique_address]] Clock clock_;
};

} // namespace tessera::inline v0
