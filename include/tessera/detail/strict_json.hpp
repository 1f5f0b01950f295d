// SPDX-License-Identifier: BSL-1.0
#pragma once

// A JSON parser for hostile input: Boost.JSON's own grammar and UTF-8
// validation, plus a depth limit and the refusal of repeated member names.
//
// Boost.JSON's `parse` keeps the last of two members with the same name;
// RFC 7515 §4 and RFC 7519 §4 allow a JWS to be rejected instead, which is
// what tessera does, since two parsers that pick different duplicates read
// two different tokens from one string.

#include <tessera/core/result.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <memory_resource>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace tessera::inline v0::detail {

/// Limits applied while parsing a header or a payload.
struct json_limits {
    /// Deepest nesting of arrays and objects; a JWT's claims rarely need more than 4.
    std::size_t max_depth = 16;
    /// Longest text parsed (1 MiB): JWK Sets, session attributes and store records are bounded too.
    std::size_t max_size = 1024 * 1024;
};

/** Detects a member name repeated within one object, at any depth.

    The names live in a buffer inside this object (on the parser's stack),
    so a typical header or claim set is checked without touching the heap,
    and a hash of each name makes the common case one integer compare per member.
*/
class member_names {
public:
    member_names() = default;
    member_names(const member_names&) = delete;
    member_names& operator=(const member_names&) = delete;

    void enter_object() { level_starts_.push_back(keys_.size()); }
    void leave_object()
    {
        if (!large_.empty()) [[unlikely]]
            leave_large();
        keys_.resize(level_starts_.back());
        level_starts_.pop_back();
    }
    void key_part(std::string_view s) { pending_.append(s.data(), s.size()); }

    /// The text about to be parsed: names found lying in it are not copied.
    void input(std::string_view text) noexcept { input_ = text; }

    /** Completes a name; false if the current object already has it (compared after unescaping).

        A name that lies in the input text (the usual case: no escapes) is
        remembered where it lies, since the text outlives the parse. A name
        the parser unescaped into its own buffer, which it reuses, is copied
        into the arena, where it never moves.
    */
    bool key(std::string_view s)
    {
        const std::string_view name = !pending_.empty() || !in_input(s) ? stable_copy(s) : s;
        const std::uint64_t hash = fnv1a(name);
        const std::size_t start = level_starts_.back();
        if (keys_.size() - start >= small_object) [[unlikely]] {
            if (!large_member(name))
                return false;
        } else {
            for (std::size_t i = start; i < keys_.size(); ++i) {
                const auto& k = keys_[i];
                if (k.hash == hash && k.name == name)
                    return false;
            }
        }
        keys_.push_back({hash, name});
        last_ = name;
        return true;
    }

    /// The name just completed by `key` (valid until the parse ends).
    [[nodiscard]] std::string_view last() const noexcept { return last_; }
    [[nodiscard]] std::size_t depth() const noexcept { return level_starts_.size(); }

private:
    /// Objects up to this many members are checked by a scan of their hashes, on the stack.
    static constexpr std::size_t small_object = 32;

    struct seen_key {
        std::uint64_t hash;
        std::string_view name;
    };
    // The rare paths stay out of line, so that `key` stays small enough to inline into the parser.

    /// Forgets the names of the large object being closed, if it is one.
    [[gnu::noinline]] void leave_large()
    {
        if (large_.back().depth == level_starts_.size())
            large_.pop_back();
    }

    /// A name the parser unescaped into its own buffer (or delivered in parts), copied into the arena.
    [[gnu::noinline]] std::string_view stable_copy(std::string_view s)
    {
        pending_.append(s.data(), s.size());
        auto* copy = static_cast<char*>(resource_.allocate(pending_.size(), 1));
        std::memcpy(copy, pending_.data(), pending_.size());
        const std::string_view name{copy, pending_.size()};
        pending_.clear();
        return name;
    }

    /** A member of an object past `small_object` members: one hash lookup, so n members cost O(n),
        not O(n²). The object's names are indexed the first time it gets here.
    */
    [[gnu::noinline]] bool large_member(std::string_view name)
    {
        if (large_.empty() || large_.back().depth != level_starts_.size()) {
            auto& index = large_.emplace_back(level_starts_.size()).names;
            index.reserve(4 * small_object);
            for (std::size_t i = level_starts_.back(); i < keys_.size(); ++i)
                index.insert(keys_[i].name);
        }
        return large_.back().names.insert(name).second;
    }

