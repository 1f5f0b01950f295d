// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `fleet::stored_key_ring`: one key ring for every instance of a fleet, kept in their shared store
    (Redis, PostgreSQL — any `tessera::store`), sealed.

    Each version of the ring is one sealed document (`jwt::key_ring::seal`) under its own key,
    `ring:` + name + US + version, written with `insert`: of two instances that change the ring at
    once, exactly one takes the next version, and the other reads it, applies its change on top and
    takes the one after (`stored_ring_options::retries` times at most). A change is made only once
    the store holds it (`key_ring::persist_with`): a store that cannot answer leaves the ring as it
    was, and the operation returns `store_unavailable`. `ring:` + name holds the latest version as
    a hint for instances that start or fall behind; a reader trusts only the documents, each opened
    and checked whole (`key_ring::unseal`), and never goes back to an older version. A store that
    lost the ring gets it back from the next instance that syncs.

    Instances see a change at their next `sync` (the application's timer; `maintain` syncs first):
    the bound on how long an instance signs or verifies with keys another has changed is that
    timer's period. Requests never touch the store for keys: they use the ring in memory.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/error.hpp>
#include <tessera/core/result.hpp>
#include <tessera/events.hpp>
#include <tessera/jwt/key_ring.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/keys.hpp>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace tessera::inline v0::fleet {

/// Where a fleet keeps its ring.
struct stored_ring_options {
    /// The ring's name in the store, 1–64 of `A-Z a-z 0-9 _ -` (rings of several names can share a store).
    std::string name = "signing";
    /// How many times a change is applied again when another instance took its version first.
    int retries = 4;
    /// How long a version's document is kept (the latest is written again by every change).
    std::chrono::seconds keep{std::chrono::hours{24 * 3650}};
};

/** A key ring that every instance on one store shares.

    @code
    tessera::fleet::stored_key_ring<jwt::eddsa, tessera::redis_store> keys{store, kek, timeline};
    tessera::hybrid_authenticator<jwt::key_ring<jwt::eddsa>, tessera::redis_store> app{store, keys.ring(), names};
    // every few seconds, on every instance:
    keys.maintain(tessera::system_clock{}.now());   // syncs, then keeps the schedule (one instance wins each step)
    @endcode

    @par Thread Safety
    Every member function may be called from many threads at once.
*/
template <jwt::algorithm Alg, store Store, class Events = no_events>
class stored_key_ring {
public:
    using ring_type = jwt::key_ring<Alg, Events>;

    /** Opens the ring the store holds, or makes one (a new random primary key) when it holds none;
        of instances that start together on an empty store, one makes it and the others open it.
        @throws tessera::error `invalid_configuration` for a bad name; `store_unavailable` when the
        store cannot answer; `invalid_key` (or `malformed`, `algorithm_mismatch`, `wrong_key_state`)
        when the ring in the store does not open under `kek` as a ring of `Alg`.
    */
    stored_key_ring(Store& store, jwt::ring_sealing_key kek, jwt::key_ring_options timeline,
                    stored_ring_options options = {}, time_point now = system_clock{}.now(), Events events = {})
        : store_(store), kek_(std::move(kek)), options_(checked(std::move(options))), now_(now)
    {
        for (int attempt = 0; !ring_; ++attempt) {
            auto latest = newer_than(0);
            if (!latest)
                throw error{to_errc(latest.error()), "tessera: the stored key ring could not be read: " +
                                                         describe(latest.error())};
            if (*latest) {
                ring_ = std::make_unique<ring_type>(*latest, timeline, events);
                break;
            }
            auto fresh = std::make_unique<ring_type>(timeline, now, events);
            auto taken = write(*fresh->contents());
            if (!taken)
                throw error{errc::store_unavailable, "tessera: the key ring could not be stored: " +
                                                         describe(taken.error())};
            if (*taken)
                ring_ = std::move(fresh);
            else if (attempt >= options_.retries) // taken by another, yet never readable: not a ring to sign with
                throw error{errc::store_unavailable, "tessera: the stored key ring could be neither made nor read"};
        }
        known_.store(ring_->version(), std::memory_order_release);
        (void)ring_->persist_with([this](const jwt::ring_contents<Alg>& c) { return commit(c); });
    }

    stored_key_ring(const stored_key_ring&) = delete;
    stored_key_ring& operator=(const stored_key_ring&) = delete;

    /// The ring in memory: what authenticators and `jwt::ring_keys` are built on.
    [[nodiscard]] ring_type& ring() noexcept { return *ring_; }
    [[nodiscard]] const ring_type& ring() const noexcept { return *ring_; }

    /** Takes the newest version the store holds, if newer than the ring's; gives the store back the
        ring's version if the store lost it.
        @return true if a newer version was taken; `store_unavailable`; `invalid_key` (or another
        `unseal` refusal) for a document that does not open — nothing of it is used, and the ring
        keeps its version.
    */
    result<bool> sync()
    {
        auto latest = newer_than(ring_->version());
        if (!latest)
            return fail(latest.error());
        if (*latest) {
            auto taken = ring_->adopt(*latest);
            if (taken && *taken)
                raise_known(ring_->version());
            return taken;
        }
        // Nothing newer: does the store still hold ours? (A flushed or restored store does not.)
        const auto own = ring_->version();
        auto held = store_.get(version_key(own));
        if (!held)
            return fail(held.error());
        if (!*held) {
            auto restored = write(*ring_->contents());
            if (!restored)
                return fail(restored.error());
        }
        return false;
    }

    /// `sync`, then `key_ring::maintain`: every instance may call it; one makes each change.
    jwt::maintenance maintain(time_point now)
    {
        jwt::maintenance done;
        for (int attempt = 0; attempt <= options_.retries; ++attempt) {
            if (auto synced = sync(); !synced)
                return jwt::maintenance{.error = synced.error()};
            done = ring_->maintain(now);
            if (done.error != store_failure::busy)
                return done;
        }
        return done;
    }

    result<std::string> publish_new(time_point now)
    {
        return retried([&] { return ring_->publish_new(now); });
    }
    result<std::string> publish(const typename ring_type::signing_key& key, time_point now)
    {
        return retried([&] { return ring_->publish(key, now); });
    }
    result<void> promote(std::string_view kid, time_point now)
    {
        return retried([&] { return ring_->promote(kid, now); });
    }
    result<std::string> rotate(time_point now)
    {
        return retried([&] { return ring_->rotate(now); });
    }
    result<void> retire(std::string_view kid, time_point now)
    {
        return retried([&] { return ring_->retire(kid, now); });
    }
    /// The emergency, for the whole fleet: refused on this instance at once, on the others at their next `sync`.
    result<bool> revoke(std::string_view kid, time_point now)
    {
        return retried([&] { return ring_->revoke(kid, now); });
    }

    /// The store key of version `v` of this ring's documents (for operators and tests).
    [[nodiscard]] std::string version_key(std::uint64_t v) const
    {
        return keys::key(keys::kind::key_ring, options_.name + '\x1f' + std::to_string(v));
    }
    /// The store key of the latest-version hint.
    [[nodiscard]] std::string head_key() const { return keys::key(keys::kind::key_ring, options_.name); }

private:
    static stored_ring_options checked(stored_ring_options o)
    {
        bool ok = !o.name.empty() && o.name.size() <= 64 && o.retries >= 0 && o.keep > std::chrono::seconds{0};
        for (char ch : o.name)
            ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                        ch == '_' || ch == '-');
        if (!ok)
            throw error{errc::invalid_configuration, "tessera: a stored key ring's name is 1-64 of A-Z a-z 0-9 _ -"};
        return o;
    }

    static errc to_errc(const std::error_code& e) noexcept
    {
        if (e == condition::unavailable)
            return errc::store_unavailable;
        return e.category() == make_error_code(errc::malformed).category() ? static_cast<errc>(e.value())
                                                                            : errc::store_unavailable;
    }

    /// Runs a change, applying it again on the newer version when another instance took its version first.
    template <class Op>
    auto retried(Op op) -> decltype(op())
    {
        for (int attempt = 0;; ++attempt) {
            if (auto synced = sync(); !synced)
                return fail(synced.error());
            auto r = op();
            if (r || r.error() != store_failure::busy || attempt >= options_.retries)
                return r;
        }
    }

    /// The persistence: a version is made only once the store took it, and only if nobody took it first.
    result<void> commit(const jwt::ring_contents<Alg>& c)
    {
        if (c.version <= known_.load(std::memory_order_acquire))
            return {}; // the store has it: it came from there
        auto taken = write(c);
        if (!taken)
            return fail(taken.error());
        if (!*taken)
            return fail(make_error_code(store_failure::busy)); // another instance took this version
        return {};
    }

    /// Writes `c` as its version: true if this call took that version.
    result<bool> write(const jwt::ring_contents<Alg>& c)
    {
        const auto now = system_clock{}.now();
        const auto expires = (now > now_ ? now : now_) + options_.keep;
        auto taken = store_.insert(version_key(c.version), ring_type::seal(c, kek_), expires, {});
        if (!taken)
            return taken;
        if (*taken) {
            raise_known(c.version);
            (void)store_.put(head_key(), std::to_string(c.version), expires, {}); // a hint: readers probe past it
        }
        return taken;
    }

    void raise_known(std::uint64_t v) noexcept
    {
        auto seen = known_.load(std::memory_order_relaxed);
        while (seen < v && !known_.compare_exchange_weak(seen, v, std::memory_order_acq_rel)) {
        }
    }

    /// The newest version the store holds past `from`, opened and checked; null when there is none.
    result<std::shared_ptr<const jwt::ring_contents<Alg>>> newer_than(std::uint64_t from)
    {
        using contents_ptr = std::shared_ptr<const jwt::ring_contents<Alg>>;
        contents_ptr best;
        auto open = [&](std::uint64_t v) -> result<bool> {
            auto found = store_.get(version_key(v));
            if (!found)
                return fail(found.error());
            if (!*found)
                return false;
            auto opened = ring_type::unseal((*found)->value, kek_);
            if (!opened)
                return fail(opened.error());
            if ((*opened)->version != v)
                return fail(errc::invalid_key); // a document moved under another version's key
            best = std::move(*opened);
            return true;
        };
        auto head = store_.get(head_key());
        if (!head)
            return fail(head.error());
        std::uint64_t hint = 0;
        if (*head) {
            const auto& text = (*head)->value;
            if (std::from_chars(text.data(), text.data() + text.size(), hint).ec != std::errc{})
                hint = 0; // a hint that is not one is no hint: probing decides
        }
        std::uint64_t at = from;
        if (hint > from) {
            auto found = open(hint);
            if (!found)
                return fail(found.error());
            if (*found)
                at = hint;
        }
        for (int probes = 0; probes < 1024; ++probes) { // past the hint, one version at a time
            auto found = open(at + 1);
            if (!found)
                return fail(found.error());
            if (!*found)
                break;
            ++at;
        }
        return best;
    }

    Store& store_;
    jwt::ring_sealing_key kek_;
    stored_ring_options options_;
    time_point now_;
    std::unique_ptr<ring_type> ring_;
    std::atomic<std::uint64_t> known_{0};
};

} // namespace tessera::inline v0::fleet
