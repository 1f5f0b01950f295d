// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The SQLite store's prepared statements: one owner per statement, bound
    by position from text and integers, and the column readers the store's
    operations use.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/error.hpp>

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace tessera::inline v0::detail {

/// A prepared statement, reset and cleared when the use ends.
class sqlite_statement {
public:
    sqlite_statement() = default;
    sqlite_statement(sqlite3* db, const char* sql)
    {
        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK)
            throw error{errc::store_unavailable, std::string{"sqlite: "} + sqlite3_errmsg(db)};
    }
    sqlite_statement(sqlite_statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
    sqlite_statement& operator=(sqlite_statement&& other) noexcept
    {
        std::swap(stmt_, other.stmt_);
        return *this;
    }
    ~sqlite_statement() { sqlite3_finalize(stmt_); }

    /// Binds the arguments (text, 64-bit integers) in order, ready to step.
    template <class... Args>
    sqlite3_stmt* bind(const Args&... args)
    {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        int i = 0;
        (bind_one(++i, args), ...);
        return stmt_;
    }

private:
    void bind_one(int i, std::string_view text)
    {
        // A default string_view has no data pointer, which SQLite would bind as NULL.
        sqlite3_bind_text64(stmt_, i, text.data() != nullptr ? text.data() : "", text.size(), SQLITE_STATIC,
                            SQLITE_UTF8);
    }
    void bind_one(int i, std::int64_t n) { sqlite3_bind_int64(stmt_, i, n); }

    sqlite3_stmt* stmt_ = nullptr;
};

inline std::string column_text(sqlite3_stmt* s, int i)
{
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s, i));
    return p == nullptr ? std::string{} : std::string{p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))};
}

inline std::int64_t seconds(time_point t) noexcept
{
    return t.time_since_epoch().count();
}

} // namespace tessera::inline v0::detail
