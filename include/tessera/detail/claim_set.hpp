// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `claim_set`: a principal's claims (a JWT's verified claims, or a
    session's attributes), as a JSON object built only when it is read.

    A JWT's claims arrive as the payload text the verifier has already read
    strictly; most requests never look past the subject, the expiry and the
    id, which the verifier reads in place. Building the object would be most
    of a verification's cost and all of its allocations, so a `claim_set`
    keeps the text and parses it the first time a claim is asked for.
*/

#include <tessera/core/error.hpp>
#include <tessera/detail/strict_json.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tessera::inline v0 {

/** The claims of a principal, read as a JSON object.

    Made from an object (a session's attributes), or from the text of a JSON
    object that a verifier has read strictly (a JWT's payload), which is parsed
    on the first reading and kept.

    @par Thread Safety
    Const members may be called from many threads at once, the first reading
    included (two threads that race to build the object both build it; one of
    the two is kept).
*/
class claim_set {
public:
    claim_set() = default;
    /// The claims in `object`.
    claim_set(boost::json::object object) : owned_(std::move(object)) {} // NOLINT: a set of claims is an object

    /** The claims written in `text`: a JSON object that `detail::parse_object` accepts with
        `max_depth` (the verifier has checked it). It is parsed on the first reading.
    */
    static claim_set from_text(std::string text, std::size_t max_depth)
    {
        claim_set c;
        c.text_ = std::move(text);
        c.max_depth_ = max_depth;
        return c;
    }

    claim_set(const claim_set& other) : owned_(other.owned_), text_(other.text_), max_depth_(other.max_depth_) {}
    claim_set(claim_set&& other) noexcept
        : owned_(std::move(other.owned_)), text_(std::move(other.text_)), max_depth_(other.max_depth_),
          built_(other.built_.exchange(nullptr))
    {
        other.owned_.reset();
        other.text_.clear();
    }
    claim_set& operator=(const claim_set& other)
    {
        if (this != &other)
            *this = claim_set{other};
        return *this;
    }
    claim_set& operator=(claim_set&& other) noexcept
    {
        if (this != &other) {
            delete built_.exchange(other.built_.exchange(nullptr));
            owned_ = std::move(other.owned_);
            other.owned_.reset();
            text_ = std::move(other.text_);
            other.text_.clear();
            max_depth_ = other.max_depth_;
        }
        return *this;
    }
    ~claim_set() { delete built_.load(std::memory_order_acquire); }

    /** Every claim.
        @throws tessera::error `malformed` if the text does not parse (it always does when a verifier made it),
        `std::bad_alloc`.
    */
    [[nodiscard]] const boost::json::object& json() const
    {
        if (owned_)
            return *owned_;
        if (text_.empty())
            return empty_object();
        if (const auto* built = built_.load(std::memory_order_acquire))
            return *built;
        auto parsed = detail::parse_object(text_, {}, {.max_depth = max_depth_});
        if (!parsed)
            throw error{errc::malformed, "claims that do not parse"};
        auto fresh = std::make_unique<boost::json::object>(std::move(*parsed));
        boost::json::object* expected = nullptr;
        if (built_.compare_exchange_strong(expected, fresh.get(), std::memory_order_acq_rel,
                                           std::memory_order_acquire))
            return *fresh.release();
        return *expected; // another thread built it first
    }

    /// Claim `name`. @throws std::out_of_range (as `boost::json::object::at`) when absent.
    [[nodiscard]] const boost::json::value& at(std::string_view name) const { return json().at(name); }
    /// Claim `name`, or nullptr.
    [[nodiscard]] const boost::json::value* if_contains(std::string_view name) const
    {
        return json().if_contains(name);
    }
    [[nodiscard]] bool contains(std::string_view name) const { return json().contains(name); }
    [[nodiscard]] std::size_t size() const { return json().size(); }
    [[nodiscard]] bool empty() const { return owned_ ? owned_->empty() : text_.empty() || json().empty(); }
    [[nodiscard]] auto begin() const { return json().begin(); }
    [[nodiscard]] auto end() const { return json().end(); }

    /// The text the claims are read from (empty for claims made from an object).
    [[nodiscard]] std::string_view text() const noexcept { return text_; }

    friend bool operator==(const claim_set& a, const claim_set& b) { return a.json() == b.json(); }

private:
    static const boost::json::object& empty_object()
    {
        static const boost::json::object none;
        return none;
    }

    std::optional<boost::json::object> owned_;
    std::string text_;
    std::size_t max_depth_ = detail::json_limits{}.max_depth;
    mutable std::atomic<boost::json::object*> built_{nullptr};
};

} // namespace tessera::inline v0
