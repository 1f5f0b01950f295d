// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `memory_store`: the embedded default store. Sharded, thread-safe, bounded.
*/

#include <tessera/core/clock.hpp>
#include <tessera/store/concepts.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <functional>
#include <limits>
#include <new>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
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
    /// Independent locks; more shards, less contention. Rounded up to a power of two, at most 1,024
    /// (a shard is about 1 KiB before its records: see `detail::read_mostly_mutex`).
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

/** A lock for data read far more often than written, whose readers write only memory of their own.

    A reader counts itself in one of `slots` counters, each on its own cache line, picked by its
    thread; a writer takes the writers' mutex, raises a flag, and waits until every counter is zero.
    With `std::shared_mutex`, every reader writes the lock's one counter: two threads reading two
    records of one shard, even one after the other, pass that cache line between their cores on
    every read, which is most of a read's cost (measured: two threads on 1,024 shards did no more
    reads than one). Here a reader's line stays in its core, and the flag, which only writers
    write, is read from every core's copy.

    Readers and writers meet as in Dekker's algorithm: a reader counts itself, then looks at the
    flag; a writer raises the flag, then looks at the counters (every step sequentially
    consistent), so at least one of the two sees the other. A reader that sees the flag uncounts
    itself and waits on the writers' mutex, which the writer holds for as long as it writes.
    Meets `SharedMutex` (and `Mutex`), so `std::shared_lock` and `std::unique_lock` take it.
*/
class read_mostly_mutex {
public:
    static constexpr std::size_t slots = 16;

    void lock_shared() noexcept
    {
        auto& mine = slot();
        for (;;) {
            mine.fetch_add(1, std::memory_order_seq_cst);
            if (!writing_.load(std::memory_order_seq_cst))
                return;
            mine.fetch_sub(1, std::memory_order_seq_cst);
            // Wait for the writer without spinning: it holds the mutex while it writes.
            std::lock_guard wait{writers_};
        }
    }
    void unlock_shared() noexcept { slot().fetch_sub(1, std::memory_order_release); }

    void lock()
    {
        writers_.lock();
        writing_.store(true, std::memory_order_seq_cst);
        for (auto& r : readers_)
            for (int spins = 0; r.count.load(std::memory_order_seq_cst) != 0; ++spins)
                if (spins >= 64)
                    std::this_thread::yield();
    }
    void unlock() noexcept
    {
        writing_.store(false, std::memory_order_release);
        writers_.unlock();
    }

private:
    struct alignas(64) counter {
        std::atomic<std::uint32_t> count{0};
    };

    std::atomic<std::uint32_t>& slot() noexcept
    {
        // Constant-initialised (no guard on every use); numbered at the thread's first read.
        thread_local std::size_t mine = slots;
        if (mine == slots) [[unlikely]] {
            static std::atomic<std::size_t> threads{0};
            mine = threads.fetch_add(1, std::memory_order_relaxed) % slots;
        }
        return readers_[mine].count;
    }

    counter readers_[slots];
    alignas(64) std::atomic<bool> writing_{false};
    std::mutex writers_;
};

/** One record of the memory store in one block of the heap: the expiry and three sizes, then the
    key, the subject and the value side by side. A live session is then one allocation of its own
    (plus a node in each of two tables), and a lookup reads one block after the table's node.
    The key and subject never change while the entry lives; the value and expiry change in place
    when a new value has the same size (a session's renewal), else the entry is replaced.
*/
class memory_entry {
public:
    struct deleter {
        void operator()(memory_entry* e) const noexcept
        {
            e->~memory_entry();
            ::operator delete(e);
        }
    };
    using pointer = std::unique_ptr<memory_entry, deleter>;

    static pointer make(std::string_view key, std::string_view subject, std::string_view value,
                        time_point expires_at)
    {
        void* block = ::operator new(sizeof(memory_entry) + key.size() + subject.size() + value.size());
        pointer e{::new (block) memory_entry{key, subject, value, expires_at}};
        return e;
    }

