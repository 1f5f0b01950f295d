// SPDX-License-Identifier: BSL-1.0
#pragma once
// What tessera-jwt prints: NumericDates as ISO-8601 (both ways) and as a
// time relative to now, indented JSON, and colour for terminals.

#include <tessera/jwt/claims.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace tessera_jwt {

/// A NumericDate as `YYYY-MM-DDTHH:MM:SSZ`, for 0 <= epoch <= jwt::max_numeric_date.
inline std::string iso8601(std::int64_t epoch)
{
    const auto t = tessera::time_point{std::chrono::seconds{epoch}};
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{t - day};
    char out[32];
    std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return out;
}

namespace detail {

/// Reads exactly `digits` decimal digits from the front of `s`.
inline std::optional<int> take_digits(std::string_view& s, std::size_t digits)
{
    if (s.size() < digits)
        return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        if (s[i] < '0' || s[i] > '9')
            return std::nullopt;
        value = value * 10 + (s[i] - '0');
    }
    s.remove_prefix(digits);
    return value;
}

inline bool take(std::string_view& s, char c)
{
    if (s.empty() || s.front() != c)
        return false;
    s.remove_prefix(1);
    return true;
}

} // namespace detail

/** Parses an ISO-8601 / RFC 3339 UTC time into a NumericDate.

    Accepted: `YYYY-MM-DD` (midnight UTC), and `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]]`
    followed by `Z` or an offset `+HH:MM`, `-HH:MM`, `+HHMM`. A time of day
    without a zone is refused: it would silently mean the machine's zone.
    Impossible dates (February 30th, 2023-02-29) and leap seconds are refused;
    so is anything before 1970 or after 9999 (not a NumericDate). A fraction
    is dropped, as NumericDates are read to the second.
*/
inline std::optional<std::int64_t> parse_iso8601(std::string_view s)
{
    using namespace std::chrono;
    const auto y = detail::take_digits(s, 4);
    if (!y || !detail::take(s, '-'))
        return std::nullopt;
    const auto m = detail::take_digits(s, 2);
    if (!m || !detail::take(s, '-'))
        return std::nullopt;
    const auto d = detail::take_digits(s, 2);
    if (!d)
        return std::nullopt;
    const year_month_day date{year{*y}, month{static_cast<unsigned>(*m)}, day{static_cast<unsigned>(*d)}};
    if (!date.ok())
        return std::nullopt;
    std::int64_t seconds = 0;
    if (!s.empty()) {
        if (!detail::take(s, 'T') && !detail::take(s, 't') && !detail::take(s, ' '))
            return std::nullopt;
        const auto hh = detail::take_digits(s, 2);
        if (!hh || !detail::take(s, ':'))
            return std::nullopt;
        const auto mm = detail::take_digits(s, 2);
        if (!mm)
            return std::nullopt;
        int ss = 0;
        if (detail::take(s, ':')) {
            const auto v = detail::take_digits(s, 2);
            if (!v)
                return std::nullopt;
            ss = *v;
            if (detail::take(s, '.') || detail::take(s, ',')) {
                if (s.empty() || s.front() < '0' || s.front() > '9')
                    return std::nullopt;
                while (!s.empty() && s.front() >= '0' && s.front() <= '9')
                    s.remove_prefix(1);
            }
        }
        if (*hh > 23 || *mm > 59 || ss > 59)
            return std::nullopt;
        seconds = *hh * 3600 + *mm * 60 + ss;
        if (detail::take(s, 'Z') || detail::take(s, 'z')) {
            // UTC
        } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
            const int sign = s.front() == '+' ? 1 : -1;
            s.remove_prefix(1);
            const auto oh = detail::take_digits(s, 2);
            detail::take(s, ':');
            const auto om = detail::take_digits(s, 2);
            if (!oh || !om || *oh > 23 || *om > 59)
                return std::nullopt;
            seconds -= sign * (*oh * 3600 + *om * 60);
        } else {
            return std::nullopt;
        }
        if (!s.empty())
            return std::nullopt;
    }
    const std::int64_t epoch = sys_days{date}.time_since_epoch().count() * 86400 + seconds;
    if (epoch < 0 || epoch > tessera::jwt::max_numeric_date)
        return std::nullopt;
    return epoch;
}

