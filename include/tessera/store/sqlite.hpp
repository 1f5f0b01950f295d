// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `sqlite_store`: an embedded store in one SQLite file that survives restarts.

    Optional: link `tessera::sqlite` (SQLite 3.35 or later, for RETURNING).
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/random.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/detail/sqlite_statement.hpp>

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace tessera::inline v0 {

/// How a `sqlite_store` opens its file.
struct sqlite_store_options {
    /// How long a write waits for another process's lock before failing with `store_unavailable`.
    std::chrono::milliseconds busy_timeout{5000};
    /** `synchronous=FULL` (the default) makes every committed write, a
        revocation included, survive power loss; `false` uses NORMAL, which
        survives a crash of the process but may lose the last writes on power
        loss, bringing back a revoked session.
    */
    bool full_sync = true;
};

/** Records and counters in one SQLite file (WAL mode), kept across restarts.

    The schema is created on first open and versioned with `PRAGMA
    user_version`; a file written by a newer tessera is refused rather than
    misread. Every statement is prepared once. `take` is one
    `DELETE ... RETURNING`, so exactly one caller gets a record however many
    threads or processes race for it.

    @par Thread Safety
    Every member function may be called from many threads at once; they
    share one connection under a mutex, so writes are serialised (SQLite
    serialises writers anyway). Other processes may open the same file.
    @par Failure and recovery
    Any SQLite error, and a database file that has been deleted or renamed
    while open, is `store_unavailable`: nothing is silently written to a
    file that no longer exists. The next operation reopens the file, so a
    fault that goes away (the file restored from a backup or renamed back,
    disk space freed, another process's lock released) is recovered from by
    the same store object. A reopened file must be the same database: each
    file carries a random store id written when its schema was created, and
    a different or missing id (an empty file created in its place) is never
    used, since its emptiness would read as "nothing revoked".

    @par What a restart or a restore loses
    Nothing committed: with `full_sync` every write is durable once it
    returns. A file restored from an older backup loses what was written
    since; see the README's table of what each store loses.
*/
template <clock Clock = system_clock>
class basic_sqlite_store {
public:
    /// Current schema version written to `PRAGMA user_version` (1: records and counters; 2: the store id).
    static constexpr int schema_version = 2;

    /** Opens (creating if needed) the database at `path`.
        @throws tessera::error `store_unavailable` if it cannot be opened or has a newer schema.
    */
    explicit basic_sqlite_store(std::string path, sqlite_store_options options = {}, Clock clock = {})
        : clock_(std::move(clock)), path_(std::move(path)), options_(options)
    {
        db_ = open(path_, true);
        try {
            migrate();
            store_id_ = read_store_id(db_);
            prepare(db_, statements_);
        } catch (...) {
            statements_ = {};
            sqlite3_close_v2(db_);
            throw;
        }
    }

    basic_sqlite_store(const basic_sqlite_store&) = delete;
    basic_sqlite_store& operator=(const basic_sqlite_store&) = delete;

    ~basic_sqlite_store()
    {
        statements_ = {};
        sqlite3_close_v2(db_);
    }

    result<void> put(std::string_view key, std::string_view value, time_point expires_at, std::string_view subject = {})
    {
        const auto now = clock_.now();
        std::lock_guard lock{mutex_};
        if (!usable())
            return failed(store_failure::lost_state);
        if (expires_at <= now)
            return done(statements_.erase.bind(key));
        return done(statements_.put.bind(key, value, subject, detail::seconds(expires_at)));
    }

    /// Writes only where no live record is; true for exactly one of many racing callers (or processes).
    result<bool> insert(std::string_view key, std::string_view value, time_point expires_at,
                        std::string_view subject = {})
    {
        const auto now = clock_.now();
        std::lock_guard lock{mutex_};
        if (!usable())
            return failed(store_failure::lost_state);
        auto* s = statements_.insert.bind(key, value, subject, detail::seconds(detail::decision_expiry(expires_at, now)),
                                          detail::seconds(now));
        if (auto r = done(s); !r)
            return fail(r.error());
        return sqlite3_changes(db_) == 1;
    }

    result<bool> replace(std::string_view key, std::string_view value, time_point expires_at)
    {
        const auto now = clock_.now();
        std::lock_guard lock{mutex_};
        if (!usable())
            return failed(store_failure::lost_state);
        if (expires_at <= now) {
            if (auto r = done(statements_.erase.bind(key)); !r)
                return fail(r.error());
            return false;
        }
        if (auto r = done(statements_.replace.bind(value, detail::seconds(expires_at), key, detail::seconds(now))); !r)
            return fail(r.error());
        return sqlite3_changes(db_) == 1;
    }

    result<std::optional<record>> get(std::string_view key)
    {
        const auto now = clock_.now();
        std::lock_guard lock{mutex_};
        if (!usable())
            return failed(store_failure::lost_state);
        return one_record(statements_.get.bind(key, detail::seconds(now)), now);
    }

    result<bool> erase(std::string_view key)
    {
        const auto now = clock_.now();
        std::lock_guard lock{mutex_};
        if (!usable())
            return failed(store_failure::lost_state);
        auto removed = one_record(statements_.take.bind(key), now);
        if (!removed)
            return fail(removed.error());
        return removed->has_value();
    }

    result<std::optional<record>> take(std::string_view key)
    {
        const auto now = clock_.now();
        std::lock_guard lock{mutex_};
        if (!usable())
            return failed(store_failure::lost_state);
        return one_record(statements_.take.bind(key), now);
    }

    result<std::vector<keyed_record>> list_subject(std::string_view subject)
    {
        const auto now = clock_.now();
        std::lock_guard lock{mutex_};
        if (!usable())
            return failed(store_failure::lost_state);
        std::vector<keyed_record> out;
        if (subject.empty())
            return out;
        auto* s = statements_.list.bind(subject, detail::seconds(now));
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
            out.push_back({detail::column_text(s, 0),
                           record{detail::column_text(s, 1), std::string{subject},
                                  time_point{std::chrono::seconds{sqlite3_column_int64(s, 2)}}}});
        sqlite3_reset(s);
        if (rc != SQLITE_DONE)
            return failed(rc);
        return out;
    }

    result<std::size_t> erase_subject(std::string_view subject)
    {
        const auto now = clock_.now();
        std::lock_guard lock{mutex_};
        if (!usable())
            return failed(store_failure::lost_state);
        if (subject.empty())
            return std::size_t{0};
        auto* s = statements_.erase_subject.bind(subject);
        std::size_t live = 0;
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
            if (sqlite3_column_int64(s, 0) > detail::seconds(now))
                ++live;
        sqlite3_reset(s);
        if (rc != SQLITE_DONE)
            return failed(rc);
        return live;
    }

    result<std::int64_t> increment(std::string_view key, std::int64_t delta, time_point expires_at)
    {
        const auto now = clock_.now();
        std::lock_guard lock{mutex_};
        if (!usable())
            return failed(store_failure::lost_state);
        auto* s = statements_.increment.bind(key, delta, detail::seconds(detail::decision_expiry(expires_at, now)),
                                             detail::seconds(now));
        return one_integer(s, true);
    }

    result<std::int64_t> counter(std::string_view key)
    {
        const auto now = clock_.now();
        std::lock_guard lock{mutex_};
        if (!usable())
            return failed(store_failure::lost_state);
        return one_integer(statements_.counter.bind(key, detail::seconds(now)), false);
    }

    result<std::size_t> purge_expired(std::size_t budget = 1024)
    {
        const auto now = clock_.now();
        std::lock_guard lock{mutex_};
        if (!usable())
            return failed(store_failure::lost_state);
        const auto limit = static_cast<std::int64_t>(budget);
        if (auto r = done(statements_.purge.bind(detail::seconds(now), limit)); !r)
            return r.error();
        const auto purged = static_cast<std::size_t>(sqlite3_changes(db_));
        if (auto r = done(statements_.purge_counters.bind(detail::seconds(now), limit)); !r)
            return r.error();
        return purged;
    }

    [[nodiscard]] const Clock& clock() const noexcept { return clock_; }

private:
    struct statements {
        detail::sqlite_statement put, insert, replace, get, erase, take, list, erase_subject, increment, counter, purge,
            purge_counters;
    };

    static void exec(sqlite3* db, const char* sql)
    {
        char* message = nullptr;
        if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
            std::string text = message != nullptr ? message : "unknown error";
            sqlite3_free(message);
            throw error{errc::store_unavailable, "sqlite: " + text};
        }
    }

    /// A connection to `path` with tessera's settings; creates the file only when `create`.
    sqlite3* open(const std::string& path, bool create) const
    {
        sqlite3* db = nullptr;
        const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
        const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
        if (rc != SQLITE_OK) {
            const std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
            sqlite3_close_v2(db);
            throw error{errc::store_unavailable, "sqlite: cannot open " + path + ": " + message};
        }
        try {
            sqlite3_busy_timeout(db, static_cast<int>(options_.busy_timeout.count()));
            exec(db, "PRAGMA journal_mode=WAL");
            exec(db, options_.full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
        } catch (...) {
            sqlite3_close_v2(db);
            throw;
        }
        return db;
    }

    static int user_version(sqlite3* db)
    {
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr);
        const int version = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
        sqlite3_finalize(s);
        return version;
    }

    void migrate()
    {
        const int version = user_version(db_);
        if (version < 0 || version > schema_version)
            throw error{errc::store_unavailable, "sqlite: schema version " + std::to_string(version) +
                                                     " is not one this tessera understands"};
        if (version == schema_version)
            return;
        // Version 2 adds the store's identity: a random id written with the schema, checked on every reopen.
        const std::string id = random_id(16);
        const std::string sql =
            "BEGIN IMMEDIATE;"
            "CREATE TABLE IF NOT EXISTS tessera_records("
            "  key TEXT PRIMARY KEY, value BLOB NOT NULL, subject TEXT NOT NULL, expires_at INTEGER NOT NULL"
            ") WITHOUT ROWID;"
            "CREATE INDEX IF NOT EXISTS tessera_records_subject ON tessera_records(subject) WHERE subject <> '';"
            "CREATE INDEX IF NOT EXISTS tessera_records_expiry ON tessera_records(expires_at);"
            "CREATE TABLE IF NOT EXISTS tessera_counters("
            "  key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at INTEGER NOT NULL"
            ") WITHOUT ROWID;"
            "CREATE TABLE IF NOT EXISTS tessera_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
            "INSERT OR IGNORE INTO tessera_meta(key, value) VALUES('store_id', '" + id + "');"
            "PRAGMA user_version = 2;"
            "COMMIT;";
        try {
            exec(db_, sql.c_str());
        } catch (...) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
    }

    static std::string read_store_id(sqlite3* db)
    {
        sqlite3_stmt* s = nullptr;
        std::string id;
        if (sqlite3_prepare_v2(db, "SELECT value FROM tessera_meta WHERE key = 'store_id'", -1, &s, nullptr) ==
                SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW)
            id = detail::column_text(s, 0);
        sqlite3_finalize(s);
        if (id.empty())
            throw error{errc::store_unavailable, "sqlite: the database has no store id"};
        return id;
    }

    static void prepare(sqlite3* db, statements& st)
    {
        st.put = {db, "INSERT INTO tessera_records(key, value, subject, expires_at) VALUES(?1, ?2, ?3, ?4) "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value, subject = excluded.subject, "
                      "expires_at = excluded.expires_at"};
        // Over an expired record only: a live one is left as it is (no change counted).
        st.insert = {db, "INSERT INTO tessera_records(key, value, subject, expires_at) VALUES(?1, ?2, ?3, ?4) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value, subject = excluded.subject, "
                         "expires_at = excluded.expires_at WHERE tessera_records.expires_at <= ?5"};
        st.replace = {db, "UPDATE tessera_records SET value = ?1, expires_at = ?2 WHERE key = ?3 AND expires_at > ?4"};
        st.get = {db, "SELECT value, subject, expires_at FROM tessera_records WHERE key = ?1 AND expires_at > ?2"};
        st.erase = {db, "DELETE FROM tessera_records WHERE key = ?1"};
        st.take = {db, "DELETE FROM tessera_records WHERE key = ?1 RETURNING value, subject, expires_at"};
        st.list = {db, "SELECT key, value, expires_at FROM tessera_records "
                       "WHERE subject = ?1 AND subject <> '' AND expires_at > ?2"};
        st.erase_subject = {db, "DELETE FROM tessera_records WHERE subject = ?1 AND subject <> '' "
                                "RETURNING expires_at"};
        st.increment = {db, "INSERT INTO tessera_counters(key, value, expires_at) VALUES(?1, ?2, ?3) "
                            "ON CONFLICT(key) DO UPDATE SET "
                            "value = CASE WHEN expires_at > ?4 THEN value + ?2 ELSE ?2 END, "
                            "expires_at = CASE WHEN expires_at > ?4 THEN max(expires_at, ?3) ELSE ?3 END "
                            "RETURNING value"};
        st.counter = {db, "SELECT value FROM tessera_counters WHERE key = ?1 AND expires_at > ?2"};
        st.purge = {db, "DELETE FROM tessera_records WHERE key IN "
                        "(SELECT key FROM tessera_records WHERE expires_at <= ?1 LIMIT ?2)"};
        st.purge_counters = {db, "DELETE FROM tessera_counters WHERE key IN "
                                 "(SELECT key FROM tessera_counters WHERE expires_at <= ?1 LIMIT ?2)"};
    }

    /** True when the connection can be used: it is healthy, or a fresh one to the *same* database was
        opened in its place. A fault that went away (the file restored, space freed, a lock released,
        write permission back) is recovered from here, by this object. A file that is missing, or is
        another database (an empty one created in its place, whose emptiness would read as "nothing
        revoked"), is never used: `store_unavailable` until the right file is back.
    */
    bool usable() noexcept
    {
        int moved = 0;
        if (!broken_ && sqlite3_file_control(db_, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved == 0)
            return true;
        broken_ = true;
        try {
            sqlite3* db = open(path_, false);
            statements fresh;
            try {
                if (user_version(db) != schema_version || read_store_id(db) != store_id_ ||
                    sqlite3_db_readonly(db, "main") != 0)
                    throw error{errc::store_unavailable, "sqlite: not this store's database"};
                prepare(db, fresh);
            } catch (...) {
                fresh = {};
                sqlite3_close_v2(db);
                throw;
            }
            statements_ = std::move(fresh); // the old statements, now in `fresh`, are finalized with it
            sqlite3_close_v2(db_);            // (v2: the connection closes once they are)
            db_ = db;
            broken_ = false;
            return true;
        } catch (...) {
            return false;
        }
    }

    /// A statement failed: the connection is suspect until reopened.
    failure failed(store_failure cause) noexcept
    {
        broken_ = true;
        return fail(cause);
    }

    /// A statement failed with SQLite's result code `rc`.
    failure failed(int rc) noexcept
    {
        switch (rc & 0xff) { // the primary code
        case SQLITE_BUSY:
        case SQLITE_LOCKED: return failed(store_failure::busy);
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB: return failed(store_failure::corrupt_reply);
        default: return failed(store_failure::server_error);
        }
    }

    result<void> done(sqlite3_stmt* s)
    {
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        }
        sqlite3_reset(s);
        if (rc != SQLITE_DONE)
            return failed(rc);
        return {};
    }

    result<std::optional<record>> one_record(sqlite3_stmt* s, time_point now)
    {
        std::optional<record> out;
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            record r{detail::column_text(s, 0), detail::column_text(s, 1),
                     time_point{std::chrono::seconds{sqlite3_column_int64(s, 2)}}};
            if (r.expires_at > now)
                out = std::move(r);
            rc = sqlite3_step(s);
        }
        sqlite3_reset(s);
        if (rc != SQLITE_DONE)
            return failed(rc);
        return out;
    }

    result<std::int64_t> one_integer(sqlite3_stmt* s, bool required)
    {
        std::int64_t value = 0;
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            value = sqlite3_column_int64(s, 0);
            rc = sqlite3_step(s);
        } else if (required) {
            sqlite3_reset(s);
            return failed(store_failure::corrupt_reply);
        }
        sqlite3_reset(s);
        if (rc != SQLITE_DONE)
            return failed(rc);
        return value;
    }

    [[no_unique_address]] Clock clock_;
    std::string path_;
    sqlite_store_options options_;
    std::string store_id_;
    sqlite3* db_ = nullptr;
    std::mutex mutex_;
    statements statements_;
    bool broken_ = false;
};

/// The SQLite store on the system clock.
using sqlite_store = basic_sqlite_store<>;

static_assert(store<sqlite_store>);

} // namespace tessera::inline v0
