// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    ASCII case folding, the one copy: what HTTP (scheme names, cookie
    prefixes) and JOSE (`typ`, `cty` media types) compare without case.
    Letters only are folded; no other byte ever equals a letter (`c | 0x20`
    would take '@' for '`' and '[' for '{').
*/

#include <cstddef>
#include <string_view>

namespace tessera::inline v0::detail {

constexpr char ascii_lower(char c) noexcept
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool equal_ignoring_ascii_case(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

constexpr bool starts_with_ignoring_ascii_case(std::string_view text, std::string_view prefix) noexcept
{
    return text.size() >= prefix.size() && equal_ignoring_ascii_case(text.substr(0, prefix.size()), prefix);
}

static_assert(equal_ignoring_ascii_case("Bearer", "bEARER") && !equal_ignoring_ascii_case("@", "`") &&
              !equal_ignoring_ascii_case("[", "{") && starts_with_ignoring_ascii_case("__HOST-id", "__Host-"));

/// `s` without the spaces and tabs around it (HTTP's optional white space, RFC 9110 §5.6.3).
constexpr std::string_view trim_ows(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

} // namespace tessera::inline v0::detail