    [[nodiscard]] bool in_input(std::string_view s) const noexcept
    {
        const std::less_equal<const char*> le;
        return le(input_.data(), s.data()) && le(s.data() + s.size(), input_.data() + input_.size());
    }
    static std::uint64_t fnv1a(std::string_view s) noexcept
    {
        std::uint64_t h = 0xcbf29ce484222325ull;
        for (char c : s)
            h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
        return h;
    }

    // The bookkeeping lives in a buffer inside this object (on the parser's
    // stack): a typical header or claim set is checked without touching the heap.
    std::array<std::byte, 1024> buffer_;
    std::pmr::monotonic_buffer_resource resource_{buffer_.data(), buffer_.size()};
    std::pmr::string pending_{&resource_};
    std::pmr::vector<seen_key> keys_ = make_keys(resource_);
    std::pmr::vector<std::size_t> level_starts_{&resource_};
    // The open objects that grew past `small_object` members, innermost last, each with a hash
    // set of its names (a small object costs nothing here).
    struct large_object {
        explicit large_object(std::size_t d) : depth(d) {}
        std::size_t depth;
        std::unordered_set<std::string_view> names;
    };
    std::vector<large_object> large_;
    std::string_view last_;
    std::string_view input_;

    static std::pmr::vector<seen_key> make_keys(std::pmr::memory_resource& r)
    {
        std::pmr::vector<seen_key> k{&r};
        k.reserve(32);
        return k;
    }
};

/// Boost.JSON parse handler that builds a DOM and refuses repeated member names.
class strict_json_handler {
public:
    static constexpr std::size_t max_object_size = boost::json::object::max_size();
    static constexpr std::size_t max_array_size = boost::json::array::max_size();
    static constexpr std::size_t max_key_size = boost::json::string::max_size();
    static constexpr std::size_t max_string_size = boost::json::string::max_size();

    explicit strict_json_handler(boost::json::storage_ptr sp) : sp_(std::move(sp)) {}
    strict_json_handler(const strict_json_handler&) = delete;
    strict_json_handler& operator=(const strict_json_handler&) = delete;

    bool on_document_begin(boost::json::error_code&)
    {
        stack_.reset(sp_);
        return true;
    }
    bool on_document_end(boost::json::error_code&) { return true; }

    bool on_object_begin(boost::json::error_code&)
    {
        names_.enter_object();
        return true;
    }
    bool on_object_end(std::size_t n, boost::json::error_code&)
    {
        names_.leave_object();
        stack_.push_object(n);
        return true;
    }
    bool on_array_begin(boost::json::error_code&) { return true; }
    bool on_array_end(std::size_t n, boost::json::error_code&)
    {
        stack_.push_array(n);
        return true;
    }

    bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&)
    {
        names_.key_part(s);
        stack_.push_chars(s);
        return true;
    }
    bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code& ec)
    {
        if (!names_.key(s)) {
            ec = boost::json::error::syntax;
            return false;
        }
        stack_.push_key(s);
        return true;
    }

    bool on_string_part(boost::json::string_view s, std::size_t, boost::json::error_code&)
    {
        stack_.push_chars(s);
        return true;
    }
    bool on_string(boost::json::string_view s, std::size_t, boost::json::error_code&)
    {
        stack_.push_string(s);
        return true;
    }
    bool on_number_part(boost::json::string_view, boost::json::error_code&) { return true; }
    bool on_int64(std::int64_t i, boost::json::string_view, boost::json::error_code&)
    {
        stack_.push_int64(i);
        return true;
    }
    bool on_uint64(std::uint64_t u, boost::json::string_view, boost::json::error_code&)
    {
        stack_.push_uint64(u);
        return true;
    }
    bool on_double(double d, boost::json::string_view, boost::json::error_code& ec)
    {
        // Boost.JSON reads 1e400 as infinity, which no JSON can be written back as: refuse it here.
        if (!std::isfinite(d)) {
            ec = boost::json::error::syntax;
            return false;
        }
        stack_.push_double(d);
        return true;
    }
    bool on_bool(bool b, boost::json::error_code&)
    {
        stack_.push_bool(b);
        return true;
    }
    bool on_null(boost::json::error_code&)
    {
        stack_.push_null();
        return true;
    }
    // Comments are refused by the parse options; these are never called.
    bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

    boost::json::value release() { return stack_.release(); }
    void input(std::string_view text) noexcept { names_.input(text); }

private:
    member_names names_;
    boost::json::storage_ptr sp_;
    std::array<unsigned char, 1024> stack_buffer_;
    boost::json::value_stack stack_{{}, stack_buffer_.data(), stack_buffer_.size()};
};