/// A duration as people read it: "42s", "14m 03s", "2h 05m", "2h", "3d 4h".
inline std::string duration_text(std::int64_t seconds)
{
    const auto d = seconds < 0 ? -seconds : seconds;
    char out[48];
    if (d >= 86400)
        std::snprintf(out, sizeof out, d % 86400 / 3600 ? "%lldd %lldh" : "%lldd", static_cast<long long>(d / 86400),
                      static_cast<long long>(d % 86400 / 3600));
    else if (d >= 3600)
        std::snprintf(out, sizeof out, d % 3600 / 60 ? "%lldh %02lldm" : "%lldh", static_cast<long long>(d / 3600),
                      static_cast<long long>(d % 3600 / 60));
    else if (d >= 60)
        std::snprintf(out, sizeof out, "%lldm %02llds", static_cast<long long>(d / 60),
                      static_cast<long long>(d % 60));
    else
        std::snprintf(out, sizeof out, "%llds", static_cast<long long>(d));
    return out;
}

/// "in 14m 03s", "2h ago" or "now".
inline std::string relative(std::int64_t epoch, std::int64_t now)
{
    if (epoch == now)
        return "now";
    return epoch > now ? "in " + duration_text(epoch - now) : duration_text(now - epoch) + " ago";
}

/// What a registered time claim means at `now`, in words.
inline std::string time_claim_meaning(std::string_view name, std::int64_t epoch, std::int64_t now)
{
    const std::string span = duration_text(epoch - now);
    if (name == "exp")
        return epoch > now ? "expires in " + span : "expired " + span + " ago";
    if (name == "nbf")
        return epoch > now ? "not valid for another " + span : "valid since " + span + " ago";
    return epoch > now ? "issued in the future, in " + span : "issued " + span + " ago";
}

/** Terminal colour, used only when stdout is a terminal and NO_COLOR is not
    set (https://no-color.org; any value, even empty, turns colour off). */
class style {
public:
    explicit style(bool colour) : colour_(colour) {}

    [[nodiscard]] std::string bold(std::string_view s) const { return wrap("1", s); }
    [[nodiscard]] std::string key(std::string_view s) const { return wrap("36", s); }
    [[nodiscard]] std::string good(std::string_view s) const { return wrap("1;32", s); }
    [[nodiscard]] std::string warn(std::string_view s) const { return wrap("1;33", s); }
    [[nodiscard]] std::string bad(std::string_view s) const { return wrap("1;31", s); }

private:
    [[nodiscard]] std::string wrap(std::string_view code, std::string_view s) const
    {
        if (!colour_)
            return std::string{s};
        return "\033[" + std::string{code} + "m" + std::string{s} + "\033[0m";
    }
    bool colour_;
};

/// JSON indented by two spaces per level, member names coloured as keys.
inline void pretty(std::string& out, const boost::json::value& v, const style& st, int indent = 0)
{
    const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
    if (const auto* o = v.if_object(); o && !o->empty()) {
        out += "{\n";
        std::size_t i = 0;
        for (const auto& member : *o) {
            out += pad + "  " + st.key(boost::json::serialize(boost::json::string{member.key()})) + ": ";
            pretty(out, member.value(), st, indent + 1);
            out += ++i < o->size() ? ",\n" : "\n";
        }
        out += pad + "}";
    } else if (const auto* a = v.if_array(); a && !a->empty()) {
        out += "[\n";
        for (std::size_t i = 0; i < a->size(); ++i) {
            out += pad + "  ";
            pretty(out, (*a)[i], st, indent + 1);
            out += i + 1 < a->size() ? ",\n" : "\n";
        }
        out += pad + "]";
    } else {
        out += boost::json::serialize(v);
    }
}

inline std::string pretty(const boost::json::value& v, const style& st)
{
    std::string out;
    pretty(out, v, st);
    return out;
}

/// Bytes as printable ASCII, anything else as `\xNN`, at most `limit` bytes shown.
inline std::string printable(std::string_view bytes, std::size_t limit = 200)
{
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        }
    }
    if (bytes.size() > limit)
        out += "...";
    return out;
}

} // namespace tessera_jwt