    /// Whether sizes fit the entry's counts (every key, subject and value tessera writes does, by far).
    static bool fits(std::string_view key, std::string_view subject, std::string_view value) noexcept
    {
        constexpr std::size_t most = std::numeric_limits<std::uint32_t>::max();
        return key.size() <= most && subject.size() <= most && value.size() <= most;
    }

    [[nodiscard]] std::string_view key() const noexcept { return {bytes(), key_size_}; }
    [[nodiscard]] std::string_view subject() const noexcept { return {bytes() + key_size_, subject_size_}; }
    [[nodiscard]] std::string_view value() const noexcept
    {
        return {bytes() + key_size_ + subject_size_, value_size_};
    }
    [[nodiscard]] record_view view() const noexcept { return {value(), subject(), expires_at}; }
    [[nodiscard]] record copy() const { return {std::string{value()}, std::string{subject()}, expires_at}; }

    /// A new value of the same size, written over the old one.
    void overwrite(std::string_view value) noexcept
    {
        std::copy(value.begin(), value.end(), bytes() + key_size_ + subject_size_);
    }

    time_point expires_at;

private:
    memory_entry(std::string_view key, std::string_view subject, std::string_view value, time_point expires) noexcept
        : expires_at(expires), key_size_(static_cast<std::uint32_t>(key.size())),
          subject_size_(static_cast<std::uint32_t>(subject.size())), value_size_(static_cast<std::uint32_t>(value.size()))
    {
        char* out = bytes();
        out = std::copy(key.begin(), key.end(), out);
        out = std::copy(subject.begin(), subject.end(), out);
        std::copy(value.begin(), value.end(), out);
    }

    char* bytes() noexcept { return reinterpret_cast<char*>(this + 1); }
    const char* bytes() const noexcept { return reinterpret_cast<const char*>(this + 1); }

    std::uint32_t key_size_, subject_size_, value_size_;
};

/// The records of a shard: entries found by their key.
struct entry_by_key {
    using is_transparent = void;
    std::size_t operator()(const memory_entry::pointer& e) const noexcept { return string_hash{}(e->key()); }
    std::size_t operator()(const hashed_key& k) const noexcept { return k.hash; }
    bool operator()(const memory_entry::pointer& a, const memory_entry::pointer& b) const noexcept
    {
        return a->key() == b->key();
    }
    bool operator()(const hashed_key& k, const memory_entry::pointer& e) const noexcept { return k.text == e->key(); }
    bool operator()(const memory_entry::pointer& e, const hashed_key& k) const noexcept { return k.text == e->key(); }
};
using entry_table = std::unordered_set<memory_entry::pointer, entry_by_key, entry_by_key>;

/// The subject index: every entry of a subject, found by the subject (no allocation per subject).
struct entry_by_subject {
    using is_transparent = void;
    std::size_t operator()(const memory_entry* e) const noexcept { return string_hash{}(e->subject()); }
    std::size_t operator()(std::string_view s) const noexcept { return string_hash{}(s); }
    bool operator()(const memory_entry* a, const memory_entry* b) const noexcept { return a->subject() == b->subject(); }
    bool operator()(std::string_view s, const memory_entry* e) const noexcept { return s == e->subject(); }
    bool operator()(const memory_entry* e, std::string_view s) const noexcept { return s == e->subject(); }
};
using subject_table = std::unordered_multiset<const memory_entry*, entry_by_subject, entry_by_subject>;

} // namespace detail