/// True when no number in `v` is infinite or NaN (JSON has no way to write them back).
inline bool all_finite(const boost::json::value& v) noexcept
{
    switch (v.kind()) {
    case boost::json::kind::double_: return std::isfinite(v.get_double());
    case boost::json::kind::array:
        for (const auto& e : v.get_array())
            if (!all_finite(e))
                return false;
        return true;
    case boost::json::kind::object:
        for (const auto& m : v.get_object())
            if (!all_finite(m.value()))
                return false;
        return true;
    default: return true;
    }
}

inline bool all_finite(const boost::json::object& o) noexcept
{
    for (const auto& m : o)
        if (!all_finite(m.value()))
            return false;
    return true;
}

/// Whether `s` is well-formed UTF-8 as the parser requires: no overlong form, no surrogate, nothing past U+10FFFF.
inline bool valid_utf8(std::string_view s) noexcept
{
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p != end) {
        const unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        std::size_t n = 0;
        unsigned char lo = 0x80, hi = 0xbf; // the range of the second byte
        if (c >= 0xc2 && c <= 0xdf)
            n = 1;
        else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            if (c == 0xe0)
                lo = 0xa0; // overlong
            else if (c == 0xed)
                hi = 0x9f; // surrogates
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            if (c == 0xf0)
                lo = 0x90; // overlong
            else if (c == 0xf4)
                hi = 0x8f; // past U+10FFFF
        } else
            return false;
        if (static_cast<std::size_t>(end - p) <= n || p[1] < lo || p[1] > hi)
            return false;
        for (std::size_t i = 2; i <= n; ++i)
            if ((p[i] & 0xc0) != 0x80)
                return false;
        p += n + 1;
    }
    return true;
}

/** Whether `v`, written out by Boost.JSON, is read back by `parse_object` with `max_depth`.

    Boost.JSON writes what it holds: a non-finite number as a word no JSON
    parser reads, and strings byte for byte, invalid UTF-8 included. So what
    tessera writes (token payloads, records) is checked against the reader's
    rules first, and refused (`malformed`) where the reader would refuse it:
    every number finite, every string and member name valid UTF-8, arrays
    and objects nested at most `max_depth` deep (`v` itself counts as one).
*/
inline bool readable_back(const boost::json::value& v, std::size_t max_depth) noexcept
{
    switch (v.kind()) {
    case boost::json::kind::double_: return std::isfinite(v.get_double());
    case boost::json::kind::string: return valid_utf8(v.get_string());
    case boost::json::kind::array:
        if (max_depth == 0)
            return false;
        for (const auto& e : v.get_array())
            if (!readable_back(e, max_depth - 1))
                return false;
        return true;
    case boost::json::kind::object:
        if (max_depth == 0)
            return false;
        for (const auto& m : v.get_object())
            if (!valid_utf8(m.key()) || !readable_back(m.value(), max_depth - 1))
                return false;
        return true;
    default: return true;
    }
}

/// `readable_back` for an object that is itself the top level (depth 1).
inline bool readable_back(const boost::json::object& o, std::size_t max_depth = json_limits{}.max_depth) noexcept
{
    if (max_depth == 0)
        return false;
    for (const auto& m : o)
        if (!valid_utf8(m.key()) || !readable_back(m.value(), max_depth - 1))
            return false;
    return true;
}

/** Parses `text` as one JSON object, strictly.

    @return the object, allocated from `sp`, or `errc::malformed` for invalid
    JSON, invalid UTF-8, trailing data, a top level that is not an object,
    nesting deeper than the limit, or a repeated member name.
*/
inline result<boost::json::object> parse_object(std::string_view text, boost::json::storage_ptr sp = {},
                                                 const json_limits& limits = {})
{
    if (text.size() > limits.max_size)
        return fail(errc::malformed);
    // The first character decides cheaply whether this can be an object at all.
    if (text.empty() || text.front() != '{') {
        const auto first = text.find_first_not_of(" \t\r\n");
        if (first == std::string_view::npos || text[first] != '{')
            return fail(errc::malformed);
    }
    boost::json::parse_options options;
    options.max_depth = limits.max_depth;
    boost::json::basic_parser<strict_json_handler> parser{options, sp};
    parser.handler().input(text);
    boost::json::error_code ec;
    const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
    if (ec || used != text.size() || !parser.done())
        return fail(errc::malformed);
    boost::json::value v = parser.handler().release();
    if (!v.is_object())
        return fail(errc::malformed);
    return std::move(v.get_object());
}

} // namespace tessera::inline v0::detail
