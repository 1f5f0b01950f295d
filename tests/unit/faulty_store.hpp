// SPDX-License-Identifier: BSL-1.0
#pragma once
// A store wrapper that injects faults deterministically: it counts every
// operation, and at the Nth one it can fail without doing anything, do the
// work and then lose the answer (the network dropped the reply), or first run
// a hook (another request that runs between two store calls of this one).

#include <tessera/core/result.hpp>
#include <tessera/store/concepts.hpp>

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace test {

enum class fault {
    none,
    /// The operation fails with `store_unavailable` and changes nothing.
    fail,
    /// The operation is carried out, then fails with `store_unavailable` (its answer is lost).
    drop_reply,
};

template <tessera::store Inner>
class faulty_store {
public:
    explicit faulty_store(Inner& inner) : inner_(inner) {}

    /// The `at`-th operation from now (1-based) suffers `kind`; `hook` runs just before it.
    void arm(std::size_t at, fault kind, std::function<void()> hook = {})
    {
        std::lock_guard lock{mutex_};
        at_ = calls_ + at;
        kind_ = kind;
        hook_ = std::move(hook);
    }
    /// Every operation from now on fails (the server is gone) until `heal`.
    void break_down() { down_ = true; }
    void heal()
    {
        std::lock_guard lock{mutex_};
        down_ = false;
        at_ = 0;
        hook_ = {};
    }
    /// The faults `arm` injected so far, in order (a matrix checks that it injected what it meant to).
    std::vector<fault> injected() const
    {
        std::lock_guard lock{mutex_};
        return injected_;
    }
    /// The names of the operations those faults hit ("put", "take"...), in the same order.
    std::vector<std::string> injected_into() const
    {
        std::lock_guard lock{mutex_};
        return injected_into_;
    }
    /// Operations so far, and their names.
    std::size_t calls() const
    {
        std::lock_guard lock{mutex_};
        return calls_;
    }
    std::vector<std::string> log() const
    {
        std::lock_guard lock{mutex_};
        return log_;
    }
    void clear_log()
    {
        std::lock_guard lock{mutex_};
        log_.clear();
    }

    tessera::result<void> put(std::string_view k, std::string_view v, tessera::time_point t, std::string_view s = {})
    {
        return call("put", [&] { return inner_.put(k, v, t, s); });
    }
    tessera::result<bool> insert(std::string_view k, std::string_view v, tessera::time_point t,
                                 std::string_view s = {})
    {
        return call("insert", [&] { return inner_.insert(k, v, t, s); });
    }
    tessera::result<bool> replace(std::string_view k, std::string_view v, tessera::time_point t)
    {
        return call("replace", [&] { return inner_.replace(k, v, t); });
    }
    tessera::result<std::optional<tessera::record>> get(std::string_view k)
    {
        return call("get", [&] { return inner_.get(k); });
    }
    /// One operation (one round trip), when the wrapped store has it.
    tessera::result<std::vector<std::optional<tessera::record>>> get_many(std::span<const std::string> keys)
        requires tessera::batch_reads<Inner>
    {
        return call("get_many", [&] { return inner_.get_many(keys); });
    }
    tessera::result<bool> insert_then(const tessera::store_write& first, std::span<const tessera::store_write> then)
        requires tessera::conditional_batches<Inner>
    {
        return call("insert_then", [&] { return inner_.insert_then(first, then); });
    }
    tessera::result<bool> erase(std::string_view k)
    {
        return call("erase", [&] { return inner_.erase(k); });
    }
    tessera::result<std::optional<tessera::record>> take(std::string_view k)
    {
        return call("take", [&] { return inner_.take(k); });
    }
    tessera::result<std::vector<tessera::keyed_record>> list_subject(std::string_view s)
    {
        return call("list_subject", [&] { return inner_.list_subject(s); });
    }
    tessera::result<std::size_t> erase_subject(std::string_view s)
    {
        return call("erase_subject", [&] { return inner_.erase_subject(s); });
    }
    tessera::result<std::int64_t> increment(std::string_view k, std::int64_t d, tessera::time_point t)
    {
        return call("increment", [&] { return inner_.increment(k, d, t); });
    }
    tessera::result<std::int64_t> counter(std::string_view k)
    {
        return call("counter", [&] { return inner_.counter(k); });
    }
    tessera::result<std::size_t> purge_expired(std::size_t budget = 1024)
    {
        return call("purge_expired", [&] { return inner_.purge_expired(budget); });
    }

private:
    template <class F>
    auto call(const char* name, F&& op) -> decltype(op())
    {
        fault kind = fault::none;
        std::function<void()> hook;
        {
            std::lock_guard lock{mutex_};
            ++calls_;
            log_.emplace_back(name);
            if (calls_ == at_) {
                kind = kind_;
                hook = std::move(hook_);
                at_ = 0;
                if (kind != fault::none) {
                    injected_.push_back(kind);
                    injected_into_.emplace_back(name);
                }
            }
            if (down_)
                kind = fault::fail;
        }
        if (hook)
            hook();
        if (kind == fault::fail)
            return tessera::fail(tessera::errc::store_unavailable);
        auto r = op();
        if (kind == fault::drop_reply)
            return tessera::fail(tessera::errc::store_unavailable);
        return r;
    }

    Inner& inner_;
    mutable std::mutex mutex_;
    std::size_t calls_ = 0;
    std::size_t at_ = 0;
    fault kind_ = fault::none;
    std::function<void()> hook_;
    std::vector<fault> injected_;
    std::vector<std::string> injected_into_;
    std::atomic<bool> down_{false};
    std::vector<std::string> log_;
};

} // namespace test