/** Records and counters in this process's memory, lost when it exits.

    Reads take a shared lock on one of `shards` shards; writes an exclusive
    lock on one shard and, when a subject is involved, one subject-index
    shard (always in that order, so there is no deadlock). There is no
    global lock. Expired records vanish from every read at once and are
    deleted when read, taken, or purged by `purge_expired`.

    A record is one block of the heap holding its key, subject and value
    (`detail::memory_entry`), found through a node in its shard's table and
    listed through a node in its subject's index shard: about 230 bytes for
    a live session of a short subject (`./dev bench`, `growth/...`).

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
        // A power of two, so that a shard is picked with a mask, not a division.
        options_.shards = std::bit_ceil(std::clamp<std::size_t>(options_.shards, 1, 1024));
        mask_ = options_.shards - 1;
        for (std::size_t i = 0; i < options_.shards; ++i) {
            shards_.push_back(std::make_unique<shard>());
            index_.push_back(std::make_unique<index_shard>());
        }
    }

    basic_memory_store(const basic_memory_store&) = delete;
    basic_memory_store& operator=(const basic_memory_store&) = delete;

    /// @return `malformed` for a key, value or subject of 4 GiB or more.
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
        if ((*it)->expires_at <= now || expires_at <= now) {
            remove(s, it);
            return false;
        }
        if (!detail::memory_entry::fits(key, (*it)->subject(), value))
            return fail(errc::malformed);
        if (value.size() == (*it)->value().size()) {
            (*it)->overwrite(value);
            (*it)->expires_at = expires_at;
        } else {
            substitute(s, it, detail::memory_entry::make(key, (*it)->subject(), value, expires_at));
        }
        return true;
    }

    result<std::optional<record>> get(std::string_view key)
    {
        return read(key, [](const record_view* r) {
            return r ? std::optional<record>{record{std::string{r->value}, std::string{r->subject}, r->expires_at}}
                     : std::optional<record>{};
        });
    }

    /** `f(record)` on the live record of `key`, or `f(nullptr)`, under the shard's shared lock: the
        record is read where it is kept, not copied out. `f` must not call this store.
    */
    template <class F>
    auto read(std::string_view key, F&& f) -> result<std::invoke_result_t<F&, const record_view*>>
    {
        const auto now = clock_.now();
        const detail::hashed_key hashed{key};
        auto& s = shard_of(hashed);
        {
            std::shared_lock lock{s.mutex};
            auto it = s.records.find(hashed);
            if (it == s.records.end())
                return f(nullptr);
            if ((*it)->expires_at > now) {
                const record_view view = (*it)->view();
                return f(&view);
            }
        }
        // Expired: delete it now (lazy expiry), rechecking under the exclusive lock.
        {
            std::unique_lock lock{s.mutex};
            if (auto it = s.records.find(hashed); it != s.records.end() && (*it)->expires_at <= now)
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
        const bool live = (*it)->expires_at > now;
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
        if ((*it)->expires_at > now)
            out = (*it)->copy();
        remove(s, it);
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
            if (it != s.records.end() && (*it)->subject() == subject && (*it)->expires_at > now)
                out.push_back({key, (*it)->copy()});
            else
                stale.push_back(key);
        }
        for (const auto& key : stale)
            drop_expired(key, subject, now);
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
                if (it != s.records.end() && (*it)->subject() == subject) {
                    if ((*it)->expires_at > now)
                        ++erased;
                    remove(s, it);
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
    using entry = detail::memory_entry;
    using entry_iterator = detail::entry_table::iterator;

    struct counter_value {
        std::int64_t value;
        time_point expires_at;
    };
    struct shard {
        detail::read_mostly_mutex mutex;
        detail::entry_table records;
        detail::string_map<counter_value> counters;
    };
    struct alignas(64) index_shard {
        std::mutex mutex;
        detail::subject_table entries;
    };

    // The hash's high half picks the shard; its low bits pick the bucket within it.
    shard& shard_of(const detail::hashed_key& key) const noexcept { return *shards_[(key.hash >> 32) & mask_]; }
    index_shard& index_of(std::string_view subject) const noexcept
    {
        // A different mix than shard_of, so one subject's keys do not crowd one shard pair.
        return *index_[(detail::string_hash{}(subject) >> 40) & mask_];
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
    room claim_room(std::unique_lock<detail::read_mostly_mutex>& lock, bool purged, time_point now)
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
        if (!entry::fits(key, subject, value))
            return fail(errc::malformed);
        const auto now = clock_.now();
        if (!overwrite) // an insert decides: it lives at least min_decision_life
            expires_at = detail::decision_expiry(expires_at, now);
        const detail::hashed_key hashed{key};
        auto& s = shard_of(hashed);
        for (bool purged = false;; purged = true) {
            std::unique_lock lock{s.mutex};
            auto it = s.records.find(hashed);
            const bool live = it != s.records.end() && (*it)->expires_at > now;
            if (live && !overwrite)
                return false;
            if (expires_at <= now) {
                if (it != s.records.end())
                    remove(s, it);
                return true;
            }
            if (it != s.records.end()) {
                substitute(s, it, entry::make(key, subject, value, expires_at));
                return true;
            }
            if (auto claimed = claim_room(lock, purged, now); claimed != room::taken) {
                if (claimed == room::full)
                    return fail(errc::store_full);
                continue;
            }
            auto fresh = entry::make(key, subject, value, expires_at);
            const entry* added = fresh.get();
            s.records.insert(std::move(fresh));
            if (!subject.empty())
                add_index(added);
            return true;
        }
    }

    /** Puts `next` (same key) in the place of the entry at `it`. Under one index lock when the subject
        stays, the new entry is listed before the old one leaves: a "log out everywhere" looking at the
        index meanwhile sees one of them, never neither.
    */
    void substitute(shard& s, entry_iterator it, entry::pointer next)
    {
        const entry* old = it->get();
        if (!old->subject().empty() && old->subject() == next->subject()) {
            auto& x = index_of(old->subject());
            std::lock_guard lock{x.mutex};
            x.entries.insert(next.get());
            erase_from_index(x, old);
        } else {
            if (!old->subject().empty())
                unindex(old);
            if (!next->subject().empty())
                add_index(next.get());
        }
        auto node = s.records.extract(it);
        node.value() = std::move(next); // the old entry is freed here, no longer listed anywhere
        s.records.insert(std::move(node));
    }

    void purge_all(time_point now)
    {
        for (auto& s : shards_) {
            std::unique_lock lock{s->mutex};
            purge_shard(*s, now, s->records.size());
        }
    }

    // Callers hold the exclusive lock of `s`. The entry leaves the index before it is freed.
    void remove(shard& s, entry_iterator it)
    {
        if (!(*it)->subject().empty())
            unindex(it->get());
        s.records.erase(it);
        size_.fetch_sub(1);
    }

    std::size_t purge_shard(shard& s, time_point now, std::size_t budget)
    {
        std::size_t purged = 0;
        for (auto it = s.records.begin(); it != s.records.end() && purged < budget;) {
            if ((*it)->expires_at <= now) {
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

    void add_index(const entry* e)
    {
        auto& x = index_of(e->subject());
        std::lock_guard lock{x.mutex};
        x.entries.insert(e);
    }

    static void erase_from_index(index_shard& x, const entry* e) noexcept
    {
        auto [first, last] = x.entries.equal_range(e->subject());
        for (; first != last; ++first)
            if (*first == e) {
                x.entries.erase(first);
                return;
            }
    }

    void unindex(const entry* e)
    {
        auto& x = index_of(e->subject());
        std::lock_guard lock{x.mutex};
        erase_from_index(x, e);
    }

    /// The keys listed under `subject`, copied out (the entries they name may go once the lock is released).
    std::vector<std::string> keys_of(std::string_view subject) const
    {
        auto& x = index_of(subject);
        std::lock_guard lock{x.mutex};
        std::vector<std::string> out;
        auto [first, last] = x.entries.equal_range(subject);
        for (; first != last; ++first)
            out.emplace_back((*first)->key());
        return out;
    }

    /// Deletes a listed record found expired, rechecking under the record's lock.
    void drop_expired(std::string_view key, std::string_view subject, time_point now)
    {
        const detail::hashed_key hashed{key};
        auto& s = shard_of(hashed);
        std::unique_lock lock{s.mutex};
        auto it = s.records.find(hashed);
        if (it != s.records.end() && (*it)->subject() == subject && (*it)->expires_at <= now)
            remove(s, it);
    }

    memory_store_options options_;
    [[no_unique_address]] Clock clock_;
    std::size_t mask_ = 0;
    std::vector<std::unique_ptr<shard>> shards_;
    std::vector<std::unique_ptr<index_shard>> index_;
    std::atomic<std::size_t> size_{0};
    std::atomic<std::size_t> next_purge_{0};
};

/// The memory store on the system clock.
using memory_store = basic_memory_store<>;

static_assert(store<memory_store>);

} // namespace tessera::inline v0
