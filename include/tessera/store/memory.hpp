// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `memory_store`: the embedded default store. Sharded, thread-safe, bounded.
*/

#include <tessera/core/clock.hpp>
#include <tessera/store/concepts.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

namespace tessera::inline v0 {

/// Limits of a `memory_store`.
struct memory_store_options {
    /** Most records and counters held at once.

        At the bound, a write of a new key first purges expired records and
        counters of every shard; if the store is still full it fails with
        `store_full` (a new login, or a throttle count from a new client
        address, is refused), having written nothing. Existing records are never evicted to make
        room: evicting a session would log a user out, and an attacker who can
        create records could then log out everyone.
    */
    std::size_t max_records = 1'000'000;
    /// Independent locks; more shards, less contention.
    std::size_t shards = 16;
};

namespace detail {

/// A key and its hash, computed once: the store picks the shard with it and the shard's map finds with it.
struct hashed_key {
    explicit hashed_key(std::string_view k) noexcept : text(k), hash(std::hash<std::string_view>{}(k)) {}
    std::string_view text;
    std::size_t hash;
    friend bool operator==(const hashed_key& a, std::string_view b) noexcept { return a.text == b; }
};

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    std::size_t operator()(const hashed_key& k) const noexcept { return k.hash; }
};

template <class V>
using string_map = std::unordered_map<std::string, V, string_hash, std::equal_to<>>;
using string_set = std::unordered_set<std::string, string_hash, std::equal_to<>>;

} // namespace detail

/** Records and counters in this process's memory, lost when it exits.

    Reads take a shared lock on one of `shards` shards; writes an exclusive
    lock on one shard and, when a subject is involved, one subject-index
    shard (always in that order, so there is no deadlock). There is no
    global lock. Expired records vanish from every read at once and are
    deleted when read, taken, or purged by `purge_expired`.

    @tparam Clock the time source for expiry (`manual_clock` in tests).
    @par Thread Safety
    Every member function may be called from many threads at once.
*/
template <clock Clock = system_clock>
class basic_memory_store {
public:
    explicit basic_memory_store(memory_store_options options = {}, Clock clock = {})
        : options_(options), clock_(std::move(clock))
    {
        options_.shards = std::max<std::size_t>(options_.shards, 1);
        for (std::size_t i = 0; i < options_.shards; ++i) {
            shards_.push_back(std::make_unique<shard>());
            index_.push_back(std::make_unique<index_shard>());
        }
    }

    basic_memory_store(const basic_memory_store&) = delete;
    basic_memory_store& operator=(const basic_memory_store&) = delete;

    result<void> put(std::string_view key, std::string_view value, time_point expires_at, std::string_view subject = {})
    {
        auto written = write(key, value, expires_at, subject, true);
        if (!written)
            return fail(written.error());
        return {};
    }

    /// Writes only where no live record is; true for exactly one of many racing callers.
    result<bool> insert(std::string_view key, std::string_view value, time_point expires_at,
                        std::string_view subject = {})
    {
        return write(key, value, expires_at, subject, false);
    }

    result<bool> replace(std::string_view key, std::string_view value, time_point expires_at)
    {
        const auto now = clock_.now();
        const detail::hashed_key hashed{key};
        auto& s = shard_of(hashed);
        std::unique_lock lock{s.mutex};
        auto it = s.records.find(hashed);
        if (it == s.records.end())
            return false;
        if (it->second.expires_at <= now || expires_at <= now) {
            remove(s, it);
            return false;
        }
        it->second.value.assign(value);
        it->second.expires_at = expires_at;
        return true;
    }

    result<std::optional<record>> get(std::string_view key)
    {
        return read(key, [](const record* r) { return r ? std::optional<record>{*r} : std::optional<record>{}; });
    }

    /** `f(record)` on the live record of `key`, or `f(nullptr)`, under the shard's shared lock: the
        record is read where it is kept, not copied out. `f` must not call this store.
    */
    template <class F>
    auto read(std::string_view key, F&& f) -> result<std::invoke_result_t<F&, const record*>>
    {
        const auto now = clock_.now();
        const detail::hashed_key hashed{key};
        auto& s = shard_of(hashed);
        {
            std::shared_lock lock{s.mutex};
            auto it = s.records.find(hashed);
            if (it == s.records.end())
                return f(nullptr);
            if (it->second.expires_at > now)
                return f(&it->second);
        }
        // Expired: delete it now (lazy expiry), rechecking under the exclusive lock.
        {
            std::unique_lock lock{s.mutex};
            if (auto it = s.records.find(hashed); it != s.records.end() && it->second.expires_at <= now)
                remove(s, it);
        }
        return f(nullptr);
    }

    result<bool> erase(std::string_view key)
    {
        const auto now = clock_.now();
        const detail::hashed_key hashed{key};
        auto& s = shard_of(hashed);
        std::unique_lock lock{s.mutex};
        auto it = s.records.find(hashed);
        if (it == s.records.end())
            return false;
        const bool live = it->second.expires_at > now;
        remove(s, it);
        return live;
    }

