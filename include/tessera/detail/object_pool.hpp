// SPDX-License-Identifier: BSL-1.0
#pragma once

// A small pool of reusable objects that are expensive to build and not
// thread-safe to share: keyed HMAC objects, Botan PK_Verifier/PK_Signer.
// Building a Botan ECDSA verifier costs 45-70 µs and keying an HMAC per call
// doubles its cost, so each key keeps a few ready ones and lends them out.
// One of them sits in an atomic slot: a caller that finds it there takes it
// and puts it back without a lock, which is every call while one thread at a
// time uses the key; the locked list serves the rest.

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace tessera::inline v0::detail {

template <class T>
class object_pool {
public:
    /// Objects kept for reuse beyond this are destroyed on return.
    static constexpr std::size_t max_idle = 32;

    /// A borrowed object; it goes back to the pool when the lease ends.
    class lease {
    public:
        lease(object_pool& pool, std::unique_ptr<T> object) noexcept : pool_(&pool), object_(std::move(object)) {}
        lease(lease&& other) noexcept = default;
        lease& operator=(lease&&) = delete;
        ~lease()
        {
            if (object_)
                pool_->give_back(std::move(object_));
        }
        T& operator*() const noexcept { return *object_; }
        T* operator->() const noexcept { return object_.get(); }

    private:
        object_pool* pool_;
        std::unique_ptr<T> object_;
    };

    object_pool() = default;
    object_pool(const object_pool&) = delete;
    object_pool& operator=(const object_pool&) = delete;
    ~object_pool() { delete hot_.load(std::memory_order_acquire); }

    /// Lends an idle object, or one made by `make()` (which returns `std::unique_ptr<T>`).
    template <class Make>
    lease acquire(Make&& make)
    {
        if (T* hot = hot_.exchange(nullptr, std::memory_order_acquire))
            return lease{*this, std::unique_ptr<T>{hot}};
        {
            std::lock_guard lock{mutex_};
            if (!idle_.empty()) {
                auto object = std::move(idle_.back());
                idle_.pop_back();
                return lease{*this, std::move(object)};
            }
        }
        return lease{*this, std::forward<Make>(make)()};
    }

private:
    void give_back(std::unique_ptr<T> object) noexcept
    {
        T* empty = nullptr;
        if (hot_.compare_exchange_strong(empty, object.get(), std::memory_order_release, std::memory_order_relaxed)) {
            (void)object.release();
            return;
        }
        std::lock_guard lock{mutex_};
        if (idle_.size() < max_idle) {
            try {
                idle_.push_back(std::move(object));
            } catch (...) {
                // Out of memory: the object is simply destroyed.
            }
        }
    }

    std::atomic<T*> hot_{nullptr};
    std::mutex mutex_;
    std::vector<std::unique_ptr<T>> idle_;
};

} // namespace tessera::inline v0::detail
