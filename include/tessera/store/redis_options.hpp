// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The options of `redis_store` (store/redis.hpp): where it connects, how long it waits, and which
    of Redis's ways of losing acknowledged writes the application accepts. Plain data, no hiredis.
*/

#include <chrono>
#include <string>

namespace tessera::inline v0 {

/** Server settings under which Redis may drop writes it acknowledged. Each is refused unless accepted
    here, in code; what accepting one gives up is said beside it (README, "Running Redis and PostgreSQL").
*/
struct redis_accepted_risks {
    /** A `maxmemory-policy` other than `noeviction`. Redis then deletes keys when memory is full, a deny
        entry or a used-token marker among them, and a deleted revocation is a revoked credential that
        works again. Accepted, the store fails closed instead: every operation answers
        `store_unavailable` once the server has evicted any key (`evicted_keys` in `INFO stats`, read after
        every request, one more reply in the same round trip), until an operator has checked what was
        lost and reset the statistics (`CONFIG RESETSTAT`). For a Redis whose memory limit is never met.
    */
    bool eviction = false;
    /** No append-only file (`appendonly no`): a restart goes back to the last RDB snapshot, undoing every
        logout, refresh and revocation made after it. Accepted, the store notices a server that came back
        from a snapshot (its `{prefix}boot` key names an earlier run of the server) or without its data
        (the key is gone) and fails closed: new connections are refused with a message saying so, until
        an operator deletes `{prefix}boot`. An instance started after such a restart cannot tell a lost
        store from a new one, and accepts it (see the README's table).
    */
    bool no_append_only_file = false;
};

/// Where a `redis_store` connects and how long it waits.
struct redis_store_options {
    /// Host name or address; ignored when `unix_socket` is set.
    std::string host = "127.0.0.1";
    int port = 6379;
    /// A Unix socket path; when set, used instead of host and port.
    std::string unix_socket = {};
    /// An ACL user (Redis 6+) for `AUTH user password`; empty with a password: `AUTH password`.
    std::string user = {};
    std::string password = {};
    /// The database index (`SELECT`).
    int database = 0;
    /// The namespace of this store's keys (in a hash tag: `{prefix}`); stores with other prefixes never meet.
    std::string key_prefix = "tessera";
    /// Connections kept open; a request waits for a free one at most `command_timeout`.
    std::size_t connections = 4;
    /// How long a connection attempt may take.
    std::chrono::milliseconds connect_timeout{1000};
    /// How long one round trip may take before the store answers `store_unavailable`.
    std::chrono::milliseconds command_timeout{1000};
    /// The server settings this store refuses unless accepted (by default, every one that loses writes).
    redis_accepted_risks accept = {};
    /** How often the store reads the server's settings again (`INFO`, one round trip) after checking
        them on every new connection: a `CONFIG SET` that turns on eviction or turns off the AOF is found
        within this bound, and the store then fails closed until the setting is restored.
    */
    std::chrono::milliseconds settings_check_interval{5000};
    /** How far this instance's clock may be from the server's (`TIME`), checked with the settings:
        instances decide expiry with their own clocks, so this is how much they may disagree (README,
        "Clocks"). Further apart, the store is refused at construction and fails closed later. Zero: not
        checked (a test's manual clock).
    */
    std::chrono::seconds max_clock_skew{5};
};

} // namespace tessera::inline v0