    result<std::optional<record>> take(std::string_view key)
    {
        const auto now = clock_.now();
        const detail::hashed_key hashed{key};
        auto& s = shard_of(hashed);
        std::unique_lock lock{s.mutex};
        auto it = s.records.find(hashed);
        if (it == s.records.end())
            return std::optional<record>{};
        std::optional<record> out;
        if (it->second.expires_at > now)
            out = std::move(it->second);
        remove(s, it, out ? std::string_view{out->subject} : std::string_view{it->second.subject});
        return out;
    }

    result<std::vector<keyed_record>> list_subject(std::string_view subject)
    {
        const auto now = clock_.now();
        std::vector<keyed_record> out;
        std::vector<std::string> stale;
        for (const auto& key : keys_of(subject)) {
            const detail::hashed_key hashed{key};
            auto& s = shard_of(hashed);
            std::shared_lock lock{s.mutex};
            auto it = s.records.find(hashed);
            if (it != s.records.end() && it->second.subject == subject && it->second.expires_at > now)
                out.push_back({key, it->second});
            else
                stale.push_back(key);
        }
        for (const auto& key : stale)
            drop_stale(key, subject, now);
        return out;
    }

    result<std::size_t> erase_subject(std::string_view subject)
    {
        const auto now = clock_.now();
        std::size_t erased = 0;
        // Until the index is seen empty: a record indexed while we erase the
        // first batch (a session rotated during "log out everywhere") is in
        // the next one. The last look is the instant this erase takes effect.
        for (auto keys = keys_of(subject); !keys.empty(); keys = keys_of(subject)) {
            for (const auto& key : keys) {
                const detail::hashed_key hashed{key};
                auto& s = shard_of(hashed);
                std::unique_lock lock{s.mutex};
                auto it = s.records.find(hashed);
                if (it != s.records.end() && it->second.subject == subject) {
                    if (it->second.expires_at > now)
                        ++erased;
                    remove(s, it);
                } else {
                    unindex(subject, key);
                }
            }
        }
        return erased;
    }

    result<std::int64_t> increment(std::string_view key, std::int64_t delta, time_point expires_at)
    {
        const auto now = clock_.now();
        expires_at = detail::decision_expiry(expires_at, now);
        const detail::hashed_key hashed{key};
        auto& s = shard_of(hashed);
        for (bool purged = false;; purged = true) {
            std::unique_lock lock{s.mutex};
            auto it = s.counters.find(hashed);
            if (it == s.counters.end()) {
                if (expires_at <= now)
                    return delta;
                if (auto claimed = claim_room(lock, purged, now); claimed != room::taken) {
                    if (claimed == room::full)
                        return fail(errc::store_full);
                    continue;
                }
                it = s.counters.emplace(std::string{key}, counter_value{0, expires_at}).first;
            } else if (it->second.expires_at <= now) {
                it->second = counter_value{0, expires_at};
            }
            it->second.value += delta;
            it->second.expires_at = std::max(it->second.expires_at, expires_at);
            return it->second.value;
        }
    }

    result<std::int64_t> counter(std::string_view key)
    {
        const auto now = clock_.now();
        const detail::hashed_key hashed{key};
        auto& s = shard_of(hashed);
        std::shared_lock lock{s.mutex};
        auto it = s.counters.find(hashed);
        if (it == s.counters.end() || it->second.expires_at <= now)
            return std::int64_t{0};
        return it->second.value;
    }

    result<std::size_t> purge_expired(std::size_t budget = 1024)
    {
        const auto now = clock_.now();
        std::size_t purged = 0;
        for (std::size_t n = 0; n < shards_.size() && purged < budget; ++n) {
            auto& s = *shards_[next_purge_.fetch_add(1, std::memory_order_relaxed) % shards_.size()];
            std::unique_lock lock{s.mutex};
            purged += purge_shard(s, now, budget - purged);
        }
        return purged;
    }

    /// Live and not-yet-purged records and counters held now.
    [[nodiscard]] std::size_t size() const noexcept { return size_.load(); }
    [[nodiscard]] const memory_store_options& options() const noexcept { return options_; }
    [[nodiscard]] const Clock& clock() const noexcept { return clock_; }

private:
    struct counter_value {
        std::int64_t value;
        time_point expires_at;
    };
    struct shard {
        std::shared_mutex mutex;
        detail::string_map<record> records;
        detail::string_map<counter_value> counters;
    };
    struct index_shard {
        std::mutex mutex;
        detail::string_map<detail::string_set> keys;
    };

    shard& shard_of(const detail::hashed_key& key) const noexcept { return *shards_[key.hash % shards_.size()]; }
    index_shard& index_of(std::string_view subject) const noexcept
    {
        // A different mix than shard_of, so one subject's keys do not crowd one shard pair.
        return *index_[(detail::string_hash{}(subject) >> 7) % index_.size()];
    }

    /// Claims room for one more record or counter.
    bool reserve_slot() noexcept
    {
        if (size_.fetch_add(1) < options_.max_records)
            return true;
        size_.fetch_sub(1);
        return false;
    }

    enum class room { taken, retry, full };

