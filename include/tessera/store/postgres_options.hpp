// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The options of `postgres_store` (store/postgres.hpp): where it connects and how long it waits.
    Plain data, no libpq.
*/

#include <chrono>
#include <cstddef>
#include <string>

namespace tessera::inline v0 {

/// Where a `postgres_store` connects and how long it waits.
struct postgres_store_options {
    /// A libpq connection string or URI (`host=db port=5432 user=app dbname=app sslmode=verify-full`).
    std::string connection = {};
    /// The schema holding tessera's tables, created on first open: letters, digits and `_`, at most 63.
    std::string schema = "tessera";
    /// Connections kept open; a request waits for a free one at most `command_timeout`.
    std::size_t connections = 4;
    /// How long a connection attempt may take.
    std::chrono::milliseconds connect_timeout{2000};
    /// How long one statement may take (also the server's `statement_timeout`) before `store_unavailable`.
    std::chrono::milliseconds command_timeout{2000};
    /** How far this instance's clock may be from the server's, checked on every new connection: instances
        decide expiry with their own clocks (README, "Clocks"). Further apart, the store is refused at
        construction, and later connections are refused (fail closed). Zero: not checked.
    */
    std::chrono::seconds max_clock_skew{5};
};

} // namespace tessera::inline v0
