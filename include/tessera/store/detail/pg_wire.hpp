// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    libpq for `postgres_store`: owning handles, the binary wire format of its parameters and results
    (8-byte integers, byte strings, arrays), waiting on the socket, and the record decoders. Every
    result is input: a row tessera did not write is refused.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/result.hpp>
#include <tessera/detail/c_handle.hpp>
#include <tessera/store/concepts.hpp>

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::inline v0::detail {

using pg_connection = c_handle<PGconn, &PQfinish>;

using pg_result = c_handle<PGresult, &PQclear>;

/// A parameter or column in PostgreSQL's binary format: bytea is its bytes, bigint 8 bytes big-endian.
class pg_int8 {
public:
    explicit pg_int8(std::int64_t v) noexcept
    {
        auto u = static_cast<std::uint64_t>(v);
        for (int i = 7; i >= 0; --i) {
            bytes_[static_cast<std::size_t>(i)] = static_cast<char>(u & 0xffu);
            u >>= 8;
        }
    }
    [[nodiscard]] std::string_view view() const noexcept { return {bytes_.data(), bytes_.size()}; }

private:
    std::array<char, 8> bytes_{};
};

inline std::optional<std::int64_t> pg_read_int8(const PGresult* r, int row, int col) noexcept
{
    if (PQgetisnull(r, row, col) != 0 || PQgetlength(r, row, col) != 8)
        return std::nullopt;
    const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r, row, col));
    std::uint64_t u = 0;
    for (int i = 0; i < 8; ++i)
        u = (u << 8) | p[i];
    return static_cast<std::int64_t>(u);
}

inline std::string pg_read_bytes(const PGresult* r, int row, int col)
{
    return {PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col))};
}

/// A one-dimensional array in binary format (bytea[] or bigint[]), for `unnest` and `= ANY`.
class pg_array {
public:
    explicit pg_array(Oid element) : element_(element) {}

    void add(std::string_view item) { items_.emplace_back(item); }
    void add(std::int64_t n) { items_.emplace_back(pg_int8{n}.view()); }

    [[nodiscard]] std::string encode() const
    {
        std::string out;
        auto int4 = [&](std::uint32_t v) {
            for (int shift = 24; shift >= 0; shift -= 8)
                out += static_cast<char>((v >> shift) & 0xffu);
        };
        int4(1); // dimensions
        int4(0); // no nulls
        int4(element_);
        int4(static_cast<std::uint32_t>(items_.size()));
        int4(1); // lower bound
        for (const auto& item : items_) {
            int4(static_cast<std::uint32_t>(item.size()));
            out += item;
        }
        return out;
    }

private:
    Oid element_;
    std::vector<std::string> items_;
};

/// Waits until `fd` is ready for `events` or `deadline` passes; false on timeout or error.
inline bool pg_wait(int fd, short events, std::chrono::steady_clock::time_point deadline) noexcept
{
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0)
            return false;
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 60'000)));
        if (n > 0)
            return true;
        if (n == 0)
            return false;
        if (errno != EINTR)
            return false;
    }
}

/// The record in columns `first`.. (value, subject, expires_at) of `row`; expired: none. A null value or
/// subject (the columns are NOT NULL: not a row tessera wrote) is refused, never read as empty.
inline result<std::optional<record>> pg_row_record(const PGresult* r, int row, int first, time_point now)
{
    const auto e = detail::pg_read_int8(r, row, first + 2);
    if (!e || *e < 0 || *e > max_time_seconds || PQgetisnull(r, row, first) != 0 || PQgetisnull(r, row, first + 1) != 0)
        return fail(store_failure::corrupt_reply);
    const time_point expires{std::chrono::seconds{*e}};
    if (expires <= now)
        return std::optional<record>{};
    return std::optional<record>{
        record{detail::pg_read_bytes(r, row, first), detail::pg_read_bytes(r, row, first + 1), expires}};
}

/// The one row of a single-key read: nulls for none; no row at all is another store's schema, refused.
inline result<std::optional<record>> pg_one_record(const PGresult* r, time_point now)
{
    if (PQnfields(r) != 3 || PQntuples(r) > 1)
        return fail(store_failure::corrupt_reply);
    if (PQntuples(r) == 0) // the statement joins this store's id: another store's schema is there
        return fail(store_failure::lost_state);
    if (PQgetisnull(r, 0, 0) != 0 && PQgetisnull(r, 0, 1) != 0 && PQgetisnull(r, 0, 2) != 0)
        return std::optional<record>{};
    return pg_row_record(r, 0, 0, now);
}

} // namespace tessera::inline v0::detail
