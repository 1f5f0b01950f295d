// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The key schema: every kind of record tessera keeps in a store, and the
    one place that names it.

    Several schemes and policies may share one store (sessions for the web,
    a deny list for the API, refresh families for the mobile app, login
    throttling for all of them). They never touch each other's records
    because each kind has its own namespace here, and the subject index is
    scoped the same way: a record is listed under `index(kind, owner)`, not
    under the bare subject, so listing or erasing one kind of record (say,
    "log out every session of alice") cannot reach another kind (alice's
    deny-list entries or refresh families).

    | kind | key | listed under | value |
    |---|---|---|---|
    | `session` | `ses:` + base64url(SHA-256(id)) | `ses:` + subject | session record |
    | `refresh_token` | `rtk:` + base64url(SHA-256(token)) | `rtk:` + family | family and generation |
    | `refresh_used` | `rtu:` + base64url(SHA-256(token)) | `rtk:` + family | when it was used, sealed successor |
    | `family` | `fam:` + random id | `fam:` + subject | subject, claims, device, lifetimes |
    | `family_ended` | `fen:` + family id | `rtk:` + family | empty: the family was ended for reuse |
    | `deny` | `deny:` + iss + US + jti | not listed | empty |
    | `token_version` | `ver:` + subject | not listed | the subject's current version (random) |
    | `throttle_failures` | `thf:` + 's' or 'c' + name | not listed | a counter |
    | `throttle_lock` | `thl:` + 's' or 'c' + name | not listed | empty |
    | `extension` | `ext:` + namespace + US + id | as the policy chooses | as the policy chooses |
    | `key_ring` | `ring:` + name (+ US + version) | not listed | the latest version; a sealed ring document |

    Prefixes are distinct and none is a prefix of another, so `(kind, id)`
    and `(kind, owner)` are recovered from the string alone: no two kinds
    can meet in one key or one index entry, whatever a subject contains.
    Stores see only these strings; the schema is the whole contract.
*/

#include <tessera/core/error.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::inline v0::keys {

/// Every kind of record tessera writes.
enum class kind {
    session,
    refresh_token,
    refresh_used,
    family,
    family_ended,
    deny,
    token_version,
    throttle_failures,
    throttle_lock,
    extension,
    key_ring,
};

/// The namespace of `k`'s keys.
constexpr std::string_view prefix(kind k) noexcept
{
    switch (k) {
    case kind::session: return "ses:";
    case kind::refresh_token: return "rtk:";
    case kind::refresh_used: return "rtu:";
    case kind::family: return "fam:";
    case kind::family_ended: return "fen:";
    case kind::deny: return "deny:";
    case kind::token_version: return "ver:";
    case kind::throttle_failures: return "thf:";
    case kind::throttle_lock: return "thl:";
    case kind::extension: return "ext:";
    case kind::key_ring: return "ring:";
    }
    return "?:";
}

/// Every kind, in the order of the enumeration.
inline constexpr kind all_kinds[] = {kind::session,       kind::refresh_token,     kind::refresh_used,
                                     kind::family,        kind::family_ended,      kind::deny,
                                     kind::token_version, kind::throttle_failures, kind::throttle_lock,
                                     kind::extension,     kind::key_ring};

/// The kind of `key` (or of an index entry), if it is one of tessera's: the prefixes decide it alone.
constexpr std::optional<kind> kind_of(std::string_view key) noexcept
{
    for (kind k : all_kinds)
        if (key.starts_with(prefix(k)))
            return k;
    return std::nullopt;
}

/// What `key` names under kind `k` (an id, a hash, an owner), if `key` is of that kind.
constexpr std::optional<std::string_view> id_of(kind k, std::string_view key) noexcept
{
    if (!key.starts_with(prefix(k)))
        return std::nullopt;
    return key.substr(prefix(k).size());
}

/// `id_of` for a key the caller made itself (so known to be of kind `k`), reusing its buffer.
inline std::string take_id(kind k, std::string&& key)
{
    if (key.starts_with(prefix(k)))
        key.erase(0, prefix(k).size());
    else
        key.clear();
    return std::move(key);
}

/// The key of the record of kind `k` named `id`.
inline std::string key(kind k, std::string_view id)
{
    const auto p = prefix(k);
    std::string out;
    out.reserve(p.size() + id.size());
    out += p;
    out += id;
    return out;
}

/** A key built on the stack where it fits: what a check reads once and drops (a deny-list
    entry, a token version) costs no allocation. Longer keys move to the heap, whole.
*/
class key_text {
public:
    /// Longest key kept without the heap.
    static constexpr std::size_t inline_capacity = 112;

    key_text() noexcept = default;
    /// `prefix(k)` + `id`, as `key(k, id)`.
    key_text(kind k, std::string_view id) { append(prefix(k)).append(id); }

    key_text& append(std::string_view s)
    {
        const auto size = size_ + s.size();
        if (size <= inline_capacity) {
            s.copy(local_.data() + size_, s.size());
        } else {
            if (size_ <= inline_capacity)
                heap_.assign(local_.data(), size_);
            heap_.append(s);
        }
        size_ = size;
        return *this;
    }
    key_text& append(char c) { return append(std::string_view{&c, 1}); }

    [[nodiscard]] std::string_view view() const noexcept
    {
        return size_ <= inline_capacity ? std::string_view{local_.data(), size_} : std::string_view{heap_};
    }
    operator std::string_view() const noexcept { return view(); }
    [[nodiscard]] std::string str() const { return std::string{view()}; }

    friend bool operator==(const key_text& a, std::string_view b) noexcept { return a.view() == b; }

private:
    std::array<char, inline_capacity> local_;
    std::size_t size_ = 0;
    std::string heap_;
};

/** The subject-index entry under which records of kind `k` owned by `owner`
    are listed: sessions by subject, families by subject, refresh tokens by
    family. `list_subject`/`erase_subject` on it reach exactly those records.
*/
inline std::string index(kind k, std::string_view owner)
{
    return key(k, owner);
}

/** A key of a user-written policy's own: `ext:` + `space` + US + `id`.

    `space` names the policy (letters, digits, `_`, `-`, `.`); it keeps two
    user policies, and every built-in kind, apart.
    @throws tessera::error `invalid_configuration` for an empty or ill-formed `space`
    (a programming error, found the first time the policy runs in a test).
*/
inline std::string extension(std::string_view space, std::string_view id)
{
    if (space.empty())
        throw error{errc::invalid_configuration, "tessera::keys::extension: empty namespace"};
    for (char c : space) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '-' || c == '.';
        if (!ok)
            throw error{errc::invalid_configuration, "tessera::keys::extension: a namespace is letters, digits, '_', '-', '.'"};
    }
    std::string out = key(kind::extension, space);
    out += '\x1f';
    out += id;
    return out;
}

} // namespace tessera::inline v0::keys