    /** Claims room for a new entry. At the bound, the first time (`purged` false), unlocks the
        caller's shard and purges every shard of expired entries: the caller then retries.
    */
    room claim_room(std::unique_lock<std::shared_mutex>& lock, bool purged, time_point now)
    {
        if (reserve_slot())
            return room::taken;
        if (purged)
            return room::full;
        lock.unlock();
        purge_all(now);
        return room::retry;
    }

    /** `put` (overwrite) and `insert` (only where no live record is).

        At the bound, every shard is purged of expired records (each under its
        own lock, none held here) and the write tried once more: a full shard
        must not refuse a login while other shards hold only expired records.
    */
    result<bool> write(std::string_view key, std::string_view value, time_point expires_at, std::string_view subject,
                       bool overwrite)
    {
        const auto now = clock_.now();
        if (!overwrite) // an insert decides: it lives at least min_decision_life
            expires_at = detail::decision_expiry(expires_at, now);
        const detail::hashed_key hashed{key};
        auto& s = shard_of(hashed);
        for (bool purged = false;; purged = true) {
            std::unique_lock lock{s.mutex};
            auto it = s.records.find(hashed);
            const bool live = it != s.records.end() && it->second.expires_at > now;
            if (live && !overwrite)
                return false;
            if (expires_at <= now) {
                if (it != s.records.end())
                    remove(s, it);
                return true;
            }
            if (it == s.records.end()) {
                if (auto claimed = claim_room(lock, purged, now); claimed != room::taken) {
                    if (claimed == room::full)
                        return fail(errc::store_full);
                    continue;
                }
                it = s.records.emplace(std::string{key}, record{}).first;
            } else if (it->second.subject != subject && !it->second.subject.empty()) {
                unindex(it->second.subject, key);
                it->second.subject.clear();
            }
            const bool index = !subject.empty() && it->second.subject != subject;
            it->second = record{std::string{value}, std::string{subject}, expires_at};
            if (index)
                add_index(subject, key);
            return true;
        }
    }

    void purge_all(time_point now)
    {
        for (auto& s : shards_) {
            std::unique_lock lock{s->mutex};
            purge_shard(*s, now, s->records.size());
        }
    }

    // Callers hold the exclusive lock of `s`.
    template <class It>
    void remove(shard& s, It it, std::string_view subject)
    {
        if (!subject.empty())
            unindex(subject, it->first);
        s.records.erase(it);
        size_.fetch_sub(1);
    }
    template <class It>
    void remove(shard& s, It it)
    {
        const std::string subject = std::move(it->second.subject);
        remove(s, it, subject);
    }

    std::size_t purge_shard(shard& s, time_point now, std::size_t budget)
    {
        std::size_t purged = 0;
        for (auto it = s.records.begin(); it != s.records.end() && purged < budget;) {
            if (it->second.expires_at <= now) {
                auto victim = it++;
                remove(s, victim);
                ++purged;
            } else {
                ++it;
            }
        }
        const auto counters = std::erase_if(s.counters, [now](const auto& c) { return c.second.expires_at <= now; });
        size_.fetch_sub(counters);
        return purged;
    }

    void add_index(std::string_view subject, std::string_view key)
    {
        auto& x = index_of(subject);
        std::lock_guard lock{x.mutex};
        auto it = x.keys.find(subject);
        if (it == x.keys.end())
            it = x.keys.emplace(std::string{subject}, detail::string_set{}).first;
        it->second.emplace(key);
    }

    void unindex(std::string_view subject, std::string_view key)
    {
        auto& x = index_of(subject);
        std::lock_guard lock{x.mutex};
        auto it = x.keys.find(subject);
        if (it == x.keys.end())
            return;
        if (auto k = it->second.find(key); k != it->second.end())
            it->second.erase(k);
        if (it->second.empty())
            x.keys.erase(it);
    }

    std::vector<std::string> keys_of(std::string_view subject) const
    {
        auto& x = index_of(subject);
        std::lock_guard lock{x.mutex};
        auto it = x.keys.find(subject);
        if (it == x.keys.end())
            return {};
        return {it->second.begin(), it->second.end()};
    }

    /// Removes an index entry whose record is gone, expired or re-owned, rechecking under the record's lock.
    void drop_stale(std::string_view key, std::string_view subject, time_point now)
    {
        const detail::hashed_key hashed{key};
        auto& s = shard_of(hashed);
        std::unique_lock lock{s.mutex};
        auto it = s.records.find(hashed);
        if (it == s.records.end() || it->second.subject != subject)
            unindex(subject, key);
        else if (it->second.expires_at <= now)
            remove(s, it);
    }

    memory_store_options options_;
    [[no_unique_address]] Clock clock_;
    std::vector<std::unique_ptr<shard>> shards_;
    std::vector<std::unique_ptr<index_shard>> index_;
    std::atomic<std::size_t> size_{0};
    std::atomic<std::size_t> next_purge_{0};
};

/// The memory store on the system clock.
using memory_store = basic_memory_store<>;

static_assert(store<memory_store>);

} // namespace tessera::inline v0
